//! School applications (学校注册申请, the notice 五(二)2: 动员未在平台注册的学校加快申请注册). A school
//! not yet on the platform applies from a public page; its district — or the city — approves,
//! which creates the school and its administrator through the same services an administrator
//! uses, or rejects with a reason. The contact hears either way by SMS.

use serde::{Deserialize, Serialize};
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{
    FieldError, IdNumber, OrgKind, OrgStatus, Ownership, Role, SchoolApplicationStatus, SchoolType,
    mask_phone,
};
use xueshi_store::models::Page;
use xueshi_store::repo::audit::{self, NewAudit};
use xueshi_store::repo::orgs::{self as org_repo, OrgFilter};
use xueshi_store::repo::school_applications as repo;
use xueshi_store::repo::users as user_repo;
use xueshi_store::{Db, StoreError, UniqueKey, now_ms};

pub use xueshi_store::repo::school_applications::{ApplicationFilter, SchoolApplication};

use super::orgs::{self, CreateOrg};
use super::reminders::{Notifier, Outbound};
use super::request_decision::{Decided, RequestDecision, Wording};
use super::users::{self, CreateUser};
use super::{Ctx, Place, new_id, record, required_text};
use crate::auth::password;
use crate::error::{AppError, AppResult};

/// Applications waiting in one district at most: past it the public form asks the school to
/// wait for the district, so that nobody can fill the table.
pub const MAX_PENDING_PER_DISTRICT: i64 = 200;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewApplication {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub district_id: String,
    pub ownership: Option<Ownership>,
    pub school_type: Option<SchoolType>,
    #[serde(default)]
    pub contact_name: String,
    /// A mobile number: the temporary password is sent to it.
    #[serde(default)]
    pub contact_phone: String,
    /// The school administrator's login, 3–32 letters, digits, `_` or `-`.
    #[serde(default)]
    pub admin_username: String,
}

/// A district a school may apply to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DistrictChoice {
    pub id: String,
    pub name: String,
}

/// A mainland mobile number (11 digits from 1): the one number an SMS can reach.
fn is_mobile(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())
}

fn check_username(username: &str, errors: &mut Vec<FieldError>) {
    let fits = (3..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if username.is_empty() {
        return;
    }
    if IdNumber::parse(username).is_ok() {
        errors.push(FieldError::new(
            "admin_username",
            "管理员用户名不能是身份证号（身份证号是教师的登录账号）",
        ));
    } else if !fits {
        errors.push(FieldError::new(
            "admin_username",
            "用户名由3至32位英文字母、数字、下划线或短横线组成",
        ));
    }
}

/// The active districts, in the city's order, for the public form.
pub async fn districts(db: &Db) -> AppResult<Vec<DistrictChoice>> {
    let mut c = db.pool().acquire().await?;
    let filter = OrgFilter {
        kind: Some(OrgKind::District),
        status: Some(OrgStatus::Active),
        limit: Some(200),
        ..Default::default()
    };
    let mut found = org_repo::list(&mut c, &authz::Scope::All, &filter)
        .await?
        .items;
    found.sort_by_key(|d| xueshi_domain::district_order(&d.name));
    Ok(found
        .into_iter()
        .map(|d| DistrictChoice {
            id: d.id,
            name: d.name,
        })
        .collect())
}

/// A school applies (no account: the page is public and limited per address).
pub async fn apply(db: &Db, ip: &str, input: NewApplication) -> AppResult<SchoolApplication> {
    let mut errors = Vec::new();
    let name = required_text("name", "学校名称", &input.name, 100, &mut errors);
    if input.district_id.trim().is_empty() {
        errors.push(FieldError::new("district_id", "请选择所在区"));
    }
    if input.ownership.is_none() {
        errors.push(FieldError::new("ownership", "请选择办学性质（公办/民办）"));
    }
    if input.school_type.is_none() {
        errors.push(FieldError::new("school_type", "请选择学校类型"));
    }
    let contact_name = required_text(
        "contact_name",
        "联系人姓名",
        &input.contact_name,
        50,
        &mut errors,
    );
    let contact_phone = input.contact_phone.trim().to_owned();
    if !is_mobile(&contact_phone) {
        errors.push(FieldError::new(
            "contact_phone",
            "请填写联系人的11位手机号码（审核结果和临时密码以短信发送）",
        ));
    }
    let admin_username = required_text(
        "admin_username",
        "管理员用户名",
        &input.admin_username,
        32,
        &mut errors,
    );
    check_username(&admin_username, &mut errors);
    let mut tx = db.begin().await?;
    let district = match org_repo::get(&mut tx, input.district_id.trim()).await? {
        Some(d) if d.kind == OrgKind::District && d.is_active() => Some(d),
        _ => {
            if !input.district_id.trim().is_empty() {
                errors.push(FieldError::new("district_id", "所选的区不存在，请重新选择"));
            }
            None
        }
    };
    let (Some(district), Some(ownership), Some(school_type), true) = (
        district,
        input.ownership,
        input.school_type,
        errors.is_empty(),
    ) else {
        return Err(AppError::Invalid(errors));
    };
    if org_repo::find_sibling(&mut tx, Some(&district.id), OrgKind::School, &name)
        .await?
        .is_some()
    {
        return Err(AppError::Duplicate {
            message: format!("{}已有名为“{name}”的学校，无需再申请", district.name),
            existing_id: None,
        });
    }
    if repo::name_pending(&mut tx, &district.id, &name).await? {
        return Err(pending_already(&name));
    }
    let username_taken = user_repo::by_username(&mut tx, db.vault(), &admin_username)
        .await?
        .is_some()
        || repo::username_pending(&mut tx, &admin_username).await?;
    if username_taken {
        return Err(AppError::Duplicate {
            message: "该管理员用户名已被使用，请换一个".into(),
            existing_id: None,
        });
    }
    if repo::pending_in(&mut tx, &district.id).await? >= MAX_PENDING_PER_DISTRICT {
        return Err(AppError::Conflict(format!(
            "{}待审核的注册申请已达上限，请等待区教育局审核后再提交",
            district.name
        )));
    }
    let application = SchoolApplication {
        id: new_id(),
        name,
        district_id: district.id.clone(),
        district_name: district.name.clone(),
        ownership,
        school_type,
        contact_name,
        contact_phone,
        admin_username,
        status: SchoolApplicationStatus::Pending,
        applied_at: now_ms(),
        decided_by: None,
        decided_at: None,
        decision_reason: None,
        school_id: None,
    };
    repo::insert(&mut tx, db.vault(), &application)
        .await
        .map_err(|e| match e {
            StoreError::Unique(UniqueKey::PendingSchoolApplication) => {
                pending_already(&application.name)
            }
            other => other.into(),
        })?;
    audit::insert(
        &mut tx,
        db.vault(),
        &NewAudit {
            actor_id: None,
            ip: Some(ip),
            action: "school_application.create",
            target_type: "school_application",
            target_id: &application.id,
            detail: described(&application),
            district_id: Some(&district.id),
            school_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(application)
}

fn pending_already(name: &str) -> AppError {
    AppError::Duplicate {
        message: format!("“{name}”的注册申请已在审核中，请等待区教育局审核"),
        existing_id: None,
    }
}

/// An application as the audit log keeps it: the phone masked.
fn described(a: &SchoolApplication) -> serde_json::Value {
    json!({
        "name": a.name,
        "district_id": a.district_id,
        "ownership": a.ownership,
        "school_type": a.school_type,
        "contact_name": a.contact_name,
        "contact_phone": mask_phone(&a.contact_phone),
        "admin_username": a.admin_username,
    })
}

fn district_place(a: &SchoolApplication) -> Place {
    Place {
        district_id: Some(a.district_id.clone()),
        school_id: None,
    }
}

/// Approves — the school and its administrator are created at once, the temporary password
/// handed back once and sent to the contact — or rejects with a reason.
pub async fn decide(
    db: &Db,
    notifier: std::sync::Arc<dyn Notifier>,
    ctx: &Ctx,
    id: &str,
    input: RequestDecision,
) -> AppResult<(SchoolApplication, Option<String>)> {
    ctx.require(Action::DecideSchoolApplication)?;
    let Decided { approve, reason } = input.read(Wording {
        approve: "通过",
        reject: "不予通过",
    })?;
    // Hashed before the transaction: hashing is slow on purpose.
    let temporary = approve.then(password::temporary);
    let hash = match &temporary {
        Some(t) => Some(password::hash(t).await?),
        None => None,
    };
    let mut tx = db.begin().await?;
    let mut application = repo::get(&mut tx, db.vault(), id)
        .await?
        .filter(|a| authz::may_decide_school_application(&ctx.actor, &a.district_id))
        .ok_or(AppError::NotFound)?;
    if application.status != SchoolApplicationStatus::Pending {
        return Err(AppError::Conflict(format!(
            "该注册申请{}，不能再审核",
            application.status.label_zh()
        )));
    }
    let school_id = match (&temporary, hash) {
        (Some(temporary), Some(hash)) => {
            let school = orgs::create_in(
                &mut tx,
                db.vault(),
                ctx,
                CreateOrg {
                    name: application.name.clone(),
                    kind: OrgKind::School,
                    parent_id: Some(application.district_id.clone()),
                    ownership: Some(application.ownership),
                    school_type: Some(application.school_type),
                    city_affiliated: false,
                },
            )
            .await?;
            let admin = CreateUser {
                username: application.admin_username.clone(),
                password: temporary.clone(),
                role: Role::SchoolAdmin,
                org_id: school.id.clone(),
            };
            users::create_in(&mut tx, db.vault(), ctx, admin, hash)
                .await
                .map_err(|e| match e {
                    AppError::Duplicate { .. } => AppError::Duplicate {
                        message: format!(
                            "申请的管理员用户名“{}”已被使用：请不予通过，并请学校换一个用户名重新申请",
                            application.admin_username
                        ),
                        existing_id: None,
                    },
                    other => other,
                })?;
            Some(school.id)
        }
        _ => None,
    };
    let status = if approve {
        SchoolApplicationStatus::Approved
    } else {
        SchoolApplicationStatus::Rejected
    };
    let now = now_ms();
    let closed = repo::close(
        &mut tx,
        id,
        status,
        &ctx.actor.user_id,
        now,
        reason.as_deref(),
        school_id.as_deref(),
    )
    .await?;
    if !closed {
        return Err(AppError::Conflict(
            "该注册申请刚刚已被处理，请刷新页面".into(),
        ));
    }
    application.status = status;
    application.decided_by = Some(ctx.actor.user_id.clone());
    application.decided_at = Some(now);
    application.decision_reason = reason;
    application.school_id = school_id;
    let action = if approve {
        "school_application.approve"
    } else {
        "school_application.reject"
    };
    let detail = json!({
        "school_id": application.school_id,
        "admin_username": approve.then_some(&application.admin_username),
        "decision_reason": application.decision_reason,
    });
    record(
        &mut tx,
        db.vault(),
        ctx,
        action,
        ("school_application", id),
        &district_place(&application),
        detail,
    )
    .await?;
    tx.commit().await?;
    send_outcome(notifier, &application, temporary.as_deref());
    Ok((application, temporary))
}

/// Tells the contact by SMS, after answering: a slow gateway must not hold the approver.
fn send_outcome(
    notifier: std::sync::Arc<dyn Notifier>,
    a: &SchoolApplication,
    temporary: Option<&str>,
) {
    let body = match temporary {
        Some(password) => format!(
            "“{}”的学校注册申请已通过。学校管理员账号：{}，临时密码：{password}。请尽快登录学时平台，首次登录须修改密码并绑定动态口令。",
            a.name, a.admin_username
        ),
        None => format!(
            "“{}”的学校注册申请未通过，理由：{}。如有疑问请联系{}教育局。",
            a.name,
            a.decision_reason.as_deref().unwrap_or("未说明"),
            a.district_name
        ),
    };
    let message = Outbound {
        phone: Some(a.contact_phone.clone()),
        title: "学时平台学校注册申请审核结果".into(),
        body,
    };
    tokio::spawn(async move {
        if let Err(e) = notifier.send(&message).await {
            tracing::warn!(error = %e, "school application outcome not sent");
        }
    });
}

/// The applications the caller sees, oldest first.
pub async fn list(
    db: &Db,
    ctx: &Ctx,
    filter: &ApplicationFilter,
) -> AppResult<Page<SchoolApplication>> {
    ctx.require(Action::DecideSchoolApplication)?;
    let mut c = db.pool().acquire().await?;
    Ok(repo::list(&mut c, db.vault(), &authz::scope(&ctx.actor), filter).await?)
}

/// How many pending applications wait for the caller's decision.
pub async fn awaiting(db: &Db, ctx: &Ctx) -> AppResult<i64> {
    if !authz::role_allows(ctx.actor.role, Action::DecideSchoolApplication) {
        return Ok(0);
    }
    let mut c = db.pool().acquire().await?;
    Ok(repo::awaiting_decision(&mut c, &authz::scope(&ctx.actor)).await?)
}
