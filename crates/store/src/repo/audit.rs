//! The append-only audit log: written in the same transaction as the change it records.

use sqlx::AnyConnection;
use xueshi_domain::authz::Scope;

use super::clamp_limit;
use super::sql::Sql;
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

pub async fn insert(c: &mut AnyConnection, e: &NewAudit<'_>) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO audit_log (at, actor_id, action, target_type, target_id, ip, detail, \
         district_id, school_id) VALUES (",
    );
    q.bind(now_ms())
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
        .bind(e.detail.to_string())
        .push(", ");
    q.bind(e.district_id.map(str::to_owned)).push(", ");
    q.bind(e.school_id.map(str::to_owned)).push(")");
    q.execute(c).await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub target_id: Option<String>,
    pub actor_id: Option<String>,
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
    match scope {
        Scope::All => {}
        Scope::District(d) => {
            q.push(" AND district_id = ").bind(d.as_str());
        }
        Scope::School(s) => {
            q.push(" AND school_id = ").bind(s.as_str());
        }
        Scope::Teacher(_) | Scope::Provider(_) | Scope::Nothing => {
            q.push(" AND 1 = 0");
        }
    }
    if let Some(t) = &f.target_id {
        q.push(" AND target_id = ").bind(t.as_str());
    }
    if let Some(a) = &f.actor_id {
        q.push(" AND actor_id = ").bind(a.as_str());
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
