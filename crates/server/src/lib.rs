//! Xueshi (学时): the server, its services, JSON API, web UI and CLI.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod demo;
pub mod downloads;
pub mod error;
pub mod in_flight;
pub mod metrics;
pub mod rate_limit;
pub mod refusals;
pub mod security;
pub mod serve;
pub mod services;
pub mod state;
pub mod web;

#[cfg(test)]
mod layers;
