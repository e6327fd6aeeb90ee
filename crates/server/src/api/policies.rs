use axum::Json;
use axum::extract::{Path, State};
use xueshi_domain::{Policy, PolicyInput};

use super::extract::ApiJson;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::policies;
use crate::state::AppState;

fn year(raw: &str) -> AppResult<i32> {
    raw.parse()
        .map_err(|_| AppError::BadRequest("年度应为四位数字".into()))
}

/// Create or replace a year's policy (city only).
#[utoipa::path(put, path = "/policies/{year}", tag = "policies", request_body = PolicyInput,
    responses((status = 200, body = Policy), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
    ApiJson(input): ApiJson<PolicyInput>,
) -> AppResult<Json<Policy>> {
    Ok(Json(
        policies::put(&state.db, &me.ctx, year(&raw)?, input).await?,
    ))
}

#[utoipa::path(get, path = "/policies/{year}", tag = "policies", responses((status = 200, body = Policy), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _me: CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<Json<Policy>> {
    Ok(Json(policies::get(&state.db, year(&raw)?).await?))
}
