//! The bounds that keep hostile files from crashing ingestion or taking memory in
//! proportion to their size: each is hit here, and answered by a clear rejection.

use std::path::Path;
use std::sync::Arc;

use ecstat_core::spec::SourceSpec;

use crate::reader::{
    BATCH_BYTES, MAX_COLUMNS, MAX_JSON_BYTES, MAX_RECORD_BYTES, MAX_SHOWN_CHARS, spawn,
};
use crate::tests::{SPEC, env, ingest, rules, spec};
use crate::{Ingested, InputFile, Target, ingest_file, xlsx_package};

/// Check `bytes` as file `name` without a data directory; the problems come back.
async fn check(dir: &Path, spec: Arc<SourceSpec>, name: &str, bytes: &[u8]) -> Ingested {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write input");
    let input = InputFile::open(&path, name.to_string()).expect("input");
    ingest_file(Target::CheckOnly, spec, &env(), &input, "test", &|_| {})
        .await
        .expect("checked")
}

const HEADER: &str = "订单号,店铺,状态,时间,金额,退款\n";
const ROW: &str = "A1,S1,交易成功,2019-03-05 12:00:00,1.00,0\n";

#[tokio::test]
async fn a_csv_record_past_the_limit_rejects_the_file_and_names_the_record() {
    let tmp = tempfile::tempdir().expect("tmp");
    // A field of 3 MiB with no line break: the second record never ends in the limit.
    let mut text = format!("{HEADER}{ROW}A2,");
    text.push_str(&"x".repeat(3 << 20));
    let (_, record) = ingest(tmp.path(), spec(SPEC), "long.csv", text.as_bytes()).await;
    let error = record.error.expect("rejected");
    assert!(error.contains("record 3 is longer than 1 MiB"), "{error}");
    assert!(error.len() < 1000, "{error}");

    // A quote left open makes the rest of the file one record: the same answer.
    let mut text = format!("{HEADER}A1,\"S1,交易成功,2019-03-05 12:00:00,1.00,0\n");
    text.push_str(&ROW.repeat(40_000));
    let (_, record) = ingest(tmp.path(), spec(SPEC), "quote.csv", text.as_bytes()).await;
    let error = record.error.expect("rejected");
    assert!(error.contains("record 2 is longer than 1 MiB"), "{error}");
    assert!(error.contains("quote left open"), "{error}");
}

#[tokio::test]
async fn a_csv_record_within_the_limit_is_read_and_its_value_kept_clipped() {
    let tmp = tempfile::tempdir().expect("tmp");
    let amount = "9".repeat(MAX_RECORD_BYTES as usize - 1000);
    let text = format!("{HEADER}{ROW}A2,S1,交易成功,2019-03-05 12:00:00,{amount},0\n");
    let checked = check(tmp.path(), spec(SPEC), "wide.csv", text.as_bytes()).await;
    assert_eq!(checked.record.error, None);
    assert_eq!(
        (checked.record.rows_staged, checked.record.rows_quarantined),
        (1, 1)
    );
    let value = checked.problems[0].value.as_deref().expect("value kept");
    assert!(value.starts_with("999"), "{value}");
    assert!(value.chars().count() < MAX_SHOWN_CHARS + 100, "clipped");
    assert!(value.contains(&format!("{} characters in all", amount.len())));
}

#[tokio::test]
async fn a_csv_record_wider_than_any_source_rejects_the_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let text = format!("{HEADER}{ROW}{}\n", ",".repeat(MAX_COLUMNS));
    let (_, record) = ingest(tmp.path(), spec(SPEC), "commas.csv", text.as_bytes()).await;
    let error = record.error.expect("rejected");
    assert!(
        error.contains("record 3 has more than 512 fields"),
        "{error}"
    );
    // The widest record allowed is only quarantined.
    let text = format!("{HEADER}{ROW}A3{}\n", ",".repeat(MAX_COLUMNS - 1));
    let (lake, record) = ingest(tmp.path(), spec(SPEC), "wide.csv", text.as_bytes()).await;
    assert_eq!(record.error, None);
    assert_eq!(rules(&lake, &record), vec![(3, "field_count".to_string())]);
}

#[tokio::test]
async fn byte_order_marks_say_what_the_file_is() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("bom.csv", b"\xEF\xBB\xBF".to_vec(), "file is empty"),
        (
            "bom-lines.csv",
            b"\xEF\xBB\xBF\r\n\r\n".to_vec(),
            "file is empty",
        ),
        (
            "le.csv",
            [&b"\xFF\xFE"[..], &utf16(HEADER, u16::to_le_bytes)].concat(),
            "the file is UTF-16 text",
        ),
        (
            "be.csv",
            [&b"\xFE\xFF"[..], &utf16(HEADER, u16::to_be_bytes)].concat(),
            "the file is UTF-16 text",
        ),
    ];
    for (name, bytes, expected) in cases {
        let (_, record) = ingest(tmp.path(), spec(SPEC), name, &bytes).await;
        let error = record.error.expect(name);
        assert!(error.contains(expected), "{name}: {error}");
    }
}

fn utf16(text: &str, bytes: fn(u16) -> [u8; 2]) -> Vec<u8> {
    text.encode_utf16().flat_map(bytes).collect()
}

#[tokio::test]
async fn utf8_text_under_a_gbk_spec_is_named_not_read_as_mojibake() {
    let tmp = tempfile::tempdir().expect("tmp");
    let gbk_spec = SPEC.replace("format = \"csv\"", "format = \"csv\"\nencoding = \"gbk\"");
    let text = format!("{HEADER}{ROW}");
    let (_, record) = ingest(tmp.path(), spec(&gbk_spec), "utf8.csv", text.as_bytes()).await;
    let error = record.error.expect("rejected");
    assert!(
        error.contains("the file is UTF-8 text but the source spec says `encoding = \"gbk\"`"),
        "{error}"
    );
    // The same bytes in GBK read as the spec says.
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let (_, record) = ingest(tmp.path(), spec(&gbk_spec), "gbk.csv", &gbk).await;
    assert_eq!((record.error, record.rows_staged), (None, 1));
}

#[test]
fn a_batch_goes_on_at_its_byte_limit_not_its_row_count() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("long-rows.csv");
    let title = "y".repeat(900 << 10);
    let rows = 40;
    let mut text = HEADER.replace("退款\n", "退款,商品\n");
    for i in 0..rows {
        text.push_str(&format!(
            "A{i},S1,交易成功,2019-03-05 12:00:00,1.00,0,{title}\n"
        ));
    }
    std::fs::write(&path, text).expect("write");
    let with_title = SPEC.replace(
        "refund_amount = [\"退款\"]",
        "refund_amount = [\"退款\"]\nitem_title = [\"商品\"]",
    );
    let layout = Arc::new(spec(&with_title).layout());
    let mut reader = spawn(path.clone(), crate::reader::folder_of(&path), layout, false);
    let mut batches = Vec::new();
    while let Some(batch) = reader.batches.blocking_recv() {
        batches.push(batch.expect("batch").num_rows());
    }
    let stats = reader.done.join().expect("joined").expect("read");
    assert_eq!(stats.data_rows, rows);
    assert_eq!(batches.iter().sum::<usize>(), rows as usize);
    // Each batch holds what fits in BATCH_BYTES, and one row more.
    let per_batch = BATCH_BYTES / title.len() + 1;
    assert!(batches.iter().all(|&n| n <= per_batch), "{batches:?}");
    assert!(batches.len() >= rows as usize / per_batch, "{batches:?}");
}

const JSON_SPEC: &str = r#"
kind = "records"
name = "prov"
description = "provincial"
department = "省平台"
table = "prov"
files = ["*.json"]
format = "json"
json_records = "data.records"

[[columns]]
name = "region_code"
headers = ["regionCode"]
type = "text"
required = true
description = "c"
"#;

fn json_spec() -> Arc<SourceSpec> {
    let spec: ecstat_core::spec::RecordSpec = toml::from_str(JSON_SPEC).expect("spec");
    Arc::new(SourceSpec::Records(spec))
}

#[tokio::test]
async fn json_records_are_bounded_in_length_width_and_depth() {
    let tmp = tempfile::tempdir().expect("tmp");
    let wrap = |records: &str| format!(r#"{{"data":{{"records":[{records}]}}}}"#);
    let long = format!(
        r#"{{"regionCode":"350524000000"}},{{"regionCode":"{}"}}"#,
        "x".repeat(MAX_RECORD_BYTES as usize)
    );
    let keys: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!(r#""k{i}":1"#)).collect();
    let wide = format!(r#"{{"regionCode":"1",{}}}"#, keys.join(","));
    let deep = format!(
        r#"{{"regionCode":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases = [
        (wrap(&long), "record 2 is longer than 1 MiB"),
        (wrap(&wide), "record 1 has more than 512 fields"),
        (wrap(&deep), "record 1: recursion limit exceeded"),
        ("[".repeat(100_000), "expected an object with `data`"),
        (
            r#"{"data":{"records":{"regionCode":"1"}}}"#.into(),
            "expected an array of records",
        ),
    ];
    for (text, expected) in cases {
        let checked = check(tmp.path(), json_spec(), "p.json", text.as_bytes()).await;
        let error = checked.record.error.expect(expected);
        assert!(error.contains(expected), "{expected}: {error}");
        assert!(error.chars().count() < 4 * MAX_SHOWN_CHARS, "{error}");
    }
    // A byte-order mark is not a reason to refuse a response.
    let bom = format!("\u{feff}{}", wrap(r#"{"regionCode":"350524000000"}"#));
    let checked = check(tmp.path(), json_spec(), "p.json", bom.as_bytes()).await;
    assert_eq!(checked.record.error, None);
    assert_eq!(checked.record.rows_staged, 1);
}

#[tokio::test]
async fn files_past_their_format_s_size_limit_are_refused_unread() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Sparse files: the size is all that is looked at.
    for (name, limit, spec) in [
        ("big.json", MAX_JSON_BYTES, json_spec()),
        (
            "big.xlsx",
            xlsx_package::MAX_FILE_BYTES,
            crate::tests::spec(
                &SPEC
                    .replace("files = [\"*.csv\"]", "files = [\"*.xlsx\"]")
                    .replace("format = \"csv\"", "format = \"xlsx\""),
            ),
        ),
    ] {
        let path = tmp.path().join(name);
        std::fs::File::create(&path)
            .and_then(|f| f.set_len(limit + 1))
            .expect("sparse file");
        let input = InputFile {
            path: path.clone(),
            relative: name.to_string(),
            sha256: "0".repeat(64),
            bytes: limit + 1,
            stamp: None,
            hashed: true,
        };
        let checked = ingest_file(Target::CheckOnly, spec, &env(), &input, "t", &|_| {})
            .await
            .expect("checked");
        let error = checked.record.error.expect(name);
        assert!(error.contains("文件过大"), "{error}");
        assert!(
            error.contains(&format!("more than the {}", crate::error::size(limit))),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_parser_that_panics_rejects_the_file_instead_of_ending_the_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    // calamine computes a column from the letters of a cell reference without checking
    // for overflow: with overflow checks on (debug builds) sixteen letters panic.
    let cells: String = ["订单号", "店铺", "状态", "时间", "金额"]
        .iter()
        .map(|h| format!(r#"<c t="inlineStr"><is><t>{h}</t></is></c>"#))
        .collect();
    let sheet = format!(
        r#"<worksheet><sheetData><row r="1">{cells}</row><row r="2"><c r="AAAAAAAAAAAAAAAA2" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#
    );
    let bytes = crate::fuzz::xlsx_with_sheet(sheet.as_bytes());
    let xlsx_spec = SPEC
        .replace("files = [\"*.csv\"]", "files = [\"*.xlsx\"]")
        .replace(
            "format = \"csv\"",
            "format = \"xlsx\"\nsheet = \"订单列表\"",
        );
    let (_, record) = ingest(tmp.path(), spec(&xlsx_spec), "refs.xlsx", &bytes).await;
    // With overflow checks off (release builds) calamine wraps instead, and reads on.
    if cfg!(debug_assertions) || record.error.is_some() {
        let error = record.error.unwrap_or_default();
        assert!(
            error.contains("refs.xlsx")
                && error.contains("reading stopped on malformed content (attempt to multiply"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn binary_that_starts_like_utf16_is_undecodable_not_utf16() {
    let tmp = tempfile::tempdir().expect("tmp");
    let junk = [0xFFu8, 0xFE, 0x00, 0x81, 0x30, 0xFF, 0xFF, 0x00];
    let (_, record) = ingest(tmp.path(), spec(SPEC), "junk.csv", &junk).await;
    let error = record.error.expect("rejected");
    assert!(error.contains("not text in UTF-8 or GB18030"), "{error}");
}

#[tokio::test]
async fn utf8_past_the_sniffed_bytes_that_does_not_decode_quarantines_its_row() {
    // UTF-8 is parsed without a decoder in front: the byte-order mark must still not reach
    // the first header, and a row that is not UTF-8 must still be held back, alone.
    let tmp = tempfile::tempdir().expect("tmp");
    let good = |i: usize| format!("A{i},S1,交易成功,2019-03-05 12:00:00,1.00,0\n");
    let rows = 2 * (64 << 10) / good(0).len();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(HEADER.as_bytes());
    for i in 0..rows {
        bytes.extend_from_slice(good(i).as_bytes());
    }
    // A shop name cut in the middle of a character, and a byte no UTF-8 has.
    bytes.extend_from_slice(b"B1,\xE5\xBA,\xFF,2019-03-05 12:00:00,1.00,0\n");
    bytes.extend_from_slice(good(rows).as_bytes());
    let checked = check(tmp.path(), spec(SPEC), "bom.csv", &bytes).await;
    assert_eq!(checked.record.error, None);
    assert_eq!(
        (checked.record.rows_staged, checked.record.rows_quarantined),
        (rows as u64 + 1, 1)
    );
    let problem = &checked.problems[0];
    assert_eq!(problem.rule, "undecodable_text");
    // The header is row 1.
    assert_eq!(problem.row, rows as i64 + 2);
    assert!(
        problem
            .value
            .as_deref()
            .is_some_and(|v| v.contains('\u{FFFD}')),
        "{problem:?}"
    );
}
