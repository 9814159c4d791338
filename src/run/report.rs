//! The end-of-run report, built from the journal (so a resumed run reports all of itself):
//! status, duration, steps by status, retries, loop iterations, cost, and each failure with
//! the end of what it wrote to stderr.

use std::collections::BTreeMap;

use serde::Serialize;

use super::journal::{Journal, Result, RunStatus};
use super::view::Palette;
use crate::ir::{format_duration, format_money, format_tokens, Value};

#[derive(Debug, Serialize)]
pub struct Report {
    pub run: String,
    pub workflow: String,
    pub file: String,
    pub status: RunStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
    /// Steps (not blocks) by how they ended.
    pub steps: BTreeMap<String, usize>,
    /// Attempts beyond the first, over all steps.
    pub retries: u64,
    /// Iterations of every `repeat`.
    pub iterations: u64,
    pub cost_micros: i64,
    pub tokens: u64,
    pub failures: Vec<FailureLine>,
}

#[derive(Debug, Serialize)]
pub struct FailureLine {
    pub key: String,
    pub status: String,
    pub error: String,
    /// The run went on past it (`on failure continue`).
    pub continued: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr_tail: String,
}

const LEAF_KINDS: [&str; 5] = ["run", "agent", "call", "gate", "wait"];

pub fn build(journal: &Journal, run_id: &str) -> Result<Report> {
    let run = journal.run(run_id)?;
    let mut records: Vec<_> = journal.steps(run_id)?.into_values().collect();
    records.sort_by_key(|record| record.seq);
    let mut steps = BTreeMap::new();
    let (mut retries, mut iterations) = (0u64, 0u64);
    let mut failures = Vec::new();
    for record in &records {
        if record.kind == "repeat" {
            if let Some(Value::Record(fields)) = &record.value {
                if let Some(Value::Int(n)) = fields.get("iterations") {
                    iterations += u64::try_from(*n).unwrap_or(0);
                }
            }
        }
        if !LEAF_KINDS.contains(&record.kind.as_str()) {
            continue;
        }
        *steps.entry(record.status.clone()).or_insert(0) += 1;
        retries += u64::from(record.attempts.saturating_sub(1));
        if matches!(record.status.as_str(), "failed" | "timed_out") {
            let stderr = match &record.value {
                Some(Value::Record(fields)) => match fields.get("stderr") {
                    Some(Value::String(stderr)) => tail(stderr, 10),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            failures.push(FailureLine {
                key: record.key.clone(),
                status: record.status.clone(),
                error: record.error.clone().unwrap_or_default(),
                continued: record.accepted,
                stderr_tail: stderr,
            });
        }
    }
    let (cost_micros, tokens) = journal.spent(run_id)?;
    let duration_ms = run.ended_at.map_or(0, |end| u64::try_from(end - run.started_at).unwrap_or(0));
    Ok(Report {
        run: run.id,
        workflow: run.workflow,
        file: run.file,
        status: run.status,
        error: run.error,
        duration_ms,
        steps,
        retries,
        iterations,
        cost_micros,
        tokens,
        failures,
    })
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The report for people.
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
        format_duration(report.duration_ms)
    ));
    let counts: Vec<String> =
        report.steps.iter().map(|(status, n)| format!("{n} {}", status.replace('_', " "))).collect();
    out.push_str(&format!("  steps       {}\n", if counts.is_empty() { "none".to_owned() } else { counts.join(", ") }));
    out.push_str(&format!("  retries     {}\n", report.retries));
    out.push_str(&format!("  iterations  {}\n", report.iterations));
    out.push_str(&format!("  cost        {} ({})\n", format_money(report.cost_micros), format_tokens(report.tokens)));
    if let Some(error) = &report.error {
        if report.status != RunStatus::Succeeded {
            out.push_str(&format!("  reason      {error}\n"));
        }
    }
    for failure in &report.failures {
        let continued = if failure.continued { " (the run went on)" } else { "" };
        let status = failure.status.replace('_', " ");
        out.push_str(&format!("  ✗ {} {status}{continued}: {}\n", failure.key, failure.error));
        for line in failure.stderr_tail.lines() {
            out.push_str(&format!("      │ {line}\n"));
        }
    }
    out
}
