use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use xueshi_domain::TeacherStatus;

use super::dto::{List, TeacherDto};
use super::extract::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::services::teachers::{self, CreateTeacher, TeacherFilter, UpdateTeacher};
use crate::state::AppState;

/// Register a teacher and their login (username = ID number).
#[utoipa::path(post, path = "/teachers", tag = "teachers", request_body = CreateTeacher,
    responses((status = 201, body = TeacherDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<CreateTeacher>,
) -> AppResult<(StatusCode, Json<TeacherDto>)> {
    let teacher = teachers::create(&state.db, &me.ctx, input).await?;
    Ok((StatusCode::CREATED, Json(TeacherDto::full(teacher))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub school_id: Option<String>,
    pub district_id: Option<String>,
    /// A part of the name, or a whole ID number.
    pub q: Option<String>,
    pub status: Option<TeacherStatus>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Teachers in the caller's scope, ID numbers and phones masked.
#[utoipa::path(get, path = "/teachers", tag = "teachers", params(ListQuery), responses((status = 200, body = List<TeacherDto>)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<List<TeacherDto>>> {
    let filter = TeacherFilter {
        school_id: q.school_id,
        district_id: q.district_id,
        q: q.q,
        status: q.status,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = teachers::list(&state.db, &me.ctx, &filter).await?;
    Ok(Json(List::from_page(page, TeacherDto::masked)))
}

/// One teacher in full; an administrator's view is audited.
#[utoipa::path(get, path = "/teachers/{id}", tag = "teachers", responses((status = 200, body = TeacherDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<TeacherDto>> {
    Ok(Json(TeacherDto::full(
        teachers::get_full(&state.db, &me.ctx, &id).await?,
    )))
}

/// Correct a name or ID number (district_admin, city_admin), transfer to another school
/// (district_admin, city_admin: a school_admin gets 403 and files a transfer request
/// instead), or mark departed.
#[utoipa::path(patch, path = "/teachers/{id}", tag = "teachers", request_body = UpdateTeacher,
    responses((status = 200, body = TeacherDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<UpdateTeacher>,
) -> AppResult<Json<TeacherDto>> {
    Ok(Json(TeacherDto::full(
        teachers::update(&state.db, &me.ctx, &id, input).await?,
    )))
}
