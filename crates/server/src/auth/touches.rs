//! Session activity written in batches. A live session records that it was used once a
//! minute (the idle timeout reads it, on every server of a cluster); on the deadline day that
//! would be one write transaction per teacher per minute. Instead the requests note the
//! session here and one transaction every [`FLUSH_EVERY`] writes them all, stamped with the
//! flush's time: an idle timeout is then honoured at most a minute and two seconds late.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use xueshi_store::repo::sessions;
use xueshi_store::{Db, StoreResult};

pub const FLUSH_EVERY: Duration = Duration::from_secs(2);

/// Token hashes and when they were used, not yet written.
#[derive(Clone, Default)]
pub struct Touches(Arc<Mutex<HashMap<String, i64>>>);

impl Touches {
    /// Notes that the session whose token hashes to `hash` was used at `at`.
    pub fn note(&self, hash: &str, at: i64) {
        let mut due = self.0.lock().unwrap_or_else(|e| e.into_inner());
        due.insert(hash.to_owned(), at);
    }

    /// When this server last saw the session used, if that is not written yet: this server
    /// judges idleness by it, the others by what was written.
    pub fn seen(&self, hash: &str) -> Option<i64> {
        let due = self.0.lock().unwrap_or_else(|e| e.into_inner());
        due.get(hash).copied()
    }

    /// Writes what was noted, as used at `now`; the number of sessions written.
    pub async fn flush(&self, db: &Db, now: i64) -> StoreResult<usize> {
        let due: Vec<String> = {
            let mut due = self.0.lock().unwrap_or_else(|e| e.into_inner());
            due.drain().map(|(hash, _)| hash).collect()
        };
        if due.is_empty() {
            return Ok(0);
        }
        let mut tx = db.begin().await?;
        sessions::touch_all(&mut tx, &due, now).await?;
        tx.commit().await?;
        Ok(due.len())
    }

    /// Flushes every [`FLUSH_EVERY`] until aborted.
    pub async fn flush_forever(self, db: Db, clock: crate::clock::Clock) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = self.flush(&db, clock.now_ms()).await {
                tracing::warn!(error = %e, "session activity not recorded; retried at the next use");
            }
        }
    }
}
