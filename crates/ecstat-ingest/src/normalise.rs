//! A source spec becomes one SQL query over the raw text columns: parse every value, map
//! statuses, derive the goods amount, and name the first check each row fails. The query is
//! plain text, so `ecstat sources --sql NAME` can show a statistician exactly what runs.

use ecstat_core::amount::Rounding;
use ecstat_core::spec::{ALLOCATED_AMOUNTS, ColumnKind, GoodsAmountRule, OrderSpec, PAID_STATUSES};
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
        "amount_finer_than_fen",
        "金额小数超过两位（不足一分） / amount finer than one fen",
        "请按分填写金额（最多两位小数）；如来源本身按四舍五入取分，请在规格中写 amount_rounding = \"half_up\"",
    ),
    (
        "lossy_id",
        "编号已被表格软件改写（科学计数法或末尾 .0），原值无法恢复 / id mangled by a spreadsheet",
        "请从平台后台重新导出原始文件，或将编号列设为文本后再保存",
    ),
    (
        "nul_in_cell",
        "单元格含空字符（NUL） / cell contains a NUL byte",
        "请从平台后台重新导出原始文件",
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
        "order_line_rejected",
        "同一订单的另一行被退回，整单暂不计入 / another line of the same order was rejected, so the order is held back whole",
        "请更正该订单中被退回的行后整单重新提交",
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

/// The shop a file's lines are counted under when neither its rows nor its submission
/// name one: one per file, named so that a reader sees it is not a real shop.
#[derive(Debug, Clone)]
pub struct UnknownShop {
    pub id: String,
    pub name: String,
}

impl UnknownShop {
    /// The unknown shop of the file at `relative` (its path under the inbox).
    pub fn of_file(relative: &str) -> Self {
        use sha2::Digest;
        let digest = hex::encode(&sha2::Sha256::digest(relative.as_bytes())[..6]);
        let name = relative.rsplit('/').next().unwrap_or(relative);
        Self {
            id: format!("unknown-{digest}"),
            name: format!("未知店铺（{name}）"),
        }
    }
}

fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Text => "VARCHAR",
        ColumnKind::Amount => "DECIMAL(18,2)",
        ColumnKind::Integer => "BIGINT",
        ColumnKind::DateTime => "TIMESTAMP",
    }
}

/// `value` as a column of `kind`'s staged type (times in microseconds, as ingest parses them).
fn typed(value: &str, kind: ColumnKind) -> String {
    match kind {
        ColumnKind::DateTime => format!("arrow_cast({value}, 'Timestamp(Microsecond, None)')"),
        other => format!("CAST({value} AS {})", sql_type(other)),
    }
}

/// The id columns of an order line, whose text must be the platform's own.
const LOSSY_ID_COLUMNS: &[&str] = &["order_id", "sub_order_id", "shop_id"];

/// Build the normalisation SQL for `spec` over table `raw`, given which columns the file
/// has (canonical, `[inputs]` and `[file_fields]` names). Output columns: the staged
/// table's columns, then `_reject_rule`, `_reject_column`, `_reject_value` (NULL when the
/// row passes).
///
/// The stages, each a named step of the query:
/// - `filled`: cells the spec calls empty (`empty_values`) become NULL; an order-level
///   column takes the order's first non-empty value among its lines;
/// - `parsed`: every cell parsed as its type (NULL where unreadable), its text kept;
/// - `derived`: `[derive]` expressions replace their columns;
/// - `mapped`, `statused`: the canonical status, from the status and after-sale maps;
/// - `checked`: the number of the first check a row fails;
/// - for specs with order-level columns, `grouped` to `allocated`: a line
///   repeated within the file, and every line of an order one of whose lines was rejected,
///   are held back; order-level amounts are split over the order's lines.
pub fn orders_sql(spec: &OrderSpec, present: &[String], unknown_shop: &UnknownShop) -> String {
    let has = |c: &str| present.iter().any(|p| p == c);
    let unit = spec.amount_unit.as_str();
    let rounding = spec.amount_rounding.as_str();
    let formats = quote(&spec.datetime_formats().join("|"));
    let required_columns = spec.required_columns();
    let order_level = spec.has_order_level();

    // Every column read from the file: the staged columns, then the [inputs].
    let mut read: Vec<(String, ColumnKind)> = spec
        .table
        .columns()
        .iter()
        .map(|c| (c.name.to_string(), c.kind))
        .collect();
    read.extend(
        spec.inputs
            .iter()
            .map(|(name, input)| (name.clone(), input.kind)),
    );

    // filled: empty spellings, and order-level values once per order.
    let empties: Vec<String> = spec.empty_values.iter().map(|v| quote(v)).collect();
    let mut filled = vec!["_row".to_string()];
    for (name, _) in read.iter().filter(|(n, _)| has(n)) {
        let raw = ident(name);
        let mut cell = if empties.is_empty() {
            raw.clone()
        } else {
            format!(
                "CASE WHEN trim({raw}) IN ({}) THEN NULL ELSE {raw} END",
                empties.join(", ")
            )
        };
        if order_level && spec.is_order_level(name) {
            cell = format!(
                "first_value(CASE WHEN ecstat_present({cell}) THEN {cell} END) IGNORE NULLS OVER (PARTITION BY ecstat_text(order_id) ORDER BY _row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
            );
        }
        filled.push(format!("{cell} AS {raw}"));
    }

    let mut parsed = vec!["_row".to_string()];
    let mut derived = vec!["_row".to_string()];
    let mut checks: Vec<Check> = Vec::new();
    for (name, kind) in &read {
        let name = name.as_str();
        let kind = *kind;
        let raw = ident(name);
        let raw_ref = ident(&format!("{name}__raw"));
        let parsed_ref = ident(&format!("{name}__parsed"));
        derived.push(raw_ref.clone());
        match spec.derive.get(name) {
            Some(expression) => {
                derived.push(format!(
                    "{} AS {raw}",
                    typed(&format!("({expression})"), kind)
                ));
                derived.push(format!("{raw} AS {parsed_ref}"));
            }
            None => derived.push(raw.clone()),
        }
        // A cell unreadable as its type is judged by its parsed value, before any
        // [derive] expression replaced it.
        let parsed_value = if spec.derive.contains_key(name) {
            parsed_ref.clone()
        } else {
            raw.clone()
        };
        if !has(name) {
            parsed.push(format!("CAST(NULL AS {}) AS {raw}", sql_type(kind)));
            parsed.push(format!("CAST(NULL AS VARCHAR) AS {raw_ref}"));
            if spec.derive.contains_key(name) && required_columns.contains(&name) {
                checks.push(Check {
                    condition: format!("{raw} IS NULL"),
                    rule: "missing_value",
                    column: name.into(),
                    raw: raw_ref.clone(),
                });
            }
            continue;
        }
        let value = match kind {
            ColumnKind::Text => format!("ecstat_text({raw})"),
            ColumnKind::Amount => format!("ecstat_amount({raw}, '{unit}', '{rounding}')"),
            ColumnKind::Integer => format!("ecstat_int({raw})"),
            ColumnKind::DateTime => format!("ecstat_datetime({raw}, {formats})"),
        };
        parsed.push(format!("{value} AS {raw}"));
        parsed.push(format!("{raw} AS {raw_ref}"));
        let required = required_columns.contains(&name);
        let text_present = format!("ecstat_present({raw_ref})");
        if required {
            checks.push(Check {
                condition: if spec.derive.contains_key(name) {
                    format!("{raw} IS NULL")
                } else {
                    format!("NOT ({text_present})")
                },
                rule: "missing_value",
                column: name.into(),
                raw: raw_ref.clone(),
            });
        }
        if LOSSY_ID_COLUMNS.contains(&name) {
            checks.push(Check {
                condition: format!("ecstat_lossy_id({raw_ref})"),
                rule: "lossy_id",
                column: name.into(),
                raw: raw_ref.clone(),
            });
        }
        let unparseable = match kind {
            ColumnKind::Text => None,
            ColumnKind::Amount => Some("unparseable_amount"),
            ColumnKind::Integer => Some("unparseable_integer"),
            ColumnKind::DateTime => Some("unparseable_datetime"),
        };
        if kind == ColumnKind::Amount && spec.amount_rounding == Rounding::Exact {
            checks.push(Check {
                condition: format!(
                    "{parsed_value} IS NULL AND {text_present} AND ecstat_amount({raw_ref}, '{unit}', 'half_up') IS NOT NULL"
                ),
                rule: "amount_finer_than_fen",
                column: name.into(),
                raw: raw_ref.clone(),
            });
        }
        if let Some(rule) = unparseable {
            checks.push(Check {
                condition: format!("{parsed_value} IS NULL AND {text_present}"),
                rule,
                column: name.into(),
                raw: raw_ref.clone(),
            });
        }
        if kind == ColumnKind::Amount || kind == ColumnKind::Integer {
            checks.push(Check {
                condition: format!("{raw} < 0"),
                rule: if kind == ColumnKind::Amount {
                    "negative_amount"
                } else {
                    "unparseable_integer"
                },
                column: name.into(),
                raw: raw_ref.clone(),
            });
        }
    }

    // Status map: every raw value the spec knows, to its canonical status; a line whose
    // after-sale status says it was refunded in full is `refunded`, unless its order never
    // carried sales (cancelled, closed, unpaid).
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
    let mapped_status = format!("CASE{status_cases} END");
    let refunded_after_sale = match spec.after_sale.get("refunded") {
        Some(values) if !values.is_empty() => {
            let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
            format!(
                "COALESCE(after_sale_status IN ({}), false)",
                list.join(", ")
            )
        }
        _ => "false".to_string(),
    };
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
    let paid: Vec<String> = PAID_STATUSES.iter().map(|s| quote(s)).collect();
    let is_paid = format!("_status IN ({})", paid.join(", "));

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
    // A derived goods amount below zero is an error only where the line was paid for: an
    // unpaid or cancelled order's 0.00 paid minus its postage carries no sales, and its
    // goods amount is taken as zero.
    if spec.goods_amount != GoodsAmountRule::Column || spec.derive.contains_key("goods_amount") {
        let column = match spec.goods_amount {
            GoodsAmountRule::PaidMinusPostage => "paid_amount",
            GoodsAmountRule::UnitPriceTimesQuantity => "unit_price",
            GoodsAmountRule::Column => "goods_amount",
        };
        checks.push(Check {
            condition: format!("{is_paid} AND _goods < 0"),
            rule: "negative_amount",
            column: column.into(),
            raw: ident(&format!("{column}__raw")),
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
    let mut reject_rule = pick(&|c| quote(c.rule));
    let mut reject_column = pick(&|c| quote(&c.column));
    let mut reject_value = pick(&|c| format!("CAST({} AS VARCHAR)", c.raw));

    let shop_id = if spec.columns.contains_key("shop_id") {
        "shop_id".to_string()
    } else {
        format!("COALESCE(shop_id, {})", quote(&unknown_shop.id))
    };
    // A layout without a shop-name column still names its shops: by their id.
    let shop_name = if spec.columns.contains_key("shop_id") {
        "COALESCE(shop_name, shop_id)".to_string()
    } else {
        format!(
            "CASE WHEN shop_id IS NULL THEN {} ELSE COALESCE(shop_name, shop_id) END",
            quote(&unknown_shop.name)
        )
    };

    // The amounts of a line: its own, or its share of the order's.
    let mut goods_line = "CAST(CASE WHEN _status IN ('cancelled', 'closed', 'unpaid') THEN GREATEST(_goods, CAST(0 AS DECIMAL(18,2))) ELSE _goods END AS DECIMAL(18,2))".to_string();
    let mut refund_line = "refund_amount".to_string();
    let mut postage_line = "postage".to_string();
    let mut order_steps = String::new();
    let mut source = "checked";
    if order_level {
        let mut floors = Vec::new();
        let mut ranks = Vec::new();
        for column in ALLOCATED_AMOUNTS.iter().filter(|c| spec.is_order_level(c)) {
            let (label, line) = match *column {
                "goods_amount" => ("goods", &mut goods_line),
                "refund_amount" => ("refund", &mut refund_line),
                _ => ("postage", &mut postage_line),
            };
            let fen = format!("CAST(({line}) * 100 AS BIGINT)");
            floors.push(format!(
                "{fen} AS _fen_{label},\n    ecstat_share_floor({fen}, _w, _wtotal) AS _floor_{label},\n    ecstat_share_rem({fen}, _w, _wtotal) AS _rem_{label}"
            ));
            ranks.push(format!(
                "ROW_NUMBER() OVER (PARTITION BY order_id, _kept ORDER BY _rem_{label} DESC, _line_key, _row) AS _rank_{label},\n    _fen_{label} - SUM(CASE WHEN _kept THEN _floor_{label} ELSE 0 END) OVER (PARTITION BY order_id) AS _left_{label}"
            ));
            *line = format!(
                "CASE WHEN _fen_{label} IS NULL THEN NULL ELSE CAST(CAST(_floor_{label} + CASE WHEN _rank_{label} <= abs(_left_{label}) THEN signum(_fen_{label}) ELSE 0 END AS DECIMAL(20,2)) / 100 AS DECIMAL(18,2)) END"
            );
        }
        // Without an amount to split, the weights are still computed (and unused).
        let floors = if floors.is_empty() {
            String::new()
        } else {
            format!(",\n    {}", floors.join(",\n    "))
        };
        let ranks = if ranks.is_empty() {
            String::new()
        } else {
            format!(",\n    {}", ranks.join(",\n    "))
        };
        order_steps = format!(
            ",\n-- A line written twice in the file counts once; an order one of whose lines was\n-- rejected is held back whole (never half-counted).\ngrouped AS (\n  SELECT *,\n    CASE WHEN _failed_check IS NULL THEN ROW_NUMBER() OVER (PARTITION BY order_id, _line_key, _failed_check IS NULL ORDER BY _row) END AS _copy,\n    MAX(CASE WHEN _failed_check IS NULL THEN 0 ELSE 1 END) OVER (PARTITION BY order_id) AS _order_rejected\n  FROM checked\n),\nkept AS (\n  SELECT *,\n    COALESCE(_failed_check IS NULL AND _copy = 1 AND _order_rejected = 0, false) AS _kept,\n    CASE WHEN unit_price > 0 AND quantity > 0 THEN CAST(unit_price * 100 AS BIGINT) * quantity ELSE 0 END AS _weight\n  FROM grouped\n),\n-- Each kept line's weight: unit price × quantity in fen, or 1 each where the order's\n-- weights are all zero (equal shares).\nweighed AS (\n  SELECT *,\n    SUM(CASE WHEN _kept THEN _weight ELSE 0 END) OVER (PARTITION BY order_id) AS _weights,\n    SUM(CASE WHEN _kept THEN 1 ELSE 0 END) OVER (PARTITION BY order_id) AS _kept_lines\n  FROM kept\n),\nweights AS (\n  SELECT *,\n    CASE WHEN _weights > 0 THEN _weight ELSE 1 END AS _w,\n    CASE WHEN _weights > 0 THEN _weights ELSE _kept_lines END AS _wtotal\n  FROM weighed\n),\n-- An order amount in fen split by weight: each line its quotient, and the fen left over\n-- to the lines of the largest remainders (ties: the line key), so the lines add up to\n-- the order's amount exactly.\nshared AS (\n  SELECT *{floors}\n  FROM weights\n),\nallocated AS (\n  SELECT *{ranks}\n  FROM shared\n)"
        );
        source = "allocated";
        let repeat = "_failed_check IS NULL AND _copy > 1";
        let rejected = "_failed_check IS NULL AND _order_rejected = 1";
        reject_rule = format!(
            "CASE WHEN {repeat} THEN 'duplicate_order_line' WHEN {rejected} THEN 'order_line_rejected' ELSE {reject_rule} END"
        );
        reject_column =
            format!("CASE WHEN {repeat} OR {rejected} THEN 'order_id' ELSE {reject_column} END");
        reject_value = format!(
            "CASE WHEN {repeat} OR {rejected} THEN concat(order_id, ' / ', _line_key) ELSE {reject_value} END"
        );
    }
    // A line refunded by status or after-sale status with no refund amount written was
    // refunded in full.
    let refund_out = format!(
        "CASE WHEN _after_sale_refunded OR (_status = 'refunded' AND ({refund_line}) IS NULL) THEN {goods_line} ELSE COALESCE({refund_line}, CAST(0 AS DECIMAL(18,2))) END"
    );
    let postage_out = format!("COALESCE({postage_line}, CAST(0 AS DECIMAL(18,2)))");

    format!(
        "WITH filled AS (\n  SELECT {filled}\n  FROM raw\n),\nparsed AS (\n  SELECT {parsed}\n  FROM filled\n),\nderived AS (\n  SELECT {derived}\n  FROM parsed\n),\nmapped AS (\n  SELECT *,\n    {mapped_status} AS _mapped_status,\n    {refunded_after_sale} AS _after_sale_refunded\n  FROM derived\n),\nstatused AS (\n  SELECT *,\n    CASE WHEN _after_sale_refunded AND _mapped_status NOT IN ('cancelled', 'closed', 'unpaid') THEN 'refunded' ELSE _mapped_status END AS _status,\n    {goods} AS _goods,\n    COALESCE(sub_order_id, item_title, '') AS _line_key\n  FROM mapped\n),\nchecked AS (\n  SELECT *, {failed} AS _failed_check\n  FROM statused\n){order_steps}\nSELECT\n  {source_name} AS source,\n  {platform} AS platform,\n  _row AS source_row,\n  order_id, sub_order_id,\n  {shop_id} AS shop_id,\n  {shop_name} AS shop_name,\n  item_title, platform_category,\n  quantity,\n  unit_price AS unit_price_yuan,\n  {goods_line} AS goods_amount_yuan,\n  {postage_out} AS postage_yuan,\n  {refund_out} AS refund_yuan,\n  _status AS status,\n  status AS status_raw,\n  after_sale_status,\n  order_time, pay_time, ship_from,\n  ecstat_month_of(order_time) AS order_month,\n  {reject_rule} AS _reject_rule,\n  {reject_column} AS _reject_column,\n  {reject_value} AS _reject_value\nFROM {source}",
        filled = filled.join(",\n    "),
        parsed = parsed.join(",\n    "),
        derived = derived.join(",\n    "),
        source_name = quote(&spec.name),
        platform = quote(&spec.platform),
    )
}
