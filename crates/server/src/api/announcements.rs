//! Announcements (通知公告) with attachments, and consultation contacts (答疑联系人).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::dto::List;
use super::extract::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::downloads::attachment as download;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::announcements::{
    self, Announcement, Attachment, Contacts, Publish, PutContacts,
};
use crate::services::exports::Download;
use crate::services::time_text;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct AttachmentDto {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

impl From<Attachment> for AttachmentDto {
    fn from(a: Attachment) -> AttachmentDto {
        AttachmentDto {
            id: a.id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AnnouncementDto {
    pub id: String,
    /// The publisher: the city or a district.
    pub org_id: String,
    pub org_name: String,
    pub title: String,
    pub body: String,
    pub created_at: String,
    pub attachments: Vec<AttachmentDto>,
}

fn dto(a: Announcement, files: Vec<Attachment>) -> AnnouncementDto {
    AnnouncementDto {
        id: a.id,
        org_id: a.org_id,
        org_name: a.org_name,
        title: a.title,
        body: a.body,
        created_at: time_text(a.created_at),
        attachments: files.into_iter().map(AttachmentDto::from).collect(),
    }
}

/// Publish a notice to everyone in the caller's scope (city or district administrators).
#[utoipa::path(post, path = "/announcements", tag = "announcements", request_body = Publish,
    responses((status = 201, body = AnnouncementDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<Publish>,
) -> AppResult<(StatusCode, Json<AnnouncementDto>)> {
    let a = announcements::publish(&state.db, &me.ctx, input).await?;
    Ok((StatusCode::CREATED, Json(dto(a, Vec::new()))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The notices for the caller — the city's and their district's — newest first.
#[utoipa::path(get, path = "/announcements", tag = "announcements", params(PageQuery),
    responses((status = 200, body = List<AnnouncementDto>)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<List<AnnouncementDto>>> {
    let (items, next_cursor) =
        announcements::list(&state.db, &me.ctx, q.cursor.as_deref(), q.limit).await?;
    Ok(Json(List {
        items: items.into_iter().map(|(a, f)| dto(a, f)).collect(),
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/announcements/{id}", tag = "announcements",
    responses((status = 200, body = AnnouncementDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<AnnouncementDto>> {
    let mut c = state.db.pool().acquire().await?;
    let (a, files) = announcements::visible(&mut c, &me.ctx, &id).await?;
    Ok(Json(dto(a, files)))
}

/// Withdraw a notice the caller's organisation published.
#[utoipa::path(delete, path = "/announcements/{id}", tag = "announcements",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    announcements::withdraw(&state.db, &me.ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The `file` field of a multipart upload with its file name.
async fn named_file(mut multipart: Multipart) -> AppResult<(Option<String>, Bytes)> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest(format!("上传内容格式错误：{e}"))
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        if field.name() == Some("file") {
            let name = field.file_name().map(str::to_owned);
            return Ok((name, field.bytes().await.map_err(broken)?));
        }
    }
    Err(AppError::invalid("file", "请上传文件（字段名 file）"))
}

/// Attach a file to the caller's notice: PDF, JPEG, PNG, Word, Excel or PowerPoint (judged by
/// content), at most 20 MB, at most 10 per notice.
#[utoipa::path(post, path = "/announcements/{id}/attachments", tag = "announcements",
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = AttachmentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn attach(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    multipart: Multipart,
) -> AppResult<(StatusCode, Json<AttachmentDto>)> {
    me.ctx
        .require(xueshi_domain::authz::Action::PublishNotices)?;
    let (name, bytes) = named_file(multipart).await?;
    let a = announcements::attach(
        &state.db,
        &state.files,
        &me.ctx,
        &id,
        name.as_deref(),
        bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Download an attachment of a notice the caller may read.
#[utoipa::path(get, path = "/announcements/{id}/attachments/{attachment_id}", tag = "announcements",
    responses((status = 200, description = "the file"), (status = 404, body = ErrorBody)))]
pub async fn attachment(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, attachment_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (a, bytes) =
        announcements::attachment(&state.db, &state.files, &me.ctx, &id, &attachment_id).await?;
    let ascii = match a.filename.rsplit_once('.') {
        Some((_, ext)) if ext.is_ascii() => format!("attachment.{ext}"),
        _ => "attachment".into(),
    };
    let content_type: &'static str = match a.content_type.as_str() {
        "application/pdf" => "application/pdf",
        "image/jpeg" => "image/jpeg",
        "image/png" => "image/png",
        t if t.contains("wordprocessingml") => {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        t if t.contains("spreadsheetml") => crate::services::exports::XLSX,
        t if t.contains("presentationml") => {
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        }
        _ => "application/octet-stream",
    };
    Ok(download(Download {
        filename: ascii,
        chinese_name: a.filename,
        content_type,
        bytes: bytes.to_vec(),
    }))
}

/// Replace the consultation contacts (答疑联系人) of a district (its own administrators or the
/// city) or of the city.
#[utoipa::path(put, path = "/orgs/{id}/contacts", tag = "announcements", request_body = PutContacts,
    responses((status = 200, body = Contacts), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PutContacts>,
) -> AppResult<Json<Contacts>> {
    Ok(Json(
        announcements::put_contacts(&state.db, &me.ctx, &id, input).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ContactsQuery {
    /// A district (or the city) in the caller's view; default: the caller's own district.
    pub org_id: Option<String>,
}

/// The consultation contacts for the caller: their district's (the city's for city-affiliated
/// schools).
#[utoipa::path(get, path = "/contacts", tag = "announcements", params(ContactsQuery),
    responses((status = 200, body = Contacts), (status = 404, body = ErrorBody)))]
pub async fn contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ContactsQuery>,
) -> AppResult<Json<Contacts>> {
    Ok(Json(
        announcements::contacts(&state.db, &me.ctx, q.org_id.as_deref()).await?,
    ))
}
