//! Owns text output: CSV field quoting, line endings, and the encodings the
//! platforms export in (UTF-8, UTF-8 with BOM, GBK).
//!
//! Records are assembled into a UTF-8 chunk and transcoded a chunk at a time;
//! chunks always end on a record boundary, so no character is ever split.

use std::fmt;
use std::fmt::Write as _;
use std::io::Write;

use anyhow::{Result, bail};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Gbk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    CrLf,
}

const CHUNK: usize = 1 << 20;

/// Memoised UTF-8 → GBK transcoder.
///
/// encoding_rs's GBK encoder favours table size over speed (a search per
/// character); benchmark files repeat a few hundred distinct characters
/// millions of times, so each is looked up once and then served from a
/// code-point-indexed table.
struct GbkTable {
    /// Per BMP code point: 0 = not yet seen, else `len << 16 | bytes`.
    cache: Vec<u32>,
}

impl GbkTable {
    fn new() -> Self {
        Self {
            cache: vec![0; 0x1_0000],
        }
    }

    fn encode_into(&mut self, text: &str, out: &mut Vec<u8>) -> Result<()> {
        for ch in text.chars() {
            let cp = ch as u32;
            if cp < 0x80 {
                out.push(cp as u8);
                continue;
            }
            let slot = self.cache.get_mut(cp as usize);
            let entry = match slot {
                Some(e) if *e != 0 => *e,
                _ => {
                    let mut tmp = [0u8; 4];
                    let (bytes, _, unmappable) = encoding_rs::GBK.encode(ch.encode_utf8(&mut tmp));
                    if unmappable || bytes.is_empty() || bytes.len() > 2 {
                        // Silently writing HTML entities would corrupt the file.
                        bail!("character {ch:?} (U+{cp:04X}) is not representable in GBK");
                    }
                    let packed = (bytes.len() as u32) << 16
                        | u32::from(bytes[0]) << 8
                        | u32::from(*bytes.get(1).unwrap_or(&0));
                    if let Some(e) = self.cache.get_mut(cp as usize) {
                        *e = packed;
                    }
                    packed
                }
            };
            if entry >> 16 == 1 {
                out.push((entry >> 8) as u8);
            } else {
                out.extend_from_slice(&[(entry >> 8) as u8, entry as u8]);
            }
        }
        Ok(())
    }
}

pub struct CsvSink<W: Write> {
    out: W,
    buf: String,
    /// Transcoder and its output buffer, when writing GBK.
    gbk: Option<(GbkTable, Vec<u8>)>,
    eol: &'static str,
    at_record_start: bool,
    bom_pending: bool,
    bytes_written: u64,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W, encoding: TextEncoding, eol: LineEnding) -> Self {
        Self {
            out,
            buf: String::with_capacity(CHUNK + 4096),
            gbk: (encoding == TextEncoding::Gbk)
                .then(|| (GbkTable::new(), Vec::with_capacity(CHUNK + 4096))),
            eol: match eol {
                LineEnding::Lf => "\n",
                LineEnding::CrLf => "\r\n",
            },
            at_record_start: true,
            bom_pending: encoding == TextEncoding::Utf8Bom,
            bytes_written: 0,
        }
    }

    fn separator(&mut self) {
        if !self.at_record_start {
            self.buf.push(',');
        }
        self.at_record_start = false;
    }

    /// Appends a text field, quoting it only when CSV requires.
    pub fn field(&mut self, s: &str) {
        self.separator();
        if s.contains([',', '"', '\r', '\n']) {
            self.buf.push('"');
            for ch in s.chars() {
                if ch == '"' {
                    self.buf.push('"');
                }
                self.buf.push(ch);
            }
            self.buf.push('"');
        } else {
            self.buf.push_str(s);
        }
    }

    /// Appends a field rendered by `Display`; callers guarantee the output
    /// never needs quoting (numbers, timestamps), which avoids an allocation.
    pub fn field_display(&mut self, v: impl fmt::Display) {
        self.separator();
        // Writing into a String cannot fail.
        let _ = write!(self.buf, "{v}");
    }

    pub fn end_record(&mut self) -> Result<()> {
        self.buf.push_str(self.eol);
        self.at_record_start = true;
        if self.buf.len() >= CHUNK {
            self.flush_chunk()?;
        }
        Ok(())
    }

    pub fn record(&mut self, fields: &[&str]) -> Result<()> {
        for f in fields {
            self.field(f);
        }
        self.end_record()
    }

    fn flush_chunk(&mut self) -> Result<()> {
        if self.bom_pending {
            self.out.write_all(b"\xEF\xBB\xBF")?;
            self.bytes_written += 3;
            self.bom_pending = false;
        }
        match &mut self.gbk {
            None => {
                self.out.write_all(self.buf.as_bytes())?;
                self.bytes_written += self.buf.len() as u64;
            }
            Some((table, bytes)) => {
                bytes.clear();
                table.encode_into(&self.buf, bytes)?;
                self.out.write_all(bytes)?;
                self.bytes_written += bytes.len() as u64;
            }
        }
        self.buf.clear();
        Ok(())
    }

    /// Flushes everything and returns the inner writer and bytes written.
    pub fn finish(mut self) -> Result<(W, u64)> {
        self.flush_chunk()?;
        self.out.flush()?;
        Ok((self.out, self.bytes_written))
    }
}

/// Money in cents rendered with two decimals (`-35.00`, `128.90`).
#[derive(Debug, Clone, Copy)]
pub struct Money(pub i64);

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(enc: TextEncoding, eol: LineEnding, rows: &[&[&str]]) -> Result<Vec<u8>> {
        let mut sink = CsvSink::new(Vec::new(), enc, eol);
        for r in rows {
            sink.record(r)?;
        }
        Ok(sink.finish()?.0)
    }

    #[test]
    fn quotes_excel_text_ids() -> Result<()> {
        let out = render(
            TextEncoding::Utf8,
            LineEnding::CrLf,
            &[&["=\"123\"", "a,b", "x"]],
        )?;
        assert_eq!(out, b"\"=\"\"123\"\"\",\"a,b\",x\r\n");
        Ok(())
    }

    #[test]
    fn bom_and_gbk() -> Result<()> {
        let out = render(TextEncoding::Utf8Bom, LineEnding::Lf, &[&["安溪"]])?;
        assert_eq!(&out[..3], b"\xEF\xBB\xBF");
        let gbk = render(TextEncoding::Gbk, LineEnding::Lf, &[&["安溪"]])?;
        assert_eq!(gbk, [0xB0, 0xB2, 0xCF, 0xAA, b'\n']);
        Ok(())
    }

    #[test]
    fn gbk_table_matches_encoding_rs() -> Result<()> {
        let text = "订单编号,安溪铁观音 清香型 250g 礼盒,￥128.00元,（2019年）€,福建省 泉州市\r\n";
        let mut table = GbkTable::new();
        let mut ours = Vec::new();
        table.encode_into(text, &mut ours)?;
        table.encode_into(text, &mut ours)?;
        let (theirs, _, bad) = encoding_rs::GBK.encode(text);
        assert!(!bad);
        assert_eq!(ours, [theirs.as_ref(), theirs.as_ref()].concat());
        assert!(table.encode_into("😀", &mut ours).is_err());
        Ok(())
    }

    #[test]
    fn money_formats() {
        assert_eq!(Money(12890).to_string(), "128.90");
        assert_eq!(Money(-3500).to_string(), "-35.00");
        assert_eq!(Money(5).to_string(), "0.05");
    }
}
