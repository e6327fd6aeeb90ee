use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::dto::{AuditDto, List};
use super::extract::ApiQuery;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::audit_log::{self, AuditFilter, day_range};
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

/// The audit log in the caller's scope, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = List<AuditDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Json<List<AuditDto>>> {
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
    let page = audit_log::list(&mut c, &me.ctx, &filter).await?;
    Ok(Json(List::from_page(page, AuditDto::from)))
}
