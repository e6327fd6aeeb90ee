//! CSRF tokens. Before login: a random value in a cookie that the form must repeat (double
//! submit). After login: a hash of the session token, which a cross-site page cannot know.

use sha2::{Digest, Sha256};

use super::sessions::{constant_time_eq, new_token};

pub const LOGIN_CSRF_COOKIE: &str = "xueshi_csrf";

pub fn new_login_token() -> String {
    new_token()
}

pub fn csrf_for_session(session_token_hash: &str) -> String {
    hex::encode(Sha256::digest(
        format!("csrf:{session_token_hash}").as_bytes(),
    ))
}

pub fn matches(expected: &str, given: &str) -> bool {
    constant_time_eq(expected.as_bytes(), given.as_bytes())
}

/// Before login: does the form repeat the token of its cookie?
pub fn matches_login_cookie(headers: &axum::http::HeaderMap, given: &str) -> bool {
    let expected = super::cookie(headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    !expected.is_empty() && matches(&expected, given)
}

/// After login: 403 unless the form carries its session's token.
pub fn require_for_session(
    session_token_hash: &str,
    given: &str,
) -> Result<(), crate::error::AppError> {
    if matches(&csrf_for_session(session_token_hash), given) {
        Ok(())
    } else {
        Err(crate::error::AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_token_is_bound_to_its_session() {
        assert_eq!(csrf_for_session("a"), csrf_for_session("a"));
        assert_ne!(csrf_for_session("a"), csrf_for_session("b"));
        assert!(matches("abc", "abc"));
        assert!(!matches("abc", "abd"));
        assert!(!matches("abc", "ab"));
    }
}
