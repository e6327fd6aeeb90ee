use std::io::BufRead;

use serde_json::json;
use xueshi_domain::Role;
use xueshi_store::models::User;
use xueshi_store::repo::{audit, orgs, users};

use crate::auth::password;
use crate::config::Config;
use crate::error::AppError;

/// Creates a `city_admin` of the city organisation; the password comes from stdin so it
/// never appears in the shell history or the process list.
pub async fn run(config: Config, username: &str) -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    let username = username.trim();
    if username.is_empty() || username.chars().any(char::is_whitespace) {
        anyhow::bail!("用户名不能为空或包含空格");
    }
    if let Err(AppError::Invalid(errors)) = password::check_policy("password", username, password) {
        anyhow::bail!("{}", errors[0].message);
    }
    let db = crate::app::open_db(&config).await?;
    let hash = password::hash(password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = db.begin().await?;
    if users::by_username(&mut tx, db.vault(), username)
        .await?
        .is_some()
    {
        anyhow::bail!("用户名已存在：{username}");
    }
    let city = orgs::city(&mut tx).await?;
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        username: username.to_owned(),
        login: xueshi_store::sealed::login_key(db.vault(), username),
        password_hash: hash,
        role: Role::CityAdmin,
        org_id: city.id.clone(),
        teacher_id: None,
        created_at: xueshi_store::now_ms(),
        // The operator chose it at the console; the second factor is enrolled at first login.
        must_change_password: false,
    };
    users::insert(&mut tx, &user).await?;
    let entry = audit::NewAudit {
        ip: Some("cli"),
        action: "user.create",
        target_type: "user",
        target_id: &user.id,
        detail: json!({ "after": { "username": user.username, "role": user.role, "org_id": user.org_id }, "via": "create-admin" }),
        ..Default::default()
    };
    audit::insert(&mut tx, db.vault(), &entry).await?;
    tx.commit().await?;
    db.close().await;
    println!("已创建市级管理员 {username}（{}）", city.name);
    Ok(())
}
