//! 提醒教师更正: what the latest check against the provincial roster found, as the lists of the
//! 数据与证书 page and the correction queue show it, and the reminder a school, its district or
//! the city sends a teacher to correct their details (the notice 五(二)1: 及时更正 … 确保姓名、
//! 身份证号信息准确).

use std::collections::HashMap;

use serde_json::json;
use xueshi_domain::IdNumber;
use xueshi_domain::authz::{self, Action};
use xueshi_store::models::Notification;
use xueshi_store::repo::notifications;
use xueshi_store::repo::reconciliation_findings::{
    self as findings, Finding, FindingKind, FindingRow,
};
use xueshi_store::repo::reports::Reach;
use xueshi_store::{Db, now_ms};

use super::{Ctx, Place, new_id, record, teachers};
use crate::error::{AppError, AppResult};

/// One reminder a day per teacher at most: a reminder is a nudge, not a flood.
pub const REMIND_EVERY_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether a reminder may go out now: none was sent within [`REMIND_EVERY_MS`].
pub fn remindable(f: &Finding, now: i64) -> bool {
    f.reminded_at.is_none_or(|at| at < now - REMIND_EVERY_MS)
}

/// What the finding means, in the words the pages and the reminder use.
pub fn finding_text(f: &Finding) -> String {
    match (f.kind, &f.provincial_name) {
        (FindingKind::NameMismatch, Some(name)) => format!("省平台名册中的姓名为“{name}”"),
        (FindingKind::NameMismatch, None) => "省平台名册中的姓名不一致".into(),
        (FindingKind::NotRegistered, _) => "省平台名册中没有该身份证号".into(),
    }
}

/// Tells the teacher what the province's roster says and how to correct it.
pub async fn remind(db: &Db, ctx: &Ctx, teacher_id: &str) -> AppResult<()> {
    ctx.require(Action::Reconcile)?;
    let mut tx = db.begin().await?;
    let (teacher, school) = teachers::visible(&mut tx, db.vault(), ctx, teacher_id).await?;
    let finding = findings::get(&mut tx, teacher_id).await?.ok_or_else(|| {
        AppError::Conflict("最近一次省平台名册核对未发现该教师的问题，无需提醒".into())
    })?;
    let user_id = teacher
        .user_id
        .clone()
        .ok_or_else(|| AppError::Conflict("该教师没有登录账号，请直接联系本人".into()))?;
    let now = now_ms();
    if !findings::mark_reminded(&mut tx, teacher_id, now, now - REMIND_EVERY_MS).await? {
        return Err(AppError::Conflict(
            "今天已提醒过该教师，请明天再提醒".into(),
        ));
    }
    let body = match finding.kind {
        FindingKind::NameMismatch => format!(
            "{}，与平台登记的“{}”不一致。请核对身份证件：平台登记有误的，请在“我的信息”中申请更正；省平台有误的，请联系学校继续教育管理员。",
            finding_text(&finding),
            teacher.name
        ),
        FindingKind::NotRegistered => format!(
            "省平台名册中没有您在平台登记的身份证号 {}。请核对：登记有误的，请在“我的信息”中申请更正；尚未在省平台注册的，请于12月31日前注册。",
            IdNumber::mask_str(&teacher.id_number)
        ),
    };
    let note = Notification {
        id: new_id(),
        user_id,
        kind: "correction_reminder".into(),
        title: "请核对并更正个人信息".into(),
        body,
        target_id: Some(teacher.id.clone()),
        created_at: now,
        read_at: None,
    };
    notifications::insert(&mut tx, &note).await?;
    record(
        &mut tx,
        db.vault(),
        ctx,
        "teacher.correction_reminder",
        ("teacher", &teacher.id),
        &Place::of(&school),
        json!({ "finding": finding.kind.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The findings in the caller's scope (at most `limit`), and how many there are.
pub async fn in_scope(db: &Db, ctx: &Ctx, limit: i64) -> AppResult<(Vec<FindingRow>, i64)> {
    ctx.require(Action::Reconcile)?;
    let scope = authz::scope(&ctx.actor);
    let reach = Reach {
        scope: &scope,
        district_id: None,
        school_id: None,
    };
    let mut c = db.pool().acquire().await?;
    Ok(findings::list(&mut c, db.vault(), &reach, limit).await?)
}

/// The findings of these teachers, for the correction queue.
pub async fn for_teachers(db: &Db, ids: &[String]) -> AppResult<HashMap<String, Finding>> {
    let mut c = db.pool().acquire().await?;
    Ok(findings::for_teachers(&mut c, ids).await?)
}
