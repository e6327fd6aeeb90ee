//! Rows as the store returns them. Enums are parsed on the way out, so a bad stored value
//! is a `Corrupt` error rather than a surprise further up.

use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;
use xueshi_domain::{OrgKind, OrgStatus, Ownership, Role, SchoolType, TeacherStatus};

use crate::{StoreError, StoreResult};

pub(crate) fn parse<T: FromStr>(value: &str, column: &str) -> StoreResult<T> {
    value
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} = {value:?}")))
}

fn opt_parse<T: FromStr>(value: Option<String>, column: &str) -> StoreResult<Option<T>> {
    value.map(|v| parse(&v, column)).transpose()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    pub parent_id: Option<String>,
    /// The district this organisation belongs to (itself for a district).
    pub district_id: Option<String>,
    pub ownership: Option<Ownership>,
    pub school_type: Option<SchoolType>,
    pub city_affiliated: bool,
    pub status: OrgStatus,
    pub created_at: i64,
}

pub(crate) const ORG_COLUMNS: &str = "id, name, kind, parent_id, district_id, ownership, \
    school_type, city_affiliated, status, created_at";

impl Org {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Org> {
        Ok(Org {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            kind: parse(&row.try_get::<String, _>("kind")?, "orgs.kind")?,
            parent_id: row.try_get("parent_id")?,
            district_id: row.try_get("district_id")?,
            ownership: opt_parse(row.try_get("ownership")?, "orgs.ownership")?,
            school_type: opt_parse(row.try_get("school_type")?, "orgs.school_type")?,
            city_affiliated: row.try_get::<i64, _>("city_affiliated")? != 0,
            status: parse(&row.try_get::<String, _>("status")?, "orgs.status")?,
            created_at: row.try_get("created_at")?,
        })
    }

    pub fn place(&self) -> xueshi_domain::authz::OrgPlace {
        xueshi_domain::authz::OrgPlace {
            id: self.id.clone(),
            kind: self.kind,
            parent_id: self.parent_id.clone(),
            district_id: self.district_id.clone(),
            city_affiliated: self.city_affiliated,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == OrgStatus::Active
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub org_id: String,
    pub teacher_id: Option<String>,
    pub created_at: i64,
}

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.username, u.password_hash, u.role, u.org_id, u.teacher_id, u.created_at";

impl User {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<User> {
        Ok(User {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            password_hash: row.try_get("password_hash")?,
            role: parse(&row.try_get::<String, _>("role")?, "users.role")?,
            org_id: row.try_get("org_id")?,
            teacher_id: row.try_get("teacher_id")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Teacher {
    pub id: String,
    pub name: String,
    pub id_number: String,
    pub school_id: String,
    pub phone: Option<String>,
    pub status: TeacherStatus,
    /// The business date the teacher left, when departed.
    pub departed_on: Option<String>,
    pub created_at: i64,
    pub user_id: Option<String>,
}

pub(crate) const TEACHER_COLUMNS: &str = "t.id, t.name, t.id_number, t.school_id, t.phone, \
    t.status, t.departed_on, t.created_at, (SELECT u.id FROM users u WHERE u.teacher_id = t.id) AS user_id";

impl Teacher {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Teacher> {
        Ok(Teacher {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            id_number: row.try_get("id_number")?,
            school_id: row.try_get("school_id")?,
            phone: row.try_get("phone")?,
            status: parse(&row.try_get::<String, _>("status")?, "teachers.status")?,
            departed_on: row.try_get("departed_on")?,
            created_at: row.try_get("created_at")?,
            user_id: row.try_get("user_id")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
    pub district_id: Option<String>,
    pub school_id: Option<String>,
}

impl AuditEntry {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<AuditEntry> {
        let detail: String = row.try_get("detail")?;
        Ok(AuditEntry {
            id: row.try_get("id")?,
            at: row.try_get("at")?,
            actor_id: row.try_get("actor_id")?,
            action: row.try_get("action")?,
            target_type: row.try_get("target_type")?,
            target_id: row.try_get("target_id")?,
            ip: row.try_get("ip")?,
            detail: serde_json::from_str(&detail)
                .map_err(|e| StoreError::Corrupt(format!("audit_log.detail: {e}")))?,
            district_id: row.try_get("district_id")?,
            school_id: row.try_get("school_id")?,
        })
    }
}

/// A page of a keyset-paginated list.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
