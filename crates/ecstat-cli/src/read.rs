//! Commands that read a published snapshot: indicators, export, query, tables.

use ecstat_core::sql::literal as quote;
use std::path::{Path, PathBuf};

use clap::Args;
use ecstat_export::Format;
use ecstat_indicators::Catalogue;
use ecstat_warehouse::Warehouse;

use ecstat_pipeline::exports::indicator_batches;
use ecstat_pipeline::snapshot::At;

use crate::output::print;
use crate::{Failure, OutputFormat, exit};

/// The warehouse of the snapshot `at` names (see `ecstat_pipeline::snapshot::open`).
pub async fn open(at: At<'_>) -> Result<(Warehouse, ecstat_lake::Manifest), Failure> {
    Ok(ecstat_pipeline::snapshot::open(at).await?)
}

#[derive(Debug, Args)]
pub struct IndicatorArgs {
    /// Only periods of this year (2019 matches 2019 and 2019-01 … 2019-12).
    #[arg(long)]
    year: Option<i32>,
    /// Only this indicator code (see `ecstat indicators --all --format csv`).
    #[arg(long)]
    code: Option<String>,
    /// Only this period: 2019, or a month 2019-03 (with --period-type month or ytd).
    #[arg(long)]
    period: Option<String>,
    /// Only this breakdown member, by code or name: a township (350524102000 or 湖头镇),
    /// a platform (taobao or 淘宝/天猫), a category … Sets --dimension unless it is given.
    #[arg(long)]
    region: Option<String>,
    /// Breakdown: county, township, platform, category, trainee_group, fund_source, line,
    /// entity_type (the indicator's `breakdowns`).
    #[arg(long)]
    dimension: Option<String>,
    /// Period type: year, month or ytd (year-to-date, 1–M月累计).
    #[arg(long, default_value = "year")]
    period_type: String,
    /// Every row, ignoring --dimension and --period-type.
    #[arg(long)]
    all: bool,
    /// Print what indicator CODE is — definition, caliber, target, SQL, the tables and
    /// source submissions behind it — and its county figures, instead of the table.
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
    /// The indicator catalogue (for --explain); by default the pipeline folder's
    /// indicators.toml.
    #[arg(long)]
    catalogue: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub async fn indicators(at: At<'_>, args: IndicatorArgs) -> Result<u8, Failure> {
    if let Some(code) = &args.explain {
        let catalogue = catalogue_path(at, args.catalogue.as_deref());
        return explain(at, &catalogue, code).await;
    }
    let (wh, _) = open(at).await?;
    let mut conditions = Vec::new();
    if let Some(year) = args.year {
        conditions.push(format!("substr(period, 1, 4) = '{year}'"));
    }
    if let Some(code) = &args.code {
        conditions.push(format!("indicator_code = {}", quote(code)));
    }
    if let Some(period) = &args.period {
        conditions.push(format!("period = {}", quote(period)));
    }
    if let Some(region) = &args.region {
        conditions.push(format!(
            "(member = {0} OR member_name = {0})",
            quote(region)
        ));
    }
    if !args.all {
        // A member names its own dimension; without one, the county.
        match (&args.dimension, &args.region) {
            (Some(d), _) => conditions.push(format!("dimension = {}", quote(d))),
            (None, None) => conditions.push("dimension = 'county'".into()),
            (None, Some(_)) => {}
        }
        conditions.push(format!("period_type = {}", quote(&args.period_type)));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let columns = if args.format == OutputFormat::Table {
        "indicator_code, indicator_name_zh, measure_name_zh, period, member_name, value, unit, base_value, target, attainment_pct, status, note, disclosure"
    } else {
        "*"
    };
    let batches = indicator_batches(&wh, columns, &filter).await?;
    if batches.iter().all(|b| b.num_rows() == 0) {
        eprintln!(
            "ecstat: no indicator rows match; try --all, or another --year / --dimension / --period-type"
        );
    }
    print(&batches, args.format)?;
    Ok(exit::OK)
}

/// `ecstat indicators --explain CODE`.
async fn explain(at: At<'_>, catalogue: &Path, code: &str) -> Result<u8, Failure> {
    let catalogue = Catalogue::load(catalogue)?;
    let Some(ind) = catalogue.get(code) else {
        let codes: Vec<&str> = catalogue
            .indicators
            .iter()
            .map(|i| i.code.as_str())
            .collect();
        return Err(Failure::new(
            exit::USAGE,
            anyhow::anyhow!(
                "no indicator `{code}` in the catalogue; codes: {}",
                codes.join(", ")
            ),
        ));
    };
    println!("{} — {} / {}", ind.code, ind.name_zh, ind.name_en);
    println!("unit:         {}", ind.unit);
    println!("definition:   {}", ind.definition);
    println!("departments:  {}", ind.departments.join("、"));
    let aggregate = match ind.aggregate {
        ecstat_indicators::Aggregate::Sum => "sum (a flow: months add up to the year)",
        ecstat_indicators::Aggregate::Last => "last (a stock: the year is its December)",
    };
    println!("aggregate:    {aggregate}");
    if let Some(r) = ind.ratio {
        println!("ratio:        Σvalue ÷ Σdenominator × {}", r.scale());
    }
    let breakdowns = if ind.breakdowns.is_empty() {
        "—".to_string()
    } else {
        ind.breakdowns.join(", ")
    };
    println!("breakdowns:   county, {breakdowns}");
    if let Some(t) = &ind.target {
        let bound = match t.upper {
            Some(u) => format!("{}–{u}", t.value),
            None => format!("{} {}", t.comparison.symbol(), t.value),
        };
        let years = match (t.from_year, t.to_year) {
            (None, None) => String::new(),
            (f, l) => format!(
                ", years {}–{}",
                f.map_or("…".into(), |y| y.to_string()),
                l.map_or("…".into(), |y| y.to_string())
            ),
        };
        println!(
            "target:       {} {bound}{years} (county, by year)",
            t.measure.code()
        );
    } else {
        println!("target:       none (无目标)");
    }
    if !ind.requires.is_empty() {
        println!(
            "requires:     {} (数据不足 without them)",
            ind.requires.join(", ")
        );
    }
    if let Some(c) = &ind.contributor {
        println!(
            "disclosure:   contributor `{c}`: published cells with < {} contributors or failing the p% rule (p = {}) are suppressed, with secondary suppression",
            catalogue.disclosure.min_contributors, catalogue.disclosure.p_percent
        );
    }
    println!(
        "\nSQL (one row per month and breakdown member):\n{}\n",
        ind.sql.trim()
    );
    let Ok((wh, manifest)) = open(at).await else {
        println!(
            "(no snapshot in {}: run `ecstat run` for the figures and sources)",
            at.data_dir.display()
        );
        return Ok(exit::OK);
    };
    println!(
        "snapshot {} (run {}, data as of {}):",
        manifest.version,
        manifest.run_id,
        manifest.data_as_of.as_deref().unwrap_or("—")
    );
    let code_lit = quote(code);
    if wh.table_names().iter().any(|t| t == "ind_lineage") {
        let df = wh
            .query(&format!(
                "SELECT source_table, department, file, substr(sha256, 1, 12) AS sha256, rows_staged, received \
                 FROM ind_lineage WHERE indicator_code = {code_lit} ORDER BY source_table, file"
            ))
            .await?;
        println!("source submissions:");
        print(&df.collect().await?, OutputFormat::Table)?;
    }
    let batches = indicator_batches(
        &wh,
        "measure_name_zh, period, value, unit, target, attainment_pct, status, note",
        &format!(
            "WHERE indicator_code = {code_lit} AND dimension = 'county' AND period_type = 'year'"
        ),
    )
    .await?;
    println!("county, by year:");
    print(&batches, OutputFormat::Table)?;
    Ok(exit::OK)
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// xlsx, csv (UTF-8 with BOM), parquet, json, sdmx (SDMX-CSV 2.0), html (report with
    /// charts), or all.
    #[arg(long, default_value = "xlsx")]
    format: String,
    /// Folder to write indicators.<ext> into.
    #[arg(long)]
    out: PathBuf,
    /// The indicator catalogue, for the definitions on the notes sheet; by default the
    /// pipeline folder's indicators.toml.
    #[arg(long)]
    catalogue: Option<PathBuf>,
}

/// `--catalogue`, or the pipeline folder's catalogue.
fn catalogue_path(at: At<'_>, given: Option<&Path>) -> PathBuf {
    given.map_or_else(|| at.pipelines.join("indicators.toml"), Path::to_path_buf)
}

pub async fn export(at: At<'_>, args: ExportArgs) -> Result<u8, Failure> {
    let formats: Vec<Format> = if args.format == "all" {
        Format::ALL.to_vec()
    } else {
        vec![
            args.format
                .parse()
                .map_err(|e| Failure::new(exit::USAGE, e))?,
        ]
    };
    let catalogue = Catalogue::load(&catalogue_path(at, args.catalogue.as_deref()))?;
    let presentation = ecstat_pipeline::definitions::load_presentation(at.pipelines, &catalogue)?;
    let (wh, manifest) = open(at).await?;
    let written = ecstat_pipeline::exports::write(
        &wh,
        &manifest,
        &catalogue,
        &presentation,
        &formats,
        &args.out,
    )
    .await?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(exit::OK)
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL (SELECT / WITH …) to run; tables are listed by `ecstat tables`. It may
    /// begin with a `--` comment.
    #[arg(allow_hyphen_values = true)]
    sql: String,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Allow csv/json output of tables with single enterprises' or people's rows (the
    /// models marked confidential, the staged submissions, the quarantine).
    #[arg(long)]
    confidential: bool,
    /// Stop the query after this many seconds.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    timeout: u64,
}

pub async fn query(at: At<'_>, args: QueryArgs) -> Result<u8, Failure> {
    let (wh, manifest) = open(at).await?;
    if args.format != OutputFormat::Table && !args.confidential {
        let read = ecstat_warehouse::models::table_references(wh.context(), &args.sql)
            .map_err(|e| Failure::new(exit::USAGE, e))?;
        let secret: Vec<&str> = manifest
            .confidential
            .iter()
            .filter(|t| read.contains(*t))
            .map(String::as_str)
            .collect();
        if !secret.is_empty() {
            return Err(Failure::new(
                exit::USAGE,
                anyhow::anyhow!(
                    "{} hold single enterprises' or people's data (统计法): writing them out as {} needs --confidential; \
                     published figures go through `ecstat export`, with disclosure control",
                    secret.join(", "),
                    if args.format == OutputFormat::Csv {
                        "csv"
                    } else {
                        "json"
                    }
                ),
            ));
        }
    }
    let df = wh
        .query(&args.sql)
        .await
        .map_err(|e| Failure::new(exit::USAGE, e))?;
    // A watchdog thread, not a timer on the runtime: a query keeps every worker thread
    // busy, and a read-only query has nothing to clean up when it is stopped.
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let timeout = args.timeout;
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            finished.recv_timeout(std::time::Duration::from_secs(timeout))
        {
            eprintln!(
                "ecstat: query stopped after {timeout} s (--timeout); narrow it down, or give it longer"
            );
            std::process::exit(i32::from(exit::INPUT));
        }
    });
    let batches = df.collect().await.map_err(|e| crate::classify(e.into()));
    let _ = done.send(());
    let batches = batches?;
    print(&batches, args.format)?;
    Ok(exit::OK)
}
