use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the constraint or column is named when known.
    #[error("unique constraint violated: {0}")]
    Unique(String),
    #[error("row not found")]
    NotFound,
    /// Text the database cannot hold (PostgreSQL refuses NUL bytes): a caller's bad input
    /// that got past the checks, answered as such rather than as a server error.
    #[error("text the database cannot store: {0}")]
    BadText(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(sqlx::Error),
    /// The data key given is not the one this database's data was sealed with.
    #[error("{0}")]
    WrongKey(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Unique(db.constraint().unwrap_or(db.message()).to_owned())
            }
            // 22021 character_not_in_repertoire (a NUL byte), 22P05 untranslatable_character.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("22021") | Some("22P05")) =>
            {
                StoreError::BadText(db.message().to_owned())
            }
            _ => StoreError::Database(err),
        }
    }
}
