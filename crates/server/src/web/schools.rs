//! Schools as districts and the city keep them: list, register, archive (注销) and reactivate.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{OrgKind, OrgStatus, Ownership, Role, SchoolType};

use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render};
use crate::error::AppError;
use crate::services::orgs::{self as org_service, self, CreateOrg, OrgFilter, UpdateOrg};
use crate::state::AppState;

pub struct OrgRow {
    pub id: String,
    pub name: String,
    /// 小学, 幼儿园 … for a school; 区 or 培训机构 otherwise.
    pub kind: &'static str,
    pub district: String,
    pub ownership: &'static str,
    pub status: &'static str,
    pub city_affiliated: bool,
    pub archived: bool,
    pub manageable: bool,
}

#[derive(Default, Deserialize)]
pub struct SchoolForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub ownership: String,
    #[serde(default)]
    pub school_type: String,
    pub city_affiliated: Option<String>,
}

#[derive(Template)]
#[template(path = "schools.html")]
struct SchoolsPage {
    layout: Layout,
    flash: Option<String>,
    errors: FormErrors,
    is_city: bool,
    rows: Vec<OrgRow>,
    next: Option<String>,
    districts: Vec<(String, String)>,
    school_types: Vec<(&'static str, &'static str)>,
    form: SchoolForm,
    q: ListQuery,
    /// The filters as a query string, for the next page's link.
    filters: String,
}

#[derive(Default, Deserialize, serde::Serialize)]
pub struct ListQuery {
    /// Part of the name.
    #[serde(default)]
    q: String,
    #[serde(default)]
    district_id: String,
    #[serde(default)]
    school_type: String,
    /// `active`, `archived`, or anything else for both.
    #[serde(default)]
    status: String,
    #[serde(skip_serializing)]
    cursor: Option<String>,
    #[serde(skip_serializing)]
    done: Option<String>,
}

async fn page(
    state: &AppState,
    user: WebUser,
    q: ListQuery,
    form: SchoolForm,
    errors: FormErrors,
) -> Result<SchoolsPage, AppError> {
    user.me.ctx.require(Action::CreateOrg)?;
    let actor = &user.me.ctx.actor;
    let mut c = state.db.pool().acquire().await?;
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = OrgFilter {
        name_contains: some(&q.q),
        district_id: some(&q.district_id),
        school_type: q.school_type.parse::<SchoolType>().ok(),
        status: match q.status.as_str() {
            "active" => Some(OrgStatus::Active),
            "archived" => Some(OrgStatus::Archived),
            _ => None,
        },
        cursor: q.cursor.clone(),
        limit: Some(100),
        ..Default::default()
    };
    let listed = orgs::in_scope(&mut c, &user.me.ctx, &filter).await?;
    let all_districts = orgs::districts(&mut c).await?;
    let district_name = |id: &Option<String>| {
        all_districts
            .iter()
            .find(|d| Some(&d.id) == id.as_ref())
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let rows = listed
        .items
        .iter()
        .filter(|o| {
            matches!(
                o.kind,
                OrgKind::School | OrgKind::District | OrgKind::Provider
            ) && o.id != actor.org_id
        })
        .map(|o| OrgRow {
            id: o.id.clone(),
            name: o.name.clone(),
            kind: match o.kind {
                OrgKind::School => o.school_type.map_or("学校", |t| t.label_zh()),
                OrgKind::District => "区",
                _ => "培训机构",
            },
            district: if o.kind == OrgKind::District {
                String::new()
            } else {
                district_name(&o.district_id)
            },
            ownership: o.ownership.map_or("", |w| w.label_zh()),
            status: o.status.label_zh(),
            city_affiliated: o.city_affiliated,
            archived: o.status == OrgStatus::Archived,
            manageable: authz::manages_org(actor, &o.place()),
        })
        .collect();
    let districts = if actor.role == Role::CityAdmin {
        all_districts.into_iter().map(|o| (o.id, o.name)).collect()
    } else {
        vec![(actor.org_id.clone(), user.layout.org_name.clone())]
    };
    let filters = serde_urlencoded::to_string(&q).unwrap_or_default();
    Ok(SchoolsPage {
        is_city: actor.role == Role::CityAdmin,
        layout: user.layout,
        flash: q.done.as_deref().and_then(flash_text).map(str::to_owned),
        errors,
        rows,
        next: listed.next_cursor,
        districts,
        school_types: SchoolType::ALL
            .iter()
            .map(|t| (t.as_str(), t.label_zh()))
            .collect(),
        form,
        q,
        filters,
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
            SchoolForm::default(),
            FormErrors::default(),
        )
        .await?,
    )?)
}

pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<SchoolForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.csrf)?;
    let input = CreateOrg {
        name: form.name.clone(),
        kind: OrgKind::School,
        parent_id: Some(form.parent_id.clone()),
        ownership: form.ownership.parse::<Ownership>().ok(),
        school_type: form.school_type.parse::<SchoolType>().ok(),
        city_affiliated: form.city_affiliated.is_some(),
    };
    match org_service::create(&state.db, &user.me.ctx, input).await {
        Ok(_) => Ok(done("/schools", "created")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = page(&state, user, ListQuery::default(), form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    csrf: String,
    status: OrgStatus,
}

pub async fn set_status(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.csrf)?;
    let input = UpdateOrg {
        name: None,
        status: Some(form.status),
    };
    org_service::update(&state.db, &user.me.ctx, &id, input).await?;
    Ok(done("/schools", "updated"))
}
