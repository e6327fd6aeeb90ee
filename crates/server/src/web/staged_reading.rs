//! 识别结果 on the new-declaration form, before the declaration exists: a certificate photo
//! chosen there is stored at once and read in the background, and the form polls for what it
//! says and offers each field with one tap (请核对). The page's script sends the photo here
//! and carries the returned token with the form, so the photo is uploaded once; without
//! the script, the form uploads it on submitting, as always.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::ReadingStatus;

use super::forms::checked_file;
use super::layout::WebUser;
use super::reading::{ReadingShown, shown_reading};
use super::{PageError, render};
use crate::error::AppError;
use crate::services::evidence_staging;
use crate::state::AppState;

/// How many times a page asks, two seconds apart, before it says the reading is slow.
const MAX_POLLS: u32 = 60;

/// The included reading part reads `e.reading`.
pub struct Item {
    pub reading: Option<ReadingShown>,
}

#[derive(Template)]
#[template(path = "staged_reading_part.html")]
struct Part {
    token: String,
    /// Ask again (with this count) while the reading is pending.
    poll: Option<u32>,
    slow: bool,
    /// Why the file was not taken.
    error: Option<String>,
    e: Item,
}

/// Stores the chosen certificate and queues it to be read; the part with its token.
pub async fn stage(
    State(state): State<AppState>,
    user: WebUser,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let file = checked_file(&user, multipart).await?;
    if !state.config.evidence_reading {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    let Some(file) = file else {
        return refused("请选择证书照片或 PDF 文件");
    };
    match evidence_staging::stage_to_read(&state.db, &state.files, &user.me.ctx, file).await {
        Ok((token, _)) => Ok(part(token, None, 0)?),
        Err(AppError::Internal(e)) => Err(AppError::Internal(e).into()),
        Err(e) => refused(&e.message()),
    }
}

#[derive(Deserialize)]
pub struct PollQuery {
    token: String,
    #[serde(default)]
    n: u32,
}

/// The staged certificate's reading as it stands; asks again while it is pending.
pub async fn poll(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<PollQuery>,
) -> Result<Response, PageError> {
    match evidence_staging::reading(&state.db, &user.me.ctx, &q.token).await {
        Ok(reading) => Ok(part(q.token, reading, q.n)?),
        Err(AppError::Internal(e)) => Err(AppError::Internal(e).into()),
        Err(e) => refused(&e.message()),
    }
}

fn part(
    token: String,
    reading: Option<(
        crate::services::evidence::Ready,
        crate::services::reading_view::Reading,
    )>,
    polls: u32,
) -> Result<Response, AppError> {
    let pending = reading
        .as_ref()
        .is_none_or(|(_, r)| r.status == ReadingStatus::Pending);
    let slow = pending && polls >= MAX_POLLS;
    let shown = reading
        .as_ref()
        .map(|(ready, r)| shown_reading(r, ready.content_type.starts_with("image/"), true));
    render(&Part {
        token,
        poll: (pending && !slow).then_some(polls + 1),
        slow,
        error: None,
        e: Item { reading: shown },
    })
}

/// A file the platform would not take: said beside the field; the form keeps the file, so
/// submitting reports it as usual.
fn refused(message: &str) -> Result<Response, PageError> {
    let page = render(&Part {
        token: String::new(),
        poll: None,
        slow: false,
        error: Some(message.to_owned()),
        e: Item { reading: None },
    })?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
