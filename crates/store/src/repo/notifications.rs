//! In-app notifications (站内通知), newest first.

use sqlx::{AnyConnection, Row};

use super::clamp_limit;
use super::sql::Sql;
use crate::models::{Notification, Page, read};
use crate::{StoreResult, now_ms};

pub async fn insert(c: &mut AnyConnection, n: &Notification) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO notifications (id, user_id, kind, title, body, target_id, created_at, \
         read_at) VALUES (",
    );
    q.bind(n.id.as_str()).push(", ");
    q.bind(n.user_id.as_str()).push(", ");
    q.bind(n.kind.as_str()).push(", ");
    q.bind(n.title.as_str()).push(", ");
    q.bind(n.body.as_str()).push(", ");
    q.bind(n.target_id.clone()).push(", ");
    q.bind(n.created_at).push(", ");
    q.bind(n.read_at).push(")");
    q.execute(c).await?;
    Ok(())
}

/// A user's notifications, newest first (ids are time-ordered), optionally unread only.
pub async fn list(
    c: &mut AnyConnection,
    user_id: &str,
    unread_only: bool,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> StoreResult<Page<Notification>> {
    let limit = clamp_limit(limit);
    let mut q = Sql::new("SELECT * FROM notifications WHERE user_id = ");
    q.bind(user_id);
    if unread_only {
        q.push(" AND read_at IS NULL");
    }
    if let Some(cursor) = cursor {
        q.push(" AND id < ").bind(cursor);
    }
    q.push(" ORDER BY id DESC LIMIT ").bind(limit + 1);
    let mut items = q
        .fetch_all(c)
        .await?
        .iter()
        .map(read::<Notification>)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(super::orgs::page(&mut items, limit, |n| n.id.clone()))
}

pub async fn unread_count(c: &mut AnyConnection, user_id: &str) -> StoreResult<i64> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM notifications WHERE user_id = ");
    q.bind(user_id).push(" AND read_at IS NULL");
    Ok(q.query().fetch_one(c).await?.try_get("n")?)
}

/// Marks one of the user's notifications read (a second time changes nothing) and returns it.
pub async fn mark_read(
    c: &mut AnyConnection,
    user_id: &str,
    id: &str,
) -> StoreResult<Option<Notification>> {
    let mut q = Sql::new("UPDATE notifications SET read_at = ");
    q.bind(now_ms()).push(" WHERE id = ").bind(id);
    q.push(" AND user_id = ")
        .bind(user_id)
        .push(" AND read_at IS NULL");
    q.execute(c).await?;
    let mut q = Sql::new("SELECT * FROM notifications WHERE id = ");
    q.bind(id).push(" AND user_id = ").bind(user_id);
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Notification>(&r))
        .transpose()
}
