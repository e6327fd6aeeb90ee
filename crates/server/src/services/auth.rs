//! Login and logout, and the lockout rules (API.md): five failures (password or second-factor
//! code) for one username within 15 minutes lock it for 15 minutes from the fifth, in the
//! database so that every server agrees; many failures from one address slow its answers
//! but never lock anyone out. Failures and locks are audited.

use std::time::Duration;
use xueshi_store::sealed::login_key;

use serde::Deserialize;
use serde_json::json;
use xueshi_store::models::User;
use xueshi_store::repo::{audit, mfa, sessions, users};
use xueshi_store::{Conn, Db};

use super::{Ctx, Place, record};
use crate::auth::extract::{login_allowed, needs_mfa};
use crate::auth::password;
use crate::auth::sessions::{new_token, token_hash};
use crate::auth::steps::{Step, first_step};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const LOCK_MS: i64 = 15 * 60 * 1000;
pub const MAX_FAILURES_PER_USERNAME: i64 = 5;
/// Failures from one address before its logins start to slow down.
const FREE_FAILURES_PER_ADDRESS: i64 = 10;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Login {
    /// A teacher's username is their ID number.
    pub username: String,
    pub password: String,
}

pub struct LoggedIn {
    pub token: String,
    pub user: User,
    /// The sign-in step still owed; `None` for a full session.
    pub next: Option<Step>,
}

/// Usernames are compared as typed, except that an ID number's check letter is uppercase.
pub fn normalise(username: &str) -> String {
    let trimmed = username.trim();
    if trimmed.len() == 18 && trimmed.ends_with('x') {
        trimmed.to_uppercase()
    } else {
        trimmed.to_owned()
    }
}

/// How long a login from an address with `failures` recent failures waits before it is
/// looked at: nothing for the first ten (a school's NAT, a mistyped password), then 200 ms
/// more for each, up to `cap`.
pub fn address_delay(failures: i64, cap: Duration) -> Duration {
    let over = u64::try_from(failures - FREE_FAILURES_PER_ADDRESS).unwrap_or(0);
    Duration::from_millis(over.saturating_mul(200)).min(cap)
}

pub async fn login(state: &AppState, input: Login, ip: &str, kind: &str) -> AppResult<LoggedIn> {
    let db = &state.db;
    let username = normalise(&input.username);
    let key = login_key(db.vault(), &username);
    let now = state.clock.now_ms();
    {
        let mut c = db.pool().acquire().await?;
        refuse_if_locked(&mut c, &key, now).await?;
        let (_, by_ip) = sessions::failures_since(&mut c, &key, ip, now - WINDOW_MS).await?;
        let cap = Duration::from_millis(state.config.login_delay_cap_ms);
        let delay = address_delay(by_ip, cap);
        drop(c);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    let user = {
        let mut c = db.pool().acquire().await?;
        users::by_username(&mut c, db.vault(), &username).await?
    };
    let password_ok = password::verify(
        &input.password,
        user.as_ref().map(|u| u.password_hash.as_str()),
    )
    .await;
    let mut tx = db.begin().await?;
    let actor = match (&user, password_ok) {
        (Some(user), true) => login_allowed(&mut tx, user).await?,
        _ => None,
    };
    let (user, actor) = match (user, actor) {
        (Some(user), Some(actor)) => (user, actor),
        (user, _) => {
            let user_id = user.as_ref().map(|u| u.id.as_str());
            fail(&mut tx, db.vault(), &key, user_id, ip, now, "password").await?;
            tx.commit().await?;
            return Err(AppError::Unauthenticated);
        }
    };
    let next = step_after_password(&mut tx, state, &user, user.must_change_password).await?;
    let token = open_session(&mut tx, state, &user.id, kind, next).await?;
    if next.is_none_or(|s| s == Step::ChangePassword) {
        sessions::clear_failures(&mut tx, &key).await?;
    }
    let ctx = Ctx {
        actor,
        ip: ip.to_owned(),
    };
    record(
        &mut tx,
        state.db.vault(),
        &ctx,
        "auth.login",
        ("user", &user.id),
        &Place::nowhere(),
        json!({ "via": kind, "next": next }),
    )
    .await?;
    tx.commit().await?;
    Ok(LoggedIn { token, user, next })
}

/// The first sign-in step owed once `user`'s password is right (see [`first_step`]).
pub async fn step_after_password(
    c: &mut Conn,
    state: &AppState,
    user: &User,
    must_change_password: bool,
) -> AppResult<Option<Step>> {
    let confirmed = mfa::is_confirmed(c, &user.id).await?;
    Ok(first_step(
        needs_mfa(state, user.role),
        confirmed,
        must_change_password,
    ))
}

/// 429 while the login's stored lock lasts (`key`: see [`login_key`]).
pub async fn refuse_if_locked(c: &mut Conn, key: &str, now: i64) -> AppResult<()> {
    if let Some(until) = sessions::locked_until(c, key).await?
        && until > now
    {
        let retry_after = u64::try_from((until - now + 999) / 1000).unwrap_or(1);
        return Err(AppError::Locked { retry_after });
    }
    Ok(())
}

/// Counts a failed attempt (`what`: password or code) against the login `key` (see
/// [`login_key`]) and audits it; the fifth within the window locks the login, ends its
/// pending sessions and is audited too.
pub async fn fail(
    c: &mut Conn,
    v: &xueshi_store::Vault,
    key: &str,
    user_id: Option<&str>,
    ip: &str,
    now: i64,
    what: &str,
) -> AppResult<()> {
    sessions::record_failure(c, key, ip, now).await?;
    // Unknown usernames are named in the entry (cut short: people type passwords there too);
    // an ID number only by its index.
    let shown: String = key.chars().take(36).collect();
    let (target_type, target_id) = match user_id {
        Some(id) => ("user", id),
        None => ("username", shown.as_str()),
    };
    let entry = |action, detail| audit::NewAudit {
        actor_id: None,
        ip: Some(ip),
        action,
        target_type,
        target_id,
        detail,
        district_id: None,
        school_id: None,
    };
    audit::insert(c, v, &entry("auth.login_failed", json!({ "failed": what }))).await?;
    let (by_user, _) = sessions::failures_since(c, key, ip, now - WINDOW_MS).await?;
    if by_user >= MAX_FAILURES_PER_USERNAME {
        let until = now + LOCK_MS;
        sessions::lock(c, key, until).await?;
        if let Some(id) = user_id {
            sessions::delete_for_user_pending(c, id).await?;
        }
        let detail = json!({ "failures": by_user, "locked_until": until });
        audit::insert(c, v, &entry("auth.locked", detail)).await?;
    }
    Ok(())
}

/// A new session; its token goes to the client, only the hash is stored.
pub async fn open_session(
    c: &mut Conn,
    state: &AppState,
    user_id: &str,
    kind: &str,
    next: Option<Step>,
) -> AppResult<String> {
    let token = new_token();
    let now = state.clock.now_ms();
    let expires_at = now + state.config.session_hours * 3600 * 1000;
    sessions::insert(
        c,
        &sessions::NewSession {
            token_hash: &token_hash(&token),
            user_id,
            kind,
            now,
            expires_at,
            next_step: next.map(Step::as_str),
        },
    )
    .await?;
    Ok(token)
}

/// Revokes the session the request came with.
pub async fn logout(db: &Db, ctx: &Ctx, token_hash: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    sessions::delete(&mut tx, token_hash).await?;
    record(
        &mut tx,
        db.vault(),
        ctx,
        "auth.logout",
        ("user", &ctx.actor.user_id),
        &Place::nowhere(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_slows_down_after_ten_failures_up_to_the_cap() {
        let cap = Duration::from_secs(3);
        let cases = [
            (0, 0),
            (10, 0),
            (11, 200),
            (15, 1000),
            (25, 3000),
            (500, 3000),
        ];
        for (failures, ms) in cases {
            assert_eq!(
                address_delay(failures, cap),
                Duration::from_millis(ms),
                "{failures}"
            );
        }
    }

    #[test]
    fn usernames_fold_only_an_id_numbers_check_letter() {
        assert_eq!(normalise(" 44010619700101101x "), "44010619700101101X");
        assert_eq!(normalise("admin_x"), "admin_x");
    }
}
