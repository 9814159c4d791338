//! One step from start to end: reuse on resume, approval, attempts with retry and backoff,
//! the journaled transitions, and what its failure policy makes of the outcome.

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::args::default_value;
use crate::ir::{
    Agent, Call, CheckLevel, Gate, Mode, RetryOn, Risk, Run, Step, StepIdx, StepKind, Stream, Value, Watch,
};

use super::ask::Question;
use super::budget::{Admission, Reservation, Warning};
use super::event::{Event, FailureKind, Status};
use super::exec::{Cx, Failure, Flow, Runner, Undo, WfCx};
use super::output::read_output;
use super::record::{accepted, kind_name, millis, now_ms};
use super::replay::{Decision, Recorded};
use super::scope::{base_fields, kind_fields, step_value, Costs, Frame};
use super::shell::render_command;
use super::watch::{End, Polled};
use crate::agent::{self, Request};
use crate::journal::{Answer, AskKind, Exchange, Given, How, LedgerEntry, StepWrite};
use crate::process::{self as command, Ending};

/// What an answer streaming in shows: its tokens so far on the live tree (at most four
/// times a second) and, with `--verbose`, its text line by line.
struct Streaming<'r, 'p> {
    runner: &'r Runner<'p>,
    key: &'r str,
    line: std::cell::RefCell<String>,
    tokens: std::cell::Cell<u64>,
    shown: std::cell::Cell<Option<Instant>>,
}

impl<'r, 'p> Streaming<'r, 'p> {
    fn new(runner: &'r Runner<'p>, key: &'r str) -> Self {
        Streaming { runner, key, line: Default::default(), tokens: Default::default(), shown: Default::default() }
    }

    fn tell(&self, progress: agent::Progress<'_>) {
        match progress {
            agent::Progress::Text(text) if self.runner.options.verbose => {
                let mut line = self.line.borrow_mut();
                line.push_str(text);
                while let Some(end) = line.find('\n') {
                    let done: String = line.drain(..=end).collect();
                    self.output(done.trim_end_matches('\n'));
                }
            }
            agent::Progress::Text(_) => {}
            agent::Progress::Tokens(tokens) => {
                self.tokens.set(tokens);
                let due = self.shown.get().is_none_or(|shown| shown.elapsed() >= Duration::from_millis(250));
                if due {
                    self.shown.set(Some(Instant::now()));
                    let _ = self.runner.emit(Event::AgentProgress { key: self.key.to_owned(), tokens }, None, &[]);
                }
            }
        }
    }

    fn output(&self, line: &str) {
        let event = Event::Output { key: self.key.to_owned(), stream: "agent", line: line.to_owned() };
        let _ = self.runner.emit(event, None, &[]);
    }

    /// The rest of the text, and the last count.
    fn finish(&self) {
        let rest = std::mem::take(&mut *self.line.borrow_mut());
        if !rest.is_empty() {
            self.output(&rest);
        }
        if self.shown.get().is_some() {
            let _ = self.runner.emit(
                Event::AgentProgress { key: self.key.to_owned(), tokens: self.tokens.get() },
                None,
                &[],
            );
        }
    }
}

/// What one attempt produced.
struct Attempt {
    status: Status,
    failure: Option<(FailureKind, String)>,
    fields: IndexMap<String, Value>,
    micros: i64,
    tokens: u64,
    ledger: Vec<LedgerEntry>,
    stderr_tail: Option<String>,
    /// How long the provider asked to wait before a retry (`Retry-After`).
    retry_after: Option<Duration>,
}

impl Attempt {
    fn ok(fields: IndexMap<String, Value>) -> Attempt {
        Attempt {
            status: Status::Succeeded,
            failure: None,
            fields,
            micros: 0,
            tokens: 0,
            ledger: Vec::new(),
            stderr_tail: None,
            retry_after: None,
        }
    }

    fn failed(kind: FailureKind, reason: String) -> Attempt {
        let status = match kind {
            FailureKind::Timeout => Status::TimedOut,
            FailureKind::Cancelled => Status::Cancelled,
            _ => Status::Failed,
        };
        Attempt { status, failure: Some((kind, reason)), ..Attempt::ok(IndexMap::new()) }
    }
}

impl<'p> Runner<'p> {
    pub async fn step(&self, index: StepIdx, cx: &Cx<'p>) -> Flow {
        let step = &cx.wf.workflow.steps[index.0];
        let key = cx.key_of(index);
        // An escalation still open when the run stopped, or answered since with `wf approve`.
        if let Some(open) = self.open_question(&key, AskKind::Escalation) {
            if self.replay.record(&key).is_some_and(|record| record.hash == step.hash) {
                let value = self.replay.value(&key).unwrap_or_else(|| step_value(step, Status::Failed));
                let skipped = accepted(step, &key, &value, Some(&open.question));
                match self.escalate(&key, &open.question, Some(&skipped), cx).await {
                    Ok(Answer::Retry) => {}
                    Ok(Answer::Skip) => {
                        cx.frame.set(index, value);
                        return Flow::Done;
                    }
                    Ok(_) => return Flow::Failed(Failure { key, message: open.question, rollback: false }),
                    Err(flow) => return flow,
                }
            }
        }
        loop {
            let flow = self.step_once(index, step, &key, cx).await;
            let Flow::Paused(pause) = &flow else { return flow };
            if pause.kind != AskKind::Escalation || pause.key != key {
                return flow;
            }
            let value = cx.frame.get(index).unwrap_or_else(|| step_value(step, Status::Failed));
            let skipped = accepted(step, &key, &value, Some(&pause.reason));
            match self.escalate(&key, &pause.reason, Some(&skipped), cx).await {
                Ok(Answer::Retry) => {}
                Ok(Answer::Skip) => return Flow::Done,
                Ok(_) => return Flow::Failed(Failure { key, message: pause.reason.clone(), rollback: false }),
                Err(flow) => return flow,
            }
        }
    }

    async fn step_once(&self, index: StepIdx, step: &'p Step, key: &str, cx: &Cx<'p>) -> Flow {
        let key = key.to_owned();
        if let Decision::Reuse = self.replay.decide(&key, cx.wf.id, index.0, step, cx.reusable) {
            return self.reuse(index, step, &key, cx);
        }
        if cx.cancel.is_cancelled() {
            return Flow::Cancelled;
        }
        let started = Instant::now();
        let started_at = now_ms();
        let approval = match self.approval(step, &key, cx).await {
            Ok(approval) => approval,
            Err(flow) => return flow,
        };
        if let Some(given) = approval.as_ref().filter(|given| given.answer != Answer::Approve) {
            let mut reason = format!("rejected by {}", given.by);
            if let Some(comment) = &given.comment {
                reason.push_str(&format!(": {comment}"));
            }
            let mut rejected = Attempt::failed(FailureKind::Gate, reason);
            if let StepKind::Gate(_) = step.kind {
                rejected.fields = approval_fields(Some(given));
            }
            return self.finish(index, step, &key, rejected, 0, started, started_at, 0, 0, cx);
        }
        let max_attempts = match &step.common.retry {
            Some(retry) => match self.bound(&retry.count, cx, "the retry count") {
                Ok(count) => u32::try_from(count.saturating_add(1)).unwrap_or(u32::MAX),
                Err(message) => return Flow::Failed(Failure { key, message, rollback: false }),
            },
            None => 1,
        };
        let expect = crate::cost::per_attempt(self.program, step);
        let (mut micros, mut tokens) = (0i64, 0u64);
        let mut attempt_no = 0;
        let last = loop {
            attempt_no += 1;
            let reservation = match self.reserve(step, &key, expect, attempt_no - 1, started_at, cx).await {
                Ok(reservation) => reservation,
                Err(flow) => return flow,
            };
            let write = self.write(step, &key, "running", false, attempt_no, started_at, None, None, None);
            let event = Event::StepStarted {
                key: key.clone(),
                kind: kind_name(step),
                attempt: attempt_no,
                attempts: max_attempts,
                expect_ms: step.common.expect.duration,
            };
            if let Err(flow) = self.emit(event, Some(&write), &[]) {
                return flow;
            }
            // At least once: the start is in the journal before anything of the attempt runs.
            self.durable().await;
            let attempt = {
                let _permit = match (&self.concurrency, &step.kind) {
                    (Some(permits), StepKind::Run(_) | StepKind::Agent(_)) => tokio::select! {
                        permit = permits.acquire() => permit.ok(),
                        () = cx.cancel.cancelled() => None,
                    },
                    _ => None,
                };
                if cx.cancel.is_cancelled() {
                    Attempt::failed(FailureKind::Cancelled, "cancelled".into())
                } else {
                    self.attempt(index, step, &key, attempt_no, approval.as_ref(), cx).await
                }
            };
            micros = micros.saturating_add(attempt.micros);
            tokens = tokens.saturating_add(attempt.tokens);
            cx.costs.add(attempt.micros, attempt.tokens);
            let warnings = cx.purse.spend(attempt.micros, attempt.tokens);
            drop(reservation);
            let Some((kind, reason)) = attempt.failure.clone() else {
                break (attempt, warnings);
            };
            let retry = step.common.retry.as_ref().filter(|retry| {
                attempt_no < max_attempts && kind != FailureKind::Cancelled && retries_on(&retry.on, kind)
            });
            // A server's `Retry-After` is the least wait; the backoff may ask for more.
            let delay = retry.map(|retry| {
                backoff(retry.backoff_min, retry.backoff_max, attempt_no).max(attempt.retry_after.unwrap_or_default())
            });
            if retry.is_none() {
                break (attempt, warnings);
            }
            let event = Event::AttemptFailed {
                key: key.clone(),
                attempt: attempt_no,
                failure: kind,
                reason,
                retry_in_ms: delay.map(millis),
            };
            let write = self.write(step, &key, "running", false, attempt_no, started_at, None, None, None);
            if let Err(flow) = self.emit(event, Some(&write), &attempt.ledger) {
                return flow;
            }
            if let Err(flow) = self.warn(warnings) {
                return flow;
            }
            let delay = delay.unwrap_or_default();
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = cx.cancel.cancelled() => break (Attempt::failed(FailureKind::Cancelled, "cancelled".into()), Vec::new()),
            }
        };
        let (last, warnings) = last;
        let flow = self.finish(index, step, &key, last, attempt_no, started, started_at, micros, tokens, cx);
        match self.warn(warnings) {
            Ok(()) => flow,
            Err(journal) => journal,
        }
    }

    /// Waits until the attempt's estimate fits every budget around it and reserves it; a
    /// spent budget pauses the run before the attempt starts.
    #[allow(clippy::too_many_arguments)]
    async fn reserve(
        &self,
        step: &'p Step,
        key: &str,
        expect: (i64, u64),
        attempts: u32,
        started_at: i64,
        cx: &Cx<'p>,
    ) -> Result<Reservation, Flow> {
        loop {
            match cx.purse.admit(expect) {
                Admission::Admitted(reservation) => return Ok(reservation),
                Admission::Wait(released) => tokio::select! {
                    () = released.notified() => {}
                    () = cx.cancel.cancelled() => return Err(Flow::Cancelled),
                },
                Admission::Spent(exhausted) => {
                    let question = Question {
                        kind: AskKind::Budget,
                        key,
                        text: exhausted.reason,
                        timeout: None,
                        on_timeout: Answer::Reject,
                        given: None,
                        raise: Some(match &exhausted.scope {
                            Some(scope) => format!("{scope}={}", exhausted.raise),
                            None => exhausted.raise,
                        }),
                    };
                    let paused = self.write(step, key, "paused", false, attempts, started_at, None, None, None);
                    // A budget is raised only by `wf resume --budget`, which answers the
                    // question before the run goes on; asking always pauses.
                    self.put(question, Some(&paused), None, cx).await?;
                }
            }
        }
    }

    /// Journals and shows the budget warnings an attempt's spending made due.
    fn warn(&self, warnings: Vec<Warning>) -> Result<(), Flow> {
        for warning in warnings {
            let event = Event::BudgetWarning {
                scope: warning.scope,
                resource: warning.resource,
                spent: warning.spent,
                limit: warning.limit,
                percent: warning.percent,
            };
            self.emit(event, None, &[])?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        index: StepIdx,
        step: &'p Step,
        key: &str,
        last: Attempt,
        attempts: u32,
        started: Instant,
        started_at: i64,
        micros: i64,
        tokens: u64,
        cx: &Cx<'p>,
    ) -> Flow {
        let duration_ms = millis(started.elapsed());
        let mut fields = base_fields(last.status, attempts, duration_ms, micros, tokens);
        for (name, ty) in kind_fields(step) {
            let value = last.fields.get(&name).cloned().unwrap_or_else(|| default_value(&ty));
            fields.insert(name, value);
        }
        // Masked before later steps can read it: `{{build.stdout}}` must not carry a secret on.
        let value = self.secrets.redactor().value(Value::Record(fields));
        cx.frame.set(index, value.clone());
        let policy = &step.common.on_failure;
        let accepted = last.status == Status::Succeeded || *policy == crate::ir::FailurePolicy::Continue;
        let error = last.failure.as_ref().map(|(_, reason)| reason.clone());
        let write = self.write(
            step,
            key,
            last.status.as_str(),
            accepted,
            attempts,
            started_at,
            Some(&value),
            error.as_deref(),
            Some(now_ms()),
        );
        let event = Event::StepFinished {
            key: key.to_owned(),
            kind: kind_name(step),
            status: last.status,
            attempts,
            duration_ms,
            cost_micros: micros,
            tokens,
            error: error.clone(),
            stderr_tail: last.stderr_tail.clone(),
        };
        if let Err(flow) = self.emit(event, Some(&write), &last.ledger) {
            return flow;
        }
        match last.status {
            Status::Succeeded => {
                if let Some(undo) = &step.common.undo {
                    self.undo.borrow_mut().push(Undo { key: key.to_owned(), command: undo, cx: cx.clone(), index });
                }
                Flow::Done
            }
            Status::Cancelled => Flow::Cancelled,
            _ => {
                let message =
                    format!("`{key}` {}: {}", last.status.as_str().replace('_', " "), error.unwrap_or_default());
                self.apply_policy(policy, Failure { key: key.to_owned(), message, rollback: false }, cx)
            }
        }
    }

    /// Restores a step's journaled value without running it.
    fn reuse(&self, index: StepIdx, step: &'p Step, key: &str, cx: &Cx<'p>) -> Flow {
        let Some(record) = self.replay.record(key) else {
            return Flow::Done;
        };
        let value = match self.replay.take_value(key) {
            Recorded::Value(value) => Some(value),
            Recorded::Taken => cx.frame.get(index),
            Recorded::Absent => None,
        }
        .unwrap_or_else(|| super::scope::step_value(step, Status::Skipped));
        if let Value::Record(fields) = &value {
            let micros = match fields.get("cost") {
                Some(Value::Money(micros)) => *micros,
                _ => 0,
            };
            let tokens = match fields.get("tokens") {
                Some(Value::Tokens(tokens)) => *tokens,
                _ => 0,
            };
            cx.costs.add(micros, tokens);
        }
        *self.invocations.borrow_mut().entry(step.id.clone()).or_default() += record.attempts as usize;
        cx.frame.set(index, value);
        if record.status == Status::Succeeded.as_str() {
            if let Some(undo) = &step.common.undo {
                self.undo.borrow_mut().push(Undo { key: key.to_owned(), command: undo, cx: cx.clone(), index });
            }
        }
        match self.emit(Event::StepReused { key: key.to_owned(), status: record.status.clone() }, None, &[]) {
            Ok(()) => Flow::Done,
            Err(flow) => flow,
        }
    }

    /// Whether a person must say yes first, and their answer: `Ok(None)` when nobody is asked.
    async fn approval(&self, step: &Step, key: &str, cx: &Cx<'p>) -> Result<Option<Given>, Flow> {
        let gate = match &step.kind {
            StepKind::Gate(Gate { approve: Some(approval), .. }) => Some(approval),
            _ => None,
        };
        let text = match gate {
            Some(approval) => {
                self.render(&approval.question, cx, "the approval question").unwrap_or_else(|error| error)
            }
            // In autopilot the mode answers it, and the answer is a decision on the record
            // like any approval: who let a risky step run is never left unsaid.
            None if matches!(self.mode, Mode::Hybrid | Mode::Autopilot) && step.common.risk == Risk::High => {
                format!("`{key}` is a high-risk step: run it?")
            }
            None if self.mode == Mode::Supervised => format!("Run `{key}`?"),
            None => return Ok(None),
        };
        let timeout = match gate.and_then(|approval| approval.timeout.as_ref()) {
            Some(timeout) => match self.duration(Some(timeout), cx, "the approval's timeout") {
                Ok(timeout) => timeout,
                Err(message) => return Err(Flow::Failed(Failure { key: key.to_owned(), message, rollback: false })),
            },
            None => None,
        };
        let on_timeout =
            if gate.is_some_and(|approval| approval.approve_on_timeout) { Answer::Approve } else { Answer::Reject };
        let given = if self.mode == Mode::Autopilot {
            Some(("autopilot".to_owned(), How::Mode))
        } else if self.options.approve.iter().any(|name| name == &step.name || name == &step.id || name == key) {
            Some((self.options.user.clone(), How::Ahead))
        } else {
            None
        };
        let question = Question { kind: AskKind::Approval, key, text, timeout, on_timeout, given, raise: None };
        let at = now_ms();
        let paused = self.write(step, key, "paused", false, 0, at, None, None, None);
        self.put(question, Some(&paused), None, cx).await.map(Some)
    }

    #[allow(clippy::too_many_arguments)]
    fn write<'a>(
        &self,
        step: &'a Step,
        key: &'a str,
        status: &'a str,
        accepted: bool,
        attempts: u32,
        started_at: i64,
        value: Option<&'a Value>,
        error: Option<&'a str>,
        ended_at: Option<i64>,
    ) -> StepWrite<'a> {
        StepWrite {
            key,
            step_id: &step.id,
            kind: kind_name(step),
            hash: &step.hash,
            status,
            accepted,
            attempts,
            started_at,
            ended_at,
            value,
            error,
        }
    }

    async fn attempt(
        &self,
        index: StepIdx,
        step: &'p Step,
        key: &str,
        attempt: u32,
        approval: Option<&Given>,
        cx: &Cx<'p>,
    ) -> Attempt {
        let timeout = match self.duration(step.common.timeout.as_ref(), cx, "the step's timeout") {
            Ok(timeout) => timeout,
            Err(reason) => return Attempt::failed(FailureKind::Error, reason),
        };
        match &step.kind {
            StepKind::Run(run) => self.run_command(step, run, key, attempt, timeout, cx).await,
            StepKind::Agent(agent) => self.ask_agent(step, agent, key, attempt, timeout, cx).await,
            StepKind::Gate(gate) => self.check_gate(gate, key, approval, cx),
            StepKind::Wait { duration } => {
                let wait = match self.duration(Some(duration), cx, "the wait") {
                    Ok(wait) => wait.unwrap_or_default(),
                    Err(reason) => return Attempt::failed(FailureKind::Error, reason),
                };
                // A wait that was under way when the run stopped only waits out the rest.
                let already = self
                    .replay
                    .record(key)
                    .filter(|record| record.status == "running" && record.hash == step.hash)
                    .map(|record| Duration::from_millis(u64::try_from(now_ms() - record.started_at).unwrap_or(0)))
                    .unwrap_or_default();
                let rest = wait.saturating_sub(already);
                self.limited(timeout, cx, async {
                    tokio::time::sleep(rest).await;
                    Attempt::ok(IndexMap::new())
                })
                .await
            }
            StepKind::Call(call) => self.call(index, step, call, key, timeout, cx).await,
            StepKind::Watch(watch) => self.watch_attempt(step, watch, key, attempt, cx).await,
            StepKind::Block(_) => Attempt::ok(IndexMap::new()),
        }
    }

    /// A `watch`: each poll is its command run as a `run` step's attempt (`watch.rs` judges).
    async fn watch_attempt(&self, step: &Step, watch: &Watch, key: &str, attempt: u32, cx: &Cx<'p>) -> Attempt {
        let poll = |_number: u64, limit: Duration| async move {
            let polled = self.run_command(step, &watch.poll, key, attempt, Some(limit), cx).await;
            Polled {
                cancelled: polled.status == Status::Cancelled,
                error: polled.failure.map(|(_, reason)| reason),
                fields: polled.fields,
            }
        };
        let watched = self.watch(step, watch, key, cx, poll).await;
        let mut fields = watched.outputs;
        fields.insert("polls".to_owned(), Value::Int(i64::try_from(watched.polls).unwrap_or(i64::MAX)));
        match watched.end {
            End::Succeeded => Attempt::ok(fields),
            End::Failed(reason) => Attempt { fields, ..Attempt::failed(FailureKind::Error, reason) },
            End::Cancelled => Attempt { fields, ..Attempt::failed(FailureKind::Cancelled, "cancelled".into()) },
        }
    }

    /// Runs `work` under the step's timeout and the run's cancellation.
    async fn limited(
        &self,
        timeout: Option<Duration>,
        cx: &Cx<'p>,
        work: impl std::future::Future<Output = Attempt>,
    ) -> Attempt {
        let sleep = async {
            match timeout {
                Some(timeout) => tokio::time::sleep(timeout).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            attempt = work => attempt,
            () = sleep => Attempt::failed(
                FailureKind::Timeout,
                format!("timed out after {}", humantime::format_duration(timeout.unwrap_or_default())),
            ),
            () = cx.cancel.cancelled() => Attempt::failed(FailureKind::Cancelled, "cancelled".into()),
        }
    }

    async fn run_command(
        &self,
        step: &Step,
        run: &Run,
        key: &str,
        attempt: u32,
        timeout: Option<Duration>,
        cx: &Cx<'p>,
    ) -> Attempt {
        let scope = self.scope(cx);
        let line = match render_command(&run.command, &scope) {
            Ok(line) => line,
            Err(error) => return Attempt::failed(FailureKind::Error, error.to_string()),
        };
        let dir = match run.dir.as_ref().map(|dir| self.eval(dir, cx, "`dir`")).transpose() {
            Ok(Some(Value::String(dir))) => self.base_dir.join(dir),
            Ok(_) => self.base_dir.clone(),
            Err(reason) => return Attempt::failed(FailureKind::Error, reason),
        };
        let mut env: Vec<(String, String)> = cx.wf.env.clone();
        for (name, expr) in &run.env {
            match self.eval(expr, cx, &format!("`env {name}`")) {
                Ok(value) => env.push((name.clone(), value.to_text())),
                Err(reason) => return Attempt::failed(FailureKind::Error, reason),
            }
        }
        env.extend(self.step_env(cx, key, attempt));
        let withheld = self.secrets.withheld_from(cx.wf.workflow);
        let spill = self.run_dir().join(format!("{}.{attempt}", sanitize(key)));
        let spec = command::Spec {
            shell: &cx.wf.shell,
            line: &line,
            dir: &dir,
            env: &env,
            withheld: &withheld,
            timeout,
            grace: self.options.kill_grace,
            spill,
            output_limit: self.options.output_limit,
            redactor: self.secrets.redactor(),
            stdin: None,
        };
        let on_line = |stream: &'static str, line: &str| {
            if self.options.verbose {
                let event = Event::Output { key: key.to_owned(), stream, line: line.to_owned() };
                let _ = self.emit(event, None, &[]);
            }
        };
        let finished = command::run(&spec, &cx.cancel, &on_line).await;
        let mut fields = IndexMap::new();
        let exit_code = match &finished.ending {
            Ending::Exited(code) => *code,
            _ => -1,
        };
        fields.insert("exit_code".to_owned(), Value::Int(exit_code));
        fields.insert("stdout".to_owned(), Value::String(finished.stdout.text.clone()));
        fields.insert("stderr".to_owned(), Value::String(finished.stderr.text.clone()));
        let mut output_error = None;
        if !run.outputs.is_empty() {
            let (stdout, stderr) = (finished.stdout.full().await, finished.stderr.full().await);
            for output in &run.outputs {
                let text = if output.stream == Stream::Stdout { &stdout } else { &stderr };
                match read_output(output, text) {
                    Ok(value) => {
                        fields.insert(output.name.clone(), value);
                    }
                    Err(reason) => {
                        output_error.get_or_insert_with(|| {
                            format!("the output `{}: {}` of `{}`: {reason}", output.name, output.ty, step.name)
                        });
                    }
                }
            }
        }
        let mut result = match finished.ending {
            Ending::Exited(0) => match output_error {
                None => Attempt::ok(fields),
                Some(reason) => Attempt { fields, ..Attempt::failed(FailureKind::Error, reason) },
            },
            Ending::Exited(code) => Attempt {
                fields,
                ..Attempt::failed(FailureKind::Exit(code), format!("the command exited with {code}"))
            },
            Ending::TimedOut => Attempt {
                fields,
                ..Attempt::failed(
                    FailureKind::Timeout,
                    format!("timed out after {}", humantime::format_duration(timeout.unwrap_or_default())),
                )
            },
            Ending::Cancelled => Attempt { fields, ..Attempt::failed(FailureKind::Cancelled, "cancelled".into()) },
            Ending::CouldNotStart(reason) => Attempt::failed(FailureKind::Error, reason),
        };
        if result.status != Status::Succeeded {
            let tail = finished.stderr.tail(10);
            result.stderr_tail = (!tail.is_empty()).then_some(tail);
        }
        if let Some(cost) = run.cost {
            result.micros = cost;
            result.ledger.push(LedgerEntry { key: key.to_owned(), attempt, micros: cost, ..LedgerEntry::default() });
        }
        result
    }

    /// What every process a step starts gets in its environment after the workflow's and
    /// the step's own: the secrets its workflow declares, and which run, step and attempt it is.
    fn step_env(&self, cx: &Cx<'p>, key: &str, attempt: u32) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self.secrets.env_for(cx.wf.workflow).collect();
        env.push(("WF_RUN_ID".into(), self.run_id.clone()));
        env.push(("WF_STEP".into(), key.to_owned()));
        env.push(("WF_ATTEMPT".into(), attempt.to_string()));
        env
    }

    async fn ask_agent(
        &self,
        step: &Step,
        agent: &Agent,
        key: &str,
        attempt: u32,
        timeout: Option<Duration>,
        cx: &Cx<'p>,
    ) -> Attempt {
        let Some(resolved) = self.agents.get(agent.provider) else {
            return Attempt::failed(FailureKind::Error, format!("no provider was resolved for `{}`", step.name));
        };
        let (role, prompt) =
            match (self.render(&agent.role, cx, "the role"), self.render(&agent.prompt, cx, "the prompt")) {
                (Ok(role), Ok(prompt)) => (role, prompt),
                (Err(reason), _) | (_, Err(reason)) => return Attempt::failed(FailureKind::Error, reason),
            };
        let (model_id, model) = resolved.model_for(self.program, agent.model);
        let model_name = model.map_or_else(|| model_id.clone(), |model| model.name.clone());
        let priced = model.is_some_and(|model| model.priced);
        let invocation = {
            let mut invocations = self.invocations.borrow_mut();
            let count = invocations.entry(step.id.clone()).or_default();
            *count += 1;
            *count - 1
        };
        let request = Request {
            step_id: &step.id,
            step_name: &step.name,
            role: &role,
            prompt: &prompt,
            model: &model_id,
            returns: &agent.returns,
            expect_tokens: step.common.expect.tokens,
            invocation,
        };
        let mut env: Vec<(String, String)> = cx.wf.env.clone();
        env.extend(self.step_env(cx, key, attempt));
        let withheld = self.secrets.withheld_from(cx.wf.workflow);
        let dir = self.base_dir.clone();
        let progress = Streaming::new(self, key);
        let on_progress = |event: agent::Progress<'_>| progress.tell(event);
        let call = agent::Call {
            timeout,
            cancel: &cx.cancel,
            progress: &on_progress,
            redactor: self.secrets.redactor(),
            dir: &dir,
            env: &env,
            withheld: &withheld,
            shell: &cx.wf.shell,
            grace: self.options.kill_grace,
            output_limit: self.options.output_limit,
            spill: self.run_dir().join(format!("{}.{attempt}.agent", sanitize(key))),
        };
        let result = resolved.provider.ask(&request, &call).await;
        progress.finish();
        let redactor = self.secrets.redactor();
        let charge = |usage: Option<agent::Usage>, reported: Option<i64>, answer: Option<&str>, error: Option<&str>| {
            let usage = usage.unwrap_or_default();
            LedgerEntry {
                key: key.to_owned(),
                attempt,
                model: Some(model_name.clone()),
                input: usage.input,
                output: usage.output,
                cached: usage.cached,
                micros: model.map_or(0, |model| usage.price(model)),
                reported_micros: reported,
                unpriced: !priced,
                exchange: Some(Exchange {
                    provider: resolved.answers.clone(),
                    model: model_id.clone(),
                    prompt: redactor.text(&resolved.provider.prompt_text(&request)).into_owned(),
                    answer: answer.map(|answer| redactor.text(answer).into_owned()),
                    error: error.map(|error| redactor.text(error).into_owned()),
                }),
            }
        };
        match result {
            Ok(reply) => {
                let entry = charge(reply.usage, reply.reported_micros, Some(&reply.text), None);
                let mut fields = IndexMap::from([("text".to_owned(), Value::String(reply.text))]);
                fields.extend(reply.fields);
                Attempt {
                    micros: entry.micros,
                    tokens: reply.usage.unwrap_or_default().total(),
                    ledger: vec![entry],
                    ..Attempt::ok(fields)
                }
            }
            Err(failure) => {
                let kind = match failure.kind {
                    agent::FailureKind::Error => FailureKind::Error,
                    agent::FailureKind::Auth => FailureKind::Auth,
                    agent::FailureKind::Timeout => FailureKind::Timeout,
                    agent::FailureKind::Cancelled => FailureKind::Cancelled,
                };
                let entry =
                    charge(failure.usage, failure.reported_micros, failure.answer.as_deref(), Some(&failure.reason));
                let mut attempt = Attempt::failed(kind, failure.reason);
                attempt.retry_after = failure.retry_after;
                attempt.micros = entry.micros;
                attempt.tokens = failure.usage.unwrap_or_default().total();
                attempt.ledger.push(entry);
                attempt
            }
        }
    }

    fn check_gate(&self, gate: &Gate, key: &str, approval: Option<&Given>, cx: &Cx<'p>) -> Attempt {
        let mut failures = Vec::new();
        for check in &gate.checks {
            let mut message = self.render(&check.message, cx, "the message").unwrap_or_else(|error| error);
            let level = if check.level == CheckLevel::Require { "require" } else { "warn" };
            // A condition that cannot be decided (an unset `env()`) does not hold: a `warn`
            // only warns about it, a `require` fails, each saying why and where.
            let held = match self.eval(&check.cond, cx, &format!("the `{level}` condition")) {
                Ok(Value::Bool(held)) => held,
                Ok(other) => {
                    message = format!("{message} (the condition gave {other}, not a bool)");
                    false
                }
                Err(reason) => {
                    message = format!("{message} (not decided: {reason})");
                    false
                }
            };
            let fails = match check.level {
                CheckLevel::Require => !self.options.lenient,
                CheckLevel::Warn => self.options.strict,
            };
            let effect = if fails { "fail" } else { "warn" };
            let event = Event::GateCheck { key: key.to_owned(), level, message: message.clone(), passed: held, effect };
            if let Err(Flow::Failed(failure)) = self.emit(event, None, &[]) {
                return Attempt::failed(FailureKind::Error, failure.message);
            }
            if !held && fails {
                failures.push(message);
            }
        }
        if !failures.is_empty() {
            return Attempt::failed(FailureKind::Gate, failures.join("; "));
        }
        Attempt::ok(approval_fields(approval))
    }

    async fn call(
        &self,
        _index: StepIdx,
        _step: &Step,
        call: &'p Call,
        key: &str,
        timeout: Option<Duration>,
        cx: &Cx<'p>,
    ) -> Attempt {
        let workflow = &self.program.workflows[call.workflow.0];
        let mut args = IndexMap::new();
        for param in &workflow.params {
            let value = match call.args.get(&param.name) {
                Some(expr) => match self.eval(expr, cx, &format!("the argument `{}`", param.name)) {
                    Ok(value) => value,
                    Err(reason) => return Attempt::failed(FailureKind::Error, reason),
                },
                None => match &param.default {
                    Some(default) => default.clone(),
                    None => return Attempt::failed(FailureKind::Error, format!("no value for `{}`", param.name)),
                },
            };
            args.insert(param.name.clone(), value);
        }
        let costs = Costs::child(&cx.costs);
        let callee = match self.workflow_cx(call.workflow, args, format!("{key}/")) {
            Ok(callee) => callee,
            Err(reason) => return Attempt::failed(FailureKind::Error, reason),
        };
        // The callee's costs were already added to the caller's blocks as its steps ran.
        let token = cx.cancel.child_token();
        // The callee's budget reads the callee's parameters: the arguments just given.
        let frame = Frame::root();
        let scope =
            super::scope::Scope { workflow, args: &callee.args, frame: &frame, env: self.secrets.environment() };
        let purse = self.purse_for(&cx.purse, key, &workflow.budget, &scope);
        let inner =
            Cx { wf: callee, frame: Frame::root(), cancel: token.child_token(), costs, purse, reusable: cx.reusable };
        let flow = self.limited(timeout, cx, async {
            match self.workflow(inner, token.clone()).await {
                Flow::Done => Attempt::ok(IndexMap::new()),
                Flow::Failed(failure) => Attempt::failed(FailureKind::Error, failure.message),
                Flow::Paused(pause) => Attempt::failed(FailureKind::Error, format!("paused: {}", pause.reason)),
                Flow::Cancelled => Attempt::failed(FailureKind::Cancelled, "cancelled".into()),
            }
        });
        let attempt = flow.await;
        token.cancel();
        attempt
    }

    pub fn workflow_cx(
        &self,
        id: crate::ir::WorkflowId,
        args: IndexMap<String, Value>,
        prefix: String,
    ) -> Result<std::rc::Rc<WfCx<'p>>, String> {
        let workflow = &self.program.workflows[id.0];
        let shell = shlex::split(&workflow.shell)
            .filter(|words| !words.is_empty())
            .ok_or_else(|| format!("the shell `{}` cannot be split into words", workflow.shell))?;
        let frame = Frame::root();
        let scope = super::scope::Scope { workflow, args: &args, frame: &frame, env: self.secrets.environment() };
        let mut env = Vec::new();
        for (name, expr) in &workflow.env {
            let value =
                crate::ir::eval::eval(expr, &scope).map_err(|error| format!("the workflow's `env {name}`: {error}"))?;
            env.push((name.clone(), value.to_text()));
        }
        Ok(std::rc::Rc::new(WfCx { id, workflow, args, prefix, env, shell }))
    }

    pub async fn undo_one(&self, entry: &Undo<'p>, cancel: &CancellationToken) -> (Status, Option<String>) {
        let line = match render_command(entry.command, &self.scope(&entry.cx)) {
            Ok(line) => line,
            Err(error) => return (Status::Failed, Some(error.to_string())),
        };
        let step = &entry.cx.wf.workflow.steps[entry.index.0];
        let dir = match &step.kind {
            StepKind::Run(Run { dir: Some(dir), .. }) => match self.eval(dir, &entry.cx, "`dir`") {
                Ok(Value::String(dir)) => self.base_dir.join(dir),
                _ => self.base_dir.clone(),
            },
            _ => self.base_dir.clone(),
        };
        let mut env = entry.cx.wf.env.clone();
        env.extend(self.secrets.env_for(entry.cx.wf.workflow));
        env.push(("WF_RUN_ID".into(), self.run_id.clone()));
        env.push(("WF_STEP".into(), entry.key.clone()));
        let withheld = self.secrets.withheld_from(entry.cx.wf.workflow);
        let spec = command::Spec {
            shell: &entry.cx.wf.shell,
            line: &line,
            dir: &dir,
            env: &env,
            withheld: &withheld,
            timeout: None,
            grace: self.options.kill_grace,
            spill: self.run_dir().join(format!("{}.undo", sanitize(&entry.key))),
            output_limit: self.options.output_limit,
            redactor: self.secrets.redactor(),
            stdin: None,
        };
        // `--verbose` shows what an undo prints, as it does for every step's command.
        let on_line = |stream: &'static str, line: &str| {
            if self.options.verbose {
                let event = Event::Output { key: entry.key.clone(), stream, line: line.to_owned() };
                let _ = self.emit(event, None, &[]);
            }
        };
        let finished = command::run(&spec, cancel, &on_line).await;
        match finished.ending {
            Ending::Exited(0) => (Status::Succeeded, None),
            Ending::Exited(code) => (Status::Failed, Some(format!("the undo command exited with {code}"))),
            Ending::TimedOut => (Status::TimedOut, None),
            Ending::Cancelled => (Status::Cancelled, None),
            Ending::CouldNotStart(reason) => (Status::Failed, Some(reason)),
        }
    }

    pub fn run_dir(&self) -> PathBuf {
        self.options.state_dir.join("runs").join(&self.run_id)
    }
}

/// A gate's `approved_by` and `comment`: who approved it (empty when nobody was asked, or
/// for a rejection) and what they said.
fn approval_fields(approval: Option<&Given>) -> IndexMap<String, Value> {
    let approved_by = approval.filter(|given| given.answer == Answer::Approve).map(|given| given.by.clone());
    let comment = approval.and_then(|given| given.comment.clone());
    IndexMap::from([
        ("approved_by".to_owned(), Value::String(approved_by.unwrap_or_default())),
        ("comment".to_owned(), Value::String(comment.unwrap_or_default())),
    ])
}

fn retries_on(on: &[RetryOn], kind: FailureKind) -> bool {
    // A refused key stays refused: retrying would only be refused again.
    if kind == FailureKind::Auth {
        return false;
    }
    on.is_empty()
        || on.iter().any(|filter| match (filter, kind) {
            (RetryOn::Any, _) => true,
            (RetryOn::Exit(code), FailureKind::Exit(exit)) => *code == exit,
            (RetryOn::Timeout, FailureKind::Timeout) => true,
            (RetryOn::Error, FailureKind::Error) => true,
            _ => false,
        })
}

/// Full jitter: a uniform delay between zero and the exponential ceiling
/// `min(cap, first · 2^(attempt-1))`.
pub fn backoff(first_ms: u64, cap_ms: u64, attempt: u32) -> Duration {
    let ceiling = first_ms.saturating_mul(1u64 << (attempt.saturating_sub(1)).min(62)).min(cap_ms);
    Duration::from_millis(fastrand::u64(0..=ceiling))
}

/// A step key as a file name.
fn sanitize(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_the_exponential_ceiling() {
        for attempt in 1..10 {
            let ceiling = (100u64 << (attempt - 1)).min(1_000);
            for _ in 0..200 {
                assert!(millis(backoff(100, 1_000, attempt)) <= ceiling);
            }
        }
    }

    #[test]
    fn retry_filters_match_failure_kinds() {
        assert!(retries_on(&[], FailureKind::Timeout));
        assert!(retries_on(&[RetryOn::Exit(1)], FailureKind::Exit(1)));
        assert!(!retries_on(&[RetryOn::Exit(1)], FailureKind::Exit(2)));
        assert!(!retries_on(&[RetryOn::Timeout], FailureKind::Error));
        assert!(retries_on(&[RetryOn::Error, RetryOn::Timeout], FailureKind::Timeout));
    }
}
