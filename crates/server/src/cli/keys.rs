//! `xueshi keys rotate`: a new data key, and everything sealed under older keys re-sealed.

use serde_json::json;
use xueshi_store::repo::audit;
use xueshi_store::sealed;

use crate::config::Config;

pub async fn rotate(config: Config, algorithm: &str) -> anyhow::Result<()> {
    let algorithm = xueshi_vault::Algorithm::from_code(algorithm)
        .ok_or_else(|| anyhow::anyhow!("算法只能是 sm4gcm 或 aes256gcm"))?;
    let db = crate::app::open_db(&config).await?;
    let Some(path) = db.vault().file().map(ToOwned::to_owned) else {
        anyhow::bail!(
            "数据密钥来自环境变量 XUESHI_DATA_KEY，请在其来源处新增一行密钥后再运行（keys given in the \
             environment are rotated at their source）"
        );
    };
    // The open database's vault writes the file, so other servers reading it see one file.
    let key_id = db.vault().add_key(algorithm)?;
    println!(
        "已新增数据密钥 {key_id}（{}），写入 {}",
        algorithm.code(),
        path.display()
    );
    let resealed = sealed::reseal_with_current_key(&db, db.vault()).await?;
    let authenticators = sealed::seal_mfa_secrets(&db, db.vault()).await?;
    let mut tx = db.begin().await?;
    audit::insert(
        &mut tx,
        db.vault(),
        &audit::NewAudit {
            action: "keys.rotate",
            target_type: "data_key",
            target_id: &key_id.to_string(),
            detail: json!({ "algorithm": algorithm.code(), "resealed_teachers": resealed,
                "resealed_authenticators": authenticators, "via": "cli" }),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    db.close().await;
    println!(
        "已用新密钥重新加密 {resealed} 名教师的个人信息；旧密钥仍保留在密钥文件中以便读取旧备份"
    );
    Ok(())
}
