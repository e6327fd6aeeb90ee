//! What the latest check against the provincial roster found for each teacher: not known to
//! the province by ID number, or known under another name. A check replaces the findings of
//! the teachers it looked at; a correction of the teacher's name or ID number clears theirs.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};
use xueshi_domain::{CorrectionStatus, TeacherStatus};

use super::reports::{Reach, push_reach};
use super::sql::Sql;
use crate::sealed::open_field;
use crate::{StoreError, StoreResult, Vault};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKind {
    NotRegistered,
    NameMismatch,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::NotRegistered => "not_registered",
            FindingKind::NameMismatch => "name_mismatch",
        }
    }

    fn parse(code: &str) -> StoreResult<FindingKind> {
        match code {
            "not_registered" => Ok(FindingKind::NotRegistered),
            "name_mismatch" => Ok(FindingKind::NameMismatch),
            other => Err(StoreError::Corrupt(format!(
                "reconciliation finding {other}"
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub teacher_id: String,
    pub kind: FindingKind,
    pub provincial_name: Option<String>,
    pub found_at: i64,
    pub reminded_at: Option<i64>,
}

fn finding(row: &sqlx::any::AnyRow) -> StoreResult<Finding> {
    Ok(Finding {
        teacher_id: row.try_get("teacher_id")?,
        kind: FindingKind::parse(&row.try_get::<String, _>("finding")?)?,
        provincial_name: row.try_get("provincial_name")?,
        found_at: row.try_get("found_at")?,
        reminded_at: row.try_get("reminded_at")?,
    })
}

/// Replaces the findings of `checked` teachers with `found` (a subset of them).
pub async fn replace(
    c: &mut AnyConnection,
    checked: &[String],
    found: &[Finding],
) -> StoreResult<()> {
    for ids in checked.chunks(500) {
        let mut q = Sql::new("DELETE FROM reconciliation_findings WHERE teacher_id IN (");
        q.bind_all(ids.iter().map(|id| id.as_str()));
        q.push(")");
        q.execute(c).await?;
    }
    for rows in found.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO reconciliation_findings (teacher_id, finding, provincial_name, \
             found_at) VALUES ",
        );
        for (i, f) in rows.iter().enumerate() {
            q.push(if i > 0 { ", (" } else { "(" });
            q.bind(f.teacher_id.as_str()).push(", ");
            q.bind(f.kind.as_str()).push(", ");
            q.bind(f.provincial_name.clone()).push(", ");
            q.bind(f.found_at).push(")");
        }
        q.execute(c).await?;
    }
    Ok(())
}

pub async fn get(c: &mut AnyConnection, teacher_id: &str) -> StoreResult<Option<Finding>> {
    let mut q = Sql::new("SELECT * FROM reconciliation_findings WHERE teacher_id = ");
    q.bind(teacher_id);
    q.fetch_optional(c).await?.as_ref().map(finding).transpose()
}

/// The findings of these teachers, by teacher.
pub async fn for_teachers(
    c: &mut AnyConnection,
    ids: &[String],
) -> StoreResult<HashMap<String, Finding>> {
    let mut out = HashMap::new();
    for ids in ids.chunks(500) {
        let mut q = Sql::new("SELECT * FROM reconciliation_findings WHERE teacher_id IN (");
        q.bind_all(ids.iter().map(|id| id.as_str()));
        q.push(")");
        for row in q.fetch_all(c).await? {
            let f = finding(&row)?;
            out.insert(f.teacher_id.clone(), f);
        }
    }
    Ok(out)
}

/// Records a reminder unless one was sent since `not_before`; `false` when one was.
pub async fn mark_reminded(
    c: &mut AnyConnection,
    teacher_id: &str,
    at: i64,
    not_before: i64,
) -> StoreResult<bool> {
    let mut q = Sql::new("UPDATE reconciliation_findings SET reminded_at = ");
    q.bind(at).push(" WHERE teacher_id = ").bind(teacher_id);
    q.push(" AND (reminded_at IS NULL OR reminded_at < ")
        .bind(not_before)
        .push(")");
    Ok(q.execute(c).await? == 1)
}

/// Forgets the teacher's finding: their name or ID number was just corrected.
pub async fn clear(c: &mut AnyConnection, teacher_id: &str) -> StoreResult<()> {
    let mut q = Sql::new("DELETE FROM reconciliation_findings WHERE teacher_id = ");
    q.bind(teacher_id);
    q.execute(c).await?;
    Ok(())
}

/// A finding with what the list shows beside it.
#[derive(Clone, Debug)]
pub struct FindingRow {
    pub finding: Finding,
    pub name: String,
    pub id_number: String,
    pub school_name: String,
    /// The teacher has a correction request waiting.
    pub correction_pending: bool,
}

/// The findings of active teachers within `reach`, by school then name, at most `limit`;
/// and how many there are in all.
pub async fn list(
    c: &mut AnyConnection,
    v: &Vault,
    reach: &Reach<'_>,
    limit: i64,
) -> StoreResult<(Vec<FindingRow>, i64)> {
    let from = |q: &mut Sql| {
        q.push(
            " FROM reconciliation_findings f JOIN teachers t ON t.id = f.teacher_id \
             JOIN orgs s ON s.id = t.school_id WHERE t.status = ",
        )
        .bind_code(TeacherStatus::Active);
        push_reach(q, "t.school_id", reach);
    };
    let mut q = Sql::new("SELECT COUNT(*) AS n");
    from(&mut q);
    let total: i64 = q.query().fetch_one(&mut *c).await?.try_get("n")?;
    let mut q = Sql::new(
        "SELECT f.*, t.name, t.id_number, s.name AS school_name, (SELECT COUNT(*) FROM \
         correction_requests r WHERE r.teacher_id = t.id AND r.status = ",
    );
    q.bind_code(CorrectionStatus::Pending).push(") AS pending");
    from(&mut q);
    q.push(" ORDER BY s.name, t.name, t.id LIMIT ").bind(limit);
    let rows = q
        .fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            let teacher_id: String = row.try_get("teacher_id")?;
            let sealed: String = row.try_get("id_number")?;
            Ok(FindingRow {
                finding: finding(row)?,
                name: row.try_get("name")?,
                id_number: open_field(v, &teacher_id, "id_number", &sealed)?,
                school_name: row.try_get("school_name")?,
                correction_pending: row.try_get::<i64, _>("pending")? > 0,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((rows, total))
}
