//! Declarations, their evidence and their review (API.md "Declarations").

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use xueshi_domain::{
    ActivityType, Category, Decision, DeclarationStatus, Hours, ReasonCode, RecordStatus,
    ReviewLevel, hours_for_days_and_minutes,
};
use xueshi_store::models::{Declaration, Review};

use super::evidence::EvidenceDto;
use super::extract::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::declarations::{
    self, DeclarationFilter, DeclarationInput, DeclarationPatch, Detail, Warning,
};
use crate::services::reviews::{self, BatchReview, ItemResult, ReviewInput};
use crate::services::{reading_view, time_text};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewDto {
    pub id: String,
    pub level: ReviewLevel,
    pub decision: Decision,
    /// The reviewer's user id.
    pub reviewer: String,
    pub reviewer_name: Option<String>,
    pub reviewer_org: Option<String>,
    pub at: String,
    /// 核定学时, for an approval.
    pub hours: Option<Hours>,
    pub reason_code: Option<ReasonCode>,
    pub comment: Option<String>,
}

impl From<Review> for ReviewDto {
    fn from(r: Review) -> ReviewDto {
        ReviewDto {
            id: r.id,
            level: r.level,
            decision: r.decision,
            reviewer: r.reviewer_id,
            reviewer_name: r.reviewer_name,
            reviewer_org: r.reviewer_org,
            at: time_text(r.at),
            hours: r.hours,
            reason_code: r.reason_code,
            comment: r.comment,
        }
    }
}

/// A declaration. Lists leave out `evidence`, `reviews` and `warnings`; one declaration
/// (`GET /declarations/{id}` and every action) has them. Warnings are for reviewers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeclarationDto {
    pub id: String,
    pub teacher_id: String,
    pub teacher_name: String,
    /// The teacher's current school, whose administrator reviews first.
    pub school_id: String,
    pub year: i32,
    pub category: Category,
    pub activity_type: ActivityType,
    pub title: String,
    pub organizer: String,
    pub start_date: String,
    pub end_date: String,
    pub hours: Hours,
    /// 核定学时, once a reviewer has approved.
    pub approved_hours: Option<Hours>,
    pub status: DeclarationStatus,
    pub foreign_certificate: bool,
    pub certificate_states_hours: bool,
    pub submitted_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The effective record made by the second-level approval, and its status (`revoked`
    /// once 取消学时登记).
    pub record_id: Option<String>,
    pub record_status: Option<RecordStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Vec<EvidenceDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Vec<ReviewDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<Warning>>,
}

impl DeclarationDto {
    fn summary(d: Declaration) -> DeclarationDto {
        DeclarationDto {
            id: d.id,
            teacher_id: d.teacher_id,
            teacher_name: d.teacher_name,
            school_id: d.school_id,
            year: d.year,
            category: d.category,
            activity_type: d.activity_type,
            title: d.title,
            organizer: d.organizer,
            start_date: d.start_date,
            end_date: d.end_date,
            hours: d.hours,
            approved_hours: d.approved_hours,
            status: d.status,
            foreign_certificate: d.foreign_certificate,
            certificate_states_hours: d.certificate_states_hours,
            submitted_at: d.submitted_at.map(time_text),
            created_at: time_text(d.created_at),
            updated_at: time_text(d.updated_at),
            record_id: d.record_id,
            record_status: d.record_status,
            evidence: None,
            reviews: None,
            warnings: None,
        }
    }
}

impl DeclarationDto {
    /// One declaration in full; `state` says whether this platform reads certificates.
    pub fn of(detail: Detail, state: &AppState) -> DeclarationDto {
        let enabled = state.config.evidence_reading;
        let evidence = detail
            .evidence
            .into_iter()
            .map(|e| {
                let reading = detail.readings.iter().find(|r| r.evidence_id == e.id);
                let reading = reading_view::view(&e, reading, enabled);
                EvidenceDto::of(e, reading)
            })
            .collect();
        DeclarationDto {
            evidence: Some(evidence),
            reviews: Some(detail.reviews.into_iter().map(Into::into).collect()),
            warnings: Some(detail.warnings),
            ..DeclarationDto::summary(detail.declaration)
        }
    }
}

/// A page of declarations, with the count of each status in the scope under the same filters.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeclarationList {
    pub items: Vec<DeclarationDto>,
    pub next_cursor: Option<String>,
    /// status → number, e.g. `{"submitted": 12, "school_approved": 3}`.
    #[schema(value_type = Object)]
    pub counts: serde_json::Map<String, serde_json::Value>,
}

/// Create a draft declaration (teachers).
#[utoipa::path(post, path = "/declarations", tag = "declarations", request_body = DeclarationInput,
    responses((status = 201, body = DeclarationDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<DeclarationInput>,
) -> AppResult<(StatusCode, Json<DeclarationDto>)> {
    let detail = declarations::create(&state.db, &me.ctx, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(DeclarationDto::of(detail, &state)),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub status: Option<DeclarationStatus>,
    pub year: Option<i32>,
    pub school_id: Option<String>,
    pub district_id: Option<String>,
    pub teacher_id: Option<String>,
    /// `true`: city-affiliated schools (局属学校) only, the city's second-level queue;
    /// `false`: the other schools only. (An addition to API.md.)
    pub city_affiliated: Option<bool>,
    /// `public | professional | elective` (an addition to API.md).
    pub category: Option<xueshi_domain::Category>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Declarations in the caller's scope, oldest in the queue first (review queues:
/// `?status=submitted` for schools, `?status=school_approved` for the second level,
/// `&city_affiliated=true` for the city's).
#[utoipa::path(get, path = "/declarations", tag = "declarations", params(ListQuery),
    responses((status = 200, body = DeclarationList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<DeclarationList>> {
    let filter = DeclarationFilter {
        status: q.status,
        year: q.year,
        school_id: q.school_id,
        district_id: q.district_id,
        teacher_id: q.teacher_id,
        city_affiliated: q.city_affiliated,
        category: q.category,
        newest_first: false,
        cursor: q.cursor,
        limit: q.limit,
    };
    let (page, found) = declarations::list(&state.db, &me.ctx, &filter).await?;
    let counts = DeclarationStatus::ALL
        .iter()
        .map(|status| {
            let n = found
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            (status.as_str().to_owned(), n.into())
        })
        .collect();
    Ok(Json(DeclarationList {
        items: page
            .items
            .into_iter()
            .map(DeclarationDto::summary)
            .collect(),
        next_cursor: page.next_cursor,
        counts,
    }))
}

/// One declaration with its evidence, reviews and (for reviewers) warnings.
#[utoipa::path(get, path = "/declarations/{id}", tag = "declarations",
    responses((status = 200, body = DeclarationDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<DeclarationDto>> {
    Ok(Json(DeclarationDto::of(
        declarations::get(&state.db, &me.ctx, &id).await?,
        &state,
    )))
}

/// Change fields of a draft or returned declaration.
#[utoipa::path(patch, path = "/declarations/{id}", tag = "declarations", request_body = DeclarationPatch,
    responses((status = 200, body = DeclarationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<DeclarationPatch>,
) -> AppResult<Json<DeclarationDto>> {
    Ok(Json(DeclarationDto::of(
        declarations::update(&state.db, &me.ctx, &id, patch).await?,
        &state,
    )))
}

/// Submit (or resubmit) for review. Checks, in order: state (409), deadline (422
/// `deadline_passed`), evidence (422 `missing_evidence`), fields (422 `invalid`), duplicates
/// (409 `duplicate` with `details.existing_id`).
#[utoipa::path(post, path = "/declarations/{id}/submit", tag = "declarations",
    responses((status = 200, body = DeclarationDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<DeclarationDto>> {
    Ok(Json(DeclarationDto::of(
        declarations::submit(&state.db, &me.ctx, &id).await?,
        &state,
    )))
}

/// Withdraw a submitted declaration before the school has reviewed it.
#[utoipa::path(post, path = "/declarations/{id}/withdraw", tag = "declarations",
    responses((status = 200, body = DeclarationDto), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<DeclarationDto>> {
    Ok(Json(DeclarationDto::of(
        declarations::withdraw(&state.db, &me.ctx, &id).await?,
        &state,
    )))
}

/// Delete a draft with its evidence (the teacher's own; 409 for any other status).
#[utoipa::path(delete, path = "/declarations/{id}", tag = "declarations",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    declarations::delete_draft(&state.db, &state.files, &me.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new draft with the fields and evidence of a withdrawn declaration, to edit and submit
/// again.
#[utoipa::path(post, path = "/declarations/{id}/copy", tag = "declarations",
    responses((status = 201, body = DeclarationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn copy(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<DeclarationDto>)> {
    let detail = declarations::copy_withdrawn(&state.db, &me.ctx, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(DeclarationDto::of(detail, &state)),
    ))
}

/// Review at the level the declaration awaits: approve (optionally lowering the hours),
/// return with a comment, or reject with a reason code.
#[utoipa::path(post, path = "/declarations/{id}/review", tag = "declarations", request_body = ReviewInput,
    responses((status = 200, body = DeclarationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> AppResult<Json<DeclarationDto>> {
    Ok(Json(DeclarationDto::of(
        reviews::review_one(&state.db, &me.ctx, &id, input).await?,
        &state,
    )))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchResults {
    pub results: Vec<ItemResult>,
}

/// Review up to 500 declarations with one decision; each stands alone.
#[utoipa::path(post, path = "/reviews/batch", tag = "declarations", request_body = BatchReview,
    responses((status = 200, body = BatchResults), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn batch(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<BatchReview>,
) -> AppResult<Json<BatchResults>> {
    let results = reviews::batch(&state.db, &me.ctx, input).await?;
    Ok(Json(BatchResults { results }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HelperQuery {
    /// Full days of training (8 学时 each).
    pub days: Option<u32>,
    /// Minutes of a part day (1 学时 per full 45 minutes).
    pub minutes: Option<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HelperAnswer {
    pub hours: Hours,
}

/// Guangdong's conversion (学时折算) offered by the form: never applied by itself.
#[utoipa::path(get, path = "/declarations/hours-helper", tag = "declarations", params(HelperQuery),
    responses((status = 200, body = HelperAnswer), (status = 422, body = ErrorBody)))]
pub async fn hours_helper(
    _me: CurrentUser,
    ApiQuery(q): ApiQuery<HelperQuery>,
) -> AppResult<Json<HelperAnswer>> {
    let (days, minutes) = (q.days.unwrap_or(0), q.minutes.unwrap_or(0));
    if days > 366 {
        return Err(AppError::invalid("days", "天数不能超过366"));
    }
    if minutes >= 24 * 60 {
        return Err(AppError::invalid("minutes", "不足一天的时长须少于24小时"));
    }
    Ok(Json(HelperAnswer {
        hours: hours_for_days_and_minutes(days, minutes),
    }))
}
