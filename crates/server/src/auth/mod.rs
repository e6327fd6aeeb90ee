//! Authentication: passwords (argon2id), session tokens, the current-user extractor.

mod extract;
pub mod password;
pub mod sessions;

pub use extract::{ClientIp, CurrentUser, SESSION_COOKIE};
