//! Owns the 淘宝/天猫 layout: GBK, CRLF, one row per sub-order, order numbers
//! as Excel text (`="…"`), postage folded into 买家实付金额.

use std::io::Write;

use anyhow::Result;

use super::{AddressStyle, ShipFrom};
use crate::messy::{self, BadKind, ImpossibleIso};
use crate::orders::{IdScheme, Line, Outcome};
use crate::textout::{CsvSink, Money};
use crate::timeline::Iso;

pub const HEADER: &[&str] = &[
    "订单编号",
    "子订单编号",
    "店铺ID",
    "店铺名称",
    "宝贝标题",
    "类目",
    "购买数量",
    "商品单价",
    "买家实付金额",
    "邮费",
    "退款金额",
    "订单状态",
    "订单创建时间",
    "订单付款时间",
    "发货地",
];

/// Excel-text cell content `="2019…"`; the sink quotes it as CSV requires.
struct ExcelText(u64);

impl std::fmt::Display for ExcelText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"=\"\"{}\"\"\"", self.0)
    }
}

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
        sink.field_display(ExcelText(ids.taobao_order(line)));
    }
    sink.field_display(ExcelText(ids.taobao_sub(line)));
    sink.field(&line.shop.id);
    sink.field(line.shop.name);
    sink.field(line.product.title);
    sink.field(line.product.category);
    sink.field_display(line.qty);
    sink.field_display(Money(line.unit_cents));
    match bad {
        Some(BadKind::UnparseableAmount) => sink.field(messy::unparseable_amount(line.style)),
        Some(BadKind::NegativeAmount) => sink.field_display(Money(-paid)),
        _ => sink.field_display(Money(paid)),
    }
    sink.field_display(Money(line.postage_cents));
    let (refund, status) = match line.outcome {
        Outcome::Completed => (0, "交易成功"),
        Outcome::PartialRefund => (line.partial_refund_cents, "交易成功"),
        Outcome::FullRefund => (paid, "交易关闭"),
        Outcome::Cancelled => (0, "交易关闭"),
        Outcome::Unpaid => (0, "等待买家付款"),
    };
    sink.field_display(Money(refund));
    if bad == Some(BadKind::UnknownStatus) {
        sink.field(messy::UNKNOWN_STATUS);
    } else {
        sink.field(status);
    }
    if bad == Some(BadKind::ImpossibleDate) {
        sink.field_display(ImpossibleIso(line.year()));
    } else {
        sink.field_display(Iso(line.created));
    }
    match line.paid {
        Some(t) => sink.field_display(Iso(t)),
        None => sink.field(""),
    }
    if bad != Some(BadKind::MissingField) {
        sink.field_display(ShipFrom {
            shop: line.shop,
            blank: line.ship_blank,
            style: AddressStyle::Compact,
        });
    }
    sink.end_record()
}
