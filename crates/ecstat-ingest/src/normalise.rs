//! A source spec becomes one SQL query over the raw text columns: parse every value, map
//! statuses, derive the goods amount, and name the first check each row fails. The query is
//! plain text, so `ecstat sources --sql NAME` can show a statistician exactly what runs.

use ecstat_core::spec::{ColumnKind, GoodsAmountRule, OrderSpec};
use ecstat_core::sql::{ident, literal as quote};

/// Quarantine rules: what each means (Chinese for the submitting department, English), and
/// how the submitter fixes it (for the feedback report `ecstat validate` writes).
pub const RULES: &[(&str, &str, &str)] = &[
    (
        "missing_value",
        "必填项为空 / required value is empty",
        "请补填该项",
    ),
    (
        "unparseable_amount",
        "金额无法识别 / amount is not a number",
        "请填写数字金额，如 1234.50，单位按表头",
    ),
    (
        "unparseable_integer",
        "数量无法识别 / not a whole number",
        "请填写不带小数的整数",
    ),
    (
        "unparseable_number",
        "数值无法识别 / not a number",
        "请填写数字，最多4位小数",
    ),
    (
        "unparseable_datetime",
        "日期时间无法识别 / not a valid date or time",
        "请填写有效日期时间，如 2019-03-15 10:20:00",
    ),
    (
        "unparseable_date",
        "日期无法识别 / not a valid date",
        "请填写有效日期，如 2019-03-15 或 2019年3月15日",
    ),
    (
        "unparseable_month",
        "月份无法识别 / not a valid month",
        "请填写月份，如 2019年3月 或 2019-03",
    ),
    (
        "unparseable_boolean",
        "是否项无法识别 / not yes or no",
        "请填写“是”或“否”",
    ),
    (
        "unknown_division",
        "区划名称无法识别 / township or village not found",
        "请按《统计用区划代码》填写乡镇、村（社区）全称或12位代码",
    ),
    (
        "invalid_uscc",
        "统一社会信用代码校验不通过 / invalid unified social credit code",
        "请核对营业执照上的18位统一社会信用代码",
    ),
    (
        "invalid_id_number",
        "身份证号码校验不通过 / invalid ID number",
        "请核对18位身份证号码",
    ),
    (
        "not_accepted_value",
        "取值不在规定范围内 / value not in the accepted list",
        "请从规定的选项中选择",
    ),
    (
        "out_of_range",
        "数值超出合理范围 / value out of range",
        "请核对数值及单位",
    ),
    (
        "pattern_mismatch",
        "格式不符合要求 / value does not match the required pattern",
        "请按规定格式填写编号",
    ),
    (
        "unknown_reference",
        "在参考表中找不到 / not found in the reference table",
        "请使用参考表中的名称或代码",
    ),
    (
        "duplicate_value",
        "与前面的行重复 / repeats an earlier row",
        "请删除重复行或更正编号",
    ),
    (
        "outside_period",
        "月份不在本文件的报告期内 / month outside the period the file reports",
        "请核对月份，或将该行放入对应报告期的文件",
    ),
    (
        "inconsistent_value",
        "与文件中另一处不一致 / disagrees with another place in the file",
        "请核对标题与文件名中的填报单位、报告期是否一致",
    ),
    (
        "negative_amount",
        "金额为负 / amount is negative",
        "金额不能为负数",
    ),
    (
        "amount_out_of_range",
        "金额超出范围 / amount too large",
        "请核对单价与数量",
    ),
    (
        "implausible_datetime",
        "日期不合理 / date outside the plausible range",
        "请核对年份",
    ),
    (
        "unknown_status",
        "订单状态不在口径映射中 / status not in the spec's status map",
        "请联系统计局更新口径映射",
    ),
    (
        "duplicate_order_line",
        "订单行重复 / the same order line appears earlier in the file",
        "请删除重复的订单行",
    ),
    (
        "field_count",
        "列数与表头不符 / number of fields differs from the header",
        "请检查该行是否多了或少了分隔符（逗号）",
    ),
    (
        "undecodable_text",
        "含无法解码的字符 / text that did not decode",
        "请以 UTF-8 或 GBK 编码另存文件",
    ),
    (
        "after_footer",
        "数据位于合计行之后 / data below the total row",
        "请将该行移到合计行之前",
    ),
];

fn rule_entry(rule: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    RULES.iter().find(|(r, _, _)| *r == rule)
}

/// The reason text of a rule.
pub fn reason(rule: &str) -> &'static str {
    rule_entry(rule).map_or("未知规则 / unknown rule", |e| e.1)
}

/// How a submitter fixes a row that broke `rule` (Chinese).
pub fn fix(rule: &str) -> &'static str {
    rule_entry(rule).map_or("请核对该行", |e| e.2)
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
pub fn orders_sql(spec: &OrderSpec, present: &[String]) -> String {
    let has = |c: &str| present.iter().any(|p| p == c);
    let unit = spec.amount_unit.as_str();
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
        let text_present = format!("ecstat_present({raw_ref})");
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

    // The first check a row fails, by number: the least number of the checks it fails,
    // decided once; its rule, column and raw value are then looked up by that number. (One
    // CASE over all checks would filter the whole batch again at every WHEN once a row
    // has matched.)
    let numbered: Vec<String> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| format!("CASE WHEN {} THEN {} END", c.condition, i + 1))
        .collect();
    let failed = match numbered.as_slice() {
        [one] => one.clone(),
        _ => format!("LEAST({})", numbered.join(",\n    ")),
    };
    let pick = |value: &dyn Fn(&Check) -> String| -> String {
        let whens: Vec<String> = checks
            .iter()
            .enumerate()
            .map(|(i, c)| format!("WHEN {} THEN {}", i + 1, value(c)))
            .collect();
        format!("CASE _failed_check {} END", whens.join(" "))
    };
    let reject_rule = pick(&|c| quote(c.rule));
    let reject_column = pick(&|c| quote(&c.column));
    let reject_value = pick(&|c| format!("CAST({} AS VARCHAR)", c.raw));

    format!(
        "WITH parsed AS (\n  SELECT {parsed}\n  FROM raw\n),\nchecked AS (\n  SELECT *, {failed} AS _failed_check\n  FROM parsed\n)\nSELECT\n  {source} AS source,\n  {platform} AS platform,\n  _row AS source_row,\n  order_id, sub_order_id, shop_id, shop_name, item_title, platform_category,\n  quantity,\n  unit_price AS unit_price_yuan,\n  {goods} AS goods_amount_yuan,\n  COALESCE(postage, CAST(0 AS DECIMAL(18,2))) AS postage_yuan,\n  COALESCE(refund_amount, CAST(0 AS DECIMAL(18,2))) AS refund_yuan,\n  CASE{status_cases} END AS status,\n  status AS status_raw,\n  after_sale_status,\n  order_time, pay_time, ship_from,\n  ecstat_month_of(order_time) AS order_month,\n  {reject_rule} AS _reject_rule,\n  {reject_column} AS _reject_column,\n  {reject_value} AS _reject_value\nFROM checked",
        parsed = parsed.join(",\n    "),
        source = quote(&spec.name),
        platform = quote(&spec.platform),
    )
}
