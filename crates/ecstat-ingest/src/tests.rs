//! Ingest of small files written here: every row staged or quarantined, with the right rule.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use ecstat_core::division::Divisions;
use ecstat_core::spec::{OrderSpec, SourceSpec};
use ecstat_lake::{DataDir, InputRecord};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::{IngestEnv, InputFile, Lookups, RecordEnv, Target, ingest_file};

pub(crate) const SPEC: &str = r#"
name = "t"
description = "test layout"
table = "orders"
platform = "taobao"
files = ["*.csv"]
format = "csv"
goods_amount = "column"
footer_markers = ["合计"]
[columns]
order_id = ["订单号"]
shop_id = ["店铺"]
status = ["状态"]
order_time = ["时间"]
goods_amount = ["金额"]
refund_amount = ["退款"]
[status]
completed = ["交易成功"]
cancelled = ["交易关闭"]
"#;

pub(crate) fn spec(text: &str) -> Arc<SourceSpec> {
    let spec: OrderSpec = toml::from_str(text).expect("spec parses");
    Arc::new(SourceSpec::Orders(spec))
}

/// The real division reference, a fixed salt and the platform names as lookups.
pub(crate) fn env() -> IngestEnv {
    let divisions = Divisions::from_csv_path(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../sample_data/reference/anxi_divisions.csv"),
    )
    .expect("divisions");
    let mut lookups = Lookups::new();
    lookups.insert(
        "ref_platforms.name_zh".into(),
        vec!["淘宝/天猫".into(), "京东".into()],
    );
    IngestEnv {
        records: RecordEnv {
            divisions: Arc::new(divisions),
            divisions_digest: "test".into(),
            salt: Arc::new(b"test-salt".to_vec()),
        },
        lookups: Arc::new(lookups),
        engine: ecstat_engine::Engine::default(),
    }
}

pub(crate) async fn ingest(
    dir: &Path,
    spec: Arc<SourceSpec>,
    name: &str,
    bytes: &[u8],
) -> (DataDir, InputRecord) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write input");
    let lake = DataDir::open(&dir.join("data")).expect("data dir");
    let input = InputFile {
        path: path.clone(),
        relative: name.to_string(),
        sha256: ecstat_lake::sha256_file(&path).expect("hash"),
        bytes: bytes.len() as u64,
        stamp: None,
        hashed: true,
    };
    let record = ingest_input(&lake, spec, &input).await.record;
    (lake, record)
}

/// Ingest `input` into `lake` in run `test-run`.
pub(crate) async fn ingest_input(
    lake: &DataDir,
    spec: Arc<SourceSpec>,
    input: &InputFile,
) -> crate::Ingested {
    ingest_file(Target::Lake(lake), spec, &env(), input, "test-run", &|_| {})
        .await
        .expect("ingest")
}

/// Every batch of the data-directory files `files`.
pub(crate) fn read_batches<'a>(
    lake: &DataDir,
    files: impl IntoIterator<Item = &'a String>,
) -> Vec<RecordBatch> {
    let mut out = Vec::new();
    for file in files {
        let f = std::fs::File::open(lake.path(file)).expect("open");
        let reader = ParquetRecordBatchReaderBuilder::try_new(f)
            .expect("parquet")
            .build()
            .expect("reader");
        out.extend(reader.map(|b| b.expect("batch")));
    }
    out
}

/// (row, rule) of a file's quarantine, sorted.
pub(crate) fn rules(lake: &DataDir, record: &InputRecord) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for batch in read_batches(lake, &record.quarantine_files) {
        let rows = batch
            .column_by_name("row")
            .expect("row")
            .as_primitive::<arrow::datatypes::Int64Type>()
            .clone();
        let rule = batch
            .column_by_name("rule")
            .expect("rule")
            .as_string::<i32>()
            .clone();
        for i in 0..batch.num_rows() {
            out.push((rows.value(i), rule.value(i).to_string()));
        }
    }
    out.sort();
    out
}

/// (rows, goods amount in fen) of a file's staged files.
pub(crate) fn staged_sum(lake: &DataDir, record: &InputRecord) -> (usize, i128) {
    let batches = read_batches(lake, record.staged_files.values().flatten());
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    let fen = batches
        .iter()
        .map(|b| {
            let goods = b
                .column_by_name("goods_amount_yuan")
                .expect("goods")
                .as_primitive::<arrow::datatypes::Decimal128Type>();
            goods.values().iter().sum::<i128>()
        })
        .sum();
    (rows, fen)
}

#[tokio::test]
async fn gbk_csv_rows_are_staged_or_quarantined_with_their_rule() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Header with a trailing space and full-width brackets elsewhere; a 合计 footer.
    let text = "订单号,店铺,状态 ,时间,金额,退款\r\n\
                A1,S1,交易成功,2019-03-05 12:03:04,\"1,234.50\",0\r\n\
                A2,S1,交易关闭,2019/3/6 08:00,10.00元,0\r\n\
                A3,S1,交易成功,2019-13-45 10:00:00,5.00,0\r\n\
                A4,S1,交易成功,2019-03-07 10:00:00,abc,0\r\n\
                A5,S1,异常订单,2019-03-07 10:00:00,5.00,0\r\n\
                A6,S1,交易成功,2019-03-07 10:00:00,-5.00,0\r\n\
                ,S1,交易成功,2019-03-07 10:00:00,5.00,0\r\n\
                A1,S1,交易成功,2019-03-05 12:03:04,\"1,234.50\",0\r\n\
                A7,S1,交易成功\r\n\
                A8,S2,交易成功,2019-04-01 00:00:00,7.25,1.00\r\n\
                ,,,,,\r\n\
                合计,,,,1256.75,1\r\n";
    let (gbk, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    let (lake, record) = ingest(tmp.path(), spec(SPEC), "orders.csv", &gbk).await;
    assert_eq!(record.error, None);
    assert_eq!(record.encoding, "gb18030");
    assert_eq!(record.rows_read, 10);
    assert_eq!(record.rows_skipped, 2, "the blank line and the 合计 footer");
    assert_eq!(
        record.rows_staged + record.rows_quarantined,
        record.rows_read
    );
    let expected: Vec<(i64, String)> = vec![
        (4, "unparseable_datetime".into()),
        (5, "unparseable_amount".into()),
        (6, "unknown_status".into()),
        (7, "negative_amount".into()),
        (8, "missing_value".into()),
        (9, "duplicate_order_line".into()),
        (10, "field_count".into()),
    ];
    assert_eq!(rules(&lake, &record), expected);
    // A1 1234.50 + A2 10.00 + A8 7.25, exactly, and row 9 (A1 again): a repeated line is
    // staged and listed as a warning; stg_orders keeps its first copy.
    assert_eq!(staged_sum(&lake, &record), (4, 125_175 + 123_450));
    assert_eq!((record.rows_staged, record.rows_warned), (4, 1));
    // Partitioned by order month.
    let files: Vec<&String> = record.staged_files["orders"].iter().collect();
    assert_eq!(files.len(), 2);
    assert!(
        files[0].contains("month=2019-03") && files[1].contains("month=2019-04"),
        "{files:?}"
    );
}

#[tokio::test]
async fn missing_columns_reject_the_file_and_name_what_was_found() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = "订单号,店铺,时间\nA1,S1,2019-03-05\n";
    let (_, record) = ingest(tmp.path(), spec(SPEC), "orders.csv", text.as_bytes()).await;
    let error = record.error.expect("rejected");
    assert!(error.contains("status (状态)"), "{error}");
    assert!(error.contains("goods_amount (金额)"), "{error}");
    assert!(
        error.contains("headers found: 订单号, 店铺, 时间"),
        "{error}"
    );
    assert_eq!((record.rows_read, record.rows_staged), (0, 0));
    assert!(record.staged_files.is_empty());
}

#[tokio::test]
async fn xlsx_with_title_rows_footer_and_a_far_away_cell_streams() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("src.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("订单列表").expect("sheet");
    ws.write_string(0, 0, "京东商家后台订单导出（2019年）")
        .expect("cell");
    for (j, h) in ["订单号", "店铺", "状态", "时间", "金额"]
        .iter()
        .enumerate()
    {
        ws.write_string(2, j as u16, *h).expect("cell");
    }
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let when = rust_xlsxwriter::ExcelDateTime::parse_from_str("2019-03-05 12:03:04").expect("date");
    ws.write_string(3, 0, "100000000001").expect("cell");
    ws.write_string(3, 1, "S1").expect("cell");
    ws.write_string(3, 2, "交易成功").expect("cell");
    ws.write_datetime_with_format(3, 3, &when, &fmt)
        .expect("cell");
    ws.write_number(3, 4, 128.8).expect("cell");
    ws.write_string(4, 0, "100000000002").expect("cell");
    ws.write_string(4, 1, "S1").expect("cell");
    ws.write_string(4, 2, "交易成功").expect("cell");
    ws.write_string(4, 3, "2019/3/6 08:00").expect("cell");
    ws.write_string(4, 4, "N/A").expect("cell");
    ws.write_string(5, 0, "合计").expect("cell");
    ws.write_number(5, 4, 128.8).expect("cell");
    // One cell at the very last column and row: declared dimensions A1:XFD1048576.
    ws.write_string(1_048_575, 16_383, "x").expect("cell");
    wb.save(&path).expect("save");
    let bytes = std::fs::read(&path).expect("read");

    let text = SPEC
        .replace("files = [\"*.csv\"]", "files = [\"*.xlsx\"]")
        .replace(
            "format = \"csv\"",
            "format = \"xlsx\"\nheader_row = 3\nsheet = \"订单列表\"",
        );
    let (lake, record) = ingest(tmp.path(), spec(&text), "orders.xlsx", &bytes).await;
    assert_eq!(record.error, None);
    assert_eq!(record.rows_read, 2);
    assert_eq!(
        rules(&lake, &record),
        vec![(5, "unparseable_amount".to_string())]
    );
    assert_eq!(staged_sum(&lake, &record), (1, 12_880));
    // The far-away cell lies beyond the columns read, so its row holds nothing.
    assert_eq!(record.rows_skipped, 1, "the 合计 row");
}

#[tokio::test]
async fn a_wrong_forced_encoding_is_one_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (gbk, _, _) =
        encoding_rs::GBK.encode("订单号,店铺,状态,时间,金额\nA1,S1,交易成功,2019-03-05,1\n");
    let text = SPEC.replace("format = \"csv\"", "format = \"csv\"\nencoding = \"utf-8\"");
    let (_, record) = ingest(tmp.path(), spec(&text), "orders.csv", &gbk).await;
    let error = record.error.expect("rejected");
    assert!(error.contains("not text in UTF-8"), "{error}");
}

#[tokio::test]
async fn rows_below_the_footer_and_implausible_dates_are_shown_not_dropped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = "订单号,店铺,状态,时间,金额,退款\n\
                A1,S1,交易成功,2091-03-05 12:00:00,1.00,0\n\
                A2,S1,交易成功,1999-12-31 23:59:59,1.00,0\n\
                A3,S1,交易成功,2019-03-05 12:00:00,1.00,0\n\
                合计,,,,3.00,0\n\
                A4,S1,交易成功,2019-03-06 12:00:00,1.00,0\n";
    let (lake, record) = ingest(tmp.path(), spec(SPEC), "orders.csv", text.as_bytes()).await;
    assert_eq!(record.error, None);
    assert_eq!(
        (record.rows_read, record.rows_staged, record.rows_skipped),
        (4, 1, 1)
    );
    assert_eq!(
        rules(&lake, &record),
        vec![
            (2, "implausible_datetime".to_string()),
            (3, "implausible_datetime".to_string()),
            (6, "after_footer".to_string()),
        ]
    );
}

#[tokio::test]
async fn lines_without_a_sub_order_id_are_told_apart_by_item() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Two items of one order (no sub-order ids), then an exact repeat of the first.
    let text = SPEC.replace(
        "refund_amount = [\"退款\"]",
        "refund_amount = [\"退款\"]\nitem_title = [\"商品\"]",
    );
    let rows = "订单号,店铺,状态,时间,金额,退款,商品\n\
                A1,S1,交易成功,2019-03-05 12:00:00,10.00,0,铁观音\n\
                A1,S1,交易成功,2019-03-05 12:00:00,20.00,0,淮山\n\
                A1,S1,交易成功,2019-03-05 12:00:00,10.00,0,铁观音\n";
    let (lake, record) = ingest(tmp.path(), spec(&text), "orders.csv", rows.as_bytes()).await;
    assert_eq!(
        rules(&lake, &record),
        vec![(4, "duplicate_order_line".to_string())]
    );
    // The repeat is staged (stg_orders keeps the first copy) but not in the file's totals.
    assert_eq!(staged_sum(&lake, &record), (3, 4_000));
    let totals = record.reconciliation.as_ref().expect("totals");
    assert_eq!(
        (totals.lines, totals.orders, totals.sales_fen),
        (2, 1, 3_000)
    );
}

/// The records functions are registered on the session after the ingest functions; one of
/// the same name would replace it in every file's SQL. `ecstat_month` (a month cell) once
/// replaced the order SQL's month of a timestamp, which then formatted and parsed text for
/// every line.
#[test]
fn records_functions_replace_no_ingest_function() {
    let ctx = crate::session(&ecstat_engine::Engine::default());
    let before = ctx.state().scalar_functions().clone();
    crate::cells::register(&ctx, &env().records);
    let after = ctx.state().scalar_functions().clone();
    let replaced: Vec<&String> = before
        .iter()
        .filter(|(name, f)| !Arc::ptr_eq(f, &after[*name]))
        .map(|(name, _)| name)
        .collect();
    assert!(replaced.is_empty(), "replaced: {replaced:?}");
    assert!(before.contains_key("ecstat_month_of"));
}

/// A file hashed as it is read stages what a file hashed first stages, under the same
/// names (the content hash and the run), and its record carries the same hash; a file
/// rejected before it was read to its end is hashed on its own. Staged order files do
/// not hold the hash: the warehouse adds it from the record.
#[tokio::test]
async fn a_file_hashed_while_read_stages_the_same_and_records_its_hash() {
    let text = "订单号,店铺,状态,时间,金额,退款\n\
                A1,S1,交易成功,2019-03-05 12:03:04,12.50,0\n\
                A2,S1,交易成功,2019-04-06 08:00:00,abc,0\n\
                A3,S1,交易成功,2019-04-07 10:00:00,5.00,0\n";
    let first = tempfile::tempdir().expect("tempdir");
    let (lake_first, hashed_first) =
        ingest(first.path(), spec(SPEC), "orders.csv", text.as_bytes()).await;

    let read = tempfile::tempdir().expect("tempdir");
    let path = read.path().join("orders.csv");
    std::fs::write(&path, text).expect("write input");
    let lake = DataDir::open(&read.path().join("data")).expect("data dir");
    let input = InputFile::unhashed(&path, "orders.csv".into()).expect("stat");
    assert!(input.sha256.is_empty());
    let record = ingest_input(&lake, spec(SPEC), &input).await.record;
    assert_eq!(record.error, None);
    assert_eq!(
        record.sha256,
        ecstat_lake::sha256_file(&path).expect("hash")
    );
    assert_eq!(record.sha256, hashed_first.sha256);
    assert_eq!(record.staged_files, hashed_first.staged_files);
    assert_eq!(record.quarantine_files, hashed_first.quarantine_files);
    assert!(
        record.staged_files["orders"]
            .iter()
            .all(|f| f.contains(&record.sha256[..16])),
        "{:?}",
        record.staged_files
    );
    assert_eq!(staged_sum(&lake, &record), (2, 1_750));
    assert_eq!(
        staged_sum(&lake, &record),
        staged_sum(&lake_first, &hashed_first)
    );
    for batch in read_batches(&lake, record.staged_files.values().flatten()) {
        assert!(batch.column_by_name("file_sha256").is_none());
    }
    let quarantined = read_batches(&lake, &record.quarantine_files);
    let hashes = quarantined[0]
        .column_by_name("file_sha256")
        .expect("quarantine names the file's hash")
        .as_string::<i32>();
    assert!(hashes.iter().all(|h| h == Some(record.sha256.as_str())));

    let rejected_path = read.path().join("rejected.csv");
    std::fs::write(&rejected_path, "订单号,店铺,时间\nA1,S1,2019-03-05\n").expect("write");
    let input = InputFile::unhashed(&rejected_path, "rejected.csv".into()).expect("stat");
    let record = ingest_input(&lake, spec(SPEC), &input).await.record;
    assert!(record.error.is_some());
    assert_eq!(
        record.sha256,
        ecstat_lake::sha256_file(&rejected_path).expect("hash")
    );
}
