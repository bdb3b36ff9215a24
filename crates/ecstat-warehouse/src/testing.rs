//! Model tests: their outcomes, and running every test of a list of models side by side.
//! A partitioned model was tested month by month as it was built; a model reused whole
//! reports the findings recorded when it was tested.

use arrow::array::{Int64Array, RecordBatch};
use datafusion::prelude::SessionContext;

use crate::models::{self, Model};
use crate::{Result, Warehouse, WarehouseError};

/// Result of one model test.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub model: String,
    pub name: String,
    pub failing_rows: u64,
    /// Up to [`FAILING_SAMPLE`] failing rows as a text table (empty when the test passed).
    pub sample: String,
    /// A `[[warnings]]` check: reported, does not withhold the snapshot.
    pub warning: bool,
}

impl TestOutcome {
    /// A finding recorded in the manifest, reported again by a run that reuses the output.
    pub(crate) fn recorded(
        model: &str,
        name: String,
        finding: &ecstat_lake::PartitionFinding,
    ) -> Self {
        Self {
            model: model.to_string(),
            name,
            failing_rows: finding.failing_rows,
            sample: finding.sample.clone(),
            warning: finding.warning,
        }
    }

    /// The failing outcomes of `outcomes`, as the manifest records them.
    pub(crate) fn findings(outcomes: &[TestOutcome]) -> Vec<ecstat_lake::PartitionFinding> {
        outcomes
            .iter()
            .filter(|o| o.failing_rows > 0)
            .map(|o| ecstat_lake::PartitionFinding {
                test: o.name.clone(),
                failing_rows: o.failing_rows,
                warning: o.warning,
                sample: o.sample.clone(),
            })
            .collect()
    }
}

/// Failing rows shown per failed test.
pub const FAILING_SAMPLE: usize = 5;

impl Warehouse {
    /// Run every test of `model`; each returns how many rows fail it. A partitioned model
    /// was tested month by month as it was built: its outcomes are those.
    /// A model reused whole whose tests and the tables they read are unchanged reports the
    /// findings recorded when it was tested.
    pub async fn test_model(&mut self, model: &Model) -> Result<Vec<TestOutcome>> {
        let mut outcomes = self.test_models(std::slice::from_ref(model)).await;
        outcomes.pop().unwrap_or_else(|| Ok(Vec::new()))
    }

    /// [`Warehouse::test_model`] of each of `models`, in their order. The tests of
    /// different models run side by side: each is a few small queries, whose planning is
    /// work for one core. A model whose tests fail to run has its error in its place.
    pub async fn test_models(&mut self, models: &[Model]) -> Vec<Result<Vec<TestOutcome>>> {
        let mut results: Vec<Option<Result<Vec<TestOutcome>>>> = Vec::new();
        let mut jobs = tokio::task::JoinSet::new();
        let mut model_of_job = std::collections::HashMap::new();
        for (i, model) in models.iter().enumerate() {
            if model.doc.partition_by.is_some() {
                let outcomes = self.partition_outcomes.get(&model.name).cloned();
                results.push(Some(Ok(outcomes.unwrap_or_default())));
                continue;
            }
            let tests_key = match self.tests_key(model).await {
                Ok(key) => key,
                Err(e) => {
                    results.push(Some(Err(e)));
                    continue;
                }
            };
            if let Some(record) = self
                .models
                .get(&model.name)
                .filter(|r| self.reused_models.contains(&model.name) && r.tests_key == tests_key)
            {
                let recorded = record
                    .findings
                    .iter()
                    .map(|f| TestOutcome::recorded(&model.name, f.test.clone(), f))
                    .collect();
                results.push(Some(Ok(recorded)));
                continue;
            }
            results.push(None);
            let (ctx, model) = (self.ctx.clone(), model.clone());
            let job = jobs.spawn(async move {
                let step = std::time::Instant::now();
                let outcomes = run_tests(&ctx, &model).await;
                tracing::debug!(
                    model = %model.name,
                    tests = outcomes.as_ref().map_or(0, Vec::len),
                    ms = step.elapsed().as_millis(),
                    "model tested"
                );
                (tests_key, outcomes)
            });
            model_of_job.insert(job.id(), i);
        }
        while let Some(job) = jobs.join_next_with_id().await {
            let (i, (tests_key, outcomes)) = match job {
                Ok((id, done)) => (model_of_job[&id], done),
                // A task that panicked: an error of its model, as in the indicators.
                Err(e) => {
                    let i = model_of_job[&e.id()];
                    let error = datafusion::error::DataFusionError::External(Box::new(e));
                    results[i] = Some(Err(error.into()));
                    continue;
                }
            };
            if let (Ok(outcomes), Some(record)) = (&outcomes, self.models.get_mut(&models[i].name))
            {
                record.tests_key = tests_key;
                record.findings = TestOutcome::findings(outcomes);
            }
            results[i] = Some(outcomes);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Ok(Vec::new())))
            .collect()
    }
}

/// Run the tests of `model` on the table the session holds under its name.
pub(crate) async fn run_tests(ctx: &SessionContext, model: &Model) -> Result<Vec<TestOutcome>> {
    let tests = models::test_queries(model);
    let no_count = |name: &str| WarehouseError::Config {
        path: model.path.with_extension("toml"),
        message: format!("test {name} did not return a row count"),
    };
    // The checks of single rows are counted together, in one pass over the table.
    let conditions: Vec<String> = tests
        .iter()
        .filter_map(|t| t.row_condition.as_deref())
        .enumerate()
        .map(|(i, c)| format!("count(*) FILTER (WHERE {c}) AS failing_{i}"))
        .collect();
    let row_counts = if conditions.is_empty() {
        Vec::new()
    } else {
        let sql = format!("SELECT {} FROM {}", conditions.join(", "), model.name);
        ctx.sql(&sql).await?.collect().await?
    };
    let mut row_column = 0;
    let mut out = Vec::new();
    for test in tests {
        // A count query returns one Int64 row; anything else must not read as "passed".
        let failing = if test.row_condition.is_some() {
            row_column += 1;
            first_int(&row_counts, row_column - 1)
        } else {
            first_int(&ctx.sql(&test.count_sql()).await?.collect().await?, 0)
        }
        .ok_or_else(|| no_count(&test.name))?;
        let sample = if failing > 0 {
            let batches = ctx
                .sql(&test.sample_sql(FAILING_SAMPLE))
                .await?
                .collect()
                .await?;
            arrow::util::pretty::pretty_format_batches(&batches)?.to_string()
        } else {
            String::new()
        };
        out.push(TestOutcome {
            model: test.model,
            name: test.name,
            failing_rows: failing.max(0) as u64,
            sample,
            warning: test.warning,
        });
    }
    Ok(out)
}

/// Column `column` of the first row of `batches`, when it is an Int64 (a count).
pub(crate) fn first_int(batches: &[RecordBatch], column: usize) -> Option<i64> {
    let batch = batches.iter().find(|b| b.num_rows() > 0)?;
    batch
        .columns()
        .get(column)?
        .as_any()
        .downcast_ref::<Int64Array>()
        .map(|a| a.value(0))
}
