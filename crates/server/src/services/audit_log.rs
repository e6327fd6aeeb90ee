//! Reading the audit log (审计日志): entries in the caller's audit scope, filtered by target,
//! actor, action and Shanghai days, with who acted shown as reviewers know them.

use std::collections::HashMap;

use xueshi_domain::authz::{self, Action};
use xueshi_domain::time_rules;
use xueshi_store::models::{AuditEntry, Page};
use xueshi_store::repo::{audit, users};
use xueshi_store::{Conn, Vault};

pub use xueshi_store::repo::audit::AuditFilter;

use super::Ctx;
use super::users::shown_username;
use crate::error::{AppError, AppResult};

/// Unix ms of the start of `from` and of the day after `to` (Shanghai days, both inclusive).
pub fn day_range(from: Option<&str>, to: Option<&str>) -> AppResult<(Option<i64>, Option<i64>)> {
    let start = |field: &str, day: &str, next: bool| -> AppResult<i64> {
        let date = time_rules::parse_date(day.trim())
            .ok_or_else(|| AppError::invalid(field, "日期应为 YYYY-MM-DD"))?;
        let date = if next {
            date.next_day().unwrap_or(date)
        } else {
            date
        };
        let at = date.midnight().assume_offset(xueshi_domain::SHANGHAI);
        Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
    };
    let blank = |s: &&str| !s.trim().is_empty();
    Ok((
        from.filter(blank)
            .map(|d| start("from", d, false))
            .transpose()?,
        to.filter(blank).map(|d| start("to", d, true)).transpose()?,
    ))
}

/// The entries the caller may read (`authz::audit_scope`), newest first.
pub async fn list(c: &mut Conn, ctx: &Ctx, filter: &AuditFilter) -> AppResult<Page<AuditEntry>> {
    ctx.require(Action::ViewAudit)?;
    Ok(audit::list(c, &authz::audit_scope(&ctx.actor), filter).await?)
}

/// The account a login name belongs to, for filtering by who acted.
pub async fn account_of(c: &mut Conn, v: &Vault, username: &str) -> AppResult<Option<String>> {
    Ok(users::by_username(c, v, username).await?.map(|u| u.id))
}

/// Who acted, by account id, as the log shows them: the login, a teacher's ID number masked
/// (not needed in full to read the log); an unknown account by its id.
pub async fn actor_names(
    c: &mut Conn,
    v: &Vault,
    ids: impl IntoIterator<Item = String>,
) -> AppResult<HashMap<String, String>> {
    let mut names = HashMap::new();
    for id in ids {
        if names.contains_key(&id) {
            continue;
        }
        let name = users::get(c, v, &id).await?.map(|u| shown_username(&u));
        names.insert(id.clone(), name.unwrap_or(id));
    }
    Ok(names)
}
