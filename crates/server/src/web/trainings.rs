//! Training events and their attendance: the organiser's pages, with the spreadsheet upload
//! and its row-by-row error report.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::{ActivityType, Category};
use xueshi_store::models::Training;

use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render};
use crate::error::{AppError, MAX_DETAILS};
use crate::services::sheet;
use crate::services::trainings::{self, CreateTraining};
use crate::state::AppState;

pub struct TrainingRow {
    pub id: String,
    pub title: String,
    pub category: &'static str,
    pub dates: String,
    pub hours: String,
}

fn row(t: &Training) -> TrainingRow {
    TrainingRow {
        id: t.id.clone(),
        title: t.title.clone(),
        category: t.category.label_zh(),
        dates: format!("{} 至 {}", t.start_date, t.end_date),
        hours: t.hours.to_string(),
    }
}

#[derive(Default, Deserialize)]
pub struct TrainingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub activity_type: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub hours: String,
}

#[derive(Template)]
#[template(path = "trainings.html")]
struct TrainingsPage {
    layout: Layout,
    flash: Option<String>,
    errors: FormErrors,
    rows: Vec<TrainingRow>,
    next: Option<String>,
    activities: Vec<(&'static str, &'static str)>,
    form: TrainingForm,
}

#[derive(Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    done: Option<String>,
}

async fn page(
    state: &AppState,
    user: WebUser,
    q: ListQuery,
    form: TrainingForm,
    errors: FormErrors,
) -> Result<TrainingsPage, AppError> {
    let listed = trainings::list(&state.db, &user.me.ctx, q.cursor.as_deref(), Some(50)).await?;
    Ok(TrainingsPage {
        layout: user.layout,
        flash: q.done.as_deref().and_then(flash_text).map(str::to_owned),
        errors,
        rows: listed.items.iter().map(row).collect(),
        next: listed.next_cursor,
        activities: ActivityType::ALL
            .iter()
            .map(|a| (a.as_str(), a.label_zh()))
            .collect(),
        form,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(render(
        &page(
            &state,
            user,
            q,
            TrainingForm::default(),
            FormErrors::default(),
        )
        .await?,
    )?)
}

pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<TrainingForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.csrf)?;
    // The organiser is the administrator's own organisation.
    let level = {
        let mut c = state.db.pool().acquire().await?;
        crate::services::orgs::own(&mut c, &user.me.ctx).await?.kind
    };
    let hours = form.hours.trim().parse::<f64>();
    let result = match hours {
        Err(_) => Err(AppError::invalid("hours", "学时须为数字，最多一位小数")),
        Ok(hours) => {
            let input = CreateTraining {
                title: form.title.clone(),
                organizer_id: user.me.ctx.actor.org_id.clone(),
                level,
                category: form.category.parse().unwrap_or(Category::Professional),
                activity_type: form
                    .activity_type
                    .parse()
                    .unwrap_or(ActivityType::TrainingCourse),
                start_date: form.start_date.clone(),
                end_date: form.end_date.clone(),
                hours,
            };
            trainings::create(&state.db, &user.me.ctx, input).await
        }
    };
    match result {
        Ok(t) => Ok(done(&format!("/trainings/{}", t.id), "created")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = page(&state, user, ListQuery::default(), form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "training.html")]
struct TrainingPage {
    layout: Layout,
    id: String,
    title: String,
    category: &'static str,
    activity: &'static str,
    dates: String,
    hours: String,
    result: Option<String>,
    error: Option<String>,
    problems: Vec<(String, String, String)>,
}

async fn training_page(
    state: &AppState,
    user: WebUser,
    id: &str,
) -> Result<TrainingPage, AppError> {
    let (t, _) = {
        let mut c = state.db.pool().acquire().await?;
        trainings::visible(&mut c, &user.me.ctx, id).await?
    };
    Ok(TrainingPage {
        layout: user.layout,
        id: t.id.clone(),
        title: t.title.clone(),
        category: t.category.label_zh(),
        activity: t.activity_type.label_zh(),
        dates: format!("{} 至 {}", t.start_date, t.end_date),
        hours: t.hours.to_string(),
        result: None,
        error: None,
        problems: Vec::new(),
    })
}

#[derive(Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let mut page = training_page(&state, user, &id).await?;
    page.result = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    Ok(render(&page)?)
}

/// The upload form: multipart with `csrf`, `file` and an optional `dry_run`.
pub async fn import(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let (mut csrf, mut bytes, mut dry_run) = (String::new(), None, false);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.to_string()))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("dry_run") => dry_run = true,
            Some("file") => bytes = Some(field.bytes().await.map_err(|_| AppError::TooLarge)?),
            _ => {}
        }
    }
    check_csrf(&user, &csrf)?;
    let ctx = user.me.ctx.clone();
    let mut page = training_page(&state, user, &id).await?;
    let outcome = match bytes.filter(|b| !b.is_empty()) {
        None => Err(AppError::invalid("file", "请选择要上传的名单文件")),
        Some(bytes) => match sheet::read_upload(
            bytes,
            trainings::SHEET_COLUMNS,
            &trainings::SHEET_COLUMNS[..2],
        )
        .await
        {
            Ok(rows) => {
                trainings::register(
                    &state.db,
                    &ctx,
                    &id,
                    trainings::from_sheet(rows),
                    dry_run,
                    "web",
                )
                .await
            }
            Err(e) => Err(e),
        },
    };
    let status = match outcome {
        Ok(Ok(done)) => {
            let verb = if dry_run {
                "检查通过，可登记"
            } else {
                "已登记"
            };
            page.result = Some(format!(
                "{verb}：新增 {} 人，更新 {} 人",
                done.registered, done.updated
            ));
            StatusCode::OK
        }
        Ok(Err(problems)) => {
            let shown = if problems.len() > MAX_DETAILS {
                format!("（下表列出前 {MAX_DETAILS} 处）")
            } else {
                String::new()
            };
            page.error = Some(format!(
                "名单中有 {} 处错误，全部未登记。请按下表修改后重新上传{shown}：",
                problems.len()
            ));
            page.problems = problems
                .iter()
                .take(MAX_DETAILS)
                .map(|p| {
                    let j = p.to_json();
                    (j["row"].to_string(), p.column.to_owned(), p.message.clone())
                })
                .collect();
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            page.error = errors.general;
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok((status, render(&page)?).into_response())
}
