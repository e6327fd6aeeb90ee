//! Reads that go through the [`crate::cache::Cache`] when it is live: the same answers as the
//! repo functions they wrap, from memory when nothing they depend on changed since.

use std::sync::Arc;

use xueshi_domain::authz::OrgPlace;
use xueshi_domain::{Hours, Policy, RecordLine, RecordStatus};

use crate::cache::{CachedSession, YearLedger};
use crate::models::Record;
use crate::repo::{declarations, orgs, policies, records, sessions, teachers};
use crate::{Db, StoreError, StoreResult};

/// The live session of a token hash with its user (see [`sessions::active_user_for`]);
/// `fresh` skips the cache (to confirm an apparent idle timeout against the database).
pub async fn session(
    db: &Db,
    token_hash: &str,
    fresh: bool,
) -> StoreResult<Option<Arc<CachedSession>>> {
    let cache = db.cache();
    if !fresh && let Some(hit) = cache.session(token_hash) {
        return Ok(Some(hit));
    }
    let fence = cache.fence();
    let mut c = db.pool().acquire().await?;
    let Some(found) = sessions::active_user_for(&mut c, db.vault(), token_hash).await? else {
        return Ok(None);
    };
    Ok(Some(cache.keep_session(fence, token_hash, found)))
}

/// The policy of `year`, if it has one.
pub async fn policy(db: &Db, year: i32) -> StoreResult<Option<Arc<Policy>>> {
    let cache = db.cache();
    if let Some(hit) = cache.policy(year) {
        return Ok(hit);
    }
    let fence = cache.fence();
    let mut c = db.pool().acquire().await?;
    let policy = policies::get(&mut c, year).await?;
    Ok(cache.keep_policy(fence, year, policy))
}

/// Where a teacher belongs (their school), as scope checks take it; `None` if no such teacher.
pub async fn teacher_place(db: &Db, teacher_id: &str) -> StoreResult<Option<OrgPlace>> {
    let cache = db.cache();
    if let Some(hit) = cache.place(teacher_id) {
        return Ok(Some(hit));
    }
    let fence = cache.fence();
    let mut c = db.pool().acquire().await?;
    let Some(teacher) = teachers::get(&mut c, db.vault(), teacher_id).await? else {
        return Ok(None);
    };
    let school = orgs::get(&mut c, &teacher.school_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("teacher {teacher_id} has no school")))?
        .place();
    cache.keep_place(fence, teacher_id, school.clone());
    Ok(Some(school))
}

/// A teacher's effective lines of `year` and the hours still in review.
pub async fn year_ledger(db: &Db, teacher_id: &str, year: i32) -> StoreResult<Arc<YearLedger>> {
    let cache = db.cache();
    if let Some(hit) = cache.ledger(teacher_id, year) {
        return Ok(hit);
    }
    let fence = cache.fence();
    let mut c = db.pool().acquire().await?;
    let lines = effective_lines(&records::for_teacher(&mut c, teacher_id, Some(year)).await?);
    let pending = declarations::pending_tenths(&mut c, teacher_id, year).await?;
    let ledger = YearLedger {
        lines,
        pending: Hours::from_tenths(pending.max(0)),
    };
    Ok(cache.keep_ledger(fence, teacher_id, year, ledger))
}

/// Effective lines of records, as the domain's ledger takes them.
pub fn effective_lines(records: &[Record]) -> Vec<RecordLine> {
    records
        .iter()
        .filter(|r| r.status == RecordStatus::Approved)
        .map(|r| RecordLine {
            category: r.category,
            activity_type: r.activity_type,
            source: r.source,
            hours: r.hours,
        })
        .collect()
}
