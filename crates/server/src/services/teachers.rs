use serde::Deserialize;
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{FieldError, IdNumber, Role, TeacherStatus, time_rules};
use xueshi_store::Vault;
use xueshi_store::models::{Org, Page, Teacher, User};
use xueshi_store::repo::teachers;
use xueshi_store::repo::{orgs, sessions, users};
use xueshi_store::{Conn, Db, StoreError, UniqueKey, now_ms};

pub use xueshi_store::repo::teachers::TeacherFilter;

use super::{Ctx, Place, new_id, record, required_text};
use crate::auth::password;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateTeacher {
    pub name: String,
    /// 身份证号 (GB 11643-1999); also the teacher's login name.
    pub id_number: String,
    pub school_id: String,
    pub password: String,
    pub phone: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateTeacher {
    /// A correction (district or city).
    pub name: Option<String>,
    /// A correction (district or city).
    pub id_number: Option<String>,
    /// A transfer to another school.
    pub school_id: Option<String>,
    pub status: Option<TeacherStatus>,
    pub phone: Option<String>,
}

fn parse_id_number(raw: &str, errors: &mut Vec<FieldError>) -> String {
    match IdNumber::parse(raw) {
        Ok(id) => id.as_str().to_owned(),
        Err(e) => {
            errors.push(FieldError::new("id_number", e.to_string()));
            raw.trim().to_owned()
        }
    }
}

/// A mobile number (11 digits from 1) or a landline with area code.
fn parse_phone(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let phone = raw.map(str::trim).filter(|p| !p.is_empty())?;
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone.chars().all(|c| c.is_ascii_digit() || c == '-');
    if !allowed || !(7..=15).contains(&digits) {
        errors.push(FieldError::new("phone", "电话号码格式不正确"));
    }
    Some(phone.to_owned())
}

/// The answer for an ID number already registered: the existing teacher's id only when the
/// actor may see them; otherwise nothing about who or where (no enumeration of other
/// schools' teachers), just the way forward.
async fn duplicate_id(c: &mut Conn, ctx: &Ctx, existing: &Teacher) -> AppResult<AppError> {
    let school = school_of(c, existing).await?;
    Ok(
        if authz::sees_teacher(&ctx.actor, &existing.id, &school.place()) {
            AppError::Duplicate {
                message: "该身份证号已登记".into(),
                existing_id: Some(existing.id.clone()),
            }
        } else {
            AppError::Duplicate {
                message: "该身份证号已在其他单位登记，如该教师调入本单位，请联系其原学校提交调动申请，或由区教育局办理调动"
                    .into(),
                existing_id: None,
            }
        },
    )
}

/// The teacher's current school, which decides who may see them.
async fn school_of(c: &mut Conn, teacher: &Teacher) -> AppResult<Org> {
    orgs::get(c, &teacher.school_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("teacher {} has no school", teacher.id)))
}

/// Loads a teacher the actor may see, with their school, or 404.
pub async fn visible(c: &mut Conn, v: &Vault, ctx: &Ctx, id: &str) -> AppResult<(Teacher, Org)> {
    let teacher = teachers::get(c, v, id).await?.ok_or(AppError::NotFound)?;
    let school = school_of(c, &teacher).await?;
    if authz::sees_teacher(&ctx.actor, &teacher.id, &school.place()) {
        Ok((teacher, school))
    } else {
        Err(AppError::NotFound)
    }
}

/// Teachers' ID numbers masked (440106********123X), by teacher id, for rows of a list the
/// caller may read.
pub async fn masked_numbers(
    c: &mut Conn,
    v: &Vault,
    ids: &[String],
) -> AppResult<std::collections::HashMap<String, String>> {
    Ok(teachers::get_many(c, v, ids)
        .await?
        .into_iter()
        .map(|t| (t.id, xueshi_domain::IdNumber::mask_str(&t.id_number)))
        .collect())
}

/// How many active teachers the caller's scope holds; `None` for roles without teachers.
pub async fn count_active(c: &mut Conn, ctx: &Ctx) -> AppResult<Option<i64>> {
    let scope = authz::scope(&ctx.actor);
    Ok(match scope {
        authz::Scope::Provider(_) | authz::Scope::Nothing => None,
        _ => Some(teachers::count_active(c, &scope).await?),
    })
}

/// The caller's own name as a teacher, for the page header.
pub async fn own_name(c: &mut Conn, v: &Vault, ctx: &Ctx) -> AppResult<Option<String>> {
    let Some(id) = ctx.actor.teacher_id.as_deref() else {
        return Ok(None);
    };
    Ok(teachers::get(c, v, id).await?.map(|t| t.name))
}

/// A teacher whose ledger the actor may read: themself, or one in an administrator's scope.
pub async fn visible_for_ledger(
    c: &mut Conn,
    v: &Vault,
    ctx: &Ctx,
    id: &str,
) -> AppResult<(Teacher, Org)> {
    if !authz::role_allows(ctx.actor.role, Action::ReadLedger) {
        return Err(AppError::Forbidden);
    }
    visible(c, v, ctx, id).await
}

/// Loads any teacher with their school, for callers that check their own scope rule.
pub async fn visible_any(c: &mut Conn, v: &Vault, id: &str) -> AppResult<(Teacher, Org)> {
    let teacher = teachers::get(c, v, id).await?.ok_or(AppError::NotFound)?;
    let school = school_of(c, &teacher).await?;
    Ok((teacher, school))
}

/// A school that can receive teachers: exists, is a school, is active.
pub(crate) async fn receiving_school(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    must_staff: bool,
) -> AppResult<Org> {
    let school = orgs::get(c, id).await?;
    let school = match school {
        Some(s) if !must_staff || authz::sees_org(&ctx.actor, &s.place()) => s,
        _ if must_staff => return Err(AppError::NotFound),
        _ => return Err(AppError::invalid("school_id", "调入学校不存在")),
    };
    if school.kind != xueshi_domain::OrgKind::School {
        return Err(AppError::invalid("school_id", "所选单位不是学校"));
    }
    if !school.is_active() {
        return Err(AppError::invalid(
            "school_id",
            "学校已注销，不能调入或新增教师",
        ));
    }
    if must_staff && !authz::may_staff_school(&ctx.actor, &school.place()) {
        return Err(AppError::Forbidden);
    }
    Ok(school)
}

pub async fn create(db: &Db, ctx: &Ctx, input: CreateTeacher) -> AppResult<Teacher> {
    ctx.require(Action::CreateTeacher)?;
    let mut errors = Vec::new();
    let name = required_text("name", "姓名", &input.name, 50, &mut errors);
    let id_number = parse_id_number(&input.id_number, &mut errors);
    let phone = parse_phone(input.phone.as_deref(), &mut errors);
    if let Err(AppError::Invalid(mut e)) =
        password::check_policy("password", &id_number, &input.password)
    {
        errors.append(&mut e);
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let school = {
        let mut c = db.pool().acquire().await?;
        receiving_school(&mut c, ctx, &input.school_id, true).await?
    };
    let password_hash = password::hash(&input.password).await?;
    let now = now_ms();
    let teacher = Teacher {
        id: new_id(),
        name,
        id_number,
        school_id: school.id.clone(),
        phone,
        status: TeacherStatus::Active,
        departed_on: None,
        created_at: now,
        user_id: Some(new_id()),
    };
    let user = User {
        id: teacher.user_id.clone().unwrap_or_default(),
        username: teacher.id_number.clone(),
        login: xueshi_store::sealed::login_key(db.vault(), &teacher.id_number),
        password_hash,
        role: Role::Teacher,
        org_id: school.id.clone(),
        teacher_id: Some(teacher.id.clone()),
        created_at: now,
        // The school typed it: the teacher chooses their own at the first login.
        must_change_password: true,
    };
    let mut tx = db.begin().await?;
    if let Some(existing) = teachers::by_id_number(&mut tx, db.vault(), &teacher.id_number).await? {
        return Err(duplicate_id(&mut tx, ctx, &existing).await?);
    }
    if users::by_username(&mut tx, db.vault(), &user.username)
        .await?
        .is_some()
    {
        return Err(AppError::Duplicate {
            message: "该身份证号已被用作登录名".into(),
            existing_id: None,
        });
    }
    let unique = |e: StoreError| match e {
        StoreError::Unique(UniqueKey::TeacherIdNumber) => AppError::Duplicate {
            message: "该身份证号已登记".into(),
            existing_id: None,
        },
        other => other.into(),
    };
    teachers::insert(&mut tx, db.vault(), &teacher)
        .await
        .map_err(unique)?;
    users::insert(&mut tx, &user).await.map_err(unique)?;
    let detail = json!({ "after": audit_view(&teacher) });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "teacher.create",
        ("teacher", &teacher.id),
        &Place::of(&school),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(teacher)
}

/// The full record. A teacher reads their own freely; an administrator's view of a full ID
/// number is audited.
pub async fn get_full(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Teacher> {
    if ctx.actor.role != Role::Teacher {
        ctx.require(Action::ViewTeachers)?;
    }
    let mut tx = db.begin().await?;
    let (teacher, school) = visible(&mut tx, db.vault(), ctx, id).await?;
    if ctx.actor.role != Role::Teacher {
        let detail = json!({ "id_number": IdNumber::mask_str(&teacher.id_number) });
        record(
            &mut tx,
            db.vault(),
            ctx,
            "teacher.view_full",
            ("teacher", id),
            &Place::of(&school),
            detail,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(teacher)
}

pub async fn list(db: &Db, ctx: &Ctx, filter: &TeacherFilter) -> AppResult<Page<Teacher>> {
    ctx.require(Action::ViewTeachers)?;
    let mut c = db.pool().acquire().await?;
    Ok(teachers::list(&mut c, db.vault(), &authz::scope(&ctx.actor), filter).await?)
}

pub async fn update(db: &Db, ctx: &Ctx, id: &str, input: UpdateTeacher) -> AppResult<Teacher> {
    let mut tx = db.begin().await?;
    let after = update_in(&mut tx, db.vault(), ctx, id, input).await?;
    tx.commit().await?;
    Ok(after)
}

/// `update` inside the caller's transaction (an approved correction request applies its
/// change with its own closing, all or nothing).
pub(crate) async fn update_in(
    tx: &mut Conn,
    v: &Vault,
    ctx: &Ctx,
    id: &str,
    input: UpdateTeacher,
) -> AppResult<Teacher> {
    ctx.require(Action::UpdateTeacher)?;
    let (before, old_school) = visible(tx, v, ctx, id).await?;
    let corrects_identity = input.name.as_ref().is_some_and(|n| n.trim() != before.name)
        || input
            .id_number
            .as_ref()
            .is_some_and(|n| n.trim().to_uppercase() != before.id_number);
    if corrects_identity {
        ctx.require(Action::CorrectIdentity)?;
    }
    let mut errors = Vec::new();
    let mut after = before.clone();
    if let Some(name) = &input.name {
        after.name = required_text("name", "姓名", name, 50, &mut errors);
    }
    if let Some(raw) = &input.id_number {
        after.id_number = parse_id_number(raw, &mut errors);
    }
    if input.phone.is_some() {
        after.phone = parse_phone(input.phone.as_deref(), &mut errors);
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    if after.id_number != before.id_number
        && let Some(existing) = teachers::by_id_number(tx, v, &after.id_number).await?
    {
        return Err(duplicate_id(tx, ctx, &existing).await?);
    }
    let mut new_school = old_school.clone();
    if let Some(school_id) = input
        .school_id
        .as_deref()
        .filter(|s| *s != before.school_id)
    {
        // A school may not send its teachers away on its own: it asks, and the receiving
        // side's district decides (services::transfers).
        if !authz::role_allows(ctx.actor.role, Action::TransferTeacher) {
            return Err(AppError::Refused(
                "学校管理员不能直接调动教师：请在教师页面提交调动申请，由调入学校所在区（局属学校由市）审批".into(),
            ));
        }
        // A transfer releases the teacher to any active school; the receiving school's
        // administrators see them from now on.
        new_school = receiving_school(tx, ctx, school_id, false).await?;
        after.school_id = new_school.id.clone();
    }
    match input.status {
        Some(TeacherStatus::Departed) if before.status != TeacherStatus::Departed => {
            after.status = TeacherStatus::Departed;
            let today = time_rules::business_date(time::OffsetDateTime::now_utc());
            after.departed_on = Some(time_rules::format_date(today));
        }
        Some(TeacherStatus::Active) => {
            after.status = TeacherStatus::Active;
            after.departed_on = None;
        }
        _ => {}
    }
    apply(tx, v, ctx, (&before, &old_school), (&after, &new_school)).await?;
    Ok(after)
}

/// Writes a changed teacher inside the caller's transaction: the record, the login (its
/// username follows the ID number, its organisation the school), sessions ended on
/// departure, and the audit entries — in both schools for a transfer. The one path for an
/// administrator's change and an approved transfer request.
pub(crate) async fn apply(
    tx: &mut Conn,
    v: &Vault,
    ctx: &Ctx,
    (before, old_school): (&Teacher, &Org),
    (after, new_school): (&Teacher, &Org),
) -> AppResult<()> {
    teachers::update(tx, v, after).await.map_err(|e| match e {
        StoreError::Unique(UniqueKey::TeacherIdNumber) => AppError::Duplicate {
            message: "该身份证号已登记".into(),
            existing_id: None,
        },
        other => other.into(),
    })?;
    users::sync_teacher_login(tx, v, &after.id, &after.id_number, &after.school_id).await?;
    if after.status == TeacherStatus::Departed
        && let Some(user_id) = &after.user_id
    {
        sessions::delete_for_user(tx, user_id).await?;
    }
    let leaves = after.school_id != before.school_id
        || (after.status == TeacherStatus::Departed && before.status != TeacherStatus::Departed);
    if leaves {
        withdraw_open_transfer(tx, v, ctx, &after.id, old_school).await?;
    }
    if after.name != before.name || after.id_number != before.id_number {
        // What the roster check found is about the details just corrected.
        xueshi_store::repo::reconciliation_findings::clear(tx, &after.id).await?;
    }
    let detail = json!({ "before": audit_view(before), "after": audit_view(after) });
    let action = if after.school_id != before.school_id {
        "teacher.transfer"
    } else {
        "teacher.update"
    };
    record(
        tx,
        v,
        ctx,
        action,
        ("teacher", &after.id),
        &Place::of(new_school),
        detail.clone(),
    )
    .await?;
    if new_school.id != old_school.id {
        record(
            tx,
            v,
            ctx,
            "teacher.transfer_out",
            ("teacher", &after.id),
            &Place::of(old_school),
            detail,
        )
        .await?;
    }
    Ok(())
}

/// A teacher who moved or left by other means has no transfer left to ask for: their open
/// request is withdrawn, so no district decides on it.
async fn withdraw_open_transfer(
    tx: &mut Conn,
    v: &Vault,
    ctx: &Ctx,
    teacher_id: &str,
    school: &Org,
) -> AppResult<()> {
    use xueshi_store::repo::transfer_requests;
    let Some(open) = transfer_requests::pending_for(tx, teacher_id).await? else {
        return Ok(());
    };
    let reason = "教师已调动或登记离职，申请自动撤销";
    let status = xueshi_domain::TransferStatus::Cancelled;
    transfer_requests::close(
        tx,
        &open.id,
        status,
        &ctx.actor.user_id,
        now_ms(),
        Some(reason),
    )
    .await?;
    let detail = json!({ "teacher_id": teacher_id, "status": status, "decision_reason": reason });
    record(
        tx,
        v,
        ctx,
        "transfer_request.cancel",
        ("transfer_request", &open.id),
        &Place::of(school),
        detail,
    )
    .await?;
    Ok(())
}

/// What the audit log keeps of a teacher: personal numbers masked.
fn audit_view(t: &Teacher) -> serde_json::Value {
    json!({
        "name": t.name,
        "id_number": IdNumber::mask_str(&t.id_number),
        "school_id": t.school_id,
        "phone": t.phone.as_deref().map(xueshi_domain::mask_phone),
        "status": t.status,
    })
}
