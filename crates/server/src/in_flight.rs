//! Requests this server is answering right now, counted by the metrics layer and read by
//! background work that gives way to them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Requests this server is answering right now: background work gives way while any are.
/// One counter per server (tests run several servers in one process).
#[derive(Clone, Debug, Default)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
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
