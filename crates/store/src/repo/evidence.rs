//! Evidence rows (证明材料): the file is in the file store under `storage_key`; here are its
//! kind, hashes and the declaration it proves.

use sqlx::{AnyConnection, Row};

use super::sql::Sql;
use crate::StoreResult;
use crate::models::{EVIDENCE_COLUMNS, Evidence, read};

/// Inserts the row and, for an image already hashed, one band row per byte of its hash.
pub async fn insert(c: &mut AnyConnection, e: &Evidence, phash_bytes: &[u8]) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO evidence (id, declaration_id, kind, sha256, original_sha256, phash, \
         phash_checked_at, size, content_type, storage_key, created_at, read_at) VALUES (",
    );
    q.bind(e.id.as_str()).push(", ");
    q.bind(e.declaration_id.as_str()).push(", ");
    q.bind(e.kind.as_str()).push(", ");
    q.bind(e.sha256.as_str()).push(", ");
    q.bind(e.original_sha256.as_str()).push(", ");
    q.bind(e.phash.clone()).push(", ");
    q.bind(e.phash_checked_at).push(", ");
    q.bind(e.size).push(", ");
    q.bind(e.content_type.as_str()).push(", ");
    q.bind(e.storage_key.as_str()).push(", ");
    q.bind(e.created_at).push(", ").bind(e.read_at).push(")");
    q.execute(c).await?;
    insert_bands(c, &e.id, phash_bytes).await
}

async fn insert_bands(c: &mut AnyConnection, id: &str, phash_bytes: &[u8]) -> StoreResult<()> {
    if phash_bytes.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new("INSERT INTO evidence_phash_bands (band, value, evidence_id) VALUES ");
    for (band, value) in phash_bytes.iter().enumerate() {
        if band > 0 {
            q.push(", ");
        }
        q.push("(").bind(band as i64).push(", ");
        q.bind(i64::from(*value)).push(", ").bind(id).push(")");
    }
    q.execute(c).await?;
    Ok(())
}

/// An image waiting for its perceptual hash.
pub struct Unhashed {
    pub id: String,
    pub storage_key: String,
}

/// The oldest images not yet hashed.
pub async fn unhashed(c: &mut AnyConnection, limit: i64) -> StoreResult<Vec<Unhashed>> {
    let mut q = Sql::new(
        "SELECT id, storage_key FROM evidence WHERE phash_checked_at IS NULL \
         ORDER BY created_at LIMIT ",
    );
    q.bind(limit);
    q.fetch_all(c)
        .await?
        .iter()
        .map(|r| {
            Ok(Unhashed {
                id: r.try_get("id")?,
                storage_key: r.try_get("storage_key")?,
            })
        })
        .collect()
}

/// Stores an image's hash (`None`: it could not be decoded), unless another server did
/// first or the file was removed; then nothing is written and `false` returned.
pub async fn set_phash(
    c: &mut AnyConnection,
    id: &str,
    phash: Option<&str>,
    phash_bytes: &[u8],
    now: i64,
) -> StoreResult<bool> {
    let mut q = Sql::new("UPDATE evidence SET phash = ");
    q.bind(phash).push(", phash_checked_at = ").bind(now);
    q.push(" WHERE id = ")
        .bind(id)
        .push(" AND phash_checked_at IS NULL");
    if q.execute(c).await? == 0 {
        return Ok(false);
    }
    insert_bands(c, id, phash_bytes).await?;
    Ok(true)
}

pub async fn for_declaration(
    c: &mut AnyConnection,
    declaration_id: &str,
) -> StoreResult<Vec<Evidence>> {
    let mut q = Sql::new(format!(
        "SELECT {EVIDENCE_COLUMNS} FROM evidence e WHERE e.declaration_id = "
    ));
    q.bind(declaration_id).push(" ORDER BY e.created_at, e.id");
    q.fetch_all(c).await?.iter().map(read::<Evidence>).collect()
}

/// One file of a declaration.
pub async fn get(
    c: &mut AnyConnection,
    declaration_id: &str,
    id: &str,
) -> StoreResult<Option<Evidence>> {
    let mut q = Sql::new(format!(
        "SELECT {EVIDENCE_COLUMNS} FROM evidence e WHERE e.id = "
    ));
    q.bind(id)
        .push(" AND e.declaration_id = ")
        .bind(declaration_id);
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Evidence>(&r))
        .transpose()
}

/// Removes the row (the stored file stays: it is content-addressed and may be shared).
pub async fn delete(c: &mut AnyConnection, id: &str) -> StoreResult<()> {
    for table in ["evidence_phash_bands", "evidence_readings"] {
        let mut q = Sql::new(format!("DELETE FROM {table} WHERE evidence_id = "));
        q.bind(id);
        q.execute(c).await?;
    }
    let mut q = Sql::new("DELETE FROM evidence WHERE id = ");
    q.bind(id);
    q.execute(c).await?;
    Ok(())
}

/// A file of `declaration_id` also used by another teacher: (sha256, their declaration).
/// Whether any evidence row still refers to the stored file `key` (of content `sha256`,
/// which the lookup goes by: it is indexed).
pub async fn file_in_use(c: &mut AnyConnection, sha256: &str, key: &str) -> StoreResult<bool> {
    let mut q = Sql::new("SELECT 1 AS found FROM evidence WHERE sha256 = ");
    q.bind(sha256).push(" AND storage_key = ").bind(key);
    q.push(" LIMIT 1");
    Ok(q.fetch_optional(c).await?.is_some())
}

pub async fn same_file_elsewhere(
    c: &mut AnyConnection,
    declaration_id: &str,
    teacher_id: &str,
) -> StoreResult<Vec<(String, String)>> {
    let mut q = Sql::new(
        "SELECT DISTINCT e.sha256, o.id FROM evidence mine \
         JOIN evidence e ON e.original_sha256 = mine.original_sha256 \
         JOIN declarations o ON o.id = e.declaration_id WHERE mine.declaration_id = ",
    );
    q.bind(declaration_id).push(" AND o.teacher_id <> ");
    q.bind(teacher_id).push(" ORDER BY o.id LIMIT 50");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// An image of another teacher that may be near-identical to one with these hash bytes:
/// (its perceptual hash, its declaration).
pub struct Candidate {
    pub phash: String,
    pub declaration_id: String,
}

/// Images of teachers other than `teacher_id` sharing at least `min_shared` bytes (at the same
/// positions) with `phash_bytes`; the caller measures the real distance.
pub async fn phash_candidates(
    c: &mut AnyConnection,
    phash_bytes: &[u8],
    min_shared: usize,
    teacher_id: &str,
) -> StoreResult<Vec<Candidate>> {
    if phash_bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT e.phash, e.declaration_id FROM evidence e \
         JOIN declarations o ON o.id = e.declaration_id WHERE e.id IN \
         (SELECT evidence_id FROM evidence_phash_bands WHERE ",
    );
    for (band, value) in phash_bytes.iter().enumerate() {
        if band > 0 {
            q.push(" OR ");
        }
        q.push("(band = ").bind(band as i64).push(" AND value = ");
        q.bind(i64::from(*value)).push(")");
    }
    q.push(" GROUP BY evidence_id HAVING COUNT(*) >= ")
        .bind(min_shared as i64);
    q.push(") AND o.teacher_id <> ").bind(teacher_id);
    q.push(" ORDER BY e.id LIMIT 500");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|r| {
            Ok(Candidate {
                phash: r.try_get("phash")?,
                declaration_id: r.try_get("declaration_id")?,
            })
        })
        .collect()
}
