//! Queries, one module per table. Every function takes a connection (a pool connection or
//! an open transaction), so a service decides what is atomic.

pub mod announcements;
pub mod audit;
pub mod audit_archive;
pub mod audit_chain;
pub mod carry_over;
pub mod correction_requests;
pub mod courses;
pub mod declarations;
pub mod evidence;
pub mod exports;
pub mod jobs;
pub mod mfa;
pub mod notifications;
pub mod orgs;
pub mod policies;
pub mod records;
pub mod reminders;
pub mod reports;
pub mod reviews;
pub mod sessions;
pub mod settings;
pub mod snapshots;
pub mod sql;
pub mod teachers;
pub mod trainings;
pub mod transfer_requests;
pub mod users;
pub mod verification;

/// The page size a list asks for, within API.md's bounds (default 50, at most 500).
pub(crate) fn clamp_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(50).clamp(1, 500)
}
