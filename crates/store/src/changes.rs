//! The change feed: how every server hears which rows changed, so that its [`Cache`] forgets
//! them. Triggers (migration 0022) name the changes; PostgreSQL delivers them by `NOTIFY` at
//! commit, in commit order, to every server listening; on SQLite they are rows of
//! `cache_changes`, read every [`POLL_EVERY`] (other processes: the CLI) and after each of
//! this server's own commits.
//!
//! Own changes are forgotten before [`crate::Tx::commit`] returns, so a request that changed
//! something and the next one on the same server agree. On PostgreSQL the commit then sends
//! a `sync:` notification of its own and waits until the listener hears it: everything
//! committed before, its own changes included, has been forgotten by then.
//!
//! Bounds: another server forgets a change within the delivery of a notification
//! (milliseconds) on PostgreSQL; a change made by another process on SQLite within
//! [`POLL_EVERY`]. A lost listener connection stops the cache (every read goes to the
//! database) until it is listening again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::{AnyConnection, AnyPool, Executor, Row};
use tokio::sync::oneshot;

use crate::StoreResult;
use crate::cache::Cache;

pub const CHANNEL: &str = "xueshi_changes";
pub const POLL_EVERY: Duration = Duration::from_millis(200);
/// A commit waits at most this long to hear its own `sync:`; then the cache starts afresh.
const SYNC_WAIT: Duration = Duration::from_secs(2);
/// Rows of `cache_changes` kept for processes that read behind; older ones are deleted.
const KEEP_ROWS: i64 = 100_000;
/// More new rows than this at once: start afresh rather than read them all.
const MAX_BATCH: i64 = 5_000;
/// SQLite: how long the triggers keep naming changes after a follower's last renewal (it
/// renews every minute); afterwards no one is taken to follow.
const FOLLOWING_FOR_MS: i64 = 10 * 60 * 1000;

pub(crate) struct Feed {
    pub(crate) cache: Arc<Cache>,
    reader: AnyPool,
    /// SQLite: the newest `cache_changes` row applied.
    position: tokio::sync::Mutex<i64>,
    /// PostgreSQL: this process's name in `sync:` notifications, and their waiters.
    nonce: String,
    next_sync: AtomicU64,
    waiters: std::sync::Mutex<BTreeMap<u64, oneshot::Sender<()>>>,
}

impl Feed {
    pub(crate) fn new(reader: AnyPool) -> Feed {
        Feed {
            cache: Arc::new(Cache::default()),
            reader,
            position: tokio::sync::Mutex::new(0),
            nonce: uuid::Uuid::now_v7().simple().to_string(),
            next_sync: AtomicU64::new(0),
            waiters: Default::default(),
        }
    }

    /// SQLite: applies the rows of `cache_changes` written since the last call.
    pub(crate) async fn catch_up(&self) -> StoreResult<()> {
        let mut position = self.position.lock().await;
        let rows =
            sqlx::query("SELECT id, key FROM cache_changes WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(*position)
                .bind(MAX_BATCH)
                .fetch_all(&self.reader)
                .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        let first: i64 = rows[0].try_get("id")?;
        let last: i64 = last.try_get("id")?;
        // Ids are consecutive (one writer, rolled back ones reused): a gap was pruned unread.
        if rows.len() as i64 == MAX_BATCH || first != *position + 1 {
            self.cache.forget_all();
            *position = self.newest().await?;
            return Ok(());
        }
        let keys: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("key"))
            .collect::<Result<_, _>>()?;
        self.cache.forget(keys.iter().map(String::as_str));
        *position = last;
        Ok(())
    }

    /// PostgreSQL: after a commit on `c`, waits until the listener has heard every
    /// notification up to that commit (see the module's note).
    pub(crate) async fn sync_after(&self, c: &mut AnyConnection, flush: &str) -> StoreResult<()> {
        let n = self.next_sync.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.lock_waiters().insert(n, tx);
        let sql = format!("{flush}, pg_notify('{CHANNEL}', 'sync:{}:{n}')", self.nonce);
        c.execute(sqlx::AssertSqlSafe(sql)).await?;
        if tokio::time::timeout(SYNC_WAIT, rx).await.is_err() {
            tracing::warn!("the change feed did not answer; cached entries dropped");
            self.lock_waiters().remove(&n);
            self.cache.forget_all();
        }
        Ok(())
    }

    /// PostgreSQL: one notification's payload.
    fn deliver(&self, payload: &str) {
        if let Some(sync) = payload.strip_prefix("sync:") {
            let Some((nonce, n)) = sync.split_once(':') else {
                return;
            };
            if nonce == self.nonce
                && let Ok(n) = n.parse::<u64>()
            {
                let mut waiters = self.lock_waiters();
                let rest = waiters.split_off(&(n + 1));
                for (_, waiter) in std::mem::replace(&mut *waiters, rest) {
                    let _ = waiter.send(());
                }
            }
            return;
        }
        self.cache.forget(payload.split(' '));
    }

    fn lock_waiters(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, oneshot::Sender<()>>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// SQLite: follows `cache_changes` until aborted, deleting rows no one needs any more.
    pub(crate) async fn follow_sqlite(&self, db: &crate::Db) {
        let mut tick = tokio::time::interval(POLL_EVERY);
        let mut polls: u64 = 0;
        loop {
            tick.tick().await;
            if !self.cache.is_live() {
                match self.start_sqlite(db).await {
                    Ok(()) => self.cache.set_live(true),
                    Err(e) => tracing::warn!(error = %e, "change feed not started; retrying"),
                }
                continue;
            }
            if let Err(e) = self.catch_up().await {
                tracing::warn!(error = %e, "change feed not read; cache stopped until it is");
                self.cache.set_live(false);
            }
            polls += 1;
            if polls.is_multiple_of(300)
                && let Err(e) = renew_following(db, true).await
            {
                // Unrenewed, the triggers would stop naming changes: start over instead.
                tracing::warn!(error = %e, "change feed not renewed; cache stopped until it is");
                self.cache.set_live(false);
            }
        }
    }

    async fn start_sqlite(&self, db: &crate::Db) -> StoreResult<()> {
        // Named from now on (a writer still in its transaction commits before this one).
        renew_following(db, false).await?;
        *self.position.lock().await = self.newest().await?;
        Ok(())
    }

    /// SQLite: the id of the newest `cache_changes` row.
    async fn newest(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM cache_changes")
                .fetch_one(&self.reader)
                .await?,
        )
    }

    /// PostgreSQL: listens until aborted, reconnecting when the connection is lost (and
    /// keeping nothing in between: what changed meanwhile was not heard).
    pub(crate) async fn follow_postgres(&self, url: &str) {
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect(url).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "change feed cannot connect; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "change feed cannot listen; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            self.cache.set_live(true);
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => self.deliver(n.payload()),
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "change feed lost");
                        break;
                    }
                }
            }
            self.cache.set_live(false);
            self.lock_waiters().clear();
        }
    }
}

/// SQLite: tells the triggers that someone follows for [`FOLLOWING_FOR_MS`] more; `prune`
/// also deletes rows every follower has read long ago. One transaction.
async fn renew_following(db: &crate::Db, prune: bool) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE cache_feed SET following_until = $1")
        .bind(crate::now_ms() + FOLLOWING_FOR_MS)
        .execute(&mut *tx)
        .await?;
    if prune {
        sqlx::query(
            "DELETE FROM cache_changes \
             WHERE id <= (SELECT COALESCE(MAX(id), 0) FROM cache_changes) - $1",
        )
        .bind(KEEP_ROWS)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
