//! `xueshi worker`: a node that reads certificates (OCR) and answers no requests, for a
//! cluster whose deadline-day backlog of uploads wants more readers than web nodes.

use std::time::Duration;

use crate::app::shutdown_signal;
use crate::config::Config;
use crate::in_flight::InFlight;
use crate::services::evidence_reading;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let db = crate::app::open_db(&config).await?;
    let files = config.file_store(db.shared_vault())?;
    let timeout = Duration::from_secs(config.reading_timeout_secs.max(1));
    let Some(reader) = xueshi_files::Reader::detect(timeout).await else {
        anyhow::bail!(
            "未找到带简体中文模型的 tesseract（apt install tesseract-ocr tesseract-ocr-chi-sim），无法识别证书"
        );
    };
    let owner = format!(
        "worker:{}:{}",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    );
    println!("证书识别节点已启动（{owner}）");
    // No requests here: the reader never has to give way.
    let reading = tokio::spawn(evidence_reading::run_forever(
        db.clone(),
        files,
        reader,
        owner.clone(),
        InFlight::default(),
    ));
    shutdown_signal().await;
    reading.abort();
    let released = evidence_reading::release(&db, &owner).await?;
    tracing::info!(released, "reading claims given back");
    db.close().await;
    Ok(())
}
