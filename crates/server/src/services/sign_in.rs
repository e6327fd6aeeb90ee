//! The sign-in steps after the password (API.md): enrolling and verifying the second factor,
//! changing a password someone else chose. Each completed step opens a new session and ends
//! the pending one (a token never gains privilege in place).

use serde::Deserialize;
use serde_json::json;
use xueshi_store::models::User;
use xueshi_store::repo::{mfa, sessions, users};

use super::auth::{LoggedIn, fail, open_session, refuse_if_locked};
use super::{Place, record};
use crate::auth::password;
use crate::auth::steps::Step;
use crate::auth::{Session, totp};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// Base32, for typing into an authenticator app by hand.
    pub secret: String,
    pub otpauth_uri: String,
}

/// A new secret for a session that owes `mfa_enroll` (replacing an unconfirmed one).
pub async fn enroll(state: &AppState, session: &Session) -> AppResult<Enrolment> {
    if session.next != Some(Step::MfaEnroll) {
        return Err(AppError::Conflict(
            "当前无需绑定身份验证器；如需更换，请联系上级管理员重置".into(),
        ));
    }
    let secret = totp::new_secret();
    let otpauth_uri = totp::otpauth_uri(&secret, &session.user.username)?;
    let mut tx = state.db.begin().await?;
    mfa::replace(
        &mut tx,
        state.db.vault(),
        &session.user.id,
        &secret,
        state.clock.now_ms(),
    )
    .await?;
    record(
        &mut tx,
        state.db.vault(),
        &session.ctx,
        "auth.mfa_enroll",
        ("user", &session.user.id),
        &Place::nowhere(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Enrolment {
        secret,
        otpauth_uri,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MfaCode {
    /// A 6-digit code from the authenticator, or one of the recovery codes.
    pub code: String,
}

pub struct Verified {
    pub done: LoggedIn,
    /// Shown once, on the first confirmation of an enrolment.
    pub recovery_codes: Option<Vec<String>>,
}

/// Checks a TOTP or recovery code for a session owing `mfa_enroll` or `mfa_verify`. A wrong,
/// reused or used-up code counts toward the username's lockout.
pub async fn verify(state: &AppState, session: &Session, input: MfaCode) -> AppResult<Verified> {
    if !matches!(session.next, Some(Step::MfaEnroll | Step::MfaVerify)) {
        return Err(AppError::Conflict("当前无需输入动态验证码".into()));
    }
    let user = &session.user;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    refuse_if_locked(&mut tx, &user.login, now).await?;
    let Some(authenticator) = mfa::get(&mut tx, state.db.vault(), &user.id).await? else {
        return Err(AppError::Conflict("请先获取身份验证器密钥".into()));
    };
    let used_recovery = authenticator.confirmed && totp::looks_like_recovery_code(&input.code);
    let accepted = if used_recovery {
        let hash = totp::recovery_hash(&input.code);
        mfa::use_recovery_code(&mut tx, &user.id, &hash, now).await?
    } else {
        match totp::check(&authenticator.secret, &input.code, now)? {
            Some(step) => mfa::accept_step(&mut tx, &user.id, step, now).await?,
            None => false,
        }
    };
    if !accepted {
        fail(
            &mut tx,
            state.db.vault(),
            &user.login,
            Some(&user.id),
            &session.ctx.ip,
            now,
            "mfa",
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::Unauthenticated);
    }
    // The accepted TOTP code confirmed the enrolment (a recovery code needs one confirmed).
    let first = !authenticator.confirmed;
    let recovery_codes = if first {
        let codes = totp::new_recovery_codes();
        for code in &codes {
            mfa::insert_recovery_code(&mut tx, &user.id, &totp::recovery_hash(code)).await?;
        }
        Some(codes)
    } else {
        None
    };
    sessions::clear_failures(&mut tx, &user.login).await?;
    let next = user.must_change_password.then_some(Step::ChangePassword);
    let done = step_done(state, &mut tx, session, next).await?;
    record(
        &mut tx,
        state.db.vault(),
        &session.ctx,
        "auth.mfa_verified",
        ("user", &user.id),
        &Place::nowhere(),
        json!({ "enrolled": first, "recovery_code": used_recovery }),
    )
    .await?;
    tx.commit().await?;
    Ok(Verified {
        done,
        recovery_codes,
    })
}

/// Ends the pending session and opens its successor.
async fn step_done(
    state: &AppState,
    tx: &mut xueshi_store::Conn,
    session: &Session,
    next: Option<Step>,
) -> AppResult<LoggedIn> {
    sessions::delete(tx, &session.token_hash).await?;
    let token = open_session(tx, state, &session.user.id, &session.kind, next).await?;
    Ok(LoggedIn {
        token,
        user: session.user.clone(),
        next,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChangePassword {
    /// Required unless the session owes `change_password`.
    pub current_password: Option<String>,
    pub new_password: String,
}

/// Changes the session user's password: a new session, and every other one of theirs ends.
pub async fn change_password(
    state: &AppState,
    session: &Session,
    input: ChangePassword,
) -> AppResult<LoggedIn> {
    if let Some(step @ (Step::MfaEnroll | Step::MfaVerify)) = session.next {
        return Err(AppError::StepRequired(step));
    }
    let user = &session.user;
    let now = state.clock.now_ms();
    if session.next != Some(Step::ChangePassword) {
        let current = input.current_password.as_deref().unwrap_or_default();
        if current.is_empty() {
            return Err(AppError::invalid("current_password", "请输入当前密码"));
        }
        if !password::verify(current, Some(&user.password_hash)).await {
            let mut tx = state.db.begin().await?;
            let ip = &session.ctx.ip;
            fail(
                &mut tx,
                state.db.vault(),
                &user.login,
                Some(&user.id),
                ip,
                now,
                "password",
            )
            .await?;
            tx.commit().await?;
            return Err(AppError::invalid("current_password", "当前密码不正确"));
        }
    }
    password::check_policy("new_password", &user.username, &input.new_password)?;
    if password::verify(&input.new_password, Some(&user.password_hash)).await {
        return Err(AppError::invalid("new_password", "新密码不能与原密码相同"));
    }
    let hash = password::hash(&input.new_password).await?;
    let mut tx = state.db.begin().await?;
    users::set_password(&mut tx, &user.id, &hash, false).await?;
    sessions::delete_for_user(&mut tx, &user.id).await?;
    let token = open_session(&mut tx, state, &user.id, &session.kind, None).await?;
    record(
        &mut tx,
        state.db.vault(),
        &session.ctx,
        "auth.password_changed",
        ("user", &user.id),
        &Place::nowhere(),
        json!({ "required": session.next == Some(Step::ChangePassword) }),
    )
    .await?;
    tx.commit().await?;
    let user = User {
        password_hash: hash,
        must_change_password: false,
        ..user.clone()
    };
    Ok(LoggedIn {
        token,
        user,
        next: None,
    })
}

/// The authenticator a user is enrolling, if any (the secret opened, for its QR code).
pub async fn enrolment(
    c: &mut xueshi_store::Conn,
    v: &xueshi_store::Vault,
    user_id: &str,
) -> AppResult<Option<mfa::Authenticator>> {
    Ok(mfa::get(c, v, user_id).await?)
}
