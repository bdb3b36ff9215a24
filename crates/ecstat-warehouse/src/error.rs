//! Errors of the warehouse layer.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("model `{model}` ({path}): {source}")]
    Model {
        model: String,
        path: PathBuf,
        #[source]
        source: datafusion::error::DataFusionError,
    },
    #[error("models depend on each other in a cycle: {0}")]
    Cycle(String),
    #[error(transparent)]
    Engine(#[from] datafusion::error::DataFusionError),
    #[error(transparent)]
    Core(#[from] ecstat_core::CoreError),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Lake(#[from] ecstat_lake::LakeError),
    #[error("writing table `{table}`: {source}")]
    Parquet {
        table: String,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("only read-only queries (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN) are allowed: {0}")]
    NotReadOnly(String),
}

pub type Result<T, E = WarehouseError> = std::result::Result<T, E>;
