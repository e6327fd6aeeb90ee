//! Schools as districts and the city keep them: list, register, archive (注销) and reactivate.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{OrgKind, OrgStatus, Ownership, Role, SchoolType};
use xueshi_store::repo::orgs::{self, OrgFilter};

use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render};
use crate::error::AppError;
use crate::services::orgs::{self as org_service, CreateOrg, UpdateOrg};
use crate::state::AppState;

pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
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
    form: SchoolForm,
    errors: FormErrors,
) -> Result<SchoolsPage, AppError> {
    user.me.ctx.require(Action::CreateOrg)?;
    let actor = &user.me.ctx.actor;
    let scope = authz::scope(actor);
    let mut c = state.db.pool().acquire().await?;
    let filter = OrgFilter {
        cursor: q.cursor,
        limit: Some(100),
        ..Default::default()
    };
    let listed = orgs::list(&mut c, &scope, &filter).await?;
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
            kind: o.kind.label_zh(),
            ownership: o.ownership.map_or("", |w| w.label_zh()),
            status: o.status.label_zh(),
            city_affiliated: o.city_affiliated,
            archived: o.status == OrgStatus::Archived,
            manageable: authz::manages_org(actor, &o.place()),
        })
        .collect();
    let districts = if actor.role == Role::CityAdmin {
        let filter = OrgFilter {
            kind: Some(OrgKind::District),
            limit: Some(100),
            ..Default::default()
        };
        orgs::list(&mut c, &scope, &filter)
            .await?
            .items
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect()
    } else {
        vec![(actor.org_id.clone(), user.layout.org_name.clone())]
    };
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
