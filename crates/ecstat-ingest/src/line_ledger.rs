//! The ledger of an order export's lines: 40 bytes a line, from which the checks that need
//! the whole file are made once it has been read — a line written twice anywhere in the
//! file, and the file's totals for the reconciliation (lines, orders, completed orders,
//! sales). Nothing here depends on the order of the rows: a file newest first, or in no
//! order at all, is checked exactly as one in time order.
//!
//! Memory is bounded by design: the ledger holds at most [`LineLedger::BUFFER_ENTRIES`]
//! entries (20 MiB); past that it writes them out to [`SPILL_BUCKETS`] files in a temporary
//! folder, each line to the bucket of its order. At the end each bucket is read back and
//! sorted on its own, so what is held then is one bucket: a 256th of the file (1.6 MB for
//! 10 million lines).
//!
//! A line is its order id plus sub-order id, or the item title where the export has none,
//! and its order day: its copies carry the same order time (the platform's creation time,
//! which does not change between exports). An order is a seeded 128-bit XXH3 of its id; a
//! line within its order 64 bits of a seeded XXH3 of its day and text. Two different lines are
//! taken for one only if both hashes agree: about as likely as never.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::{IngestError, Result};

/// Files the ledger spills to, by order.
pub(crate) const SPILL_BUCKETS: usize = 256;

/// One line: its order, its line within the order, its contribution to sales, and its row
/// (the top bit says the line is of a completed order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    order: [u64; 2],
    line: u64,
    net_fen: i64,
    row_completed: u64,
}

const ENTRY_BYTES: usize = 40;
const COMPLETED: u64 = 1 << 63;

impl Entry {
    fn row(&self) -> u64 {
        self.row_completed & !COMPLETED
    }

    fn completed(&self) -> bool {
        self.row_completed & COMPLETED != 0
    }

    fn bucket(&self) -> usize {
        (self.order[0] % SPILL_BUCKETS as u64) as usize
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for word in [
            self.order[0],
            self.order[1],
            self.line,
            self.net_fen as u64,
            self.row_completed,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }

    fn read_from(bytes: &[u8]) -> Self {
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        Self {
            order: [word(0), word(1)],
            line: word(2),
            net_fen: word(3) as i64,
            row_completed: word(4),
        }
    }
}

/// What the ledger found, once the whole file is read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Findings {
    /// Lines counted: every line but the later copies of a repeated one.
    pub(crate) lines: u64,
    pub(crate) orders: u64,
    /// Orders with a counted line of a completed status.
    pub(crate) completed_orders: u64,
    /// Sales of the counted lines, in fen.
    pub(crate) sales_fen: i128,
    /// The later copies of repeated lines, as (row, row of the first copy), by row.
    pub(crate) repeats: Vec<(u64, u64)>,
}

pub(crate) struct LineLedger {
    buffer: Vec<Entry>,
    spill: Option<Spill>,
    seed: u64,
    /// The text hashed, reused from line to line.
    identity: Vec<u8>,
    /// The order id of the line before, and its key: an order's lines usually come one
    /// after another, and its id is hashed once.
    last_order: Option<(String, [u64; 2])>,
    /// Where the spill folder is made.
    spill_dir: PathBuf,
}

struct Spill {
    folder: tempfile::TempDir,
    files: Vec<File>,
    bytes: Vec<u8>,
}

impl LineLedger {
    /// Entries held before the ledger spills: 20 MiB.
    pub(crate) const BUFFER_ENTRIES: usize = 512 * 1024;

    pub(crate) fn new(spill_dir: &Path) -> Self {
        Self {
            spill_dir: spill_dir.to_path_buf(),
            buffer: Vec::new(),
            spill: None,
            seed: std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), 0u8),
            identity: Vec::new(),
            last_order: None,
        }
    }

    /// Records a line of `order_id` made on `day` (days since 1970-01-01 of its order
    /// time), identified within the order by `line`, at `row` of the file.
    pub(crate) fn line(
        &mut self,
        row: u64,
        day: i64,
        order_id: &str,
        line: &str,
        completed: bool,
        net_fen: i64,
    ) -> Result<()> {
        let order = match &self.last_order {
            Some((id, key)) if id == order_id => *key,
            _ => {
                let key = twox_hash::XxHash3_128::oneshot_with_seed(self.seed, order_id.as_bytes());
                let key = [(key >> 64) as u64, key as u64];
                self.last_order = Some((order_id.to_string(), key));
                key
            }
        };
        self.identity.clear();
        self.identity.extend_from_slice(&day.to_le_bytes());
        self.identity.extend_from_slice(line.as_bytes());
        let line = twox_hash::XxHash3_128::oneshot_with_seed(self.seed, &self.identity) as u64;
        self.buffer.push(Entry {
            order,
            line,
            net_fen,
            row_completed: (row & !COMPLETED) | if completed { COMPLETED } else { 0 },
        });
        if self.buffer.len() >= Self::BUFFER_ENTRIES {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the held entries out, each to its order's bucket.
    fn spill(&mut self) -> Result<()> {
        let spill_dir = self.spill_dir.clone();
        let io = |source| IngestError::Io {
            path: spill_dir.clone(),
            source,
        };
        if self.spill.is_none() {
            let folder = tempfile::Builder::new()
                .prefix("ecstat-order-lines-")
                .tempdir_in(&spill_dir)
                .map_err(io)?;
            let files = (0..SPILL_BUCKETS)
                .map(|b| File::create(folder.path().join(format!("{b:03}"))))
                .collect::<std::io::Result<Vec<_>>>()
                .map_err(io)?;
            self.spill = Some(Spill {
                folder,
                files,
                bytes: Vec::new(),
            });
        }
        let Some(spill) = self.spill.as_mut() else {
            return Ok(());
        };
        self.buffer.sort_unstable_by_key(Entry::bucket);
        for run in self.buffer.chunk_by(|a, b| a.bucket() == b.bucket()) {
            spill.bytes.clear();
            for entry in run {
                entry.write_to(&mut spill.bytes);
            }
            spill.files[run[0].bucket()]
                .write_all(&spill.bytes)
                .map_err(io)?;
        }
        self.buffer.clear();
        Ok(())
    }

    /// The repeats and totals of the whole file.
    pub(crate) fn finish(mut self, check_repeats: bool) -> Result<Findings> {
        let mut found = Findings::default();
        let Some(spill) = self.spill.take() else {
            tally(&mut self.buffer, check_repeats, &mut found);
            found.repeats.sort_unstable();
            return Ok(found);
        };
        let folder = spill.folder.path().to_path_buf();
        drop(spill.files);
        let mut bucket = Vec::new();
        let mut bytes = Vec::new();
        self.buffer.sort_unstable_by_key(Entry::bucket);
        let mut held = self.buffer.as_slice();
        for b in 0..SPILL_BUCKETS {
            bucket.clear();
            read_bucket(&folder.join(format!("{b:03}")), &mut bytes)?;
            bucket.extend(bytes.chunks_exact(ENTRY_BYTES).map(Entry::read_from));
            let here = held.partition_point(|e| e.bucket() == b);
            bucket.extend_from_slice(&held[..here]);
            held = &held[here..];
            tally(&mut bucket, check_repeats, &mut found);
        }
        found.repeats.sort_unstable();
        Ok(found)
    }
}

fn read_bucket(path: &Path, bytes: &mut Vec<u8>) -> Result<()> {
    bytes.clear();
    File::open(path)
        .map(BufReader::new)
        .and_then(|mut f| f.read_to_end(bytes))
        .map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(())
}

/// Adds the entries of whole orders to the findings: each line's first copy (lowest row)
/// counts; its later copies are repeats (when `check_repeats`; otherwise every copy counts).
fn tally(entries: &mut [Entry], check_repeats: bool, found: &mut Findings) {
    entries.sort_unstable_by_key(|e| (e.order, e.line, e.row()));
    for order in entries.chunk_by(|a, b| a.order == b.order) {
        found.orders += 1;
        let mut completed = false;
        for copies in order.chunk_by(|a, b| a.line == b.line) {
            let counted = if check_repeats { &copies[..1] } else { copies };
            for e in counted {
                found.lines += 1;
                found.sales_fen += i128::from(e.net_fen);
                completed |= e.completed();
            }
            if check_repeats {
                let first = copies[0].row();
                found
                    .repeats
                    .extend(copies[1..].iter().map(|e| (e.row(), first)));
            }
        }
        found.completed_orders += u64::from(completed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (row, day, order, line, completed, net) in the order given.
    fn ledger_of(lines: &[(u64, i64, &str, &str, bool, i64)], spill: &Path) -> LineLedger {
        let mut ledger = LineLedger::new(spill);
        for &(row, day, order, line, completed, net) in lines {
            ledger
                .line(row, day, order, line, completed, net)
                .expect("line");
        }
        ledger
    }

    #[test]
    fn a_repeat_is_found_wherever_it_is_and_counted_once() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let lines = [
            (1, 10, "A", "1", true, 100),
            (2, 10, "A", "2", true, 50),
            (3, 11, "B", "1", false, 0),
            // The same order id and line on another day is another line (its order time
            // differs); stg_orders decides between them.
            (4, 12, "A", "1", true, 7),
            (5, 10, "A", "1", true, 100),
            (6, 11, "B", "1", true, 30),
        ];
        let forward = ledger_of(&lines, tmp.path()).finish(true).expect("finish");
        assert_eq!(forward.repeats, vec![(5, 1), (6, 3)]);
        assert_eq!(
            (
                forward.lines,
                forward.orders,
                forward.completed_orders,
                forward.sales_fen
            ),
            (4, 2, 1, 157),
            "B's completed copy is a repeat: B counts as not completed"
        );
        // Newest first: the same repeats (the later rows), the same totals.
        let mut backward = lines;
        backward.reverse();
        let found = ledger_of(&backward, tmp.path())
            .finish(true)
            .expect("finish");
        assert_eq!(found, forward);
        // Without the check every copy counts.
        let all = ledger_of(&lines, tmp.path()).finish(false).expect("finish");
        assert_eq!((all.lines, all.sales_fen, all.repeats.len()), (6, 287, 0));
    }

    #[test]
    fn a_file_larger_than_the_buffer_is_checked_through_its_spill_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let n = LineLedger::BUFFER_ENTRIES as u64 * 2 + 1000;
        let mut ledger = LineLedger::new(tmp.path());
        // Orders of two lines, shuffled by a multiplicative step; every 1000th line of the
        // file written again at the end.
        let step = 7_919u64;
        let mut rows = 0u64;
        for g in 0..n {
            let k = (g * step) % n;
            let order = format!("O{}", k / 2);
            let line = format!("{}", k % 2);
            rows += 1;
            ledger
                .line(
                    rows,
                    (k / 2 % 30) as i64,
                    &order,
                    &line,
                    k.is_multiple_of(3),
                    1,
                )
                .expect("line");
        }
        let mut expected = Vec::new();
        for g in (0..n).step_by(1000) {
            let k = (g * step) % n;
            rows += 1;
            ledger
                .line(
                    rows,
                    (k / 2 % 30) as i64,
                    &format!("O{}", k / 2),
                    &format!("{}", k % 2),
                    true,
                    1,
                )
                .expect("line");
            expected.push((rows, g + 1));
        }
        assert!(ledger.spill.is_some(), "spilled");
        let found = ledger.finish(true).expect("finish");
        assert_eq!(found.repeats, expected);
        assert_eq!(found.lines, n);
        assert_eq!(found.orders, n.div_ceil(2));
        assert_eq!(found.sales_fen, i128::from(n));
        // The spill folder is gone with the ledger.
        assert_eq!(std::fs::read_dir(tmp.path()).expect("dir").count(), 0);
    }
}
