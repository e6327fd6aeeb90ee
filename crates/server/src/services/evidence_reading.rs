//! Reading certificates in the background (证书识别): every evidence file's text by OCR or
//! its PDF text layer (`xueshi_files::Reader`, a bounded low-priority subprocess), and a
//! photo's problems (too small, dark or blurred), never on the request path. The queue is
//! the database's (`repo::readings`), so it survives restarts and the servers of a cluster
//! share it; a file whose server died is read by another once its claim expires. What the
//! text says is decided each time it is shown (`domain::reading`), so a better reading of
//! the same text reaches old files too.

use std::time::Duration;

use tokio::sync::Notify;
use xueshi_domain::ReadingStatus;
use xueshi_domain::reading::{hours_missing, hours_stated_plainly};
use xueshi_files::{EvidenceKind, FileError, FileStore, Reader, photo_quality};
use xueshi_store::repo::readings::{self, Claimed, Outcome};
use xueshi_store::{Db, now_ms};

use crate::error::AppResult;
use crate::in_flight::InFlight;

/// How long a claim holds beyond the longest a reading may take: three tool runs at the
/// reader's time limit (a PDF's text layer, its page rendered, then OCR; or a photo's two
/// passes), so that no other server takes a file still being read.
const LEASE_MARGIN: Duration = Duration::from_secs(60);
/// A file claimed this many times without a result took its readers down: it is failed.
const MAX_ATTEMPTS: i64 = 3;
/// How often to look for files nobody announced (another server's uploads, a restart).
const POLL: Duration = Duration::from_secs(10);
/// How long a reading waits for a moment with no request in flight, at most.
const GIVE_WAY: Duration = Duration::from_secs(2);

/// How long a staged file's reading is kept: longer than its token is valid (a day).
const STAGED_KEPT: Duration = Duration::from_secs(2 * 24 * 3600);

static WAKE: Notify = Notify::const_new();

/// Wakes this process's reader: an upload left a file to read.
pub fn wake() {
    WAKE.notify_waiters();
}

/// A file claimed for reading: chosen on the new-declaration form, or evidence (with the
/// reading it had as a staged file, if it was one and was read).
enum Claim {
    Staged {
        key: String,
        attempts: i64,
    },
    Evidence {
        item: Claimed,
        earlier: Option<Read>,
    },
}

/// Claims the next file, staged ones first: their teacher is waiting on the form.
async fn claim_next(db: &Db, owner: &str, lease: i64) -> AppResult<Option<Claim>> {
    let mut tx = db.begin().await?;
    let claim = match readings::staged::claim(&mut tx, owner, now_ms(), lease).await? {
        Some((key, attempts)) => Some(Claim::Staged { key, attempts }),
        None => match readings::claim(&mut tx, owner, now_ms(), lease).await? {
            Some(item) => {
                let earlier = readings::staged::get(&mut tx, &item.storage_key)
                    .await?
                    .filter(|r| r.status == ReadingStatus::Done)
                    .map(|r| Read {
                        status: r.status,
                        text: r.text,
                        problems: r.problems,
                        error: r.error,
                    });
                Some(Claim::Evidence { item, earlier })
            }
            None => None,
        },
    };
    tx.commit().await?;
    Ok(claim)
}

/// Reads up to `limit` waiting files under `owner`'s claims; how many were settled.
pub async fn read_waiting(
    db: &Db,
    files: &FileStore,
    reader: &Reader,
    owner: &str,
    in_flight: &InFlight,
    limit: usize,
) -> AppResult<usize> {
    let lease = (reader.timeout() * 3 + LEASE_MARGIN).as_millis() as i64;
    let mut settled = 0;
    while settled < limit {
        in_flight.give_way(GIVE_WAY).await;
        let Some(claim) = claim_next(db, owner, lease).await? else {
            break;
        };
        let read = match &claim {
            Claim::Staged { key, attempts } => read_one(files, reader, key, *attempts).await,
            Claim::Evidence {
                earlier: Some(r), ..
            } => Some(r.clone()),
            Claim::Evidence {
                item,
                earlier: None,
            } => read_one(files, reader, &item.storage_key, item.attempts).await,
        };
        if let Some(read) = read {
            let outcome = Outcome {
                status: read.status,
                text: read.text.as_deref(),
                problems: &read.problems.join(","),
                error: read.error.as_deref(),
            };
            let mut tx = db.begin().await?;
            match &claim {
                Claim::Staged { key, .. } => {
                    readings::staged::finish(&mut tx, key, owner, &outcome, now_ms()).await?;
                }
                Claim::Evidence { item, .. } => {
                    readings::finish(&mut tx, &item.evidence_id, owner, &outcome, now_ms()).await?;
                }
            }
            tx.commit().await?;
        }
        settled += 1;
    }
    Ok(settled)
}

#[derive(Clone)]
struct Read {
    status: ReadingStatus,
    text: Option<String>,
    problems: Vec<String>,
    error: Option<String>,
}

fn failed(error: &str) -> Read {
    Read {
        status: ReadingStatus::Failed,
        text: None,
        problems: Vec::new(),
        error: Some(error.into()),
    }
}

/// The file's reading; `None` when the store cannot answer now (the claim expires and the
/// file is read again later).
async fn read_one(
    files: &FileStore,
    reader: &Reader,
    storage_key: &str,
    attempts: i64,
) -> Option<Read> {
    if attempts > MAX_ATTEMPTS {
        return Some(failed("多次识别未完成"));
    }
    let bytes = match files.get(storage_key).await {
        Ok(bytes) => bytes,
        Err(FileError::NotFound) => return Some(failed("文件不存在")),
        Err(e) => {
            tracing::warn!(file = %storage_key, error = %e, "evidence unreadable; will retry");
            return None;
        }
    };
    let Some(kind) = xueshi_files::sniff(&bytes) else {
        return Some(failed("无法识别的文件类型"));
    };
    let problems = match kind {
        EvidenceKind::Jpeg | EvidenceKind::Png => {
            let image = bytes.clone();
            tokio::task::spawn_blocking(move || photo_quality(&image, kind))
                .await
                .ok()
                .flatten()
                .map(|q| q.problems.iter().map(|p| p.code().to_owned()).collect())
                .unwrap_or_default()
        }
        EvidenceKind::Pdf => Vec::new(),
    };
    let text = reader
        .read_with_retry(&bytes, kind, hours_missing, hours_stated_plainly)
        .await;
    Some(match text {
        Ok(text) => Read {
            status: ReadingStatus::Done,
            text: Some(text),
            problems,
            error: None,
        },
        Err(e) => Read {
            problems,
            ..failed(&e.to_string())
        },
    })
}

/// Gives back this server's claims at shutdown.
pub async fn release(db: &Db, owner: &str) -> AppResult<u64> {
    let mut tx = db.begin().await?;
    let n = readings::release(&mut tx, owner).await?
        + readings::staged::release(&mut tx, owner).await?;
    tx.commit().await?;
    Ok(n)
}

/// Forgets the readings of staged files whose tokens have expired.
async fn prune_staged(db: &Db) -> AppResult<()> {
    let mut tx = db.begin().await?;
    readings::staged::prune(&mut tx, now_ms() - STAGED_KEPT.as_millis() as i64).await?;
    tx.commit().await?;
    Ok(())
}

/// Runs until aborted: reads whatever waits, then sleeps until woken or [`POLL`] passes.
pub async fn run_forever(
    db: Db,
    files: FileStore,
    reader: Reader,
    owner: String,
    in_flight: InFlight,
) {
    loop {
        let woken = WAKE.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match read_waiting(&db, &files, &reader, &owner, &in_flight, 8).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {
                if let Err(e) = prune_staged(&db).await {
                    tracing::warn!(error = %e, "pruning staged readings failed; will retry");
                }
            }
            Err(e) => tracing::warn!(error = %e, "certificate reading failed; will retry"),
        }
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}
