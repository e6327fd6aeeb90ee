//! Transfer requests (调动申请). A school administrator may not move a teacher across schools
//! (the receiving school did not ask for them, and its district will manage them): the school
//! requests it, and the receiving school's district — the city for a city-affiliated school —
//! approves, which moves the teacher through the same path as a district's own transfer.

use serde::Deserialize;
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{TeacherStatus, TransferStatus};
use xueshi_store::models::{Notification, Org, Page, Teacher};
use xueshi_store::repo::transfer_requests;
use xueshi_store::repo::{notifications, orgs, teachers as teacher_repo};
use xueshi_store::{Conn, Db, StoreError, UniqueKey, now_ms};

pub use xueshi_store::repo::transfer_requests::{TransferFilter, TransferRequest};

use super::request_decision::{self, Decided, RequestDecision, Wording};
use super::teachers::{self, receiving_school};
use super::{Ctx, Place, new_id, record};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewTransfer {
    /// The school the teacher moves to.
    pub school_id: String,
    /// Why (e.g. 工作调动), for the approver.
    #[serde(default)]
    pub reason: String,
}

async fn school(c: &mut Conn, id: &str) -> AppResult<Org> {
    orgs::get(c, id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("school {id} of a transfer is gone")))
}

/// Files a request to move the teacher from the caller's school to `input.school_id`.
pub async fn request(
    db: &Db,
    ctx: &Ctx,
    teacher_id: &str,
    input: NewTransfer,
) -> AppResult<TransferRequest> {
    ctx.require(Action::RequestTransfer)?;
    let reason = request_decision::reason("reason", Some(&input.reason), None)?.unwrap_or_default();
    let mut tx = db.begin().await?;
    let (teacher, from) = teachers::visible(&mut tx, db.vault(), ctx, teacher_id).await?;
    if !authz::may_request_transfer(&ctx.actor, &from.place()) {
        return Err(AppError::Forbidden);
    }
    if teacher.status == TeacherStatus::Departed {
        return Err(AppError::Conflict(
            "该教师已登记离职，不能申请调动；如已入职新学校，请由新学校所在区办理".into(),
        ));
    }
    if input.school_id.trim().is_empty() {
        return Err(AppError::invalid("school_id", "请选择调入学校"));
    }
    if input.school_id == from.id {
        return Err(AppError::invalid("school_id", "调入学校不能是本校"));
    }
    let to = receiving_school(&mut tx, ctx, &input.school_id, false).await?;
    let now = now_ms();
    let request = TransferRequest {
        id: new_id(),
        teacher_id: teacher.id.clone(),
        teacher_name: teacher.name.clone(),
        from_school_id: from.id.clone(),
        from_school_name: from.name.clone(),
        to_school_id: to.id.clone(),
        to_school_name: to.name.clone(),
        reason,
        status: TransferStatus::Pending,
        requested_by: ctx.actor.user_id.clone(),
        requested_at: now,
        decided_by: None,
        decided_at: None,
        decision_reason: None,
    };
    transfer_requests::insert(&mut tx, &request)
        .await
        .map_err(|e| match e {
            StoreError::Unique(UniqueKey::PendingTransfer) => AppError::Conflict(
                "该教师已有一份待审批的调动申请，请等待审批或先撤销该申请".into(),
            ),
            other => other.into(),
        })?;
    let detail = audit_detail(&request);
    record(
        &mut tx,
        db.vault(),
        ctx,
        "transfer_request.create",
        ("transfer_request", &request.id),
        &Place::of(&from),
        detail.clone(),
    )
    .await?;
    // The receiving side reads it in its own audit trail too.
    record(
        &mut tx,
        db.vault(),
        ctx,
        "transfer_request.create",
        ("transfer_request", &request.id),
        &Place::of(&to),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(request)
}

fn audit_detail(r: &TransferRequest) -> serde_json::Value {
    json!({
        "teacher_id": r.teacher_id,
        "from_school_id": r.from_school_id,
        "to_school_id": r.to_school_id,
        "reason": r.reason,
        "status": r.status,
        "decision_reason": r.decision_reason,
    })
}

/// A request the caller may see: one end of it lies in their scope.
async fn visible(c: &mut Conn, ctx: &Ctx, id: &str) -> AppResult<(TransferRequest, Org, Org)> {
    let request = transfer_requests::get(c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let from = school(c, &request.from_school_id).await?;
    let to = school(c, &request.to_school_id).await?;
    let sees = |o: &Org| authz::sees_org(&ctx.actor, &o.place());
    if !matches!(
        ctx.actor.role,
        xueshi_domain::Role::SchoolAdmin
            | xueshi_domain::Role::DistrictAdmin
            | xueshi_domain::Role::CityAdmin
    ) || !(sees(&from) || sees(&to))
    {
        return Err(AppError::NotFound);
    }
    Ok((request, from, to))
}

pub async fn get(db: &Db, ctx: &Ctx, id: &str) -> AppResult<TransferRequest> {
    let mut c = db.pool().acquire().await?;
    Ok(visible(&mut c, ctx, id).await?.0)
}

/// Approves or rejects a pending request. Approval moves the teacher (their records stay with
/// them, their pending declarations go to the new school's queue).
pub async fn decide(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    input: RequestDecision,
) -> AppResult<TransferRequest> {
    ctx.require(Action::DecideTransfer)?;
    let Decided { approve, reason } = input.read(Wording {
        approve: "批准",
        reject: "不予批准",
    })?;
    let mut tx = db.begin().await?;
    let (mut request, from, to) = visible(&mut tx, ctx, id).await?;
    if !authz::may_decide_transfer(&ctx.actor, &to.place()) {
        return Err(AppError::Refused(format!(
            "调动申请由调入学校（{}）所在区审批，局属学校由市审批",
            to.name
        )));
    }
    if request.status != TransferStatus::Pending {
        return Err(AppError::Conflict(format!(
            "该调动申请{}，不能再审批",
            request.status.label_zh()
        )));
    }
    let status = if approve {
        TransferStatus::Approved
    } else {
        TransferStatus::Rejected
    };
    let now = now_ms();
    // Closed first: the move below would otherwise withdraw it as the teacher's open request.
    if !transfer_requests::close(
        &mut tx,
        id,
        status,
        &ctx.actor.user_id,
        now,
        reason.as_deref(),
    )
    .await?
    {
        return Err(AppError::Conflict(
            "该调动申请刚刚已被处理，请刷新页面".into(),
        ));
    }
    if approve {
        move_teacher(&mut tx, db, ctx, &request, &from, &to).await?;
    }
    request.status = status;
    request.decided_by = Some(ctx.actor.user_id.clone());
    request.decided_at = Some(now);
    request.decision_reason = reason;
    let action = if approve {
        "transfer_request.approve"
    } else {
        "transfer_request.reject"
    };
    let detail = audit_detail(&request);
    for place in [Place::of(&from), Place::of(&to)] {
        record(
            &mut tx,
            db.vault(),
            ctx,
            action,
            ("transfer_request", id),
            &place,
            detail.clone(),
        )
        .await?;
    }
    tell_requester(&mut tx, &request).await?;
    tx.commit().await?;
    Ok(request)
}

/// The approved move: the teacher must still be an active member of the requesting school,
/// and the receiving school still open.
async fn move_teacher(
    tx: &mut Conn,
    db: &Db,
    ctx: &Ctx,
    request: &TransferRequest,
    from: &Org,
    to: &Org,
) -> AppResult<()> {
    let before: Teacher = teacher_repo::get(tx, db.vault(), &request.teacher_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.school_id != from.id || before.status != TeacherStatus::Active {
        return Err(AppError::Conflict(
            "该教师已不在申请学校任职（已调动或已离职），此申请已失效".into(),
        ));
    }
    let to = receiving_school(tx, ctx, &to.id, false).await?;
    let mut after = before.clone();
    after.school_id = to.id.clone();
    teachers::apply(tx, db.vault(), ctx, (&before, from), (&after, &to)).await
}

/// The school that asked hears the answer in its notifications.
async fn tell_requester(c: &mut Conn, r: &TransferRequest) -> AppResult<()> {
    let (title, body) = match r.status {
        TransferStatus::Approved => (
            "调动申请已批准",
            format!(
                "{}调入{}的申请已批准，该教师已转入新学校。",
                r.teacher_name, r.to_school_name
            ),
        ),
        _ => (
            "调动申请未批准",
            format!(
                "{}调入{}的申请未批准，理由：{}",
                r.teacher_name,
                r.to_school_name,
                r.decision_reason.as_deref().unwrap_or("未说明")
            ),
        ),
    };
    let notification = Notification {
        id: new_id(),
        user_id: r.requested_by.clone(),
        kind: format!("transfer_{}", r.status.as_str()),
        title: title.to_owned(),
        body,
        target_id: Some(r.id.clone()),
        created_at: now_ms(),
        read_at: None,
    };
    notifications::insert(c, &notification).await?;
    Ok(())
}

/// Withdraws a pending request: the requesting school's administrators.
pub async fn cancel(db: &Db, ctx: &Ctx, id: &str) -> AppResult<TransferRequest> {
    ctx.require(Action::RequestTransfer)?;
    let mut tx = db.begin().await?;
    let (mut request, from, to) = visible(&mut tx, ctx, id).await?;
    if !authz::may_request_transfer(&ctx.actor, &from.place()) {
        return Err(AppError::Forbidden);
    }
    let now = now_ms();
    if request.status != TransferStatus::Pending
        || !transfer_requests::close(
            &mut tx,
            id,
            TransferStatus::Cancelled,
            &ctx.actor.user_id,
            now,
            None,
        )
        .await?
    {
        return Err(AppError::Conflict(format!(
            "该调动申请{}，不能撤销",
            request.status.label_zh()
        )));
    }
    request.status = TransferStatus::Cancelled;
    request.decided_by = Some(ctx.actor.user_id.clone());
    request.decided_at = Some(now);
    let detail = audit_detail(&request);
    for place in [Place::of(&from), Place::of(&to)] {
        record(
            &mut tx,
            db.vault(),
            ctx,
            "transfer_request.cancel",
            ("transfer_request", id),
            &place,
            detail.clone(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(request)
}

/// The requests the caller sees (either end in their scope), oldest first.
pub async fn list(db: &Db, ctx: &Ctx, filter: &TransferFilter) -> AppResult<Page<TransferRequest>> {
    if !authz::role_allows(ctx.actor.role, Action::RequestTransfer) {
        ctx.require(Action::DecideTransfer)?;
    }
    let mut c = db.pool().acquire().await?;
    Ok(transfer_requests::list(&mut c, &authz::scope(&ctx.actor), filter).await?)
}

/// How many pending requests wait for the caller's decision.
pub async fn awaiting(db: &Db, ctx: &Ctx) -> AppResult<i64> {
    if !authz::role_allows(ctx.actor.role, Action::DecideTransfer) {
        return Ok(0);
    }
    let mut c = db.pool().acquire().await?;
    Ok(transfer_requests::awaiting_decision(&mut c, &authz::scope(&ctx.actor)).await?)
}

/// The teacher's pending request, for their page (the caller has seen the teacher).
pub async fn pending_for(db: &Db, teacher_id: &str) -> AppResult<Option<TransferRequest>> {
    let mut c = db.pool().acquire().await?;
    Ok(transfer_requests::pending_for(&mut c, teacher_id).await?)
}
