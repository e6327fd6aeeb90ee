use serde::Deserialize;
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{FieldError, Role};
use xueshi_store::models::User;
use xueshi_store::repo::{orgs, users};
use xueshi_store::{Conn, Db, StoreError, UniqueKey, Vault, now_ms};

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
    let password_hash = checked_hash(ctx, &input).await?;
    let mut tx = db.begin().await?;
    let user = create_in(&mut tx, db.vault(), ctx, input, password_hash).await?;
    tx.commit().await?;
    Ok(user)
}

/// Checks what [`create_in`] can check without the database, and hashes the password (before
/// any transaction: hashing is slow on purpose).
pub async fn checked_hash(ctx: &Ctx, input: &CreateUser) -> AppResult<String> {
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
    password::hash(&input.password).await
}

/// [`create`] inside the caller's transaction, with the hash [`checked_hash`] made.
pub async fn create_in(
    c: &mut Conn,
    v: &Vault,
    ctx: &Ctx,
    input: CreateUser,
    password_hash: String,
) -> AppResult<User> {
    let org = orgs::get(c, &input.org_id)
        .await?
        .filter(|o| authz::sees_org(&ctx.actor, &o.place()))
        .ok_or(AppError::NotFound)?;
    if !authz::may_create_admin(&ctx.actor, input.role, &org.place()) {
        return Err(AppError::Forbidden);
    }
    if authz::org_kind_for_role(input.role) != org.kind {
        return Err(AppError::invalid("role", "角色与单位类型不符"));
    }
    if !org.is_active() {
        return Err(AppError::invalid("org_id", "单位已注销，不能新增账号"));
    }
    let username = input.username.trim().to_owned();
    let user = User {
        id: new_id(),
        login: xueshi_store::sealed::login_key(v, &username),
        username,
        password_hash,
        role: input.role,
        org_id: org.id.clone(),
        teacher_id: None,
        created_at: now_ms(),
        // A colleague typed it: the new administrator chooses their own at the first login.
        must_change_password: true,
    };
    if let Some(existing) = users::by_username(c, v, &user.username).await? {
        return Err(duplicate_username(Some(existing.id)));
    }
    users::insert(c, &user).await.map_err(|e| match e {
        StoreError::Unique(UniqueKey::Username) => duplicate_username(None),
        other => other.into(),
    })?;
    record(
        c,
        v,
        ctx,
        "user.create",
        ("user", &user.id),
        &Place::of(&org),
        json!({ "after": { "username": user.username, "role": user.role, "org_id": user.org_id } }),
    )
    .await?;
    Ok(user)
}

fn duplicate_username(existing_id: Option<String>) -> AppError {
    AppError::Duplicate {
        message: "用户名已被使用".into(),
        existing_id,
    }
}

/// The administrator accounts of the organisations in the caller's scope (at most 500).
pub async fn staff_in_scope(
    c: &mut Conn,
    v: &Vault,
    ctx: &Ctx,
) -> AppResult<Vec<xueshi_store::repo::users::StaffRow>> {
    ctx.require(xueshi_domain::authz::Action::CreateUser)?;
    let scope = xueshi_domain::authz::scope(&ctx.actor);
    Ok(xueshi_store::repo::users::list_staff(c, v, &scope, 500).await?)
}

/// An account by id (the caller has just acted on it and may see it).
pub async fn get(c: &mut Conn, v: &Vault, id: &str) -> AppResult<Option<User>> {
    Ok(xueshi_store::repo::users::get(c, v, id).await?)
}

/// A username as people are shown it: a teacher's login is their ID number, shown masked.
pub fn shown_username(user: &User) -> String {
    match user.role {
        Role::Teacher => xueshi_domain::IdNumber::mask_str(&user.username),
        _ => user.username.clone(),
    }
}
