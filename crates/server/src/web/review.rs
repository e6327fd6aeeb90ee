//! The review of one declaration: its evidence large, the decision always in view (with the
//! notice's wording ready for 退回/驳回), and after a decision the next item of the same queue.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::{Decision, ReasonCode, ReviewLevel, review as rules};

use super::PageError;
use super::declarations::{DeclarationView, view};
use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::render;
use super::review_queue::{QueueQuery, with_query};
use crate::error::AppError;
use crate::services::declarations;
use crate::services::reviews::{self, ReviewInput};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

/// Opinions a reviewer often writes, in the notice's words (三(三)3), offered beside the
/// comment box: chosen, they fill it, and stay editable.
pub const COMMENT_TEMPLATES: &[(&str, &str)] = &[
    (
        "copy_not_original",
        "证明材料须为原件的扫描件或照片，扫描或拍照复印件无效，请上传原件后重新提交。",
    ),
    (
        "irrelevant_material",
        "上传的证明材料与申报内容无关，不予计算学时。",
    ),
    (
        "duplicate",
        "该学时已在平台登记，已登记的继续教育学时不得重复申报。",
    ),
    (
        "missing_translation",
        "境外培训机构颁发的非中文证书，须同时上传加盖学校公章的中文翻译材料。",
    ),
    (
        "missing_hours_proof",
        "培训证书中无明确培训时间，须同时上传由学校盖章的相关学时证明。",
    ),
    (
        "hours_mismatch",
        "申报学时与证明材料不符，请按证明材料核对学时（全天培训按 8 学时折算）后重新提交。",
    ),
    (
        "out_of_year",
        "学习时间不在本年度内，请按结束日期所在年度申报。",
    ),
];

#[derive(Template)]
#[template(path = "declaration_review.html")]
struct ReviewPage {
    layout: Layout,
    flash: Option<String>,
    d: DeclarationView,
    errors: FormErrors,
    reviewable: bool,
    level: &'static str,
    hours: String,
    reasons: Vec<(&'static str, &'static str)>,
    templates: &'static [(&'static str, &'static str)],
    /// The queue this item was opened from, kept for the next item and the way back.
    filters: String,
    /// The form's values, kept when it is shown again with an error.
    reason_code: String,
    comment: String,
}

async fn review_page(
    state: &AppState,
    user: WebUser,
    id: &str,
    filters: String,
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
        templates: COMMENT_TEMPLATES,
        layout: user.layout,
        flash: None,
        d: view(detail),
        errors,
        filters,
        reason_code: String::new(),
        comment: String::new(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let mut page = review_page(&state, user, &id, q.filters(), FormErrors::default()).await?;
    page.flash = q
        .done
        .as_deref()
        .and_then(super::flash_text)
        .map(str::to_owned);
    Ok(render(&page)?)
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
    /// The queue's filters (`school_id=…&category=…`), to open its next item.
    #[serde(default)]
    filters: String,
}

pub async fn decide(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let queue: QueueQuery = serde_urlencoded::from_str(&form.filters).unwrap_or_default();
    let hours = match (form.decision, form.hours.trim()) {
        (Decision::Approve, h) if !h.is_empty() => match h.parse::<f64>() {
            Ok(h) => Ok(Some(h)),
            Err(_) => Err(AppError::invalid("hours", "核定学时须为数字，最多一位小数")),
        },
        _ => Ok(None),
    };
    let outcome = match hours {
        Ok(hours) => {
            let input = ReviewInput {
                decision: form.decision,
                hours,
                reason_code: form.reason_code.parse().ok(),
                comment: Some(form.comment.clone()).filter(|c| !c.trim().is_empty()),
            };
            reviews::review_one(&state.db, &user.me.ctx, &id, input).await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => {
            let filters = queue.filters();
            let next = next_in_queue(&state, &user, &queue).await?;
            Ok(match next {
                Some(next) => done(
                    &with_query(&format!("/review/{next}"), &filters),
                    "reviewed_next",
                ),
                None => done(&with_query("/review", &filters), "reviewed"),
            })
        }
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let mut page = review_page(&state, user, &id, queue.filters(), errors).await?;
            page.reason_code = form.reason_code;
            page.comment = form.comment;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// The oldest item still waiting in the reviewer's queue under the same filters.
async fn next_in_queue(
    state: &AppState,
    user: &WebUser,
    queue: &QueueQuery,
) -> Result<Option<String>, AppError> {
    let mut filter = queue.filter(user.me.ctx.actor.role)?;
    filter.cursor = None;
    filter.limit = Some(1);
    let (page, _) = declarations::list(&state.db, &user.me.ctx, &filter).await?;
    Ok(page.items.into_iter().next().map(|d| d.id))
}
