use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri};
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::http::request::Parts;
use xueshi_domain::Role;
use xueshi_domain::authz::Actor;
use xueshi_store::cache::CachedSession;
use xueshi_store::models::User;
use xueshi_store::{cached, repo};

use super::sessions::token_hash;
use super::steps::Step;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "xueshi_session";
/// Activity is written at most this often per session (the idle limit's resolution).
const TOUCH_EVERY_MS: i64 = 60_000;

/// A live session, pending or not: what the sign-in steps, `/me` and logout accept.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    /// The actor and their address, as services take them.
    pub ctx: Ctx,
    /// The hash of the token this request came with, so logout can revoke it.
    pub token_hash: String,
    /// The sign-in step this session still owes; `None` for a full session.
    pub next: Option<Step>,
    /// `cookie` (the web UI) or `bearer`.
    pub kind: String,
}

/// A full session: every route but the sign-in steps asks for one. A pending session gets
/// 403 `step_required`.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub ctx: Ctx,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Session> {
        let (token, from_cookie) = match bearer_token(parts) {
            Some(t) => (t, false),
            None => (cookie_token(parts).ok_or(AppError::Unauthenticated)?, true),
        };
        if from_cookie && !parts.method.is_safe() && is_api(parts) {
            check_same_origin(parts, state, &token)?;
        }
        let hash = token_hash(&token);
        let entry = load_live(state, &hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let session = &entry.session;
        state.limits.check_user(&session.user.id)?;
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        let actor = actor(&session.user, session.org_district_id.clone());
        let ctx = Ctx { actor, ip };
        crate::refusals::Witness::saw(parts, &ctx);
        Ok(Session {
            user: session.user.clone(),
            ctx,
            token_hash: hash,
            next: session.next_step.as_deref().and_then(Step::parse),
            kind: session.kind.clone(),
        })
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<CurrentUser> {
        let session = Session::from_request_parts(parts, state).await?;
        if let Some(step) = session.next {
            return Err(AppError::StepRequired(step));
        }
        if session.user.role == Role::Auditor && !AUDITOR_ROUTES.contains(&original_path(parts)) {
            return Err(AppError::Forbidden);
        }
        Ok(CurrentUser {
            user: session.user,
            ctx: session.ctx,
            token_hash: session.token_hash,
        })
    }
}

/// The auditor reads the audit log and nothing else (separation of duties): whatever a
/// route would show, it is refused here, besides the sign-in steps (which take a [`Session`]).
const AUDITOR_ROUTES: &[&str] = &["/api/v1/audit", "/home", "/audit"];

/// The request's path as the client sent it (nested routers see only their part).
fn original_path(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |OriginalUri(u)| u)
        .path()
}

fn is_api(parts: &Parts) -> bool {
    original_path(parts).starts_with("/api/")
}

/// A cookie-authenticated API call that changes something must come from our own pages: the
/// browser says so (`Sec-Fetch-Site`, `Origin`), or the call repeats the page's CSRF token.
/// Bearer calls cannot be forged by another site and skip this.
fn check_same_origin(parts: &Parts, state: &AppState, token: &str) -> AppResult<()> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site") == Some("same-origin") {
        return Ok(());
    }
    if let Some(origin) = parts.headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = parts.headers.get(HOST).and_then(|v| v.to_str().ok());
        let ours = state.config.public_base_url.trim_end_matches('/');
        let same_host = host.is_some_and(|h| {
            origin.strip_prefix("http://") == Some(h) || origin.strip_prefix("https://") == Some(h)
        });
        if origin == ours || same_host {
            return Ok(());
        }
    }
    if let Some(given) = header("x-csrf-token") {
        let expected = super::csrf::csrf_for_session(&token_hash(token));
        if super::csrf::matches(&expected, given) {
            return Ok(());
        }
    }
    Err(AppError::CrossOrigin)
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_owned()).filter(|t| !t.is_empty())
}

fn cookie_token(parts: &Parts) -> Option<String> {
    super::cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty())
}

/// The session's user if the session is within its absolute and idle limits (both kept in
/// the database, so every server of a cluster agrees) and the user may still log in. A
/// session past a limit is deleted; a live one records its activity once a minute.
///
/// The session comes from the cache when it is there. Another server may have seen it used
/// since it was cached, so a session that looks idle is read again before it is ended.
async fn load_live(state: &AppState, hash: &str) -> AppResult<Option<Arc<CachedSession>>> {
    let now = state.clock.now_ms();
    let mut fresh = false;
    loop {
        let Some(entry) = cached::session(&state.db, hash, fresh).await? else {
            return Ok(None);
        };
        let session = &entry.session;
        let idle = state.config.idle_ms(session.user.role);
        let last_seen = entry
            .last_seen()
            .max(state.touches.seen(hash).unwrap_or(i64::MIN));
        let idle_out = now - last_seen > idle;
        if idle_out && !fresh && now < session.expires_at {
            fresh = true;
            continue;
        }
        if idle_out || now >= session.expires_at {
            let mut tx = state.db.begin().await?;
            repo::sessions::delete(&mut tx, hash).await?;
            tx.commit().await?;
            return Ok(None);
        }
        if now - last_seen >= TOUCH_EVERY_MS {
            state.touches.note(hash, now);
            entry.saw(now);
        }
        return Ok(Some(entry));
    }
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

/// Whether a user of `role` must pass a second factor on this server.
pub fn needs_mfa(state: &AppState, role: Role) -> bool {
    role != Role::Teacher && state.config.mfa_required()
}

/// The client's address, for throttling and the audit log (see [`crate::client_ip`]).
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<ClientIp> {
        let Some(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
        else {
            return Ok(ClientIp("unknown".into()));
        };
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let ip: IpAddr =
            crate::client_ip::client_address(peer, &forwarded, &state.config.trusted_proxies);
        Ok(ClientIp(ip.to_string()))
    }
}

/// A public lookup (certificate verification, forgot-password), counted against the client
/// address's limit.
pub struct PublicLookup;

impl FromRequestParts<AppState> for PublicLookup {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<PublicLookup> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        state.limits.check_address(&ip)?;
        Ok(PublicLookup)
    }
}
