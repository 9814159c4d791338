//! The walk over a workflow's statements. Each statement gives its amounts for one run of
//! it; how often it runs (its *reach*: loops multiply it, branches may leave it out) only
//! scales the rows of the steps inside it.

use super::amounts::{rounds, Amounts, Range, Unknown};
use super::history::{History, Observed};
use super::params::{InLoop, Iteration, Params};
use super::{Budget, Estimate, Note, PastRuns, PhaseCost, PhaseKind, Source, Sources, StepCost};
use crate::ir::eval::{count, duration, eval, Env, EvalError};
use crate::ir::{
    self, Bound, Branch, Call, Control, Expect, Expr, Node, Program, StepIdx, StepKind, Value, Workflow, WorkflowId,
};

const ONCE: Range<u64> = Range { min: 1, expected: 1, worst: 1 };
const NEVER: Range<u64> = Range { min: 0, expected: 0, worst: 0 };
const TOP_LEVEL: &str = "(top level)";

/// What the walk knows of past runs: the history, and the step ids' prefix inside it (the
/// call steps that led to the workflow being walked, `fix/` and so on; empty at the root).
#[derive(Clone, Copy)]
pub(super) struct Past<'h> {
    pub history: &'h History,
    pub scope: &'h str,
}

/// The estimate of `workflow`, whose parameters read from `env`; `stack` holds the workflows
/// being estimated around it (a call to one of them would never end).
pub(super) fn workflow(
    program: &Program,
    workflow: &Workflow,
    env: &Params,
    stack: &[WorkflowId],
    past: Past<'_>,
) -> Estimate {
    let mut walker = Walker::new(program, workflow, env, stack, true, past);
    let timeout = walker.duration(workflow.timeout.as_ref(), "the timeout", &format!("workflow `{}`", workflow.name));
    let body = walker.nodes(&workflow.body, ONCE).within(timeout);

    let on_failure = walker.handler(&workflow.on_failure, "(on failure)", PhaseKind::OnFailure).worst_only();
    let finally = walker.handler(&workflow.finally, "(finally)", PhaseKind::Finally);
    if let Some(group) = walker.phases.iter_mut().find(|group| group.kind == PhaseKind::OnFailure) {
        group.amounts = group.amounts.worst_only();
    }

    // The statements outside phases, as they run with the phases taken out.
    if walker.phases.iter().any(|group| group.kind == PhaseKind::TopLevel) {
        let mut outside = Walker::new(program, workflow, env, stack, false, past);
        let amounts = outside.nodes(&workflow.body, ONCE).within(timeout);
        if let Some(group) = walker.phases.iter_mut().find(|group| group.kind == PhaseKind::TopLevel) {
            group.amounts = amounts;
        }
    }
    for group in &mut walker.phases {
        group.over_budget = group.budget.exceeded_by(&group.amounts);
    }

    let total = body.then(on_failure).then(finally);
    let budget = Budget::from_ir(&workflow.budget, env);
    let mut notes = walker.notes;
    if !walker.open_ended.is_empty() {
        notes.push(Note::OpenEnded { steps: walker.open_ended });
    }
    for (model, steps) in [(false, walker.from_history), (true, walker.from_model)] {
        if !steps.is_empty() {
            notes.push(Note::FromHistory { steps, model });
        }
    }
    if !walker.unknown.is_empty() {
        notes.push(Note::Unknown { steps: walker.unknown });
    }
    Estimate {
        workflow: workflow.name.clone(),
        total,
        phases: walker.phases,
        over_budget: budget.exceeded_by(&total),
        budget,
        periods: crate::ir::Period::ALL
            .into_iter()
            .filter(|period| !workflow.periods.get(*period).is_empty())
            .map(|period| (period.name().to_owned(), Budget::from_ir(workflow.periods.get(period), env)))
            .collect(),
        notes,
        missing_args: Vec::new(),
    }
}

struct Walker<'w> {
    program: &'w Program,
    workflow: &'w Workflow,
    env: &'w Params<'w>,
    stack: &'w [WorkflowId],
    /// Whether to keep rows and notes (the walk for the statements outside phases does not).
    record: bool,
    phases: Vec<PhaseCost>,
    /// The group that takes the rows of the steps being walked.
    current: Option<usize>,
    notes: Vec<Note>,
    open_ended: Vec<String>,
    past: Past<'w>,
    /// Steps whose figures come from their own history, and from their model's, with the
    /// number of past runs; steps with nothing to go on.
    from_history: Vec<PastRuns>,
    from_model: Vec<PastRuns>,
    unknown: Vec<String>,
    /// The iterations of each enclosing `for` whose list is known, outermost first: a bound
    /// that reads a loop variable is read in each, and the largest counts.
    loops: Vec<Vec<Iteration>>,
}

/// Most combinations of iterations a bound is read in; past it, the bound is not known.
const MAX_COMBINATIONS: usize = 10_000;

impl<'w> Walker<'w> {
    fn new(
        program: &'w Program,
        workflow: &'w Workflow,
        env: &'w Params<'w>,
        stack: &'w [WorkflowId],
        record: bool,
        past: Past<'w>,
    ) -> Walker<'w> {
        Walker {
            program,
            workflow,
            env,
            stack,
            record,
            phases: Vec::new(),
            current: None,
            notes: Vec::new(),
            open_ended: Vec::new(),
            past,
            from_history: Vec::new(),
            from_model: Vec::new(),
            unknown: Vec::new(),
            loops: Vec::new(),
        }
    }

    fn nodes(&mut self, nodes: &[Node], reach: Range<u64>) -> Amounts {
        let mut total = Amounts::ZERO;
        for node in nodes {
            total = total.then(self.node(node, reach));
        }
        total
    }

    fn node(&mut self, node: &Node, reach: Range<u64>) -> Amounts {
        match node {
            Node::Step(index) => self.step(*index, reach),
            Node::Phase { step, body, control } => self.phase(*step, body, control, reach),
            Node::Parallel { step, max, body, control, .. } => {
                let children: Vec<Amounts> = body.iter().map(|child| self.node(child, reach)).collect();
                let lanes = match max {
                    Some(max) => {
                        let at = self.place(*step, "a `parallel`");
                        self.count(max, "the `parallel` bound", &at, 1)
                    }
                    None => children.len() as u64,
                };
                let timeout = self.block_timeout(control, *step, "a `parallel`");
                Amounts::side_by_side(&children, self.limit_lanes(lanes)).within(timeout)
            }
            Node::If { branches, otherwise, .. } => self.branches(branches, otherwise, reach),
            Node::Repeat { step, max, until, body, control, .. } => {
                let at = self.place(*step, "a `repeat`");
                let bound = self.count(max, "the `repeat` bound", &at, 1);
                // With `until`, the loop may stop after the first iteration; without, it runs them all.
                let iterations = if until.is_some() {
                    Range { min: bound.min(1), expected: bound.min(1), worst: bound }
                } else {
                    Range::exactly(bound)
                };
                let body = self.nodes(body, reach.times(iterations));
                let timeout = self.block_timeout(control, *step, "a `repeat`");
                body.times(iterations).within(timeout)
            }
            Node::For { step, index, var, iter, parallel, body, control, .. } => {
                let what = format!("`for {var}`");
                let at = self.place(*step, &what);
                let length = self.length(iter, &at);
                let count = Range::exactly(length);
                let iterations = self.iterations(iter, var, index.as_deref());
                let known = iterations.is_some();
                self.loops.extend(iterations);
                let one = self.nodes(body, reach.times(count));
                if known {
                    self.loops.pop();
                }
                let all = match parallel {
                    None => one.times(count),
                    Some(max) => {
                        let lanes = match max {
                            Some(max) => self.count(max, "the `parallel` bound", &at, 1),
                            None => length,
                        };
                        let rounds = rounds(length, self.limit_lanes(lanes));
                        Amounts {
                            money: one.money.times(count),
                            tokens: one.tokens.times(count),
                            duration: one.duration.times(Range::exactly(rounds)),
                            unknown: if length == 0 { Unknown::NONE } else { one.unknown },
                        }
                    }
                };
                let timeout = self.duration(control.timeout.as_ref(), "the timeout", &at);
                all.within(timeout)
            }
            Node::Fail { .. } => Amounts::ZERO,
        }
    }

    /// A phase gets a group of its own; the walk for the statements outside phases skips it.
    fn phase(&mut self, step: StepIdx, body: &[Node], control: &Control, reach: Range<u64>) -> Amounts {
        if !self.record {
            return Amounts::ZERO;
        }
        let name = self.workflow.steps.get(step.0).map_or_else(String::new, |step| step.name.clone());
        self.phases.push(PhaseCost {
            name: name.clone(),
            kind: PhaseKind::Phase,
            amounts: Amounts::ZERO,
            steps: Vec::new(),
            budget: Budget::from_ir(&control.budget, self.env),
            over_budget: None,
        });
        let group = self.phases.len() - 1;
        let outer = self.current.replace(group);
        let timeout = self.duration(control.timeout.as_ref(), "the timeout", &format!("phase `{name}`"));
        let amounts = self.nodes(body, reach).within(timeout);
        self.current = outer;
        self.phases[group].amounts = amounts;
        amounts
    }

    /// A workflow handler, as a group of its own.
    fn handler(&mut self, body: &[Node], name: &str, kind: PhaseKind) -> Amounts {
        if body.is_empty() {
            return Amounts::ZERO;
        }
        let reach = if kind == PhaseKind::OnFailure { Range { min: 0, expected: 0, worst: 1 } } else { ONCE };
        self.phases.push(PhaseCost {
            name: name.to_string(),
            kind,
            amounts: Amounts::ZERO,
            steps: Vec::new(),
            budget: Budget::default(),
            over_budget: None,
        });
        let group = self.phases.len() - 1;
        let outer = self.current.replace(group);
        let amounts = self.nodes(body, reach);
        self.current = outer;
        self.phases[group].amounts = amounts;
        amounts
    }

    /// `if`: a condition of parameters and constants alone is decided now; otherwise any
    /// branch may run (or none, without `else`), and the first is the one expected.
    fn branches(&mut self, branches: &[Branch], otherwise: &[Node], reach: Range<u64>) -> Amounts {
        let mut decided = Some(branches.len());
        for (position, branch) in branches.iter().enumerate() {
            match self.env.decide(&branch.cond) {
                Some(Value::Bool(true)) => {
                    decided = Some(position);
                    break;
                }
                Some(Value::Bool(false)) => {}
                _ => {
                    decided = None;
                    break;
                }
            }
        }
        let bodies: Vec<&[Node]> = branches.iter().map(|branch| branch.body.as_slice()).chain([otherwise]).collect();
        if let Some(taken) = decided {
            let mut amounts = Amounts::ZERO;
            for (position, body) in bodies.into_iter().enumerate() {
                if position == taken {
                    amounts = self.nodes(body, reach);
                } else {
                    self.nodes(body, NEVER);
                }
            }
            return amounts;
        }
        let mut alternatives = Vec::with_capacity(bodies.len());
        for (position, body) in bodies.into_iter().enumerate() {
            let expected = if position == 0 { reach.expected } else { 0 };
            alternatives.push(self.nodes(body, Range { min: 0, expected, worst: reach.worst }));
        }
        Amounts::one_of(&alternatives, alternatives[0])
    }

    fn step(&mut self, index: StepIdx, reach: Range<u64>) -> Amounts {
        let Some(step) = self.workflow.steps.get(index.0) else { return Amounts::ZERO };
        let expect = step.common.expect;
        let timeout = self.duration(step.common.timeout.as_ref(), "the timeout", &format!("`{}`", step.id));
        let mut model = None;
        // One attempt; `open` when nothing but a timeout bounds how long it takes.
        let mut sources = Sources::STATED;
        let (kind, mut once, open) = match &step.kind {
            StepKind::Run(_) | StepKind::Agent(_) => {
                let (money, tokens) = super::per_attempt(self.program, step);
                let mut amounts = Amounts {
                    money: Range::exactly(money),
                    tokens: Range::exactly(tokens),
                    duration: Range::exactly(expect.duration.unwrap_or(0)),
                    ..Amounts::ZERO
                };
                let kind = if let StepKind::Agent(agent) = &step.kind {
                    let found = self.program.models.get(agent.model.0);
                    model = found.map(|found| found.name.clone());
                    "agent"
                } else {
                    "run"
                };
                sources = self.unstated_from_history(step, &mut amounts, reach);
                (kind, amounts, true)
            }
            StepKind::Call(call) => ("call", self.call(&step.id, call, expect, reach), false),
            StepKind::Gate(gate) => ("gate", self.stated(Amounts::ZERO, expect), gate.approve.is_some()),
            StepKind::Wait { duration } => {
                let wait = self.duration(Some(duration), "the duration", &format!("`{}`", step.id)).unwrap_or(0);
                let amounts = Amounts { duration: Range::exactly(wait), ..Amounts::ZERO };
                ("wait", self.stated(amounts, expect), false)
            }
            StepKind::Watch(watch) => {
                // At worst it lasts its `for`; at best a condition holds from the first poll
                // for its window (no window: the first poll ends it).
                let what = format!("`{}`", step.id);
                let lasts = self.duration(Some(&watch.duration), "the duration", &what).unwrap_or(0);
                let window = |judgement: &crate::ir::Judgement, walk: &mut Self| {
                    walk.duration(judgement.window.as_ref(), "the window", &what).unwrap_or(0)
                };
                let mut soonest = window(&watch.fail, self);
                if let Some(pass) = &watch.pass {
                    soonest = soonest.min(window(pass, self));
                }
                let duration = Range { min: soonest.min(lasts), expected: lasts, worst: lasts };
                let amounts = Amounts { duration, ..Amounts::ZERO };
                ("watch", self.stated(amounts, expect), false)
            }
            StepKind::Block(_) => return Amounts::ZERO,
        };
        if open {
            once.duration.worst = match timeout {
                Some(timeout) => timeout,
                None => {
                    if self.record && reach.worst > 0 {
                        self.open_ended.push(step.id.clone());
                    }
                    // The expectation, or the 95th percentile of past runs.
                    once.duration.worst
                }
            };
        }
        once = once.within(timeout);

        let retries = match &step.common.retry {
            Some(retry) => {
                let count = self.count(&retry.count, "the retry count", &format!("`{}`", step.id), 0);
                (count, retry.worst_backoff(count))
            }
            None => (0, 0),
        };
        let attempts = Range { min: 1, expected: 1, worst: 1 + retries.0 };
        let mut total = once.times(attempts);
        total.duration.worst = total.duration.worst.saturating_add(retries.1);

        if self.record {
            let row = StepCost {
                id: step.id.clone(),
                kind,
                model,
                runs: attempts.times(reach),
                amounts: total.times(reach),
                sources,
            };
            self.group().steps.push(row);
        }
        total
    }

    /// Fills what a `run` or `agent` step leaves unstated from past runs: its own (by
    /// definition hash, else by id), else, for an agent, every past attempt of its model.
    /// What an agent leaves unstated with no past at all is marked unknown; a command with no
    /// `expect` and no past keeps 0s (the open-ended note says so).
    fn unstated_from_history(&mut self, step: &ir::Step, amounts: &mut Amounts, reach: Range<u64>) -> Sources {
        let expect = step.common.expect;
        let agent = match &step.kind {
            StepKind::Agent(agent) => self.program.models.get(agent.model.0),
            _ => None,
        };
        let is_agent = matches!(step.kind, StepKind::Agent(_));
        // An agent's money is stated by `expect $`, by pricing `expect N tokens`, or by a
        // model that costs nothing (`sim`) or has no prices (the unpriced note says so).
        let free = agent.is_some_and(|model| !model.priced || (model.input.micros == 0 && model.output.micros == 0));
        let money_stated = !is_agent || free || expect.money.is_some() || expect.tokens.is_some();
        let tokens_stated = !is_agent || expect.tokens.is_some();
        let duration_stated = expect.duration.is_some();
        if money_stated && tokens_stated && duration_stated {
            return Sources::STATED;
        }
        let key = format!("{}{}", self.past.scope, step.id);
        let (observed, source): (Option<Observed>, Source) = match self.past.history.step(&key, &step.hash) {
            Some(observed) => (Some(observed), Source::History),
            None => match agent.and_then(|model| self.past.history.model(&model.name)) {
                Some(observed) => (Some(observed), Source::ModelHistory),
                None => (None, Source::Unknown),
            },
        };
        let mut sources = Sources::STATED;
        match observed {
            Some(observed) => {
                if !money_stated {
                    amounts.money = observed.money.range();
                    sources.money = source;
                }
                if !tokens_stated {
                    amounts.tokens = observed.tokens.range();
                    sources.tokens = source;
                }
                if !duration_stated {
                    amounts.duration = observed.duration.range();
                    sources.duration = source;
                }
                sources.history_runs = Some(observed.runs);
                if self.record && reach.worst > 0 {
                    let list = if source == Source::History { &mut self.from_history } else { &mut self.from_model };
                    list.push(PastRuns { step: step.id.clone(), runs: observed.runs });
                }
            }
            None if is_agent => {
                sources.money = if money_stated { Source::Stated } else { Source::Unknown };
                sources.tokens = if tokens_stated { Source::Stated } else { Source::Unknown };
                sources.duration = if duration_stated { Source::Stated } else { Source::Unknown };
                amounts.unknown.money = !money_stated;
                amounts.unknown.tokens = !tokens_stated;
                amounts.unknown.duration = !duration_stated;
                if self.record && reach.worst > 0 {
                    self.unknown.push(step.id.clone());
                }
            }
            None => {}
        }
        sources
    }

    /// What a step states with `expect` moves the computed range to hold it.
    fn stated(&self, computed: Amounts, expect: Expect) -> Amounts {
        let mut out = computed;
        if let Some(money) = expect.money {
            out.money = out.money.holding(money);
        }
        if let Some(tokens) = expect.tokens {
            out.tokens = out.tokens.holding(tokens);
        }
        if let Some(duration) = expect.duration {
            out.duration = out.duration.holding(duration);
        }
        out
    }

    /// A call: the called workflow's whole estimate, with its arguments.
    fn call(&mut self, id: &str, call: &Call, expect: Expect, reach: Range<u64>) -> Amounts {
        let Some(callee) = self.program.workflows.get(call.workflow.0) else { return Amounts::ZERO };
        if self.stack.contains(&call.workflow) {
            if self.record {
                self.notes.push(Note::Recursion { at: format!("`{id}`"), workflow: callee.name.clone() });
            }
            return Amounts::ZERO;
        }
        let env = Params::call(&callee.params, &call.args, self.env);
        let mut stack = self.stack.to_vec();
        stack.push(call.workflow);
        let scope = format!("{}{id}/", self.past.scope);
        let inner = workflow(self.program, callee, &env, &stack, Past { history: self.past.history, scope: &scope });
        if self.record {
            for note in inner.notes {
                match note.inside(id) {
                    Note::OpenEnded { steps } if reach.worst > 0 => self.open_ended.extend(steps),
                    Note::OpenEnded { .. } => {}
                    note => self.notes.push(note),
                }
            }
        }
        self.stated(inner.total, expect)
    }

    /// The group that takes rows now: the current phase or handler, else the statements
    /// outside phases (a group made where its first step is).
    fn group(&mut self) -> &mut PhaseCost {
        let position = match self.current {
            Some(position) => position,
            None => match self.phases.iter().position(|group| group.kind == PhaseKind::TopLevel) {
                Some(position) => position,
                None => {
                    self.phases.push(PhaseCost {
                        name: TOP_LEVEL.to_string(),
                        kind: PhaseKind::TopLevel,
                        amounts: Amounts::ZERO,
                        steps: Vec::new(),
                        budget: Budget::default(),
                        over_budget: None,
                    });
                    self.phases.len() - 1
                }
            },
        };
        &mut self.phases[position]
    }

    /// How a block is named in notes: its id when it has a name, else `what` and its phase.
    fn place(&self, step: Option<StepIdx>, what: &str) -> String {
        if let Some(step) = step.and_then(|step| self.workflow.steps.get(step.0)) {
            return format!("`{}`", step.id);
        }
        match self.current.and_then(|group| self.phases.get(group)) {
            Some(group) if group.kind == PhaseKind::Phase => format!("{what} in phase `{}`", group.name),
            Some(group) => format!("{what} in {}", group.name),
            None => what.to_string(),
        }
    }

    fn block_timeout(&mut self, control: &Control, step: Option<StepIdx>, what: &str) -> Option<u64> {
        let place = self.place(step, what);
        self.duration(control.timeout.as_ref(), "the timeout", &place)
    }

    /// The largest of what `read` gives in every combination of the enclosing loops'
    /// iterations (with no loop, just what it gives): a bound that reads a loop variable
    /// counts at its largest.
    fn largest<T: Ord>(&self, read: impl Fn(&dyn Env) -> Result<T, EvalError>) -> Result<T, EvalError> {
        if self.loops.is_empty() {
            return read(self.env);
        }
        let combinations = self.loops.iter().try_fold(1usize, |n, iterations| n.checked_mul(iterations.len()));
        if combinations.is_none_or(|n| n == 0 || n > MAX_COMBINATIONS) {
            return Err(EvalError::Unknown);
        }
        let mut choice = vec![0usize; self.loops.len()];
        let mut best: Option<T> = None;
        loop {
            let vars = self.loops.iter().zip(&choice).flat_map(|(iterations, &i)| iterations[i].iter()).collect();
            let value = read(&InLoop { params: self.env, vars })?;
            best = Some(match best {
                Some(current) => current.max(value),
                None => value,
            });
            // The next combination, the innermost loop fastest.
            let mut level = self.loops.len();
            loop {
                if level == 0 {
                    return best.ok_or(EvalError::Unknown);
                }
                level -= 1;
                choice[level] += 1;
                if choice[level] < self.loops[level].len() {
                    break;
                }
                choice[level] = 0;
            }
        }
    }

    /// Every iteration of a `for` over `iter` (in every combination of the enclosing loops),
    /// or none when its list is not known.
    fn iterations(&self, iter: &Expr, var: &str, index: Option<&str>) -> Option<Vec<Iteration>> {
        let lists = std::cell::RefCell::new(Vec::new());
        self.largest(|env| {
            lists.borrow_mut().push(eval(iter, env)?);
            Ok(0)
        })
        .ok()?;
        let mut iterations: Vec<Iteration> = Vec::new();
        for list in lists.into_inner() {
            let Value::List(items) = list else { return None };
            for (position, item) in items.into_iter().enumerate() {
                let mut iteration = vec![(var.to_owned(), item)];
                if let Some(index) = index {
                    iteration.push((index.to_owned(), Value::Int(i64::try_from(position).unwrap_or(i64::MAX))));
                }
                if !iterations.contains(&iteration) {
                    iterations.push(iteration);
                }
            }
        }
        Some(iterations)
    }

    /// A count from a bound, or `assumed` (noted) when it is not known.
    fn count(&mut self, bound: &Bound, what: &'static str, at: &str, assumed: u64) -> u64 {
        match self.largest(|env| count(bound, env)) {
            Ok(n) => n,
            Err(_) => {
                if self.record {
                    self.notes.push(Note::UnknownBound { what, at: at.to_string(), assumed });
                }
                assumed
            }
        }
    }

    /// A `for` list's length, or 1 (noted) when it is not known.
    fn length(&mut self, iter: &Expr, at: &str) -> u64 {
        let length = self.largest(|env| match eval(iter, env)? {
            Value::List(items) => Ok(items.len() as u64),
            _ => Err(EvalError::Type),
        });
        match length {
            Ok(length) => length,
            Err(_) => {
                if self.record {
                    self.notes.push(Note::UnknownLength { at: at.to_string() });
                }
                1
            }
        }
    }

    /// A duration, or none (noted) when it is not known.
    fn duration(&mut self, expr: Option<&Expr>, what: &'static str, at: &str) -> Option<u64> {
        let expr = expr?;
        match self.largest(|env| duration(expr, env)) {
            Ok(ms) => Some(ms),
            Err(_) => {
                if self.record {
                    self.notes.push(Note::UnknownDuration { what, at: at.to_string() });
                }
                None
            }
        }
    }

    /// Lanes of a `parallel`, at most the workflow's `concurrency`.
    fn limit_lanes(&self, lanes: u64) -> u64 {
        // The same reading as the runner's; an unknown `concurrency` does not narrow the lanes.
        match self.workflow.concurrency.as_ref().map(|bound| count(bound, self.env)) {
            Some(Ok(concurrency)) => lanes.min(concurrency.max(1)),
            _ => lanes,
        }
    }
}
