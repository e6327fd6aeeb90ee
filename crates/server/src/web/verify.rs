//! The public page a certificate's QR code opens: whether the certificate still stands,
//! for whom (name masked), which year and how many hours. No login.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, HeaderValue};
use axum::response::Response;

use super::{PageError, render};
use crate::error::AppError;
use crate::services::certificates::{Verification, check};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    /// `None`: an unknown or altered code.
    result: Option<Verification>,
    issuer: String,
}

pub async fn page(
    State(state): State<AppState>,
    crate::auth::extract::ClientIp(ip): crate::auth::extract::ClientIp,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    state.limits.check_address(&ip)?;
    let (result, status) = match check(&state.db, &code).await {
        Ok(v) => (Some(v), StatusCode::OK),
        Err(AppError::NotFound) => (None, StatusCode::NOT_FOUND),
        Err(e) => return Err(e.into()),
    };
    let issuer = {
        let mut c = state.db.pool().acquire().await?;
        crate::services::orgs::city(&mut c).await?.name
    };
    let mut response = render(&VerifyPage { result, issuer })?;
    *response.status_mut() = status;
    // The answer changes if the records are corrected: never serve a stale one.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
