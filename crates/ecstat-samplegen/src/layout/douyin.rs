//! Owns the 抖音小店 layout: UTF-8 without BOM, LF, one row per sub-order,
//! plain 19-digit ids, postage in its own column, Chinese-style timestamps.

use std::io::Write;

use anyhow::Result;

use super::{AddressStyle, ShipFrom};
use crate::messy::{self, BadKind, ImpossibleCn};
use crate::orders::{IdScheme, Line, Outcome};
use crate::textout::{CsvSink, Money};
use crate::timeline::{CnLong, SlashPadded};

pub const HEADER: &[&str] = &[
    "主订单编号",
    "子订单编号",
    "店铺ID",
    "店铺名称",
    "选购商品",
    "商品分类",
    "商品数量",
    "商品金额",
    "运费",
    "订单状态",
    "售后状态",
    "退款金额",
    "订单提交时间",
    "发货地",
];

/// Douyin shops opened in May 2018.
pub const FIRST_YEAR: i32 = 2018;
pub const FIRST_MONTH: u32 = 5;

pub fn write_row<W: Write>(
    sink: &mut CsvSink<W>,
    ids: &IdScheme,
    line: &Line<'_>,
    bad: Option<BadKind>,
) -> Result<()> {
    let goods = line.goods_cents();
    if bad == Some(BadKind::EmptyOrderId) {
        sink.field("");
    } else {
        sink.field_display(ids.douyin_main(line));
    }
    sink.field_display(ids.douyin_sub(line));
    sink.field(&line.shop.id);
    sink.field(line.shop.name);
    sink.field(line.product.title);
    sink.field(line.product.category);
    sink.field_display(line.qty);
    match bad {
        Some(BadKind::UnparseableAmount) => sink.field(messy::unparseable_amount(line.style)),
        Some(BadKind::NegativeAmount) => sink.field_display(Money(-goods)),
        _ => sink.field_display(Money(goods)),
    }
    sink.field_display(Money(line.postage_cents));
    let (status, after_sale, refund) = match line.outcome {
        Outcome::Completed => ("已完成", "", 0),
        Outcome::PartialRefund => ("已完成", "部分退款", line.partial_refund_cents),
        Outcome::FullRefund => ("已关闭", "退款成功", goods + line.postage_cents),
        Outcome::Cancelled => ("已关闭", "", 0),
        Outcome::Unpaid => ("待支付", "", 0),
    };
    if bad == Some(BadKind::UnknownStatus) {
        sink.field(messy::UNKNOWN_STATUS);
    } else {
        sink.field(status);
    }
    sink.field(after_sale);
    sink.field_display(Money(refund));
    if bad == Some(BadKind::ImpossibleDate) {
        sink.field_display(ImpossibleCn(line.year()));
    } else if line.style.is_multiple_of(8) {
        // About one row in eight comes from the older export template.
        sink.field_display(SlashPadded(line.created));
    } else {
        sink.field_display(CnLong(line.created));
    }
    if bad != Some(BadKind::MissingField) {
        sink.field_display(ShipFrom {
            shop: line.shop,
            blank: line.ship_blank,
            style: AddressStyle::Spaced,
        });
    }
    sink.end_record()
}
