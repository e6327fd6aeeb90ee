//! 我的信息 with 申请更正 for the teacher, and 更正申请 for the district (or the city) to
//! decide beside the current data — through `services::corrections`, as the API does.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{CorrectionStatus, IdNumber, mask_phone};

use super::forms::{DecisionForm, FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render, shown_time};
use crate::error::AppError;
use crate::services::correction_reminders;
use crate::services::corrections::{self, CorrectionFilter, NewCorrection};
use crate::services::teachers;
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

pub struct PendingView {
    pub changes: String,
    pub requested_at: String,
}

#[derive(Default, Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    flash: Option<String>,
    errors: FormErrors,
    name: String,
    id_number: String,
    school: String,
    phone: String,
    pending: Option<PendingView>,
    form: CorrectionForm,
}

/// “姓名：张三 → 张珊；身份证号：4401**** → 4401****”.
fn changes_text(changes: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut parts = Vec::new();
    for (field, label) in [("name", "姓名"), ("id_number", "身份证号")] {
        if let Some(c) = changes.get(field) {
            parts.push(format!(
                "{label}：{} → {}",
                c["from"].as_str().unwrap_or_default(),
                c["to"].as_str().unwrap_or_default()
            ));
        }
    }
    parts.join("；")
}

async fn profile_page(
    state: &AppState,
    user: WebUser,
    flash: Option<String>,
    errors: FormErrors,
    form: CorrectionForm,
) -> Result<ProfilePage, AppError> {
    let teacher_id = user.me.user.teacher_id.clone().ok_or(AppError::NotFound)?;
    let (teacher, school) = {
        let mut c = state.db.pool().acquire().await?;
        teachers::visible(&mut c, state.db.vault(), &user.me.ctx, &teacher_id).await?
    };
    let pending = match corrections::pending_for(&state.db, &teacher_id).await? {
        Some(r) => {
            let requested_at = shown_time(r.requested_at, false);
            let mut with = corrections::with_changes(&state.db, vec![r]).await?;
            let (_, changes) = with.remove(0);
            Some(PendingView {
                changes: changes_text(&changes),
                requested_at,
            })
        }
        None => None,
    };
    Ok(ProfilePage {
        layout: user.layout,
        flash,
        errors,
        name: teacher.name,
        id_number: IdNumber::mask_str(&teacher.id_number),
        school: school.name,
        phone: teacher
            .phone
            .as_deref()
            .map(mask_phone)
            .unwrap_or_else(|| "未填写".into()),
        pending,
        form,
    })
}

pub async fn profile(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let flash = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    let page = profile_page(
        &state,
        user,
        flash,
        FormErrors::default(),
        CorrectionForm::default(),
    )
    .await?;
    Ok(render(&page)?)
}

pub async fn request(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<CorrectionForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let teacher_id = user.me.user.teacher_id.clone().ok_or(AppError::Forbidden)?;
    let input = NewCorrection {
        name: Some(form.name.clone()),
        id_number: Some(form.id_number.clone()),
        reason: form.reason.clone(),
    };
    match corrections::request(&state.db, &user.me.ctx, &teacher_id, input).await {
        Ok(_) => Ok(done("/profile", "correction_requested")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = profile_page(&state, user, None, errors, form).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

pub struct Row {
    pub id: String,
    pub teacher_id: String,
    pub teacher: String,
    pub school: String,
    pub changes: String,
    pub reason: String,
    pub status: &'static str,
    pub requested_at: String,
    pub decided: String,
    pub decidable: bool,
    /// What the latest check against the provincial roster found for the teacher.
    pub finding: Option<String>,
}

#[derive(Template)]
#[template(path = "corrections.html")]
struct ListPage {
    layout: Layout,
    flash: Option<String>,
    error: Option<String>,
    status: String,
    rows: Vec<Row>,
    next: Option<String>,
}

#[derive(Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: WebUser,
    q: ListQuery,
    error: Option<String>,
) -> Result<ListPage, AppError> {
    user.me.ctx.require(Action::CorrectIdentity)?;
    let status = super::status_filter(q.status.as_deref(), CorrectionStatus::Pending)?;
    let filter = CorrectionFilter {
        status,
        cursor: q.cursor.clone(),
        limit: Some(50),
        ..Default::default()
    };
    let found = corrections::list(&state.db, &user.me.ctx, &filter).await?;
    let school_ids: Vec<String> = found.items.iter().map(|r| r.school_id.clone()).collect();
    let places: std::collections::HashMap<String, xueshi_domain::authz::OrgPlace> = {
        let mut c = state.db.pool().acquire().await?;
        crate::services::orgs::by_ids(&mut c, &school_ids)
            .await?
            .into_iter()
            .map(|o| (o.id.clone(), o.place()))
            .collect()
    };
    let teacher_ids: Vec<String> = found.items.iter().map(|r| r.teacher_id.clone()).collect();
    let findings = correction_reminders::for_teachers(&state.db, &teacher_ids).await?;
    let actor = &user.me.ctx.actor;
    let rows = corrections::with_changes(&state.db, found.items)
        .await?
        .into_iter()
        .map(|(r, changes)| {
            let pending = r.status == CorrectionStatus::Pending;
            Row {
                decidable: pending
                    && places
                        .get(&r.school_id)
                        .is_some_and(|p| authz::may_decide_correction(actor, p)),
                changes: changes_text(&changes),
                status: r.status.label_zh(),
                requested_at: shown_time(r.requested_at, false),
                decided: super::decided_text(r.decided_at, r.decision_reason.as_deref()),
                finding: findings
                    .get(&r.teacher_id)
                    .map(correction_reminders::finding_text),
                id: r.id,
                teacher_id: r.teacher_id,
                teacher: r.teacher_name,
                school: r.school_name,
                reason: r.reason,
            }
        })
        .collect();
    Ok(ListPage {
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
    Ok(render(&list_page(&state, user, q, None).await?)?)
}

pub async fn review(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let input = form.decision();
    match corrections::decide(&state.db, &user.me.ctx, &id, input).await {
        Ok(r) if r.status == CorrectionStatus::Approved => {
            Ok(done("/corrections", "correction_approved"))
        }
        Ok(_) => Ok(done("/corrections", "correction_rejected")),
        Err(e) => {
            let message = FormErrors::from_error(e)?.first_message();
            let page = list_page(&state, user, ListQuery::default(), message).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
