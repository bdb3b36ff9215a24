//! Owns the `orders` command: one large single-layout CSV for benchmarks,
//! streamed order by order through a buffered writer so memory stays flat
//! however many rows are asked for.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::catalog::Sector;
use crate::layout::CsvLayout;
use crate::messy::{BadCounts, BadKind, Injector};
use crate::orders::{self, Draws, IdScheme, Line};
use crate::rng::SplitMix64;
use crate::sample::{YEARS, agri_line_share};
use crate::shops::{self, Shop};
use crate::textout::{CsvSink, TextEncoding};
use crate::timeline;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncodingArg {
    Utf8,
    Gbk,
}

/// The order of the orders in the file (an order's lines stay together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RowOrder {
    /// Oldest first, as the generator's files always were.
    Ascending,
    /// Newest first, as back offices export.
    Descending,
    /// In no order of time (a permutation of the ascending positions).
    Shuffled,
}

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub rows: u64,
    pub layout: CsvLayout,
    /// `None` = the platform's own export encoding.
    pub encoding: Option<EncodingArg>,
    pub out: PathBuf,
    pub seed: u64,
    /// Shops selling (at least the platform's real ones; see [`shops::bench_shops`]).
    pub shops: usize,
    pub order: RowOrder,
}

/// Where the order at row position `g` of `rows` is placed in time: a bijection of
/// `0..rows`, so the file covers the same times in another order.
fn placed(order: RowOrder, g: u64, rows: u64, step: u64) -> u64 {
    match order {
        RowOrder::Ascending => g,
        RowOrder::Descending => rows - 1 - g,
        // Multiplication by a number coprime with `rows` permutes the residues.
        RowOrder::Shuffled => ((u128::from(g) * u128::from(step)) % u128::from(rows)) as u64,
    }
}

/// A multiplier coprime with `rows`, near the golden ratio of it (positions far apart).
fn coprime_step(rows: u64) -> u64 {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    let mut step = ((rows as f64) * 0.618_033_988_7) as u64 | 1;
    while gcd(step, rows) != 1 {
        step += 2;
    }
    step
}

fn resolve_encoding(layout: CsvLayout, arg: Option<EncodingArg>) -> TextEncoding {
    match (arg, layout.native_encoding()) {
        (None, native) => native,
        (Some(EncodingArg::Gbk), _) => TextEncoding::Gbk,
        // A UTF-8 layout keeps its BOM convention; GBK-native Taobao gets none.
        (Some(EncodingArg::Utf8), TextEncoding::Gbk) => TextEncoding::Utf8,
        (Some(EncodingArg::Utf8), native) => native,
    }
}

pub fn run(cfg: &BenchConfig) -> Result<()> {
    if cfg.rows == 0 {
        bail!("--rows must be at least 1");
    }
    if let Some(dir) = cfg.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let platform = cfg.layout.platform();
    let all = shops::bench_shops(platform, cfg.shops);
    let candidates: Vec<&Shop> = all.iter().collect();
    let a = agri_line_share();
    let running: Vec<f64> = candidates
        .iter()
        .scan(0.0, |total, s| {
            *total += match s.sector {
                Sector::Agri => a * s.weight,
                Sector::NonAgri => (1.0 - a) * s.weight,
            };
            Some(*total)
        })
        .collect();
    let step = coprime_step(cfg.rows);
    // Row positions of the years in ascending order: year `yi` holds `starts[yi]..starts[yi + 1]`.
    let n_years = YEARS.len() as u64;
    let per_year: Vec<u64> = (0..n_years)
        .map(|yi| cfg.rows / n_years + u64::from(yi < cfg.rows % n_years))
        .collect();
    let starts: Vec<u64> = per_year
        .iter()
        .scan(0, |s, n| {
            let start = *s;
            *s += n;
            Some(start)
        })
        .collect();

    let mut d = Draws::new(SplitMix64::stream(
        cfg.seed,
        &format!("bench-{}", platform.code()),
    ));
    let ids = IdScheme::new(&mut d.rng);
    let mut injector = Injector::new(
        SplitMix64::stream(cfg.seed, &format!("bench-bad-{}", platform.code())),
        platform,
    );
    let encoding = resolve_encoding(cfg.layout, cfg.encoding);
    let file = File::create(&cfg.out).with_context(|| format!("creating {}", cfg.out.display()))?;
    let mut sink = CsvSink::new(
        BufWriter::with_capacity(1 << 20, file),
        encoding,
        cfg.layout.line_ending(),
    );
    cfg.layout.write_header(&mut sink)?;

    let started = Instant::now();
    let mut bad_counts = BadCounts::default();
    let mut order_seq = 0u64;
    let mut line_seq = 0u64;
    let mut written = 0u64;
    let mut next_progress = 5_000_000u64;
    let mut order: Vec<Line<'_>> = Vec::with_capacity(4);
    for (yi, &n_year) in per_year.iter().enumerate() {
        let mut k = 0u64;
        while k < n_year {
            let shop = candidates[d.shop_by_running_total(&running)];
            let items = d.item_count(platform, shop).min((n_year - k) as usize);
            // The time of the row position this order is placed at.
            let at = placed(cfg.order, starts[yi] + k, cfg.rows, step);
            let at_year = starts.partition_point(|&s| s <= at) - 1;
            let created = timeline::sweep_created(
                &mut d.rng,
                YEARS[at_year],
                at - starts[at_year],
                per_year[at_year],
            );
            order.clear();
            orders::push_order(&mut d, shop, items, created, &mut order);
            let n_lines = order.len() as u64;
            for (j, line) in order.iter_mut().enumerate() {
                line.order_seq = order_seq;
                line.line_seq = line_seq;
                line_seq += 1;
                let mut bad = injector.next();
                // A duplicate costs an extra row; only take it if it fits.
                let still_needed = n_year - k - (n_lines - j as u64);
                if bad == Some(BadKind::DuplicateLine) && still_needed == 0 {
                    bad = None;
                }
                k += cfg.layout.write_line(&mut sink, &ids, line, bad)?;
                if let Some(b) = bad {
                    bad_counts.add(b);
                }
            }
            order_seq += 1;
            if written + k >= next_progress {
                eprintln!("  {} rows…", written + k);
                next_progress += 5_000_000;
            }
        }
        written += k;
    }
    let (_, bytes) = sink
        .finish()
        .with_context(|| format!("writing {}", cfg.out.display()))?;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "wrote {} ({written} rows, {order_seq} orders, {:.1} MiB, {:?}) in {secs:.2}s: {:.0} rows/s, {:.1} MiB/s",
        cfg.out.display(),
        bytes as f64 / (1 << 20) as f64,
        encoding,
        written as f64 / secs,
        bytes as f64 / (1 << 20) as f64 / secs,
    );
    println!("bad rows: {} [{}]", bad_counts.total(), bad_counts);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_order_places_each_row_position_exactly_once() {
        for rows in [1u64, 2, 3, 10, 1000, 1024, 999_983] {
            let step = coprime_step(rows);
            for order in [
                RowOrder::Ascending,
                RowOrder::Descending,
                RowOrder::Shuffled,
            ] {
                let mut seen = vec![false; rows as usize];
                for g in 0..rows {
                    let at = placed(order, g, rows, step) as usize;
                    assert!(!seen[at], "{order:?} places {at} twice of {rows}");
                    seen[at] = true;
                }
            }
        }
        // Shuffled is no order: neighbours in the file land far apart in time.
        let step = coprime_step(1000);
        let gap = placed(RowOrder::Shuffled, 1, 1000, step).abs_diff(placed(
            RowOrder::Shuffled,
            0,
            1000,
            step,
        ));
        assert!(gap > 100, "{gap}");
    }

    #[test]
    fn bench_shops_are_the_real_ones_then_distinct_unregistered_copies() {
        let platform = crate::shops::Platform::Taobao;
        let real: Vec<String> = shops::all_shops()
            .into_iter()
            .filter(|s| s.platform == platform)
            .map(|s| s.id)
            .collect();
        let many = shops::bench_shops(platform, 300);
        assert_eq!(many.len(), 300);
        let ids: std::collections::HashSet<&str> = many.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), 300, "ids distinct");
        assert_eq!(
            many[..real.len()]
                .iter()
                .map(|s| s.id.clone())
                .collect::<Vec<_>>(),
            real
        );
        assert!(many[real.len()..].iter().all(|s| !s.is_registered()));
        // Fewer than the real ones asked: the real ones all the same.
        assert_eq!(shops::bench_shops(platform, 0).len(), real.len());
    }
}
