//! `wf stats --html FILE`: one self-contained page of charts, drawn here as inline SVG (no
//! script, no stylesheet or font from elsewhere: it opens offline and in a CI artifact).
//! Charts: runs per day by status, success rate over time, cost per day and per workflow,
//! iterations per run, mean duration by phase, and the costliest steps.

use std::fmt::Write;

use super::history::{Stats, ALL_WORKFLOWS};
use super::trends::Trends;
use crate::ir::{format_cost, format_elapsed};

/// What the page shows, read from the journal by the caller.
pub struct Dashboard<'a> {
    pub trends: &'a Trends,
    pub stats: &'a Stats,
    /// (workflow, phase, mean ms, count).
    pub phases: &'a [(String, String, u64, u64)],
    /// (workflow, step key, micro-dollars), dearest first.
    pub steps: &'a [(String, String, i64)],
}

const GREEN: &str = "#2e7d32";
const RED: &str = "#c62828";
const GREY: &str = "#9e9e9e";
const BLUE: &str = "#1565c0";
const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;

/// The page.
pub fn html(dashboard: &Dashboard<'_>) -> String {
    let trends = dashboard.trends;
    let days: Vec<String> = trends.periods.iter().map(|period| period.start.clone()).collect();
    let values = |f: &dyn Fn(&super::trends::Period) -> f64| trends.periods.iter().map(f).collect::<Vec<f64>>();
    #[allow(clippy::cast_precision_loss)] // Chart heights.
    let charts = [
        columns(
            "Runs per day by status",
            &days,
            &[
                ("succeeded", GREEN, values(&|p| p.succeeded as f64)),
                ("failed", RED, values(&|p| p.failed as f64)),
                ("other (paused, interrupted, running)", GREY, values(&|p| (p.runs - p.succeeded - p.failed) as f64)),
            ],
            &|n| format!("{n:.0}"),
        ),
        line("Success rate over time", &days, &trends.periods.iter().map(|p| p.success_rate).collect::<Vec<_>>()),
        columns("Cost per day", &days, &[("cost", BLUE, values(&|p| p.cost_micros as f64))], &money),
        rows(
            "Cost per workflow",
            &dashboard
                .stats
                .workflows
                .iter()
                .filter(|stats| stats.workflow != ALL_WORKFLOWS)
                .map(|stats| {
                    (stats.workflow.clone(), stats.cost_total_micros as f64, format_cost(stats.cost_total_micros))
                })
                .collect::<Vec<_>>(),
        ),
        columns("Iterations per run", &days, &[("iterations", BLUE, values(&|p| p.iterations_per_run))], &|n| {
            format!("{n:.1}")
        }),
        rows(
            "Mean duration by phase",
            &dashboard
                .phases
                .iter()
                .map(|(workflow, phase, ms, n)| {
                    (format!("{workflow} · {phase}"), *ms as f64, format!("{} ({n} runs)", format_elapsed(*ms)))
                })
                .collect::<Vec<_>>(),
        ),
        rows(
            "Costliest steps",
            &dashboard
                .steps
                .iter()
                .map(|(workflow, key, micros)| (format!("{workflow} · {key}"), *micros as f64, format_cost(*micros)))
                .collect::<Vec<_>>(),
        ),
    ];
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>wf stats</title>\n<style>\
         body{font-family:system-ui,sans-serif;margin:24px;color:#212121;background:#fafafa}\
         h1{font-size:22px;margin:0 0 4px}p.sub{color:#616161;margin:0 0 16px}\
         .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:16px}\
         figure{margin:0;padding:12px;background:#fff;border:1px solid #e0e0e0;border-radius:6px}\
         figcaption{font-weight:600;margin-bottom:6px}svg text{font-size:11px;fill:#424242}\
         </style></head><body>\n",
    );
    let overall = &dashboard.stats.overall;
    let health = trends.health.as_ref().map(|health| format!(" · health {}/100", health.score)).unwrap_or_default();
    let rate = overall.success_rate.map(|rate| format!(" · {:.0}% succeeded", rate * 100.0)).unwrap_or_default();
    let _ = writeln!(
        out,
        "<h1>wf stats</h1><p class=\"sub\">{} runs{rate} · {} spent{health}</p><div class=\"grid\">",
        overall.runs,
        escape(&format_cost(overall.cost_total_micros))
    );
    for (title, svg) in charts {
        let _ = writeln!(out, "<figure class=\"chart\"><figcaption>{}</figcaption>{svg}</figure>", escape(&title));
    }
    out.push_str("</div>\n</body></html>\n");
    out
}

fn money(micros: f64) -> String {
    #[allow(clippy::cast_possible_truncation)] // Micro-dollars read back from a chart's scale.
    format_cost(micros.round() as i64)
}

/// Text in HTML and SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn svg_open(height: f64) -> String {
    // Inline SVG in HTML needs no namespace: the page names no address at all.
    format!("<svg width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\">")
}

/// An empty chart says so.
fn empty(title: &str) -> (String, String) {
    (title.to_owned(), format!("{}<text x=\"10\" y=\"20\">no data</text></svg>", svg_open(40.0)))
}

/// Stacked columns, one per period, with a legend and the largest total on the scale.
fn columns(
    title: &str,
    labels: &[String],
    series: &[(&str, &str, Vec<f64>)],
    show: &dyn Fn(f64) -> String,
) -> (String, String) {
    if labels.is_empty() {
        return empty(title);
    }
    let totals: Vec<f64> = (0..labels.len()).map(|i| series.iter().map(|(_, _, v)| v[i]).sum()).collect();
    let top = totals.iter().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let (left, bottom, plot) = (60.0, HEIGHT - 40.0, HEIGHT - 60.0);
    #[allow(clippy::cast_precision_loss)]
    let slot = (WIDTH - left - 10.0) / labels.len() as f64;
    let mut svg = svg_open(HEIGHT);
    let _ =
        write!(svg, "<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"#bdbdbd\"/>", WIDTH - 10.0);
    let _ = write!(
        svg,
        "<text x=\"4\" y=\"{}\">{}</text><text x=\"4\" y=\"{bottom}\">0</text>",
        bottom - plot + 4.0,
        escape(&show(top))
    );
    for (i, label) in labels.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = left + slot * i as f64 + slot * 0.15;
        let mut y = bottom;
        for (name, colour, values) in series {
            let h = values[i] / top * plot;
            if h > 0.0 {
                y -= h;
                let _ = write!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{} {}: {}</title></rect>",
                    slot * 0.7,
                    escape(label),
                    escape(name),
                    escape(&show(values[i]))
                );
            }
        }
        // Every label when they fit, else about eight of them.
        let every = labels.len().div_ceil(8).max(1);
        if i % every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{x:.1}\" y=\"{}\">{}</text>",
                bottom + 14.0,
                escape(label.get(5..).unwrap_or(label))
            );
        }
    }
    let mut x = left;
    for (name, colour, _) in series {
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            HEIGHT - 14.0,
            x + 14.0,
            HEIGHT - 5.0,
            escape(name)
        );
        #[allow(clippy::cast_precision_loss)]
        let advance = 30.0 + 6.5 * name.chars().count() as f64;
        x += advance;
    }
    svg.push_str("</svg>");
    (title.to_owned(), svg)
}

/// A line of rates from 0 to 1; periods without a rate leave a gap.
fn line(title: &str, labels: &[String], rates: &[Option<f64>]) -> (String, String) {
    if labels.is_empty() {
        return empty(title);
    }
    let (left, bottom, plot) = (60.0, HEIGHT - 30.0, HEIGHT - 50.0);
    #[allow(clippy::cast_precision_loss)]
    let slot = (WIDTH - left - 10.0) / labels.len() as f64;
    let mut svg = svg_open(HEIGHT);
    let _ = write!(svg, "<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"#bdbdbd\"/><text x=\"4\" y=\"{}\">100%</text><text x=\"4\" y=\"{bottom}\">0%</text>", WIDTH - 10.0, bottom - plot + 4.0);
    let mut path = String::new();
    let mut pen_down = false;
    for (i, rate) in rates.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = left + slot * (i as f64 + 0.5);
        let Some(rate) = rate else {
            pen_down = false;
            continue;
        };
        let y = bottom - rate * plot;
        let _ = write!(path, "{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" });
        pen_down = true;
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{GREEN}\"><title>{}: {:.0}%</title></circle>",
            escape(&labels[i]),
            rate * 100.0
        );
    }
    if !path.is_empty() {
        let _ = write!(svg, "<path d=\"{}\" fill=\"none\" stroke=\"{GREEN}\" stroke-width=\"2\"/>", path.trim());
    }
    svg.push_str("</svg>");
    (title.to_owned(), svg)
}

/// Horizontal bars, one per row, each with its figure.
fn rows(title: &str, rows: &[(String, f64, String)]) -> (String, String) {
    if rows.is_empty() {
        return empty(title);
    }
    let top = rows.iter().map(|(_, value, _)| *value).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    #[allow(clippy::cast_precision_loss)]
    let height = 20.0 * rows.len() as f64 + 10.0;
    let (left, span) = (200.0, WIDTH - 200.0 - 110.0);
    let mut svg = svg_open(height);
    for (i, (label, value, shown)) in rows.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = 5.0 + 20.0 * i as f64;
        let w = (value / top * span).max(1.0);
        let label: String = label.chars().take(32).collect();
        let _ = write!(
            svg,
            "<text x=\"4\" y=\"{:.1}\">{}</text><rect x=\"{left}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"14\" fill=\"{BLUE}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            y + 11.0,
            escape(&label),
            left + w + 6.0,
            y + 11.0,
            escape(shown)
        );
    }
    svg.push_str("</svg>");
    (title.to_owned(), svg)
}
