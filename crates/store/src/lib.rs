//! The storage boundary. One SQL layer, written once against sqlx's `Any` driver in the
//! dialect SQLite and PostgreSQL share (`$n` placeholders, `ON CONFLICT`, `RETURNING`,
//! `CAST(… AS BIGINT)`); each backend keeps its own migrations. Every function takes a
//! connection so callers compose them inside one transaction.

pub mod cache;
pub mod cached;
mod changes;
mod db;
mod error;
mod migrate;
pub mod models;
pub mod repo;
pub mod sealed;
mod tx;
mod wal_sync;

pub use db::{Backend, Conn, Db, SqliteMemory, now_ms, postgres_table_count};
pub use error::{StoreError, StoreResult, UniqueKey};
pub use sqlx::Error as SqlxError;
pub use sqlx::Row;
pub use tx::Tx;
pub use xueshi_vault::Vault;
