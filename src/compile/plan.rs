//! The engine-neutral lowering: a checked workflow → tasks and the dependencies between them.
//!
//! A task is one node of the workflow's tree that the engine runs as one unit (an Argo DAG
//! task, a GitHub Actions job) by calling `wf step` on it. The tree is split where the engine
//! has a construct of its own: a sequence becomes dependencies, a `parallel` siblings with the
//! same dependencies (`max N` as N lanes, each child after the one N places before it), a
//! phase that declares nothing of its own its children, a `for` a fan-out over its items, an
//! `if` a condition task that decides and its branches' tasks, which run only in the branch
//! it chose (Argo `when`, GitHub `if:`). A step is a task. What the engine cannot take apart —
//! a `repeat`, a `fail`, a phase or block with its own timeout, budget or failure policy — is
//! one task whose whole subtree wf runs. Workflow handlers (`on failure`, `finally`) are tasks
//! after the body.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;

use crate::ir::eval::{self, Env};
use crate::ir::{
    Bound, Control, FailurePolicy, Gate, Mode, Node, Program, Step, StepIdx, StepKind, Type, Value, Workflow,
};
use crate::span::Span;

use super::error::CompileError;
use super::Target;

/// A workflow as tasks, in the order of the source.
#[derive(Debug, Clone)]
pub struct Plan {
    pub workflow: String,
    pub description: Option<String>,
    pub params: Vec<PlanParam>,
    /// Environment variables the tasks read from the engine's secrets: the workflow's
    /// `secret`s and the API keys of the providers its agents use.
    pub secrets: Vec<String>,
    pub tasks: Vec<Task>,
    /// The workflow's `timeout`, in milliseconds.
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct PlanParam {
    pub name: String,
    pub kind: ParamKind,
    /// The default as `--arg` reads it back, when there is one.
    pub default: Option<String>,
    pub ty: String,
}

/// How an engine types a parameter's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    String,
    Number,
    Boolean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Body,
    /// The workflow's `on failure` handler: runs when the body failed.
    OnFailure,
    /// The workflow's `finally`: runs whatever happened.
    Finally,
    /// Undoes what a rollback asked for in one task needs undone in others: runs when the
    /// body failed, before the `on failure` handler (`wf step --rollback`).
    Rollback,
    /// Runs last, whatever happened: gathers every task's usage into the run's report
    /// (`wf step --report`), which `wf import` records in a journal.
    Report,
}

#[derive(Debug, Clone)]
pub struct Task {
    /// Unique, lower-case letters, digits and `-`: a valid Argo task and GitHub job name.
    pub name: String,
    /// Where the node is: `body.2.0` is the first child of the workflow's third statement;
    /// inside an `if`, the branch comes first (`body.3.1.0`, see [`find`]).
    pub node: String,
    /// What people read: the step's id, or the kind of block and its line.
    pub title: String,
    /// Tasks that must finish first (by index).
    pub needs: Vec<usize>,
    /// Tasks whose step values this one reads; each is also in `needs`.
    pub reads: Vec<usize>,
    /// Tasks whose usage this one reads (`WF_USAGE_<task>`): the report every task's, the
    /// rollback handler that of the body tasks it reads for their `undo`s, every other task
    /// that of the tasks it waits for in its own DAG, whose spend counts against the run's
    /// budget. Only the report reads a fanned-out task's (a list on Argo, artifacts on GitHub).
    pub usage: Vec<usize>,
    pub fan: Option<Fan>,
    /// The question a person answers before the task runs (a gate's `approve`, a risky step
    /// in hybrid mode, any step in supervised mode).
    pub approval: Option<String>,
    /// The most the task can take, retries and their backoff included, in milliseconds.
    pub timeout_ms: Option<u64>,
    pub role: Role,
    /// The `if` branches the task is inside, outermost first: the condition task of each
    /// `if` (by index, also in `needs`) and the branch's index (the `else` is the one after
    /// the last). The task runs only when every one of them chose its branch.
    pub when: Vec<(usize, usize)>,
    /// A condition task: `wf step --branch` on an `if`, which publishes the branch that runs.
    pub decides: bool,
}

impl Task {
    /// A task of `role` that waits for nothing, reads nothing and asks nobody: each lowering
    /// sets what its task has beyond that.
    fn new(name: String, node: &str, title: String, role: Role) -> Task {
        Task {
            name,
            node: node.to_owned(),
            title,
            needs: Vec::new(),
            reads: Vec::new(),
            usage: Vec::new(),
            fan: None,
            approval: None,
            timeout_ms: None,
            role,
            when: Vec::new(),
            decides: false,
        }
    }
}

/// A `for` fanned out: one engine instance per item, `--index` telling `wf step` which.
#[derive(Debug, Clone, Copy)]
pub struct Fan {
    pub count: u64,
    /// At most this many at once; `None` is no limit.
    pub max: Option<u64>,
}

/// The arguments, then the parameters' defaults: what a bound or a `for` list reads.
struct Args<'a> {
    args: &'a IndexMap<String, Value>,
    workflow: &'a Workflow,
}

impl Env for Args<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.args.get(name).cloned().or_else(|| {
            self.workflow.params.iter().find(|param| param.name == name).and_then(|param| param.default.clone())
        })
    }
}

/// Lowers `workflow` into tasks for `target`, or says every construct that cannot go.
pub fn plan(
    program: &Program,
    workflow: &Workflow,
    args: &IndexMap<String, Value>,
    target: Target,
) -> Result<Plan, Vec<CompileError>> {
    let mut lower = Lower {
        program,
        workflow,
        env: Args { args, workflow },
        target,
        tasks: Vec::new(),
        owner: HashMap::new(),
        errors: Vec::new(),
        // The task that seeds the shared workspace on Argo: no step may take its name.
        names: BTreeSet::from([super::WORKSPACE_TASK.to_owned(), super::SETUP_TASK.to_owned()]),
        has_rollback: has_rollback(workflow),
        when: Vec::new(),
    };
    let exits = lower.sequence(&workflow.body, "body", Vec::new(), Role::Body);
    let mut handler_preds = exits.clone();
    if let Some(handler) = lower.rollback_handler() {
        handler_preds.push(handler);
    }
    let failure_exits = lower.sequence(&workflow.on_failure, "on_failure", handler_preds, Role::OnFailure);
    let mut before_finally = exits;
    before_finally.extend(failure_exits);
    lower.sequence(&workflow.finally, "finally", before_finally, Role::Finally);
    lower.report();
    lower.usage_reads();
    lower.handler_rollbacks();
    if !lower.errors.is_empty() {
        return Err(lower.errors);
    }
    Ok(Plan {
        workflow: workflow.name.clone(),
        description: workflow.description.clone(),
        params: workflow.params.iter().map(param).collect(),
        secrets: secrets(program, workflow),
        timeout_ms: workflow.timeout.as_ref().and_then(|timeout| eval::duration(timeout, &lower.env).ok()),
        tasks: lower.tasks,
    })
}

fn param(param: &crate::ir::Param) -> PlanParam {
    let kind = match param.ty {
        Type::Int | Type::Float => ParamKind::Number,
        Type::Bool => ParamKind::Boolean,
        _ => ParamKind::String,
    };
    PlanParam {
        name: param.name.clone(),
        kind,
        default: param.default.as_ref().map(arg_text),
        ty: param.ty.to_string(),
    }
}

/// A value as `--arg` reads it: lists and records as JSON, scalars as their literals.
pub fn arg_text(value: &Value) -> String {
    match value {
        Value::List(_) | Value::Record(_) => value.to_json().to_string(),
        other => other.to_text(),
    }
}

/// The secrets and provider keys every workflow the run can reach reads.
fn secrets(program: &Program, workflow: &Workflow) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let root = program.workflows.iter().position(|w| std::ptr::eq(w, workflow)).map(crate::ir::WorkflowId);
    let reachable = root.map(|id| program.reachable(id)).unwrap_or_default();
    let mut add = |name: &str| {
        if !names.iter().any(|known| known == name) {
            names.push(name.to_owned());
        }
    };
    for id in reachable {
        let reached = &program.workflows[id.0];
        for secret in &reached.secrets {
            add(secret);
        }
        for step in &reached.steps {
            if let StepKind::Agent(agent) = &step.kind {
                match agent.provider {
                    crate::ir::ProviderRef::Declared(index) => {
                        if let Some(key) = &program.providers[index].key {
                            add(key);
                        }
                    }
                    crate::ir::ProviderRef::Builtin(crate::ir::Builtin::OpenAi | crate::ir::Builtin::Codex) => {
                        add("OPENAI_API_KEY");
                    }
                    crate::ir::ProviderRef::Builtin(crate::ir::Builtin::Anthropic | crate::ir::Builtin::ClaudeCode) => {
                        add("ANTHROPIC_API_KEY")
                    }
                    crate::ir::ProviderRef::Builtin(crate::ir::Builtin::Ollama) | crate::ir::ProviderRef::Sim => {}
                }
            }
        }
    }
    names
}

struct Lower<'a> {
    program: &'a Program,
    workflow: &'a Workflow,
    env: Args<'a>,
    target: Target,
    tasks: Vec<Task>,
    /// The task each step (and named block) runs in.
    owner: HashMap<StepIdx, usize>,
    errors: Vec<CompileError>,
    names: BTreeSet<String>,
    /// A step or block of the workflow rolls back on failure.
    has_rollback: bool,
    /// The `if` branches being lowered, outermost first (see [`Task::when`]).
    when: Vec<(usize, usize)>,
}

impl Lower<'_> {
    /// Lowers `nodes` one after the other, the first after `preds`; returns the tasks the
    /// next statement waits for.
    fn sequence(&mut self, nodes: &[Node], path: &str, mut preds: Vec<usize>, role: Role) -> Vec<usize> {
        for (i, node) in nodes.iter().enumerate() {
            preds = self.node(node, &format!("{path}.{i}"), preds, role);
        }
        preds
    }

    fn node(&mut self, node: &Node, path: &str, preds: Vec<usize>, role: Role) -> Vec<usize> {
        match node {
            Node::Phase { step, body, control } if plain(control) => {
                self.owner.insert(*step, usize::MAX);
                self.sequence(body, path, preds, role)
            }
            Node::Parallel { step, max, body, control, .. } if plain(control) => {
                if let Some(step) = step {
                    self.owner.insert(*step, usize::MAX);
                }
                let lanes = max.as_ref().and_then(|max| self.bound(max)).filter(|&max| max > 0);
                let mut exits: Vec<Vec<usize>> = Vec::new();
                for (i, child) in body.iter().enumerate() {
                    let mut needs = preds.clone();
                    if let Some(lanes) = lanes.and_then(|lanes| usize::try_from(lanes).ok()) {
                        if i >= lanes {
                            needs.extend(exits[i - lanes].iter().copied());
                        }
                    }
                    exits.push(self.node(child, &format!("{path}.{i}"), needs, role));
                }
                let mut all: Vec<usize> = exits.into_iter().flatten().collect();
                all.sort_unstable();
                all.dedup();
                if all.is_empty() {
                    preds
                } else {
                    all
                }
            }
            // A loop whose steps a rollback may undo is one task: the engine keeps no output
            // per iteration, so the rollback handler could not see which of them finished.
            Node::For { step, var, iter, parallel, control, span, .. }
                if plain(control) && !(self.has_rollback && has_undo(node, self.workflow)) =>
            {
                let count = match eval::eval(iter, &self.env) {
                    Ok(Value::List(items)) => Some(items.len() as u64),
                    Ok(_) | Err(_) => {
                        let reason = match eval::eval(iter, &self.env) {
                            Err(eval::EvalError::Unknown) => {
                                "it reads a parameter that has no default and no `--arg`".to_owned()
                            }
                            Err(error) => error.to_string(),
                            Ok(_) => "it is not a list".to_owned(),
                        };
                        self.errors.push(CompileError::UnknownList {
                            var: var.clone(),
                            target: self.target.name(),
                            reason,
                            span: iter.span,
                        });
                        None
                    }
                };
                let max = match parallel {
                    None => Some(1),
                    Some(None) => None,
                    Some(Some(bound)) => self.bound(bound),
                };
                let fan = count.map(|count| Fan { count, max });
                if fan.is_some_and(|fan| fan.count == 0) {
                    // No iteration: nothing runs, as in `wf run`.
                    return preds;
                }
                let title = match step {
                    Some(step) => self.workflow.steps[step.0].id.clone(),
                    None => format!("for {var}"),
                };
                let task = self.task(node, path, title, preds, role, *span);
                self.tasks[task].fan = fan;
                if let Some(step) = step {
                    self.owner.insert(*step, task);
                }
                vec![task]
            }
            Node::Step(index) => {
                let step = &self.workflow.steps[index.0];
                let task = self.task(node, path, step.id.clone(), preds, role, step.span);
                vec![task]
            }
            // An `if` here is a condition task, then each branch's body as a sequence after
            // it, every task of a branch carrying the branch (`when`): the engine skips the
            // branches not taken, and a step in a branch that asks a person is a task with
            // its own approval. An `if` inside a `repeat`, a `for` that is one task, or a
            // block with its own timeout, budget or failure policy never gets here: it runs
            // inside that block's task, where the engine cannot see it.
            Node::If { branches, otherwise, .. } => {
                let condition = self.condition(branches, path, preds, role);
                let mut exits = vec![condition];
                let bodies = branches.iter().map(|branch| branch.body.as_slice()).chain([otherwise.as_slice()]);
                for (i, body) in bodies.enumerate() {
                    self.when.push((condition, i));
                    exits.extend(self.sequence(body, &format!("{path}.{i}"), vec![condition], role));
                    self.when.pop();
                }
                exits.sort_unstable();
                exits.dedup();
                exits
            }
            other => {
                let (title, span) = self.describe(other);
                vec![self.task(other, path, title, preds, role, span)]
            }
        }
    }

    fn describe(&self, node: &Node) -> (String, Span) {
        let named = |step: &Option<StepIdx>, kind: &str| match step {
            Some(step) => self.workflow.steps[step.0].id.clone(),
            None => kind.to_owned(),
        };
        match node {
            Node::Step(index) => (self.workflow.steps[index.0].id.clone(), self.workflow.steps[index.0].span),
            Node::Phase { step, .. } => (self.workflow.steps[step.0].id.clone(), self.workflow.steps[step.0].span),
            Node::Parallel { step, span, .. } => (named(step, "parallel"), *span),
            Node::If { span, .. } => ("if".to_owned(), *span),
            Node::Repeat { step, span, .. } => (named(step, "repeat"), *span),
            Node::For { step, span, .. } => (named(step, "for"), *span),
            Node::Fail { span, .. } => ("fail".to_owned(), *span),
        }
    }

    fn bound(&self, bound: &Bound) -> Option<u64> {
        bound.known.or_else(|| eval::count(bound, &self.env).ok())
    }

    /// A task for `node`'s whole subtree.
    fn task(&mut self, node: &Node, path: &str, title: String, preds: Vec<usize>, role: Role, span: Span) -> usize {
        let index = self.tasks.len();
        let mut inside = Vec::new();
        steps_in(node, &mut inside);
        for step in &inside {
            self.owner.insert(*step, index);
        }
        // What the subtree reads: steps of earlier tasks.
        let mut refs = Vec::new();
        for step in &inside {
            step_refs(&serde_json::to_value(&self.workflow.steps[step.0]).unwrap_or_default(), &mut refs);
        }
        step_refs(&serde_json::to_value(node).unwrap_or_default(), &mut refs);
        let (reads, needs) = self.reads(refs, index, &title, span, preds);
        let approval = self.approval(&inside, &title);
        let timeout_ms = match node {
            Node::Step(index) => self.step_deadline(&self.workflow.steps[index.0]),
            _ => None,
        };
        let name = self.unique(&title);
        let when = self.when.clone();
        self.tasks.push(Task { needs, reads, approval, timeout_ms, when, ..Task::new(name, path, title, role) });
        index
    }

    /// The tasks that task `index` (`title`, at `span`) reads the steps `refs` from, and what
    /// it waits for: those, `preds`, and the condition tasks of the branches it is in, whose
    /// outputs the engine reads. A value of a fanned-out loop is reported: it has none.
    fn reads(
        &mut self,
        refs: Vec<StepIdx>,
        index: usize,
        title: &str,
        span: Span,
        preds: Vec<usize>,
    ) -> (Vec<usize>, Vec<usize>) {
        let mut reads = Vec::new();
        for read in refs {
            match self.owner.get(&read) {
                Some(&owner) if owner == index || owner == usize::MAX => {}
                Some(&owner) => {
                    if self.tasks[owner].fan.is_some() {
                        self.errors.push(CompileError::LoopValue {
                            name: title.to_owned(),
                            block: self.workflow.steps[read.0].name.clone(),
                            target: self.target.name(),
                            unit: self.target.unit(),
                            span,
                        });
                    }
                    if !reads.contains(&owner) {
                        reads.push(owner);
                    }
                }
                None => {}
            }
        }
        reads.sort_unstable();
        let mut needs = preds;
        needs.extend(reads.iter().copied());
        needs.extend(self.when.iter().map(|&(task, _)| task));
        needs.sort_unstable();
        needs.dedup();
        (reads, needs)
    }

    /// The condition task of an `if`: it reads what the conditions read, owns no step (each
    /// branch's steps are in the branches' tasks), and decides which branch runs.
    fn condition(&mut self, branches: &[crate::ir::Branch], path: &str, preds: Vec<usize>, role: Role) -> usize {
        let index = self.tasks.len();
        let mut refs = Vec::new();
        for branch in branches {
            step_refs(&serde_json::to_value(&branch.cond).unwrap_or_default(), &mut refs);
        }
        // What people read: the first condition, as written, without what an engine would
        // read as its own expression in a name (`${{ }}`, `{{ }}`).
        let mut title = match branches.first() {
            Some(branch) => format!("if {}", branch.cond).replace(['{', '}', '$'], ""),
            None => "if".to_owned(),
        };
        if title.chars().count() > 60 {
            title = format!("{}…", title.chars().take(59).collect::<String>());
        }
        let span = branches.first().map_or(Span::default(), |branch| branch.cond.span);
        let (reads, needs) = self.reads(refs, index, &title, span, preds);
        let name = self.unique(&title);
        let when = self.when.clone();
        self.tasks.push(Task { needs, reads, when, decides: true, ..Task::new(name, path, title, role) });
        index
    }

    fn unique(&mut self, title: &str) -> String {
        let mut base: String = title
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        if base.is_empty() || !base.starts_with(|c: char| c.is_ascii_lowercase()) {
            base = format!("t-{base}").trim_end_matches('-').to_owned();
        }
        base.truncate(50);
        let mut name = base.clone();
        let mut n = 2;
        while !self.names.insert(name.clone()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        name
    }

    /// Whether a person answers before `step` runs in `wf run` (gates' approvals, risky steps
    /// in hybrid mode, every step in supervised mode; autopilot answers itself).
    fn asks(&self, step: &Step) -> bool {
        let mode = self.workflow.mode;
        if mode == Mode::Autopilot {
            return false;
        }
        matches!(&step.kind, StepKind::Gate(Gate { approve: Some(_), .. }))
            || (step.common.risk == crate::ir::Risk::High)
            || (mode == Mode::Supervised && !matches!(step.kind, StepKind::Block(_)))
    }

    /// The question a person answers before the task starts, when a step in it asks one in
    /// `wf run`. The engine cannot stop a task in the middle to ask, so a task whose steps
    /// (or whose called workflows' steps) ask is approved as a whole before it starts, as
    /// `wf run --approve` approves ahead (`wf step --approved` approves each of them).
    fn approval(&self, inside: &[StepIdx], title: &str) -> Option<String> {
        let mut questions: Vec<String> = Vec::new();
        for index in inside {
            let step = &self.workflow.steps[index.0];
            if self.asks(step) {
                questions.push(question(step));
            }
            if let StepKind::Call(call) = &step.kind {
                questions.extend(self.called_questions(call.workflow));
            }
        }
        match questions.len() {
            0 => None,
            1 => questions.pop(),
            n => Some(format!(
                "`{title}` asks {n} questions; approve them all before it starts: {}",
                questions.join(" · ")
            )),
        }
    }

    /// The questions the steps of a called workflow (and those it calls) ask, in the caller's
    /// mode.
    fn called_questions(&self, root: crate::ir::WorkflowId) -> Vec<String> {
        let mut questions = Vec::new();
        for id in self.program.reachable(root) {
            let called = &self.program.workflows[id.0];
            for step in called.steps.iter().filter(|step| self.asks(step)) {
                questions.push(format!("{}: {}", called.name, question(step)));
            }
        }
        questions
    }

    /// The engine's deadline for one step: its timeout for every attempt and the longest
    /// the backoff between them can add. `None` when the step has no timeout.
    fn step_deadline(&self, step: &Step) -> Option<u64> {
        let timeout = eval::duration(step.common.timeout.as_ref()?, &self.env).ok()?;
        let (attempts, backoff) = match &step.common.retry {
            Some(retry) => {
                let count = self.bound(&retry.count)?;
                (count + 1, retry.worst_backoff(count))
            }
            None => (1, 0),
        };
        Some(timeout.saturating_mul(attempts).saturating_add(backoff))
    }

    /// A rollback undoes the steps with an `undo` that ran before it. When one in a body task
    /// may need to undo steps of other body tasks, a handler task does (`wf step --rollback`),
    /// reading every body task that holds an `undo` or a rollback; it is returned. A rollback
    /// across tasks in the handlers, or into a called workflow's `undo` steps, is reported.
    fn rollback_handler(&mut self) -> Option<usize> {
        let mut sites: Vec<(Span, StepIdx)> = Vec::new();
        for (i, step) in self.workflow.steps.iter().enumerate() {
            if step.common.on_failure == FailurePolicy::Rollback {
                sites.push((step.span, StepIdx(i)));
            }
        }
        let mut blocks = Vec::new();
        for node in self.workflow.body.iter().chain(&self.workflow.on_failure).chain(&self.workflow.finally) {
            rollback_blocks(node, &mut blocks);
        }
        for (span, step) in blocks {
            let span = if span == Span::default() { self.workflow.steps[step.0].span } else { span };
            sites.push((span, step));
        }
        let mut across = false;
        for &(span, site) in &sites {
            let Some(&task) = self.owner.get(&site) else { continue };
            // A rollback in a called workflow's steps cannot reach them from the handler.
            for step in &self.workflow.steps {
                if let StepKind::Call(call) = &step.kind {
                    let undoes =
                        self.program.reachable(call.workflow).into_iter().any(|id| {
                            self.program.workflows[id.0].steps.iter().any(|inner| inner.common.undo.is_some())
                        });
                    if undoes && self.owner.get(&StepIdx(self.index_of(step))) != Some(&task) {
                        self.errors.push(CompileError::Rollback {
                            target: self.target.name(),
                            unit: self.target.unit(),
                            span,
                            undo: step.span,
                        });
                    }
                }
            }
            let elsewhere = self.workflow.steps.iter().enumerate().find(|(i, step)| {
                step.common.undo.is_some() && self.owner.get(&StepIdx(*i)).is_some_and(|&owner| owner != task)
            });
            let Some((undo_index, undo)) = elsewhere else { continue };
            let in_body = |owner: Option<&usize>| owner.is_some_and(|&owner| self.tasks[owner].role == Role::Body);
            if in_body(Some(&task)) && in_body(self.owner.get(&StepIdx(undo_index))) {
                across = true;
            } else {
                self.errors.push(CompileError::Rollback {
                    target: self.target.name(),
                    unit: self.target.unit(),
                    span,
                    undo: undo.span,
                });
            }
        }
        if !across {
            return None;
        }
        let mut reads: Vec<usize> = Vec::new();
        for (i, step) in self.workflow.steps.iter().enumerate() {
            let relevant = step.common.undo.is_some() || sites.iter().any(|&(_, site)| site == StepIdx(i));
            if let Some(&owner) = self.owner.get(&StepIdx(i)).filter(|_| relevant) {
                if owner != usize::MAX && self.tasks[owner].role == Role::Body && !reads.contains(&owner) {
                    reads.push(owner);
                }
            }
        }
        reads.sort_unstable();
        let index = self.tasks.len();
        let name = self.unique("rollback");
        self.tasks.push(Task {
            // After every body task, as `wf run`'s rollback runs once the body has stopped: a
            // task still running in another branch of a `parallel` finishes before the undos.
            needs: (0..index).filter(|&i| self.tasks[i].role == Role::Body).collect(),
            reads,
            ..Task::new(name, "rollback", "rollback".to_owned(), Role::Rollback)
        });
        Some(index)
    }

    /// A rollback in `on failure` or `finally` would undo steps of other tasks after the
    /// rollback handler has run: reported.
    fn handler_rollbacks(&mut self) {
        for (i, step) in self.workflow.steps.iter().enumerate() {
            let rolls = rolls_back(self.workflow, StepIdx(i));
            let Some(&task) = self.owner.get(&StepIdx(i)).filter(|&&task| task != usize::MAX) else { continue };
            if !rolls || self.tasks[task].role == Role::Body {
                continue;
            }
            let elsewhere = self.workflow.steps.iter().enumerate().find(|(j, other)| {
                other.common.undo.is_some() && self.owner.get(&StepIdx(*j)).is_some_and(|&owner| owner != task)
            });
            if let Some((_, undo)) = elsewhere {
                self.errors.push(CompileError::Rollback {
                    target: self.target.name(),
                    unit: self.target.unit(),
                    span: step.span,
                    undo: undo.span,
                });
            }
        }
    }

    /// The report node: after every task, reading the usage of each.
    fn report(&mut self) {
        let all: Vec<usize> = (0..self.tasks.len()).collect();
        let name = self.unique("report");
        self.tasks.push(Task {
            needs: all.clone(),
            reads: all,
            ..Task::new(name, "report", "report".to_owned(), Role::Report)
        });
    }

    /// Fills in each task's `usage` (see [`Task::usage`]) once every task is known.
    fn usage_reads(&mut self) {
        for i in 0..self.tasks.len() {
            let task = &self.tasks[i];
            let plain = |&other: &usize| self.tasks[other].fan.is_none();
            let usage: Vec<usize> = match task.role {
                Role::Report => task.reads.clone(),
                Role::Rollback => task.reads.iter().copied().filter(plain).collect(),
                role => task
                    .needs
                    .iter()
                    .copied()
                    .filter(plain)
                    .filter(|&need| (self.tasks[need].role == Role::Body) == (role == Role::Body))
                    .collect(),
            };
            self.tasks[i].usage = usage;
        }
    }

    fn index_of(&self, step: &Step) -> usize {
        self.workflow.steps.iter().position(|other| std::ptr::eq(other, step)).unwrap_or(usize::MAX)
    }
}

/// What a person is asked before `step` runs.
fn question(step: &Step) -> String {
    match &step.kind {
        StepKind::Gate(Gate { approve: Some(approval), .. }) => approval.question.to_string(),
        _ if step.common.risk == crate::ir::Risk::High => format!("`{}` is a high-risk step: run it?", step.id),
        _ => format!("Run `{}`?", step.id),
    }
}

/// Whether a step or block of `workflow` rolls back on failure.
fn has_rollback(workflow: &Workflow) -> bool {
    let mut blocks = Vec::new();
    for node in workflow.body.iter().chain(&workflow.on_failure).chain(&workflow.finally) {
        rollback_blocks(node, &mut blocks);
    }
    !blocks.is_empty() || workflow.steps.iter().any(|step| step.common.on_failure == FailurePolicy::Rollback)
}

/// Whether a step in `node`'s subtree has an `undo`.
fn has_undo(node: &Node, workflow: &Workflow) -> bool {
    let mut inside = Vec::new();
    steps_in(node, &mut inside);
    inside.iter().any(|step| workflow.steps[step.0].common.undo.is_some())
}

/// Whether a failure of `step` (a step, or the step that names a block) rolls back.
pub fn rolls_back(workflow: &Workflow, step: StepIdx) -> bool {
    if workflow.steps.get(step.0).is_some_and(|s| s.common.on_failure == FailurePolicy::Rollback) {
        return true;
    }
    let mut blocks = Vec::new();
    for node in workflow.body.iter().chain(&workflow.on_failure).chain(&workflow.finally) {
        rollback_blocks(node, &mut blocks);
    }
    blocks.iter().any(|&(_, block)| block == step)
}

/// A phase or block that declares nothing the engine would have to enforce across tasks.
fn plain(control: &Control) -> bool {
    control.timeout.is_none() && control.budget.is_empty() && control.on_failure == FailurePolicy::Abort
}

/// Blocks with `on failure rollback`, by the step that names them (unnamed ones cannot be
/// found by owner and roll back inside their own task).
fn rollback_blocks(node: &Node, out: &mut Vec<(Span, StepIdx)>) {
    let (step, control, body): (Option<StepIdx>, Option<&Control>, Vec<&Node>) = match node {
        Node::Step(_) | Node::Fail { .. } => (None, None, Vec::new()),
        Node::Phase { step, body, control } => (Some(*step), Some(control), body.iter().collect()),
        Node::Parallel { step, body, control, .. }
        | Node::Repeat { step, body, control, .. }
        | Node::For { step, body, control, .. } => (*step, Some(control), body.iter().collect()),
        Node::If { branches, otherwise, .. } => {
            (None, None, branches.iter().flat_map(|branch| &branch.body).chain(otherwise).collect())
        }
    };
    if let (Some(step), Some(control)) = (step, control) {
        if control.on_failure == FailurePolicy::Rollback {
            out.push((Span::default(), step));
        }
    }
    for child in body {
        rollback_blocks(child, out);
    }
}

/// Every step and named block in `node`'s subtree.
pub fn steps_in(node: &Node, out: &mut Vec<StepIdx>) {
    match node {
        Node::Step(index) => out.push(*index),
        Node::Phase { step, body, .. } => {
            out.push(*step);
            body.iter().for_each(|child| steps_in(child, out));
        }
        Node::Parallel { step, body, .. } | Node::Repeat { step, body, .. } | Node::For { step, body, .. } => {
            out.extend(step.iter().copied());
            body.iter().for_each(|child| steps_in(child, out));
        }
        Node::If { branches, otherwise, .. } => {
            for child in branches.iter().flat_map(|branch| &branch.body).chain(otherwise) {
                steps_in(child, out);
            }
        }
        Node::Fail { .. } => {}
    }
}

/// Every step an expression in `json` (a serialised node or step) reads: `ExprKind::Step`
/// serialises as `{"Step": {"index": N, "id": …}}`, the only object of that shape.
fn step_refs(json: &serde_json::Value, out: &mut Vec<StepIdx>) {
    match json {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(inner)) = map.get("Step") {
                if let (Some(index), true) =
                    (inner.get("index").and_then(serde_json::Value::as_u64), inner.contains_key("id"))
                {
                    if let Ok(index) = usize::try_from(index) {
                        out.push(StepIdx(index));
                    }
                }
            }
            map.values().for_each(|value| step_refs(value, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| step_refs(item, out)),
        _ => {}
    }
}

/// The node at `path` (`body.2.0`) of `workflow`, as `wf step` finds it.
pub fn find<'a>(workflow: &'a Workflow, path: &str) -> Option<&'a Node> {
    let mut parts = path.split('.');
    let mut nodes: &[Node] = match parts.next()? {
        "body" => &workflow.body,
        "on_failure" => &workflow.on_failure,
        "finally" => &workflow.finally,
        _ => return None,
    };
    let mut found = None;
    while let Some(part) = parts.next() {
        let node = nodes.get(part.parse::<usize>().ok()?)?;
        found = Some(node);
        nodes = match node {
            Node::Phase { body, .. } | Node::Parallel { body, .. } => body,
            // After an `if`, a branch (the `else` is the one after the last), then a child of
            // its body: a branch alone is not a node.
            Node::If { branches, otherwise, .. } => match parts.next() {
                None => break,
                Some(branch) => {
                    found = None;
                    match branch.parse::<usize>().ok()? {
                        i if i < branches.len() => &branches[i].body,
                        i if i == branches.len() => otherwise,
                        _ => return None,
                    }
                }
            },
            _ => &[],
        };
    }
    found
}
