//! Snapshot assembly and reading: what a snapshot is computed from (its fingerprint),
//! which of its tables are confidential, its data-as-of month, which indicators it changed,
//! and opening a published snapshot for reading.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ecstat_core::programme::Programme;
use ecstat_core::spec::SourceSpec;
use ecstat_lake::{DataDir, InputRecord, Manifest};
use ecstat_warehouse::Warehouse;
use ecstat_warehouse::models::Model;

use crate::definitions::Definitions;
use crate::{PipelineError, Result};

/// UTC now, RFC 3339 to the second.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Tables whose rows are single enterprises, shops or people: the models marked
/// `confidential`, every staged source table (raw submissions) and the quarantine (raw
/// rejected values).
pub fn confidential_tables(models: &[Model], specs: &[Arc<SourceSpec>]) -> Vec<String> {
    let mut out: BTreeSet<String> = models
        .iter()
        .filter(|m| m.doc.confidential)
        .map(|m| m.name.clone())
        .collect();
    out.extend(specs.iter().map(|s| s.table().to_string()));
    out.insert("quarantine".into());
    out.into_iter().collect()
}

/// SHA-256 over what a snapshot is computed from: every input as read (content, spec,
/// reference values, the staged files it gave), the programme, the models, the catalogue,
/// the reference files, and this version of ecstat.
pub fn fingerprint(
    inputs: &[InputRecord],
    definitions: &Definitions,
    programme: &Programme,
    pipelines_dir: &Path,
    reference_dir: &Path,
) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(concat!("ecstat ", env!("CARGO_PKG_VERSION"), "\n"));
    let mut sorted: Vec<&InputRecord> = inputs.iter().collect();
    sorted.sort_by(|a, b| (&a.source, &a.path).cmp(&(&b.source, &b.path)));
    for i in sorted {
        let line = serde_json::json!([
            i.source,
            i.path,
            i.sha256,
            i.spec_fingerprint,
            i.env_fingerprint,
            i.error,
            i.carried,
            i.staged_files,
            i.quarantine_files,
            i.received,
        ]);
        h.update(line.to_string());
        h.update("\n");
    }
    h.update(serde_json::json!(programme).to_string());
    h.update("\n");
    let mut files: Vec<PathBuf> = vec![
        pipelines_dir.join("indicators.toml"),
        pipelines_dir.join("reference.toml"),
    ];
    let models = pipelines_dir.join("models");
    let mut model_files: Vec<PathBuf> = std::fs::read_dir(&models)
        .map_err(PipelineError::io(&models))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    model_files.sort();
    files.extend(model_files);
    files.extend(definitions.references.iter().map(|r| r.path(reference_dir)));
    for file in files {
        let bytes = std::fs::read(&file).map_err(PipelineError::io(&file))?;
        h.update(file.to_string_lossy().as_bytes());
        h.update(Sha256::digest(&bytes));
    }
    Ok(hex::encode(h.finalize()))
}

/// The last month with order data (数据截至), `YYYY-MM`.
pub async fn data_as_of(wh: &Warehouse) -> Result<Option<String>> {
    let batches = wh
        .context()
        .sql("SELECT max(order_month) AS m FROM stg_orders")
        .await?
        .collect()
        .await?;
    Ok(batches
        .first()
        .filter(|b| b.num_rows() > 0)
        .map(|b| crate::cells::cell(b, "m", 0))
        .filter(|s| !s.is_empty()))
}

/// Codes of the indicators whose published rows (value and status) differ from those of
/// snapshot `previous`. A comparison that cannot be made (an older snapshot's layout)
/// counts every indicator as changed (`*`).
pub async fn indicators_changed(
    wh: &Warehouse,
    lake: &DataDir,
    previous: &Manifest,
) -> Vec<String> {
    let compare = async {
        let files: Vec<String> = previous
            .tables
            .get("ind_results")
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|f| lake.path(f).to_string_lossy().into_owned())
            .collect();
        let Some(file) = files.first() else {
            return Err(PipelineError::config("no indicator table"));
        };
        let ctx = wh.context();
        ctx.register_parquet(
            "ecstat_previous_ind_results",
            file,
            datafusion::prelude::ParquetReadOptions::default(),
        )
        .await?;
        let sql = "SELECT DISTINCT coalesce(n.indicator_code, p.indicator_code) AS code
             FROM ind_results n
             FULL OUTER JOIN ecstat_previous_ind_results p
               ON n.indicator_code = p.indicator_code AND n.measure = p.measure
              AND n.period_type = p.period_type AND n.period = p.period
              AND n.dimension = p.dimension AND n.member = p.member
             WHERE n.indicator_code IS NULL OR p.indicator_code IS NULL
                -- Parenthesised: `a IS DISTINCT FROM b OR c` would read as `a IS DISTINCT FROM (b OR c)`.
                OR (n.value IS DISTINCT FROM p.value) OR (n.status IS DISTINCT FROM p.status)
             ORDER BY code";
        let batches = ctx.sql(sql).await?.collect().await;
        ctx.deregister_table("ecstat_previous_ind_results")?;
        let codes = crate::cells::rows(&batches?, ["code"]);
        Ok::<_, PipelineError>(codes.into_iter().map(|[c]| c).collect())
    };
    match compare.await {
        Ok(codes) => codes,
        Err(e) => {
            tracing::warn!("comparing with snapshot {}: {e}", previous.version);
            vec!["*".to_string()]
        }
    }
}

/// Which snapshot a reader reads: the current one, or the one `--as-of` names (a version,
/// or the snapshot current at a UTC time).
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub data_dir: &'a Path,
    pub as_of: Option<&'a str>,
    /// The pipeline folder, for the layout of staged tables no file has fed.
    pub pipelines: &'a Path,
    /// The engine the snapshot is read on.
    pub engine: &'a ecstat_engine::Engine,
}

/// The warehouse of the snapshot `at` names: exactly the files its manifest lists, so a
/// run publishing meanwhile changes nothing this reader sees.
pub async fn open(at: At<'_>) -> Result<(Warehouse, Manifest)> {
    let lake = DataDir::open_existing(at.data_dir)?;
    let manifest = match at.as_of {
        Some(wanted) => lake.as_of(wanted)?,
        None => lake.current()?,
    };
    // Staged tables no file has fed exist only in the specs; a query should find them
    // empty, not missing. (Without the pipeline folder, they are simply absent.)
    // Only for tables that have no files: a table with files is read as its files are.
    let fed: BTreeSet<&str> = manifest
        .inputs
        .iter()
        .flat_map(|i| i.staged_files.keys().map(String::as_str))
        .collect();
    let layouts: Vec<_> = crate::definitions::load_specs(at.pipelines)
        .map(|specs| {
            crate::definitions::staged_layouts(&specs)
                .into_iter()
                .filter(|(table, _)| !fed.contains(table.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let wh = Warehouse::for_snapshot(
        ecstat_ingest::session(at.engine),
        &lake,
        &manifest,
        &layouts,
    )
    .await?;
    Ok((wh, manifest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_tables_and_the_quarantine_are_always_confidential() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines");
        let specs = crate::definitions::load_specs(&dir).expect("specs");
        let out = confidential_tables(&[], &specs);
        assert!(out.contains(&"quarantine".to_string()));
        assert!(out.contains(&"orders".to_string()));
        for spec in &specs {
            assert!(out.iter().any(|t| t == spec.table()), "{}", spec.table());
        }
        let mut sorted = out.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, out, "sorted, each once");
    }
}
