//! Attributes: which are allowed where, and the ones every step or block shares (retry,
//! timeout, failure policy, undo, risk, estimates, budgets).

use std::collections::HashMap;

use super::cx::Cx;
use super::expr::{is_known_before_run, is_static, Defaults};
use super::items::invalid_choice;
use super::CheckDiagnostic;
use crate::ir::eval::{eval, NoEnv};
use crate::ir::{
    self, format_duration, Bound, Budget, Common, Control, Expect, Expr, ExprKind, FailurePolicy, Limit, Retry,
    RetryOn, Risk, Type, Value, DEFAULT_BACKOFF,
};
use crate::span::Span;
use crate::suggest;
use crate::syntax::ast::{self, Attr, AttrKind};

/// The places attributes can be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Workflow,
    Phase,
    /// `parallel`, `repeat` or `for`.
    Block(&'static str),
    /// An `if` branch or a workflow handler: statements only.
    Plain(&'static str),
    Run,
    Agent,
    Call,
    Gate,
    Wait,
    Watch,
}

const STEP: &[&str] = &["retry", "timeout", "on failure", "undo", "risk", "expect"];

impl Place {
    /// The attribute keywords allowed at this place.
    pub(crate) fn allowed(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            Place::Workflow => &[
                "description",
                "budget",
                "timeout",
                "mode",
                "provider",
                "model",
                "concurrency",
                "secret",
                "env",
                "shell",
            ],
            Place::Phase => &["timeout", "on failure", "budget"],
            Place::Block(_) => &["timeout", "on failure"],
            Place::Plain(_) | Place::Wait => &[],
            Place::Run => &["dir", "env", "cost", "output"],
            Place::Agent => &["prompt", "model", "provider", "returns"],
            Place::Call => &[],
            Place::Gate => &["require", "warn", "approve", "on timeout"],
            // No `retry`, `timeout` or `expect`: `for` bounds a watch, and a failed poll is
            // judged by `fail when`, not retried.
            Place::Watch => &["output", "fail when", "pass when", "dir", "env", "on failure", "undo", "risk"],
        };
        let shared: &[&str] = match self {
            Place::Run | Place::Agent | Place::Call | Place::Gate | Place::Wait => STEP,
            _ => &[],
        };
        own.iter().chain(shared).copied().collect()
    }

    fn describe(self) -> String {
        match self {
            Place::Workflow => "a workflow".into(),
            Place::Phase => "a phase".into(),
            Place::Block(kind) => format!("a `{kind}` block"),
            Place::Plain(kind) => kind.to_string(),
            Place::Run => "a `run` step".into(),
            Place::Agent => "an `agent` step".into(),
            Place::Call => "a `call` step".into(),
            Place::Gate => "a gate".into(),
            Place::Wait => "a `wait` step".into(),
            Place::Watch => "a `watch` step".into(),
        }
    }
}

/// The keyword(s) an attribute starts with.
pub(super) fn attr_name(kind: &AttrKind) -> &'static str {
    match kind {
        AttrKind::Description(_) => "description",
        AttrKind::Budget { .. } => "budget",
        AttrKind::Timeout(_) => "timeout",
        AttrKind::Mode(_) => "mode",
        AttrKind::Provider(_) => "provider",
        AttrKind::Model(_) => "model",
        AttrKind::Concurrency(_) => "concurrency",
        AttrKind::Secret(_) => "secret",
        AttrKind::Env(_) => "env",
        AttrKind::Shell(_) => "shell",
        AttrKind::Retry { .. } => "retry",
        AttrKind::OnFailure { .. } => "on failure",
        AttrKind::Undo(_) => "undo",
        AttrKind::Risk(_) => "risk",
        AttrKind::Dir(_) => "dir",
        AttrKind::Expect(_) => "expect",
        AttrKind::Cost(_) => "cost",
        AttrKind::Output { .. } => "output",
        AttrKind::Prompt(_) => "prompt",
        AttrKind::Returns(_) => "returns",
        AttrKind::Require { .. } => "require",
        AttrKind::Warn { .. } => "warn",
        AttrKind::Approve(_) => "approve",
        AttrKind::OnTimeout(_) => "on timeout",
        AttrKind::FailWhen(_) => "fail when",
        AttrKind::PassWhen(_) => "pass when",
    }
}

/// Attributes that may be given more than once (budgets and estimates once per unit).
fn repeatable(name: &str) -> bool {
    matches!(name, "secret" | "output" | "require" | "warn" | "budget" | "expect")
}

impl Cx<'_, '_> {
    /// The attributes of `entries` that are allowed at `place`; the others are reported.
    pub fn attrs<'e>(&mut self, entries: &'e [ast::Entry], place: Place) -> Vec<&'e Attr> {
        let allowed = place.allowed();
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        let mut out = Vec::new();
        for entry in entries {
            let ast::Entry::Attr(attr) = entry else { continue };
            let name = attr_name(&attr.kind);
            if !allowed.contains(&name) {
                let help = if allowed.is_empty() {
                    Some(format!("{} takes no attributes", place.describe()))
                } else {
                    Some(format!("{} takes: {}", place.describe(), allowed.join(", ")))
                };
                self.report(CheckDiagnostic::AttributeNotAllowed {
                    attr: name.to_string(),
                    place: place.describe(),
                    span: attr.keyword,
                    help,
                });
                continue;
            }
            if !repeatable(name) {
                if let Some(&first) = seen.get(name) {
                    self.report(CheckDiagnostic::DuplicateAttribute { attr: name.to_string(), span: attr.span, first });
                    continue;
                }
                seen.insert(name, attr.span);
            }
            out.push(attr);
        }
        out
    }

    /// Attributes every step shares.
    pub fn common(&mut self, attrs: &[&Attr]) -> Common {
        let mut common = Common::default();
        let mut expect_spans: [Option<Span>; 3] = [None; 3];
        for attr in attrs {
            match &attr.kind {
                AttrKind::Retry { count, backoff, on } => common.retry = self.retry(count, backoff.as_ref(), on),
                AttrKind::Timeout(expr) => common.timeout = self.positive_duration(expr, "a timeout"),
                AttrKind::OnFailure { policy, message } => common.on_failure = self.policy(policy, message.as_ref()),
                AttrKind::Undo(command) => common.undo = Some(self.command(command)),
                AttrKind::Risk(risk) => {
                    common.risk = match risk.name.as_str() {
                        "low" => Risk::Low,
                        "high" => Risk::High,
                        _ => {
                            self.report(invalid_choice("risk", risk, &["low", "high"]));
                            Risk::Low
                        }
                    }
                }
                AttrKind::Expect(expr) => self.expect(expr, attr.span, &mut common.expect, &mut expect_spans),
                _ => {}
            }
        }
        if let (Some(retry), Some(timeout)) = (&common.retry, &common.timeout) {
            self.timeout_vs_backoff(retry, timeout);
        }
        common
    }

    /// Attributes of a phase or block.
    pub fn control(&mut self, attrs: &[&Attr]) -> Control {
        let mut control = Control::default();
        for attr in attrs {
            match &attr.kind {
                AttrKind::Timeout(expr) => control.timeout = self.positive_duration(expr, "a timeout"),
                AttrKind::OnFailure { policy, message } => control.on_failure = self.policy(policy, message.as_ref()),
                AttrKind::Budget { amount, per, warn_at } => {
                    if let Some(per) = per {
                        self.report(CheckDiagnostic::MisplacedPeriodBudget {
                            period: per.name.clone(),
                            span: per.span,
                        });
                    }
                    self.budget(&mut control.budget, amount, warn_at.as_ref(), attr.span);
                }
                _ => {}
            }
        }
        control
    }

    /// A duration known before the run (a literal, constant or parameter, a field of one, a
    /// loop variable).
    pub fn duration_attr(&mut self, expr: &ast::Expr, what: &'static str) -> Option<Expr> {
        let checked = self.expr(expr);
        if !self.expect_type(&checked, &Type::Duration, what) {
            return None;
        }
        if !is_known_before_run(&checked) {
            let reason = self.not_static_reason(&checked, true);
            self.report(CheckDiagnostic::BoundNotStatic { what, reason, span: checked.span });
            return None;
        }
        Some(checked)
    }

    /// A [`Cx::duration_attr`] that must be longer than 0s: a timeout, a watch's interval and
    /// duration.
    pub fn positive_duration(&mut self, expr: &ast::Expr, what: &'static str) -> Option<Expr> {
        let checked = self.duration_attr(expr, what)?;
        if known_ms(&checked) == Some(0) {
            self.report(CheckDiagnostic::InvalidBound {
                what,
                expected: "longer than 0s",
                value: "0s".into(),
                span: checked.span,
            });
            return None;
        }
        Some(checked)
    }

    /// An `int` bound known before the run, at least `min`.
    pub fn bound(&mut self, expr: &ast::Expr, what: &'static str, min: i64) -> Option<Bound> {
        let checked = self.expr(expr);
        if !self.expect_type(&checked, &Type::Int, what) {
            return None;
        }
        if !is_known_before_run(&checked) {
            let reason = self.not_static_reason(&checked, true);
            self.report(CheckDiagnostic::BoundNotStatic { what, reason, span: checked.span });
            return None;
        }
        // A parameter's default is checked here, but it is not the bound's value: the run's
        // arguments are (`ir::eval::count`), so only a bound that reads no parameter is known.
        if let Ok(Value::Int(n)) = eval(&checked, &Defaults(&self.param_defaults)) {
            if n < min {
                let expected = if min == 0 { "zero or more" } else { "at least 1" };
                self.report(CheckDiagnostic::InvalidBound { what, expected, value: n.to_string(), span: checked.span });
                return None;
            }
        }
        let known = match eval(&checked, &NoEnv) {
            Ok(Value::Int(n)) => u64::try_from(n).ok(),
            _ => None,
        };
        Some(Bound { expr: checked, known })
    }

    /// A constant value of one of `types`.
    fn constant_of(&mut self, expr: &ast::Expr, expected: &str, types: &[Type]) -> Option<Value> {
        let checked = self.expr(expr);
        if checked.ty.is_unknown() {
            return None;
        }
        if !types.iter().any(|ty| checked.ty.fits(ty)) {
            self.report(CheckDiagnostic::TypeMismatch {
                expected: expected.to_string(),
                found: checked.ty.to_string(),
                span: checked.span,
                context: "here".into(),
            });
            return None;
        }
        match &checked.kind {
            ExprKind::Value(value) => Some(value.clone()),
            _ => {
                self.report(CheckDiagnostic::NotConstant { what: "this value".into(), span: checked.span });
                None
            }
        }
    }

    fn retry(
        &mut self,
        count: &ast::Expr,
        backoff: Option<&(ast::Expr, ast::Expr)>,
        on: &[ast::RetryOn],
    ) -> Option<Retry> {
        let count = self.bound(count, "a retry count", 0)?;
        let (mut min, mut max) = DEFAULT_BACKOFF;
        if let Some((low, high)) = backoff {
            let low_value = self.constant_of(low, "a duration, such as `1s`", &[Type::Duration]);
            let high_value = self.constant_of(high, "a duration, such as `1m`", &[Type::Duration]);
            if let (Some(Value::Duration(low_ms)), Some(Value::Duration(high_ms))) = (low_value, high_value) {
                if low_ms > high_ms {
                    self.report(CheckDiagnostic::BackoffInverted {
                        min: format_duration(low_ms),
                        max: format_duration(high_ms),
                        span: low.span.to(high.span),
                    });
                }
                (min, max) = (low_ms, high_ms);
            }
        }
        let mut kinds = Vec::new();
        for kind in on {
            kinds.push(match kind {
                ast::RetryOn::Exit { code, .. } => match self.constant_of(code, "an exit code", &[Type::Int]) {
                    Some(Value::Int(code)) => RetryOn::Exit(code),
                    _ => continue,
                },
                ast::RetryOn::Timeout { .. } => RetryOn::Timeout,
                ast::RetryOn::Error { .. } => RetryOn::Error,
                ast::RetryOn::Any { .. } => RetryOn::Any,
            });
        }
        if kinds.is_empty() {
            kinds.push(RetryOn::Any);
        }
        Some(Retry { count, backoff_min: min, backoff_max: max, on: kinds })
    }

    fn timeout_vs_backoff(&mut self, retry: &Retry, timeout: &Expr) {
        let (Some(count), ExprKind::Value(Value::Duration(timeout_ms))) = (retry.count.known, &timeout.kind) else {
            return;
        };
        let total = retry.worst_backoff(count);
        if *timeout_ms < total {
            self.report(CheckDiagnostic::TimeoutShorterThanBackoff {
                timeout: format_duration(*timeout_ms),
                backoff: format_duration(total),
                span: timeout.span,
            });
        }
    }

    pub fn policy(&mut self, policy: &ast::Ident, message: Option<&ast::StringLit>) -> FailurePolicy {
        let checked = match policy.name.as_str() {
            "abort" => FailurePolicy::Abort,
            "continue" => FailurePolicy::Continue,
            "rollback" => FailurePolicy::Rollback,
            "escalate" => FailurePolicy::Escalate { message: message.map(|message| self.template(message)) },
            _ => {
                self.report(invalid_choice("failure policy", policy, FailurePolicy::NAMES));
                return FailurePolicy::Abort;
            }
        };
        if let (Some(message), false) = (message, matches!(checked, FailurePolicy::Escalate { .. })) {
            self.report(CheckDiagnostic::AttributeNotAllowed {
                attr: "a message".into(),
                place: format!("`on failure {}`", policy.name),
                span: message.span,
                help: Some("only `on failure escalate \"...\"` takes a message, for the person who decides".into()),
            });
        }
        checked
    }

    fn expect(&mut self, expr: &ast::Expr, span: Span, expect: &mut Expect, spans: &mut [Option<Span>; 3]) {
        let value =
            self.constant_of(expr, "`tokens`, `money` or `duration`", &[Type::Tokens, Type::Money, Type::Duration]);
        let slot = match value {
            Some(Value::Tokens(count)) => {
                expect.tokens = Some(count);
                0
            }
            Some(Value::Money(micros)) if micros < 0 => {
                let value = ir::format_money(micros);
                self.report(CheckDiagnostic::InvalidBound {
                    what: "an estimate",
                    expected: "zero or more",
                    value,
                    span,
                });
                return;
            }
            Some(Value::Money(micros)) => {
                expect.money = Some(micros);
                1
            }
            Some(Value::Duration(ms)) => {
                expect.duration = Some(ms);
                2
            }
            _ => return,
        };
        if let Some(first) = spans[slot] {
            self.report(CheckDiagnostic::DuplicateAttribute { attr: "expect".into(), span, first });
        }
        spans[slot] = Some(span);
    }

    pub fn budget(&mut self, budget: &mut Budget, amount: &ast::Expr, warn_at: Option<&ast::Expr>, span: Span) {
        self.budget_named(budget, "budget", amount, warn_at, span);
    }

    /// A budget; `attr` names it when it is given twice (`budget per day`).
    pub fn budget_named(
        &mut self,
        budget: &mut Budget,
        attr: &str,
        amount: &ast::Expr,
        warn_at: Option<&ast::Expr>,
        span: Span,
    ) {
        // A constant, or an expression of parameters read with the run's arguments (checked
        // here with their defaults).
        let checked = self.expr(amount);
        if checked.ty.is_unknown() {
            return;
        }
        if !checked.ty.fits(&Type::Money) && !checked.ty.fits(&Type::Tokens) {
            self.report(CheckDiagnostic::TypeMismatch {
                expected: "`money` or `tokens`".to_string(),
                found: checked.ty.to_string(),
                span: checked.span,
                context: "here".into(),
            });
            return;
        }
        let (value, expr) = match &checked.kind {
            ExprKind::Value(value) => (Some(value.clone()), None),
            _ if is_static(&checked) => {
                let zero = if checked.ty.fits(&Type::Money) { Value::Money(0) } else { Value::Tokens(0) };
                let value = eval(&checked, &Defaults(&self.param_defaults)).unwrap_or(zero);
                (Some(value), Some(checked.clone()))
            }
            _ => {
                let reason = self.not_static_reason(&checked, false);
                self.report(CheckDiagnostic::BoundNotStatic { what: "a budget", reason, span: checked.span });
                return;
            }
        };
        let warn_at =
            warn_at.and_then(|warn| match self.constant_of(warn, "a percentage, such as `80%`", &[Type::Percent]) {
                Some(Value::Percent(p)) if (0.0..=100.0).contains(&p) => Some(p),
                Some(Value::Percent(p)) => {
                    self.report(CheckDiagnostic::WarnAtOutOfRange { value: format!("{p}%"), span: warn.span });
                    None
                }
                _ => None,
            });
        let (slot, amount) = match value {
            Some(Value::Money(micros)) => match u64::try_from(micros) {
                Ok(micros) => (&mut budget.money, micros),
                Err(_) => {
                    self.report(CheckDiagnostic::InvalidBound {
                        what: "a budget",
                        expected: "zero or more",
                        value: ir::format_money(micros),
                        span: amount.span,
                    });
                    return;
                }
            },
            Some(Value::Tokens(count)) => (&mut budget.tokens, count),
            _ => return,
        };
        if let Some(first) = slot.as_ref().map(|limit| limit.span) {
            self.report(CheckDiagnostic::DuplicateAttribute { attr: attr.into(), span, first });
            return;
        }
        *slot = Some(Limit { amount, expr, warn_at, span });
    }

    /// A command template; rejects each interpolation standing where the shell would not
    /// keep its value one word (inside quotes, backticks, a here-document…; `shell.rs`).
    pub fn command(&mut self, command: &ast::StringLit) -> ir::Template {
        let interps = command.parts.iter().filter_map(|part| match part {
            ast::StrPart::Interp(expr) => Some(expr.span),
            ast::StrPart::Text(_) => None,
        });
        for (span, place) in interps.zip(super::shell::interpolations(command)) {
            if let Some(place) = place {
                self.report(CheckDiagnostic::QuotedInterpolation { place: place.describe(), help: place.fix(), span });
            }
        }
        self.template(command)
    }

    /// `mode NAME`
    pub fn mode(&mut self, mode: &ast::Ident) -> ir::Mode {
        ir::Mode::from_name(&mode.name).unwrap_or_else(|| {
            self.report(invalid_choice("mode", mode, ir::Mode::NAMES));
            ir::Mode::Hybrid
        })
    }

    /// Reports a stream or output function that is not one of the known ones.
    pub fn choice(&mut self, what: &'static str, found: &ast::Ident, choices: &[&str]) -> bool {
        if choices.contains(&found.name.as_str()) {
            return true;
        }
        self.report(CheckDiagnostic::InvalidChoice {
            what,
            found: found.name.clone(),
            span: found.span,
            choices: choices.join(", "),
            help: suggest::help(&found.name, choices.iter().copied()),
        });
        false
    }

    /// A constant folded value, used for `cost`.
    pub fn money(&mut self, expr: &ast::Expr) -> Option<i64> {
        match self.constant_of(expr, "`money`, such as `$0.50`", &[Type::Money]) {
            Some(Value::Money(micros)) if micros < 0 => {
                let value = ir::format_money(micros);
                self.report(CheckDiagnostic::InvalidBound {
                    what: "a cost",
                    expected: "zero or more",
                    value,
                    span: expr.span,
                });
                None
            }
            Some(Value::Money(micros)) => Some(micros),
            _ => None,
        }
    }
}

/// The milliseconds of a duration known before the run, when the checker can tell them.
pub(super) fn known_ms(expr: &Expr) -> Option<u64> {
    match crate::ir::eval::eval(expr, &crate::ir::eval::NoEnv) {
        Ok(Value::Duration(ms)) => Some(ms),
        _ => None,
    }
}
