//! The sequence `run` and `build` share once the staged data is in place: build the
//! models (all, or a selection and what depends on it), test them side by side, compute
//! `ind_results` and `ind_lineage`, find which indicators changed, publish the snapshot when
//! no test failed, and write its exports.

use std::collections::BTreeMap;

use ecstat_core::programme::Programme;
use ecstat_lake::{DataDir, InputRecord, Manifest, RunOutcome};
use ecstat_warehouse::Warehouse;
use ecstat_warehouse::models::Model;

use super::{Published, TargetLine, Timings};
use crate::definitions::Definitions;
use crate::figures::{self, FigureInputs};
use crate::progress::Progress;
use crate::{PipelineError, Result, exports, failpoint, snapshot};

/// What the sequence works from.
pub struct Assembly<'a> {
    pub lake: &'a DataDir,
    pub definitions: &'a Definitions,
    pub programme: &'a Programme,
    /// Every model of the pipeline, in dependency order.
    pub models: &'a [Model],
    /// The models to build and test, in dependency order: all of them for a run.
    pub selected: &'a [Model],
    /// The current snapshot, which a published one replaces.
    pub previous: Option<&'a Manifest>,
    /// The inputs of the snapshot being assembled.
    pub inputs: &'a [InputRecord],
    /// What the snapshot is computed from (empty for a partial build).
    pub fingerprint: String,
    pub run_id: &'a str,
    /// Write the exports of a published snapshot.
    pub export: bool,
    pub progress: &'a dyn Progress,
}

/// Build, test, compute, publish and export; `built` already lists what was loaded
/// before the models (reference tables, the programme).
pub async fn assemble(
    wh: &mut Warehouse,
    a: Assembly<'_>,
    mut built: Vec<(String, u64)>,
    timings: &mut Timings,
) -> Result<Published> {
    a.progress.start("build", a.selected.len() as u64);
    for model in a.selected {
        a.progress.message(&model.name);
        tracing::info!(model = %model.name, "building model");
        let step = std::time::Instant::now();
        let rows = wh.build_model(model, a.run_id).await?;
        tracing::debug!(model = %model.name, rows, ms = step.elapsed().as_millis(), "model built");
        built.push((model.name.clone(), rows));
        failpoint::hit("build:after_model");
        a.progress.step();
    }
    a.progress.finish();
    failpoint::hit("build:done");
    let mut test_failures = Vec::new();
    let mut tests_run = 0usize;
    for (model, outcomes) in a.selected.iter().zip(wh.test_models(a.selected).await) {
        let outcomes = outcomes.map_err(|e| {
            PipelineError::during(format!("testing model `{}`", model.name))(e.into())
        })?;
        for outcome in outcomes {
            tests_run += 1;
            if outcome.failing_rows > 0 {
                test_failures.push(outcome);
            }
        }
    }
    timings.stage("build+test");

    let version = a.previous.map_or(1, |m| m.version + 1);
    let data_as_of = snapshot::data_as_of(wh).await?;
    let rows = figures::compute(
        wh,
        &FigureInputs {
            catalogue: &a.definitions.catalogue,
            programme: a.programme,
            specs: &a.definitions.specs,
            models: a.models,
            inputs: a.inputs,
            version,
            data_as_of: data_as_of.as_deref(),
            run_id: a.run_id,
        },
    )
    .await?;
    built.push(("ind_results".into(), rows.results));
    built.push(("ind_lineage".into(), rows.lineage));
    timings.stage("indicators");
    failpoint::hit("indicators:done");
    let indicators_changed = match a.previous {
        Some(p) => snapshot::indicators_changed(wh, a.lake, p).await,
        None => a
            .definitions
            .catalogue
            .indicators
            .iter()
            .map(|i| i.code.clone())
            .collect(),
    };

    let manifest = Manifest {
        version,
        run_id: a.run_id.to_string(),
        created_at: snapshot::now(),
        data_as_of,
        inputs: a.inputs.to_vec(),
        tables: wh.tables().clone(),
        partitions: wh.partitions().clone(),
        models: wh.models().clone(),
        fingerprint: a.fingerprint,
        confidential: snapshot::confidential_tables(a.models, &a.definitions.specs),
    };
    // A build whose model tests fail is not published: its figures could be wrong (a
    // duplicated shop doubles sales), and the previous snapshot stays the current one.
    let publish = !test_failures.iter().any(|t| !t.warning);
    let mut exported = Vec::new();
    if publish {
        failpoint::hit("publish:before");
        a.lake.publish(&manifest)?;
        failpoint::hit("publish:after");
        if a.export {
            exported = exports::export_snapshot(
                a.lake,
                wh,
                &manifest,
                &a.definitions.catalogue,
                &a.definitions.presentation,
            )
            .await?;
        }
    }
    timings.stage("publish+export");
    Ok(Published {
        outcome: if publish {
            RunOutcome::Published
        } else {
            RunOutcome::Withheld
        },
        manifest,
        built,
        tests_run,
        test_failures,
        indicators_changed,
        exported,
        quarantined_by_rule: quarantined_by_rule(wh).await?,
        targets: target_lines(wh).await?,
    })
}

/// Rows of the snapshot's quarantine held back (severity `row`), by rule.
pub async fn quarantined_by_rule(wh: &Warehouse) -> Result<BTreeMap<String, u64>> {
    let batches = wh
        .context()
        .sql(
            "SELECT rule, count(*) AS n FROM quarantine WHERE severity = 'row' \
             GROUP BY rule ORDER BY rule",
        )
        .await?
        .collect()
        .await?;
    Ok(crate::cells::rows(&batches, ["rule", "n"])
        .into_iter()
        .map(|[rule, n]| (rule, n.parse().unwrap_or(0)))
        .collect())
}

/// The county figures with targets, per year, in the table's order.
pub async fn target_lines(wh: &Warehouse) -> Result<Vec<TargetLine>> {
    let batches = exports::indicator_batches(wh, "*", "WHERE comparison IS NOT NULL").await?;
    let rows = crate::cells::rows(
        &batches,
        [
            "period",
            "indicator_name_zh",
            "measure_name_zh",
            "unit",
            "value",
            "comparison",
            "target",
            "target_upper",
            "status",
            "note",
        ],
    );
    Ok(rows
        .into_iter()
        .map(
            |[
                period,
                indicator_name_zh,
                measure_name_zh,
                unit,
                value,
                comparison,
                target,
                target_upper,
                status,
                note,
            ]| TargetLine {
                period,
                indicator_name_zh,
                measure_name_zh,
                unit,
                value,
                comparison,
                target,
                target_upper,
                status,
                note,
            },
        )
        .collect())
}
