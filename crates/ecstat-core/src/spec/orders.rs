//! Platform order exports (staged table `orders`): the columns are fixed by ecstat, the
//! spec maps each export's headers onto them and says how statuses and the goods amount
//! are read.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::amount::{AmountUnit, Rounding};
use crate::encoding::EncodingSpec;
use crate::spec::records::FileField;
use crate::{CoreError, Result};

use super::Formats;

/// How a canonical column (or an `[inputs]` column, as its `type`) is parsed and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Text,
    /// Money, parsed into `Decimal128(18,2)` yuan in the spec's unit.
    Amount,
    Integer,
    #[serde(rename = "datetime")]
    DateTime,
}

/// One column of a staged table, as sources may supply it.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalColumn {
    pub name: &'static str,
    pub kind: ColumnKind,
    /// A file without it is rejected whole; a row with it empty is quarantined.
    pub required: bool,
    pub description: &'static str,
}

const fn col(
    name: &'static str,
    kind: ColumnKind,
    required: bool,
    description: &'static str,
) -> CanonicalColumn {
    CanonicalColumn {
        name,
        kind,
        required,
        description,
    }
}

/// The columns platform order exports map onto (staged table `orders`). The goods amount
/// is required too, but may be derived, so its check lives in [`GoodsAmountRule`].
pub const ORDER_COLUMNS: &[CanonicalColumn] = &[
    col("order_id", ColumnKind::Text, true, "order id (main order)"),
    col(
        "sub_order_id",
        ColumnKind::Text,
        false,
        "sub-order / line id, where the export has one",
    ),
    col("shop_id", ColumnKind::Text, true, "platform shop id"),
    col(
        "shop_name",
        ColumnKind::Text,
        false,
        "shop name as exported",
    ),
    col("item_title", ColumnKind::Text, false, "item title"),
    col(
        "platform_category",
        ColumnKind::Text,
        false,
        "platform's own category",
    ),
    col("quantity", ColumnKind::Integer, false, "items in the line"),
    col("unit_price", ColumnKind::Amount, false, "unit price, yuan"),
    col(
        "goods_amount",
        ColumnKind::Amount,
        false,
        "buyer-paid goods amount, postage excluded, yuan",
    ),
    col(
        "paid_amount",
        ColumnKind::Amount,
        false,
        "buyer-paid total including postage, yuan",
    ),
    col("postage", ColumnKind::Amount, false, "postage, yuan"),
    col(
        "refund_amount",
        ColumnKind::Amount,
        false,
        "refunded amount, yuan",
    ),
    col("status", ColumnKind::Text, true, "order status as exported"),
    col(
        "after_sale_status",
        ColumnKind::Text,
        false,
        "after-sale status as exported",
    ),
    col(
        "order_time",
        ColumnKind::DateTime,
        true,
        "order creation time (Asia/Shanghai)",
    ),
    col(
        "pay_time",
        ColumnKind::DateTime,
        false,
        "payment time (Asia/Shanghai)",
    ),
    col("ship_from", ColumnKind::Text, false, "ship-from address"),
];

/// Amount columns that may be order-level: an order's amount is allocated to its lines.
pub const ALLOCATED_AMOUNTS: &[&str] = &["goods_amount", "refund_amount", "postage"];

/// Canonical order statuses. Only `completed` and `refunded` carry sales. `in_progress`
/// (paid, not yet final: 待发货, 已发货待签收 …) counts zero until a later export of the
/// same order shows its final status, which then replaces it in `stg_orders`.
pub const ORDER_STATUSES: &[&str] = &[
    "completed",
    "refunded",
    "in_progress",
    "cancelled",
    "closed",
    "unpaid",
];

/// The canonical statuses of lines that were paid for, and so may carry sales now or once
/// final: checks on derived amounts apply to them only (an unpaid order's 0.00 paid minus
/// its postage is not a negative sale).
pub const PAID_STATUSES: &[&str] = &["completed", "refunded", "in_progress"];

/// Canonical after-sale outcomes (`[after_sale]`): what an after-sale status says of a
/// line's sales, whatever its order status.
pub const AFTER_SALE_OUTCOMES: &[&str] = &["refunded"];

/// Where the goods amount of an order line comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoodsAmountRule {
    /// A `goods_amount` column.
    Column,
    /// `unit_price × quantity`.
    UnitPriceTimesQuantity,
    /// `paid_amount − postage` (exports whose paid amount includes postage).
    PaidMinusPostage,
}

impl GoodsAmountRule {
    /// The columns the goods amount is computed from: a file must have them, a row must
    /// fill them (an empty postage cell is not taken as zero postage).
    pub fn inputs(self) -> &'static [&'static str] {
        match self {
            GoodsAmountRule::Column => &["goods_amount"],
            GoodsAmountRule::UnitPriceTimesQuantity => &["unit_price", "quantity"],
            GoodsAmountRule::PaidMinusPostage => &["paid_amount", "postage"],
        }
    }
}

/// Which staged table a source feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StagedTable {
    Orders,
}

impl StagedTable {
    pub fn name(self) -> &'static str {
        match self {
            StagedTable::Orders => "orders",
        }
    }

    pub fn columns(self) -> &'static [CanonicalColumn] {
        match self {
            StagedTable::Orders => ORDER_COLUMNS,
        }
    }
}

/// A source spec file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSpec {
    /// Short id, also the spec's file stem; recorded on every staged row.
    pub name: String,
    pub description: String,
    /// Staged table the source feeds.
    pub table: StagedTable,
    /// Platform code written on every row (taobao, jd, pinduoduo, douyin, …).
    pub platform: String,
    /// File-name patterns relative to the inbox; `*` and `?` match within one name.
    pub files: Vec<String>,
    pub format: Formats,
    #[serde(default)]
    pub encoding: EncodingSpec,
    /// Sheet to read (xlsx); the first sheet when absent.
    pub sheet: Option<String>,
    /// 1-based row number of the header; rows above it are titles.
    #[serde(default = "default_header_row")]
    pub header_row: usize,
    /// A row whose first non-empty cell starts with one of these ends the data (合计, 制表…).
    #[serde(default)]
    pub footer_markers: Vec<String>,
    #[serde(default = "default_unit")]
    pub amount_unit: AmountUnit,
    /// What an amount finer than one fen does: quarantine the row (`exact`, the default)
    /// or round it (`half_up`).
    #[serde(default)]
    pub amount_rounding: Rounding,
    /// chrono formats tried in order; the defaults of `datetime::DEFAULT_FORMATS` when empty.
    #[serde(default)]
    pub datetime_formats: Vec<String>,
    pub goods_amount: GoodsAmountRule,
    /// Canonical column → header names that mean it (matched after trimming).
    pub columns: BTreeMap<String, Vec<String>>,
    /// Canonical status → raw status values.
    pub status: BTreeMap<String, Vec<String>>,
    /// Cell texts that mean "empty" in this export (抖店 writes `-`), on top of blank.
    #[serde(default)]
    pub empty_values: Vec<String>,
    /// Canonical after-sale outcome → raw after-sale status values (`refunded`: the line
    /// was refunded in full, so it counts zero whatever its order status says).
    #[serde(default)]
    pub after_sale: BTreeMap<String, Vec<String>>,
    /// Columns whose value is the order's, written on each of its lines (or on some of
    /// them): taken once per order, the first non-empty value among its lines in the file.
    /// Amounts among them (`goods_amount`, `refund_amount`, `postage`) are allocated to
    /// the order's lines, pro rata to unit price × quantity, in whole fen.
    #[serde(default)]
    pub order_level: Vec<String>,
    /// Values the table body does not hold, taken from the submission: the file name, the
    /// folder it sits in, or the title rows (a shop's export has no shop column).
    #[serde(default)]
    pub file_fields: BTreeMap<String, FileField>,
    /// Columns of the file that are not staged but that `[derive]` expressions read:
    /// name → header names and type.
    #[serde(default)]
    pub inputs: BTreeMap<String, InputColumn>,
    /// Canonical column → SQL expression over the parsed columns and `[inputs]`, which
    /// replaces the column's value (`coalesce(order_time, …)` fills it where empty).
    /// Checked at load: columns, literals, operators, CASE, CAST and an allowed list of
    /// functions only — nothing that reads a file or another table.
    #[serde(default)]
    pub derive: BTreeMap<String, String>,
}

/// A column read only to compute others (`[inputs]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputColumn {
    pub headers: Vec<String>,
    #[serde(rename = "type")]
    pub kind: ColumnKind,
}

fn default_header_row() -> usize {
    1
}

fn default_unit() -> AmountUnit {
    AmountUnit::Yuan
}

impl OrderSpec {
    /// Read and check one spec file.
    pub fn load(path: &Path) -> Result<Self> {
        let spec: OrderSpec = crate::config::load_toml(path)?;
        spec.validate().map_err(|message| CoreError::Config {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(spec)
    }

    fn validate(&self) -> Result<(), String> {
        let known = self.table.columns();
        for key in self.columns.keys() {
            if !known.iter().any(|c| c.name == key) {
                let names: Vec<_> = known.iter().map(|c| c.name).collect();
                return Err(format!(
                    "unknown column `{key}` in [columns]; {} columns are: {}",
                    self.table.name(),
                    names.join(", ")
                ));
            }
        }
        let is_canonical = |key: &str| known.iter().any(|c| c.name == key);
        for key in self.file_fields.keys() {
            if !is_canonical(key) {
                return Err(format!("unknown column `{key}` in [file_fields]"));
            }
            if self.columns.contains_key(key) {
                return Err(format!(
                    "`{key}` is both in [columns] and in [file_fields]; keep one"
                ));
            }
        }
        for (key, field) in &self.file_fields {
            if regex::Regex::new(&field.pattern).is_err() {
                return Err(format!(
                    "[file_fields] {key}: pattern is not a regular expression"
                ));
            }
        }
        for key in self.inputs.keys() {
            if is_canonical(key) {
                return Err(format!(
                    "[inputs] {key} is a staged column: map it in [columns] instead"
                ));
            }
        }
        for (key, expression) in &self.derive {
            if !is_canonical(key) {
                return Err(format!("unknown column `{key}` in [derive]"));
            }
            let readable: Vec<&str> = known
                .iter()
                .map(|c| c.name)
                .chain(self.inputs.keys().map(String::as_str))
                .collect();
            super::expression::check(expression, &readable)
                .map_err(|e| format!("[derive] {key}: {e}"))?;
        }
        for key in &self.order_level {
            if !is_canonical(key) && !self.inputs.contains_key(key) {
                return Err(format!("unknown column `{key}` in order_level"));
            }
        }
        // Order-level amounts are split over an order's lines, found by the order id.
        for input in self.goods_amount.inputs() {
            if self.order_level.iter().any(|c| c == input)
                && !self.order_level.iter().any(|c| c == "goods_amount")
            {
                return Err(format!(
                    "`{input}` is order-level, so the goods amount computed from it is the order's: list `goods_amount` in order_level too"
                ));
            }
        }
        // Shop columns may come from the submission, or else be one unknown shop per file.
        let needed = known
            .iter()
            .filter(|c| c.required && c.name != "shop_id")
            .map(|c| c.name)
            .chain(self.goods_amount.inputs().iter().copied());
        for name in needed {
            if !self.supplies(name) {
                return Err(format!(
                    "[columns] must map `{name}` (or [derive] / [file_fields] supply it)"
                ));
            }
        }
        for key in self.after_sale.keys() {
            if !AFTER_SALE_OUTCOMES.contains(&key.as_str()) {
                return Err(format!(
                    "unknown outcome `{key}` in [after_sale]; use one of {}",
                    AFTER_SALE_OUTCOMES.join(", ")
                ));
            }
        }
        if !self.after_sale.is_empty() && !self.supplies("after_sale_status") {
            return Err("[after_sale] needs `after_sale_status` in [columns]".into());
        }
        for key in self.status.keys() {
            if !ORDER_STATUSES.contains(&key.as_str()) {
                return Err(format!(
                    "unknown status `{key}` in [status]; use one of {}",
                    ORDER_STATUSES.join(", ")
                ));
            }
        }
        if self.header_row == 0 {
            return Err("header_row is 1-based and must be at least 1".into());
        }
        if self.files.is_empty() {
            return Err("files must list at least one pattern".into());
        }
        Ok(())
    }

    /// Identifies how this spec (and this version of ecstat) reads files: a file ingested
    /// under another fingerprint is read again, so a changed status map or synonym reaches
    /// every file, old ones included.
    pub fn fingerprint(&self) -> String {
        super::fingerprint_of(&format!("{self:?}"))
    }

    /// Whether the spec gives `column` a value: mapped, derived or from the submission.
    pub fn supplies(&self, column: &str) -> bool {
        self.columns.contains_key(column)
            || self.derive.contains_key(column)
            || self.file_fields.contains_key(column)
    }

    /// Columns every row must fill: the table's required columns and the inputs of the
    /// goods amount. A file must have those the spec maps from its header (a derived one
    /// may come from elsewhere). The shop is required only where the spec maps a shop
    /// column; taken from the submission, or not found there, it is the file's unknown shop.
    pub fn required_columns(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self
            .table
            .columns()
            .iter()
            .filter(|c| c.required && (c.name != "shop_id" || self.columns.contains_key("shop_id")))
            .map(|c| c.name)
            .collect();
        for input in self.goods_amount.inputs() {
            if !out.contains(input) {
                out.push(input);
            }
        }
        out
    }

    /// Required columns the file's header must have: those mapped in [columns] and not
    /// derived (a derived value may fall back on other columns).
    pub fn required_headers(&self) -> Vec<&'static str> {
        self.required_columns()
            .into_iter()
            .filter(|c| self.columns.contains_key(*c) && !self.derive.contains_key(*c))
            .collect()
    }

    /// Whether an order's lines must be read together: some column is order-level.
    pub fn has_order_level(&self) -> bool {
        !self.order_level.is_empty()
    }

    /// Whether `column` is order-level.
    pub fn is_order_level(&self, column: &str) -> bool {
        self.order_level.iter().any(|c| c == column)
    }

    /// The datetime formats to try.
    pub fn datetime_formats(&self) -> Vec<String> {
        if self.datetime_formats.is_empty() {
            crate::datetime::DEFAULT_FORMATS
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            self.datetime_formats.clone()
        }
    }

    /// Whether `relative` (a path under the inbox, `/`-separated) is one of this source's files.
    pub fn matches(&self, relative: &str) -> bool {
        self.files
            .iter()
            .any(|p| super::wildcard_match(p, relative))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::AmountUnit;

    const MINIMAL: &str = r#"
        name = "t"
        description = "d"
        table = "orders"
        platform = "taobao"
        files = ["*.csv"]
        format = "csv"
        goods_amount = "column"
        [columns]
        order_id = ["订单号"]
        shop_id = ["店铺"]
        status = ["状态"]
        order_time = ["时间"]
        goods_amount = ["金额"]
        [status]
        completed = ["交易成功"]
    "#;

    fn check(text: &str) -> Result<OrderSpec, String> {
        let spec: OrderSpec = toml::from_str(text).map_err(|e| e.to_string())?;
        spec.validate()?;
        Ok(spec)
    }

    #[test]
    fn minimal_spec_is_valid() {
        let spec = check(MINIMAL).expect("valid");
        assert_eq!(spec.header_row, 1);
        assert_eq!(spec.amount_unit, AmountUnit::Yuan);
    }

    #[test]
    fn typos_fail_loudly() {
        let err = check(&MINIMAL.replace("format = ", "fromat = ")).unwrap_err();
        assert!(err.contains("fromat"), "{err}");
        let err = check(&MINIMAL.replace("shop_id = ", "shopid = ")).unwrap_err();
        assert!(err.contains("shopid"), "{err}");
        let err = check(&MINIMAL.replace("completed = ", "complete = ")).unwrap_err();
        assert!(err.contains("complete"), "{err}");
    }

    #[test]
    fn derived_amount_needs_its_inputs() {
        let text = MINIMAL.replace(
            "goods_amount = \"column\"",
            "goods_amount = \"unit_price_times_quantity\"",
        );
        let err = check(&text).unwrap_err();
        assert!(err.contains("unit_price"), "{err}");
    }

    #[test]
    fn the_order_spec_language_is_checked_at_load() {
        let with = |extra: &str| MINIMAL.replace("[columns]", &format!("{extra}\n[columns]"));
        // Order-level inputs of a computed goods amount make the goods amount the order's.
        let text = MINIMAL
            .replace(
                "goods_amount = \"column\"",
                "goods_amount = \"paid_minus_postage\"\norder_level = [\"paid_amount\"]",
            )
            .replace(
                "goods_amount = [\"金额\"]",
                "paid_amount = [\"实付\"]\npostage = [\"邮费\"]",
            );
        let err = check(&text).unwrap_err();
        assert!(err.contains("list `goods_amount` in order_level"), "{err}");
        let err = check(&with("order_level = [\"shop\"]")).unwrap_err();
        assert!(
            err.contains("unknown column `shop` in order_level"),
            "{err}"
        );
        // [derive] expressions name known columns and allowed functions only.
        let err = check(&format!(
            "{MINIMAL}\n[derive]\norder_time = \"coalesce(order_time, paid)\"\n"
        ))
        .unwrap_err();
        assert!(
            err.contains("[derive] order_time") && err.contains("unknown column `paid`"),
            "{err}"
        );
        let text = format!(
            "{MINIMAL}\n[inputs]\npaid = {{ headers = [\"实付\"], type = \"amount\" }}\n[derive]\ngoods_amount = \"coalesce(goods_amount, paid)\"\n"
        );
        check(&text).expect("an [inputs] column may be read by [derive]");
        // An after-sale map needs the after-sale column.
        let err = check(&format!(
            "{MINIMAL}\n[after_sale]\nrefunded = [\"退款成功\"]\n"
        ))
        .unwrap_err();
        assert!(err.contains("after_sale_status"), "{err}");
        // The shop may come from the submission, or not at all (the file's unknown shop).
        let text = MINIMAL.replace("shop_id = [\"店铺\"]\n", "");
        let spec = check(&text).expect("a spec without a shop column is valid");
        assert!(!spec.required_columns().contains(&"shop_id"));
        let text = format!(
            "{}\n[file_fields]\nshop_id = {{ from = \"folder\", pattern = \"店铺_([^_/]+)\" }}\n",
            MINIMAL.replace("shop_id = [\"店铺\"]\n", "")
        );
        let spec = check(&text).expect("a shop from the folder");
        assert!(spec.supplies("shop_id"));
        assert!(!spec.required_headers().contains(&"shop_id"));
    }
}
