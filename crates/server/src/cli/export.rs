use std::path::PathBuf;

use crate::config::Config;
use crate::services::Ctx;
use crate::services::exports::{self, FileFormat};

/// `xueshi export provincial --year Y [--format csv|xlsx] [--out FILE]`: the API's provincial
/// export of a verified year, written to a file and audited as a download by `system`.
pub async fn provincial(
    config: Config,
    year: i32,
    format: &str,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let format = match format {
        "xlsx" => FileFormat::Xlsx,
        _ => FileFormat::Csv,
    };
    let db = crate::app::open_db(&config).await?;
    let ctx = Ctx::system(&db).await?;
    let outcome = exports::provincial(&db, &ctx, year, format).await;
    db.close().await;
    let (download, rows) = outcome.map_err(crate::cli::cli_error)?;
    let path = out.unwrap_or_else(|| PathBuf::from(&download.filename));
    std::fs::write(&path, &download.bytes)?;
    println!(
        "{year}年度省平台导出完成：{rows} 人，已写入 {}",
        path.display()
    );
    Ok(())
}
