//! Rows as the store returns them. Enums are parsed on the way out, so a bad stored value
//! is a `Corrupt` error rather than a surprise further up.

use std::str::FromStr;

use sqlx::Row;
use sqlx::any::AnyRow;
use xueshi_domain::{OrgKind, OrgStatus, Ownership, Role, SchoolType, TeacherStatus};

use xueshi_vault::Vault;

use crate::{StoreError, StoreResult, sealed};

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
            role: parse(&row.try_get::<String, _>("role")?, "users.role")?,
            org_id: row.try_get("org_id")?,
            teacher_id,
            created_at: row.try_get("created_at")?,
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    pub id: String,
    pub teacher_id: String,
    /// The teacher's current school (kept current on transfer) and its district.
    pub school_id: String,
    pub district_id: Option<String>,
    pub city_affiliated: bool,
    /// The credit year: the year of `end_date`.
    pub year: i32,
    pub category: xueshi_domain::Category,
    pub activity_type: xueshi_domain::ActivityType,
    pub title: String,
    pub title_normalized: String,
    pub organizer: String,
    pub start_date: String,
    pub end_date: String,
    pub hours: xueshi_domain::Hours,
    /// 核定学时: set by an approval, cleared when the teacher resubmits.
    pub approved_hours: Option<xueshi_domain::Hours>,
    pub status: xueshi_domain::DeclarationStatus,
    pub foreign_certificate: bool,
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
    pub record_status: Option<xueshi_domain::RecordStatus>,
}

pub(crate) const DECLARATION_SELECT: &str = "SELECT d.id, d.teacher_id, d.school_id, \
    d.district_id, d.city_affiliated, d.year, d.category, d.activity_type, d.title, \
    d.title_normalized, d.organizer, d.start_date, d.end_date, d.hours, d.approved_hours, \
    d.status, d.foreign_certificate, d.certificate_states_hours, d.submitted_at, d.queued_at, \
    d.created_at, d.updated_at, d.record_id, t.name AS teacher_name, r.status AS record_status \
    FROM declarations d JOIN teachers t ON t.id = d.teacher_id \
    LEFT JOIN records r ON r.id = d.record_id";

impl Declaration {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Declaration> {
        let approved: Option<i64> = row.try_get("approved_hours")?;
        Ok(Declaration {
            id: row.try_get("id")?,
            teacher_id: row.try_get("teacher_id")?,
            school_id: row.try_get("school_id")?,
            district_id: row.try_get("district_id")?,
            city_affiliated: row.try_get::<i64, _>("city_affiliated")? != 0,
            year: year(row)?,
            category: parse(
                &row.try_get::<String, _>("category")?,
                "declarations.category",
            )?,
            activity_type: parse(
                &row.try_get::<String, _>("activity_type")?,
                "declarations.activity_type",
            )?,
            title: row.try_get("title")?,
            title_normalized: row.try_get("title_normalized")?,
            organizer: row.try_get("organizer")?,
            start_date: row.try_get("start_date")?,
            end_date: row.try_get("end_date")?,
            hours: hours(row, "hours")?,
            approved_hours: match approved {
                Some(t) if t > 0 => Some(xueshi_domain::Hours::from_tenths(t)),
                Some(t) => return Err(StoreError::Corrupt(format!("approved_hours = {t}"))),
                None => None,
            },
            status: parse(&row.try_get::<String, _>("status")?, "declarations.status")?,
            foreign_certificate: row.try_get::<i64, _>("foreign_certificate")? != 0,
            certificate_states_hours: row.try_get::<i64, _>("certificate_states_hours")? != 0,
            submitted_at: row.try_get("submitted_at")?,
            queued_at: row.try_get("queued_at")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            record_id: row.try_get("record_id")?,
            teacher_name: row.try_get("teacher_name")?,
            record_status: opt_parse(row.try_get("record_status")?, "records.status")?,
        })
    }
}

/// An uploaded proof of a declaration (证明材料), stored content-addressed.
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

pub(crate) const EVIDENCE_COLUMNS: &str = "e.id, e.declaration_id, e.kind, e.sha256, \
    COALESCE(e.original_sha256, e.sha256) AS original_sha256, e.phash, e.phash_checked_at, e.size, e.content_type, e.storage_key, e.created_at";

impl Evidence {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Evidence> {
        Ok(Evidence {
            id: row.try_get("id")?,
            declaration_id: row.try_get("declaration_id")?,
            kind: row.try_get("kind")?,
            sha256: row.try_get("sha256")?,
            original_sha256: row.try_get("original_sha256")?,
            phash: row.try_get("phash")?,
            phash_checked_at: row.try_get("phash_checked_at")?,
            size: row.try_get("size")?,
            content_type: row.try_get("content_type")?,
            storage_key: row.try_get("storage_key")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// One review of a declaration (审核记录), at the school or the second level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    pub id: String,
    pub declaration_id: String,
    pub level: xueshi_domain::ReviewLevel,
    pub decision: xueshi_domain::Decision,
    /// The hours approved (核定学时), for an approval.
    pub hours: Option<xueshi_domain::Hours>,
    pub reason_code: Option<xueshi_domain::ReasonCode>,
    pub comment: Option<String>,
    pub reviewer_id: String,
    pub at: i64,
    /// Joined when read: the reviewer's login name and organisation.
    pub reviewer_name: Option<String>,
    pub reviewer_org: Option<String>,
}

fn review_level(value: &str) -> StoreResult<xueshi_domain::ReviewLevel> {
    use xueshi_domain::ReviewLevel;
    match value {
        "school" => Ok(ReviewLevel::School),
        "second" => Ok(ReviewLevel::Second),
        other => Err(StoreError::Corrupt(format!("reviews.level = {other:?}"))),
    }
}

fn decision(value: &str) -> StoreResult<xueshi_domain::Decision> {
    use xueshi_domain::Decision;
    match value {
        "approve" => Ok(Decision::Approve),
        "return" => Ok(Decision::Return),
        "reject" => Ok(Decision::Reject),
        other => Err(StoreError::Corrupt(format!("reviews.decision = {other:?}"))),
    }
}

impl Review {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Review> {
        let tenths: Option<i64> = row.try_get("hours")?;
        Ok(Review {
            id: row.try_get("id")?,
            declaration_id: row.try_get("declaration_id")?,
            level: review_level(&row.try_get::<String, _>("level")?)?,
            decision: decision(&row.try_get::<String, _>("decision")?)?,
            hours: tenths
                .filter(|t| *t >= 0)
                .map(xueshi_domain::Hours::from_tenths),
            reason_code: opt_parse(row.try_get("reason_code")?, "reviews.reason_code")?,
            comment: row.try_get("comment")?,
            reviewer_id: row.try_get("reviewer_id")?,
            at: row.try_get("at")?,
            reviewer_name: row.try_get("reviewer_name")?,
            reviewer_org: row.try_get("reviewer_org")?,
        })
    }
}

/// An in-app message to one user (站内通知).
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl Notification {
    pub(crate) fn from_row(row: &AnyRow) -> StoreResult<Notification> {
        Ok(Notification {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            kind: row.try_get("kind")?,
            title: row.try_get("title")?,
            body: row.try_get("body")?,
            target_id: row.try_get("target_id")?,
            created_at: row.try_get("created_at")?,
            read_at: row.try_get("read_at")?,
        })
    }
}
