//! 数据与证书: the jobs the API offers for a verified year, on one screen — the provincial
//! export (city and districts; full ID numbers, audited), the certificates of a school or a
//! district as one ZIP, and the check of the teachers against the provincial roster, shown
//! as lists or downloaded as XLSX.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::{self, Action, Scope};
use xueshi_domain::{IdNumber, Role};

use super::forms::{FormErrors, check_csrf};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render, shown_time, today};
use crate::downloads::reconciliation_xlsx;
use crate::error::AppError;
use crate::services::correction_reminders;
use crate::services::reconciliation::{self, FindingRow, Reconciliation};
use crate::services::reports as report_service;
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

pub struct YearView {
    pub year: i32,
    pub verified: bool,
}

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage {
    layout: Layout,
    year: i32,
    years: Vec<YearView>,
    verified: bool,
    provincial: bool,
    /// Schools the certificates may be downloaded for (district and city).
    schools: Vec<(String, String)>,
    /// Districts (the city only).
    districts: Vec<(String, String)>,
    /// A school administrator downloads its own school's.
    own_school: bool,
    errors: FormErrors,
    flash: Option<String>,
    /// The check just made: its counts.
    result: Option<Reconciliation>,
    /// What the latest checks found in the caller's scope, as stored.
    findings: Vec<FindingView>,
    findings_total: i64,
}

/// Findings listed on the page at most; the XLSX download has them all.
const FINDINGS_SHOWN: i64 = 300;

pub struct FindingView {
    pub teacher_id: String,
    pub name: String,
    pub id_number: String,
    pub school: String,
    pub finding: String,
    pub correction_pending: bool,
    pub reminded: Option<String>,
    /// No reminder went out within the day (one a day at most).
    pub remindable: bool,
}

fn finding_view(r: FindingRow) -> FindingView {
    FindingView {
        finding: correction_reminders::finding_text(&r.finding),
        reminded: r.finding.reminded_at.map(|at| shown_time(at, false)),
        remindable: correction_reminders::remindable(&r.finding, xueshi_store::now_ms()),
        teacher_id: r.finding.teacher_id,
        name: r.name,
        id_number: IdNumber::mask_str(&r.id_number),
        school: r.school_name,
        correction_pending: r.correction_pending,
    }
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
    done: Option<String>,
}

async fn page(state: &AppState, user: WebUser, year: i32) -> Result<ExportsPage, AppError> {
    user.me.ctx.require(Action::Reconcile)?;
    let actor = &user.me.ctx.actor;
    let scope = authz::scope(actor);
    let mut c = state.db.pool().acquire().await?;
    let mut years = Vec::new();
    for y in (2021..=today().year()).rev() {
        years.push(YearView {
            year: y,
            verified: report_service::is_verified(&mut c, y).await?,
        });
    }
    // Read once: from the choices when the year is among them.
    let verified = match years.iter().find(|y| y.year == year) {
        Some(y) => y.verified,
        None => report_service::is_verified(&mut c, year).await?,
    };
    let (schools, districts) = match actor.role {
        Role::SchoolAdmin => (Vec::new(), Vec::new()),
        _ => {
            let schools = report_service::schools_in_scope(&mut c, &user.me.ctx, false)
                .await?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect();
            let districts = if matches!(scope, Scope::All) {
                crate::services::orgs::districts(&mut c)
                    .await?
                    .into_iter()
                    .map(|d| (d.id, d.name))
                    .collect()
            } else {
                Vec::new()
            };
            (schools, districts)
        }
    };
    drop(c);
    let (findings, findings_total) =
        correction_reminders::in_scope(&state.db, &user.me.ctx, FINDINGS_SHOWN).await?;
    Ok(ExportsPage {
        flash: None,
        findings: findings.into_iter().map(finding_view).collect(),
        findings_total,
        provincial: authz::role_allows(actor.role, Action::ExportProvincial),
        own_school: actor.role == Role::SchoolAdmin,
        layout: user.layout,
        year,
        years,
        verified,
        schools,
        districts,
        errors: FormErrors::default(),
        result: None,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let year = q.year.unwrap_or_else(super::year_under_review);
    let mut page = page(&state, user, year).await?;
    page.flash = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    Ok(render(&page)?)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// 提醒教师更正 from the findings list.
pub async fn remind(
    State(state): State<AppState>,
    user: WebUser,
    Path(teacher_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    match correction_reminders::remind(&state.db, &user.me.ctx, &teacher_id).await {
        Ok(()) => Ok(super::forms::done("/exports", "correction_reminded")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let mut page = page(&state, user, super::year_under_review()).await?;
            page.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// The roster check: the result as lists on the page, or (`format=xlsx`) as a file.
pub async fn reconcile(
    State(state): State<AppState>,
    user: WebUser,
    mut multipart: Multipart,
) -> PageResult {
    let (mut csrf, mut bytes, mut xlsx, mut year) = (String::new(), None, false, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.to_string()))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("format") => xlsx = field.text().await.unwrap_or_default() == "xlsx",
            Some("year") => year = field.text().await.ok().and_then(|y| y.parse().ok()),
            Some("file") => bytes = Some(field.bytes().await.map_err(|_| AppError::TooLarge)?),
            _ => {}
        }
    }
    check_csrf(&user, &csrf)?;
    let ctx = user.me.ctx.clone();
    let mut page = page(&state, user, year.unwrap_or_else(super::year_under_review)).await?;
    let outcome = match bytes.filter(|b| !b.is_empty()) {
        None => Err(AppError::invalid("file", "请选择省平台导出的教师名册文件")),
        Some(bytes) => reconciliation::reconcile(&state.db, &ctx, bytes).await,
    };
    match outcome {
        Ok(result) if xlsx => Ok(reconciliation_xlsx(&result).await?),
        Ok(result) => {
            // The list shown is what was just stored.
            let (findings, total) =
                correction_reminders::in_scope(&state.db, &ctx, FINDINGS_SHOWN).await?;
            page.findings = findings.into_iter().map(finding_view).collect();
            page.findings_total = total;
            page.result = Some(result);
            Ok(render(&page)?)
        }
        Err(e) => {
            page.errors = FormErrors::from_error(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
