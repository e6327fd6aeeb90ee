//! The declaration form (新建/修改学时申报): the fields, the files with their previews, kept
//! files after a refusal, and saving or submitting — for a new declaration or a draft or
//! returned one.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use xueshi_domain::{ActivityType, Category, DeclarationStatus, review};

use super::declarations::{DoneQuery, kind_label, refused_submission};
use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render};
use crate::error::AppError;
use crate::services::declarations::{self, DeclarationInput, DeclarationPatch, Detail};
use crate::services::evidence::{self, Upload};
use crate::services::evidence_staging;
use crate::state::AppState;

type PageResult = Result<Response, PageError>;
/// The form's fields as typed, to show them again after an error.
#[derive(Default)]
pub struct FormValues {
    pub category: String,
    pub activity_type: String,
    pub title: String,
    pub organizer: String,
    pub start_date: String,
    pub end_date: String,
    pub hours: String,
    pub foreign_certificate: bool,
    pub certificate_states_hours: bool,
}

#[derive(Template)]
#[template(path = "declaration_form.html")]
struct FormPage {
    layout: Layout,
    flash: Option<String>,
    id: String,
    form: FormValues,
    errors: FormErrors,
    activities: Vec<(&'static str, &'static str)>,
    evidence: Vec<EvidenceItem>,
    /// The reviewer's comment on a returned declaration, to fix it by.
    review_note: Option<String>,
    /// Why no declaration can be submitted now (过期不录): the form is not offered.
    closed: Option<String>,
    /// The files chosen were not stored (the fields were refused first): choose them again.
    dropped_files: bool,
    /// Files chosen with a refused form, kept for the next attempt.
    kept: Vec<KeptFile>,
    /// A certificate chosen is read at once and its fields offered (reading is on).
    reads: bool,
}

/// A file kept from a refused attempt: its sealed token, and what the teacher chose.
pub struct KeptFile {
    pub token: String,
    pub kind: &'static str,
    pub size: String,
}

/// Keeps the files of a refused form (and those it already kept), so the teacher need not
/// choose them again; `true` beside them when one could not be kept.
async fn keep_files(
    state: &AppState,
    user: &WebUser,
    form: &Submitted,
) -> Result<(Vec<KeptFile>, bool), AppError> {
    let ctx = &user.me.ctx;
    let view = |token: String, ready: &evidence::Ready| KeptFile {
        token,
        kind: kind_label(ready.kind.as_str()),
        size: format!("{} KB", (ready.size + 1023) / 1024),
    };
    let mut kept = Vec::new();
    let mut dropped = false;
    for token in &form.kept {
        match evidence_staging::open(&state.db, ctx, token) {
            Ok(ready) => kept.push(view(token.clone(), &ready)),
            Err(_) => dropped = true,
        }
    }
    for (kind, bytes) in &form.files {
        match evidence_staging::stage(&state.db, &state.files, ctx, kind, bytes.clone()).await {
            Ok((token, ready)) => kept.push(view(token, &ready)),
            Err(AppError::Internal(e)) => return Err(AppError::Internal(e)),
            Err(_) => dropped = true,
        }
    }
    Ok((kept, dropped))
}

/// An uploaded file on the form, with its thumbnail and its own 删除 and 替换.
pub struct EvidenceItem {
    pub id: String,
    pub kind: &'static str,
    pub size: String,
    pub thumbnail: String,
    pub url: String,
    /// 识别结果, with one tap to fill each field.
    pub reading: Option<super::reading::ReadingShown>,
}

fn activities() -> Vec<(&'static str, &'static str)> {
    ActivityType::ALL
        .iter()
        .map(|a| (a.as_str(), a.label_zh()))
        .collect()
}

pub async fn new_form(State(state): State<AppState>, user: WebUser) -> PageResult {
    let form = FormValues {
        certificate_states_hours: true,
        activity_type: "training_course".into(),
        ..Default::default()
    };
    let closed = {
        let mut c = state.db.pool().acquire().await?;
        crate::services::teacher_todo::closed_reason(&mut c).await?
    };
    Ok(render(&FormPage {
        layout: user.layout,
        flash: None,
        id: String::new(),
        form,
        errors: FormErrors::default(),
        activities: activities(),
        evidence: Vec::new(),
        review_note: None,
        closed,
        dropped_files: false,
        kept: Vec::new(),
        reads: state.config.evidence_reading,
    })?)
}

/// The last reviewer's comment on a returned declaration.
fn review_note(detail: &Detail) -> Option<String> {
    if detail.declaration.status != DeclarationStatus::Returned {
        return None;
    }
    let last = detail.reviews.last()?;
    Some(match &last.comment {
        Some(comment) => format!("{}退回修改：{comment}", level_label(last.level)),
        None => format!("{}退回修改（未填写意见）", level_label(last.level)),
    })
}

fn level_label(level: xueshi_domain::ReviewLevel) -> &'static str {
    match level {
        xueshi_domain::ReviewLevel::School => "学校初审",
        xueshi_domain::ReviewLevel::Second => "复审",
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let detail = declarations::get(&state.db, &user.me.ctx, &id).await?;
    if !review::can_edit(detail.declaration.status) {
        // Nothing to edit any more (submitted on another device): its page says where it is.
        return Ok(axum::response::Redirect::to(&format!("/declarations/{id}")).into_response());
    }
    let d = &detail.declaration;
    let form = FormValues {
        category: d.category.as_str().into(),
        activity_type: d.activity_type.as_str().into(),
        title: d.title.clone(),
        organizer: d.organizer.clone(),
        start_date: d.start_date.clone(),
        end_date: d.end_date.clone(),
        hours: d.hours.to_string(),
        foreign_certificate: d.foreign_certificate,
        certificate_states_hours: d.certificate_states_hours,
    };
    let evidence = evidence_list(&detail);
    Ok(render(&FormPage {
        layout: user.layout,
        flash: q.done.as_deref().and_then(flash_text).map(str::to_owned),
        review_note: review_note(&detail),
        id,
        form,
        errors: FormErrors::default(),
        activities: activities(),
        evidence,
        closed: None,
        dropped_files: false,
        kept: Vec::new(),
        reads: state.config.evidence_reading,
    })?)
}

fn evidence_list(detail: &Detail) -> Vec<EvidenceItem> {
    detail
        .evidence
        .iter()
        .map(|e| {
            let url = format!(
                "/api/v1/declarations/{}/evidence/{}",
                detail.declaration.id, e.id
            );
            EvidenceItem {
                id: e.id.clone(),
                kind: kind_label(&e.kind),
                size: format!("{} KB", (e.size + 1023) / 1024),
                thumbnail: format!("{url}/thumbnail"),
                url,
                reading: super::reading::shown(e, &detail.readings, true),
            }
        })
        .collect()
}

/// The multipart form: text fields and up to three files.
struct Submitted {
    fields: HashMap<String, String>,
    files: Vec<(String, Bytes)>,
    /// Files kept from an earlier, refused attempt (sealed tokens).
    kept: Vec<String>,
}

async fn read_form(mut multipart: Multipart) -> Result<Submitted, AppError> {
    let mut submitted = Submitted {
        fields: HashMap::new(),
        files: Vec::new(),
        kept: Vec::new(),
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if matches!(name.as_str(), "certificate" | "translation" | "hours_proof") {
            let bytes = field.bytes().await.map_err(|_| AppError::TooLarge)?;
            if !bytes.is_empty() {
                submitted.files.push((name, bytes));
            }
        } else if name == "kept" {
            let token = field.text().await.unwrap_or_default();
            // A page carries a handful; more is no browser's doing.
            if !token.is_empty() && submitted.kept.len() < 20 {
                submitted.kept.push(token);
            }
        } else {
            submitted
                .fields
                .insert(name, field.text().await.unwrap_or_default());
        }
    }
    Ok(submitted)
}

impl Submitted {
    fn get(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    fn values(&self) -> FormValues {
        FormValues {
            category: self.get("category"),
            activity_type: self.get("activity_type"),
            title: self.get("title"),
            organizer: self.get("organizer"),
            start_date: self.get("start_date"),
            end_date: self.get("end_date"),
            hours: self.get("hours"),
            foreign_certificate: self.fields.contains_key("foreign_certificate"),
            certificate_states_hours: self.fields.contains_key("certificate_states_hours"),
        }
    }

    /// Hours as the API takes them; text that is no number is refused beside its field.
    fn hours(&self) -> Result<f64, AppError> {
        self.get("hours")
            .trim()
            .parse::<f64>()
            .map_err(|_| AppError::invalid("hours", "学时须为数字，最多一位小数"))
    }
}

/// A failed save: the draft if one exists, the error, and whether the chosen files were
/// stored (they are not when the fields were refused first).
struct Unsaved {
    draft: Option<String>,
    error: AppError,
    files_stored: bool,
}

/// Saves the form (new or edit), stores its files and, if asked, submits.
async fn save(
    state: &AppState,
    user: &WebUser,
    id: Option<&str>,
    form: &Submitted,
) -> Result<String, Unsaved> {
    let before_files = |draft: Option<String>| {
        move |error: AppError| Unsaved {
            draft,
            error,
            files_stored: false,
        }
    };
    let after_files = |draft: &str| {
        let draft = draft.to_owned();
        move |error: AppError| Unsaved {
            draft: Some(draft),
            error,
            files_stored: true,
        }
    };
    let ctx = &user.me.ctx;
    let hours = form.hours().map_err(before_files(id.map(str::to_owned)))?;
    let category = form
        .get("category")
        .parse()
        .unwrap_or(Category::Professional);
    let activity_type = form
        .get("activity_type")
        .parse()
        .unwrap_or(ActivityType::Other);
    let values = form.values();
    let saved = match id {
        None => {
            let input = DeclarationInput {
                category,
                activity_type,
                title: values.title,
                organizer: values.organizer,
                start_date: values.start_date,
                end_date: values.end_date,
                hours,
                foreign_certificate: values.foreign_certificate,
                certificate_states_hours: values.certificate_states_hours,
            };
            declarations::create(&state.db, ctx, input).await
        }
        Some(id) => {
            let patch = DeclarationPatch {
                category: Some(category),
                activity_type: Some(activity_type),
                title: Some(values.title),
                organizer: Some(values.organizer),
                start_date: Some(values.start_date),
                end_date: Some(values.end_date),
                hours: Some(hours),
                foreign_certificate: Some(values.foreign_certificate),
                certificate_states_hours: Some(values.certificate_states_hours),
            };
            declarations::update(&state.db, ctx, id, patch).await
        }
    };
    let id = saved
        .map_err(before_files(id.map(str::to_owned)))?
        .declaration
        .id;
    for token in &form.kept {
        evidence_staging::attach(&state.db, &state.files, ctx, &id, token)
            .await
            .map_err(|e| Unsaved {
                draft: Some(id.clone()),
                error: e,
                files_stored: false,
            })?;
    }
    for (kind, bytes) in &form.files {
        let upload = Upload {
            kind: Some(kind.clone()),
            file: Some(bytes.clone()),
        };
        // A refused file is named in the error; the ones before it are stored.
        evidence::upload(&state.db, &state.files, ctx, &id, upload)
            .await
            .map_err(|e| Unsaved {
                draft: Some(id.clone()),
                error: e,
                files_stored: false,
            })?;
    }
    if form.get("intent") == "submit" {
        declarations::submit(&state.db, ctx, &id)
            .await
            .map_err(after_files(&id))?;
    }
    Ok(id)
}

async fn respond(
    state: AppState,
    user: WebUser,
    id: Option<String>,
    form: Submitted,
) -> PageResult {
    check_csrf(&user, &form.get("csrf"))?;
    match save(&state, &user, id.as_deref(), &form).await {
        Ok(id) if form.get("intent") == "submit" => {
            Ok(done(&format!("/declarations/{id}"), "submitted"))
        }
        Ok(id) => Ok(done(&format!("/declarations/{id}"), "saved")),
        // The draft exists: refusals of its files or of the submission show on its page.
        Err(Unsaved {
            draft: Some(saved),
            error,
            ..
        }) if id.is_none() && !matches!(error, AppError::Invalid(_)) => {
            refused_submission(&state, user, &saved, error).await
        }
        Err(Unsaved {
            draft: saved,
            error,
            files_stored,
        }) => {
            let errors = FormErrors::from_error(error)?;
            let (kept, dropped_files) = if files_stored || errors.has("file") {
                (Vec::new(), false)
            } else {
                keep_files(&state, &user, &form).await?
            };
            let detail = match &saved {
                Some(sid) => Some(declarations::get(&state.db, &user.me.ctx, sid).await?),
                None => None,
            };
            let page = FormPage {
                layout: user.layout,
                flash: None,
                id: saved.unwrap_or_default(),
                form: form.values(),
                errors,
                activities: activities(),
                evidence: detail.as_ref().map(evidence_list).unwrap_or_default(),
                review_note: detail.as_ref().and_then(review_note),
                closed: None,
                dropped_files,
                kept,
                reads: state.config.evidence_reading,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    multipart: Multipart,
) -> PageResult {
    let form = read_form(multipart).await?;
    respond(state, user, None, form).await
}

pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    multipart: Multipart,
) -> PageResult {
    let form = read_form(multipart).await?;
    respond(state, user, Some(id), form).await
}
