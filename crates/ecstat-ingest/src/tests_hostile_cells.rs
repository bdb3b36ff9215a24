//! Cells that look like values but are not: ids a spreadsheet turned into numbers, amounts
//! finer than a fen, NUL bytes, and a header the spec reads written twice. Each is caught
//! and said, never staged as if it were the platform's value.

use crate::tests::{SPEC, ingest, rules, spec, staged_sum};

const HEADER: &str = "订单号,店铺,状态,时间,金额,退款\n";

#[tokio::test]
async fn ids_a_spreadsheet_mangled_are_quarantined_as_lossy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{HEADER}\
         4712350812345678567,S1,交易成功,2019-05-01 10:00:00,10.00,\n\
         4.71235E+18,S1,交易成功,2019-05-01 10:00:00,20.00,\n\
         4712350812345678567.0,S1,交易成功,2019-05-01 10:00:00,40.00,\n\
         =\"4712350812345678999\",S1,交易成功,2019-05-01 10:00:00,80.00,\n\
         190101-4712350812,S1,交易成功,2019-05-01 10:00:00,160.00,\n\
         4712350812345678000,1.2E+5,交易成功,2019-05-01 10:00:00,320.00,\n"
    );
    let (lake, record) = ingest(tmp.path(), spec(SPEC), "o.csv", text.as_bytes()).await;
    assert_eq!(record.error, None);
    assert_eq!(
        rules(&lake, &record),
        vec![
            (3, "lossy_id".to_string()),
            (4, "lossy_id".to_string()),
            (7, "lossy_id".to_string()),
        ]
    );
    // An id forced to text (="…") and a dated id are the platform's own.
    assert_eq!(staged_sum(&lake, &record), (3, 1_000 + 8_000 + 16_000));
}

#[tokio::test]
async fn an_xlsx_id_held_as_a_float_beyond_2_pow_53_is_lossy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("src.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (j, h) in ["订单号", "店铺", "状态", "时间", "金额"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, j as u16, *h).expect("cell");
    }
    // A 19-digit order id typed into Excel as a number, and a 12-digit one (exact).
    ws.write_number(1, 0, 4_712_350_812_345_678_567.0)
        .expect("cell");
    ws.write_number(2, 0, 100_000_000_001.0).expect("cell");
    for row in 1..=2 {
        ws.write_string(row, 1, "S1").expect("cell");
        ws.write_string(row, 2, "交易成功").expect("cell");
        ws.write_string(row, 3, "2019-05-01 10:00:00")
            .expect("cell");
        ws.write_number(row, 4, 12.5).expect("cell");
    }
    wb.save(&path).expect("save");
    let bytes = std::fs::read(&path).expect("read");
    let text = SPEC
        .replace("files = [\"*.csv\"]", "files = [\"*.xlsx\"]")
        .replace("format = \"csv\"", "format = \"xlsx\"");
    let (lake, record) = ingest(tmp.path(), spec(&text), "o.xlsx", &bytes).await;
    assert_eq!(record.error, None);
    assert_eq!(rules(&lake, &record), vec![(2, "lossy_id".to_string())]);
    assert_eq!(staged_sum(&lake, &record), (1, 1_250));
}

#[tokio::test]
async fn amounts_finer_than_a_fen_are_quarantined_unless_the_spec_rounds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{HEADER}\
         A,S1,交易成功,2019-05-01 10:00:00,12.345,\n\
         B,S1,交易成功,2019-05-01 10:00:00,12.3400,\n\
         C,S1,交易成功,2019-05-01 10:00:00,10.00,0.005\n\
         D,S1,交易成功,2019-05-01 10:00:00,1.5,\n"
    );
    let (lake, record) = ingest(tmp.path(), spec(SPEC), "o.csv", text.as_bytes()).await;
    assert_eq!(record.error, None);
    assert_eq!(
        rules(&lake, &record),
        vec![
            (2, "amount_finer_than_fen".to_string()),
            (4, "amount_finer_than_fen".to_string()),
        ]
    );
    assert_eq!(staged_sum(&lake, &record), (2, 1_234 + 150));

    // Said in the spec: rounded half away from zero, every row staged.
    let rounding = SPEC.replace(
        "goods_amount = \"column\"",
        "goods_amount = \"column\"\namount_rounding = \"half_up\"",
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let (lake, record) = ingest(tmp.path(), spec(&rounding), "o.csv", text.as_bytes()).await;
    assert_eq!(rules(&lake, &record), vec![]);
    // 12.345 → 12.35; the refund 0.005 → 0.01 is staged beside C's goods.
    assert_eq!(staged_sum(&lake, &record), (4, 1_235 + 1_234 + 1_000 + 150));
}

#[tokio::test]
async fn a_nul_byte_in_a_cell_quarantines_its_row() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{HEADER}\
         A,S1,交易成功,2019-05-01 10:00:00,10.00,\n\
         B,S1\0,交易成功,2019-05-01 10:00:00,20.00,\n\
         C,S1,交易成功,2019-05-01 10:00:00,40.00,\n"
    );
    let (lake, record) = ingest(tmp.path(), spec(SPEC), "o.csv", text.as_bytes()).await;
    assert_eq!(record.error, None);
    assert_eq!(rules(&lake, &record), vec![(3, "nul_in_cell".to_string())]);
    assert_eq!(staged_sum(&lake, &record), (2, 5_000));
    assert_eq!(
        record.rows_read,
        record.rows_staged + record.rows_quarantined
    );
}

#[tokio::test]
async fn a_header_the_spec_reads_written_twice_rejects_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let text = "订单号,店铺,状态,时间,金额,退款,金额\n\
                A,S1,交易成功,2019-05-01 10:00:00,10.00,,99.00\n";
    let (_, record) = ingest(tmp.path(), spec(SPEC), "o.csv", text.as_bytes()).await;
    let error = record.error.expect("rejected");
    assert!(error.contains("表头重复"), "{error}");
    assert!(error.contains("「金额」"), "{error}");
    assert_eq!(record.rows_staged, 0);

    // A column the spec does not read may repeat: nothing is ambiguous.
    let text = "订单号,店铺,状态,时间,金额,退款,备注,备注\n\
                A,S1,交易成功,2019-05-01 10:00:00,10.00,,x,y\n";
    let tmp = tempfile::tempdir().expect("tempdir");
    let (lake, record) = ingest(tmp.path(), spec(SPEC), "o.csv", text.as_bytes()).await;
    assert_eq!(record.error, None);
    assert_eq!(staged_sum(&lake, &record), (1, 1_000));
}
