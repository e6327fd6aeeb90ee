//! Sealed personal data in the tables: teachers' ID numbers and phones are stored sealed by
//! the vault and bound to their row; ID numbers are found through a blind index, and a
//! teacher's login (whose username is the ID number) through the same index.

use sqlx::{Executor, Row};
use xueshi_domain::IdNumber;
use xueshi_vault::Vault;

use crate::repo::sql::Sql;
use crate::repo::{mfa, settings};
use crate::{Backend, Db, StoreError, StoreResult};

const CHECK_SETTING: &str = "vault.check";
const CHECK_TEXT: &str = "xueshi-data-key";
const BATCH: i64 = 500;

/// The blind index of an ID number (already normalised by [`IdNumber::parse`]).
pub fn id_number_index(v: &Vault, id_number: &str) -> String {
    v.blind_index("id_number", id_number)
}

/// What `users.username` holds for `username`: a teacher's login is their ID number, so a
/// valid ID number is stored (and looked up) as its blind index; any other name as typed.
pub fn login_key(v: &Vault, username: &str) -> String {
    match IdNumber::parse(username) {
        Ok(n) => format!("idx:{}", id_number_index(v, n.as_str())),
        Err(_) => username.to_owned(),
    }
}

pub fn seal_field(v: &Vault, teacher_id: &str, field: &str, value: &str) -> String {
    v.seal(&context(teacher_id, field), value)
}

pub fn open_field(v: &Vault, teacher_id: &str, field: &str, sealed: &str) -> StoreResult<String> {
    v.open(&context(teacher_id, field), sealed)
        .map_err(|e| StoreError::Corrupt(format!("teachers.{field} of {teacher_id}: {e}")))
}

fn context(teacher_id: &str, field: &str) -> String {
    format!("teachers.{field}:{teacher_id}")
}

/// Makes sure `v` is this database's key — recording a check value on first use — then seals
/// whatever an older version stored in clear. Returns the number of teachers converted.
pub async fn prepare(db: &Db, v: &Vault) -> StoreResult<u64> {
    let mut c = db.writer().acquire().await?;
    let check =
        settings::get_or_create(&mut c, CHECK_SETTING, || v.seal(CHECK_SETTING, CHECK_TEXT))
            .await?;
    drop(c);
    match v.open(CHECK_SETTING, &check) {
        Ok(text) if text == CHECK_TEXT => {}
        _ => {
            return Err(StoreError::WrongKey(
                "the data key does not open this database's data (another database's key file, \
                 or a changed one)"
                    .into(),
            ));
        }
    }
    let converted = convert(db, v).await?;
    if seal_mfa_secrets(db, v).await? > 0 {
        scrub_free_pages(db).await?;
    }
    Ok(converted)
}

/// Seals the authenticator secrets an older version stored in clear, and re-seals those under
/// an older key, in one transaction (there is one per staff member, not per teacher).
/// Returns the number rewritten.
pub async fn seal_mfa_secrets(db: &Db, v: &Vault) -> StoreResult<u64> {
    let current = v.current_key_id();
    let mut tx = db.begin().await?;
    let rows = Sql::new("SELECT user_id, secret FROM user_mfa")
        .fetch_all(&mut tx)
        .await?;
    let mut rewritten = 0u64;
    for row in rows {
        let user_id: String = row.try_get("user_id")?;
        let stored: String = row.try_get("secret")?;
        let context = mfa::secret_context(&user_id);
        let secret = match xueshi_vault::key_id_of(&stored) {
            Some(id) if id == current => continue,
            Some(_) => v
                .open(&context, &stored)
                .map_err(|e| StoreError::Corrupt(format!("user_mfa.secret of {user_id}: {e}")))?,
            None => stored,
        };
        let mut q = Sql::new("UPDATE user_mfa SET secret = ");
        q.bind(v.seal(&context, &secret))
            .push(" WHERE user_id = ")
            .bind(user_id.as_str());
        q.execute(&mut tx).await?;
        rewritten += 1;
    }
    tx.commit().await?;
    Ok(rewritten)
}

/// Seals teachers stored in clear, [`BATCH`] per transaction (a stopped run resumes where it
/// stopped: a row is either wholly converted or not at all), then rewrites the freed pages.
async fn convert(db: &Db, v: &Vault) -> StoreResult<u64> {
    let mut converted = 0u64;
    loop {
        let mut tx = db.begin().await?;
        let mut q =
            Sql::new("SELECT id, id_number, phone FROM teachers WHERE id_number_index IS NULL ");
        q.push("ORDER BY id LIMIT ").bind(BATCH);
        let rows = q.fetch_all(&mut tx).await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let id: String = row.try_get("id")?;
            let number: String = row.try_get("id_number")?;
            let phone: Option<String> = row.try_get("phone")?;
            let normalised = IdNumber::parse(&number)
                .map(String::from)
                .unwrap_or_else(|_| number.to_uppercase());
            let index = id_number_index(v, &normalised);
            let mut q = Sql::new("UPDATE teachers SET id_number = ");
            q.bind(seal_field(v, &id, "id_number", &normalised))
                .push(", phone = ")
                .bind(phone.map(|p| seal_field(v, &id, "phone", &p)));
            q.push(", id_number_index = ")
                .bind(index.as_str())
                .push(" WHERE id = ")
                .bind(id.as_str());
            q.execute(&mut tx).await?;
            let mut q = Sql::new("UPDATE users SET username = ");
            q.bind(format!("idx:{index}"))
                .push(" WHERE teacher_id = ")
                .bind(id.as_str());
            q.execute(&mut tx).await?;
        }
        tx.commit().await?;
        converted += rows.len() as u64;
    }
    if converted > 0 {
        rekey_staff_logins(db, v).await?;
        forget_clear_usernames(db).await?;
        scrub_free_pages(db).await?;
        tracing::info!(
            converted,
            "sealed the ID numbers and phones stored in clear"
        );
    }
    Ok(converted)
}

/// A staff username that happens to be a valid ID number is looked up by its index too.
async fn rekey_staff_logins(db: &Db, v: &Vault) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    let rows = Sql::new("SELECT id, username FROM users WHERE teacher_id IS NULL")
        .fetch_all(&mut tx)
        .await?;
    for row in rows {
        let username: String = row.try_get("username")?;
        let key = login_key(v, &username);
        if key != username {
            let mut q = Sql::new("UPDATE users SET username = ");
            q.bind(key)
                .push(" WHERE id = ")
                .bind(row.try_get::<String, _>("id")?);
            q.execute(&mut tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Failed-login counts and locks keyed by an ID number in clear are short-lived (15 minutes):
/// they are dropped rather than converted.
async fn forget_clear_usernames(db: &Db) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    for table in ["login_failures", "login_locks"] {
        let rows = Sql::new(format!("SELECT DISTINCT username FROM {table}"))
            .fetch_all(&mut tx)
            .await?;
        for row in rows {
            let username: String = row.try_get("username")?;
            if IdNumber::parse(&username).is_ok() {
                let mut q = Sql::new(format!("DELETE FROM {table} WHERE username = "));
                q.bind(username.as_str());
                q.execute(&mut tx).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Old values linger in free pages (SQLite) or dead tuples (PostgreSQL) until rewritten.
async fn scrub_free_pages(db: &Db) -> StoreResult<()> {
    let mut c = db.writer().acquire().await?;
    match db.backend() {
        Backend::Sqlite => {
            c.execute("VACUUM").await?;
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
        Backend::Postgres => {
            c.execute("VACUUM FULL teachers, users, login_failures, login_locks, user_mfa")
                .await?;
        }
    }
    Ok(())
}

/// Re-seals, under the vault's current key, every value sealed under an older one — in
/// batches of [`BATCH`] teachers, each its own transaction, so the servers keep running (they
/// learn the new key from the key file when they first meet it) and a stopped run can be run
/// again. Returns the number of teachers re-sealed.
pub async fn reseal_with_current_key(db: &Db, v: &Vault) -> StoreResult<u64> {
    let current = v.current_key_id();
    let is_old = |value: &Option<String>| {
        value
            .as_deref()
            .is_some_and(|s| xueshi_vault::key_id_of(s) != Some(current))
    };
    let mut cursor = String::new();
    let mut resealed = 0u64;
    loop {
        let mut tx = db.begin().await?;
        let mut q = Sql::new("SELECT id, id_number, phone FROM teachers WHERE id > ");
        q.bind(cursor.as_str())
            .push(" ORDER BY id LIMIT ")
            .bind(BATCH);
        let rows = q.fetch_all(&mut tx).await?;
        let Some(last) = rows.last() else {
            break;
        };
        cursor = last.try_get("id")?;
        for row in &rows {
            let id: String = row.try_get("id")?;
            let number: Option<String> = row.try_get("id_number")?;
            let phone: Option<String> = row.try_get("phone")?;
            if !is_old(&number) && !is_old(&phone) {
                continue;
            }
            let reseal = |field: &str, value: Option<String>| {
                value
                    .map(|s| open_field(v, &id, field, &s).map(|p| seal_field(v, &id, field, &p)))
                    .transpose()
            };
            let mut q = Sql::new("UPDATE teachers SET id_number = ");
            q.bind(reseal("id_number", number)?)
                .push(", phone = ")
                .bind(reseal("phone", phone)?);
            q.push(" WHERE id = ").bind(id.as_str());
            q.execute(&mut tx).await?;
            resealed += 1;
        }
        tx.commit().await?;
    }
    Ok(resealed)
}
