//! Group commit for SQLite: one flush of the WAL puts every commit made before it on disk.
//!
//! With `synchronous = FULL` each commit flushes the WAL itself, on the single writer
//! connection, so every other writer waits for that flush in turn. Here commits run with
//! `NORMAL` (written to the WAL, not flushed) and each caller then waits, off the writer,
//! until a flush that began after its commit has finished: commits that arrive while one
//! flush runs share the next. An acknowledged commit is on disk exactly as with FULL. (A
//! crash can only lose a suffix of the WAL: its frames are checksummed in a chain.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{StoreError, StoreResult};

#[derive(Debug)]
pub(crate) struct WalSync {
    wal: PathBuf,
    /// Commits made so far: each takes the next number once its COMMIT has returned.
    committed: AtomicU64,
    /// Every commit numbered up to this is on disk.
    synced: AtomicU64,
    /// Flushes made (for tests: fewer than commits when they were grouped).
    flushes: AtomicU64,
    /// One flush at a time; the others wait for it and then check whether it covered them.
    flushing: tokio::sync::Mutex<()>,
}

impl WalSync {
    /// For the database whose main file is `db_file` (its WAL is beside it).
    pub(crate) fn new(db_file: &str) -> WalSync {
        WalSync {
            wal: PathBuf::from(format!("{db_file}-wal")),
            committed: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    /// Called right after a COMMIT returned: its number, for [`WalSync::wait_on_disk`].
    pub(crate) fn committed(&self) -> u64 {
        self.committed.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Returns once commit `number` is on disk.
    pub(crate) async fn wait_on_disk(&self, number: u64) -> StoreResult<()> {
        if self.synced.load(Ordering::Acquire) >= number {
            return Ok(());
        }
        let _turn = self.flushing.lock().await;
        if self.synced.load(Ordering::Acquire) >= number {
            return Ok(()); // the flush we waited behind began after our commit
        }
        // Every commit numbered up to here has been written to the WAL before this flush.
        let upto = self.committed.load(Ordering::Acquire);
        let wal = self.wal.clone();
        let flushed = tokio::task::spawn_blocking(move || std::fs::File::open(wal)?.sync_data())
            .await
            .unwrap_or_else(|joined| Err(std::io::Error::other(joined)));
        flushed.map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.synced.fetch_max(upto, Ordering::AcqRel);
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn counts(&self) -> (u64, u64, u64) {
        (
            self.committed.load(Ordering::Acquire),
            self.synced.load(Ordering::Acquire),
            self.flushes.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::WalSync;

    /// Commits made before a flush begins are all covered by it: their callers return
    /// without another.
    #[tokio::test]
    async fn one_flush_covers_every_commit_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let db_file = dir.path().join("x.db").display().to_string();
        std::fs::write(format!("{db_file}-wal"), b"frames").unwrap();
        let wal = WalSync::new(&db_file);
        let numbers = [wal.committed(), wal.committed(), wal.committed()];
        wal.wait_on_disk(numbers[2]).await.unwrap();
        wal.wait_on_disk(numbers[0]).await.unwrap();
        wal.wait_on_disk(numbers[1]).await.unwrap();
        assert_eq!(wal.counts(), (3, 3, 1));
        let fourth = wal.committed();
        wal.wait_on_disk(fourth).await.unwrap();
        assert_eq!(
            wal.counts(),
            (4, 4, 2),
            "a commit after the flush needs its own"
        );
    }

    /// A log that cannot be flushed is an error, not an acknowledgement.
    #[tokio::test]
    async fn a_missing_log_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let wal = WalSync::new(&dir.path().join("gone.db").display().to_string());
        let number = wal.committed();
        assert!(wal.wait_on_disk(number).await.is_err());
        assert_eq!(wal.counts(), (1, 0, 0));
    }
}
