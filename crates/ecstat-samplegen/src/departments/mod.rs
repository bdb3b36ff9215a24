//! Owns the `departments` command: the files Anxi County's departments send to the
//! statistics warehouse (registers, ledgers, monthly and township reports, GBK CSVs, the
//! provincial platform's JSON), one set per `kind = "records"` source spec in
//! `pipelines/sources/`, each deliberately messy and with a few planted bad rows; and the
//! expected file that says what a correct reader must find in each.
//!
//! Every file comes from its own random stream (seed + file label), so output is a pure
//! function of the seed and the reference data; workbooks carry a fixed creation time.

mod activity;
mod agri;
mod commerce;
mod entities;
mod fund;
mod ids;
mod market;
mod postal;
mod provincial;
mod refdata;
mod stations;
mod table;
#[cfg(test)]
mod tests;
mod township;
mod training;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{Datelike, NaiveDate};

use crate::rng::SplitMix64;
use crate::textout::{LineEnding, TextEncoding};
use refdata::Reference;
use table::{Cell, Counts, DateFmt, Props, Row, Rule, Sheet};

#[derive(Debug, Clone)]
pub struct DepartmentsConfig {
    /// The inbox: files go to `departments/…` and `provincial/…` below it.
    pub inbox: PathBuf,
    pub expected: PathBuf,
    pub reference: PathBuf,
    pub seed: u64,
}

/// What a correct reader must find in one file (for one source).
#[derive(Debug, Clone)]
pub struct FileExpect {
    /// Relative to the inbox, `/`-separated.
    pub path: String,
    pub source: &'static str,
    pub counts: Counts,
    pub rejected: bool,
    pub bytes: u64,
    /// A comment for the expected file (why a file is rejected, what it replaces).
    pub note: Option<String>,
}

/// Shared state of one run: the seed, the reference data, the files written so far.
pub struct Ctx<'a> {
    pub seed: u64,
    pub inbox: &'a Path,
    pub r: &'a Reference,
    pub files: Vec<FileExpect>,
    /// Plausibility figures for the summary (totals, coverage, growth).
    pub notes: Vec<String>,
}

/// One sheet of a workbook and the source spec that reads it.
pub struct SheetFor<'s> {
    pub sheet: Sheet,
    pub source: &'static str,
    pub markers: &'s [&'s str],
}

impl Ctx<'_> {
    /// An independent random stream for one purpose.
    pub fn rng(&self, label: &str) -> SplitMix64 {
        SplitMix64::stream(self.seed, &format!("departments/{label}"))
    }

    fn size(&self, rel: &str) -> Result<u64> {
        Ok(std::fs::metadata(self.inbox.join(rel))
            .with_context(|| format!("stat {rel}"))?
            .len())
    }

    /// Write a workbook and record one expectation per sheet.
    pub fn xlsx(
        &mut self,
        rel: &str,
        props: &Props,
        sheets: Vec<SheetFor<'_>>,
        rejected: bool,
        note: Option<String>,
    ) -> Result<()> {
        let plain: Vec<Sheet> = sheets.iter().map(|s| s.sheet.clone()).collect();
        table::write_xlsx(&self.inbox.join(rel), props, &plain)?;
        let bytes = self.size(rel)?;
        for s in sheets {
            let first = u64::from(s.sheet.header_row()) + 1;
            let counts = table::scan(&s.sheet.rows, first, s.markers, None)
                .with_context(|| format!("{rel} / {}", s.sheet.name))?;
            self.push(rel, s.source, counts, rejected, bytes, note.clone())?;
        }
        Ok(())
    }

    /// Write a GBK, CRLF CSV (header on record 1) and record its expectation.
    pub fn gbk_csv(
        &mut self,
        rel: &str,
        source: &'static str,
        header: &[&str],
        rows: &[Row],
        markers: &[&str],
    ) -> Result<()> {
        let path = self.inbox.join(rel);
        table::write_csv(&path, TextEncoding::Gbk, LineEnding::CrLf, header, rows)?;
        let counts =
            table::scan(rows, 2, markers, Some(header.len())).with_context(|| rel.to_string())?;
        let bytes = self.size(rel)?;
        self.push(rel, source, counts, false, bytes, None)
    }

    /// Write a file made elsewhere (JSON) with its counts.
    pub fn raw(
        &mut self,
        rel: &str,
        source: &'static str,
        bytes: &[u8],
        counts: Counts,
    ) -> Result<()> {
        let path = self.inbox.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        self.push(rel, source, counts, false, bytes.len() as u64, None)
    }

    fn push(
        &mut self,
        rel: &str,
        source: &'static str,
        mut counts: Counts,
        rejected: bool,
        bytes: u64,
        note: Option<String>,
    ) -> Result<()> {
        if rejected {
            counts.planted.clear();
            counts.warnings.clear();
        }
        for m in counts.planted.iter().chain(&counts.warnings) {
            if m.rule.is_row_level() != m.column.is_none() {
                bail!("{rel} row {}: {} with column {:?}", m.row, m.rule, m.column);
            }
        }
        self.files.push(FileExpect {
            path: rel.to_string(),
            source,
            counts,
            rejected,
            bytes,
            note,
        });
        Ok(())
    }
}

// ---- messy values shared by the sources ----

pub const BAD_DATES: &[&str] = &[
    "2019-02-30",
    "2019年13月1日",
    "2018-06-31",
    "2019/2/29",
    "2018年4月31日",
];
pub const BAD_MONTHS: &[&str] = &["2019年13月", "2019-00", "19年3月", "2019-3月份"];
pub const BAD_AMOUNTS: &[&str] = &["约12万", "待核实", "12..5", "一万二"];
pub const BAD_INTEGERS: &[&str] = &["约300", "三十", "1O5", "待统计"];
pub const BAD_BOOLEANS: &[&str] = &["待定", "部分", "不详"];

pub fn pick_str<'a>(rng: &mut SplitMix64, list: &[&'a str]) -> &'a str {
    list[rng.below(list.len() as u64) as usize]
}

/// A date as departments write it: mostly a real date cell, otherwise text in one of
/// the usual hand-typed forms.
pub fn date_cell(rng: &mut SplitMix64, d: NaiveDate, p_text: f64) -> Cell {
    if !rng.chance(p_text) {
        let f = [DateFmt::Iso, DateFmt::Cn, DateFmt::Slash][rng.weighted(&[5.0, 3.0, 2.0])];
        return Cell::Date(d, f);
    }
    let (y, m, day) = (d.year(), d.month(), d.day());
    Cell::Text(match rng.weighted(&[4.0, 3.0, 2.0, 1.0]) {
        0 => format!("{y}年{m}月{day}日"),
        1 => format!("{y}/{m}/{day}"),
        2 => format!("{y}-{m:02}-{day:02}"),
        _ => format!("{y}.{m}.{day}"),
    })
}

/// A month as departments write it: `2019年1月`, `2019-01`, `201901`, `2019年01月`.
pub fn month_text(style: u64, year: i32, month: u32) -> String {
    match style % 4 {
        0 => format!("{year}年{month}月"),
        1 => format!("{year}-{month:02}"),
        2 => format!("{year}{month:02}"),
        _ => format!("{year}年{month:02}月"),
    }
}

/// `k` distinct rules from `pool`, `min..=max` of them, in pool order.
pub fn pick_rules(rng: &mut SplitMix64, pool: &[Rule], min: usize, max: usize) -> Vec<Rule> {
    let k = rng.range(min as i64, max.min(pool.len()) as i64) as usize;
    let mut idx: Vec<usize> = (0..pool.len()).collect();
    for i in 0..k {
        let j = i + rng.below((idx.len() - i) as u64) as usize;
        idx.swap(i, j);
    }
    let mut chosen: Vec<usize> = idx[..k].to_vec();
    chosen.sort_unstable();
    chosen.into_iter().map(|i| pool[i]).collect()
}

/// Assign each rule a distinct row index in `lo..n` for which `ok(index, rule)` holds.
pub fn place(
    rng: &mut SplitMix64,
    n: usize,
    lo: usize,
    rules: &[Rule],
    ok: impl Fn(usize, Rule) -> bool,
) -> BTreeMap<usize, Rule> {
    let mut out = BTreeMap::new();
    for &rule in rules {
        for _ in 0..10_000 {
            let i = lo + rng.below((n - lo) as u64) as usize;
            if !out.contains_key(&i) && ok(i, rule) {
                out.insert(i, rule);
                break;
            }
        }
    }
    out
}

// ---- the command ----

pub fn run(cfg: &DepartmentsConfig) -> Result<()> {
    let r = Reference::load(&cfg.reference)?;
    let mut ctx = Ctx {
        seed: cfg.seed,
        inbox: &cfg.inbox,
        r: &r,
        files: Vec::new(),
        notes: Vec::new(),
    };
    let mut rng = ctx.rng("entities");
    let universe = entities::universe(&r, &mut rng);
    market::write(&mut ctx, &universe)?;
    let points = stations::points(&ctx);
    commerce::write_operators(&mut ctx, &universe)?;
    stations::write_register(&mut ctx, &points)?;
    activity::write(&mut ctx, &points)?;
    training::write(&mut ctx)?;
    agri::write(&mut ctx, &universe)?;
    postal::write(&mut ctx)?;
    fund::write(&mut ctx)?;
    township::write(&mut ctx, &points)?;
    provincial::write(&mut ctx)?;

    let mut files = std::mem::take(&mut ctx.files);
    files.sort_by(|a, b| a.path.cmp(&b.path).then(a.source.cmp(b.source)));
    let text = expected_toml(cfg, &files);
    toml::from_str::<toml::Value>(&text).context("the expected file is not valid TOML")?;
    if let Some(dir) = cfg.expected.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&cfg.expected, &text)
        .with_context(|| format!("writing {}", cfg.expected.display()))?;
    print!("{}", summary(cfg, &files));
    for note in &ctx.notes {
        println!("{note}");
    }
    Ok(())
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn marks_toml(marks: &[table::Mark]) -> String {
    if marks.is_empty() {
        return "[]".into();
    }
    let mut s = String::from("[\n");
    for m in marks {
        let _ = write!(s, "  {{ row = {}, rule = {}", m.row, quote(m.rule.label()));
        // Row-level rules (after_footer, field_count) concern no column: written "".
        let _ = write!(s, ", column = {}", quote(m.column.unwrap_or("")));
        s.push_str(" },\n");
    }
    s.push(']');
    s
}

fn expected_toml(cfg: &DepartmentsConfig, files: &[FileExpect]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# What a correct reader must find in each department / provincial file written by\n\
         # `ecstat-gen departments --seed {}` (generated; do not edit by hand).\n\
         #\n\
         # path: relative to the inbox. source: the spec (pipelines/sources/<source>.toml).\n\
         # rows_read: data rows below the header that are not blank, including rows below the\n\
         #   footer. rows_skipped: blank rows and footer/marker rows (合计, 制表, 填报人 …).\n\
         # rejected: the whole file must be rejected (a file-severity check fails).\n\
         # planted: quarantined rows, one rule each; row = 1-based sheet row (CSV: record\n\
         #   number, header = 1; JSON: 1-based position in data.records). Row-level rules\n\
         #   (after_footer, field_count) have column = \"\".\n\
         # warnings: rows reported under a warn-severity check that still load.",
        cfg.seed
    );
    for f in files {
        s.push('\n');
        if let Some(note) = &f.note {
            for line in note.lines() {
                let _ = writeln!(s, "# {line}");
            }
        }
        let _ = writeln!(s, "[[file]]");
        let _ = writeln!(s, "path = {}", quote(&f.path));
        let _ = writeln!(s, "source = {}", quote(f.source));
        let _ = writeln!(s, "rows_read = {}", f.counts.rows_read);
        let _ = writeln!(s, "rows_skipped = {}", f.counts.rows_skipped);
        let _ = writeln!(s, "rejected = {}", f.rejected);
        let _ = writeln!(s, "planted = {}", marks_toml(&f.counts.planted));
        let _ = writeln!(s, "warnings = {}", marks_toml(&f.counts.warnings));
    }
    s
}

fn summary(cfg: &DepartmentsConfig, files: &[FileExpect]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "seed {} · {} files under {} · expected: {}",
        cfg.seed,
        files.len(),
        cfg.inbox.display(),
        cfg.expected.display()
    );
    let _ = writeln!(
        s,
        "{:>8} {:>5} {:>4}  {:<22} {:<3} file / planted",
        "bytes", "rows", "skip", "source", "rej"
    );
    let mut by_rule: BTreeMap<Rule, usize> = BTreeMap::new();
    let mut total_bytes = 0;
    let mut seen = std::collections::BTreeSet::new();
    for f in files {
        if seen.insert(f.path.clone()) {
            total_bytes += f.bytes;
        }
        let mut kinds: BTreeMap<Rule, usize> = BTreeMap::new();
        for m in &f.counts.planted {
            *kinds.entry(m.rule).or_default() += 1;
            *by_rule.entry(m.rule).or_default() += 1;
        }
        let planted: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}={n}")).collect();
        let warn = if f.counts.warnings.is_empty() {
            String::new()
        } else {
            format!(" (+{} warn)", f.counts.warnings.len())
        };
        let _ = writeln!(
            s,
            "{:>8} {:>5} {:>4}  {:<22} {:<3} {}  [{}]{warn}",
            f.bytes,
            f.counts.rows_read,
            f.counts.rows_skipped,
            f.source,
            if f.rejected { "yes" } else { "" },
            f.path,
            planted.join(", ")
        );
    }
    let _ = writeln!(s, "total {total_bytes} bytes in {} files", seen.len());
    let all: Vec<String> = by_rule.iter().map(|(k, n)| format!("{k}={n}")).collect();
    let n: usize = by_rule.values().sum();
    let _ = writeln!(s, "planted {n}: {}", all.join(", "));
    let warnings: usize = files.iter().map(|f| f.counts.warnings.len()).sum();
    let _ = writeln!(s, "warnings {warnings}");
    s
}
