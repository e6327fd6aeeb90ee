use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use xueshi_store::Db;

use crate::config::Config;

/// What every handler can reach. Cheap to clone; holds no per-user state, so several
/// servers can run behind one load balancer.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
    /// Evidence files: local disk or S3-compatible storage.
    pub files: xueshi_files::FileStore,
    pub in_flight: crate::metrics::InFlight,
    pub limits: crate::rate_limit::RateLimits,
    /// The time the session, lockout and second-factor rules read (tests move it).
    pub clock: crate::clock::Clock,
    /// Where one-time codes for people go (SMS or email; the log in development).
    pub notifier: std::sync::Arc<dyn crate::services::reminders::Notifier>,
    /// Sessions used since the last batch of activity was written.
    pub touches: crate::auth::touches::Touches,
}
