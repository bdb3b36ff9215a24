//! Owns the 邮政局 CSVs (GBK, CRLF): `邮政局/快递业务量_{2018,2019}.csv`, parcels in and
//! out and the average cost per parcel by month × township × carrier with a 合计 row
//! (spec `postal_parcels`), and `邮政局/快递进村情况_2019.csv`, one row per village of
//! the county from the December 2019 survey (spec `courier_coverage`).

use anyhow::Result;

use super::table::{Cell, Plant, Row, Rule};
use super::{BAD_BOOLEANS, BAD_INTEGERS, BAD_MONTHS, Ctx, pick_rules, pick_str, place};
use crate::rng::SplitMix64;
use crate::textout::Money;

const CARRIERS: [&str; 7] = ["中国邮政", "顺丰", "圆通", "中通", "申通", "韵达", "百世"];
const CARRIER_SHARE: [f64; 7] = [25.0, 8.0, 15.0, 18.0, 10.0, 14.0, 10.0];

/// Carriers serving each township in `year` (indexes into [`CARRIERS`]); 中国邮政 always.
fn carriers(ctx: &Ctx<'_>, year: i32) -> Vec<Vec<usize>> {
    let mut rng = ctx.rng("postal-carriers");
    ctx.r
        .townships
        .iter()
        .map(|t| {
            let n = if t.weight >= 1.5 {
                7
            } else if t.weight >= 0.8 {
                rng.range(3, 5) as usize
            } else {
                rng.range(1, 3) as usize
            };
            // Order of arrival after 中国邮政; one more carrier arrives in 2019 where room.
            let order = [3usize, 2, 5, 4, 6, 1];
            let extra = usize::from(rng.chance(0.5));
            let n = if year >= 2019 { (n + extra).min(7) } else { n };
            std::iter::once(0)
                .chain(order.iter().copied().take(n - 1))
                .collect()
        })
        .collect()
}

fn season(month: u32) -> f64 {
    [
        0.95, 0.7, 0.95, 1.0, 1.1, 1.0, 0.95, 0.95, 1.0, 1.15, 1.45, 1.25,
    ][month as usize - 1]
}

pub fn write(ctx: &mut Ctx<'_>) -> Result<()> {
    for year in [2018, 2019] {
        write_parcels(ctx, year)?;
    }
    write_coverage(ctx)
}

fn write_parcels(ctx: &mut Ctx<'_>, year: i32) -> Result<()> {
    let r = ctx.r;
    let mut rng = ctx.rng(&format!("postal-parcels-{year}"));
    let serving = carriers(ctx, year);
    let total_weight: f64 = r.townships.iter().map(|t| t.weight).sum();
    let (county_in, county_out, cost_lo, cost_hi) = if year == 2018 {
        (600_000.0, 900_000.0, 300, 450)
    } else {
        (720_000.0, 1_130_000.0, 240, 360)
    };
    struct Line {
        month: u32,
        township: usize,
        carrier: usize,
        parcels_in: i64,
        parcels_out: i64,
        cost_fen: i64,
    }
    let mut lines = Vec::new();
    for month in 1..=12u32 {
        for (t, tw) in r.townships.iter().enumerate() {
            let shares: f64 = serving[t].iter().map(|&c| CARRIER_SHARE[c]).sum();
            for &c in &serving[t] {
                let part = tw.weight / total_weight * CARRIER_SHARE[c] / shares * season(month);
                let jitter = |rng: &mut SplitMix64| 0.85 + 0.3 * rng.unit();
                let cost = if c == 1 {
                    rng.range(cost_lo * 25 / 10, cost_hi * 25 / 10)
                } else {
                    rng.range(cost_lo, cost_hi)
                };
                lines.push(Line {
                    month,
                    township: t,
                    carrier: c,
                    parcels_in: (county_in * part * jitter(&mut rng)).round() as i64,
                    parcels_out: (county_out * part * jitter(&mut rng)).round() as i64,
                    cost_fen: cost,
                });
            }
        }
    }
    let pool = [
        Rule::UnparseableMonth,
        Rule::OutOfRange,
        Rule::NotAcceptedValue,
        Rule::UnparseableInteger,
        Rule::UnknownDivision,
        Rule::MissingValue,
    ];
    let mut rules = pick_rules(&mut rng, &pool, 2, 3);
    if year == 2019 {
        rules.push(Rule::FieldCount);
    }
    let bad = place(&mut rng, lines.len(), 20, &rules, |_, _| true);
    let blank_at = (year == 2018).then(|| rng.range(300, 700) as usize);
    let styles: Vec<u64> = (0..12).map(|_| rng.below(2)).collect();
    let mut rows = Vec::new();
    let (mut sum_in, mut sum_out) = (0i64, 0i64);
    for (i, l) in lines.iter().enumerate() {
        if blank_at == Some(i) {
            rows.push(Row::blank(vec![Cell::Empty; 7]));
        }
        let style = if rng.chance(0.05) {
            1 - styles[l.month as usize - 1]
        } else {
            styles[l.month as usize - 1]
        };
        let month = if style == 0 {
            format!("{year}年{:02}月", l.month)
        } else {
            format!("{year}{:02}", l.month)
        };
        let mut cells = vec![
            Cell::text(month),
            Cell::text(r.township_text(l.township, &mut rng, 0.2, 0.0)),
            Cell::text(CARRIERS[l.carrier]),
            Cell::text(l.parcels_in.to_string()),
            Cell::text(l.parcels_out.to_string()),
            Cell::text(Money(l.cost_fen).to_string()),
            Cell::Empty,
        ];
        let plant = bad.get(&i).map(|&rule| match rule {
            Rule::UnparseableMonth => {
                cells[0] =
                    Cell::text(pick_str(&mut rng, BAD_MONTHS).replace("2019", &year.to_string()));
                Plant::col(rule, "month")
            }
            Rule::OutOfRange => {
                cells[5] = Cell::text(Money(l.cost_fen * 100).to_string());
                cells[6] = Cell::text("单位误填为分");
                Plant::col(rule, "cost_per_parcel_yuan")
            }
            Rule::NotAcceptedValue => {
                cells[2] = Cell::text(["德邦", "天天快递", "京东物流"][rng.below(3) as usize]);
                Plant::col(rule, "carrier")
            }
            Rule::UnparseableInteger => {
                cells[3] = Cell::text(pick_str(&mut rng, BAD_INTEGERS));
                Plant::col(rule, "parcels_in")
            }
            Rule::UnknownDivision => {
                cells[1] = Cell::text(r.township_typo(rng.next_u64()));
                Plant::col(rule, "township_code")
            }
            Rule::FieldCount => {
                cells[6] = Cell::text("含退件");
                cells.push(Cell::text("已核实"));
                Plant::row(rule)
            }
            _ => {
                cells[4] = Cell::Empty;
                Plant::col(Rule::MissingValue, "parcels_out")
            }
        });
        if let Ok(v) = cells[3].as_text().parse::<i64>() {
            sum_in += v;
        }
        if let Ok(v) = cells[4].as_text().parse::<i64>() {
            sum_out += v;
        }
        rows.push(Row::data(cells).planted(plant));
    }
    rows.push(Row::footer(vec![
        Cell::text("合计"),
        Cell::Empty,
        Cell::Empty,
        Cell::text(sum_in.to_string()),
        Cell::text(sum_out.to_string()),
        Cell::Empty,
        Cell::Empty,
    ]));
    let header: &[&str] = if year == 2018 {
        &[
            "统计月份",
            "乡镇",
            "快递企业",
            "收件量（件）",
            "发件量（件）",
            "单件平均成本（元）",
            "备注",
        ]
    } else {
        &[
            "统计月份",
            "乡镇",
            "快递企业",
            "收件量(件)",
            "发件量(件)",
            "单件平均成本(元)",
            "备注",
        ]
    };
    ctx.gbk_csv(
        &format!("departments/邮政局/快递业务量_{year}.csv"),
        "postal_parcels",
        header,
        &rows,
        &["合计"],
    )
}

fn write_coverage(ctx: &mut Ctx<'_>) -> Result<()> {
    let r = ctx.r;
    let mut rng = ctx.rng("postal-coverage-2019");
    let serving = carriers(ctx, 2019);
    let n = r.villages.len();
    let order: Vec<usize> = {
        let mut v: Vec<usize> = (0..n).collect();
        v.sort_by(|a, b| {
            (r.villages[*a].township, &r.villages[*a].code)
                .cmp(&(r.villages[*b].township, &r.villages[*b].code))
        });
        v
    };
    let rules = pick_rules(
        &mut rng,
        &[
            Rule::UnknownDivision,
            Rule::DuplicateValue,
            Rule::UnparseableBoolean,
            Rule::MissingValue,
        ],
        2,
        3,
    );
    let bad = place(&mut rng, n, 10, &rules, |_, _| true);
    let mut rows = Vec::new();
    let mut seq = 0;
    let row_for = |rng: &mut SplitMix64, v: usize, seq: &mut i64| -> Vec<Cell> {
        let village = &r.villages[v];
        let t = village.township;
        let reached = village.urban || rng.chance(0.9);
        let list: Vec<&str> = if reached {
            serving[t]
                .iter()
                .enumerate()
                .filter(|(k, _)| *k == 0 || rng.chance(0.6))
                .map(|(_, &c)| CARRIERS[c])
                .collect()
        } else {
            Vec::new()
        };
        let sep = if rng.chance(0.85) { "、" } else { "," };
        *seq += 1;
        vec![
            Cell::int(*seq),
            Cell::text(r.township_text(t, rng, 0.25, 0.0)),
            Cell::text(r.village_text(v, rng, 0.3)),
            Cell::text("2019年12月"),
            Cell::text(if reached { "是" } else { "否" }),
            if reached {
                Cell::text(list.join(sep))
            } else {
                Cell::Empty
            },
            if reached {
                Cell::Empty
            } else {
                Cell::text("由邻村代收点代收")
            },
        ]
    };
    for (i, &v) in order.iter().enumerate() {
        let mut cells = row_for(&mut rng, v, &mut seq);
        let plant = match bad.get(&i) {
            None | Some(Rule::DuplicateValue) => None,
            Some(Rule::UnknownDivision) => {
                cells[2] = Cell::text(r.foreign_village_text(r.villages[v].township, &mut rng));
                Some(Plant::col(Rule::UnknownDivision, "village_code"))
            }
            Some(Rule::UnparseableBoolean) => {
                cells[4] = Cell::text(pick_str(&mut rng, BAD_BOOLEANS));
                Some(Plant::col(Rule::UnparseableBoolean, "has_delivery"))
            }
            Some(_) => {
                cells[4] = Cell::Empty;
                Some(Plant::col(Rule::MissingValue, "has_delivery"))
            }
        };
        rows.push(Row::data(cells).planted(plant));
        if bad.get(&i) == Some(&Rule::DuplicateValue) {
            // The same village entered a second time (as a clerk copies a row down).
            let j = (0..i)
                .rev()
                .find(|j| {
                    !bad.contains_key(j) && r.villages[order[*j]].township == r.villages[v].township
                })
                .or_else(|| (0..i).rev().find(|j| !bad.contains_key(j)))
                .unwrap_or(0);
            let cells = row_for(&mut rng, order[j], &mut seq);
            rows.push(
                Row::data(cells).planted(Some(Plant::col(Rule::DuplicateValue, "village_code"))),
            );
        }
    }
    let header = [
        "序号",
        "乡镇",
        "行政村（社区）",
        "调查时间",
        "是否通快递",
        "覆盖快递企业",
        "备注",
    ];
    ctx.gbk_csv(
        "departments/邮政局/快递进村情况_2019.csv",
        "courier_coverage",
        &header,
        &rows,
        &[],
    )
}
