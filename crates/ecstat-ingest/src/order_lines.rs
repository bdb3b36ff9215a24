//! The order lines of an export after the normalising query: staged by order month, the
//! rows the SQL rejected quarantined, lines repeated within the file found (in bounded
//! memory), and the file's totals for the reconciliation.

use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher;
use std::path::Path;

use arrow::array::{Array, AsArray};
use datafusion::error::DataFusionError;
use futures::StreamExt;

use crate::{
    IngestError, NormalisedStream, Output, Result, source_rows, staged, text_column, udf, value_at,
};

/// Order lines: quarantine what the SQL rejected, and (with `check_repeats`) order lines
/// seen earlier in the file. Returns how many lines could not be checked for repeats (see
/// [`LinesSeen`]), how many were staged under the file's unknown shop, and the file's
/// totals ([`Tally`]).
pub(crate) async fn order_rows(
    mut stream: NormalisedStream,
    output: &mut Output<'_>,
    on_rows: &(dyn Fn(u64) + Sync),
    path: &Path,
    check_repeats: bool,
    unknown_shop: &str,
) -> Result<(u64, u64, Option<ecstat_lake::Reconciliation>)> {
    let mut unknown_shop_lines = 0u64;
    let mut tally = Tally::default();
    let engine_err = |source| IngestError::engine(path, source);
    let staged_schema = staged::orders_file_schema();
    let mut seen = LinesSeen::new(LinesSeen::MAX_KEYS);
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(engine_err)?;
        on_rows(batch.num_rows() as u64);
        let text = |name: &str| text_column(&batch, name).map_err(engine_err);
        let (rule, order_id, sub_order_id, title, shop_id, status) = (
            text("_reject_rule")?,
            text("order_id")?,
            text("sub_order_id")?,
            text("item_title")?,
            text("shop_id")?,
            text("status")?,
        );
        let money = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| {
                    c.as_primitive_opt::<arrow::datatypes::Decimal128Type>()
                        .cloned()
                })
                .ok_or_else(|| {
                    engine_err(DataFusionError::Internal(format!(
                        "normalised batch lacks {name}"
                    )))
                })
        };
        let (goods, refund) = (money("goods_amount_yuan")?, money("refund_yuan")?);
        let order_time = batch
            .column_by_name("order_time")
            .and_then(|c| {
                c.as_primitive_opt::<arrow::datatypes::TimestampMicrosecondType>()
                    .cloned()
            })
            .ok_or_else(|| {
                engine_err(DataFusionError::Internal(
                    "normalised batch lacks order_time".into(),
                ))
            })?;
        let rows = source_rows(&batch).map_err(engine_err)?;
        // The rows staged, as runs of consecutive rows: written as slices of the batch, not
        // copied out of it (about one line in a thousand is held back).
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for i in 0..batch.num_rows() {
            if rule.is_valid(i) {
                output.quarantine.push(
                    rows.value(i),
                    value_at(&batch, "_reject_column", i),
                    value_at(&batch, "_reject_value", i),
                    rule.value(i),
                );
                continue;
            }
            let line = if sub_order_id.is_valid(i) {
                sub_order_id.value(i)
            } else if title.is_valid(i) {
                title.value(i)
            } else {
                ""
            };
            // Every spec requires the order time, so a line without one was quarantined
            // above; were it not, such lines would be looked for among themselves.
            let day = if order_time.is_valid(i) {
                order_time.value(i).div_euclid(udf::MICROS_PER_DAY)
            } else {
                i64::MIN
            };
            if !check_repeats || seen.first_time(day, order_id.value(i), line) {
                if shop_id.is_valid(i) && shop_id.value(i) == unknown_shop {
                    unknown_shop_lines += 1;
                }
                let status = status.is_valid(i).then(|| status.value(i));
                let net = if matches!(status, Some("completed" | "refunded")) {
                    (goods.value(i) - refund.value(i)).max(0)
                } else {
                    0
                };
                tally.line(order_id.value(i), status == Some("completed"), net);
                if order_time.is_valid(i) {
                    let t = order_time.value(i);
                    tally.latest = Some(tally.latest.map_or(t, |l: i64| l.max(t)));
                }
                match runs.last_mut() {
                    Some((start, len)) if *start + *len == i => *len += 1,
                    _ => runs.push((i, 1)),
                }
            } else {
                output.quarantine.push(
                    rows.value(i),
                    Some("order_id".into()),
                    Some(format!("{} / {line}", order_id.value(i))),
                    "duplicate_order_line",
                );
            }
        }
        for (start, len) in runs {
            output.write(
                &batch.slice(start, len),
                "order_month",
                "month",
                &staged_schema,
            )?;
        }
    }
    Ok((seen.unchecked, unknown_shop_lines, Some(tally.finish())))
}

/// The totals of an order export's staged lines (see [`ecstat_lake::Reconciliation`]).
/// Orders are told apart by a 128-bit hash of their id: 16 bytes an order.
#[derive(Default)]
pub(crate) struct Tally {
    lines: u64,
    orders: HashSet<u128>,
    completed: HashSet<u128>,
    sales_fen: i128,
    latest: Option<i64>,
    /// The order id of the line before, and its key.
    last: Option<(String, u128)>,
}

impl Tally {
    fn line(&mut self, order_id: &str, completed: bool, net_fen: i128) {
        self.lines += 1;
        self.sales_fen += net_fen;
        // An order's lines usually come one after another: its id is hashed once.
        if self.last.as_ref().is_none_or(|(id, _)| id != order_id) {
            let key = twox_hash::XxHash3_128::oneshot(order_id.as_bytes());
            self.orders.insert(key);
            self.last = Some((order_id.to_string(), key));
        }
        if completed && let Some((_, key)) = &self.last {
            self.completed.insert(*key);
        }
    }

    fn finish(self) -> ecstat_lake::Reconciliation {
        ecstat_lake::Reconciliation {
            lines: self.lines,
            orders: self.orders.len() as u64,
            completed_orders: self.completed.len() as u64,
            sales_fen: i64::try_from(self.sales_fen).unwrap_or(i64::MAX),
            latest_order_time: self.latest,
        }
    }
}

/// The order lines of a file seen so far, to find a line written twice. A line is its
/// order id plus sub-order id, or the item title where the export has none. Its copies
/// carry the same order time (the platform's creation time of the order, which does not
/// change between exports), so they are looked for among the lines of the same order day.
/// stg_orders identifies a line within its order month, which holds the day. Its key is a
/// randomly seeded 128-bit XXH3 of the two texts: a false duplicate among a file's lines
/// is about as likely as never.
///
/// Why days, not months: a day's set of keys (about 10 thousand in a county's year of 10
/// million lines) stays in the processor's cache; a month's (300 thousand, 9 MB) does not,
/// and each of its inserts waited for memory. On 10M lines in time order that was about a
/// second of CPU time of ingest (measured with the same hash set and keys on this machine:
/// 1.8 s with a set per month, 0.9 s with a set per day).
///
/// Memory is bounded: past `max_keys` keys, the days that come first in the calendar are
/// let go (exports are written in time order, so those are done). A line of a day let go
/// is staged unchecked and counted in `unchecked`; stg_orders keeps one copy of each line
/// of a month whatever its files hold, so no figure changes, only this file's report of
/// its repeated lines is incomplete.
pub(crate) struct LinesSeen {
    /// Keys by order day (days since 1970-01-01 of the order time, as written).
    pub(crate) days: BTreeMap<i64, HashSet<u128, KeyHash>>,
    pub(crate) keys: usize,
    pub(crate) max_keys: usize,
    pub(crate) released: std::collections::BTreeSet<i64>,
    pub(crate) unchecked: u64,
    pub(crate) seed: u64,
    /// The text hashed, reused from line to line.
    pub(crate) identity: Vec<u8>,
}

impl LinesSeen {
    /// About 4 months of 10 million lines a year: 64 MiB of keys.
    const MAX_KEYS: usize = 4 << 20;

    pub(crate) fn new(max_keys: usize) -> Self {
        Self {
            days: BTreeMap::new(),
            keys: 0,
            max_keys,
            released: std::collections::BTreeSet::new(),
            unchecked: 0,
            seed: std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), 0u8),
            identity: Vec::new(),
        }
    }

    /// Whether this is the first time the line of an order made on `day` is seen (or it
    /// can no longer be checked).
    pub(crate) fn first_time(&mut self, day: i64, order_id: &str, line: &str) -> bool {
        // The order id's length first, so that no two (order id, line) pairs share a text.
        self.identity.clear();
        self.identity
            .extend_from_slice(&(order_id.len() as u64).to_le_bytes());
        self.identity.extend_from_slice(order_id.as_bytes());
        self.identity.extend_from_slice(line.as_bytes());
        let key = twox_hash::XxHash3_128::oneshot_with_seed(self.seed, &self.identity);
        match self.days.get_mut(&day) {
            Some(set) => {
                if !set.insert(key) {
                    return false;
                }
            }
            None if self.released.contains(&day) => {
                self.unchecked += 1;
                return true;
            }
            None => {
                let mut set = HashSet::default();
                set.insert(key);
                self.days.insert(day, set);
            }
        }
        self.keys += 1;
        while self.keys > self.max_keys {
            let Some(first) = self.days.keys().next().filter(|d| **d != day).copied() else {
                break;
            };
            if let Some(set) = self.days.remove(&first) {
                self.keys -= set.len();
            }
            self.released.insert(first);
        }
        true
    }
}

/// Hashes a key that is already a hash: its low 64 bits.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyHash;

impl BuildHasher for KeyHash {
    type Hasher = PassThrough;
    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

pub(crate) struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u128 keys are hashed here; anything else is folded in, FNV-1a style.
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}
