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

fn hours(row: &AnyRow, column: &str) -> StoreResult<xueshi_domain::Hours> {
    let tenths: i64 = row.try_get(column)?;
    if tenths < 0 {
        return Err(StoreError::Corrupt(format!("{column} = {tenths}")));
    }
    Ok(xueshi_domain::Hours::from_tenths(tenths))
}

fn year(row: &AnyRow) -> StoreResult<i32> {
    let y: i64 = row.try_get("year")?;
    i32::try_from(y).map_err(|_| StoreError::Corrupt(format!("year = {y}")))
}

/// A platform course (公需科目 topics and remote professional training).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Course {
    pub id: String,
    pub title: String,
    pub year: i32,
    pub category: xueshi_domain::Category,
    pub activity_type: xueshi_domain::ActivityType,
    pub hours: xueshi_domain::Hours,
    pub owner_org_id: String,
    pub created_at: i64,
}

impl Course {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Course> {
        Ok(Course {
            id: row.try_get("id")?,
            title: row.try_get("title")?,
            year: year(row)?,
            category: parse(&row.try_get::<String, _>("category")?, "courses.category")?,
            activity_type: parse(
                &row.try_get::<String, _>("activity_type")?,
                "courses.activity_type",
            )?,
            hours: hours(row, "hours")?,
            owner_org_id: row.try_get("owner_org_id")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// A training event whose organiser registers attendance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Training {
    pub id: String,
    pub title: String,
    pub organizer_id: String,
    pub level: OrgKind,
    pub category: xueshi_domain::Category,
    pub activity_type: xueshi_domain::ActivityType,
    pub start_date: String,
    pub end_date: String,
    pub year: i32,
    pub hours: xueshi_domain::Hours,
    pub created_at: i64,
}

impl Training {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Training> {
        Ok(Training {
            id: row.try_get("id")?,
            title: row.try_get("title")?,
            organizer_id: row.try_get("organizer_id")?,
            level: parse(&row.try_get::<String, _>("level")?, "trainings.level")?,
            category: parse(&row.try_get::<String, _>("category")?, "trainings.category")?,
            activity_type: parse(
                &row.try_get::<String, _>("activity_type")?,
                "trainings.activity_type",
            )?,
            start_date: row.try_get("start_date")?,
            end_date: row.try_get("end_date")?,
            year: year(row)?,
            hours: hours(row, "hours")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// One line of the ledger (学时记录).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub teacher_id: String,
    pub year: i32,
    pub category: xueshi_domain::Category,
    pub activity_type: xueshi_domain::ActivityType,
    pub title: String,
    pub hours: xueshi_domain::Hours,
    pub source: xueshi_domain::Source,
    pub status: xueshi_domain::RecordStatus,
    pub course_id: Option<String>,
    pub training_id: Option<String>,
    pub declaration_id: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub revoke_reason: Option<String>,
}

pub(crate) const RECORD_COLUMNS: &str = "id, teacher_id, year, category, activity_type, title, \
    hours, source, status, course_id, training_id, declaration_id, start_date, end_date, \
    created_by, created_at, revoke_reason";

impl Record {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Record> {
        Ok(Record {
            id: row.try_get("id")?,
            teacher_id: row.try_get("teacher_id")?,
            year: year(row)?,
            category: parse(&row.try_get::<String, _>("category")?, "records.category")?,
            activity_type: parse(
                &row.try_get::<String, _>("activity_type")?,
                "records.activity_type",
            )?,
            title: row.try_get("title")?,
            hours: hours(row, "hours")?,
            source: parse(&row.try_get::<String, _>("source")?, "records.source")?,
            status: parse(&row.try_get::<String, _>("status")?, "records.status")?,
            course_id: row.try_get("course_id")?,
            training_id: row.try_get("training_id")?,
            declaration_id: row.try_get("declaration_id")?,
            start_date: row.try_get("start_date")?,
            end_date: row.try_get("end_date")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
            revoke_reason: row.try_get("revoke_reason")?,
        })
    }
}

/// A teacher's stored result of a year's verification (年度验证).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationResult {
    pub year: i32,
    pub teacher_id: String,
    pub school_id: String,
    pub public: xueshi_domain::Hours,
    /// Includes `carried_in`.
    pub professional: xueshi_domain::Hours,
    pub elective: xueshi_domain::Hours,
    pub carried_in: xueshi_domain::Hours,
    pub total: xueshi_domain::Hours,
    pub passed: bool,
    pub carry_out: xueshi_domain::Hours,
    pub computed_at: i64,
    /// Joined for lists.
    pub teacher_name: Option<String>,
}

impl VerificationResult {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<VerificationResult> {
        Ok(VerificationResult {
            year: year(row)?,
            teacher_id: row.try_get("teacher_id")?,
            school_id: row.try_get("school_id")?,
            public: hours(row, "public_hours")?,
            professional: hours(row, "professional_hours")?,
            elective: hours(row, "elective_hours")?,
            carried_in: hours(row, "carried_in")?,
            total: hours(row, "total_hours")?,
            passed: row.try_get::<i64, _>("passed")? != 0,
            carry_out: hours(row, "carry_out")?,
            computed_at: row.try_get("computed_at")?,
            teacher_name: row.try_get("teacher_name").ok(),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub progress: i64,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
}

impl Job {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Job> {
        let result: Option<String> = row.try_get("result")?;
        Ok(Job {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            status: row.try_get("status")?,
            progress: row.try_get("progress")?,
            result: result.and_then(|r| serde_json::from_str(&r).ok()),
            error: row.try_get("error")?,
        })
    }
}
