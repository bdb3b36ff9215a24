//! The pipeline folder (`pipelines/`) and the reference folder, loaded and checked before
//! any work: source specs, reference tables, the indicator catalogue, and what ingestion
//! needs from the reference (division codes, values for `relationship` checks).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use ecstat_core::division::Divisions;
use ecstat_core::spec::{CheckKind, SourceSpec};
use ecstat_indicators::Catalogue;
use ecstat_ingest::{IngestEnv, Lookups, RecordEnv};
use ecstat_warehouse::ReferenceTable;

use crate::{Failure, exit};

/// Everything a run needs from the pipeline folder.
pub struct Pipeline {
    pub specs: Vec<Arc<SourceSpec>>,
    pub references: Vec<ReferenceTable>,
    pub catalogue: Catalogue,
}

pub fn load(dir: &Path) -> Result<Pipeline, Failure> {
    let usage = |e: anyhow::Error| Failure::new(exit::USAGE, e);
    let specs = load_specs(dir)?;
    let references = ecstat_warehouse::reference::load(&dir.join("reference.toml"))
        .map_err(|e| usage(e.into()))?;
    let catalogue = Catalogue::load(&dir.join("indicators.toml")).map_err(|e| usage(e.into()))?;
    Ok(Pipeline {
        specs,
        references,
        catalogue,
    })
}

pub fn load_specs(dir: &Path) -> Result<Vec<Arc<SourceSpec>>, Failure> {
    Ok(ecstat_core::spec::load_dir(&dir.join("sources"))
        .map_err(|e| Failure::new(exit::USAGE, e))?
        .into_iter()
        .map(Arc::new)
        .collect())
}

/// The division reference and the values every `relationship` check of `specs` refers to,
/// read from the reference folder; `salt` hashes ID numbers.
pub fn ingest_env(
    specs: &[Arc<SourceSpec>],
    references: &[ReferenceTable],
    reference_dir: &Path,
    salt: Vec<u8>,
) -> anyhow::Result<IngestEnv> {
    let file_of = |table: &str| -> anyhow::Result<&ReferenceTable> {
        references
            .iter()
            .find(|r| r.name == table)
            .with_context(|| format!("reference table `{table}` is not in reference.toml"))
    };
    let divisions_path = file_of("ref_divisions")?.path(reference_dir);
    let divisions = Divisions::from_csv_path(&divisions_path)
        .with_context(|| format!("reading division codes {}", divisions_path.display()))?;
    let divisions_digest = ecstat_lake::sha256_file(&divisions_path)
        .with_context(|| format!("reading division codes {}", divisions_path.display()))?;
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
                    .with_context(|| format!("source `{}`, column `{}`", spec.name, column.name))?
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
    })
}

/// Every distinct value of `column` in a reference CSV.
fn column_values(path: &Path, column: &str) -> anyhow::Result<Vec<String>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let index = reader
        .headers()
        .with_context(|| format!("reading {}", path.display()))?
        .iter()
        .position(|h| h == column)
        .with_context(|| format!("{} has no column `{column}`", path.display()))?;
    let mut values = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        if let Some(v) = record.get(index)
            && !values.iter().any(|x| x == v)
        {
            values.push(v.to_string());
        }
    }
    Ok(values)
}
