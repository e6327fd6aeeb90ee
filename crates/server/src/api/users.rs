use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::dto::UserDto;
use super::extract::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
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
