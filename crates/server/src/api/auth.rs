use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::dto::{LoginResponse, UserDto};
use super::extract::ApiJson;
use crate::auth::{ClientIp, CurrentUser};
use crate::error::{AppResult, ErrorBody};
use crate::services::auth::{self, Login};
use crate::state::AppState;

/// Log in with a username (a teacher's ID number) and password; answers a bearer token.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<Login>,
) -> AppResult<Json<LoginResponse>> {
    let done = auth::login(&state.db, input, &ip, "bearer", state.config.session_hours).await?;
    Ok(Json(LoginResponse {
        token: done.token,
        user: done.user.into(),
    }))
}

/// Revoke the session this request was made with.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, me: CurrentUser) -> AppResult<StatusCode> {
    auth::logout(&state.db, &me.ctx, &me.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user.
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)))]
pub async fn me(me: CurrentUser) -> Json<UserDto> {
    Json(me.user.into())
}
