//! Runs background jobs on whichever server of a cluster holds a job's lease (see
//! `xueshi_store::repo::jobs`). The server that queued a job wakes its own runner; every
//! runner also looks every [`POLL_EVERY`], so a job whose server was killed is taken over
//! by another within its lease (`job_lease_secs`), one given back at a graceful shutdown
//! at once.

use std::time::Duration;

use serde_json::Value;
use xueshi_domain::authz::Actor;
use xueshi_store::Db;
use xueshi_store::repo::jobs::{self, Claimed};

use super::Ctx;
use super::jobs::{QUEUED, finish};
use crate::error::AppResult;

const POLL_EVERY: Duration = Duration::from_secs(1);
/// A job taken this many times without finishing killed its servers: it is failed instead.
const MAX_ATTEMPTS: i64 = 3;

fn ctx_of(params: &Value) -> Option<Ctx> {
    let a = &params["actor"];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    Some(Ctx {
        actor: Actor {
            user_id: text(&a["user_id"])?,
            role: a["role"].as_str()?.parse().ok()?,
            org_id: text(&a["org_id"])?,
            district_id: text(&a["district_id"]),
            teacher_id: text(&a["teacher_id"]),
        },
        ip: text(&params["ip"]).unwrap_or_default(),
    })
}

/// Takes and runs jobs until aborted (an aborted job's transaction rolls back; see
/// [`release`]).
pub async fn run_forever(db: Db, owner: String, lease: Duration) {
    let lease_ms = lease.as_millis() as i64;
    loop {
        let claimed = async {
            let now = xueshi_store::now_ms();
            let mut c = db.pool().acquire().await?;
            if !jobs::any_unleased(&mut c, now).await? {
                return Ok(None);
            }
            drop(c);
            let mut tx = db.begin().await?;
            let job = jobs::claim(&mut tx, &owner, now, lease_ms).await?;
            tx.commit().await?;
            AppResult::Ok(job)
        };
        match claimed.await {
            Ok(Some(job)) => run_one(&db, &owner, job, lease).await,
            Ok(None) => {
                tokio::select! {
                    () = QUEUED.notified() => {}
                    () = tokio::time::sleep(POLL_EVERY) => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "jobs not polled; retrying");
                tokio::time::sleep(POLL_EVERY).await;
            }
        }
    }
}

/// Gives back the jobs this server holds, for another server to take at once.
pub async fn release(db: &Db, owner: &str) -> AppResult<u64> {
    let mut tx = db.begin().await?;
    let n = jobs::release_all(&mut tx, owner).await?;
    tx.commit().await?;
    Ok(n)
}

async fn run_one(db: &Db, owner: &str, job: Claimed, lease: Duration) {
    if job.attempts > MAX_ATTEMPTS {
        tracing::error!(job = job.id, "job interrupted too often; failed");
        let _ = finish(db, &job.id, Err("任务多次中断，请重新发起")).await;
        return;
    }
    tracing::info!(
        job = job.id,
        kind = job.kind,
        attempt = job.attempts,
        "job taken"
    );
    let work = async {
        let Some(ctx) = ctx_of(&job.params) else {
            return finish(db, &job.id, Err("任务参数无效，请重新发起")).await;
        };
        match job.kind.as_str() {
            "verification" => super::verification::run_job(db, &ctx, &job.id, &job.params).await,
            other => {
                tracing::error!(job = job.id, kind = other, "unknown job kind");
                finish(db, &job.id, Err("未知任务类型")).await
            }
        }
    };
    let keep_lease = async {
        loop {
            tokio::time::sleep(lease / 3).await;
            let until = xueshi_store::now_ms() + lease.as_millis() as i64;
            let renewed = async {
                let mut tx = db.begin().await?;
                let ours = jobs::renew(&mut tx, &job.id, owner, until).await?;
                tx.commit().await?;
                AppResult::Ok(ours)
            };
            match renewed.await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, job = job.id, "lease not renewed"),
            }
        }
    };
    tokio::select! {
        done = work => if let Err(e) = done {
            tracing::error!(error = %e, job = job.id, "could not record the end of a job");
        },
        () = keep_lease => tracing::warn!(job = job.id, "lease taken over; this run stops"),
    }
}
