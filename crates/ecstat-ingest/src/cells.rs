//! The cell functions of records sources (`ecstat_date`, `ecstat_township`, …): thin SQL
//! wrappers around the parsing rules of `ecstat-core`. Each returns NULL where a value
//! cannot be read; the generated SQL tells "empty" from "unreadable" and names the rule.

use std::sync::Arc;

use arrow::datatypes::DataType;
use chrono::NaiveDate;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;
use ecstat_core::datetime::{format_month, parse_date, parse_month};
use ecstat_core::division::{Divisions, Resolution};
use ecstat_core::text::{clean_cell, fold_width};
use ecstat_core::values::{normalize_list, parse_bool, parse_decimal4};
use ecstat_core::{id_number, uscc};
use sha2::{Digest, Sha256};

use crate::udf::{Cell, DECIMAL, TextFn};

/// What the records functions need beyond the text: the division reference, and the salt
/// that ID numbers are hashed with (kept in the data directory, never in the warehouse).
#[derive(Clone)]
pub struct RecordEnv {
    pub divisions: Arc<Divisions>,
    /// Identifies the division reference (a hash of its file), for re-reading decisions.
    pub divisions_digest: String,
    pub salt: Arc<Vec<u8>>,
}

impl std::fmt::Debug for RecordEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordEnv").finish_non_exhaustive()
    }
}

/// A cleaned, width-folded cell, or None when empty.
fn clean(raw: Option<&str>) -> Option<String> {
    let cell = clean_cell(raw?)?;
    let folded = fold_width(cell);
    let trimmed = folded.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// Longest text resolved as a division. The longest real name, with province, county and
/// township written out, is some 25 characters; the search for the closest names costs the
/// product of the lengths for every village, so a cell of a megabyte would take seconds a
/// row. Longer text resolves to nothing, with no names offered.
pub const MAX_DIVISION_CHARS: usize = 64;

/// `raw` as a division name to resolve, or None when it is too long to be one.
fn division_name(raw: Option<&str>) -> Option<String> {
    clean(raw).filter(|s| s.chars().count() <= MAX_DIVISION_CHARS)
}

fn text(value: Option<String>) -> Cell {
    value.map_or(Cell::Null, Cell::Text)
}

/// Register the records functions on a session.
pub fn register(ctx: &SessionContext, env: &RecordEnv) {
    let utf8 = DataType::Utf8;
    let mut functions = vec![
        TextFn::new("ecstat_clean", 1, utf8.clone(), |a| text(clean(a[0]))),
        TextFn::new("ecstat_decimal", 1, DECIMAL, |a| {
            clean(a[0])
                .and_then(|s| parse_decimal4(&s))
                .map_or(Cell::Null, Cell::Decimal)
        }),
        TextFn::new("ecstat_date", 1, DataType::Date32, |a| {
            clean(a[0])
                .and_then(|s| parse_date(&s))
                .map_or(Cell::Null, |d| Cell::Date(days(d)))
        }),
        TextFn::new("ecstat_month", 1, utf8.clone(), |a| {
            text(
                clean(a[0])
                    .and_then(|s| parse_month(&s))
                    .map(|(y, m)| format_month(y, m)),
            )
        }),
        TextFn::new("ecstat_list", 1, utf8.clone(), |a| {
            text(clean(a[0]).and_then(|s| normalize_list(&s)))
        }),
        TextFn::new("ecstat_bool", 1, DataType::Boolean, |a| {
            clean(a[0])
                .and_then(|s| parse_bool(&s))
                .map_or(Cell::Null, Cell::Bool)
        }),
        TextFn::new("ecstat_uscc", 1, utf8.clone(), |a| {
            text(clean(a[0]).map(|s| uscc::normalize(&s)))
        }),
        TextFn::new("ecstat_uscc_problem", 1, utf8.clone(), |a| {
            text(clean(a[0]).and_then(|s| uscc::validate(&s).err().map(|e| e.to_string())))
        }),
        TextFn::new("ecstat_id_problem", 1, utf8.clone(), |a| {
            text(clean(a[0]).and_then(|s| id_number::validate(&s).err().map(|e| e.to_string())))
        }),
        TextFn::new("ecstat_id_mask", 1, utf8.clone(), |a| {
            text(clean(a[0]).map(|s| id_number::mask(&s)))
        }),
    ];
    let salt = env.salt.clone();
    functions.push(TextFn::new("ecstat_id_hash", 1, utf8.clone(), move |a| {
        text(clean(a[0]).map(|s| {
            let mut hasher = Sha256::new();
            hasher.update(salt.as_slice());
            hasher.update(id_number::normalize(&s).as_bytes());
            hex::encode(hasher.finalize())
        }))
    }));
    let divisions = env.divisions.clone();
    functions.push(TextFn::new("ecstat_township", 1, utf8.clone(), move |a| {
        text(division_name(a[0]).and_then(|s| found(divisions.township(&s))))
    }));
    let divisions = env.divisions.clone();
    functions.push(TextFn::new("ecstat_village", 2, utf8.clone(), move |a| {
        text(division_name(a[0]).and_then(|s| found(divisions.village(&s, a[1]))))
    }));
    let divisions = env.divisions.clone();
    functions.push(TextFn::new("ecstat_division_hint", 3, utf8, move |a| {
        text(clean(a[0]).map(|s| {
            let resolution = if s.chars().count() > MAX_DIVISION_CHARS {
                Resolution::NotFound(Vec::new())
            } else if a[1] == Some("village") {
                divisions.village(&s, a[2])
            } else {
                divisions.township(&s)
            };
            resolution.hint()
        }))
    }));
    for f in functions {
        ctx.register_udf(ScalarUDF::from(f));
    }
}

fn found(resolution: Resolution) -> Option<String> {
    match resolution {
        Resolution::Found(code) => Some(code),
        _ => None,
    }
}

fn days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_too_long_for_a_division_is_not_looked_up() {
        assert_eq!(division_name(Some(" 湖头镇 ")).as_deref(), Some("湖头镇"));
        let longest = "湖".repeat(MAX_DIVISION_CHARS);
        assert_eq!(division_name(Some(&longest)), Some(longest.clone()));
        assert_eq!(division_name(Some(&format!("{longest}镇"))), None);
    }
}
