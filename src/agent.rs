#![allow(clippy::disallowed_methods)] // Providers start agent CLIs and make HTTP requests.

//! Stage: talking to agents (spec §13, docs/providers.md). The runner hands a [`Provider`] an
//! attempt ([`Request`]: role, prompt, model, the `returns` record) and its bounds ([`Call`]:
//! timeout, cancellation, where progress goes), and gets back a [`Reply`] (text, typed
//! fields, usage) or a typed [`Failure`]. It never sees HTTP, SSE or a CLI's output format:
//! each kind keeps its wire format in its own file (`sim.rs`, `command.rs`, `openai.rs`,
//! `anthropic.rs`) as plain serde structs.
//!
//! Which provider a step talks to is settled before a run starts ([`resolve`]): the file's
//! `provider` items, the built-in ones (`sim`, `claude_code`, `codex`, `openai`, `anthropic`,
//! `ollama`), and `--provider NAME=OTHER` swaps. API keys are read then, all missing ones
//! reported together.

mod anthropic;
mod builtin;
mod command;
mod formats;
mod http;
mod openai;
mod resolve;
mod returns;
mod sim;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::ir::{Model, Type, Value};
use crate::mask::Redactor;

pub use builtin::{builtin, BuiltinSettings};
pub use resolve::{resolve, KeyProblem, Resolved, Table};
pub use returns::{first_json_object, json_schema, read_returns};
pub use sim::Scenario;

/// Tokens an agent call used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    #[serde(default)]
    pub input: u64,
    #[serde(default)]
    pub output: u64,
    #[serde(default)]
    pub cached: u64,
}

impl Usage {
    pub fn total(self) -> u64 {
        self.input.saturating_add(self.output).saturating_add(self.cached)
    }

    /// The price in micro-dollars; cached tokens at the cached price, or the input price.
    pub fn price(self, model: &Model) -> i64 {
        let cached = model.cached.unwrap_or(model.input);
        model
            .input
            .cost(self.input)
            .saturating_add(model.output.cost(self.output))
            .saturating_add(cached.cost(self.cached))
    }
}

/// One agent call: what the runner asks.
pub struct Request<'a> {
    pub step_id: &'a str,
    pub step_name: &'a str,
    pub role: &'a str,
    pub prompt: &'a str,
    /// The model's id, as the provider names it (`claude-sonnet-4-5`).
    pub model: &'a str,
    pub returns: &'a IndexMap<String, Type>,
    pub expect_tokens: Option<u64>,
    /// How many times this step was asked before in this run (attempts and iterations).
    pub invocation: usize,
}

impl<'a> Request<'a> {
    /// A first call of step `a`, for the providers' unit tests.
    #[cfg(test)]
    pub(crate) fn sample(role: &'a str, prompt: &'a str, model: &'a str, returns: &'a IndexMap<String, Type>) -> Self {
        Request { step_id: "a", step_name: "a", role, prompt, model, returns, expect_tokens: None, invocation: 0 }
    }
}

/// How a call may run: its bounds, and where what it learns on the way goes.
pub struct Call<'a> {
    pub timeout: Option<Duration>,
    pub cancel: &'a CancellationToken,
    /// Told as an answer streams in.
    pub progress: &'a dyn Fn(Progress<'_>),
    /// Masks secrets and keys in what a CLI prints, as it is read.
    pub redactor: &'a Redactor,
    /// For agent CLIs: the working folder, environment, shell, kill grace and spill prefix
    /// that a `run` step would get.
    pub dir: &'a Path,
    pub env: &'a [(String, String)],
    /// Variables taken out of the environment the CLI inherits (the run's secrets its
    /// workflow does not declare).
    pub withheld: &'a [String],
    pub shell: &'a [String],
    pub grace: Duration,
    pub spill: PathBuf,
    /// The most a spill file holds (`--output-limit`).
    pub output_limit: u64,
}

/// What an answer did so far.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'t> {
    /// A piece of the answer's text.
    Text(&'t str),
    /// Tokens of output so far (counted by the provider, or estimated from the text).
    Tokens(u64),
}

/// What the agent answered.
#[derive(Debug, Default)]
pub struct Reply {
    pub text: String,
    /// The `returns` fields, typed.
    pub fields: IndexMap<String, Value>,
    /// `None` where the provider does not say (a `format text` CLI).
    pub usage: Option<Usage>,
    /// What the provider itself says the call cost, in micro-dollars (Claude Code's
    /// `total_cost_usd`, a `json` agent's `cost_usd`).
    pub reported_micros: Option<i64>,
    /// How long the sim provider makes the call take.
    pub delay: Duration,
}

/// Why a call failed; decides whether `retry … on KIND` tries again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Connection refused, DNS, TLS, HTTP 429 and 5xx, a CLI that failed or reported an
    /// error, an answer that did not match `returns`: retried by `retry … on error`.
    Error,
    /// HTTP 401/403: the key is wrong; retrying cannot help.
    Auth,
    Timeout,
    Cancelled,
}

/// A call that failed, and what it used up before it did (a provider error may come after
/// the model read the prompt): the ledger charges it like any other attempt.
#[derive(Debug)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
    pub usage: Option<Usage>,
    pub reported_micros: Option<i64>,
    /// The server's `Retry-After`, honoured by the retry's backoff.
    pub retry_after: Option<Duration>,
    /// What the agent answered, when it answered something unusable (kept in the journal).
    pub answer: Option<String>,
}

impl Failure {
    pub fn error(reason: impl Into<String>) -> Failure {
        Failure::new(FailureKind::Error, reason)
    }

    pub fn new(kind: FailureKind, reason: impl Into<String>) -> Failure {
        Failure { kind, reason: reason.into(), usage: None, reported_micros: None, retry_after: None, answer: None }
    }
}

/// A boxed future the runner can hold without knowing the provider.
pub type Asking<'a> = Pin<Box<dyn Future<Output = Result<Reply, Failure>> + 'a>>;

/// One kind of provider, configured. The runner calls [`Provider::ask`] once per attempt.
pub trait Provider {
    /// Asks the agent. A timeout or cancellation ends the call (an HTTP request is aborted,
    /// a CLI's process group is killed) with a [`Failure`] of that kind.
    fn ask<'a>(&'a self, request: &'a Request<'a>, call: &'a Call<'a>) -> Asking<'a>;

    /// The prompt as the agent reads it, for the journal: the role, the task and, where the
    /// provider puts it in the text, what `returns` asks for.
    fn prompt_text(&self, request: &Request<'_>) -> String {
        full_prompt(request)
    }

    /// `wf doctor`: whether the provider can be reached and has the model; one line saying
    /// what was found.
    fn doctor<'a>(
        &'a self,
        model: &'a str,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + 'a>>;
}

/// What the prompt says about `returns`, for providers that cannot enforce a schema (CLIs)
/// or as a fallback for servers that ignore one.
pub fn returns_instruction(returns: &IndexMap<String, Type>) -> Option<String> {
    if returns.is_empty() {
        return None;
    }
    let schema = serde_json::to_string(&json_schema(returns)).unwrap_or_default();
    Some(format!(
        "When you are done, answer with one JSON object and nothing after it, matching this JSON schema:\n{schema}"
    ))
}

/// The whole text a CLI agent reads on stdin: who it is, the task, and the answer's shape.
pub fn full_prompt(request: &Request<'_>) -> String {
    let mut text = String::new();
    if !request.role.is_empty() {
        text.push_str(&format!("You are the {}.\n\n", request.role));
    }
    text.push_str(request.prompt);
    if let Some(instruction) = returns_instruction(request.returns) {
        text.push_str("\n\n");
        text.push_str(&instruction);
    }
    text.push('\n');
    text
}

/// Runs `work` under the call's timeout and cancellation; dropping `work` aborts it (an
/// HTTP request's connection is closed).
pub(crate) async fn bounded<T>(call: &Call<'_>, work: impl Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
    let sleep = async {
        match call.timeout {
            Some(timeout) => tokio::time::sleep(timeout).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        result = work => result,
        () = sleep => Err(Failure::new(
            FailureKind::Timeout,
            format!("timed out after {}", humantime::format_duration(call.timeout.unwrap_or_default())),
        )),
        () = call.cancel.cancelled() => Err(Failure::new(FailureKind::Cancelled, "cancelled")),
    }
}

/// The rough rule of four characters a token, for progress where a stream gives no count.
pub fn approximate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// Dollars as a provider reports them (`0.0258`) in micro-dollars, rounded.
pub fn dollars_to_micros(dollars: f64) -> Option<i64> {
    let micros = (dollars * 1_000_000.0).round();
    // In range, so the cast is exact: a whole number below 2^63.
    #[allow(clippy::cast_possible_truncation)]
    (0.0..9.0e18).contains(&micros).then_some(micros as i64)
}
