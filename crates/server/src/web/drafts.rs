//! 删除草稿 and 撤回: a draft the teacher no longer wants goes (after a question naming it), and a
//! withdrawal leaves a fresh draft with everything filled in, opened for editing.

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::PageError;
use super::declarations::done_with_error;
use super::forms::{FormErrors, check_csrf, checked_file, done};
use super::layout::WebUser;
use crate::services::{declarations, evidence};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn delete(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    match declarations::delete_draft(&state.db, &state.files, &user.me.ctx, &id).await {
        Ok(()) => Ok(done("/home", "draft_deleted")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            Ok(done_with_error(&state, user, &id, errors.general).await?)
        }
    }
}

/// Withdraws, then opens a copy to edit: what the teacher wants after 撤回 is to change
/// something and submit again, not to type it all anew.
pub async fn withdraw(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    let ctx = &user.me.ctx;
    let copied = match declarations::withdraw(&state.db, ctx, &id).await {
        Ok(_) => declarations::copy_withdrawn(&state.db, ctx, &id).await,
        Err(e) => Err(e),
    };
    match copied {
        Ok(copy) => Ok(done(
            &format!("/declarations/{}/edit", copy.declaration.id),
            "withdrawn_copy",
        )),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            Ok(done_with_error(&state, user, &id, errors.general).await?)
        }
    }
}

fn edit_page(id: &str) -> String {
    format!("/declarations/{id}/edit")
}

/// 删除 one file of a draft or returned declaration.
pub async fn remove_file(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, evidence_id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    match evidence::remove(&state.db, &user.me.ctx, &id, &evidence_id).await {
        Ok(()) => Ok(done(&edit_page(&id), "file_removed")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            Ok(done_with_error(&state, user, &id, errors.general).await?)
        }
    }
}

/// 替换 one file by a new photo or scan of the same kind.
pub async fn replace_file(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, evidence_id)): Path<(String, String)>,
    multipart: Multipart,
) -> PageResult {
    let file = checked_file(&user, multipart).await?;
    let ctx = &user.me.ctx;
    match evidence::replace(&state.db, &state.files, ctx, &id, &evidence_id, file).await {
        Ok(_) => Ok(done(&edit_page(&id), "file_replaced")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let message = errors.first_message();
            Ok(done_with_error(&state, user, &id, message).await?)
        }
    }
}
