//! A fresh database for a store test: SQLite in a temporary directory, or, when
//! `XUESHI_TEST_DATABASE_URL` names a PostgreSQL server, a new database on it — the same
//! switch as the server's tests, so `.ci/run` runs these on both backends.

#![allow(dead_code)] // each test file uses some of it

pub mod fixtures;

use std::sync::Arc;

use sqlx::{Connection, Executor};
use xueshi_store::Db;
use xueshi_vault::Vault;

pub struct TestDb {
    pub db: Db,
    pub vault: Arc<Vault>,
    /// Holds the SQLite file for as long as the test runs.
    _dir: Option<tempfile::TempDir>,
}

pub async fn open() -> TestDb {
    sqlx::any::install_default_drivers();
    let vault = Arc::new(Vault::ephemeral());
    let base = std::env::var("XUESHI_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let Some(base) = base else {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("store.db").display()
        );
        let db = Db::connect(&url, vault.clone())
            .await
            .expect("SQLite opens");
        return TestDb {
            db,
            vault,
            _dir: Some(dir),
        };
    };
    let name = format!("xueshi_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::AnyConnection::connect(&base)
        .await
        .expect("the test server answers");
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("a test database");
    let (prefix, _) = base.rsplit_once('/').expect("the URL names a database");
    let db = Db::connect(&format!("{prefix}/{name}"), vault.clone())
        .await
        .expect("PostgreSQL opens");
    TestDb {
        db,
        vault,
        _dir: None,
    }
}
