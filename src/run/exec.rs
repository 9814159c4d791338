//! The executor: walks a workflow's statement tree (spec §6), running steps through
//! [`super::step`], honouring bounds, timeouts, cancellation and failure policies.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{join_all, LocalBoxFuture};
use futures_util::stream::{self, StreamExt};
use indexmap::IndexMap;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::ir::eval::{count, duration, eval, render};
use crate::ir::{
    BlockKind, Bound, Control, Expr, FailurePolicy, Mode, Node, Program, StepIdx, Template, Value, Workflow, WorkflowId,
};

use super::budget::Purse;
use super::event::{Event, Observer, Status};
use super::record::{accepted, block_name, kind_name, millis, now_ms};
use super::redact::Secrets;
use super::replay::Replay;
use super::scope::{block_value, step_value, Costs, Frame, Scope};
use super::terminal::Terminal;
use super::Options;
use crate::journal::{
    Answer, AskKind, DecisionRow, DecisionWrite, Journal, LedgerEntry, PollRecord, StepWrite, Transition,
};

/// How running a statement ended.
#[derive(Debug, Clone)]
pub enum Flow {
    Done,
    Failed(Failure),
    Paused(Pause),
    /// Stopped from outside: Ctrl-C, a sibling's failure, an enclosing timeout.
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub key: String,
    pub message: String,
    /// `rollback`: undo every completed step and fail the run; no `continue` stops it.
    pub rollback: bool,
}

#[derive(Debug, Clone)]
pub struct Pause {
    pub key: String,
    /// What the run waits for.
    pub kind: AskKind,
    pub reason: String,
    /// The command that continues it.
    pub hint: String,
}

/// One workflow being run: the root, or a called one.
pub struct WfCx<'p> {
    pub id: WorkflowId,
    pub workflow: &'p Workflow,
    pub args: IndexMap<String, Value>,
    /// Prepended to step ids: `""` at the root, `deploy/` inside the call `deploy`.
    pub prefix: String,
    /// The workflow's `env`, evaluated when it started.
    pub env: Vec<(String, String)>,
    pub shell: Vec<String>,
}

/// Where a statement runs.
#[derive(Clone)]
pub struct Cx<'p> {
    pub wf: Rc<WfCx<'p>>,
    pub frame: Rc<Frame>,
    pub cancel: CancellationToken,
    pub costs: Rc<Costs>,
    /// The innermost budget being spent.
    pub purse: Rc<Purse>,
    /// Whether journaled results may be reused here (not in handlers, not under a re-run call).
    pub reusable: bool,
}

impl<'p> Cx<'p> {
    pub fn key_of(&self, index: StepIdx) -> String {
        format!("{}{}{}", self.wf.prefix, self.wf.workflow.steps[index.0].id, self.frame.suffix)
    }
}

/// A completed step's compensation, kept for `rollback`.
pub struct Undo<'p> {
    pub key: String,
    pub command: &'p Template,
    pub cx: Cx<'p>,
    pub index: StepIdx,
}

pub struct Runner<'p> {
    pub program: &'p Program,
    pub journal: &'p Journal,
    pub run_id: String,
    pub options: &'p Options,
    pub observers: Vec<Box<dyn Observer + 'p>>,
    /// The workflow file's folder: commands run there, `dir` is relative to it.
    pub base_dir: PathBuf,
    pub mode: Mode,
    pub replay: Replay,
    /// Calls of each agent step so far (attempts and iterations), for `--sim` scenarios.
    pub invocations: RefCell<HashMap<String, usize>>,
    pub undo: RefCell<Vec<Undo<'p>>>,
    /// The run-wide `concurrency` limit on commands and agent calls.
    pub concurrency: Option<Semaphore>,
    pub root: CancellationToken,
    pub interrupted: Cell<bool>,
    pub journal_failed: RefCell<Option<String>>,
    pub started: Instant,
    /// The run's secrets: given to commands, masked in everything journaled or shown.
    pub secrets: Secrets,
    /// The provider of every agent step, resolved before the run started.
    pub agents: crate::agent::Table,
    /// Questions asked of people in this run, as the journal held them when it started.
    pub decisions: RefCell<Vec<DecisionRow>>,
    /// The terminal to ask at, when wf runs at one.
    pub terminal: Option<Terminal>,
    /// Budgets (by scope and resource) whose warning was already given.
    pub warned: HashSet<(String, String)>,
    /// Phase and call budgets raised with `--budget NAME=AMOUNT`, by key.
    pub raised: std::collections::BTreeMap<String, crate::cost::Budget>,
    /// The workflow file as people name it, and its text: run-time errors in expressions of
    /// its workflows say where they are (`flow.wf:3:10`).
    pub source: Option<(String, String)>,
    /// Transitions staged in the journal and not committed yet (see [`Runner::flush`]).
    pub staged: Cell<bool>,
    /// Events of staged transitions, and those that came after them: shown once committed.
    pub unshown: RefCell<Vec<(i64, Event)>>,
    /// Commits of staged transitions so far, and the steps waiting for the next one.
    pub commits: Cell<u64>,
    pub waiting: Cell<usize>,
    pub committed: tokio::sync::Notify,
}

impl<'p> Runner<'p> {
    /// Journals an event (with the step's new state and ledger amounts) and shows it. A
    /// journal that cannot be written stops the run: going on would lose its state.
    pub fn emit(&self, event: Event, step: Option<&StepWrite<'_>>, ledger: &[LedgerEntry]) -> Result<(), Flow> {
        self.commit(event, step, ledger, None)
    }

    /// [`Runner::emit`], with what the transition does to a question asked of a person.
    pub fn commit(
        &self,
        event: Event,
        step: Option<&StepWrite<'_>>,
        ledger: &[LedgerEntry],
        decision: Option<&DecisionWrite<'_>>,
    ) -> Result<(), Flow> {
        self.transition(event, step, ledger, decision, None)
    }

    /// A `watch`'s poll: its event and its row of the `polls` table, in one transaction.
    pub fn commit_poll(&self, event: Event, poll: &PollRecord) -> Result<(), Flow> {
        let redactor = self.secrets.redactor();
        let poll = PollRecord {
            value: poll.value.clone().map(|value| redactor.value(value)),
            error: poll.error.as_ref().map(|error| redactor.text(error).into_owned()),
            ..poll.clone()
        };
        self.transition(event, None, &[], None, Some(&poll))
    }

    fn transition(
        &self,
        event: Event,
        step: Option<&StepWrite<'_>>,
        ledger: &[LedgerEntry],
        decision: Option<&DecisionWrite<'_>>,
        poll: Option<&PollRecord>,
    ) -> Result<(), Flow> {
        // The one way into the journal and onto the screen: secrets end here.
        let event = self.secrets.redactor().event(event);
        let masked = self.secrets.redactor().write(step, decision);
        let (step, decision) = (masked.step(), masked.decision());
        let (step, decision) = (step.as_ref(), decision.as_ref());
        let at = now_ms();
        // What the run did before its next wait, or before the next step's process starts,
        // is committed in one transaction: a step's end, the next one's start, a block's
        // start and end, siblings' ends. Nothing staged is shown or acted on before it is
        // committed, so a crash loses only what nobody saw; everything else is committed now.
        let staged = matches!(
            event,
            Event::StepStarted { .. }
                | Event::StepFinished { .. }
                | Event::StepSkipped { .. }
                | Event::BlockStarted { .. }
                | Event::BlockFinished { .. }
                | Event::Iteration { .. }
        );
        // Output lines are too many to keep, and a reused step changes nothing: the journal
        // already holds its record (resuming 10,000 steps must not write 10,000 rows).
        if !matches!(event, Event::Output { .. } | Event::AgentProgress { .. } | Event::StepReused { .. }) {
            let data = serde_json::to_value(&event).unwrap_or(serde_json::Value::Null);
            let transition = Transition {
                run: &self.run_id,
                at,
                kind: event.kind(),
                key: event.key(),
                data: &data,
                step,
                ledger,
                decision,
                poll,
            };
            let written = self.journal.stage(&transition);
            if written.is_ok() {
                self.staged.set(true);
            }
            if let Err(error) = written.and_then(|()| if staged { Ok(()) } else { self.commit_staged() }) {
                self.journal_failed.borrow_mut().get_or_insert_with(|| error.to_string());
                self.root.cancel();
                return Err(Flow::Failed(Failure {
                    key: event.key().unwrap_or("run").to_owned(),
                    message: format!("{error}"),
                    rollback: false,
                }));
            }
        }
        let mut unshown = self.unshown.borrow_mut();
        if staged || !unshown.is_empty() {
            unshown.push((at, event));
        } else {
            drop(unshown);
            for observer in &self.observers {
                observer.event(at, &event);
            }
        }
        Ok(())
    }

    /// Commits the staged transitions and shows their events. A journal that cannot commit
    /// stops the run, as one that cannot write does.
    pub fn flush(&self) {
        if let Err(error) = self.commit_staged() {
            self.journal_failed.borrow_mut().get_or_insert_with(|| error.to_string());
            self.root.cancel();
            self.unshown.borrow_mut().clear();
        }
    }

    fn commit_staged(&self) -> Result<(), crate::journal::JournalError> {
        if self.staged.replace(false) {
            let committed = self.journal.flush();
            self.commits.set(self.commits.get() + 1);
            self.committed.notify_waiters();
            committed?;
        }
        let unshown = std::mem::take(&mut *self.unshown.borrow_mut());
        for (at, event) in &unshown {
            for observer in &self.observers {
                observer.event(*at, event);
            }
        }
        Ok(())
    }

    /// Waits until what is staged now is committed: before a step's process starts, its
    /// start is in the journal. The run's loop commits when every step that can go on has
    /// (`run::until_idle`), so siblings starting together share one commit.
    pub async fn durable(&self) {
        if !self.staged.get() {
            return;
        }
        /// Counts the step among the waiting for as long as it waits (its future may be dropped).
        struct Waiting<'a>(&'a Cell<usize>);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.set(self.0.get() - 1);
            }
        }
        let after = self.commits.get();
        self.waiting.set(self.waiting.get() + 1);
        let _waiting = Waiting(&self.waiting);
        loop {
            let next = self.committed.notified();
            if self.commits.get() > after {
                return;
            }
            next.await;
        }
    }

    pub fn scope<'a>(&'a self, cx: &'a Cx<'p>) -> Scope<'a> {
        Scope { workflow: cx.wf.workflow, args: &cx.wf.args, frame: &cx.frame, env: self.secrets.environment() }
    }

    pub fn eval(&self, expr: &Expr, cx: &Cx<'p>, what: &str) -> Result<Value, String> {
        eval(expr, &self.scope(cx)).map_err(|error| match self.place(expr.span, cx) {
            Some(place) => format!("{what} at {place}: {error}"),
            None => format!("{what}: {error}"),
        })
    }

    /// `FILE:LINE:COLUMN` of `span` in the workflow file, for a workflow of that file (a
    /// module's workflow is named by its steps' keys instead).
    pub fn place(&self, span: crate::span::Span, cx: &Cx<'p>) -> Option<String> {
        let (name, text) = self.source.as_ref().filter(|_| cx.wf.workflow.module.is_none())?;
        let before = text.get(..span.start)?;
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        Some(format!("{name}:{line}:{column}"))
    }

    pub fn render(&self, template: &Template, cx: &Cx<'p>, what: &str) -> Result<String, String> {
        render(template, &self.scope(cx)).map_err(|error| format!("{what}: {error}"))
    }

    /// A wait or timeout, read with the run's arguments as `wf cost` reads it.
    pub fn duration(&self, expr: Option<&Expr>, cx: &Cx<'p>, what: &str) -> Result<Option<Duration>, String> {
        expr.map(|expr| duration(expr, &self.scope(cx)).map(Duration::from_millis))
            .transpose()
            .map_err(|error| format!("{what}: {error}"))
    }

    /// A retry count or loop bound, read with the run's arguments as `wf cost` reads it.
    pub fn bound(&self, bound: &Bound, cx: &Cx<'p>, what: &str) -> Result<u64, String> {
        count(bound, &self.scope(cx)).map_err(|error| format!("{what}: {error}"))
    }

    /// Runs the root workflow, or a called one, with its handlers. `handlers` is the token
    /// handlers run under: the run's own timeout does not cut them short.
    pub fn workflow<'a>(&'a self, cx: Cx<'p>, handlers: CancellationToken) -> LocalBoxFuture<'a, Flow> {
        Box::pin(async move {
            let workflow = cx.wf.workflow;
            let limit = match self.duration(workflow.timeout.as_ref(), &cx, "the workflow's timeout") {
                Ok(limit) => limit,
                Err(message) => return Flow::Failed(Failure { key: workflow.name.clone(), message, rollback: false }),
            };
            let body_token = cx.cancel.child_token();
            let body_cx = Cx { cancel: body_token.clone(), ..cx.clone() };
            let mut flow = {
                let body = pin!(self.nodes(&workflow.body, &body_cx));
                with_limit(body, limit, &body_token).await
            };
            if let (Some(limit), Flow::Cancelled) = (limit, &flow) {
                if !handlers.is_cancelled() {
                    let message = format!(
                        "the workflow `{}` timed out after {}",
                        workflow.name,
                        humantime::format_duration(limit)
                    );
                    flow = Flow::Failed(Failure { key: workflow.name.clone(), message, rollback: false });
                }
            }
            let handler_cx = Cx { cancel: handlers.clone(), reusable: false, ..cx.clone() };
            if let Flow::Failed(failure) = &flow {
                if failure.rollback {
                    self.rollback(&handlers).await;
                }
                if !workflow.on_failure.is_empty() {
                    let handled = self.nodes(&workflow.on_failure, &handler_cx).await;
                    if let Flow::Cancelled = handled {
                        flow = Flow::Cancelled;
                    }
                }
            }
            if matches!(flow, Flow::Done | Flow::Failed(_)) && !workflow.finally.is_empty() {
                let last = self.nodes(&workflow.finally, &handler_cx).await;
                if !matches!(last, Flow::Done) && matches!(flow, Flow::Done) {
                    flow = last;
                }
            }
            flow
        })
    }

    pub fn nodes<'a>(&'a self, nodes: &'p [Node], cx: &'a Cx<'p>) -> LocalBoxFuture<'a, Flow> {
        Box::pin(async move {
            for node in nodes {
                if cancelled(cx).await {
                    return Flow::Cancelled;
                }
                let flow = self.node(node, cx).await;
                if !matches!(flow, Flow::Done) {
                    return flow;
                }
            }
            Flow::Done
        })
    }

    async fn node(&self, node: &'p Node, cx: &Cx<'p>) -> Flow {
        match node {
            Node::Step(index) => self.step(*index, cx).await,
            Node::Phase { step, control, .. } => self.block(Some(*step), BlockKind::Phase, control, node, cx).await,
            Node::Parallel { step, control, .. } => self.block(*step, BlockKind::Parallel, control, node, cx).await,
            Node::Repeat { step, control, .. } => self.block(*step, BlockKind::Repeat, control, node, cx).await,
            Node::For { step, control, .. } => self.block(*step, BlockKind::For, control, node, cx).await,
            Node::If { branches, otherwise, .. } => {
                let chosen = match crate::ir::eval::branch(branches, &self.scope(cx)) {
                    Ok(chosen) => chosen,
                    Err((cond, error)) => {
                        let what = "an `if` condition";
                        let message = match self.place(cond.span, cx) {
                            Some(place) => format!("{what} at {place}: {error}"),
                            None => format!("{what}: {error}"),
                        };
                        return Flow::Failed(Failure { key: "if".into(), message, rollback: false });
                    }
                };
                for (i, branch) in branches.iter().enumerate() {
                    if Some(i) != chosen {
                        if let Err(flow) = self.skip(&branch.body, cx) {
                            return flow;
                        }
                    }
                }
                match chosen {
                    Some(i) => {
                        if let Err(flow) = self.skip(otherwise, cx) {
                            return flow;
                        }
                        self.nodes(&branches[i].body, cx).await
                    }
                    None => self.nodes(otherwise, cx).await,
                }
            }
            Node::Fail { message, .. } => {
                let message = self.render(message, cx, "the `fail` message").unwrap_or_else(|error| error);
                Flow::Failed(Failure { key: "fail".into(), message, rollback: false })
            }
        }
    }

    /// Records every step of a branch not taken as skipped.
    fn skip(&self, nodes: &[Node], cx: &Cx<'p>) -> Result<(), Flow> {
        for node in nodes {
            let (named, children): (Option<StepIdx>, Vec<&[Node]>) = match node {
                Node::Step(index) => (Some(*index), vec![]),
                Node::Phase { step, body, .. } => (Some(*step), vec![body]),
                Node::Parallel { step, body, .. } | Node::Repeat { step, body, .. } | Node::For { step, body, .. } => {
                    (*step, vec![body])
                }
                Node::If { branches, otherwise, .. } => {
                    (None, branches.iter().map(|branch| branch.body.as_slice()).chain([otherwise.as_slice()]).collect())
                }
                Node::Fail { .. } => (None, vec![]),
            };
            if let Some(index) = named {
                let step = &cx.wf.workflow.steps[index.0];
                let key = cx.key_of(index);
                let value = step_value(step, Status::Skipped);
                cx.frame.set(index, value.clone());
                let at = now_ms();
                let write = StepWrite {
                    key: &key,
                    step_id: &step.id,
                    kind: kind_name(step),
                    hash: &step.hash,
                    status: Status::Skipped.as_str(),
                    accepted: true,
                    attempts: 0,
                    started_at: at,
                    ended_at: Some(at),
                    value: Some(&value),
                    error: None,
                };
                let reason = "its `if` branch was not taken".to_owned();
                self.emit(Event::StepSkipped { key: key.clone(), reason }, Some(&write), &[])?;
            }
            for body in children {
                self.skip(body, cx)?;
            }
        }
        Ok(())
    }

    /// A block, and what a person decides when its failure escalates.
    async fn block(
        &self,
        named: Option<StepIdx>,
        kind: BlockKind,
        control: &'p Control,
        node: &'p Node,
        cx: &Cx<'p>,
    ) -> Flow {
        let key = named.map(|index| cx.key_of(index));
        let label = key.clone().unwrap_or_else(|| format!("{} block", block_name(kind)));
        let step = named.map(|index| &cx.wf.workflow.steps[index.0]);
        let record = key
            .as_deref()
            .and_then(|key| self.replay.record(key))
            .filter(|record| step.is_some_and(|step| record.hash == step.hash) && cx.reusable);
        // Skipped after it escalated, in an earlier process: the run went on past it.
        if let (Some(index), Some(record)) = (named, record) {
            if record.accepted && record.status != Status::Succeeded.as_str() {
                if let Some(value) = key.as_deref().and_then(|key| self.replay.value(key)) {
                    cx.frame.set(index, value);
                }
                return Flow::Done;
            }
        }
        let mut pending = self.open_question(&label, AskKind::Escalation).map(|open| open.question);
        loop {
            let reason = match pending.take() {
                Some(reason) => reason,
                None => match self.block_once(named, kind, control, node, &key, &label, cx).await {
                    Flow::Paused(pause) if pause.kind == AskKind::Escalation && pause.key == label => pause.reason,
                    flow => return flow,
                },
            };
            let value = match (named, record) {
                (Some(index), _) if cx.frame.get(index).is_some() => cx.frame.get(index),
                (_, Some(_)) => key.as_deref().and_then(|key| self.replay.value(key)),
                _ => None,
            }
            .unwrap_or_else(|| block_value(kind, false, 0, 0, 0));
            let skipped = step.map(|step| accepted(step, &label, &value, Some(&reason)));
            match self.escalate(&label, &reason, skipped.as_ref(), cx).await {
                Ok(Answer::Retry) => {}
                Ok(Answer::Skip) => return Flow::Done,
                Ok(_) => return Flow::Failed(Failure { key: label, message: reason, rollback: false }),
                Err(flow) => return flow,
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn block_once(
        &self,
        named: Option<StepIdx>,
        kind: BlockKind,
        control: &'p Control,
        node: &'p Node,
        key: &Option<String>,
        label: &str,
        cx: &Cx<'p>,
    ) -> Flow {
        let (key, label) = (key.clone(), label.to_owned());
        let started = Instant::now();
        let started_at = now_ms();
        let token = cx.cancel.child_token();
        let purse = match &key {
            Some(key) => self.purse_for(&cx.purse, key, &control.budget, &self.scope(cx)),
            None => cx.purse.clone(),
        };
        let inner = Cx { cancel: token.clone(), costs: Costs::child(&cx.costs), purse, ..cx.clone() };
        if let Some(key) = &key {
            if let Err(flow) = self.emit(Event::BlockStarted { key: key.clone(), kind: block_name(kind) }, None, &[]) {
                return flow;
            }
        }
        let limit = match self.duration(control.timeout.as_ref(), cx, &format!("the timeout of {label}")) {
            Ok(limit) => limit,
            Err(message) => return Flow::Failed(Failure { key: label, message, rollback: false }),
        };
        let iterations = Cell::new(0u64);
        let mut flow = {
            let body = pin!(self.block_body(node, &inner, &iterations));
            with_limit(body, limit, &token).await
        };
        let mut status = match flow {
            Flow::Done => Status::Succeeded,
            Flow::Cancelled => Status::Cancelled,
            _ => Status::Failed,
        };
        if let (Some(limit), Flow::Cancelled) = (limit, &flow) {
            if !cx.cancel.is_cancelled() {
                status = Status::TimedOut;
                let message = format!("{label} timed out after {}", humantime::format_duration(limit));
                flow = Flow::Failed(Failure { key: label.clone(), message, rollback: false });
            }
        }
        if let Flow::Failed(failure) = &flow {
            if !failure.rollback {
                let failure = match control.on_failure {
                    // The block escalates as a whole: the question is about it.
                    FailurePolicy::Escalate { .. } => Failure { key: label.clone(), ..failure.clone() },
                    _ => failure.clone(),
                };
                flow = self.apply_policy(&control.on_failure, failure, cx);
            }
        }
        if let (Some(index), Some(key)) = (named, &key) {
            let duration_ms = millis(started.elapsed());
            let ok = status == Status::Succeeded;
            let value = block_value(kind, ok, inner.costs.micros(), duration_ms, iterations.get());
            cx.frame.set(index, value.clone());
            let step = &cx.wf.workflow.steps[index.0];
            let write = StepWrite {
                key,
                step_id: &step.id,
                kind: block_name(kind),
                hash: &step.hash,
                status: status.as_str(),
                accepted: ok,
                attempts: 1,
                started_at,
                ended_at: Some(now_ms()),
                value: Some(&value),
                error: None,
            };
            let iterations = (kind == BlockKind::Repeat).then(|| iterations.get());
            let event = Event::BlockFinished { key: key.clone(), kind: block_name(kind), ok, duration_ms, iterations };
            if let Err(journal) = self.emit(event, Some(&write), &[]) {
                return journal;
            }
        }
        flow
    }

    /// The purse a phase or call with `budget` spends from: a new one inside `parent` when
    /// it declares a budget (or `--budget KEY=…` raised one), else `parent`.
    /// `env` reads a budget that depends on parameters: the arguments of the workflow it is in.
    pub fn purse_for(
        &self,
        parent: &Rc<Purse>,
        key: &str,
        budget: &crate::ir::Budget,
        env: &dyn crate::ir::eval::Env,
    ) -> Rc<Purse> {
        let mut limits = crate::cost::Budget::from_ir(budget, env);
        if let Some(raised) = self.raised.get(key) {
            limits = raise(&limits, raised);
        }
        if limits.money.is_none() && limits.tokens.is_none() {
            return parent.clone();
        }
        // On a resume, what was spent under it before counts.
        let prior = if self.replay.is_empty() {
            (0, 0)
        } else {
            match self.journal.spent_under(&self.run_id, key) {
                Ok(prior) => prior,
                Err(error) => {
                    self.journal_failed.borrow_mut().get_or_insert_with(|| error.to_string());
                    (0, 0)
                }
            }
        };
        let warned = |resource: &str| self.warned.contains(&(key.to_owned(), resource.to_owned()));
        Purse::child(parent, key.to_owned(), limits, prior, (warned("money"), warned("tokens")))
    }

    /// What a failure does under a policy, once retries are spent.
    pub fn apply_policy(&self, policy: &FailurePolicy, failure: Failure, cx: &Cx<'p>) -> Flow {
        match policy {
            FailurePolicy::Abort => Flow::Failed(failure),
            FailurePolicy::Continue => Flow::Done,
            FailurePolicy::Rollback => Flow::Failed(Failure { rollback: true, ..failure }),
            FailurePolicy::Escalate { message } => {
                let note = message
                    .as_ref()
                    .and_then(|message| self.render(message, cx, "the escalation message").ok())
                    .unwrap_or_else(|| failure.message.clone());
                let reason = if note == failure.message { note } else { format!("{note} ({})", failure.message) };
                // The step or block that escalated puts the question (super::step, `block`).
                Flow::Paused(Pause { key: failure.key.clone(), kind: AskKind::Escalation, reason, hint: String::new() })
            }
        }
    }

    async fn block_body(&self, node: &'p Node, cx: &Cx<'p>, iterations: &Cell<u64>) -> Flow {
        match node {
            Node::Phase { body, .. } => self.nodes(body, cx).await,
            Node::Parallel { max, body, .. } => {
                let limit = match max.as_ref().map(|max| self.bound(max, cx, "the `parallel` bound")).transpose() {
                    Ok(limit) => limit,
                    Err(message) => return Flow::Failed(Failure { key: "parallel".into(), message, rollback: false }),
                };
                let children: Vec<(Cx<'p>, &'p [Node])> =
                    body.iter().map(|child| (cx.clone(), std::slice::from_ref(child))).collect();
                self.concurrently(children, limit, cx).await
            }
            Node::Repeat { step, max, until, body, .. } => {
                let name = step.map_or_else(|| "repeat".to_owned(), |index| cx.key_of(index));
                let max = match self.bound(max, cx, "the `repeat` bound") {
                    Ok(max) => max,
                    Err(message) => return Flow::Failed(Failure { key: name, message, rollback: false }),
                };
                for index in 1..=max {
                    if cancelled(cx).await {
                        return Flow::Cancelled;
                    }
                    iterations.set(index);
                    if let Err(flow) = self.emit(Event::Iteration { key: name.clone(), index }, None, &[]) {
                        return flow;
                    }
                    let frame = Frame::repeat_iteration(&cx.frame, index);
                    let iteration = Cx { frame, ..cx.clone() };
                    let flow = self.nodes(body, &iteration).await;
                    if !matches!(flow, Flow::Done) {
                        return flow;
                    }
                    if let Some(until) = until {
                        match self.eval(until, &iteration, "the `until` condition") {
                            Ok(Value::Bool(true)) => return Flow::Done,
                            Ok(_) => {}
                            Err(message) => return Flow::Failed(Failure { key: name, message, rollback: false }),
                        }
                    }
                }
                match until {
                    Some(_) => Flow::Failed(Failure {
                        key: name.clone(),
                        message: format!("`{name}` ran {} and its `until` condition never held", times(max)),
                        rollback: false,
                    }),
                    None => Flow::Done,
                }
            }
            Node::For { step, index: position, var, iter, parallel, body, .. } => {
                let name = step.map_or_else(|| "for".to_owned(), |index| cx.key_of(index));
                let items = match self.eval(iter, cx, "the `for` list") {
                    Ok(Value::List(items)) => items,
                    Ok(other) => {
                        let message = format!("the `for` list is {other}, not a list");
                        return Flow::Failed(Failure { key: name, message, rollback: false });
                    }
                    Err(message) => return Flow::Failed(Failure { key: name, message, rollback: false }),
                };
                iterations.set(items.len() as u64);
                let frames: Vec<Cx<'p>> = items
                    .into_iter()
                    .zip(1..)
                    .map(|(item, index)| Cx {
                        frame: Frame::for_iteration(&cx.frame, index, var, item, position.as_deref()),
                        ..cx.clone()
                    })
                    .collect();
                match parallel {
                    None => {
                        for iteration in &frames {
                            if cancelled(cx).await {
                                return Flow::Cancelled;
                            }
                            let flow = self.nodes(body, iteration).await;
                            if !matches!(flow, Flow::Done) {
                                return flow;
                            }
                        }
                        Flow::Done
                    }
                    Some(max) => {
                        let limit =
                            match max.as_ref().map(|max| self.bound(max, cx, "the `parallel` bound")).transpose() {
                                Ok(limit) => limit,
                                Err(message) => return Flow::Failed(Failure { key: name, message, rollback: false }),
                            };
                        let children = frames.into_iter().map(|frame| (frame, body.as_slice())).collect();
                        self.concurrently(children, limit, cx).await
                    }
                }
            }
            Node::Step(_) | Node::If { .. } | Node::Fail { .. } => Flow::Done,
        }
    }

    /// Runs children at once, at most `limit` at a time. A failure cancels the children
    /// still running and those not started; a pause lets the others finish.
    async fn concurrently(&self, children: Vec<(Cx<'p>, &'p [Node])>, limit: Option<u64>, cx: &Cx<'p>) -> Flow {
        let group = cx.cancel.child_token();
        let runs = children.into_iter().map(|(child, nodes)| {
            let child = Cx { cancel: group.clone(), ..child };
            let group = &group;
            async move {
                if group.is_cancelled() {
                    return Flow::Cancelled;
                }
                let flow = self.nodes(nodes, &child).await;
                if let Flow::Failed(_) = flow {
                    group.cancel();
                }
                flow
            }
        });
        // With a bound, only `limit` children exist at once: 10,000 iterations under
        // `max 64` hold 64 futures, not 10,000.
        let flows: Vec<Flow> = match limit {
            Some(limit) => {
                let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
                stream::iter(runs).buffer_unordered(limit).collect().await
            }
            None => join_all(runs).await,
        };
        let failed = flows.iter().find(|flow| matches!(flow, Flow::Failed(_)));
        let paused = flows.iter().find(|flow| matches!(flow, Flow::Paused(_)));
        let cancelled = flows.iter().any(|flow| matches!(flow, Flow::Cancelled));
        match (failed, paused) {
            (Some(failed), _) => failed.clone(),
            (None, Some(paused)) => paused.clone(),
            (None, None) if cancelled => Flow::Cancelled,
            (None, None) => Flow::Done,
        }
    }

    /// Runs the `undo` command of every completed step, newest first, each journaled. A
    /// failing undo is recorded and the others still run.
    async fn rollback(&self, cancel: &CancellationToken) {
        let entries: Vec<Undo<'p>> = std::mem::take(&mut *self.undo.borrow_mut());
        for entry in entries.into_iter().rev() {
            if cancel.is_cancelled() {
                return;
            }
            let (status, error) = self.undo_one(&entry, cancel).await;
            let _ = self.emit(Event::Undo { key: entry.key.clone(), status, error }, None, &[]);
        }
    }
}

/// A cancellation point: lets the runtime run everything else that is ready — the signal
/// handlers among them — then says whether the statement must stop. Gates, reused steps and
/// empty bodies finish without ever waiting; without this, a loop of them would hold the one
/// thread and Ctrl-C would never be seen.
async fn cancelled(cx: &Cx<'_>) -> bool {
    tokio::task::yield_now().await;
    cx.cancel.is_cancelled()
}

/// Runs `body`; when `limit` passes first, cancels `token` and waits for the body to wind
/// down (its steps end their processes), which then reports `Cancelled`.
async fn with_limit<F: std::future::Future<Output = Flow>>(
    mut body: std::pin::Pin<&mut F>,
    limit: Option<Duration>,
    token: &CancellationToken,
) -> Flow {
    match limit {
        None => body.await,
        Some(limit) => {
            tokio::select! {
                flow = &mut body => flow,
                () = tokio::time::sleep(limit) => {
                    token.cancel();
                    body.await;
                    Flow::Cancelled
                }
            }
        }
    }
}

/// How often something ran, as said: "once", "twice", "3 times".
pub fn times(count: u64) -> String {
    match count {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        _ => format!("{count} times"),
    }
}

/// `limits` with the amounts of `raised` in place of its own (their `warn at` kept).
pub fn raise(limits: &crate::cost::Budget, raised: &crate::cost::Budget) -> crate::cost::Budget {
    let mut out = limits.clone();
    if let Some(money) = raised.money {
        out.money = Some(crate::cost::BudgetLimit {
            amount: money.amount,
            warn_at: limits.money.and_then(|limit| limit.warn_at).or(money.warn_at),
        });
    }
    if let Some(tokens) = raised.tokens {
        out.tokens = Some(crate::cost::BudgetLimit {
            amount: tokens.amount,
            warn_at: limits.tokens.and_then(|limit| limit.warn_at).or(tokens.warn_at),
        });
    }
    out
}
