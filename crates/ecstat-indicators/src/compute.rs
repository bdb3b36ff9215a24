//! Running the catalogue over a warehouse: each indicator's rows, the contributions
//! behind its cells, disclosure control, and the one long table `ind_results`.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{Float64Type, SchemaRef};
use datafusion::dataframe::DataFrame;
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;
use ecstat_core::programme::Programme;
use ecstat_core::sql::literal as quote;

use crate::catalogue::{Catalogue, Indicator};
use crate::disclosure::{self, Cell, CellKey};
use crate::sql::{CALENDAR, Steps, base_sql, bounds, indicator_sql, per_dimension};

/// What a computation needs besides the warehouse.
pub struct Inputs<'a> {
    pub version: u64,
    /// The last month with data (数据截至).
    pub data_as_of: Option<&'a str>,
    /// Department of each source table, to name a missing one.
    pub departments: &'a BTreeMap<String, String>,
    /// The county, its baseline year and the programme's years (the project file).
    pub programme: &'a Programme,
}

/// `ind_results` for the snapshot the tables of `ctx` belong to, as a DataFrame over
/// computed batches.
pub async fn compute(
    ctx: &SessionContext,
    catalogue: &Catalogue,
    inputs: &Inputs<'_>,
) -> Result<DataFrame> {
    let step = std::time::Instant::now();
    let empty = empty_tables(ctx, catalogue).await?;
    tracing::debug!(ms = step.elapsed().as_millis(), "required tables counted");
    // Every indicator's rows and contributions are independent queries: run them side by
    // side (planning each is single-threaded work), then put them together in order.
    let mut jobs = tokio::task::JoinSet::new();
    for (i, ind) in catalogue.indicators.iter().enumerate() {
        let missing: Vec<String> = ind
            .requires
            .iter()
            .filter(|t| empty.contains(t.as_str()))
            .map(|t| match inputs.departments.get(t) {
                Some(d) => format!("{t}（{d}）"),
                None => t.clone(),
            })
            .collect();
        let base = base_sql(ind, &missing);
        let rows = indicator_sql(inputs.programme, ind, &missing);
        let contributions = if missing.is_empty() {
            contributions_sql(inputs.programme, ind)
        } else {
            None
        };
        let ctx = ctx.clone();
        let code = ind.code.clone();
        jobs.spawn(async move {
            let context = |e: DataFusionError| e.context(format!("indicator `{code}`"));
            let mut kept = Kept::new(ctx, format!("ecstat_ind_{i}_"));
            // Kept even without a required source (then with no rows): an error in the
            // indicator's SQL shows whatever the snapshot holds.
            kept.keep("base", &base).await.map_err(context)?;
            let (schema, batches) = kept.run(&rows).await.map_err(context)?;
            let cells = match contributions {
                Some(steps) => cells_of(&code, &kept.run(&steps).await.map_err(context)?.1)?,
                None => Vec::new(),
            };
            Ok::<_, DataFusionError>((i, schema, batches, cells))
        });
    }
    let mut done = Vec::with_capacity(catalogue.indicators.len());
    while let Some(job) = jobs.join_next().await {
        done.push(job.map_err(|e| DataFusionError::External(Box::new(e)))??);
    }
    tracing::debug!(ms = step.elapsed().as_millis(), "indicator queries done");
    done.sort_by_key(|(i, ..)| *i);
    let mut parts = Vec::new();
    let mut cells = Vec::new();
    for (i, schema, batches, indicator_cells) in done {
        let name = format!("ecstat_ind_part_{i}");
        ctx.register_table(&name, Arc::new(MemTable::try_new(schema, vec![batches])?))?;
        parts.push(name);
        cells.extend(indicator_cells);
    }
    let suppressed = disclosure::suppress(&cells, &catalogue.disclosure);
    ctx.register_batch("ecstat_ind_cells", cells_batch(&cells, &suppressed)?)?;

    let union = parts
        .iter()
        .map(|p| format!("SELECT * FROM {p}"))
        .collect::<Vec<_>>()
        .join("\nUNION ALL\n");
    let as_of = inputs
        .data_as_of
        .map(quote)
        .unwrap_or_else(|| "CAST(NULL AS VARCHAR)".into());
    let sql = format!(
        "SELECT r.*, c.contributors,
                -- A growth rate gives away its base as well as its value.
                CASE WHEN r.measure IN ('yoy_pct', 'vs_baseline_pct') THEN coalesce(c.disclosure, b.disclosure)
                     ELSE c.disclosure END AS disclosure,
                CAST({version} AS BIGINT) AS snapshot_version, {as_of} AS data_as_of
         FROM (\n{union}\n) r
         LEFT JOIN ecstat_ind_cells c
           ON c.indicator_code = r.indicator_code AND c.dimension = r.dimension AND c.member = r.member
          AND c.period = r.period
          AND c.period_type = CASE WHEN r.measure = 'programme_total' THEN 'programme' ELSE r.period_type END
         LEFT JOIN ecstat_ind_cells b
           ON r.measure IN ('yoy_pct', 'vs_baseline_pct')
          AND b.indicator_code = r.indicator_code AND b.dimension = r.dimension AND b.member = r.member
          AND b.period_type = r.period_type AND b.period = r.base_period
         ORDER BY indicator_code, measure, period_type, period, dimension, member",
        version = inputs.version
    );
    let df = ctx.sql(&sql).await?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?;
    tracing::debug!(ms = step.elapsed().as_millis(), "ind_results put together");
    for name in parts.iter().map(String::as_str).chain(["ecstat_ind_cells"]) {
        ctx.deregister_table(name)?;
    }
    ctx.read_table(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

/// The results of one indicator's steps ([`Steps`]), kept in memory under
/// `{prefix}{name}` while the indicator is computed, and dropped with it.
struct Kept {
    ctx: SessionContext,
    prefix: String,
    names: Vec<&'static str>,
}

impl Kept {
    fn new(ctx: SessionContext, prefix: String) -> Self {
        Self {
            ctx,
            prefix,
            names: Vec::new(),
        }
    }

    /// Computes `sql` and keeps its rows as `name`.
    async fn keep(&mut self, name: &'static str, sql: &str) -> Result<()> {
        let (schema, batches) = self.collect(sql).await?;
        self.ctx.register_table(
            format!("{}{name}", self.prefix),
            Arc::new(MemTable::try_new(schema, vec![batches])?),
        )?;
        self.names.push(name);
        Ok(())
    }

    /// The rows of `sql`, which reads the kept results by their names.
    async fn collect(&self, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let sql = if self.names.is_empty() {
            sql.to_string()
        } else {
            let names = self
                .names
                .iter()
                .map(|n| format!("{n} AS (SELECT * FROM {}{n})", self.prefix))
                .collect::<Vec<_>>()
                .join(",\n");
            format!("WITH {names}\nSELECT * FROM (\n{sql}\n)")
        };
        let df = self.ctx.sql(&sql).await?;
        let planned = Arc::new(df.schema().as_arrow().clone());
        let batches = df.collect().await?;
        // The rows' own schema: the plan's may differ from it in nullability.
        let schema = batches.first().map_or(planned, |b| b.schema());
        Ok((schema, batches))
    }

    /// The rows of `query`: its steps are kept while its select runs, then dropped.
    async fn run(&mut self, query: &Steps) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let before = self.names.len();
        let rows = async {
            for (name, sql) in &query.steps {
                self.keep(name, sql).await?;
            }
            self.collect(&query.select).await
        }
        .await;
        self.drop_from(before);
        rows
    }

    fn drop_from(&mut self, from: usize) {
        for name in self.names.drain(from..) {
            // Only a table that is not there fails to deregister.
            let _ = self.ctx.deregister_table(format!("{}{name}", self.prefix));
        }
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        self.drop_from(0);
    }
}

/// The required tables that have no rows.
async fn empty_tables(
    ctx: &SessionContext,
    catalogue: &Catalogue,
) -> Result<std::collections::BTreeSet<String>> {
    let required: std::collections::BTreeSet<&str> = catalogue
        .indicators
        .iter()
        .flat_map(|i| i.requires.iter().map(String::as_str))
        .collect();
    let mut empty = std::collections::BTreeSet::new();
    for table in required {
        let batches = ctx
            .sql(&format!("SELECT count(*) AS n FROM \"{table}\""))
            .await
            .map_err(|e| e.context(format!("required table `{table}`")))?
            .collect()
            .await?;
        let n = batches
            .first()
            .map(|b| {
                b.column(0)
                    .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                    .value(0)
            })
            .unwrap_or(0);
        if n == 0 {
            empty.insert(table.to_string());
        }
    }
    Ok(empty)
}

/// The SQL of the contributions behind each published cell of `ind`, from its rows in
/// `base`: contributors, total, largest and second-largest contribution per period and
/// breakdown member.
pub fn contributions_sql(programme: &Programme, ind: &Indicator) -> Option<Steps> {
    let who = ind.contributor.as_deref()?;
    let per_member = per_dimension(
        programme,
        ind,
        "contributed",
        ", ecstat_contributor",
        "CAST(sum(value) AS DECIMAL(22,4)) AS v",
    );
    let c = format!(
        "WITH contributed AS (SELECT b.*, CAST(b.{who} AS VARCHAR) AS ecstat_contributor FROM base b),
per_member AS (
  {per_member}
)
SELECT dimension, member, CAST(substr(month, 1, 4) AS INT) AS year, CAST(substr(month, 6, 2) AS INT) AS mon,
       ecstat_contributor AS who, v
FROM per_member"
    );
    let start = programme.first_year();
    let programme_total = format!(
        "UNION ALL
  SELECT 'programme', CAST(cy.year AS VARCHAR), x.dimension, x.member, x.who, sum(x.v)
  FROM (SELECT DISTINCT year FROM calendar WHERE year >= {start}) cy
  JOIN c x ON x.year BETWEEN {start} AND cy.year
  GROUP BY cy.year, x.dimension, x.member, x.who"
    );
    let select = format!(
        "WITH cells AS (
  SELECT 'month' AS period_type, concat(CAST(year AS VARCHAR), '-', lpad(CAST(mon AS VARCHAR), 2, '0')) AS period,
         dimension, member, who, v
  FROM c
  UNION ALL
  SELECT 'year', CAST(year AS VARCHAR), dimension, member, who, sum(v) FROM c GROUP BY year, dimension, member, who
  UNION ALL
  SELECT 'ytd', concat(CAST(cal.year AS VARCHAR), '-', lpad(CAST(cal.mon AS VARCHAR), 2, '0')), x.dimension, x.member, x.who, sum(x.v)
  FROM calendar cal JOIN c x ON x.year = cal.year AND x.mon <= cal.mon
  GROUP BY cal.year, cal.mon, x.dimension, x.member, x.who
  {programme_total}
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY period_type, period, dimension, member ORDER BY v DESC, who) AS rn
  FROM cells WHERE v <> 0
)
SELECT period_type, period, dimension, member,
       count(*) AS contributors,
       CAST(sum(v) AS DOUBLE) AS total,
       CAST(max(CASE WHEN rn = 1 THEN v END) AS DOUBLE) AS largest,
       CAST(coalesce(max(CASE WHEN rn = 2 THEN v END), 0) AS DOUBLE) AS second
FROM ranked
GROUP BY period_type, period, dimension, member"
    );
    Some(Steps {
        steps: vec![
            ("c", c),
            (
                "bounds",
                format!(
                    "WITH m AS (SELECT dimension, year, mon FROM c)\n{}",
                    bounds(ind)
                ),
            ),
            ("calendar", CALENDAR.to_string()),
        ],
        select,
    })
}

/// The cells of indicator `code` from its contributions query's rows.
fn cells_of(code: &str, batches: &[RecordBatch]) -> Result<Vec<Cell>> {
    let mut cells = Vec::new();
    for b in batches {
        let text = |name: &str| -> Result<Vec<String>> {
            let col = datafusion::arrow::compute::cast(
                b.column_by_name(name)
                    .ok_or_else(|| DataFusionError::Internal(format!("no column {name}")))?,
                &datafusion::arrow::datatypes::DataType::Utf8,
            )?;
            Ok(col
                .as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or("").to_string())
                .collect())
        };
        let (pt, period, dim, member) = (
            text("period_type")?,
            text("period")?,
            text("dimension")?,
            text("member")?,
        );
        let n = b
            .column(4)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let total = b.column(5).as_primitive::<Float64Type>();
        let largest = b.column(6).as_primitive::<Float64Type>();
        let second = b.column(7).as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            cells.push(Cell {
                key: CellKey {
                    indicator: code.to_string(),
                    period_type: pt[i].clone(),
                    period: period[i].clone(),
                    dimension: dim[i].clone(),
                    member: member[i].clone(),
                },
                total: total.value(i),
                contributors: n.value(i).max(0) as u64,
                largest: largest.value(i),
                second: second.value(i),
            });
        }
    }
    Ok(cells)
}

fn cells_batch(
    cells: &[Cell],
    suppressed: &std::collections::HashMap<CellKey, disclosure::Reason>,
) -> Result<RecordBatch> {
    let text = |f: &dyn Fn(&Cell) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(cells.iter().map(f)))
    };
    Ok(RecordBatch::try_from_iter(vec![
        ("indicator_code", text(&|c| &c.key.indicator)),
        ("period_type", text(&|c| &c.key.period_type)),
        ("period", text(&|c| &c.key.period)),
        ("dimension", text(&|c| &c.key.dimension)),
        ("member", text(&|c| &c.key.member)),
        (
            "contributors",
            Arc::new(Int64Array::from_iter_values(
                cells.iter().map(|c| c.contributors as i64),
            )) as ArrayRef,
        ),
        (
            "disclosure",
            Arc::new(StringArray::from_iter(
                cells
                    .iter()
                    .map(|c| suppressed.get(&c.key).map(|r| r.code())),
            )) as ArrayRef,
        ),
    ])?)
}
