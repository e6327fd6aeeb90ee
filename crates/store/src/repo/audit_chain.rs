//! The audit log's chain: each entry's `hash` is a keyed HMAC over the previous entry's hash
//! and the entry's canonical text, so an entry edited, removed or inserted by someone without
//! the data key breaks the chain at that point.

use sqlx::{AnyConnection, Row};
use xueshi_vault::Vault;

use super::audit_archive::{self, ArchivedEntry};
use super::sql::Sql;
use crate::StoreResult;

/// The fields an entry is hashed over, as stored.
pub(crate) struct Canonical<'a> {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub ip: Option<&'a str>,
    pub detail: &'a str,
    pub district_id: Option<&'a str>,
    pub school_id: Option<&'a str>,
}

/// The hash following `prev` for this entry. The entry is written as a JSON array, so no
/// field's text can run into the next.
pub(crate) fn link(v: &Vault, prev: &str, e: &Canonical<'_>) -> String {
    let text = serde_json::json!([
        prev,
        e.seq,
        e.at,
        e.actor_id,
        e.action,
        e.target_type,
        e.target_id,
        e.ip,
        e.detail,
        e.district_id,
        e.school_id
    ]);
    v.blind_index("audit-chain", &text.to_string())
}

/// Takes the chain's lock row (held until the caller's transaction ends) and answers the
/// next entry's place and the hash it follows.
pub(crate) async fn advance(c: &mut AnyConnection) -> StoreResult<(i64, String)> {
    let row = Sql::new("UPDATE audit_chain SET seq = seq + 1 WHERE id = 1 RETURNING seq, head")
        .query()
        .fetch_one(c)
        .await?;
    Ok((row.try_get("seq")?, row.try_get("head")?))
}

pub(crate) async fn set_head(c: &mut AnyConnection, hash: &str) -> StoreResult<()> {
    let mut q = Sql::new("UPDATE audit_chain SET head = ");
    q.bind(hash).push(" WHERE id = 1");
    q.execute(c).await?;
    Ok(())
}

/// What a check of the chain found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verified {
    /// Chained entries checked.
    pub checked: u64,
    /// Entries written before the chain began (older versions), not checkable.
    pub unchained: u64,
    /// The head after the last entry checked.
    pub head: String,
    /// The first entry (by id) where the chain breaks, and why; `None` when it holds.
    pub broken: Option<(i64, String)>,
}

/// Walks the chain in id order from the first entry at or after `from_ms` (trusting that
/// entry's link to the one before it), and compares its end with the stored head.
pub async fn verify(
    c: &mut AnyConnection,
    v: &Vault,
    from_ms: Option<i64>,
) -> StoreResult<Verified> {
    let mut out = Verified::default();
    let mut walk = ChainCheck::default();
    let mut cursor = 0i64;
    loop {
        let entries = audit_archive::page(c, cursor, from_ms, None, 5000).await?;
        let Some(last) = entries.last() else { break };
        cursor = last.id;
        for e in &entries {
            if let Err(reason) = walk.follow(v, e) {
                out.checked = walk.checked;
                out.unchained = walk.unchained;
                out.broken = Some((e.id, reason));
                return Ok(out);
            }
        }
    }
    (out.checked, out.unchained) = (walk.checked, walk.unchained);
    let chain = Sql::new("SELECT seq, head FROM audit_chain WHERE id = 1")
        .query()
        .fetch_one(c)
        .await?;
    let (seq, head): (i64, String) = (chain.try_get("seq")?, chain.try_get("head")?);
    let last_seq = walk.last.unwrap_or(0);
    // Skipped (rolled back) places leave the stored seq ahead; only the head must match.
    if head != walk.head && !(from_ms.is_some() && out.checked == 0) {
        out.broken = Some((
            cursor,
            format!(
                "链头与最后一条记录不符（记录到第 {last_seq} 条，链头为第 {seq} 条）：其后的记录被删除"
            ),
        ));
    }
    out.head = head;
    Ok(out)
}

/// Follows entries in id order — of the table or of an archive — checking each link.
#[derive(Debug, Default)]
pub struct ChainCheck {
    pub checked: u64,
    pub unchained: u64,
    /// The hash of the last chained entry so far.
    pub head: String,
    /// The place of the last chained entry so far.
    pub last: Option<i64>,
}

impl ChainCheck {
    /// Takes the next entry; `Err` says why the chain breaks there.
    pub fn follow(&mut self, v: &Vault, e: &ArchivedEntry) -> Result<(), String> {
        let Some(seq) = e.seq else {
            if self.last.is_some() {
                return Err("链开始之后出现无链记录：该记录被插入".into());
            }
            self.unchained += 1;
            return Ok(());
        };
        let prev = e.prev_hash.as_deref().unwrap_or_default();
        if let Some(last) = self.last {
            if prev != self.head {
                return Err(format!(
                    "与上一条记录（第 {last} 条）不相接：之间的记录被删除或改动"
                ));
            }
            if seq <= last {
                return Err("链序号倒退：记录被重排".into());
            }
        }
        let canonical = Canonical {
            seq,
            at: e.at,
            actor_id: e.actor_id.as_deref(),
            action: &e.action,
            target_type: &e.target_type,
            target_id: &e.target_id,
            ip: e.ip.as_deref(),
            detail: &e.detail,
            district_id: e.district_id.as_deref(),
            school_id: e.school_id.as_deref(),
        };
        let hash = link(v, prev, &canonical);
        if e.hash.as_deref() != Some(hash.as_str()) {
            return Err("内容与其哈希不符：该记录被改动".into());
        }
        self.checked += 1;
        self.head = hash;
        self.last = Some(seq);
        Ok(())
    }
}

/// The chain's head (the last entry's hash; empty before the first).
pub async fn head(c: &mut AnyConnection) -> StoreResult<String> {
    let row = Sql::new("SELECT head FROM audit_chain WHERE id = 1")
        .query()
        .fetch_one(c)
        .await?;
    Ok(row.try_get("head")?)
}

/// Whether an entry with this hash is in the log.
pub async fn holds(c: &mut AnyConnection, hash: &str) -> StoreResult<bool> {
    let mut q = Sql::new("SELECT id FROM audit_log WHERE hash = ");
    q.bind(hash);
    Ok(q.fetch_optional(c).await?.is_some())
}
