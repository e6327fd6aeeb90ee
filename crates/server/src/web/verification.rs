//! The city's annual verification page (年度验证): where the year stands (the district review
//! deadline, what still waits for review, the last run), a preview that writes nothing, and
//! the run — which before the deadline is over needs the year typed in to confirm.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::Action;
use xueshi_domain::time_rules;

use super::forms::{FormErrors, check_csrf};
use super::layout::{Layout, WebUser};
use super::{PageError, render, today};
use crate::error::AppError;
use crate::services::verification::{self, RunSummary, Started, YearState};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

/// The year's state as the page shows it.
pub struct StateView {
    pub deadline: String,
    pub early: bool,
    pub pending_school: i64,
    pub pending_second: i64,
    pub last_run: Option<String>,
    pub has_policy: bool,
}

#[derive(Template)]
#[template(path = "verification_page.html")]
struct VerificationPage {
    layout: Layout,
    year: i32,
    years: Vec<i32>,
    state: StateView,
    error: Option<String>,
    preview: Option<String>,
    summary: Option<String>,
    job: Option<String>,
}

/// The years to choose from: since the notice, and the one shown even when it is ahead.
fn years(shown: i32) -> Vec<i32> {
    (2021.min(shown)..=today().year().max(shown))
        .rev()
        .collect()
}

fn summary_text(s: &RunSummary) -> String {
    format!(
        "教师 {} 人，合格 {} 人，不合格 {} 人，结转专业科目学时 {}",
        s.teachers, s.passed, s.failed, s.carried_over_hours
    )
}

async fn state_view(state: &AppState, user: &WebUser, year: i32) -> Result<StateView, AppError> {
    let s: YearState = verification::year_state(&state.db, &user.me.ctx, year).await?;
    let last_run = match s.last_run {
        None => None,
        Some(run) => {
            let who = match &run.actor_id {
                Some(id) => verification::runner_name(&state.db, id).await?,
                None => "系统（命令行）".into(),
            };
            let at = super::shown_time(run.at_ms, false);
            let found = run
                .summary
                .as_ref()
                .map(|s| format!("：{}", summary_text(s)))
                .unwrap_or_default();
            let early = if run.early {
                "（区（市）复审截止前提前运行）"
            } else {
                ""
            };
            Some(format!("{at} 由 {who} 运行{early}{found}"))
        }
    };
    Ok(StateView {
        deadline: s
            .district_review
            .map(time_rules::format_date_zh)
            .unwrap_or_default(),
        early: s.early,
        pending_school: s.pending.school,
        pending_second: s.pending.second,
        last_run,
        has_policy: s.district_review.is_some(),
    })
}

async fn page(state: &AppState, user: WebUser, year: i32) -> Result<VerificationPage, AppError> {
    user.me.ctx.require(Action::RunVerification)?;
    let view = state_view(state, &user, year).await?;
    Ok(VerificationPage {
        layout: user.layout,
        year,
        years: years(year),
        state: view,
        error: None,
        preview: None,
        summary: None,
        job: None,
    })
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let year = q.year.unwrap_or_else(super::year_under_review);
    Ok(render(&page(&state, user, year).await?)?)
}

#[derive(Deserialize)]
pub struct RunForm {
    csrf: String,
    year: i32,
    /// The year typed in to confirm an early run.
    #[serde(default)]
    confirm: String,
}

/// A message for the page from a service error a person can act on.
fn message(e: AppError) -> Result<String, AppError> {
    Ok(FormErrors::from_error(e)?
        .first_message()
        .unwrap_or_else(|| "验证未能完成".into()))
}

pub async fn preview(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<RunForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let ctx = user.me.ctx.clone();
    let mut page = page(&state, user, form.year).await?;
    match verification::preview(&state.db, &ctx, form.year).await {
        Ok(s) => page.preview = Some(summary_text(&s)),
        Err(e) => page.error = Some(message(e)?),
    }
    Ok(render(&page)?)
}

pub async fn run(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<RunForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    // Typing the year in is the confirmation an early run needs; the service refuses an
    // early run without it, naming the deadline and what still waits.
    let force = form.confirm.trim() == form.year.to_string();
    let outcome = verification::start(
        &state.db,
        &user.me.ctx,
        form.year,
        force,
        state.config.verification_job_threshold,
    )
    .await;
    // Built after the run, so the page shows it as the last run.
    let mut page = page(&state, user, form.year).await?;
    let status = match outcome {
        Ok(Started::Done(s)) => {
            page.summary = Some(format!("{}年度验证完成：{}。", s.year, summary_text(&s)));
            StatusCode::OK
        }
        Ok(Started::Job(id)) => {
            page.job = Some(id);
            StatusCode::OK
        }
        Err(AppError::Conflict(why)) => {
            page.error = Some(why);
            StatusCode::CONFLICT
        }
        Err(e) => {
            page.error = Some(message(e)?);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok((status, render(&page)?).into_response())
}

/// The job's progress as an htmx partial that keeps polling until the run ends.
pub async fn job(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> PageResult {
    let job = verification::job(&state.db, &user.me.ctx, &id).await?;
    let html = match job.status.as_str() {
        "done" => {
            let text = job
                .result
                .and_then(|r| serde_json::from_value::<RunSummary>(r).ok())
                .map(|s| format!("{}年度验证完成：{}。", s.year, summary_text(&s)))
                .unwrap_or_default();
            format!(r#"<p class="notice" role="status">{text}</p>"#)
        }
        "failed" => format!(
            r#"<p class="error" role="alert">{}</p>"#,
            job.error.unwrap_or_default()
        ),
        _ => format!(
            r#"<div hx-get="/verification/jobs/{id}" hx-trigger="load delay:1s" hx-swap="outerHTML"><p class="hint">验证进行中……{}%</p></div>"#,
            job.progress
        ),
    };
    Ok(Html(html).into_response())
}
