//! `ecstat quarantine`: what the current snapshot holds back, and why.

use clap::Args;
use ecstat_core::sql::literal;

use crate::output::print;
use crate::{Failure, OutputFormat, exit};

#[derive(Debug, Args)]
pub struct QuarantineArgs {
    /// Only this source.
    #[arg(long)]
    source: Option<String>,
    /// Only this rule (missing_value, unknown_division, invalid_uscc, …).
    #[arg(long)]
    rule: Option<String>,
    /// Only files whose path contains this text.
    #[arg(long)]
    file: Option<String>,
    /// List the rows (row, column, value, reason, detail) instead of counts per file and rule.
    #[arg(long)]
    rows: bool,
    /// At most this many rows with --rows.
    #[arg(long, default_value_t = 200)]
    limit: usize,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

pub async fn quarantine(
    at: ecstat_pipeline::snapshot::At<'_>,
    args: QuarantineArgs,
) -> Result<u8, Failure> {
    let (wh, _) = crate::read::open(at).await?;
    let mut filters = vec!["TRUE".to_string()];
    if let Some(s) = &args.source {
        filters.push(format!("source = {}", literal(s)));
    }
    if let Some(r) = &args.rule {
        filters.push(format!("rule = {}", literal(r)));
    }
    if let Some(f) = &args.file {
        filters.push(format!("strpos(file, {}) > 0", literal(f)));
    }
    let filter = filters.join(" AND ");
    let sql = if args.rows {
        format!(
            "SELECT source, file, \"row\", \"column\", raw_value, rule, reason, detail, severity \
             FROM quarantine WHERE {filter} ORDER BY source, file, \"row\", rule LIMIT {}",
            args.limit
        )
    } else {
        format!(
            "SELECT source, file, rule, severity, count(*) AS rows, min(\"row\") AS first_row, \
             min(reason) AS reason FROM quarantine WHERE {filter} \
             GROUP BY source, file, rule, severity ORDER BY source, file, rule"
        )
    };
    let batches = wh
        .query(&sql)
        .await
        .map_err(|e| Failure::new(exit::INTERNAL, e))?
        .collect()
        .await
        .map_err(|e| Failure::new(exit::INTERNAL, e))?;
    print(&batches, args.format)?;
    Ok(exit::OK)
}
