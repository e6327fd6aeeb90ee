use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use xueshi_domain::authz::{self, Action};
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
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The audit log in the caller's scope, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = List<AuditDto>), (status = 403, body = ErrorBody)))]
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
    let filter = AuditFilter {
        target_id: q.target_id,
        actor_id: q.actor_id,
        cursor,
        limit: q.limit,
    };
    let mut c = state.db.pool().acquire().await?;
    let page = audit::list(&mut c, &authz::audit_scope(&me.ctx.actor), &filter).await?;
    Ok(Json(List::from_page(page, AuditDto::from)))
}
