//! The report for people: a few aligned lines per section, and no section when it would be
//! empty.

use super::{Costs, DecisionLine, Palette, Report, Use};
use crate::ir::{format_cost, format_elapsed, format_token_count};
use crate::journal::RunStatus;
use crate::pad;

/// How many steps the human report lists by cost; the JSON lists them all.
const TOP_STEPS: usize = 5;

pub fn human(report: &Report, palette: &Palette) -> String {
    let mut out = String::new();
    let status = match report.status {
        RunStatus::Succeeded => console::style("succeeded").green(),
        RunStatus::Paused => console::style("paused").yellow(),
        other => console::style(other.as_str()).red(),
    };
    let _ = palette;
    out.push_str(&format!(
        "\nrun {} {}: {} in {}\n",
        report.run,
        report.workflow,
        status.bold(),
        format_elapsed(report.duration_ms)
    ));
    let counts: Vec<String> =
        report.steps.iter().map(|(status, n)| format!("{n} {}", status.replace('_', " "))).collect();
    out.push_str(&format!("  steps       {}\n", if counts.is_empty() { "none".to_owned() } else { counts.join(", ") }));
    out.push_str(&format!("  retries     {}\n", report.retries));
    out.push_str(&format!("  iterations  {}\n", report.iterations));
    out.push_str(&format!("  cost        {} ({})\n", format_cost(report.cost_micros), tokens(report.tokens)));
    out.push_str(&human_costs(&report.costs));
    out.push_str(&human_decisions(&report.decisions));
    if let Some(error) = &report.error {
        if report.status != RunStatus::Succeeded {
            out.push_str(&format!("  reason      {error}\n"));
        }
    }
    for warning in &report.warnings {
        out.push_str(&format!("  ⚠ {}: {}\n", warning.key, warning.message));
    }
    for failure in &report.failures {
        let continued = if failure.continued { " (continued)" } else { "" };
        let status = failure.status.replace('_', " ");
        out.push_str(&format!("  ✗ {} {status}{continued}: {}\n", failure.key, failure.error));
        for line in failure.stderr_tail.lines() {
            out.push_str(&format!("      │ {line}\n"));
        }
    }
    out
}

/// The budget and the breakdowns by phase, model and step; nothing for a run that spent
/// nothing and had no budget.
pub fn human_costs(costs: &Costs) -> String {
    let mut out = String::new();
    let mut budget = Vec::new();
    if let Some(money) = &costs.budget.money {
        budget.push(used(money, format_cost(money.spent), format_cost(money.limit)));
    }
    if let Some(tokens) = &costs.budget.tokens {
        budget.push(used(tokens, self::tokens(tokens.spent), self::tokens(tokens.limit)));
    }
    if !budget.is_empty() {
        out.push_str(&format!("  budget      {}\n", budget.join(" · ")));
    }
    let phases: Vec<Row> = costs
        .phases
        .iter()
        .map(|phase| Row::new(&phase.name, phase.cost_micros, phase.share, tokens(phase.tokens)))
        .collect();
    section(&mut out, "by phase", &phases, 0);
    let models: Vec<Row> = costs
        .models
        .iter()
        .map(|model| {
            let mut notes = Vec::new();
            if model.tokens != 0 {
                notes.push(format!(
                    "{} in · {} out · {} cached",
                    format_token_count(model.input),
                    format_token_count(model.output),
                    format_token_count(model.cached)
                ));
            }
            if model.unpriced {
                notes.push("unpriced: no price table, counted at $0".to_owned());
            }
            // A CLI's own figure is shown where it disagrees with the price table's.
            if let Some(reported) = model.reported_micros.filter(|reported| *reported != model.cost_micros) {
                notes.push(format!("the provider reported {}", format_cost(reported)));
            }
            Row::new(&model.model, model.cost_micros, model.share, notes.join(" · "))
        })
        .collect();
    section(&mut out, "by model", &models, 0);
    let steps: Vec<Row> = costs
        .steps
        .iter()
        .map(|step| {
            let mut notes = Vec::new();
            if step.tokens != 0 {
                notes.push(tokens(step.tokens));
            }
            if step.instances > 1 {
                notes.push(format!("{} instances", step.instances));
            }
            if step.attempts > 1 {
                notes.push(format!("{} attempts", step.attempts));
            }
            Row::new(&step.step, step.cost_micros, step.share, notes.join(", "))
        })
        .collect();
    section(&mut out, "by step", &steps, TOP_STEPS);
    out
}

/// Who answered what, how and when; the wait when a person answered.
pub fn human_decisions(decisions: &[DecisionLine]) -> String {
    let mut out = String::new();
    for (index, decision) in decisions.iter().enumerate() {
        let label = if index == 0 { "decisions" } else { "" };
        let answer = match (&decision.answer, &decision.by, &decision.how) {
            (Some(answer), Some(by), Some(how)) => {
                let mut text = format!("{} by {by} {}", answer.past_tense(), how.describe());
                if let Some(at) = decision.answered_at {
                    text.push_str(&format!(" at {}", local_time(at)));
                }
                if let Some(wait) = decision.wait_ms.filter(|_| !decision.automatic) {
                    text.push_str(&format!(" after {}", format_elapsed(wait)));
                }
                if let Some(comment) = &decision.comment {
                    text.push_str(&format!(": {comment}"));
                }
                text
            }
            _ => format!("waiting since {}", local_time(decision.asked_at)),
        };
        out.push_str(&format!(
            "  {label:<11} {} {} “{}”: {answer}\n",
            decision.kind.as_str(),
            decision.key,
            decision.question
        ));
    }
    out
}

struct Row {
    name: String,
    money: String,
    share: String,
    notes: String,
}

impl Row {
    fn new(name: &str, micros: i64, share: f64, notes: String) -> Row {
        Row { name: name.to_owned(), money: format_cost(micros), share: format!("{share:.1}%"), notes }
    }
}

/// Rows under a label, aligned; at most `limit` of them (0: all) and a line for the rest.
fn section(out: &mut String, label: &str, rows: &[Row], limit: usize) {
    let shown = if limit == 0 { rows.len() } else { rows.len().min(limit) };
    let name_width = rows[..shown].iter().map(|row| row.name.chars().count()).max().unwrap_or(0);
    let money_width = rows[..shown].iter().map(|row| row.money.len()).max().unwrap_or(0);
    for (index, row) in rows[..shown].iter().enumerate() {
        let label = if index == 0 { label } else { "" };
        let line = format!(
            "  {label:<11} {}  {}  {:>6}  {}",
            pad::left(&row.name, name_width),
            pad::right(&row.money, money_width),
            row.share,
            row.notes
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if shown < rows.len() {
        out.push_str(&format!("  {:<11} … and {} more\n", "", rows.len() - shown));
    }
}

fn used<T>(limit: &Use<T>, spent: String, of: String) -> String {
    format!("{spent} of {of} ({:.0}%)", limit.percent)
}

/// `38.0k tokens`: a measured token count, as every report prints one.
pub fn tokens(count: u64) -> String {
    format!("{} tokens", format_token_count(count))
}

/// `2025-05-03 14:22:05` in the local time zone (`TZ`, else the system's).
pub fn local_time(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(at) => at.to_zoned(jiff::tz::TimeZone::system()).strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => ms.to_string(),
    }
}
