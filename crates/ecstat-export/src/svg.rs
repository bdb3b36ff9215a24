//! Charts as inline SVG, drawn here so the report needs no script, font or style sheet from
//! outside and opens the same on an offline office PC. Positions are computed in `f64`;
//! the figures printed on a chart arrive as finished text from the exact decimals.

use std::fmt::Write;

use crate::SUPPRESSED_ZH;
use crate::html::escape;

/// Target lines and bands.
pub(crate) const TARGET_COLOUR: &str = "#C0392B";
/// Hatching of a withheld figure.
pub(crate) const SUPPRESSED_COLOUR: &str = "#8C8C8C";
const SUPPRESSED_BACKGROUND: &str = "#D9D9D9";
const AXIS_COLOUR: &str = "#7F7F7F";
const GRID_COLOUR: &str = "#E5E5E5";
const TEXT_COLOUR: &str = "#262626";

const WIDTH: f64 = 960.0;
const LEGEND_HEIGHT: f64 = 30.0;

/// One horizontal bar of a [`BarGroup`].
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub label: String,
    /// Where the bar ends, in the group's unit; `None` when there is no figure to draw.
    pub value: Option<f64>,
    /// What the row says right of the bars: the exact figure, 保密 or 无数据.
    pub text: String,
    pub suppressed: bool,
    /// The target marked on the row: a line, or a band up to the upper bound (`between`).
    pub target: Option<(f64, Option<f64>)>,
    /// Words after the figure (the status) and their colour.
    pub badge: Option<(String, &'static str)>,
}

/// Bars that share one scale, under an optional title.
#[derive(Debug, Clone)]
pub(crate) struct BarGroup {
    pub title: Option<String>,
    pub bars: Vec<Bar>,
    /// The scale spans at least this range (0–100 for a share of villages).
    pub span: (f64, f64),
}

/// A series of a [`line_chart`].
#[derive(Debug, Clone)]
pub(crate) struct Series<'a> {
    pub name: String,
    pub colour: &'a str,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone)]
pub(crate) struct Point {
    /// Index into the chart's x labels.
    pub x: usize,
    pub value: Option<f64>,
    pub suppressed: bool,
    /// The tooltip: period and exact figure.
    pub title: String,
}

fn open_svg(out: &mut String, name: &str, height: f64, label: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" data-chart="{name}" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{label}">"#,
        name = escape(name),
        label = escape(label),
    );
    // Hatching for withheld figures; the id carries the chart name, ids are page-wide.
    let _ = write!(
        out,
        r#"<defs><pattern id="hatch-{name}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="{SUPPRESSED_BACKGROUND}"/><line x1="0" y1="0" x2="0" y2="6" stroke="{SUPPRESSED_COLOUR}" stroke-width="2"/></pattern></defs>"#,
        name = escape(name),
    );
}

fn text(out: &mut String, x: f64, y: f64, anchor: &str, attrs: &str, content: &str) {
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" fill="{TEXT_COLOUR}" {attrs}>{}</text>"#,
        escape(content)
    );
}

/// Legend entries: a swatch, a line or a hatch, and the words.
enum Key<'a> {
    Swatch(&'a str),
    Line(&'a str),
    Hatch,
}

fn legend(out: &mut String, name: &str, keys: &[(Key, &str)]) {
    let mut x = 10.0;
    for (key, label) in keys {
        match key {
            Key::Swatch(colour) => {
                let _ = write!(
                    out,
                    r#"<rect x="{x}" y="8" width="14" height="14" fill="{colour}"/>"#
                );
            }
            Key::Line(colour) => {
                let _ = write!(
                    out,
                    r#"<line x1="{a}" y1="15" x2="{b}" y2="15" stroke="{colour}" stroke-width="2" stroke-dasharray="4 2"/>"#,
                    a = x,
                    b = x + 14.0
                );
            }
            Key::Hatch => {
                let _ = write!(
                    out,
                    r#"<rect x="{x}" y="8" width="14" height="14" fill="url(#hatch-{name})" stroke="{SUPPRESSED_COLOUR}"/>"#,
                    name = escape(name)
                );
            }
        }
        text(out, x + 20.0, 20.0, "start", r#"font-size="13""#, label);
        x += 34.0 + 14.0 * label.chars().count() as f64;
    }
}

/// Horizontal bars, one row per [`Bar`], each group on its own scale: label left, bar in
/// the middle, the figure and its badge right. `value_label` names the bars in the legend.
pub(crate) fn bar_chart(
    name: &str,
    colour: &str,
    value_label: &str,
    groups: &[BarGroup],
) -> String {
    const LABEL_RIGHT: f64 = 150.0;
    const BAR_LEFT: f64 = 160.0;
    const BAR_RIGHT: f64 = 700.0;
    const TEXT_LEFT: f64 = 712.0;
    const ROW: f64 = 26.0;
    const BAR: f64 = 16.0;
    const TITLE: f64 = 28.0;
    const SUPPRESSED_LENGTH: f64 = 60.0;

    let bars = groups.iter().map(|g| g.bars.len()).sum::<usize>() as f64;
    let titles = groups.iter().filter(|g| g.title.is_some()).count() as f64;
    let height = LEGEND_HEIGHT + titles * TITLE + bars * ROW + 10.0;
    let mut out = String::new();
    open_svg(&mut out, name, height, value_label);

    let all = || groups.iter().flat_map(|g| g.bars.iter());
    let mut keys = vec![(Key::Swatch(colour), value_label)];
    if all().any(|b| b.target.is_some()) {
        keys.push((Key::Line(TARGET_COLOUR), "目标"));
    }
    if all().any(|b| b.suppressed) {
        keys.push((Key::Hatch, SUPPRESSED_ZH));
    }
    legend(&mut out, name, &keys);

    let mut y = LEGEND_HEIGHT;
    for group in groups {
        if let Some(title) = &group.title {
            text(
                &mut out,
                10.0,
                y + 19.0,
                "start",
                r#"font-size="14" font-weight="bold""#,
                title,
            );
            y += TITLE;
        }
        let marks = group.bars.iter().flat_map(|b| {
            let (t, u) = b.target.unzip();
            [b.value, t, u.flatten()]
        });
        let (lo, hi) = marks.flatten().filter(|v| v.is_finite()).fold(
            (group.span.0.min(0.0), group.span.1.max(0.0)),
            |(lo, hi), v| (lo.min(v), hi.max(v)),
        );
        let hi = if hi > lo { hi } else { lo + 1.0 };
        let x = |v: f64| BAR_LEFT + (v - lo) / (hi - lo) * (BAR_RIGHT - BAR_LEFT);
        let zero = x(0.0);
        let top = y;
        for bar in &group.bars {
            let bar_top = y + (ROW - BAR) / 2.0;
            let middle = y + ROW / 2.0 + 4.5;
            text(
                &mut out,
                LABEL_RIGHT,
                middle,
                "end",
                r#"font-size="13""#,
                &bar.label,
            );
            if bar.suppressed {
                let _ = write!(
                    out,
                    r#"<rect x="{zero:.1}" y="{bar_top:.1}" width="{SUPPRESSED_LENGTH}" height="{BAR}" fill="url(#hatch-{n})" stroke="{SUPPRESSED_COLOUR}"><title>{t}</title></rect>"#,
                    n = escape(name),
                    t = escape(SUPPRESSED_ZH),
                );
            } else if let Some(v) = bar.value {
                let end = x(v);
                let _ = write!(
                    out,
                    r#"<rect x="{left:.1}" y="{bar_top:.1}" width="{width:.1}" height="{BAR}" fill="{colour}"><title>{t}</title></rect>"#,
                    left = zero.min(end),
                    width = (end - zero).abs().max(1.0),
                    t = escape(&format!("{}：{}", bar.label, bar.text)),
                );
            }
            if let Some((target, upper)) = bar.target {
                if let Some(upper) = upper {
                    let _ = write!(
                        out,
                        r#"<rect x="{a:.1}" y="{t:.1}" width="{w:.1}" height="{h}" fill="{TARGET_COLOUR}" fill-opacity="0.15"/>"#,
                        a = x(target).min(x(upper)),
                        t = y + 2.0,
                        w = (x(upper) - x(target)).abs(),
                        h = ROW - 4.0,
                    );
                }
                for bound in [Some(target), upper].into_iter().flatten() {
                    let _ = write!(
                        out,
                        r#"<line x1="{p:.1}" y1="{a:.1}" x2="{p:.1}" y2="{b:.1}" stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="4 2"/>"#,
                        p = x(bound),
                        a = y + 1.0,
                        b = y + ROW - 1.0,
                    );
                }
            }
            let figure_style = if bar.suppressed || bar.value.is_none() {
                r#"font-size="13" fill-opacity="0.6""#.to_string()
            } else {
                r#"font-size="13""#.to_string()
            };
            text(
                &mut out,
                TEXT_LEFT,
                middle,
                "start",
                &figure_style,
                &bar.text,
            );
            if let Some((badge, badge_colour)) = &bar.badge {
                let _ = write!(
                    out,
                    r#"<text x="{bx:.1}" y="{middle:.1}" fill="{badge_colour}" font-size="13" font-weight="bold">{}</text>"#,
                    escape(badge),
                    bx = TEXT_LEFT + 10.0 + 7.5 * bar.text.chars().count() as f64,
                );
            }
            y += ROW;
        }
        // The zero line, over the bars of the group.
        let _ = write!(
            out,
            r#"<line x1="{zero:.1}" y1="{top:.1}" x2="{zero:.1}" y2="{y:.1}" stroke="{AXIS_COLOUR}" stroke-width="1"/>"#
        );
    }
    out.push_str("</svg>");
    out
}

/// A step of 1, 2 or 5 × 10^k that cuts `range` into about five parts.
fn nice_step(range: f64) -> f64 {
    let raw = (range / 5.0).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// Lines over `x_labels` (months), one per series, on one scale in `y_unit`. Gaps where a
/// figure is missing; a withheld month is a hatched mark on the axis.
pub(crate) fn line_chart(
    name: &str,
    x_labels: &[String],
    y_unit: &str,
    series: &[Series],
) -> String {
    const HEIGHT: f64 = 360.0;
    const LEFT: f64 = 80.0;
    const RIGHT: f64 = 930.0;
    const TOP: f64 = LEGEND_HEIGHT + 20.0;
    const BOTTOM: f64 = 300.0;

    let mut out = String::new();
    open_svg(&mut out, name, HEIGHT, y_unit);
    let keys: Vec<(Key, &str)> = series
        .iter()
        .map(|s| (Key::Swatch(s.colour), s.name.as_str()))
        .collect();
    legend(&mut out, name, &keys);

    let values = series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.value))
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let step = nice_step(if hi > lo { hi - lo } else { 1.0 });
    let lo = (lo / step).floor() * step;
    let hi = ((hi / step).ceil() * step).max(lo + step);
    let y = |v: f64| BOTTOM - (v - lo) / (hi - lo) * (BOTTOM - TOP);
    let n = x_labels.len();
    let x = |i: usize| {
        if n <= 1 {
            (LEFT + RIGHT) / 2.0
        } else {
            LEFT + i as f64 * (RIGHT - LEFT) / (n - 1) as f64
        }
    };

    // Grid and y labels; tick labels are round numbers of the scale, not figures.
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let ticks = ((hi - lo) / step).round() as usize;
    for k in 0..=ticks {
        let v = lo + k as f64 * step;
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" y1="{p:.1}" x2="{RIGHT}" y2="{p:.1}" stroke="{GRID_COLOUR}" stroke-width="1"/>"#,
            p = y(v)
        );
        text(
            &mut out,
            LEFT - 8.0,
            y(v) + 4.0,
            "end",
            r#"font-size="12""#,
            &format!("{v:.decimals$}"),
        );
    }
    text(
        &mut out,
        LEFT - 8.0,
        TOP - 10.0,
        "end",
        r#"font-size="12""#,
        y_unit,
    );
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="{AXIS_COLOUR}" stroke-width="1"/>"#
    );
    // Every month when they fit, else every k-th.
    let every = n.div_ceil(12).max(1);
    for (i, label) in x_labels.iter().enumerate() {
        if i % every == 0 {
            text(
                &mut out,
                x(i),
                BOTTOM + 20.0,
                "middle",
                r#"font-size="12""#,
                label,
            );
        }
    }

    for s in series {
        let mut path = String::new();
        let mut pen_down = false;
        for p in &s.points {
            match p.value.filter(|v| v.is_finite()) {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1} {:.1} ",
                        if pen_down { "L" } else { "M" },
                        x(p.x),
                        y(v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                out,
                r#"<path d="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-linejoin="round"/>"#,
                path.trim_end(),
                s.colour
            );
        }
        for p in &s.points {
            if let Some(v) = p.value.filter(|v| v.is_finite()) {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{}"><title>{}</title></circle>"#,
                    x(p.x),
                    y(v),
                    s.colour,
                    escape(&p.title)
                );
            } else if p.suppressed {
                let _ = write!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="url(#hatch-{})" stroke="{SUPPRESSED_COLOUR}"><title>{}</title></rect>"#,
                    x(p.x) - 5.0,
                    BOTTOM - 5.0,
                    escape(name),
                    escape(&p.title)
                );
            }
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: Option<f64>, suppressed: bool) -> Bar {
        Bar {
            label: label.into(),
            value,
            text: value.map_or(SUPPRESSED_ZH.into(), |v| format!("{v}")),
            suppressed,
            target: Some((50.0, None)),
            badge: None,
        }
    }

    #[test]
    fn bars_scale_to_the_widest_mark_and_hatch_withheld_rows() {
        let svg = bar_chart(
            "t",
            "#123456",
            "数值",
            &[BarGroup {
                title: Some("<标题>".into()),
                bars: vec![
                    bar("甲", Some(100.0), false),
                    bar("乙", Some(-20.0), false),
                    bar("丙", None, true),
                ],
                span: (0.0, 0.0),
            }],
        );
        assert!(
            svg.starts_with(r#"<svg class="chart" data-chart="t""#),
            "{svg}"
        );
        assert!(svg.contains("&lt;标题&gt;"), "{svg}");
        // Scale -20..100 over 160..700: zero at 250, 100 ends at 700, -20 starts at 160.
        assert!(
            svg.contains(r##"<rect x="250.0" y="63.0" width="450.0" height="16" fill="#123456">"##),
            "{svg}"
        );
        assert!(
            svg.contains(r##"<rect x="160.0" y="89.0" width="90.0" height="16" fill="#123456">"##),
            "{svg}"
        );
        assert!(svg.contains(r#"fill="url(#hatch-t)""#), "{svg}");
        // Target 50 at 475.
        assert!(svg.contains(r#"x1="475.0""#), "{svg}");
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn nice_steps() {
        for (range, step) in [(100.0, 20.0), (7.0, 2.0), (0.9, 0.2), (600.0, 200.0)] {
            assert!((nice_step(range) - step).abs() < 1e-9, "{range}");
        }
    }

    #[test]
    fn lines_break_at_missing_months() {
        let points = [Some(1.0), None, Some(3.0)]
            .into_iter()
            .enumerate()
            .map(|(x, value)| Point {
                x,
                value,
                suppressed: value.is_none(),
                title: format!("m{x}"),
            })
            .collect();
        let svg = line_chart(
            "l",
            &["1".into(), "2".into(), "3".into()],
            "万元",
            &[Series {
                name: "甲".into(),
                colour: "#ABCDEF",
                points,
            }],
        );
        // Two pieces of path: one move per piece, no line across the gap.
        let d = svg
            .split(r#"<path d=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("path");
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(!d.contains('L'), "{d}");
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains(r#"fill="url(#hatch-l)""#));
    }
}
