//! Authentication: passwords (argon2id), second factors, session tokens and their sign-in
//! steps, the current-user extractors.

pub mod csrf;
pub mod extract;
pub mod password;
pub mod sessions;
pub mod steps;
pub mod totp;
pub mod touches;

pub use extract::{ClientIp, CurrentUser, SESSION_COOKIE, Session};
pub use steps::Step;

/// The value of the cookie `name`, from any of the request's `Cookie` headers.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}
