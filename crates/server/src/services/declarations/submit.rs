//! Submission (提交): the checks of API.md in their order — state, deadline, evidence,
//! fields, duplicates — then the declaration joins the school's queue. Nothing changes on
//! a refusal.

use serde_json::json;
use time::OffsetDateTime;
use xueshi_domain::{DeclarationStatus, Policy, normalize_title, review, time_rules};
use xueshi_store::models::{Declaration, Evidence, Record};
use xueshi_store::repo::declarations::Blocker;
use xueshi_store::repo::{declarations, evidence, policies, reviews};
use xueshi_store::{Conn, Db, StoreError, now_ms};

use super::{Detail, form, own, require_teacher, theirs, wrong_state};
use crate::error::{AppError, AppResult};
use crate::services::evidence::ProofKind;
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
    let history = if before.status == DeclarationStatus::Draft {
        Vec::new()
    } else {
        let mut c = db.pool().acquire().await?;
        reviews::for_declaration(&mut c, id).await?
    };
    // The teacher's own view: no reviewers' warnings, and nothing else to read again.
    Ok(Detail {
        declaration: after,
        evidence: files,
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

/// The evidence the notice asks for: the certificate, its translation when foreign and not in
/// Chinese, an hours proof when it states no hours.
async fn check_evidence(c: &mut Conn, d: &Declaration) -> AppResult<Vec<Evidence>> {
    let files = evidence::for_declaration(c, &d.id).await?;
    let has = |kind: ProofKind| files.iter().any(|e| e.kind == kind.as_str());
    let mut missing = Vec::new();
    if !has(ProofKind::Certificate) {
        missing.push("证书（证明）原件的扫描件或照片");
    }
    if d.foreign_certificate && !has(ProofKind::Translation) {
        missing.push("境外非中文证书须附学校盖章的中文翻译件");
    }
    if !d.certificate_states_hours && !has(ProofKind::HoursProof) {
        missing.push("证书无明确培训时间，须附学校盖章的学时证明");
    }
    if missing.is_empty() {
        Ok(files)
    } else {
        Err(AppError::MissingEvidence(format!(
            "证明材料不全：{}",
            missing.join("；")
        )))
    }
}

fn duplicate(message: String, existing_id: String) -> AppError {
    AppError::Duplicate {
        message,
        existing_id: Some(existing_id),
    }
}

/// 已登记学时不得重复申报: an identical evidence file, or the same normalised title with
/// overlapping dates, among the teacher's declarations under review or approved (while their
/// record stands) and effective records — organiser registrations included.
async fn check_duplicates(c: &mut Conn, d: &Declaration) -> AppResult<()> {
    match declarations::blocking_duplicate(c, d).await? {
        Some((Blocker::SameEvidence, existing)) => {
            return Err(duplicate(
                "证明材料与您已申报的另一项学时使用的文件完全相同，不得重复申报".into(),
                existing,
            ));
        }
        Some((Blocker::SameTitle, existing)) => {
            return Err(duplicate(
                "您已申报过同名且时间重叠的学习活动，不得重复申报".into(),
                existing,
            ));
        }
        None => {}
    }
    let from_year = d
        .start_date
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(d.year);
    for r in declarations::effective_records_from(c, &d.teacher_id, from_year).await? {
        if normalize_title(&r.title) == d.title_normalized && overlaps(&r, d) {
            let message = match (&r.training_id, &r.declaration_id) {
                (Some(_), _) => format!("主办单位已为您登记“{}”的学时，不得重复申报", r.title),
                (_, Some(_)) => format!("“{}”的学时已审核通过，不得重复申报", r.title),
                _ => format!("您已有“{}”的有效学时，不得重复申报", r.title),
            };
            return Err(duplicate(message, r.declaration_id.unwrap_or(r.id)));
        }
    }
    Ok(())
}

/// Whether a record's period meets the declaration's; a record without dates (a course, a
/// carry-over) spans its credit year.
pub(super) fn overlaps(r: &Record, d: &Declaration) -> bool {
    let start = r
        .start_date
        .clone()
        .unwrap_or_else(|| format!("{:04}-01-01", r.year));
    let end = r
        .end_date
        .clone()
        .unwrap_or_else(|| format!("{:04}-12-31", r.year));
    start <= d.end_date && end >= d.start_date
}
