//! A teacher's records on the registry page, and 取消学时登记 from there: a reason is
//! required and the page asks first, naming the record (district of the teacher's school,
//! or the city).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use xueshi_domain::RecordStatus;
use xueshi_domain::authz::{self, Action};
use xueshi_store::models::Record;

use super::PageError;
use super::forms::{FormErrors, check_csrf, done};
use super::layout::WebUser;
use crate::error::AppError;
use crate::services::records::{self, Revoke};
use crate::state::AppState;

pub struct RecordRow {
    pub id: String,
    pub year: i32,
    pub title: String,
    pub category: &'static str,
    pub source: &'static str,
    pub hours: String,
    pub revoked: bool,
    pub revoke_reason: String,
    /// Carry-over records follow from the previous year's result and are never revoked.
    pub revocable: bool,
}

/// The teacher's records for the page, newest year first; empty for a role that reads no
/// ledger.
pub async fn rows(
    state: &AppState,
    user: &WebUser,
    teacher_id: &str,
) -> Result<Vec<RecordRow>, AppError> {
    if !authz::role_allows(user.me.ctx.actor.role, Action::ReadLedger) {
        return Ok(Vec::new());
    }
    let mut found: Vec<Record> = records::list(&state.db, &user.me.ctx, teacher_id, None).await?;
    found.sort_by(|a, b| b.year.cmp(&a.year).then(b.created_at.cmp(&a.created_at)));
    Ok(found
        .into_iter()
        .map(|r| RecordRow {
            revoked: r.status == RecordStatus::Revoked,
            revocable: r.status != RecordStatus::Revoked
                && r.source != xueshi_domain::Source::CarryOver,
            revoke_reason: r.revoke_reason.clone().unwrap_or_default(),
            category: r.category.label_zh(),
            source: r.source.label_zh(),
            hours: r.hours.to_string(),
            title: r.title,
            year: r.year,
            id: r.id,
        })
        .collect())
}

/// Whether the page offers 取消学时登记.
pub fn can_revoke(user: &WebUser) -> bool {
    authz::role_allows(user.me.ctx.actor.role, Action::RevokeRecord)
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    user: WebUser,
    Path((teacher_id, record_id)): Path<(String, String)>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.csrf)?;
    let back = format!("/teachers/{teacher_id}");
    // The record must be this teacher's, as the page showed it.
    let listed = records::list(&state.db, &user.me.ctx, &teacher_id, None).await?;
    if !listed.iter().any(|r| r.id == record_id) {
        return Err(AppError::NotFound.into());
    }
    match records::revoke(
        &state.db,
        &user.me.ctx,
        &record_id,
        Revoke {
            reason: form.reason,
        },
    )
    .await
    {
        Ok(_) => Ok(done(&back, "revoked")),
        Err(e) => {
            let message = FormErrors::from_error(e)?
                .first_message()
                .unwrap_or_default();
            super::registry::show_with_error(&state, user, &teacher_id, message).await
        }
    }
}
