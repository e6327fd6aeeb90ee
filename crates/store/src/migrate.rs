//! A small embedded migration runner: append-only numbered files per backend, each applied
//! once inside its own transaction and recorded in `schema_migrations`.

use sqlx::Executor;

use crate::{Backend, Db, StoreError, StoreResult, now_ms};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_foundation"),
    migration!(2, "0002_ledger"),
    migration!(3, "0003_declarations"),
    migration!(4, "0004_reports"),
    migration!(5, "0005_pending_snapshots"),
    migration!(6, "0006_derived_carry_over"),
    migration!(7, "0007_evidence_hashing"),
    migration!(8, "0008_declaration_counts"),
    migration!(9, "0009_declaration_counts_plpgsql"),
    migration!(10, "0010_city_queue"),
    migration!(11, "0011_teacher_results"),
    migration!(12, "0012_declaration_counts_one_upsert"),
    migration!(13, "0013_evidence_original_sha256"),
    migration!(14, "0014_accounts"),
    migration!(15, "0015_sealed_fields"),
    migration!(16, "0016_audit_chain"),
    migration!(17, "0017_audit_filters"),
    migration!(18, "0018_transfer_requests"),
    migration!(19, "0019_correction_requests"),
    migration!(20, "0020_school_applications"),
    migration!(21, "0021_reconciliation_findings"),
    migration!(22, "0022_change_feed"),
    migration!(23, "0023_job_leases"),
    migration!(24, "0024_public_topic"),
    migration!(25, "0025_bigint_flags"),
    migration!(26, "0026_iso_dates"),
    migration!(27, "0027_evidence_readings"),
    migration!(28, "0028_staged_readings"),
];

/// Applies the pending migrations in one transaction. On SQLite, foreign keys are off while
/// they run — rebuilding a table (the only way to change a CHECK there) drops the referenced
/// table — and every reference is checked before committing, as SQLite's own procedure asks.
pub async fn run(db: &Db) -> StoreResult<()> {
    let mut conn = db.writer().acquire().await?;
    let sqlite = db.backend() == Backend::Sqlite;
    if sqlite {
        conn.execute("PRAGMA foreign_keys = OFF").await?;
    }
    let result = apply(&mut conn, db.backend()).await;
    if sqlite {
        conn.execute("PRAGMA foreign_keys = ON").await?;
    }
    result
}

async fn apply(conn: &mut sqlx::AnyConnection, backend: Backend) -> StoreResult<()> {
    // A server running as a PostgreSQL role that owns nothing (README, "Running on
    // PostgreSQL as a role that owns nothing") may neither create nor lock the table: when
    // nothing is pending it only reads it.
    if backend == Backend::Postgres && pending_postgres(conn).await? == Some(0) {
        return Ok(());
    }
    let mut tx = match backend {
        Backend::Sqlite => sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?,
        Backend::Postgres => sqlx::Connection::begin(&mut *conn).await?,
    };
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations \
         (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    if backend == Backend::Postgres {
        // Several servers may start at once: one migrates, the others wait for it.
        tx.execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
            .await?;
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
        .fetch_all(&mut *tx)
        .await?;
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let sql = match backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        tx.execute(sql)
            .await
            .map_err(|e| StoreError::Migration(format!("{}: {e}", m.name)))?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tracing::info!(migration = m.name, "applied migration");
    }
    if backend == Backend::Sqlite {
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut *tx)
            .await?;
        if !broken.is_empty() {
            return Err(StoreError::Migration(format!(
                "{} rows break a foreign key after migrating",
                broken.len()
            )));
        }
    }
    tx.commit().await?;
    Ok(())
}

/// How many migrations are not yet applied, or `None` before the first.
async fn pending_postgres(conn: &mut sqlx::AnyConnection) -> StoreResult<Option<usize>> {
    let exists: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('schema_migrations')::text")
            .fetch_one(&mut *conn)
            .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?;
    Ok(Some(
        MIGRATIONS
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .count(),
    ))
}

#[cfg(test)]
mod tests;
