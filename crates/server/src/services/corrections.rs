//! Correction requests (更正申请, the notice 五(二)1: teachers must 及时更正 their name and ID
//! number so the provincial import does not fail). A teacher asks; the school's district — the
//! city for a city-affiliated school — approves, which changes the record through the same
//! path as an administrator's correction (the login moves with a corrected ID number), or
//! rejects with a reason. The teacher hears either way.

use serde::{Deserialize, Serialize};
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{CorrectionStatus, IdNumber, Role};
use xueshi_store::models::{Notification, Page};
use xueshi_store::repo::correction_requests;
use xueshi_store::repo::{notifications, orgs, teachers as teacher_repo};
use xueshi_store::{Db, StoreError, UniqueKey, now_ms};

pub use xueshi_store::repo::correction_requests::{CorrectionFilter, CorrectionRequest};

use super::request_decision::{self, Decided, RequestDecision, Wording};
use super::teachers::{self, UpdateTeacher};
use super::{Ctx, Place, new_id, record};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewCorrection {
    /// The name as it should be.
    pub name: Option<String>,
    /// The ID number as it should be (GB 11643).
    pub id_number: Option<String>,
    /// Why (e.g. 身份证号录入错误), required.
    #[serde(default)]
    pub reason: String,
}

/// One field's change, ID numbers masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub from: String,
    pub to: String,
}

fn text(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// What the request would change, as the API and the pages show it (ID numbers masked).
pub fn field_changes(
    r: &CorrectionRequest,
    current_id_number: &str,
) -> serde_json::Map<String, serde_json::Value> {
    let mut changes = serde_json::Map::new();
    if let Some(name) = &r.name {
        changes.insert("name".into(), json!({ "from": r.teacher_name, "to": name }));
    }
    if let Some(number) = &r.id_number {
        changes.insert(
            "id_number".into(),
            json!({ "from": IdNumber::mask_str(current_id_number), "to": IdNumber::mask_str(number) }),
        );
    }
    changes
}

/// The teacher asks for their own name or ID number to be corrected.
pub async fn request(
    db: &Db,
    ctx: &Ctx,
    teacher_id: &str,
    input: NewCorrection,
) -> AppResult<CorrectionRequest> {
    ctx.require(Action::RequestCorrection)?;
    if ctx.actor.teacher_id.as_deref() != Some(teacher_id) {
        return Err(AppError::NotFound);
    }
    let mut tx = db.begin().await?;
    let (teacher, school) = teachers::visible(&mut tx, db.vault(), ctx, teacher_id).await?;
    let mut errors = Vec::new();
    let name = text(input.name.as_deref()).filter(|n| *n != teacher.name);
    if name.as_ref().is_some_and(|n| n.chars().count() > 50) {
        errors.push(xueshi_domain::FieldError::new(
            "name",
            "姓名不能超过50个字符",
        ));
    }
    let id_number = match text(input.id_number.as_deref()) {
        None => None,
        Some(raw) => match IdNumber::parse(&raw) {
            Ok(n) if n.as_str() == teacher.id_number => None,
            Ok(n) => Some(n.as_str().to_owned()),
            Err(e) => {
                errors.push(xueshi_domain::FieldError::new("id_number", e.to_string()));
                None
            }
        },
    };
    if errors.is_empty() && name.is_none() && id_number.is_none() {
        errors.push(xueshi_domain::FieldError::new(
            "name",
            "请填写要更正的姓名或身份证号（与现有信息相同的无需申请）",
        ));
    }
    let reason = match request_decision::reason("reason", Some(&input.reason), Some("申请更正"))
    {
        Ok(r) => r.unwrap_or_default(),
        Err(AppError::Invalid(mut e)) => {
            errors.append(&mut e);
            String::new()
        }
        Err(other) => return Err(other),
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    if let Some(number) = &id_number
        && teacher_repo::by_id_number(&mut tx, db.vault(), number)
            .await?
            .is_some()
    {
        return Err(AppError::Duplicate {
            message: "该身份证号已有教师登记，请联系学校继续教育管理员核实".into(),
            existing_id: None,
        });
    }
    let request = CorrectionRequest {
        id: new_id(),
        teacher_id: teacher.id.clone(),
        teacher_name: teacher.name.clone(),
        school_id: school.id.clone(),
        school_name: school.name.clone(),
        name,
        id_number,
        reason,
        status: CorrectionStatus::Pending,
        requested_at: now_ms(),
        decided_by: None,
        decided_at: None,
        decision_reason: None,
    };
    correction_requests::insert(&mut tx, db.vault(), &request)
        .await
        .map_err(|e| match e {
            StoreError::Unique(UniqueKey::PendingCorrection) => {
                AppError::Conflict("已有一份待审核的更正申请，请等待审核结果后再申请".into())
            }
            other => other.into(),
        })?;
    let detail = json!({
        "changes": field_changes(&request, &teacher.id_number),
        "reason": request.reason,
    });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "correction.create",
        ("correction_request", &request.id),
        &Place::of(&school),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(request)
}

/// A request the caller may see: their own, or one of a teacher in an administrator's scope.
async fn visible(
    c: &mut xueshi_store::Conn,
    db: &Db,
    ctx: &Ctx,
    id: &str,
) -> AppResult<(CorrectionRequest, xueshi_store::models::Org)> {
    let request = correction_requests::get(c, db.vault(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let school = orgs::get(c, &request.school_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sees = match ctx.actor.role {
        Role::Teacher => ctx.actor.teacher_id.as_deref() == Some(request.teacher_id.as_str()),
        Role::SchoolAdmin | Role::DistrictAdmin | Role::CityAdmin => {
            authz::sees_teacher(&ctx.actor, &request.teacher_id, &school.place())
        }
        Role::ProviderAdmin | Role::Auditor => false,
    };
    if !sees {
        return Err(AppError::NotFound);
    }
    Ok((request, school))
}

pub async fn get(db: &Db, ctx: &Ctx, id: &str) -> AppResult<CorrectionRequest> {
    let mut c = db.pool().acquire().await?;
    Ok(visible(&mut c, db, ctx, id).await?.0)
}

/// Approves (the record changes at once) or rejects (with a reason) a pending request.
pub async fn decide(
    db: &Db,
    ctx: &Ctx,
    id: &str,
    input: RequestDecision,
) -> AppResult<CorrectionRequest> {
    ctx.require(Action::CorrectIdentity)?;
    let Decided { approve, reason } = input.read(Wording {
        approve: "通过",
        reject: "不予更正",
    })?;
    let mut tx = db.begin().await?;
    let (mut request, school) = visible(&mut tx, db, ctx, id).await?;
    if !authz::may_decide_correction(&ctx.actor, &school.place()) {
        return Err(AppError::Forbidden);
    }
    if request.status != CorrectionStatus::Pending {
        return Err(AppError::Conflict(format!(
            "该更正申请{}，不能再审核",
            request.status.label_zh()
        )));
    }
    let status = if approve {
        CorrectionStatus::Approved
    } else {
        CorrectionStatus::Rejected
    };
    let current = teacher_repo::get(&mut tx, db.vault(), &request.teacher_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let changes = field_changes(&request, &current.id_number);
    let now = now_ms();
    if !correction_requests::close(
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
            "该更正申请刚刚已被处理，请刷新页面".into(),
        ));
    }
    if approve {
        // The administrators' own correction, with its checks (a number already registered to
        // another teacher is refused) and its audit entry.
        let update = UpdateTeacher {
            name: request.name.clone(),
            id_number: request.id_number.clone(),
            ..Default::default()
        };
        teachers::update_in(&mut tx, db.vault(), ctx, &request.teacher_id, update).await?;
    }
    request.status = status;
    request.decided_by = Some(ctx.actor.user_id.clone());
    request.decided_at = Some(now);
    request.decision_reason = reason;
    let action = if approve {
        "correction.approve"
    } else {
        "correction.reject"
    };
    let detail = json!({ "changes": changes, "decision_reason": request.decision_reason });
    record(
        &mut tx,
        db.vault(),
        ctx,
        action,
        ("correction_request", id),
        &Place::of(&school),
        detail,
    )
    .await?;
    if let Some(user_id) = &current.user_id {
        let (title, body) = if approve {
            (
                "更正申请已通过",
                match &request.id_number {
                    Some(n) => format!(
                        "您的个人信息已按申请更正。登录账号已改为新的身份证号 {}，密码不变。",
                        IdNumber::mask_str(n)
                    ),
                    None => "您的个人信息已按申请更正。".to_owned(),
                },
            )
        } else {
            (
                "更正申请未通过",
                format!(
                    "您的更正申请未通过，理由：{}",
                    request.decision_reason.as_deref().unwrap_or("未说明")
                ),
            )
        };
        let note = Notification {
            id: new_id(),
            user_id: user_id.clone(),
            kind: format!("correction_{}", status.as_str()),
            title: title.to_owned(),
            body,
            target_id: Some(request.id.clone()),
            created_at: now,
            read_at: None,
        };
        notifications::insert(&mut tx, &note).await?;
    }
    tx.commit().await?;
    // A decided request keeps no ID number (see the store).
    request.id_number = None;
    Ok(request)
}

/// The requests the caller sees, oldest first.
pub async fn list(
    db: &Db,
    ctx: &Ctx,
    filter: &CorrectionFilter,
) -> AppResult<Page<CorrectionRequest>> {
    if ctx.actor.role != Role::Teacher {
        ctx.require(Action::ViewTeachers)?;
    }
    let mut c = db.pool().acquire().await?;
    Ok(correction_requests::list(&mut c, db.vault(), &authz::scope(&ctx.actor), filter).await?)
}

/// How many pending requests wait for the caller's decision.
pub async fn awaiting(db: &Db, ctx: &Ctx) -> AppResult<i64> {
    if !authz::role_allows(ctx.actor.role, Action::CorrectIdentity) {
        return Ok(0);
    }
    let mut c = db.pool().acquire().await?;
    Ok(correction_requests::awaiting_decision(&mut c, &authz::scope(&ctx.actor)).await?)
}

/// The teacher's pending request, for their profile page.
pub async fn pending_for(db: &Db, teacher_id: &str) -> AppResult<Option<CorrectionRequest>> {
    let mut c = db.pool().acquire().await?;
    Ok(correction_requests::pending_for(&mut c, db.vault(), teacher_id).await?)
}

/// Each request with what it would change (ID numbers masked against the teacher's current
/// one). A decided request no longer holds the number it asked for: its audit entry does.
pub async fn with_changes(
    db: &Db,
    items: Vec<CorrectionRequest>,
) -> AppResult<
    Vec<(
        CorrectionRequest,
        serde_json::Map<String, serde_json::Value>,
    )>,
> {
    let ids: Vec<String> = items.iter().map(|r| r.teacher_id.clone()).collect();
    let mut c = db.pool().acquire().await?;
    let numbers: std::collections::HashMap<String, String> =
        teacher_repo::get_many(&mut c, db.vault(), &ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t.id_number))
            .collect();
    Ok(items
        .into_iter()
        .map(|r| {
            let current = numbers.get(&r.teacher_id).map_or("", String::as_str);
            let changes = field_changes(&r, current);
            (r, changes)
        })
        .collect())
}
