//! Authentication: passwords (argon2id), session tokens, the current-user extractor.

pub mod extract;
pub mod password;
pub mod sessions;

pub use extract::{ClientIp, CurrentUser, MaybeUser, SESSION_COOKIE};
