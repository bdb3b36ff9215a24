//! The report: one self-contained Chinese HTML page (style inline, charts as inline SVG, no
//! script, no font or file from outside) that a township official can open offline or
//! print. Targets first, then growth against the targets, the monthly sales trend, sales and
//! service coverage by township, and the run's metadata and definitions.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use arrow::array::RecordBatch;

use crate::decimal::Decimal;
use crate::presentation::{Chart, Series as SeriesSpec, YearChoice};
use crate::rows::{Row, rows};
use crate::svg::{self, Bar, BarGroup, Point, Series};
use crate::{ExportMeta, Result, SUPPRESSED_ZH, io};

const STYLE: &str = r#"
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimSun", sans-serif; color: #262626; margin: 24px auto; max-width: 1000px; padding: 0 16px; line-height: 1.5; }
h1 { font-size: 24px; border-bottom: 3px solid #1F4E78; padding-bottom: 8px; }
h2 { font-size: 19px; color: #1F4E78; margin-top: 32px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 16px; }
th, td { border: 1px solid #BFBFBF; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #1F4E78; color: #FFFFFF; font-weight: bold; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.met { background: #C6EFCE; color: #006100; }
td.missed { background: #FFC7CE; color: #9C0006; }
td.insufficient { background: #FFEB9C; color: #9C5700; }
td.suppressed { background: #D9D9D9; color: #595959; text-align: center; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; font-family: inherit; }
p.nodata { color: #7F7F7F; border: 1px dashed #BFBFBF; padding: 16px; text-align: center; }
p.note { font-size: 13px; color: #595959; }
code { font-size: 12px; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } svg.chart, table { break-inside: avoid; } }
"#;

/// `s` safe as HTML (or SVG) text and attribute value.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Write the report of `batches` to `path`.
pub fn write_html(batches: &[RecordBatch], meta: &ExportMeta, path: &Path) -> Result<()> {
    std::fs::write(path, render(batches, meta)).map_err(io(path))
}

/// A figure for people: exact, rounded to two decimals, with its unit.
fn with_unit(d: Decimal, unit: &str) -> String {
    match unit {
        "%" => format!("{}%", d.display()),
        "" => d.display(),
        unit => format!("{} {unit}", d.display()),
    }
}

/// The unit charts draw `unit` in, and how many powers of ten that moves: yuan amounts in
/// 万元, so a bar's label stays short.
fn chart_unit(unit: &str) -> (i8, &str) {
    match unit {
        "元" => (4, "万元"),
        unit => (0, unit),
    }
}

/// `≥ 20%`, `10–20 个`: the row's target as people read it.
fn target_text(row: &Row) -> Option<String> {
    let target = row.decimal("target")?;
    let unit = row.key("unit");
    Some(match row.key("comparison") {
        "between" => match row.decimal("target_upper") {
            Some(upper) => format!("{}–{}", target.display(), with_unit(upper, unit)),
            None => format!("≥ {}", with_unit(target, unit)),
        },
        cmp => {
            let symbol = match cmp {
                ">=" => "≥",
                "<=" => "≤",
                other => other,
            };
            format!("{symbol} {}", with_unit(target, unit))
        }
    })
}

/// The table class and text colour of a status.
fn status_style(status: &str) -> (&'static str, &'static str) {
    match status {
        "达标" => ("met", "#006100"),
        "未达标" => ("missed", "#9C0006"),
        "数据不足" => ("insufficient", "#9C5700"),
        _ => ("", "#595959"),
    }
}

fn member_label<'a>(row: &Row<'a>) -> &'a str {
    row.text("member_name")
        .or_else(|| row.text("member"))
        .unwrap_or("")
}

fn no_data(what: &str) -> String {
    format!(r#"<p class="nodata">无数据：{}</p>"#, escape(what))
}

/// The page.
pub(crate) fn render(batches: &[RecordBatch], meta: &ExportMeta) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ecstat">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{title}</h1>
<p class="note">快照版本 {version} · 数据截至 {as_of} · 计算时间（UTC）{created}</p>
"#,
        title = escape(&meta.presentation.title),
        version = meta.snapshot_version,
        as_of = escape(meta.data_as_of.as_deref().unwrap_or("—")),
        created = escape(&meta.created_at),
    );

    // Sections are numbered 一、二、… in the presentation's order, the notes last.
    const NUMERALS: [&str; 12] = [
        "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
    ];
    let mut numbers = NUMERALS.iter();
    let mut heading = |out: &mut String, text: &str| {
        let n = numbers.next().copied().unwrap_or("");
        let sep = if n.is_empty() { "" } else { "、" };
        let _ = write!(out, "\n<h2>{n}{sep}{}</h2>\n", escape(text));
    };
    heading(&mut out, "目标达成情况");
    targets_table(&mut out, batches);
    for chart in &meta.presentation.charts {
        let (title, drawn, empty) = match chart {
            Chart::Targets {
                id,
                heading,
                colour,
                empty,
            } => (heading.clone(), growth_chart(batches, id, colour), empty),
            Chart::Monthly {
                id,
                heading,
                series,
                empty,
            } => (heading.clone(), trend_chart(batches, id, series), empty),
            Chart::ByTownship {
                id,
                indicator,
                heading,
                colour,
                year,
                empty,
            } => {
                let (title, drawn) = township_chart(batches, id, indicator, heading, colour, *year);
                (title, drawn, empty)
            }
        };
        heading(&mut out, &title);
        out.push_str(&drawn.unwrap_or_else(|| no_data(empty)));
    }
    heading(&mut out, "说明");
    notes(&mut out, meta);
    out.push_str("</body>\n</html>\n");
    out
}

fn targets_table(out: &mut String, batches: &[RecordBatch]) {
    let judged: Vec<Row> = rows(batches)
        .filter(|r| r.text("comparison").is_some())
        .collect();
    if judged.is_empty() {
        out.push_str(&no_data("没有设定目标的指标。"));
        return;
    }
    out.push_str(
        "<table class=\"targets\">\n<tr><th>指标</th><th>度量</th><th>期别</th><th>范围</th><th>数值</th><th>目标</th><th>完成度</th><th>状态</th><th>备注</th></tr>\n",
    );
    for row in judged {
        let value = match row.decimal("value") {
            _ if row.is_suppressed() => format!(r#"<td class="suppressed">{SUPPRESSED_ZH}</td>"#),
            Some(v) => format!(
                r#"<td class="num">{}</td>"#,
                escape(&with_unit(v, row.key("unit")))
            ),
            None => r#"<td class="num">—</td>"#.to_string(),
        };
        let attainment = row
            .decimal("attainment_pct")
            .map_or_else(|| "—".to_string(), |a| format!("{}%", a.display()));
        let status = row.key("status");
        let _ = writeln!(
            out,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{value}<td class="num">{}</td><td class="num">{}</td><td class="{}">{}</td><td>{}</td></tr>"#,
            escape(row.key("indicator_name_zh")),
            escape(row.key("measure_name_zh")),
            escape(row.key("period")),
            escape(member_label(&row)),
            escape(&target_text(&row).unwrap_or_default()),
            escape(&attainment),
            status_style(status).0,
            escape(status),
            escape(row.key("note")),
        );
    }
    out.push_str("</table>\n");
}

/// The figure of a bar or point: 保密, 无数据, or the exact value in the chart's unit.
fn chart_figure(row: &Row) -> (Option<f64>, String) {
    if row.is_suppressed() {
        return (None, SUPPRESSED_ZH.to_string());
    }
    let (shift, unit) = chart_unit(row.key("unit"));
    match row.decimal("value") {
        Some(v) => (
            Some(v.shift(shift).to_f64()),
            with_unit(v.shift(shift), unit),
        ),
        None => (None, "无数据".to_string()),
    }
}

fn bar_of(row: &Row, label: String, target: Option<(f64, Option<f64>)>) -> Bar {
    let (value, text) = chart_figure(row);
    Bar {
        label,
        value,
        text,
        suppressed: row.is_suppressed(),
        target,
        badge: None,
    }
}

/// The row's target in the chart's unit.
fn target_mark(row: &Row) -> Option<(f64, Option<f64>)> {
    let (shift, _) = chart_unit(row.key("unit"));
    let at = |column: &str| row.decimal(column).map(|d| d.shift(shift).to_f64());
    let upper = if row.key("comparison") == "between" {
        at("target_upper")
    } else {
        None
    };
    Some((at("target")?, upper))
}

/// (a) Each county target, year by year: the figure against its target.
fn growth_chart(batches: &[RecordBatch], id: &str, colour: &str) -> Option<String> {
    let mut groups: Vec<((&str, &str), Vec<Row>)> = Vec::new();
    for row in rows(batches).filter(|r| {
        r.text("comparison").is_some()
            && r.key("dimension") == "county"
            && r.key("period_type") == "year"
    }) {
        let key = (row.key("indicator_code"), row.key("measure"));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(row),
            None => groups.push((key, vec![row])),
        }
    }
    if groups.is_empty() {
        return None;
    }
    let groups: Vec<BarGroup> = groups
        .into_iter()
        .map(|(_, mut group)| {
            group.sort_by_key(|r| r.key("period"));
            let first = group[0];
            let (_, unit) = chart_unit(first.key("unit"));
            let title = format!(
                "{} · {}（{}，目标 {}）",
                first.key("indicator_name_zh"),
                first.key("measure_name_zh"),
                unit,
                target_text(&first).unwrap_or_default()
            );
            let bars = group
                .iter()
                .map(|row| {
                    let status = row.key("status");
                    Bar {
                        badge: Some((status.to_string(), status_style(status).1)),
                        ..bar_of(row, format!("{}年", row.key("period")), target_mark(row))
                    }
                })
                .collect();
            BarGroup {
                title: Some(title),
                bars,
                span: (0.0, 0.0),
            }
        })
        .collect();
    Some(svg::bar_chart(id, colour, "数值", &groups))
}

/// The county's monthly values of each series.
fn trend_chart(batches: &[RecordBatch], id: &str, series: &[SeriesSpec]) -> Option<String> {
    fn monthly<'b>(batches: &'b [RecordBatch], code: &'b str) -> impl Iterator<Item = Row<'b>> {
        rows(batches).filter(move |r| {
            r.key("indicator_code") == code
                && r.key("dimension") == "county"
                && r.key("measure") == "value"
                && r.key("period_type") == "month"
        })
    }
    let months: Vec<String> = series
        .iter()
        .flat_map(|s| monthly(batches, &s.indicator).map(|r| r.key("period").to_string()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if months.is_empty() {
        return None;
    }
    let mut y_unit = "";
    let series: Vec<Series> = series
        .iter()
        .filter_map(
            |SeriesSpec {
                 indicator: code,
                 colour,
             }| {
                let code = code.as_str();
                let by_month: BTreeMap<&str, Row> = monthly(batches, code)
                    .map(|r| (r.key("period"), r))
                    .collect();
                let first = by_month.values().next()?;
                y_unit = chart_unit(first.key("unit")).1;
                let name = first.text("indicator_name_zh").unwrap_or(code).to_string();
                let points = months
                    .iter()
                    .enumerate()
                    .filter_map(|(x, month)| {
                        let row = by_month.get(month.as_str())?;
                        let (value, text) = chart_figure(row);
                        Some(Point {
                            x,
                            value,
                            suppressed: row.is_suppressed(),
                            title: format!("{name} {month}：{text}"),
                        })
                    })
                    .collect();
                Some(Series {
                    name,
                    colour,
                    points,
                })
            },
        )
        .collect();
    Some(svg::line_chart(id, &months, y_unit, &series))
}

/// The year rows of `code`'s `value` by township in `year`, largest first, withheld and
/// missing figures last.
fn township_rows<'a>(batches: &'a [RecordBatch], code: &str, year: &str) -> Vec<Row<'a>> {
    let mut found: Vec<Row> = rows(batches)
        .filter(|r| {
            r.key("indicator_code") == code
                && r.key("dimension") == "township"
                && r.key("measure") == "value"
                && r.key("period_type") == "year"
                && r.key("period") == year
        })
        .collect();
    let figure = |r: &Row| {
        r.decimal("value")
            .filter(|_| !r.is_suppressed())
            .map(Decimal::to_f64)
    };
    found.sort_by(|a, b| match (figure(a), figure(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    found
}

/// The latest year of `code` whose months are all in (judged on the county's rows, or the
/// townships' when there is no county row), and whether it is complete; else the latest.
fn latest_complete_year(batches: &[RecordBatch], code: &str) -> Option<(String, bool)> {
    let years = |dimension: &str| -> Vec<(String, bool)> {
        rows(batches)
            .filter(|r| {
                r.key("indicator_code") == code
                    && r.key("dimension") == dimension
                    && r.key("measure") == "value"
                    && r.key("period_type") == "year"
            })
            .map(|r| {
                let months = r.decimal("months_covered").map(|d| d.to_f64());
                (
                    r.key("period").to_string(),
                    months.is_none_or(|m| m >= 12.0),
                )
            })
            .collect()
    };
    let mut found = years("county");
    if found.is_empty() {
        found = years("township");
    }
    let complete = found.iter().filter(|(_, c)| *c).map(|(y, _)| y).max();
    match complete {
        Some(year) => Some((year.clone(), true)),
        None => found.into_iter().map(|(y, _)| y).max().map(|y| (y, false)),
    }
}

/// One indicator's yearly values by township in the latest (complete) year, largest
/// first, with the county's target of that year when it has one: (heading, chart).
fn township_chart(
    batches: &[RecordBatch],
    id: &str,
    code: &str,
    heading: &str,
    colour: &str,
    choice: YearChoice,
) -> (String, Option<String>) {
    let found = match choice {
        YearChoice::Complete => latest_complete_year(batches, code),
        YearChoice::Latest => rows(batches)
            .filter(|r| {
                r.key("indicator_code") == code
                    && r.key("dimension") == "township"
                    && r.key("measure") == "value"
                    && r.key("period_type") == "year"
            })
            .map(|r| r.key("period").to_string())
            .max()
            .map(|y| (y, true)),
    };
    let Some((year, complete)) = found else {
        return (heading.to_string(), None);
    };
    let found = township_rows(batches, code, &year);
    let unit = found.first().map_or("", |r| chart_unit(r.key("unit")).1);
    let title = format!(
        "{heading}（{year}年{}，{unit}）",
        if complete {
            ""
        } else {
            "，年度数据不完整"
        }
    );
    if found.is_empty() {
        return (title, None);
    }
    // The county's target, drawn on every township for comparison.
    let target = rows(batches)
        .find(|r| {
            r.key("indicator_code") == code
                && r.key("dimension") == "county"
                && r.key("measure") == "value"
                && r.key("period_type") == "year"
                && r.key("period") == year
                && r.text("comparison").is_some()
        })
        .and_then(|r| target_mark(&r));
    let name = found[0].text("indicator_name_zh").unwrap_or(code);
    let bars = found
        .iter()
        .map(|r| bar_of(r, member_label(r).to_string(), target))
        .collect();
    // A share is drawn on its whole scale.
    let span = if unit == "%" {
        (0.0, 100.0)
    } else {
        (0.0, 0.0)
    };
    let group = BarGroup {
        title: None,
        bars,
        span,
    };
    (title, Some(svg::bar_chart(id, colour, name, &[group])))
}

fn notes(out: &mut String, meta: &ExportMeta) {
    let _ = write!(
        out,
        "<table class=\"meta\">\n<tr><th>快照版本</th><td>{}</td></tr>\n<tr><th>运行编号</th><td><code>{}</code></td></tr>\n<tr><th>计算时间（UTC）</th><td>{}</td></tr>\n<tr><th>数据截至</th><td>{}</td></tr>\n</table>\n",
        meta.snapshot_version,
        escape(&meta.run_id),
        escape(&meta.created_at),
        escape(meta.data_as_of.as_deref().unwrap_or("—")),
    );
    let _ = writeln!(
        out,
        r#"<p class="note">口径：{}</p>"#,
        escape(&meta.presentation.caliber)
    );
    let _ = writeln!(
        out,
        r#"<p class="note">标为“{SUPPRESSED_ZH}”的数据按统计信息披露控制规则不予公布（如贡献企业过少），并非为零；图中以灰色斜线表示。“数据不足”表示该期月份不全或基期数据不全，尚不能判断是否达标。</p>"#
    );
    if !meta.definitions.is_empty() {
        out.push_str("<h3>指标定义</h3>\n<table class=\"definitions\">\n<tr><th>指标代码</th><th>指标名称</th><th>英文名称</th><th>单位</th><th>定义</th><th>数据来源部门</th></tr>\n");
        for def in &meta.definitions {
            out.push_str("<tr>");
            for cell in def {
                let _ = write!(out, "<td>{}</td>", escape(cell));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
    if !meta.inputs.is_empty() {
        out.push_str("<h3>输入文件</h3>\n<table class=\"inputs\">\n<tr><th>来源</th><th>文件</th><th>SHA-256</th><th>入库行数</th></tr>\n");
        for input in &meta.inputs {
            let _ = writeln!(
                out,
                r#"<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class="num">{}</td></tr>"#,
                escape(&input[0]),
                escape(&input[1]),
                escape(&input[2]),
                escape(&input[3]),
            );
        }
        out.push_str("</table>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Presentation;
    use crate::fixture::{self, Obs};

    fn meta() -> ExportMeta {
        ExportMeta {
            snapshot_version: 3,
            run_id: "run-<1>".into(),
            created_at: "2020-04-02T08:00:00Z".into(),
            data_as_of: Some("2020-03".into()),
            definitions: vec![[
                "rural_online_retail".into(),
                "农村网络零售额".into(),
                "Rural online retail sales".into(),
                "元".into(),
                "Buyer-paid amount & refunds <excluded>".into(),
                "商务局".into(),
            ]],
            inputs: vec![[
                "orders".into(),
                "orders_2019.xlsx".into(),
                "ab12".into(),
                "1200".into(),
            ]],
            lineage: Vec::new(),
            presentation: presentation(),
        }
    }

    const GROWTH_CHART: (&str, &str) = ("growth", "#2F6DB5");
    const TREND_CHART: &str = "trend";
    const TOWNSHIP_CHART: (&str, &str) = ("township", "#7B4FA0");
    const COVERAGE_CHART: (&str, &str) = ("coverage", "#1A9A9A");
    const SALES_SERIES: [(&str, &str); 2] = [
        ("rural_online_retail", "#E0702F"),
        ("agri_online_retail", "#3C9D4E"),
    ];
    const CALIBER_ZH: &str = "网络零售额 = 已完成订单买家实付商品金额 − 退款，不含运费。";

    /// The charts of the tests: the four kinds the sample's report.toml uses.
    fn presentation() -> Presentation {
        let text = String::from;
        Presentation {
            title: "某县电子商务进农村综合示范 绩效指标报告".into(),
            caliber: CALIBER_ZH.into(),
            topics: Vec::new(),
            charts: vec![
                Chart::Targets {
                    id: GROWTH_CHART.0.into(),
                    heading: text("各项目标完成进度"),
                    colour: GROWTH_CHART.1.into(),
                    empty: text("没有设定目标的全县年度指标。"),
                },
                Chart::Monthly {
                    id: TREND_CHART.into(),
                    heading: text("网络零售额月度走势（全县）"),
                    series: SALES_SERIES
                        .iter()
                        .map(|(indicator, colour)| SeriesSpec {
                            indicator: text(indicator),
                            colour: text(colour),
                        })
                        .collect(),
                    empty: text("没有全县网络零售额的月度数据。"),
                },
                Chart::ByTownship {
                    id: TOWNSHIP_CHART.0.into(),
                    indicator: text("rural_online_retail"),
                    heading: text("分乡镇农村网络零售额"),
                    colour: TOWNSHIP_CHART.1.into(),
                    year: YearChoice::Complete,
                    empty: text("没有分乡镇的农村网络零售额年度数据。"),
                },
                Chart::ByTownship {
                    id: COVERAGE_CHART.0.into(),
                    indicator: text("admin_village_coverage"),
                    heading: text("分乡镇行政村电子商务服务覆盖率"),
                    colour: COVERAGE_CHART.1.into(),
                    year: YearChoice::Latest,
                    empty: text("没有分乡镇的行政村服务覆盖率数据。"),
                },
            ],
        }
    }

    /// The report of the fixture, written beside the tests' other files when
    /// `ECSTAT_KEEP_REPORT` names a path (for looking at it in a browser).
    fn report() -> String {
        let html = render(&[fixture::batch(&fixture::report_rows(), true)], &meta());
        if let Some(path) = std::env::var_os("ECSTAT_KEEP_REPORT") {
            std::fs::write(path, &html).expect("keep report");
        }
        html
    }

    /// The `<svg>` element of `chart`.
    fn chart<'a>(html: &'a str, chart: &str) -> &'a str {
        let start = html
            .find(&format!(r#"<svg class="chart" data-chart="{chart}""#))
            .unwrap_or_else(|| panic!("no chart {chart}"));
        let end = html[start..].find("</svg>").expect("end") + start;
        &html[start..end]
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(matches!(escape("城厢镇"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_report_is_self_contained_chinese_html() {
        let html = report();
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
        assert!(html.contains(r#"<meta charset="utf-8">"#));
        // Nothing loaded from anywhere: no script, no link, no remote URL.
        for forbidden in [
            "<script", "<link", "src=", "http://", "https://", "@import", "url(http",
        ] {
            assert!(!html.contains(forbidden), "{forbidden}");
        }
        // Metadata and notes, escaped.
        assert!(html.contains("<code>run-&lt;1&gt;</code>"));
        assert!(html.contains("Buyer-paid amount &amp; refunds &lt;excluded&gt;"));
        assert!(html.contains("orders_2019.xlsx"));
        assert!(html.contains(CALIBER_ZH));
    }

    #[test]
    fn the_targets_table_colours_status_and_keeps_exact_figures() {
        let html = report();
        let table = &html[html.find(r#"<table class="targets">"#).expect("table")..];
        let table = &table[..table.find("</table>").expect("end")];
        assert_eq!(table.matches("<tr><td>").count(), 5);
        assert!(table.contains(
            r#"<tr><td>农村网络零售额</td><td>较2017年增长率</td><td>2019</td><td>安溪县</td><td class="num">27.50%</td><td class="num">≥ 20%</td><td class="num">137.50%</td><td class="met">达标</td><td></td></tr>"#
        ), "{table}");
        assert!(table.contains(r#"<td class="num">-5%</td>"#), "{table}");
        assert!(
            table.contains(r#"<td class="missed">未达标</td>"#),
            "{table}"
        );
    }

    #[test]
    fn each_chart_has_its_colour_and_its_rows() {
        let html = report();
        let growth = chart(&html, GROWTH_CHART.0);
        // Two years of rural and agricultural growth, one of coverage.
        assert_eq!(
            growth
                .matches(&format!(r#"fill="{}""#, GROWTH_CHART.1))
                .count(),
            1 + 5
        );
        assert!(growth.contains("农村网络零售额 · 较2017年增长率（%，目标 ≥ 20%）"));
        assert!(growth.contains(">27.50%</text>"));
        assert!(growth.contains(&format!(r#"stroke="{}""#, svg::TARGET_COLOUR)));

        let trend = chart(&html, TREND_CHART);
        for (_, colour) in SALES_SERIES {
            // Legend swatch, the line, and twelve months.
            assert_eq!(
                trend.matches(&format!(r#"fill="{colour}""#)).count(),
                1 + 12
            );
            assert_eq!(trend.matches(&format!(r#"stroke="{colour}""#)).count(), 1);
        }
        // Exact figures in the tooltips, in 万元.
        assert!(
            trend.contains("<title>农村网络零售额 2019-12：62 万元</title>"),
            "{trend}"
        );

        let township = chart(&html, TOWNSHIP_CHART.0);
        // 2020 has three months: the chart shows 2019, largest first, 西坪镇 withheld last.
        assert!(html.contains("<h2>四、分乡镇农村网络零售额（2019年，万元）</h2>"));
        let order: Vec<usize> = ["凤城镇", "城厢镇", "西坪镇"]
            .iter()
            .map(|t| township.find(&format!(">{t}</text>")).expect(t))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(township.contains(">310 万元</text>"));
        assert_eq!(
            township
                .matches(&format!(r#"fill="{}""#, TOWNSHIP_CHART.1))
                .count(),
            1 + 2
        );
        assert!(township.contains(r#"fill="url(#hatch-township)" stroke"#));
        assert!(township.contains(">保密</text>"));
        assert!(!township.contains("西坪镇：0"));

        let coverage = chart(&html, COVERAGE_CHART.0);
        assert_eq!(
            coverage
                .matches(&format!(r#"fill="{}""#, COVERAGE_CHART.1))
                .count(),
            1 + 2
        );
        assert!(coverage.contains(">80%</text>"));
        // The county's 50% target on both townships.
        assert_eq!(
            coverage
                .matches(&format!(r#"stroke="{}""#, svg::TARGET_COLOUR))
                .count(),
            1 + 2
        );
    }

    #[test]
    fn charts_without_data_say_so() {
        let only_parcels = [Obs::county("parcels_sent", "2019", 10_000)];
        let html = render(&[fixture::batch(&only_parcels, false)], &meta());
        assert!(!html.contains("<svg"));
        assert_eq!(html.matches(r#"<p class="nodata">无数据："#).count(), 5);
    }

    #[test]
    fn text_from_the_table_is_escaped() {
        let rows = [Obs::township(
            "rural_online_retail",
            "2019",
            "x",
            "<script>alert(1)</script>",
            10_000,
        )];
        let html = render(&[fixture::batch(&rows, true)], &meta());
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    /// `chromium` or `chromium-browser` on PATH.
    fn chromium() -> Option<std::path::PathBuf> {
        let path = std::env::var_os("PATH")?;
        ["chromium", "chromium-browser"].iter().find_map(|name| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    }

    /// Run `browser` to screenshot `page` into `shot`, killing it after a minute.
    fn screenshot(browser: &Path, page: &Path, shot: &Path, scratch: &Path) {
        use std::process::{Command, Stdio};
        use std::time::{Duration, Instant};

        let home = scratch.join("home");
        std::fs::create_dir_all(&home).expect("home");
        let log = scratch.join("chromium.log");
        let log_file = std::fs::File::create(&log).expect("log");
        let mut child = Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--window-size=1280,2400",
            ])
            .arg(format!(
                "--user-data-dir={}",
                scratch.join("profile").display()
            ))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", page.display()))
            // Chromium writes its profile and caches under HOME, which CI may not own.
            .env("HOME", &home)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{} took over 60 s to screenshot {}; its log:\n{}",
                    browser.display(),
                    page.display(),
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(
            status.success() && shot.is_file(),
            "{} failed ({status}) to screenshot {}; its log:\n{}",
            browser.display(),
            page.display(),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// How many pixels of the PNG at `path` have each colour of `colours` (within 2 per
    /// channel: colour management may move a value by one).
    fn count_pixels(path: &Path, colours: &[&str]) -> Vec<usize> {
        let rgb = |hex: &str| -> [u8; 3] {
            let hex = hex.trim_start_matches('#');
            let channel = |k: usize| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).expect("hex");
            [channel(0), channel(1), channel(2)]
        };
        let wanted: Vec<[u8; 3]> = colours.iter().map(|c| rgb(c)).collect();
        let file = std::io::BufReader::new(std::fs::File::open(path).expect("png"));
        let mut decoder = png::Decoder::new(file);
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("png frame");
        let channels = info.color_type.samples();
        assert!(channels >= 3, "screenshot is {:?}", info.color_type);
        let mut counts = vec![0; colours.len()];
        for row in buf[..info.line_size * info.height as usize].chunks(info.line_size) {
            for pixel in row[..info.width as usize * channels].chunks(channels) {
                for (count, colour) in counts.iter_mut().zip(&wanted) {
                    if pixel[..3]
                        .iter()
                        .zip(colour)
                        .all(|(a, b)| a.abs_diff(*b) <= 2)
                    {
                        *count += 1;
                    }
                }
            }
        }
        counts
    }

    /// Chromium really draws every chart: the screenshot holds each chart's own colour on
    /// more pixels than its legend swatch covers.
    #[test]
    fn chromium_draws_every_chart() {
        let Some(browser) = chromium() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but neither `chromium` nor `chromium-browser` is on PATH: the report's \
                 screenshot test cannot run. .ci/run installs it (apt-get install chromium)."
            );
            eprintln!(
                "notice: chromium_draws_every_chart skipped: no `chromium` or `chromium-browser` \
                 on PATH (apt-get install chromium to run it)"
            );
            return;
        };
        let tmp = tempfile::tempdir().expect("tempdir");
        let page = tmp.path().join("indicators.html");
        let shot = tmp.path().join("shot.png");
        std::fs::write(&page, report()).expect("write");
        screenshot(&browser, &page, &shot, tmp.path());

        let mut colours = vec![GROWTH_CHART, TOWNSHIP_CHART, COVERAGE_CHART];
        colours.extend(SALES_SERIES.iter().map(|(code, colour)| (*code, *colour)));
        // A colour the page never uses, to show the count is not just any pixel.
        colours.push(("unused", "#FF00FF"));
        let hex: Vec<&str> = colours.iter().map(|(_, c)| *c).collect();
        let counts = count_pixels(&shot, &hex);
        const SWATCH: usize = 14 * 14;
        for ((chart, colour), count) in colours.iter().zip(&counts) {
            if *chart == "unused" {
                assert_eq!(*count, 0, "{colour}");
            } else {
                assert!(
                    *count > 2 * SWATCH,
                    "chart {chart}: only {count} pixels of {colour} in the screenshot"
                );
            }
        }
    }
}
