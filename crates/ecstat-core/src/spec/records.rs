//! Department and provincial-platform sources (`kind = "records"`): registers, ledgers,
//! monthly reports. Unlike order exports their columns are not fixed by ecstat: the spec
//! declares each staged column — where it comes from, its type and unit, and the checks it
//! must pass, dbt-style — so a new department file is a new spec, not new code.

use std::path::Path;

use serde::Deserialize;

use crate::amount::{AmountUnit, Rounding};
use crate::encoding::EncodingSpec;
use crate::{CoreError, Result};

use super::{FileFormat, Formats};

/// What a column holds once parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// Trimmed text, full-width letters and digits folded to ASCII.
    Text,
    Integer,
    /// A non-money number (area, share), `Decimal128(18,4)`.
    Decimal,
    /// Money in yuan, `Decimal128(18,2)`, converted from the column's (or spec's) unit.
    Amount,
    /// A calendar date: 2018-03-15, 2018/3/15, 2018年3月15日, 20180315, Excel serial days.
    Date,
    /// A month, stored `YYYY-MM`: 2018年3月, 201803, 2018-03, or any date.
    Month,
    /// A township name or code, stored as its 12-digit division code.
    Township,
    /// A village name or code, stored as its 12-digit code; resolved within the township
    /// column named by `within` when the spec gives one.
    Village,
    /// A 统一社会信用代码, normalised (upper case, ASCII); see the `uscc` check.
    Uscc,
    /// A personal ID number, stored only as a salted SHA-256 (统计法: no raw ID numbers).
    IdHash,
    /// A list written with 、，,；; separators, stored with `、`.
    List,
    /// 是/否, Y/N, true/false, 1/0, 有/无.
    Boolean,
}

impl ValueType {
    /// The rule a value that does not parse as this type is quarantined under.
    pub fn parse_rule(self) -> Option<&'static str> {
        match self {
            ValueType::Text | ValueType::List | ValueType::IdHash => None,
            ValueType::Integer => Some("unparseable_integer"),
            ValueType::Decimal => Some("unparseable_number"),
            ValueType::Amount => Some("unparseable_amount"),
            ValueType::Date => Some("unparseable_date"),
            ValueType::Month => Some("unparseable_month"),
            ValueType::Township | ValueType::Village => Some("unknown_division"),
            ValueType::Uscc => None,
            ValueType::Boolean => Some("unparseable_boolean"),
        }
    }
}

/// What happens to a row, or the file, when a check fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The row goes to quarantine; the rest of the file is loaded.
    #[default]
    Row,
    /// The whole file is rejected (nothing of it is loaded) and the submitter told why.
    File,
    /// Reported in the quarantine listing and the feedback report; the row is loaded.
    Warn,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Row => "row",
            Severity::File => "file",
            Severity::Warn => "warn",
        }
    }
}

/// An inclusive numeric range; either end may be open.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// One check of a column, as written in the spec: exactly one kind per entry.
///
/// ```toml
/// checks = [
///   { accepted_values = ["企业", "个体工商户", "农民专业合作社"] },
///   { range = { min = 0, max = 100000 }, severity = "warn" },
///   { regex = "^[0-9]{6}$" },
///   { relationship = "ref_platforms.platform" },
///   { unique = true, severity = "file" },
///   { unique = true, with = ["month"] },      # the pair (this column, month) is unique
///   { uscc = true },
/// ]
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    #[serde(default)]
    pub not_null: bool,
    #[serde(default)]
    pub unique: bool,
    /// With `unique`: the other columns that, with this one, identify a row.
    pub with: Option<Vec<String>>,
    pub accepted_values: Option<Vec<String>>,
    pub range: Option<Range>,
    pub regex: Option<String>,
    /// `reference_table.column`: the value must be one of that column's values.
    pub relationship: Option<String>,
    /// GB 32100-2015 check character of a 统一社会信用代码.
    #[serde(default)]
    pub uscc: bool,
    /// Another column this one must equal when both are present (the township in a
    /// report's title and the one in its file name).
    pub equals: Option<String>,
    /// For a `month` column: the column naming the period the file reports (a year
    /// `2019` or a quarter `2019Q2`) that the month must lie in.
    pub in_period: Option<String>,
    #[serde(default)]
    pub severity: Severity,
}

/// A check, once validated.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    NotNull,
    /// This column, with the named others, identifies a row within a file.
    Unique(Vec<String>),
    AcceptedValues(Vec<String>),
    Range(Range),
    Regex(String),
    Relationship {
        table: String,
        column: String,
    },
    Uscc,
    /// Equal to another column where both are present.
    Equals(String),
    /// A month within the year or quarter another column names.
    InPeriod(String),
}

impl CheckKind {
    /// The quarantine rule name of a failure.
    pub fn rule(&self) -> &'static str {
        match self {
            CheckKind::NotNull => "missing_value",
            CheckKind::Unique(_) => "duplicate_value",
            CheckKind::AcceptedValues(_) => "not_accepted_value",
            CheckKind::Range(_) => "out_of_range",
            CheckKind::Regex(_) => "pattern_mismatch",
            CheckKind::Relationship { .. } => "unknown_reference",
            CheckKind::Uscc => "invalid_uscc",
            CheckKind::Equals(_) => "inconsistent_value",
            CheckKind::InPeriod(_) => "outside_period",
        }
    }
}

impl CheckSpec {
    /// The one kind this entry declares.
    pub fn kind(&self) -> Result<CheckKind, String> {
        let mut kinds = Vec::new();
        if self.not_null {
            kinds.push(CheckKind::NotNull);
        }
        if self.unique {
            kinds.push(CheckKind::Unique(self.with.clone().unwrap_or_default()));
        } else if self.with.is_some() {
            return Err("`with` goes with `unique = true`".into());
        }
        if let Some(values) = &self.accepted_values {
            kinds.push(CheckKind::AcceptedValues(values.clone()));
        }
        if let Some(range) = &self.range {
            kinds.push(CheckKind::Range(range.clone()));
        }
        if let Some(regex) = &self.regex {
            kinds.push(CheckKind::Regex(regex.clone()));
        }
        if let Some(rel) = &self.relationship {
            let (table, column) = rel.split_once('.').ok_or_else(|| {
                format!("relationship `{rel}` must be written reference_table.column")
            })?;
            kinds.push(CheckKind::Relationship {
                table: table.to_string(),
                column: column.to_string(),
            });
        }
        if self.uscc {
            kinds.push(CheckKind::Uscc);
        }
        if let Some(other) = &self.equals {
            kinds.push(CheckKind::Equals(other.clone()));
        }
        if let Some(other) = &self.in_period {
            kinds.push(CheckKind::InPeriod(other.clone()));
        }
        match kinds.len() {
            1 => Ok(kinds.remove(0)),
            0 => Err(
                "a check must name one kind: not_null, unique, accepted_values, range, \
                 regex, relationship or uscc"
                    .into(),
            ),
            _ => Err("a check entry names more than one kind; write one entry per check".into()),
        }
    }
}

/// Where a value is found outside the table body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFieldFrom {
    /// The file name (without folders).
    FileName,
    /// The title rows above the header (all their cells, in order).
    Title,
    /// The folder the file sits in, relative to the inbox: its folder names joined by `/`
    /// (`platforms/拼多多/350524_安溪铁观音旗舰店`), so a pattern can take a shop from the folder a
    /// submitter's files are put in — the same wherever the inbox is mounted.
    Folder,
}

/// A value that is the same for every row of a file: a township report names its
/// township and month in the title (`填报单位：湖头镇  2019年3月`), not in a column.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileField {
    pub from: FileFieldFrom,
    /// A regular expression; its first capture group is the value.
    pub pattern: String,
}

/// One staged column.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Staged column name (snake_case; money columns end in `_yuan` by convention).
    pub name: String,
    /// Header texts that mean this column (matched after trimming and folding full-width
    /// brackets). A two-row header is written `上行/下行`, e.g. `网络零售额(万元)/本月`.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Instead of headers: a value taken from the file name or the title rows.
    pub file_field: Option<FileField>,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    /// A file without the column is rejected; a row with it empty is quarantined.
    #[serde(default)]
    pub required: bool,
    pub description: String,
    /// Unit of an `amount` column when it differs from the spec's `amount_unit`.
    pub unit: Option<AmountUnit>,
    /// For `village`: the township column the village must lie in.
    pub within: Option<String>,
    /// For `text`: canonical value → the spellings that mean it (`淘宝/天猫` = [`淘宝`,
    /// `天猫`]), applied before the checks. Values not listed are kept as written.
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub checks: Vec<CheckSpec>,
}

impl ColumnSpec {
    /// Its checks, validated (a `required` column has an implicit row-level not_null).
    pub fn checks(&self) -> Vec<(CheckKind, Severity)> {
        let mut out: Vec<(CheckKind, Severity)> = self
            .checks
            .iter()
            .filter_map(|c| c.kind().ok().map(|k| (k, c.severity)))
            .collect();
        if self.required && !out.iter().any(|(k, _)| *k == CheckKind::NotNull) {
            out.insert(0, (CheckKind::NotNull, Severity::Row));
        }
        out
    }
}

/// A records source spec, as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSpec {
    /// Always `records` (`orders` specs are [`super::OrderSpec`]).
    pub kind: String,
    /// Short id, also the spec's file stem; recorded on every staged row.
    pub name: String,
    pub description: String,
    /// The department that submits these files (市场监管局, 商务局, …): named in feedback.
    pub department: String,
    /// Staged table the rows go to.
    pub table: String,
    /// File-name patterns relative to the inbox; `*` and `?` match within one name.
    pub files: Vec<String>,
    pub format: Formats,
    #[serde(default)]
    pub encoding: EncodingSpec,
    /// Sheet to read (xlsx); the first sheet when absent.
    pub sheet: Option<String>,
    /// 1-based row number of the (last) header row; rows above it are titles.
    #[serde(default = "one")]
    pub header_row: usize,
    /// Rows the header spans, ending at `header_row` (2 for a merged two-level header).
    #[serde(default = "one")]
    pub header_rows: usize,
    /// A row whose first non-empty cell starts with one of these ends the data (合计, 填报人…).
    #[serde(default)]
    pub footer_markers: Vec<String>,
    /// JSON: dotted path to the array of records (`data.list`).
    pub json_records: Option<String>,
    /// Unit of `amount` columns unless a column says otherwise.
    #[serde(default = "yuan")]
    pub amount_unit: AmountUnit,
    /// What an amount finer than one fen does: quarantine the row (`exact`, the default)
    /// or round it (`half_up`).
    #[serde(default)]
    pub amount_rounding: Rounding,
    /// Columns whose values name what a submission covers — file fields, taken from the
    /// file name or title. A later file with the same values replaces the earlier one's
    /// rows (a corrected report for 湖头镇 2019-03 replaces the first one). Empty: every
    /// file is the whole register, the latest wins.
    #[serde(default)]
    pub replace_by: Vec<String>,
    pub columns: Vec<ColumnSpec>,
}

fn one() -> usize {
    1
}

fn yuan() -> AmountUnit {
    AmountUnit::Yuan
}

impl RecordSpec {
    pub fn load(path: &Path) -> Result<Self> {
        let spec: RecordSpec = crate::config::load_toml(path)?;
        spec.validate().map_err(|message| CoreError::Config {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(spec)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.kind != "records" {
            return Err(format!("kind must be `records`, not `{}`", self.kind));
        }
        if !is_identifier(&self.table) || self.table == "orders" {
            return Err(format!(
                "table `{}` must be a lower-case identifier other than `orders`",
                self.table
            ));
        }
        if self.header_row == 0 || self.header_rows == 0 || self.header_rows > self.header_row {
            return Err("header_row is 1-based and header_rows (≥1) must fit above it".into());
        }
        if self.files.is_empty() {
            return Err("files must list at least one pattern".into());
        }
        if self.format.contains(FileFormat::Json) && self.json_records.is_none() {
            return Err("a json source needs json_records (the path to the array)".into());
        }
        if self.columns.is_empty() {
            return Err("a records source needs at least one [[columns]] entry".into());
        }
        let mut seen = Vec::new();
        for column in &self.columns {
            let name = &column.name;
            if !is_identifier(name) || name.starts_with('_') || RESERVED.contains(&name.as_str()) {
                return Err(format!(
                    "column `{name}`: names are lower-case identifiers, not starting with `_`, \
                     and not one of {}",
                    RESERVED.join(", ")
                ));
            }
            if seen.contains(&name) {
                return Err(format!("column `{name}` is declared twice"));
            }
            seen.push(name);
            match (&column.file_field, column.headers.is_empty()) {
                (Some(_), false) => {
                    return Err(format!(
                        "column `{name}` has both headers and file_field; give one"
                    ));
                }
                (None, true) => {
                    return Err(format!("column `{name}` needs headers (or a file_field)"));
                }
                (Some(field), true) => {
                    // Compiled here, so a broken pattern fails when the spec loads, not as a
                    // "missing value" in every file.
                    let re = regex::Regex::new(&field.pattern)
                        .map_err(|e| format!("column `{name}`: file_field pattern: {e}"))?;
                    if re.captures_len() < 2 {
                        return Err(format!(
                            "column `{name}`: file_field pattern needs a capture group ( … )"
                        ));
                    }
                }
                (None, false) => {}
            }
            for check in &column.checks {
                let kind = check.kind().map_err(|e| format!("column `{name}`: {e}"))?;
                if let CheckKind::Unique(with) = &kind
                    && let Some(other) = with.iter().find(|w| self.column(w).is_none())
                {
                    return Err(format!(
                        "column `{name}`: unique with `{other}`, which is not a column"
                    ));
                }
                if let CheckKind::Regex(pattern) = &kind {
                    regex::Regex::new(pattern)
                        .map_err(|e| format!("column `{name}`: regex check: {e}"))?;
                }
                if let CheckKind::InPeriod(_) = &kind
                    && column.value_type != ValueType::Month
                {
                    return Err(format!(
                        "column `{name}`: in_period applies to month columns"
                    ));
                }
                if let CheckKind::Equals(other) | CheckKind::InPeriod(other) = &kind
                    && self.column(other).is_none()
                {
                    return Err(format!(
                        "column `{name}`: equals `{other}`, which is not a column"
                    ));
                }
                if kind == CheckKind::Uscc && column.value_type != ValueType::Uscc {
                    return Err(format!(
                        "column `{name}`: the uscc check needs type = \"uscc\""
                    ));
                }
                if matches!(kind, CheckKind::Range(_))
                    && !matches!(
                        column.value_type,
                        ValueType::Integer | ValueType::Decimal | ValueType::Amount
                    )
                {
                    return Err(format!("column `{name}`: range applies to numbers only"));
                }
            }
            if !column.values.is_empty() && column.value_type != ValueType::Text {
                return Err(format!(
                    "column `{name}`: values applies to text columns only"
                ));
            }
            if column.unit.is_some() && column.value_type != ValueType::Amount {
                return Err(format!(
                    "column `{name}`: unit applies to amount columns only"
                ));
            }
            match (&column.within, column.value_type) {
                (Some(within), ValueType::Village) => {
                    let ok = self
                        .columns
                        .iter()
                        .any(|c| &c.name == within && c.value_type == ValueType::Township);
                    if !ok {
                        return Err(format!(
                            "column `{name}`: within = `{within}` must name a township column"
                        ));
                    }
                }
                (Some(_), _) => {
                    return Err(format!(
                        "column `{name}`: within applies to village columns"
                    ));
                }
                (None, _) => {}
            }
        }
        // What a submission covers is declared by the file (its name or title), never
        // inferred from its rows: one mistyped month in a row must not make the file replace
        // that month of another submission.
        for key in &self.replace_by {
            match self.columns.iter().find(|c| &c.name == key) {
                None => return Err(format!("replace_by names `{key}`, which is not a column")),
                Some(c) if c.file_field.is_none() => {
                    return Err(format!(
                        "replace_by names `{key}`, a column of the rows; it must be a file_field \
                         (from the file name or title), so one mistyped row cannot replace \
                         another submission's period"
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Column names every staged records table carries before the spec's own.
pub const RESERVED: &[&str] = &["source", "file_sha256", "source_row"];

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        kind = "records"
        name = "reg"
        description = "d"
        department = "市场监管局"
        table = "registrations"
        files = ["*.xlsx"]
        format = "xlsx"
        [[columns]]
        name = "uscc"
        headers = ["统一社会信用代码"]
        type = "uscc"
        required = true
        description = "code"
        checks = [{ uscc = true }, { unique = true, severity = "file" }]
        [[columns]]
        name = "township_code"
        headers = ["所属乡镇"]
        type = "township"
        description = "t"
    "#;

    fn check(text: &str) -> Result<RecordSpec, String> {
        let spec: RecordSpec = toml::from_str(text).map_err(|e| e.to_string())?;
        spec.validate()?;
        Ok(spec)
    }

    #[test]
    fn minimal_spec_is_valid() {
        let spec = check(MINIMAL).expect("valid");
        let checks = spec.columns[0].checks();
        assert_eq!(checks[0], (CheckKind::NotNull, Severity::Row));
        assert_eq!(checks[1], (CheckKind::Uscc, Severity::Row));
        assert_eq!(checks[2], (CheckKind::Unique(Vec::new()), Severity::File));
    }

    #[test]
    fn mistakes_are_named() {
        let err = check(&MINIMAL.replace("{ uscc = true }", "{ uscc = true, unique = true }"))
            .unwrap_err();
        assert!(err.contains("more than one kind"), "{err}");
        let err = check(&MINIMAL.replace("type = \"uscc\"", "type = \"text\"")).unwrap_err();
        assert!(err.contains("uscc check"), "{err}");
        let err =
            check(&MINIMAL.replace("table = \"registrations\"", "table = \"Reg-2\"")).unwrap_err();
        assert!(err.contains("identifier"), "{err}");
        let err =
            check(&MINIMAL.replace("name = \"township_code\"", "name = \"uscc\"")).unwrap_err();
        assert!(err.contains("twice"), "{err}");
        let err = check(&MINIMAL.replace(
            "format = \"xlsx\"",
            "format = \"xlsx\"\nreplace_by = [\"month\"]",
        ))
        .unwrap_err();
        assert!(err.contains("month"), "{err}");
        let err = check(&MINIMAL.replace(
            "format = \"xlsx\"",
            "format = \"xlsx\"\nreplace_by = [\"township_code\"]",
        ))
        .unwrap_err();
        assert!(err.contains("file_field"), "{err}");
        let err =
            check(&MINIMAL.replace("severity = \"file\"", "severity = \"fatal\"")).unwrap_err();
        assert!(err.contains("fatal"), "{err}");
        let err =
            check(&MINIMAL.replace("{ uscc = true }", "{ uscc = true }, { regex = \"[0-9\" }"))
                .unwrap_err();
        assert!(err.contains("regex check"), "{err}");
    }
}
