use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint refused the write: which one, the same on both backends.
    #[error("unique constraint violated: {0:?}")]
    Unique(UniqueKey),
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
                StoreError::Unique(UniqueKey::of(db.constraint(), db.message()))
            }
            // 22021 character_not_in_repertoire (a NUL byte), 22P05 untranslatable_character.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("22021") | Some("22P05")) =>
            {
                StoreError::BadText(db.message().to_owned())
            }
            // A stored value its model's type refuses (an unknown code, negative hours).
            sqlx::Error::ColumnDecode { index, source } => {
                StoreError::Corrupt(format!("column {index}: {source}"))
            }
            _ => StoreError::Database(err),
        }
    }
}

/// The unique constraints a service answers for, named alike on both backends: PostgreSQL
/// names the index, SQLite only the columns (`UNIQUE constraint failed: t.a, t.b`) or, for
/// an index on an expression, the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UniqueKey {
    /// Two organisations of one kind and name under one parent.
    OrgSiblingName,
    /// A teacher's ID number (its blind index).
    TeacherIdNumber,
    Username,
    /// One login per teacher.
    TeacherLogin,
    RecordPerCourse,
    RecordPerTraining,
    RecordPerDeclaration,
    PendingTransfer,
    PendingCorrection,
    PendingSchoolApplication,
    PublicTopic,
    /// Any other, as the database named it.
    Other(String),
}

/// (key, PostgreSQL's name, SQLite's columns or index)
const KEYS: [(UniqueKey, &str, &str); 12] = [
    (
        UniqueKey::OrgSiblingName,
        "orgs_sibling_name",
        "index 'orgs_sibling_name'",
    ),
    (
        UniqueKey::TeacherIdNumber,
        "teachers_id_number_index",
        "teachers.id_number_index",
    ),
    (
        UniqueKey::TeacherIdNumber,
        "teachers_id_number_key",
        "teachers.id_number",
    ),
    (UniqueKey::Username, "users_username_key", "users.username"),
    (
        UniqueKey::TeacherLogin,
        "users_teacher_id_key",
        "users.teacher_id",
    ),
    (
        UniqueKey::RecordPerCourse,
        "records_one_per_course",
        "records.teacher_id, records.course_id",
    ),
    (
        UniqueKey::RecordPerTraining,
        "records_one_per_training",
        "records.teacher_id, records.training_id",
    ),
    (
        UniqueKey::RecordPerDeclaration,
        "records_one_per_declaration",
        "records.declaration_id",
    ),
    (
        UniqueKey::PendingTransfer,
        "transfer_requests_one_pending",
        "transfer_requests.teacher_id",
    ),
    (
        UniqueKey::PendingCorrection,
        "correction_requests_one_pending",
        "correction_requests.teacher_id",
    ),
    (
        UniqueKey::PendingSchoolApplication,
        "school_applications_one_pending",
        "school_applications.district_id, school_applications.name",
    ),
    (
        UniqueKey::PublicTopic,
        "courses_public_topic",
        "courses.year, courses.public_topic",
    ),
];

impl UniqueKey {
    fn of(constraint: Option<&str>, message: &str) -> UniqueKey {
        let sqlite = message.strip_prefix("UNIQUE constraint failed: ");
        KEYS.iter()
            .find(|(_, pg, lite)| constraint == Some(*pg) || sqlite == Some(*lite))
            .map(|(key, _, _)| key.clone())
            .unwrap_or_else(|| UniqueKey::Other(constraint.unwrap_or(message).to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_violation_is_named_alike_from_either_backend() {
        for (key, pg, lite) in KEYS {
            assert_eq!(UniqueKey::of(Some(pg), "duplicate key value"), key);
            assert_eq!(
                UniqueKey::of(None, &format!("UNIQUE constraint failed: {lite}")),
                key
            );
        }
        assert_eq!(
            UniqueKey::of(None, "UNIQUE constraint failed: x.y"),
            UniqueKey::Other("UNIQUE constraint failed: x.y".into())
        );
    }
}
