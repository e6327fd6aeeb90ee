//! Files chosen with a form the server refused (a field error before any draft existed): they
//! are checked and stored at once, and the page carries them back as sealed tokens, so the
//! teacher never chooses a photo twice. A token names a stored file for one user, for a day;
//! it cannot be read, altered or used by anyone else (sealed under the data key).

use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use xueshi_domain::review;
use xueshi_files::{FileStore, evidence_key};
use xueshi_store::models::Evidence;
use xueshi_store::repo::readings::{self, Reading};
use xueshi_store::{Db, now_ms};

use super::Ctx;
use super::declarations::{own, wrong_state};
use super::evidence::{self, Ready, Upload};
use crate::error::{AppError, AppResult};

/// How long a kept file waits for its form.
const VALID_MS: i64 = 24 * 3600 * 1000;

#[derive(Serialize, Deserialize)]
struct Kept {
    ready: Ready,
    at: i64,
}

fn context(ctx: &Ctx) -> String {
    format!("staged_evidence:{}", ctx.actor.user_id)
}

/// Stores a chosen file and returns its token and what it is.
pub async fn stage(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    kind: &str,
    file: Bytes,
) -> AppResult<(String, Ready)> {
    super::declarations::require_teacher(ctx)?;
    let upload = Upload {
        kind: Some(kind.to_owned()),
        file: Some(file),
    };
    let ready = evidence::prepare(files, upload).await?;
    let kept = Kept {
        ready: ready.clone(),
        at: now_ms(),
    };
    let text = serde_json::to_string(&kept).map_err(|e| AppError::Internal(e.into()))?;
    Ok((db.vault().seal(&context(ctx), &text), ready))
}

/// What a token keeps, if it is the caller's and still valid.
pub fn open(db: &Db, ctx: &Ctx, token: &str) -> AppResult<Ready> {
    let refused = || AppError::invalid("file", "之前选择的文件已失效，请重新选择文件");
    let text = db
        .vault()
        .open(&context(ctx), token.trim())
        .map_err(|_| refused())?;
    let kept: Kept = serde_json::from_str(&text).map_err(|_| refused())?;
    if now_ms() - kept.at > VALID_MS {
        return Err(refused());
    }
    Ok(kept.ready)
}

/// Makes a kept file evidence of the caller's draft or returned declaration.
pub async fn attach(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    declaration_id: &str,
    token: &str,
) -> AppResult<Evidence> {
    let ready = open(db, ctx, token)?;
    let present = files
        .exists(&evidence_key(&ready.sha256))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if !present {
        return Err(AppError::invalid(
            "file",
            "之前选择的文件已失效，请重新选择文件",
        ));
    }
    let d = {
        let mut c = db.pool().acquire().await?;
        own(&mut c, ctx, declaration_id).await?
    };
    if !review::can_edit(d.status) {
        return Err(wrong_state(&d, "上传证明材料"));
    }
    evidence::attach(db, ctx, d, ready, None).await
}

/// Stores a certificate chosen on the new-declaration form and queues it to be read, so the
/// form can offer what it says (识别结果，请核对) before the declaration exists. The token
/// then goes with the form, and the evidence it becomes takes the same reading.
pub async fn stage_to_read(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    file: Bytes,
) -> AppResult<(String, Ready)> {
    let (token, ready) = stage(db, files, ctx, "certificate", file).await?;
    let mut tx = db.begin().await?;
    readings::staged::queue(&mut tx, &evidence_key(&ready.sha256), now_ms()).await?;
    tx.commit().await?;
    super::evidence_reading::wake();
    Ok((token, ready))
}

/// The reading of the caller's staged file; `None` when it was not queued (or is gone).
pub async fn reading(db: &Db, ctx: &Ctx, token: &str) -> AppResult<Option<(Ready, Reading)>> {
    let ready = open(db, ctx, token)?;
    let mut c = db.pool().acquire().await?;
    let reading = readings::staged::get(&mut c, &evidence_key(&ready.sha256)).await?;
    Ok(reading.map(|r| (ready, r)))
}
