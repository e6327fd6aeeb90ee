//! Background jobs (e.g. a large verification run), polled by clients at `GET /jobs/{id}`.

use sqlx::AnyConnection;

use super::sql::Sql;
use crate::models::Job;
use sqlx::Row;

use crate::{StoreResult, now_ms};

/// A queued job; `params` say what to run, so that any server can take it (see [`claim`]).
pub async fn insert(
    c: &mut AnyConnection,
    id: &str,
    kind: &str,
    created_by: Option<&str>,
    params: &serde_json::Value,
) -> StoreResult<()> {
    let now = now_ms();
    let mut q = Sql::new(
        "INSERT INTO jobs (id, kind, status, progress, created_by, created_at, updated_at, \
         params) VALUES (",
    );
    q.bind(id)
        .push(", ")
        .bind(kind)
        .push(", 'queued', 0, ")
        .bind(created_by.map(str::to_owned));
    q.push(", ").bind(now).push(", ").bind(now);
    q.push(", ").bind(params.to_string()).push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> StoreResult<Option<Job>> {
    let mut q = Sql::new("SELECT * FROM jobs WHERE id = ");
    q.bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| Job::from_row(&r))
        .transpose()
}

/// Moves a job on: status, progress (0–100) and, when finished, its result or error.
pub async fn update(
    c: &mut AnyConnection,
    id: &str,
    status: &str,
    progress: i64,
    result: Option<&serde_json::Value>,
    error: Option<&str>,
) -> StoreResult<()> {
    let mut q = Sql::new("UPDATE jobs SET status = ");
    q.bind(status).push(", progress = ").bind(progress);
    if matches!(status, "done" | "failed") {
        q.push(", lease_owner = NULL, lease_until = 0");
    }
    q.push(", result = ").bind(result.map(|r| r.to_string()));
    q.push(", error = ").bind(error.map(str::to_owned));
    q.push(", updated_at = ")
        .bind(now_ms())
        .push(" WHERE id = ")
        .bind(id);
    // A finished job stays finished, whatever late progress report arrives.
    q.push(" AND status IN ('queued', 'running')");
    q.execute(c).await?;
    Ok(())
}

/// A job taken by a server: what to run, and how many times it was taken before.
pub struct Claimed {
    pub id: String,
    pub kind: String,
    pub params: serde_json::Value,
    pub attempts: i64,
}

/// Takes the oldest open job no one holds a lease on (never taken, given back, or its
/// holder stopped renewing), leased to `owner` until `now + lease_ms`.
pub async fn claim(
    c: &mut AnyConnection,
    owner: &str,
    now: i64,
    lease_ms: i64,
) -> StoreResult<Option<Claimed>> {
    let mut q = Sql::new("UPDATE jobs SET status = 'running', lease_owner = ");
    q.bind(owner).push(", lease_until = ").bind(now + lease_ms);
    q.push(", attempts = attempts + 1, updated_at = ").bind(now);
    q.push(
        " WHERE id = (SELECT id FROM jobs WHERE status IN ('queued', 'running') AND lease_until < ",
    )
    .bind(now);
    q.push(" ORDER BY created_at, id LIMIT 1) AND lease_until < ")
        .bind(now);
    q.push(" RETURNING id, kind, params, attempts");
    let Some(row) = q.fetch_optional(c).await? else {
        return Ok(None);
    };
    let params: Option<String> = row.try_get("params")?;
    Ok(Some(Claimed {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        params: params
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or(serde_json::Value::Null),
        attempts: row.try_get("attempts")?,
    }))
}

/// Whether some open job waits for a server (a read, before [`claim`] takes the writer).
pub async fn any_unleased(c: &mut AnyConnection, now: i64) -> StoreResult<bool> {
    let mut q =
        Sql::new("SELECT id FROM jobs WHERE status IN ('queued', 'running') AND lease_until < ");
    q.bind(now).push(" LIMIT 1");
    Ok(q.fetch_optional(c).await?.is_some())
}

/// Extends `owner`'s lease on a job; false when it is no longer theirs.
pub async fn renew(c: &mut AnyConnection, id: &str, owner: &str, until: i64) -> StoreResult<bool> {
    let mut q = Sql::new("UPDATE jobs SET lease_until = ");
    q.bind(until).push(" WHERE id = ").bind(id);
    q.push(" AND lease_owner = ").bind(owner);
    q.push(" AND status IN ('queued', 'running')");
    Ok(q.execute(c).await? == 1)
}

/// Gives back every open job `owner` holds (a graceful shutdown): another server takes
/// them at once.
pub async fn release_all(c: &mut AnyConnection, owner: &str) -> StoreResult<u64> {
    let mut q =
        Sql::new("UPDATE jobs SET lease_until = 0, lease_owner = NULL WHERE lease_owner = ");
    q.bind(owner).push(" AND status IN ('queued', 'running')");
    q.execute(c).await
}
