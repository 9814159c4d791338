//! Static cost: what a run of a workflow may cost before it starts, in money, tokens and
//! time: the least, the expected and the worst, per step, per phase and in total.
//!
//! Everything comes from the IR: the steps' `expect` and `cost` attributes, model prices,
//! retries and their backoff, loop bounds and `for` lists, waits and timeouts. The rules are
//! written out in `docs/cost.md`; each function below names the one it implements. No I/O:
//! `wf cost`, `wf run --dry-run` and the checker's budget warning all call [`estimate`].

mod amounts;
mod history;
mod params;
mod table;
mod walk;

use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;

pub use amounts::{on_lanes, Amounts, Range, Unknown};
pub use history::{History, Observed, Sample, Spread};
pub use table::table;

use crate::ir::{self, Program, Value, Workflow};

/// One step's share of the run: how often it runs and what that comes to.
#[derive(Debug, Clone, Serialize)]
pub struct StepCost {
    /// The step's stable id (`phase/name`).
    pub id: String,
    /// `run`, `agent`, `call`, `gate` or `wait`.
    pub kind: &'static str,
    /// An agent step's model, by its name in the program (`models.sonnet`).
    pub model: Option<String>,
    /// How many times the step starts, attempts included: loops multiply, a branch may not
    /// run at all, retries add attempts to the worst case.
    pub runs: Range<u64>,
    /// Everything the step spends over all its runs (its time summed, even where runs overlap).
    pub amounts: Amounts,
    /// Where each figure of one attempt came from.
    pub sources: Sources,
}

/// Where a step's money, tokens and time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sources {
    pub money: Source,
    pub tokens: Source,
    pub duration: Source,
    /// How many past runs the figures from history summarise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_runs: Option<usize>,
}

/// Where one figure came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The workflow says it: `expect`, `cost`, a price, a wait's duration, or nothing to spend
    /// (a command costs no money).
    Stated,
    /// The median (expected) and 95th percentile (worst) of the step's own past runs.
    History,
    /// The same, over every past attempt billed to the step's model.
    ModelHistory,
    /// Nothing to go on: counted as nothing, and shown as unknown.
    Unknown,
}

impl Sources {
    pub const STATED: Sources =
        Sources { money: Source::Stated, tokens: Source::Stated, duration: Source::Stated, history_runs: None };
}

/// What a group of rows is: a phase, or the steps outside every phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    Phase,
    /// Statements at the top level of the workflow, outside every phase.
    TopLevel,
    /// The workflow's `on failure` handler: counted in the worst case only.
    OnFailure,
    Finally,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseCost {
    /// The phase's name; `(top level)`, `(on failure)` or `(finally)` for the other groups.
    pub name: String,
    pub kind: PhaseKind,
    /// The group as it runs: branches exclusive, parallel children overlapping in time.
    pub amounts: Amounts,
    pub steps: Vec<StepCost>,
    /// The phase's own `budget`, if it declares one.
    pub budget: Budget,
    pub over_budget: Option<OverBudget>,
}

/// A declared budget: a money and a token limit, each optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Budget {
    #[serde(rename = "money_micros", default)]
    pub money: Option<BudgetLimit<i64>>,
    #[serde(default)]
    pub tokens: Option<BudgetLimit<u64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct BudgetLimit<T> {
    pub amount: T,
    /// Percent of `amount` at which the run warns.
    pub warn_at: Option<f64>,
}

/// Which limits the worst case goes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OverBudget {
    #[serde(rename = "money_micros")]
    pub money: Option<Excess<i64>>,
    pub tokens: Option<Excess<u64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Excess<T> {
    pub budget: T,
    pub worst: T,
}

/// A step and how many past runs its figures summarise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastRuns {
    pub step: String,
    pub runs: usize,
}

/// Something the estimate had to assume; the numbers hold only as far as the assumption does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Note {
    /// A `for` list whose length is not known before the run: counted as one element.
    UnknownLength { at: String },
    /// A retry count, loop bound or `parallel` bound not known: counted as `assumed`.
    UnknownBound { what: &'static str, at: String, assumed: u64 },
    /// A wait or timeout whose duration is not known: the wait counts as 0s, the timeout as absent.
    UnknownDuration { what: &'static str, at: String },
    /// A call back into a workflow already being estimated (the checker rejects this): the
    /// inner call counts as nothing.
    Recursion { at: String, workflow: String },
    /// Steps with no timeout: nothing bounds how long they take, so the worst case counts
    /// their expected duration (0s when they give none).
    OpenEnded { steps: Vec<String> },
    /// Agent models with no price table: their tokens are counted, their money is not.
    Unpriced { models: Vec<String> },
    /// Steps whose figures come from past runs in the journal: their own (`model` false) or
    /// their model's.
    FromHistory { steps: Vec<PastRuns>, model: bool },
    /// Agent steps with no `expect` and no history: their money, tokens and time are unknown.
    Unknown { steps: Vec<String> },
}

impl Note {
    /// The same note, seen from the call step `call` that reached it.
    fn inside(self, call: &str) -> Note {
        let prefix = |at: String| format!("{call} → {at}");
        match self {
            Note::UnknownLength { at } => Note::UnknownLength { at: prefix(at) },
            Note::UnknownBound { what, at, assumed } => Note::UnknownBound { what, at: prefix(at), assumed },
            Note::UnknownDuration { what, at } => Note::UnknownDuration { what, at: prefix(at) },
            Note::Recursion { at, workflow } => Note::Recursion { at: prefix(at), workflow },
            Note::OpenEnded { steps } => Note::OpenEnded { steps: steps.into_iter().map(prefix).collect() },
            Note::Unpriced { models } => Note::Unpriced { models },
            Note::FromHistory { steps, model } => {
                let steps =
                    steps.into_iter().map(|past| PastRuns { step: prefix(past.step), runs: past.runs }).collect();
                Note::FromHistory { steps, model }
            }
            Note::Unknown { steps } => Note::Unknown { steps: steps.into_iter().map(prefix).collect() },
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::UnknownLength { at } => {
                write!(f, "the list of {at} is not known before the run: counted as one element")
            }
            Note::UnknownBound { what, at, assumed } => {
                write!(f, "{what} of {at} is not known before the run: counted as {assumed}")
            }
            Note::UnknownDuration { what, at } => {
                write!(f, "{what} of {at} is not known before the run: not counted")
            }
            Note::Recursion { at, workflow } => {
                write!(f, "{at} calls `{workflow}` again, inside itself: the inner call is not counted")
            }
            Note::OpenEnded { steps } => {
                let plural = if steps.len() == 1 { "step has" } else { "steps have" };
                write!(f, "{} {plural} no timeout: the worst-case duration counts their expected duration", steps.len())
            }
            Note::Unpriced { models } => {
                let names = models.iter().map(|model| format!("`{model}`")).collect::<Vec<_>>().join(", ");
                let verb = if models.len() == 1 { "has" } else { "have" };
                write!(f, "unpriced: {names} {verb} no price table, so their tokens count as $0; declare a `model` with prices")
            }
            Note::FromHistory { steps, model } => {
                let plural = if steps.len() == 1 { "step" } else { "steps" };
                let whose = if *model { "every past attempt of their model" } else { "their own past runs" };
                write!(f, "from history: {} {plural} with no `expect` count the median (expected) and 95th percentile (worst) of {whose} in the journal", steps.len())
            }
            Note::Unknown { steps } => {
                let (plural, have) = if steps.len() == 1 { ("step does", "has") } else { ("steps do", "have") };
                write!(
                    f,
                    "unknown: {} agent {plural} not `expect` every figure and {have} no history in the journal: `?` is what is missing, `+?` a total that leaves it out (add `expect`, or run the workflow once)",
                    steps.len()
                )
            }
        }
    }
}

/// The estimate for one workflow with given arguments.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub workflow: String,
    /// The whole run: the body (cut at the workflow's `timeout`), the `on failure` handler in
    /// the worst case, and `finally`.
    pub total: Amounts,
    /// Phases in order, with the statements outside phases and the handlers as groups of
    /// their own (see [`PhaseKind`]). The total is not always the sum of the groups: phases
    /// side by side in a `parallel` overlap in time.
    pub phases: Vec<PhaseCost>,
    /// The workflow's budget.
    pub budget: Budget,
    pub over_budget: Option<OverBudget>,
    /// Its budgets across runs (`per day`, `per month`) by period: what other runs spent in
    /// the period comes off them too (`wf stats` shows it), so they are shown, never compared.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub periods: std::collections::BTreeMap<String, Budget>,
    pub notes: Vec<Note>,
    /// Parameters that a bound needs and that have neither an argument nor a default: the
    /// estimate counted them as unknown (see `notes`). `wf cost` asks for them.
    pub missing_args: Vec<String>,
}

/// Estimates `workflow` of `program` run with `args` (parameters left out take their
/// defaults), knowing no past runs. Never fails: what it cannot know it assumes, and says so
/// in `notes`.
pub fn estimate(program: &Program, workflow: &Workflow, args: &IndexMap<String, Value>) -> Estimate {
    estimate_with(program, workflow, args, &History::none())
}

/// [`estimate`], with the figures of past runs for steps that state no `expect`.
pub fn estimate_with(
    program: &Program,
    workflow: &Workflow,
    args: &IndexMap<String, Value>,
    history: &History,
) -> Estimate {
    let root = params::Root::default();
    let env = params::Params::root(&workflow.params, args, &root);
    let stack: Vec<ir::WorkflowId> = program
        .workflows
        .iter()
        .position(|candidate| std::ptr::eq(candidate, workflow))
        .map(ir::WorkflowId)
        .into_iter()
        .collect();
    let mut estimate = walk::workflow(program, workflow, &env, &stack, walk::Past { history, scope: "" });
    estimate.missing_args = root.missing();
    let models = unpriced_models(program, stack.first().copied());
    if !models.is_empty() {
        estimate.notes.push(Note::Unpriced { models });
    }
    estimate
}

/// The unpriced models the agent steps of `root` and the workflows it calls use.
pub fn unpriced_models(program: &Program, root: Option<ir::WorkflowId>) -> Vec<String> {
    let mut models: Vec<String> = Vec::new();
    for id in root.map(|root| program.reachable(root)).unwrap_or_default() {
        for step in &program.workflows[id.0].steps {
            if let ir::StepKind::Agent(agent) = &step.kind {
                let model = &program.models[agent.model.0];
                if !model.priced && !models.contains(&model.id) {
                    models.push(model.id.clone());
                }
            }
        }
    }
    models
}

/// What one attempt of `step` is expected to spend, in micro-dollars and tokens: a `run`
/// step's `cost` plus its `expect`, an agent's `expect $` or else its expected tokens priced
/// with its model. The estimate counts attempts with it; the runner reserves it against a
/// budget before an attempt starts. A `call` spends through its own steps: nothing here.
pub fn per_attempt(program: &Program, step: &ir::Step) -> (i64, u64) {
    let expect = step.common.expect;
    let tokens = expect.tokens.unwrap_or(0);
    match &step.kind {
        ir::StepKind::Run(run) => (run.cost.unwrap_or(0).saturating_add(expect.money.unwrap_or(0)), tokens),
        ir::StepKind::Agent(agent) => {
            let priced = program.models.get(agent.model.0).map(|model| {
                let (input, output) = split_expected_tokens(tokens);
                model.input.cost(input).saturating_add(model.output.cost(output))
            });
            (expect.money.or(priced).unwrap_or(0), tokens)
        }
        ir::StepKind::Gate(_) | ir::StepKind::Wait { .. } | ir::StepKind::Watch(_) => {
            (expect.money.unwrap_or(0), tokens)
        }
        ir::StepKind::Call(_) | ir::StepKind::Block(_) => (0, 0),
    }
}

/// How an agent step's expected token count divides into input and output tokens, for
/// pricing: a quarter output (rounded down), the rest input.
pub fn split_expected_tokens(total: u64) -> (u64, u64) {
    let output = total / 4;
    (total - output, output)
}

impl Budget {
    /// A declared budget, its amounts read with `env` (the run's arguments): the one reading
    /// for the runner and `wf cost`. An amount `env` cannot give (a parameter without a value,
    /// while estimating) leaves that limit out.
    pub fn from_ir(budget: &ir::Budget, env: &dyn ir::eval::Env) -> Budget {
        let amount = |limit: &ir::Limit| match &limit.expr {
            None => Some(limit.amount),
            Some(expr) => match ir::eval::eval(expr, env) {
                Ok(Value::Money(micros)) => u64::try_from(micros).ok(),
                Ok(Value::Tokens(count)) => Some(count),
                _ => None,
            },
        };
        Budget {
            money: budget.money.as_ref().and_then(|limit| {
                amount(limit).map(|amount| BudgetLimit {
                    amount: i64::try_from(amount).unwrap_or(i64::MAX),
                    warn_at: limit.warn_at,
                })
            }),
            tokens: budget
                .tokens
                .as_ref()
                .and_then(|limit| amount(limit).map(|amount| BudgetLimit { amount, warn_at: limit.warn_at })),
        }
    }

    /// Which limits `amounts`' worst case goes over.
    fn exceeded_by(&self, amounts: &Amounts) -> Option<OverBudget> {
        let money = self
            .money
            .filter(|limit| amounts.money.worst > limit.amount)
            .map(|limit| Excess { budget: limit.amount, worst: amounts.money.worst });
        let tokens = self
            .tokens
            .filter(|limit| amounts.tokens.worst > limit.amount)
            .map(|limit| Excess { budget: limit.amount, worst: amounts.tokens.worst });
        (money.is_some() || tokens.is_some()).then_some(OverBudget { money, tokens })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_tokens_split_three_quarters_input() {
        assert_eq!(split_expected_tokens(12_000), (9_000, 3_000));
        assert_eq!(split_expected_tokens(1_500), (1_125, 375));
        assert_eq!(split_expected_tokens(10), (8, 2));
        assert_eq!(split_expected_tokens(0), (0, 0));
    }
}
