//! Administrator accounts (账号管理): the staff of the organisations in scope, new accounts,
//! and resets of a password or second factor by the level above, each confirmed first.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{OrgKind, OrgStatus, Role};

use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render, shown_username};
use crate::error::AppError;
use crate::services::credentials;
use crate::services::orgs::{self, OrgFilter};
use crate::services::users::{self as user_service, CreateUser};
use crate::state::AppState;

pub struct StaffView {
    pub id: String,
    pub username: String,
    pub role: &'static str,
    pub org_name: String,
    pub second_factor: &'static str,
    pub resettable: bool,
}

#[derive(Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub org_id: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    layout: Layout,
    flash: Option<String>,
    errors: FormErrors,
    rows: Vec<StaffView>,
    roles: Vec<(&'static str, &'static str)>,
    orgs: Vec<(String, String)>,
    form: AccountForm,
}

#[derive(Deserialize)]
pub struct FlashQuery {
    done: Option<String>,
}

/// The roles an actor may create, and the organisations to create them in.
fn creatable_roles(role: Role) -> Vec<Role> {
    match role {
        Role::CityAdmin => vec![
            Role::DistrictAdmin,
            Role::SchoolAdmin,
            Role::ProviderAdmin,
            Role::CityAdmin,
            Role::Auditor,
        ],
        Role::DistrictAdmin => vec![Role::SchoolAdmin, Role::ProviderAdmin, Role::DistrictAdmin],
        Role::SchoolAdmin => vec![Role::SchoolAdmin],
        _ => Vec::new(),
    }
}

async fn page(
    state: &AppState,
    user: WebUser,
    flash: Option<String>,
    errors: FormErrors,
    form: AccountForm,
) -> Result<Response, PageError> {
    let actor = &user.me.ctx.actor;
    user.me.ctx.require(Action::CreateUser)?;
    let mut c = state.db.pool().acquire().await?;
    let staff = user_service::staff_in_scope(&mut c, state.db.vault(), &user.me.ctx).await?;
    let mut places = std::collections::HashMap::new();
    for org in orgs::by_ids(
        &mut c,
        &staff
            .iter()
            .map(|s| s.user.org_id.clone())
            .collect::<Vec<_>>(),
    )
    .await?
    {
        places.insert(org.id.clone(), org.place());
    }
    let rows = staff
        .into_iter()
        .map(|s| StaffView {
            resettable: places
                .get(&s.user.org_id)
                .is_some_and(|p| authz::may_reset_credentials(actor, &s.user.id, s.user.role, p)),
            id: s.user.id,
            username: s.user.username,
            role: s.user.role.label_zh(),
            org_name: s.org_name,
            second_factor: if s.has_authenticator {
                "已绑定"
            } else {
                "未绑定"
            },
        })
        .collect();
    let filter = OrgFilter {
        status: Some(OrgStatus::Active),
        limit: Some(500),
        ..OrgFilter::default()
    };
    let orgs = orgs::in_scope(&mut c, &user.me.ctx, &filter)
        .await?
        .items
        .into_iter()
        .filter(|o| {
            o.kind != OrgKind::District || o.id == actor.org_id || actor.role == Role::CityAdmin
        })
        .filter(|o| o.kind != OrgKind::City || actor.role == Role::CityAdmin)
        .map(|o| (o.id, o.name))
        .collect();
    let roles = creatable_roles(actor.role)
        .into_iter()
        .map(|r| (r.as_str(), r.label_zh()))
        .collect();
    Ok(render(&AccountsPage {
        layout: user.layout,
        flash,
        errors,
        rows,
        roles,
        orgs,
        form,
    })?)
}

pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let flash = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    page(
        &state,
        user,
        flash,
        FormErrors::default(),
        AccountForm::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<AccountForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.csrf)?;
    let Ok(role) = form.role.parse::<Role>() else {
        let errors = FormErrors::from_error(AppError::invalid("role", "请选择角色"))?;
        return page(&state, user, None, errors, form).await;
    };
    let input = CreateUser {
        username: form.username.clone(),
        password: form.password.clone(),
        role,
        org_id: form.org_id.clone(),
    };
    match user_service::create(&state.db, &user.me.ctx, input).await {
        Ok(_) => Ok(done("/accounts", "created")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let form = AccountForm {
                password: String::new(),
                ..form
            };
            page(&state, user, None, errors, form).await
        }
    }
}

#[derive(Template)]
#[template(path = "account_reset.html")]
struct ResetPage {
    layout: Layout,
    id: String,
    username: String,
    what: &'static str,
    what_label: &'static str,
    back: String,
    temporary_password: Option<String>,
}

#[derive(Deserialize)]
pub struct ResetQuery {
    what: Option<String>,
    back: Option<String>,
}

fn what_of(what: Option<&str>) -> Result<(&'static str, &'static str), AppError> {
    match what {
        Some("password") => Ok(("password", "密码")),
        Some("mfa") => Ok(("mfa", "双因素认证（身份验证器）")),
        _ => Err(AppError::BadRequest("what 应为 password 或 mfa".into())),
    }
}

/// Only our own pages as the way back (never another site).
fn safe_back(back: Option<String>) -> String {
    back.filter(|b| b.starts_with('/') && !b.starts_with("//"))
        .unwrap_or_else(|| "/accounts".into())
}

/// The confirmation before a reset: whose, and what it does.
pub async fn confirm(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<ResetQuery>,
) -> Result<Response, PageError> {
    let (what, what_label) = what_of(q.what.as_deref())?;
    let (target, _) = credentials::resettable(&state, &user.me.ctx, &id).await?;
    Ok(render(&ResetPage {
        layout: user.layout,
        id,
        username: shown_username(&target),
        what,
        what_label,
        back: safe_back(q.back),
        temporary_password: None,
    })?)
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    what: String,
    back: Option<String>,
}

pub async fn reset(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    check_csrf(&user, &form.csrf)?;
    let (what, what_label) = what_of(Some(&form.what))?;
    let back = safe_back(form.back);
    if what == "mfa" {
        credentials::reset_mfa(&state, &user.me.ctx, &id).await?;
        return Ok(done(&back, "mfa_reset"));
    }
    let temporary = credentials::reset_password(&state, &user.me.ctx, &id).await?;
    let mut c = state.db.pool().acquire().await?;
    let username = user_service::get(&mut c, state.db.vault(), &id)
        .await?
        .map(|u| shown_username(&u))
        .unwrap_or_default();
    Ok(render(&ResetPage {
        layout: user.layout,
        id,
        username,
        what,
        what_label,
        back,
        temporary_password: Some(temporary),
    })?)
}
