//! API tests. The same suite runs on SQLite (default) and on PostgreSQL
//! (`XUESHI_TEST_DATABASE_URL=postgres://…/postgres`).

mod helpers;

mod account_pages;
mod announcements;
mod audit;
mod auth;
mod batch_review;
mod certificates;
mod data_at_rest;
mod declarations;
mod declaring;
mod e2e;
mod evidence;
mod exports;
mod form_session;
mod health;
mod hostile;
mod import;
mod ledger;
mod notifications;
mod orgs;
mod pages;
mod policies;
mod queues;
mod reminders;
mod reports;
mod review;
mod roles;
mod sessions;
mod sign_in;
mod teachers;
mod users;
mod verification;
mod warnings;
mod web;
