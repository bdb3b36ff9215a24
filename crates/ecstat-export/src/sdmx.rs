//! The indicator table as SDMX-CSV 2.0, for exchange with statistical systems (the
//! provincial 商务厅 platform, .Stat Suite and anything that reads SDMX).
//!
//! One line per observation, UTF-8 without BOM, CRLF line ends, RFC 4180 quoting:
//!
//! | column | content |
//! | --- | --- |
//! | `STRUCTURE` | `dataflow` |
//! | `STRUCTURE_ID` | `ECSTAT:ANXI_ECOMMERCE(1.0)` |
//! | `ACTION` | `I` (information: the full table, replacing nothing selectively) |
//! | `INDICATOR` | dimension: `indicator_code` |
//! | `MEASURE` | dimension: `measure` (`value`, `yoy_pct`, `vs_baseline_pct`, `programme_total`) |
//! | `FREQ` | dimension: `A` for a year, `M` for a month or a year-to-date month |
//! | `ACCUMULATION` | dimension: `PERIOD` (the year or month alone) or `YTD` (January to `TIME_PERIOD`, 1–M月累计) |
//! | `BREAKDOWN` | dimension: `dimension` (`county`, `township`, `platform`, …) |
//! | `BREAKDOWN_MEMBER` | dimension: `member` (region code, platform code, …) |
//! | `TIME_PERIOD` | time dimension: `2019`, `2019-03` |
//! | `OBS_VALUE` | the exact decimal (`5400000.0000`); empty when NULL or withheld |
//! | `UNIT_MEASURE` | attribute: the unit as published (`元`, `家`, `%`, …) |
//! | `BASE_PER` | attribute: base period of a growth rate or programme total |
//! | `OBS_STATUS` | attribute, SDMX CL_OBS_STATUS: `A` normal; `M` missing — no value, or status 数据不足 (too few months to stand for the period) |
//! | `CONF_STATUS` | attribute, SDMX CL_CONF_STATUS: `F` free; `C` primary confidential (`n<3`, `p%`); `D` secondary confidential |
//! | `TARGET` | attribute: the target (exact decimal), on the rows judged against one |
//! | `TARGET_OP` | attribute: `GE`, `LE`, `GT`, `LT`, `EQ` or `BT` (between `TARGET` and `TARGET_UPPER`) |
//! | `TARGET_UPPER` | attribute: upper bound of a `BT` target |
//! | `STATUS_ZH` | attribute: 达标, 未达标, 无目标 or 数据不足 |
//! | `COMMENT` | attribute: the row's note |
//!
//! Year-to-date months are a dimension, not an attribute: they share indicator, measure,
//! month and member with the plain month and must differ in the series key. A programme
//! total is told apart by `MEASURE` and runs from `BASE_PER` to `TIME_PERIOD`.
//!
//! Text cells go through [`crate::csv_safe::neutralize`] like every CSV this crate writes;
//! codes never start with a formula character, and numbers are never changed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use arrow::array::RecordBatch;

use crate::csv_safe::neutralize;
use crate::rows::{Row, rows};
use crate::{ExportError, Result, io};

/// The dataflow every observation belongs to: agency, id and version.
pub const STRUCTURE_ID: &str = "ECSTAT:ANXI_ECOMMERCE(1.0)";

/// The header line, column by column.
pub const HEADER: [&str; 20] = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "INDICATOR",
    "MEASURE",
    "FREQ",
    "ACCUMULATION",
    "BREAKDOWN",
    "BREAKDOWN_MEMBER",
    "TIME_PERIOD",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "BASE_PER",
    "OBS_STATUS",
    "CONF_STATUS",
    "TARGET",
    "TARGET_OP",
    "TARGET_UPPER",
    "STATUS_ZH",
    "COMMENT",
];

/// Write `batches` as SDMX-CSV 2.0 to `path`.
pub fn write_sdmx(batches: &[RecordBatch], path: &Path) -> Result<()> {
    let file = File::create(path).map_err(io(path))?;
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BufWriter::new(file));
    let csv_err = |e: csv::Error| ExportError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    csv.write_record(HEADER).map_err(csv_err)?;
    for (n, row) in rows(batches).enumerate() {
        let record = observation(&row).map_err(|message| ExportError::Write {
            path: path.to_path_buf(),
            message: format!("row {}: {message}", n + 1),
        })?;
        csv.write_record(&record).map_err(csv_err)?;
    }
    let mut out = csv.into_inner().map_err(|e| io(path)(e.into_error()))?;
    out.flush().map_err(io(path))
}

/// The SDMX fields of one row, in [`HEADER`] order.
fn observation(row: &Row) -> std::result::Result<Vec<String>, String> {
    let text = |column: &str| neutralize(row.key(column)).into_owned();
    let number = |column: &str| {
        row.decimal(column)
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let (freq, accumulation) = match row.key("period_type") {
        "year" => ("A", "PERIOD"),
        "month" => ("M", "PERIOD"),
        "ytd" => ("M", "YTD"),
        other => return Err(format!("period_type `{other}` is not year, month or ytd")),
    };
    let disclosure = row.disclosure();
    let value = if disclosure.is_some() {
        // Withheld is withheld, whatever the table holds.
        String::new()
    } else {
        number("value")
    };
    let status = row.key("status");
    let obs_status = if status == "数据不足" || (value.is_empty() && disclosure.is_none()) {
        "M"
    } else {
        "A"
    };
    let conf_status = match disclosure {
        None => "F",
        Some("secondary") => "D",
        Some(_) => "C",
    };
    let target_op = match row.text("comparison") {
        None => "",
        Some(">=") => "GE",
        Some("<=") => "LE",
        Some(">") => "GT",
        Some("<") => "LT",
        Some("=") => "EQ",
        Some("between") => "BT",
        Some(other) => {
            return Err(format!(
                "comparison `{other}` is not >=, <=, >, <, = or between"
            ));
        }
    };
    Ok(vec![
        "dataflow".into(),
        STRUCTURE_ID.into(),
        "I".into(),
        text("indicator_code"),
        text("measure"),
        freq.into(),
        accumulation.into(),
        text("dimension"),
        text("member"),
        text("period"),
        value,
        text("unit"),
        text("base_period"),
        obs_status.into(),
        conf_status.into(),
        number("target"),
        target_op.into(),
        number("target_upper"),
        neutralize(status).into_owned(),
        text("note"),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{self, Obs};

    fn lines(rows: &[Obs]) -> Vec<String> {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("x.sdmx.csv");
        write_sdmx(&[fixture::batch(rows, true)], &path).expect("write");
        let bytes = std::fs::read(&path).expect("read");
        assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.ends_with("\r\n"));
        text.split_terminator("\r\n").map(String::from).collect()
    }

    #[test]
    fn header_and_observations() {
        let rows = fixture::report_rows();
        let lines = lines(&rows);
        assert_eq!(
            lines[0],
            "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,MEASURE,FREQ,ACCUMULATION,BREAKDOWN,BREAKDOWN_MEMBER,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,BASE_PER,OBS_STATUS,CONF_STATUS,TARGET,TARGET_OP,TARGET_UPPER,STATUS_ZH,COMMENT"
        );
        assert_eq!(lines.len(), 1 + rows.len());
        // Growth judged against its target.
        assert_eq!(
            lines[1],
            "dataflow,ECSTAT:ANXI_ECOMMERCE(1.0),I,rural_online_retail,vs_baseline_pct,A,PERIOD,county,350524000000,2018,12.5000,%,2017,A,F,20.0000,GE,,未达标,"
        );
        // A negative growth is a plain number.
        assert!(lines[3].contains(",2018,-5.0000,%,2017,"), "{}", lines[3]);
        // A year with three months: its note, and no judgement to withhold.
        assert_eq!(
            lines[7],
            "dataflow,ECSTAT:ANXI_ECOMMERCE(1.0),I,rural_online_retail,value,A,PERIOD,county,350524000000,2020,1500000.0000,元,,A,F,,,,无目标,年度数据不完整（3个月）"
        );
        // A month.
        assert_eq!(
            lines[8],
            "dataflow,ECSTAT:ANXI_ECOMMERCE(1.0),I,rural_online_retail,value,M,PERIOD,county,350524000000,2019-01,400000.0000,元,,A,F,,,,无目标,"
        );
        // The withheld township: no value, confidential.
        let withheld = lines
            .iter()
            .find(|l| l.contains("350524102000"))
            .expect("row");
        assert_eq!(
            withheld,
            "dataflow,ECSTAT:ANXI_ECOMMERCE(1.0),I,rural_online_retail,value,A,PERIOD,township,350524102000,2019,,元,,A,C,,,,无目标,"
        );
    }

    #[test]
    fn year_to_date_secondary_suppression_and_quoting() {
        let ytd = Obs {
            period_type: "ytd",
            note: Some("含\"退款\",不含运费"),
            ..Obs::county("parcels_sent", "2019-03", 1_234_567)
        };
        let secondary = Obs {
            status: "数据不足",
            ..Obs::township("parcels_sent", "2019", "350524100000", "凤城镇", 1)
                .suppressed("secondary")
        };
        let missing = Obs {
            value: None,
            note: Some("-无基期数据"),
            ..Obs::county("parcels_sent", "2019", 0).judged("between", 10_000, 0, "数据不足")
        };
        let missing = Obs {
            target_upper: Some(20_000),
            ..missing
        };
        let lines = lines(&[ytd, secondary, missing]);
        assert_eq!(
            lines[1],
            "dataflow,ECSTAT:ANXI_ECOMMERCE(1.0),I,parcels_sent,value,M,YTD,county,350524000000,2019-03,123.4567,件,,A,F,,,,无目标,\"含\"\"退款\"\",不含运费\""
        );
        assert!(
            lines[2].ends_with(",2019,,件,,M,D,,,,数据不足,"),
            "{}",
            lines[2]
        );
        // No value and not withheld: missing. Text that would start a formula is quoted.
        assert!(
            lines[3].ends_with(",2019,,件,,M,F,1.0000,BT,2.0000,数据不足,'-无基期数据"),
            "{}",
            lines[3]
        );
    }

    #[test]
    fn an_unknown_period_type_names_the_row() {
        let odd = Obs {
            period_type: "quarter",
            ..Obs::county("parcels_sent", "2019", 1)
        };
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("x.sdmx.csv");
        let error = write_sdmx(&[fixture::batch(&[odd], true)], &path).expect_err("quarter");
        assert!(
            error.to_string().contains("row 1: period_type `quarter`"),
            "{error}"
        );
    }
}
