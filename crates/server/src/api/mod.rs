//! The JSON API under `/api/v1` (API.md), with its OpenAPI document generated from the
//! handlers' annotations.

mod announcements;
pub mod audit;
mod auth;
pub(crate) mod certificates;
mod corrections;
mod declarations;
pub mod dto;
mod evidence;
pub mod exports;
pub mod extract;
mod ledger;
mod notifications;
mod openapi_doc;
mod orgs;
mod params;
mod policies;
mod reports;
mod school_applications;
mod teachers;
mod transfers;
mod users;
mod verification;

use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Xueshi 学时 API", version = "1", description = "继续教育学时申报、审核与验证平台"),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    // Query enums the handlers take by reference.
    components(schemas(
        crate::services::exports::FileFormat,
        crate::services::reports::ShortOf,
        params::ReportFormat
    )),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes (relative to `/api/v1`) and the OpenAPI document describing them.
pub fn router() -> Router<AppState> {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::mfa_enroll))
        .routes(routes!(auth::mfa_verify))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::forgot_password))
        .routes(routes!(auth::reset_password))
        .routes(routes!(orgs::city))
        .routes(routes!(orgs::create, orgs::list))
        .routes(routes!(orgs::get, orgs::update))
        .routes(routes!(users::create))
        .routes(routes!(users::password_reset))
        .routes(routes!(users::mfa_reset))
        .routes(routes!(teachers::create, teachers::list))
        .routes(routes!(teachers::get, teachers::update))
        .routes(routes!(corrections::create))
        .routes(routes!(corrections::list))
        .routes(routes!(corrections::review))
        .routes(routes!(corrections::remind))
        .routes(routes!(
            school_applications::create,
            school_applications::list
        ))
        .routes(routes!(school_applications::districts))
        .routes(routes!(school_applications::review))
        .routes(routes!(transfers::create))
        .routes(routes!(transfers::list))
        .routes(routes!(transfers::get))
        .routes(routes!(transfers::review))
        .routes(routes!(transfers::cancel))
        .routes(routes!(policies::put, policies::get))
        .routes(routes!(audit::list))
        .routes(routes!(ledger::create_course))
        .routes(routes!(ledger::complete_course))
        .routes(routes!(ledger::create_training, ledger::list_trainings))
        .routes(routes!(ledger::get_training))
        .routes(routes!(ledger::register))
        .routes(routes!(ledger::import))
        .routes(routes!(ledger::template))
        .routes(routes!(ledger::teacher_records))
        .routes(routes!(ledger::progress))
        .routes(routes!(ledger::revoke))
        .routes(routes!(verification::run))
        .routes(routes!(verification::preview))
        .routes(routes!(verification::job))
        .routes(routes!(verification::list))
        .routes(routes!(verification::teacher_result))
        .routes(routes!(declarations::create, declarations::list))
        .routes(routes!(declarations::hours_helper))
        .routes(routes!(
            declarations::get,
            declarations::update,
            declarations::delete
        ))
        .routes(routes!(declarations::copy))
        .routes(evidence_upload())
        .routes(routes!(evidence::download, evidence::remove))
        .routes(routes!(evidence::thumbnail))
        .routes(routes!(declarations::submit))
        .routes(routes!(declarations::withdraw))
        .routes(routes!(declarations::review))
        .routes(routes!(declarations::batch))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::read))
        .routes(routes!(reports::summary))
        .routes(routes!(reports::shortfalls))
        .routes(routes!(reports::allowance))
        .routes(routes!(reports::teacher_archive))
        .routes(routes!(reports::school_archive))
        .routes(routes!(exports::provincial))
        .routes(routes!(exports::reconcile))
        .routes(routes!(announcements::create, announcements::list))
        .routes(routes!(announcements::get, announcements::withdraw))
        .routes(routes!(announcements::attach))
        .routes(routes!(announcements::attachment))
        .routes(routes!(announcements::put_contacts))
        .routes(routes!(announcements::contacts))
        .merge(certificates::router())
        .split_for_parts();
    let mut document = serde_json::to_value(&openapi).expect("the OpenAPI document serialises");
    openapi_doc::complete(&mut document);
    let document = document.to_string();
    router.route(
        "/openapi.json",
        get(move || async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                document,
            )
        }),
    )
}

/// The evidence upload reads bodies up to the server's limit (20 MB files), beyond axum's
/// default of 2 MB for extractors.
fn evidence_upload() -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    let (schemas, paths, method_router) = routes!(evidence::upload);
    let limit = axum::extract::DefaultBodyLimit::max(crate::security::BODY_LIMIT);
    (schemas, paths, method_router.layer(limit))
}

/// axum's own rejections (a path segment that is not a number, a body of the wrong type)
/// are plain text: under `/api/v1` every error answers in the API's format, with its code.
pub async fn errors_as_json(response: axum::response::Response) -> axum::response::Response {
    use crate::error::AppError;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let error = match status {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            AppError::BadRequest(format!("请求内容类型不受支持：{text}"))
        }
        StatusCode::UNPROCESSABLE_ENTITY => {
            AppError::invalid("body", format!("请求内容无效：{text}"))
        }
        StatusCode::UNAUTHORIZED => AppError::Unauthenticated,
        StatusCode::FORBIDDEN => AppError::Forbidden,
        s if s.is_server_error() => AppError::Internal(anyhow::anyhow!("{status}: {text}")),
        StatusCode::METHOD_NOT_ALLOWED => {
            let mut r = AppError::BadRequest("不支持该请求方法".into()).into_response();
            *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            return r;
        }
        _ => AppError::BadRequest(format!("请求格式错误：{text}")),
    };
    error.into_response()
}

/// Unknown API paths answer in the API's error format.
pub async fn not_found() -> crate::error::AppError {
    crate::error::AppError::NotFound
}

pub async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if state.draining.load(std::sync::atomic::Ordering::Acquire) {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "draining" })),
        )
            .into_response();
    }
    match state.db.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable" })),
            )
                .into_response()
        }
    }
}
