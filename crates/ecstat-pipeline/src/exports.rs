//! The exports of a published snapshot in `DATA_DIR/exports`: the indicator table in every
//! format, with the definitions, the inputs and the evidence (lineage) beside it, and the
//! marker `exports/snapshot.json` saying which snapshot the folder holds — written last and
//! synced, so a run stopped half-way leaves the previous mark and the next run exports
//! again.

use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use ecstat_export::{ExportMeta, Format, Presentation};
use ecstat_indicators::Catalogue;
use ecstat_lake::{DataDir, Manifest};
use ecstat_warehouse::Warehouse;

use crate::{PipelineError, Result, failpoint, lineage};

/// The name of the marker in the exports folder.
pub const MARKER: &str = "snapshot.json";

/// `columns` of the indicator table, filtered by a `WHERE …` clause (or none), in the
/// table's order.
pub async fn indicator_batches(
    wh: &Warehouse,
    columns: &str,
    filter: &str,
) -> Result<Vec<RecordBatch>> {
    let sql = format!(
        "SELECT {columns} FROM ind_results {filter} ORDER BY indicator_code, measure, period_type, period, dimension, member"
    );
    let df = wh.context().sql(&sql).await?;
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let mut batches = df.collect().await?;
    // Exports of an empty table still carry its columns.
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    Ok(batches)
}

/// What the exports print beside the figures: the snapshot, the catalogue's definitions,
/// the inputs, and (read from `wh`) the evidence behind each indicator and the county the
/// title names; `presentation` lays them out.
pub async fn meta(
    wh: &Warehouse,
    manifest: &Manifest,
    catalogue: &Catalogue,
    presentation: &Presentation,
) -> Result<ExportMeta> {
    let mut presentation = presentation.clone();
    presentation.title = presentation
        .title
        .replace("{county_name}", &county_name(wh).await?);
    Ok(ExportMeta {
        snapshot_version: manifest.version,
        run_id: manifest.run_id.clone(),
        created_at: manifest.created_at.clone(),
        data_as_of: manifest.data_as_of.clone(),
        definitions: catalogue
            .indicators
            .iter()
            .map(|i| {
                [
                    i.code.clone(),
                    i.name_zh.clone(),
                    i.name_en.clone(),
                    i.unit.clone(),
                    i.definition.clone(),
                    i.departments.join("、"),
                ]
            })
            .collect(),
        inputs: manifest
            .inputs
            .iter()
            .map(|i| {
                [
                    i.source.clone(),
                    i.path.clone(),
                    i.sha256.clone(),
                    i.rows_staged.to_string(),
                ]
            })
            .collect(),
        lineage: lineage::export_rows(wh).await?,
        presentation,
    })
}

/// The county of the snapshot's programme (`cfg_programme`); empty for a snapshot from
/// before the programme was a table.
async fn county_name(wh: &Warehouse) -> Result<String> {
    if !wh.tables().contains_key(ecstat_warehouse::PROGRAMME_TABLE) {
        return Ok(String::new());
    }
    let sql = format!(
        "SELECT county_name FROM {}",
        ecstat_warehouse::PROGRAMME_TABLE
    );
    let batches = wh.context().sql(&sql).await?.collect().await?;
    Ok(crate::cells::rows(&batches, ["county_name"])
        .into_iter()
        .next()
        .map(|[name]| name)
        .unwrap_or_default())
}

/// Write the published indicator table of `manifest` (read through `wh`) in `formats`
/// into `dir`; the files written.
pub async fn write(
    wh: &Warehouse,
    manifest: &Manifest,
    catalogue: &Catalogue,
    presentation: &Presentation,
    formats: &[Format],
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    let batches = indicator_batches(wh, ecstat_indicators::PUBLISHED_COLUMNS, "").await?;
    let meta = meta(wh, manifest, catalogue, presentation).await?;
    // The formats are written side by side: each is its own file, and each waits for its
    // own fsync.
    let written: Vec<_> = std::thread::scope(|scope| {
        let writers: Vec<_> = formats
            .iter()
            .map(|&format| {
                let (batches, meta) = (&batches, &meta);
                scope.spawn(move || {
                    let step = std::time::Instant::now();
                    let path = ecstat_export::export(batches, meta, format, dir)?;
                    tracing::debug!(?format, ms = step.elapsed().as_millis(), "exported");
                    failpoint::hit("export:during");
                    Ok::<_, ecstat_export::ExportError>(path)
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    Ok(written.into_iter().collect::<Result<Vec<_>, _>>()?)
}

/// Export `manifest`'s indicator table in every format to `DATA_DIR/exports`, then mark
/// the folder as holding that snapshot.
pub async fn export_snapshot(
    lake: &DataDir,
    wh: &Warehouse,
    manifest: &Manifest,
    catalogue: &Catalogue,
    presentation: &Presentation,
) -> Result<Vec<PathBuf>> {
    let dir = lake.path("exports");
    let exported = write(wh, manifest, catalogue, presentation, &Format::ALL, &dir).await?;
    mark(&dir, manifest)?;
    failpoint::hit("export:done");
    Ok(exported)
}

/// Write the marker of `manifest` into `dir`: a synced temporary file renamed over the
/// old marker (replacing it is the point), then the folder synced.
fn mark(dir: &Path, manifest: &Manifest) -> Result<()> {
    let mark =
        serde_json::json!({ "snapshot_version": manifest.version, "run_id": manifest.run_id });
    let temporary = dir.join(format!(".{MARKER}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(mark.to_string().as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, dir.join(MARKER))
    };
    write().map_err(PipelineError::io(dir.join(MARKER)))?;
    ecstat_lake::sync_dir(dir)?;
    Ok(())
}

/// The snapshot version `DATA_DIR/exports` holds, when its export finished.
pub fn exported_version(lake: &DataDir) -> Option<u64> {
    marked_version(&lake.path("exports"))
}

fn marked_version(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(dir.join(MARKER)).ok()?;
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()?
        .get("snapshot_version")?
        .as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(version: u64) -> Manifest {
        Manifest {
            version,
            run_id: format!("run{version}"),
            ..Default::default()
        }
    }

    #[test]
    fn the_marker_names_the_last_snapshot_marked_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(marked_version(dir.path()), None, "no export yet");
        mark(dir.path(), &manifest(3)).expect("mark");
        assert_eq!(marked_version(dir.path()), Some(3));
        mark(dir.path(), &manifest(4)).expect("mark again");
        assert_eq!(marked_version(dir.path()), Some(4));
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [MARKER], "no temporary file left behind");
        std::fs::write(dir.path().join(MARKER), "{\"snapshot_version\":").expect("write");
        assert_eq!(
            marked_version(dir.path()),
            None,
            "a torn marker is no export"
        );
    }
}
