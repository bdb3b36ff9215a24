//! The figures of a snapshot: `ind_results` computed from the models by the catalogue, and
//! `ind_lineage`, the submissions behind each indicator.

use std::sync::Arc;

use ecstat_core::programme::Programme;
use ecstat_core::spec::SourceSpec;
use ecstat_indicators::Catalogue;
use ecstat_lake::InputRecord;
use ecstat_warehouse::Warehouse;
use ecstat_warehouse::models::Model;

use crate::{PipelineError, Result, lineage};

/// What the figures of one snapshot are computed from.
pub struct FigureInputs<'a> {
    pub catalogue: &'a Catalogue,
    pub programme: &'a Programme,
    /// The source specs: the department behind each source table, for an indicator whose
    /// source is missing.
    pub specs: &'a [Arc<SourceSpec>],
    pub models: &'a [Model],
    /// The snapshot's inputs, for the lineage.
    pub inputs: &'a [InputRecord],
    pub version: u64,
    pub data_as_of: Option<&'a str>,
    pub run_id: &'a str,
}

/// Rows written to `ind_results` and `ind_lineage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FigureRows {
    pub results: u64,
    pub lineage: u64,
}

/// Compute and write `ind_results` and `ind_lineage` into `wh`.
pub async fn compute(wh: &mut Warehouse, inputs: &FigureInputs<'_>) -> Result<FigureRows> {
    let departments = inputs
        .specs
        .iter()
        .map(|s| (s.table().to_string(), s.submitter().to_string()))
        .collect();
    let step = std::time::Instant::now();
    let df = ecstat_indicators::compute(
        wh.context(),
        inputs.catalogue,
        &ecstat_indicators::Inputs {
            version: inputs.version,
            data_as_of: inputs.data_as_of,
            departments: &departments,
            programme: inputs.programme,
        },
    )
    .await
    .map_err(|e| {
        PipelineError::during("computing indicators (pipelines/indicators.toml)")(e.into())
    })?;
    let results = wh.write_table("ind_results", df, inputs.run_id).await?;
    tracing::debug!(
        ms = step.elapsed().as_millis(),
        "ind_results computed and written"
    );
    let step = std::time::Instant::now();
    let sources = lineage::sources_of(wh, inputs.catalogue, inputs.models)?;
    let links = lineage::links(&sources, inputs.inputs, inputs.specs);
    let lineage = lineage::write(wh, &links, inputs.run_id).await?;
    tracing::debug!(ms = step.elapsed().as_millis(), "ind_lineage written");
    Ok(FigureRows { results, lineage })
}
