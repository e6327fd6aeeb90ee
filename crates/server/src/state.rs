use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use xueshi_store::Db;

use crate::config::Config;

/// What every handler can reach: one shared value, so a clone (axum makes several per
/// request) is one reference count, not one per field — a profile of the deadline surge found
/// a fifth of the server's time in cloning and dropping the fields' own. Holds no per-user
/// state, so several servers can run behind one load balancer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
    /// Evidence files: local disk or S3-compatible storage.
    pub files: xueshi_files::FileStore,
    pub in_flight: crate::in_flight::InFlight,
    pub limits: crate::rate_limit::RateLimits,
    /// The time the session, lockout and second-factor rules read (tests move it).
    pub clock: crate::clock::Clock,
    /// Where one-time codes for people go (SMS or email; the log in development).
    pub notifier: std::sync::Arc<dyn crate::services::reminders::Notifier>,
    /// Sessions used since the last batch of activity was written.
    pub touches: crate::auth::touches::Touches,
    /// The certificate reader, when this server reads (`evidence_reading` and the tools).
    pub reader: Option<xueshi_files::Reader>,
    /// Set when shutdown began: `/healthz` fails so the load balancer moves on.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}
