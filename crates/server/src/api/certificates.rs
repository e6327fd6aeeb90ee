//! Certificates of a verified year: the HTTP face of `services::certificates` — a teacher's
//! PDF, a school's or district's ZIP, and the public check of a certificate's code (this API
//! answers `/api/v1/verify/{code}`).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use super::params::year;
use crate::auth::CurrentUser;
use crate::downloads::attachment;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::certificates::{self as service, BulkQuery, Verification};
use crate::services::exports::Download;
use crate::state::AppState;

/// The certificate routes. `{year}.pdf` and `{year}.zip` cannot be axum routes (a parameter
/// must fill its path segment), so those take the whole file name and the OpenAPI document
/// shows them as API.md names them.
pub fn router() -> OpenApiRouter<AppState> {
    #[derive(OpenApi)]
    #[openapi(paths(teacher_pdf, bulk_zip))]
    struct FileRoutes;

    let mut router = OpenApiRouter::new()
        .routes(routes!(verify))
        .route("/teachers/{id}/certificates/{file}", get(teacher_pdf))
        .route("/certificates/{file}", get(bulk_zip));
    router.get_openapi_mut().merge(FileRoutes::openapi());
    router
}

/// The year in a file name such as `2024.pdf`.
fn file_year(file: &str, extension: &str) -> AppResult<i32> {
    let stem = file.strip_suffix(extension).ok_or(AppError::NotFound)?;
    year(stem)
}

/// A teacher's certificate of a passed year, as a one-page A4 PDF with a QR code that opens
/// the public check. The teacher themself, or administrators in scope; 404 outside the
/// scope or before the year is verified, 409 when the year was not passed. Audited
/// (`certificate.download`).
#[utoipa::path(get, path = "/teachers/{id}/certificates/{year}.pdf", tag = "reports",
    params(("id" = String, Path, description = "The teacher"), ("year" = i32, Path, description = "A verified year")),
    responses((status = 200, content_type = "application/pdf", description = "The certificate"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn teacher_pdf(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let year = file_year(&file, ".pdf")?;
    let pdf = service::teacher_pdf(&state.db, &me.ctx, &state.config, &id, year).await?;
    Ok(attachment(Download {
        filename: format!("certificate-{year}.pdf"),
        chinese_name: format!("{}-{year}年度继续教育学时证明.pdf", pdf.teacher_name),
        content_type: "application/pdf",
        bytes: pdf.pdf,
    }))
}

/// Every passed teacher's certificate of a year in a school or district, as one ZIP
/// (`{school}-{name}-{year}.pdf` each). School, district and city administrators, in
/// their scope; the city names a school or district. The ZIP is streamed as it is made,
/// so memory stays bounded however many teachers there are. 409 when no one passed;
/// audited (`certificate.bulk_download`).
#[utoipa::path(get, path = "/certificates/{year}.zip", tag = "reports",
    params(("year" = i32, Path, description = "A verified year"), BulkQuery),
    responses((status = 200, content_type = "application/zip", description = "One PDF per passed teacher"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn bulk_zip(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<BulkQuery>,
) -> AppResult<Response> {
    let year = file_year(&file, ".zip")?;
    let zip = service::bulk_zip(&state.db, &me.ctx, &state.config, year, &q).await?;
    let body = Body::from_stream(futures_util::stream::unfold(zip.body, |mut rx| async {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let chinese = format!("{}-{year}年度继续教育学时证明.zip", zip.org.name);
    let disposition = crate::downloads::disposition(&format!("certificates-{year}.zip"), &chinese);
    Ok((
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// Check a certificate (public, no login): what the code on it certifies, from the current
/// records. An unknown or altered code is 404; a certificate whose pass was since taken
/// away answers `valid: false, revoked: true`.
#[utoipa::path(get, path = "/verify/{code}", tag = "reports", security(()),
    params(("code" = String, Path, description = "The code from the certificate's QR code")),
    responses((status = 200, body = Verification), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "over `XUESHI_ADDRESS_RATE` lookups a minute from this address")))]
pub async fn verify(
    State(state): State<AppState>,
    _limit: crate::auth::extract::PublicLookup,
    Path(code): Path<String>,
) -> AppResult<Json<Verification>> {
    Ok(Json(service::check(&state.db, &code).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_year() {
        assert_eq!(file_year("2024.pdf", ".pdf").unwrap(), 2024);
        assert!(file_year("2024.zip", ".pdf").is_err());
        assert!(file_year("abcd.pdf", ".pdf").is_err());
    }
}
