//! Owns the 京东 layout: an xlsx workbook with a title row, a blank row, the
//! header on row 3, one row per order with unit price and quantity but no
//! amount column, mixed real/text datetimes, and a trailing 合计 row plus a
//! 制表 footer that readers must skip.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDateTime, Timelike};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use super::{AddressStyle, ShipFrom};
use crate::messy::{self, BadCounts, BadKind, ImpossibleIso};
use crate::orders::{IdScheme, Line, Outcome};
use crate::timeline::SlashShort;

pub const SHEET_NAME: &str = "订单列表";

pub const HEADER: &[&str] = &[
    "订单号",
    "店铺编号",
    "店铺名称",
    "商品名称",
    "商品分类",
    "商品单价",
    "订购数量",
    "运费",
    "订单状态",
    "下单时间",
    "退款金额",
    "发货地址",
];

const COL_PRICE: u16 = 5;
const COL_QTY: u16 = 6;
const COL_POSTAGE: u16 = 7;
const COL_REFUND: u16 = 10;
/// 0-based index of the header row (Excel row 3).
pub const HEADER_ROW: u32 = 2;

pub fn file_name(year: i32) -> String {
    format!("京东订单_{year}.xlsx")
}

fn excel_datetime(t: NaiveDateTime) -> Result<ExcelDateTime> {
    Ok(
        ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?.and_hms(
            t.hour() as u16,
            t.minute() as u8,
            t.second(),
        )?,
    )
}

struct Formats {
    money: Format,
    datetime: Format,
}

/// Running column sums for the 合计 row, in cents, over cells that really
/// hold numbers (as Excel's SUM would see them).
#[derive(Default)]
struct Totals {
    price: i64,
    qty: i64,
    postage: i64,
    refund: i64,
}

fn write_row(
    ws: &mut Worksheet,
    row: u32,
    f: &Formats,
    ids: &IdScheme,
    line: &Line<'_>,
    bad: Option<BadKind>,
    totals: &mut Totals,
) -> Result<()> {
    let goods = line.goods_cents();
    if bad != Some(BadKind::EmptyOrderId) {
        // Text, not a number: 12-digit ids must not turn into 2.1E+11.
        ws.write_string(row, 0, ids.jd_order(line).to_string())?;
    }
    ws.write_string(row, 1, &line.shop.id)?;
    ws.write_string(row, 2, line.shop.name)?;
    ws.write_string(row, 3, line.product.title)?;
    ws.write_string(row, 4, line.product.category)?;
    match bad {
        Some(BadKind::UnparseableAmount) => {
            ws.write_string(row, COL_PRICE, messy::JD_UNPARSEABLE)?;
        }
        Some(BadKind::NegativeAmount) => {
            ws.write_number_with_format(row, COL_PRICE, -line.unit_cents as f64 / 100.0, &f.money)?;
            totals.price -= line.unit_cents;
        }
        _ => {
            ws.write_number_with_format(row, COL_PRICE, line.unit_cents as f64 / 100.0, &f.money)?;
            totals.price += line.unit_cents;
        }
    }
    ws.write_number(row, COL_QTY, line.qty)?;
    totals.qty += i64::from(line.qty);
    ws.write_number_with_format(
        row,
        COL_POSTAGE,
        line.postage_cents as f64 / 100.0,
        &f.money,
    )?;
    totals.postage += line.postage_cents;
    let (status, refund) = match line.outcome {
        Outcome::Completed => ("完成", 0),
        Outcome::PartialRefund => ("完成", line.partial_refund_cents),
        Outcome::FullRefund => ("退款成功", goods),
        Outcome::Cancelled => ("已取消", 0),
        Outcome::Unpaid => ("等待付款", 0),
    };
    let status = if bad == Some(BadKind::UnknownStatus) {
        messy::UNKNOWN_STATUS
    } else {
        status
    };
    ws.write_string(row, 8, status)?;
    if bad == Some(BadKind::ImpossibleDate) {
        ws.write_string(row, 9, ImpossibleIso(line.year()).to_string())?;
    } else if (line.style >> 3).is_multiple_of(8) {
        // Rows keyed in by hand arrive as text rather than datetime cells.
        ws.write_string(row, 9, SlashShort(line.created).to_string())?;
    } else {
        ws.write_datetime_with_format(row, 9, excel_datetime(line.created)?, &f.datetime)?;
    }
    ws.write_number_with_format(row, COL_REFUND, refund as f64 / 100.0, &f.money)?;
    totals.refund += refund;
    let ship = ShipFrom {
        shop: line.shop,
        blank: line.ship_blank,
        style: AddressStyle::Street,
    }
    .to_string();
    if !ship.is_empty() {
        ws.write_string(row, 11, ship)?;
    }
    Ok(())
}

/// Writes one year's workbook; returns (data rows incl. duplicates, bad rows).
pub fn write_year(
    path: &Path,
    year: i32,
    ids: &IdScheme,
    lines: &[Line<'_>],
    marks: &[Option<BadKind>],
) -> Result<(u64, BadCounts)> {
    let mut wb = Workbook::new();
    // A fixed creation time keeps the file byte-identical for a given seed.
    let created = ExcelDateTime::from_ymd((year + 1) as u16, 1, 5)?.and_hms(9, 30, 0)?;
    wb.set_properties(
        &DocProperties::new()
            .set_author("京东POP店铺数据组")
            .set_creation_datetime(&created),
    );
    let formats = Formats {
        money: Format::new().set_num_format("0.00"),
        datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
    };
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let bold = Format::new().set_bold();

    let ws = wb.add_worksheet();
    ws.set_name(SHEET_NAME)?;
    let last_col = (HEADER.len() - 1) as u16;
    ws.merge_range(
        0,
        0,
        0,
        last_col,
        &format!("京东商家后台订单导出（{year}年）"),
        &title,
    )?;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, c as u16, *h, &bold)?;
    }
    for (c, w) in [
        14.0, 10.0, 22.0, 30.0, 10.0, 10.0, 9.0, 8.0, 10.0, 20.0, 10.0, 34.0,
    ]
    .into_iter()
    .enumerate()
    {
        ws.set_column_width(c as u16, w)?;
    }

    let mut totals = Totals::default();
    let mut counts = BadCounts::default();
    let mut row = HEADER_ROW + 1;
    for (line, bad) in lines.iter().zip(marks) {
        let copies = if *bad == Some(BadKind::DuplicateLine) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            write_row(ws, row, &formats, ids, line, *bad, &mut totals)?;
            row += 1;
        }
        if let Some(k) = bad {
            counts.add(*k);
        }
    }
    let data_rows = u64::from(row - HEADER_ROW - 1);

    ws.write_string_with_format(row, 0, "合计", &bold)?;
    ws.write_number_with_format(row, COL_PRICE, totals.price as f64 / 100.0, &formats.money)?;
    ws.write_number(row, COL_QTY, totals.qty as f64)?;
    ws.write_number_with_format(
        row,
        COL_POSTAGE,
        totals.postage as f64 / 100.0,
        &formats.money,
    )?;
    ws.write_number_with_format(
        row,
        COL_REFUND,
        totals.refund as f64 / 100.0,
        &formats.money,
    )?;
    ws.write_string(row + 1, 0, "制表：京东POP店铺数据组")?;

    wb.save(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok((data_rows, counts))
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx, open_workbook};

    use super::*;
    use crate::messy;
    use crate::orders::Draws;
    use crate::rng::SplitMix64;
    use crate::sample::generate_lines;
    use crate::shops::{Platform, all_shops};

    #[test]
    fn workbook_reads_back_as_documented() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(file_name(2019));
        let shops = all_shops();
        let mut d = Draws::new(SplitMix64::new(11));
        let lines = generate_lines(&mut d, &shops, Platform::Jd, 2, 300);
        let ids = IdScheme::new(&mut d.rng);
        let marks = messy::plan_sample(&mut d.rng, lines.len(), Platform::Jd);
        let (rows, bad) = write_year(&path, 2019, &ids, &lines, &marks)?;
        assert_eq!(rows, lines.len() as u64 + 1, "one duplicate row");
        assert_eq!(bad.total(), 6);

        let mut wb: Xlsx<_> = open_workbook(&path)?;
        assert_eq!(wb.sheet_names(), vec![SHEET_NAME.to_string()]);
        let range = wb.worksheet_range(SHEET_NAME)?;
        let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        assert_eq!(
            cell(0, 0),
            Data::String("京东商家后台订单导出（2019年）".into())
        );
        assert!((0..12).all(|c| cell(1, c) == Data::Empty));
        for (c, h) in HEADER.iter().enumerate() {
            assert_eq!(cell(HEADER_ROW, c as u32), Data::String((*h).into()));
        }
        let first = HEADER_ROW + 1;
        let last = first + rows as u32 - 1;
        let (mut text_ids, mut empty_ids, mut dt_cells, mut text_dates) = (0, 0, 0, 0);
        for r in first..=last {
            match cell(r, 0) {
                Data::String(s) if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) => {
                    text_ids += 1
                }
                Data::Empty => empty_ids += 1,
                other => panic!("row {r}: unexpected 订单号 {other:?}"),
            }
            match cell(r, 9) {
                Data::DateTime(_) => dt_cells += 1,
                Data::String(_) => text_dates += 1,
                other => panic!("row {r}: unexpected 下单时间 {other:?}"),
            }
        }
        assert_eq!(empty_ids, 1);
        assert_eq!(text_ids, rows - 1);
        assert!(dt_cells > text_dates && text_dates > 1);
        assert_eq!(cell(last + 1, 0), Data::String("合计".into()));
        assert!(matches!(cell(last + 1, u32::from(COL_QTY)), Data::Float(_)));
        assert_eq!(
            cell(last + 2, 0),
            Data::String("制表：京东POP店铺数据组".into())
        );
        Ok(())
    }
}
