use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::dto::{TemporaryPassword, UserDto};
use super::extract::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::services::credentials;
use crate::services::users::{self, CreateUser};
use crate::state::AppState;

/// Create an administrator account for an organisation in the caller's scope.
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<CreateUser>,
) -> AppResult<(StatusCode, Json<UserDto>)> {
    let user = users::create(&state.db, &me.ctx, input).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Reset a user's password (a level above them): a temporary password, shown once.
#[utoipa::path(post, path = "/users/{id}/password-reset", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = TemporaryPassword), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn password_reset(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<TemporaryPassword>> {
    let temporary_password = credentials::reset_password(&state, &me.ctx, &id).await?;
    Ok(Json(TemporaryPassword { temporary_password }))
}

/// Remove a user's second factor (a level above them): they enrol again at the next login.
#[utoipa::path(post, path = "/users/{id}/mfa-reset", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mfa_reset(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    credentials::reset_mfa(&state, &me.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
