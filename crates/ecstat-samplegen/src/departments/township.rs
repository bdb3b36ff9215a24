//! Owns the township monthly reports `乡镇/{乡镇}/乡镇电商月报_{乡镇}_{YYYYMM}.xlsx` (spec
//! `township_reports`) for all 24 townships × 201911, 201912: the township and month in
//! the title rows, a two-row merged header, one row per village, a 合计 row and a
//! 填报人 / 填报日期 footer. Plus a corrected 湖头镇 201912 (`_更正`, replaces the first)
//! and a late 201911 report whose 填报单位 is misspelt 湖投镇 (rejected as a whole).

use anyhow::Result;

use super::entities::date;
use super::ids;
use super::stations::{Level, Point};
use super::table::{Cell, Head, Plant, Props, Row, Rule, Sheet, Title, footer_line};
use super::{BAD_AMOUNTS, BAD_BOOLEANS, BAD_INTEGERS, Ctx, SheetFor, pick_rules, pick_str, place};
use crate::rng::SplitMix64;

const MARKERS: &[&str] = &["合计", "填报人", "审核人", "填报日期"];

/// One village's line for one month, amounts in hundredths of 万元.
#[derive(Debug, Clone, Copy)]
struct Figures {
    enterprises: i64,
    individuals: i64,
    coops: i64,
    month: i64,
    ytd: i64,
    trained: i64,
}

fn season(month: u32) -> f64 {
    [0.9, 0.6, 0.9, 1.0, 1.1, 1.0, 0.9, 0.9, 1.0, 1.1, 1.5, 1.2][month as usize - 1]
}

fn figures(ctx: &Ctx<'_>, v: usize, month: u32) -> Figures {
    let r = ctx.r;
    let village = &r.villages[v];
    let tw = &r.townships[village.township];
    let mut rng = SplitMix64::stream(
        ctx.seed,
        &format!("departments/township-village/{}", village.code),
    );
    let size = tw.weight * if village.urban { 2.5 } else { 1.0 } * (0.3 + 1.4 * rng.unit());
    let enterprises = (size * rng.range(0, 3) as f64).round() as i64;
    let individuals = (size * rng.range(1, 12) as f64).round() as i64;
    let coops = rng.range(0, 2) * i64::from(!village.urban);
    let base = 800.0 * size; // hundredths of 万元 per month: ~8万元 at size 1
    let mut ytd = 0;
    let mut this = 0;
    for m in 1..=month {
        this = (base * season(m) * (0.8 + 0.4 * rng.unit())).round() as i64;
        ytd += this;
    }
    let trained = if rng.chance(0.35) {
        rng.range(5, 60)
    } else {
        0
    };
    Figures {
        enterprises: enterprises + i64::from(month == 12 && rng.chance(0.1)),
        individuals,
        coops,
        month: this,
        ytd,
        trained,
    }
}

pub fn write(ctx: &mut Ctx<'_>, points: &[Point]) -> Result<()> {
    let hutou = ctx.r.township_by_name("湖头镇").unwrap_or(2);
    for t in 0..ctx.r.townships.len() {
        for month in [11u32, 12] {
            write_report(ctx, points, t, month, Variant::First)?;
            if t == hutou && month == 12 {
                write_report(ctx, points, t, month, Variant::Corrected)?;
            }
            if t == hutou && month == 11 {
                write_report(ctx, points, t, month, Variant::Misspelt)?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    First,
    /// `_更正`: some figures changed, the first report's problems fixed, one new one.
    Corrected,
    /// `_补报` with 填报单位 湖投镇: the whole file is rejected.
    Misspelt,
}

fn write_report(
    ctx: &mut Ctx<'_>,
    points: &[Point],
    t: usize,
    month: u32,
    variant: Variant,
) -> Result<()> {
    let r = ctx.r;
    let tw = &r.townships[t];
    let mut rng = ctx.rng(&format!("township-{}-2019{month:02}-{variant:?}", tw.code));
    let villages = tw.villages.clone();
    let pool = [
        Rule::UnknownDivision,
        Rule::DuplicateValue,
        Rule::UnparseableAmount,
        Rule::UnparseableInteger,
        Rule::OutOfRange,
        Rule::UnparseableBoolean,
        Rule::MissingValue,
    ];
    let rules = match variant {
        Variant::First => {
            let max = if rng.chance(0.3) { 2 } else { 1 };
            pick_rules(&mut rng, &pool, 1, max)
        }
        Variant::Corrected => pick_rules(&mut rng, &pool, 1, 1),
        Variant::Misspelt => Vec::new(),
    };
    let bad = place(&mut rng, villages.len(), 1, &rules, |_, _| true);
    let has_point = |v: usize| {
        points
            .iter()
            .any(|p| p.level == Level::Village && p.village == Some(v))
    };
    let bool_style = rng.chance(0.25);
    let mut rows = Vec::new();
    let mut sums = [0i64; 6];
    let mut seq = 0;
    let line = |rng: &mut SplitMix64, v: usize, seq: &mut i64| -> Vec<Cell> {
        let mut f = figures(ctx, v, month);
        if variant == Variant::Corrected && rng.chance(0.12) {
            let delta = f.month * rng.range(-25, 25) / 100;
            f.month += delta;
            f.ytd += delta;
            f.individuals += rng.range(0, 2);
        }
        *seq += 1;
        let yes = has_point(v);
        let yes_no = if bool_style {
            if yes { "有" } else { "无" }
        } else if yes {
            "是"
        } else {
            "否"
        };
        vec![
            Cell::int(*seq),
            Cell::text(r.village_text(v, rng, 0.35)),
            Cell::int(f.enterprises),
            Cell::int(f.individuals),
            Cell::int(f.coops),
            Cell::cents(f.month),
            Cell::cents(f.ytd),
            Cell::int(f.trained),
            Cell::text(yes_no),
        ]
    };
    for (i, &v) in villages.iter().enumerate() {
        let mut cells = line(&mut rng, v, &mut seq);
        let plant = match bad.get(&i) {
            None | Some(Rule::DuplicateValue) => None,
            Some(Rule::UnknownDivision) => {
                cells[1] = Cell::text(r.foreign_village_text(t, &mut rng));
                Some(Plant::col(Rule::UnknownDivision, "village_code"))
            }
            Some(Rule::UnparseableAmount) => {
                cells[5] = Cell::text(pick_str(&mut rng, BAD_AMOUNTS));
                Some(Plant::col(Rule::UnparseableAmount, "online_retail_yuan"))
            }
            Some(Rule::UnparseableInteger) => {
                cells[3] = Cell::text(pick_str(&mut rng, BAD_INTEGERS));
                Some(Plant::col(Rule::UnparseableInteger, "entities_individual"))
            }
            Some(Rule::OutOfRange) => {
                if let Cell::Num(x, f) = cells[5] {
                    cells[5] = Cell::Num(-x, f);
                }
                Some(Plant::col(Rule::OutOfRange, "online_retail_yuan"))
            }
            Some(Rule::UnparseableBoolean) => {
                cells[8] = Cell::text(pick_str(&mut rng, BAD_BOOLEANS));
                Some(Plant::col(Rule::UnparseableBoolean, "has_service_point"))
            }
            Some(_) => {
                cells[1] = Cell::Empty;
                Some(Plant::col(Rule::MissingValue, "village_code"))
            }
        };
        rows.push(Row::data(cells).planted(plant));
        if bad.get(&i) == Some(&Rule::DuplicateValue) {
            let j = (0..i).rev().find(|j| !bad.contains_key(j)).unwrap_or(0);
            let cells = line(&mut rng, villages[j], &mut seq);
            rows.push(
                Row::data(cells).planted(Some(Plant::col(Rule::DuplicateValue, "village_code"))),
            );
        }
    }
    for row in &rows {
        for (k, c) in (2..8).enumerate() {
            if let Cell::Num(x, _) = row.cells[c] {
                sums[k] += (x * 100.0).round() as i64;
            }
        }
    }
    rows.push(Row::footer(vec![
        Cell::text("合计"),
        Cell::Empty,
        Cell::int(sums[0] / 100),
        Cell::int(sums[1] / 100),
        Cell::int(sums[2] / 100),
        Cell::cents(sums[3]),
        Cell::cents(sums[4]),
        Cell::int(sums[5] / 100),
        Cell::Empty,
    ]));
    let filed = if month == 12 {
        "2020年1月5日"
    } else {
        "2019年12月5日"
    };
    let filed = if variant == Variant::First {
        filed.to_string()
    } else {
        filed.replace("5日", "16日")
    };
    rows.push(footer_line(
        9,
        &[
            (0, format!("填报人：{}", ids::person_p(&mut rng, 0.5))),
            (4, format!("联系电话：{}", ids::mobile(&mut rng))),
        ],
    ));
    rows.push(footer_line(9, &[(0, format!("填报日期：{filed}"))]));

    let unit = match variant {
        Variant::Misspelt => "湖投镇".to_string(),
        _ if rng.chance(0.15) => tw.short.clone(),
        _ => tw.name.clone(),
    };
    let period = format!("报告期：2019年{month}月");
    let second = if rng.chance(0.5) {
        Title {
            pieces: vec![(0, 8, format!("填报单位：{unit}（盖章）        {period}"))],
        }
    } else {
        Title {
            pieces: vec![
                (0, 3, format!("填报单位：{unit}（盖章）")),
                (5, 6, period),
                (8, 8, "单位：万元".into()),
            ],
        }
    };
    let sheet = Sheet {
        name: if rng.chance(0.3) {
            "Sheet1".into()
        } else {
            "月报表".into()
        },
        titles: vec![Title::one(8, "安溪县农村电子商务发展情况月报表"), second],
        header: vec![
            Head::One("序号"),
            Head::One("村（居）名称"),
            Head::Group("电商主体（个）", vec!["企业", "个体户", "合作社"]),
            Head::Group("网络零售额（万元）", vec!["本月", "本年累计"]),
            Head::One("本月培训（人次）"),
            Head::One("是否建有服务点"),
        ],
        rows,
        widths: vec![6.0, 18.0, 8.0, 8.0, 8.0, 12.0, 12.0, 10.0, 10.0],
    };
    let (file_unit, suffix, note) = match variant {
        Variant::First => (tw.name.clone(), "", None),
        Variant::Corrected => (
            tw.name.clone(),
            "_更正",
            Some(format!(
                "Corrected resubmission: replaces 乡镇电商月报_{0}_2019{month:02}.xlsx ({0}, 2019-{month:02})",
                tw.name
            )),
        ),
        Variant::Misspelt => (
            tw.short.replace('头', "投"),
            "_补报",
            Some("填报单位 is 湖投镇, which names no township: the township file_field (not_null, severity file) rejects the whole file".to_string()),
        ),
    };
    // The misspelt file is kept out of the inbox (in sample_data/returned, beside it): a
    // rejected file makes `ecstat run` exit 1, and the bundled sample should run clean.
    // Tests and `ecstat validate` examples use it from there.
    let rel = if matches!(variant, Variant::Misspelt) {
        format!("../returned/乡镇电商月报_{file_unit}_2019{month:02}{suffix}.xlsx")
    } else {
        format!(
            "departments/乡镇/{}/乡镇电商月报_{file_unit}_2019{month:02}{suffix}.xlsx",
            tw.name
        )
    };
    let created = if month == 12 {
        date(2020, 1, 5)
    } else {
        date(2019, 12, 5)
    };
    ctx.xlsx(
        &rel,
        &Props {
            author: format!("安溪县{}人民政府", tw.name),
            created,
        },
        vec![SheetFor {
            sheet,
            source: "township_reports",
            markers: MARKERS,
        }],
        variant == Variant::Misspelt,
        note,
    )
}
