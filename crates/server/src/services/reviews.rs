//! The two-level review (两级审核), one declaration or a batch: the teacher's current school
//! first, by the school deadline; then the school's district — or the city for a
//! city-affiliated school — by the district deadline. Only the second approval makes the
//! hours effective, as a `declaration` record written in the same transaction.

use std::collections::{HashMap, HashSet};
use xueshi_store::Vault;

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use xueshi_domain::authz;
use xueshi_domain::{
    Decision, DeclarationStatus, FieldError, Hours, Policy, ReasonCode, RecordStatus, Role, Source,
    archive, review, time_rules,
};
use xueshi_store::models::{Declaration, Org, Record, Review, Teacher};
use xueshi_store::repo::{declarations, orgs, policies, records, reviews, teachers};
use xueshi_store::{Conn, Db, now_ms};

use super::declarations::{Detail, load_detail, raced};
use super::{Ctx, Place, new_id, notifications, record};
use crate::error::{AppError, AppResult};

/// Most declarations in one batch review.
pub const MAX_BATCH: usize = 500;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    pub decision: Decision,
    /// 核定学时 for an approval: at most the hours under review, never more.
    pub hours: Option<f64>,
    /// Required for a rejection; kept with a return when given.
    pub reason_code: Option<ReasonCode>,
    /// Required for a return, so the teacher knows what to correct.
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BatchReview {
    pub ids: Vec<String>,
    pub decision: Decision,
    pub reason_code: Option<ReasonCode>,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemResult {
    pub id: String,
    pub ok: bool,
    /// The declaration's status after the review, when it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<DeclarationStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ItemError>,
}

/// A decision, checked on its own (before any declaration is looked at).
struct Verdict {
    decision: Decision,
    hours: Option<Hours>,
    reason_code: Option<ReasonCode>,
    comment: Option<String>,
}

fn verdict(
    decision: Decision,
    hours: Option<f64>,
    reason_code: Option<ReasonCode>,
    comment: Option<String>,
) -> AppResult<Verdict> {
    let mut errors = Vec::new();
    let comment = comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 1000) {
        errors.push(FieldError::new("comment", "审核意见不能超过1000个字符"));
    }
    if decision.requires_reason() && reason_code.is_none() {
        errors.push(FieldError::new("reason_code", "驳回须选择原因"));
    }
    if decision.requires_comment() && comment.is_none() {
        errors.push(FieldError::new(
            "comment",
            "退回修改须填写审核意见，说明需要修改的内容",
        ));
    }
    let hours = match (decision.may_set_hours(), hours) {
        (true, Some(h)) => match Hours::parse_positive(h) {
            Ok(h) => Some(h),
            Err(e) => {
                errors.push(FieldError::new("hours", e.to_string()));
                None
            }
        },
        (_, Some(_)) => {
            errors.push(FieldError::new("hours", "只有审核通过时才能核定学时"));
            None
        }
        (_, None) => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(Verdict {
        decision,
        hours,
        reason_code: reason_code.filter(|_| decision != Decision::Approve),
        comment,
    })
}

/// Roles that review at all; everyone else is refused before anything is looked up.
fn require_reviewer(ctx: &Ctx) -> AppResult<()> {
    match ctx.actor.role {
        Role::SchoolAdmin | Role::DistrictAdmin | Role::CityAdmin => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

pub async fn review_one(db: &Db, ctx: &Ctx, id: &str, input: ReviewInput) -> AppResult<Detail> {
    require_reviewer(ctx)?;
    let verdict = verdict(
        input.decision,
        input.hours,
        input.reason_code,
        input.comment,
    )?;
    let ids = [id.to_owned()];
    let targets = {
        let mut c = db.pool().acquire().await?;
        Targets::load(&mut c, db.vault(), &ids).await?
    };
    apply(db, ctx, &targets, id, &verdict, Via::Single).await?;
    let mut c = db.pool().acquire().await?;
    load_detail(&mut c, db.vault(), ctx, id).await
}

/// Reviews each declaration on its own, in its own transaction: one refusal stops nothing.
pub async fn batch(db: &Db, ctx: &Ctx, input: BatchReview) -> AppResult<Vec<ItemResult>> {
    require_reviewer(ctx)?;
    let mut seen = HashSet::new();
    let ids: Vec<String> = input
        .ids
        .into_iter()
        .map(|id| id.trim().to_owned())
        .filter(|id| seen.insert(id.clone()))
        .collect();
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(AppError::invalid(
            "ids",
            format!("批量审核须选择1至{MAX_BATCH}项申报"),
        ));
    }
    let verdict = verdict(input.decision, None, input.reason_code, input.comment)?;
    let targets = {
        let mut c = db.pool().acquire().await?;
        Targets::load(&mut c, db.vault(), &ids).await?
    };
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let result = match apply(db, ctx, &targets, &id, &verdict, Via::Batch).await {
            Ok(status) => ItemResult {
                id,
                ok: true,
                status: Some(status),
                error: None,
            },
            Err(e) => {
                if let AppError::Internal(cause) = &e {
                    tracing::error!(error = format!("{cause:#}"), "batch review item failed");
                }
                let (_, code) = e.status_and_code();
                ItemResult {
                    id,
                    ok: false,
                    status: None,
                    error: Some(ItemError {
                        code,
                        message: e.message(),
                    }),
                }
            }
        };
        results.push(result);
    }
    // The batch's own entry; committing it flushes every item's commit to disk before the
    // reviewer is answered (the items' commits did not wait for it, see `Via::Batch`).
    let mut tx = db.begin().await?;
    let reviewer_org = orgs::get(&mut tx, &ctx.actor.org_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("reviewer without an organisation")))?;
    let detail = json!({
        "decision": verdict.decision,
        "items": results.len(),
        "done": results.iter().filter(|r| r.ok).count(),
    });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "review.batch",
        ("org", &ctx.actor.org_id),
        &Place::of(&reviewer_org),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(results)
}

/// How a review arrives: one by one, or as an item of a batch, whose commit need not wait
/// for the disk because the batch ends with one that does.
#[derive(Clone, Copy)]
enum Via {
    Single,
    Batch,
}

/// Everything the reviews of a set of declarations need, loaded in a few queries.
struct Targets {
    declarations: HashMap<String, Declaration>,
    teachers: HashMap<String, Teacher>,
    schools: HashMap<String, Org>,
    policies: HashMap<i32, Policy>,
}

impl Targets {
    async fn load(c: &mut Conn, v: &Vault, ids: &[String]) -> AppResult<Targets> {
        let found = declarations::get_many(c, ids).await?;
        let teacher_ids: Vec<String> = unique(found.iter().map(|d| d.teacher_id.clone()));
        let found_teachers = teachers::find_many(c, v, false, &teacher_ids).await?;
        let school_ids: Vec<String> = unique(found_teachers.iter().map(|t| t.school_id.clone()));
        let schools = orgs::get_many(c, &school_ids).await?;
        let mut policies_by_year = HashMap::new();
        for year in unique(found.iter().map(|d| d.year)) {
            if let Some(policy) = policies::get(c, year).await? {
                policies_by_year.insert(year, policy);
            }
        }
        Ok(Targets {
            declarations: found.into_iter().map(|d| (d.id.clone(), d)).collect(),
            teachers: found_teachers
                .into_iter()
                .map(|t| (t.id.clone(), t))
                .collect(),
            schools: schools.into_iter().map(|o| (o.id.clone(), o)).collect(),
            policies: policies_by_year,
        })
    }
}

fn unique<T: std::hash::Hash + Eq + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|i| seen.insert(i.clone())).collect()
}

/// Checks one review in API.md's order — scope (404), state (409), level (403), deadline
/// (422), hours (422) — and writes it with its history, record, notice and audit entry.
async fn apply(
    db: &Db,
    ctx: &Ctx,
    targets: &Targets,
    id: &str,
    verdict: &Verdict,
    via: Via,
) -> AppResult<DeclarationStatus> {
    let before = targets.declarations.get(id).ok_or(AppError::NotFound)?;
    let teacher = targets
        .teachers
        .get(&before.teacher_id)
        .ok_or(AppError::NotFound)?;
    let school = targets
        .schools
        .get(&teacher.school_id)
        .ok_or(AppError::NotFound)?;
    if !authz::sees_teacher(&ctx.actor, &teacher.id, &school.place()) {
        return Err(AppError::NotFound);
    }
    let level = review::level_for(before.status).ok_or_else(|| {
        AppError::Conflict(format!(
            "“{}”状态的申报不在待审核状态，不能审核",
            before.status.label_zh()
        ))
    })?;
    if !authz::may_review(&ctx.actor, &school.place(), level) {
        return Err(AppError::Forbidden);
    }
    // An approval leads to a record; a departed teacher's declaration can still be returned
    // or rejected, which closes it.
    if verdict.decision == Decision::Approve && !archive::may_receive_records(teacher.status) {
        return Err(AppError::Conflict(format!(
            "{}：该申报只能退回或驳回",
            archive::DEPARTED_GETS_NO_RECORDS
        )));
    }
    let policy = targets.policies.get(&before.year).ok_or_else(|| {
        AppError::invalid("year", format!("{}年度的年度政策尚未发布", before.year))
    })?;
    let deadline = policy.deadlines.for_level(level);
    if time_rules::deadline_passed(deadline, OffsetDateTime::now_utc()) {
        return Err(AppError::DeadlinePassed(format!(
            "{}年度{}已于{}截止",
            before.year,
            level.label_zh(),
            time_rules::format_date(deadline)
        )));
    }
    let under_review = before.approved_hours.unwrap_or(before.hours);
    let status = review::next_status(before.status, verdict.decision)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    let mut after = Declaration {
        status,
        ..before.clone()
    };
    if verdict.decision == Decision::Approve {
        let approved = verdict.hours.unwrap_or(under_review);
        if !review::approved_hours_valid(under_review, approved) {
            return Err(AppError::invalid(
                "hours",
                format!("核定学时不能高于申报学时（{under_review}）"),
            ));
        }
        after.approved_hours = Some(approved);
    }
    let now = now_ms();
    let mut tx = match via {
        Via::Single => db.begin().await?,
        Via::Batch => db.begin_unflushed().await?,
    };
    if status == DeclarationStatus::Approved {
        let effective = effective_record(&after, &ctx.actor.user_id, now);
        records::insert(&mut tx, &effective).await?;
        after.record_id = Some(effective.id);
    }
    declarations::set_status(&mut tx, &after, before.status)
        .await
        .map_err(|e| raced(e, before))?;
    let entry = Review {
        id: new_id(),
        declaration_id: id.to_owned(),
        level,
        decision: verdict.decision,
        hours: after
            .approved_hours
            .filter(|_| verdict.decision == Decision::Approve),
        reason_code: verdict.reason_code,
        comment: verdict.comment.clone(),
        reviewer_id: ctx.actor.user_id.clone(),
        at: now,
        reviewer_name: None,
        reviewer_org: None,
    };
    reviews::insert(&mut tx, &entry).await?;
    if let Some(user_id) = &teacher.user_id {
        notifications::declaration_reviewed(&mut tx, user_id, &after, &entry, policy).await?;
    }
    let detail = json!({
        "level": level, "decision": verdict.decision,
        "via": match via { Via::Single => "api", Via::Batch => "batch" },
        "before": { "status": before.status, "hours": under_review },
        "after": { "status": after.status, "approved_hours": after.approved_hours, "record_id": after.record_id },
        "reason_code": verdict.reason_code, "comment": verdict.comment,
    });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "declaration.review",
        ("declaration", id),
        &Place::of(school),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(status)
}

/// The effective record (有效学时) a second-level approval makes.
fn effective_record(d: &Declaration, reviewer_id: &str, now: i64) -> Record {
    Record {
        id: new_id(),
        teacher_id: d.teacher_id.clone(),
        year: d.year,
        category: d.category,
        activity_type: d.activity_type,
        title: d.title.clone(),
        hours: d.approved_hours.unwrap_or(d.hours),
        source: Source::Declaration,
        status: RecordStatus::Approved,
        course_id: None,
        training_id: None,
        declaration_id: Some(d.id.clone()),
        start_date: Some(d.start_date.clone()),
        end_date: Some(d.end_date.clone()),
        created_by: Some(reviewer_id.to_owned()),
        created_at: now,
        revoke_reason: None,
    }
}
