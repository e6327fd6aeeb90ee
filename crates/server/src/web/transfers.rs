//! 调动申请: a school asks from the teacher's page; the receiving school's district (or the
//! city) approves or rejects here, each with a confirmation naming the teacher and the
//! schools. Everything goes through `services::transfers`, as the API does.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{OrgKind, OrgStatus, TransferStatus};

use super::forms::{DecisionForm, FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render, shown_time};
use crate::error::AppError;
use crate::services::orgs::{self, OrgFilter};
use crate::services::transfers::{self, NewTransfer, TransferFilter, TransferRequest};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

/// The open schools of a district a teacher may be sent to. School names are public (they
/// are on every certificate), so a school administrator may pick among another district's.
pub(super) async fn destinations(
    state: &AppState,
    district_id: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let mut c = state.db.pool().acquire().await?;
    let filter = OrgFilter {
        kind: Some(OrgKind::School),
        status: Some(OrgStatus::Active),
        district_id: Some(district_id.to_owned()),
        limit: Some(500),
        ..Default::default()
    };
    let page = orgs::all(&mut c, &filter).await?;
    Ok(page.items.into_iter().map(|o| (o.id, o.name)).collect())
}

pub struct Row {
    pub id: String,
    pub teacher: String,
    pub id_number: String,
    pub from_school: String,
    pub to_school: String,
    pub reason: String,
    pub status: &'static str,
    pub pending: bool,
    pub requested_at: String,
    pub decided: String,
    /// May this visitor approve or reject it / withdraw it?
    pub decidable: bool,
    pub cancellable: bool,
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    layout: Layout,
    flash: Option<String>,
    error: Option<String>,
    status: String,
    rows: Vec<Row>,
    next: Option<String>,
    /// A school administrator's page lists its own requests; a district's what it decides.
    requester: bool,
}

#[derive(Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

async fn rows(
    state: &AppState,
    user: &WebUser,
    items: Vec<TransferRequest>,
) -> Result<Vec<Row>, AppError> {
    let mut c = state.db.pool().acquire().await?;
    let teacher_ids: Vec<String> = items.iter().map(|r| r.teacher_id.clone()).collect();
    let numbers =
        crate::services::teachers::masked_numbers(&mut c, state.db.vault(), &teacher_ids).await?;
    let school_ids: Vec<String> = items.iter().map(|r| r.to_school_id.clone()).collect();
    let places: std::collections::HashMap<String, xueshi_domain::authz::OrgPlace> =
        orgs::by_ids(&mut c, &school_ids)
            .await?
            .into_iter()
            .map(|o| (o.id.clone(), o.place()))
            .collect();
    let actor = &user.me.ctx.actor;
    let requester = authz::role_allows(actor.role, Action::RequestTransfer);
    Ok(items
        .into_iter()
        .map(|r| {
            let pending = r.status == TransferStatus::Pending;
            let decidable = pending
                && places
                    .get(&r.to_school_id)
                    .is_some_and(|p| authz::may_decide_transfer(actor, p));
            let cancellable = pending && requester && r.from_school_id == actor.org_id;
            let decided = super::decided_text(r.decided_at, r.decision_reason.as_deref());
            Row {
                id_number: numbers.get(&r.teacher_id).cloned().unwrap_or_default(),
                status: r.status.label_zh(),
                requested_at: shown_time(r.requested_at, false),
                id: r.id,
                teacher: r.teacher_name,
                from_school: r.from_school_name,
                to_school: r.to_school_name,
                reason: r.reason,
                pending,
                decided,
                decidable,
                cancellable,
            }
        })
        .collect())
}

async fn page(
    state: &AppState,
    user: WebUser,
    q: ListQuery,
    error: Option<String>,
) -> Result<TransfersPage, AppError> {
    let status = super::status_filter(q.status.as_deref(), TransferStatus::Pending)?;
    let filter = TransferFilter {
        status,
        cursor: q.cursor.clone(),
        limit: Some(50),
        ..Default::default()
    };
    let found = transfers::list(&state.db, &user.me.ctx, &filter).await?;
    let rows = rows(state, &user, found.items).await?;
    Ok(TransfersPage {
        requester: authz::role_allows(user.me.ctx.actor.role, Action::RequestTransfer),
        layout: user.layout,
        flash: q.done.as_deref().and_then(flash_text).map(str::to_owned),
        error,
        status: super::shown_status(q.status),
        rows,
        next: found.next_cursor,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    Ok(render(&page(&state, user, q, None).await?)?)
}

pub async fn review(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let input = form.decision();
    match transfers::decide(&state.db, &user.me.ctx, &id, input).await {
        Ok(r) if r.status == TransferStatus::Approved => {
            Ok(done("/transfers", "transfer_approved"))
        }
        Ok(_) => Ok(done("/transfers", "transfer_rejected")),
        Err(e) => refused(&state, user, e).await,
    }
}

/// The list again with the refusal on top, kept in view.
async fn refused(state: &AppState, user: WebUser, e: AppError) -> PageResult {
    let message = FormErrors::from_error(e)?.first_message();
    let page = page(state, user, ListQuery::default(), message).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct CancelForm {
    csrf: String,
    /// The teacher's page, when withdrawn from there.
    #[serde(default)]
    back: String,
}

pub async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    // Only back to one of our own pages.
    let back = if form.back.starts_with("/teachers/") && !form.back.contains("//") {
        form.back.clone()
    } else {
        "/transfers".to_owned()
    };
    match transfers::cancel(&state.db, &user.me.ctx, &id).await {
        Ok(_) => Ok(done(&back, "transfer_cancelled")),
        Err(e) => refused(&state, user, e).await,
    }
}

#[derive(Deserialize)]
pub struct RequestForm {
    csrf: String,
    #[serde(default)]
    school_id: String,
    #[serde(default)]
    reason: String,
}

/// 申请调动, from the teacher's page.
pub async fn request(
    State(state): State<AppState>,
    user: WebUser,
    Path(teacher_id): Path<String>,
    Form(form): Form<RequestForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let input = NewTransfer {
        school_id: form.school_id,
        reason: form.reason,
    };
    match transfers::request(&state.db, &user.me.ctx, &teacher_id, input).await {
        Ok(_) => Ok(done(
            &format!("/teachers/{teacher_id}"),
            "transfer_requested",
        )),
        Err(e) => {
            let message = FormErrors::from_error(e)?
                .first_message()
                .unwrap_or_default();
            super::registry::show_with_error(&state, user, &teacher_id, message).await
        }
    }
}
