//! 学校注册申请: the public form a school not yet on the platform fills in (linked from the login
//! page), and the queue its district (or the city) decides — through
//! `services::school_applications`, as the API does.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::Action;
use xueshi_domain::{SchoolApplicationStatus, SchoolType, mask_phone};

use super::forms::{DecisionForm, FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::pages::set_cookie;
use super::{PageError, flash_text, render, shown_time};
use crate::auth::ClientIp;
use crate::auth::csrf::{self, LOGIN_CSRF_COOKIE};
use crate::auth::extract::PublicLookup;
use crate::error::AppError;
use crate::services::school_applications::{
    self, ApplicationFilter, DistrictChoice, NewApplication, SchoolApplication,
};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

#[derive(Default, Deserialize)]
pub struct ApplicationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub district_id: String,
    #[serde(default)]
    pub ownership: String,
    #[serde(default)]
    pub school_type: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub admin_username: String,
}

#[derive(Template)]
#[template(path = "school_apply.html")]
struct ApplyPage {
    login_csrf: String,
    errors: FormErrors,
    form: ApplicationForm,
    districts: Vec<DistrictChoice>,
    school_types: Vec<(&'static str, &'static str)>,
    /// After a successful application: what was sent, to keep.
    sent: Option<Sent>,
}

pub struct Sent {
    pub name: String,
    pub district: String,
    pub phone: String,
}

/// The page with a fresh login-CSRF cookie (the visitor has no session).
async fn apply_page(
    state: &AppState,
    status: StatusCode,
    errors: FormErrors,
    form: ApplicationForm,
    sent: Option<Sent>,
) -> PageResult {
    let login_csrf = csrf::new_login_token();
    let page = ApplyPage {
        login_csrf: login_csrf.clone(),
        errors,
        form,
        districts: school_applications::districts(&state.db).await?,
        school_types: SchoolType::ALL
            .iter()
            .map(|t| (t.as_str(), t.label_zh()))
            .collect(),
        sent,
    };
    let mut response = (status, render(&page)?).into_response();
    let cookie = set_cookie(state, LOGIN_CSRF_COOKIE, &login_csrf, 3600);
    response
        .headers_mut()
        .append(SET_COOKIE, cookie.parse().expect("cookie header is ASCII"));
    Ok(response)
}

pub async fn apply_form(State(state): State<AppState>) -> PageResult {
    apply_page(
        &state,
        StatusCode::OK,
        FormErrors::default(),
        ApplicationForm::default(),
        None,
    )
    .await
}

/// An empty choice is "not chosen" (the service names it); anything else must be a code.
fn chosen<T: std::str::FromStr>(raw: &str, field: &str, errors: &mut FormErrors) -> Option<T> {
    if raw.is_empty() {
        return None;
    }
    let parsed = raw.parse().ok();
    if parsed.is_none() {
        errors
            .fields
            .push(xueshi_domain::FieldError::new(field, "请从列表中选择"));
    }
    parsed
}

pub async fn apply(
    State(state): State<AppState>,
    _limit: PublicLookup,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<ApplicationForm>,
) -> PageResult {
    if !csrf::matches_login_cookie(&headers, &form.csrf) {
        let errors = FormErrors {
            general: Some("页面已过期，请重新提交".into()),
            ..FormErrors::default()
        };
        return apply_page(&state, StatusCode::FORBIDDEN, errors, form, None).await;
    }
    let mut choice_errors = FormErrors::default();
    let input = NewApplication {
        name: form.name.clone(),
        district_id: form.district_id.clone(),
        ownership: chosen(&form.ownership, "ownership", &mut choice_errors),
        school_type: chosen(&form.school_type, "school_type", &mut choice_errors),
        contact_name: form.contact_name.clone(),
        contact_phone: form.contact_phone.clone(),
        admin_username: form.admin_username.clone(),
    };
    let result = match choice_errors.fields.is_empty() {
        true => school_applications::apply(&state.db, &ip, input).await,
        false => Err(AppError::Invalid(choice_errors.fields)),
    };
    match result {
        Ok(a) => {
            let sent = Sent {
                phone: mask_phone(&a.contact_phone),
                district: a.district_name,
                name: a.name,
            };
            apply_page(
                &state,
                StatusCode::CREATED,
                FormErrors::default(),
                ApplicationForm::default(),
                Some(sent),
            )
            .await
        }
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            apply_page(&state, StatusCode::UNPROCESSABLE_ENTITY, errors, form, None).await
        }
    }
}

pub struct Row {
    pub id: String,
    pub name: String,
    pub district: String,
    pub kind: String,
    pub contact: String,
    pub admin_username: String,
    pub status: &'static str,
    pub applied_at: String,
    pub decided: String,
    pub pending: bool,
    /// The registry searched for the school an approval created.
    pub school_href: Option<String>,
}

fn row(a: SchoolApplication) -> Row {
    Row {
        kind: format!("{} · {}", a.ownership.label_zh(), a.school_type.label_zh()),
        contact: format!("{} {}", a.contact_name, mask_phone(&a.contact_phone)),
        status: a.status.label_zh(),
        applied_at: shown_time(a.applied_at, false),
        decided: super::decided_text(a.decided_at, a.decision_reason.as_deref()),
        pending: a.status == SchoolApplicationStatus::Pending,
        id: a.id,
        district: a.district_name,
        admin_username: a.admin_username,
        school_href: a.school_id.map(|_| {
            let q: String = form_urlencoded::byte_serialize(a.name.as_bytes()).collect();
            format!("/schools?q={q}")
        }),
        name: a.name,
    }
}

/// A decision just made: the temporary password is shown here, once.
pub struct Outcome {
    pub school: String,
    pub admin_username: String,
    pub temporary_password: String,
}

#[derive(Template)]
#[template(path = "school_applications.html")]
struct ListPage {
    layout: Layout,
    flash: Option<String>,
    error: Option<String>,
    status: String,
    is_city: bool,
    rows: Vec<Row>,
    next: Option<String>,
    outcome: Option<Outcome>,
}

#[derive(Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: WebUser,
    q: ListQuery,
    error: Option<String>,
    outcome: Option<Outcome>,
) -> Result<ListPage, AppError> {
    user.me.ctx.require(Action::DecideSchoolApplication)?;
    let status = super::status_filter(q.status.as_deref(), SchoolApplicationStatus::Pending)?;
    let filter = ApplicationFilter {
        status,
        cursor: q.cursor.clone(),
        limit: Some(50),
        ..Default::default()
    };
    let found = school_applications::list(&state.db, &user.me.ctx, &filter).await?;
    Ok(ListPage {
        is_city: user.me.ctx.actor.role == xueshi_domain::Role::CityAdmin,
        layout: user.layout,
        flash: q.done.as_deref().and_then(flash_text).map(str::to_owned),
        error,
        status: super::shown_status(q.status),
        rows: found.items.into_iter().map(row).collect(),
        next: found.next_cursor,
        outcome,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    Ok(render(&list_page(&state, user, q, None, None).await?)?)
}

pub async fn review(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let input = form.decision();
    let decided =
        school_applications::decide(&state.db, state.notifier.clone(), &user.me.ctx, &id, input)
            .await;
    match decided {
        // Rendered, not redirected: the password must not sit in a URL or be shown twice.
        Ok((a, Some(temporary_password))) => {
            let outcome = Outcome {
                school: a.name,
                admin_username: a.admin_username,
                temporary_password,
            };
            let page = list_page(&state, user, ListQuery::default(), None, Some(outcome)).await?;
            Ok(render(&page)?)
        }
        Ok(_) => Ok(done("/school-applications", "school_application_rejected")),
        Err(e) => {
            let message = FormErrors::from_error(e)?.first_message();
            let page = list_page(&state, user, ListQuery::default(), message, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
