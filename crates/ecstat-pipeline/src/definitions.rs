//! The pipeline folder (`pipelines/`) and the reference folder, loaded and checked before
//! any work: source specs, reference tables, the indicator catalogue, and what ingestion
//! needs from the reference (division codes, values for `relationship` checks).

use std::path::Path;
use std::sync::Arc;

use ecstat_core::division::Divisions;
use ecstat_core::spec::{CheckKind, SourceSpec};
use ecstat_indicators::Catalogue;
use ecstat_ingest::{IngestEnv, Lookups, RecordEnv};
use ecstat_warehouse::ReferenceTable;

use crate::{PipelineError, Result};

/// Everything a run needs from the pipeline folder.
#[derive(Debug)]
pub struct Definitions {
    pub specs: Vec<Arc<SourceSpec>>,
    pub references: Vec<ReferenceTable>,
    pub catalogue: Catalogue,
}

impl Definitions {
    /// Load `dir`'s source specs, `reference.toml` and `indicators.toml`.
    pub fn load(dir: &Path) -> Result<Self> {
        let specs = load_specs(dir)?;
        let references = load_references(dir)?;
        let catalogue = load_catalogue(dir)?;
        Ok(Self {
            specs,
            references,
            catalogue,
        })
    }
}

/// The source specs of `dir/sources`.
pub fn load_specs(dir: &Path) -> Result<Vec<Arc<SourceSpec>>> {
    Ok(ecstat_core::spec::load_dir(&dir.join("sources"))?
        .into_iter()
        .map(Arc::new)
        .collect())
}

/// The reference tables `dir/reference.toml` lists.
pub fn load_references(dir: &Path) -> Result<Vec<ReferenceTable>> {
    Ok(ecstat_warehouse::reference::load(
        &dir.join("reference.toml"),
    )?)
}

/// The indicator catalogue, `dir/indicators.toml`.
pub fn load_catalogue(dir: &Path) -> Result<Catalogue> {
    Ok(Catalogue::load(&dir.join("indicators.toml"))?)
}

/// A records source's staged table and its layout (so an empty table still exists).
pub fn staged_layout(spec: &SourceSpec) -> Option<(String, arrow::datatypes::SchemaRef)> {
    match spec {
        SourceSpec::Records(s) => Some((s.table.clone(), ecstat_ingest::records::staged_schema(s))),
        SourceSpec::Orders(_) => None,
    }
}

/// The layouts of every records source's staged table.
pub fn staged_layouts(specs: &[Arc<SourceSpec>]) -> Vec<(String, arrow::datatypes::SchemaRef)> {
    specs.iter().filter_map(|s| staged_layout(s)).collect()
}

/// The division reference and the values every `relationship` check of `specs` refers to,
/// read from the reference folder; `salt` hashes ID numbers.
pub fn ingest_env(
    specs: &[Arc<SourceSpec>],
    references: &[ReferenceTable],
    reference_dir: &Path,
    salt: Vec<u8>,
    engine: &ecstat_engine::Engine,
) -> Result<IngestEnv> {
    let file_of = |table: &str| -> Result<&ReferenceTable> {
        references.iter().find(|r| r.name == table).ok_or_else(|| {
            PipelineError::config(format!(
                "reference table `{table}` is not in reference.toml"
            ))
        })
    };
    let divisions_path = file_of("ref_divisions")?.path(reference_dir);
    let reading = || format!("reading division codes {}", divisions_path.display());
    let divisions = Divisions::from_csv_path(&divisions_path)
        .map_err(|e| PipelineError::during(reading())(e.into()))?;
    let divisions_digest = ecstat_lake::sha256_file(&divisions_path)
        .map_err(|e| PipelineError::during(reading())(e.into()))?;
    let mut lookups = Lookups::new();
    for spec in specs {
        let SourceSpec::Records(spec) = spec.as_ref() else {
            continue;
        };
        for column in &spec.columns {
            for (kind, _) in column.checks() {
                let CheckKind::Relationship { table, column: col } = kind else {
                    continue;
                };
                let key = format!("{table}.{col}");
                if lookups.contains_key(&key) {
                    continue;
                }
                let path = file_of(&table)
                    .map_err(PipelineError::during(format!(
                        "source `{}`, column `{}`",
                        spec.name, column.name
                    )))?
                    .path(reference_dir);
                lookups.insert(key, column_values(&path, &col)?);
            }
        }
    }
    Ok(IngestEnv {
        records: RecordEnv {
            divisions: Arc::new(divisions),
            divisions_digest,
            salt: Arc::new(salt),
        },
        lookups: Arc::new(lookups),
        engine: engine.clone(),
    })
}

/// Every distinct value of `column` in a reference CSV.
fn column_values(path: &Path, column: &str) -> Result<Vec<String>> {
    let bad = |e: csv::Error| PipelineError::config(format!("reading {}: {e}", path.display()));
    let mut reader = csv::Reader::from_path(path).map_err(bad)?;
    let index = reader
        .headers()
        .map_err(bad)?
        .iter()
        .position(|h| h == column)
        .ok_or_else(|| {
            PipelineError::config(format!("{} has no column `{column}`", path.display()))
        })?;
    let mut values = Vec::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        if let Some(v) = record.get(index)
            && !values.iter().any(|x| x == v)
        {
            values.push(v.to_string());
        }
    }
    Ok(values)
}
