//! Errors that reach the user: one line, and an exit status that tells bad input (2) from a
//! failed run (1).

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: a value the user gave is not allowed. Exit status 2.
    #[error("{0}")]
    Usage(String),
    /// The work ran but failed (a result failed verification, a device error). Exit status 1.
    #[error("{0}")]
    Failed(String),
    /// Stopped by a signal after keeping what was done. Exit status 128 + the signal number.
    #[error("{message}")]
    Interrupted { code: i32, message: String },
}

impl AppError {
    pub fn usage(msg: impl Into<String>) -> Self {
        AppError::Usage(msg.into())
    }

    pub fn failed(msg: impl Into<String>) -> Self {
        AppError::Failed(msg.into())
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Usage(_) => 2,
            AppError::Failed(_) => 1,
            AppError::Interrupted { code, .. } => *code,
        }
    }
}

impl From<crate::results::ResultsError> for AppError {
    fn from(e: crate::results::ResultsError) -> Self {
        match e {
            crate::results::ResultsError::File(f) => f.into(),
            _ => AppError::Usage(e.to_string()),
        }
    }
}

/// A path that cannot be written is bad input; a write that fails on the way (a full disk) is a
/// failed run.
impl From<crate::files::FileError> for AppError {
    fn from(e: crate::files::FileError) -> Self {
        match e {
            crate::files::FileError::Io { .. } => AppError::Failed(e.to_string()),
            _ => AppError::Usage(e.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
