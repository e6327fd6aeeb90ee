//! Declarations (个人申报): a teacher creates one, attaches evidence, edits it while it is a
//! draft or returned, submits it, and may withdraw it until the school has reviewed it.
//! Reviewers read them in their scope, with warnings about possible duplicates.

mod candidates;
mod certificate_warnings;
mod drafts;
mod form;
mod submit;
pub(crate) mod warnings;

use serde_json::json;
use xueshi_domain::authz;
use xueshi_domain::{DeclarationStatus, Role, review};
use xueshi_store::models::{Declaration, Evidence, Filing, Org, Page, Review, Teacher};
use xueshi_store::repo::declarations;
use xueshi_store::repo::readings::Reading;
use xueshi_store::repo::{evidence, reviews, teachers as teacher_repo};
use xueshi_store::{Conn, Db, StoreError, now_ms};

pub use xueshi_store::repo::declarations::DeclarationFilter;

use super::{Ctx, Place, new_id, record, teachers};
use crate::error::{AppError, AppResult};

pub use drafts::{copy_withdrawn, delete_draft};
pub use form::{DeclarationInput, DeclarationPatch};
pub use submit::submit;
pub use warnings::Warning;

/// A declaration with everything its page shows.
pub struct Detail {
    pub declaration: Declaration,
    pub evidence: Vec<Evidence>,
    /// The evidence's readings (证书识别), for those read or being read.
    pub readings: Vec<Reading>,
    pub reviews: Vec<Review>,
    /// For reviewers only; a teacher gets none.
    pub warnings: Vec<Warning>,
}

/// Teachers alone declare: everyone else is refused before anything is looked up.
pub(super) fn require_teacher(ctx: &Ctx) -> AppResult<&str> {
    match (ctx.actor.role, ctx.actor.teacher_id.as_deref()) {
        (Role::Teacher, Some(id)) => Ok(id),
        _ => Err(AppError::Forbidden),
    }
}

/// The state refusal, in the words of the declaration's status.
pub(crate) fn wrong_state(d: &Declaration, action: &str) -> AppError {
    AppError::Conflict(format!("“{}”状态的申报不能{action}", d.status.label_zh()))
}

/// A declaration of the calling teacher (403 for other roles, 404 for others' declarations).
pub(crate) async fn own(c: &mut Conn, ctx: &Ctx, id: &str) -> AppResult<Declaration> {
    require_teacher(ctx)?;
    theirs(ctx, declarations::get(c, id).await?)
}

/// `found`, if it is the calling teacher's; 404 otherwise, as if it did not exist.
fn theirs(ctx: &Ctx, found: Option<Declaration>) -> AppResult<Declaration> {
    match found {
        Some(d) if Some(d.teacher_id.as_str()) == ctx.actor.teacher_id.as_deref() => Ok(d),
        _ => Err(AppError::NotFound),
    }
}

/// A declaration the actor may read, with its teacher and the teacher's current school.
pub(crate) async fn visible(
    c: &mut Conn,
    v: &xueshi_store::Vault,
    ctx: &Ctx,
    id: &str,
) -> AppResult<(Declaration, Teacher, Org)> {
    if ctx.actor.role == Role::ProviderAdmin {
        return Err(AppError::Forbidden);
    }
    let declaration = declarations::get(c, id).await?.ok_or(AppError::NotFound)?;
    let (teacher, school) = teachers::visible(c, v, ctx, &declaration.teacher_id).await?;
    Ok((declaration, teacher, school))
}

pub async fn create(db: &Db, ctx: &Ctx, input: DeclarationInput) -> AppResult<Detail> {
    let teacher_id = require_teacher(ctx)?;
    let fields = input.validate()?;
    // The teacher's school is read before the write transaction (on SQLite the one writer
    // is the queue on deadline day); the insert checks it still holds, and only if the
    // teacher has moved in between is it read again under the lock.
    let filing = {
        let mut c = db.pool().acquire().await?;
        filing_of(&mut c, teacher_id).await?
    };
    let mut declaration = fields.into_draft(new_id(), teacher_id, &filing, now_ms());
    let mut tx = db.begin().await?;
    if !declarations::insert_if_at_school(&mut tx, &declaration).await? {
        filing_of(&mut tx, teacher_id)
            .await?
            .apply_to(&mut declaration);
        declarations::insert(&mut tx, &declaration).await?;
    }
    let detail = json!({ "after": form::audit_view(&declaration) });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "declaration.create",
        ("declaration", &declaration.id),
        &Place::of_declaration(&declaration),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Detail {
        declaration,
        evidence: Vec::new(),
        readings: Vec::new(),
        reviews: Vec::new(),
        warnings: Vec::new(),
    })
}

async fn filing_of(c: &mut Conn, teacher_id: &str) -> AppResult<Filing> {
    teacher_repo::filing(c, teacher_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Changes the given fields of a draft or returned declaration.
pub async fn update(db: &Db, ctx: &Ctx, id: &str, patch: DeclarationPatch) -> AppResult<Detail> {
    let mut tx = db.begin().await?;
    let before = own(&mut tx, ctx, id).await?;
    if !review::can_edit(before.status) {
        return Err(wrong_state(&before, "修改"));
    }
    let mut after = before.clone();
    patch.validate_onto(&mut after)?;
    declarations::update_content(&mut tx, &after).await?;
    let detail = json!({ "before": form::audit_view(&before), "after": form::audit_view(&after) });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "declaration.update",
        ("declaration", id),
        &Place::of_declaration(&after),
        detail,
    )
    .await?;
    tx.commit().await?;
    let mut c = db.pool().acquire().await?;
    load_detail(&mut c, db.vault(), ctx, id).await
}

/// Withdraws a submitted declaration before the school has reviewed it (撤回).
pub async fn withdraw(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Detail> {
    let mut tx = db.begin().await?;
    let before = own(&mut tx, ctx, id).await?;
    if !review::can_withdraw(before.status) {
        let message = match before.status {
            DeclarationStatus::SchoolApproved | DeclarationStatus::Approved => {
                "学校已初审该申报，不能撤回".to_owned()
            }
            _ => format!("“{}”状态的申报不能撤回", before.status.label_zh()),
        };
        return Err(AppError::Conflict(message));
    }
    let after = Declaration {
        status: DeclarationStatus::Withdrawn,
        ..before.clone()
    };
    declarations::set_status(&mut tx, &after, before.status)
        .await
        .map_err(|e| raced(e, &before))?;
    let detail =
        json!({ "before": { "status": before.status }, "after": { "status": after.status } });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "declaration.withdraw",
        ("declaration", id),
        &Place::of_declaration(&after),
        detail,
    )
    .await?;
    tx.commit().await?;
    let mut c = db.pool().acquire().await?;
    load_detail(&mut c, db.vault(), ctx, id).await
}

/// A conditional status change found the declaration already moved on.
pub(crate) fn raced(e: StoreError, before: &Declaration) -> AppError {
    match e {
        StoreError::NotFound => AppError::Conflict(format!(
            "申报“{}”的状态已被他人更改，请刷新后重试",
            before.title
        )),
        other => other.into(),
    }
}

/// One declaration with its evidence, reviews and (for reviewers) warnings.
pub async fn get(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Detail> {
    let mut c = db.pool().acquire().await?;
    load_detail(&mut c, db.vault(), ctx, id).await
}

pub(crate) async fn load_detail(
    c: &mut Conn,
    v: &xueshi_store::Vault,
    ctx: &Ctx,
    id: &str,
) -> AppResult<Detail> {
    let (declaration, _, _) = visible(c, v, ctx, id).await?;
    let evidence = evidence::for_declaration(c, id).await?;
    let readings = xueshi_store::repo::readings::for_evidence(c, &evidence).await?;
    let reviews = reviews::for_declaration(c, id).await?;
    let warnings = warnings_for(c, ctx, &declaration, &evidence, &readings).await?;
    Ok(Detail {
        declaration,
        readings,
        evidence,
        reviews,
        warnings,
    })
}

/// The reviewers' warnings on a declaration already read in the caller's scope, with its
/// files and their readings (none for the teacher).
pub async fn warnings_for(
    c: &mut Conn,
    ctx: &Ctx,
    d: &Declaration,
    files: &[xueshi_store::models::Evidence],
    readings: &[Reading],
) -> AppResult<Vec<Warning>> {
    if ctx.actor.role == Role::Teacher {
        return Ok(Vec::new());
    }
    let mut found = warnings::for_declaration(c, &ctx.actor, d, files).await?;
    found.extend(certificate_warnings::for_declaration(d, files, readings));
    Ok(found)
}

/// Declarations in the caller's scope, oldest in the queue first, and how many of each status
/// the scope holds under the same filters.
pub async fn list(
    db: &Db,
    ctx: &Ctx,
    filter: &DeclarationFilter,
) -> AppResult<(Page<Declaration>, Vec<(DeclarationStatus, i64)>)> {
    if ctx.actor.role == Role::ProviderAdmin {
        return Err(AppError::Forbidden);
    }
    if let Some(cursor) = &filter.cursor
        && declarations::parse_cursor(cursor).is_none()
    {
        return Err(AppError::BadRequest("分页参数 cursor 无效".into()));
    }
    let scope = authz::scope(&ctx.actor);
    let mut c = db.pool().acquire().await?;
    let page = declarations::list(&mut c, &scope, filter).await?;
    let counts = declarations::counts(&mut c, &scope, filter).await?;
    Ok((page, counts))
}
