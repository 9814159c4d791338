//! The abstract syntax tree: what a `.wf` file says, with the byte span of every part.
//!
//! The tree is as close to the source as is useful for the checker, the formatter and the
//! language server: names are plain strings (the checker resolves them), literals keep their
//! unit and their normalised value, and nothing is reordered.

use serde::Serialize;

pub use crate::lexicon::{BinaryOp, LitValue, UnaryOp};
use crate::span::Span;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed file. Items keep their source order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct File {
    pub items: Vec<Item>,
    /// Every `//` and `/* */` comment, in source order (kept for `wf fmt`).
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum Item {
    Use(Use),
    Const(Const),
    Model(Model),
    Provider(Provider),
    Workflow(Workflow),
}

/// `use std/models`, `use std/gates as g`, `use "./team/checks.wf" as team`.
#[derive(Debug, Clone, Serialize)]
pub struct Use {
    pub target: UseTarget,
    pub alias: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum UseTarget {
    /// `std/NAME` (possibly `std/flows/NAME`): the segments after `std/`.
    Std { path: Vec<Ident>, span: Span },
    /// A quoted path relative to the using file.
    Path { path: String, span: Span },
}

/// `const NAME [: TYPE] = EXPR`
#[derive(Debug, Clone, Serialize)]
pub struct Const {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub span: Span,
}

/// `model NAME { id "..." input $3.00 per 1M tokens ... }`
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub name: Ident,
    pub attrs: Vec<ModelAttr>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum ModelAttr {
    Id {
        value: StringLit,
        span: Span,
    },
    /// `input|output|cached $X per N tokens`
    Price {
        kind: PriceKind,
        price: Price,
        span: Span,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PriceKind {
    Input,
    Output,
    Cached,
}

/// `$3.00 per 1M tokens`
#[derive(Debug, Clone, Serialize)]
pub struct Price {
    pub money: Literal,
    pub per: Literal,
    pub span: Span,
}

/// `provider NAME { kind openai url "..." }`
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    pub name: Ident,
    pub attrs: Vec<ProviderAttr>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum ProviderAttr {
    /// `kind sim|command|openai|anthropic` (kept as written; the checker validates it).
    Kind { value: Ident, span: Span },
    /// `url "http://..."`
    Url { value: StringLit, span: Span },
    /// `command "my-agent --json"` for `kind command`.
    Command { value: StringLit, span: Span },
    /// `key ENV_NAME`: the environment variable holding the API key.
    Key { value: Ident, span: Span },
    /// `model "ID"`: the model of agent steps that name none.
    Model { value: StringLit, span: Span },
    /// `format text|json|claude|codex`: how a `kind command` agent's stdout is read.
    Format { value: Ident, span: Span },
}

/// `workflow NAME(params) { body }`
#[derive(Debug, Clone, Serialize)]
pub struct Workflow {
    pub name: Ident,
    pub params: Vec<Param>,
    pub body: Block,
    pub span: Span,
}

/// `name: TYPE [= EXPR]`
#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

/// A written type: `string`, `list<string>`, `{ repos: list<string>, n: int }`.
#[derive(Debug, Clone, Serialize)]
pub enum TypeExpr {
    /// A scalar type name as written (`string`, `int`, ..., or a misspelling for the checker).
    Named(Ident),
    List {
        elem: Box<TypeExpr>,
        span: Span,
    },
    Record {
        fields: Vec<FieldType>,
        span: Span,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldType {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

/// The inside of `{ ... }` of a workflow, phase or block: attributes and statements in
/// source order. Attributes may appear anywhere; the checker decides which are allowed where.
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub entries: Vec<Entry>,
    /// From `{` to `}` inclusive.
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum Entry {
    Attr(Attr),
    Stmt(Stmt),
}

/// Every attribute of every place (workflow, phase, block, step, gate). Each starts with its
/// keyword; `span` covers the whole attribute.
#[derive(Debug, Clone, Serialize)]
pub struct Attr {
    pub kind: AttrKind,
    pub span: Span,
    /// The span of the leading keyword (where "not allowed here" points).
    pub keyword: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum AttrKind {
    /// `description "..."`
    Description(StringLit),
    /// `budget $3.00 [per day|month] [warn at 80%]` or `budget 150k tokens [warn at 80%]`;
    /// `per` makes it a budget across every run of the workflow in a day or a month.
    Budget { amount: Expr, per: Option<Ident>, warn_at: Option<Expr> },
    /// `timeout 30m`
    Timeout(Expr),
    /// `mode autopilot|supervised|hybrid`
    Mode(Ident),
    /// `provider NAME` (default or per agent step)
    Provider(Path),
    /// `model NAME` / `model models.sonnet`
    Model(Path),
    /// `concurrency 4`
    Concurrency(Expr),
    /// `secret NAME`
    Secret(Ident),
    /// `env { K: EXPR, ... }`
    Env(Vec<EnvVar>),
    /// `shell "bash"`
    Shell(StringLit),
    /// `retry N [backoff D1..D2] [on KIND, ...]`
    Retry { count: Expr, backoff: Option<(Expr, Expr)>, on: Vec<RetryOn> },
    /// `on failure abort|continue|rollback|escalate ["msg"]`
    OnFailure { policy: Ident, message: Option<StringLit> },
    /// `undo run "command"`
    Undo(StringLit),
    /// `risk low|high`
    Risk(Ident),
    /// `dir EXPR`
    Dir(Expr),
    /// `expect 12k tokens` / `expect $0.40` / `expect 5m`
    Expect(Expr),
    /// `cost $0.50`
    Cost(Expr),
    /// `output NAME: TYPE = json(stdout, "/ptr")` / `regex(stdout, "re")`
    Output { name: Ident, ty: TypeExpr, source: OutputSource },
    /// `prompt "..."`
    Prompt(StringLit),
    /// `returns { f: T, ... }`
    Returns(Vec<FieldType>),
    /// `require EXPR "msg"` (gates)
    Require { cond: Expr, message: StringLit },
    /// `warn EXPR "msg"` (gates)
    Warn { cond: Expr, message: StringLit },
    /// `approve "question"` (gates)
    Approve(StringLit),
    /// `on timeout approve|reject` (gates with `approve` and a `timeout`)
    OnTimeout(Ident),
    /// `fail when COND [for WINDOW]` in a `watch`.
    FailWhen(Judgement),
    /// `pass when COND [for WINDOW]` in a `watch`.
    PassWhen(Judgement),
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// One `on` kind of a `retry`.
#[derive(Debug, Clone, Serialize)]
pub enum RetryOn {
    Exit { code: Expr, span: Span },
    Timeout { span: Span },
    Error { span: Span },
    Any { span: Span },
}

/// `json(stdout, "/ptr")` or `regex(stdout, "re")`; the stream is `stdout` or `stderr`.
#[derive(Debug, Clone, Serialize)]
pub struct OutputSource {
    pub func: Ident,
    pub stream: Ident,
    pub pattern: StringLit,
    pub span: Span,
}

/// A dotted name: `sonnet`, `models.sonnet`, `g.security`.
#[derive(Debug, Clone, Serialize)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum Stmt {
    Phase(Phase),
    Run(Run),
    Agent(Agent),
    Call(Call),
    Gate(Gate),
    Wait(Wait),
    Watch(Watch),
    Parallel(Parallel),
    If(If),
    Repeat(Repeat),
    For(For),
    Fail(Fail),
    /// `on failure { ... }` in a workflow.
    OnFailure(Handler),
    /// `finally { ... }` in a workflow.
    Finally(Handler),
}

#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: Ident,
    pub body: Block,
    pub span: Span,
}

/// `run NAME "command" [{ attrs }]`
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub name: Ident,
    pub command: StringLit,
    pub attrs: Option<Block>,
    pub span: Span,
}

/// `agent NAME "role" [{ attrs }]`
#[derive(Debug, Clone, Serialize)]
pub struct Agent {
    pub name: Ident,
    pub role: StringLit,
    pub attrs: Option<Block>,
    pub span: Span,
}

/// `call NAME target(arg: expr, ...) [{ attrs }]`
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub name: Ident,
    pub target: Path,
    pub args: Vec<NamedArg>,
    pub attrs: Option<Block>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct NamedArg {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `gate NAME { require ...; warn ...; approve "..." }`
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub name: Ident,
    pub body: Block,
    pub span: Span,
}

/// `wait NAME 30m [{ attrs }]`
#[derive(Debug, Clone, Serialize)]
pub struct Wait {
    pub name: Ident,
    pub duration: Expr,
    pub attrs: Option<Block>,
    pub span: Span,
}

/// `watch NAME "command" every INTERVAL for DURATION { attrs }`
#[derive(Debug, Clone, Serialize)]
pub struct Watch {
    pub name: Ident,
    pub command: StringLit,
    pub every: Expr,
    pub duration: Expr,
    pub body: Block,
    pub span: Span,
}

/// A `watch`'s condition and how long it must hold: `err > 1% for 5m`.
#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    pub cond: Expr,
    pub window: Option<Expr>,
}

/// `parallel [NAME] [max N] { ... }`
#[derive(Debug, Clone, Serialize)]
pub struct Parallel {
    pub name: Option<Ident>,
    pub max: Option<Expr>,
    pub body: Block,
    pub span: Span,
}

/// `if EXPR { ... } else if EXPR { ... } else { ... }`
#[derive(Debug, Clone, Serialize)]
pub struct If {
    /// At least one; each `(condition, block)` in order.
    pub branches: Vec<(Expr, Block)>,
    pub otherwise: Option<Block>,
    pub span: Span,
}

/// `repeat [NAME] max N [until EXPR] { ... }`
#[derive(Debug, Clone, Serialize)]
pub struct Repeat {
    pub name: Option<Ident>,
    pub max: Expr,
    pub until: Option<Expr>,
    pub body: Block,
    pub span: Span,
}

/// `for [NAME] [INDEX,] VAR in EXPR [parallel [max N]] { ... }`
#[derive(Debug, Clone, Serialize)]
pub struct For {
    pub name: Option<Ident>,
    /// `i` of `for i, stage in stages`: the item's position, an `int` from 0.
    pub index: Option<Ident>,
    pub var: Ident,
    pub iter: Expr,
    /// `Some(None)`: `parallel` without a bound; `Some(Some(n))`: `parallel max n`.
    pub parallel: Option<Option<Expr>>,
    pub body: Block,
    pub span: Span,
}

/// `fail "message"`
#[derive(Debug, Clone, Serialize)]
pub struct Fail {
    pub message: StringLit,
    pub span: Span,
}

/// `on failure { ... }` / `finally { ... }`
#[derive(Debug, Clone, Serialize)]
pub struct Handler {
    pub body: Block,
    pub span: Span,
}

/// A string literal or text block: literal text and `{{ expr }}` interpolations in order.
#[derive(Debug, Clone, Serialize)]
pub struct StringLit {
    pub parts: Vec<StrPart>,
    /// Whether written as a `"""` text block (kept for `wf fmt`).
    pub block: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum StrPart {
    /// Text with escapes already resolved and, in text blocks, indentation removed.
    Text(String),
    Interp(Expr),
}

impl StringLit {
    /// The text when the literal has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StrPart::Text(text) => out.push_str(text),
                StrPart::Interp(_) => return None,
            }
        }
        Some(out)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum ExprKind {
    Literal(Literal),
    Str(StringLit),
    List(Vec<Expr>),
    /// `{ pct: 10%, bake: 15m }`
    Record(Vec<FieldInit>),
    /// A bare name: a parameter, constant, loop variable, step or module alias.
    Name(String),
    /// `base.field`
    Field {
        base: Box<Expr>,
        field: Ident,
    },
    /// `base[index]`
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// `func(args)` — `len`, `contains`, `matches`, `env`, `min`, `max`, `all`, `any`.
    Call {
        func: Ident,
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

/// `name: value` in a record literal.
#[derive(Debug, Clone, Serialize)]
pub struct FieldInit {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// A literal with its unit, normalised: durations in milliseconds, money in integer
/// micro-dollars, tokens as a count. `text` is the literal exactly as written.
#[derive(Debug, Clone, Serialize)]
pub struct Literal {
    pub value: LitValue,
    pub text: String,
    pub span: Span,
}
