//! `ecstat-gen`: seeded generator of realistic, messy order exports from the
//! four e-commerce platforms used by Anxi County (安溪县) shops.
//!
//! Owns only the command line; each subcommand lives in its own module.

mod anxi;
mod bench;
mod catalog;
mod departments;
mod layout;
mod messy;
mod orders;
mod rng;
mod sample;
mod shops;
mod textout;
mod timeline;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ecstat-gen",
    version,
    about = "Generate seeded, deliberately messy platform order exports for ecstat",
    long_about = "Generate seeded, deliberately messy platform order exports for ecstat.\n\n\
        Output is a pure function of the seed and the options: the same command \
        always writes byte-identical files."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the bundled sample set (淘宝, 京东, 拼多多, 抖音 × 2017–2019) and the shop register
    #[command(
        long_about = "Write the bundled sample set: one export per platform and year \
        (淘宝/天猫 GBK CSV, 京东 xlsx, 拼多多 UTF-8+BOM CSV, 抖音 UTF-8 CSV; 抖音 starts May 2018), \
        one shop per platform's own back-office exports in the platform's real layout (淘宝 \
        ExportOrderList, 京东 POP, 拼多多 商家后台, 抖店; in a folder 店铺_<id>_<name>, newest \
        first, refunds only as statuses, the last days' orders still on their way), the shop \
        register listing ~80% of the shops, and the expected reconciliation of each real-layout \
        file. Prints per-file row counts and the planned number of deliberately bad rows by kind."
    )]
    Sample {
        /// Directory for the platform export files
        #[arg(long, default_value = "sample_data/inbox/platforms")]
        out: PathBuf,
        /// Path of the shop register CSV to write
        #[arg(long, default_value = "sample_data/reference/shops.csv")]
        shops: PathBuf,
        /// Path of the expected file: what a correct reader finds in each shop's own export
        #[arg(long, default_value = "sample_data/expected/platforms.toml")]
        expected: PathBuf,
        /// Seed for every random choice; same seed and options, same bytes
        #[arg(long, default_value_t = 2018)]
        seed: u64,
        /// Order lines per platform in the base year 2017 (the county trades 3× this in 2017;
        /// later years follow the growth plan and Douyin takes its share from the others)
        #[arg(long, default_value_t = 4000)]
        orders_per_year: u32,
    },
    /// Write the department and provincial files (one set per records source spec) and
    /// the expected file listing what a correct reader must find in each
    #[command(
        long_about = "Write the files Anxi County's departments send (市场监管局 register, 商务局 \
        shop list, service network and activity reports, training ledgers and attendee list, \
        农茶局 list, 邮政局 GBK CSVs, 财政局 fund ledger, township monthly reports) and the \
        provincial platform's JSON, each with a few planted bad rows, plus the expected file \
        (rows read and skipped, planted rows by rule, rejected files). Prints a per-file summary."
    )]
    Departments {
        /// Inbox directory: files go to departments/… and provincial/… below it
        #[arg(long, default_value = "sample_data/inbox")]
        out: PathBuf,
        /// Path of the expected file to write
        #[arg(long, default_value = "sample_data/expected/departments.toml")]
        expected: PathBuf,
        /// Reference directory holding anxi_divisions.csv and shops.csv
        #[arg(long, default_value = "sample_data/reference")]
        reference: PathBuf,
        /// Seed for every random choice; same seed and options, same bytes
        #[arg(long, default_value_t = 2018)]
        seed: u64,
    },
    /// Stream one large single-layout CSV for benchmarks (2017–2019 spread evenly)
    Orders {
        /// Data rows to write (excluding the header)
        #[arg(long)]
        rows: u64,
        /// Export layout (header, id and amount spelling) to imitate
        #[arg(long, value_enum)]
        layout: layout::CsvLayout,
        /// Output encoding [default: the platform's own: gbk for taobao, utf8 otherwise;
        /// pinduoduo's utf8 carries a BOM]
        #[arg(long, value_enum)]
        encoding: Option<bench::EncodingArg>,
        /// Output file
        #[arg(long)]
        out: PathBuf,
        /// Seed for every random choice; same seed and options, same bytes
        #[arg(long, default_value_t = 2018)]
        seed: u64,
        /// Shops selling: the platform's 10 real ones, then copies in no shop register
        /// (attributed by ship-from township), fewer sales the later they come
        #[arg(long, default_value_t = 10)]
        shops: usize,
        /// Order of the orders in the file (an order's lines stay together)
        #[arg(long, value_enum, default_value = "ascending")]
        order: bench::RowOrder,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Sample {
            out,
            shops,
            expected,
            seed,
            orders_per_year,
        } => sample::run(&sample::SampleConfig {
            out_dir: out,
            shops_path: shops,
            expected_path: expected,
            seed,
            orders_per_year,
        }),
        Command::Departments {
            out,
            expected,
            reference,
            seed,
        } => departments::run(&departments::DepartmentsConfig {
            inbox: out,
            expected,
            reference,
            seed,
        }),
        Command::Orders {
            rows,
            layout,
            encoding,
            out,
            seed,
            shops,
            order,
        } => bench::run(&bench::BenchConfig {
            rows,
            layout,
            encoding,
            out,
            seed,
            shops,
            order,
        }),
    }
}
