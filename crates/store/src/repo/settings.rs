//! Server-wide settings shared through the database by every server.

use sqlx::{AnyConnection, Row};

use super::sql::Sql;
use crate::StoreResult;

/// The value of `name`, created from `make` by whichever server asks first.
pub async fn get_or_create(
    c: &mut AnyConnection,
    name: &str,
    make: impl FnOnce() -> String,
) -> StoreResult<String> {
    let mut q = Sql::new("INSERT INTO settings (name, value) VALUES (");
    q.bind(name)
        .push(", ")
        .bind(make())
        .push(") ON CONFLICT (name) DO NOTHING");
    q.execute(c).await?;
    let mut q = Sql::new("SELECT value FROM settings WHERE name = ");
    q.bind(name);
    let row = q.query().fetch_one(c).await?;
    Ok(row.try_get("value")?)
}

/// The value of `name`, if some server has set it.
pub async fn get(c: &mut AnyConnection, name: &str) -> StoreResult<Option<String>> {
    let mut q = Sql::new("SELECT value FROM settings WHERE name = ");
    q.bind(name);
    q.fetch_optional(c)
        .await?
        .map(|row| Ok(row.try_get("value")?))
        .transpose()
}
