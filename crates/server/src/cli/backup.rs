//! `xueshi backup`, `xueshi backup --verify` and `xueshi restore`: a consistent online copy of
//! the database (SQLite's `VACUUM INTO`, PostgreSQL's `pg_dump -Fc`) and the evidence files,
//! with a manifest of every file's SHA-256 and the audit chain's head, sealed with the data
//! key so a changed backup is refused. The key itself is never copied.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context, bail, ensure};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use xueshi_files::FileStore;
use xueshi_store::repo::audit_chain;
use xueshi_store::{Backend, Db, Vault};

use crate::config::Config;

const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: u32,
    backend: String,
    created_at: String,
    /// The audit chain's head when the copy began: the restored log must hold it.
    audit_head: String,
    /// Every file of the backup but this one, by path relative to the backup, with its SHA-256.
    files: BTreeMap<String, String>,
    /// HMAC-SM3 of everything above under the data key: no one without it can make a
    /// changed backup pass.
    seal: String,
}

impl Manifest {
    fn body(&self) -> String {
        serde_json::json!([
            self.format,
            self.backend,
            self.created_at,
            self.audit_head,
            self.files
        ])
        .to_string()
    }
}

pub async fn backup(config: Config, out: &Path) -> anyhow::Result<()> {
    if out.exists() && out.read_dir()?.next().is_some() {
        bail!("备份目录 {} 不是空目录", out.display());
    }
    std::fs::create_dir_all(out)?;
    let db = crate::app::open_db(&config).await?;
    let head = chain_head(&db).await?;
    let started = std::time::Instant::now();
    match db.backend() {
        Backend::Sqlite => {
            db.vacuum_into(&out.join(SQLITE_FILE)).await?;
        }
        Backend::Postgres => {
            let url = config.database_url();
            let status = Command::new("pg_dump")
                .args(["-Fc", "--no-owner", "-f"])
                .arg(out.join(PG_FILE))
                .arg(&url)
                .status()
                .context("pg_dump 未找到：请安装 PostgreSQL 客户端（postgresql-client）并确保它在 PATH 中")?;
            ensure!(status.success(), "pg_dump 失败（{status}）");
        }
    }
    // Evidence files are written before the rows naming them commit, and never change: a copy
    // taken after the database's holds every file the copy refers to.
    let files = config.file_store(db.shared_vault())?;
    let copy = FileStore::local(out.join("evidence"))?.with_vault(db.shared_vault());
    let copied = xueshi_files::copy_all(&files, &copy, "").await?;
    let mut manifest = Manifest {
        format: 1,
        backend: format!("{:?}", db.backend()).to_lowercase(),
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)?,
        audit_head: head,
        files: hash_tree(out)?,
        seal: String::new(),
    };
    manifest.seal = db.vault().blind_index("backup-manifest", &manifest.body());
    std::fs::write(out.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    db.close().await;
    println!(
        "备份完成：{}，数据库与 {copied} 个证明材料文件，用时 {:.1} 秒（数据密钥不在备份中，请另行保管）",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Checks a backup without restoring it: the manifest's seal (with the configured data key)
/// and every file's checksum, and that no file is missing or added.
pub async fn verify(config: Config, dir: &Path) -> anyhow::Result<()> {
    let vault = crate::app::data_key(&config)?;
    let manifest = checked_manifest(&vault, dir)?;
    println!(
        "备份完好：{} 个文件，{} 数据库，创建于 {}，审计链头 {}",
        manifest.files.len(),
        manifest.backend,
        manifest.created_at,
        manifest.audit_head
    );
    Ok(())
}

/// Restores a checked backup into the configured, empty target and checks the audit chain.
pub async fn restore(config: Config, from: &Path) -> anyhow::Result<()> {
    let vault = Arc::new(crate::app::data_key(&config)?);
    let manifest = checked_manifest(&vault, from)?;
    let postgres = config
        .database_url
        .as_deref()
        .is_some_and(|u| !u.is_empty());
    ensure!(
        manifest.backend == if postgres { "postgres" } else { "sqlite" },
        "备份来自 {} 数据库，目标不同",
        manifest.backend
    );
    if postgres {
        let url = config.database_url();
        ensure_empty_postgres(&url).await?;
        let status = Command::new("pg_restore")
            .args(["--no-owner", "--exit-on-error", "-d"])
            .arg(&url)
            .arg(from.join(PG_FILE))
            .status()
            .context("pg_restore 未找到：请安装 PostgreSQL 客户端并确保它在 PATH 中")?;
        ensure!(status.success(), "pg_restore 失败（{status}）");
    } else {
        let target = config.data_dir.join("xueshi.db");
        ensure!(
            !target.exists(),
            "目标 {} 已有数据库，只能恢复到空目录",
            target.display()
        );
        std::fs::create_dir_all(&config.data_dir)?;
        std::fs::copy(from.join(SQLITE_FILE), &target)?;
    }
    let files = config.file_store(vault.clone())?;
    let copy = FileStore::local(from.join("evidence"))?.with_vault(vault);
    let restored = xueshi_files::copy_all(&copy, &files, "").await?;
    let db = crate::app::open_db(&config).await?;
    let mut c = db.pool().acquire().await?;
    let chain = audit_chain::verify(&mut c, db.vault(), None).await?;
    let holds_head =
        manifest.audit_head.is_empty() || audit_chain::holds(&mut c, &manifest.audit_head).await?;
    drop(c);
    db.close().await;
    if let Some((id, reason)) = chain.broken {
        bail!("恢复的审计链在第 {id} 条记录处断开：{reason}");
    }
    ensure!(holds_head, "恢复的审计日志缺少备份时的链头记录");
    println!(
        "恢复完成：数据库与 {restored} 个证明材料文件；审计链完整（{} 条记录）",
        chain.checked
    );
    Ok(())
}

async fn chain_head(db: &Db) -> anyhow::Result<String> {
    let mut c = db.pool().acquire().await?;
    Ok(audit_chain::head(&mut c).await?)
}

fn checked_manifest(vault: &Vault, dir: &Path) -> anyhow::Result<Manifest> {
    let text = std::fs::read(dir.join(MANIFEST))
        .with_context(|| format!("{} 中没有 {MANIFEST}：不是完整的备份", dir.display()))?;
    let manifest: Manifest = serde_json::from_slice(&text).context("备份清单无法解析")?;
    ensure!(
        vault.blind_index("backup-manifest", &manifest.body()) == manifest.seal,
        "备份清单的签名不符：清单被改动，或数据密钥不是备份所用的密钥"
    );
    let found = hash_tree(dir)?;
    for (path, sha) in &manifest.files {
        match found.get(path) {
            None => bail!("备份不完整：缺少 {path}"),
            Some(actual) if actual != sha => bail!("备份被改动：{path} 的校验和不符"),
            Some(_) => {}
        }
    }
    if let Some(extra) = found.keys().find(|p| !manifest.files.contains_key(*p)) {
        bail!("备份中多出清单之外的文件：{extra}");
    }
    Ok(manifest)
}

/// SHA-256 of every file under `root` but the manifest, by relative path.
fn hash_tree(root: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut stack: Vec<PathBuf> = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            if relative == MANIFEST {
                continue;
            }
            let mut hasher = Sha256::new();
            std::io::copy(&mut std::fs::File::open(&path)?, &mut hasher)?;
            out.insert(relative, format!("{:x}", hasher.finalize()));
        }
    }
    Ok(out)
}

async fn ensure_empty_postgres(url: &str) -> anyhow::Result<()> {
    let tables = xueshi_store::postgres_table_count(url).await?;
    ensure!(
        tables == 0,
        "目标数据库不是空的（已有 {tables} 张表），只能恢复到空数据库"
    );
    Ok(())
}
