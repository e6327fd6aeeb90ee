use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::time_rules;
use xueshi_store::repo::audit::{self, AuditFilter};

use super::dto::{AuditDto, List};
use super::extract::ApiQuery;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    pub target_id: Option<String>,
    pub actor_id: Option<String>,
    /// An action code, e.g. `declaration.review` (an addition to API.md).
    pub action: Option<String>,
    /// First day, `YYYY-MM-DD` Shanghai time, inclusive (an addition to API.md).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` Shanghai time, inclusive (an addition to API.md).
    pub to: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

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

/// The audit log in the caller's scope, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = List<AuditDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Json<List<AuditDto>>> {
    me.ctx.require(Action::ViewAudit)?;
    let cursor = match q.cursor.as_deref() {
        Some(c) => Some(
            c.parse()
                .map_err(|_| AppError::BadRequest("cursor 无效".into()))?,
        ),
        None => None,
    };
    let (from_ms, until_ms) = day_range(q.from.as_deref(), q.to.as_deref())?;
    let filter = AuditFilter {
        target_id: q.target_id,
        actor_id: q.actor_id,
        action: q.action,
        from_ms,
        until_ms,
        cursor,
        limit: q.limit,
    };
    let mut c = state.db.pool().acquire().await?;
    let page = audit::list(&mut c, &authz::audit_scope(&me.ctx.actor), &filter).await?;
    Ok(Json(List::from_page(page, AuditDto::from)))
}
