//! The teacher registry as administrators use it: search, add, transfer, departure and
//! corrections — each through the same services as the API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{IdNumber, OrgKind, TeacherStatus, mask_phone};

use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render};
use crate::error::AppError;
use crate::services::orgs::{self, OrgFilter};
use crate::services::teachers::{self, CreateTeacher, TeacherFilter, UpdateTeacher};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

/// Schools the actor may place teachers in, for a select (`(id, name)`).
async fn schools(state: &AppState, user: &WebUser) -> Result<Vec<(String, String)>, AppError> {
    schools_of(state, user, None).await
}

/// The same, of one district only (the city picks the district first: a city's thousands of
/// schools are no list to choose from).
async fn schools_of(
    state: &AppState,
    user: &WebUser,
    district_id: Option<&str>,
) -> Result<Vec<(String, String)>, AppError> {
    let mut c = state.db.pool().acquire().await?;
    let filter = OrgFilter {
        kind: Some(OrgKind::School),
        status: Some(xueshi_domain::OrgStatus::Active),
        district_id: district_id.map(str::to_owned),
        limit: Some(500),
        ..Default::default()
    };
    let page = orgs::in_scope(&mut c, &user.me.ctx, &filter).await?;
    Ok(page.items.into_iter().map(|o| (o.id, o.name)).collect())
}

async fn school_names(
    state: &AppState,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let mut c = state.db.pool().acquire().await?;
    Ok(orgs::by_ids(&mut c, ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

pub struct TeacherRow {
    pub id: String,
    pub name: String,
    pub id_number: String,
    pub school: String,
    pub status: &'static str,
}

#[derive(Default, Deserialize)]
pub struct NewTeacherForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub school_id: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "teachers.html")]
struct TeachersPage {
    layout: Layout,
    flash: Option<String>,
    q: String,
    status: String,
    school_id: String,
    district_id: String,
    /// Districts to filter by (the city), schools to filter by (a district).
    filter_districts: Vec<(String, String)>,
    filter_schools: Vec<(String, String)>,
    /// The filters as a query string, for the next page's link.
    filters: String,
    rows: Vec<TeacherRow>,
    next: Option<String>,
    schools: Vec<(String, String)>,
    form: NewTeacherForm,
    errors: FormErrors,
}

#[derive(Default, Deserialize, serde::Serialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    school_id: Option<String>,
    district_id: Option<String>,
    #[serde(skip_serializing)]
    cursor: Option<String>,
    #[serde(skip_serializing)]
    done: Option<String>,
}

async fn teachers_page(
    state: &AppState,
    user: WebUser,
    q: ListQuery,
    form: NewTeacherForm,
    errors: FormErrors,
) -> Result<TeachersPage, AppError> {
    let status = match q.status.as_deref() {
        Some("active") => Some(TeacherStatus::Active),
        Some("departed") => Some(TeacherStatus::Departed),
        _ => None,
    };
    let some = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let filter = TeacherFilter {
        q: q.q.clone(),
        status,
        school_id: some(&q.school_id),
        district_id: some(&q.district_id),
        cursor: q.cursor.clone(),
        limit: Some(50),
    };
    let page = teachers::list(&state.db, &user.me.ctx, &filter).await?;
    let ids: Vec<String> = page.items.iter().map(|t| t.school_id.clone()).collect();
    let names = school_names(state, &ids).await?;
    let rows = page
        .items
        .into_iter()
        .map(|t| TeacherRow {
            school: names.get(&t.school_id).cloned().unwrap_or_default(),
            id_number: IdNumber::mask_str(&t.id_number),
            status: t.status.label_zh(),
            id: t.id,
            name: t.name,
        })
        .collect();
    let schools = schools(state, &user).await?;
    let (filter_districts, filter_schools) = match user.me.ctx.actor.role {
        xueshi_domain::Role::CityAdmin => {
            let mut c = state.db.pool().acquire().await?;
            let districts = orgs::districts(&mut c)
                .await?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect();
            (districts, Vec::new())
        }
        xueshi_domain::Role::DistrictAdmin => (Vec::new(), schools.clone()),
        _ => (Vec::new(), Vec::new()),
    };
    Ok(TeachersPage {
        filters: serde_urlencoded::to_string(&q).unwrap_or_default(),
        schools,
        filter_districts,
        filter_schools,
        layout: user.layout,
        flash: q.done.as_deref().and_then(flash_text).map(str::to_owned),
        school_id: q.school_id.unwrap_or_default(),
        district_id: q.district_id.unwrap_or_default(),
        q: q.q.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        rows,
        next: page.next_cursor,
        form,
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    user.me.ctx.require(Action::ViewTeachers)?;
    Ok(render(
        &teachers_page(
            &state,
            user,
            q,
            NewTeacherForm::default(),
            FormErrors::default(),
        )
        .await?,
    )?)
}

pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<NewTeacherForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let input = CreateTeacher {
        name: form.name.clone(),
        id_number: form.id_number.clone(),
        school_id: form.school_id.clone(),
        password: form.password.clone(),
        phone: Some(form.phone.clone()).filter(|p| !p.trim().is_empty()),
    };
    match teachers::create(&state.db, &user.me.ctx, input).await {
        Ok(_) => Ok(done("/teachers", "created")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = teachers_page(&state, user, ListQuery::default(), form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "teacher_manage.html")]
struct ManagePage {
    layout: Layout,
    flash: Option<String>,
    errors: FormErrors,
    id: String,
    name: String,
    id_number: String,
    full: bool,
    phone: String,
    school: String,
    school_id: String,
    status: &'static str,
    departed: bool,
    schools: Vec<(String, String)>,
    can_correct: bool,
    /// The teacher's login, when this administrator may reset its password.
    resettable_user: Option<String>,
    records: Vec<super::teacher_records::RecordRow>,
    can_revoke: bool,
    /// Verified years the teacher passed: each has a certificate to download.
    passed_years: Vec<i32>,
    /// The districts, to list one's schools for a transfer (the city) or a transfer request
    /// (a school).
    transfer_districts: Vec<(String, String)>,
    transfer_district: String,
    /// A school administrator asks for a transfer instead of performing one.
    requests_transfer: bool,
    pending_transfer: Option<PendingTransfer>,
}

pub struct PendingTransfer {
    pub id: String,
    pub to_school: String,
    pub requested_at: String,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    full: Option<u8>,
    done: Option<String>,
    /// The district whose schools the city's transfer offers.
    transfer_district: Option<String>,
}

async fn manage_page(
    state: &AppState,
    user: WebUser,
    id: &str,
    full: bool,
    flash: Option<String>,
    errors: FormErrors,
    transfer_district: Option<String>,
) -> Result<ManagePage, AppError> {
    user.me.ctx.require(Action::ViewTeachers)?;
    let (teacher, school) = {
        let mut c = state.db.pool().acquire().await?;
        teachers::visible(&mut c, state.db.vault(), &user.me.ctx, id).await?
    };
    // The full number only on request: that view is audited.
    let id_number = if full {
        teachers::get_full(&state.db, &user.me.ctx, id)
            .await?
            .id_number
    } else {
        IdNumber::mask_str(&teacher.id_number)
    };
    // The city, and a school asking for a transfer, choose a district first, then one of its
    // schools.
    let city = user.me.ctx.actor.role == xueshi_domain::Role::CityAdmin;
    let requests_transfer = authz::may_request_transfer(&user.me.ctx.actor, &school.place());
    let transfer_district = transfer_district
        .filter(|d| !d.is_empty())
        .or_else(|| school.district_id.clone())
        .unwrap_or_default();
    let transfer_districts = if city || requests_transfer {
        let mut c = state.db.pool().acquire().await?;
        orgs::districts(&mut c)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect()
    } else {
        Vec::new()
    };
    let mut schools = if city {
        schools_of(state, &user, Some(&transfer_district)).await?
    } else if requests_transfer {
        super::transfers::destinations(state, &transfer_district).await?
    } else {
        schools(state, &user).await?
    };
    if requests_transfer {
        schools.retain(|(s, _)| *s != school.id);
    } else if !schools.iter().any(|(s, _)| *s == school.id) {
        schools.insert(0, (school.id.clone(), school.name.clone()));
    }
    let pending_transfer = crate::services::transfers::pending_for(&state.db, &teacher.id)
        .await?
        .map(|r| PendingTransfer {
            id: r.id,
            to_school: r.to_school_name,
            requested_at: super::shown_time(r.requested_at, false),
        });
    let resettable_user = teacher.user_id.clone().filter(|user_id| {
        authz::may_reset_credentials(
            &user.me.ctx.actor,
            user_id,
            xueshi_domain::Role::Teacher,
            &school.place(),
        )
    });
    let records = super::teacher_records::rows(state, &user, &teacher.id).await?;
    let passed_years = {
        let mut c = state.db.pool().acquire().await?;
        crate::services::verification::results_of(&mut c, &teacher.id)
            .await?
            .into_iter()
            .filter(|r| r.passed)
            .map(|r| r.year)
            .collect()
    };
    Ok(ManagePage {
        requests_transfer,
        pending_transfer,
        transfer_districts,
        transfer_district,
        passed_years,
        can_revoke: super::teacher_records::can_revoke(&user),
        records,
        resettable_user,
        can_correct: authz::role_allows(user.me.ctx.actor.role, Action::CorrectIdentity),
        schools,
        layout: user.layout,
        flash,
        errors,
        id: teacher.id,
        name: teacher.name,
        id_number,
        full,
        phone: teacher
            .phone
            .as_deref()
            .map(mask_phone)
            .unwrap_or_else(|| "未填写".into()),
        school: school.name,
        school_id: school.id,
        status: teacher.status.label_zh(),
        departed: teacher.status == TeacherStatus::Departed,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let flash = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    Ok(render(
        &manage_page(
            &state,
            user,
            &id,
            q.full == Some(1),
            flash,
            FormErrors::default(),
            q.transfer_district,
        )
        .await?,
    )?)
}

#[derive(Deserialize)]
pub struct ManageForm {
    csrf: String,
    action: String,
    school_id: Option<String>,
    name: Option<String>,
    id_number: Option<String>,
}

pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<ManageForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    // After a transfer the teacher may be out of this administrator's sight.
    let back = if form.action == "transfer" {
        "/teachers".to_owned()
    } else {
        format!("/teachers/{id}")
    };
    let input = match form.action.as_str() {
        "transfer" => UpdateTeacher {
            school_id: form.school_id,
            ..Default::default()
        },
        "depart" => UpdateTeacher {
            status: Some(TeacherStatus::Departed),
            ..Default::default()
        },
        "reinstate" => UpdateTeacher {
            status: Some(TeacherStatus::Active),
            ..Default::default()
        },
        "correct" => UpdateTeacher {
            name: form.name,
            id_number: form.id_number.filter(|n| !n.trim().is_empty()),
            ..Default::default()
        },
        _ => return Err(AppError::BadRequest("未知的操作".into()).into()),
    };
    match teachers::update(&state.db, &user.me.ctx, &id, input).await {
        Ok(_) => Ok(done(&back, "updated")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = manage_page(&state, user, &id, false, None, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// The page again with `message` on top (a refused 取消学时登记).
pub async fn show_with_error(
    state: &AppState,
    user: WebUser,
    id: &str,
    message: String,
) -> Result<Response, PageError> {
    let errors = FormErrors {
        general: Some(message),
        fields: Vec::new(),
    };
    let page = manage_page(state, user, id, false, None, errors, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}
