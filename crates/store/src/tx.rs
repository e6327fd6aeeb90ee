//! A write transaction whose commit releases its locks before it is flushed to disk.
//!
//! Every audited change ends by advancing the one audit chain, so the chain's row lock (on
//! SQLite, the one writer connection) is held until commit. A synchronous commit holds it
//! through the log's flush as well, and every other writer waits for that flush in turn: the
//! chain became the whole system's disk latency, one commit at a time. Here the commit
//! itself does not wait (its record is in the log and its locks are released), and then,
//! before anyone is told, the log is flushed up to a point past that record — on
//! PostgreSQL still on the same connection, on SQLite by [`WalSync`]. Concurrent flushes
//! are grouped; the acknowledged commit is as durable as a synchronous one.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Database, Executor, SqlSafeStr};
use sqlx_core::transaction::TransactionManager;

use crate::StoreResult;
use crate::changes::Feed;
use crate::wal_sync::WalSync;

type Manager = <Any as Database>::TransactionManager;

/// What [`Tx::commit`] must do after the commit before it returns.
#[derive(Clone, Debug)]
pub(crate) enum AfterCommit {
    /// A batch item, whose batch flushes at its end (or a database without a log file).
    Nothing,
    /// Flush the PostgreSQL log past the commit.
    FlushPostgres,
    /// Wait for a flush of the SQLite WAL that began after the commit.
    SyncWal(Arc<WalSync>),
}

/// Only when something is still unflushed, write a transactional message: its commit is
/// synchronous (the session's setting), so it waits until the log is on disk up to past
/// itself — and so past the commit just made. (A transaction that assigns no id or writes
/// nothing would commit without waiting.) Works for a role that owns nothing.
const FLUSH_POSTGRES: &str = "SELECT CASE WHEN pg_current_wal_flush_lsn() < pg_current_wal_insert_lsn() \
     THEN pg_logical_emit_message(true, 'xueshi', 'flush') IS NOT NULL ELSE TRUE END";

/// An open write transaction; rolled back when dropped uncommitted (as sqlx's own).
pub struct Tx {
    conn: PoolConnection<Any>,
    open: bool,
    after: AfterCommit,
    /// Set when this server caches: the commit returns once its changes are forgotten.
    feed: Option<Arc<Feed>>,
}

impl Tx {
    pub(crate) async fn begin(
        conn: PoolConnection<Any>,
        statement: &'static str,
        after: AfterCommit,
        feed: Option<Arc<Feed>>,
    ) -> StoreResult<Tx> {
        // Open before `begin` runs: if it fails half-way, drop still rolls back.
        let mut tx = Tx {
            conn,
            open: true,
            after,
            feed: feed.filter(|f| f.cache.is_live()),
        };
        Manager::begin(&mut tx.conn, Some(statement.into_sql_str())).await?;
        Ok(tx)
    }

    pub async fn commit(mut self) -> StoreResult<()> {
        Manager::commit(&mut self.conn).await?;
        self.open = false;
        let feed = self.feed.take();
        match &self.after {
            AfterCommit::Nothing => {}
            AfterCommit::FlushPostgres => match feed {
                // One round trip flushes the log and asks the feed to catch up.
                Some(feed) => return feed.sync_after(&mut self.conn, FLUSH_POSTGRES).await,
                None => {
                    self.conn.execute(FLUSH_POSTGRES).await?;
                }
            },
            AfterCommit::SyncWal(wal) => {
                let (wal, number) = (wal.clone(), wal.committed());
                // The writer connection goes back to the next writer before the flush.
                drop(self);
                wal.wait_on_disk(number).await?;
            }
        }
        match feed {
            Some(feed) => feed.catch_up().await,
            None => Ok(()),
        }
    }
}

impl Deref for Tx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.open {
            // Queues the rollback to run before the connection's next use, in the pool too.
            Manager::start_rollback(&mut self.conn);
        }
    }
}
