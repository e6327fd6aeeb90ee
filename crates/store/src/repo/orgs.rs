use sqlx::AnyConnection;
use xueshi_domain::authz::Scope;
use xueshi_domain::{OrgKind, OrgStatus};

use super::clamp_limit;
use super::sql::Sql;
use crate::models::{ORG_COLUMNS, Org, Page, read};
use crate::{StoreError, StoreResult, now_ms};

pub async fn insert(c: &mut AnyConnection, org: &Org) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO orgs (id, name, kind, parent_id, district_id, ownership, school_type, \
         city_affiliated, status, created_at, updated_at) VALUES (",
    );
    q.bind(org.id.as_str())
        .push(", ")
        .bind(org.name.as_str())
        .push(", ");
    q.bind(org.kind.as_str())
        .push(", ")
        .bind(org.parent_id.clone())
        .push(", ");
    q.bind(org.district_id.clone()).push(", ");
    q.bind(org.ownership.map(|o| o.as_str().to_owned()))
        .push(", ");
    q.bind(org.school_type.map(|t| t.as_str().to_owned()))
        .push(", ");
    q.bind(org.city_affiliated)
        .push(", ")
        .bind(org.status.as_str())
        .push(", ");
    q.bind(org.created_at)
        .push(", ")
        .bind(org.created_at)
        .push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> StoreResult<Option<Org>> {
    let mut q = Sql::new(format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = "));
    q.bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Org>(&r))
        .transpose()
}

pub async fn city(c: &mut AnyConnection) -> StoreResult<Org> {
    let mut q = Sql::new(format!("SELECT {ORG_COLUMNS} FROM orgs WHERE kind = "));
    q.bind_code(OrgKind::City)
        .push(" ORDER BY created_at LIMIT 1");
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Org>(&r))
        .transpose()?
        .ok_or(StoreError::NotFound)
}

/// Creates the city organisation when the database has none (every fresh database has one).
pub async fn ensure_city(c: &mut AnyConnection, id: &str, name: &str) -> StoreResult<Org> {
    if let Ok(city) = city(c).await {
        return Ok(city);
    }
    let org = Org {
        id: id.to_owned(),
        name: name.to_owned(),
        kind: OrgKind::City,
        parent_id: None,
        district_id: None,
        ownership: None,
        school_type: None,
        city_affiliated: false,
        status: OrgStatus::Active,
        created_at: now_ms(),
    };
    insert(c, &org).await?;
    Ok(org)
}

#[derive(Clone, Debug, Default)]
pub struct OrgFilter {
    pub kind: Option<OrgKind>,
    pub parent_id: Option<String>,
    pub status: Option<OrgStatus>,
    /// Part of the name (the registry's search box).
    pub name_contains: Option<String>,
    pub school_type: Option<xueshi_domain::SchoolType>,
    /// Organisations of this district (itself included).
    pub district_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Lists the organisations in `scope`, by id (ids are time-ordered uuids).
pub async fn list(c: &mut AnyConnection, scope: &Scope, f: &OrgFilter) -> StoreResult<Page<Org>> {
    let limit = clamp_limit(f.limit);
    let mut q = Sql::new(format!("SELECT {ORG_COLUMNS} FROM orgs WHERE 1 = 1"));
    match scope {
        Scope::All => {}
        Scope::District(d) => {
            q.push(" AND (kind = ")
                .bind_code(OrgKind::City)
                .push(" OR id = ")
                .bind(d.as_str());
            q.push(" OR (district_id = ")
                .bind(d.as_str())
                .push(" AND city_affiliated = 0))");
        }
        Scope::School(s) | Scope::Provider(s) => {
            q.push(" AND (kind = ")
                .bind_code(OrgKind::City)
                .push(" OR id = ")
                .bind(s.as_str());
            q.push(" OR id = (SELECT district_id FROM orgs o2 WHERE o2.id = ")
                .bind(s.as_str());
            q.push("))");
        }
        Scope::Nothing => {
            q.push(" AND 1 = 0");
        }
        Scope::Teacher(t) => {
            q.push(" AND (kind = ")
                .bind_code(OrgKind::City)
                .push(" OR id IN (SELECT school_id FROM teachers WHERE id = ")
                .bind(t.as_str())
                .push(") OR id IN (SELECT o2.district_id FROM orgs o2 JOIN teachers t ");
            q.push("ON t.school_id = o2.id WHERE t.id = ")
                .bind(t.as_str())
                .push("))");
        }
    }
    if let Some(kind) = f.kind {
        q.push(" AND kind = ").bind(kind.as_str());
    }
    if let Some(parent) = &f.parent_id {
        q.push(" AND parent_id = ").bind(parent.as_str());
    }
    if let Some(status) = f.status {
        q.push(" AND status = ").bind(status.as_str());
    }
    if let Some(part) = f.name_contains.as_deref().filter(|p| !p.is_empty()) {
        // A literal part: the pattern's own wildcards are escaped.
        let escaped = part
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        q.push(" AND name LIKE ")
            .bind(format!("%{escaped}%"))
            .push(" ESCAPE '\\'");
    }
    if let Some(t) = f.school_type {
        q.push(" AND school_type = ").bind(t.as_str());
    }
    if let Some(d) = &f.district_id {
        q.push(" AND district_id = ").bind(d.as_str());
    }
    if let Some(cursor) = &f.cursor {
        q.push(" AND id > ").bind(cursor.as_str());
    }
    q.push(" ORDER BY id LIMIT ").bind(limit + 1);
    let rows = q.fetch_all(c).await?;
    let mut items = rows
        .iter()
        .map(read::<Org>)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(page(&mut items, limit, |o| o.id.clone()))
}

pub(crate) fn page<T>(items: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Page<T> {
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(key)
    } else {
        None
    };
    Page {
        items: std::mem::take(items),
        next_cursor,
    }
}

pub async fn update(
    c: &mut AnyConnection,
    id: &str,
    name: &str,
    status: OrgStatus,
) -> StoreResult<()> {
    let mut q = Sql::new("UPDATE orgs SET name = ");
    q.bind(name).push(", status = ").bind(status.as_str());
    q.push(", updated_at = ")
        .bind(now_ms())
        .push(" WHERE id = ")
        .bind(id);
    match q.execute(c).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Finds a sibling with the same kind and name, for a duplicate answer that names it.
pub async fn find_sibling(
    c: &mut AnyConnection,
    parent_id: Option<&str>,
    kind: OrgKind,
    name: &str,
) -> StoreResult<Option<String>> {
    let mut q = Sql::new("SELECT id FROM orgs WHERE COALESCE(parent_id, '') = ");
    q.bind(parent_id.unwrap_or(""))
        .push(" AND kind = ")
        .bind(kind.as_str());
    q.push(" AND name = ").bind(name);
    Ok(q.fetch_optional(c).await?.map(|r| sqlx::Row::get(&r, "id")))
}

/// Organisations by id, fetched in chunks.
pub async fn get_many(c: &mut AnyConnection, ids: &[String]) -> StoreResult<Vec<Org>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let mut q = Sql::new(format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id IN ("));
        q.bind_all(chunk.iter().map(|id| id.as_str()));
        q.push(")");
        for row in q.fetch_all(c).await? {
            found.push(read::<Org>(&row)?);
        }
    }
    Ok(found)
}
