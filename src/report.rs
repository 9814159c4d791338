//! The end-of-run report, built from the journal (so a resumed run reports all of itself):
//! status, duration, steps by status, retries, loop iterations, cost and where it went
//! (`cost.rs`), the questions put to people, and each failure with the end of what it wrote
//! to stderr. `human.rs` prints it for people; its JSON is the `Report` itself.

mod cost;
pub mod dashboard;
pub mod history;
mod human;
mod palette;
pub mod trends;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::journal::{
    Answer, AskKind, DecisionRow, GateCheckRow, How, Journal, LedgerEntry, Result, RunStatus, StepLine,
};

pub use cost::{step_of, Breakdown, BudgetUse, Costs, ModelShare, Share, StepShare, Use, FIXED, TOP_LEVEL};
pub use human::{human, human_costs, human_decisions, local_time, tokens};
pub use palette::Palette;

#[derive(Debug, Serialize)]
pub struct Report {
    pub run: String,
    pub workflow: String,
    pub file: String,
    pub status: RunStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub started_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    pub duration_ms: u64,
    /// Steps (not blocks) by how they ended.
    pub steps: BTreeMap<String, usize>,
    /// Attempts beyond the first, over all steps.
    pub retries: u64,
    /// Iterations of every `repeat`.
    pub iterations: u64,
    pub cost_micros: i64,
    pub tokens: u64,
    /// Where the money and tokens went, and the budget.
    pub costs: Costs,
    /// Questions put to people (and the mode), in the order asked.
    pub decisions: Vec<DecisionLine>,
    pub failures: Vec<FailureLine>,
    /// Gate checks that did not hold but only warned (`warn`, or `require` with `--lenient`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<GateWarning>,
}

/// A gate's check that did not hold and let the run go on.
#[derive(Debug, Serialize)]
pub struct GateWarning {
    pub key: String,
    pub message: String,
}

/// A question and its answer: who approved what, when and how.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionLine {
    pub key: String,
    pub kind: AskKind,
    pub question: String,
    pub asked_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub how: Option<How>,
    /// No person gave the answer (the mode, a timeout).
    pub automatic: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<i64>,
    /// From the question to its answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
}

impl From<DecisionRow> for DecisionLine {
    fn from(row: DecisionRow) -> DecisionLine {
        let given = row.given;
        DecisionLine {
            key: row.key,
            kind: row.kind,
            question: row.question,
            asked_at: row.asked_at,
            answer: given.as_ref().map(|given| given.answer),
            by: given.as_ref().map(|given| given.by.clone()),
            how: given.as_ref().map(|given| given.how),
            automatic: given.as_ref().is_some_and(|given| given.how.automatic()),
            comment: given.as_ref().and_then(|given| given.comment.clone()),
            answered_at: given.as_ref().map(|given| given.at),
            wait_ms: given.as_ref().map(|given| u64::try_from(given.at - row.asked_at).unwrap_or(0)),
        }
    }
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

/// Steps, as opposed to the blocks that hold them.
pub const LEAF_KINDS: [&str; 6] = ["run", "agent", "call", "gate", "wait", "watch"];

pub fn build(journal: &Journal, run_id: &str) -> Result<Report> {
    build_folding(journal, run_id, |_| {}, |_| {}, |_| {})
}

/// [`build`], reading the run's step rows and ledger one row at a time and handing each to
/// `step` and `amount` after folding it in, and each gate check to `check`: `wf show` makes
/// its tree from the same reading, and neither holds the run whole.
pub fn build_folding(
    journal: &Journal,
    run_id: &str,
    mut step: impl FnMut(&StepLine),
    mut amount: impl FnMut(&LedgerEntry),
    mut check: impl FnMut(GateCheckRow),
) -> Result<Report> {
    let run = journal.run(run_id)?;
    let mut steps = BTreeMap::new();
    // Attempts, not finished steps: a retry cut short by a cancellation or a crash counts.
    let retries = journal.retries(run_id)?;
    let mut iterations = 0u64;
    let mut failures = Vec::new();
    let mut costs = Breakdown::default();
    journal.for_each_step_line(run_id, |line| {
        costs.step(&line);
        if line.kind == "repeat" {
            iterations += line.iterations.unwrap_or(0);
        }
        if LEAF_KINDS.contains(&line.kind.as_str()) {
            *steps.entry(line.status.clone()).or_insert(0) += 1;
            if matches!(line.status.as_str(), "failed" | "timed_out") {
                failures.push(FailureLine {
                    key: line.key.clone(),
                    status: line.status.clone(),
                    error: line.error.clone().unwrap_or_default(),
                    continued: line.accepted,
                    stderr_tail: line.stderr.as_deref().map(|stderr| tail(stderr, 10)).unwrap_or_default(),
                });
            }
        }
        step(&line);
    })?;
    journal.for_each_amount(run_id, |entry| {
        costs.amount(&entry);
        amount(&entry);
    })?;
    let costs = costs.finish(&run.options().budget);
    let decisions = journal.decisions(run_id)?.into_iter().map(DecisionLine::from).collect();
    let mut warnings = Vec::new();
    for row in journal.gate_checks(run_id)? {
        if !row.passed && row.effect == "warn" {
            warnings.push(GateWarning { key: row.key.clone(), message: row.message.clone() });
        }
        check(row);
    }
    let duration_ms = run.ended_at.map_or(0, |end| u64::try_from(end - run.started_at).unwrap_or(0));
    let status = run.status_now();
    Ok(Report {
        run: run.id,
        workflow: run.workflow,
        file: run.file,
        status,
        error: run.error,
        started_at: run.started_at,
        ended_at: run.ended_at,
        duration_ms,
        steps,
        retries,
        iterations,
        cost_micros: costs.cost_micros,
        tokens: costs.tokens,
        costs,
        decisions,
        failures,
        warnings,
    })
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
