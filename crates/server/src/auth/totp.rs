//! The second factor: TOTP (RFC 6238 — SHA-1, 6 digits, 30-second steps, ±1 step of drift),
//! its enrolment QR code, and single-use recovery codes (stored by hash).
//! Secrets stay out of logs: nothing here implements `Display` for them.

use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

use crate::error::{AppError, AppResult};

pub const ISSUER: &str = "学时平台";
pub const RECOVERY_CODES: usize = 10;
const STEP_SECONDS: u64 = 30;
/// Recovery codes avoid letters read alike (0/O, 1/I/L).
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

fn totp(secret_base32: &str, account: &str) -> AppResult<Totp> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored TOTP secret unreadable: {e}")))?;
    Builder::new()
        .with_secret(secret)
        .with_step_duration(STEP_SECONDS)
        .with_skew(1)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("TOTP parameters: {e}")))
}

/// A new random secret (160 bits), base32 as authenticator apps take it.
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(secret_base32: &str, account: &str) -> AppResult<String> {
    // An account name may not contain a colon (it separates issuer and account).
    let account = account.replace(':', "_");
    totp(secret_base32, &account)?
        .to_url()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("otpauth URI: {e}")))
}

/// The step of `code` if it is right for `now_ms` within one step of drift.
pub fn check(secret_base32: &str, code: &str, now_ms: i64) -> AppResult<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let seconds = u64::try_from(now_ms / 1000).unwrap_or(0);
    let step = totp(secret_base32, "x")?.check(&code, seconds);
    Ok(step.and_then(|s| i64::try_from(s).ok()))
}

/// The code an authenticator shows at `now_ms` (tests and the demo's instructions use it).
pub fn code_at(secret_base32: &str, now_ms: i64) -> AppResult<String> {
    let seconds = u64::try_from(now_ms / 1000).unwrap_or(0);
    Ok(totp(secret_base32, "x")?.generate(seconds).to_string())
}

/// The enrolment QR code as an SVG element, drawn on the page (no image request, no script).
pub fn qr_svg(uri: &str) -> AppResult<String> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML: the element without its XML declaration.
    Ok(svg
        .find("<svg")
        .map_or(svg.clone(), |at| svg[at..].to_owned()))
}

/// Ten new recovery codes, shown to the user once, e.g. `k7m2-x9qp-4t`.
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..])
        })
        .collect()
}

/// Whether `input` has the shape of a recovery code rather than a TOTP code.
pub fn looks_like_recovery_code(input: &str) -> bool {
    normalise_recovery(input).len() == 10
}

fn normalise_recovery(input: &str) -> String {
    input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Recovery codes carry 50 random bits each: a plain hash is enough to store them.
pub fn recovery_hash(code: &str) -> String {
    hex::encode(Sha256::digest(
        format!("recovery:{}", normalise_recovery(code)).as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_accepted_within_one_step_of_drift_only() {
        let secret = new_secret();
        let now = 1_800_000_000_000;
        let code = code_at(&secret, now).unwrap();
        let step = check(&secret, &code, now).unwrap().unwrap();
        assert_eq!(step, now / 1000 / 30);
        assert!(check(&secret, &code, now + 30_000).unwrap().is_some());
        assert!(check(&secret, &code, now - 30_000).unwrap().is_some());
        assert!(check(&secret, &code, now + 61_000).unwrap().is_none());
        assert!(check(&secret, "12345", now).unwrap().is_none());
        assert!(check(&secret, "abcdef", now).unwrap().is_none());
    }

    #[test]
    fn the_uri_names_the_issuer_and_account() {
        let uri = otpauth_uri(&new_secret(), "city:admin").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains("secret="));
        assert!(qr_svg(&uri).unwrap().starts_with("<svg"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_alike_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        let code = &codes[0];
        assert!(looks_like_recovery_code(code));
        assert_eq!(
            recovery_hash(code),
            recovery_hash(&code.to_uppercase().replace('-', " "))
        );
        assert!(!looks_like_recovery_code("123456"));
    }
}
