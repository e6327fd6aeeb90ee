//! `xueshi audit verify` checks the audit log's chain (API.md, "Auditor role"); `xueshi audit
//! export` writes an archive of the entries before a date that `verify --archive` checks.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{Context, bail, ensure};
use serde_json::json;
use xueshi_store::repo::audit_archive::{self, ArchivedEntry};
use xueshi_store::repo::audit_chain::ChainCheck;
use xueshi_store::repo::{audit, audit_chain};

use crate::config::Config;

/// The audit log is kept at least this long (GB/T 22239 level 3 asks for 180 days); an
/// archive is only of entries older than that.
pub const RETENTION_DAYS: i64 = 180;

/// The start of a day (YYYY-MM-DD) in the business time zone, in ms.
fn day_start_ms(day: &str, flag: &str) -> anyhow::Result<(time::Date, i64)> {
    let date = time::Date::parse(
        day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| anyhow::anyhow!("{flag} 应为日期，如 2026-01-01"))?;
    let start = date
        .midnight()
        .assume_offset(xueshi_domain::time_rules::SHANGHAI);
    Ok((date, (start.unix_timestamp_nanos() / 1_000_000) as i64))
}

/// Exits 0 printing the number of entries checked, or fails naming the first broken entry.
pub async fn verify(config: Config, from: Option<&str>) -> anyhow::Result<()> {
    let from_ms = from
        .map(|d| day_start_ms(d, "--from").map(|(_, ms)| ms))
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

/// The archive's last line: what it holds, sealed with the data key.
#[derive(serde::Serialize, serde::Deserialize)]
struct Summary {
    before: String,
    entries: u64,
    first_id: Option<i64>,
    last_id: Option<i64>,
    head: String,
    seal: String,
}

/// Writes every entry before `before` to `out` (JSON lines, then a `{"archive": …}` line with
/// the count and chain head), after checking the whole chain, and audits the export.
pub async fn export(config: Config, before: &str, out: &Path) -> anyhow::Result<()> {
    let (date, before_ms) = day_start_ms(before, "--before")?;
    let today = time::OffsetDateTime::now_utc()
        .to_offset(xueshi_domain::time_rules::SHANGHAI)
        .date();
    ensure!(
        (today - date).whole_days() >= RETENTION_DAYS,
        "审计日志至少保留 {RETENTION_DAYS} 天：--before 须不晚于 {}",
        today - time::Duration::days(RETENTION_DAYS)
    );
    let db = crate::app::open_db(&config).await?;
    let result = write_archive(&db, before, before_ms, out).await;
    db.close().await;
    result
}

/// [`export`] without the retention check (which needs today's date): for tests.
pub async fn write_archive(
    db: &xueshi_store::Db,
    before: &str,
    before_ms: i64,
    out: &Path,
) -> anyhow::Result<()> {
    let v = db.vault();
    let mut c = db.pool().acquire().await?;
    if let Some((id, reason)) = audit_chain::verify(&mut c, v, None).await?.broken {
        bail!("审计链在第 {id} 条记录处断开（{reason}），请先查明原因再归档");
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .with_context(|| format!("无法新建 {}（已存在的归档不会被覆盖）", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let (mut cursor, mut first_id) = (0i64, None);
    let mut walk = ChainCheck::default();
    loop {
        let entries = audit_archive::page(&mut c, cursor, None, Some(before_ms), 5000).await?;
        let Some(last) = entries.last() else { break };
        cursor = last.id;
        for e in &entries {
            walk.follow(v, e)
                .map_err(|reason| anyhow::anyhow!("第 {} 条记录：{reason}", e.id))?;
            first_id.get_or_insert(e.id);
            serde_json::to_writer(&mut w, e)?;
            w.write_all(b"\n")?;
        }
    }
    drop(c);
    let entries = walk.checked + walk.unchained;
    let summary = Summary {
        before: before.to_owned(),
        entries,
        first_id,
        last_id: first_id.map(|_| cursor),
        seal: audit_archive::seal(v, before, entries, &walk.head),
        head: walk.head,
    };
    serde_json::to_writer(&mut w, &json!({ "archive": &summary }))?;
    w.write_all(b"\n")?;
    w.into_inner()?.sync_all()?;
    let mut tx = db.begin().await?;
    audit::insert(
        &mut tx,
        v,
        &audit::NewAudit {
            action: "audit.export",
            target_type: "audit_log",
            target_id: before,
            detail: json!({ "entries": entries, "head": summary.head, "via": "cli" }),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    println!(
        "已将 {before} 之前的 {entries} 条审计记录写入 {}，链头 {}（数据库中的记录未删除）",
        out.display(),
        summary.head
    );
    Ok(())
}

/// Checks an archive: every entry's link, and its summary line's count, head and seal.
pub fn verify_archive(config: Config, file: &Path) -> anyhow::Result<()> {
    let v = crate::app::data_key(&config)?;
    let reader = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("无法打开 {}", file.display()))?,
    );
    let (mut walk, mut entries, mut summary) = (ChainCheck::default(), 0u64, None);
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        ensure!(
            summary.is_none(),
            "归档在摘要行之后还有内容（第 {} 行）",
            n + 1
        );
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|_| anyhow::anyhow!("第 {} 行不是 JSON", n + 1))?;
        if let Some(s) = value.get("archive") {
            summary = Some(serde_json::from_value::<Summary>(s.clone())?);
            continue;
        }
        let e: ArchivedEntry = serde_json::from_value(value)
            .map_err(|_| anyhow::anyhow!("第 {} 行不是审计记录", n + 1))?;
        walk.follow(&v, &e)
            .map_err(|reason| anyhow::anyhow!("归档第 {} 行（记录 {}）：{reason}", n + 1, e.id))?;
        entries += 1;
    }
    let summary = summary.ok_or_else(|| anyhow::anyhow!("归档缺少摘要行：文件不完整"))?;
    ensure!(
        summary.entries == entries && summary.head == walk.head,
        "归档摘要与内容不符（摘要 {} 条，实有 {entries} 条）：记录被删除或添加",
        summary.entries
    );
    ensure!(
        summary.seal == audit_archive::seal(&v, &summary.before, entries, &walk.head),
        "归档摘要的密封值不符：摘要被改动，或所用数据密钥不同"
    );
    println!(
        "归档完好：{} 之前的 {entries} 条审计记录，链头 {}",
        summary.before, summary.head
    );
    Ok(())
}
