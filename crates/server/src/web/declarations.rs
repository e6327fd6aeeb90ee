//! The teacher's declarations (个人申报): the list, the page of one declaration with its
//! history, and submit (the form is `declaration_form`; delete and withdraw are `drafts`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::{DeclarationStatus, hours_for_days_and_minutes, review};

use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render};
use crate::error::AppError;
use crate::services::declarations::{self, DeclarationFilter, Detail};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

pub struct DeclarationRow {
    pub id: String,
    pub title: String,
    pub category: &'static str,
    pub hours: String,
    pub status: &'static str,
    pub attention: bool,
}

/// Statuses that need the teacher's action.
fn attention(status: DeclarationStatus) -> bool {
    matches!(
        status,
        DeclarationStatus::Returned | DeclarationStatus::Rejected | DeclarationStatus::Draft
    )
}

#[derive(Template)]
#[template(path = "declarations.html")]
struct ListPage {
    layout: Layout,
    flash: Option<String>,
    rows: Vec<DeclarationRow>,
    /// The cursor of the next, older page.
    older: Option<String>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    pub(super) done: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    done: Option<String>,
    cursor: Option<String>,
}

/// The teacher's declarations, latest first, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let filter = DeclarationFilter {
        newest_first: true,
        cursor: q.cursor,
        limit: Some(PAGE_SIZE),
        ..Default::default()
    };
    let (page, _) = declarations::list(&state.db, &user.me.ctx, &filter).await?;
    let rows = page
        .items
        .into_iter()
        .map(|d| DeclarationRow {
            attention: attention(d.status),
            id: d.id,
            title: d.title,
            category: d.category.label_zh(),
            hours: d.approved_hours.unwrap_or(d.hours).to_string(),
            status: d.status.label_zh(),
        })
        .collect();
    Ok(render(&ListPage {
        layout: user.layout,
        flash: q.done.as_deref().and_then(flash_text).map(str::to_owned),
        rows,
        older: page.next_cursor,
    })?)
}

/// Declarations on a page of the teacher's list: more than a year's, seldom more than two.
const PAGE_SIZE: i64 = 50;

pub(super) fn kind_label(kind: &str) -> &'static str {
    match kind {
        "certificate" => "证书",
        "translation" => "中文翻译",
        "hours_proof" => "学时证明",
        _ => "材料",
    }
}

#[derive(Template)]
#[template(path = "declaration_teacher.html")]
struct TeacherDetail {
    layout: Layout,
    flash: Option<String>,
    error: Option<String>,
    /// Where a duplicate refusal points: the existing declaration or the records.
    error_link: Option<(String, &'static str)>,
    d: DeclarationView,
    draft: bool,
}

/// A declaration as its pages show it.
pub struct DeclarationView {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub attention: bool,
    pub teacher: String,
    pub category: &'static str,
    pub activity: &'static str,
    pub organizer: String,
    pub dates: String,
    pub hours: String,
    pub approved_hours: Option<String>,
    pub warnings: Vec<crate::services::declarations::Warning>,
    pub evidence: Vec<EvidenceView>,
    pub reviews: Vec<(String, String, String)>,
    pub editable: bool,
    pub withdrawable: bool,
}

pub struct EvidenceView {
    pub url: String,
    /// A large JPEG of the picture or of a PDF's first page, for the review page.
    pub preview: String,
    pub kind: &'static str,
    pub is_image: bool,
    /// 识别结果, once reading began.
    pub reading: Option<super::reading::ReadingShown>,
}

/// A stored `YYYY-MM-DD` as pages write dates (2021年3月5日).
fn shown_date(stored: &str) -> String {
    xueshi_domain::time_rules::parse_date(stored).map_or_else(
        || stored.to_owned(),
        xueshi_domain::time_rules::format_date_zh,
    )
}

/// What every declaration page shows, for the teacher and for reviewers alike.
pub fn view(detail: Detail) -> DeclarationView {
    let d = &detail.declaration;
    let reviews = detail
        .reviews
        .iter()
        .map(|r| {
            let level = if r.level == xueshi_domain::ReviewLevel::School {
                "学校初审"
            } else {
                "复审"
            };
            let mut what = r.decision.label_zh().to_owned();
            if let Some(h) = r.hours {
                what.push_str(&format!("，核定 {h} 学时"));
            }
            if let Some(reason) = r.reason_code {
                what.push_str(&format!("（{}）", reason.label_zh()));
            }
            let note = format!(
                "{}{}",
                super::shown_time(r.at, false),
                r.comment
                    .as_deref()
                    .map(|c| format!(" · {c}"))
                    .unwrap_or_default()
            );
            (level.to_owned(), what, note)
        })
        .collect();
    DeclarationView {
        id: d.id.clone(),
        title: d.title.clone(),
        status: d.status.label_zh(),
        attention: attention(d.status),
        teacher: d.teacher_name.clone(),
        category: d.category.label_zh(),
        activity: d.activity_type.label_zh(),
        organizer: d.organizer.clone(),
        dates: format!(
            "{} 至 {}",
            shown_date(&d.start_date),
            shown_date(&d.end_date)
        ),
        hours: d.hours.to_string(),
        approved_hours: d.approved_hours.map(|h| h.to_string()),
        warnings: detail.warnings.clone(),
        evidence: detail
            .evidence
            .iter()
            .map(|e| {
                let url = format!("/api/v1/declarations/{}/evidence/{}", d.id, e.id);
                EvidenceView {
                    preview: format!("{url}/thumbnail?size=large"),
                    url,
                    kind: kind_label(&e.kind),
                    is_image: e.content_type.starts_with("image/"),
                    reading: super::reading::shown(e, &detail.readings, false),
                }
            })
            .collect(),
        reviews,
        editable: review::can_edit(d.status),
        withdrawable: review::can_withdraw(d.status),
    }
}

pub(super) async fn done_with_error(
    state: &AppState,
    user: WebUser,
    id: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    refused_page(state, user, id, error, None).await
}

async fn refused_page(
    state: &AppState,
    user: WebUser,
    id: &str,
    error: Option<String>,
    error_link: Option<(String, &'static str)>,
) -> Result<Response, AppError> {
    let detail = declarations::get(&state.db, &user.me.ctx, id).await?;
    let page = TeacherDetail {
        layout: user.layout,
        flash: None,
        error,
        error_link,
        draft: detail.declaration.status == DeclarationStatus::Draft,
        d: view(detail),
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

/// A refused submission on the draft's page: why, that the draft is kept, and for a
/// duplicate the declaration (or record) it duplicates.
pub(super) async fn refused_submission(
    state: &AppState,
    user: WebUser,
    id: &str,
    e: AppError,
) -> Result<Response, PageError> {
    let link = match &e {
        AppError::Duplicate {
            existing_id: Some(existing),
            ..
        } => Some(
            match declarations::get(&state.db, &user.me.ctx, existing).await {
                Ok(_) => (format!("/declarations/{existing}"), "查看已有的申报"),
                Err(_) => ("/records".to_owned(), "查看已登记的学时记录"),
            },
        ),
        _ => None,
    };
    let message = FormErrors::from_error(e)?
        .first_message()
        .unwrap_or_default();
    let message = format!(
        "未能提交：{message}。填写的内容和材料已保存为草稿，可修改后再提交，不需要时可删除。"
    );
    Ok(refused_page(state, user, id, Some(message), link).await?)
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let detail = declarations::get(&state.db, &user.me.ctx, &id).await?;
    let flash = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    let page = TeacherDetail {
        layout: user.layout,
        flash,
        error: None,
        error_link: None,
        draft: detail.declaration.status == DeclarationStatus::Draft,
        d: view(detail),
    };
    Ok(render(&page)?)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn submit(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    match declarations::submit(&state.db, &user.me.ctx, &id).await {
        Ok(_) => Ok(done(&format!("/declarations/{id}"), "submitted")),
        Err(e) => refused_submission(&state, user, &id, e).await,
    }
}

#[derive(Deserialize)]
pub struct HelperQuery {
    days: Option<String>,
    minutes: Option<String>,
}

/// The conversion helper's answer (an htmx partial): shown, never applied.
pub async fn hours_helper(Query(q): Query<HelperQuery>) -> Html<String> {
    let num = |s: Option<String>| s.and_then(|v| v.trim().parse::<u32>().ok()).unwrap_or(0);
    let (days, minutes) = (num(q.days).min(365), num(q.minutes).min(1440));
    if days == 0 && minutes == 0 {
        return Html(String::new());
    }
    Html(format!(
        "{days} 天 {minutes} 分钟折合 {} 学时",
        hours_for_days_and_minutes(days, minutes)
    ))
}
