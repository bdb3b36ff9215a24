//! A source spec becomes one SQL query over the raw text columns: parse every value, map
//! statuses, derive the goods amount, and name the first check each row fails. The query is
//! plain text, so `ecstat sources --sql NAME` can show a statistician exactly what runs.

use ecstat_core::amount::AmountUnit;
use ecstat_core::spec::{ColumnKind, GoodsAmountRule, SourceSpec};
use ecstat_core::sql::{ident, literal as quote};

/// Quarantine rules and what they mean (Chinese for the submitting department, English).
pub const RULES: &[(&str, &str)] = &[
    ("missing_value", "必填项为空 / required value is empty"),
    (
        "unparseable_amount",
        "金额无法识别 / amount is not a number",
    ),
    ("unparseable_integer", "数量无法识别 / not a whole number"),
    (
        "unparseable_datetime",
        "日期时间无法识别 / not a valid date or time",
    ),
    ("negative_amount", "金额为负 / amount is negative"),
    (
        "unknown_status",
        "订单状态不在口径映射中 / status not in the spec's status map",
    ),
    (
        "duplicate_order_line",
        "订单行重复 / the same order line appears earlier in the file",
    ),
    (
        "field_count",
        "列数与表头不符 / number of fields differs from the header",
    ),
    (
        "undecodable_text",
        "含无法解码的字符 / text that did not decode",
    ),
];

/// The reason text of a rule.
pub fn reason(rule: &str) -> &'static str {
    RULES
        .iter()
        .find(|(r, _)| *r == rule)
        .map(|(_, m)| *m)
        .unwrap_or("未知规则 / unknown rule")
}

struct Check {
    condition: String,
    rule: &'static str,
    column: String,
    raw: String,
}

/// Build the normalisation SQL for `spec` over table `raw`, given which canonical columns
/// the file has. Output columns: the staged table's columns, then `_reject_rule`,
/// `_reject_column`, `_reject_value` (NULL when the row passes).
pub fn orders_sql(spec: &SourceSpec, present: &[String], file_sha256: &str) -> String {
    let has = |c: &str| present.iter().any(|p| p == c);
    let unit = match spec.amount_unit {
        AmountUnit::Yuan => "yuan",
        AmountUnit::WanYuan => "wan_yuan",
    };
    let formats = quote(&spec.datetime_formats().join("|"));
    let required_columns = spec.required_columns();
    let mut parsed = vec!["_row".to_string()];
    let mut checks: Vec<Check> = Vec::new();
    for column in spec.table.columns() {
        let name = column.name;
        if !has(name) {
            let ty = match column.kind {
                ColumnKind::Text => "VARCHAR",
                ColumnKind::Amount => "DECIMAL(18,2)",
                ColumnKind::Integer => "BIGINT",
                ColumnKind::DateTime => "TIMESTAMP",
            };
            parsed.push(format!("CAST(NULL AS {ty}) AS {}", ident(name)));
            parsed.push(format!(
                "CAST(NULL AS VARCHAR) AS {}",
                ident(&format!("{name}__raw"))
            ));
            continue;
        }
        let raw = ident(name);
        let value = match column.kind {
            ColumnKind::Text => format!("ecstat_text({raw})"),
            ColumnKind::Amount => format!("ecstat_amount({raw}, '{unit}')"),
            ColumnKind::Integer => format!("ecstat_int({raw})"),
            ColumnKind::DateTime => format!("ecstat_datetime({raw}, {formats})"),
        };
        parsed.push(format!("{value} AS {raw}"));
        parsed.push(format!("{raw} AS {}", ident(&format!("{name}__raw"))));
        let raw_ref = ident(&format!("{name}__raw"));
        let required = required_columns.contains(&name);
        let text_present = format!("ecstat_text({raw_ref}) IS NOT NULL");
        if required {
            checks.push(Check {
                condition: format!("NOT ({text_present})"),
                rule: "missing_value",
                column: name.into(),
                raw: raw_ref.clone(),
            });
        }
        let unparseable = match column.kind {
            ColumnKind::Text => None,
            ColumnKind::Amount => Some("unparseable_amount"),
            ColumnKind::Integer => Some("unparseable_integer"),
            ColumnKind::DateTime => Some("unparseable_datetime"),
        };
        if let Some(rule) = unparseable {
            checks.push(Check {
                condition: format!("{raw} IS NULL AND {text_present}"),
                rule,
                column: name.into(),
                raw: raw_ref.clone(),
            });
        }
        if column.kind == ColumnKind::Amount || column.kind == ColumnKind::Integer {
            checks.push(Check {
                condition: format!("{raw} < 0"),
                rule: if column.kind == ColumnKind::Amount {
                    "negative_amount"
                } else {
                    "unparseable_integer"
                },
                column: name.into(),
                raw: raw_ref.clone(),
            });
        }
    }

    // Status map: every raw value the spec knows, to its canonical status.
    let mut status_cases = String::new();
    let mut known = Vec::new();
    for (canonical, values) in &spec.status {
        let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
        known.extend(list.iter().cloned());
        status_cases.push_str(&format!(
            " WHEN status IN ({}) THEN {}",
            list.join(", "),
            quote(canonical)
        ));
    }
    checks.push(Check {
        condition: if known.is_empty() {
            "status IS NOT NULL".into()
        } else {
            format!(
                "status IS NOT NULL AND status NOT IN ({})",
                known.join(", ")
            )
        },
        rule: "unknown_status",
        column: "status".into(),
        raw: ident("status__raw"),
    });

    let goods = match spec.goods_amount {
        GoodsAmountRule::Column => "goods_amount".to_string(),
        GoodsAmountRule::UnitPriceTimesQuantity => {
            "TRY_CAST(unit_price * quantity AS DECIMAL(18,2))".to_string()
        }
        GoodsAmountRule::PaidMinusPostage => {
            "CAST(paid_amount - COALESCE(postage, 0) AS DECIMAL(18,2))".to_string()
        }
    };
    if spec.goods_amount == GoodsAmountRule::UnitPriceTimesQuantity {
        checks.push(Check {
            condition: "unit_price IS NOT NULL AND quantity IS NOT NULL \
                        AND TRY_CAST(unit_price * quantity AS DECIMAL(18,2)) IS NULL"
                .into(),
            rule: "amount_out_of_range",
            column: "unit_price".into(),
            raw: ident("unit_price__raw"),
        });
    }
    // Order times must be plausible: a typo such as 2091 would otherwise become the data's
    // 数据截至 and stretch every calendar. Local time is at most a day ahead of UTC.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d %H:%M:%S");
    checks.push(Check {
        condition: format!(
            "order_time < TIMESTAMP '2000-01-01 00:00:00' OR order_time > TIMESTAMP '{tomorrow}'"
        ),
        rule: "implausible_datetime",
        column: "order_time".into(),
        raw: ident("order_time__raw"),
    });
    if spec.goods_amount == GoodsAmountRule::PaidMinusPostage {
        checks.push(Check {
            condition: "paid_amount - COALESCE(postage, 0) < 0".into(),
            rule: "negative_amount",
            column: "paid_amount".into(),
            raw: ident("paid_amount__raw"),
        });
    }

    let case = |pick: &dyn Fn(&Check) -> String| -> String {
        let whens: Vec<String> = checks
            .iter()
            .map(|c| format!("WHEN {} THEN {}", c.condition, pick(c)))
            .collect();
        format!("CASE {} END", whens.join(" "))
    };
    let reject_rule = case(&|c| quote(c.rule));
    let reject_column = case(&|c| quote(&c.column));
    let reject_value = case(&|c| format!("CAST({} AS VARCHAR)", c.raw));

    format!(
        "WITH parsed AS (\n  SELECT {parsed}\n  FROM raw\n)\nSELECT\n  {source} AS source,\n  {platform} AS platform,\n  {sha} AS file_sha256,\n  _row AS source_row,\n  order_id, sub_order_id, shop_id, shop_name, item_title, platform_category,\n  quantity,\n  unit_price AS unit_price_yuan,\n  {goods} AS goods_amount_yuan,\n  COALESCE(postage, CAST(0 AS DECIMAL(18,2))) AS postage_yuan,\n  COALESCE(refund_amount, CAST(0 AS DECIMAL(18,2))) AS refund_yuan,\n  CASE{status_cases} END AS status,\n  status AS status_raw,\n  after_sale_status,\n  order_time, pay_time, ship_from,\n  to_char(order_time, '%Y-%m') AS order_month,\n  {reject_rule} AS _reject_rule,\n  {reject_column} AS _reject_column,\n  {reject_value} AS _reject_value\nFROM parsed",
        parsed = parsed.join(",\n    "),
        source = quote(&spec.name),
        platform = quote(&spec.platform),
        sha = quote(file_sha256),
    )
}
