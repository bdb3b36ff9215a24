//! Records sources on small files written here: merged two-row headers, values from the
//! title and the file name, every value type, each check and severity, JSON, ID hashing.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Date32Type, Decimal128Type, Int64Type};
use ecstat_core::spec::{RecordSpec, SourceSpec};
use ecstat_lake::DataDir;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rust_xlsxwriter::{Format, Workbook};

use crate::tests::env;
use crate::{Ingested, InputFile, Target, ingest_file};

const REPORT_SPEC: &str = r#"
kind = "records"
name = "reports"
description = "township monthly report"
department = "乡镇"
table = "reports"
files = ["*.xlsx"]
format = "xlsx"
header_row = 4
header_rows = 2
footer_markers = ["合计", "填报人"]
amount_unit = "wan_yuan"
replace_by = ["township_code", "month"]

[[columns]]
name = "township_code"
file_field = { from = "title", pattern = "填报单位[:：]\\s*([^\\s（(]+)" }
type = "township"
required = true
description = "t"
checks = [{ not_null = true, severity = "file" }]

[[columns]]
name = "month"
file_field = { from = "title", pattern = "报告期[:：]\\s*([0-9]{4}年[0-9]{1,2}月)" }
type = "month"
required = true
description = "m"

[[columns]]
name = "batch"
file_field = { from = "file_name", pattern = "_(第[0-9]+批)\\.xlsx$" }
type = "text"
description = "b"

[[columns]]
name = "village_code"
headers = ["村(居)名称"]
type = "village"
within = "township_code"
required = true
description = "v"
checks = [{ unique = true }]

[[columns]]
name = "enterprises"
headers = ["电商主体(个)/企业"]
type = "integer"
description = "e"
checks = [{ range = { min = 0, max = 100 } }]

[[columns]]
name = "retail_yuan"
headers = ["网络零售额(万元)/本月"]
type = "amount"
description = "r"

[[columns]]
name = "has_point"
headers = ["是否建有服务点"]
type = "boolean"
description = "p"
checks = [{ not_null = true, severity = "warn" }]
"#;

fn spec(text: &str) -> Arc<SourceSpec> {
    let spec: RecordSpec = toml::from_str(text).expect("spec parses");
    spec.validate().expect("spec valid");
    Arc::new(SourceSpec::Records(spec))
}

async fn run(
    dir: &Path,
    spec: Arc<SourceSpec>,
    name: &str,
    target_lake: bool,
) -> (DataDir, Ingested) {
    let path = dir.join(name);
    let lake = DataDir::open(&dir.join("data")).expect("data dir");
    let input = InputFile {
        path: path.clone(),
        relative: name.to_string(),
        sha256: ecstat_lake::sha256_file(&path).expect("hash"),
        bytes: std::fs::metadata(&path).expect("meta").len(),
        stamp: None,
        hashed: true,
    };
    let target = if target_lake {
        Target::Lake(&lake)
    } else {
        Target::CheckOnly
    };
    let out = ingest_file(target, spec, &env(), &input, "run-1", &|_| {})
        .await
        .expect("ingest");
    (lake, out)
}

fn read(lake: &DataDir, files: &[String]) -> Vec<RecordBatch> {
    files
        .iter()
        .flat_map(|f| {
            let file = std::fs::File::open(lake.path(f)).expect("open");
            ParquetRecordBatchReaderBuilder::try_new(file)
                .expect("parquet")
                .build()
                .expect("reader")
                .map(|b| b.expect("batch"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A township report as townships send it: title rows, a merged two-row header, a 合计
/// row and a 填报人 line.
fn write_report(path: &Path, township: &str, rows: &[[&str; 4]]) {
    write_report_shifted(path, township, rows, 0);
}

/// The same, with `extra` more title rows above the header (a department's own variant).
fn write_report_shifted(path: &Path, township: &str, rows: &[[&str; 4]], extra: u32) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let f = Format::new();
    let t = extra;
    ws.merge_range(0, 0, 0, 4, "安溪县农村电子商务发展情况月报表", &f)
        .unwrap();
    for i in 0..extra {
        ws.write(1 + i, 0, "（本表按月报送）").unwrap();
    }
    ws.write(1 + t, 0, format!("填报单位：{township}（盖章）"))
        .unwrap();
    ws.write(1 + t, 3, "报告期：2019年12月").unwrap();
    ws.merge_range(2 + t, 0, 3 + t, 0, "村（居）名称", &f)
        .unwrap();
    ws.merge_range(2 + t, 1, 2 + t, 2, "电商主体（个）", &f)
        .unwrap();
    ws.write(3 + t, 1, "企业").unwrap();
    ws.write(3 + t, 2, "个体户").unwrap();
    ws.write(2 + t, 3, "网络零售额（万元）").unwrap();
    ws.write(3 + t, 3, "本月").unwrap();
    ws.merge_range(2 + t, 4, 3 + t, 4, "是否建有服务点", &f)
        .unwrap();
    let mut r = 4 + t;
    for row in rows {
        ws.write(r, 0, row[0]).unwrap();
        ws.write(r, 1, row[1]).unwrap();
        ws.write(r, 2, "1").unwrap();
        ws.write(r, 3, row[2]).unwrap();
        ws.write(r, 4, row[3]).unwrap();
        r += 1;
    }
    ws.write(r, 0, "合计").unwrap();
    ws.write(r + 1, 0, "填报人：某某  填报日期：2020年1月5日")
        .unwrap();
    wb.save(path).unwrap();
}

#[tokio::test]
async fn a_township_report_is_read_under_its_merged_header() {
    let tmp = tempfile::tempdir().expect("tmp");
    let name = "乡镇电商月报_湖头镇_201912_第2批.xlsx";
    write_report(
        &tmp.path().join(name),
        "湖头镇",
        &[
            ["郭埔村", "3", "12.5", "是"],
            ["郭埔村委会", "1", "1", "是"], // duplicate village → quarantined
            ["郭浦村", "1", "1", "否"],     // typo of 郭埔村 → quarantined
            ["宗城社区", "-1", "1", "否"],  // out of range → quarantined
            ["湖二村", "２", "0.0001", ""], // full-width digit; no 是/否: a warning only
        ],
    );
    let (lake, out) = run(tmp.path(), spec(REPORT_SPEC), name, true).await;
    let record = &out.record;
    assert_eq!(record.error, None);
    assert_eq!(
        (
            record.rows_read,
            record.rows_staged,
            record.rows_quarantined
        ),
        (5, 2, 3)
    );
    assert_eq!(record.rows_skipped, 2, "合计 and 填报人");
    assert_eq!(record.rows_warned, 1);
    let problems: Vec<(i64, &str, &str)> = out
        .problems
        .iter()
        .map(|p| (p.row, p.rule.as_str(), p.severity))
        .collect();
    assert_eq!(
        problems,
        vec![
            (6, "duplicate_value", "row"),
            (7, "unknown_division", "row"),
            (8, "out_of_range", "row"),
            (9, "missing_value", "warn"),
        ]
    );
    // The division hint names candidates; the header is the file's own.
    let unknown = &out.problems[1];
    assert!(
        unknown
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("最接近") && d.contains("郭埔村委会")),
        "{unknown:?}"
    );
    assert!(
        out.headers
            .iter()
            .any(|(c, h)| c == "enterprises" && h == "电商主体（个）/企业")
    );

    // Staged under the (township, month) partition, with typed values.
    let files = &record.staged_files["reports"];
    assert_eq!(files.len(), 1);
    assert!(files[0].contains("key=350524102000_2019-12/"), "{files:?}");
    let batches = read(&lake, files);
    let b = &batches[0];
    let text = |c: &str, i: usize| {
        b.column_by_name(c)
            .unwrap()
            .as_string::<i32>()
            .value(i)
            .to_string()
    };
    assert_eq!(text("township_code", 0), "350524102000");
    assert_eq!(text("month", 1), "2019-12");
    assert_eq!(text("batch", 0), "第2批");
    let retail = b
        .column_by_name("retail_yuan")
        .unwrap()
        .as_primitive::<Decimal128Type>();
    assert_eq!(retail.value(0), 12_500_000, "12.5 万元 = 125000.00 元");
    assert_eq!(retail.value(1), 100, "0.0001 万元 = 1.00 元");
    let enterprises = b
        .column_by_name("enterprises")
        .unwrap()
        .as_primitive::<Int64Type>();
    assert_eq!(enterprises.value(1), 2, "full-width ２");
    let has_point = b.column_by_name("has_point").unwrap().as_boolean();
    assert!(has_point.value(0) && has_point.is_null(1));
}

#[tokio::test]
async fn a_failed_file_level_check_rejects_the_whole_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let name = "乡镇电商月报_湖投_201912.xlsx";
    write_report(
        &tmp.path().join(name),
        "湖投镇",
        &[["郭埔村", "3", "12.5", "是"]],
    );
    let (lake, out) = run(tmp.path(), spec(REPORT_SPEC), name, true).await;
    let error = out.record.error.expect("rejected");
    assert!(
        error.contains("湖投镇") && error.contains("最接近") && error.contains("湖头镇"),
        "{error}"
    );
    assert!(error.contains("whole file"), "{error}");
    assert!(out.record.staged_files.is_empty());
    assert_eq!(out.record.rows_staged, 0);
    // Nothing of it was written.
    let staged = lake.path("staged");
    let leftovers: Vec<_> = walk(&staged);
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                out.extend(walk(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[tokio::test]
async fn check_only_writes_nothing_but_reports_every_problem() {
    let tmp = tempfile::tempdir().expect("tmp");
    let name = "r.xlsx";
    write_report(&tmp.path().join(name), "湖头", &[["郭埔", "x", "1", "是"]]);
    let (lake, out) = run(tmp.path(), spec(REPORT_SPEC), name, false).await;
    assert_eq!(out.record.rows_quarantined, 1);
    assert_eq!(out.problems[0].rule, "unparseable_integer");
    assert!(walk(&lake.path("staged")).is_empty());
    assert!(walk(&lake.path("quarantine")).is_empty());
}

const JSON_SPEC: &str = r#"
kind = "records"
name = "prov"
description = "provincial API"
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
description = "r"
checks = [{ regex = "^350524[0-9]{6}$" }]

[[columns]]
name = "month"
headers = ["statMonth"]
type = "month"
required = true
description = "m"

[[columns]]
name = "sales_yuan"
headers = ["onlineRetailSales"]
type = "amount"
required = true
description = "s"

[[columns]]
name = "since"
headers = ["since"]
type = "date"
description = "d"
"#;

#[tokio::test]
async fn a_json_api_response_is_read_by_key() {
    let tmp = tempfile::tempdir().expect("tmp");
    let json = r#"{"code":0,"data":{"records":[
        {"regionCode":"350524000000","statMonth":"2019-01","onlineRetailSales":1234567.89,"since":"43466"},
        {"regionCode":"350524102000","statMonth":"201902","onlineRetailSales":"100.10","since":"2019年1月2日"},
        {"regionCode":"350999000000","statMonth":"2019-02","onlineRetailSales":1},
        {"regionCode":"350524102000","statMonth":"2019-13","onlineRetailSales":1},
        "not an object"
    ]}}"#;
    std::fs::write(tmp.path().join("p.json"), json).unwrap();
    let (lake, out) = run(tmp.path(), spec(JSON_SPEC), "p.json", true).await;
    let r = &out.record;
    assert_eq!(r.error, None);
    assert_eq!((r.rows_read, r.rows_staged, r.rows_quarantined), (5, 2, 3));
    let rules: Vec<&str> = out.problems.iter().map(|p| p.rule.as_str()).collect();
    assert_eq!(
        rules,
        vec!["pattern_mismatch", "unparseable_month", "field_count"]
    );
    let batches = read(&lake, &r.staged_files["prov"]);
    let mut fen: Vec<i128> = batches
        .iter()
        .flat_map(|b| {
            b.column_by_name("sales_yuan")
                .unwrap()
                .as_primitive::<Decimal128Type>()
                .values()
                .to_vec()
        })
        .collect();
    fen.sort();
    assert_eq!(fen, vec![10_010, 123_456_789]);
    // Excel serial 43466 is 2019-01-01; both rows carry a date.
    let days: Vec<i32> = batches
        .iter()
        .flat_map(|b| {
            b.column_by_name("since")
                .unwrap()
                .as_primitive::<Date32Type>()
                .values()
                .to_vec()
        })
        .collect();
    assert!(days.contains(&17897) && days.contains(&17898), "{days:?}");
}

const PEOPLE_SPEC: &str = r#"
kind = "records"
name = "people"
description = "attendees"
department = "商务局"
table = "people"
files = ["*.csv"]
format = "csv"

[[columns]]
name = "person_hash"
headers = ["身份证号"]
type = "id_hash"
required = true
description = "h"

[[columns]]
name = "uscc"
headers = ["信用代码"]
type = "uscc"
description = "u"
checks = [{ uscc = true }]
"#;

#[tokio::test]
async fn id_numbers_are_stored_only_as_salted_hashes() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Rows 2–4 parse; row 5 has a field too many (a comma in the name shifted the ID number
    // out of its column) and row 7 lies below the 合计 footer: both are rejected before
    // parsing, with the ID number still in them.
    let csv = "身份证号,信用代码\n11010519491231002X,91110000600037341L\n110105194912310021,\n\
               11010519491231002x,91110000600037341A\n李,11010519491231002X,extra\n合计,\n\
               11010519491231002X,\n";
    std::fs::write(tmp.path().join("p.csv"), csv).unwrap();
    let text = PEOPLE_SPEC.replace(
        "format = \"csv\"",
        "format = \"csv\"\nfooter_markers = [\"合计\"]",
    );
    let (lake, out) = run(tmp.path(), spec(&text), "p.csv", true).await;
    let r = &out.record;
    assert_eq!((r.rows_read, r.rows_staged, r.rows_quarantined), (5, 1, 4));
    let rules: Vec<&str> = out.problems.iter().map(|p| p.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "invalid_id_number",
            "invalid_uscc",
            "field_count",
            "after_footer"
        ]
    );
    let bad_id = &out.problems[0];
    assert_eq!(bad_id.rule, "invalid_id_number");
    assert_eq!(
        bad_id.value.as_deref(),
        Some("1101************21"),
        "masked"
    );
    let bad_code = &out.problems[1];
    assert_eq!(bad_code.rule, "invalid_uscc");
    assert!(
        bad_code.detail.as_deref().is_some_and(|d| d.contains('L')),
        "{bad_code:?}"
    );
    // The raw number appears in no value of any file of the data directory (decoded: the
    // Parquet pages are compressed, so a byte search would prove nothing).
    let needle = "110105194912310";
    for problem in &out.problems {
        let shown = format!("{:?} {:?}", problem.value, problem.detail);
        assert!(!shown.contains(needle), "{shown}");
    }
    let mut values_seen = 0;
    for path in walk(lake.root()) {
        if path.extension().is_some_and(|x| x == "parquet") {
            let file = std::fs::File::open(&path).unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap()
                .build()
                .unwrap();
            for batch in reader {
                let batch = batch.unwrap();
                for column in batch.columns() {
                    if let Some(text) = column.as_string_opt::<i32>() {
                        for value in text.iter().flatten() {
                            values_seen += 1;
                            assert!(!value.contains(needle), "{}: {value}", path.display());
                        }
                    }
                }
            }
        } else {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{}",
                path.display()
            );
        }
    }
    assert!(values_seen > 10, "the check read the files");
    let batches = read(&lake, &r.staged_files["people"]);
    let hash = batches[0]
        .column_by_name("person_hash")
        .unwrap()
        .as_string::<i32>()
        .value(0)
        .to_string();
    use sha2::Digest;
    let want = hex::encode(sha2::Sha256::digest(b"test-salt11010519491231002X"));
    assert_eq!(hash, want);
}

const SHOPS_SPEC: &str = r#"
kind = "records"
name = "shops"
description = "operators"
department = "商务局"
table = "shops"
files = ["*.csv"]
format = "csv"

[[columns]]
name = "platform_name"
headers = ["平台"]
type = "text"
required = true
description = "p"
checks = [{ relationship = "ref_platforms.name_zh" }]
values = { "淘宝/天猫" = ["淘宝", "天猫"] }

[[columns]]
name = "township_code"
headers = ["乡镇"]
type = "township"
description = "t"
"#;

#[tokio::test]
async fn spellings_map_to_the_canonical_value_before_the_checks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let csv = "平台,乡镇\n天猫,安溪县湖头镇人民政府\n淘宝/天猫,湖头\n唯品会,湖头镇\n";
    std::fs::write(tmp.path().join("s.csv"), csv).unwrap();
    let (lake, out) = run(tmp.path(), spec(SHOPS_SPEC), "s.csv", true).await;
    let r = &out.record;
    assert_eq!((r.rows_read, r.rows_staged, r.rows_quarantined), (3, 2, 1));
    assert_eq!(out.problems[0].rule, "unknown_reference");
    assert_eq!(out.problems[0].value.as_deref(), Some("唯品会"));
    let batches = read(&lake, &r.staged_files["shops"]);
    let b = &batches[0];
    let platforms = b
        .column_by_name("platform_name")
        .unwrap()
        .as_string::<i32>();
    let townships = b
        .column_by_name("township_code")
        .unwrap()
        .as_string::<i32>();
    for i in 0..2 {
        assert_eq!(platforms.value(i), "淘宝/天猫");
        assert_eq!(townships.value(i), "350524102000");
    }
}

#[tokio::test]
async fn the_header_is_found_below_an_extra_title_row() {
    let tmp = tempfile::tempdir().expect("tmp");
    let name = "r.xlsx";
    write_report_shifted(
        &tmp.path().join(name),
        "湖头镇",
        &[["郭埔村", "3", "12.5", "是"], ["湖二村", "1", "1", "否"]],
        2,
    );
    let (_, out) = run(tmp.path(), spec(REPORT_SPEC), name, true).await;
    let r = &out.record;
    assert_eq!(r.error, None);
    assert_eq!((r.rows_read, r.rows_staged, r.rows_skipped), (2, 2, 2));
    assert!(r.staged_files["reports"][0].contains("key=350524102000_2019-12/"));
    assert!(
        r.notes.iter().any(|n| n.contains("header found at row 6")),
        "{:?}",
        r.notes
    );
}

#[tokio::test]
async fn a_csv_header_is_found_above_or_below_the_declared_row() {
    let text = PEOPLE_SPEC.replace("format = \"csv\"", "format = \"csv\"\nheader_row = 2");
    for (csv, rows) in [
        // The title row was dropped: the header is row 1.
        ("身份证号,信用代码\n11010519491231002X,\n", 1),
        // Two title rows: the header is row 3.
        (
            "培训签到名单\n（第一期）\n身份证号,信用代码\n11010519491231002X,\n\n",
            1,
        ),
    ] {
        let tmp = tempfile::tempdir().expect("tmp");
        std::fs::write(tmp.path().join("p.csv"), csv).unwrap();
        let (_, out) = run(tmp.path(), spec(&text), "p.csv", true).await;
        assert_eq!(out.record.error, None, "{csv}");
        assert_eq!(out.record.rows_staged, rows, "{csv}");
    }
    // No row with the required columns: the declared row's headers are named.
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("p.csv"), "标题\n姓名,信用代码\n张三,\n").unwrap();
    let (_, out) = run(tmp.path(), spec(&text), "p.csv", true).await;
    let error = out.record.error.expect("rejected");
    assert!(
        error.contains("person_hash") && error.contains("姓名"),
        "{error}"
    );
}

#[tokio::test]
async fn a_unique_key_can_span_columns_and_compares_parsed_values() {
    let text = SHOPS_SPEC.replace(
        "values = { \"淘宝/天猫\" = [\"淘宝\", \"天猫\"] }",
        "values = { \"淘宝/天猫\" = [\"淘宝\", \"天猫\"] }\nchecks = [{ unique = true, with = [\"township_code\"] }]",
    );
    let text = text.replace(
        "checks = [{ relationship = \"ref_platforms.name_zh\" }]\n",
        "",
    );
    let tmp = tempfile::tempdir().expect("tmp");
    // 天猫 in 湖头 is 淘宝/天猫 in 350524102000 again; 京东 in 湖头 and 淘宝 in 感德 are not.
    let csv = "平台,乡镇\n淘宝,湖头镇\n京东,湖头\n淘宝,感德镇\n天猫,350524102000\n";
    std::fs::write(tmp.path().join("s.csv"), csv).unwrap();
    let (_, out) = run(tmp.path(), spec(&text), "s.csv", true).await;
    assert_eq!(out.record.rows_quarantined, 1, "{:?}", out.problems);
    let p = &out.problems[0];
    assert_eq!((p.row, p.rule.as_str()), (5, "duplicate_value"));
    assert_eq!(p.value.as_deref(), Some("淘宝/天猫 / 350524102000"));
}

#[tokio::test]
async fn a_report_whose_title_and_file_name_disagree_is_rejected() {
    let text = REPORT_SPEC
        .replace(
            "checks = [{ not_null = true, severity = \"file\" }]\n\n[[columns]]\nname = \"month\"",
            "checks = [{ not_null = true, severity = \"file\" }, { equals = \"file_township\", severity = \"file\" }]\n\n\
             [[columns]]\nname = \"file_township\"\nfile_field = { from = \"file_name\", pattern = \"月报_([^_]+)_\" }\n\
             type = \"township\"\ndescription = \"f\"\n\n[[columns]]\nname = \"month\"",
        );
    assert!(text.contains("file_township"), "the spec edit applied");
    let tmp = tempfile::tempdir().expect("tmp");
    // A 湖头镇 report saved under 西坪镇's name (a template copied and not edited).
    let name = "乡镇电商月报_西坪镇_201912.xlsx";
    write_report(
        &tmp.path().join(name),
        "湖头镇",
        &[["郭埔村", "3", "12.5", "是"]],
    );
    let (_, out) = run(tmp.path(), spec(&text), name, true).await;
    let error = out.record.error.expect("rejected");
    assert!(
        error.contains("不一致") && error.contains("350524112000"),
        "{error}"
    );
    // The same report under its own name is read.
    let name = "乡镇电商月报_湖头镇_201912.xlsx";
    write_report(
        &tmp.path().join(name),
        "湖头镇",
        &[["郭埔村", "3", "12.5", "是"]],
    );
    let (_, out) = run(tmp.path(), spec(&text), name, true).await;
    assert_eq!(out.record.error, None);
    assert_eq!(out.record.rows_staged, 1);
}

const QUARTER_SPEC: &str = r#"
kind = "records"
name = "q"
description = "quarterly"
department = "商务局"
table = "q"
files = ["*.csv"]
format = "csv"
replace_by = ["quarter"]

[[columns]]
name = "quarter"
file_field = { from = "file_name", pattern = "_([0-9]{4}Q[1-4])" }
type = "text"
required = true
description = "q"

[[columns]]
name = "month"
headers = ["月份"]
type = "month"
required = true
description = "m"
checks = [{ in_period = "quarter" }]
"#;

#[tokio::test]
async fn a_month_outside_the_files_period_is_quarantined_not_added_elsewhere() {
    let tmp = tempfile::tempdir().expect("tmp");
    let csv = "月份\n2019年4月\n2019-06\n201907\n2018-05\n";
    std::fs::write(tmp.path().join("r_2019Q2.csv"), csv).unwrap();
    let (_, out) = run(tmp.path(), spec(QUARTER_SPEC), "r_2019Q2.csv", true).await;
    let rules: Vec<(i64, &str)> = out
        .problems
        .iter()
        .map(|p| (p.row, p.rule.as_str()))
        .collect();
    assert_eq!(rules, [(4, "outside_period"), (5, "outside_period")]);
    assert_eq!(out.record.rows_staged, 2);
    assert!(out.record.staged_files["q"][0].contains("key=2019Q2/"));
}

/// A records file not hashed before it is ingested ([`InputFile::unhashed`]) is hashed
/// first: its rows carry the hash, as the record does.
#[tokio::test]
async fn a_records_file_not_hashed_before_is_hashed_first() {
    let tmp = tempfile::tempdir().expect("tmp");
    let json = r#"{"code":0,"data":{"records":[
        {"regionCode":"350524000000","statMonth":"2019-01","onlineRetailSales":12.5}
    ]}}"#;
    let path = tmp.path().join("p.json");
    std::fs::write(&path, json).unwrap();
    let lake = DataDir::open(&tmp.path().join("data")).expect("data dir");
    let input = InputFile::unhashed(&path, "p.json".into()).expect("stat");
    let out = crate::tests::ingest_input(&lake, spec(JSON_SPEC), &input).await;
    let sha256 = ecstat_lake::sha256_file(&path).expect("hash");
    assert_eq!(out.record.error, None);
    assert_eq!(out.record.sha256, sha256);
    let batches = read(&lake, &out.record.staged_files["prov"]);
    let hashes: Vec<Option<&str>> = batches
        .iter()
        .flat_map(|b| {
            b.column_by_name("file_sha256")
                .expect("records rows carry the hash")
                .as_string::<i32>()
                .iter()
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(hashes, vec![Some(sha256.as_str())]);
}
