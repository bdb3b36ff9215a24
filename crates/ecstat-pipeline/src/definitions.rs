//! The pipeline folder (`pipelines/`) and the reference folder, loaded and checked before
//! any work: source specs, reference tables, the indicator catalogue, the exports'
//! presentation, and what ingestion needs from the reference (division codes, values for
//! `relationship` checks).

use std::path::Path;
use std::sync::Arc;

use ecstat_core::division::Divisions;
use ecstat_core::spec::{CheckKind, SourceSpec};
use ecstat_export::Presentation;
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
    /// Title, caliber, topic sheets and charts of the exports (`report.toml`).
    pub presentation: Presentation,
}

impl Definitions {
    /// Load `dir`'s source specs, `reference.toml`, `indicators.toml` and `report.toml`.
    pub fn load(dir: &Path) -> Result<Self> {
        let specs = load_specs(dir)?;
        let references = load_references(dir)?;
        let catalogue = load_catalogue(dir)?;
        let presentation = load_presentation(dir, &catalogue)?;
        Ok(Self {
            specs,
            references,
            catalogue,
            presentation,
        })
    }
}

/// The exports' presentation, `dir/report.toml`, checked against `catalogue`: every
/// indicator it names exists, sheet names fit Excel, each chart has its own colour.
pub fn load_presentation(dir: &Path, catalogue: &Catalogue) -> Result<Presentation> {
    let path = dir.join("report.toml");
    let text = std::fs::read_to_string(&path).map_err(PipelineError::io(&path))?;
    let bad = |message: String| PipelineError::config(format!("{}: {message}", path.display()));
    let presentation: Presentation = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    presentation.check().map_err(bad)?;
    if let Some(code) = presentation
        .indicators()
        .into_iter()
        .find(|c| catalogue.get(c).is_none())
    {
        return Err(bad(format!("indicator `{code}` is not in indicators.toml")));
    }
    Ok(presentation)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_presentation_names_only_catalogue_indicators() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines");
        let catalogue = load_catalogue(&dir).expect("catalogue");
        let shipped = load_presentation(&dir, &catalogue).expect("report.toml");
        assert!(shipped.title.contains("{county_name}"));
        assert!(!shipped.charts.is_empty() && !shipped.topics.is_empty());

        let tmp = tempfile::tempdir().expect("tempdir");
        let text = std::fs::read_to_string(dir.join("report.toml")).expect("read");
        let renamed = text.replace(
            "indicator = \"admin_village_coverage\"",
            "indicator = \"admin_village_cover\"",
        );
        assert_ne!(renamed, text);
        std::fs::write(tmp.path().join("report.toml"), renamed).expect("write");
        let error = load_presentation(tmp.path(), &catalogue).expect_err("unknown code");
        assert!(
            error.to_string().contains("`admin_village_cover`"),
            "{error}"
        );
        assert_eq!(error.kind(), crate::ErrorKind::Usage);
    }
}
