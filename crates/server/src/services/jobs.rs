//! Background jobs: the queue's side — what a job carries, its progress and its end —
//! for the services that queue and run them. `job_runner` runs them.

use serde_json::{Value, json};
use tokio::sync::Notify;
use xueshi_store::Db;
use xueshi_store::repo::jobs;

use super::Ctx;
use crate::error::AppResult;

/// Wakes the runners of this process (a job was just queued).
pub(super) static QUEUED: Notify = Notify::const_new();

pub fn wake() {
    QUEUED.notify_waiters();
}

/// What a job carries so that any server can act as the one who started it.
pub fn params(ctx: &Ctx, mut extra: Value) -> Value {
    let a = &ctx.actor;
    extra["actor"] = json!({
        "user_id": a.user_id, "role": a.role.as_str(), "org_id": a.org_id,
        "district_id": a.district_id, "teacher_id": a.teacher_id,
    });
    extra["ip"] = json!(ctx.ip);
    extra
}

/// Records a job's end: its result, or the error people see.
pub async fn finish(db: &Db, id: &str, outcome: Result<Value, &str>) -> AppResult<()> {
    let mut tx = db.begin().await?;
    match outcome {
        Ok(result) => jobs::update(&mut tx, id, "done", 100, Some(&result), None).await?,
        Err(error) => jobs::update(&mut tx, id, "failed", 0, None, Some(error)).await?,
    }
    tx.commit().await?;
    Ok(())
}

/// Reports progress (0–100) of a running job.
pub async fn progress(db: &Db, id: &str, percent: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    jobs::update(&mut tx, id, "running", percent, None, None).await?;
    tx.commit().await?;
    Ok(())
}
