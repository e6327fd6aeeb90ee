//! Readings of evidence files (证书识别): the queue of files waiting to be read, shared by the
//! servers of a cluster through expiring claims, and what was read.

use sqlx::{AnyConnection, Row};
use xueshi_domain::ReadingStatus;

use super::sql::Sql;
use crate::StoreResult;
use crate::models::Evidence;

/// A file claimed for reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub evidence_id: String,
    pub storage_key: String,
    /// How many times it has been claimed, this time included.
    pub attempts: i64,
}

/// Claims the oldest file waiting (unread and not claimed by a live server) for `lease_ms`;
/// `None` when none waits, or another server took it first.
pub async fn claim(
    c: &mut AnyConnection,
    owner: &str,
    now: i64,
    lease_ms: i64,
) -> StoreResult<Option<Claimed>> {
    let mut q = Sql::new(
        "SELECT e.id, e.storage_key FROM evidence e \
         LEFT JOIN evidence_readings r ON r.evidence_id = e.id \
         WHERE e.read_at IS NULL AND (r.evidence_id IS NULL OR r.claimed_until < ",
    );
    q.bind(now).push(") ORDER BY e.created_at, e.id LIMIT 1");
    let Some(row) = q.fetch_optional(c).await? else {
        return Ok(None);
    };
    let (id, storage_key): (String, String) = (row.try_get("id")?, row.try_get("storage_key")?);
    let mut q = Sql::new(
        "INSERT INTO evidence_readings (evidence_id, status, claimed_by, claimed_until, attempts) \
         VALUES (",
    );
    q.bind(id.as_str())
        .push(", ")
        .bind_code(ReadingStatus::Pending)
        .push(", ")
        .bind(owner)
        .push(", ")
        .bind(now + lease_ms)
        .push(
            ", 1) ON CONFLICT (evidence_id) DO UPDATE SET claimed_by = excluded.claimed_by, \
             claimed_until = excluded.claimed_until, \
             attempts = evidence_readings.attempts + 1 \
             WHERE evidence_readings.claimed_until < ",
        )
        .bind(now)
        .push(" RETURNING attempts");
    // No row back: another server's claim still holds.
    let Some(row) = q.fetch_optional(c).await? else {
        return Ok(None);
    };
    let attempts = row.try_get("attempts")?;
    Ok(Some(Claimed {
        evidence_id: id,
        storage_key,
        attempts,
    }))
}

/// Gives back `owner`'s claims (a graceful shutdown), for another server to take at once.
pub async fn release(c: &mut AnyConnection, owner: &str) -> StoreResult<u64> {
    release_claims(c, Queue::Evidence, owner).await
}

/// The two queues of files to read: evidence's, and files chosen before their declaration.
#[derive(Clone, Copy)]
enum Queue {
    Evidence,
    Staged,
}

impl Queue {
    /// The queue's table and the column naming its file.
    fn table_and_key(self) -> (&'static str, &'static str) {
        match self {
            Queue::Evidence => ("evidence_readings", "evidence_id"),
            Queue::Staged => ("staged_readings", "storage_key"),
        }
    }
}

async fn release_claims(c: &mut AnyConnection, queue: Queue, owner: &str) -> StoreResult<u64> {
    let (table, _) = queue.table_and_key();
    let mut q = Sql::new(format!(
        "UPDATE {table} SET claimed_until = 0 WHERE claimed_by = "
    ));
    q.bind(owner).push(" AND claimed_until IS NOT NULL");
    q.execute(c).await
}

/// Stores a reading under `owner`'s claim on `key`; `false` when the claim was lost.
async fn finish_claimed(
    c: &mut AnyConnection,
    queue: Queue,
    key: &str,
    owner: &str,
    outcome: &Outcome<'_>,
    now: i64,
) -> StoreResult<bool> {
    let (table, key_column) = queue.table_and_key();
    let mut q = Sql::new(format!("UPDATE {table} SET status = "));
    q.bind_code(outcome.status)
        .push(", text = ")
        .bind(outcome.text)
        .push(", problems = ")
        .bind(outcome.problems)
        .push(", error = ")
        .bind(outcome.error)
        .push(", read_at = ")
        .bind(now)
        .push(&format!(", claimed_until = NULL WHERE {key_column} = "))
        .bind(key)
        .push(" AND claimed_by = ")
        .bind(owner)
        .push(" AND claimed_until IS NOT NULL");
    Ok(q.execute(c).await? > 0)
}

/// What a reader found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome<'a> {
    /// `Done` with the text, or `Failed` with why.
    pub status: ReadingStatus,
    pub text: Option<&'a str>,
    /// The photo's problems, comma-separated codes.
    pub problems: &'a str,
    pub error: Option<&'a str>,
}

/// Stores a reading made under `owner`'s claim, and marks the file read; `false` when the
/// claim was lost (it expired and another server read the file).
pub async fn finish(
    c: &mut AnyConnection,
    evidence_id: &str,
    owner: &str,
    outcome: &Outcome<'_>,
    now: i64,
) -> StoreResult<bool> {
    if !finish_claimed(c, Queue::Evidence, evidence_id, owner, outcome, now).await? {
        return Ok(false);
    }
    let mut q = Sql::new("UPDATE evidence SET read_at = ");
    q.bind(now).push(" WHERE id = ").bind(evidence_id);
    q.execute(c).await?;
    Ok(true)
}

/// A file's reading as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub evidence_id: String,
    pub status: ReadingStatus,
    pub text: Option<String>,
    pub problems: Vec<String>,
    pub error: Option<String>,
}

/// The readings of these files (those not yet claimed have none).
pub async fn for_evidence(c: &mut AnyConnection, files: &[Evidence]) -> StoreResult<Vec<Reading>> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT evidence_id, status, text, problems, error FROM evidence_readings \
         WHERE evidence_id IN (",
    );
    q.bind_all(files.iter().map(|f| f.id.as_str())).push(")");
    q.fetch_all(c).await?.iter().map(reading_from).collect()
}

fn reading_from(row: &sqlx::any::AnyRow) -> StoreResult<Reading> {
    let problems: String = row.try_get("problems")?;
    Ok(Reading {
        evidence_id: row.try_get("evidence_id")?,
        status: row.try_get("status")?,
        text: row.try_get("text")?,
        problems: problems
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        error: row.try_get("error")?,
    })
}

/// The readings of files chosen on the new-declaration form before their declaration exists,
/// keyed by the stored file: queued, claimed, finished and looked up as evidence's are.
pub mod staged {
    use sqlx::{AnyConnection, Row};
    use xueshi_domain::ReadingStatus;

    use super::{Outcome, Queue, Reading, finish_claimed, reading_from, release_claims};
    use crate::StoreResult;
    use crate::repo::sql::Sql;

    /// Queues `storage_key` for reading, unless it is already queued or read.
    pub async fn queue(c: &mut AnyConnection, storage_key: &str, now: i64) -> StoreResult<()> {
        let mut q =
            Sql::new("INSERT INTO staged_readings (storage_key, created_at, status) VALUES (");
        q.bind(storage_key)
            .push(", ")
            .bind(now)
            .push(", ")
            .bind_code(ReadingStatus::Pending)
            .push(") ON CONFLICT (storage_key) DO NOTHING");
        q.execute(c).await?;
        Ok(())
    }

    /// Claims the oldest staged file waiting for `lease_ms`: its key and how many times it
    /// has been claimed, this time included.
    pub async fn claim(
        c: &mut AnyConnection,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> StoreResult<Option<(String, i64)>> {
        let free = |q: &mut Sql| {
            q.push("read_at IS NULL AND (claimed_until IS NULL OR claimed_until < ")
                .bind(now)
                .push(")");
        };
        let mut q = Sql::new("UPDATE staged_readings SET claimed_by = ");
        q.bind(owner)
            .push(", claimed_until = ")
            .bind(now + lease_ms)
            .push(
                ", attempts = attempts + 1 WHERE storage_key = (SELECT storage_key \
                 FROM staged_readings WHERE ",
            );
        free(&mut q);
        q.push(" ORDER BY created_at LIMIT 1) AND ");
        // Checked again: another server may have taken it between the two.
        free(&mut q);
        q.push(" RETURNING storage_key, attempts");
        let Some(row) = q.fetch_optional(c).await? else {
            return Ok(None);
        };
        Ok(Some((
            row.try_get("storage_key")?,
            row.try_get("attempts")?,
        )))
    }

    /// Stores a reading made under `owner`'s claim; `false` when the claim was lost.
    pub async fn finish(
        c: &mut AnyConnection,
        storage_key: &str,
        owner: &str,
        outcome: &Outcome<'_>,
        now: i64,
    ) -> StoreResult<bool> {
        finish_claimed(c, Queue::Staged, storage_key, owner, outcome, now).await
    }

    /// The reading of a staged file (its `evidence_id` is the storage key); `None` when it
    /// was never queued or has been pruned.
    pub async fn get(c: &mut AnyConnection, storage_key: &str) -> StoreResult<Option<Reading>> {
        let mut q = Sql::new(
            "SELECT storage_key AS evidence_id, status, text, problems, error \
             FROM staged_readings WHERE storage_key = ",
        );
        q.bind(storage_key);
        q.fetch_optional(c)
            .await?
            .as_ref()
            .map(reading_from)
            .transpose()
    }

    /// Gives back `owner`'s claims (a graceful shutdown).
    pub async fn release(c: &mut AnyConnection, owner: &str) -> StoreResult<u64> {
        release_claims(c, Queue::Staged, owner).await
    }

    /// Forgets readings queued before `before` (their files' tokens have expired).
    pub async fn prune(c: &mut AnyConnection, before: i64) -> StoreResult<u64> {
        let mut q = Sql::new("DELETE FROM staged_readings WHERE created_at < ");
        q.bind(before);
        q.execute(c).await
    }
}
