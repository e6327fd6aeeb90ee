use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use xueshi_domain::{OrgKind, OrgStatus};

use super::dto::{List, OrgDto};
use super::extract::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::services::orgs::{self, CreateOrg, OrgFilter, UpdateOrg};
use crate::state::AppState;

/// The city organisation.
#[utoipa::path(get, path = "/orgs/city", tag = "orgs", responses((status = 200, body = OrgDto)))]
pub async fn city(State(state): State<AppState>, _me: CurrentUser) -> AppResult<Json<OrgDto>> {
    let mut c = state.db.pool().acquire().await?;
    Ok(Json(orgs::city(&mut c).await?.into()))
}

/// Register a district (city), a school or a provider.
#[utoipa::path(post, path = "/orgs", tag = "orgs", request_body = CreateOrg,
    responses((status = 201, body = OrgDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<CreateOrg>,
) -> AppResult<(StatusCode, Json<OrgDto>)> {
    let org = orgs::create(&state.db, &me.ctx, input).await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub kind: Option<OrgKind>,
    pub parent_id: Option<String>,
    pub status: Option<OrgStatus>,
    /// Part of the name (an addition to API.md).
    pub q: Option<String>,
    /// `SchoolType` (an addition to API.md).
    pub school_type: Option<xueshi_domain::SchoolType>,
    /// Organisations of one district, itself included (an addition to API.md).
    pub district_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Organisations in the caller's scope.
#[utoipa::path(get, path = "/orgs", tag = "orgs", params(ListQuery), responses((status = 200, body = List<OrgDto>)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<List<OrgDto>>> {
    let filter = OrgFilter {
        kind: q.kind,
        parent_id: q.parent_id,
        status: q.status,
        name_contains: q.q,
        school_type: q.school_type,
        district_id: q.district_id,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = orgs::list(&state.db, &me.ctx, &filter).await?;
    Ok(Json(List::from_page(page, OrgDto::from)))
}

#[utoipa::path(get, path = "/orgs/{id}", tag = "orgs", responses((status = 200, body = OrgDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<OrgDto>> {
    Ok(Json(orgs::visible(&state.db, &me.ctx, &id).await?.into()))
}

/// Rename, archive (注销) or reactivate an organisation.
#[utoipa::path(patch, path = "/orgs/{id}", tag = "orgs", request_body = UpdateOrg,
    responses((status = 200, body = OrgDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`duplicate`: a sibling has the new name")))]
pub async fn update(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UpdateOrg>,
) -> AppResult<Json<OrgDto>> {
    Ok(Json(
        orgs::update(&state.db, &me.ctx, &id, input).await?.into(),
    ))
}
