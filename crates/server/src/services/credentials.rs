//! Passwords and second factors reset for someone else (an administrator a level above, API.md)
//! or by the user themself through a code sent to their registered phone.

use rand::Rng;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use xueshi_domain::authz::{self, Actor};
use xueshi_domain::{Role, mask_phone};
use xueshi_store::models::User;
use xueshi_store::repo::{mfa, orgs, sessions, users};

use super::auth::{LoggedIn, fail, normalise, open_session, refuse_if_locked, step_after_password};
use super::reminders::Outbound;
use super::{Ctx, Place, record};
use crate::auth::extract::login_allowed;
use crate::auth::password;
use crate::auth::sessions::constant_time_eq;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Forgot-password codes live 10 minutes and allow 5 tries (API.md).
pub const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;
pub const CODE_TRIES: i64 = 5;
/// A new code for the same account at most this often: nobody can flood a teacher's phone.
pub const RESEND_AFTER_MS: i64 = 60 * 1000;

/// Roles that may reset anyone's credentials at all (403 before anything is looked up).
fn may_reset_anyone(actor: &Actor) -> bool {
    matches!(
        actor.role,
        Role::SchoolAdmin | Role::DistrictAdmin | Role::CityAdmin
    )
}

/// The user `id` if the actor may reset their credentials: 404 when the actor cannot see
/// them, 403 when they can but are not a level above.
pub async fn resettable(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<(User, Place)> {
    if !may_reset_anyone(&ctx.actor) {
        return Err(AppError::Forbidden);
    }
    let mut c = state.db.pool().acquire().await?;
    let user = users::get(&mut c, state.db.vault(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let org = orgs::get(&mut c, &user.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let place = org.place();
    let visible = match &user.teacher_id {
        Some(teacher_id) => authz::sees_teacher(&ctx.actor, teacher_id, &place),
        None => authz::sees_org(&ctx.actor, &place),
    };
    if !visible {
        return Err(AppError::NotFound);
    }
    if !authz::may_reset_credentials(&ctx.actor, &user.id, user.role, &place) {
        return Err(AppError::Forbidden);
    }
    Ok((user, Place::of(&org)))
}

/// A temporary password, shown once; the user's sessions end and the next login must change it.
pub async fn reset_password(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<String> {
    let (user, place) = resettable(state, ctx, id).await?;
    let temporary = password::temporary();
    let hash = password::hash(&temporary).await?;
    let mut tx = state.db.begin().await?;
    users::set_password(&mut tx, &user.id, &hash, true).await?;
    sessions::delete_for_user(&mut tx, &user.id).await?;
    sessions::clear_failures(&mut tx, &user.login).await?;
    record(
        &mut tx,
        state.db.vault(),
        ctx,
        "user.password_reset",
        ("user", &user.id),
        &place,
        json!({ "username": super::users::shown_username(&user) }),
    )
    .await?;
    tx.commit().await?;
    Ok(temporary)
}

/// Removes the user's authenticator: they enrol again at their next login.
pub async fn reset_mfa(state: &AppState, ctx: &Ctx, id: &str) -> AppResult<()> {
    let (user, place) = resettable(state, ctx, id).await?;
    let mut tx = state.db.begin().await?;
    mfa::remove(&mut tx, &user.id).await?;
    sessions::delete_for_user(&mut tx, &user.id).await?;
    record(
        &mut tx,
        state.db.vault(),
        ctx,
        "user.mfa_reset",
        ("user", &user.id),
        &place,
        json!({ "username": super::users::shown_username(&user) }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Forgot {
    pub username: String,
}

fn code_hash(user_id: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("reset:{user_id}:{code}").as_bytes()))
}

/// Sends a one-time code to the user's registered phone, if there is such a user who may log
/// in and has a phone. The caller answers the same whatever happened (no enumeration).
pub async fn forgot(state: &AppState, input: Forgot, ip: &str) -> AppResult<()> {
    let username = normalise(&input.username);
    let mut tx = state.db.begin().await?;
    let Some(user) = users::by_username(&mut tx, state.db.vault(), &username).await? else {
        return Ok(());
    };
    let Some(actor) = login_allowed(&mut tx, &user).await? else {
        return Ok(());
    };
    let Some(phone) = users::phone(&mut tx, state.db.vault(), &user.id).await? else {
        return Ok(());
    };
    let now = state.clock.now_ms();
    if let Some(live) = mfa::reset_code(&mut tx, &user.id).await?
        && live.expires_at - CODE_LIFETIME_MS > now - RESEND_AFTER_MS
    {
        return Ok(());
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
    let expires_at = now + CODE_LIFETIME_MS;
    let hash = code_hash(&user.id, &code);
    mfa::put_reset_code(&mut tx, &user.id, &hash, expires_at, CODE_TRIES).await?;
    let ctx = Ctx {
        actor,
        ip: ip.to_owned(),
    };
    record(
        &mut tx,
        state.db.vault(),
        &ctx,
        "auth.password_reset_requested",
        ("user", &user.id),
        &Place::nowhere(),
        json!({ "phone": mask_phone(&phone) }),
    )
    .await?;
    tx.commit().await?;
    let message = Outbound {
        phone: Some(phone),
        title: "学时平台密码重置验证码".into(),
        body: format!(
            "您正在重置学时平台登录密码，验证码为{code}，10分钟内有效。如非本人操作，请忽略本短信。"
        ),
    };
    // Sent after answering: how long a gateway takes must not tell who has an account.
    let notifier = state.notifier.clone();
    tokio::spawn(async move {
        if let Err(e) = notifier.send(&message).await {
            tracing::warn!(error = %e, "password reset code not sent");
        }
    });
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetWithCode {
    pub username: String,
    pub code: String,
    pub new_password: String,
}

/// Sets a new password with a code from [`forgot`]; a wrong code spends a try and counts
/// toward the lockout. Logs the user in (a second factor is still asked of staff).
pub async fn reset_with_code(
    state: &AppState,
    input: ResetWithCode,
    ip: &str,
    kind: &str,
) -> AppResult<LoggedIn> {
    let username = normalise(&input.username);
    let now = state.clock.now_ms();
    password::check_policy("new_password", &username, &input.new_password)?;
    let hash = password::hash(&input.new_password).await?;
    let mut tx = state.db.begin().await?;
    let key = xueshi_store::sealed::login_key(state.db.vault(), &username);
    refuse_if_locked(&mut tx, &key, now).await?;
    let user = users::by_username(&mut tx, state.db.vault(), &username).await?;
    let stored = match &user {
        Some(u) => mfa::reset_code(&mut tx, &u.id).await?,
        None => None,
    };
    let valid = match (&user, &stored) {
        (Some(u), Some(code)) if code.expires_at > now && code.tries_left > 0 => constant_time_eq(
            code_hash(&u.id, input.code.trim()).as_bytes(),
            code.code_hash.as_bytes(),
        ),
        _ => false,
    };
    let actor = match (&user, valid) {
        (Some(u), true) => login_allowed(&mut tx, u).await?,
        _ => None,
    };
    let (user, actor) = match (user, actor) {
        (Some(user), Some(actor)) => (user, actor),
        (user, _) => {
            if let (Some(u), Some(_)) = (&user, &stored) {
                mfa::spend_reset_try(&mut tx, &u.id).await?;
            }
            let user_id = user.as_ref().map(|u| u.id.as_str());
            fail(
                &mut tx,
                state.db.vault(),
                &key,
                user_id,
                ip,
                now,
                "reset_code",
            )
            .await?;
            tx.commit().await?;
            return Err(AppError::Unauthenticated);
        }
    };
    users::set_password(&mut tx, &user.id, &hash, false).await?;
    mfa::delete_reset_code(&mut tx, &user.id).await?;
    sessions::delete_for_user(&mut tx, &user.id).await?;
    sessions::clear_failures(&mut tx, &username).await?;
    let next = step_after_password(&mut tx, state, &user, false).await?;
    let token = open_session(&mut tx, state, &user.id, kind, next).await?;
    let ctx = Ctx {
        actor,
        ip: ip.to_owned(),
    };
    record(
        &mut tx,
        state.db.vault(),
        &ctx,
        "auth.password_reset_by_code",
        ("user", &user.id),
        &Place::nowhere(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    let user = User {
        password_hash: hash,
        must_change_password: false,
        ..user
    };
    Ok(LoggedIn { token, user, next })
}
