//! Correction requests (更正申请): a teacher asks, the district (or the city) decides. The
//! requested ID number is sealed under its own context, as the teachers' numbers are; at most
//! one request is pending per teacher (a partial unique index).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xueshi_domain::CorrectionStatus;
use xueshi_domain::authz::Scope;

use super::scope::{District, Placement, push_scope};
use super::sql::Sql;
use super::{clamp_limit, keyset_page, push_decided_by};
use crate::models::Page;
use crate::{StoreError, StoreResult, Vault};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrectionRequest {
    pub id: String,
    pub teacher_id: String,
    /// Joined: the teacher's name as it stands now.
    pub teacher_name: String,
    pub school_id: String,
    pub school_name: String,
    /// The name asked for, if it is to change.
    pub name: Option<String>,
    /// The ID number asked for, if it is to change (opened from its sealed form).
    pub id_number: Option<String>,
    pub reason: String,
    pub status: CorrectionStatus,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
}

fn context(id: &str) -> String {
    format!("correction_requests.id_number:{id}")
}

impl CorrectionRequest {
    fn from_row(v: &Vault, row: &AnyRow) -> StoreResult<CorrectionRequest> {
        let id: String = row.try_get("id")?;
        let sealed: Option<String> = row.try_get("id_number")?;
        let id_number = sealed
            .map(|s| {
                v.open(&context(&id), &s).map_err(|e| {
                    StoreError::Corrupt(format!("correction_requests.id_number of {id}: {e}"))
                })
            })
            .transpose()?;
        Ok(CorrectionRequest {
            teacher_id: row.try_get("teacher_id")?,
            teacher_name: row.try_get("teacher_name")?,
            school_id: row.try_get("school_id")?,
            school_name: row.try_get("school_name")?,
            name: row.try_get("name")?,
            id_number,
            reason: row.try_get("reason")?,
            status: row.try_get("status")?,
            requested_at: row.try_get("requested_at")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            decision_reason: row.try_get("decision_reason")?,
            id,
        })
    }
}

const SELECT: &str = "SELECT r.id, r.teacher_id, t.name AS teacher_name, r.school_id, \
    o.name AS school_name, r.name, r.id_number, r.reason, r.status, r.requested_at, \
    r.decided_by, r.decided_at, r.decision_reason FROM correction_requests r \
    JOIN teachers t ON t.id = r.teacher_id JOIN orgs o ON o.id = r.school_id WHERE 1 = 1";

/// Files a pending request; a second pending one for the teacher is `StoreError::Unique`.
pub async fn insert(c: &mut AnyConnection, v: &Vault, r: &CorrectionRequest) -> StoreResult<()> {
    let sealed = r.id_number.as_deref().map(|n| v.seal(&context(&r.id), n));
    let mut q = Sql::new(
        "INSERT INTO correction_requests (id, teacher_id, school_id, name, id_number, reason, \
         status, requested_at) VALUES (",
    );
    q.bind(r.id.as_str()).push(", ");
    q.bind(r.teacher_id.as_str()).push(", ");
    q.bind(r.school_id.as_str()).push(", ");
    q.bind(r.name.clone()).push(", ");
    q.bind(sealed).push(", ");
    q.bind(r.reason.as_str()).push(", ");
    q.bind(r.status.as_str()).push(", ");
    q.bind(r.requested_at).push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn get(
    c: &mut AnyConnection,
    v: &Vault,
    id: &str,
) -> StoreResult<Option<CorrectionRequest>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND r.id = ").bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| CorrectionRequest::from_row(v, &r))
        .transpose()
}

/// The teacher's pending request, if any.
pub async fn pending_for(
    c: &mut AnyConnection,
    v: &Vault,
    teacher_id: &str,
) -> StoreResult<Option<CorrectionRequest>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND r.teacher_id = ").bind(teacher_id);
    q.push(" AND r.status = ")
        .bind(CorrectionStatus::Pending.as_str());
    q.fetch_optional(c)
        .await?
        .map(|r| CorrectionRequest::from_row(v, &r))
        .transpose()
}

/// Closes a pending request; `false` when it was decided in between. A decided request keeps
/// no ID number: the teacher's record (or nothing, if rejected) holds what counts.
pub async fn close(
    c: &mut AnyConnection,
    id: &str,
    status: CorrectionStatus,
    by: &str,
    at: i64,
    reason: Option<&str>,
) -> StoreResult<bool> {
    let mut q = Sql::new("UPDATE correction_requests SET status = ");
    q.bind(status.as_str()).push(", decided_by = ").bind(by);
    q.push(", decided_at = ").bind(at);
    q.push(", decision_reason = ").bind(reason);
    q.push(", id_number = NULL WHERE id = ").bind(id);
    q.push(" AND status = ")
        .bind(CorrectionStatus::Pending.as_str());
    Ok(q.execute(c).await? == 1)
}

#[derive(Clone, Debug, Default)]
pub struct CorrectionFilter {
    pub status: Option<CorrectionStatus>,
    pub school_id: Option<String>,
    pub district_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Requests in the scope, oldest first (the order they are decided in).
pub async fn list(
    c: &mut AnyConnection,
    v: &Vault,
    scope: &Scope,
    f: &CorrectionFilter,
) -> StoreResult<Page<CorrectionRequest>> {
    let limit = clamp_limit(f.limit);
    let mut q = Sql::new(SELECT);
    let asked = Placement {
        school: Some("r.school_id"),
        district: District::Columns {
            district: "o.district_id",
            city_affiliated: "o.city_affiliated",
        },
        teacher: Some("r.teacher_id"),
        provider: None,
    };
    push_scope(&mut q, scope, &[asked]);
    if let Some(status) = f.status {
        q.push(" AND r.status = ").bind(status.as_str());
    }
    if let Some(school) = &f.school_id {
        q.push(" AND r.school_id = ").bind(school.as_str());
    }
    if let Some(district) = &f.district_id {
        q.push(" AND o.district_id = ").bind(district.as_str());
    }
    if let Some(cursor) = &f.cursor {
        q.push(" AND r.id > ").bind(cursor.as_str());
    }
    q.push(" ORDER BY r.id LIMIT ").bind(limit + 1);
    let rows = q.fetch_all(c).await?;
    let items = rows
        .iter()
        .map(|r| CorrectionRequest::from_row(v, r))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(keyset_page(items, limit, |r| r.id.clone()))
}

/// Pending requests the scope decides (the home page's to-do): a district's own schools', or
/// for the city the city-affiliated schools'.
pub async fn awaiting_decision(c: &mut AnyConnection, scope: &Scope) -> StoreResult<i64> {
    let mut q = Sql::new(
        "SELECT COUNT(*) AS n FROM correction_requests r JOIN orgs o ON o.id = r.school_id \
         WHERE r.status = ",
    );
    q.bind(CorrectionStatus::Pending.as_str());
    push_decided_by(&mut q, scope);
    let row = q.fetch_optional(c).await?;
    Ok(match row {
        Some(row) => row.try_get::<i64, _>("n")?,
        None => 0,
    })
}
