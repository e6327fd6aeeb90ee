use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::dto::{LoginResponse, MfaVerified, UserDto};
use super::extract::ApiJson;
use crate::auth::extract::PublicLookup;
use crate::auth::{ClientIp, Session};
use crate::error::{AppResult, ErrorBody};
use crate::services::auth::{self, Login};
use crate::services::credentials::{self, Forgot, ResetWithCode};
use crate::services::sign_in::{self, ChangePassword, Enrolment, MfaCode};
use crate::state::AppState;

/// Log in with a username (a teacher's ID number) and password; answers a bearer token and
/// the sign-in step still owed (`next`).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<Login>,
) -> AppResult<Json<LoginResponse>> {
    let done = auth::login(&state, input, &ip, "bearer").await?;
    Ok(Json(done.into()))
}

/// Revoke the session this request was made with (pending sessions too).
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, me: Session) -> AppResult<StatusCode> {
    auth::logout(&state.db, &me.ctx, &me.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user (pending sessions too).
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)))]
pub async fn me(me: Session) -> Json<UserDto> {
    Json(me.user.into())
}

/// A new authenticator secret for a session owing `mfa_enroll`.
#[utoipa::path(post, path = "/auth/mfa/enroll", tag = "auth",
    responses((status = 200, body = Enrolment), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn mfa_enroll(State(state): State<AppState>, me: Session) -> AppResult<Json<Enrolment>> {
    Ok(Json(sign_in::enroll(&state, &me).await?))
}

/// A TOTP or recovery code: answers a new token (the pending one ends).
#[utoipa::path(post, path = "/auth/mfa/verify", tag = "auth", request_body = MfaCode,
    responses((status = 200, body = MfaVerified), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn mfa_verify(
    State(state): State<AppState>,
    me: Session,
    ApiJson(input): ApiJson<MfaCode>,
) -> AppResult<Json<MfaVerified>> {
    let verified = sign_in::verify(&state, &me, input).await?;
    let done = verified.done;
    Ok(Json(MfaVerified {
        token: done.token,
        user: done.user.into(),
        next: done.next,
        recovery_codes: verified.recovery_codes,
    }))
}

/// Change one's own password: a new token; every other session of the user ends.
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = ChangePassword,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    me: Session,
    ApiJson(input): ApiJson<ChangePassword>,
) -> AppResult<Json<LoginResponse>> {
    Ok(Json(
        sign_in::change_password(&state, &me, input).await?.into(),
    ))
}

/// Send a one-time code to the user's registered phone; 202 whatever the username.
#[utoipa::path(post, path = "/auth/password/forgot", tag = "auth", request_body = Forgot,
    responses((status = 202), (status = 429, body = ErrorBody)))]
pub async fn forgot_password(
    State(state): State<AppState>,
    _limit: PublicLookup,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<Forgot>,
) -> AppResult<StatusCode> {
    credentials::forgot(&state, input, &ip).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the code sent by `/auth/password/forgot`.
#[utoipa::path(post, path = "/auth/password/reset", tag = "auth", request_body = ResetWithCode,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<ResetWithCode>,
) -> AppResult<Json<LoginResponse>> {
    let done = credentials::reset_with_code(&state, input, &ip, "bearer").await?;
    Ok(Json(done.into()))
}
