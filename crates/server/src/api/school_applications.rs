//! School applications (学校注册申请): a school applies on a public route, its district (or the
//! city) decides (API.md, "Registry self-service").

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use xueshi_domain::{Ownership, SchoolApplicationStatus, SchoolType, mask_phone};

use super::dto::List;
use super::extract::{ApiJson, ApiQuery};
use crate::auth::extract::PublicLookup;
use crate::auth::{ClientIp, CurrentUser};
use crate::error::{AppResult, ErrorBody};
use crate::services::request_decision::RequestDecision;
use crate::services::school_applications::{
    self, ApplicationFilter, DistrictChoice, NewApplication, SchoolApplication,
};
use crate::services::time_text;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApplicationDto {
    pub id: String,
    pub name: String,
    pub district_id: String,
    pub district_name: String,
    pub ownership: Ownership,
    pub school_type: SchoolType,
    pub contact_name: String,
    /// Masked (138****5678).
    pub contact_phone: String,
    pub admin_username: String,
    pub status: SchoolApplicationStatus,
    pub applied_at: String,
    pub decided_at: Option<String>,
    pub decision_reason: Option<String>,
    /// The school an approval created.
    pub school_id: Option<String>,
}

impl From<SchoolApplication> for ApplicationDto {
    fn from(a: SchoolApplication) -> ApplicationDto {
        ApplicationDto {
            contact_phone: mask_phone(&a.contact_phone),
            id: a.id,
            name: a.name,
            district_id: a.district_id,
            district_name: a.district_name,
            ownership: a.ownership,
            school_type: a.school_type,
            contact_name: a.contact_name,
            admin_username: a.admin_username,
            status: a.status,
            applied_at: time_text(a.applied_at),
            decided_at: a.decided_at.map(time_text),
            decision_reason: a.decision_reason,
            school_id: a.school_id,
        }
    }
}

/// Apply to register a school (public, limited per address like `/verify`). 409 `duplicate`
/// for a school of that name already in the district, an application of that name already
/// pending, or an administrator username in use.
#[utoipa::path(post, path = "/school-applications", tag = "orgs", security(()),
    request_body = NewApplication,
    responses((status = 201, body = ApplicationDto), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "over `XUESHI_ADDRESS_RATE` requests a minute from this address")))]
pub async fn create(
    State(state): State<AppState>,
    _limit: PublicLookup,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<NewApplication>,
) -> AppResult<(StatusCode, Json<ApplicationDto>)> {
    let application = school_applications::apply(&state.db, &ip, input).await?;
    Ok((StatusCode::CREATED, Json(application.into())))
}

/// The districts a school may apply to (public, for the application form).
#[utoipa::path(get, path = "/school-applications/districts", tag = "orgs", security(()),
    responses((status = 200, body = Vec<DistrictChoice>), (status = 429, body = ErrorBody)))]
pub async fn districts(
    State(state): State<AppState>,
    _limit: PublicLookup,
) -> AppResult<Json<Vec<DistrictChoice>>> {
    Ok(Json(school_applications::districts(&state.db).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub status: Option<SchoolApplicationStatus>,
    pub district_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Applications oldest first: a district_admin its district's, city_admin all.
#[utoipa::path(get, path = "/school-applications", tag = "orgs", params(ListQuery),
    responses((status = 200, body = List<ApplicationDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<List<ApplicationDto>>> {
    let filter = ApplicationFilter {
        status: q.status,
        district_id: q.district_id,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = school_applications::list(&state.db, &me.ctx, &filter).await?;
    Ok(Json(List {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewedDto {
    pub application: ApplicationDto,
    pub school_id: Option<String>,
    pub admin_username: Option<String>,
    /// Shown once, to the approver; also sent to the contact phone.
    pub temporary_password: Option<String>,
}

/// Approve (the school and its `school_admin` are created; the administrator changes the
/// temporary password and enrols a second factor at first login) or reject (a reason is
/// required). 409 `duplicate` when a school of that name appeared in the district meanwhile.
#[utoipa::path(post, path = "/school-applications/{id}/review", tag = "orgs",
    request_body = RequestDecision,
    responses((status = 200, body = ReviewedDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RequestDecision>,
) -> AppResult<Json<ReviewedDto>> {
    let (application, temporary_password) =
        school_applications::decide(&state.db, state.notifier.clone(), &me.ctx, &id, input).await?;
    let approved = temporary_password.is_some();
    Ok(Json(ReviewedDto {
        school_id: application.school_id.clone(),
        admin_username: approved.then(|| application.admin_username.clone()),
        temporary_password,
        application: application.into(),
    }))
}
