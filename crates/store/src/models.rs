//! Rows as the store returns them. Enums are parsed on the way out, so a bad stored value
//! is a `Corrupt` error rather than a surprise further up.

use std::str::FromStr;

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};
use xueshi_domain::{
    ActivityType, Category, Decision, DeclarationStatus, Hours, OrgKind, OrgStatus, Ownership,
    ReasonCode, RecordStatus, ReviewLevel, Role, SchoolType, Source, TeacherStatus,
};

use xueshi_vault::Vault;

use crate::{StoreError, StoreResult, sealed};

/// A row as its model: the columns by name, domain values decoded by their own types
/// (`xueshi_domain`'s feature `sqlx`), so a stored value they refuse is `Corrupt`.
pub(crate) fn read<T: for<'r> FromRow<'r, AnyRow>>(row: &AnyRow) -> StoreResult<T> {
    Ok(T::from_row(row)?)
}

/// A 0/1 column read as a `bool` (SQLite has no boolean; both backends store integers).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Flag(bool);

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Flag(<i64 as sqlx::Decode<sqlx::Any>>::decode(value)? != 0))
    }
}

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

pub(crate) fn parse<T: FromStr>(value: &str, column: &str) -> StoreResult<T> {
    value
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} = {value:?}")))
}

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    pub parent_id: Option<String>,
    /// The district this organisation belongs to (itself for a district).
    pub district_id: Option<String>,
    pub ownership: Option<Ownership>,
    pub school_type: Option<SchoolType>,
    #[sqlx(try_from = "Flag")]
    pub city_affiliated: bool,
    pub status: OrgStatus,
    pub created_at: i64,
}

pub(crate) const ORG_COLUMNS: &str = "id, name, kind, parent_id, district_id, ownership, \
    school_type, city_affiliated, status, created_at";

impl Org {
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
    /// The name the user logs in with: a teacher's ID number, opened from the teacher's row.
    pub username: String,
    /// What `users.username` stores and lockouts count by (see [`crate::sealed::login_key`]).
    pub login: String,
    pub password_hash: String,
    pub role: Role,
    pub org_id: String,
    pub teacher_id: Option<String>,
    pub created_at: i64,
    /// Someone else chose the password (creation, reset): the next login must change it.
    pub must_change_password: bool,
}

pub(crate) const USER_COLUMNS: &str = "u.id, u.username, u.password_hash, u.role, u.org_id, \
    u.teacher_id, u.created_at, u.must_change_password, \
    (SELECT tn.id_number FROM teachers tn WHERE tn.id = u.teacher_id) AS teacher_id_number";

impl User {
    pub(crate) fn from_row(row: &AnyRow, v: &Vault) -> StoreResult<User> {
        let login: String = row.try_get("username")?;
        let teacher_id: Option<String> = row.try_get("teacher_id")?;
        let sealed: Option<String> = row.try_get("teacher_id_number")?;
        let username = match (&teacher_id, sealed) {
            (Some(t), Some(sealed)) => sealed::open_field(v, t, "id_number", &sealed)?,
            _ => login.clone(),
        };
        Ok(User {
            id: row.try_get("id")?,
            username,
            login,
            password_hash: row.try_get("password_hash")?,
            role: row.try_get("role")?,
            org_id: row.try_get("org_id")?,
            teacher_id,
            created_at: row.try_get("created_at")?,
            must_change_password: row.try_get::<Flag, _>("must_change_password")?.into(),
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
    pub(crate) fn from_row(row: &AnyRow, v: &Vault) -> StoreResult<Teacher> {
        let id: String = row.try_get("id")?;
        let id_number =
            sealed::open_field(v, &id, "id_number", &row.try_get::<String, _>("id_number")?)?;
        let phone = row
            .try_get::<Option<String>, _>("phone")?
            .map(|p| sealed::open_field(v, &id, "phone", &p))
            .transpose()?;
        Ok(Teacher {
            id,
            name: row.try_get("name")?,
            id_number,
            school_id: row.try_get("school_id")?,
            phone,
            status: row.try_get("status")?,
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

/// A platform course (公需科目 topics and remote professional training).
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Course {
    pub id: String,
    pub title: String,
    pub year: i32,
    pub category: Category,
    pub activity_type: ActivityType,
    pub hours: Hours,
    pub owner_org_id: String,
    pub created_at: i64,
}

/// A training event whose organiser registers attendance.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Training {
    pub id: String,
    pub title: String,
    pub organizer_id: String,
    pub level: OrgKind,
    pub category: Category,
    pub activity_type: ActivityType,
    pub start_date: String,
    pub end_date: String,
    pub year: i32,
    pub hours: Hours,
    pub created_at: i64,
}

/// One line of the ledger (学时记录).
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Record {
    pub id: String,
    pub teacher_id: String,
    pub year: i32,
    pub category: Category,
    pub activity_type: ActivityType,
    pub title: String,
    pub hours: Hours,
    pub source: Source,
    pub status: RecordStatus,
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

/// A teacher's stored result of a year's verification (年度验证).
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct VerificationResult {
    pub year: i32,
    pub teacher_id: String,
    pub school_id: String,
    #[sqlx(rename = "public_hours")]
    pub public: Hours,
    /// Includes `carried_in`.
    #[sqlx(rename = "professional_hours")]
    pub professional: Hours,
    #[sqlx(rename = "elective_hours")]
    pub elective: Hours,
    pub carried_in: Hours,
    #[sqlx(rename = "total_hours")]
    pub total: Hours,
    #[sqlx(try_from = "Flag")]
    pub passed: bool,
    pub carry_out: Hours,
    pub computed_at: i64,
    /// Joined for lists.
    #[sqlx(default)]
    pub teacher_name: Option<String>,
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

/// A teacher's name and their current school as a new declaration copies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filing {
    pub teacher_name: String,
    pub school_id: String,
    pub district_id: Option<String>,
    pub city_affiliated: bool,
}

impl Filing {
    /// Files `d` under this school.
    pub fn apply_to(&self, d: &mut Declaration) {
        d.school_id = self.school_id.clone();
        d.district_id = self.district_id.clone();
        d.city_affiliated = self.city_affiliated;
    }
}

/// A teacher's declaration (个人申报) of study done through other channels.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Declaration {
    pub id: String,
    pub teacher_id: String,
    /// The teacher's current school (kept current on transfer) and its district.
    pub school_id: String,
    pub district_id: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub city_affiliated: bool,
    /// The credit year: the year of `end_date`.
    pub year: i32,
    pub category: Category,
    pub activity_type: ActivityType,
    pub title: String,
    pub title_normalized: String,
    pub organizer: String,
    pub start_date: String,
    pub end_date: String,
    pub hours: Hours,
    /// 核定学时: set by an approval, cleared when the teacher resubmits.
    pub approved_hours: Option<Hours>,
    pub status: DeclarationStatus,
    #[sqlx(try_from = "Flag")]
    pub foreign_certificate: bool,
    #[sqlx(try_from = "Flag")]
    pub certificate_states_hours: bool,
    pub submitted_at: Option<i64>,
    /// Orders the queues: the last submission, or the creation of a draft.
    pub queued_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The effective record made by the second-level approval.
    pub record_id: Option<String>,
    /// Joined when read: the teacher's name and the record's status.
    pub teacher_name: String,
    pub record_status: Option<RecordStatus>,
}

pub(crate) const DECLARATION_SELECT: &str = "SELECT d.id, d.teacher_id, d.school_id, \
    d.district_id, d.city_affiliated, d.year, d.category, d.activity_type, d.title, \
    d.title_normalized, d.organizer, d.start_date, d.end_date, d.hours, d.approved_hours, \
    d.status, d.foreign_certificate, d.certificate_states_hours, d.submitted_at, d.queued_at, \
    d.created_at, d.updated_at, d.record_id, t.name AS teacher_name, r.status AS record_status \
    FROM declarations d JOIN teachers t ON t.id = d.teacher_id \
    LEFT JOIN records r ON r.id = d.record_id";

/// An uploaded proof of a declaration (证明材料), stored content-addressed.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Evidence {
    pub id: String,
    pub declaration_id: String,
    /// `certificate | translation | hours_proof`
    pub kind: String,
    /// SHA-256 of the stored file (images without their metadata).
    pub sha256: String,
    /// SHA-256 of the file as uploaded, for the identical-file checks.
    pub original_sha256: String,
    pub phash: Option<String>,
    /// When the perceptual hash was computed (or found impossible); `None` while an image
    /// waits for the background hasher.
    pub phash_checked_at: Option<i64>,
    pub size: i64,
    pub content_type: String,
    pub storage_key: String,
    pub created_at: i64,
    /// When the file was read (证书识别); `None` while it waits, `Some(0)` when it is never
    /// to be read (reading was off when it came, or it predates reading).
    pub read_at: Option<i64>,
}

pub(crate) const EVIDENCE_COLUMNS: &str = "e.id, e.declaration_id, e.kind, e.sha256, \
    COALESCE(e.original_sha256, e.sha256) AS original_sha256, e.phash, e.phash_checked_at, \
    e.size, e.content_type, e.storage_key, e.created_at, e.read_at";

/// One review of a declaration (审核记录), at the school or the second level.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Review {
    pub id: String,
    pub declaration_id: String,
    pub level: ReviewLevel,
    pub decision: Decision,
    /// The hours approved (核定学时), for an approval.
    pub hours: Option<Hours>,
    pub reason_code: Option<ReasonCode>,
    pub comment: Option<String>,
    pub reviewer_id: String,
    pub at: i64,
    /// Joined when read: the reviewer's login name and organisation.
    pub reviewer_name: Option<String>,
    pub reviewer_org: Option<String>,
}

/// An in-app message to one user (站内通知).
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub target_id: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}
