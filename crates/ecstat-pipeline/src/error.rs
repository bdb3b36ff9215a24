//! The error of the operations, and the kind of each (which the command line turns into
//! its exit code).

use std::path::PathBuf;

use datafusion::error::DataFusionError;
use ecstat_lake::LakeError;
use ecstat_warehouse::WarehouseError;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The project file, the pipeline folder or the options say something that cannot be
    /// done; the message says what to change.
    #[error("{0}")]
    Config(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A step of the operation, with what it was doing.
    #[error("{doing}: {source}")]
    During {
        doing: String,
        #[source]
        source: Box<PipelineError>,
    },
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    #[error(transparent)]
    Ingest(#[from] ecstat_ingest::IngestError),
    #[error(transparent)]
    Indicators(#[from] ecstat_indicators::IndicatorError),
    #[error(transparent)]
    Export(#[from] ecstat_export::ExportError),
    #[error(transparent)]
    Core(#[from] ecstat_core::CoreError),
    #[error(transparent)]
    Engine(#[from] DataFusionError),
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

pub type Result<T, E = PipelineError> = std::result::Result<T, E>;

/// What kind of failure an error is: who must act, and the exit code it deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Configuration or usage: the user changes a flag, the project file or a pipeline file.
    Usage,
    /// An input or the storage: a file cannot be read or written, memory ran out.
    Input,
    /// Another run holds the data directory's lock.
    Locked,
    /// A fault of ecstat itself.
    Internal,
}

impl PipelineError {
    pub fn config(message: impl Into<String>) -> Self {
        Self::Config(message.into())
    }

    /// Wraps an error with what was being done when it happened.
    pub fn during(doing: impl Into<String>) -> impl FnOnce(PipelineError) -> PipelineError {
        let doing = doing.into();
        move |source| Self::During {
            doing,
            source: Box::new(source),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PipelineError {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Config(_) | Self::Core(_) | Self::Indicators(_) => ErrorKind::Usage,
            Self::Io { .. } | Self::Ingest(_) | Self::Export(_) | Self::Arrow(_) => {
                ErrorKind::Input
            }
            Self::During { source, .. } => source.kind(),
            Self::Lake(e) => Self::kind_of_lake(e),
            Self::Warehouse(e) => Self::kind_of_warehouse(e),
            Self::Engine(e) => engine_kind(e),
        }
    }

    /// The kind of a lake error (for callers holding one outside a `PipelineError`).
    pub fn kind_of_lake(error: &LakeError) -> ErrorKind {
        match error {
            LakeError::Locked { .. } => ErrorKind::Locked,
            _ => ErrorKind::Input,
        }
    }

    /// The kind of a warehouse error.
    pub fn kind_of_warehouse(error: &WarehouseError) -> ErrorKind {
        match error {
            WarehouseError::Config { .. }
            | WarehouseError::Core(_)
            | WarehouseError::Cycle(_)
            | WarehouseError::NotReadOnly(_) => ErrorKind::Usage,
            WarehouseError::Model { source, .. } | WarehouseError::Engine(source) => {
                engine_kind(source)
            }
            WarehouseError::Lake(e) => Self::kind_of_lake(e),
            _ => ErrorKind::Input,
        }
    }
}

impl ErrorKind {
    /// The exit code of the command line for this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Usage => crate::exit::USAGE,
            Self::Input => crate::exit::INPUT,
            Self::Locked => crate::exit::LOCKED,
            Self::Internal => crate::exit::INTERNAL,
        }
    }
}

/// An error and its causes, each once: DataFusion's messages already repeat their source.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    message
}

/// A query engine error: bad SQL (in a query, a model or the catalogue) is a usage error;
/// reading or writing files, or running out of memory, an input or storage error; anything
/// else is ours.
pub fn engine_kind(error: &DataFusionError) -> ErrorKind {
    use DataFusionError as E;
    match error.find_root() {
        E::SQL(..) | E::Plan(_) | E::SchemaError(..) | E::NotImplemented(_) => ErrorKind::Usage,
        E::IoError(_)
        | E::ObjectStore(_)
        | E::ParquetError(_)
        | E::ArrowError(..)
        | E::ResourcesExhausted(_) => ErrorKind::Input,
        _ => ErrorKind::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_cause_through_context() {
        let locked = PipelineError::Lake(LakeError::Locked {
            root: "x".into(),
            holder: ecstat_lake::LockHolder {
                pid: 1,
                host: "h".into(),
                started_at: String::new(),
                run_id: "r".into(),
            },
        });
        let wrapped = PipelineError::during("loading")(locked);
        assert_eq!(wrapped.kind(), ErrorKind::Locked);
        assert!(wrapped.to_string().starts_with("loading: "));
        let sql = PipelineError::Engine(DataFusionError::Plan("no table".into()));
        assert_eq!(sql.kind(), ErrorKind::Usage);
        let memory = PipelineError::Engine(DataFusionError::ResourcesExhausted("x".into()));
        assert_eq!(memory.kind(), ErrorKind::Input);
        assert_eq!(PipelineError::config("x").kind(), ErrorKind::Usage);
    }
}
