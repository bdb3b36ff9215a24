//! Owns the provincial platform's API responses `provincial/网络零售统计_{2017,2018,2019}.json`
//! (spec `provincial_retail`): per month, the county (350524000000) and each township with
//! online retail, physical goods + services (= total), agricultural products and shop
//! counts. Amounts are JSON numbers in some records and strings in others; the county
//! record is the exact sum of the townships. County growth 2017→2019: total ≈ +25%,
//! agricultural ≈ +40%.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use super::refdata::Speciality;
use super::table::{Counts, Mark, Rule};
use super::{Ctx, pick_rules};
use crate::rng::SplitMix64;
use crate::textout::Money;

const YEARS: [i32; 3] = [2017, 2018, 2019];
const TOTAL_GROWTH: [f64; 3] = [1.00, 1.12, 1.25];
const AGRI_GROWTH: [f64; 3] = [1.00, 1.18, 1.40];
/// County online retail in 2017, fen (48亿元).
const COUNTY_2017_FEN: f64 = 480_000_000_000.0;
const AGRI_SHARE_2017: f64 = 0.40;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    region_code: String,
    region_name: String,
    stat_month: String,
    online_retail_sales: Value,
    physical_goods_sales: Value,
    service_sales: Value,
    agri_product_sales: Value,
    shop_count: Value,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    region: &'static str,
    generated_at: String,
    records: Vec<Record>,
}

#[derive(Debug, Serialize)]
struct Response {
    code: i32,
    msg: &'static str,
    data: Data,
}

#[derive(Debug, Clone, Copy, Default)]
struct Fig {
    total: i64,
    services: i64,
    agri: i64,
    shops: i64,
}

fn season(month: u32) -> f64 {
    [
        0.85, 0.65, 0.9, 0.95, 1.05, 1.05, 0.9, 0.9, 1.0, 1.1, 1.45, 1.2,
    ][month as usize - 1]
}

fn agri_fraction(s: Speciality) -> f64 {
    match s {
        Speciality::Tea => 0.72,
        Speciality::Produce => 0.65,
        Speciality::Rattan => 0.12,
        Speciality::Town => 0.28,
    }
}

fn amount(rng: &mut SplitMix64, fen: i64) -> Value {
    if rng.chance(0.3) {
        Value::String(Money(fen).to_string())
    } else {
        serde_json::Number::from_f64(fen as f64 / 100.0).map_or(Value::Null, Value::Number)
    }
}

pub fn write(ctx: &mut Ctx<'_>) -> Result<()> {
    let r = ctx.r;
    let mut shape = ctx.rng("provincial-shape");
    let n = r.townships.len();
    let weight: Vec<f64> = r
        .townships
        .iter()
        .map(|t| t.weight * (0.85 + 0.3 * shape.unit()))
        .collect();
    let sum_w: f64 = weight.iter().sum();
    let frac: Vec<f64> = r
        .townships
        .iter()
        .map(|t| agri_fraction(t.speciality) * (0.9 + 0.2 * shape.unit()))
        .collect();
    let season_sum: f64 = (1..=12).map(season).sum();
    let mut annual: Vec<(i64, i64)> = Vec::new();
    for (yi, year) in YEARS.into_iter().enumerate() {
        let mut rng = ctx.rng(&format!("provincial-{year}"));
        let county_total = COUNTY_2017_FEN * TOTAL_GROWTH[yi];
        let county_agri = COUNTY_2017_FEN * AGRI_SHARE_2017 * AGRI_GROWTH[yi];
        let sf: f64 = (0..n).map(|t| weight[t] / sum_w * frac[t]).sum();
        let mut records = Vec::new();
        let mut figures: Vec<(u32, Option<usize>, Fig)> = Vec::new();
        for month in 1..=12u32 {
            let mut county = Fig::default();
            let mut towns = Vec::new();
            for t in 0..n {
                let share = weight[t] / sum_w;
                let m = season(month) / season_sum * (0.93 + 0.14 * rng.unit());
                let total = (county_total * share * m).round() as i64;
                let agri_frac = (frac[t] * county_agri / (county_total * sf)).min(0.9);
                let agri = (total as f64 * agri_frac).round() as i64;
                let services = (total as f64 * (0.05 + 0.07 * rng.unit())).round() as i64;
                let shops =
                    (weight[t] * 120.0 * (1.0 + 0.18 * yi as f64) * (0.95 + 0.1 * rng.unit()))
                        .round() as i64;
                let f = Fig {
                    total,
                    services,
                    agri,
                    shops,
                };
                county.total += total;
                county.services += services;
                county.agri += agri;
                county.shops += shops;
                towns.push((month, Some(t), f));
            }
            figures.push((month, None, county));
            figures.extend(towns);
        }
        annual.push(
            figures
                .iter()
                .filter(|f| f.1.is_none())
                .fold((0, 0), |acc, f| (acc.0 + f.2.total, acc.1 + f.2.agri)),
        );
        let rules = pick_rules(
            &mut rng,
            &[
                Rule::UnparseableAmount,
                Rule::UnparseableMonth,
                Rule::MissingValue,
                Rule::OutOfRange,
            ],
            1,
            1,
        );
        // One bad township record per file (the county total stays intact), so the county
        // equals the sum of its loaded townships in all but one month a year.
        let bad = super::place(&mut rng, figures.len(), 30, &rules, |i, _| {
            figures[i].1.is_some()
        });
        let dev_zone_at = rng.range(100, 250) as usize;
        let mut planted = Vec::new();
        for (i, (month, town, f)) in figures.iter().enumerate() {
            if i == dev_zone_at {
                // The 经济开发区 reports on the platform but is no statistical division.
                let total = f.total / 7;
                records.push(Record {
                    region_code: "350524400000".into(),
                    region_name: "安溪经济开发区".into(),
                    stat_month: format!("{year}-{month:02}"),
                    online_retail_sales: amount(&mut rng, total),
                    physical_goods_sales: amount(&mut rng, total),
                    service_sales: amount(&mut rng, 0),
                    agri_product_sales: amount(&mut rng, 0),
                    shop_count: Value::from(12),
                });
                planted.push(Mark {
                    row: records.len() as u64,
                    rule: Rule::UnknownReference,
                    column: Some("region_code"),
                });
            }
            let (code, name) = match town {
                None => (r.county_code.clone(), "安溪县".to_string()),
                Some(t) => {
                    let tw = &r.townships[*t];
                    let name = if rng.chance(0.5) {
                        format!("安溪县{}", tw.name)
                    } else {
                        tw.name.clone()
                    };
                    (tw.code.clone(), name)
                }
            };
            let mut rec = Record {
                region_code: code,
                region_name: name,
                stat_month: format!("{year}-{month:02}"),
                online_retail_sales: amount(&mut rng, f.total),
                physical_goods_sales: amount(&mut rng, f.total - f.services),
                service_sales: amount(&mut rng, f.services),
                agri_product_sales: amount(&mut rng, f.agri),
                shop_count: Value::from(f.shops),
            };
            if let Some(&rule) = bad.get(&i) {
                let column = match rule {
                    Rule::UnparseableAmount => {
                        rec.agri_product_sales = Value::String("--".into());
                        "agri_online_retail_yuan"
                    }
                    Rule::UnparseableMonth => {
                        rec.stat_month = format!("{year}-13");
                        "month"
                    }
                    Rule::MissingValue => {
                        rec.online_retail_sales = Value::Null;
                        "online_retail_yuan"
                    }
                    _ => {
                        rec.service_sales = Value::String(format!("-{}", Money(f.services)));
                        "services_yuan"
                    }
                };
                records.push(rec);
                planted.push(Mark {
                    row: records.len() as u64,
                    rule,
                    column: Some(column),
                });
            } else {
                records.push(rec);
            }
        }
        let response = Response {
            code: 0,
            msg: "success",
            data: Data {
                region: "安溪县",
                generated_at: format!("2020-01-15T10:{:02}:{:02}+08:00", 20 + yi, rng.below(60)),
                records,
            },
        };
        let mut bytes = serde_json::to_vec_pretty(&response)?;
        bytes.push(b'\n');
        let counts = Counts {
            rows_read: response.data.records.len() as u64,
            rows_skipped: 0,
            planted,
            warnings: Vec::new(),
        };
        ctx.raw(
            &format!("provincial/网络零售统计_{year}.json"),
            "provincial_retail",
            &bytes,
            counts,
        )?;
    }
    let (t0, a0) = annual[0];
    let growth: Vec<String> = YEARS
        .iter()
        .zip(&annual)
        .map(|(y, (t, a))| {
            format!(
                "{y} total {:.2}亿 (×{:.3}) agri {:.2}亿 (×{:.3})",
                *t as f64 / 1e10,
                *t as f64 / t0 as f64,
                *a as f64 / 1e10,
                *a as f64 / a0 as f64
            )
        })
        .collect();
    ctx.notes.push(format!(
        "provincial county online retail: {}",
        growth.join("; ")
    ));
    Ok(())
}
