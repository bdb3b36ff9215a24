//! `ecstat init DIR`: start a deployment — a commented project file with its programme,
//! and the inbox and reference folders it names.

use std::path::PathBuf;

use clap::Args;
use ecstat_core::programme::Programme;
use ecstat_pipeline::project::{InitOptions, init as write_project};

use crate::{Failure, exit};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder of the deployment (created when missing); ecstat.toml is written there
    /// and never over an existing one.
    dir: PathBuf,
    /// 12-digit division code of the county (统计用区划代码), e.g. 350524000000.
    #[arg(long, value_name = "CODE")]
    county_code: String,
    /// The county's name as reports print it, e.g. 安溪县.
    #[arg(long, value_name = "NAME")]
    county_name: String,
    /// The year before the programme, which growth targets compare against.
    #[arg(long, value_name = "YEAR")]
    baseline_year: i32,
    /// First and last year of the programme: 2018-2019.
    #[arg(long, value_name = "FIRST-LAST", value_parser = parse_years)]
    programme_years: [i32; 2],
}

fn parse_years(text: &str) -> Result<[i32; 2], String> {
    let bad = || format!("`{text}`: give the first and last year, as 2018-2019");
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let year = |s: &str| s.trim().parse::<i32>().map_err(|_| bad());
    Ok([year(a)?, year(b)?])
}

/// `pipelines` (the global `--pipelines`) is named in the file instead of DIR/pipelines.
pub fn init(args: InitArgs, pipelines: Option<PathBuf>) -> Result<u8, Failure> {
    let programme = Programme {
        county_code: args.county_code,
        county_name: args.county_name,
        baseline_year: args.baseline_year,
        programme_years: args.programme_years,
    };
    programme
        .check()
        .map_err(|e| Failure::new(exit::USAGE, anyhow::anyhow!(e)))?;
    let file = write_project(
        &args.dir,
        &InitOptions {
            programme,
            pipelines,
        },
    )?;
    println!("wrote {}", file.display());
    println!(
        "next: put the reference tables (ref_divisions.csv …, see pipelines/reference.toml) in {}, \
         the departments' files in {}, then run `ecstat run` in {}",
        args.dir.join("reference").display(),
        args.dir.join("inbox").display(),
        args.dir.display()
    );
    Ok(exit::OK)
}
