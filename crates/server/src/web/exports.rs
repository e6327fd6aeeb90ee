//! 数据与证书: the jobs the API offers for a verified year, on one screen — the provincial
//! export (city and districts; full ID numbers, audited), the certificates of a school or a
//! district as one ZIP, and the check of the teachers against the provincial roster, shown
//! as lists or downloaded as XLSX.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::Role;
use xueshi_domain::authz::{self, Action, Scope};
use xueshi_store::repo::reports::{self, Reach};

use super::forms::{FormErrors, check_csrf};
use super::layout::{Layout, WebUser};
use super::{PageError, render, today};
use crate::api::exports::reconciliation_xlsx;
use crate::error::AppError;
use crate::services::reconciliation::{self, Reconciliation};
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
    result: Option<Reconciliation>,
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
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
            verified: reports::has_results(&mut c, y).await?,
        });
    }
    // Read once: from the choices when the year is among them.
    let verified = match years.iter().find(|y| y.year == year) {
        Some(y) => y.verified,
        None => reports::has_results(&mut c, year).await?,
    };
    let reach = Reach {
        scope: &scope,
        district_id: None,
        school_id: None,
    };
    let (schools, districts) = match actor.role {
        Role::SchoolAdmin => (Vec::new(), Vec::new()),
        _ => {
            let schools = reports::schools(&mut c, &reach, false)
                .await?
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect();
            let districts = if matches!(scope, Scope::All) {
                reports::districts(&mut c)
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
    Ok(ExportsPage {
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
    Ok(render(&page(&state, user, year).await?)?)
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
            page.result = Some(result);
            Ok(render(&page)?)
        }
        Err(e) => {
            page.errors = FormErrors::from_error(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
