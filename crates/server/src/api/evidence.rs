//! Evidence files of a declaration: upload, download, removal.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::response::IntoResponse;
use serde::Serialize;
use xueshi_store::models::Evidence;

use super::extract::ApiQuery;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::evidence::{self, Upload};
use crate::services::reading_view::{self, ReadingView};
use crate::services::thumbnails;
use crate::services::time_text;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct EvidenceDto {
    pub id: String,
    /// `certificate | translation | hours_proof`
    pub kind: String,
    /// SHA-256 of the stored (and served) file: images lose their metadata on upload.
    pub sha256: String,
    /// SHA-256 of the file as uploaded.
    pub original_sha256: String,
    pub size: i64,
    pub content_type: String,
    pub created_at: String,
    /// Where the file is served (to the teacher and the reviewers in scope).
    pub url: String,
    /// What the platform read off the file (证书识别).
    pub reading: ReadingView,
}

impl EvidenceDto {
    pub fn of(e: Evidence, reading: ReadingView) -> EvidenceDto {
        EvidenceDto {
            reading,
            url: format!(
                "/api/v1/declarations/{}/evidence/{}",
                e.declaration_id, e.id
            ),
            id: e.id,
            kind: e.kind,
            sha256: e.sha256,
            original_sha256: e.original_sha256,
            size: e.size,
            content_type: e.content_type,
            created_at: time_text(e.created_at),
        }
    }
}

/// Read the `kind` and `file` fields of an evidence upload.
async fn upload_fields(mut multipart: Multipart) -> AppResult<Upload> {
    let mut upload = Upload {
        kind: None,
        file: None,
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("file") => upload.file = Some(field.bytes().await.map_err(multipart_error)?),
            Some("kind") => upload.kind = Some(field.text().await.map_err(multipart_error)?),
            _ => {}
        }
    }
    Ok(upload)
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest(format!("上传内容格式错误：{e}"))
    }
}

/// Attach evidence (multipart `file` and `kind`): JPEG, PNG or PDF by content, at most 20 MB.
#[utoipa::path(post, path = "/declarations/{id}/evidence", tag = "declarations",
    request_body(content_type = "multipart/form-data", description = "fields `file` and `kind` (certificate | translation | hours_proof)"),
    responses((status = 201, body = EvidenceDto), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    multipart: Multipart,
) -> AppResult<(StatusCode, Json<EvidenceDto>)> {
    let fields = upload_fields(multipart).await?;
    let file = evidence::upload(&state.db, &state.files, &me.ctx, &id, fields).await?;
    // Just uploaded: its reading has not begun.
    let reading = reading_view::view(&file, None, state.config.evidence_reading);
    Ok((StatusCode::CREATED, Json(EvidenceDto::of(file, reading))))
}

/// The evidence file itself, for the teacher and the reviewers in scope.
#[utoipa::path(get, path = "/declarations/{id}/evidence/{evidence_id}", tag = "declarations",
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, evidence_id)): Path<(String, String)>,
) -> AppResult<impl IntoResponse> {
    let (file, bytes) =
        evidence::download(&state.db, &state.files, &me.ctx, &id, &evidence_id).await?;
    Ok(served_file(&file, bytes))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ThumbnailQuery {
    /// `small` (320 px, the default) or `large` (1600 px).
    #[param(inline)]
    pub size: Option<thumbnails::Size>,
}

/// A JPEG preview of a file (of a PDF, its first page): small for the review queue, large for
/// the review page; 404 for a PDF that cannot be rendered.
#[utoipa::path(get, path = "/declarations/{id}/evidence/{evidence_id}/thumbnail", tag = "declarations",
    params(ThumbnailQuery),
    responses((status = 200, content_type = "image/jpeg"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn thumbnail(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, evidence_id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ThumbnailQuery>,
) -> AppResult<impl IntoResponse> {
    let size = q.size.unwrap_or(thumbnails::Size::Small);
    let bytes =
        thumbnails::thumbnail(&state.db, &state.files, &me.ctx, &id, &evidence_id, size).await?;
    Ok((
        [
            (CONTENT_TYPE, "image/jpeg"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (CONTENT_DISPOSITION, "inline"),
            (CONTENT_SECURITY_POLICY, FILE_CSP),
            // An evidence file never changes: a queue revisited loads nothing again.
            (CACHE_CONTROL, "private, max-age=86400"),
        ],
        bytes,
    ))
}

/// An uploaded file as served: the type from the kind stored, never from the upload;
/// pictures `inline` in a sandbox with nothing allowed to load, PDFs as downloads (browsers'
/// PDF viewers do not run in a sandbox, and a download never runs in the platform's origin).
fn served_file(file: &Evidence, bytes: axum::body::Bytes) -> axum::response::Response {
    let (content_type, extension, disposition) = match file.content_type.as_str() {
        "image/jpeg" => ("image/jpeg", "jpg", "inline"),
        "image/png" => ("image/png", "png", "inline"),
        _ => ("application/pdf", "pdf", "attachment"),
    };
    let disposition = format!(
        "{disposition}; filename=\"evidence-{}.{extension}\"",
        file.id
    );
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CONTENT_SECURITY_POLICY, FILE_CSP.to_owned()),
            (CACHE_CONTROL, "private, no-cache".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// Served uploads may load nothing and run nothing (API.md).
const FILE_CSP: &str = "default-src 'none'; sandbox";

/// Remove a file from a draft or returned declaration.
#[utoipa::path(delete, path = "/declarations/{id}/evidence/{evidence_id}", tag = "declarations",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, evidence_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    evidence::remove(&state.db, &me.ctx, &id, &evidence_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
