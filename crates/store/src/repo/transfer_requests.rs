//! Transfer requests (调动申请): a school asks, the receiving side's district or the city
//! decides. At most one is pending per teacher (a partial unique index).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xueshi_domain::TransferStatus;
use xueshi_domain::authz::Scope;

use super::scope::{District, Placement, push_scope};
use super::sql::Sql;
use super::{clamp_limit, keyset_page, push_decided_by};
use crate::StoreResult;
use crate::models::Page;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRequest {
    pub id: String,
    pub teacher_id: String,
    pub teacher_name: String,
    pub from_school_id: String,
    pub from_school_name: String,
    pub to_school_id: String,
    pub to_school_name: String,
    pub reason: String,
    pub status: TransferStatus,
    pub requested_by: String,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_reason: Option<String>,
}

impl TransferRequest {
    fn from_row(row: &AnyRow) -> StoreResult<TransferRequest> {
        Ok(TransferRequest {
            id: row.try_get("id")?,
            teacher_id: row.try_get("teacher_id")?,
            teacher_name: row.try_get("teacher_name")?,
            from_school_id: row.try_get("from_school_id")?,
            from_school_name: row.try_get("from_school_name")?,
            to_school_id: row.try_get("to_school_id")?,
            to_school_name: row.try_get("to_school_name")?,
            reason: row.try_get("reason")?,
            status: row.try_get("status")?,
            requested_by: row.try_get("requested_by")?,
            requested_at: row.try_get("requested_at")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            decision_reason: row.try_get("decision_reason")?,
        })
    }
}

const SELECT: &str = "SELECT r.id, r.teacher_id, t.name AS teacher_name, r.from_school_id, \
    f.name AS from_school_name, r.to_school_id, o.name AS to_school_name, r.reason, r.status, \
    r.requested_by, r.requested_at, r.decided_by, r.decided_at, r.decision_reason \
    FROM transfer_requests r JOIN teachers t ON t.id = r.teacher_id \
    JOIN orgs f ON f.id = r.from_school_id JOIN orgs o ON o.id = r.to_school_id WHERE 1 = 1";

/// Files a new pending request; a second pending one for the teacher is `StoreError::Unique`.
pub async fn insert(c: &mut AnyConnection, r: &TransferRequest) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO transfer_requests (id, teacher_id, from_school_id, to_school_id, reason, \
         status, requested_by, requested_at) VALUES (",
    );
    q.bind(r.id.as_str()).push(", ");
    q.bind(r.teacher_id.as_str()).push(", ");
    q.bind(r.from_school_id.as_str()).push(", ");
    q.bind(r.to_school_id.as_str()).push(", ");
    q.bind(r.reason.as_str()).push(", ");
    q.bind(r.status.as_str()).push(", ");
    q.bind(r.requested_by.as_str()).push(", ");
    q.bind(r.requested_at).push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> StoreResult<Option<TransferRequest>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND r.id = ").bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| TransferRequest::from_row(&r))
        .transpose()
}

/// The teacher's pending request, if any.
pub async fn pending_for(
    c: &mut AnyConnection,
    teacher_id: &str,
) -> StoreResult<Option<TransferRequest>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND r.teacher_id = ").bind(teacher_id);
    q.push(" AND r.status = ")
        .bind(TransferStatus::Pending.as_str());
    q.fetch_optional(c)
        .await?
        .map(|r| TransferRequest::from_row(&r))
        .transpose()
}

/// Closes a pending request; `false` when it was no longer pending (decided by someone else
/// in between), so the caller refuses instead of deciding twice.
pub async fn close(
    c: &mut AnyConnection,
    id: &str,
    status: TransferStatus,
    by: &str,
    at: i64,
    reason: Option<&str>,
) -> StoreResult<bool> {
    let mut q = Sql::new("UPDATE transfer_requests SET status = ");
    q.bind(status.as_str()).push(", decided_by = ").bind(by);
    q.push(", decided_at = ").bind(at);
    q.push(", decision_reason = ").bind(reason);
    q.push(" WHERE id = ").bind(id);
    q.push(" AND status = ")
        .bind(TransferStatus::Pending.as_str());
    Ok(q.execute(c).await? == 1)
}

#[derive(Clone, Debug, Default)]
pub struct TransferFilter {
    pub status: Option<TransferStatus>,
    pub teacher_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Requests either end of which lies in the scope, oldest first (the order they are decided
/// in).
pub async fn list(
    c: &mut AnyConnection,
    scope: &Scope,
    f: &TransferFilter,
) -> StoreResult<Page<TransferRequest>> {
    let limit = clamp_limit(f.limit);
    let mut q = Sql::new(SELECT);
    // Both schools see a transfer, and both their districts.
    let at = |school, district, city_affiliated| Placement {
        school: Some(school),
        district: District::Columns {
            district,
            city_affiliated,
        },
        teacher: None,
        provider: None,
    };
    push_scope(
        &mut q,
        scope,
        &[
            at("r.from_school_id", "f.district_id", "f.city_affiliated"),
            at("r.to_school_id", "o.district_id", "o.city_affiliated"),
        ],
    );
    if let Some(status) = f.status {
        q.push(" AND r.status = ").bind(status.as_str());
    }
    if let Some(teacher) = &f.teacher_id {
        q.push(" AND r.teacher_id = ").bind(teacher.as_str());
    }
    if let Some(cursor) = &f.cursor {
        q.push(" AND r.id > ").bind(cursor.as_str());
    }
    q.push(" ORDER BY r.id LIMIT ").bind(limit + 1);
    let rows = q.fetch_all(c).await?;
    let items = rows
        .iter()
        .map(TransferRequest::from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(keyset_page(items, limit, |r| r.id.clone()))
}

/// How many pending requests the scope is the one to decide: those into a district's own
/// schools, or for the city those into city-affiliated schools (which no district decides).
pub async fn awaiting_decision(c: &mut AnyConnection, scope: &Scope) -> StoreResult<i64> {
    let mut q = Sql::new(
        "SELECT COUNT(*) AS n FROM transfer_requests r JOIN orgs o ON o.id = r.to_school_id \
         WHERE r.status = ",
    );
    q.bind(TransferStatus::Pending.as_str());
    push_decided_by(&mut q, scope);
    let row = q.fetch_optional(c).await?;
    Ok(match row {
        Some(row) => row.try_get::<i64, _>("n")?,
        None => 0,
    })
}
