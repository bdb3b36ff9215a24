//! Owns the 商务局 quarterly activity reports `商务局/服务站点运营月报_2019Q{1..4}.xlsx` and
//! the corrected `_2019Q2_更正.xlsx` (spec `station_activity`): per point and month, under
//! a title row and a two-row merged header, with a 合计 row and a 填报人 footer. Months are
//! written `2019年1月`, `2019-01` or `201901`.

use anyhow::Result;

use super::entities::date;
use super::ids;
use super::stations::{Level, Point};
use super::table::{Cell, Head, Plant, Props, Row, Rule, Sheet, Title, footer_line};
use super::{
    BAD_AMOUNTS, BAD_INTEGERS, BAD_MONTHS, Ctx, SheetFor, month_text, pick_rules, pick_str, place,
};
use crate::rng::SplitMix64;

/// One point's figures for one month: (收件, 发件, 代购 fen, 代销 fen).
fn figures(seed: u64, p: &Point, month: u32) -> (i64, i64, i64, i64) {
    let mut rng = SplitMix64::stream(seed, &format!("departments/activity/{}/{month}", p.code));
    let scale = match p.level {
        Level::Centre => 20.0,
        Level::Branch => 6.0,
        Level::Warehouse => 10.0,
        Level::Station => 5.0,
        Level::Village => 1.0,
    };
    let season = 1.0 + 0.04 * f64::from(month) + if month == 11 { 0.35 } else { 0.0 };
    let f = |lo: i64, hi: i64, rng: &mut SplitMix64| {
        (rng.range(lo, hi) as f64 * scale * season).round() as i64
    };
    let parcels_in = f(150, 900, &mut rng);
    let parcels_out = f(20, 420, &mut rng);
    let purchase = f(2_000, 30_000, &mut rng) * 100 + rng.range(0, 99);
    let sale = f(1_000, 80_000, &mut rng) * 100 + rng.range(0, 99);
    (parcels_in, parcels_out, purchase, sale)
}

pub fn write(ctx: &mut Ctx<'_>, points: &[Point]) -> Result<()> {
    for q in 1..=4u32 {
        write_quarter(ctx, points, q, false)?;
        if q == 2 {
            write_quarter(ctx, points, q, true)?;
        }
    }
    Ok(())
}

fn write_quarter(ctx: &mut Ctx<'_>, points: &[Point], q: u32, corrected: bool) -> Result<()> {
    let label = if corrected {
        format!("activity-2019Q{q}-corrected")
    } else {
        format!("activity-2019Q{q}")
    };
    let mut rng = ctx.rng(&label);
    let seed = ctx.seed;
    let base_style = rng.below(3);
    let mut keys = Vec::new();
    for month in (q - 1) * 3 + 1..=q * 3 {
        let month_end = if month == 12 {
            date(2019, 12, 31)
        } else {
            date(2019, month + 1, 1).pred_opt().unwrap_or_default()
        };
        for (i, p) in points.iter().enumerate() {
            if p.loaded()
                && p.status == "运营"
                && p.opened <= month_end
                && matches!(p.level, Level::Centre | Level::Station | Level::Village)
            {
                keys.push((month, i));
            }
        }
    }
    let pool = [
        Rule::UnparseableMonth,
        Rule::UnparseableInteger,
        Rule::OutOfRange,
        Rule::UnparseableAmount,
        Rule::PatternMismatch,
        Rule::MissingValue,
    ];
    let rules = if corrected {
        // One problem, and not in the month that decides what the file replaces.
        pick_rules(&mut rng, &pool[1..5], 1, 1)
    } else {
        pick_rules(&mut rng, &pool, 1, 3)
    };
    let bad = place(&mut rng, keys.len(), 3, &rules, |_, _| true);
    let mut rows = Vec::new();
    let mut sums = [0i64; 4];
    for (n, &(month, i)) in keys.iter().enumerate() {
        let p = &points[i];
        let (mut pin, mut pout, mut buy, mut sell) = figures(seed, p, month);
        if corrected && rng.chance(0.08) {
            // The resubmission corrects some of the figures first reported.
            pin += rng.range(-pin / 5, pin / 5);
            pout += rng.range(-pout / 5, pout / 5);
            sell = sell * rng.range(80, 120) / 100;
            buy = buy * rng.range(90, 110) / 100;
        }
        let style = if rng.chance(0.15) {
            rng.below(3)
        } else {
            base_style
        };
        let mut cells = vec![
            Cell::int(n as i64 + 1),
            Cell::text(p.code.clone()),
            Cell::text(p.name.clone()),
            Cell::text(ctx.r.townships[p.township].name.clone()),
            Cell::text(month_text(style, 2019, month)),
            Cell::int(pin),
            Cell::int(pout),
            Cell::cents(buy),
            Cell::cents(sell),
            Cell::Empty,
        ];
        let plant = bad.get(&n).map(|&rule| match rule {
            Rule::UnparseableMonth => {
                cells[4] = Cell::text(pick_str(&mut rng, BAD_MONTHS));
                Plant::col(rule, "month")
            }
            Rule::UnparseableInteger => {
                cells[5] = Cell::text(pick_str(&mut rng, BAD_INTEGERS));
                Plant::col(rule, "parcels_in")
            }
            Rule::OutOfRange => {
                cells[6] = Cell::int(-pout);
                cells[9] = Cell::text("退件冲减");
                Plant::col(rule, "parcels_out")
            }
            Rule::UnparseableAmount => {
                cells[8] = Cell::text(pick_str(&mut rng, BAD_AMOUNTS));
                Plant::col(rule, "sale_yuan")
            }
            Rule::PatternMismatch => {
                cells[1] = Cell::text(p.code.replace("AX-", "AX").to_lowercase());
                Plant::col(rule, "point_code")
            }
            _ => {
                cells[4] = Cell::Empty;
                Plant::col(Rule::MissingValue, "month")
            }
        });
        for (k, c) in [5usize, 6, 7, 8].into_iter().enumerate() {
            if let Cell::Num(v, _) = cells[c] {
                sums[k] += if k < 2 {
                    v as i64
                } else {
                    (v * 100.0).round() as i64
                };
            }
        }
        rows.push(Row::data(cells).planted(plant));
    }
    rows.push(Row::footer(vec![
        Cell::text("合计"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::int(sums[0]),
        Cell::int(sums[1]),
        Cell::cents(sums[2]),
        Cell::cents(sums[3]),
    ]));
    let filed = if q == 4 {
        "2020年1月8日".to_string()
    } else {
        format!("2019年{}月{}日", q * 3 + 1, if corrected { 20 } else { 8 })
    };
    rows.push(footer_line(
        10,
        &[
            (0, format!("填报人：{}", ids::person(&mut rng, false))),
            (3, format!("联系电话：{}", ids::landline(&mut rng))),
            (6, format!("填报日期：{filed}")),
        ],
    ));
    let quarter = ["一", "二", "三", "四"][q as usize - 1];
    let title = if corrected {
        format!("2019年第{quarter}季度电子商务服务站点运营情况月报表（更正）")
    } else {
        format!("2019年第{quarter}季度电子商务服务站点运营情况月报表")
    };
    let sheet = Sheet {
        name: "月度运营".into(),
        titles: vec![Title::one(9, title)],
        header: vec![
            Head::One("序号"),
            Head::One("网点编号"),
            Head::One("网点名称"),
            Head::One("所在乡镇"),
            Head::One("月份"),
            Head::Group("快递包裹（件）", vec!["收件", "发件"]),
            Head::Group("代购代销（元）", vec!["代购金额", "代销金额"]),
            Head::One("备注"),
        ],
        rows,
        widths: vec![6.0, 12.0, 30.0, 10.0, 10.0, 10.0, 10.0, 12.0, 12.0, 12.0],
    };
    let suffix = if corrected { "_更正" } else { "" };
    let created = if q == 4 {
        date(2020, 1, 8)
    } else {
        date(2019, q * 3 + 1, if corrected { 20 } else { 8 })
    };
    let note = corrected.then(|| {
        "Corrected resubmission of 2019Q2: replaces 服务站点运营月报_2019Q2.xlsx (replace_by month)".to_string()
    });
    ctx.xlsx(
        &format!("departments/商务局/服务站点运营月报_2019Q{q}{suffix}.xlsx"),
        &Props {
            author: "安溪县电子商务公共服务中心".into(),
            created,
        },
        vec![SheetFor {
            sheet,
            source: "station_activity",
            markers: &["合计", "填报人", "制表"],
        }],
        false,
        note,
    )
}
