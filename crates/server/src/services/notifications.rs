//! In-app notifications (站内通知): a teacher hears when a declaration is returned, rejected
//! or approved. Written in the transaction of the change they announce.

use xueshi_domain::{Decision, Policy, ReviewLevel, time_rules};
use xueshi_store::models::{Declaration, Notification, Page, Review};
use xueshi_store::repo::notifications;
use xueshi_store::{Conn, Db, StoreResult, now_ms};

use super::{Ctx, new_id};
use crate::error::{AppError, AppResult};

/// Tells the teacher what a review decided, unless it was a school approval (the declaration
/// simply moves on to the second level).
pub async fn declaration_reviewed(
    c: &mut Conn,
    user_id: &str,
    d: &Declaration,
    review: &Review,
    policy: &Policy,
) -> StoreResult<()> {
    let comment = review
        .comment
        .as_deref()
        .map(|c| format!("审核意见：{c}"))
        .unwrap_or_default();
    let (kind, title, body) = match (review.decision, review.level) {
        (Decision::Approve, ReviewLevel::School) => return Ok(()),
        (Decision::Approve, ReviewLevel::Second) => (
            "declaration_approved",
            "申报已审核通过",
            format!(
                "您申报的“{}”已审核通过，计入{}年度{} {} 学时。{comment}",
                d.title,
                d.year,
                d.category.label_zh(),
                d.approved_hours.unwrap_or(d.hours)
            ),
        ),
        (Decision::Return, level) => (
            "declaration_returned",
            "申报被退回修改",
            format!(
                "您申报的“{}”在{}中被退回修改。{comment}请在{}前修改后重新提交。",
                d.title,
                level.label_zh(),
                time_rules::format_date_zh(policy.deadlines.declaration)
            ),
        ),
        (Decision::Reject, level) => (
            "declaration_rejected",
            "申报被驳回",
            format!(
                "您申报的“{}”在{}中被驳回，原因：{}。{comment}",
                d.title,
                level.label_zh(),
                review.reason_code.map_or("未说明", |r| r.label_zh())
            ),
        ),
    };
    let notification = Notification {
        id: new_id(),
        user_id: user_id.to_owned(),
        kind: kind.to_owned(),
        title: title.to_owned(),
        body,
        target_id: Some(d.id.clone()),
        created_at: now_ms(),
        read_at: None,
    };
    notifications::insert(c, &notification).await
}

/// The caller's own notifications, newest first, and how many are unread.
pub async fn list(
    db: &Db,
    ctx: &Ctx,
    unread_only: bool,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<(Page<Notification>, i64)> {
    let mut c = db.pool().acquire().await?;
    let user = &ctx.actor.user_id;
    let page = notifications::list(&mut c, user, unread_only, cursor, limit).await?;
    let unread = notifications::unread_count(&mut c, user).await?;
    Ok((page, unread))
}

/// Marks one of the caller's notifications read; anyone else's is not found.
pub async fn mark_read(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Notification> {
    let mut tx = db.begin().await?;
    let n = notifications::mark_read(&mut tx, &ctx.actor.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(n)
}
