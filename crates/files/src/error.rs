/// Errors from checking or storing evidence files.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("file not found")]
    NotFound,
    #[error("invalid file: {0}")]
    Invalid(String),
    #[error("file storage error: {0}")]
    Backend(String),
}

impl From<object_store::Error> for FileError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => FileError::NotFound,
            object_store::Error::InvalidPath { source } => FileError::Invalid(source.to_string()),
            other => FileError::Backend(other.to_string()),
        }
    }
}
