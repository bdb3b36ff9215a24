//! The error type of the core crate.

use std::path::PathBuf;

/// Errors raised while loading specs or interpreting raw values.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid spec: {message}")]
    Spec { path: PathBuf, message: String },
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
