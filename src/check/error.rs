//! `CheckDiagnostic`: everything the checker rejects or warns about, in one enum; a variant
//! with `severity(Warning)` is a warning, any other an error.
//!
//! Where a diagnostic is reported follows one rule: by the pass that knows the whole fact it
//! states, with `Checker::report` (`Cx::report` adds the module), or as a `Diagnostic` with its
//! file where that pass has no module at hand (recursion, budgets). Errors and warnings alike:
//!
//! - What one expression, attribute or statement shows: in the walk that checks it
//!   (`Cx::report` in `expr.rs`, `record.rs`, `attrs.rs`, `stmt.rs`) — most errors, and the
//!   warnings `constant_condition`, `empty_phase`, `quoted_interpolation`,
//!   `timeout_shorter_than_backoff`, `unused_index` (at the end of its `for`).
//! - What a whole workflow shows: at the end of checking it (`workflow.rs`: `unused_param`).
//! - What all modules show: after every workflow is checked (`check.rs`: `recursive_call`;
//!   `items.rs`: `unused_const`, `unused_module`).
//! - What the finished program shows: after the checker, only when there is no error
//!   (`budget.rs`: `budget_worst_case`, which needs a whole program to estimate).

use miette::Diagnostic;
use thiserror::Error;

use crate::span::Span;

/// Everything the checker rejects or warns about. Fields carry the facts; wording lives here.
/// Codes and texts are what users see, and the fixture snapshots hold them.
#[derive(Debug, Error, Diagnostic)]
pub enum CheckDiagnostic {
    // ----- names -----
    #[error("`{name}` is defined more than once")]
    #[diagnostic(code(wf::check::duplicate_name), help("names of items, parameters, steps and blocks must be unique"))]
    DuplicateName {
        name: String,
        #[label(primary, "defined again here")]
        span: Span,
        #[label("first defined here")]
        first: Span,
    },

    #[error("unknown name `{name}`")]
    #[diagnostic(code(wf::check::unknown_name))]
    UnknownName {
        name: String,
        #[label("not a parameter, constant, step or loop variable here")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("{what} has no field `{field}`")]
    #[diagnostic(code(wf::check::unknown_field))]
    UnknownField {
        field: String,
        what: String,
        #[label("unknown field")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("unknown module `{name}`")]
    #[diagnostic(code(wf::check::unknown_module))]
    UnknownModule {
        name: String,
        #[label("no `use` gives this name")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("module `{module}` has no {kind} `{name}`")]
    #[diagnostic(code(wf::check::unknown_item))]
    UnknownItem {
        module: String,
        kind: &'static str,
        name: String,
        #[label("not in `{module}`")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("unknown model `{name}`")]
    #[diagnostic(code(wf::check::unknown_model))]
    UnknownModel {
        name: String,
        #[label("no such model")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("unknown provider `{name}`")]
    #[diagnostic(code(wf::check::unknown_provider))]
    UnknownProvider {
        name: String,
        #[label("not built in and not declared with `provider`")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("a provider's `{attr}` cannot interpolate this")]
    #[diagnostic(code(wf::check::provider_interpolation))]
    ProviderInterpolation {
        attr: &'static str,
        #[label("fixed before the run; no step value exists yet")]
        span: Span,
        #[help]
        help: String,
    },

    #[error("unknown workflow `{name}`")]
    #[diagnostic(code(wf::check::unknown_workflow))]
    UnknownWorkflow {
        name: String,
        #[label("no such workflow")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("unknown function `{name}`")]
    #[diagnostic(code(wf::check::unknown_function))]
    UnknownFunction {
        name: String,
        #[label("not a built-in function")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("unknown type `{name}`")]
    #[diagnostic(code(wf::check::unknown_type))]
    UnknownType {
        name: String,
        #[label("not a type")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    // ----- attributes and statements -----
    #[error("`{attr}` is not allowed on {place}")]
    #[diagnostic(code(wf::check::attribute_not_allowed))]
    AttributeNotAllowed {
        attr: String,
        place: String,
        #[label("not allowed here")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("`{attr}` is given more than once")]
    #[diagnostic(code(wf::check::duplicate_attribute), help("keep one of them"))]
    DuplicateAttribute {
        attr: String,
        #[label(primary, "given again here")]
        span: Span,
        #[label("first given here")]
        first: Span,
    },

    #[error("{what} needs `{attr}`")]
    #[diagnostic(code(wf::check::missing_attribute))]
    MissingAttribute {
        what: String,
        attr: &'static str,
        #[label("declared without `{attr}`")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("`{found}` is not a valid {what}")]
    #[diagnostic(code(wf::check::invalid_choice))]
    InvalidChoice {
        what: &'static str,
        found: String,
        #[label("expected one of: {choices}")]
        span: Span,
        choices: String,
        #[help]
        help: Option<String>,
    },

    #[error("{what} cannot appear here")]
    #[diagnostic(code(wf::check::misplaced_statement))]
    MisplacedStatement {
        what: &'static str,
        #[label("not allowed here")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("gate `{name}` checks nothing")]
    #[diagnostic(
        code(wf::check::gate_checks_nothing),
        help("give it at least one `require EXPR \"message\"`, `warn EXPR \"message\"` or `approve \"question\"`")
    )]
    GateChecksNothing {
        name: String,
        #[label("this gate always passes")]
        span: Span,
    },

    // ----- step references and flow -----
    #[error("step `{name}` has not run yet at this point")]
    #[diagnostic(
        code(wf::check::step_not_yet_run),
        help("a step can only use the values of steps that finished before it starts")
    )]
    StepNotYetRun {
        name: String,
        #[label(primary, "used here")]
        span: Span,
        #[label("`{name}` is defined here, and has not finished when this is read")]
        defined: Span,
    },

    #[error("step `{name}` runs at the same time as this one")]
    #[diagnostic(
        code(wf::check::concurrent_step),
        help("siblings in a `parallel` block run concurrently; read `{name}` after the block")
    )]
    ConcurrentStep {
        name: String,
        #[label(primary, "used here")]
        span: Span,
        #[label("`{name}` runs in parallel with it")]
        defined: Span,
    },

    #[error("step `{name}` may have been skipped")]
    #[diagnostic(code(wf::check::maybe_skipped))]
    MaybeSkipped {
        name: String,
        #[label(primary, "read here")]
        span: Span,
        #[label("{why}")]
        branch: Span,
        why: &'static str,
        #[help]
        help: Option<String>,
    },

    #[error("step `{name}` is inside a `for` body and cannot be seen outside it")]
    #[diagnostic(code(wf::check::step_out_of_scope))]
    StepOutOfScope {
        name: String,
        #[label(primary, "used here")]
        span: Span,
        #[label("the `for` body that holds `{name}`")]
        body: Span,
        #[help]
        help: Option<String>,
    },

    #[error("workflow `{name}` calls itself")]
    #[diagnostic(
        code(wf::check::recursive_call),
        help("every run must be bounded; use `repeat max N` for a loop instead of recursion")
    )]
    RecursiveCall {
        name: String,
        chain: String,
        #[label("this call leads back to `{name}` ({chain})")]
        span: Span,
    },

    // ----- types -----
    #[error("expected {expected}, found `{found}`")]
    #[diagnostic(code(wf::check::type_mismatch))]
    TypeMismatch {
        expected: String,
        found: String,
        #[label("{context}")]
        span: Span,
        context: String,
    },

    #[error("`{op}` cannot combine `{lhs}` and `{rhs}`")]
    #[diagnostic(code(wf::check::unit_mismatch))]
    UnitMismatch {
        op: &'static str,
        lhs: String,
        rhs: String,
        #[label("`{lhs}` {op} `{rhs}`")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("a condition must be `bool`, found `{found}`")]
    #[diagnostic(
        code(wf::check::condition_not_bool),
        help("compare it with something, for example `x > 0` or `name.ok`")
    )]
    ConditionNotBool {
        found: String,
        #[label("this is `{found}`")]
        span: Span,
    },

    #[error("`{func}` takes {expected}, but {found} given")]
    #[diagnostic(code(wf::check::wrong_arity))]
    WrongArity {
        func: String,
        expected: String,
        found: String,
        #[label("called here")]
        span: Span,
    },

    #[error("call to `{workflow}` is missing argument `{param}`")]
    #[diagnostic(code(wf::check::missing_argument), help("add `{param}: VALUE` to the call"))]
    MissingArgument {
        param: String,
        workflow: String,
        #[label("missing `{param}`")]
        span: Span,
    },

    #[error("the record is missing field{plural} {fields}")]
    #[diagnostic(code(wf::check::missing_field))]
    MissingField {
        /// The missing fields with their types: `` `bake: duration` ``.
        fields: String,
        plural: &'static str,
        #[label("missing field{plural}")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("workflow `{workflow}` has no parameter `{name}`")]
    #[diagnostic(code(wf::check::unknown_argument))]
    UnknownArgument {
        name: String,
        workflow: String,
        #[label("unknown parameter")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("{what} cannot be interpolated")]
    #[diagnostic(code(wf::check::cannot_interpolate))]
    CannotInterpolate {
        what: String,
        #[label("not text, a number or a list of them")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    // ----- secrets -----
    #[error("secret `{name}` is interpolated")]
    #[diagnostic(
        code(wf::check::secret_interpolated),
        help("secrets never go into prompts or command lines; commands read it from the environment as `${name}`")
    )]
    SecretInterpolated {
        name: String,
        #[label("this would leak `{name}`")]
        span: Span,
    },

    #[error("secret `{name}` is used in an expression")]
    #[diagnostic(
        code(wf::check::secret_in_expression),
        help("secrets are only given to commands, as the environment variable `{name}`")
    )]
    SecretInExpression {
        name: String,
        #[label("secrets are not values")]
        span: Span,
    },

    #[error("`env(\"{name}\")` has no value where `{name}` is not set")]
    #[diagnostic(
        code(wf::check::env_may_be_unset),
        severity(Warning),
        help("give the value to use when it is not set: `env(\"{name}\", \"\")`")
    )]
    EnvMayBeUnset {
        name: String,
        #[label("an error at run time where `{name}` is not set")]
        span: Span,
    },

    // ----- literals, bounds and patterns -----
    #[error("invalid regular expression: {reason}")]
    #[diagnostic(code(wf::check::invalid_regex))]
    InvalidRegex {
        reason: String,
        #[label("this pattern")]
        span: Span,
    },

    #[error("`{pointer}` is not a JSON pointer")]
    #[diagnostic(
        code(wf::check::invalid_json_pointer),
        help("a JSON pointer is empty or starts with `/`, like `/coverage/total`")
    )]
    InvalidJsonPointer {
        pointer: String,
        #[label("not a JSON pointer")]
        span: Span,
    },

    #[error("`warn at {value}` is outside 0%–100%")]
    #[diagnostic(
        code(wf::check::warn_at_out_of_range),
        help("the warning level is a share of the budget, such as `warn at 80%`")
    )]
    WarnAtOutOfRange {
        value: String,
        #[label("out of range")]
        span: Span,
    },

    #[error("{what} must be {expected}, found {value}")]
    #[diagnostic(code(wf::check::invalid_bound))]
    InvalidBound {
        what: &'static str,
        expected: &'static str,
        value: String,
        #[label("out of range")]
        span: Span,
    },

    #[error("backoff starts at {min} but is capped at {max}")]
    #[diagnostic(code(wf::check::backoff_inverted), help("write the shorter delay first: `backoff {max}..{min}`"))]
    BackoffInverted {
        min: String,
        max: String,
        #[label("the first delay is longer than the cap")]
        span: Span,
    },

    #[error("{what} must be known before the run starts")]
    #[diagnostic(
        code(wf::check::bound_not_static),
        help(
            "use a literal, a constant, a workflow parameter, a field of one, or a loop variable over such a list, so `wf cost` can bound the run"
        )
    )]
    BoundNotStatic {
        what: &'static str,
        /// Why not: what it reads that only the run computes.
        reason: String,
        #[label("{reason}")]
        span: Span,
    },

    #[error("{what} is not a constant expression")]
    #[diagnostic(
        code(wf::check::not_constant),
        help("constants and parameter defaults may use literals, other constants and operators only")
    )]
    NotConstant {
        what: String,
        #[label("not known before the run")]
        span: Span,
    },

    #[error("constant `{name}` is defined in terms of itself")]
    #[diagnostic(code(wf::check::const_cycle))]
    ConstCycle {
        name: String,
        #[label("`{name}` depends on itself through this")]
        span: Span,
    },

    #[error("`{{{{…}}}}` {place} in a command: the shell would not keep the value one word")]
    #[diagnostic(code(wf::check::quoted_interpolation))]
    QuotedInterpolation {
        /// Where it stands: "inside double quotes", "in a here-document", …
        place: &'static str,
        #[help]
        help: &'static str,
        #[label("wf quotes this value for a plain command word")]
        span: Span,
    },

    // ----- watch -----
    #[error("the `{what}` window ({window}) is longer than the watch ({duration})")]
    #[diagnostic(
        code(wf::check::watch_window_too_long),
        help("a condition can hold at most as long as the watch polls: shorten the window or watch for longer")
    )]
    WatchWindowTooLong {
        what: &'static str,
        window: String,
        duration: String,
        #[label("longer than `for {duration}`")]
        span: Span,
        #[label("the watch ends here")]
        watch: Span,
    },

    #[error("the watch polls every {every} but lasts only {duration}")]
    #[diagnostic(
        code(wf::check::watch_interval_too_long),
        help("`every` is the time between polls; it must fit in `for`, which bounds the whole watch")
    )]
    WatchIntervalTooLong {
        every: String,
        duration: String,
        #[label("longer than `for {duration}`")]
        span: Span,
    },

    #[error("`{what}` reads none of the watch's outputs")]
    #[diagnostic(code(wf::check::watch_condition_without_output))]
    WatchConditionWithoutOutput {
        what: &'static str,
        #[help]
        help: String,
        #[label("the same on every poll")]
        span: Span,
    },

    #[error("a budget `per {period}` belongs to the workflow, not to a phase or block")]
    #[diagnostic(
        code(wf::check::misplaced_period_budget),
        help("a budget across runs spans every run of the workflow: move it to the workflow's attributes, or drop `per {period}` for a budget of this part of one run")
    )]
    MisplacedPeriodBudget {
        period: String,
        #[label("only a workflow's budget can be per day or per month")]
        span: Span,
    },

    // ----- warnings -----
    #[error("timeout {timeout} is shorter than the retry backoff ({backoff} in the worst case)")]
    #[diagnostic(
        code(wf::check::timeout_shorter_than_backoff),
        severity(Warning),
        help("the step would time out while waiting to retry; raise the timeout or shorten the backoff")
    )]
    TimeoutShorterThanBackoff {
        timeout: String,
        backoff: String,
        #[label("timeout")]
        span: Span,
    },

    #[error("the worst case of {scope} {verb} {worst}, over its budget of {budget}")]
    #[diagnostic(
        code(wf::check::budget_worst_case),
        severity(Warning),
        help(
            "a run pauses when its budget is spent; raise the budget, or lower the retries, loop bounds or \
             estimates that make up the worst case (`wf cost FILE` lists them)"
        )
    )]
    BudgetWorstCase {
        scope: String,
        verb: &'static str,
        worst: String,
        budget: String,
        #[label("the worst case goes over this")]
        span: Span,
    },

    #[error("this condition is always {value}")]
    #[diagnostic(
        code(wf::check::constant_condition),
        severity(Warning),
        help("a condition that never changes is usually a mistake")
    )]
    ConstantCondition {
        value: bool,
        #[label("always {value}")]
        span: Span,
    },

    #[error("phase `{name}` has no steps")]
    #[diagnostic(code(wf::check::empty_phase), severity(Warning), help("add its steps, or remove the phase"))]
    EmptyPhase {
        name: String,
        #[label("empty")]
        span: Span,
    },

    #[error("a money budget over unpriced models: their tokens count as $0 ({models})")]
    #[diagnostic(
        code(wf::check::budget_unpriced),
        severity(Warning),
        help("declare a `model` item with `input` and `output` prices and the same `id`, so the budget can see what the agents spend")
    )]
    BudgetUnpriced {
        models: String,
        #[label("this budget cannot count their cost")]
        span: Span,
    },

    #[error("parameter `{name}` is never used")]
    #[diagnostic(code(wf::check::unused_param), severity(Warning), help("remove it, or use it"))]
    UnusedParam {
        name: String,
        #[label("unused")]
        span: Span,
    },

    #[error("loop index `{name}` is never used")]
    #[diagnostic(
        code(wf::check::unused_index),
        severity(Warning),
        help("remove it: `for {var} in ...` needs no index")
    )]
    UnusedIndex {
        name: String,
        var: String,
        #[label("unused")]
        span: Span,
    },

    #[error("constant `{name}` is never used")]
    #[diagnostic(code(wf::check::unused_const), severity(Warning), help("remove it, or use it"))]
    UnusedConst {
        name: String,
        #[label("unused")]
        span: Span,
    },

    #[error("module `{name}` is never used")]
    #[diagnostic(code(wf::check::unused_module), severity(Warning), help("remove the `use`"))]
    UnusedModule {
        name: String,
        #[label("unused")]
        span: Span,
    },
}
