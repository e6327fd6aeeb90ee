//! API tests. The same suite runs on SQLite (default) and on PostgreSQL
//! (`XUESHI_TEST_DATABASE_URL=postgres://…/postgres`).

mod helpers;

mod audit;
mod auth;
mod health;
mod import;
mod ledger;
mod orgs;
mod policies;
mod teachers;
mod users;
mod verification;
mod web;
