//! Transfer requests (调动申请): a school asks, the receiving school's district (or the city)
//! decides.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use xueshi_domain::TransferStatus;

use super::dto::List;
use super::extract::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::services::request_decision::RequestDecision;
use crate::services::time_text;
use crate::services::transfers::{self, NewTransfer, TransferFilter, TransferRequest};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct TransferDto {
    pub id: String,
    pub teacher_id: String,
    pub teacher_name: String,
    pub from_school_id: String,
    pub from_school_name: String,
    pub to_school_id: String,
    pub to_school_name: String,
    pub reason: String,
    pub status: TransferStatus,
    pub requested_at: String,
    pub decided_at: Option<String>,
    /// Why it was not approved.
    pub decision_reason: Option<String>,
}

impl From<TransferRequest> for TransferDto {
    fn from(r: TransferRequest) -> TransferDto {
        TransferDto {
            id: r.id,
            teacher_id: r.teacher_id,
            teacher_name: r.teacher_name,
            from_school_id: r.from_school_id,
            from_school_name: r.from_school_name,
            to_school_id: r.to_school_id,
            to_school_name: r.to_school_name,
            reason: r.reason,
            status: r.status,
            requested_at: time_text(r.requested_at),
            decided_at: r.decided_at.map(time_text),
            decision_reason: r.decision_reason,
        }
    }
}

/// Ask for a teacher of the caller's school to be moved to another school (school_admin).
/// 409 `conflict` while one is pending for the teacher.
#[utoipa::path(post, path = "/teachers/{id}/transfer-requests", tag = "teachers",
    request_body = NewTransfer,
    responses((status = 201, body = TransferDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewTransfer>,
) -> AppResult<(StatusCode, Json<TransferDto>)> {
    let request = transfers::request(&state.db, &me.ctx, &id, input).await?;
    Ok((StatusCode::CREATED, Json(request.into())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub status: Option<TransferStatus>,
    pub teacher_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Requests from or to a school in the caller's scope, oldest first.
#[utoipa::path(get, path = "/transfer-requests", tag = "teachers", params(ListQuery),
    responses((status = 200, body = List<TransferDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<List<TransferDto>>> {
    let filter = TransferFilter {
        status: q.status,
        teacher_id: q.teacher_id,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = transfers::list(&state.db, &me.ctx, &filter).await?;
    Ok(Json(List::from_page(page, TransferDto::from)))
}

#[utoipa::path(get, path = "/transfer-requests/{id}", tag = "teachers",
    responses((status = 200, body = TransferDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<TransferDto>> {
    Ok(Json(transfers::get(&state.db, &me.ctx, &id).await?.into()))
}

/// Approve (the teacher moves at once) or reject (a reason is required) a pending request:
/// the receiving school's district_admin, or city_admin.
#[utoipa::path(post, path = "/transfer-requests/{id}/review", tag = "teachers",
    request_body = RequestDecision,
    responses((status = 200, body = TransferDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RequestDecision>,
) -> AppResult<Json<TransferDto>> {
    Ok(Json(
        transfers::decide(&state.db, &me.ctx, &id, input)
            .await?
            .into(),
    ))
}

/// Withdraw a pending request (the requesting school).
#[utoipa::path(post, path = "/transfer-requests/{id}/cancel", tag = "teachers",
    responses((status = 200, body = TransferDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<TransferDto>> {
    Ok(Json(
        transfers::cancel(&state.db, &me.ctx, &id).await?.into(),
    ))
}
