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
    /// A pipeline file (TOML) that does not say what it must.
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
