//! Reviewers' pages: the queue of their level (初审 for schools, 复审 for districts and, for
//! city-affiliated schools, the city), one declaration with its evidence inline, single and
//! batch decisions.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::{Decision, DeclarationStatus, ReasonCode, ReviewLevel, Role, review as rules};
use xueshi_store::repo::declarations::DeclarationFilter;
use xueshi_store::repo::policies;

use super::declarations::{DeclarationView, view};
use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render, today};
use crate::error::AppError;
use crate::services::declarations;
use crate::services::reviews::{self, BatchReview, ReviewInput};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

/// The status a reviewer of this role works on.
fn queue_status(role: Role) -> Result<DeclarationStatus, AppError> {
    match role {
        Role::SchoolAdmin => Ok(DeclarationStatus::Submitted),
        Role::DistrictAdmin | Role::CityAdmin => Ok(DeclarationStatus::SchoolApproved),
        _ => Err(AppError::Forbidden),
    }
}

pub struct QueueRow {
    pub id: String,
    pub teacher: String,
    pub title: String,
    pub category: &'static str,
    pub hours: String,
    pub dates: String,
}

#[derive(Template)]
#[template(path = "review_queue.html")]
struct QueuePage {
    layout: Layout,
    reasons: Vec<(&'static str, &'static str)>,
    flash: Option<String>,
    heading: &'static str,
    pending: i64,
    deadline: String,
    rows: Vec<QueueRow>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    cursor: Option<String>,
    done: Option<String>,
}

pub async fn queue(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let role = user.me.ctx.actor.role;
    let status = queue_status(role)?;
    let filter = DeclarationFilter {
        status: Some(status),
        // The city's second level is the city-affiliated schools'; districts review the rest.
        city_affiliated: (role == Role::CityAdmin).then_some(true),
        cursor: q.cursor,
        limit: Some(50),
        ..Default::default()
    };
    let (page, counts) = declarations::list(&state.db, &user.me.ctx, &filter).await?;
    let pending = counts
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| *n);
    let deadline = {
        let mut c = state.db.pool().acquire().await?;
        policies::get(
            &mut c,
            today().year() - i32::from(today().month() == time::Month::January),
        )
        .await?
    }
    .map(|p| {
        let d = if status == DeclarationStatus::Submitted {
            p.deadlines.school_review
        } else {
            p.deadlines.district_review
        };
        format!("{}年度审核截止：{d}。", p.year)
    })
    .unwrap_or_default();
    let rows = page
        .items
        .into_iter()
        .map(|d| QueueRow {
            teacher: d.teacher_name.clone(),
            title: d.title,
            category: d.category.label_zh(),
            hours: d.approved_hours.unwrap_or(d.hours).to_string(),
            dates: format!("{} 至 {}", d.start_date, d.end_date),
            id: d.id,
        })
        .collect();
    let heading = match role {
        Role::SchoolAdmin => "学校初审",
        Role::CityAdmin => "局属学校复审",
        _ => "区级复审",
    };
    let flash = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    Ok(render(&QueuePage {
        reasons: ReasonCode::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_zh()))
            .collect(),
        layout: user.layout,
        flash,
        heading,
        pending,
        deadline,
        rows,
        next: page.next_cursor,
    })?)
}

#[derive(Template)]
#[template(path = "declaration_review.html")]
struct ReviewPage {
    layout: Layout,
    flash: Option<String>,
    error: Option<String>,
    d: DeclarationView,
    errors: FormErrors,
    reviewable: bool,
    level: &'static str,
    hours: String,
    reasons: Vec<(&'static str, &'static str)>,
}

async fn review_page(
    state: &AppState,
    user: WebUser,
    id: &str,
    errors: FormErrors,
) -> Result<ReviewPage, AppError> {
    let detail = declarations::get(&state.db, &user.me.ctx, id).await?;
    let d = &detail.declaration;
    let level = rules::level_for(d.status);
    let hours = d.approved_hours.unwrap_or(d.hours).to_string();
    Ok(ReviewPage {
        reviewable: level.is_some(),
        level: match level {
            Some(ReviewLevel::School) => "学校初审",
            _ => "复审",
        },
        hours,
        reasons: ReasonCode::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_zh()))
            .collect(),
        layout: user.layout,
        flash: None,
        error: None,
        d: view(detail),
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> PageResult {
    Ok(render(
        &review_page(&state, user, &id, FormErrors::default()).await?,
    )?)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: String,
    decision: Decision,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    comment: String,
}

pub async fn decide(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let hours = match (form.decision, form.hours.trim()) {
        (Decision::Approve, h) if !h.is_empty() => match h.parse::<f64>() {
            Ok(h) => Some(h),
            Err(_) => {
                let errors = FormErrors::from_error(AppError::invalid(
                    "hours",
                    "核定学时须为数字，最多一位小数",
                ))?;
                let page = review_page(&state, user, &id, errors).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
            }
        },
        _ => None,
    };
    let input = ReviewInput {
        decision: form.decision,
        hours,
        reason_code: form.reason_code.parse().ok(),
        comment: Some(form.comment).filter(|c| !c.trim().is_empty()),
    };
    match reviews::review_one(&state.db, &user.me.ctx, &id, input).await {
        Ok(_) => Ok(done("/review", "reviewed")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = review_page(&state, user, &id, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// Batch approval from the queue's checkboxes (`ids` repeats, so the form is read raw).
pub async fn batch(
    State(state): State<AppState>,
    user: WebUser,
    RawForm(raw): RawForm,
) -> PageResult {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&raw).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    check_csrf(&user, &get("csrf"))?;
    let ids: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "ids")
        .map(|(_, v)| v.clone())
        .collect();
    if ids.is_empty() {
        return Ok(done("/review", "none"));
    }
    let decision: Decision = serde_json::from_value(serde_json::Value::String(get("decision")))
        .map_err(|_| AppError::BadRequest("未知的审核决定".into()))?;
    let reason_code = get("reason_code").parse().ok();
    let comment = Some(get("comment")).filter(|c| !c.trim().is_empty());
    // The batch's own rules, checked before any item is touched.
    match decision {
        Decision::Reject if reason_code.is_none() => return Ok(done("/review", "need_reason")),
        Decision::Return if comment.is_none() => return Ok(done("/review", "need_comment")),
        _ => {}
    }
    let input = BatchReview {
        ids,
        decision,
        reason_code,
        comment,
    };
    let results = match reviews::batch(&state.db, &user.me.ctx, input).await {
        Ok(results) => results,
        // A missing reason or comment is refused for the whole batch before any review.
        Err(AppError::Invalid(errors)) => {
            let message = errors
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            return Err(
                AppError::Invalid(vec![xueshi_domain::FieldError::new("batch", message)]).into(),
            );
        }
        Err(other) => return Err(other.into()),
    };
    let failed = results.iter().filter(|r| !r.ok).count();
    Ok(done(
        "/review",
        if failed == 0 { "reviewed" } else { "partly" },
    ))
}
