//! Owns the `sample` command: sizing each platform × year file so the county
//! follows the planned growth path, generating and writing the files, and
//! summarising what was written (rows, planned bad rows, growth check).
//!
//! Growth is planned at county level. Douyin enters in May 2018 and takes
//! share from the other three platforms rather than adding to the county
//! total, so the county's agricultural volume runs 1.00 / 1.18 / 1.40 and
//! non-agricultural 1.00 / 1.03 / 1.00 whichever platforms carry it.

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::catalog::Sector;
use crate::layout::real::{self, RealLayout};
use crate::layout::{CsvLayout, douyin, jd};
use crate::messy::{self, BadCounts, BadKind};
use crate::orders::{self, Draws, IdScheme, Line, Outcome};
use crate::rng::SplitMix64;
use crate::shops::{self, Platform, Registration, Shop};
use crate::textout::{CsvSink, LineEnding, TextEncoding};
use crate::timeline;

pub const YEARS: [i32; 3] = [2017, 2018, 2019];
const AGRI_GROWTH: [f64; 3] = [1.00, 1.18, 1.40];
const NON_AGRI_GROWTH: [f64; 3] = [1.00, 1.03, 1.00];
/// Agricultural share of 2017 sales value the sample is calibrated to.
const AGRI_VALUE_SHARE: f64 = 0.40;
/// County order lines in 2017 per unit of `--orders-per-year`: three
/// platforms trade in 2017.
const COUNTY_LINES_PER_UNIT: f64 = 3.0;

#[derive(Debug, Clone)]
pub struct SampleConfig {
    pub out_dir: PathBuf,
    pub shops_path: PathBuf,
    /// Where to write what a correct reader finds in each shop's own export.
    pub expected_path: PathBuf,
    pub seed: u64,
    pub orders_per_year: u32,
}

fn douyin_share(year: i32) -> f64 {
    match year {
        2018 => 0.08,
        y if y >= 2019 => 0.15,
        _ => 0.0,
    }
}

fn platform_share(platform: Platform, year: i32) -> f64 {
    let dy = douyin_share(year);
    match platform {
        Platform::Taobao => 0.35 * (1.0 - dy),
        Platform::Jd => 0.30 * (1.0 - dy),
        Platform::Pinduoduo => 0.35 * (1.0 - dy),
        Platform::Douyin => dy,
    }
}

/// Share of order lines that are agricultural, chosen so that agriculture is
/// [`AGRI_VALUE_SHARE`] of goods value given the catalogue's mean prices.
pub fn agri_line_share() -> f64 {
    let va = shops::mean_line_value_cents(Sector::Agri);
    let vn = shops::mean_line_value_cents(Sector::NonAgri);
    AGRI_VALUE_SHARE * vn / (AGRI_VALUE_SHARE * vn + (1.0 - AGRI_VALUE_SHARE) * va)
}

fn line_budget(platform: Platform, year_idx: usize, sector: Sector, orders_per_year: u32) -> usize {
    let a = agri_line_share();
    let (share, growth) = match sector {
        Sector::Agri => (a, AGRI_GROWTH[year_idx]),
        Sector::NonAgri => (1.0 - a, NON_AGRI_GROWTH[year_idx]),
    };
    let county = COUNTY_LINES_PER_UNIT * f64::from(orders_per_year) * share * growth;
    (county * platform_share(platform, YEARS[year_idx])).round() as usize
}

/// Generates one platform-year's lines, time-ordered, with ids assigned.
pub(crate) fn generate_lines<'a>(
    d: &mut Draws,
    shops: &'a [Shop],
    platform: Platform,
    year_idx: usize,
    orders_per_year: u32,
) -> Vec<Line<'a>> {
    let year = YEARS[year_idx];
    let first_month = if platform == Platform::Douyin && year == douyin::FIRST_YEAR {
        douyin::FIRST_MONTH
    } else {
        1
    };
    let mut lines = Vec::new();
    let mut order_of_line: Vec<u64> = Vec::new();
    let mut gen_order = 0u64;
    for sector in Sector::BOTH {
        let candidates: Vec<&Shop> = shops
            .iter()
            .filter(|s| s.platform == platform && s.sector == sector)
            .collect();
        let weights: Vec<f64> = candidates.iter().map(|s| s.weight).collect();
        let budget = line_budget(platform, year_idx, sector, orders_per_year);
        let mut made = 0;
        while made < budget {
            let shop = candidates[d.shop(&weights)];
            let items = d.item_count(platform, shop).min(budget - made);
            let created = timeline::draw_created(&mut d.rng, year, first_month, sector);
            let before = lines.len();
            orders::push_order(d, shop, items, created, &mut lines);
            made += lines.len() - before;
            order_of_line.resize(lines.len(), gen_order);
            gen_order += 1;
        }
    }
    let mut idx: Vec<usize> = (0..lines.len()).collect();
    idx.sort_by_key(|&i| (lines[i].created, order_of_line[i], lines[i].sub_index));
    let mut sorted: Vec<Line<'a>> = Vec::with_capacity(lines.len());
    let mut order_seq = 0u64;
    let mut prev_order = None;
    for (line_seq, i) in idx.into_iter().enumerate() {
        if prev_order.is_some_and(|p| p != order_of_line[i]) {
            order_seq += 1;
        }
        prev_order = Some(order_of_line[i]);
        let mut line = lines[i].clone();
        line.order_seq = order_seq;
        line.line_seq = line_seq as u64;
        sorted.push(line);
    }
    sorted
}

#[derive(Debug, Default, Clone, Copy)]
struct SectorTally {
    lines: u64,
    /// Goods value net of refunds over completed lines, in cents.
    net_cents: i64,
    /// Same, restricted to shops a register or ship-from can attribute.
    attributed_net_cents: i64,
}

#[derive(Debug)]
struct FileReport {
    platform: Platform,
    year: i32,
    name: String,
    bytes: u64,
    data_rows: u64,
    orders: u64,
    bad: BadCounts,
    agri: SectorTally,
    non_agri: SectorTally,
}

fn net_cents(line: &Line<'_>) -> i64 {
    match line.outcome {
        Outcome::Completed => line.goods_cents(),
        Outcome::PartialRefund => line.goods_cents() - line.partial_refund_cents,
        Outcome::FullRefund | Outcome::Cancelled | Outcome::Unpaid => 0,
    }
}

fn attributable(shop: &Shop) -> bool {
    match shop.registration {
        Registration::Registered => true,
        Registration::ShipsFromTownship => shop.platform != Platform::Pinduoduo,
        Registration::Unattributed { .. } => false,
    }
}

/// Lines and counted value by sector, from each line with the value a correct reader
/// counts for it (zero for a quarantined or not-yet-final line).
fn tally<'a, 'b: 'a>(
    lines: impl IntoIterator<Item = (&'a Line<'b>, i64)>,
) -> (SectorTally, SectorTally) {
    let mut agri = SectorTally::default();
    let mut non = SectorTally::default();
    for (line, v) in lines {
        let t = match line.shop.sector {
            Sector::Agri => &mut agri,
            Sector::NonAgri => &mut non,
        };
        t.lines += 1;
        t.net_cents += v;
        if attributable(line.shop) {
            t.attributed_net_cents += v;
        }
    }
    (agri, non)
}

/// The yearly file's lines with what a correct reader counts: quarantined rows drop out; a
/// duplicate's first copy is clean.
fn tally_marked(lines: &[Line<'_>], marks: &[Option<BadKind>]) -> (SectorTally, SectorTally) {
    tally(lines.iter().zip(marks).map(|(line, bad)| {
        let clean = matches!(bad, None | Some(BadKind::DuplicateLine));
        (line, if clean { net_cents(line) } else { 0 })
    }))
}

/// A CSV file to write at `path`, in `encoding` with `eol` line ends.
fn create_sink(
    path: &Path,
    encoding: TextEncoding,
    eol: LineEnding,
) -> Result<CsvSink<BufWriter<File>>> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(CsvSink::new(BufWriter::new(file), encoding, eol))
}

fn write_csv_file(
    path: &Path,
    layout: CsvLayout,
    ids: &IdScheme,
    lines: &[Line<'_>],
    marks: &[Option<BadKind>],
) -> Result<(u64, BadCounts)> {
    let mut sink = create_sink(path, layout.native_encoding(), layout.line_ending())?;
    layout.write_header(&mut sink)?;
    let mut rows = 0;
    let mut counts = BadCounts::default();
    for (line, bad) in lines.iter().zip(marks) {
        rows += layout.write_line(&mut sink, ids, line, *bad)?;
        if let Some(k) = bad {
            counts.add(*k);
        }
    }
    sink.finish()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok((rows, counts))
}

/// Write one shop's own export of `year` in its platform's real back-office layout, under
/// `<out>/店铺_<id>_<name>/`: orders newest first, each made to say only what the layout
/// can (see `layout::real`), the export ending at the year's last second.
fn write_real_export(
    cfg: &SampleConfig,
    platform: Platform,
    year: i32,
    ids: &IdScheme,
    mut lines: Vec<Line<'_>>,
) -> Result<(FileReport, RealExpect)> {
    let layout = RealLayout::of(platform);
    let shop = lines[0].shop;
    let end = chrono::NaiveDate::from_ymd_opt(year, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .context("end of year")?;
    let folder = cfg.out_dir.join(real::shop_folder(shop));
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    let name = format!("{}/{}", real::shop_folder(shop), layout.file_name(year));
    let path = cfg.out_dir.join(&name);
    // Orders as runs of lines (generate_lines keeps an order's lines together), newest first.
    let mut orders: Vec<Vec<Line<'_>>> = Vec::new();
    for line in lines.drain(..) {
        match orders.last_mut() {
            Some(order) if order[0].order_seq == line.order_seq => order.push(line),
            _ => orders.push(vec![line]),
        }
    }
    orders.reverse();
    let mut sink = create_sink(&path, layout.encoding(), layout.line_ending())?;
    sink.record(layout.header())?;
    let mut data_rows = 0;
    let mut completed_orders = 0u64;
    for order in &mut orders {
        layout.as_exported(order);
        data_rows += layout.write_order(&mut sink, ids, order, end)?;
        // Completed: some line signed for and not refunded, the order no longer on its way.
        if order.iter().any(|l| {
            matches!(l.outcome, Outcome::Completed | Outcome::PartialRefund)
                && !real::in_flight(l, end)
        }) {
            completed_orders += 1;
        }
    }
    let (_, bytes) = sink
        .finish()
        .with_context(|| format!("writing {}", path.display()))?;
    let (agri, non_agri) = tally(
        orders
            .iter()
            .flatten()
            .map(|line| (line, real::net_cents(line, end))),
    );
    // 淘宝's report has its items in a second file beside the order list.
    if layout == RealLayout::TaobaoOrderList {
        let detail = folder.join(real::taobao_detail_file_name(year));
        let mut sink = create_sink(&detail, layout.encoding(), layout.line_ending())?;
        sink.record(real::TAOBAO_DETAIL_HEADER)?;
        for order in &orders {
            real::write_taobao_detail(&mut sink, ids, order, end)?;
        }
        sink.finish()
            .with_context(|| format!("writing {}", detail.display()))?;
    }
    let expected = RealExpect {
        path: format!("platforms/{name}"),
        lines: data_rows,
        orders: orders.len() as u64,
        completed_orders,
        sales_cents: agri.net_cents + non_agri.net_cents,
    };
    let report = FileReport {
        platform,
        year,
        name,
        bytes,
        data_rows,
        orders: orders.len() as u64,
        bad: BadCounts::default(),
        agri,
        non_agri,
    };
    Ok((report, expected))
}

/// What a correct reader finds in one shop's own export: the per-file reconciliation
/// (对账) totals, from the orders as the generator drew them, not from reading the file.
struct RealExpect {
    path: String,
    lines: u64,
    orders: u64,
    completed_orders: u64,
    sales_cents: i64,
}

fn expected_toml(cfg: &SampleConfig, files: &[RealExpect]) -> String {
    let mut s = format!(
        "# Written by `ecstat-gen sample --seed {}`: what a correct reader finds in each shop's\n\
         # own back-office export (the platforms' real layouts), from the orders as generated:\n\
         # lines and orders in the file, completed orders (some line signed for, not refunded,\n\
         # not still on its way at the end of the export) and sales (their goods net of\n\
         # refunds, postage excluded). tests/it/sample.rs compares ingest_files with it.\n",
        cfg.seed
    );
    for f in files {
        let _ = write!(
            s,
            "\n[[file]]\npath = \"{}\"\nlines = {}\norders = {}\ncompleted_orders = {}\nsales_yuan = \"{}\"\n",
            f.path,
            f.lines,
            f.orders,
            f.completed_orders,
            crate::textout::Money(f.sales_cents)
        );
    }
    s
}

pub fn run(cfg: &SampleConfig) -> Result<()> {
    std::fs::create_dir_all(&cfg.out_dir)
        .with_context(|| format!("creating {}", cfg.out_dir.display()))?;
    let shops = shops::all_shops();
    let registered = shops::write_register(&cfg.shops_path, &shops)?;

    let mut reports = Vec::new();
    let mut expected = Vec::new();
    for platform in Platform::ALL {
        for (yi, &year) in YEARS.iter().enumerate() {
            if platform == Platform::Douyin && year < douyin::FIRST_YEAR {
                continue;
            }
            let rng = SplitMix64::stream(cfg.seed, &format!("{}-{year}", platform.code()));
            let mut d = Draws::new(rng);
            let all_lines = generate_lines(&mut d, &shops, platform, yi, cfg.orders_per_year);
            let ids = IdScheme::new(&mut d.rng);
            // The shop that submits its own back-office export: its orders go to a file in
            // the platform's real layout, in its folder; the others to the yearly file.
            let (own, lines): (Vec<Line<'_>>, Vec<Line<'_>>) =
                all_lines.into_iter().partition(|l| l.shop.own_export);
            if !own.is_empty() {
                let (report, expect) = write_real_export(cfg, platform, year, &ids, own)?;
                reports.push(report);
                expected.push(expect);
            }
            let marks = messy::plan_sample(&mut d.rng, lines.len(), platform);
            let (name, (data_rows, bad)) = match platform {
                Platform::Jd => {
                    let name = jd::file_name(year);
                    let path = cfg.out_dir.join(&name);
                    (name, jd::write_year(&path, year, &ids, &lines, &marks)?)
                }
                Platform::Taobao | Platform::Pinduoduo | Platform::Douyin => {
                    let layout = match platform {
                        Platform::Taobao => CsvLayout::Taobao,
                        Platform::Pinduoduo => CsvLayout::Pinduoduo,
                        _ => CsvLayout::Douyin,
                    };
                    let name = layout.file_name(year);
                    let path = cfg.out_dir.join(&name);
                    (name, write_csv_file(&path, layout, &ids, &lines, &marks)?)
                }
            };
            let bytes = std::fs::metadata(cfg.out_dir.join(&name))
                .with_context(|| format!("stat {name}"))?
                .len();
            let (agri, non_agri) = tally_marked(&lines, &marks);
            reports.push(FileReport {
                platform,
                year,
                name,
                bytes,
                data_rows,
                orders: 1 + lines
                    .windows(2)
                    .filter(|w| w[0].order_seq != w[1].order_seq)
                    .count() as u64,
                bad,
                agri,
                non_agri,
            });
        }
    }
    let text = expected_toml(cfg, &expected);
    toml::from_str::<toml::Value>(&text).context("the expected file is not valid TOML")?;
    if let Some(dir) = cfg.expected_path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&cfg.expected_path, &text)
        .with_context(|| format!("writing {}", cfg.expected_path.display()))?;
    print!("{}", summary(cfg, registered, &shops, &reports));
    Ok(())
}

fn summary(
    cfg: &SampleConfig,
    registered: usize,
    shops: &[Shop],
    reports: &[FileReport],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "seed {} · orders-per-year {} · agricultural share of lines {:.1}%",
        cfg.seed,
        cfg.orders_per_year,
        100.0 * agri_line_share()
    );
    let _ = writeln!(
        s,
        "{}: {registered} registered shops of {}",
        cfg.shops_path.display(),
        shops.len()
    );
    let _ = writeln!(
        s,
        "unregistered shops:\n{}",
        shops::describe_unregistered(shops).trim_end()
    );
    let _ = writeln!(
        s,
        "\n{:<28} {:>9} {:>6} {:>6}  planned bad rows",
        "file", "bytes", "rows", "orders"
    );
    let mut total_bytes = 0;
    for r in reports {
        total_bytes += r.bytes;
        let _ = writeln!(
            s,
            "{:>9} {:>6} {:>6}  {}  {} [{}]",
            r.bytes,
            r.data_rows,
            r.orders,
            r.name,
            r.bad.total(),
            r.bad
        );
    }
    let _ = writeln!(
        s,
        "total {total_bytes} bytes in {} files under {}",
        reports.len(),
        cfg.out_dir.display()
    );

    let _ = writeln!(
        s,
        "\ncounty net goods value (clean completed lines, refunds netted; yuan):"
    );
    let _ = writeln!(
        s,
        "{:<6} {:>14} {:>14} {:>7} {:>8} {:>8}   {:>9} {:>9}",
        "year", "agri", "total", "agri%", "agri×", "total×", "attr agri×", "attr tot×"
    );
    let per_year: Vec<(i64, i64, i64, i64)> = YEARS
        .iter()
        .map(|&y| {
            reports
                .iter()
                .filter(|r| r.year == y)
                .fold((0, 0, 0, 0), |acc, r| {
                    (
                        acc.0 + r.agri.net_cents,
                        acc.1 + r.agri.net_cents + r.non_agri.net_cents,
                        acc.2 + r.agri.attributed_net_cents,
                        acc.3 + r.agri.attributed_net_cents + r.non_agri.attributed_net_cents,
                    )
                })
        })
        .collect();
    let base = per_year[0];
    for (y, v) in YEARS.iter().zip(&per_year) {
        let ratio = |a: i64, b: i64| a as f64 / b.max(1) as f64;
        let _ = writeln!(
            s,
            "{y:<6} {:>14.2} {:>14.2} {:>6.1}% {:>8.3} {:>8.3}   {:>9.3} {:>9.3}",
            v.0 as f64 / 100.0,
            v.1 as f64 / 100.0,
            100.0 * ratio(v.0, v.1),
            ratio(v.0, base.0),
            ratio(v.1, base.1),
            ratio(v.2, base.2),
            ratio(v.3, base.3),
        );
    }
    let lines_by_platform: Vec<String> = Platform::ALL
        .iter()
        .map(|p| {
            let per: Vec<String> = reports
                .iter()
                .filter(|r| r.platform == *p)
                .map(|r| format!("{}:{}+{}", r.year, r.agri.lines, r.non_agri.lines))
                .collect();
            format!("{} {}", p.code(), per.join(" "))
        })
        .collect();
    let _ = writeln!(
        s,
        "\norder lines agri+non-agri: {}",
        lines_by_platform.join(" | ")
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn county_volume_follows_the_growth_path() {
        let county = |yi: usize, sector: Sector| -> f64 {
            Platform::ALL
                .iter()
                .map(|p| line_budget(*p, yi, sector, 4000))
                .sum::<usize>() as f64
        };
        for (yi, (ga, gn)) in AGRI_GROWTH.iter().zip(NON_AGRI_GROWTH).enumerate() {
            let ra = county(yi, Sector::Agri) / county(0, Sector::Agri);
            let rn = county(yi, Sector::NonAgri) / county(0, Sector::NonAgri);
            assert!((ra - ga).abs() < 0.01, "agri {ra} vs {ga}");
            assert!((rn - gn).abs() < 0.01, "non-agri {rn} vs {gn}");
        }
    }

    #[test]
    fn no_douyin_before_2018() {
        assert_eq!(line_budget(Platform::Douyin, 0, Sector::Agri, 4000), 0);
        assert!(line_budget(Platform::Douyin, 1, Sector::Agri, 4000) > 0);
    }
}
