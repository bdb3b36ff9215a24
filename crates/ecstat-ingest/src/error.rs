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
    /// `expected` names the encodings tried: "UTF-8 or GB18030", or the spec's.
    #[error(
        "{path}: 无法识别的文字编码 / not text in {expected} (first invalid byte at offset {offset}); set `encoding` in the source spec if it is another encoding"
    )]
    Undecodable {
        path: PathBuf,
        offset: usize,
        expected: &'static str,
    },
    #[error(
        "{path}: 文件为 UTF-16 编码 / the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8 or GBK CSV"
    )]
    Utf16 { path: PathBuf },
    #[error(
        "{path}: 文件为 UTF-8 编码，但数据源规格声明为 {declared} / the file is UTF-8 text but the source spec says `encoding = \"{declared}\"`; save the file as {declared}, or set `encoding = \"auto\"`"
    )]
    DeclaredEncoding {
        path: PathBuf,
        declared: &'static str,
    },
    #[error(
        "{path}: 第{record}条记录超过 {} / record {record} is longer than {}, which no export row is: the file is not a table of records (in CSV, a quote left open makes the rest of the file one record)",
        size(*.limit), size(*.limit)
    )]
    RecordTooLong {
        path: PathBuf,
        record: u64,
        limit: u64,
    },
    #[error(
        "{path}: 第{record}条记录的列数超过 {limit} / record {record} has more than {limit} fields, which no source has"
    )]
    TooManyFields {
        path: PathBuf,
        record: u64,
        limit: usize,
    },
    #[error(
        "{path}: 文件过大 / {} is more than the {} ingest reads from one {kind} file; {hint}",
        size(*.bytes), size(*.limit)
    )]
    FileTooLarge {
        path: PathBuf,
        kind: &'static str,
        bytes: u64,
        limit: u64,
        hint: &'static str,
    },
    #[error(
        "{path}: xlsx 内部文件 {part} 解压后过大 / part `{part}` inflates to {}, more than the {} ingest reads from it: a damaged or crafted file (zip bomb), or a sheet too large for xlsx; send it as CSV or split it",
        size(*.bytes), size(*.limit)
    )]
    XlsxPartTooLarge {
        path: PathBuf,
        part: String,
        bytes: u64,
        limit: u64,
    },
    #[error("{path}: 无法作为 xlsx 读取 / cannot read as xlsx: {message}")]
    Xlsx { path: PathBuf, message: String },
    #[error(
        "{path}: 文件内容损坏，读取中止 / reading stopped on malformed content ({message}); the file is damaged: export it again"
    )]
    ReaderPanicked { path: PathBuf, message: String },
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
        "{path}: 表头重复，无法确定取哪一列 / the header row (row {row}) has {headers} more than once, and spec `{spec}` reads that column: the file is ambiguous; remove or rename the extra copy"
    )]
    DuplicateHeaders {
        path: PathBuf,
        spec: String,
        row: usize,
        headers: String,
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

/// A byte count for a message: `1 MiB`, `2.5 GiB`, `512 bytes`.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// At most `max` characters of `text`, and the length when cut: a value shown in a message
/// or kept in the quarantine need not be longer, and a hostile file can make one megabytes
/// long (a spreadsheet cell holds at most 32,767 characters).
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => {
            let total = text.chars().count();
            format!(
                "{}…（共 {total} 字符 / {total} characters in all）",
                &text[..end]
            )
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(512), "512 bytes");
        assert_eq!(size(1 << 20), "1 MiB");
        assert_eq!(size(3 << 29), "1.5 GiB");
        assert_eq!(size(200 * 1000 * 1000), "190.7 MiB");
    }

    #[test]
    fn clipping_keeps_short_text_and_counts_characters() {
        assert_eq!(clip("订单号", 3), "订单号");
        assert_eq!(
            clip("订单号x", 3),
            "订单号…（共 4 字符 / 4 characters in all）"
        );
    }
}
