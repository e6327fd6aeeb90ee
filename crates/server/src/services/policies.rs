use serde_json::json;
use xueshi_domain::authz::Action;
use xueshi_domain::{Policy, PolicyInput};
use xueshi_store::Db;
use xueshi_store::repo::policies;

use super::{Ctx, Place, record};
use crate::error::{AppError, AppResult};

/// Creates or replaces a year's policy (city only), validated and audited with before/after.
pub async fn put(db: &Db, ctx: &Ctx, year: i32, input: PolicyInput) -> AppResult<Policy> {
    ctx.require(Action::EditPolicy)?;
    let policy = input.validate(year).map_err(AppError::Invalid)?;
    let mut tx = db.begin().await?;
    let before = policies::get(&mut tx, year).await?;
    policies::upsert(&mut tx, &policy).await?;
    let detail = json!({ "before": before, "after": policy });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "policy.put",
        ("policy", &year.to_string()),
        &Place::nowhere(),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(policy)
}

/// The year's policy, if published, read through the process cache (the change feed
/// forgets it on every server when any policy changes).
pub async fn of_year(db: &Db, year: i32) -> AppResult<Option<std::sync::Arc<Policy>>> {
    Ok(xueshi_store::cached::policy(db, year).await?)
}

pub async fn get(db: &Db, year: i32) -> AppResult<Policy> {
    let mut c = db.pool().acquire().await?;
    policies::get(&mut c, year).await?.ok_or(AppError::NotFound)
}
