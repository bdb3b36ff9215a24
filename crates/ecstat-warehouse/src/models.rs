//! SQL models (`pipelines/models/NAME.sql` + `NAME.toml`): one table each, run in the order
//! their table references imply, like a dbt project. The `.toml` documents the grain and
//! columns and carries the model's tests.

use ecstat_core::sql::literal as quote;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use datafusion::config::Dialect;
use datafusion::prelude::SessionContext;
use serde::Deserialize;

use crate::{Result, WarehouseError};

/// A model's documentation and tests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDoc {
    pub description: String,
    /// "one row per …"
    pub grain: String,
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnDoc>,
    /// Table-level tests: a failure withholds the snapshot.
    #[serde(default)]
    pub tests: Vec<TableTest>,
    /// Table-level checks that should hold: a failure is reported with its rows, and the
    /// snapshot is published (a finding about the data, not a broken build).
    #[serde(default)]
    pub warnings: Vec<TableTest>,
    /// A calendar or code list that figures join to but do not come from (dim_month spans
    /// every source's months): lineage does not follow it to the sources it reads.
    #[serde(default)]
    pub calendar: bool,
    /// Enterprise- or person-level rows (统计法): analysts may query them, but writing
    /// them out (`query --format csv|json`) needs `--confidential`.
    #[serde(default)]
    pub confidential: bool,
    /// Build the model one month at a time: the column (of its output) that holds the
    /// month. Each month reads only that month of the partitioned tables it reads (staged
    /// orders, other partitioned models) and all of every other table; its tests run on the
    /// month; a month whose inputs are unchanged since the snapshot before is reused.
    #[serde(default)]
    pub partition_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDoc {
    pub description: String,
    #[serde(default)]
    pub tests: Vec<ColumnTest>,
}

/// dbt-style column tests.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ColumnTest {
    NotNull,
    Unique,
    AcceptedValues(Vec<String>),
    /// `table.column` that every non-null value must exist in.
    Relationships(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TableTest {
    /// These columns together identify a row.
    UniqueCombination(Vec<String>),
    /// A boolean SQL expression that must hold on every row.
    Expression(String),
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub sql: String,
    pub path: PathBuf,
    pub doc: ModelDoc,
    /// Models this one reads (found from its SQL's table references).
    pub depends_on: BTreeSet<String>,
    /// Every table its SQL reads: models, staged source tables and reference tables.
    pub reads: BTreeSet<String>,
}

/// The tables a query reads (not its CTEs).
pub fn table_references(
    ctx: &SessionContext,
    sql: &str,
) -> datafusion::error::Result<BTreeSet<String>> {
    let state = ctx.state();
    let statement = state.sql_to_statement(sql, &Dialect::Generic)?;
    Ok(state
        .resolve_table_references(&statement)?
        .iter()
        .map(|r| r.table().to_string())
        .collect())
}

/// The tables that are not models which `tables` read, directly or through models (not
/// through calendars): the staged sources and reference tables behind them.
pub fn upstream_sources(models: &[Model], tables: &BTreeSet<String>) -> BTreeSet<String> {
    let by_name: BTreeMap<&str, &Model> = models.iter().map(|m| (m.name.as_str(), m)).collect();
    let mut todo: Vec<&str> = tables.iter().map(String::as_str).collect();
    let mut seen = BTreeSet::new();
    let mut sources = BTreeSet::new();
    while let Some(t) = todo.pop() {
        if !seen.insert(t) {
            continue;
        }
        match by_name.get(t) {
            Some(m) if m.doc.calendar => {}
            Some(m) => todo.extend(m.reads.iter().map(String::as_str)),
            None => {
                sources.insert(t.to_string());
            }
        }
    }
    sources
}

/// The models a selector names, in build order: `NAME` is the model alone, `NAME+` the model
/// and every model that depends on it, directly or not (dbt's graph operator).
pub fn select<'m>(ordered: &'m [Model], selector: &str) -> Result<Vec<&'m Model>> {
    let (name, downstream) = match selector.strip_suffix('+') {
        Some(name) => (name, true),
        None => (selector, false),
    };
    if !ordered.iter().any(|m| m.name == name) {
        let names: Vec<&str> = ordered.iter().map(|m| m.name.as_str()).collect();
        return Err(WarehouseError::Config {
            path: PathBuf::from(name),
            message: format!("no model `{name}`; models are: {}", names.join(", ")),
        });
    }
    let mut chosen: BTreeSet<&str> = BTreeSet::from([name]);
    // `ordered` is topological, so one pass in order reaches every descendant.
    if downstream {
        for model in ordered {
            if model.depends_on.iter().any(|d| chosen.contains(d.as_str())) {
                chosen.insert(&model.name);
            }
        }
    }
    Ok(ordered
        .iter()
        .filter(|m| chosen.contains(m.name.as_str()))
        .collect())
}

/// Load every model in `dir` and order them so each runs after the models it reads.
pub fn load(dir: &Path, ctx: &SessionContext) -> Result<Vec<Model>> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WarehouseError::Io { path, source }
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    paths.sort();
    let mut models = BTreeMap::new();
    for path in paths {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sql = std::fs::read_to_string(&path).map_err(io(&path))?;
        let doc_path = path.with_extension("toml");
        if !doc_path.is_file() {
            return Err(WarehouseError::Config {
                path: doc_path,
                message: format!("model `{name}` needs this file: its grain, columns and tests"),
            });
        }
        let doc: ModelDoc = ecstat_core::config::load_toml(&doc_path)?;
        models.insert(
            name.clone(),
            Model {
                name,
                sql,
                path,
                doc,
                depends_on: BTreeSet::new(),
                reads: BTreeSet::new(),
            },
        );
    }
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut reads: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let state = ctx.state();
    for model in models.values() {
        let statement = state
            .sql_to_statement(&model.sql, &Dialect::Generic)
            .map_err(|source| WarehouseError::Model {
                model: model.name.clone(),
                path: model.path.clone(),
                source,
            })?;
        let refs = state
            .resolve_table_references(&statement)
            .map_err(|source| WarehouseError::Model {
                model: model.name.clone(),
                path: model.path.clone(),
                source,
            })?;
        let names: BTreeSet<String> = refs
            .iter()
            .map(|r| r.table().to_string())
            .filter(|t| *t != model.name)
            .collect();
        reads.insert(model.name.clone(), names.clone());
        deps.insert(
            model.name.clone(),
            names
                .into_iter()
                .filter(|t| models.contains_key(t))
                .collect(),
        );
    }
    // Kahn's algorithm; ties broken by name so the order is stable.
    let mut ordered = Vec::with_capacity(models.len());
    let mut done: BTreeSet<String> = BTreeSet::new();
    let total = models.len();
    while done.len() < total {
        let ready: Vec<String> = deps
            .iter()
            .filter(|(name, d)| !done.contains(*name) && d.iter().all(|x| done.contains(x)))
            .map(|(name, _)| name.clone())
            .collect();
        if ready.is_empty() {
            let rest: Vec<_> = deps
                .keys()
                .filter(|n| !done.contains(*n))
                .cloned()
                .collect();
            return Err(WarehouseError::Cycle(rest.join(", ")));
        }
        for name in ready {
            done.insert(name.clone());
            if let Some(mut model) = models.remove(&name) {
                model.depends_on = deps.get(&name).cloned().unwrap_or_default();
                model.reads = reads.remove(&name).unwrap_or_default();
                ordered.push(model);
            }
        }
    }
    Ok(ordered)
}

/// One check of a model test as SQL selecting the rows that break it (for unique tests, the
/// repeated values with their count).
#[derive(Debug, Clone)]
pub struct TestQuery {
    pub model: String,
    pub name: String,
    pub failing_sql: String,
    /// For a check of each row on its own (not_null, accepted_values, expression): the
    /// condition that selects a failing row, so the checks of a table can be counted
    /// together in one pass over it.
    pub row_condition: Option<String>,
    /// A `[[warnings]]` check: reported, never withholds the snapshot.
    pub warning: bool,
}

impl TestQuery {
    /// The number of failing rows.
    pub fn count_sql(&self) -> String {
        format!("SELECT count(*) FROM ({}) AS failing", self.failing_sql)
    }

    /// A few failing rows, to show.
    pub fn sample_sql(&self, limit: usize) -> String {
        format!("{} LIMIT {limit}", self.failing_sql)
    }
}

/// The tests of `model`, as queries of their failing rows.
pub fn test_queries(model: &Model) -> Vec<TestQuery> {
    let t = &model.name;
    let mut out = Vec::new();
    // A test counted from its own query of failing rows.
    let mut add = |name: String, failing_sql: String, row_condition: Option<String>| {
        out.push(TestQuery {
            model: t.clone(),
            name,
            failing_sql,
            row_condition,
            warning: false,
        })
    };
    // A condition on each row: its failing rows are the rows it selects.
    let rows = |condition: String| {
        (
            format!("SELECT * FROM {t} WHERE {condition}"),
            Some(condition),
        )
    };
    for (column, doc) in &model.doc.columns {
        for test in &doc.tests {
            match test {
                ColumnTest::NotNull => {
                    let (sql, condition) = rows(format!("{column} IS NULL"));
                    add(format!("not_null({column})"), sql, condition)
                }
                ColumnTest::Unique => add(
                    format!("unique({column})"),
                    format!(
                        "SELECT {column}, count(*) AS occurrences FROM {t} WHERE {column} IS NOT NULL GROUP BY {column} HAVING count(*) > 1"
                    ),
                    None,
                ),
                ColumnTest::AcceptedValues(values) => {
                    let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
                    let (sql, condition) = rows(format!("{column} NOT IN ({})", list.join(", ")));
                    add(format!("accepted_values({column})"), sql, condition)
                }
                ColumnTest::Relationships(target) => {
                    let (table, col) = target
                        .split_once('.')
                        .unwrap_or((target.as_str(), column.as_str()));
                    add(
                        format!("relationships({column} -> {target})"),
                        format!(
                            "SELECT * FROM {t} WHERE {column} IS NOT NULL AND {column} NOT IN (SELECT {col} FROM {table} WHERE {col} IS NOT NULL)"
                        ),
                        None,
                    )
                }
            }
        }
    }
    let tests = model.doc.tests.iter().map(|t| (t, false));
    let warnings = model.doc.warnings.iter().map(|t| (t, true));
    for (test, warning) in tests.chain(warnings) {
        let (name, failing_sql, row_condition) = match test {
            TableTest::UniqueCombination(columns) => {
                let cols = columns.join(", ");
                (
                    format!("unique_combination({cols})"),
                    format!(
                        "SELECT {cols}, count(*) AS occurrences FROM {t} GROUP BY {cols} HAVING count(*) > 1"
                    ),
                    None,
                )
            }
            TableTest::Expression(expr) => {
                let (sql, condition) = rows(format!("NOT ({expr}) OR ({expr}) IS NULL"));
                (format!("expression({expr})"), sql, condition)
            }
        };
        out.push(TestQuery {
            model: t.clone(),
            name,
            failing_sql,
            row_condition,
            warning,
        });
    }
    out
}

#[cfg(test)]
mod select_tests {
    use super::*;

    fn model(name: &str, deps: &[&str]) -> Model {
        Model {
            name: name.into(),
            sql: String::new(),
            path: PathBuf::from(format!("{name}.sql")),
            doc: ModelDoc {
                partition_by: None,
                description: String::new(),
                grain: String::new(),
                columns: BTreeMap::new(),
                tests: Vec::new(),
                warnings: Vec::new(),
                calendar: false,
                confidential: false,
            },
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            reads: deps.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn plus_selects_every_descendant_in_build_order() {
        // a → b → d, a → c, e alone
        let ordered = vec![
            model("a", &[]),
            model("e", &[]),
            model("b", &["a"]),
            model("c", &["a"]),
            model("d", &["b", "e"]),
        ];
        let names = |sel: &str| -> Vec<String> {
            select(&ordered, sel)
                .unwrap()
                .iter()
                .map(|m| m.name.clone())
                .collect()
        };
        assert_eq!(names("a+"), ["a", "b", "c", "d"]);
        assert_eq!(names("b+"), ["b", "d"]);
        assert_eq!(names("b"), ["b"]);
        assert_eq!(names("e+"), ["e", "d"]);
        assert!(select(&ordered, "zz+").is_err());
    }
}
