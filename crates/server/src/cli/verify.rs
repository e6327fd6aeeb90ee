use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::services::{Ctx, verification};

/// `xueshi verify --year Y`: the same run as the API's, with a progress bar per year.
pub async fn run(config: Config, year: i32) -> anyhow::Result<()> {
    let db = crate::app::open_db(&config).await?;
    let ctx = Ctx::system(&db).await?;
    let bar = ProgressBar::new(1).with_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} 个年度 {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("{year}年度学时验证"));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let outcome = verification::run(&db, &ctx, year, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await;
    bar.finish_and_clear();
    db.close().await;
    let summary = outcome.map_err(crate::cli::cli_error)?;
    println!(
        "{}年度验证完成：教师 {} 人，合格 {} 人，不合格 {} 人，结转专业科目学时 {}",
        summary.year, summary.teachers, summary.passed, summary.failed, summary.carried_over_hours
    );
    Ok(())
}
