//! Perceptual hashes of evidence images, computed in the background. Decoding a photo is the
//! largest piece of CPU work in an upload, and on deadline day uploads come by the hundred a
//! second; reviewers need the hash only when they look, days later. So an upload
//! stores the file and its SHA-256 (which the duplicate check needs at once), and this
//! worker hashes the images that wait, oldest first, on one thread of lowest CPU priority,
//! and while this server is answering requests it waits for a moment with none in flight
//! (or, under unbroken load, hashes one image every couple of seconds): requests come
//! first, and the backlog drains when they pause. (Nice alone is not enough:
//! Linux's autogroups share the CPU between processes before nice applies, so a nice thread
//! still takes its process's share from the database server.)

use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};
use xueshi_files::{EvidenceKind, FileError, FileStore, perceptual_hash};
use xueshi_store::repo::evidence;
use xueshi_store::{Db, now_ms};

use super::declarations::warnings::phash_bytes;
use crate::error::{AppError, AppResult};
use crate::in_flight::InFlight;

/// Images hashed per round between database reads.
const BATCH: i64 = 32;
/// How often to look for work nobody announced (another server's uploads, a restart).
const POLL: Duration = Duration::from_secs(10);
/// How long an image waits for a moment with no request in flight, at most. Decoding a
/// phone photo costs more CPU than a whole submission, so under unbroken load this bounds
/// the hashing to a sliver of the machine.
const GIVE_WAY: Duration = Duration::from_secs(2);

/// Wakes this process's workers when an upload leaves an image to hash.
static WAKE: Notify = Notify::const_new();

pub fn wake() {
    WAKE.notify_waiters();
}

type Job = (
    axum::body::Bytes,
    EvidenceKind,
    oneshot::Sender<Option<String>>,
);

/// The one hashing thread of this process, started on first use at the lowest priority.
fn hasher() -> &'static mpsc::Sender<Job> {
    static HASHER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    HASHER.get_or_init(|| {
        let (send, mut receive) = mpsc::channel::<Job>(BATCH as usize);
        std::thread::Builder::new()
            .name("evidence-hasher".into())
            .spawn(move || {
                lowest_priority();
                while let Some((bytes, kind, reply)) = receive.blocking_recv() {
                    let _ = reply.send(perceptual_hash(&bytes, kind));
                }
            })
            .expect("the hashing thread starts");
        send
    })
}

/// Nice 19 for the calling thread only (Linux gives each thread its own nice value).
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on the calling thread's id; no memory is shared.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        if libc::setpriority(libc::PRIO_PROCESS, tid, 19) != 0 {
            tracing::warn!("could not lower the evidence hasher's priority");
        }
    }
}

async fn hash(bytes: axum::body::Bytes, kind: EvidenceKind) -> AppResult<Option<String>> {
    let (reply, answer) = oneshot::channel();
    hasher()
        .send((bytes, kind, reply))
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("the hashing thread has stopped")))?;
    answer
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("the hashing thread has stopped")))
}

/// Hashes up to `limit` waiting images; returns how many were settled.
pub async fn hash_waiting(
    db: &Db,
    files: &FileStore,
    in_flight: &InFlight,
    limit: i64,
) -> AppResult<usize> {
    let waiting = {
        let mut c = db.pool().acquire().await?;
        evidence::unhashed(&mut c, limit).await?
    };
    let mut settled = 0;
    for item in waiting {
        in_flight.give_way(GIVE_WAY).await;
        let phash = match files.get(&item.storage_key).await {
            Ok(bytes) => match xueshi_files::sniff(&bytes) {
                Some(kind @ (EvidenceKind::Jpeg | EvidenceKind::Png)) => hash(bytes, kind).await?,
                _ => None,
            },
            // Gone for good: there is nothing to compare, and it must not hold up the rest.
            Err(FileError::NotFound) => {
                tracing::warn!(evidence = %item.id, "evidence file missing from the store");
                None
            }
            // A store that cannot answer now is asked again on a later round.
            Err(e) => {
                tracing::warn!(evidence = %item.id, error = %e, "evidence file unreadable; will retry");
                continue;
            }
        };
        let bands = phash.as_deref().map(phash_bytes).unwrap_or_default();
        let mut tx = db.begin().await?;
        evidence::set_phash(&mut tx, &item.id, phash.as_deref(), &bands, now_ms()).await?;
        tx.commit().await?;
        settled += 1;
    }
    Ok(settled)
}

/// Runs until aborted: hashes whatever waits, then sleeps until woken or [`POLL`] passes.
pub async fn run_forever(db: Db, files: FileStore, in_flight: InFlight) {
    loop {
        // Registered before looking, so an upload during the round is not missed.
        let woken = WAKE.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match hash_waiting(&db, &files, &in_flight, BATCH).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "evidence hashing failed; will retry"),
        }
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn gives_way_while_requests_are_in_flight_but_not_forever() {
        let in_flight = InFlight::default();
        let started = tokio::time::Instant::now();
        in_flight.give_way(GIVE_WAY).await;
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "an idle server hashes at once"
        );

        let request = in_flight.enter();
        let started = tokio::time::Instant::now();
        in_flight.give_way(GIVE_WAY).await;
        assert_eq!(
            started.elapsed(),
            GIVE_WAY,
            "unbroken load still lets one image through"
        );

        let waiting = tokio::spawn({
            let in_flight = in_flight.clone();
            async move {
                let started = tokio::time::Instant::now();
                in_flight.give_way(GIVE_WAY).await;
                started.elapsed()
            }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        drop(request);
        let waited = waiting.await.unwrap();
        assert!(
            waited >= Duration::from_millis(500) && waited < GIVE_WAY,
            "{waited:?}"
        );
    }
}
