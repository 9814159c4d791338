//! The typed intermediate representation: what the checker hands to the runner and tools.
//!
//! Everything here is resolved and normalised: references point at steps, models, providers
//! and workflows by index, units are integers (milliseconds, micro-dollars, token counts), and
//! every step carries its stable id and a content hash of its definition. Spans are kept so
//! the runner can point at the source when something fails at run time.

mod display;
pub mod eval;
mod hash;
mod types;
mod value;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use crate::source::FileId;
pub use hash::step_hash;
pub use types::{Type, SCALAR_NAMES};
pub use value::{
    format_cost, format_duration, format_elapsed, format_money, format_token_count, format_tokens, Value,
    MICROS_PER_DOLLAR,
};

use crate::lexicon::{BinaryOp, UnaryOp};
use crate::span::{self, Span};

/// Everything checked from one root file and the modules it uses.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Program {
    /// All workflows of all modules; `entry` lists the root file's own.
    pub workflows: Vec<Workflow>,
    pub entry: Vec<WorkflowId>,
    pub models: Vec<Model>,
    pub providers: Vec<Provider>,
}

impl Program {
    /// `root` and every workflow its steps call, directly or not.
    pub fn reachable(&self, root: WorkflowId) -> Vec<WorkflowId> {
        let mut seen = vec![root];
        let mut next = 0;
        while let Some(&id) = seen.get(next) {
            next += 1;
            for step in &self.workflows[id.0].steps {
                if let StepKind::Call(call) = &step.kind {
                    if !seen.contains(&call.workflow) {
                        seen.push(call.workflow);
                    }
                }
            }
        }
        seen
    }

    /// The root file's workflow named `name`, or its only one when `name` is `None`.
    pub fn entry_workflow(&self, name: Option<&str>) -> Option<&Workflow> {
        match name {
            Some(name) => self.entry.iter().map(|id| &self.workflows[id.0]).find(|workflow| workflow.name == name),
            None if self.entry.len() == 1 => Some(&self.workflows[self.entry[0].0]),
            None => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkflowId(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelId(pub usize);

/// Index of a step in its workflow's `steps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub struct StepIdx(pub usize);

impl Serialize for StepIdx {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Arena positions shift when steps are added; a step's hash names others by id.
        if span::positions_hidden() {
            return serializer.serialize_unit();
        }
        serializer.serialize_u64(self.0 as u64)
    }
}

/// A model and its prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// `models.sonnet` for a module's model, `sonnet` for the root file's.
    pub name: String,
    /// The provider's name for it (`claude-sonnet-4-5`).
    pub id: String,
    pub input: Price,
    pub output: Price,
    pub cached: Option<Price>,
    pub file: FileId,
    pub span: Span,
    /// Whether a price table is known: a provider's default model has none, so its tokens
    /// are journaled at $0 and reports say "unpriced" (`sim`'s free model is priced at $0).
    #[serde(skip_serializing_if = "is_true", default = "yes")]
    pub priced: bool,
    /// Not declared: the default model of the step's provider. A `--provider` swap gives
    /// the step the new provider's default instead.
    #[serde(skip_serializing_if = "is_false", default)]
    pub provider_default: bool,
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// What a stored program (`journal::program`) reads for a `priced` left out: it was true.
fn yes() -> bool {
    true
}

/// The model id of `sim`'s built-in free model.
pub const SIM_MODEL: &str = "sim";

/// `micros` micro-dollars per `per_tokens` tokens, kept as written so that pricing stays exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub micros: i64,
    pub per_tokens: u64,
}

impl Price {
    /// The cost of `tokens` tokens in micro-dollars, rounded half up.
    pub fn cost(self, tokens: u64) -> i64 {
        let numerator = i128::from(self.micros) * i128::from(tokens);
        let per = i128::from(self.per_tokens.max(1));
        i64::try_from((numerator + per / 2) / per).unwrap_or(i64::MAX)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderKind {
    Sim,
    Command,
    OpenAi,
    Anthropic,
}

impl ProviderKind {
    pub const NAMES: &'static [&'static str] = &["sim", "command", "openai", "anthropic"];

    pub fn from_name(name: &str) -> Option<ProviderKind> {
        Some(match name {
            "sim" => ProviderKind::Sim,
            "command" => ProviderKind::Command,
            "openai" => ProviderKind::OpenAi,
            "anthropic" => ProviderKind::Anthropic,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    pub url: Option<String>,
    /// For `kind command`: the command line, where `{{model}}` stands for the model's id.
    pub command: Option<Vec<CommandPart>>,
    /// How a `kind command` agent's stdout is read.
    pub format: CliFormat,
    /// Name of the environment variable holding the API key.
    pub key: Option<String>,
    /// `model "ID"`: the model of agent steps that name none.
    pub model: Option<String>,
    pub span: Span,
}

impl Provider {
    /// The command as written: `claude -p --model {{model}}`.
    pub fn command_text(&self) -> Option<String> {
        self.command.as_ref().map(|parts| {
            parts
                .iter()
                .map(|part| match part {
                    CommandPart::Text(text) => text.as_str(),
                    CommandPart::Model => "{{model}}",
                })
                .collect()
        })
    }
}

/// A piece of a provider's command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandPart {
    Text(String),
    /// `{{model}}`: the model's id, quoted as one shell word.
    Model,
}

/// How an agent CLI's stdout is read (spec §13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CliFormat {
    /// All of it is the answer; usage unknown.
    #[default]
    Text,
    /// wf's protocol: `{"text": …, "returns": …, "usage": …, "cost_usd": …}`.
    Json,
    /// Claude Code's `--output-format json` object or `stream-json` lines.
    Claude,
    /// Codex's `exec --json` lines.
    Codex,
}

impl CliFormat {
    pub const NAMES: &'static [&'static str] = &["text", "json", "claude", "codex"];

    pub fn from_name(name: &str) -> Option<CliFormat> {
        Some(match name {
            "text" => CliFormat::Text,
            "json" => CliFormat::Json,
            "claude" => CliFormat::Claude,
            "codex" => CliFormat::Codex,
            _ => return None,
        })
    }
}

/// Which provider an agent step uses: `sim`, another built-in one, or a declared one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProviderRef {
    Sim,
    Builtin(Builtin),
    Declared(usize),
}

/// The providers every file can name without declaring them (spec §13). A declared
/// `provider` item of the same name takes the name over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Builtin {
    ClaudeCode,
    Codex,
    OpenAi,
    Anthropic,
    Ollama,
}

impl Builtin {
    pub const ALL: [Builtin; 5] =
        [Builtin::ClaudeCode, Builtin::Codex, Builtin::OpenAi, Builtin::Anthropic, Builtin::Ollama];

    /// The name a file uses (an identifier: `claude_code`).
    pub fn name(self) -> &'static str {
        match self {
            Builtin::ClaudeCode => "claude_code",
            Builtin::Codex => "codex",
            Builtin::OpenAi => "openai",
            Builtin::Anthropic => "anthropic",
            Builtin::Ollama => "ollama",
        }
    }

    /// By name; the command line may also write `claude-code`.
    pub fn from_name(name: &str) -> Option<Builtin> {
        let name = name.replace('-', "_");
        Builtin::ALL.into_iter().find(|builtin| builtin.name() == name)
    }

    /// The model its agent steps get when neither they nor their workflow name one.
    pub fn default_model(self) -> Option<&'static str> {
        match self {
            Builtin::ClaudeCode => Some("sonnet"),
            Builtin::Codex => Some("gpt-5"),
            Builtin::OpenAi => Some("gpt-4o-mini"),
            Builtin::Anthropic => Some("claude-sonnet-4-5"),
            Builtin::Ollama => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    Autopilot,
    Supervised,
    Hybrid,
}

impl Mode {
    pub const NAMES: &'static [&'static str] = &["autopilot", "supervised", "hybrid"];

    pub fn from_name(name: &str) -> Option<Mode> {
        Some(match name {
            "autopilot" => Mode::Autopilot,
            "supervised" => Mode::Supervised,
            "hybrid" => Mode::Hybrid,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workflow {
    pub name: String,
    /// The module it comes from: `None` for the root file, `Some("std/gates")` otherwise.
    pub module: Option<String>,
    pub file: FileId,
    pub params: Vec<Param>,
    pub description: Option<String>,
    pub budget: Budget,
    /// `budget … per day` and `per month`: budgets across every run of the workflow.
    #[serde(skip_serializing_if = "Periods::is_empty", default)]
    pub periods: Periods,
    pub timeout: Option<Expr>,
    pub mode: Mode,
    pub provider: ProviderRef,
    pub model: Option<ModelId>,
    pub concurrency: Option<Bound>,
    pub secrets: Vec<String>,
    pub env: IndexMap<String, Expr>,
    /// The shell that runs commands as `SHELL -c COMMAND`.
    pub shell: String,
    pub body: Vec<Node>,
    pub on_failure: Vec<Node>,
    pub finally: Vec<Node>,
    /// Every named step and block, in source order; `Node`s and expressions refer here.
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub ty: Type,
    pub default: Option<Value>,
    pub span: Span,
}

/// A span of calendar time that a budget across runs covers, in the local time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Since local midnight.
    Day,
    /// Since the first of the month, at local midnight.
    Month,
}

impl Period {
    pub const NAMES: &'static [&'static str] = &["day", "month"];
    pub const ALL: [Period; 2] = [Period::Day, Period::Month];

    pub fn from_name(name: &str) -> Option<Period> {
        match name {
            "day" => Some(Period::Day),
            "month" => Some(Period::Month),
            _ => None,
        }
    }

    /// Its word in `per day`, and its key in `--budget 'day=$8'`.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Month => "month",
        }
    }
}

/// The budgets across runs of a workflow: each spans every run of it (by name and file) in
/// one journal since the period began.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Periods {
    pub day: Budget,
    pub month: Budget,
}

impl Periods {
    pub fn is_empty(&self) -> bool {
        self.get(Period::Day).is_empty() && self.get(Period::Month).is_empty()
    }

    pub fn get(&self, period: Period) -> &Budget {
        match period {
            Period::Day => &self.day,
            Period::Month => &self.month,
        }
    }

    pub fn get_mut(&mut self, period: Period) -> &mut Budget {
        match period {
            Period::Day => &mut self.day,
            Period::Month => &mut self.month,
        }
    }
}

/// Money and token limits, each with an optional warning level.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Budget {
    /// Micro-dollars.
    pub money: Option<Limit>,
    pub tokens: Option<Limit>,
}

impl Budget {
    pub fn is_empty(&self) -> bool {
        self.money.is_none() && self.tokens.is_none()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limit {
    /// Micro-dollars for money, a count for tokens; for a budget that reads parameters, what
    /// their defaults give (0 without them): the run's arguments give the real one, from `expr`.
    pub amount: u64,
    /// The amount's expression when it reads parameters (`budget $0.50 * rounds`), read with
    /// the run's arguments by `cost::Budget::from_ir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expr: Option<Expr>,
    /// Percent of `amount` at which to warn once.
    pub warn_at: Option<f64>,
    pub span: Span,
}

/// The tree of statements. Leaves and named blocks point into `Workflow::steps`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Node {
    /// A `run`, `agent`, `call`, `gate` or `wait` step.
    Step(StepIdx),
    Phase {
        step: StepIdx,
        body: Vec<Node>,
        control: Control,
    },
    Parallel {
        step: Option<StepIdx>,
        max: Option<Bound>,
        body: Vec<Node>,
        control: Control,
        span: Span,
    },
    If {
        branches: Vec<Branch>,
        otherwise: Vec<Node>,
        span: Span,
    },
    Repeat {
        step: Option<StepIdx>,
        max: Bound,
        until: Option<Expr>,
        body: Vec<Node>,
        control: Control,
        span: Span,
    },
    For {
        step: Option<StepIdx>,
        /// `i` of `for i, stage in stages`: the item's position, an `int` from 0.
        #[serde(skip_serializing_if = "Option::is_none")]
        index: Option<String>,
        var: String,
        iter: Expr,
        parallel: Option<Option<Bound>>,
        body: Vec<Node>,
        control: Control,
        span: Span,
    },
    Fail {
        message: Template,
        span: Span,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Branch {
    pub cond: Expr,
    pub body: Vec<Node>,
}

/// What a phase or block declares about itself.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Control {
    pub timeout: Option<Expr>,
    pub on_failure: FailurePolicy,
    pub budget: Budget,
}

/// A loop or concurrency bound: an `int` expression of constants and parameters, with its
/// value when it reads no parameter. A bound that reads one has the value the run's
/// arguments give it, read by [`eval::count`] (the runner, `wf cost` and `--dry-run` alike).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bound {
    pub expr: Expr,
    pub known: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum FailurePolicy {
    #[default]
    Abort,
    Continue,
    Rollback,
    Escalate {
        message: Option<Template>,
    },
}

impl FailurePolicy {
    pub const NAMES: &'static [&'static str] = &["abort", "continue", "rollback", "escalate"];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Risk {
    #[default]
    Low,
    High,
}

/// A named step or block.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// Stable id: `phase/name`, or `name` outside phases. Loop iterations add `[i]` at run time.
    pub id: String,
    pub name: String,
    pub kind: StepKind,
    pub common: Common,
    /// Content hash of the normalised definition (not of its formatting or comments).
    pub hash: String,
    pub span: Span,
    /// The values it yields, with their types: what `NAME.field` reads. Known even when the
    /// step itself has errors (the language server shows them while it is being written).
    /// Not serialised: for a checked program it follows from `kind`, and the snapshots and
    /// hashes are about what a step does. A stored program (`journal::program`) reads back
    /// without them: the runner never reads them.
    #[serde(skip)]
    pub fields: IndexMap<String, Type>,
}

/// Attributes every step may carry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Common {
    pub retry: Option<Retry>,
    pub timeout: Option<Expr>,
    pub on_failure: FailurePolicy,
    pub undo: Option<Template>,
    pub risk: Risk,
    pub expect: Expect,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Retry {
    pub count: Bound,
    /// Milliseconds: the first delay and the cap.
    pub backoff_min: u64,
    pub backoff_max: u64,
    pub on: Vec<RetryOn>,
}

impl Retry {
    /// The longest the waits before `count` retries can add up to, in milliseconds: the delay
    /// doubles from `backoff_min` and is capped at `backoff_max`, and full jitter waits at most
    /// the delay.
    pub fn worst_backoff(&self, count: u64) -> u64 {
        let mut total: u64 = 0;
        let mut delay = self.backoff_min;
        for done in 0..count {
            if delay == 0 {
                break;
            }
            if delay >= self.backoff_max {
                return total.saturating_add(self.backoff_max.saturating_mul(count - done));
            }
            total = total.saturating_add(delay);
            delay = delay.saturating_mul(2);
        }
        total
    }
}

pub const DEFAULT_BACKOFF: (u64, u64) = (1_000, 60_000);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RetryOn {
    Exit(i64),
    Timeout,
    Error,
    Any,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Expect {
    pub tokens: Option<u64>,
    /// Micro-dollars.
    pub money: Option<i64>,
    /// Milliseconds.
    pub duration: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StepKind {
    Run(Run),
    Agent(Agent),
    Call(Call),
    Gate(Gate),
    Wait {
        duration: Expr,
    },
    Watch(Box<Watch>),
    /// A phase or a named `parallel`/`repeat`/`for` block: it has values, not a body of its own here.
    Block(BlockKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlockKind {
    Phase,
    Parallel,
    Repeat,
    For,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub command: Template,
    pub dir: Option<Expr>,
    pub env: IndexMap<String, Expr>,
    pub outputs: Vec<Output>,
    /// Micro-dollars added to the ledger when the step runs.
    pub cost: Option<i64>,
}

/// `watch NAME "command" every INTERVAL for DURATION { ... }`: a command polled, its outputs
/// judged over windows of time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Watch {
    /// What one poll runs and reads, as a `run` step does (its `cost` is always `None`).
    pub poll: Run,
    /// The time from one poll's start to the next one's: a static duration.
    pub every: Expr,
    /// How long the watch lasts at most: a static duration, its worst case.
    pub duration: Expr,
    pub fail: Judgement,
    pub pass: Option<Judgement>,
}

/// `fail when COND for WINDOW`: a condition over a watch's outputs (read in it as loop
/// variables, `ExprKind::LoopVar`), and how long it must hold; no window is one poll.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Judgement {
    pub cond: Expr,
    pub window: Option<Expr>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Output {
    pub name: String,
    pub ty: Type,
    pub source: OutputSource,
    pub stream: Stream,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum OutputSource {
    /// An RFC 6901 JSON pointer.
    Json(String),
    /// A regex whose first capture group is the value.
    Regex(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Agent {
    pub role: Template,
    pub prompt: Template,
    pub model: ModelId,
    pub provider: ProviderRef,
    pub returns: IndexMap<String, Type>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Call {
    pub workflow: WorkflowId,
    pub args: IndexMap<String, Expr>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gate {
    pub checks: Vec<GateCheck>,
    pub approve: Option<Approval>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GateCheck {
    pub level: CheckLevel,
    pub cond: Expr,
    pub message: Template,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckLevel {
    Require,
    Warn,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Approval {
    pub question: Template,
    /// How long to wait for a person; the gate's `timeout`.
    pub timeout: Option<Expr>,
    /// What a timeout means: `false` rejects (the default), `true` approves.
    pub approve_on_timeout: bool,
}

/// A string with interpolations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

impl Template {
    /// The text when there is no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(text) => out.push_str(text),
                TemplatePart::Expr(_) => return None,
            }
        }
        Some(out)
    }
}

/// A typed expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExprKind {
    /// A literal, or a constant folded to its value.
    Value(Value),
    List(Vec<Expr>),
    /// `{ pct: 10%, bake: 15m }`, its fields in the order written.
    Record(IndexMap<String, Expr>),
    /// A string with interpolations.
    Template(Template),
    Param(String),
    /// The variable of an enclosing `for`; in a `watch`'s conditions, also one of its outputs.
    LoopVar(String),
    /// A step or named block, resolved; `id` is its stable id, for people reading the IR.
    Step {
        index: StepIdx,
        id: String,
    },
    Field {
        base: Box<Expr>,
        field: String,
    },
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Call {
        func: Func,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
}

/// The built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Func {
    Len,
    Contains,
    Matches,
    Env,
    Min,
    Max,
    All,
    Any,
}

impl Func {
    pub const NAMES: &'static [&'static str] = &["len", "contains", "matches", "env", "min", "max", "all", "any"];

    pub fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "len" => Func::Len,
            "contains" => Func::Contains,
            "matches" => Func::Matches,
            "env" => Func::Env,
            "min" => Func::Min,
            "max" => Func::Max,
            "all" => Func::All,
            "any" => Func::Any,
            _ => return None,
        })
    }
}
