use std::path::Path;

use indicatif::ProgressBar;

use crate::config::Config;
use crate::services::{Ctx, sheet, trainings};

/// `xueshi import attendance --training ID FILE`: the spreadsheet import of the API, all
/// rows or none, with progress and the same row-by-row error report.
pub async fn attendance(
    config: Config,
    training: &str,
    file: &Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(3);
    bar.set_message("读取文件");
    let bytes = std::fs::read(file)?;
    let rows = sheet::read(
        &bytes,
        trainings::SHEET_COLUMNS,
        &trainings::SHEET_COLUMNS[..2],
    )
    .map_err(crate::cli::cli_error)?;
    bar.inc(1);
    bar.set_message(format!("核对 {} 行", rows.len()));
    let db = crate::app::open_db(&config).await?;
    let ctx = Ctx::system(&db).await?;
    let outcome = trainings::register(
        &db,
        &ctx,
        training,
        trainings::from_sheet(rows),
        dry_run,
        "cli",
    )
    .await;
    bar.inc(2);
    bar.finish_and_clear();
    db.close().await;
    match outcome.map_err(crate::cli::cli_error)? {
        Ok(done) => {
            let verb = if dry_run { "可登记" } else { "已登记" };
            println!(
                "{verb}：新增 {} 人，更新 {} 人",
                done.registered, done.updated
            );
            Ok(())
        }
        Err(problems) => {
            for p in &problems {
                let detail = p.to_json();
                println!("第 {} 行 {}：{}", detail["row"], p.column, p.message);
            }
            anyhow::bail!("有 {} 行有误，全部未登记", problems.len())
        }
    }
}
