//! Owns the 财政局 fund ledger `财政局/专项资金台账_2019.xlsx`, one workbook read by two
//! specs: sheet `预算` (spec `fund_budget`: exactly the ten budget lines of the plan, in
//! 万元, clean — its checks reject the whole file) and sheet `拨付明细` (spec
//! `fund_disbursements`: ~150 payments in 元 against those lines, each line's total
//! below its budget).

use anyhow::Result;

use super::entities::{date, day_between};
use super::ids;
use super::table::{Cell, Head, NumFmt, Plant, Props, Row, Rule, Sheet, Title, footer_line};
use super::{BAD_BOOLEANS, BAD_DATES, Ctx, SheetFor, date_cell, pick_rules, pick_str, place};
use crate::textout::Money;

/// (科目编号, 资金来源, 项目, 主要建设内容, 预算 万元)
pub const BUDGET: [(&str, &str, &str, &str, i64); 10] = [
    (
        "Z1",
        "中央财政",
        "安溪县电子商务公共服务中心",
        "公共服务中心场地改造、设备购置及运营服务",
        300,
    ),
    (
        "Z2",
        "中央财政",
        "安溪县乡（镇）村电子商务服务站体系",
        "乡镇服务站、村级服务点建设及运营补助",
        350,
    ),
    (
        "Z3",
        "中央财政",
        "安溪县电子商务培训实施体系",
        "电商人才培训、创业孵化",
        300,
    ),
    (
        "Z4",
        "中央财政",
        "安溪县县乡村三级物流配送体系",
        "仓储配送中心、配送车辆、快递进村",
        450,
    ),
    (
        "Z5",
        "中央财政",
        "安溪县农村产品供应链体系",
        "农产品分级包装、质量追溯、品牌培育",
        250,
    ),
    (
        "Z6",
        "中央财政",
        "安溪县农村产品营销体系",
        "农产品网络营销推广、展销活动",
        250,
    ),
    (
        "Z7",
        "中央财政",
        "安溪县农村电子商务统计体系",
        "电子商务统计监测体系建设",
        100,
    ),
    (
        "X1",
        "县级财政",
        "安溪县电子商务公共服务中心",
        "公共服务中心配套运营",
        150,
    ),
    (
        "X2",
        "县级财政",
        "安溪县电子商务进农村宣传体系",
        "宣传报道、氛围营造",
        100,
    ),
    (
        "X3",
        "县级财政",
        "精准扶贫实施建设",
        "贫困村电商扶贫、带贫主体奖补",
        250,
    ),
];

fn payees(code: &str) -> &'static [&'static str] {
    match code {
        "Z1" | "X1" => &[
            "安溪县茗联电子商务运营有限公司",
            "泉州市鼎新装饰工程有限公司",
            "福建省云岭信息技术有限公司",
        ],
        "Z2" => &[
            "安溪县茗联电子商务运营有限公司",
            "安溪县湖头镇人民政府",
            "安溪县感德镇人民政府",
            "安溪县西坪镇人民政府",
        ],
        "Z3" => &[
            "安溪县电子商务公共服务中心",
            "泉州市电子商务协会",
            "安溪县职业技术学校",
        ],
        "Z4" => &[
            "安溪县乡村物流服务有限公司",
            "泉州市通达汽车销售有限公司",
            "安溪县快递行业协会",
        ],
        "Z5" => &[
            "安溪县农产品质量安全检验检测站",
            "泉州市禾丰包装设计有限公司",
            "安溪县茶产业发展服务中心",
        ],
        "Z6" => &[
            "泉州市海峡会展服务有限公司",
            "安溪县茗联电子商务运营有限公司",
            "福建省新农传媒有限公司",
        ],
        "Z7" => &["福建省云岭信息技术有限公司", "安溪县统计局"],
        "X2" => &["安溪县融媒体中心", "泉州市新视界广告有限公司"],
        _ => &[
            "安溪县扶贫开发领导小组办公室",
            "安溪县龙涓乡人民政府",
            "安溪县祥华乡人民政府",
            "安溪县桃舟乡人民政府",
        ],
    }
}

fn budget_sheet(rng: &mut crate::rng::SplitMix64) -> Sheet {
    let mut rows: Vec<Row> = BUDGET
        .iter()
        .map(|(code, source, name, content, wan)| {
            Row::data(vec![
                Cell::text(*code),
                Cell::text(*source),
                Cell::text(*name),
                Cell::text(*content),
                Cell::Num(*wan as f64, NumFmt::General),
            ])
        })
        .collect();
    let total: i64 = BUDGET.iter().map(|b| b.4).sum();
    rows.push(Row::footer(vec![
        Cell::text("合计"),
        Cell::Empty,
        Cell::text("中央财政2000万元，县级配套500万元"),
        Cell::Empty,
        Cell::Num(total as f64, NumFmt::General),
    ]));
    rows.push(footer_line(
        5,
        &[(
            0,
            format!("制表：安溪县财政局经济建设股　{}", ids::person(rng, true)),
        )],
    ));
    Sheet {
        name: "预算".into(),
        titles: vec![Title::one(
            4,
            "安溪县电子商务进农村综合示范项目专项资金预算表",
        )],
        header: [
            "科目编号",
            "资金来源",
            "项目",
            "主要建设内容",
            "预算金额（万元）",
        ]
        .into_iter()
        .map(Head::One)
        .collect(),
        rows,
        widths: vec![10.0, 12.0, 36.0, 40.0, 16.0],
    }
}

pub fn write(ctx: &mut Ctx<'_>) -> Result<()> {
    let mut rng = ctx.rng("fund-2019");
    let budget = budget_sheet(&mut rng);
    struct Payment {
        line: usize,
        payee: &'static str,
        fen: i64,
        date: chrono::NaiveDate,
        online: Option<bool>,
    }
    let mut payments = Vec::new();
    let budget_total: i64 = BUDGET.iter().map(|b| b.4).sum();
    for (li, (code, _, _, _, wan)) in BUDGET.iter().enumerate() {
        let k = ((150 * wan) as f64 / budget_total as f64).round().max(3.0) as usize;
        let target = wan * 1_000_000 * rng.range(60, 95) / 100;
        let weights: Vec<f64> = (0..k).map(|_| 0.3 + rng.unit()).collect();
        let sum_w: f64 = weights.iter().sum();
        for w in weights {
            let list = payees(code);
            let online = match *code {
                "Z5" | "Z6" | "X3" => rng.chance(0.9),
                "Z4" => rng.chance(0.5),
                _ => rng.chance(0.05),
            };
            payments.push(Payment {
                line: li,
                payee: list[rng.below(list.len() as u64) as usize],
                fen: ((target as f64) * w / sum_w).floor() as i64,
                date: day_between(&mut rng, date(2018, 3, 1), date(2019, 12, 27)),
                online: (!rng.chance(0.04)).then_some(online),
            });
        }
    }
    payments.sort_by_key(|p| (p.date, p.line));
    let mut vouchers = Vec::new();
    let mut seq = [0i64; 2];
    for p in &payments {
        let y = usize::from(p.date > date(2018, 12, 31));
        seq[y] += rng.range(1, 25);
        vouchers.push(format!("记-{}-{:04}", 2018 + y, seq[y]));
    }
    let rules = pick_rules(
        &mut rng,
        &[
            Rule::DuplicateValue,
            Rule::PatternMismatch,
            Rule::OutOfRange,
            Rule::UnparseableDate,
            Rule::UnparseableBoolean,
            Rule::MissingValue,
        ],
        3,
        3,
    );
    let bad = place(&mut rng, payments.len(), 10, &rules, |_, _| true);
    let mut rows = Vec::new();
    let mut total = 0i64;
    for (i, p) in payments.iter().enumerate() {
        let (code, _, name, _, _) = BUDGET[p.line];
        let amount = if rng.chance(0.08) {
            Cell::text(thousands(p.fen))
        } else {
            Cell::cents(p.fen)
        };
        let mut cells = vec![
            Cell::int(i as i64 + 1),
            Cell::text(code),
            Cell::text(format!(
                "{name}{}",
                ["项目款", "建设资金", "补助资金", "（第二批）"][rng.below(4) as usize]
            )),
            Cell::text(p.payee),
            amount,
            date_cell(&mut rng, p.date, 0.3),
            Cell::text(vouchers[i].clone()),
            p.online
                .map_or(Cell::Empty, |b| Cell::text(if b { "是" } else { "否" })),
            Cell::Empty,
        ];
        let plant = bad.get(&i).map(|&rule| match rule {
            Rule::DuplicateValue => {
                let j = (0..i).rev().find(|j| !bad.contains_key(j)).unwrap_or(0);
                cells[6] = Cell::text(vouchers[j].clone());
                Plant::col(rule, "voucher")
            }
            Rule::PatternMismatch => {
                cells[1] = Cell::text(if code.starts_with('Z') { "Z8" } else { "X-3" });
                Plant::col(rule, "line_code")
            }
            Rule::OutOfRange => {
                cells[4] = Cell::cents(-p.fen);
                cells[8] = Cell::text("红字冲销");
                Plant::col(rule, "amount_yuan")
            }
            Rule::UnparseableDate => {
                cells[5] = Cell::text(pick_str(&mut rng, BAD_DATES));
                Plant::col(rule, "paid_on")
            }
            Rule::UnparseableBoolean => {
                cells[7] = Cell::text(pick_str(&mut rng, BAD_BOOLEANS));
                Plant::col(rule, "for_products_online")
            }
            _ => {
                cells[3] = Cell::Empty;
                Plant::col(Rule::MissingValue, "payee")
            }
        });
        total += match &cells[4] {
            Cell::Num(v, _) => (v * 100.0).round() as i64,
            _ => 0,
        };
        rows.push(Row::data(cells).planted(plant));
    }
    let mut sum = footer_line(9, &[(0, "合计".into())]);
    sum.cells[4] = Cell::cents(total);
    rows.push(sum);
    rows.push(footer_line(
        9,
        &[
            (
                0,
                format!(
                    "制表：安溪县财政局经济建设股　{}",
                    ids::person(&mut rng, false)
                ),
            ),
            (5, "2020年1月12日".into()),
        ],
    ));
    let disbursements = Sheet {
        name: "拨付明细".into(),
        titles: vec![Title::one(
            8,
            "安溪县电子商务进农村综合示范项目专项资金拨付明细",
        )],
        header: [
            "序号",
            "科目编号",
            "项目名称",
            "收款单位",
            "拨付金额（元）",
            "拨付日期",
            "凭证号",
            "是否用于农产品上行",
            "备注",
        ]
        .into_iter()
        .map(Head::One)
        .collect(),
        rows,
        widths: vec![6.0, 10.0, 44.0, 34.0, 16.0, 14.0, 14.0, 12.0, 12.0],
    };
    ctx.xlsx(
        "departments/财政局/专项资金台账_2019.xlsx",
        &Props {
            author: "安溪县财政局".into(),
            created: date(2020, 1, 12),
        },
        vec![
            SheetFor {
                sheet: budget,
                source: "fund_budget",
                markers: &["合计", "制表"],
            },
            SheetFor {
                sheet: disbursements,
                source: "fund_disbursements",
                markers: &["合计", "制表"],
            },
        ],
        false,
        None,
    )
}

/// `1,234,567.89`
fn thousands(fen: i64) -> String {
    let plain = Money(fen).to_string();
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{frac}")
}
