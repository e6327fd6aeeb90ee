//! Submission (提交): the checks of API.md in their order — state, deadline, evidence,
//! fields, duplicates — then the declaration joins the school's queue. Nothing changes on
//! a refusal.

use serde_json::json;
use time::OffsetDateTime;
use xueshi_domain::evidence::{ProofKind, missing_proofs, required_proofs};
use xueshi_domain::{DeclarationStatus, Policy, duplicates, review, time_rules};
use xueshi_store::models::{Declaration, Evidence};
use xueshi_store::repo::{declarations, evidence, policies, reviews};
use xueshi_store::{Conn, Db, StoreError, now_ms};

use super::candidates::Candidates;
use super::{Detail, form, own, require_teacher, theirs, wrong_state};
use crate::error::{AppError, AppResult};
use crate::services::{Ctx, Place, record};

pub async fn submit(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Detail> {
    require_teacher(ctx)?;
    // The year's policy rarely changes: it is read before the write lock (SQLite has one
    // writer; on deadline day it is the queue), and again under it only if the declaration
    // has since moved to another year.
    let mut policy = {
        let mut c = db.pool().acquire().await?;
        let d = own(&mut c, ctx, id).await?;
        policies::get(&mut c, d.year).await?
    };
    let mut tx = db.begin().await?;
    // One submission at a time per teacher, so two cannot both miss each other as duplicates.
    let before = theirs(ctx, declarations::get_locking_teacher(&mut tx, id).await?)?;
    if !review::can_submit(before.status) {
        return Err(wrong_state(&before, "提交"));
    }
    if policy.as_ref().is_some_and(|p| p.year != before.year) {
        policy = policies::get(&mut tx, before.year).await?;
    }
    check_deadline(&before, policy.as_ref())?;
    let files = check_evidence(&mut tx, &before).await?;
    let errors = form::submission_errors(&before);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    check_duplicates(&mut tx, &before).await?;
    let now = now_ms();
    let after = Declaration {
        status: DeclarationStatus::Submitted,
        approved_hours: None,
        submitted_at: Some(now),
        queued_at: now,
        ..before.clone()
    };
    match declarations::set_status(&mut tx, &after, before.status).await {
        Ok(()) => {}
        // Read under the teacher's lock, `before` may predate another submission of the same
        // declaration (a double tap): say what it has become.
        Err(StoreError::NotFound) => {
            return Err(wrong_state(&own(&mut tx, ctx, id).await?, "提交"));
        }
        Err(e) => return Err(e.into()),
    }
    let detail = json!({
        "before": { "status": before.status },
        "after": { "status": after.status, "year": after.year, "hours": after.hours },
    });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "declaration.submit",
        ("declaration", id),
        &Place::of_declaration(&after),
        detail,
    )
    .await?;
    tx.commit().await?;
    // A draft has never been reviewed; a returned declaration shows why it came back.
    let mut c = db.pool().acquire().await?;
    let history = if before.status == DeclarationStatus::Draft {
        Vec::new()
    } else {
        reviews::for_declaration(&mut c, id).await?
    };
    let readings = xueshi_store::repo::readings::for_evidence(&mut c, &files).await?;
    // The teacher's own view: no reviewers' warnings, and nothing else to read again.
    Ok(Detail {
        declaration: after,
        evidence: files,
        readings,
        reviews: history,
        warnings: Vec::new(),
    })
}

/// 过期不录: the declaration deadline of the credit year (the year of the end date).
fn check_deadline(d: &Declaration, policy: Option<&Policy>) -> AppResult<()> {
    let Some(policy) = policy else {
        return Err(AppError::invalid(
            "end_date",
            format!("{}年度的年度政策尚未发布，暂不能申报该年度的学时", d.year),
        ));
    };
    let deadline = policy.deadlines.declaration;
    if time_rules::deadline_passed(deadline, OffsetDateTime::now_utc()) {
        return Err(AppError::DeadlinePassed(format!(
            "{}年度个人申报已于{}截止，过期不录",
            d.year,
            time_rules::format_date(deadline)
        )));
    }
    Ok(())
}

/// The evidence the notice asks for (`domain::evidence::required_proofs`).
async fn check_evidence(c: &mut Conn, d: &Declaration) -> AppResult<Vec<Evidence>> {
    let files = evidence::for_declaration(c, &d.id).await?;
    let attached: Vec<ProofKind> = files
        .iter()
        .filter_map(|e| ProofKind::parse(&e.kind))
        .collect();
    let required = required_proofs(d.foreign_certificate, d.certificate_states_hours);
    let missing = missing_proofs(&required, &attached);
    if missing.is_empty() {
        return Ok(files);
    }
    let missing: Vec<&str> = missing.iter().map(ProofKind::missing_zh).collect();
    Err(AppError::MissingEvidence(format!(
        "证明材料不全：{}",
        missing.join("；")
    )))
}

/// 已登记学时不得重复申报 (`domain::duplicates`): the candidates are fetched here, in the
/// write transaction; the rule judges them.
async fn check_duplicates(c: &mut Conn, d: &Declaration) -> AppResult<()> {
    let candidates = Candidates::fetch(c, d).await?;
    let (Some(claim), declarations, records) = candidates.view(d) else {
        return Ok(());
    };
    match duplicates::blocking_duplicate(&claim, &declarations, &records) {
        Some(blocker) => Err(AppError::Duplicate {
            message: blocker.message(),
            existing_id: Some(blocker.existing_id().to_owned()),
        }),
        None => Ok(()),
    }
}
