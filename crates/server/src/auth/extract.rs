use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use xueshi_domain::authz::Actor;
use xueshi_store::models::User;
use xueshi_store::{Db, now_ms, repo};

use super::sessions::token_hash;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "xueshi_session";

/// The logged-in user: from `Authorization: Bearer …` or the UI's session cookie.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    /// The actor and their address, as services take them.
    pub ctx: Ctx,
    /// The hash of the token this request came with, so logout can revoke it.
    pub token_hash: String,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<CurrentUser> {
        let token = bearer_token(parts)
            .or_else(|| cookie_token(parts))
            .ok_or(AppError::Unauthenticated)?;
        let hash = token_hash(&token);
        let (user, actor) = load_active(&state.db, &hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        state.limits.check_user(&user.id)?;
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        Ok(CurrentUser {
            user,
            ctx: Ctx { actor, ip },
            token_hash: hash,
        })
    }
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_owned()).filter(|t| !t.is_empty())
}

fn cookie_token(parts: &Parts) -> Option<String> {
    cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty())
}

/// The value of the cookie `name`, from any of the request's `Cookie` headers.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// The session's user, if the session is live and the user may still log in.
async fn load_active(db: &Db, hash: &str) -> AppResult<Option<(User, Actor)>> {
    let mut c = db.pool().acquire().await?;
    let Some((user, district_id)) = repo::sessions::active_user_for(&mut c, hash, now_ms()).await?
    else {
        return Ok(None);
    };
    let actor = actor(&user, district_id);
    Ok(Some((user, actor)))
}

/// The actor for a user who may log in: not a departed teacher, not staff of an archived
/// organisation.
pub async fn login_allowed(c: &mut xueshi_store::Conn, user: &User) -> AppResult<Option<Actor>> {
    let district_id = repo::users::active_district(c, &user.id).await?;
    Ok(district_id.map(|d| actor(user, d)))
}

fn actor(user: &User, district_id: Option<String>) -> Actor {
    Actor {
        user_id: user.id.clone(),
        role: user.role,
        org_id: user.org_id.clone(),
        district_id,
        teacher_id: user.teacher_id.clone(),
    }
}

/// The client's address, for throttling and the audit log.
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<ClientIp> {
        if state.config.trust_forwarded_for
            && let Some(forwarded) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        {
            return Ok(ClientIp(forwarded.to_owned()));
        }
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientIp(ip))
    }
}

/// A public lookup (certificate verification), counted against the client address's limit.
pub struct PublicLookup;

impl FromRequestParts<AppState> for PublicLookup {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<PublicLookup> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        state.limits.check_address(&ip)?;
        Ok(PublicLookup)
    }
}

/// The logged-in user if there is one; pages use it to choose between content and login.
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<MaybeUser> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(user) => Ok(MaybeUser(Some(user))),
            Err(AppError::Unauthenticated) => Ok(MaybeUser(None)),
            Err(other) => Err(other),
        }
    }
}
