use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor, Transaction};

use xueshi_vault::Vault;

use crate::{StoreError, StoreResult, migrate, sealed};

/// A PostgreSQL connection idle for longer is pinged before it is handed out.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

pub type Tx = Transaction<'static, sqlx::Any>;
pub type Conn = AnyConnection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: a pool for reads and, on SQLite, a single-connection pool for writes so
/// concurrent writers queue in-process instead of failing with `SQLITE_BUSY`.
#[derive(Clone, Debug)]
pub struct Db {
    reader: AnyPool,
    writer: AnyPool,
    backend: Backend,
    /// The keys personal data is sealed with (kept outside the database).
    vault: Arc<Vault>,
}

pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), applies pending migrations, checks
    /// that `vault` holds this database's key and seals anything an older version left in clear.
    pub async fn connect(url: &str, vault: Arc<Vault>) -> StoreResult<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Migration(format!(
                "unsupported database URL scheme (use sqlite:// or postgres://): {}",
                redact(url)
            )));
        };
        let options = AnyConnectOptions::from_str(url)?
            .log_statements(tracing::log::LevelFilter::Debug)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
        let db = match backend {
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    // sqlx pings a connection on every acquire by default: a round trip per
                    // request and more. One busy a moment ago is alive; only one that sat idle
                    // (the server may have restarted since) is tested first.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for > PING_AFTER_IDLE {
                                conn.ping().await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(options)
                    .await?;
                Db {
                    reader: pool.clone(),
                    writer: pool,
                    backend,
                    vault,
                }
            }
            Backend::Sqlite => {
                let writer = sqlite_pool(1, 256, true)
                    .connect_with(options.clone())
                    .await?;
                let reader = sqlite_pool(8, 64, false).connect_with(options).await?;
                Db {
                    reader,
                    writer,
                    backend,
                    vault,
                }
            }
        };
        migrate::run(&db).await?;
        sealed::prepare(&db, &db.vault).await?;
        Ok(db)
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The vault, for holders that outlive a borrow of the database (the evidence store).
    pub fn shared_vault(&self) -> Arc<Vault> {
        self.vault.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool writes go through (one connection on SQLite).
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// The pool for reads outside a transaction.
    pub fn pool(&self) -> &AnyPool {
        &self.reader
    }

    /// Starts a write transaction. All multi-row changes go through one of these.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self.backend {
            // IMMEDIATE takes the write lock up front, so a transaction never fails half-way
            // upgrading from a read snapshot.
            // FULL: an acknowledged commit survives a power cut (the WAL is flushed at each
            // commit), set again here because a batch item's transaction lowers it.
            Backend::Sqlite => {
                self.writer
                    .begin_with("PRAGMA synchronous = FULL; BEGIN IMMEDIATE")
                    .await?
            }
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// A write transaction whose commit does not wait for PostgreSQL to flush it to disk.
    /// For the items of a batch: the caller must end with a [`Db::begin`] transaction that
    /// writes, whose commit flushes the log up to it — and so every earlier commit — before
    /// anyone is told the batch is done. (SQLite: `synchronous = NORMAL` for this commit;
    /// the next FULL commit flushes the WAL, which holds this one before it.)
    pub async fn begin_unflushed(&self) -> StoreResult<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => {
                self.writer
                    .begin_with("PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE")
                    .await?
            }
            Backend::Postgres => {
                let mut tx = self.writer.begin().await?;
                tx.execute("SET LOCAL synchronous_commit = off").await?;
                tx
            }
        })
    }

    /// A consistent copy of a SQLite database at `path` (a new file), taken while others
    /// write: `VACUUM INTO` reads one snapshot, WAL included.
    pub async fn vacuum_into(&self, path: &std::path::Path) -> StoreResult<()> {
        let quoted = path.display().to_string().replace('\'', "''");
        let sql = format!("VACUUM INTO '{quoted}'");
        self.reader.execute(sqlx::AssertSqlSafe(sql)).await?;
        Ok(())
    }

    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// A SQLite pool whose connections each keep `cache_mib` of pages in memory: SQLite's
/// default 2 MB cache thrashes once the ledger's indexes reach hundreds of megabytes.
/// Only the writer maps the file: a reader drops its mapping whenever another connection
/// has written since its last read, and on deadline day that is every read (the unmapping
/// and its page faults cost more than reading the pages).
fn sqlite_pool(size: u32, cache_mib: u32, mmap: bool) -> AnyPoolOptions {
    let mmap_bytes: u64 = if mmap { 1 << 30 } else { 0 };
    AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(30))
        // An in-process database has no far end that could hang up.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                let pragmas = format!(
                    "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                     PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; \
                     PRAGMA cache_size = -{}; PRAGMA temp_store = MEMORY; \
                     PRAGMA mmap_size = {mmap_bytes};",
                    cache_mib * 1024
                );
                conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                Ok(())
            })
        })
}

/// The number of tables in the `public` schema of the PostgreSQL database at `url` (a restore
/// goes only into an empty one).
pub async fn postgres_table_count(url: &str) -> StoreResult<i64> {
    sqlx::any::install_default_drivers();
    let mut c = AnyConnection::connect(url).await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&mut c)
    .await?;
    Ok(sqlx::Row::try_get(&row, "n")?)
}

/// Hides the password of a database URL before it is shown anywhere.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{AnyConnection, Connection, Row};

    /// `.cargo/config.toml` builds SQLite with the query planner stability guarantee; without
    /// it every statement is planned again on each run once ANALYZE has gathered STAT4 data.
    #[tokio::test]
    async fn sqlite_keeps_prepared_plans() {
        sqlx::any::install_default_drivers();
        let mut c = AnyConnection::connect("sqlite::memory:").await.unwrap();
        let row = sqlx::query("SELECT sqlite_compileoption_used('ENABLE_QPSG') AS qpsg")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(row.get::<i64, _>("qpsg"), 1);
    }

    /// Every commit that answers someone is flushed (FULL); a batch item's is not, and does
    /// not leave its connection lowered for the next transaction.
    #[tokio::test]
    async fn sqlite_flushes_each_acknowledged_commit_and_not_a_batch_items() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
        let db = super::Db::connect(&url, std::sync::Arc::new(xueshi_vault::Vault::ephemeral()))
            .await
            .unwrap();
        async fn level(tx: &mut super::Tx) -> i64 {
            sqlx::query("PRAGMA synchronous")
                .fetch_one(&mut **tx)
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
        let mut tx = db.begin_unflushed().await.unwrap();
        assert_eq!(level(&mut tx).await, 1, "NORMAL");
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert_eq!(level(&mut tx).await, 2, "FULL");
        tx.commit().await.unwrap();
        db.close().await;
    }
}
