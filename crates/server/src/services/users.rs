use serde::Deserialize;
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{FieldError, Role};
use xueshi_store::models::User;
use xueshi_store::repo::{orgs, users};
use xueshi_store::{Db, StoreError, now_ms};

use super::{Ctx, Place, new_id, record, required_text};
use crate::auth::password;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub org_id: String,
}

/// Creates an administrator account inside the actor's scope (teachers are made with their
/// teacher record).
pub async fn create(db: &Db, ctx: &Ctx, input: CreateUser) -> AppResult<User> {
    ctx.require(Action::CreateUser)?;
    let mut errors = Vec::new();
    let username = required_text("username", "用户名", &input.username, 64, &mut errors);
    if username.chars().any(char::is_whitespace) {
        errors.push(FieldError::new("username", "用户名不能包含空格"));
    }
    if input.role == Role::Teacher {
        errors.push(FieldError::new("role", "教师账号请通过新增教师创建"));
    }
    if let Err(AppError::Invalid(mut e)) =
        password::check_policy("password", &username, &input.password)
    {
        errors.append(&mut e);
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let org = {
        let mut c = db.pool().acquire().await?;
        orgs::get(&mut c, &input.org_id)
            .await?
            .filter(|o| authz::sees_org(&ctx.actor, &o.place()))
            .ok_or(AppError::NotFound)?
    };
    if !authz::may_create_admin(&ctx.actor, input.role, &org.place()) {
        return Err(AppError::Forbidden);
    }
    if authz::org_kind_for_role(input.role) != org.kind {
        return Err(AppError::invalid("role", "角色与单位类型不符"));
    }
    if !org.is_active() {
        return Err(AppError::invalid("org_id", "单位已注销，不能新增账号"));
    }
    let user = User {
        id: new_id(),
        login: xueshi_store::sealed::login_key(db.vault(), &username),
        username,
        password_hash: password::hash(&input.password).await?,
        role: input.role,
        org_id: org.id.clone(),
        teacher_id: None,
        created_at: now_ms(),
        // A colleague typed it: the new administrator chooses their own at the first login.
        must_change_password: true,
    };
    let mut tx = db.begin().await?;
    if let Some(existing) = users::by_username(&mut tx, db.vault(), &user.username).await? {
        return Err(duplicate_username(Some(existing.id)));
    }
    users::insert(&mut tx, &user).await.map_err(|e| match e {
        StoreError::Unique(_) => duplicate_username(None),
        other => other.into(),
    })?;
    record(
        &mut tx,
        db.vault(),
        ctx,
        "user.create",
        ("user", &user.id),
        &Place::of(&org),
        json!({ "after": { "username": user.username, "role": user.role, "org_id": user.org_id } }),
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

fn duplicate_username(existing_id: Option<String>) -> AppError {
    AppError::Duplicate {
        message: "用户名已被使用".into(),
        existing_id,
    }
}
