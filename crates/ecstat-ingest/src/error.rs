//! Errors of ingestion. A file-level error rejects one file whole; the run goes on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: 文件为空 / file is empty")]
    Empty { path: PathBuf },
    #[error(
        "{path}: 无法识别的文字编码 / not text in UTF-8 or GB18030 (first invalid byte at offset {offset}); set `encoding` in the source spec if it is another encoding"
    )]
    Undecodable { path: PathBuf, offset: usize },
    #[error("{path}: 无法作为 xlsx 读取 / cannot read as xlsx: {message}")]
    Xlsx { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Json { path: PathBuf, message: String },
    #[error("{path}: source spec: {message}")]
    Spec { path: PathBuf, message: String },
    #[error(
        "{path}: 第{row}行，{column}：“{value}”：{reason}——此项为文件级检查，整个文件被退回 / row {row}: a file-level check, so the whole file is rejected"
    )]
    FileCheck {
        path: PathBuf,
        row: i64,
        column: String,
        value: String,
        reason: String,
    },
    #[error("{path}: 找不到工作表“{sheet}” / sheet `{sheet}` not found; sheets are: {found}")]
    SheetNotFound {
        path: PathBuf,
        sheet: String,
        found: String,
    },
    #[error("{path}: 第{row}行没有表头 / no header at row {row}: the file has fewer rows")]
    NoHeader { path: PathBuf, row: usize },
    #[error(
        "{path}: 缺少必需的列 / missing required columns {missing} (spec `{spec}` header row {row}); headers found: {found}"
    )]
    MissingColumns {
        path: PathBuf,
        spec: String,
        row: usize,
        missing: String,
        found: String,
    },
    #[error(
        "{path}: internal error: {read} rows read but {staged} staged and {quarantined} quarantined; the file was not ingested, please report this"
    )]
    Accounting {
        path: PathBuf,
        read: u64,
        staged: u64,
        quarantined: u64,
    },
    #[error("{path}: line {line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: {source}")]
    Lake {
        path: PathBuf,
        #[source]
        source: Box<ecstat_lake::LakeError>,
    },
    #[error("{path}: writing Parquet: {source}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("{path}: {source}")]
    Engine {
        path: PathBuf,
        #[source]
        source: Box<datafusion::error::DataFusionError>,
    },
}

pub type Result<T, E = IngestError> = std::result::Result<T, E>;

impl IngestError {
    pub fn engine(path: &std::path::Path, source: datafusion::error::DataFusionError) -> Self {
        IngestError::Engine {
            path: path.to_path_buf(),
            source: Box::new(source),
        }
    }

    pub fn lake(path: &std::path::Path, source: ecstat_lake::LakeError) -> Self {
        IngestError::Lake {
            path: path.to_path_buf(),
            source: Box::new(source),
        }
    }
}
