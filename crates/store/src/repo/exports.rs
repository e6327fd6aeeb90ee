//! Row sources of the lists people download: the private-school allowance list, the
//! provincial export of verified hours, and the teachers a provincial roster is checked
//! against. Each reads in keyset pages so a city-sized list never sits in one result set.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xueshi_domain::{Hours, Ownership, SchoolType, TeacherStatus, allowance};

use super::reports::{Reach, push_reach};
use super::sql::Sql;
use crate::StoreResult;
use crate::sealed::open_field;
use xueshi_vault::Vault;

/// A teacher of a private compulsory-education school and the previous year's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowanceRow {
    pub teacher_id: String,
    pub name: String,
    pub id_number: String,
    pub school_id: String,
    pub school_name: String,
    pub ownership: Ownership,
    pub school_type: SchoolType,
    /// `None` when the previous year holds no result for the teacher.
    pub previous_passed: Option<bool>,
}

/// Active teachers the allowance covers (`domain::allowance::covers`) within `reach`, by id.
pub async fn allowance(
    c: &mut AnyConnection,
    v: &Vault,
    previous_year: i32,
    reach: &Reach<'_>,
    cursor: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<AllowanceRow>> {
    let mut q = Sql::new(
        "SELECT t.id, t.name, t.id_number, t.school_id, s.name AS school_name, s.ownership, \
         s.school_type, CAST(v.passed AS BIGINT) AS passed FROM teachers t JOIN orgs s ON s.id = t.school_id \
         LEFT JOIN verification_results v ON v.teacher_id = t.id AND v.year = ",
    );
    q.bind(previous_year as i64);
    q.push(" WHERE t.status = ")
        .bind_code(TeacherStatus::Active)
        .push(" AND s.ownership = ")
        .bind_code(Ownership::Private)
        .push(" AND s.school_type IN ")
        .bind_codes(allowance::COMPULSORY_SCHOOL_TYPES.iter().copied());
    push_reach(&mut q, "t.school_id", reach);
    if let Some(cursor) = cursor {
        q.push(" AND t.id > ").bind(cursor);
    }
    q.push(" ORDER BY t.id LIMIT ").bind(limit);
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            Ok(AllowanceRow {
                teacher_id: row.try_get("id")?,
                name: row.try_get("name")?,
                id_number: opened_id_number(v, row, "id")?,
                school_id: row.try_get("school_id")?,
                school_name: row.try_get("school_name")?,
                ownership: row.try_get("ownership")?,
                school_type: row.try_get("school_type")?,
                previous_passed: row.try_get::<Option<i64>, _>("passed")?.map(|p| p != 0),
            })
        })
        .collect()
}

/// One line of the provincial export: a verified result with the teacher's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvincialRow {
    pub teacher_id: String,
    pub name: String,
    /// Full: the province matches on it.
    pub id_number: String,
    pub school_id: String,
    pub school_name: String,
    pub public: Hours,
    pub professional: Hours,
    pub elective: Hours,
    pub total: Hours,
    pub passed: bool,
}

/// Verified results of `year` within `reach`, by school then teacher, after `after`.
pub async fn provincial(
    c: &mut AnyConnection,
    v: &Vault,
    year: i32,
    reach: &Reach<'_>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> StoreResult<Vec<ProvincialRow>> {
    let mut q = Sql::new(
        "SELECT v.teacher_id, v.school_id, t.name, t.id_number, s.name AS school_name, \
         CAST(v.public_hours AS BIGINT) AS pub, CAST(v.professional_hours AS BIGINT) AS prof, \
         CAST(v.elective_hours AS BIGINT) AS elec, CAST(v.total_hours AS BIGINT) AS total, \
         CAST(v.passed AS BIGINT) AS passed FROM verification_results v \
         JOIN teachers t ON t.id = v.teacher_id JOIN orgs s ON s.id = v.school_id WHERE v.year = ",
    );
    q.bind(year as i64);
    push_reach(&mut q, "v.school_id", reach);
    if let Some((school, teacher)) = after {
        q.push(" AND (v.school_id > ").bind(school);
        q.push(" OR (v.school_id = ").bind(school);
        q.push(" AND v.teacher_id > ").bind(teacher).push("))");
    }
    q.push(" ORDER BY v.school_id, v.teacher_id LIMIT ")
        .bind(limit);
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            Ok(ProvincialRow {
                teacher_id: row.try_get("teacher_id")?,
                name: row.try_get("name")?,
                id_number: opened_id_number(v, row, "teacher_id")?,
                school_id: row.try_get("school_id")?,
                school_name: row.try_get("school_name")?,
                public: row.try_get("pub")?,
                professional: row.try_get("prof")?,
                elective: row.try_get("elec")?,
                total: row.try_get("total")?,
                passed: row.try_get::<i64, _>("passed")? != 0,
            })
        })
        .collect()
}

/// A teacher as a roster check needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterTeacher {
    pub teacher_id: String,
    pub name: String,
    pub id_number: String,
    pub school_id: String,
    pub school_name: String,
}

/// Active teachers within `reach`, by id, after `cursor`.
pub async fn teachers(
    c: &mut AnyConnection,
    v: &Vault,
    reach: &Reach<'_>,
    cursor: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<RosterTeacher>> {
    let mut q = Sql::new(
        "SELECT t.id, t.name, t.id_number, t.school_id, s.name AS school_name FROM teachers t \
         JOIN orgs s ON s.id = t.school_id WHERE t.status = ",
    );
    q.bind_code(TeacherStatus::Active);
    push_reach(&mut q, "t.school_id", reach);
    if let Some(cursor) = cursor {
        q.push(" AND t.id > ").bind(cursor);
    }
    q.push(" ORDER BY t.id LIMIT ").bind(limit);
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            Ok(RosterTeacher {
                teacher_id: row.try_get("id")?,
                name: row.try_get("name")?,
                id_number: opened_id_number(v, row, "id")?,
                school_id: row.try_get("school_id")?,
                school_name: row.try_get("school_name")?,
            })
        })
        .collect()
}

/// The row's ID number opened; `id_column` names the teacher's id in the row.
fn opened_id_number(v: &Vault, row: &AnyRow, id_column: &str) -> StoreResult<String> {
    let teacher_id: String = row.try_get(id_column)?;
    open_field(
        v,
        &teacher_id,
        "id_number",
        &row.try_get::<String, _>("id_number")?,
    )
}
