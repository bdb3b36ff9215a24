//! Owns the 拼多多 layout: UTF-8 with BOM, LF, one row per order, amounts
//! suffixed with 元, and a header whose `订单状态 ` keeps its trailing space.

use std::io::Write;

use anyhow::Result;

use super::Yuan;
use crate::messy::{self, BadKind, ImpossibleIso};
use crate::orders::{IdScheme, Line, Outcome};
use crate::textout::CsvSink;
use crate::timeline::Iso;

pub const HEADER: &[&str] = &[
    "订单号",
    "店铺ID",
    "店铺名称",
    "商品",
    "商品数量",
    "商品总价(元)",
    "运费(元)",
    "用户实付金额(元)",
    "订单状态 ",
    "售后状态",
    "退款金额(元)",
    "订单成交时间",
];

pub fn write_row<W: Write>(
    sink: &mut CsvSink<W>,
    ids: &IdScheme,
    line: &Line<'_>,
    bad: Option<BadKind>,
) -> Result<()> {
    let paid = line.paid_cents();
    if bad == Some(BadKind::EmptyOrderId) {
        sink.field("");
    } else {
        sink.field_display(ids.pdd_order(line));
    }
    sink.field(&line.shop.id);
    sink.field(line.shop.name);
    sink.field(line.product.title);
    sink.field_display(line.qty);
    sink.field_display(Yuan(line.goods_cents()));
    sink.field_display(Yuan(line.postage_cents));
    match bad {
        Some(BadKind::UnparseableAmount) => sink.field(messy::unparseable_amount(line.style)),
        Some(BadKind::NegativeAmount) => sink.field_display(Yuan(-paid)),
        _ => sink.field_display(Yuan(paid)),
    }
    // A full refund closes the order (已取消) but keeps its 退款成功 record,
    // which is what separates it from an order cancelled before payment.
    let (status, after_sale, refund) = match line.outcome {
        Outcome::Completed => ("已签收", "无售后", 0),
        Outcome::PartialRefund => ("已签收", "退款成功", line.partial_refund_cents),
        Outcome::FullRefund => ("已取消", "退款成功", paid),
        Outcome::Cancelled => ("已取消", "无售后", 0),
        Outcome::Unpaid => ("待付款", "无售后", 0),
    };
    if bad == Some(BadKind::UnknownStatus) {
        sink.field(messy::UNKNOWN_STATUS);
    } else {
        sink.field(status);
    }
    sink.field(after_sale);
    sink.field_display(Yuan(refund));
    match bad {
        Some(BadKind::MissingField) => {}
        Some(BadKind::ImpossibleDate) => sink.field_display(ImpossibleIso(line.year())),
        _ => sink.field_display(Iso(line.created)),
    }
    sink.end_record()
}
