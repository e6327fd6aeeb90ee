//! Evidence (证明材料): JPEG, PNG or PDF judged by parsing, at most 20 MB, images at most
//! 40 megapixels and stored without their metadata, content-addressed in the file store by
//! the stored file's SHA-256 (the upload's own is kept for the identical-file checks); images
//! get a perceptual hash of the stored picture in the background (`evidence_hashing`).
//! Served back only to the teacher and the reviewers in scope.

use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use xueshi_domain::review;
use xueshi_files::{FileStore, MAX_EVIDENCE_BYTES, evidence_key, prepare_evidence};
use xueshi_store::models::Evidence;
use xueshi_store::repo::{declarations, evidence};
use xueshi_store::{Db, now_ms};

use super::declarations::{own, visible, wrong_state};
use super::{Ctx, Place, new_id, record};
use crate::error::{AppError, AppResult};

/// Files per declaration: a certificate, its translation and an hours proof, each of several
/// pages, fit well below this.
pub const MAX_FILES: usize = 20;

pub use xueshi_domain::evidence::ProofKind;

/// The two fields of the upload form.
pub struct Upload {
    pub kind: Option<String>,
    pub file: Option<Bytes>,
}

/// Stores one file for a draft or returned declaration of the calling teacher.
pub async fn upload(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    declaration_id: &str,
    upload: Upload,
) -> AppResult<Evidence> {
    store(db, files, ctx, declaration_id, upload, None).await
}

/// Replaces one file (a blurry photo) by another of the same kind, in one transaction: the
/// reviewer never sees both, nor neither.
pub async fn replace(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    declaration_id: &str,
    old_id: &str,
    file: Option<Bytes>,
) -> AppResult<Evidence> {
    let old = {
        let mut c = db.pool().acquire().await?;
        own(&mut c, ctx, declaration_id).await?;
        evidence::get(&mut c, declaration_id, old_id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let upload = Upload {
        kind: Some(old.kind.clone()),
        file,
    };
    store(db, files, ctx, declaration_id, upload, Some(old)).await
}

async fn store(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    declaration_id: &str,
    upload: Upload,
    replaces: Option<Evidence>,
) -> AppResult<Evidence> {
    // Checked before storing anything, while no write lock is held.
    let d = {
        let mut c = db.pool().acquire().await?;
        own(&mut c, ctx, declaration_id).await?
    };
    if !review::can_edit(d.status) {
        return Err(wrong_state(&d, "上传证明材料"));
    }
    let ready = prepare(files, upload).await?;
    attach(db, ctx, d, ready, replaces).await
}

/// A checked, cleaned file in the store, not yet evidence of any declaration.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ready {
    pub kind: ProofKind,
    pub sha256: String,
    pub original_sha256: String,
    pub content_type: String,
    pub size: i64,
}

/// Checks the kind and the file, cleans it and puts it in the store (content-addressed, so a
/// file stored twice is kept once).
pub(crate) async fn prepare(files: &FileStore, upload: Upload) -> AppResult<Ready> {
    let kind = match upload.kind.as_deref().map(ProofKind::parse) {
        Some(Some(kind)) => kind,
        Some(None) => {
            return Err(AppError::invalid(
                "kind",
                "材料类型无效，可选值：certificate、translation、hours_proof",
            ));
        }
        None => return Err(AppError::invalid("kind", "请选择材料类型（字段名 kind）")),
    };
    let upload_bytes = upload
        .file
        .ok_or_else(|| AppError::invalid("file", "请上传文件（字段名 file）"))?;
    if upload_bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(AppError::TooLarge);
    }
    // Parsing, metadata removal and hashing are CPU work: off the async threads.
    let prepared = tokio::task::spawn_blocking(move || prepare_evidence(&upload_bytes))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::from_file)?;
    let key = evidence_key(&prepared.sha256);
    let bytes = Bytes::from(prepared.bytes);
    let stored = async {
        if !files.exists(&key).await? {
            files.put(&key, bytes.clone()).await?;
        }
        Ok::<_, xueshi_files::FileError>(())
    };
    stored.await.map_err(|e| AppError::Internal(e.into()))?;
    Ok(Ready {
        kind,
        sha256: prepared.sha256,
        original_sha256: prepared.original_sha256,
        content_type: prepared.kind.content_type().to_owned(),
        size: bytes.len() as i64,
    })
}

/// Makes a stored file evidence of `d` (replacing `replaces`), in one transaction.
pub(crate) async fn attach(
    db: &Db,
    ctx: &Ctx,
    mut d: xueshi_store::models::Declaration,
    ready: Ready,
    replaces: Option<Evidence>,
) -> AppResult<Evidence> {
    let declaration_id = d.id.clone();
    let now = now_ms();
    let image = ready.content_type.starts_with("image/");
    let file = Evidence {
        id: new_id(),
        declaration_id: declaration_id.clone(),
        kind: ready.kind.as_str().to_owned(),
        storage_key: evidence_key(&ready.sha256),
        sha256: ready.sha256,
        original_sha256: ready.original_sha256,
        phash: None,
        // A PDF has no picture to compare: settled at once.
        phash_checked_at: (!image).then_some(now),
        size: ready.size,
        content_type: ready.content_type,
        created_at: now,
        read_at: None,
    };
    let mut tx = db.begin().await?;
    if let Some(old) = &replaces {
        // Gone in between (removed on another device): nothing is replaced, nothing added.
        if evidence::get(&mut tx, &declaration_id, &old.id)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound);
        }
        evidence::delete(&mut tx, &old.id).await?;
        let detail = json!({ "evidence_id": old.id, "kind": old.kind, "sha256": old.sha256, "replaced_by": file.id });
        record(
            &mut tx,
            db.vault(),
            ctx,
            "evidence.delete",
            ("declaration", &d.id),
            &Place::of_declaration(&d),
            detail,
        )
        .await?;
    }
    // The checks above still hold in the common case, confirmed by one statement; when it
    // refuses, the declaration is read again to say why (or to follow its teacher's move).
    if !declarations::touch_editable(&mut tx, &d, MAX_FILES).await? {
        d = own(&mut tx, ctx, &declaration_id).await?;
        if !review::can_edit(d.status) {
            return Err(wrong_state(&d, "上传证明材料"));
        }
        if evidence::for_declaration(&mut tx, &d.id).await?.len() >= MAX_FILES {
            return Err(AppError::invalid(
                "file",
                format!("每项申报最多上传{MAX_FILES}个文件"),
            ));
        }
        declarations::touch(&mut tx, &d.id).await?;
    }
    evidence::insert(&mut tx, &file, &[]).await?;
    let detail = json!({ "evidence_id": file.id, "kind": file.kind, "sha256": file.sha256, "original_sha256": file.original_sha256, "size": file.size, "content_type": file.content_type });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "evidence.upload",
        ("declaration", &d.id),
        &Place::of_declaration(&d),
        detail,
    )
    .await?;
    tx.commit().await?;
    if image {
        super::evidence_hashing::wake();
        super::evidence_reading::wake();
    }
    Ok(file)
}

/// The file, for the teacher and the reviewers who may read the declaration.
pub async fn download(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    declaration_id: &str,
    evidence_id: &str,
) -> AppResult<(Evidence, Bytes)> {
    let file = visible_file(db, ctx, declaration_id, evidence_id).await?;
    let bytes = files
        .get(&file.storage_key)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((file, bytes))
}

/// An evidence file of a declaration the caller may see.
pub async fn visible_file(
    db: &Db,
    ctx: &Ctx,
    declaration_id: &str,
    evidence_id: &str,
) -> AppResult<Evidence> {
    let mut c = db.pool().acquire().await?;
    visible(&mut c, db.vault(), ctx, declaration_id).await?;
    evidence::get(&mut c, declaration_id, evidence_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Removes a file from a draft or returned declaration (the teacher replaces a wrong one).
pub async fn remove(db: &Db, ctx: &Ctx, declaration_id: &str, evidence_id: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let d = own(&mut tx, ctx, declaration_id).await?;
    let file = evidence::get(&mut tx, declaration_id, evidence_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !review::can_edit(d.status) {
        return Err(wrong_state(&d, "删除证明材料"));
    }
    evidence::delete(&mut tx, &file.id).await?;
    declarations::touch(&mut tx, &d.id).await?;
    let detail = json!({ "evidence_id": file.id, "kind": file.kind, "sha256": file.sha256 });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "evidence.delete",
        ("declaration", &d.id),
        &Place::of_declaration(&d),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The files of a declaration the caller has already been shown (a queue's rows).
pub async fn of_declaration(
    c: &mut xueshi_store::Conn,
    declaration_id: &str,
) -> AppResult<Vec<Evidence>> {
    Ok(evidence::for_declaration(c, declaration_id).await?)
}

/// The readings (证书识别) of a declaration's files, for those read or being read.
pub async fn readings_of(
    c: &mut xueshi_store::Conn,
    files: &[Evidence],
) -> AppResult<Vec<super::reading_view::Reading>> {
    Ok(xueshi_store::repo::readings::for_evidence(c, files).await?)
}
