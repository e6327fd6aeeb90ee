use xueshi_domain::OrgKind;

use super::*;

fn live() -> Cache {
    let cache = Cache::default();
    cache.set_live(true);
    cache
}

fn ledger(tenths: i64) -> YearLedger {
    YearLedger {
        lines: Vec::new(),
        pending: Hours::from_tenths(tenths),
    }
}

fn school(id: &str) -> OrgPlace {
    OrgPlace {
        id: id.into(),
        kind: OrgKind::School,
        parent_id: Some("d1".into()),
        district_id: Some("d1".into()),
        city_affiliated: false,
    }
}

#[test]
fn nothing_is_kept_unless_the_feed_runs() {
    let cache = Cache::default();
    cache.keep_ledger(cache.fence(), "t1", 2021, ledger(10));
    assert!(cache.ledger("t1", 2021).is_none());
    cache.set_live(true);
    cache.keep_ledger(cache.fence(), "t1", 2021, ledger(10));
    assert!(cache.ledger("t1", 2021).is_some());
    cache.set_live(false);
    assert!(cache.ledger("t1", 2021).is_none(), "stopping forgets all");
}

#[test]
fn a_read_older_than_a_change_of_its_keys_is_not_kept() {
    let cache = live();
    let fence = cache.fence();
    cache.forget(["l:t1"]);
    cache.keep_ledger(fence, "t1", 2021, ledger(10));
    assert!(cache.ledger("t1", 2021).is_none());
    // Another teacher's change does not matter.
    let fence = cache.fence();
    cache.forget(["l:t2"]);
    cache.keep_ledger(fence, "t1", 2021, ledger(10));
    assert!(cache.ledger("t1", 2021).is_some());
    // Everything forgotten: nothing fenced before is kept.
    let fence = cache.fence();
    cache.forget(["*"]);
    cache.keep_policy(fence, 2021, None);
    assert!(cache.policy(2021).is_none());
}

#[test]
fn keys_forget_what_depends_on_them() {
    let cache = live();
    cache.keep_ledger(cache.fence(), "t1", 2021, ledger(1));
    cache.keep_ledger(cache.fence(), "t1", 2022, ledger(2));
    cache.keep_ledger(cache.fence(), "t2", 2021, ledger(3));
    cache.keep_place(cache.fence(), "t1", school("s1"));
    cache.keep_place(cache.fence(), "t2", school("s2"));
    cache.keep_policy(cache.fence(), 2021, None);
    cache.forget(["l:t1"]);
    assert!(cache.ledger("t1", 2021).is_none() && cache.ledger("t1", 2022).is_none());
    assert_eq!(
        cache.ledger("t2", 2021).unwrap().pending,
        Hours::from_tenths(3)
    );
    cache.forget(["o:s2"]);
    assert!(cache.place("t2").is_none() && cache.place("t1").is_some());
    cache.forget(["t:t1"]);
    assert!(cache.place("t1").is_none());
    assert_eq!(cache.policy(2021), Some(None));
    cache.forget(["p"]);
    assert_eq!(cache.policy(2021), None);
}

#[test]
fn an_unknown_key_forgets_everything() {
    let cache = live();
    cache.keep_ledger(cache.fence(), "t1", 2021, ledger(1));
    cache.forget(["x:what"]);
    assert!(cache.ledger("t1", 2021).is_none());
}

#[test]
fn a_read_older_than_the_remembered_keys_is_not_kept() {
    let cache = live();
    let fence = cache.fence();
    let keys: Vec<String> = (0..=RECENT_KEYS).map(|i| format!("l:other{i}")).collect();
    cache.forget(keys.iter().map(String::as_str));
    cache.keep_ledger(fence, "t1", 2021, ledger(1));
    assert!(cache.ledger("t1", 2021).is_none());
}

#[test]
fn entries_are_bounded() {
    let cache = live();
    for i in 0..MAX_ENTRIES + 10 {
        cache.keep_ledger(cache.fence(), &format!("t{i}"), 2021, ledger(1));
    }
    let n = cache.lock().ledgers.len();
    assert!(n <= MAX_ENTRIES && n > MAX_ENTRIES / 2, "{n}");
}

async fn named(db: &crate::Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM cache_changes")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// Writes the organisation `id` (a district), as any request or the CLI would.
async fn write_org(db: &crate::Db, id: &str) {
    let mut tx = db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO orgs (id, name, kind, created_at, updated_at) VALUES ($1, $1, 'district', 0, 0)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// SQLite: with no server following, the CLI's writes name nothing; once one follows, a
/// change by another connection (as the CLI in another process would make it) is forgotten
/// within the poll, and the follower's own commit forgets before it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_feed_names_changes_only_while_followed_and_forgets_them() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
    let vault = Arc::new(xueshi_vault::Vault::ephemeral());
    let db = crate::Db::connect(&url, vault.clone()).await.unwrap();
    write_org(&db, "o1").await;
    assert_eq!(named(&db).await, 0, "no follower, no rows");

    let follower = tokio::spawn({
        let db = db.clone();
        async move { db.follow_changes().await }
    });
    while !db.cache().is_live() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let cache = db.cache();
    cache.keep_place(cache.fence(), "t2", school("o2"));
    write_org(&db, "o2").await;
    assert_eq!(named(&db).await, 1);
    assert!(cache.place("t2").is_none(), "the own commit forgot it");

    // Another process (a second `Db` on the file, which does not follow) writes.
    let other = crate::Db::connect(&url, vault).await.unwrap();
    cache.keep_place(cache.fence(), "t3", school("o3"));
    write_org(&other, "o3").await;
    let start = std::time::Instant::now();
    while cache.place("t3").is_some() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(1),
            "forgotten within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    follower.abort();
    let _ = follower.await;
    assert!(!cache.is_live(), "no longer followed: nothing kept");
}
