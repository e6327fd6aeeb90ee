//! School applications (学校注册申请): a school not on the platform applies, its district (or
//! the city) decides. The contact phone is sealed under its row's own context; at most one
//! application per name is pending in a district (a partial unique index).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xueshi_domain::authz::Scope;
use xueshi_domain::{Ownership, SchoolApplicationStatus, SchoolType};

use super::scope::{District, Placement};
use super::sql::Sql;
use super::{clamp_limit, keyset_page};
use crate::models::Page;
use crate::{StoreError, StoreResult, Vault};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolApplication {
    pub id: String,
    pub name: String,
    pub district_id: String,
    /// Joined: the district's name.
    pub district_name: String,
    pub ownership: Ownership,
    pub school_type: SchoolType,
    pub contact_name: String,
    /// Opened from its sealed form.
    pub contact_phone: String,
    pub admin_username: String,
    pub status: SchoolApplicationStatus,
    pub applied_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
    pub school_id: Option<String>,
}

fn context(id: &str) -> String {
    format!("school_applications.contact_phone:{id}")
}

impl SchoolApplication {
    fn from_row(v: &Vault, row: &AnyRow) -> StoreResult<SchoolApplication> {
        let id: String = row.try_get("id")?;
        let sealed: String = row.try_get("contact_phone")?;
        let contact_phone = v.open(&context(&id), &sealed).map_err(|e| {
            StoreError::Corrupt(format!("school_applications.contact_phone of {id}: {e}"))
        })?;
        Ok(SchoolApplication {
            name: row.try_get("name")?,
            district_id: row.try_get("district_id")?,
            district_name: row.try_get("district_name")?,
            ownership: row.try_get("ownership")?,
            school_type: row.try_get("school_type")?,
            contact_name: row.try_get("contact_name")?,
            contact_phone,
            admin_username: row.try_get("admin_username")?,
            status: row.try_get("status")?,
            applied_at: row.try_get("applied_at")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            decision_reason: row.try_get("decision_reason")?,
            school_id: row.try_get("school_id")?,
            id,
        })
    }
}

const SELECT: &str = "SELECT a.id, a.name, a.district_id, d.name AS district_name, a.ownership, \
    a.school_type, a.contact_name, a.contact_phone, a.admin_username, a.status, a.applied_at, \
    a.decided_by, a.decided_at, a.decision_reason, a.school_id FROM school_applications a \
    JOIN orgs d ON d.id = a.district_id WHERE 1 = 1";

/// Files a pending application; another pending one of the same name in the district is
/// `StoreError::Unique`.
pub async fn insert(c: &mut AnyConnection, v: &Vault, a: &SchoolApplication) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO school_applications (id, name, district_id, ownership, school_type, \
         contact_name, contact_phone, admin_username, status, applied_at) VALUES (",
    );
    q.bind(a.id.as_str()).push(", ");
    q.bind(a.name.as_str()).push(", ");
    q.bind(a.district_id.as_str()).push(", ");
    q.bind(a.ownership.as_str()).push(", ");
    q.bind(a.school_type.as_str()).push(", ");
    q.bind(a.contact_name.as_str()).push(", ");
    q.bind(v.seal(&context(&a.id), &a.contact_phone)).push(", ");
    q.bind(a.admin_username.as_str()).push(", ");
    q.bind(a.status.as_str()).push(", ");
    q.bind(a.applied_at).push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn get(
    c: &mut AnyConnection,
    v: &Vault,
    id: &str,
) -> StoreResult<Option<SchoolApplication>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND a.id = ").bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| SchoolApplication::from_row(v, &r))
        .transpose()
}

/// How many applications wait in a district: the public form stops taking more past a bound,
/// so that nobody can fill the table.
pub async fn pending_in(c: &mut AnyConnection, district_id: &str) -> StoreResult<i64> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM school_applications WHERE district_id = ");
    q.bind(district_id).push(" AND status = ");
    q.bind(SchoolApplicationStatus::Pending.as_str());
    count(c, q).await
}

/// Whether an application for a school of this name waits in the district.
pub async fn name_pending(
    c: &mut AnyConnection,
    district_id: &str,
    name: &str,
) -> StoreResult<bool> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM school_applications WHERE district_id = ");
    q.bind(district_id).push(" AND name = ").bind(name);
    q.push(" AND status = ")
        .bind(SchoolApplicationStatus::Pending.as_str());
    Ok(count(c, q).await? > 0)
}

/// Whether a pending application already names this administrator username.
pub async fn username_pending(c: &mut AnyConnection, username: &str) -> StoreResult<bool> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM school_applications WHERE admin_username = ");
    q.bind(username).push(" AND status = ");
    q.bind(SchoolApplicationStatus::Pending.as_str());
    Ok(count(c, q).await? > 0)
}

/// Closes a pending application, recording the school an approval created; `false` when it
/// was decided in between.
pub async fn close(
    c: &mut AnyConnection,
    id: &str,
    status: SchoolApplicationStatus,
    by: &str,
    at: i64,
    reason: Option<&str>,
    school_id: Option<&str>,
) -> StoreResult<bool> {
    let mut q = Sql::new("UPDATE school_applications SET status = ");
    q.bind(status.as_str()).push(", decided_by = ").bind(by);
    q.push(", decided_at = ").bind(at);
    q.push(", decision_reason = ").bind(reason);
    q.push(", school_id = ").bind(school_id);
    q.push(" WHERE id = ").bind(id);
    q.push(" AND status = ")
        .bind(SchoolApplicationStatus::Pending.as_str());
    Ok(q.execute(c).await? == 1)
}

#[derive(Clone, Debug, Default)]
pub struct ApplicationFilter {
    pub status: Option<SchoolApplicationStatus>,
    pub district_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Restricts to the applications `scope` decides: a district's own, the city's all.
fn push_scope(q: &mut Sql, scope: &Scope) {
    let applied_to = Placement {
        district: District::Column("a.district_id"),
        ..Placement::default()
    };
    super::scope::push_scope(q, scope, &[applied_to]);
}

/// Applications in the scope, oldest first (the order they are decided in).
pub async fn list(
    c: &mut AnyConnection,
    v: &Vault,
    scope: &Scope,
    f: &ApplicationFilter,
) -> StoreResult<Page<SchoolApplication>> {
    let limit = clamp_limit(f.limit);
    let mut q = Sql::new(SELECT);
    push_scope(&mut q, scope);
    if let Some(status) = f.status {
        q.push(" AND a.status = ").bind(status.as_str());
    }
    if let Some(district) = &f.district_id {
        q.push(" AND a.district_id = ").bind(district.as_str());
    }
    if let Some(cursor) = &f.cursor {
        q.push(" AND a.id > ").bind(cursor.as_str());
    }
    q.push(" ORDER BY a.id LIMIT ").bind(limit + 1);
    let rows = q.fetch_all(c).await?;
    let items = rows
        .iter()
        .map(|r| SchoolApplication::from_row(v, r))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(keyset_page(items, limit, |a| a.id.clone()))
}

/// Pending applications the scope decides (the home page's to-do).
pub async fn awaiting_decision(c: &mut AnyConnection, scope: &Scope) -> StoreResult<i64> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM school_applications a WHERE a.status = ");
    q.bind(SchoolApplicationStatus::Pending.as_str());
    push_scope(&mut q, scope);
    count(c, q).await
}

async fn count(c: &mut AnyConnection, q: Sql) -> StoreResult<i64> {
    Ok(match q.fetch_optional(c).await? {
        Some(row) => row.try_get::<i64, _>("n")?,
        None => 0,
    })
}
