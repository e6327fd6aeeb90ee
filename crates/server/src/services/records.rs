//! A teacher's ledger: their records, their provisional progress, and revocation
//! (取消学时登记).

use serde::Deserialize;
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{Outcome, Policy, RecordStatus, Source, evaluate, year_totals};
use xueshi_store::models::Record;
use xueshi_store::repo::records;
use xueshi_store::{Db, StoreError, cached};

use super::{Ctx, Place, record, required_text, teachers};
use crate::error::{AppError, AppResult};

/// Records of a teacher the actor may see.
pub async fn list(
    db: &Db,
    ctx: &Ctx,
    teacher_id: &str,
    year: Option<i32>,
) -> AppResult<Vec<Record>> {
    let mut c = db.pool().acquire().await?;
    let (teacher, _) = teachers::visible_for_ledger(&mut c, db.vault(), ctx, teacher_id).await?;
    Ok(records::for_teacher(&mut c, &teacher.id, year).await?)
}

pub struct Progress {
    pub policy: Policy,
    pub outcome: Outcome,
    pub pending: xueshi_domain::Hours,
}

/// Provisional progress of a year from effective records only. The deadline day's most
/// frequent request: read through the cache (see `xueshi_store::cache`).
pub async fn progress(db: &Db, ctx: &Ctx, teacher_id: &str, year: i32) -> AppResult<Progress> {
    if !authz::role_allows(ctx.actor.role, Action::ReadLedger) {
        return Err(AppError::Forbidden);
    }
    let visible = cached::teacher_place(db, teacher_id)
        .await?
        .is_some_and(|school| authz::sees_teacher(&ctx.actor, teacher_id, &school));
    if !visible {
        return Err(AppError::NotFound);
    }
    let policy = cached::policy(db, year).await?.ok_or(AppError::NotFound)?;
    let ledger = cached::year_ledger(db, teacher_id, year).await?;
    let outcome = evaluate(&year_totals(&ledger.lines, &policy), &policy);
    Ok(Progress {
        policy: Policy::clone(&policy),
        outcome,
        pending: ledger.pending,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Revoke {
    pub reason: String,
}

/// Revokes an effective record (district of the teacher's school, or the city), audited.
pub async fn revoke(db: &Db, ctx: &Ctx, record_id: &str, input: Revoke) -> AppResult<Record> {
    ctx.require(Action::RevokeRecord)?;
    let mut errors = Vec::new();
    let reason = required_text("reason", "取消原因", &input.reason, 500, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut tx = db.begin().await?;
    let before = records::get(&mut tx, record_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (_, school) = teachers::visible(&mut tx, db.vault(), ctx, &before.teacher_id).await?;
    if before.source == Source::CarryOver {
        return Err(AppError::Conflict(
            "结转学时由年度验证生成，请取消其来源记录后重新验证".into(),
        ));
    }
    if before.status == RecordStatus::Revoked {
        return Err(AppError::Conflict("该学时记录已取消".into()));
    }
    records::revoke(&mut tx, record_id, &ctx.actor.user_id, &reason)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::Conflict("该学时记录已取消".into()),
            other => other.into(),
        })?;
    let after = records::get(&mut tx, record_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let detail = json!({ "reason": reason, "before": { "status": before.status, "hours": before.hours }, "after": { "status": after.status } });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "record.revoke",
        ("record", record_id),
        &Place::of(&school),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}
