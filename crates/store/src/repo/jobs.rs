//! Background jobs (e.g. a large verification run), polled by clients at `GET /jobs/{id}`.

use sqlx::AnyConnection;

use super::sql::Sql;
use crate::models::Job;
use crate::{StoreResult, now_ms};

pub async fn insert(
    c: &mut AnyConnection,
    id: &str,
    kind: &str,
    created_by: Option<&str>,
) -> StoreResult<()> {
    let now = now_ms();
    let mut q = Sql::new(
        "INSERT INTO jobs (id, kind, status, progress, created_by, created_at, updated_at) VALUES (",
    );
    q.bind(id)
        .push(", ")
        .bind(kind)
        .push(", 'queued', 0, ")
        .bind(created_by.map(str::to_owned));
    q.push(", ").bind(now).push(", ").bind(now).push(")");
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
