//! The append-only audit log: written in the same transaction as the change it records.

use sqlx::AnyConnection;
use xueshi_domain::authz::Scope;

use xueshi_vault::Vault;

use super::scope::{District, Placement, push_scope};
use super::sql::Sql;
use super::{audit_chain, clamp_limit};
use crate::db::Backend;
use crate::models::{AuditEntry, Page};
use crate::{StoreResult, now_ms};

/// One change to record. `district_id` and `school_id` place it for scoped reading.
#[derive(Clone, Debug, Default)]
pub struct NewAudit<'a> {
    pub actor_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub detail: serde_json::Value,
    pub district_id: Option<&'a str>,
    pub school_id: Option<&'a str>,
}

/// Appends `e` to the chain inside the caller's transaction (see [`super::audit_chain`]).
pub async fn insert(c: &mut AnyConnection, v: &Vault, e: &NewAudit<'_>) -> StoreResult<()> {
    let (seq, prev) = audit_chain::advance(c).await?;
    let at = now_ms();
    let detail = e.detail.to_string();
    let hash = audit_chain::link(
        v,
        &prev,
        &audit_chain::Canonical {
            seq,
            at,
            actor_id: e.actor_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            ip: e.ip,
            detail: &detail,
            district_id: e.district_id,
            school_id: e.school_id,
        },
    );
    // On PostgreSQL the new head is set in the same statement: the chain's lock is held until
    // commit, so every round trip saved under it is one every audited writer waits less.
    let postgres = Backend::of(c) == Backend::Postgres;
    let mut q = Sql::new(if postgres { "WITH i AS (" } else { "" });
    q.push(
        "INSERT INTO audit_log (at, actor_id, action, target_type, target_id, ip, detail, \
         district_id, school_id, seq, prev_hash, hash) VALUES (",
    );
    q.bind(at)
        .push(", ")
        .bind(e.actor_id.map(str::to_owned))
        .push(", ");
    q.bind(e.action)
        .push(", ")
        .bind(e.target_type)
        .push(", ")
        .bind(e.target_id)
        .push(", ");
    q.bind(e.ip.map(str::to_owned))
        .push(", ")
        .bind(detail)
        .push(", ");
    q.bind(e.district_id.map(str::to_owned)).push(", ");
    q.bind(e.school_id.map(str::to_owned)).push(", ");
    q.bind(seq).push(", ").bind(prev).push(", ");
    q.bind(hash.as_str()).push(")");
    if postgres {
        q.push(" RETURNING hash) UPDATE audit_chain SET head = (SELECT hash FROM i) WHERE id = 1");
        q.execute(c).await?;
        return Ok(());
    }
    q.execute(c).await?;
    audit_chain::set_head(c, &hash).await
}

/// The newest entry of `action` on `target_id` (e.g. the last verification run of a year).
pub async fn latest(
    c: &mut AnyConnection,
    action: &str,
    target_id: &str,
) -> StoreResult<Option<AuditEntry>> {
    let mut q = Sql::new("SELECT * FROM audit_log WHERE target_id = ");
    q.bind(target_id)
        .push(" AND action = ")
        .bind(action)
        .push(" ORDER BY id DESC LIMIT 1");
    q.fetch_optional(c)
        .await?
        .as_ref()
        .map(AuditEntry::from_row)
        .transpose()
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub target_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    /// Entries at or after this time (Unix ms).
    pub from_ms: Option<i64>,
    /// Entries before this time (Unix ms).
    pub until_ms: Option<i64>,
    pub cursor: Option<i64>,
    pub limit: Option<i64>,
}

/// Newest first. A district reads what happened in its district, a school in its school.
pub async fn list(
    c: &mut AnyConnection,
    scope: &Scope,
    f: &AuditFilter,
) -> StoreResult<Page<AuditEntry>> {
    let limit = clamp_limit(f.limit);
    let mut q = Sql::new("SELECT * FROM audit_log WHERE 1 = 1");
    // An entry carries the district and school it was placed in when written.
    let placed = Placement {
        school: Some("school_id"),
        district: District::Column("district_id"),
        teacher: None,
        provider: None,
    };
    push_scope(&mut q, scope, &[placed]);
    if let Some(t) = &f.target_id {
        q.push(" AND target_id = ").bind(t.as_str());
    }
    if let Some(a) = &f.actor_id {
        q.push(" AND actor_id = ").bind(a.as_str());
    }
    if let Some(a) = &f.action {
        q.push(" AND action = ").bind(a.as_str());
    }
    if let Some(from) = f.from_ms {
        q.push(" AND at >= ").bind(from);
    }
    if let Some(until) = f.until_ms {
        q.push(" AND at < ").bind(until);
    }
    if let Some(cursor) = f.cursor {
        q.push(" AND id < ").bind(cursor);
    }
    q.push(" ORDER BY id DESC LIMIT ").bind(limit + 1);
    let rows = q.fetch_all(c).await?;
    let mut items = rows
        .iter()
        .map(AuditEntry::from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(super::orgs::page(&mut items, limit, |e| e.id.to_string()))
}
