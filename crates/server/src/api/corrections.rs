//! Correction requests (更正申请): a teacher asks, the district (or the city) decides
//! (API.md, "Registry self-service").

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use xueshi_domain::CorrectionStatus;

use super::dto::List;
use super::extract::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::services::corrections::{self, CorrectionFilter, CorrectionRequest, NewCorrection};
use crate::services::request_decision::RequestDecision;
use crate::services::time_text;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct CorrectionDto {
    pub id: String,
    pub teacher_id: String,
    pub school_id: String,
    pub status: CorrectionStatus,
    /// `{"name":{"from","to"},"id_number":{"from","to"}}`, ID numbers masked.
    #[schema(value_type = Object)]
    pub field_changes: serde_json::Map<String, serde_json::Value>,
    pub reason: String,
    pub requested_at: String,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
}

fn dto(
    (r, field_changes): (
        CorrectionRequest,
        serde_json::Map<String, serde_json::Value>,
    ),
) -> CorrectionDto {
    CorrectionDto {
        id: r.id,
        teacher_id: r.teacher_id,
        school_id: r.school_id,
        status: r.status,
        field_changes,
        reason: r.reason,
        requested_at: time_text(r.requested_at),
        decided_at: r.decided_at.map(time_text),
        decision_reason: r.decision_reason,
    }
}

async fn one(state: &AppState, r: CorrectionRequest) -> AppResult<CorrectionDto> {
    let mut all = corrections::with_changes(&state.db, vec![r]).await?;
    Ok(dto(all.remove(0)))
}

/// Ask for one's own name or ID number to be corrected (the teacher themself). 422 for an
/// invalid ID number; 409 while another request is pending.
#[utoipa::path(post, path = "/teachers/{id}/corrections", tag = "teachers",
    request_body = NewCorrection,
    responses((status = 201, body = CorrectionDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewCorrection>,
) -> AppResult<(StatusCode, Json<CorrectionDto>)> {
    let request = corrections::request(&state.db, &me.ctx, &id, input).await?;
    Ok((StatusCode::CREATED, Json(one(&state, request).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub status: Option<CorrectionStatus>,
    pub school_id: Option<String>,
    pub district_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Requests in the caller's scope (a teacher's own), oldest first.
#[utoipa::path(get, path = "/corrections", tag = "teachers", params(ListQuery),
    responses((status = 200, body = List<CorrectionDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<List<CorrectionDto>>> {
    let filter = CorrectionFilter {
        status: q.status,
        school_id: q.school_id,
        district_id: q.district_id,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = corrections::list(&state.db, &me.ctx, &filter).await?;
    let items = corrections::with_changes(&state.db, page.items).await?;
    Ok(Json(List {
        items: items.into_iter().map(dto).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Approve (the record is corrected at once, the login follows a corrected ID number) or
/// reject (a reason is required): the teacher's district_admin, or city_admin.
#[utoipa::path(post, path = "/corrections/{id}/review", tag = "teachers",
    request_body = RequestDecision,
    responses((status = 200, body = CorrectionDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RequestDecision>,
) -> AppResult<Json<CorrectionDto>> {
    let decided = corrections::decide(&state.db, &me.ctx, &id, input).await?;
    Ok(Json(one(&state, decided).await?))
}

/// Remind a teacher to correct their details (提醒教师更正): a notification saying what the
/// latest check against the provincial roster found for them. School, district or city in
/// scope; 409 when the check found nothing for the teacher or a reminder went out within a day.
#[utoipa::path(post, path = "/teachers/{id}/correction-reminder", tag = "teachers",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn remind(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    crate::services::correction_reminders::remind(&state.db, &me.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
