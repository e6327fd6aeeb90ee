//! Authentication: passwords (argon2id), second factors, session tokens and their sign-in
//! steps, the current-user extractors.

pub mod extract;
pub mod password;
pub mod sessions;
pub mod steps;
pub mod totp;
pub mod touches;

pub use extract::{ClientIp, CurrentUser, SESSION_COOKIE, Session};
pub use steps::Step;
