//! The queue of certificates read before their declaration exists, on both backends: a file
//! is queued once, claimed by one server at a time, taken again when its claim expires,
//! finished only under the claim that holds, read back, and forgotten after a while.

mod common;

use xueshi_domain::ReadingStatus;
use xueshi_store::repo::readings::{Outcome, staged};

const LEASE: i64 = 1_000;

#[tokio::test]
async fn a_staged_file_is_read_once_under_one_claim_and_then_forgotten() {
    let test = common::open().await;
    let mut c = test.db.pool().acquire().await.unwrap();
    staged::queue(&mut c, "evidence/aa", 10).await.unwrap();
    // Queued twice (chosen again): still one file to read.
    staged::queue(&mut c, "evidence/aa", 20).await.unwrap();
    staged::queue(&mut c, "evidence/bb", 30).await.unwrap();
    let pending = staged::get(&mut c, "evidence/aa").await.unwrap().unwrap();
    assert_eq!(pending.status, ReadingStatus::Pending);
    assert_eq!(pending.evidence_id, "evidence/aa");

    // The oldest first; while a claim holds, nobody else takes it.
    let first = staged::claim(&mut c, "one", 100, LEASE).await.unwrap();
    assert_eq!(first, Some(("evidence/aa".to_owned(), 1)));
    let second = staged::claim(&mut c, "two", 100, LEASE).await.unwrap();
    assert_eq!(second, Some(("evidence/bb".to_owned(), 1)));
    assert_eq!(
        staged::claim(&mut c, "two", 200, LEASE).await.unwrap(),
        None
    );

    // "one" died: once its claim expires, "two" takes the file again.
    let again = staged::claim(&mut c, "two", 100 + LEASE + 1, LEASE)
        .await
        .unwrap();
    assert_eq!(again, Some(("evidence/aa".to_owned(), 2)));
    let outcome = Outcome {
        status: ReadingStatus::Done,
        text: Some("共计24学时"),
        problems: "blurred",
        error: None,
    };
    // The lost claim cannot finish it; the holding one can.
    assert!(
        !staged::finish(&mut c, "evidence/aa", "one", &outcome, 2_000)
            .await
            .unwrap()
    );
    assert!(
        staged::finish(&mut c, "evidence/aa", "two", &outcome, 2_000)
            .await
            .unwrap()
    );
    let done = staged::get(&mut c, "evidence/aa").await.unwrap().unwrap();
    assert_eq!(done.status, ReadingStatus::Done);
    assert_eq!(done.text.as_deref(), Some("共计24学时"));
    assert_eq!(done.problems, vec!["blurred".to_owned()]);
    // Read files are not claimed again.
    assert_eq!(
        staged::claim(&mut c, "three", 10_000, LEASE).await.unwrap(),
        Some(("evidence/bb".to_owned(), 2))
    );
    assert_eq!(
        staged::claim(&mut c, "three", 10_000, LEASE).await.unwrap(),
        None
    );

    // A shutdown gives its claims back at once.
    assert_eq!(staged::release(&mut c, "three").await.unwrap(), 1);
    assert_eq!(
        staged::claim(&mut c, "four", 10_001, LEASE).await.unwrap(),
        Some(("evidence/bb".to_owned(), 3))
    );

    assert_eq!(staged::prune(&mut c, 25).await.unwrap(), 1);
    assert!(staged::get(&mut c, "evidence/aa").await.unwrap().is_none());
    assert!(staged::get(&mut c, "evidence/bb").await.unwrap().is_some());
}
