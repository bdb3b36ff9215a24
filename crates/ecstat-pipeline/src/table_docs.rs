//! What the pipeline folder says about each table a snapshot can hold — its kind, grain,
//! description, where it is defined, its columns with descriptions and tests — from the
//! model docs, source specs and reference.toml, and for ecstat's own tables from here. The
//! command line's `tables` and `describe`, the SQL shell and the reference pages read it.

use std::collections::BTreeMap;
use std::path::Path;

use datafusion::prelude::SessionContext;
use ecstat_core::spec::{ORDER_COLUMNS, ORDER_STATUSES, SourceSpec};

/// What the pipeline says about one table.
#[derive(Debug, Clone, Default)]
pub struct TableDoc {
    /// model | staged | reference | system | indicators
    pub kind: String,
    pub description: String,
    pub grain: String,
    /// Where it is defined.
    pub defined_in: String,
    /// column → (description, tests)
    pub columns: BTreeMap<String, (String, String)>,
    /// Rows of single enterprises, shops or people (统计法): writing them out needs
    /// `--confidential` (as `snapshot::confidential_tables` decides).
    pub confidential: bool,
}

/// Columns of the tables ecstat itself writes, which no pipeline file documents.
const SYSTEM_COLUMNS: &[(&str, &[(&str, &str)])] = &[
    (
        "ind_results",
        &[
            (
                "indicator_code",
                "indicator code (pipelines/indicators.toml)",
            ),
            ("indicator_name_zh", "指标名称"),
            ("indicator_name_en", "indicator name"),
            (
                "measure",
                "value | yoy_pct (同比) | vs_baseline_pct (较基期年) | programme_total (示范期累计)",
            ),
            (
                "measure_name_zh",
                "数值 | 同比增长率 | 较基期年增长率 | 示范期累计",
            ),
            (
                "unit",
                "unit of value: the indicator's unit, % for growth rates",
            ),
            ("period_type", "year | month | ytd (1–M月累计)"),
            ("period", "YYYY or YYYY-MM"),
            (
                "dimension",
                "county or one of the indicator's breakdowns (township, platform, category, …)",
            ),
            (
                "member",
                "code of the breakdown member (township code, platform, category, …; `unattributed` = 未归属)",
            ),
            (
                "member_name",
                "name of the member (township name, 淘宝/天猫, …)",
            ),
            (
                "value",
                "the figure; growth rates in %; NULL when it cannot be computed (see note)",
            ),
            ("base_period", "period a growth rate compares with"),
            ("base_value", "value of the base period"),
            (
                "target",
                "target value (county, year rows of the judged measure only)",
            ),
            ("comparison", ">= | > | <= | < | = | between"),
            ("target_upper", "upper bound of a `between` target"),
            ("attainment_pct", "value ÷ target × 100"),
            ("status", "达标 | 未达标 | 数据不足 | 无目标"),
            (
                "note",
                "why a rate or judgement is missing (基期为零, 年度数据不完整, a missing source, …)",
            ),
            ("months_covered", "months of data the figure covers"),
            (
                "contributors",
                "enterprises contributing to the cell (indicators with a contributor)",
            ),
            (
                "disclosure",
                "why a published cell is suppressed (保密): n<3 | p% | secondary; NULL when publishable",
            ),
            ("snapshot_version", "snapshot the figure was computed in"),
            (
                "data_as_of",
                "数据截至: last month with order data (YYYY-MM)",
            ),
        ],
    ),
    (
        "ind_lineage",
        &[
            ("indicator_code", "indicator code"),
            (
                "source_table",
                "staged table the indicator reads, through the models",
            ),
            ("source", "source spec of the file"),
            ("department", "submitting department or platform"),
            ("file", "file path under the inbox"),
            ("sha256", "SHA-256 of the file"),
            ("rows_staged", "rows of the file staged"),
            ("received", "run that first received the file"),
        ],
    ),
    (
        "quarantine",
        &[
            ("source", "source spec of the file"),
            ("file", "file path under the inbox"),
            ("file_sha256", "SHA-256 of the file"),
            ("row", "row of the file"),
            ("column", "column with the problem (NULL for the whole row)"),
            ("raw_value", "the value as read (ID numbers masked)"),
            (
                "rule",
                "rule broken (missing_value, unparseable_amount, unknown_division, …)",
            ),
            ("reason", "what is wrong and how to fix it, in Chinese"),
            (
                "detail",
                "more detail (closest candidates, the check's bounds, …)",
            ),
            ("severity", "row (held back) | warn (loaded, reported)"),
        ],
    ),
    (
        "ingest_files",
        &[
            (
                "ingest_seq",
                "position of the file among the snapshot's inputs",
            ),
            ("source", "source spec the file was read with"),
            ("file", "file path under the inbox"),
            ("file_sha256", "SHA-256 of the file (its identity)"),
            ("bytes", "file size, bytes"),
            ("encoding", "text encoding detected, or xlsx"),
            (
                "rows_read",
                "rows between header and footer: rows_staged + rows_quarantined",
            ),
            ("rows_staged", "rows loaded"),
            ("rows_quarantined", "rows held back in quarantine"),
            (
                "rows_skipped",
                "blank rows and footer rows (合计, 制表人, …)",
            ),
            ("rows_warned", "rows loaded with a warning"),
            (
                "notes",
                "how the file was read, where the bureau should know",
            ),
            (
                "error",
                "why the whole file was rejected; NULL when accepted",
            ),
            ("run_id", "run that read the file"),
            ("received", "run that first received these bytes"),
            (
                "lines",
                "order exports: order lines staged (NULL for records and files read before it was counted)",
            ),
            (
                "orders",
                "order exports: distinct orders of the staged lines",
            ),
            (
                "completed_orders",
                "order exports: distinct orders with a completed line",
            ),
            (
                "sales_yuan",
                "order exports: 网络零售额 of the file alone (completed and refunded lines, goods − refunds, postage excluded), 元; compare with the platform's 对账 total",
            ),
            (
                "latest_order_time",
                "order exports: latest order time of the file's lines (how far the export reaches; orders the copies of a line within a run)",
            ),
        ],
    ),
    (
        "submissions",
        &[
            ("source", "source spec"),
            (
                "partition",
                "what the submission covers (key=… from the spec's replace_by)",
            ),
            ("file", "file path under the inbox"),
            ("file_sha256", "SHA-256 of the file"),
            ("received", "run that first received the file"),
            (
                "current",
                "whether the snapshot reads this file for the partition",
            ),
            (
                "replaced_by",
                "the file that replaced it; NULL when current",
            ),
        ],
    ),
];

fn test_text(test: &ecstat_warehouse::models::ColumnTest) -> String {
    use ecstat_warehouse::models::ColumnTest;
    match test {
        ColumnTest::NotNull => "not_null".into(),
        ColumnTest::Unique => "unique".into(),
        ColumnTest::AcceptedValues(values) => format!("accepted_values({})", values.join("|")),
        ColumnTest::Relationships(target) => format!("relationships(→ {target})"),
    }
}

/// Docs of every table the pipeline folder defines (`ctx` parses the models' SQL).
pub fn table_docs(pipelines: &Path, ctx: &SessionContext) -> BTreeMap<String, TableDoc> {
    let mut docs: BTreeMap<String, TableDoc> = BTreeMap::new();
    if let Ok(models) = ecstat_warehouse::models::load(&pipelines.join("models"), ctx) {
        for m in models {
            let columns = m
                .doc
                .columns
                .iter()
                .map(|(c, d)| {
                    let tests: Vec<String> = d.tests.iter().map(test_text).collect();
                    (c.clone(), (d.description.clone(), tests.join(", ")))
                })
                .collect();
            docs.insert(
                m.name.clone(),
                TableDoc {
                    kind: "model".into(),
                    description: m.doc.description.clone(),
                    grain: m.doc.grain.clone(),
                    defined_in: m.path.display().to_string(),
                    columns,
                    confidential: m.doc.confidential,
                },
            );
        }
    }
    if let Ok(specs) = ecstat_core::spec::load_dir(&pipelines.join("sources")) {
        for spec in specs {
            let entry = docs.entry(spec.table().to_string()).or_default();
            entry.kind = "staged".into();
            entry.confidential = true;
            if !entry.description.is_empty() {
                entry.description.push_str("; ");
                entry.defined_in.push_str(", ");
            }
            entry.description.push_str(spec.description());
            entry
                .defined_in
                .push_str(&format!("pipelines/sources/{}.toml", spec.name()));
            for (column, description) in [
                ("source", "source spec the row was read with"),
                (
                    "file_sha256",
                    "SHA-256 of the input file (ingest_files.file_sha256)",
                ),
                ("source_row", "row of the input file"),
            ] {
                entry
                    .columns
                    .insert(column.into(), (description.into(), String::new()));
            }
            match &spec {
                SourceSpec::Records(s) => {
                    entry.grain = "one row per input row that passed its checks".into();
                    for c in &s.columns {
                        let checks: Vec<String> = c
                            .checks()
                            .iter()
                            .map(|(k, sev)| format!("{} ({})", k.rule(), sev.as_str()))
                            .collect();
                        entry
                            .columns
                            .insert(c.name.clone(), (c.description.clone(), checks.join(", ")));
                    }
                }
                SourceSpec::Orders(_) => {
                    entry.grain = "one row per order line as exported, parsed".into();
                    // The staged table names some columns otherwise than the spec's
                    // canonical columns (units in names; the exported status kept raw).
                    for c in ORDER_COLUMNS {
                        let staged = match c.name {
                            "unit_price" => "unit_price_yuan",
                            "goods_amount" => "goods_amount_yuan",
                            "postage" => "postage_yuan",
                            "refund_amount" => "refund_yuan",
                            "status" => "status_raw",
                            other => other,
                        };
                        let mut description = c.description.to_string();
                        if matches!(c.name, "postage" | "refund_amount") {
                            description.push_str("; 0 when the export has none");
                        }
                        entry
                            .columns
                            .insert(staged.to_string(), (description, String::new()));
                    }
                    for (column, description) in [
                        (
                            "platform",
                            "platform of the export (the spec's `platform`)".to_string(),
                        ),
                        (
                            "status",
                            format!(
                                "status normalised by the spec's [status]: {}",
                                ORDER_STATUSES.join(" | ")
                            ),
                        ),
                        ("order_month", "month of order_time, YYYY-MM".to_string()),
                    ] {
                        entry
                            .columns
                            .insert(column.into(), (description, String::new()));
                    }
                }
            }
        }
    }
    if let Ok(references) = ecstat_warehouse::reference::load(&pipelines.join("reference.toml")) {
        for r in references {
            docs.insert(
                r.name.clone(),
                TableDoc {
                    kind: "reference".into(),
                    description: r.description.clone(),
                    grain: "one row per line of the reference file".into(),
                    defined_in: format!("pipelines/reference.toml ({})", r.file),
                    columns: r
                        .columns
                        .iter()
                        .map(|c| (c.name.clone(), (c.description.clone(), String::new())))
                        .collect(),
                    confidential: false,
                },
            );
        }
    }
    docs.insert(
        ecstat_warehouse::PROGRAMME_TABLE.to_string(),
        TableDoc {
            kind: "reference".into(),
            description: "The programme this deployment measures: the county, the baseline year and the programme's years. Models read the county's code from it, never from a literal".into(),
            grain: "one row".into(),
            defined_in: "the project file ecstat.toml, [programme]".into(),
            columns: [
                ("county_code", "12-digit division code of the county (统计用区划代码)"),
                ("county_name", "the county's name"),
                ("baseline_year", "the year before the programme: vs_baseline_pct compares against it"),
                ("first_year", "first year of the programme: programme_total sums from its January"),
                ("last_year", "last year of the programme"),
            ]
            .into_iter()
            .map(|(c, d)| (c.to_string(), (d.to_string(), String::new())))
            .collect(),
            confidential: false,
        },
    );
    for (name, description, grain) in [
        (
            "ingest_files",
            "Every input file of the snapshot: source, hash, rows read / staged / quarantined / skipped / warned, rejection",
            "one row per input file × source",
        ),
        (
            "quarantine",
            "Rows held back (severity row) and warnings (severity warn), with rule, reason and detail",
            "one row per problem",
        ),
        (
            "submissions",
            "For sources whose later files replace earlier ones: which file is current for each key, and what replaced what",
            "one row per input file × partition key",
        ),
        (
            "ind_results",
            "Indicator results (pipelines/indicators.toml): value, target, status per period and breakdown",
            "one row per indicator × measure × period × dimension × member",
        ),
        (
            "ind_lineage",
            "The source submissions each indicator is computed from: department, file, SHA-256, rows staged",
            "one row per indicator × source table × input file",
        ),
    ] {
        docs.insert(
            name.to_string(),
            TableDoc {
                kind: if name.starts_with("ind_") {
                    "indicators"
                } else {
                    "system"
                }
                .into(),
                description: description.into(),
                grain: grain.into(),
                defined_in: "ecstat".into(),
                columns: SYSTEM_COLUMNS
                    .iter()
                    .filter(|(table, _)| *table == name)
                    .flat_map(|(_, columns)| columns.iter())
                    .map(|(c, d)| (c.to_string(), (d.to_string(), String::new())))
                    .collect(),
                confidential: name == "quarantine",
            },
        );
    }
    docs
}
