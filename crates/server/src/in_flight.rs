//! Requests this server is answering right now, counted by the metrics layer and read by
//! background work that gives way to them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How often a waiting worker looks for a moment with no request in flight.
const STEP: Duration = Duration::from_millis(20);

/// Requests this server is answering right now: background work gives way while any are.
/// One counter per server (tests run several servers in one process).
#[derive(Clone, Debug, Default)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Waits until no request is in flight, or `at_most` has passed: requests come first,
    /// and under unbroken load the waiting work still gets a turn now and then.
    pub async fn give_way(&self, at_most: Duration) {
        let mut waited = Duration::ZERO;
        while self.count() > 0 && waited < at_most {
            tokio::time::sleep(STEP).await;
            waited += STEP;
        }
    }

    pub(crate) fn enter(&self) -> InFlightGuard {
        self.0.fetch_add(1, Ordering::Relaxed);
        InFlightGuard(self.0.clone())
    }
}

/// Counts a request as in flight until dropped (also when its future is cancelled).
pub(crate) struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
