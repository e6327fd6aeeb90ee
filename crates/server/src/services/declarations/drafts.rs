//! Drafts the teacher no longer wants, and a fresh draft from a withdrawn declaration: a
//! refused or abandoned submission never leaves clutter the teacher cannot clear, and a
//! withdrawal never makes them type everything again.

use serde_json::json;
use xueshi_domain::DeclarationStatus;
use xueshi_files::FileStore;
use xueshi_store::models::{Declaration, Evidence};
use xueshi_store::repo::{declarations, evidence};
use xueshi_store::{Db, now_ms};

use super::{Detail, filing_of, form, load_detail, own, wrong_state};
use crate::error::{AppError, AppResult};
use crate::services::{Ctx, Place, new_id, record};

/// Deletes a draft with its evidence; the stored files go too unless another declaration
/// holds the same file.
pub async fn delete_draft(db: &Db, files: &FileStore, ctx: &Ctx, id: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let d = own(&mut tx, ctx, id).await?;
    if d.status != DeclarationStatus::Draft {
        return Err(wrong_state(&d, "删除（只能删除草稿）"));
    }
    let attached = evidence::for_declaration(&mut tx, id).await?;
    for e in &attached {
        evidence::delete(&mut tx, &e.id).await?;
    }
    if !declarations::delete_draft(&mut tx, id).await? {
        return Err(AppError::Conflict(
            "该申报的状态刚刚已改变，请刷新后重试".into(),
        ));
    }
    let mut orphans = Vec::new();
    for e in &attached {
        if !evidence::file_in_use(&mut tx, &e.sha256, &e.storage_key).await? {
            orphans.push((e.storage_key.clone(), e.sha256.clone()));
        }
    }
    let detail = json!({
        "before": form::audit_view(&d),
        "evidence": attached.iter().map(|e| json!({ "evidence_id": e.id, "sha256": e.sha256 })).collect::<Vec<_>>(),
    });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "declaration.delete",
        ("declaration", id),
        &Place::of_declaration(&d),
        detail,
    )
    .await?;
    tx.commit().await?;
    // After the commit: a failed removal leaves an unreferenced file, never a reference to
    // a missing one.
    for (key, sha256) in orphans {
        if let Err(e) = files.delete(&key).await {
            tracing::warn!(error = %e, "an orphaned evidence file was not removed");
        }
        crate::services::thumbnails::forget(files, &sha256).await;
    }
    Ok(())
}

/// A new draft with the fields and evidence of a withdrawn declaration, to edit and submit
/// again.
pub async fn copy_withdrawn(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Detail> {
    let mut tx = db.begin().await?;
    let original = own(&mut tx, ctx, id).await?;
    if original.status != DeclarationStatus::Withdrawn {
        return Err(wrong_state(&original, "复制为新草稿"));
    }
    let filing = filing_of(&mut tx, &original.teacher_id).await?;
    let now = now_ms();
    let mut copy = Declaration {
        id: new_id(),
        approved_hours: None,
        status: DeclarationStatus::Draft,
        submitted_at: None,
        queued_at: now,
        created_at: now,
        updated_at: now,
        record_id: None,
        record_status: None,
        ..original.clone()
    };
    filing.apply_to(&mut copy);
    declarations::insert(&mut tx, &copy).await?;
    for e in evidence::for_declaration(&mut tx, id).await? {
        let image = e.content_type.starts_with("image/");
        let file = Evidence {
            id: new_id(),
            declaration_id: copy.id.clone(),
            // The picture hash is worked out again in the background for the new row.
            phash: None,
            phash_checked_at: (!image).then_some(now),
            created_at: now,
            // Read anew, unless it was never to be read.
            read_at: e.read_at.filter(|at| *at == 0),
            ..e
        };
        evidence::insert(&mut tx, &file, &[]).await?;
    }
    let detail = json!({ "copied_from": id, "after": form::audit_view(&copy) });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "declaration.create",
        ("declaration", &copy.id),
        &Place::of_declaration(&copy),
        detail,
    )
    .await?;
    tx.commit().await?;
    crate::services::evidence_hashing::wake();
    crate::services::evidence_reading::wake();
    let mut c = db.pool().acquire().await?;
    load_detail(&mut c, db.vault(), ctx, &copy.id).await
}
