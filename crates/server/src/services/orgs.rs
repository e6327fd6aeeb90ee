use serde::Deserialize;
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{FieldError, OrgKind, OrgStatus, Ownership, SchoolType};
use xueshi_store::models::{Org, Page};
use xueshi_store::repo::orgs;
use xueshi_store::{Conn, Db, StoreError, UniqueKey, Vault, now_ms};

pub use xueshi_store::repo::orgs::OrgFilter;

use super::{Ctx, Place, new_id, record, required_text};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateOrg {
    pub name: String,
    pub kind: OrgKind,
    /// The city or district it hangs under; defaults to the city.
    pub parent_id: Option<String>,
    /// Schools only.
    pub ownership: Option<Ownership>,
    /// Schools only.
    pub school_type: Option<SchoolType>,
    /// 局属: schools only, created by the city alone.
    #[serde(default)]
    pub city_affiliated: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateOrg {
    pub name: Option<String>,
    pub status: Option<OrgStatus>,
}

/// The city (市教育局): it heads certificates and the public check, and everyone sees it.
pub async fn city(c: &mut Conn) -> AppResult<Org> {
    Ok(orgs::city(c).await?)
}

/// Organisations by id, to name (or place) those a list the caller may read refers to.
pub async fn by_ids(c: &mut Conn, ids: &[String]) -> AppResult<Vec<Org>> {
    Ok(orgs::get_many(c, ids).await?)
}

/// Every district, in the official order: public knowledge (filters, transfer targets).
pub async fn districts(c: &mut Conn) -> AppResult<Vec<Org>> {
    Ok(xueshi_store::repo::reports::districts(c).await?)
}

/// Organisations in any scope, for choosing another school (a transfer's destination).
pub async fn all(c: &mut Conn, filter: &OrgFilter) -> AppResult<Page<Org>> {
    Ok(orgs::list(c, &authz::Scope::All, filter).await?)
}

/// The organisations the caller sees (`authz::scope`).
pub async fn in_scope(c: &mut Conn, ctx: &Ctx, filter: &OrgFilter) -> AppResult<Page<Org>> {
    Ok(orgs::list(c, &authz::scope(&ctx.actor), filter).await?)
}

/// The caller's own organisation.
pub async fn own(c: &mut Conn, ctx: &Ctx) -> AppResult<Org> {
    orgs::get(c, &ctx.actor.org_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Loads an organisation the actor may see, or 404.
pub async fn visible(db: &Db, ctx: &Ctx, id: &str) -> AppResult<Org> {
    let mut c = db.pool().acquire().await?;
    match orgs::get(&mut c, id).await? {
        Some(org) if authz::sees_org(&ctx.actor, &org.place()) => Ok(org),
        _ => Err(AppError::NotFound),
    }
}

pub async fn create(db: &Db, ctx: &Ctx, input: CreateOrg) -> AppResult<Org> {
    let mut tx = db.begin().await?;
    let org = create_in(&mut tx, db.vault(), ctx, input).await?;
    tx.commit().await?;
    Ok(org)
}

/// [`create`] inside the caller's transaction (an approved school application creates its
/// school and administrator together).
pub async fn create_in(c: &mut Conn, v: &Vault, ctx: &Ctx, input: CreateOrg) -> AppResult<Org> {
    ctx.require(Action::CreateOrg)?;
    let mut errors = Vec::new();
    let name = required_text("name", "名称", &input.name, 100, &mut errors);
    if input.kind == OrgKind::City {
        errors.push(FieldError::new("kind", "只能新建区、学校或培训机构"));
    }
    let is_school = input.kind == OrgKind::School;
    if is_school && input.ownership.is_none() {
        errors.push(FieldError::new("ownership", "请选择办学性质（公办/民办）"));
    }
    if is_school && input.school_type.is_none() {
        errors.push(FieldError::new("school_type", "请选择学校类型"));
    }
    if !is_school && input.city_affiliated {
        errors.push(FieldError::new("city_affiliated", "只有学校可以是局属单位"));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }

    let parent = match &input.parent_id {
        Some(id) => orgs::get(c, id).await?,
        None => Some(orgs::city(c).await?),
    };
    let parent = parent
        .filter(|p| authz::sees_org(&ctx.actor, &p.place()))
        .ok_or(AppError::NotFound)?;
    if !authz::may_create_org(
        &ctx.actor,
        input.kind,
        &parent.place(),
        input.city_affiliated,
    ) {
        return Err(AppError::Forbidden);
    }
    let parent_fits = match input.kind {
        OrgKind::District => parent.kind == OrgKind::City,
        OrgKind::School => {
            parent.kind == OrgKind::District
                || (parent.kind == OrgKind::City && input.city_affiliated)
        }
        OrgKind::Provider => matches!(parent.kind, OrgKind::City | OrgKind::District),
        OrgKind::City => false,
    };
    if !parent_fits {
        return Err(AppError::invalid(
            "parent_id",
            "上级单位类型不符：区属于市，学校属于区（局属学校可属于市），培训机构属于市或区",
        ));
    }
    if !parent.is_active() {
        return Err(AppError::invalid(
            "parent_id",
            "上级单位已注销，不能新增下属单位",
        ));
    }
    if let Some(existing) = orgs::find_sibling(c, Some(&parent.id), input.kind, &name).await? {
        return Err(AppError::Duplicate {
            message: format!("同一上级下已有同名单位：{name}"),
            existing_id: Some(existing),
        });
    }
    let id = new_id();
    let district_id = match (input.kind, parent.kind) {
        (OrgKind::District, _) => Some(id.clone()),
        (_, OrgKind::District) => Some(parent.id.clone()),
        _ => None,
    };
    let org = Org {
        id,
        name,
        kind: input.kind,
        parent_id: Some(parent.id.clone()),
        district_id,
        ownership: if is_school { input.ownership } else { None },
        school_type: if is_school { input.school_type } else { None },
        city_affiliated: input.city_affiliated,
        status: OrgStatus::Active,
        created_at: now_ms(),
    };
    orgs::insert(c, &org).await.map_err(|e| match e {
        StoreError::Unique(UniqueKey::OrgSiblingName) => AppError::Duplicate {
            message: "同一上级下已有同名单位".into(),
            existing_id: None,
        },
        other => other.into(),
    })?;
    record(
        c,
        v,
        ctx,
        "org.create",
        ("org", &org.id),
        &Place::of(&org),
        json!({ "after": org_json(&org) }),
    )
    .await?;
    Ok(org)
}

pub async fn update(db: &Db, ctx: &Ctx, id: &str, input: UpdateOrg) -> AppResult<Org> {
    ctx.require(Action::UpdateOrg)?;
    let mut tx = db.begin().await?;
    let before = orgs::get(&mut tx, id)
        .await?
        .filter(|o| authz::sees_org(&ctx.actor, &o.place()))
        .ok_or(AppError::NotFound)?;
    if !authz::manages_org(&ctx.actor, &before.place()) {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let name = match &input.name {
        Some(n) => required_text("name", "名称", n, 100, &mut errors),
        None => before.name.clone(),
    };
    let status = input.status.unwrap_or(before.status);
    if before.kind == OrgKind::City && status == OrgStatus::Archived {
        errors.push(FieldError::new("status", "市级单位不能注销"));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    if name != before.name
        && let Some(existing) =
            orgs::find_sibling(&mut tx, before.parent_id.as_deref(), before.kind, &name).await?
    {
        return Err(AppError::Duplicate {
            message: format!("同一上级下已有同名单位：{name}"),
            existing_id: Some(existing),
        });
    }
    orgs::update(&mut tx, id, &name, status).await?;
    let after = Org {
        name,
        status,
        ..before.clone()
    };
    let action = match (before.status, status) {
        (OrgStatus::Active, OrgStatus::Archived) => "org.archive",
        (OrgStatus::Archived, OrgStatus::Active) => "org.reactivate",
        _ => "org.update",
    };
    record(
        &mut tx,
        db.vault(),
        ctx,
        action,
        ("org", id),
        &Place::of(&after),
        json!({ "before": org_json(&before), "after": org_json(&after) }),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn list(db: &Db, ctx: &Ctx, filter: &OrgFilter) -> AppResult<Page<Org>> {
    let mut c = db.pool().acquire().await?;
    Ok(orgs::list(&mut c, &authz::scope(&ctx.actor), filter).await?)
}

fn org_json(org: &Org) -> serde_json::Value {
    json!({
        "name": org.name,
        "kind": org.kind,
        "parent_id": org.parent_id,
        "ownership": org.ownership,
        "school_type": org.school_type,
        "city_affiliated": org.city_affiliated,
        "status": org.status,
    })
}
