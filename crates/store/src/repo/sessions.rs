//! Login sessions (bearer tokens and UI cookies, stored by hash) and failed-login counts,
//! kept in the database so that several servers can share them.

use sqlx::AnyConnection;

use super::sql::Sql;
use super::users::push_active_users;
use crate::StoreResult;
use crate::models::{USER_COLUMNS, User};

/// A session to open. `next_step` set makes it pending: only the sign-in steps are open to it.
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: &'a str,
    pub kind: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub next_step: Option<&'a str>,
}

pub async fn insert(c: &mut AnyConnection, s: &NewSession<'_>) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at, last_seen_at, \
         next_step) VALUES (",
    );
    q.bind(s.token_hash)
        .push(", ")
        .bind(s.user_id)
        .push(", ")
        .bind(s.kind)
        .push(", ");
    q.bind(s.now).push(", ").bind(s.expires_at).push(", ");
    q.bind(s.now)
        .push(", ")
        .bind(s.next_step.map(str::to_owned))
        .push(")");
    q.execute(c).await?;
    Ok(())
}

/// A live session's user (see [`active_user_for`]) and the session's own times.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub user: User,
    pub org_district_id: Option<String>,
    pub kind: String,
    pub expires_at: i64,
    pub last_seen_at: i64,
    pub next_step: Option<String>,
}

/// The session's user if they may still act — staff of an active organisation, or a teacher
/// who has not departed — with their organisation's district: everything a request's
/// authentication needs, in one statement (it runs before every API call). The caller
/// decides on the idle and absolute limits, which depend on the role.
pub async fn active_user_for(
    c: &mut AnyConnection,
    v: &xueshi_vault::Vault,
    token_hash: &str,
) -> StoreResult<Option<SessionUser>> {
    let mut q = Sql::new(format!(
        "SELECT {USER_COLUMNS}, o.district_id AS org_district_id, s.kind AS session_kind, \
         s.expires_at, s.last_seen_at, s.next_step FROM sessions s, "
    ));
    push_active_users(&mut q);
    q.push(" AND u.id = s.user_id AND s.token_hash = ")
        .bind(token_hash);
    let Some(row) = q.fetch_optional(c).await? else {
        return Ok(None);
    };
    use sqlx::Row;
    Ok(Some(SessionUser {
        user: User::from_row(&row, v)?,
        org_district_id: row.try_get("org_district_id")?,
        kind: row.try_get("session_kind")?,
        expires_at: row.try_get("expires_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        next_step: row.try_get("next_step")?,
    }))
}

/// Records that these sessions were used at `now` (a batch of touches, see the server).
pub async fn touch_all(
    c: &mut AnyConnection,
    token_hashes: &[String],
    now: i64,
) -> StoreResult<()> {
    for chunk in token_hashes.chunks(500) {
        let mut q = Sql::new("UPDATE sessions SET last_seen_at = ");
        q.bind(now).push(" WHERE token_hash IN (");
        q.bind_all(chunk.iter().map(|hash| hash.as_str()));
        q.push(")");
        q.execute(c).await?;
    }
    Ok(())
}

/// The end of a username's lock, if it has one.
pub async fn locked_until(c: &mut AnyConnection, username: &str) -> StoreResult<Option<i64>> {
    let mut q = Sql::new("SELECT locked_until FROM login_locks WHERE username = ");
    q.bind(username);
    q.fetch_optional(c)
        .await?
        .map(|row| Ok(sqlx::Row::try_get(&row, "locked_until")?))
        .transpose()
}

pub async fn lock(c: &mut AnyConnection, username: &str, until: i64) -> StoreResult<()> {
    let mut q = Sql::new("INSERT INTO login_locks (username, locked_until) VALUES (");
    q.bind(username).push(", ").bind(until);
    q.push(") ON CONFLICT (username) DO UPDATE SET locked_until = ")
        .bind(until);
    q.execute(c).await?;
    Ok(())
}

pub async fn delete(c: &mut AnyConnection, token_hash: &str) -> StoreResult<u64> {
    let mut q = Sql::new("DELETE FROM sessions WHERE token_hash = ");
    q.bind(token_hash);
    q.execute(c).await
}

/// Deletes sessions past their absolute end or unused since `idle_before` (the longest idle
/// limit ago), and stale failure counts and locks.
pub async fn delete_expired(c: &mut AnyConnection, now: i64, idle_before: i64) -> StoreResult<u64> {
    let mut q = Sql::new("DELETE FROM sessions WHERE expires_at <= ");
    q.bind(now).push(" OR last_seen_at < ").bind(idle_before);
    let n = q.execute(c).await?;
    let mut q = Sql::new("DELETE FROM login_failures WHERE at <= ");
    q.bind(now - 24 * 3600 * 1000);
    q.execute(c).await?;
    let mut q = Sql::new("DELETE FROM login_locks WHERE locked_until <= ");
    q.bind(now);
    q.execute(c).await?;
    Ok(n)
}

pub async fn record_failure(
    c: &mut AnyConnection,
    username: &str,
    ip: &str,
    now: i64,
) -> StoreResult<()> {
    let mut q = Sql::new("INSERT INTO login_failures (username, ip, at) VALUES (");
    q.bind(username)
        .push(", ")
        .bind(ip)
        .push(", ")
        .bind(now)
        .push(")");
    q.execute(c).await?;
    Ok(())
}

/// Failed logins since `since` for this username and from this address.
pub async fn failures_since(
    c: &mut AnyConnection,
    username: &str,
    ip: &str,
    since: i64,
) -> StoreResult<(i64, i64)> {
    let mut q = Sql::new("SELECT (SELECT COUNT(*) FROM login_failures WHERE username = ");
    q.bind(username).push(" AND at > ").bind(since);
    q.push(") AS by_user, (SELECT COUNT(*) FROM login_failures WHERE ip = ")
        .bind(ip);
    q.push(" AND at > ").bind(since).push(") AS by_ip");
    let row = q.query().fetch_one(c).await?;
    Ok((
        sqlx::Row::try_get(&row, "by_user")?,
        sqlx::Row::try_get(&row, "by_ip")?,
    ))
}

/// Forgets a username's failures and lock (after a successful login or password reset).
pub async fn clear_failures(c: &mut AnyConnection, username: &str) -> StoreResult<()> {
    let mut q = Sql::new("DELETE FROM login_failures WHERE username = ");
    q.bind(username);
    q.execute(c).await?;
    let mut q = Sql::new("DELETE FROM login_locks WHERE username = ");
    q.bind(username);
    q.execute(c).await?;
    Ok(())
}

/// Ends every session of a user (a departed teacher must not stay logged in).
pub async fn delete_for_user(c: &mut AnyConnection, user_id: &str) -> StoreResult<u64> {
    let mut q = Sql::new("DELETE FROM sessions WHERE user_id = ");
    q.bind(user_id);
    q.execute(c).await
}

/// Ends a user's pending sessions (their username was just locked mid sign-in).
pub async fn delete_for_user_pending(c: &mut AnyConnection, user_id: &str) -> StoreResult<u64> {
    let mut q = Sql::new("DELETE FROM sessions WHERE next_step IS NOT NULL AND user_id = ");
    q.bind(user_id);
    q.execute(c).await
}
