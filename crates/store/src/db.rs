use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};

use xueshi_vault::Vault;

use crate::cache::Cache;
use crate::changes::Feed;
use crate::tx::{AfterCommit, Tx};
use crate::wal_sync::WalSync;
use crate::{StoreError, StoreResult, migrate, sealed};

/// A PostgreSQL connection idle for longer is pinged before it is handed out.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

pub type Conn = AnyConnection;

/// The SQL dialect a connection speaks; the one place the driver's name is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(c: &AnyConnection) -> Backend {
        if c.backend_name() == "PostgreSQL" {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The database: a pool for reads and, on SQLite, a single-connection pool for writes so
/// concurrent writers queue in-process instead of failing with `SQLITE_BUSY`.
#[derive(Clone)]
pub struct Db {
    reader: AnyPool,
    writer: AnyPool,
    backend: Backend,
    /// The keys personal data is sealed with (kept outside the database).
    vault: Arc<Vault>,
    /// SQLite on a file: the group flush of its WAL every acknowledged commit waits for.
    wal: Option<Arc<WalSync>>,
    /// What this process caches and how it hears of changes (idle until [`Db::follow_changes`]).
    feed: Arc<Feed>,
    /// PostgreSQL: where the change feed listens (holds the password: never logged).
    url: Arc<str>,
}

pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

/// SQLite's memory: the page cache of each connection and the writer's mapping of the file.
/// Readers' caches hold the same hot pages eight times over, so they are what bounds a
/// server's resident memory on deadline day; the writer's cache and mapping are what the
/// million-row import and verification runs lean on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliteMemory {
    pub reader_cache_mib: u32,
    pub writer_cache_mib: u32,
    pub writer_mmap_mib: u32,
}

impl Default for SqliteMemory {
    fn default() -> Self {
        SqliteMemory {
            reader_cache_mib: 64,
            writer_cache_mib: 256,
            writer_mmap_mib: 1024,
        }
    }
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), applies pending migrations, checks
    /// that `vault` holds this database's key and seals anything an older version left in clear.
    pub async fn connect(url: &str, vault: Arc<Vault>) -> StoreResult<Db> {
        Self::connect_with(url, vault, SqliteMemory::default()).await
    }

    /// [`Db::connect`] with SQLite's memory set (ignored on PostgreSQL).
    pub async fn connect_with(
        url: &str,
        vault: Arc<Vault>,
        memory: SqliteMemory,
    ) -> StoreResult<Db> {
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
                    feed: Arc::new(Feed::new(pool.clone())),
                    reader: pool.clone(),
                    writer: pool,
                    backend,
                    vault,
                    wal: None,
                    url: url.into(),
                }
            }
            Backend::Sqlite => {
                let writer = sqlite_pool(1, memory.writer_cache_mib, memory.writer_mmap_mib)
                    .connect_with(options.clone())
                    .await?;
                let reader = sqlite_pool(8, memory.reader_cache_mib, 0)
                    .connect_with(options)
                    .await?;
                // Empty for an in-memory database, which has no log to flush.
                let file: String =
                    sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                        .fetch_one(&writer)
                        .await?;
                Db {
                    feed: Arc::new(Feed::new(reader.clone())),
                    reader,
                    writer,
                    backend,
                    vault,
                    wal: (!file.is_empty()).then(|| Arc::new(WalSync::new(&file))),
                    url: url.into(),
                }
            }
        };
        migrate::run(&db).await?;
        sealed::prepare(&db, &db.vault).await?;
        Ok(db)
    }

    /// What this process keeps in memory (empty and unused until [`Db::follow_changes`]).
    pub fn cache(&self) -> &Cache {
        &self.feed.cache
    }

    /// Follows the change feed until aborted; the cache keeps entries only meanwhile. A
    /// server runs this; the CLI does not (its reads all go to the database).
    pub async fn follow_changes(&self) {
        /// Aborted or not, nothing is cached once no one follows.
        struct Unfollow<'a>(&'a Cache);
        impl Drop for Unfollow<'_> {
            fn drop(&mut self) {
                self.0.set_live(false);
            }
        }
        let _unfollow = Unfollow(self.cache());
        match self.backend {
            Backend::Sqlite => self.feed.follow_sqlite(self).await,
            Backend::Postgres => self.feed.follow_postgres(&self.url).await,
        }
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

    /// Starts a write transaction. All multi-row changes go through one of these. Its commit
    /// is on disk when [`Tx::commit`] returns, and it holds no lock while it is flushed.
    pub async fn begin(&self) -> StoreResult<Tx> {
        let (statement, after) = match self.backend {
            // IMMEDIATE takes the write lock up front, so a transaction never fails half-way
            // upgrading from a read snapshot. Each connection runs `synchronous = NORMAL`:
            // the commit is written to the WAL, and the group flush puts it on disk.
            Backend::Sqlite => (
                "BEGIN IMMEDIATE",
                self.wal
                    .clone()
                    .map_or(AfterCommit::Nothing, AfterCommit::SyncWal),
            ),
            Backend::Postgres => (
                "BEGIN; SET LOCAL synchronous_commit = off",
                AfterCommit::FlushPostgres,
            ),
        };
        let feed = Some(self.feed.clone());
        Tx::begin(self.writer.acquire().await?, statement, after, feed).await
    }

    /// A write transaction whose commit is not flushed to disk before it returns.
    /// For the items of a batch: the caller must end with a [`Db::begin`] transaction that
    /// writes, whose commit flushes the log up to it — and so every earlier commit — before
    /// anyone is told the batch is done.
    pub async fn begin_unflushed(&self) -> StoreResult<Tx> {
        let statement = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN; SET LOCAL synchronous_commit = off",
        };
        Tx::begin(
            self.writer.acquire().await?,
            statement,
            AfterCommit::Nothing,
            None,
        )
        .await
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
fn sqlite_pool(size: u32, cache_mib: u32, mmap_mib: u32) -> AnyPoolOptions {
    let mmap_bytes = u64::from(mmap_mib) << 20;
    AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(30))
        // An in-process database has no far end that could hang up.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                let pragmas = format!(
                    "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                     PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
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
    use sqlx::{AnyConnection, Connection, Executor, Row};

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

    /// Every commit that answers someone waits for a flush of the WAL that began after it
    /// (grouping is tested in `wal_sync`); a batch item's waits for none.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_puts_each_acknowledged_commit_on_disk_before_answering() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
        let vault = std::sync::Arc::new(xueshi_vault::Vault::ephemeral());
        let db = super::Db::connect(&url, vault).await.unwrap();
        let wal = db.wal.clone().expect("a database file has a WAL");
        let mut tx = db.begin().await.unwrap();
        tx.execute("CREATE TABLE t (n INTEGER)").await.unwrap();
        let level = sqlx::query("PRAGMA synchronous")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(
            level.get::<i64, _>(0),
            1,
            "NORMAL: the group flush does FULL's work"
        );
        tx.commit().await.unwrap();
        let (committed, synced, flushes) = wal.counts();
        assert_eq!(synced, committed, "on disk when commit returned");

        let mut tx = db.begin_unflushed().await.unwrap();
        tx.execute("INSERT INTO t (n) VALUES (0)").await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            wal.counts(),
            (committed, synced, flushes),
            "a batch item waits for none"
        );

        let writers = (1..=64_i64).map(|n| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                let insert = sqlx::query("INSERT INTO t (n) VALUES ($1)").bind(n);
                insert.execute(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
                let (_, synced, _) = db.wal.as_ref().unwrap().counts();
                synced
            })
        });
        for (n, writer) in writers.enumerate() {
            let synced_at_return = writer.await.unwrap();
            assert!(
                synced_at_return > committed,
                "writer {n} returned before a flush"
            );
        }
        let (now_committed, now_synced, _) = wal.counts();
        assert_eq!(
            (now_committed, now_synced),
            (committed + 64, committed + 64)
        );
        db.close().await;
    }

    /// On PostgreSQL a commit through `begin` is made without waiting and then flushed: when
    /// `commit` returns, the log is on disk past everything the transaction wrote. (Without
    /// the flush, the WAL writer would get to it within its 200 ms delay: checked at once,
    /// twenty times over, an unflushed commit does not go unnoticed.) A dropped transaction
    /// is rolled back.
    #[tokio::test]
    async fn postgres_flushes_each_acknowledged_commit_after_releasing_its_locks() {
        let Some(base) = std::env::var("XUESHI_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            return;
        };
        sqlx::any::install_default_drivers();
        let name = format!("xueshi_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = AnyConnection::connect(&base).await.unwrap();
        let create = format!("CREATE DATABASE {name}");
        admin.execute(sqlx::AssertSqlSafe(create)).await.unwrap();
        let (prefix, _) = base.rsplit_once('/').expect("the URL names a database");
        let vault = std::sync::Arc::new(xueshi_vault::Vault::ephemeral());
        let db = super::Db::connect(&format!("{prefix}/{name}"), vault)
            .await
            .unwrap();
        db.pool()
            .execute("CREATE TABLE t (n BIGINT)")
            .await
            .unwrap();
        for n in 0..20_i64 {
            let mut tx = db.begin().await.unwrap();
            let inserted = sqlx::query("INSERT INTO t (n) VALUES ($1)").bind(n);
            inserted.execute(&mut *tx).await.unwrap();
            let written: String = sqlx::query("SELECT pg_current_wal_insert_lsn()::text")
                .fetch_one(&mut *tx)
                .await
                .unwrap()
                .get(0);
            tx.commit().await.unwrap();
            let flushed: bool = sqlx::query("SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn")
                .bind(&written)
                .fetch_one(db.pool())
                .await
                .unwrap()
                .get(0);
            assert!(
                flushed,
                "commit {n} returned before the log was flushed past {written}"
            );
        }
        let mut tx = db.begin().await.unwrap();
        sqlx::query("INSERT INTO t (n) VALUES (99)")
            .execute(&mut *tx)
            .await
            .unwrap();
        drop(tx);
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM t")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, 20, "the dropped transaction was rolled back");
        db.close().await;
        let drop_db = format!("DROP DATABASE {name} WITH (FORCE)");
        admin.execute(sqlx::AssertSqlSafe(drop_db)).await.unwrap();
    }
}
