//! The sign-in step pages: second factor (enrol, verify, recovery codes), password change
//! (forced or chosen), forgot password. Pending sessions reach these and nothing else.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use xueshi_domain::FieldError;

use super::forms::FormErrors;
use super::pages::{set_cookie, with_session};
use super::{PageError, render, shown_username};
use crate::auth::csrf::{self, LOGIN_CSRF_COOKIE};
use crate::auth::{ClientIp, Session, Step, totp};
use crate::error::AppError;
use crate::services::credentials::{self, Forgot, ResetWithCode};
use crate::services::sign_in::{self, ChangePassword, MfaCode};
use crate::state::AppState;

pub struct ShownEnrolment {
    pub secret: String,
    pub qr_svg: String,
}

#[derive(Template)]
#[template(path = "login_mfa.html")]
struct MfaPage {
    username: String,
    csrf: String,
    enrolling: bool,
    enrolment: Option<ShownEnrolment>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    username: String,
    csrf: String,
    codes: Vec<String>,
    next: &'static str,
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

async fn mfa_page(
    state: &AppState,
    session: &Session,
    error: Option<String>,
) -> Result<Response, PageError> {
    let enrolling = session.next == Some(Step::MfaEnroll);
    let enrolment = if enrolling {
        let mut c = state.db.pool().acquire().await?;
        match crate::services::sign_in::enrolment(&mut c, state.db.vault(), &session.user.id)
            .await?
        {
            Some(a) if !a.confirmed => {
                let uri = totp::otpauth_uri(&a.secret, &session.user.username)?;
                // Grouped by four for typing; authenticator apps ignore the spaces.
                let grouped = a.secret.as_bytes().chunks(4);
                let secret = grouped
                    .map(|g| String::from_utf8_lossy(g).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ");
                Some(ShownEnrolment {
                    qr_svg: totp::qr_svg(&uri)?,
                    secret,
                })
            }
            _ => None,
        }
    } else {
        None
    };
    Ok(render(&MfaPage {
        username: shown_username(&session.user),
        csrf: csrf::csrf_for_session(&session.token_hash),
        enrolling,
        enrolment,
        error,
    })?)
}

/// Where a session goes when it owes no more than `next`.
fn after(next: Option<Step>) -> &'static str {
    next.map_or("/home", Step::page)
}

pub async fn mfa_form(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, PageError> {
    match session.next {
        Some(Step::MfaEnroll | Step::MfaVerify) => mfa_page(&state, &session, None).await,
        other => Ok(Redirect::to(after(other)).into_response()),
    }
}

pub async fn mfa_enroll(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    csrf::require_for_session(&session.token_hash, &form.csrf)?;
    sign_in::enroll(&state, &session).await?;
    Ok(Redirect::to("/login/mfa").into_response())
}

pub async fn mfa_verify(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    csrf::require_for_session(&session.token_hash, &form.csrf)?;
    let verified = match sign_in::verify(&state, &session, MfaCode { code: form.code }).await {
        Ok(v) => v,
        Err(AppError::Unauthenticated) => {
            let message = "验证码不正确或已使用过，请输入应用中当前显示的验证码".to_owned();
            return mfa_page(&state, &session, Some(message)).await;
        }
        Err(e @ AppError::Locked { .. }) => {
            let clear = set_cookie(&state, crate::auth::SESSION_COOKIE, "", 0);
            let mut page = super::error_page(e);
            page.headers_mut()
                .append(SET_COOKIE, clear.parse().expect("cookie header is ASCII"));
            return Ok(page);
        }
        Err(other) => return Err(other.into()),
    };
    let done = verified.done;
    let next = after(done.next);
    let page = match verified.recovery_codes {
        Some(codes) => render(&RecoveryCodesPage {
            username: shown_username(&done.user),
            csrf: csrf::csrf_for_session(&crate::auth::sessions::token_hash(&done.token)),
            codes,
            next,
        })?,
        None => Redirect::to(next).into_response(),
    };
    Ok(with_session(&state, &done.token, page))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    username: String,
    csrf: String,
    forced: bool,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

fn password_page(session: &Session, errors: FormErrors) -> Result<Response, PageError> {
    Ok(render(&PasswordPage {
        username: shown_username(&session.user),
        csrf: csrf::csrf_for_session(&session.token_hash),
        forced: session.next == Some(Step::ChangePassword),
        errors,
    })?)
}

pub async fn password_form(session: Session) -> Result<Response, PageError> {
    if let Some(step @ (Step::MfaEnroll | Step::MfaVerify)) = session.next {
        return Ok(Redirect::to(step.page()).into_response());
    }
    password_page(&session, FormErrors::default())
}

pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    csrf::require_for_session(&session.token_hash, &form.csrf)?;
    if form.new_password != form.confirm_password {
        let errors = FormErrors {
            fields: vec![FieldError::new(
                "confirm_password",
                "两次输入的新密码不一致",
            )],
            general: None,
        };
        return password_page(&session, errors);
    }
    let input = ChangePassword {
        current_password: Some(form.current_password).filter(|p| !p.is_empty()),
        new_password: form.new_password,
    };
    match sign_in::change_password(&state, &session, input).await {
        Ok(done) => Ok(with_session(
            &state,
            &done.token,
            super::forms::done("/home", "password"),
        )),
        Err(e) => password_page(&session, FormErrors::from_error(e)?),
    }
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    username: String,
    csrf: String,
    login_csrf: String,
    sent: bool,
    errors: FormErrors,
}

fn forgot_page(state: &AppState, username: String, sent: bool, errors: FormErrors) -> Response {
    let login_csrf = csrf::new_login_token();
    let page = ForgotPage {
        username,
        csrf: String::new(),
        login_csrf: login_csrf.clone(),
        sent,
        errors,
    };
    match render(&page) {
        Ok(mut response) => {
            let cookie = set_cookie(state, LOGIN_CSRF_COOKIE, &login_csrf, 3600);
            response
                .headers_mut()
                .append(SET_COOKIE, cookie.parse().expect("cookie header is ASCII"));
            response
        }
        Err(e) => super::error_page(e),
    }
}

pub async fn forgot_form(State(state): State<AppState>) -> Response {
    forgot_page(&state, String::new(), false, FormErrors::default())
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
}

pub async fn forgot(
    State(state): State<AppState>,
    _limit: crate::auth::extract::PublicLookup,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Result<Response, PageError> {
    if !csrf::matches_login_cookie(&headers, &form.csrf) {
        let errors = FormErrors {
            general: Some("页面已过期，请重新提交".into()),
            ..FormErrors::default()
        };
        return Ok(forgot_page(&state, form.username, false, errors));
    }
    let username = form.username.trim().to_owned();
    credentials::forgot(
        &state,
        Forgot {
            username: username.clone(),
        },
        &ip,
    )
    .await?;
    Ok(forgot_page(&state, username, true, FormErrors::default()))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    new_password: String,
}

pub async fn reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    if !csrf::matches_login_cookie(&headers, &form.csrf) {
        let errors = FormErrors {
            general: Some("页面已过期，请重新提交".into()),
            ..FormErrors::default()
        };
        return Ok(forgot_page(&state, form.username, true, errors));
    }
    let input = ResetWithCode {
        username: form.username.clone(),
        code: form.code,
        new_password: form.new_password,
    };
    match credentials::reset_with_code(&state, input, &ip, "cookie").await {
        Ok(done) => {
            let to = done.next.map_or("/home?done=password", Step::page);
            Ok(with_session(
                &state,
                &done.token,
                Redirect::to(to).into_response(),
            ))
        }
        Err(AppError::Unauthenticated) => {
            let errors = FormErrors {
                general: Some("验证码不正确或已过期，请重新获取".into()),
                ..FormErrors::default()
            };
            Ok(forgot_page(&state, form.username, true, errors))
        }
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            Ok(forgot_page(&state, form.username, true, errors))
        }
    }
}
