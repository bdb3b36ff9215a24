//! The reference pages `docs/reference/tables.md` and `indicators.md`, written from the
//! pipeline folder — the source specs, reference tables, model docs and indicator
//! catalogue — so the documentation cannot drift from what is built. Column types come from
//! planning every model over empty tables laid out as the specs say: no data directory is
//! needed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use ecstat_core::programme::Programme;
use ecstat_core::spec::{ColumnKind, ORDER_COLUMNS, SourceSpec, ValueType};
use ecstat_indicators::{Aggregate, CalendarSource, Comparison, Indicator, Measure, Ratio, Target};
use ecstat_warehouse::models::{Model, table_references, upstream_sources};

use crate::definitions::Definitions;
use crate::table_docs::{TableDoc, table_docs};
use crate::{PipelineError, Result};

/// The command that regenerates the checked-in pages.
pub const REGENERATE: &str = "ecstat docs --out docs/reference";

/// (file name, text) of every reference page.
pub async fn pages(
    pipelines: &Path,
    programme: &Programme,
    engine: &ecstat_engine::Engine,
) -> Result<Vec<(&'static str, String)>> {
    let pipeline = Definitions::load(pipelines)?;
    let layout = Layout::plan(pipelines, &pipeline, programme, engine).await?;
    let docs = table_docs(pipelines, &layout.ctx);
    Ok(vec![
        ("tables.md", tables_page(&pipeline, &layout, &docs)),
        (
            "indicators.md",
            indicators_page(&pipeline, &layout, programme)?,
        ),
    ])
}

/// Every table of a snapshot with its columns, found without data.
struct Layout {
    ctx: SessionContext,
    models: Vec<Model>,
    schemas: BTreeMap<String, SchemaRef>,
}

impl Layout {
    /// Register the tables a run starts from (system tables, staged sources, reference
    /// tables) empty, then plan each model in build order on them, and the catalogue on
    /// the models: the column types are those of a real run.
    async fn plan(
        dir: &Path,
        pipeline: &Definitions,
        programme: &Programme,
        engine: &ecstat_engine::Engine,
    ) -> Result<Self> {
        let ctx = ecstat_ingest::session(engine);
        let mut schemas: BTreeMap<String, SchemaRef> = BTreeMap::new();
        for (name, schema) in ecstat_warehouse::system_schemas()? {
            schemas.insert(name.to_string(), schema);
        }
        for spec in &pipeline.specs {
            if let Some((table, schema)) = crate::definitions::staged_layout(spec) {
                schemas.insert(table, schema);
            }
        }
        for table in &pipeline.references {
            schemas.insert(table.name.clone(), table.schema());
        }
        schemas.insert(
            ecstat_warehouse::PROGRAMME_TABLE.into(),
            ecstat_warehouse::programme_schema(),
        );
        for (name, schema) in &schemas {
            register_empty(&ctx, name, schema.clone())?;
        }
        let models = ecstat_warehouse::models::load(&dir.join("models"), &ctx)?;
        for model in &models {
            let df = ctx.sql(&model.sql).await.map_err(|e| {
                PipelineError::during(format!("planning model `{}`", model.name))(e.into())
            })?;
            let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
            register_empty(&ctx, &model.name, schema.clone())?;
            schemas.insert(model.name.clone(), schema);
        }
        let departments = pipeline
            .specs
            .iter()
            .map(|s| (s.table().to_string(), s.submitter().to_string()))
            .collect();
        let inputs = ecstat_indicators::Inputs {
            version: 0,
            data_as_of: None,
            departments: &departments,
            programme,
        };
        let results = ecstat_indicators::compute(&ctx, &pipeline.catalogue, &inputs)
            .await
            .map_err(|e| {
                PipelineError::during("planning the indicator catalogue (indicators.toml)")(
                    e.into(),
                )
            })?;
        schemas.insert(
            "ind_results".into(),
            Arc::new(results.schema().as_arrow().clone()),
        );
        schemas.insert("ind_lineage".into(), crate::lineage::batch(&[])?.schema());
        Ok(Self {
            ctx,
            models,
            schemas,
        })
    }

    /// The names of `names` that are tables (SQL also references table functions such
    /// as `generate_series`).
    fn tables(&self, names: &BTreeSet<String>) -> BTreeSet<String> {
        names
            .iter()
            .filter(|n| self.schemas.contains_key(*n))
            .cloned()
            .collect()
    }

    fn model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }
}

fn register_empty(ctx: &SessionContext, name: &str, schema: SchemaRef) -> Result<()> {
    ctx.deregister_table(name)?;
    ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![vec![]])?))?;
    Ok(())
}

const HEADER: &str = "<!-- Generated by `ecstat docs --out docs/reference` from pipelines/: do not edit by hand.\n     本页由 `ecstat docs` 根据 pipelines/ 生成，请勿手工修改。 -->\n";

/// Text for a Markdown table cell: one line, `|` escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn code_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    if items.is_empty() {
        "—".into()
    } else {
        items.join(", ")
    }
}

/// Anchor of a `## \`name\`` heading (GitHub style: lower case, `_` kept).
fn anchor(name: &str) -> String {
    name.to_lowercase()
}

/// Kinds of tables in page order, with their headings.
const KINDS: &[(&str, &str, &str)] = &[
    (
        "staged",
        "Staged source tables · 原始数据表（暂存）",
        "What the inbox files become after their source spec's parsing and checks: one table per `table` of `pipelines/sources/*.toml`. Rows of single enterprises or people.",
    ),
    (
        "reference",
        "Reference tables · 参照表",
        "Read from the reference folder (`run --reference`) on every run, as `pipelines/reference.toml` declares.",
    ),
    (
        "model",
        "Models · 模型表",
        "Built by the SQL of `pipelines/models/NAME.sql`, documented and tested by `NAME.toml`, in dependency order.",
    ),
    (
        "indicators",
        "Indicator tables · 指标表",
        "Computed from `pipelines/indicators.toml`; see [indicators.md](indicators.md).",
    ),
    (
        "system",
        "System tables · 系统表",
        "What the snapshot itself holds: its input files, quarantined rows and resubmissions.",
    ),
];

/// The unit a column's name (STYLE: units live in names) or its source type says.
fn unit_of(column: &str, amount: bool) -> &'static str {
    if column.ends_with("_yuan") || amount {
        "元"
    } else if column.ends_with("_pct") {
        "%"
    } else {
        ""
    }
}

/// Source table → the specs that feed it.
fn feeders(pipeline: &Definitions) -> BTreeMap<&str, Vec<&SourceSpec>> {
    let mut out: BTreeMap<&str, Vec<&SourceSpec>> = BTreeMap::new();
    for spec in &pipeline.specs {
        out.entry(spec.table()).or_default().push(spec.as_ref());
    }
    out
}

/// `table` (department, …) for a source table; reference tables say so.
fn source_label(table: &str, feeders: &BTreeMap<&str, Vec<&SourceSpec>>) -> String {
    match feeders.get(table) {
        Some(specs) => {
            let mut who: Vec<&str> = specs.iter().map(|s| s.submitter()).collect();
            who.sort();
            who.dedup();
            format!("`{table}` ({})", who.join("、"))
        }
        None if table.starts_with("ref_") => format!("`{table}` (reference 参照表)"),
        None if ecstat_warehouse::SYSTEM_TABLES.contains(&table) => {
            format!("`{table}` (system 系统表)")
        }
        None => format!("`{table}`"),
    }
}

fn tables_page(
    pipeline: &Definitions,
    layout: &Layout,
    docs: &BTreeMap<String, TableDoc>,
) -> String {
    let feeders = feeders(pipeline);
    let mut page = String::from(HEADER);
    page.push_str("\n# Warehouse tables · 数据仓库表\n\n");
    page.push_str(
        "Every table a snapshot holds, as `ecstat tables` lists them and `ecstat describe TABLE` \
         shows them: what it holds, its grain (粒度: what one row is), where it comes from, and \
         its columns with type, unit and description. Query them with `ecstat query` or \
         `ecstat sql` (see the [analyst guide](../guide.en.md) · [分析人员指南](../guide.zh.md)).\n\n\
         数据快照中的全部表：内容、粒度（一行代表什么）、来源，以及各列的类型、单位和说明。\n\n\
         - **confidential 涉密明细**: the table holds rows of single enterprises, shops or people \
         (统计法); analysts may query it, but `ecstat query --format csv|json` needs \
         `--confidential`. Published figures go through `ecstat export`, with disclosure control.\n\
         - **unit 单位**: from the column name (`_yuan` 元, `_pct` %) or the source spec's \
         `amount` type; money is `Decimal128(18,2)` yuan.\n\
         - **tests 检验**: the model's or spec's checks (a failing model test withholds the \
         snapshot; a failing source check quarantines the row, rejects the file or warns).\n\n",
    );
    let by_kind = |kind: &str| -> Vec<&String> {
        layout
            .schemas
            .keys()
            .filter(|t| docs.get(*t).map(|d| d.kind.as_str()) == Some(kind))
            .collect()
    };
    page.push_str("| table 表 | kind 类型 | grain 粒度 | confidential 涉密 |\n|---|---|---|---|\n");
    for (kind, _, _) in KINDS {
        for table in by_kind(kind) {
            let doc = &docs[table];
            let _ = writeln!(
                page,
                "| [`{table}`](#{}) | {kind} | {} | {} |",
                anchor(table),
                cell(&doc.grain),
                if doc.confidential {
                    "yes 是"
                } else {
                    "no 否"
                }
            );
        }
    }
    for (kind, heading, intro) in KINDS {
        let _ = write!(page, "\n## {heading}\n\n{intro}\n");
        for table in by_kind(kind) {
            table_section(&mut page, table, &docs[table], layout, pipeline, &feeders);
        }
    }
    page
}

fn table_section(
    page: &mut String,
    table: &str,
    doc: &TableDoc,
    layout: &Layout,
    pipeline: &Definitions,
    feeders: &BTreeMap<&str, Vec<&SourceSpec>>,
) {
    let _ = write!(page, "\n### `{table}`\n\n{}\n\n", cell(&doc.description));
    let _ = writeln!(page, "- grain 粒度: {}", cell(&doc.grain));
    let _ = writeln!(
        page,
        "- confidential 涉密明细: {}",
        if doc.confidential {
            "yes 是"
        } else {
            "no 否"
        }
    );
    let model = layout.model(table);
    match (doc.kind.as_str(), model) {
        ("model", Some(m)) => {
            let _ = writeln!(
                page,
                "- defined in 定义: `pipelines/models/{table}.sql`, `.toml`"
            );
            let reads = layout.tables(&m.reads);
            let _ = writeln!(
                page,
                "- reads 直接读取: {}",
                code_list(reads.iter().map(String::as_str))
            );
            let sources = layout.tables(&upstream_sources(&layout.models, &reads));
            let labels: Vec<String> = sources.iter().map(|s| source_label(s, feeders)).collect();
            let _ = writeln!(
                page,
                "- upstream sources 上游来源: {}",
                if labels.is_empty() {
                    "—".into()
                } else {
                    labels.join(", ")
                }
            );
            if m.doc.calendar {
                page.push_str(
                    "- calendar 日历表: figures join to it but do not come from it; lineage does not follow it\n",
                );
            }
            if let Some(column) = &m.doc.partition_by {
                let _ = writeln!(
                    page,
                    "- built by month 按月构建: one month of `{column}` at a time, from that \
                     month of the monthly tables it reads; a month whose inputs are unchanged \
                     is reused from the snapshot before"
                );
            }
        }
        ("staged", _) => {
            for spec in feeders.get(table).into_iter().flatten() {
                let _ = write!(
                    page,
                    "- fed by 数据来源: `pipelines/sources/{}.toml` ({}), files {}",
                    spec.name(),
                    cell(spec.submitter()),
                    code_list(spec.files().iter().map(String::as_str)),
                );
                match spec {
                    SourceSpec::Records(s) if !s.replace_by.is_empty() => {
                        let _ = writeln!(
                            page,
                            "; a later submission replaces by {}",
                            code_list(s.replace_by.iter().map(String::as_str))
                        );
                    }
                    SourceSpec::Records(_) => {
                        page.push_str("; a later file replaces the whole table\n")
                    }
                    SourceSpec::Orders(_) => {
                        page.push_str("; order lines reconciled in `stg_orders`\n")
                    }
                }
            }
        }
        ("reference", _) => {
            if let Some(r) = pipeline.references.iter().find(|r| r.name == table) {
                let _ = writeln!(
                    page,
                    "- defined in 定义: `pipelines/reference.toml`, file `{}` of the reference folder",
                    r.file
                );
            }
        }
        _ => page.push_str("- defined in 定义: written by ecstat\n"),
    }
    // Units of staged amount columns, which need not be named `_yuan`.
    let mut amounts: BTreeSet<&str> = BTreeSet::new();
    for spec in feeders.get(table).into_iter().flatten() {
        match spec {
            SourceSpec::Records(s) => amounts.extend(
                s.columns
                    .iter()
                    .filter(|c| c.value_type == ValueType::Amount)
                    .map(|c| c.name.as_str()),
            ),
            SourceSpec::Orders(_) => amounts.extend(
                ORDER_COLUMNS
                    .iter()
                    .filter(|c| matches!(c.kind, ColumnKind::Amount))
                    .map(|c| c.name),
            ),
        }
    }
    page.push_str(
        "\n| column 列 | type 类型 | unit 单位 | description 说明 | tests 检验 |\n|---|---|---|---|---|\n",
    );
    if let Some(schema) = layout.schemas.get(table) {
        for field in schema.fields() {
            let name = field.name();
            let (description, tests) = doc.columns.get(name).cloned().unwrap_or_default();
            let _ = writeln!(
                page,
                "| `{name}` | {} | {} | {} | {} |",
                field.data_type(),
                unit_of(name, amounts.contains(name.as_str())),
                cell(&description),
                cell(&tests)
            );
        }
    }
    if let Some(m) = model {
        let tests = m.doc.tests.iter().map(|t| (t, "test"));
        let warnings = m.doc.warnings.iter().map(|t| (t, "warning"));
        let all: Vec<_> = tests.chain(warnings).collect();
        if !all.is_empty() {
            page.push_str("\nTable tests 表级检验 (a failing `test` withholds the snapshot, a `warning` is reported):\n\n");
            for (test, kind) in all {
                let text = match test {
                    ecstat_warehouse::models::TableTest::UniqueCombination(cols) => {
                        format!("unique_combination({})", cols.join(", "))
                    }
                    ecstat_warehouse::models::TableTest::Expression(e) => {
                        format!(
                            "expression: {}",
                            e.split_whitespace().collect::<Vec<_>>().join(" ")
                        )
                    }
                };
                let _ = writeln!(page, "- {kind}: `{text}`");
            }
        }
    }
}

/// A target value without a needless `.0`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// (English, 中文) of a target.
fn target_text(t: &Target, ind: &Indicator, programme: &Programme) -> (String, String) {
    let start = programme.first_year();
    let baseline = programme.baseline_year;
    let (measure_en, measure_zh, unit) = match t.measure {
        Measure::Value => (
            "the value".to_string(),
            "指标值".to_string(),
            ind.unit.as_str(),
        ),
        Measure::YoyPct => ("YoY growth".into(), "同比增长率".into(), "%"),
        Measure::VsBaselinePct => (
            format!("growth over {baseline}"),
            format!("较{baseline}年增长率"),
            "%",
        ),
        Measure::ProgrammeTotal => (
            format!("total since January {start}"),
            format!("示范期累计（{start}年1月起）"),
            ind.unit.as_str(),
        ),
    };
    let sep = if unit == "%" { "" } else { " " };
    let (bound_en, bound_zh) = match (t.comparison, t.upper) {
        (Comparison::Between, Some(upper)) => (
            format!(
                "between {} and {}{sep}{unit}",
                number(t.value),
                number(upper)
            ),
            format!("介于{}至{}{unit}", number(t.value), number(upper)),
        ),
        (c, _) => {
            let zh = match c {
                Comparison::AtLeast => "不低于",
                Comparison::Above => "高于",
                Comparison::AtMost => "不高于",
                Comparison::Below => "低于",
                Comparison::Equal | Comparison::Between => "等于",
            };
            (
                format!("{} {}{sep}{unit}", c.symbol(), number(t.value)),
                format!("{zh}{}{unit}", number(t.value)),
            )
        }
    };
    let (years_en, years_zh) = match (t.from_year, t.to_year) {
        (None, None) => ("every year".to_string(), "各年".to_string()),
        (Some(f), None) => (format!("from {f}"), format!("{f}年起")),
        (None, Some(t)) => (format!("until {t}"), format!("至{t}年")),
        (Some(f), Some(t)) => (format!("{f}–{t}"), format!("{f}—{t}年")),
    };
    (
        format!(
            "{measure_en} (`{}`) {bound_en}, {years_en}",
            t.measure.code()
        ),
        format!("{measure_zh}{bound_zh}（{years_zh}）"),
    )
}

fn indicators_page(
    pipeline: &Definitions,
    layout: &Layout,
    programme: &Programme,
) -> Result<String> {
    let catalogue = &pipeline.catalogue;
    let feeders = feeders(pipeline);
    let mut page = String::from(HEADER);
    page.push_str("\n# Indicators · 指标\n\n");
    let _ = write!(
        page,
        "The indicator catalogue `pipelines/indicators.toml` (its header documents every field), \
         as `ecstat indicators --explain CODE` prints one indicator. Each indicator's SQL gives \
         monthly values; ecstat derives yearly, monthly and year-to-date (1–M月累计) values, YoY \
         (同比) growth and growth over the baseline year from the exact sums, and judges a target \
         on the county figure of each complete year (12 months of data in the year and in its \
         base year; otherwise 数据不足). Results are the table `ind_results` \
         ([tables.md](tables.md#ind_results)).\n\n\
         指标目录 `pipelines/indicators.toml`。每个指标的 SQL 给出月度值，ecstat 据此精确计算年度、月度、\
         1–M月累计值及同比、较基期年增长率，并按完整年度（本年及基期年均有12个月数据）以县级数值判定目标；\
         数据不完整时为“数据不足”。\n\n\
         - Baseline year 基期年: {baseline}\n\
         - Programme start 示范期起始年: {start}\n\
         - County code 县级区划代码: `{county}`\n\
         - Disclosure control 披露控制（统计法）: for an indicator with a contributor, a published \
         cell is suppressed (保密) when fewer than {min} entities contribute to it, or when what \
         remains after its two largest contributors is under {p}% of the largest (p% rule); \
         secondary suppression then hides further cells so that totals cannot give it away. \
         有贡献主体的指标，发布单元格贡献主体少于{min}个，或除最大两个外其余合计不足最大者的{p}%时，\
         该单元格保密（不显示数值），并做二次保密，使合计数无法反推。\n\n",
        baseline = programme.baseline_year,
        start = programme.first_year(),
        county = programme.county_code,
        min = catalogue.disclosure.min_contributors,
        p = catalogue.disclosure.p_percent,
    );
    page.push_str(
        "| code 代码 | 指标名称 | name | unit 单位 | target 目标 |\n|---|---|---|---|---|\n",
    );
    for ind in &catalogue.indicators {
        let target = ind
            .target
            .as_ref()
            .map(|t| target_text(t, ind, programme).1)
            .unwrap_or_else(|| "—（报告不考核）".into());
        let _ = writeln!(
            page,
            "| [`{}`](#{}) | {} | {} | {} | {} |",
            ind.code,
            anchor(&ind.code),
            cell(&ind.name_zh),
            cell(&ind.name_en),
            cell(&ind.unit),
            cell(&target)
        );
    }
    for ind in &catalogue.indicators {
        let _ = write!(
            page,
            "\n## `{}`\n\n**{}** · {}\n\n",
            ind.code,
            cell(&ind.name_zh),
            cell(&ind.name_en)
        );
        let _ = writeln!(
            page,
            "Definition and statistical caliber · 定义与统计口径: {}\n",
            cell(&ind.definition)
        );
        let _ = writeln!(page, "- unit 单位: {}", cell(&ind.unit));
        let _ = writeln!(
            page,
            "- aggregate 汇总方式: {}",
            match ind.aggregate {
                Aggregate::Sum => "`sum` — a flow: the months add up to the year · 流量，月度相加",
                Aggregate::Last => {
                    "`last` — a stock: the year is its value at the year's last month · 存量，取期末值"
                }
            }
        );
        let _ = writeln!(
            page,
            "- ratio 比率: {}",
            match ind.ratio {
                None => "— (an amount or count · 总量指标)",
                Some(Ratio::Percent) => {
                    "`percent` — Σvalue ÷ Σdenominator × 100 at every level; no growth rates (it changes by percentage points) · 百分比，各级均为分子合计÷分母合计"
                }
                Some(Ratio::PerUnit) => {
                    "`per_unit` — Σvalue ÷ Σdenominator at every level · 单位比率，各级均为分子合计÷分母合计"
                }
            }
        );
        let _ = writeln!(
            page,
            "- calendar 观测月份: {}",
            match ind.calendar {
                CalendarSource::Data => {
                    "`data` — from the first to the last month with data · 从有数据的首月到末月"
                }
                CalendarSource::Reporting => {
                    "`reporting` — every month of `dim_month`; a month without events is a zero · 全部报告月份，无事项的月份为零"
                }
            }
        );
        let breakdowns: Vec<&str> = std::iter::once("county")
            .chain(ind.breakdowns.iter().map(String::as_str))
            .collect();
        let _ = writeln!(page, "- breakdowns 分组: {}", code_list(breakdowns));
        match &ind.target {
            Some(t) => {
                let (en, zh) = target_text(t, ind, programme);
                let _ = writeln!(page, "- target 目标: {en} · {zh}");
            }
            None => page.push_str("- target 目标: none — reported, not judged · 无（仅报告）\n"),
        }
        let _ = writeln!(
            page,
            "- departments 报送部门: {}",
            cell(&ind.departments.join("、"))
        );
        let requires: Vec<String> = ind
            .requires
            .iter()
            .map(|t| {
                let sources = layout.tables(&upstream_sources(
                    &layout.models,
                    &BTreeSet::from([t.clone()]),
                ));
                let mut who: Vec<&str> = sources
                    .iter()
                    .flat_map(|s| feeders.get(s.as_str()).into_iter().flatten())
                    .map(|s| s.submitter())
                    .collect();
                who.sort();
                who.dedup();
                if who.is_empty() {
                    format!("`{t}`")
                } else {
                    format!("`{t}` ({})", who.join("、"))
                }
            })
            .collect();
        let _ = writeln!(
            page,
            "- requires 必需数据: {} — when one is empty every year is 数据不足, never a zero",
            if requires.is_empty() {
                "—".into()
            } else {
                requires.join(", ")
            }
        );
        let tables =
            layout.tables(&table_references(&layout.ctx, &ind.sql).map_err(|e| {
                PipelineError::during(format!("indicator `{}`", ind.code))(e.into())
            })?);
        let _ = writeln!(
            page,
            "- reads 直接读取: {}",
            code_list(tables.iter().map(String::as_str))
        );
        let sources: Vec<String> = layout
            .tables(&upstream_sources(&layout.models, &tables))
            .iter()
            .map(|s| source_label(s, &feeders))
            .collect();
        let _ = writeln!(
            page,
            "- sources 数据来源: {}",
            if sources.is_empty() {
                "—".into()
            } else {
                sources.join(", ")
            }
        );
        let _ = writeln!(
            page,
            "- disclosure 披露控制: {}",
            match &ind.contributor {
                Some(c) => format!(
                    "contributor `{c}`: cells with fewer than {} contributors or failing the p% rule are 保密",
                    catalogue.disclosure.min_contributors
                ),
                None => "not applied (no contributor) · 不适用".into(),
            }
        );
        let _ = write!(page, "\n```sql\n{}\n```\n", ind.sql.trim());
    }
    Ok(page)
}
