//! What the journal says about past runs: one run as a tree with its report (`wf show`) and
//! numbers across runs (`wf stats`). The SQL lives in `journal/history.rs`; this module
//! shapes and sums.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{DecisionLine, Report};
use crate::journal::{GateCheckRow, Journal, JournalError, Result, RunFilter, RunNumbers, RunStatus, Snapshot};

/// One run, step by step, with its report. Its steps are read from the journal as they are
/// written out ([`Steps::walk`], or serialising it), so a run of 75,000 steps is never held
/// whole: what is kept is an index of keys and sums, a few dozen bytes a step.
#[derive(Serialize)]
pub struct Show<'j> {
    pub run: String,
    pub workflow: String,
    pub file: String,
    pub status: RunStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The arguments the run was given, as the journal holds them (each value tagged with its
    /// type: `{"String": "PL-479"}`, `{"Money": 2100000}`).
    pub args: serde_json::Value,
    pub started_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// A run recorded by `wf import` from an engine's report: `{"from", "digest", "engine"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported: Option<serde_json::Value>,
    /// Top-level steps and blocks in the order they started; phases and calls hold theirs.
    pub steps: Steps<'j>,
    pub report: Report,
}

/// A step instance or block of the run, without its children ([`Steps`] holds the tree).
#[derive(Debug, Serialize)]
pub struct Node {
    pub key: String,
    pub step_id: String,
    pub kind: String,
    pub status: String,
    pub attempts: u32,
    pub started_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Its ledger, with everything under its key (a phase's or a call's steps); for a
    /// `parallel`, `repeat` or `for` block, the cost its body recorded.
    pub cost_micros: i64,
    /// Tokens under its key; absent for `parallel`, `repeat` and `for` blocks, whose bodies'
    /// keys do not sit under theirs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// Iterations of a `repeat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A gate's `require` and `warn` checks, as evaluated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<GateCheckRow>,
    /// Approvals and escalations asked at this step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<DecisionLine>,
}

const BLOCKS_OUTSIDE_KEYS: [&str; 3] = ["parallel", "repeat", "for"];

/// The run's steps as a tree in the order they started: for each, where its row is, and the
/// money and tokens under its key. Rows are read one at a time as the tree is walked.
pub struct Steps<'j> {
    journal: &'j Journal,
    /// The tree and the rows it is walked through are read in one transaction.
    _snapshot: Snapshot<'j>,
    /// In the order they started; a block before a step that started in its millisecond.
    rows: Vec<i64>,
    money: Vec<i64>,
    tokens: Vec<u64>,
    /// Children of step `i` are `children[first[i]..first[i + 1]]`; the roots are last.
    first: Vec<usize>,
    children: Vec<usize>,
    checks: RefCell<HashMap<String, Vec<GateCheckRow>>>,
    decisions: RefCell<HashMap<String, Vec<DecisionLine>>>,
}

/// A step's place while the index is built.
struct Entry {
    row: i64,
    key: Box<str>,
    started_at: i64,
    block: bool,
    seq: i64,
}

pub fn show<'j>(journal: &'j Journal, run_id: &str) -> Result<Show<'j>> {
    let snapshot = journal.snapshot()?;
    let run = journal.run(run_id)?;
    let mut entries = Vec::new();
    let mut amounts: Vec<(Box<str>, i64, u64)> = Vec::new();
    let mut checks: HashMap<String, Vec<GateCheckRow>> = HashMap::new();
    let report = super::build_folding(
        journal,
        run_id,
        |line| {
            entries.push(Entry {
                row: line.row,
                key: line.key.as_str().into(),
                started_at: line.started_at,
                block: BLOCKS_OUTSIDE_KEYS.contains(&line.kind.as_str()),
                seq: line.seq,
            });
        },
        |entry| amounts.push((entry.key.as_str().into(), entry.micros, entry.input + entry.output + entry.cached)),
        |check| checks.entry(check.key.clone()).or_default().push(check),
    )?;
    // A block's row is written when it ends, after its body's; one that started in the same
    // millisecond as its first step still comes first.
    entries.sort_by_key(|entry| (entry.started_at, !entry.block, entry.seq));
    let index: HashMap<&str, usize> = entries.iter().enumerate().map(|(i, entry)| (&*entry.key, i)).collect();
    // The parent of `a/b[2]/c` is the longest key it extends with a `/`.
    let parent_of = |key: &str| key.rmatch_indices('/').find_map(|(at, _)| index.get(&key[..at]).copied());
    let parents: Vec<Option<usize>> = entries.iter().map(|entry| parent_of(&entry.key)).collect();

    let mut money = vec![0i64; entries.len()];
    let mut tokens = vec![0u64; entries.len()];
    for (key, micros, count) in amounts {
        let mut at = index.get(&*key).copied().or_else(|| parent_of(&key));
        while let Some(i) = at {
            money[i] += micros;
            tokens[i] += count;
            at = parents[i];
        }
    }
    drop(index);

    // Children lists, flat: counted, then placed in start order; the roots in the last slot.
    let roots = entries.len();
    let slot = |parent: Option<usize>| parent.unwrap_or(roots);
    let mut first = vec![0usize; entries.len() + 2];
    for parent in &parents {
        first[slot(*parent) + 1] += 1;
    }
    for i in 1..first.len() {
        first[i] += first[i - 1];
    }
    let mut next = first.clone();
    let mut children = vec![0usize; entries.len()];
    for (i, parent) in parents.iter().enumerate() {
        let at = &mut next[slot(*parent)];
        children[*at] = i;
        *at += 1;
    }

    let mut decisions: HashMap<String, Vec<DecisionLine>> = HashMap::new();
    for decision in &report.decisions {
        decisions.entry(decision.key.clone()).or_default().push(decision.clone());
    }
    let steps = Steps {
        journal,
        _snapshot: snapshot,
        rows: entries.into_iter().map(|entry| entry.row).collect(),
        money,
        tokens,
        first,
        children,
        checks: RefCell::new(checks),
        decisions: RefCell::new(decisions),
    };
    let status = run.status_now();
    Ok(Show {
        run: run.id,
        workflow: run.workflow,
        file: run.file,
        status,
        error: run.error,
        args: serde_json::from_str(&run.args).unwrap_or(serde_json::Value::Null),
        started_at: run.started_at,
        ended_at: run.ended_at,
        imported: serde_json::from_str::<serde_json::Value>(&run.options)
            .ok()
            .and_then(|mut options| options.get_mut("imported").map(serde_json::Value::take)),
        steps,
        report,
    })
}

impl Steps<'_> {
    /// Step `i`'s children, in the order they started; the top-level steps for `rows.len()`.
    fn children(&self, i: usize) -> &[usize] {
        &self.children[self.first[i]..self.first[i + 1]]
    }

    /// Step `i` as printed, read from the journal.
    fn node(&self, i: usize) -> Result<Node> {
        let step = self.journal.step_at(self.rows[i])?;
        let (cost_micros, tokens) = if BLOCKS_OUTSIDE_KEYS.contains(&step.kind.as_str()) {
            (step.cost_micros.unwrap_or(0), None)
        } else {
            (self.money[i], Some(self.tokens[i]))
        };
        Ok(Node {
            checks: self.checks.borrow_mut().remove(&step.key).unwrap_or_default(),
            decisions: self.decisions.borrow_mut().remove(&step.key).unwrap_or_default(),
            duration_ms: step.ended_at.map(|end| u64::try_from(end - step.started_at).unwrap_or(0)),
            iterations: step.iterations.filter(|_| step.kind == "repeat"),
            key: step.key,
            step_id: step.step_id,
            kind: step.kind,
            status: step.status,
            attempts: step.attempts,
            started_at: step.started_at,
            cost_micros,
            tokens,
            error: step.error,
        })
    }

    /// Every step depth first, parents before their children, each with its depth (top-level
    /// steps at 0). Each is read when it is visited; a journal error ends the walk.
    pub fn walk<E: From<JournalError>>(
        &self,
        mut visit: impl FnMut(&Node, usize) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        // Iterators of children still to visit, one per level.
        let mut stack = vec![self.children(self.rows.len()).iter()];
        while let Some(level) = stack.last_mut() {
            match level.next() {
                Some(&i) => {
                    let depth = stack.len() - 1;
                    visit(&self.node(i)?, depth)?;
                    stack.push(self.children(i).iter());
                }
                None => {
                    stack.pop();
                }
            }
        }
        Ok(())
    }
}

/// The JSON of `steps`: the top-level nodes, each with its `children` inside it.
impl Serialize for Steps<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        Level { steps: self, ids: self.children(self.rows.len()) }.serialize(serializer)
    }
}

/// Some steps of one level, serialised as they are read.
struct Level<'a, 'j> {
    steps: &'a Steps<'j>,
    ids: &'a [usize],
}

impl Serialize for Level<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.ids.len()))?;
        for &i in self.ids {
            let node = self.steps.node(i).map_err(S::Error::custom)?;
            let children = Level { steps: self.steps, ids: self.steps.children(i) };
            seq.serialize_element(&WithChildren { node: &node, children })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct WithChildren<'a, 'j> {
    #[serde(flatten)]
    node: &'a Node,
    #[serde(skip_serializing_if = "Level::is_empty")]
    children: Level<'a, 'j>,
}

impl Level<'_, '_> {
    fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Numbers across runs, overall and per workflow.
#[derive(Debug, Serialize)]
pub struct Stats {
    /// Runs started at or after this time (ms since the epoch), when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    pub overall: WorkflowStats,
    /// By workflow name.
    pub workflows: Vec<WorkflowStats>,
}

/// What a team watches to see whether a workflow gets cheaper and more reliable. Means are
/// rounded to the nearest unit; the 95th percentile is the nearest-rank one.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorkflowStats {
    /// The workflow's name; `*` for every workflow together.
    pub workflow: String,
    pub runs: u64,
    /// Runs that ended succeeded or failed (not paused, interrupted or running).
    pub finished: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// `succeeded / finished`, from 0 to 1; absent without finished runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    /// From start to end, over finished runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_mean_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_p95_ms: Option<u64>,
    pub cost_total_micros: i64,
    /// `cost_total_micros / runs`.
    pub cost_mean_micros: i64,
    /// `repeat` iterations per run.
    pub iterations_per_run: f64,
    /// Attempts beyond the first (over leaf steps) per run.
    pub retries_per_run: f64,
    /// Runs with at least one escalation.
    pub escalated: u64,
    /// `escalated / runs`, from 0 to 1.
    pub escalation_rate: f64,
    /// Approvals a person answered (not the mode, not a timeout).
    pub approvals: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_wait_mean_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_wait_p95_ms: Option<u64>,
    /// Runs that paused at least once (approval, escalation or budget).
    pub paused: u64,
    /// Runs that spent their budget and asked for more.
    pub budget_paused: u64,
    /// The budgets across runs its newest run declared, and what this day and this month
    /// spent against them (every run, whatever `--since` says).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub periods: Vec<PeriodUse>,
}

/// A budget across runs and what its current period spent.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodUse {
    /// `day` or `month`.
    pub period: &'static str,
    /// When the period began (local midnight, or the first of the month), ms since the epoch.
    pub since: i64,
    pub spent_micros: i64,
    pub tokens: u64,
    pub budget: crate::cost::Budget,
}

pub const ALL_WORKFLOWS: &str = "*";

/// [`Stats`] of the runs `filter` picks; `now` (ms since the epoch) places today and this
/// month for the budgets across runs.
pub fn stats(journal: &Journal, filter: &RunFilter, now: i64) -> Result<Stats> {
    let numbers = journal.run_numbers(filter)?;
    let waits = journal.approval_waits(filter)?;
    let mut by_workflow: BTreeMap<&str, (Vec<&RunNumbers>, Vec<u64>)> = BTreeMap::new();
    for run in &numbers {
        by_workflow.entry(run.workflow.as_str()).or_default().0.push(run);
    }
    for wait in &waits {
        by_workflow.entry(wait.workflow.as_str()).or_default().1.push(wait.wait_ms);
    }
    let mut workflows: Vec<WorkflowStats> =
        by_workflow.iter().map(|(name, (runs, waits))| aggregate(name, runs, waits.clone())).collect();
    for stats in &mut workflows {
        stats.periods = periods(journal, &stats.workflow, now)?;
    }
    let all: Vec<&RunNumbers> = numbers.iter().collect();
    let overall = aggregate(ALL_WORKFLOWS, &all, waits.iter().map(|wait| wait.wait_ms).collect());
    Ok(Stats { since: filter.since, overall, workflows })
}

/// What this day and this month spent against the budgets across runs of `workflow`.
fn periods(journal: &Journal, workflow: &str, now: i64) -> Result<Vec<PeriodUse>> {
    let Some((file, declared)) = journal.latest_periods(workflow)? else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for period in crate::ir::Period::ALL {
        let Some(budget) = declared.get(period.name()) else { continue };
        let since = crate::journal::period_start(period, now);
        let (spent_micros, tokens) = journal.spent_since(workflow, &file, since)?;
        out.push(PeriodUse { period: period.name(), since, spent_micros, tokens, budget: budget.clone() });
    }
    Ok(out)
}

#[allow(clippy::cast_precision_loss)] // Rates for people: f64 is plenty.
fn aggregate(workflow: &str, runs: &[&RunNumbers], mut waits: Vec<u64>) -> WorkflowStats {
    let count = runs.len() as u64;
    let succeeded = runs.iter().filter(|run| run.status == RunStatus::Succeeded).count() as u64;
    let failed = runs.iter().filter(|run| run.status == RunStatus::Failed).count() as u64;
    let mut durations: Vec<u64> = runs.iter().filter_map(|run| run.duration_ms).collect();
    durations.sort_unstable();
    waits.sort_unstable();
    let cost_total_micros: i64 = runs.iter().map(|run| run.cost_micros).sum();
    let per_run = |total: u64| if count == 0 { 0.0 } else { total as f64 / count as f64 };
    let escalated = runs.iter().filter(|run| run.escalated).count() as u64;
    WorkflowStats {
        workflow: workflow.to_owned(),
        runs: count,
        finished: succeeded + failed,
        succeeded,
        failed,
        success_rate: (succeeded + failed > 0).then(|| succeeded as f64 / (succeeded + failed) as f64),
        duration_mean_ms: mean(&durations),
        duration_p95_ms: percentile(&durations, 95),
        cost_total_micros,
        cost_mean_micros: if count == 0 { 0 } else { rounded_div(i128::from(cost_total_micros), i128::from(count)) },
        iterations_per_run: per_run(runs.iter().map(|run| run.iterations).sum()),
        retries_per_run: per_run(runs.iter().map(|run| run.retries).sum()),
        escalated,
        escalation_rate: per_run(escalated),
        approvals: waits.len() as u64,
        approval_wait_mean_ms: mean(&waits),
        approval_wait_p95_ms: percentile(&waits, 95),
        paused: runs.iter().filter(|run| run.paused).count() as u64,
        budget_paused: runs.iter().filter(|run| run.budget_paused).count() as u64,
        periods: Vec::new(),
    }
}

/// The mean, rounded half up; none of nothing.
pub fn mean(values: &[u64]) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    let sum: u128 = values.iter().map(|&v| u128::from(v)).sum();
    let n = values.len() as u128;
    u64::try_from((2 * sum + n) / (2 * n)).ok()
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `p`% of
/// the values at or below it.
pub fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn rounded_div(sum: i128, n: i128) -> i64 {
    i64::try_from((2 * sum + n).div_euclid(2 * n)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentile() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 95), Some(95));
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 95), Some(3));
        assert_eq!(percentile(&[], 95), None);
        assert_eq!(mean(&[1, 2]), Some(2));
        assert_eq!(mean(&[1, 1, 2]), Some(1));
    }
}
