//! `xueshi audit verify`: checks the audit log's chain (API.md, "Auditor role").

use xueshi_store::repo::audit_chain;

use crate::config::Config;

/// Exits 0 printing the number of entries checked, or fails naming the first broken entry.
pub async fn verify(config: Config, from: Option<&str>) -> anyhow::Result<()> {
    let from_ms = from
        .map(|d| {
            let date =
                time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
                    .map_err(|_| anyhow::anyhow!("--from 应为日期，如 2026-01-01"))?;
            // The start of that day in the business time zone.
            let start = date
                .midnight()
                .assume_offset(xueshi_domain::time_rules::SHANGHAI);
            Ok::<_, anyhow::Error>((start.unix_timestamp_nanos() / 1_000_000) as i64)
        })
        .transpose()?;
    let db = crate::app::open_db(&config).await?;
    let mut c = db.pool().acquire().await?;
    let found = audit_chain::verify(&mut c, db.vault(), from_ms).await;
    drop(c);
    db.close().await;
    let found = found?;
    if let Some((id, reason)) = found.broken {
        anyhow::bail!(
            "审计链在第 {id} 条记录处断开：{reason}（audit chain broken at entry {id}; {} entries checked before it）",
            found.checked
        );
    }
    println!(
        "已核验 {} 条审计记录，链完整；链头 {}{}",
        found.checked,
        found.head,
        match found.unchained {
            0 => String::new(),
            n => format!("（另有 {n} 条记录早于审计链启用，无法核验）"),
        }
    );
    Ok(())
}
