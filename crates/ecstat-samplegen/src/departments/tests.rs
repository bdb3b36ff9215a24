//! Reads the written files back (calamine for xlsx, GBK decoding for CSV, serde_json for
//! JSON) against the source specs in `pipelines/sources/`: sheet names, every spec header
//! present (two-row headers combined `上行/下行` through merged cells), and the rows read
//! and skipped recounted with the spec's own footer markers must equal the expected file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};

use super::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Debug)]
struct SpecView {
    sheet: Option<String>,
    header_row: usize,
    header_rows: usize,
    markers: Vec<String>,
    headers: Vec<Vec<String>>,
    format: String,
}

fn specs() -> BTreeMap<String, SpecView> {
    let mut out = BTreeMap::new();
    let dir = repo().join("pipelines/sources");
    for entry in std::fs::read_dir(dir).expect("pipelines/sources") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("spec");
        let v: toml::Value = toml::from_str(&text).expect("spec toml");
        if v.get("kind").and_then(|k| k.as_str()) != Some("records") {
            continue;
        }
        let strs = |key: &str, t: &toml::Value| -> Vec<String> {
            t.get(key)
                .and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let int = |key: &str| v.get(key).and_then(|x| x.as_integer()).unwrap_or(1) as usize;
        let columns = v
            .get("columns")
            .and_then(|c| c.as_array())
            .cloned()
            .unwrap_or_default();
        out.insert(
            v["name"].as_str().unwrap_or_default().to_string(),
            SpecView {
                sheet: v.get("sheet").and_then(|s| s.as_str()).map(str::to_string),
                header_row: int("header_row"),
                header_rows: int("header_rows"),
                markers: strs("footer_markers", &v),
                headers: columns
                    .iter()
                    .map(|c| strs("headers", c))
                    .filter(|h| !h.is_empty())
                    .collect(),
                format: v["format"].as_str().unwrap_or_default().to_string(),
            },
        );
    }
    out
}

fn norm(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other,
        })
        .collect()
}

fn data_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        other => format!("{other}"),
    }
}

/// Rows read and skipped, the way the reader counts them.
fn recount(rows: &[Vec<String>], markers: &[String]) -> (u64, u64) {
    let (mut read, mut skipped, mut footer) = (0, 0, false);
    for row in rows {
        match row.iter().map(|c| c.trim()).find(|c| !c.is_empty()) {
            None => skipped += 1,
            Some(first) if markers.iter().any(|m| first.starts_with(m.as_str())) => {
                footer = true;
                skipped += 1;
            }
            Some(_) => read += 1,
        }
    }
    let _ = footer;
    (read, skipped)
}

fn xlsx_rows(path: &Path, spec: &SpecView) -> (Vec<String>, Vec<Vec<String>>) {
    let mut wb: Xlsx<_> = open_workbook(path).expect("workbook");
    let sheet = spec
        .sheet
        .clone()
        .unwrap_or_else(|| wb.sheet_names()[0].clone());
    let range = wb.worksheet_range(&sheet).expect("sheet");
    let merges = wb.merge_cells_by_sheet_name(&sheet).expect("merges");
    let (_, last_col) = range.end().expect("non-empty");
    let last_row = range.end().map_or(0, |e| e.0);
    let cell = |r: u32, c: u32| -> String {
        let (r0, c0) = merges
            .iter()
            .find(|d| d.start.0 <= r && r <= d.end.0 && d.start.1 <= c && c <= d.end.1)
            .map_or((r, c), |d| d.start);
        range.get_value((r0, c0)).map(data_text).unwrap_or_default()
    };
    let header_last = spec.header_row as u32 - 1;
    let header_first = header_last + 1 - spec.header_rows as u32;
    let headers = (0..=last_col)
        .map(|c| {
            let mut parts: Vec<String> = Vec::new();
            for r in header_first..=header_last {
                let t = norm(&cell(r, c));
                if !t.is_empty() && parts.last() != Some(&t) {
                    parts.push(t);
                }
            }
            parts.join("/")
        })
        .collect();
    let rows = (header_last + 1..=last_row)
        .map(|r| {
            (0..=last_col)
                .map(|c| range.get_value((r, c)).map(data_text).unwrap_or_default())
                .collect()
        })
        .collect();
    (headers, rows)
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).expect("csv");
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad, "{} is not GBK", path.display());
    assert!(text.contains("\r\n"), "CRLF");
    let split = |line: &str| -> Vec<String> {
        let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
        for ch in line.chars() {
            match ch {
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        out.push(cur);
        out
    };
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let header = lines.next().map(split).unwrap_or_default();
    (
        header.iter().map(|h| norm(h)).collect(),
        lines.map(split).collect(),
    )
}

#[test]
fn files_read_back_as_the_specs_and_expected_file_say() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = DepartmentsConfig {
        inbox: dir.path().join("inbox"),
        expected: dir.path().join("expected.toml"),
        reference: repo().join("sample_data/reference"),
        seed: 2018,
    };
    run(&cfg).expect("generate");
    let specs = specs();
    let text = std::fs::read_to_string(&cfg.expected).expect("expected");
    let expected: toml::Value = toml::from_str(&text).expect("expected toml");
    let files = expected["file"].as_array().expect("files");
    assert_eq!(files.len(), 72);
    let mut sources = std::collections::BTreeSet::new();
    for f in files {
        let path = f["path"].as_str().unwrap_or_default();
        let source = f["source"].as_str().unwrap_or_default();
        sources.insert(source.to_string());
        let spec = &specs[source];
        let full = cfg.inbox.join(path);
        let int = |k: &str| f[k].as_integer().unwrap_or(-1) as u64;
        match spec.format.as_str() {
            "json" => {
                let v: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&full).expect("json")).expect("json");
                let records = v["data"]["records"].as_array().expect("records");
                assert_eq!(records.len() as u64, int("rows_read"), "{path}");
                for h in &spec.headers {
                    assert!(
                        records.iter().all(|r| r.get(&h[0]).is_some()),
                        "{path}: {h:?}"
                    );
                }
                continue;
            }
            "csv" => {}
            _ => {}
        }
        let (headers, rows) = if spec.format == "csv" {
            csv_rows(&full)
        } else {
            xlsx_rows(&full, spec)
        };
        for synonyms in &spec.headers {
            assert!(
                synonyms.iter().any(|s| headers.contains(&norm(s))),
                "{path} [{source}]: none of {synonyms:?} in {headers:?}"
            );
        }
        let (read, skipped) = recount(&rows, &spec.markers);
        assert_eq!(
            (read, skipped),
            (int("rows_read"), int("rows_skipped")),
            "{path} [{source}]"
        );
        for p in f["planted"]
            .as_array()
            .expect("planted")
            .iter()
            .chain(f["warnings"].as_array().expect("warnings"))
        {
            let row = p["row"].as_integer().unwrap_or(0) as usize;
            let first_data = if spec.format == "csv" {
                2
            } else {
                spec.header_row + 1
            };
            assert!(
                row >= first_data && row < first_data + rows.len(),
                "{path}: row {row}"
            );
        }
    }
    assert_eq!(sources.len(), 13, "{sources:?}");
}

#[test]
fn output_is_a_pure_function_of_the_seed() {
    let write = |seed: u64| -> BTreeMap<PathBuf, Vec<u8>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = DepartmentsConfig {
            inbox: dir.path().join("inbox"),
            expected: dir.path().join("expected.toml"),
            reference: repo().join("sample_data/reference"),
            seed,
        };
        run(&cfg).expect("generate");
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.path().to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir.path()).expect("prefix").to_path_buf();
                    out.insert(rel, std::fs::read(&p).expect("read"));
                }
            }
        }
        out
    };
    let a = write(7);
    let b = write(7);
    assert_eq!(a.len(), 72);
    assert!(a == b, "same seed, different bytes");
    let c = write(8);
    assert!(a != c, "the seed changes nothing");
}
