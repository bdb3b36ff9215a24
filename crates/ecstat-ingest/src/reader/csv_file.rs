//! CSV (and text exports saved as .xls): the encoding detected or declared, UTF-8 checked
//! per record, a record's length bounded, and each record fed to the sink.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use ecstat_core::encoding::{EncodingSpec, detect};
use ecstat_core::spec::Layout;

use super::{
    CSV_BUFFER, Cells, MAX_COLUMNS, MAX_RECORD_BYTES, SNIFF_BYTES, Sink, TextRecord, UTF8_BOM, io,
};
use crate::{IngestError, Result};

/// Returns the file's SHA-256 when `hash` and the file was read to its end: the bytes are
/// hashed as they are parsed, so the file is read once.
pub(super) fn read_csv(
    path: &Path,
    spec: &Layout,
    sink: &mut Sink<'_>,
    hash: bool,
) -> Result<Option<String>> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut head = vec![0u8; SNIFF_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        let n = file.read(&mut head[filled..]).map_err(io(path))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    if is_utf16_text(&head) {
        return Err(IngestError::Utf16 {
            path: path.to_path_buf(),
        });
    }
    let text = head.strip_prefix(UTF8_BOM).unwrap_or(&head);
    if text.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty {
            path: path.to_path_buf(),
        });
    }
    // UTF-8 read as GBK is undecodable or mojibake headers no spec knows: say why instead.
    if let EncodingSpec::Gbk | EncodingSpec::Gb18030 = spec.encoding
        && !text.is_ascii()
        && detect(EncodingSpec::Auto, &head) == encoding_rs::UTF_8
    {
        return Err(IngestError::DeclaredEncoding {
            path: path.to_path_buf(),
            declared: if spec.encoding == EncodingSpec::Gbk {
                "gbk"
            } else {
                "gb18030"
            },
        });
    }
    let encoding = detect(spec.encoding, &head);
    // Strict check of what was sniffed: a binary file or a wrong forced encoding fails here
    // with one clear line instead of turning into rows of replacement characters.
    let check = if head.len() == SNIFF_BYTES {
        trim_partial_char(&head, encoding)
    } else {
        &head[..]
    };
    let check = check.strip_prefix(UTF8_BOM).unwrap_or(check);
    if encoding
        .decode_without_bom_handling_and_without_replacement(check)
        .is_none()
    {
        let offset = first_invalid(check, encoding);
        return Err(IngestError::Undecodable {
            path: path.to_path_buf(),
            offset,
            expected: tried_encodings(spec.encoding),
        });
    }
    sink.encoding = encoding.name();
    let file = File::open(path).map_err(io(path))?;
    let (file, read_hash): (Box<dyn Read>, _) = if hash {
        let (file, read_hash) = ecstat_lake::HashingReader::new(file);
        (Box::new(file), Some(read_hash))
    } else {
        (Box::new(file), None)
    };
    // The readers are dropped before the hash is asked for, which waits for them.
    let parsed = parse_csv(path, file, encoding, head.starts_with(UTF8_BOM), sink);
    let sha256 = read_hash.and_then(ecstat_lake::ReadHash::finish);
    parsed.map(|()| sha256)
}

/// `bom`: the file begins with UTF-8's byte-order mark.
pub(super) fn parse_csv(
    path: &Path,
    mut file: Box<dyn Read>,
    encoding: &'static encoding_rs::Encoding,
    bom: bool,
    sink: &mut Sink<'_>,
) -> Result<()> {
    let decoded: Box<dyn Read> = if encoding == encoding_rs::UTF_8 {
        // UTF-8 is parsed as it is, not copied through a decoder: each record is checked
        // in one piece (TextRecord), and one that is not UTF-8 has what does not decode
        // replaced by U+FFFD below, as the decoder would have done.
        if bom {
            std::io::copy(
                &mut file.by_ref().take(UTF8_BOM.len() as u64),
                &mut std::io::sink(),
            )
            .map_err(io(path))?;
        }
        file
    } else {
        // The mark, when there is one, says the encoding (a GBK spec's file saved as UTF-8).
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .build(BufReader::with_capacity(1 << 20, file)),
        )
    };
    let budget = Rc::new(Cell::new(0));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(CSV_BUFFER)
        .from_reader(RecordBudget {
            inner: decoded,
            left: budget.clone(),
        });
    let mut record = csv::ByteRecord::new();
    let mut index = 0u64;
    loop {
        // What the parser read ahead of this record was counted against the last one.
        budget.set(MAX_RECORD_BYTES + CSV_BUFFER as u64);
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) if budget_exceeded(&e) => {
                return Err(IngestError::RecordTooLong {
                    path: path.to_path_buf(),
                    record: index + 1,
                    limit: MAX_RECORD_BYTES,
                });
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(IngestError::Csv {
                    path: path.to_path_buf(),
                    line,
                    message: e.to_string(),
                });
            }
        }
        index += 1;
        // The budget stops a record at most a buffer past the limit; this makes it exact.
        if record.as_slice().len() as u64 > MAX_RECORD_BYTES {
            return Err(IngestError::RecordTooLong {
                path: path.to_path_buf(),
                record: index,
                limit: MAX_RECORD_BYTES,
            });
        }
        if record.len() > MAX_COLUMNS {
            return Err(IngestError::TooManyFields {
                path: path.to_path_buf(),
                record: index,
                limit: MAX_COLUMNS,
            });
        }
        // The record number, header = `header_row`: what a spreadsheet shows as the row
        // (a quoted cell may span lines). csv's line positions lag by one after CRLF.
        let more = match TextRecord::new(&record) {
            Some(text) if sink.header.is_some() => sink.data_row(index, &text)?,
            Some(text) => sink.row(index as usize, text.to_strings())?,
            // Not UTF-8 (only a UTF-8 file, read without a decoder, can give one): each
            // cell with what does not decode replaced by U+FFFD, as the decoder would.
            None => sink.row(
                index as usize,
                record
                    .iter()
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect(),
            )?,
        };
        if !more {
            break;
        }
    }
    Ok(())
}

/// Whether `head` is UTF-16 text: a UTF-16 byte-order mark, then lines or fields. The two
/// bytes of the mark also begin binary files, which are left to be found undecodable.
pub(super) fn is_utf16_text(head: &[u8]) -> bool {
    let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(head) else {
        return false;
    };
    let sample = &head[bom..head.len().min(4096)];
    encoding != encoding_rs::UTF_8
        && encoding
            .decode_without_bom_handling(sample)
            .0
            .contains(['\n', ',', '\t'])
}

/// The encodings a CSV of `spec` is read in, for a message.
pub(super) fn tried_encodings(spec: EncodingSpec) -> &'static str {
    match spec {
        EncodingSpec::Auto => "UTF-8 or GB18030",
        EncodingSpec::Utf8 => "UTF-8, the encoding the source spec declares",
        EncodingSpec::Gbk => "GBK, the encoding the source spec declares",
        EncodingSpec::Gb18030 => "GB18030, the encoding the source spec declares",
    }
}

/// The error [`RecordBudget`] fails with.
#[derive(Debug)]
pub(super) struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("record too long")
    }
}

impl std::error::Error for RecordTooLong {}

/// Fails a read once `left` bytes have been read since the caller last set it. The CSV
/// parser holds a whole record in memory and has no limit of its own; the caller sets the
/// budget before each record.
pub(super) struct RecordBudget<R> {
    inner: R,
    left: Rc<Cell<u64>>,
}

/// Whether a CSV error is a [`RecordBudget`] running out.
pub(super) fn budget_exceeded(error: &csv::Error) -> bool {
    matches!(error.kind(), csv::ErrorKind::Io(e)
        if e.get_ref().is_some_and(|inner| inner.is::<RecordTooLong>()))
}

impl<R: Read> Read for RecordBudget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.left.get();
        if left == 0 {
            return Err(std::io::Error::other(RecordTooLong));
        }
        let len = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..len])?;
        self.left.set(left - n as u64);
        Ok(n)
    }
}

/// Drop a multi-byte character cut off at the end of a sniffed prefix.
pub(super) fn trim_partial_char<'b>(
    head: &'b [u8],
    encoding: &'static encoding_rs::Encoding,
) -> &'b [u8] {
    let keep = head.len().saturating_sub(4);
    let cut = (keep..head.len())
        .rev()
        .find(|&i| {
            encoding
                .decode_without_bom_handling_and_without_replacement(&head[..i])
                .is_some()
        })
        .unwrap_or(head.len());
    &head[..cut]
}

pub(super) fn first_invalid(bytes: &[u8], encoding: &'static encoding_rs::Encoding) -> usize {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(bytes.len() * 3);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::Malformed(_, _) => read,
        _ => 0,
    }
}
