//! What happens during a run, as data: each transition is one [`Event`], journaled first and
//! then shown (progress view, `--events ndjson`).

use serde::Serialize;

use crate::journal::{Answer, AskKind, How};

/// How a step or run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Succeeded,
    Failed,
    Skipped,
    TimedOut,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::TimedOut => "timed_out",
            Status::Cancelled => "cancelled",
        }
    }
}

/// Why an attempt failed, as `retry … on` filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "code")]
pub enum FailureKind {
    /// The command exited with this code (128 + N for signal N).
    Exit(i64),
    Timeout,
    /// Could not start, a provider error, or output that did not convert.
    Error,
    /// A gate's requirement did not hold.
    Gate,
    /// A provider refused the API key (HTTP 401/403): never retried.
    Auth,
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        run: String,
        workflow: String,
        file: String,
        args: serde_json::Value,
        resumed: bool,
    },
    StepStarted {
        key: String,
        kind: &'static str,
        attempt: u32,
        attempts: u32,
        /// The `expect` duration, for an ETA.
        #[serde(skip_serializing_if = "Option::is_none")]
        expect_ms: Option<u64>,
    },
    AttemptFailed {
        key: String,
        attempt: u32,
        failure: FailureKind,
        reason: String,
        /// The delay before the next attempt, when there is one.
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_in_ms: Option<u64>,
    },
    StepFinished {
        key: String,
        kind: &'static str,
        status: Status,
        attempts: u32,
        duration_ms: u64,
        cost_micros: i64,
        tokens: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// The tail of what the command wrote to stderr, when it failed.
        #[serde(skip_serializing_if = "Option::is_none")]
        stderr_tail: Option<String>,
    },
    StepSkipped {
        key: String,
        reason: String,
    },
    StepReused {
        key: String,
        status: String,
    },
    BlockStarted {
        key: String,
        kind: &'static str,
    },
    BlockFinished {
        key: String,
        kind: &'static str,
        ok: bool,
        duration_ms: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        iterations: Option<u64>,
    },
    Iteration {
        key: String,
        index: u64,
    },
    GateCheck {
        key: String,
        level: &'static str,
        message: String,
        passed: bool,
        /// What a check that did not hold does: `fail` or `warn`.
        effect: &'static str,
    },
    /// One poll of a `watch`: what it read, and how long each condition has held.
    WatchPoll {
        key: String,
        /// 1, 2, …: a resumed watch goes on counting.
        poll: u64,
        /// The watch's own clock at this poll.
        elapsed_ms: u64,
        /// The outputs it read, as `name = value` pairs (the last good ones after a failed poll).
        values: String,
        /// Why the poll failed (the command, or an output that did not read): it counts as
        /// `fail when` holding.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        fail_held_ms: Option<u64>,
        fail_window_ms: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        pass_held_ms: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pass_window_ms: Option<u64>,
    },
    /// A question put to a person answered: an approval, an escalation, a budget raise.
    Decided {
        key: String,
        kind: AskKind,
        answer: Answer,
        by: String,
        how: How,
        #[serde(skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// Spending crossed a budget's `warn at` level (once per budget and resource).
    BudgetWarning {
        /// `run`, or the key of the phase or call whose budget it is.
        scope: String,
        /// `money` (micro-dollars) or `tokens`.
        resource: &'static str,
        spent: u64,
        limit: u64,
        percent: f64,
    },
    Undo {
        key: String,
        status: Status,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    Warning {
        #[serde(skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        message: String,
    },
    /// A line a command printed (`--verbose` shows it; not journaled).
    Output {
        key: String,
        stream: &'static str,
        line: String,
    },
    /// Tokens of an agent's answer so far, while it streams (not journaled).
    AgentProgress {
        key: String,
        tokens: u64,
    },
    RunPaused {
        key: String,
        kind: AskKind,
        reason: String,
        hint: String,
    },
    /// A budget is spent: the run pauses until `wf resume --budget` raises it.
    BudgetExhausted {
        key: String,
        reason: String,
        hint: String,
    },
    RunFinished {
        status: &'static str,
        duration_ms: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

impl Event {
    /// The event's name, as the journal's `kind` column and ndjson's `event` field hold it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::RunStarted { .. } => "run_started",
            Event::StepStarted { .. } => "step_started",
            Event::AttemptFailed { .. } => "attempt_failed",
            Event::StepFinished { .. } => "step_finished",
            Event::StepSkipped { .. } => "step_skipped",
            Event::StepReused { .. } => "step_reused",
            Event::BlockStarted { .. } => "block_started",
            Event::BlockFinished { .. } => "block_finished",
            Event::Iteration { .. } => "iteration",
            Event::GateCheck { .. } => "gate_check",
            Event::WatchPoll { .. } => "watch_poll",
            Event::Decided { .. } => "decided",
            Event::BudgetWarning { .. } => "budget_warning",
            Event::Undo { .. } => "undo",
            Event::Warning { .. } => "warning",
            Event::Output { .. } => "output",
            Event::AgentProgress { .. } => "agent_progress",
            Event::RunPaused { .. } => "run_paused",
            Event::BudgetExhausted { .. } => "budget_exhausted",
            Event::RunFinished { .. } => "run_finished",
        }
    }

    pub fn key(&self) -> Option<&str> {
        match self {
            Event::StepStarted { key, .. }
            | Event::AttemptFailed { key, .. }
            | Event::StepFinished { key, .. }
            | Event::StepSkipped { key, .. }
            | Event::StepReused { key, .. }
            | Event::BlockStarted { key, .. }
            | Event::BlockFinished { key, .. }
            | Event::Iteration { key, .. }
            | Event::GateCheck { key, .. }
            | Event::WatchPoll { key, .. }
            | Event::Decided { key, .. }
            | Event::Undo { key, .. }
            | Event::Output { key, .. }
            | Event::AgentProgress { key, .. }
            | Event::RunPaused { key, .. }
            | Event::BudgetExhausted { key, .. } => Some(key),
            Event::Warning { key, .. } => key.as_deref(),
            Event::RunStarted { .. } | Event::RunFinished { .. } | Event::BudgetWarning { .. } => None,
        }
    }
}

/// Something that watches a run: the progress view, an ndjson stream.
pub trait Observer {
    fn event(&self, at_ms: i64, event: &Event);
    /// The run is over; stop drawing.
    fn finish(&self) {}
    /// A question is being asked at the terminal: stop drawing until it is answered.
    fn hold(&self, _held: bool) {}
}
