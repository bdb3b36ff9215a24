//! Readers: turn one inbox file (CSV in any Chinese encoding, or xlsx) into batches of text
//! columns named by the spec's canonical columns, plus the source row number `_row`.
//!
//! A reader runs on its own thread and streams: it never holds a whole file. It sends the
//! header match first, so the caller can plan the SQL, then batches of rows. Rows that
//! cannot even be split into columns (a CSV line with the wrong number of fields, text that
//! did not decode) are returned as rejects; everything else goes on to the SQL checks.
//!
//! Memory is bounded whatever the file holds: a CSV or JSON record longer than
//! [`MAX_RECORD_BYTES`] or wider than [`MAX_COLUMNS`] rejects the file, a batch is sent on
//! at [`BATCH_BYTES`], an xlsx's parts are checked before calamine inflates them
//! ([`crate::xlsx_package`]), and text kept for messages is clipped.
//!
//! Here: spawning a reader and the `Sink` every format feeds (header search and matching,
//! merged and two-row headers, batching, counts). The formats are in `reader/`: CSV with
//! its encodings (`csv_file`), xlsx (`xlsx_file`) and JSON (`json_file`).

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::DataFusionError;
use ecstat_core::spec::{FileFieldFrom, FileFormat, Layout};
use ecstat_core::text::normalize_header;
use tokio::sync::{mpsc, oneshot};

use crate::error::{IngestError, Result, clip};

/// A merged cell range: ((first row, first column), (last row, last column)), 0-based.
mod csv_file;
mod json_file;
mod xlsx_file;

use csv_file::read_csv;
use json_file::read_json;
use xlsx_file::read_xlsx;

type CellRange = ((u32, u32), (u32, u32));

/// Rows searched for the header when it is not at the spec's header row.
const HEADER_SEARCH_ROWS: usize = 30;

/// Rows per batch sent to DataFusion.
const BATCH_ROWS: usize = 8192;
/// Text per batch (cells and their bookkeeping): a batch goes on at this size even with
/// fewer rows, so long rows do not make a batch of gigabytes.
pub const BATCH_BYTES: usize = 16 << 20;
/// Columns of a row read. A sheet may declare (or hold) cells out to XFD, and no export
/// has this many columns: an xlsx's cells right of it are ignored; a wider CSV or JSON
/// record rejects the file.
pub const MAX_COLUMNS: usize = 512;
/// Longest CSV or JSON record (decoded bytes). An export row is a few hundred bytes; a
/// longer record is a file that is not a table (or a CSV with a quote left open), and
/// reading it would take memory in proportion to the file.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;
/// What the CSV parser may have read ahead of the record it is on.
const CSV_BUFFER: usize = 1 << 20;
/// Characters of a rejected row or a header list kept for messages and the quarantine.
pub const MAX_SHOWN_CHARS: usize = 2000;
/// Bytes inspected to decide the encoding.
const SNIFF_BYTES: usize = 64 * 1024;
/// Largest JSON source read; the file is held in memory, its records parsed one at a time.
pub const MAX_JSON_BYTES: u64 = 256 << 20;

/// Which file columns feed which canonical columns.
#[derive(Debug, Clone)]
pub struct HeaderMatch {
    /// (canonical name, index in the file's row)
    pub columns: Vec<(String, usize)>,
    /// (canonical name, the header as the file writes it), for messages to the submitter.
    pub headers: Vec<(String, String)>,
    pub schema: SchemaRef,
    pub encoding: &'static str,
}

/// A row rejected before SQL could see it.
#[derive(Debug, Clone)]
pub struct ReaderReject {
    pub row: u64,
    pub rule: &'static str,
    pub raw_value: String,
}

/// What the reader saw, known once it has finished.
#[derive(Debug, Default)]
pub struct ReaderStats {
    /// Data rows (between header and footer, not blank): sent on or rejected here.
    pub data_rows: u64,
    /// Blank rows and the footer (合计, 制表人…) below the data.
    pub skipped_rows: u64,
    pub rejects: Vec<ReaderReject>,
    /// 1-based row of the (last) header row, where it was found.
    pub header_row: Option<usize>,
    /// The file's SHA-256, when asked for: of the bytes parsed, for a CSV read to its end.
    pub sha256: Option<String>,
}

/// A running reader.
pub struct ReaderHandle {
    /// The header match; dropped without a value when the reader failed (see `done`).
    pub header: oneshot::Receiver<HeaderMatch>,
    pub batches: mpsc::Receiver<std::result::Result<RecordBatch, DataFusionError>>,
    pub done: std::thread::JoinHandle<Result<ReaderStats>>,
}

/// Start reading `path` on a new thread; with `hash`, the stats carry the file's SHA-256.
/// `folder` is the folder the file sits in as its submitter placed it (relative to the
/// inbox), what a file field `from = "folder"` reads: the same wherever the inbox is.
pub fn spawn(path: PathBuf, folder: String, spec: Arc<Layout>, hash: bool) -> ReaderHandle {
    let (header_tx, header) = oneshot::channel();
    let (batch_tx, batches) = mpsc::channel(4);
    let done = std::thread::spawn(move || {
        // A parser that panics on malformed content (calamine does, on some cell
        // references) rejects the file like any other error.
        let read = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut sink = Sink::new(&path, folder, &spec, header_tx, batch_tx);
            let result = match spec.format {
                FileFormat::Csv => read_csv(&path, &spec, &mut sink, hash),
                FileFormat::Xlsx => read_xlsx(&path, &spec, &mut sink).map(|()| None),
                FileFormat::Json => read_json(&path, &spec, &mut sink).map(|()| None),
            };
            match result {
                Ok(sha256) => {
                    let mut stats = sink.finish()?;
                    // Read another way, or not to the end: hashed on its own.
                    stats.sha256 = match sha256 {
                        Some(sha256) => Some(sha256),
                        None if hash => Some(crate::sha256_of(&path)?),
                        None => None,
                    };
                    Ok(stats)
                }
                Err(e) => Err(sink.fail(e)),
            }
        }));
        read.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(IngestError::ReaderPanicked {
                path: path.clone(),
                message: clip(&message, MAX_SHOWN_CHARS),
            })
        })
    });
    ReaderHandle {
        header,
        batches,
        done,
    }
}

/// The folder of `path` as text, for a file read outside an inbox.
pub fn folder_of(path: &Path) -> String {
    path.parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Receives rows from a format reader: matches the header, batches data rows, counts.
struct Sink<'a> {
    path: &'a Path,
    /// The folder as the inbox names it, for file fields `from = "folder"`.
    folder: String,
    spec: &'a Layout,
    header_tx: Option<oneshot::Sender<HeaderMatch>>,
    batch_tx: mpsc::Sender<std::result::Result<RecordBatch, DataFusionError>>,
    header: Option<HeaderMatch>,
    width: usize,
    /// Data rows not yet sent, straight into Arrow builders.
    batch: Batch,
    stats: ReaderStats,
    footer_seen: bool,
    encoding: &'static str,
    /// Text of the title rows above the header, for file fields taken from the title.
    title: String,
    /// Rows held back until the header is found: (1-based row, cells).
    pending: Vec<(usize, Vec<String>)>,
    /// Whether a data row must have as many fields as the header (CSV, JSON).
    check_width: bool,
    /// Positions of the columns holding personal ID numbers.
    personal_columns: Vec<usize>,
    /// Values of the file fields, appended to every row.
    file_values: Vec<Option<String>>,
    /// Merged cells in the header rows: ((row, col), (row, col)) 0-based, inclusive.
    merges: Vec<CellRange>,
}

impl<'a> Sink<'a> {
    fn new(
        path: &'a Path,
        folder: String,
        spec: &'a Layout,
        header_tx: oneshot::Sender<HeaderMatch>,
        batch_tx: mpsc::Sender<std::result::Result<RecordBatch, DataFusionError>>,
    ) -> Self {
        Self {
            path,
            folder,
            spec,
            header_tx: Some(header_tx),
            batch_tx,
            header: None,
            width: 0,
            batch: Batch::new(0),
            stats: ReaderStats::default(),
            footer_seen: false,
            encoding: "utf-8",
            title: String::new(),
            pending: Vec::new(),
            check_width: true,
            personal_columns: Vec::new(),
            file_values: Vec::new(),
            merges: Vec::new(),
        }
    }

    /// Any row of the file, in order (1-based `row`). Until the header is found rows are
    /// held back: the header is at the spec's `header_row`, or — when a department added or
    /// dropped a title row — the first row within the first [`HEADER_SEARCH_ROWS`] that has
    /// every required column. Returns false when reading can stop.
    fn row(&mut self, row: usize, cells: Vec<String>) -> Result<bool> {
        if self.header.is_some() {
            return self.data_row(row as u64, cells.as_slice());
        }
        self.pending.push((row, cells));
        if row == self.spec.header_row && self.try_header(self.pending.len() - 1)? {
            return self.replay();
        }
        if row >= HEADER_SEARCH_ROWS.max(self.spec.header_row) {
            self.search_header()?;
            return self.replay();
        }
        Ok(true)
    }

    /// The header the rows ending at `pending[end]` make (merged cells spread, rows
    /// combined), or None when there are not enough rows above.
    fn header_at(&self, end: usize) -> Option<Vec<String>> {
        let start = (end + 1).checked_sub(self.spec.header_rows)?;
        let mut lines: Vec<(usize, Vec<String>)> = self.pending[start..=end].to_vec();
        spread_merges(&mut lines, &self.merges);
        Some(combine_header(&lines))
    }

    /// Try the header rows ending at `pending[end]`; on a match, take it. A matching header
    /// that repeats a column the spec reads is an error, not a match.
    fn try_header(&mut self, end: usize) -> Result<bool> {
        let Some(combined) = self.header_at(end) else {
            return Ok(false);
        };
        let fit = self.match_columns(&combined);
        if !fit.missing.is_empty() {
            return Ok(false);
        }
        if !fit.duplicated.is_empty() {
            return Err(self.duplicate_headers(self.pending[end].0, &fit.duplicated));
        }
        let start = end + 1 - self.spec.header_rows;
        for (_, cells) in &self.pending[..start] {
            for cell in cells.iter().filter(|c| !c.trim().is_empty()) {
                self.title.push_str(cell.trim());
                self.title.push(' ');
            }
        }
        self.stats.header_row = Some(self.pending[end].0);
        self.pending.drain(..=end);
        self.accept(&combined, fit.columns);
        Ok(true)
    }

    /// Find the header among the held-back rows: the spec's row first, then any other;
    /// failing that, say what the declared header row lacks.
    fn search_header(&mut self) -> Result<()> {
        let declared = self
            .pending
            .iter()
            .position(|(r, _)| *r == self.spec.header_row);
        if let Some(end) = declared
            && self.try_header(end)?
        {
            return Ok(());
        }
        for end in 0..self.pending.len() {
            if Some(end) != declared && self.try_header(end)? {
                return Ok(());
            }
        }
        let Some(combined) = declared.and_then(|end| self.header_at(end)) else {
            return Err(IngestError::NoHeader {
                path: self.path.to_path_buf(),
                row: self.spec.header_row,
            });
        };
        let fit = self.match_columns(&combined);
        Err(IngestError::MissingColumns {
            path: self.path.to_path_buf(),
            spec: self.spec.source.clone(),
            row: self.spec.header_row,
            missing: fit.missing.join(", "),
            found: self.mask_ids(&clip(&fit.normalized.join(", "), MAX_SHOWN_CHARS)),
        })
    }

    /// Rows held back below the header, now data.
    fn replay(&mut self) -> Result<bool> {
        for (row, cells) in std::mem::take(&mut self.pending) {
            if !self.data_row(row as u64, cells.as_slice())? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Which spec columns a header row has, which required ones it lacks, and the
    /// normalised header texts.
    fn match_columns(&self, cells: &[String]) -> HeaderFit {
        let normalized: Vec<String> = cells.iter().map(|c| normalize_header(c)).collect();
        let mut fit = HeaderFit::default();
        for (canonical, synonyms, required) in &self.spec.columns {
            let found = synonyms
                .iter()
                .map(|s| normalize_header(s))
                .find_map(|syn| normalized.iter().position(|h| *h == syn));
            match found {
                Some(index) => {
                    // A header the spec reads, written twice: which copy holds the values
                    // cannot be known, so neither is taken.
                    let header = &normalized[index];
                    if normalized.iter().filter(|h| *h == header).count() > 1 {
                        fit.duplicated.push(header.clone());
                    }
                    fit.columns.push((canonical.clone(), index));
                }
                None if *required => fit
                    .missing
                    .push(format!("{canonical} ({})", synonyms.join(" / "))),
                None => {}
            }
        }
        fit.normalized = normalized;
        fit
    }

    fn duplicate_headers(&self, row: usize, duplicated: &[String]) -> IngestError {
        IngestError::DuplicateHeaders {
            path: self.path.to_path_buf(),
            spec: self.spec.source.clone(),
            row,
            headers: duplicated
                .iter()
                .map(|h| format!("「{h}」"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// A header whose keys are known (JSON): no search.
    fn header_row(&mut self, cells: &[String]) -> Result<()> {
        let fit = self.match_columns(cells);
        if !fit.missing.is_empty() {
            return Err(IngestError::MissingColumns {
                path: self.path.to_path_buf(),
                spec: self.spec.source.clone(),
                row: self.spec.header_row,
                missing: fit.missing.join(", "),
                found: self.mask_ids(&clip(&fit.normalized.join(", "), MAX_SHOWN_CHARS)),
            });
        }
        if !fit.duplicated.is_empty() {
            return Err(self.duplicate_headers(self.spec.header_row, &fit.duplicated));
        }
        self.accept(cells, fit.columns);
        Ok(())
    }

    /// A rejected row as it may be stored: its cells joined, personal ID numbers masked —
    /// in their column, and, for a source that has ID numbers at all, anywhere they appear
    /// (a comma in a name shifts a CSV row's cells).
    fn shown(&self, cells: &[String]) -> String {
        let joined = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if self.personal_columns.contains(&i) {
                    ecstat_core::id_number::mask(c)
                } else {
                    // A NUL is shown as the symbol for it, not stored as one.
                    c.replace('\0', "\u{2400}")
                }
            })
            .collect::<Vec<_>>()
            .join(",");
        self.mask_ids(&clip(&joined, MAX_SHOWN_CHARS))
    }

    /// `text` with every ID-number-shaped token masked, for sources with ID numbers.
    fn mask_ids(&self, text: &str) -> String {
        if self.spec.personal.is_empty() {
            return text.to_string();
        }
        static ID_LIKE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let re = ID_LIKE.get_or_init(|| {
            regex::Regex::new(r"[0-9]{17}[0-9Xx]|[0-9]{15}").unwrap_or_else(|_| unreachable!())
        });
        re.replace_all(text, |c: &regex::Captures<'_>| {
            ecstat_core::id_number::mask(&c[0])
        })
        .into_owned()
    }

    /// Take `cells` as the header, with the spec columns found in it.
    fn accept(&mut self, cells: &[String], columns: Vec<(String, usize)>) {
        self.personal_columns = columns
            .iter()
            .filter(|(name, _)| self.spec.personal.contains(name))
            .map(|(_, index)| *index)
            .collect();
        let mut fields = vec![Field::new("_row", DataType::Int64, false)];
        fields.extend(
            columns
                .iter()
                .map(|(name, _)| Field::new(name, DataType::Utf8, true)),
        );
        // Values outside the table body: the same on every row.
        let file_name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (name, field) in &self.spec.file_fields {
            let haystack = match field.from {
                FileFieldFrom::FileName => &file_name,
                FileFieldFrom::Title => &self.title,
                FileFieldFrom::Folder => &self.folder,
            };
            let value = regex::Regex::new(&field.pattern)
                .ok()
                .and_then(|re| re.captures(haystack))
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string());
            self.file_values.push(value);
            fields.push(Field::new(name, DataType::Utf8, true));
        }
        let header = HeaderMatch {
            headers: columns
                .iter()
                .map(|(name, index)| (name.clone(), cells.get(*index).cloned().unwrap_or_default()))
                .collect(),
            columns,
            schema: Arc::new(Schema::new(fields)),
            encoding: self.encoding,
        };
        self.width = cells.len();
        self.batch = Batch::new(header.columns.len());
        if let Some(tx) = self.header_tx.take() {
            // The receiver only disappears when the caller gave up; it learns why elsewhere.
            let _ = tx.send(header.clone());
        }
        self.header = Some(header);
    }

    /// One data row (1-based source row number). Returns false when reading can stop.
    fn data_row<C: Cells + ?Sized>(&mut self, row: u64, cells: &C) -> Result<bool> {
        let Some(first) = (0..cells.count())
            .filter_map(|i| cells.cell(i))
            .map(str::trim)
            .find(|c| !c.is_empty())
        else {
            self.stats.skipped_rows += 1;
            return Ok(true);
        };
        if self
            .spec
            .footer_markers
            .iter()
            .any(|m| first.starts_with(m.as_str()))
        {
            self.footer_seen = true;
            self.stats.skipped_rows += 1;
            return Ok(true);
        }
        self.stats.data_rows += 1;
        // Data below the footer (合计 …) is not silently dropped: it is shown to the submitter.
        let rule = if self.footer_seen {
            Some("after_footer")
        } else if self.check_width && cells.count() != self.width {
            Some("field_count")
        } else if cells.undecodable() {
            Some("undecodable_text")
        } else if cells.has_nul() {
            Some("nul_in_cell")
        } else {
            None
        };
        if let Some(rule) = rule {
            self.stats.rejects.push(ReaderReject {
                row,
                rule,
                raw_value: self.shown(&cells.to_strings()),
            });
            return Ok(true);
        }
        let Some(header) = &self.header else {
            return Ok(true);
        };
        self.batch.push(row, header, cells);
        if self.batch.len >= BATCH_ROWS || self.batch.bytes >= BATCH_BYTES {
            return self.flush();
        }
        Ok(true)
    }

    fn flush(&mut self) -> Result<bool> {
        let Some(header) = &self.header else {
            return Ok(true);
        };
        if self.batch.len == 0 {
            return Ok(true);
        }
        let next = self.batch.sized_like();
        let batch = std::mem::replace(&mut self.batch, next);
        let rows = batch.len;
        let mut arrays = batch.finish();
        for value in &self.file_values {
            let array: arrow::array::StringArray =
                std::iter::repeat_n(value.as_deref(), rows).collect();
            arrays.push(Arc::new(array));
        }
        let batch = RecordBatch::try_new(header.schema.clone(), arrays)
            .map_err(|e| DataFusionError::ArrowError(Box::new(e), None));
        // A closed channel means the consumer stopped (it reports its own error).
        Ok(self.batch_tx.blocking_send(batch).is_ok())
    }

    fn finish(mut self) -> Result<ReaderStats> {
        // A short file ends before the header search does.
        if self.header.is_none()
            && !self.pending.is_empty()
            && let Err(e) = self.search_header().and_then(|()| self.replay())
        {
            return Err(self.fail(e));
        }
        if self.header.is_none() {
            let err = IngestError::NoHeader {
                path: self.path.to_path_buf(),
                row: self.spec.header_row,
            };
            return Err(self.fail(err));
        }
        self.flush()?;
        Ok(self.stats)
    }

    /// Drop the header sender, so a caller waiting for it turns to the join result.
    fn fail(&mut self, err: IngestError) -> IngestError {
        self.header_tx = None;
        err
    }
}

/// How a header row fits a spec: the columns found (canonical name, index), the required
/// ones missing, the read headers written more than once, and the normalised header texts.
#[derive(Default)]
struct HeaderFit {
    columns: Vec<(String, usize)>,
    missing: Vec<String>,
    duplicated: Vec<String>,
    normalized: Vec<String>,
}

/// The cells of one row, however the format reader holds them: CSV rows are appended to
/// the batch from the parser's record, without a `String` per cell.
trait Cells {
    fn count(&self) -> usize;
    fn cell(&self, i: usize) -> Option<&str>;
    /// Whether a cell holds U+FFFD, what text that did not decode became.
    fn undecodable(&self) -> bool {
        (0..self.count()).any(|i| self.cell(i).is_some_and(|c| c.contains('\u{FFFD}')))
    }
    /// Whether a cell holds a NUL character: binary debris, never a platform's value.
    fn has_nul(&self) -> bool {
        (0..self.count()).any(|i| self.cell(i).is_some_and(|c| c.contains('\0')))
    }
    fn to_strings(&self) -> Vec<String> {
        (0..self.count())
            .map(|i| self.cell(i).unwrap_or_default().to_string())
            .collect()
    }
}

impl Cells for [String] {
    fn count(&self) -> usize {
        self.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i).map(String::as_str)
    }
}

/// A CSV record's cells as text, checked as UTF-8 in one piece: csv's own `StringRecord`
/// checks each cell on its own, which cost more than reading the file.
struct TextRecord<'a> {
    text: &'a str,
    record: &'a csv::ByteRecord,
}

impl<'a> TextRecord<'a> {
    /// None when the record is not UTF-8, or a cell does not begin and end on a character
    /// (the two halves of a character split by a delimiter make valid UTF-8 together).
    fn new(record: &'a csv::ByteRecord) -> Option<Self> {
        let text = simdutf8::basic::from_utf8(record.as_slice()).ok()?;
        (0..record.len())
            .filter_map(|i| record.range(i))
            .all(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end))
            .then_some(Self { text, record })
    }
}

impl Cells for TextRecord<'_> {
    fn count(&self) -> usize {
        self.record.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.record.range(i).and_then(|r| self.text.get(r))
    }
    fn undecodable(&self) -> bool {
        self.text.contains('\u{FFFD}')
    }
    fn has_nul(&self) -> bool {
        self.text.as_bytes().contains(&0)
    }
}

/// The batch being built: row numbers and the text of the spec's columns.
struct Batch {
    rows: Int64Builder,
    columns: Vec<StringBuilder>,
    len: usize,
    /// Text held, and four bytes of offset per cell.
    bytes: usize,
}

impl Batch {
    fn new(columns: usize) -> Self {
        Self {
            rows: Int64Builder::with_capacity(BATCH_ROWS),
            columns: (0..columns)
                .map(|_| StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 16))
                .collect(),
            len: 0,
            bytes: 0,
        }
    }

    /// An empty batch with room for as much text as this one holds: the next batch of a
    /// file is usually much like the last, and its builders then do not grow by copying.
    fn sized_like(&self) -> Self {
        Self {
            rows: Int64Builder::with_capacity(BATCH_ROWS),
            columns: self
                .columns
                .iter()
                .map(|b| StringBuilder::with_capacity(BATCH_ROWS, b.values_slice().len()))
                .collect(),
            len: 0,
            bytes: 0,
        }
    }

    fn push<C: Cells + ?Sized>(&mut self, row: u64, header: &HeaderMatch, cells: &C) {
        self.rows
            .append_value(i64::try_from(row).unwrap_or(i64::MAX));
        for ((_, index), builder) in header.columns.iter().zip(self.columns.iter_mut()) {
            let cell = cells.cell(*index);
            self.bytes += cell.map_or(0, str::len) + 4;
            builder.append_option(cell);
        }
        self.len += 1;
    }

    fn finish(mut self) -> Vec<ArrayRef> {
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(self.rows.finish())];
        arrays.extend(
            self.columns
                .iter_mut()
                .map(|b| Arc::new(b.finish()) as ArrayRef),
        );
        arrays
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    }
}
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Copy the text of each merged header cell (held in its top-left cell) into every cell the
/// merge covers. `lines` are (1-based sheet row, cells); merges are 0-based.
fn spread_merges(lines: &mut [(usize, Vec<String>)], merges: &[CellRange]) {
    for &((r0, c0), (r1, c1)) in merges {
        let (r0, r1, c0, c1) = (r0 as usize + 1, r1 as usize + 1, c0 as usize, c1 as usize);
        let Some(text) = lines
            .iter()
            .find(|(r, _)| *r == r0)
            .and_then(|(_, l)| l.get(c0))
            .cloned()
        else {
            continue;
        };
        for (_, line) in lines.iter_mut().filter(|(r, _)| (r0..=r1).contains(r)) {
            if line.len() <= c1 {
                line.resize(c1 + 1, String::new());
            }
            for cell in &mut line[c0..=c1] {
                cell.clone_from(&text);
            }
        }
    }
}

/// One header from several header rows: per column, the distinct non-empty texts from top
/// to bottom joined by `/` (`网络零售额(万元)` over `本月` → `网络零售额(万元)/本月`; a cell
/// merged down both rows gives its text once).
fn combine_header(lines: &[(usize, Vec<String>)]) -> Vec<String> {
    let width = lines.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    (0..width)
        .map(|c| {
            let mut parts: Vec<&str> = Vec::new();
            for (_, line) in lines {
                let text = line.get(c).map(|t| t.trim()).unwrap_or("");
                if !text.is_empty() && !parts.contains(&text) {
                    parts.push(text);
                }
            }
            parts.join("/")
        })
        .collect()
}

#[cfg(test)]
mod text_record_tests {
    use super::xlsx_file::{cell_text, excel_decimal};
    use super::{Cells, TextRecord};
    use calamine::DataRef;

    #[test]
    fn xlsx_numbers_read_as_excel_shows_them() {
        assert_eq!(excel_decimal(29.9 * 3.0), "89.7");
        assert_eq!(excel_decimal(0.1 + 0.2), "0.3");
        assert_eq!(excel_decimal(12.345), "12.345");
        assert_eq!(excel_decimal(-35.5), "-35.5");
        assert_eq!(excel_decimal(1234567.891), "1234567.891");
        assert_eq!(excel_decimal(0.000123), "0.000123");
        assert_eq!(
            cell_text(&DataRef::Float(4_712_350_812_345_678_567.0)),
            "4.712350812345679E+18"
        );
        assert_eq!(
            cell_text(&DataRef::Float(100_000_000_001.0)),
            "100000000001"
        );
    }

    #[test]
    fn a_record_is_text_only_when_every_cell_is() {
        let record = csv::ByteRecord::from(vec!["订单号", "", "茶叶 ="]);
        let text = TextRecord::new(&record).expect("UTF-8");
        assert_eq!(text.count(), 3);
        assert_eq!(
            (0..3).map(|i| text.cell(i)).collect::<Vec<_>>(),
            [Some("订单号"), Some(""), Some("茶叶 =")]
        );
        assert_eq!(text.cell(3), None);
        assert!(!text.undecodable());
        // 中 is E4 B8 AD: split over two cells, the record's bytes are UTF-8, its cells not.
        let split = csv::ByteRecord::from(vec![&b"\xE4\xB8"[..], &b"\xAD"[..]]);
        assert!(TextRecord::new(&split).is_none());
        let invalid = csv::ByteRecord::from(vec![&b"ok"[..], &b"\xFF"[..]]);
        assert!(TextRecord::new(&invalid).is_none());
    }
}
