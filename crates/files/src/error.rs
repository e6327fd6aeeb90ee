/// Errors from checking or storing evidence files.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("file not found")]
    NotFound,
    #[error("invalid file: {0}")]
    Invalid(String),
    /// Not a well-formed file of an accepted kind (415); the message is for people, in Chinese.
    #[error("unsupported file: {0}")]
    Unsupported(String),
    /// Of an accepted kind but over a limit (422); the message is for people, in Chinese.
    #[error("refused file: {0}")]
    Refused(String),
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
