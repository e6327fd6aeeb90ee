//! The caller's in-app notifications (站内通知).

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use xueshi_store::models::Notification;

use super::extract::ApiQuery;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::services::{notifications, time_text};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationDto {
    pub id: String,
    /// `declaration_returned | declaration_rejected | declaration_approved`
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The object it is about (a declaration's id).
    pub target_id: Option<String>,
    pub created_at: String,
    pub read: bool,
    pub read_at: Option<String>,
}

impl From<Notification> for NotificationDto {
    fn from(n: Notification) -> NotificationDto {
        NotificationDto {
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            target_id: n.target_id,
            created_at: time_text(n.created_at),
            read: n.read_at.is_some(),
            read_at: n.read_at.map(time_text),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationDto>,
    pub next_cursor: Option<String>,
    /// Unread notifications in all.
    pub unread: i64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct NotificationQuery {
    /// Only the unread ones.
    #[serde(default)]
    pub unread: bool,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = NotificationList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> AppResult<Json<NotificationList>> {
    let (page, unread) =
        notifications::list(&state.db, &me.ctx, q.unread, q.cursor.as_deref(), q.limit).await?;
    Ok(Json(NotificationList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
        unread,
    }))
}

/// Mark one of the caller's notifications read.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications",
    responses((status = 200, body = NotificationDto), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<NotificationDto>> {
    Ok(Json(
        notifications::mark_read(&state.db, &me.ctx, &id)
            .await?
            .into(),
    ))
}
