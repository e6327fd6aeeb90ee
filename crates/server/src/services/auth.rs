//! Login and logout. Failed attempts are counted in the database (shared by all servers):
//! five for one username in 15 minutes, or fifty from one address, lock further attempts.

use serde::Deserialize;
use serde_json::json;
use xueshi_domain::authz::Actor;
use xueshi_store::models::User;
use xueshi_store::repo::{sessions, users};
use xueshi_store::{Db, now_ms};

use super::{Ctx, Place, record};
use crate::auth::extract::login_allowed;
use crate::auth::password;
use crate::auth::sessions::{new_token, token_hash};
use crate::error::{AppError, AppResult};

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const MAX_FAILURES_PER_USERNAME: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 50;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Login {
    /// A teacher's username is their ID number.
    pub username: String,
    pub password: String,
}

pub struct LoggedIn {
    pub token: String,
    pub user: User,
    pub actor: Actor,
}

/// Usernames are compared as typed, except that an ID number's check letter is uppercase.
fn normalise(username: &str) -> String {
    let trimmed = username.trim();
    if trimmed.len() == 18 && trimmed.ends_with('x') {
        trimmed.to_uppercase()
    } else {
        trimmed.to_owned()
    }
}

pub async fn login(
    db: &Db,
    input: Login,
    ip: &str,
    kind: &str,
    session_hours: i64,
) -> AppResult<LoggedIn> {
    let username = normalise(&input.username);
    let now = now_ms();
    {
        let mut c = db.pool().acquire().await?;
        let (by_user, by_ip) =
            sessions::failures_since(&mut c, &username, ip, now - WINDOW_MS).await?;
        if by_user >= MAX_FAILURES_PER_USERNAME || by_ip >= MAX_FAILURES_PER_ADDRESS {
            return Err(AppError::RateLimited);
        }
    }
    let user = {
        let mut c = db.pool().acquire().await?;
        users::by_username(&mut c, &username).await?
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
    let (Some(user), Some(actor)) = (user, actor) else {
        sessions::record_failure(&mut tx, &username, ip, now).await?;
        tx.commit().await?;
        return Err(AppError::Unauthenticated);
    };
    let token = new_token();
    let expires = now + session_hours * 3600 * 1000;
    sessions::insert(&mut tx, &token_hash(&token), &user.id, kind, now, expires).await?;
    sessions::clear_failures(&mut tx, &username).await?;
    let ctx = Ctx {
        actor: actor.clone(),
        ip: ip.to_owned(),
    };
    record(
        &mut tx,
        &ctx,
        "auth.login",
        ("user", &user.id),
        &Place::nowhere(),
        json!({ "via": kind }),
    )
    .await?;
    tx.commit().await?;
    Ok(LoggedIn { token, user, actor })
}

/// Revokes the session the request came with.
pub async fn logout(db: &Db, ctx: &Ctx, token_hash: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    sessions::delete(&mut tx, token_hash).await?;
    record(
        &mut tx,
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
