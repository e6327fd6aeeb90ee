use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use xueshi_domain::Role;

use super::PageError;
use super::layout::WebUser;

use crate::auth::csrf::{self, LOGIN_CSRF_COOKIE};
use crate::auth::{ClientIp, SESSION_COOKIE, Session, Step};
use crate::error::{AppError, AppResult};
use crate::services::auth::{self, Login};
use crate::state::AppState;

pub(super) fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> String {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// `response` with the session cookie set to `token` (a new session after each sign-in step).
pub fn with_session(state: &AppState, token: &str, mut response: Response) -> Response {
    let max_age = state.config.session_hours * 3600;
    let session = set_cookie(state, SESSION_COOKIE, token, max_age);
    response
        .headers_mut()
        .append(SET_COOKIE, session.parse().expect("cookie header is ASCII"));
    response
}

fn render(template: &impl Template) -> AppResult<Html<String>> {
    template
        .render()
        .map(Html)
        .map_err(|e| AppError::Internal(e.into()))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    username: String,
    error: Option<String>,
    /// 咨询电话 of the districts and the city, in the official order (organisation, name,
    /// phone, hours).
    help: Vec<(String, String, String, String)>,
}

/// The consultation contacts everyone may call, before logging in.
async fn help_contacts(state: &AppState) -> AppResult<Vec<(String, String, String, String)>> {
    let mut c = state.db.pool().acquire().await?;
    let mut all = crate::services::announcements::public_contacts(&mut c).await?;
    // The city first, then the districts in their official order.
    all.sort_by_key(|(org, city, _)| (!city, xueshi_domain::district_order(org)));
    Ok(all
        .into_iter()
        .map(|(org, _, k)| (org, k.name, k.phone, k.hours))
        .collect())
}

async fn login_page(
    state: &AppState,
    status: StatusCode,
    username: String,
    error: Option<String>,
) -> AppResult<Response> {
    let csrf = csrf::new_login_token();
    let page = render(&LoginPage {
        csrf: csrf.clone(),
        username,
        error,
        help: help_contacts(state).await?,
    })?;
    Ok((
        status,
        [
            (
                SET_COOKIE,
                set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, 3600),
            ),
            // A cached form would carry a token whose cookie is gone (页面已过期).
            (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        page,
    )
        .into_response())
}

/// The start page: the login form, or home (or the sign-in step still owed) for someone
/// already logged in.
pub async fn start(
    State(state): State<AppState>,
    session: Result<Session, AppError>,
) -> AppResult<Response> {
    match session {
        Ok(s) => Ok(Redirect::to(s.next.map_or("/home", Step::page)).into_response()),
        Err(AppError::Unauthenticated) => {
            login_page(&state, StatusCode::OK, String::new(), None).await
        }
        Err(other) => Err(other),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    if !csrf::matches_login_cookie(&headers, &form.csrf) {
        let message = "页面已过期，请重新登录".to_owned();
        return login_page(&state, StatusCode::FORBIDDEN, form.username, Some(message)).await;
    }
    let input = Login {
        username: form.username.clone(),
        password: form.password,
    };
    match auth::login(&state, input, &ip, "cookie").await {
        Ok(done) => {
            let to = done.next.map_or("/home", Step::page);
            let mut response = with_session(&state, &done.token, Redirect::to(to).into_response());
            let clear_csrf = set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0);
            response.headers_mut().append(
                SET_COOKIE,
                clear_csrf.parse().expect("cookie header is ASCII"),
            );
            Ok(response)
        }
        Err(e @ (AppError::Unauthenticated | AppError::Locked { .. })) => {
            let message = match e {
                AppError::Locked { .. } => e.message(),
                _ => "用户名或密码错误，或账号已停用".to_owned(),
            };
            let (status, _) = e.status_and_code();
            login_page(&state, status, form.username, Some(message)).await
        }
        Err(other) => Err(other),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    me: Session,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    csrf::require_for_session(&me.token_hash, &form.csrf)?;
    auth::logout(&state.db, &me.ctx, &me.token_hash).await?;
    let clear = set_cookie(&state, SESSION_COOKIE, "", 0);
    Ok(([(SET_COOKIE, clear)], Redirect::to("/")).into_response())
}

/// Home: the teacher's progress, or the administrator's overview.
pub async fn home(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<FlashQuery>,
) -> Result<Response, PageError> {
    let flash = q
        .done
        .as_deref()
        .and_then(super::flash_text)
        .map(str::to_owned);
    Ok(match user.me.user.role {
        Role::Teacher => super::teacher::home(&state, user, flash).await?,
        // The auditor's work is the audit log.
        Role::Auditor => Redirect::to("/audit").into_response(),
        _ => super::admin::home(&state, user, flash).await?,
    })
}

#[derive(Deserialize)]
pub struct FlashQuery {
    done: Option<String>,
}
