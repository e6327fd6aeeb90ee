//! Queries, one module per table. Every function takes a connection (a pool connection or
//! an open transaction), so a service decides what is atomic.

pub mod announcements;
pub mod archive;
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
pub mod readings;
pub mod reconciliation_findings;
pub mod records;
pub mod reminders;
pub mod reports;
pub mod reviews;
pub mod school_applications;
pub mod scope;
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

/// A keyset page of rows fetched with `LIMIT limit + 1`: the extra row only says there is a
/// next page, whose cursor is the last kept row's `key`.
pub(crate) fn keyset_page<T>(
    mut items: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> String,
) -> crate::models::Page<T> {
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(key)
    } else {
        None
    };
    crate::models::Page { items, next_cursor }
}

/// Restricts a query over requests joined to the school that decides them (alias `o`) to
/// those `scope` is the one to decide: a district's own schools, or for the city the
/// city-affiliated ones (which no district decides).
pub(crate) fn push_decided_by(q: &mut sql::Sql, scope: &xueshi_domain::authz::Scope) {
    use xueshi_domain::authz::Scope;
    match scope {
        Scope::All => {
            q.push(" AND o.city_affiliated = 1");
        }
        Scope::District(d) => {
            q.push(" AND o.district_id = ").bind(d.as_str());
            q.push(" AND o.city_affiliated = 0");
        }
        _ => {
            q.push(" AND 1 = 0");
        }
    }
}
