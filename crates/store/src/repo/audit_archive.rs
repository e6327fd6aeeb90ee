//! Archives of the audit log: its entries before a date as JSON lines, each with its place in
//! the chain, so an archive is checked with the data key alone, long after its rows are gone.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use xueshi_vault::Vault;

use super::sql::Sql;
use crate::StoreResult;

/// One entry as stored, chain fields included. Not [`crate::models::AuditEntry`]: the hash
/// covers `detail`'s stored text byte for byte, which a parsed JSON value would not keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedEntry {
    pub id: i64,
    pub seq: Option<i64>,
    pub at: i64,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    pub detail: String,
    pub district_id: Option<String>,
    pub school_id: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// Up to `limit` entries after entry `after_id`, in id order, written in `[from_ms, before_ms)`
/// (either end open when `None`).
pub async fn page(
    c: &mut AnyConnection,
    after_id: i64,
    from_ms: Option<i64>,
    before_ms: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<ArchivedEntry>> {
    let mut q = Sql::new(
        "SELECT id, seq, at, actor_id, action, target_type, target_id, ip, detail, district_id, \
         school_id, prev_hash, hash FROM audit_log WHERE id > ",
    );
    q.bind(after_id);
    if let Some(from) = from_ms {
        q.push(" AND at >= ").bind(from);
    }
    if let Some(before) = before_ms {
        q.push(" AND at < ").bind(before);
    }
    q.push(" ORDER BY id LIMIT ").bind(limit);
    q.fetch_all(c)
        .await?
        .iter()
        .map(|r| {
            Ok(ArchivedEntry {
                id: r.try_get("id")?,
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                actor_id: r.try_get("actor_id")?,
                action: r.try_get("action")?,
                target_type: r.try_get("target_type")?,
                target_id: r.try_get("target_id")?,
                ip: r.try_get("ip")?,
                detail: r.try_get("detail")?,
                district_id: r.try_get("district_id")?,
                school_id: r.try_get("school_id")?,
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        })
        .collect()
}

/// The keyed seal of an archive's summary line: a summary changed (fewer entries, another
/// head) does not match.
pub fn seal(v: &Vault, before: &str, entries: u64, head: &str) -> String {
    v.blind_index("audit-archive", &format!("{before}\n{entries}\n{head}"))
}
