//! Second factors: a TOTP secret per user (unconfirmed until its first code), its recovery
//! codes (stored by hash), and forgot-password codes.

use sqlx::{AnyConnection, Row};
use xueshi_vault::Vault;

use super::sql::Sql;
use crate::{StoreError, StoreResult};

pub struct Authenticator {
    /// In clear here; stored sealed under the data key, bound to its user.
    pub secret: String,
    pub confirmed: bool,
    /// The 30-second step of the last accepted code: a code of this step or earlier is refused.
    pub last_step: i64,
}

/// The vault context of a user's sealed secret: a sealed secret copied to another user's row
/// does not open.
pub fn secret_context(user_id: &str) -> String {
    format!("user_mfa.secret:{user_id}")
}

pub async fn get(
    c: &mut AnyConnection,
    v: &Vault,
    user_id: &str,
) -> StoreResult<Option<Authenticator>> {
    let mut q = Sql::new("SELECT secret, confirmed_at, last_step FROM user_mfa WHERE user_id = ");
    q.bind(user_id);
    q.fetch_optional(c)
        .await?
        .map(|row| {
            let sealed: String = row.try_get("secret")?;
            let secret = v
                .open(&secret_context(user_id), &sealed)
                .map_err(|e| StoreError::Corrupt(format!("user_mfa.secret of {user_id}: {e}")))?;
            Ok(Authenticator {
                secret,
                confirmed: row.try_get::<Option<i64>, _>("confirmed_at")?.is_some(),
                last_step: row.try_get("last_step")?,
            })
        })
        .transpose()
}

/// Whether the user has a confirmed authenticator (without opening its secret).
pub async fn is_confirmed(c: &mut AnyConnection, user_id: &str) -> StoreResult<bool> {
    let mut q = Sql::new("SELECT 1 FROM user_mfa WHERE confirmed_at IS NOT NULL AND user_id = ");
    q.bind(user_id);
    Ok(q.fetch_optional(c).await?.is_some())
}

/// A new, unconfirmed secret (replacing any earlier one and its recovery codes).
pub async fn replace(
    c: &mut AnyConnection,
    v: &Vault,
    user_id: &str,
    secret: &str,
    now: i64,
) -> StoreResult<()> {
    remove(c, user_id).await?;
    let mut q = Sql::new("INSERT INTO user_mfa (user_id, secret, created_at) VALUES (");
    q.bind(user_id)
        .push(", ")
        .bind(v.seal(&secret_context(user_id), secret))
        .push(", ")
        .bind(now)
        .push(")");
    q.execute(c).await?;
    Ok(())
}

/// Accepts a code of `step`, unless one of that step or later was accepted already (the
/// condition in the statement itself makes two servers agree). Confirms the enrolment.
pub async fn accept_step(
    c: &mut AnyConnection,
    user_id: &str,
    step: i64,
    now: i64,
) -> StoreResult<bool> {
    let mut q = Sql::new("UPDATE user_mfa SET last_step = ");
    q.bind(step)
        .push(", confirmed_at = COALESCE(confirmed_at, ")
        .bind(now)
        .push(") WHERE user_id = ")
        .bind(user_id)
        .push(" AND last_step < ")
        .bind(step);
    Ok(q.execute(c).await? == 1)
}

/// Removes a user's authenticator and recovery codes (an administrator's reset).
pub async fn remove(c: &mut AnyConnection, user_id: &str) -> StoreResult<()> {
    let mut q = Sql::new("DELETE FROM mfa_recovery_codes WHERE user_id = ");
    q.bind(user_id);
    q.execute(c).await?;
    let mut q = Sql::new("DELETE FROM user_mfa WHERE user_id = ");
    q.bind(user_id);
    q.execute(c).await?;
    Ok(())
}

pub async fn insert_recovery_code(
    c: &mut AnyConnection,
    user_id: &str,
    code_hash: &str,
) -> StoreResult<()> {
    let mut q = Sql::new("INSERT INTO mfa_recovery_codes (code_hash, user_id) VALUES (");
    q.bind(code_hash).push(", ").bind(user_id).push(")");
    q.execute(c).await?;
    Ok(())
}

/// Uses up an unused recovery code of the user; false if there is none such.
pub async fn use_recovery_code(
    c: &mut AnyConnection,
    user_id: &str,
    code_hash: &str,
    now: i64,
) -> StoreResult<bool> {
    let mut q = Sql::new("UPDATE mfa_recovery_codes SET used_at = ");
    q.bind(now)
        .push(" WHERE code_hash = ")
        .bind(code_hash)
        .push(" AND user_id = ")
        .bind(user_id)
        .push(" AND used_at IS NULL");
    Ok(q.execute(c).await? == 1)
}

/// A forgot-password code: one live code per user, replacing any earlier one.
pub async fn put_reset_code(
    c: &mut AnyConnection,
    user_id: &str,
    code_hash: &str,
    expires_at: i64,
    tries: i64,
) -> StoreResult<()> {
    let mut q = Sql::new("DELETE FROM password_reset_codes WHERE user_id = ");
    q.bind(user_id);
    q.execute(c).await?;
    let mut q = Sql::new(
        "INSERT INTO password_reset_codes (user_id, code_hash, expires_at, tries_left) VALUES (",
    );
    q.bind(user_id).push(", ").bind(code_hash).push(", ");
    q.bind(expires_at).push(", ").bind(tries).push(")");
    q.execute(c).await?;
    Ok(())
}

pub struct ResetCode {
    pub code_hash: String,
    pub expires_at: i64,
    pub tries_left: i64,
}

pub async fn reset_code(c: &mut AnyConnection, user_id: &str) -> StoreResult<Option<ResetCode>> {
    let mut q = Sql::new(
        "SELECT code_hash, expires_at, tries_left FROM password_reset_codes WHERE user_id = ",
    );
    q.bind(user_id);
    q.fetch_optional(c)
        .await?
        .map(|row| {
            Ok(ResetCode {
                code_hash: row.try_get("code_hash")?,
                expires_at: row.try_get("expires_at")?,
                tries_left: row.try_get::<i64, _>("tries_left")?,
            })
        })
        .transpose()
}

/// Spends one try of the user's code.
pub async fn spend_reset_try(c: &mut AnyConnection, user_id: &str) -> StoreResult<()> {
    let mut q =
        Sql::new("UPDATE password_reset_codes SET tries_left = tries_left - 1 WHERE user_id = ");
    q.bind(user_id);
    q.execute(c).await?;
    Ok(())
}

pub async fn delete_reset_code(c: &mut AnyConnection, user_id: &str) -> StoreResult<()> {
    let mut q = Sql::new("DELETE FROM password_reset_codes WHERE user_id = ");
    q.bind(user_id);
    q.execute(c).await?;
    Ok(())
}
