//! The reviewers' queue (初审 for schools, 复审 for districts and, for city-affiliated
//! schools, the city): each row with the teacher, the school, a thumbnail of the first
//! certificate page and badges for its warnings; filters; and batch decisions that say what
//! they will do, ask first, and skip every item whose warnings were not ticked as checked.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::extract::{Query, RawForm, State};
use axum::response::Response;
use serde::Deserialize;
use xueshi_domain::{Category, Decision, DeclarationStatus, Hours, ReasonCode, Role};
use xueshi_store::models::Declaration;

use super::forms::{check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render, year_under_review};
use crate::error::AppError;
use crate::services::declarations::{self, DeclarationFilter, Warning};
use crate::services::reviews::{self, BatchReview};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

/// The status a reviewer of this role works on.
pub fn queue_status(role: Role) -> Result<DeclarationStatus, AppError> {
    match role {
        Role::SchoolAdmin => Ok(DeclarationStatus::Submitted),
        Role::DistrictAdmin | Role::CityAdmin => Ok(DeclarationStatus::SchoolApproved),
        _ => Err(AppError::Forbidden),
    }
}

/// A badge of the queue: what a warning is, in two or three characters.
pub struct Badge {
    pub label: &'static str,
    /// `high`, `medium` or `info`, as the warning's severity.
    pub class: &'static str,
    pub title: String,
}

fn badge(w: &Warning) -> Badge {
    let label = match w.kind {
        "possible_duplicate" => "重复？",
        "same_evidence" => "同文件",
        "similar_evidence" => "同图？",
        "training_template" => "同培训模板",
        "hours_exceed_days" => "超学时？",
        "image_check_pending" => "比对中",
        "certificate_hours_lower" => "学时不符？",
        "certificate_dates_outside" => "日期不符？",
        "certificate_name_differs" => "姓名不符？",
        "certificate_no_hours" => "证书无学时",
        "certificate_not_chinese" => "非中文证书",
        "photo_unclear" => "照片不清？",
        _ => "提示",
    };
    Badge {
        label,
        class: w.severity,
        title: w.message.clone(),
    }
}

/// Whether a warning must be ticked as checked before a batch may approve its item.
pub fn must_check(w: &Warning) -> bool {
    w.severity != "info"
}

pub struct QueueRow {
    pub id: String,
    pub teacher: String,
    pub id_masked: String,
    pub school: String,
    pub title: String,
    pub category: &'static str,
    pub hours: String,
    pub submitted: String,
    pub thumbnail: Option<String>,
    /// What the thumbnail shows, or what stands in for it.
    pub file_label: &'static str,
    pub badges: Vec<Badge>,
    pub needs_check: bool,
    /// Its certificates were read and say what it declares (证书与申报一致).
    pub agrees: bool,
}

/// The queue's filters, kept in every link of the page.
#[derive(Deserialize, Default, Clone)]
pub struct QueueQuery {
    #[serde(default)]
    pub school_id: String,
    #[serde(default)]
    pub category: String,
    /// `1`: only items with warnings to check; `0`: only those without; `agrees`: only those
    /// whose certificates were read and agree with them (the clear cases, to approve first).
    #[serde(default)]
    pub warned: String,
    /// Another status than the one waiting for this level (to look back at what was done).
    #[serde(default)]
    pub status: String,
    pub cursor: Option<String>,
    pub done: Option<String>,
}

impl QueueQuery {
    /// The filters set, as a query string (no cursor), for links back into the same queue.
    pub fn filters(&self) -> String {
        let set: Vec<(&str, &str)> = [
            ("school_id", self.school_id.as_str()),
            ("category", self.category.as_str()),
            ("warned", self.warned.as_str()),
            ("status", self.status.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(set).unwrap_or_default()
    }

    pub fn filter(&self, role: Role) -> Result<DeclarationFilter, AppError> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let category = match some(&self.category) {
            None => None,
            Some(c) => Some(
                c.parse::<Category>()
                    .map_err(|_| AppError::BadRequest("未知的科目类别".into()))?,
            ),
        };
        let waiting = queue_status(role)?;
        let status = match some(&self.status) {
            None => waiting,
            Some(s) => s
                .parse::<DeclarationStatus>()
                .ok()
                .filter(|s| *s != DeclarationStatus::Draft)
                .ok_or_else(|| AppError::BadRequest("未知的申报状态".into()))?,
        };
        Ok(DeclarationFilter {
            status: Some(status),
            // The city's second level is the city-affiliated schools'; districts review the rest.
            city_affiliated: (role == Role::CityAdmin).then_some(true),
            school_id: some(&self.school_id),
            category,
            cursor: self.cursor.clone(),
            limit: Some(50),
            ..Default::default()
        })
    }
}

/// One queue item as a batch sees it: the declaration and its warnings.
pub struct Item {
    pub declaration: Declaration,
    pub warnings: Vec<Warning>,
    pub first_file: Option<(String, bool)>,
    /// Every certificate of it has been read.
    pub certificates_read: bool,
}

/// The declarations with their warnings and first certificate file, in order.
pub async fn items(
    state: &AppState,
    user: &WebUser,
    found: Vec<Declaration>,
) -> Result<Vec<Item>, AppError> {
    let mut c = state.db.pool().acquire().await?;
    let mut out = Vec::with_capacity(found.len());
    for d in found {
        let files = crate::services::evidence::of_declaration(&mut c, &d.id).await?;
        let readings = crate::services::evidence::readings_of(&mut c, &files).await?;
        let warnings =
            declarations::warnings_for(&mut c, &user.me.ctx, &d, &files, &readings).await?;
        let certificates_read = crate::services::reading_view::certificates_read(&files, &readings);
        let first = files
            .iter()
            .find(|f| f.kind == "certificate")
            .or(files.first())
            .map(|f| (f.id.clone(), f.content_type == "application/pdf"));
        out.push(Item {
            declaration: d,
            warnings,
            first_file: first,
            certificates_read,
        });
    }
    Ok(out)
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
    q: QueueQuery,
    filters: String,
    schools: Vec<(String, String)>,
    categories: Vec<(&'static str, &'static str)>,
    /// Statuses to look at besides the waiting one.
    statuses: Vec<(&'static str, &'static str)>,
    waiting: &'static str,
}

pub async fn queue(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let role = user.me.ctx.actor.role;
    let filter = q.filter(role)?;
    let status = queue_status(role)?;
    let (page, counts) = declarations::list(&state.db, &user.me.ctx, &filter).await?;
    let statuses = DeclarationStatus::ALL
        .iter()
        .filter(|s| **s != DeclarationStatus::Draft)
        .map(|s| (s.as_str(), s.label_zh()))
        .collect();
    let pending = counts
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| *n);
    let deadline = deadline_text(&state, status).await?;
    let items = items(&state, &user, page.items).await?;
    let rows = rows(&state, items, &q.warned).await?;
    let schools = if role == Role::SchoolAdmin {
        Vec::new()
    } else {
        let mut c = state.db.pool().acquire().await?;
        crate::services::reports::schools_in_scope(&mut c, &user.me.ctx, false)
            .await?
            .into_iter()
            .filter(|s| (role == Role::CityAdmin) == s.city_affiliated)
            .map(|s| (s.id, s.name))
            .collect()
    };
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
        filters: q.filters(),
        q,
        schools,
        categories: Category::ALL
            .iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
        statuses,
        waiting: status.as_str(),
    })?)
}

async fn deadline_text(state: &AppState, status: DeclarationStatus) -> Result<String, AppError> {
    let year = year_under_review();
    Ok(crate::services::policies::of_year(&state.db, year)
        .await?
        .zip(xueshi_domain::review::level_for(status))
        .map(|(p, level)| format!("{}年度审核截止：{}。", p.year, p.deadlines.for_level(level)))
        .unwrap_or_default())
}

async fn rows(state: &AppState, items: Vec<Item>, warned: &str) -> Result<Vec<QueueRow>, AppError> {
    let mut c = state.db.pool().acquire().await?;
    let teacher_ids: Vec<String> = items
        .iter()
        .map(|i| i.declaration.teacher_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let ids =
        crate::services::teachers::masked_numbers(&mut c, state.db.vault(), &teacher_ids).await?;
    let school_ids: Vec<String> = items
        .iter()
        .map(|i| i.declaration.school_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let schools: HashMap<String, String> = crate::services::orgs::by_ids(&mut c, &school_ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(items
        .into_iter()
        .map(|item| {
            let d = item.declaration;
            let needs_check = item.warnings.iter().any(must_check);
            let agrees = item.certificates_read
                && !item
                    .warnings
                    .iter()
                    .any(|w| w.kind.starts_with("certificate_") || w.kind == "photo_unclear");
            QueueRow {
                teacher: d.teacher_name.clone(),
                id_masked: ids.get(&d.teacher_id).cloned().unwrap_or_default(),
                school: schools.get(&d.school_id).cloned().unwrap_or_default(),
                title: d.title.clone(),
                category: d.category.label_zh(),
                hours: d.approved_hours.unwrap_or(d.hours).to_string(),
                submitted: d
                    .submitted_at
                    .map(|at| super::shown_time(at, false))
                    .unwrap_or_default(),
                thumbnail: item.first_file.as_ref().map(|(file, _)| {
                    format!("/api/v1/declarations/{}/evidence/{file}/thumbnail", d.id)
                }),
                file_label: match item.first_file {
                    Some((_, true)) => "PDF 证书首页",
                    Some((_, false)) => "证书图片",
                    None => "无证明材料",
                },
                badges: item.warnings.iter().map(badge).collect(),
                needs_check,
                agrees,
                id: d.id,
            }
        })
        .filter(|r| match warned {
            "1" => r.needs_check,
            "0" => !r.needs_check,
            "agrees" => r.agrees,
            _ => true,
        })
        .collect())
}

/// `path` with `query` appended when there is one.
pub fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// What a batch did, item by item, for the page that reports it.
pub struct Outcome {
    pub title: String,
    pub teacher: String,
    pub hours: String,
    pub why: String,
}

#[derive(Template)]
#[template(path = "review_batch.html")]
struct BatchPage {
    layout: Layout,
    /// Asking first (`false`: reporting what was done).
    confirming: bool,
    decision: Decision,
    decision_label: &'static str,
    /// Reviewed (or to be reviewed) with the hours in total.
    done: Vec<Outcome>,
    total_hours: String,
    skipped: Vec<Outcome>,
    failed: Vec<Outcome>,
    ids: Vec<String>,
    checked: Vec<String>,
    reason_code: String,
    comment: String,
    back: String,
}

/// Batch decisions from the queue's checkboxes (`ids` and `checked` repeat, so the form is
/// read raw). Without `confirmed` the page only says what would be done.
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
    let all = |k: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    check_csrf(&user, &get("csrf"))?;
    let back = with_query("/review", &get("back_filters"));
    let mut ids = all("ids");
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.is_empty() {
        return Ok(done(&back, "none"));
    }
    // Each item is read with its warnings before anything is done: bounded as the API is.
    if ids.len() > reviews::MAX_BATCH {
        return Err(AppError::invalid(
            "ids",
            format!("批量审核须选择1至{}项申报", reviews::MAX_BATCH),
        )
        .into());
    }
    let decision: Decision = serde_json::from_value(serde_json::Value::String(get("decision")))
        .map_err(|_| AppError::BadRequest("未知的审核决定".into()))?;
    let reason_code = get("reason_code").parse::<ReasonCode>().ok();
    let comment = Some(get("comment")).filter(|c| !c.trim().is_empty());
    // The batch's own rules, checked before any item is touched.
    match decision {
        Decision::Reject if reason_code.is_none() => return Ok(done(&back, "need_reason")),
        Decision::Return if comment.is_none() => return Ok(done(&back, "need_comment")),
        _ => {}
    }
    let checked: HashSet<String> = all("checked").into_iter().collect();
    // Each item read as its page reads it: in the reviewer's scope, with its warnings.
    let mut items = Vec::with_capacity(ids.len());
    let mut unseen = Vec::new();
    for id in &ids {
        match declarations::get(&state.db, &user.me.ctx, id).await {
            Ok(detail) => items.push(Item {
                declaration: detail.declaration,
                warnings: detail.warnings,
                first_file: None,
                // The batch goes by the warnings ticked, not by the queue's filter.
                certificates_read: false,
            }),
            Err(AppError::NotFound | AppError::Forbidden) => unseen.push(Outcome {
                title: id.clone(),
                teacher: String::new(),
                hours: String::new(),
                why: "不在您的审核范围内".into(),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    let outcome = |d: &Declaration, why: String| Outcome {
        title: d.title.clone(),
        teacher: d.teacher_name.clone(),
        hours: d.approved_hours.unwrap_or(d.hours).to_string(),
        why,
    };
    let (mut go, mut skipped) = (Vec::new(), Vec::new());
    for item in &items {
        let unchecked: Vec<&str> = item
            .warnings
            .iter()
            .filter(|w| must_check(w))
            .map(|w| w.message.as_str())
            .collect();
        // Only an approval needs the warnings checked: returning or rejecting is the careful way.
        if decision == Decision::Approve
            && !unchecked.is_empty()
            && !checked.contains(&item.declaration.id)
        {
            skipped.push(outcome(
                &item.declaration,
                format!("有未核对的提示：{}", unchecked.join("；")),
            ));
        } else {
            go.push(&item.declaration);
        }
    }
    let total: Hours = go.iter().map(|d| d.approved_hours.unwrap_or(d.hours)).sum();
    let mut page = BatchPage {
        layout: user.layout,
        confirming: get("confirmed") != "1",
        decision,
        decision_label: decision.label_zh(),
        done: Vec::new(),
        total_hours: total.to_string(),
        skipped,
        failed: unseen,
        ids: go.iter().map(|d| d.id.clone()).collect(),
        checked: checked.into_iter().collect(),
        reason_code: get("reason_code"),
        comment: comment.clone().unwrap_or_default(),
        back: get("back_filters"),
    };
    if page.confirming || go.is_empty() {
        page.done = go.iter().map(|d| outcome(d, String::new())).collect();
        page.confirming = !go.is_empty();
        return Ok(render(&page)?);
    }
    let by_id: HashMap<&str, &Declaration> = go.iter().map(|d| (d.id.as_str(), *d)).collect();
    let results = reviews::batch(
        &state.db,
        &user.me.ctx,
        BatchReview {
            ids: page.ids.clone(),
            decision,
            reason_code,
            comment,
        },
    )
    .await?;
    let mut total = Hours::ZERO;
    for r in results {
        let Some(d) = by_id.get(r.id.as_str()) else {
            continue;
        };
        if r.ok {
            total += d.approved_hours.unwrap_or(d.hours);
            page.done.push(outcome(d, String::new()));
        } else {
            let why = r.error.map(|e| e.message).unwrap_or_default();
            page.failed.push(outcome(d, why));
        }
    }
    page.total_hours = total.to_string();
    Ok(render(&page)?)
}
