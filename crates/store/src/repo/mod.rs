//! Queries, one module per table. Every function takes a connection (a pool connection or
//! an open transaction), so a service decides what is atomic.

pub mod audit;
pub mod orgs;
pub mod policies;
pub mod sessions;
pub mod sql;
pub mod teachers;
pub mod users;

/// Keyset cursors are the last row's id, base64-free but opaque to clients: ids are uuids
/// and never contain the separator.
pub(crate) fn clamp_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(50).clamp(1, 500)
}
