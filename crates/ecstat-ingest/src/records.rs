//! A records spec (department registers, ledgers, reports, the provincial API) becomes one
//! SQL query over the raw text columns: parse every value as its declared type, then name
//! the first check each row fails — file-level checks first, then row-level ones — and,
//! separately, the first warning. `ecstat sources --sql NAME` prints it.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ecstat_core::amount::Rounding;
use ecstat_core::spec::{CheckKind, ColumnSpec, RecordSpec, Severity, ValueType};
use ecstat_core::sql::{ident, literal as quote};

use crate::udf::{DECIMAL, MONEY};

/// Values of reference columns that `relationship` checks compare against, keyed
/// `table.column`.
pub type Lookups = HashMap<String, Vec<String>>;

/// The Arrow type a column is staged as.
pub fn staged_type(column: &ColumnSpec) -> DataType {
    match column.value_type {
        ValueType::Integer => DataType::Int64,
        ValueType::Decimal => DECIMAL,
        ValueType::Amount => MONEY,
        ValueType::Date => DataType::Date32,
        ValueType::Boolean => DataType::Boolean,
        ValueType::Text
        | ValueType::Month
        | ValueType::Township
        | ValueType::Village
        | ValueType::Uscc
        | ValueType::IdHash
        | ValueType::List => DataType::Utf8,
    }
}

/// Layout of a records source's staged table: provenance, then the spec's columns.
pub fn staged_schema(spec: &RecordSpec) -> SchemaRef {
    let mut fields = vec![
        Field::new("source", DataType::Utf8, true),
        Field::new("file_sha256", DataType::Utf8, true),
        Field::new("source_row", DataType::Int64, true),
    ];
    fields.extend(
        spec.columns
            .iter()
            .map(|c| Field::new(&c.name, staged_type(c), true)),
    );
    Arc::new(Schema::new(fields))
}

fn sql_type(column: &ColumnSpec) -> &'static str {
    match staged_type(column) {
        DataType::Int64 => "BIGINT",
        DataType::Decimal128(18, 2) => "DECIMAL(18,2)",
        DataType::Decimal128(_, _) => "DECIMAL(18,4)",
        DataType::Date32 => "DATE",
        DataType::Boolean => "BOOLEAN",
        _ => "VARCHAR",
    }
}

/// The parse expression of a column over its raw text `raw`.
fn parse_expr(spec: &RecordSpec, column: &ColumnSpec, raw: &str) -> String {
    match column.value_type {
        ValueType::Text if column.values.is_empty() => format!("ecstat_clean({raw})"),
        ValueType::Text => {
            let clean = format!("ecstat_clean({raw})");
            let whens: Vec<String> = column
                .values
                .iter()
                .map(|(canonical, spellings)| {
                    let list: Vec<String> = spellings.iter().map(|v| quote(v)).collect();
                    format!(
                        "WHEN {clean} IN ({}) THEN {}",
                        list.join(", "),
                        quote(canonical)
                    )
                })
                .collect();
            format!("(CASE {} ELSE {clean} END)", whens.join(" "))
        }
        ValueType::Integer => format!("ecstat_int(ecstat_clean({raw}))"),
        ValueType::Decimal => format!("ecstat_decimal({raw})"),
        ValueType::Amount => format!(
            "ecstat_amount({raw}, '{}', '{}')",
            column.unit.unwrap_or(spec.amount_unit).as_str(),
            spec.amount_rounding.as_str()
        ),
        ValueType::Date => format!("ecstat_date({raw})"),
        ValueType::Month => format!("ecstat_month({raw})"),
        ValueType::Township => format!("ecstat_township({raw})"),
        ValueType::Village => match &column.within {
            Some(t) => format!("ecstat_village({raw}, ecstat_township({}))", ident(t)),
            None => format!("ecstat_village({raw}, CAST(NULL AS VARCHAR))"),
        },
        ValueType::Uscc => format!("ecstat_uscc({raw})"),
        ValueType::IdHash => {
            format!("CASE WHEN ecstat_id_problem({raw}) IS NULL THEN ecstat_id_hash({raw}) END")
        }
        ValueType::List => format!("ecstat_list({raw})"),
        ValueType::Boolean => format!("ecstat_bool({raw})"),
    }
}

struct Check {
    severity: Severity,
    condition: String,
    rule: &'static str,
    column: String,
    /// SQL for the offending value as shown to the submitter (never a raw ID number).
    value: String,
    /// SQL for a row-specific explanation (closest division names, expected check digit).
    detail: String,
}

/// Build the normalisation SQL for `spec` over table `raw` (text columns named after the
/// spec's columns, plus `_row`), given which columns the file has.
///
/// Output: `source, file_sha256, source_row`, the typed columns, `_key` (what the row's
/// submission covers, from `replace_by`), then `_reject_*` (first failing error check) and
/// `_warn_*` (first failing warning), NULL when none fails.
pub fn records_sql(
    spec: &RecordSpec,
    present: &[String],
    file_sha256: &str,
    lookups: &Lookups,
) -> Result<String, String> {
    let has = |c: &str| present.iter().any(|p| p == c);
    let mut parsed = vec!["_row".to_string()];
    let mut checks: Vec<Check> = Vec::new();
    for column in &spec.columns {
        let name = &column.name;
        let raw_name = ident(&format!("{name}__raw"));
        if !has(name) {
            parsed.push(format!(
                "CAST(NULL AS {}) AS {}",
                sql_type(column),
                ident(name)
            ));
            parsed.push(format!("CAST(NULL AS VARCHAR) AS {raw_name}"));
            continue;
        }
        let raw = ident(name);
        parsed.push(format!("{} AS {raw}", parse_expr(spec, column, &raw)));
        parsed.push(format!("{raw} AS {raw_name}"));
        let present = format!("ecstat_text({raw_name}) IS NOT NULL");
        let shown = if column.value_type == ValueType::IdHash {
            format!("ecstat_id_mask({raw_name})")
        } else {
            format!("CAST({raw_name} AS VARCHAR)")
        };
        let check = |severity, condition: String, rule, detail: String| Check {
            severity,
            condition,
            rule,
            column: name.clone(),
            value: shown.clone(),
            detail,
        };
        let no_detail = || "CAST(NULL AS VARCHAR)".to_string();
        let declared = column.checks();
        // A value from the file name or title is the same on every row: when it is missing
        // or unreadable, that is one fact about the file, not a fault of each row.
        let file_level = column.file_field.is_some();
        let severity_of = |s: Severity| if file_level { Severity::File } else { s };
        // Empty first: a required cell left blank says so, not "unparseable".
        for (kind, severity) in &declared {
            if *kind == CheckKind::NotNull {
                checks.push(check(
                    severity_of(*severity),
                    format!("NOT ({present})"),
                    "missing_value",
                    no_detail(),
                ));
            }
        }
        let not_null_severity = severity_of(
            declared
                .iter()
                .find(|(k, _)| *k == CheckKind::NotNull)
                .map(|(_, s)| *s)
                .unwrap_or(Severity::Row),
        );
        // A value that is there but cannot be read: as severe as an empty required one. An
        // amount that is a number, only finer than a fen, says so.
        if column.value_type == ValueType::Amount && spec.amount_rounding == Rounding::Exact {
            checks.push(check(
                not_null_severity,
                format!(
                    "{raw} IS NULL AND {present} AND ecstat_amount({raw_name}, '{}', 'half_up') IS NOT NULL",
                    column.unit.unwrap_or(spec.amount_unit).as_str()
                ),
                "amount_finer_than_fen",
                no_detail(),
            ));
        }
        if let Some(rule) = column.value_type.parse_rule() {
            let detail = match column.value_type {
                ValueType::Township => {
                    format!("ecstat_division_hint({raw_name}, 'township', CAST(NULL AS VARCHAR))")
                }
                ValueType::Village => match &column.within {
                    Some(t) => format!(
                        "ecstat_division_hint({raw_name}, 'village', ecstat_township({}))",
                        ident(&format!("{t}__raw"))
                    ),
                    None => format!(
                        "ecstat_division_hint({raw_name}, 'village', CAST(NULL AS VARCHAR))"
                    ),
                },
                _ => no_detail(),
            };
            checks.push(check(
                not_null_severity,
                format!("{raw} IS NULL AND {present}"),
                rule,
                detail,
            ));
        }
        if column.value_type == ValueType::IdHash {
            checks.push(check(
                not_null_severity,
                format!("{present} AND ecstat_id_problem({raw_name}) IS NOT NULL"),
                "invalid_id_number",
                format!("ecstat_id_problem({raw_name})"),
            ));
        }
        for (kind, severity) in declared {
            let condition = match &kind {
                CheckKind::NotNull | CheckKind::Unique(_) => continue,
                CheckKind::AcceptedValues(values) => {
                    let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
                    format!("{raw} IS NOT NULL AND {raw} NOT IN ({})", list.join(", "))
                }
                CheckKind::Range(range) => {
                    let mut parts = Vec::new();
                    if let Some(min) = range.min {
                        parts.push(format!("{raw} < {}", number(min, column)));
                    }
                    if let Some(max) = range.max {
                        parts.push(format!("{raw} > {}", number(max, column)));
                    }
                    if parts.is_empty() {
                        continue;
                    }
                    format!("({})", parts.join(" OR "))
                }
                CheckKind::Regex(pattern) => format!(
                    "{raw} IS NOT NULL AND NOT regexp_like({raw}, {})",
                    quote(pattern)
                ),
                CheckKind::Relationship { table, column: col } => {
                    let key = format!("{table}.{col}");
                    let values = lookups.get(&key).ok_or_else(|| {
                        format!("column `{name}`: relationship to `{key}`, which is not a loaded reference column")
                    })?;
                    let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
                    if list.is_empty() {
                        format!("{raw} IS NOT NULL")
                    } else {
                        format!("{raw} IS NOT NULL AND {raw} NOT IN ({})", list.join(", "))
                    }
                }
                CheckKind::Uscc => format!("ecstat_uscc_problem({raw}) IS NOT NULL"),
                CheckKind::Equals(other) => {
                    let other = ident(other);
                    format!("{raw} IS NOT NULL AND {other} IS NOT NULL AND {raw} <> {other}")
                }
                // `raw` is 'YYYY-MM'; the period is 'YYYY' or 'YYYYQn'.
                CheckKind::InPeriod(other) => {
                    let p = format!("CAST({} AS VARCHAR)", ident(other));
                    format!(
                        "{raw} IS NOT NULL AND {p} IS NOT NULL AND NOT (substr({raw}, 1, 4) = substr({p}, 1, 4) \
                         AND (length({p}) = 4 OR CAST(substr({p}, 6, 1) AS INT) = \
                         (CAST(substr({raw}, 6, 2) AS INT) + 2) / 3))"
                    )
                }
            };
            let detail = match &kind {
                CheckKind::Uscc => format!("ecstat_uscc_problem({raw})"),
                CheckKind::Equals(other) => format!(
                    "concat('与 {other} 不一致：', CAST({} AS VARCHAR))",
                    ident(other)
                ),
                CheckKind::InPeriod(other) => {
                    format!("concat('文件报告期为 ', CAST({} AS VARCHAR))", ident(other))
                }
                _ => no_detail(),
            };
            checks.push(check(severity, condition, kind.rule(), detail));
        }
    }

    // File-level failures first: one is enough to reject the file, wherever it is.
    let errors: Vec<&Check> = checks
        .iter()
        .filter(|c| c.severity == Severity::File)
        .chain(checks.iter().filter(|c| c.severity == Severity::Row))
        .collect();
    let warnings: Vec<&Check> = checks
        .iter()
        .filter(|c| c.severity == Severity::Warn)
        .collect();
    let case = |list: &[&Check], pick: &dyn Fn(&Check) -> String| -> String {
        if list.is_empty() {
            return "CAST(NULL AS VARCHAR)".into();
        }
        let whens: Vec<String> = list
            .iter()
            .map(|c| format!("WHEN {} THEN {}", c.condition, pick(c)))
            .collect();
        format!("CASE {} END", whens.join(" "))
    };
    let mut out = vec![
        format!("{} AS source", quote(&spec.name)),
        format!("{} AS file_sha256", quote(file_sha256)),
        "_row AS source_row".to_string(),
    ];
    out.extend(spec.columns.iter().map(|c| ident(&c.name)));
    let key = if spec.replace_by.is_empty() {
        "'all'".to_string()
    } else {
        let parts: Vec<String> = spec
            .replace_by
            .iter()
            .map(|k| format!("COALESCE(CAST({} AS VARCHAR), 'null')", ident(k)))
            .collect();
        format!("concat_ws('_', {})", parts.join(", "))
    };
    out.push(format!("{key} AS _key"));
    for (prefix, list) in [("_reject", &errors), ("_warn", &warnings)] {
        out.push(format!(
            "{} AS {prefix}_rule",
            case(list, &|c| quote(c.rule))
        ));
        out.push(format!(
            "{} AS {prefix}_column",
            case(list, &|c| quote(&c.column))
        ));
        out.push(format!(
            "{} AS {prefix}_value",
            case(list, &|c| c.value.clone())
        ));
        out.push(format!(
            "{} AS {prefix}_detail",
            case(list, &|c| c.detail.clone())
        ));
    }
    out.push(format!(
        "{} AS _reject_severity",
        case(&errors, &|c| quote(c.severity.as_str()))
    ));
    Ok(format!(
        "WITH parsed AS (\n  SELECT {}\n  FROM raw\n)\nSELECT\n  {}\nFROM parsed",
        parsed.join(",\n    "),
        out.join(",\n  ")
    ))
}

/// A range bound as a SQL literal of the column's type.
fn number(value: f64, column: &ColumnSpec) -> String {
    match column.value_type {
        ValueType::Integer => format!("{value}"),
        _ => format!("CAST({value} AS DECIMAL(38,4))"),
    }
}
