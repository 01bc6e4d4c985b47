//! The history section of the HTML reports: findings over time by severity, administrator
//! seats per account over time, and time to fix, drawn as inline SVG by the report itself (no
//! script, font or image fetched), coloured through CSS variables that have a light and a dark
//! value, each plot followed by a table of the numbers behind its points.
//!
//! Every point carries its series, run and value (`data-series`, `data-run`, `data-value`) and
//! each plot its scale (`data-y-max`, `data-top`, `data-height`), so that what is drawn can be
//! read back and checked against the JSON of `history`.

use crate::history::History;
use std::fmt::Write;

/// The styles of the history section, light and dark (appended to a page's style sheet).
pub const STYLE: &str = r#"
#history { --p0:#b91c1c; --p1:#c2410c; --p2:#a16207; --p3:#15803d; --p4:#0f766e; --p5:#1d4ed8;
  --p6:#6d28d9; --p7:#be185d; --p8:#4b5563; --p9:#0369a1; --p10:#4d7c0f; --p11:#9333ea;
  --s-critical:#8e1212; --s-high:#c2410c; --s-medium:#a16207; --s-low:#1d4ed8; --s-info:#4b5563; }
#history figure { margin: 0 0 24px; }
#history svg { width: 100%; max-width: 900px; height: auto; color: var(--fg); display: block; }
#history svg text { fill: currentColor; font: 11px system-ui, sans-serif; }
#history svg .axis { stroke: currentColor; stroke-opacity: .45; }
#history svg .grid { stroke: currentColor; stroke-opacity: .12; }
#history .legend-item { display: inline-block; margin-right: 14px; }
#history .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
#history table.numbers { width: auto; font-variant-numeric: tabular-nums; }
#history table.numbers td { text-align: right; }
#history table.numbers th:first-child, #history table.numbers td:first-child { text-align: left; }
@media (prefers-color-scheme: dark) {
  :root { --fg:#e5e7eb; --muted:#a3acbb; --line:#3a4150; --bg:#12151b; --card:#1b1f27; }
  th { background: #262b35; }
  #history { --p0:#f87171; --p1:#fb923c; --p2:#facc15; --p3:#4ade80; --p4:#2dd4bf; --p5:#60a5fa;
    --p6:#a78bfa; --p7:#f472b6; --p8:#cbd5e1; --p9:#38bdf8; --p10:#a3e635; --p11:#d8b4fe;
    --s-critical:#f87171; --s-high:#fb923c; --s-medium:#facc15; --s-low:#60a5fa; --s-info:#cbd5e1; }
}
"#;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number as plots and tables show it: integers without a fraction.
fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// The top of the y axis: a round number at or above `max` (at least 1).
fn y_max(max: f64) -> f64 {
    if max <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    max
}

struct Series<'a> {
    name: &'a str,
    colour: String,
    values: Vec<Option<f64>>,
}

enum Shape {
    Lines,
    Bars,
}

fn plot(
    id: &str,
    title: &str,
    unit: &str,
    runs: &[String],
    series: &[Series],
    shape: Shape,
) -> String {
    let n = runs.len();
    let top_value = y_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(0.0, |a: f64, b| a.max(*b)),
    );
    let (w, h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x = |i: usize| {
        if n <= 1 {
            LEFT + w / 2.0
        } else {
            LEFT + w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + h - v / top_value * h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="{id}-plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-caption" data-y-max="{}" data-top="{TOP}" data-height="{h}">"#,
        number(top_value)
    );
    // Grid and y labels at 0, a half and the top.
    for fraction in [0.0, 0.5, 1.0] {
        let value = top_value * fraction;
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{:.1}" y2="{:.1}"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT + w,
            y(value),
            y(value),
            LEFT - 6.0,
            y(value) + 4.0,
            number(value)
        );
    }
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{}"/><line class="axis" x1="{LEFT}" x2="{}" y1="{}" y2="{}"/>"#,
        TOP + h,
        LEFT + w,
        TOP + h,
        TOP + h
    );
    let _ = write!(
        svg,
        r#"<text x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
        TOP + h / 2.0,
        TOP + h / 2.0,
        escape(unit)
    );
    // Dates: at most 8 labels, evenly chosen, first and last always.
    let every = n.div_ceil(8).max(1);
    for (i, run) in runs.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            // The first and last labels end at the plot's edges, not past them.
            let anchor = match i {
                0 if n > 1 => "start",
                _ if i + 1 == n && n > 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{}" text-anchor="{anchor}">{}</text>"#,
                x(i),
                TOP + h + 18.0,
                escape(&run[..run.len().min(10)])
            );
        }
    }
    let bar_width = (w / n.max(1) as f64 * 0.6 / series.len().max(1) as f64).clamp(2.0, 40.0);
    for (s, line) in series.iter().enumerate() {
        if matches!(shape, Shape::Lines) {
            let points: Vec<String> = line
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
                .collect();
            let _ = write!(
                svg,
                r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}" data-series="{}"/>"#,
                line.colour,
                points.join(" "),
                escape(line.name)
            );
        }
        for (i, value) in line.values.iter().enumerate() {
            let Some(value) = value else { continue };
            let tip = format!("{} {}: {}", line.name, &runs[i], number(*value));
            match shape {
                Shape::Lines => {
                    let _ = write!(
                        svg,
                        r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3.5" fill="{}" data-series="{}" data-run="{}" data-value="{}"><title>{}</title></circle>"#,
                        x(i),
                        y(*value),
                        line.colour,
                        escape(line.name),
                        escape(&runs[i]),
                        number(*value),
                        escape(&tip)
                    );
                }
                Shape::Bars => {
                    let left = x(i) - bar_width * series.len() as f64 / 2.0 + bar_width * s as f64;
                    let _ = write!(
                        svg,
                        r#"<rect class="point" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" data-series="{}" data-run="{}" data-value="{}"><title>{}</title></rect>"#,
                        left,
                        y(*value),
                        bar_width,
                        TOP + h - y(*value),
                        line.colour,
                        escape(line.name),
                        escape(&runs[i]),
                        number(*value),
                        escape(&tip)
                    );
                }
            }
        }
    }
    svg.push_str("</svg>");

    let mut legend = String::from(r#"<p class="legend">"#);
    for line in series {
        let _ = write!(
            legend,
            r#"<span class="legend-item"><span class="swatch" style="background:{}"></span>{}</span>"#,
            line.colour,
            escape(line.name)
        );
    }
    legend.push_str("</p>");

    let mut table = format!(
        r#"<table class="numbers" id="{id}-numbers"><caption class="muted">The numbers behind the plot</caption><thead><tr><th scope="col">run</th>"#
    );
    for line in series {
        let _ = write!(table, r#"<th scope="col">{}</th>"#, escape(line.name));
    }
    table.push_str("</tr></thead><tbody>");
    for (i, run) in runs.iter().enumerate() {
        let _ = write!(table, "<tr><td>{}</td>", escape(run));
        for line in series {
            let cell = line.values[i].map(number).unwrap_or_default();
            let _ = write!(table, "<td>{cell}</td>");
        }
        table.push_str("</tr>");
    }
    table.push_str("</tbody></table>");
    format!(
        r#"<figure id="{id}"><figcaption id="{id}-caption"><strong>{}</strong></figcaption>{svg}{legend}{table}</figure>"#,
        escape(title)
    )
}

/// The history section: three plots and their tables.
pub fn section(history: &History) -> String {
    let runs: Vec<String> = history.runs.iter().map(|r| r.captured_at.clone()).collect();
    let severities: Vec<Series> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|level| Series {
            name: level,
            colour: format!("var(--s-{level})"),
            values: history
                .runs
                .iter()
                .map(|r| Some(r.by_severity.get(*level).copied().unwrap_or(0) as f64))
                .collect(),
        })
        .collect();
    let accounts: std::collections::BTreeSet<&str> = history
        .runs
        .iter()
        .flat_map(|r| r.access.iter().flat_map(|a| a.keys().map(String::as_str)))
        .collect();
    let seats: Vec<Series> = accounts
        .iter()
        .enumerate()
        .map(|(i, account)| Series {
            name: account,
            colour: format!("var(--p{})", i % 12),
            values: history
                .runs
                .iter()
                .map(|r| {
                    r.access
                        .as_ref()
                        .map(|a| a.get(*account).map(|s| s.administrator).unwrap_or(0) as f64)
                })
                .collect(),
        })
        .collect();
    // Median days to fix of the findings fixed at each run.
    let fix = vec![Series {
        name: "median days to fix",
        colour: "var(--p5)".into(),
        values: runs
            .iter()
            .map(|run| {
                let mut days: Vec<f64> = history
                    .fixed_findings
                    .iter()
                    .filter(|f| &f.fixed_at == run)
                    .map(|f| f.days_to_fix)
                    .collect();
                days.sort_by(f64::total_cmp);
                match days.len() {
                    0 => None,
                    n if n % 2 == 1 => Some(days[n / 2]),
                    n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
                }
            })
            .collect(),
    }];
    let mut out = String::from(
        r#"<section id="history" aria-labelledby="history-title"><h2 id="history-title">History</h2>"#,
    );
    let _ = write!(
        out,
        r#"<p class="muted">{} runs from {} to {}.</p>"#,
        runs.len(),
        escape(runs.first().map(String::as_str).unwrap_or("")),
        escape(runs.last().map(String::as_str).unwrap_or(""))
    );
    out.push_str(&plot(
        "history-severity",
        "Findings over time, by severity",
        "findings",
        &runs,
        &severities,
        Shape::Lines,
    ));
    if seats.is_empty() {
        out.push_str(r#"<p class="muted" id="history-seats">No run is a snapshot: reports hold no access, so administrator seats are not plotted.</p>"#);
    } else {
        out.push_str(&plot(
            "history-seats",
            "Administrator seats per account (active users with administrator access)",
            "users",
            &runs,
            &seats,
            Shape::Lines,
        ));
    }
    out.push_str(&plot(
        "history-fix",
        "Time to fix: median days from first seen to gone, for findings fixed at each run",
        "days",
        &runs,
        &fix,
        Shape::Bars,
    ));
    out.push_str("</section>");
    out
}

/// `history --format html`: a page of its own.
pub fn page(history: &History) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>ssoaudit: history</title>
<style>
:root {{ --fg:#1d2330; --muted:#5b6475; --line:#d7dce4; --bg:#f6f7f9; --card:#fff; }}
body {{ margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }}
main {{ max-width: 1400px; margin: 0 auto; padding: 16px 24px; }}
section {{ background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }}
.muted {{ color: var(--muted); }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 4px 8px; border-bottom: 1px solid var(--line); }}
th {{ background: #eef1f5; }}
{STYLE}
</style>
</head>
<body>
<main>
<h1>ssoaudit: history</h1>
{}
</main>
</body>
</html>
"#,
        section(history)
    )
}
