//! Passwords: argon2id hashes and the password policy (API.md "Sign-in steps").

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AppError, AppResult};

/// Argon2id, 19 MiB of memory, 2 passes, 1 lane: OWASP's recommended minimum, about 20 ms a
/// hash here. Stored hashes carry their parameters, so raising these later still verifies
/// the old ones.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 128;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("constant argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A real hash to verify against when the username is unknown, so that both answers take
/// the same time and reveal nothing.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_now("xueshi-dummy-password"));

fn hash_now(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with constant parameters cannot fail")
        .to_string()
}

/// The password policy: 10 to 128 characters, not containing the username, not a common
/// password. `field` names the input in the error.
pub fn check_policy(field: &str, username: &str, password: &str) -> AppResult<()> {
    let len = password.chars().count();
    if !(MIN_CHARS..=MAX_CHARS).contains(&len) {
        return Err(AppError::invalid(field, "密码长度应为10至128个字符"));
    }
    let lower = password.to_lowercase();
    let name = username.trim().to_lowercase();
    if !name.is_empty() && lower.contains(&name) {
        return Err(AppError::invalid(field, "密码不能包含用户名（身份证号）"));
    }
    if COMMON.contains(lower.as_str()) {
        return Err(AppError::invalid(
            field,
            "该密码过于常见，容易被猜中，请换一个",
        ));
    }
    Ok(())
}

/// Hashes off the async runtime: argon2id is deliberately slow.
pub async fn hash(password: &str) -> AppResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))
}

/// Verifies `password` against `stored`, or against a dummy hash when there is no user.
pub async fn verify(password: &str, stored: Option<&str>) -> bool {
    let password = password.to_owned();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .unwrap_or(false)
}

/// A temporary password for an administrator's reset: 12 characters from an alphabet
/// without look-alikes, about 70 bits.
pub fn temporary() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_refuses_short_named_and_common_passwords() {
        let cases = [
            ("city", "short-9ch", false),
            ("city", "correct-horse-42", true),
            ("city", "my-city-password", false),
            ("440106197001011017", "x440106197001011017y", false),
            ("teacher", "1qaz2wsx3edc", false),
            ("teacher", "Password123", false),
            ("teacher", "woaini1314", false),
            ("teacher", "xueshi2021", true),
            ("teacher", &"长".repeat(128), true),
            ("teacher", &"长".repeat(129), false),
        ];
        for (user, password, ok) in cases {
            assert_eq!(check_policy("p", user, password).is_ok(), ok, "{password}");
        }
        assert!(COMMON.len() >= 10_000);
    }

    #[test]
    fn a_temporary_password_passes_the_policy() {
        let p = temporary();
        assert_eq!(p.chars().count(), 12);
        assert!(check_policy("p", "someone", &p).is_ok());
    }
}
