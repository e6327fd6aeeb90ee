//! Login sessions (bearer tokens and UI cookies, stored by hash) and failed-login counts,
//! kept in the database so that several servers can share them.

use sqlx::AnyConnection;

use super::sql::Sql;
use super::users::ACTIVE_USERS;
use crate::StoreResult;
use crate::models::{USER_COLUMNS, User};

pub async fn insert(
    c: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    kind: &str,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at) VALUES (",
    );
    q.bind(token_hash)
        .push(", ")
        .bind(user_id)
        .push(", ")
        .bind(kind)
        .push(", ");
    q.bind(now).push(", ").bind(expires_at).push(")");
    q.execute(c).await?;
    Ok(())
}

/// The user of an unexpired session who may still act — staff of an active organisation,
/// or a teacher who has not departed — with their organisation's district: everything a
/// request's authentication needs, in one statement (it runs before every API call).
pub async fn active_user_for(
    c: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<(User, Option<String>)>> {
    let mut q = Sql::new(format!(
        "SELECT {USER_COLUMNS}, o.district_id AS org_district_id FROM sessions s, {ACTIVE_USERS} \
         AND u.id = s.user_id AND s.token_hash = "
    ));
    q.bind(token_hash).push(" AND s.expires_at > ").bind(now);
    let Some(row) = q.fetch_optional(c).await? else {
        return Ok(None);
    };
    Ok(Some((
        User::from_row(&row)?,
        sqlx::Row::try_get(&row, "org_district_id")?,
    )))
}

pub async fn delete(c: &mut AnyConnection, token_hash: &str) -> StoreResult<u64> {
    let mut q = Sql::new("DELETE FROM sessions WHERE token_hash = ");
    q.bind(token_hash);
    q.execute(c).await
}

pub async fn delete_expired(c: &mut AnyConnection, now: i64) -> StoreResult<u64> {
    let mut q = Sql::new("DELETE FROM sessions WHERE expires_at <= ");
    q.bind(now);
    let n = q.execute(c).await?;
    let mut q = Sql::new("DELETE FROM login_failures WHERE at <= ");
    q.bind(now - 24 * 3600 * 1000);
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

pub async fn clear_failures(c: &mut AnyConnection, username: &str) -> StoreResult<()> {
    let mut q = Sql::new("DELETE FROM login_failures WHERE username = ");
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
