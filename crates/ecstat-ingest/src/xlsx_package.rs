//! Checks of an xlsx package before calamine opens it. Opening inflates the shared strings,
//! styles and workbook parts into memory whole and trusts the counts they declare, and a
//! sheet's XML is streamed but one text node of it is buffered whole; a few megabytes of
//! zip can claim gigabytes of XML. The zip's central directory declares each part's
//! inflated size, and the zip reader fails a part that inflates past what it declares, so
//! checking the declared sizes here bounds what calamine will read.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;
use zip::ZipArchive;

use crate::error::{IngestError, Result, size};

/// Largest xlsx file read. Listing a zip's central directory takes about four times its
/// size in memory, and a file of nothing but directory entries is possible.
pub const MAX_FILE_BYTES: u64 = 128 << 20;
/// Largest inflated worksheet (and any part not named below). Streamed, but one XML text
/// node is buffered whole; 128 MiB is about 350,000 rows of an order export.
pub const MAX_SHEET_BYTES: u64 = 128 << 20;
/// Largest inflated shared-string table: held in memory, about four times its XML size
/// when the strings are short.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 64 << 20;
/// Largest inflated styles, relationships, theme or workbook part: each is read whole when
/// the workbook opens, and styles take some 35 times their XML size in memory. Real ones
/// are a few kilobytes.
pub const MAX_METADATA_BYTES: u64 = 4 << 20;
/// Bytes of the shared-string part searched for its `<sst>` start tag.
const SST_HEAD_BYTES: u64 = 64 * 1024;

/// What a part is to calamine, by how calamine finds it: the limit its size must keep.
fn limit_for(name: &str, workbooks: &[String]) -> u64 {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last == "sharedstrings.xml" {
        MAX_SHARED_STRINGS_BYTES
    } else if last == "styles.xml"
        || last.ends_with(".rels")
        || last == "[content_types].xml"
        || name.starts_with("theme/")
        || name.contains("/theme/")
        || workbooks.iter().any(|w| w == name)
    {
        MAX_METADATA_BYTES
    } else {
        MAX_SHEET_BYTES
    }
}

/// A part name as calamine looks it up: `/`-separated, lowercase, without a leading `/`.
fn normalize(name: &str) -> String {
    name.replace('\\', "/")
        .trim_start_matches('/')
        .to_ascii_lowercase()
}

/// Check the package at `path` before calamine opens it. A file that is not a zip at all
/// passes: calamine says what it is (a password-protected workbook, or not an xlsx).
pub fn check(path: &Path) -> Result<()> {
    let bytes = std::fs::metadata(path)
        .map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if bytes > MAX_FILE_BYTES {
        return Err(IngestError::FileTooLarge {
            path: path.to_path_buf(),
            kind: "xlsx",
            bytes,
            limit: MAX_FILE_BYTES,
            hint: "send it as CSV, or split it by month",
        });
    }
    let file = File::open(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let Ok(mut zip) = ZipArchive::new(BufReader::new(file)) else {
        return Ok(());
    };
    check_archive(path, &mut zip)
}

fn check_archive<R: Read + Seek>(path: &Path, zip: &mut ZipArchive<R>) -> Result<()> {
    let bad = |message: String| IngestError::Xlsx {
        path: path.to_path_buf(),
        message,
    };
    // (normalized name, name in the zip, declared inflated size)
    let mut parts = Vec::with_capacity(zip.len());
    for index in 0..zip.len() {
        let entry = zip
            .by_index_raw(index)
            .map_err(|e| bad(format!("zip entry {index}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| bad(format!("zip entry {index}: {e}")))?
            .into_owned();
        parts.push((normalize(&name), name, entry.size()));
    }
    // The relationship files are small or rejected before anything reads them.
    let over = |name: &str, declared: u64, limit: u64| {
        (declared > limit).then(|| IngestError::XlsxPartTooLarge {
            path: path.to_path_buf(),
            part: name.to_string(),
            bytes: declared,
            limit,
        })
    };
    for (normalized, name, declared) in &parts {
        if normalized.ends_with(".rels")
            && let Some(e) = over(name, *declared, MAX_METADATA_BYTES)
        {
            return Err(e);
        }
    }
    let workbooks = match parts.iter().find(|(n, _, _)| n == "_rels/.rels") {
        Some((_, name, _)) => {
            office_documents(&read_head(zip, name, MAX_METADATA_BYTES).map_err(&bad)?)
        }
        None => Vec::new(),
    };
    for (normalized, name, declared) in &parts {
        if let Some(e) = over(name, *declared, limit_for(normalized, &workbooks)) {
            return Err(e);
        }
    }
    for (normalized, name, declared) in &parts {
        if normalized.rsplit('/').next() == Some("sharedstrings.xml") {
            let head = read_head(zip, name, SST_HEAD_BYTES).map_err(&bad)?;
            check_unique_count(&head, *declared).map_err(&bad)?;
        }
    }
    Ok(())
}

/// The first `limit` inflated bytes of part `name`, as text.
fn read_head<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    name: &str,
    limit: u64,
) -> std::result::Result<String, String> {
    let mut bytes = Vec::new();
    zip.by_name(name)
        .map_err(std::io::Error::other)
        .and_then(|part| part.take(limit).read_to_end(&mut bytes))
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    static ATTRIBUTE: OnceLock<Regex> = OnceLock::new();
    let re = ATTRIBUTE.get_or_init(|| {
        Regex::new(r#"([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).unwrap_or_else(|_| unreachable!())
    });
    re.captures_iter(tag)
        .find(|c| &c[1] == name)
        .and_then(|c| c.get(2).or_else(|| c.get(3)))
        .map(|m| m.as_str())
}

/// The workbook parts a package relationship file names (normalized), as calamine finds
/// the workbook: the target of an `officeDocument` relationship.
fn office_documents(rels: &str) -> Vec<String> {
    static RELATIONSHIP: OnceLock<Regex> = OnceLock::new();
    let re = RELATIONSHIP.get_or_init(|| {
        Regex::new(r"<(?:[\w.-]+:)?Relationship\b[^>]*>").unwrap_or_else(|_| unreachable!())
    });
    re.find_iter(rels)
        .map(|m| m.as_str())
        .filter(|tag| {
            attribute(tag, "Type").is_some_and(|t| t.ends_with("/relationships/officeDocument"))
        })
        .filter_map(|tag| attribute(tag, "Target"))
        .map(|target| normalize(&unescape(target)))
        .collect()
}

/// Text with XML's character references and five named entities replaced.
fn unescape(text: &str) -> String {
    static REFERENCE: OnceLock<Regex> = OnceLock::new();
    let re = REFERENCE.get_or_init(|| {
        Regex::new(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
            .unwrap_or_else(|_| unreachable!())
    });
    re.replace_all(text, |c: &regex::Captures<'_>| {
        let name = &c[1];
        let code = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .unwrap_or_else(|| name[1..].parse())
                .ok()
                .and_then(char::from_u32),
        };
        code.map_or_else(|| c[0].to_string(), String::from)
    })
    .into_owned()
}

/// calamine reserves room for the `uniqueCount` the `<sst>` tag declares before reading a
/// string: a count of a hundred billion aborts the process. Every string takes at least
/// the five bytes of `<si/>`, so a count above a quarter of the part's size is false.
fn check_unique_count(head: &str, declared: u64) -> std::result::Result<(), String> {
    static COMMENT: OnceLock<Regex> = OnceLock::new();
    static SST: OnceLock<Regex> = OnceLock::new();
    let comment = COMMENT
        .get_or_init(|| Regex::new(r"(?s)<!--.*?(-->|$)").unwrap_or_else(|_| unreachable!()));
    let sst = SST.get_or_init(|| {
        Regex::new(r"<(?:[\w.-]+:)?sst\b[^>]*>").unwrap_or_else(|_| unreachable!())
    });
    let head = comment.replace_all(head, "");
    let Some(tag) = sst.find(&head) else {
        return Err(format!(
            "sharedStrings.xml has no <sst> tag in its first {}",
            size(SST_HEAD_BYTES)
        ));
    };
    let Some(count) = attribute(tag.as_str(), "uniqueCount") else {
        return Ok(());
    };
    let plausible = match count.parse::<u64>() {
        Ok(n) => n <= declared / 4 + 1,
        // Digits past u64 are false; anything else is not a number, which calamine ignores.
        Err(_) => count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()),
    };
    if plausible {
        Ok(())
    } else {
        Err(format!(
            "sharedStrings.xml declares {count} strings in {}: a damaged or crafted file",
            size(declared)
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    /// A package of `parts` (name, XML), deflated.
    fn package(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, xml) in parts {
            zip.start_file(*name, options).expect("start");
            zip.write_all(xml).expect("write");
        }
        zip.finish().expect("finish").into_inner()
    }

    fn checked(bytes: Vec<u8>) -> Result<()> {
        let mut zip = ZipArchive::new(Cursor::new(bytes)).expect("zip");
        check_archive(Path::new("t.xlsx"), &mut zip)
    }

    const RELS: &[u8] = br#"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/book&#46;xml"/></Relationships>"#;

    #[test]
    fn a_sheet_that_inflates_past_the_limit_is_refused_before_it_is_read() {
        // 129 MiB of spaces deflate to about 130 KiB.
        let sheet = vec![b' '; (MAX_SHEET_BYTES + (1 << 20)) as usize];
        let err = checked(package(&[("xl/worksheets/sheet1.xml", &sheet)])).expect_err("bomb");
        let message = err.to_string();
        assert!(
            matches!(err, IngestError::XlsxPartTooLarge { .. }),
            "{message}"
        );
        assert!(
            message.contains("xl/worksheets/sheet1.xml") && message.contains("129 MiB"),
            "{message}"
        );
    }

    #[test]
    fn parts_read_whole_at_open_have_the_small_limits() {
        let big = vec![b' '; (MAX_METADATA_BYTES + 1) as usize];
        for name in [
            "xl/styles.xml",
            "xl/_rels/book.xml.rels",
            "XL\\Theme\\theme1.xml",
        ] {
            let err = checked(package(&[(name, &big)])).expect_err(name);
            assert!(err.to_string().contains(name), "{err}");
        }
        // The workbook is whatever `_rels/.rels` names, here by a character reference.
        let err = checked(package(&[("_rels/.rels", RELS), ("xl/book.xml", &big)]))
            .expect_err("workbook");
        assert!(err.to_string().contains("xl/book.xml"), "{err}");
        // Without that name the same part is a sheet, and fits.
        assert!(checked(package(&[("xl/book.xml", &big)])).is_ok());
        let strings = vec![b' '; (MAX_SHARED_STRINGS_BYTES + 1) as usize];
        let err = checked(package(&[("xl/sharedStrings.xml", &strings)])).expect_err("sst");
        assert!(err.to_string().contains("64 MiB"), "{err}");
    }

    #[test]
    fn a_shared_string_count_the_part_cannot_hold_is_refused() {
        let sst = |count: &str| {
            format!(
                r#"<?xml version="1.0"?><!-- <sst uniqueCount="1"> --><x:sst xmlns:x="m" count="2" uniqueCount="{count}"><x:si><x:t>a</x:t></x:si></x:sst>"#
            )
        };
        for count in [
            "100000000000",
            "4000000000000000000",
            "99999999999999999999999",
        ] {
            let err = checked(package(&[("xl/sharedStrings.xml", sst(count).as_bytes())]))
                .expect_err(count);
            assert!(err.to_string().contains(count), "{err}");
        }
        assert!(checked(package(&[("xl/sharedStrings.xml", sst("1").as_bytes())])).is_ok());
        let no_tag = format!("<!--{}-->", " ".repeat(SST_HEAD_BYTES as usize));
        assert!(checked(package(&[("xl/sharedStrings.xml", no_tag.as_bytes())])).is_err());
    }

    #[test]
    fn every_bundled_sample_workbook_passes() {
        let mut folders =
            vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample_data/inbox")];
        let mut checked = 0;
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("sample folder") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "xlsx") {
                    check(&path).unwrap_or_else(|e| panic!("{e}"));
                    checked += 1;
                }
            }
        }
        assert!(checked > 10, "{checked} workbooks");
    }

    #[test]
    fn character_references_in_a_target_are_decoded() {
        assert_eq!(unescape("a&#46;b&#x2F;c&amp;d&bogus;"), "a.b/c&d&bogus;");
        assert_eq!(
            office_documents(std::str::from_utf8(RELS).expect("utf-8")),
            ["xl/book.xml"]
        );
    }
}
