//! Expressions: resolving names, checking step visibility, typing with units, folding
//! constants.

use super::cx::Cx;
use super::flow::Visibility;
use super::CheckDiagnostic;
use crate::ir::eval::{eval, Env, NoEnv};
use crate::ir::{self, Expr, ExprKind, Func, StepIdx, Template, TemplatePart, Type, Value};
use crate::span::Span;
use crate::suggest;
use crate::syntax::ast::{self, BinaryOp, UnaryOp};

impl Cx<'_, '_> {
    pub fn expr(&mut self, expr: &ast::Expr) -> Expr {
        let span = expr.span;
        match &expr.kind {
            ast::ExprKind::Literal(literal) => value(Value::from(literal.value), span),
            ast::ExprKind::Str(string) => {
                let template = self.template(string);
                match template.as_plain() {
                    Some(text) => value(Value::String(text), span),
                    None => Expr { kind: ExprKind::Template(template), ty: Type::String, span },
                }
            }
            ast::ExprKind::List(items) => self.list(items, span),
            ast::ExprKind::Record(fields) => self.record(fields, span),
            ast::ExprKind::Name(name) => self.name(name, span, None),
            ast::ExprKind::Field { base, field } => self.field(base, field, span),
            ast::ExprKind::Index { base, index } => {
                let base = self.expr(base);
                let index = self.expr(index);
                self.expect_type(&index, &Type::Int, "a list index");
                let ty = self.list_elem(&base, "only lists can be indexed");
                fold(Expr { kind: ExprKind::Index { base: Box::new(base), index: Box::new(index) }, ty, span })
            }
            ast::ExprKind::Call { func, args } => self.call(func, args, span),
            ast::ExprKind::Unary { op, operand } => {
                let operand = self.expr(operand);
                let ty = match (op, &operand.ty) {
                    (_, Type::Unknown) => Type::Unknown,
                    (UnaryOp::Not, Type::Bool) => Type::Bool,
                    (UnaryOp::Neg, ty @ (Type::Int | Type::Float | Type::Money | Type::Percent)) => ty.clone(),
                    (UnaryOp::Not, other) => {
                        self.report(CheckDiagnostic::ConditionNotBool { found: other.to_string(), span: operand.span });
                        Type::Unknown
                    }
                    (UnaryOp::Neg, other) => {
                        self.report(CheckDiagnostic::TypeMismatch {
                            expected: "a number, `money` or `percent`".into(),
                            found: other.to_string(),
                            span: operand.span,
                            context: "cannot be negated".into(),
                        });
                        Type::Unknown
                    }
                };
                fold(Expr { kind: ExprKind::Unary { op: *op, operand: Box::new(operand) }, ty, span })
            }
            ast::ExprKind::Binary { op, lhs, rhs } => {
                let lhs = self.expr(lhs);
                let rhs = self.expr(rhs);
                let ty = self.binary_type(*op, &lhs, &rhs, span);
                fold(Expr { kind: ExprKind::Binary { op: *op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, ty, span })
            }
        }
    }

    /// A condition: a `bool` expression; constant ones draw a warning.
    pub fn condition(&mut self, expr: &ast::Expr) -> Expr {
        let checked = self.expr(expr);
        match &checked.ty {
            Type::Bool | Type::Unknown => {}
            other => self.report(CheckDiagnostic::ConditionNotBool { found: other.to_string(), span: checked.span }),
        }
        if let (ExprKind::Value(Value::Bool(value)), Type::Bool) = (&checked.kind, &checked.ty) {
            self.report(CheckDiagnostic::ConstantCondition { value: *value, span: checked.span });
        }
        checked
    }

    /// The element type of a list; anything else is reported (`context` says why a list).
    pub fn list_elem(&mut self, expr: &Expr, context: &str) -> Type {
        match &expr.ty {
            Type::List(elem) => (**elem).clone(),
            Type::Unknown => Type::Unknown,
            other => {
                self.report(CheckDiagnostic::TypeMismatch {
                    expected: "a list".into(),
                    found: other.to_string(),
                    span: expr.span,
                    context: context.to_string(),
                });
                Type::Unknown
            }
        }
    }

    /// Reports when `expr` is not of type `expected`.
    pub fn expect_type(&mut self, expr: &Expr, expected: &Type, context: &str) -> bool {
        if expr.ty.fits(expected) {
            return true;
        }
        self.report(CheckDiagnostic::TypeMismatch {
            expected: format!("`{expected}`"),
            found: expr.ty.to_string(),
            span: expr.span,
            context: context.to_string(),
        });
        false
    }

    pub fn template(&mut self, string: &ast::StringLit) -> Template {
        let mut parts = Vec::with_capacity(string.parts.len());
        for part in &string.parts {
            match part {
                ast::StrPart::Text(text) => parts.push(TemplatePart::Text(text.clone())),
                ast::StrPart::Interp(expr) => {
                    let outer = std::mem::replace(&mut self.in_interp, true);
                    let checked = self.expr(expr);
                    self.in_interp = outer;
                    if !checked.ty.is_interpolable() {
                        let (what, help) = match &checked.kind {
                            ExprKind::Step { index, .. } => {
                                let name = &self.flow.steps.get(*index).name;
                                (
                                    format!("step `{name}`"),
                                    format!("interpolate one of its values, such as `{name}.status`"),
                                )
                            }
                            _ => (
                                format!("a value of type `{}`", checked.ty),
                                "interpolate one of its fields".to_string(),
                            ),
                        };
                        self.report(CheckDiagnostic::CannotInterpolate { what, span: checked.span, help: Some(help) });
                    }
                    match checked.kind {
                        ExprKind::Value(Value::String(text)) => parts.push(TemplatePart::Text(text)),
                        _ => parts.push(TemplatePart::Expr(checked)),
                    }
                }
            }
        }
        // Folded constants become text; merge neighbouring texts so the template is minimal.
        let mut merged: Vec<TemplatePart> = Vec::with_capacity(parts.len());
        for part in parts {
            match (merged.last_mut(), part) {
                (Some(TemplatePart::Text(last)), TemplatePart::Text(text)) => last.push_str(&text),
                (_, part) => merged.push(part),
            }
        }
        Template { parts: merged, span: string.span }
    }

    fn list(&mut self, items: &[ast::Expr], span: Span) -> Expr {
        let checked: Vec<Expr> = items.iter().map(|item| self.expr(item)).collect();
        let mut elem = Type::Unknown;
        for item in &checked {
            if elem.is_unknown() {
                elem = item.ty.clone();
            } else if item.ty.fits(&elem) {
            } else if elem.fits(&item.ty) {
                elem = item.ty.clone();
            } else {
                self.report(CheckDiagnostic::TypeMismatch {
                    expected: format!("`{elem}` like the first element"),
                    found: item.ty.to_string(),
                    span: item.span,
                    context: "all elements of a list have one type".into(),
                });
            }
        }
        fold(Expr { kind: ExprKind::List(checked), ty: Type::List(Box::new(elem)), span })
    }

    /// A bare name; `field` is the field read from it, when there is one (it matters for
    /// steps that may have been skipped: their `status` and `ok` are always readable).
    fn name(&mut self, name: &str, span: Span, field: Option<&str>) -> Expr {
        if let Some(var) = self.loop_vars.iter_mut().rev().find(|var| var.name == name) {
            var.used = true;
            return Expr { kind: ExprKind::LoopVar(name.to_string()), ty: var.ty.clone(), span };
        }
        if let Some(index) = self.flow.steps.index(name) {
            return self.step(index, span, field);
        }
        if let Some((ty, _, used)) = self.params.get_mut(name) {
            *used = true;
            return Expr { kind: ExprKind::Param(name.to_string()), ty: ty.clone(), span };
        }
        if self.ch.modules[self.module].consts.contains_key(name) {
            return match self.ch.const_value(self.module, name, span) {
                Some(constant) => value(constant, span),
                None => unknown(span),
            };
        }
        if self.secrets.contains_key(name) {
            let name = name.to_string();
            self.report(if self.in_interp {
                CheckDiagnostic::SecretInterpolated { name, span }
            } else {
                CheckDiagnostic::SecretInExpression { name, span }
            });
            return unknown(span);
        }
        let help = if self.ch.modules[self.module].aliases.contains_key(name) {
            Some(format!("`{name}` is a module; name one of its items as `{name}.NAME`"))
        } else if !self.ch.suggesting() {
            None
        } else {
            let candidates: Vec<String> = self
                .loop_vars
                .iter()
                .map(|var| var.name.clone())
                .chain(self.flow.steps.names())
                .chain(self.params.keys().cloned())
                .chain(self.ch.modules[self.module].consts.keys().cloned())
                .collect();
            suggest::help(name, candidates.iter().map(String::as_str))
        };
        self.report(CheckDiagnostic::UnknownName { name: name.to_string(), span, help });
        unknown(span)
    }

    fn step(&mut self, index: StepIdx, span: Span, field: Option<&str>) -> Expr {
        let info = self.flow.steps.get(index);
        let (name, defined) = (info.name.clone(), info.name_span);
        let always_readable = matches!(field, Some("status" | "ok"));
        match self.flow.visibility(index) {
            Visibility::Visible => {}
            Visibility::NotYet => self.report(CheckDiagnostic::StepNotYetRun { name, span, defined }),
            Visibility::Concurrent => self.report(CheckDiagnostic::ConcurrentStep { name, span, defined }),
            Visibility::Skipped { branch, handler } => {
                let guarded = self.guarded.contains(&index);
                if !always_readable && !guarded {
                    let help = Some(if handler {
                        format!("handlers run after any step may have failed or not run; read only `{name}.status` or `{name}.ok` here")
                    } else {
                        format!(
                            "read it inside the same branch, or test `{name}.status` first: `if {name}.ok {{ ... }}`"
                        )
                    });
                    let why = if handler { "this step may not have run" } else { "this branch may not run" };
                    self.report(CheckDiagnostic::MaybeSkipped { name, span, branch, why, help });
                }
            }
            Visibility::OutOfScope { body, block } => {
                let help = Some(match block {
                    Some(block) => format!("read the loop's result through its name instead, e.g. `{block}.ok`"),
                    None => "name the `for` block (`for NAME VAR in ...`) and read `NAME.ok` after it".to_string(),
                });
                self.report(CheckDiagnostic::StepOutOfScope { name, span, body, help });
            }
        }
        let info = self.flow.steps.get(index);
        Expr { kind: ExprKind::Step { index, id: info.id.clone() }, ty: Type::Record(info.fields.clone()), span }
    }

    fn field(&mut self, base: &ast::Expr, field: &ast::Ident, span: Span) -> Expr {
        let base = match &base.kind {
            ast::ExprKind::Name(name) if self.is_module_alias(name) => {
                return self.module_const(name, base.span, field, span);
            }
            ast::ExprKind::Name(name) => self.name(name, base.span, Some(&field.name)),
            _ => self.expr(base),
        };
        let ty = match &base.ty {
            Type::Unknown => Type::Unknown,
            Type::Record(fields) => match fields.get(&field.name) {
                Some(ty) => ty.clone(),
                None => {
                    let what = match &base.kind {
                        ExprKind::Step { index, .. } => {
                            let info = self.flow.steps.get(*index);
                            format!("{} `{}`", info.kind, info.name)
                        }
                        _ => format!("`{}`", base.ty),
                    };
                    let help = suggest::help(&field.name, fields.keys().map(String::as_str)).or_else(|| {
                        Some(format!("its fields are: {}", fields.keys().cloned().collect::<Vec<_>>().join(", ")))
                    });
                    self.report(CheckDiagnostic::UnknownField {
                        field: field.name.clone(),
                        what,
                        span: field.span,
                        help,
                    });
                    Type::Unknown
                }
            },
            other => {
                self.report(CheckDiagnostic::UnknownField {
                    field: field.name.clone(),
                    what: format!("a value of type `{other}`"),
                    span: field.span,
                    help: None,
                });
                Type::Unknown
            }
        };
        Expr { kind: ExprKind::Field { base: Box::new(base), field: field.name.clone() }, ty, span }
    }

    /// A name is a module alias when nothing closer (loop variable, step, parameter,
    /// constant) has that name.
    fn is_module_alias(&self, name: &str) -> bool {
        let scope = &self.ch.modules[self.module];
        (scope.aliases.contains_key(name) || scope.broken.contains(name))
            && !self.loop_vars.iter().any(|var| var.name == name)
            && self.flow.steps.index(name).is_none()
            && !self.params.contains_key(name)
            && !self.ch.modules[self.module].consts.contains_key(name)
    }

    fn module_const(&mut self, alias: &str, alias_span: Span, field: &ast::Ident, span: Span) -> Expr {
        let ident = ast::Ident { name: alias.to_string(), span: alias_span };
        // A broken `use` was reported where it is; its names resolve to nothing, quietly.
        let Some(target) = self.ch.alias(self.module, &ident) else { return unknown(span) };
        if self.ch.modules[target].consts.contains_key(&field.name) {
            return match self.ch.const_value(target, &field.name, span) {
                Some(constant) => value(constant, span),
                None => unknown(span),
            };
        }
        let help = suggest::help(&field.name, self.ch.modules[target].consts.keys().map(String::as_str));
        self.report(CheckDiagnostic::UnknownItem {
            module: alias.to_string(),
            kind: "constant",
            name: field.name.clone(),
            span: field.span,
            help,
        });
        unknown(span)
    }

    fn call(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        let checked: Vec<Expr> = args.iter().map(|arg| self.expr(arg)).collect();
        let Some(func) = Func::from_name(&name.name) else {
            let help = suggest::help(&name.name, Func::NAMES.iter().copied());
            self.report(CheckDiagnostic::UnknownFunction { name: name.name.clone(), span: name.span, help });
            return unknown(span);
        };
        let ty = self.call_type(func, &name.name, &checked, span);
        if func == Func::Env {
            if let Some(ExprKind::Value(Value::String(var))) = checked.first().map(|arg| &arg.kind) {
                if self.secrets.contains_key(var) {
                    self.report(CheckDiagnostic::SecretInExpression { name: var.clone(), span });
                } else if checked.len() == 1 && self.workflow.is_some() {
                    // Unset at run time, it fails what reads it: say so where it is written.
                    self.report(CheckDiagnostic::EnvMayBeUnset { name: var.clone(), span });
                }
            }
        }
        if func == Func::Matches {
            if let Some(ExprKind::Value(Value::String(pattern))) = checked.get(1).map(|arg| &arg.kind) {
                if let Err(reason) = self.ch.regex_groups(pattern) {
                    self.report(CheckDiagnostic::InvalidRegex { reason, span: checked[1].span });
                }
            }
        }
        let expr = Expr { kind: ExprKind::Call { func, args: checked }, ty, span };
        // `env()` reads the machine's environment: never folded, it is a run-time value.
        if func == Func::Env {
            expr
        } else {
            fold(expr)
        }
    }

    fn arity(&mut self, func: &str, expected: &str, found: usize, span: Span) -> Type {
        self.report(CheckDiagnostic::WrongArity {
            func: func.to_string(),
            expected: expected.to_string(),
            found: if found == 1 { "1 argument was".into() } else { format!("{found} arguments were") },
            span,
        });
        Type::Unknown
    }

    fn call_type(&mut self, func: Func, name: &str, args: &[Expr], span: Span) -> Type {
        let types: Vec<&Type> = args.iter().map(|arg| &arg.ty).collect();
        match func {
            Func::Len => {
                let [arg] = args else { return self.arity(name, "1 argument", args.len(), span) };
                if !matches!(arg.ty, Type::String | Type::List(_) | Type::Unknown) {
                    self.mismatch("a string or a list", arg);
                }
                Type::Int
            }
            Func::Contains => {
                let [haystack, needle] = args else { return self.arity(name, "2 arguments", args.len(), span) };
                match &haystack.ty {
                    Type::String => {
                        self.expect_type(needle, &Type::String, "what to look for in a string");
                    }
                    Type::List(elem) => {
                        let elem = (**elem).clone();
                        self.expect_type(needle, &elem, "what to look for in the list");
                    }
                    Type::Unknown => {}
                    _ => self.mismatch("a string or a list", haystack),
                }
                Type::Bool
            }
            Func::Matches => {
                let [text, pattern] = args else { return self.arity(name, "2 arguments", args.len(), span) };
                self.expect_type(text, &Type::String, "the text to match");
                self.expect_type(pattern, &Type::String, "the regular expression");
                Type::Bool
            }
            Func::Env => {
                let (var, default) = match args {
                    [var] => (var, None),
                    [var, default] => (var, Some(default)),
                    _ => return self.arity(name, "1 or 2 arguments", args.len(), span),
                };
                self.expect_type(var, &Type::String, "the variable's name");
                if let Some(default) = default {
                    self.expect_type(default, &Type::String, "the value when the variable is not set");
                }
                Type::String
            }
            Func::Min | Func::Max => match types.as_slice() {
                [] => self.arity(name, "a list or at least 2 arguments", 0, span),
                [Type::List(elem)] => {
                    let elem = (**elem).clone();
                    if !is_ordered(&elem) {
                        self.mismatch("a list of numbers, units or strings", &args[0]);
                    }
                    elem
                }
                [Type::Unknown] => Type::Unknown,
                [_] => {
                    self.mismatch("a list", &args[0]);
                    Type::Unknown
                }
                _ => {
                    let first = args[0].ty.clone();
                    let mut result = first.clone();
                    for arg in &args[1..] {
                        if arg.ty.fits(&result) {
                        } else if result.fits(&arg.ty) {
                            result = arg.ty.clone();
                        } else {
                            self.report(CheckDiagnostic::UnitMismatch {
                                op: if func == Func::Min { "min" } else { "max" },
                                lhs: first.to_string(),
                                rhs: arg.ty.to_string(),
                                span: arg.span,
                                help: None,
                            });
                            return Type::Unknown;
                        }
                    }
                    if !is_ordered(&result) {
                        self.mismatch("numbers, units or strings", &args[0]);
                    }
                    result
                }
            },
            Func::All | Func::Any => {
                let [list] = args else { return self.arity(name, "1 argument", args.len(), span) };
                self.expect_type(list, &Type::List(Box::new(Type::Bool)), "a list of conditions");
                Type::Bool
            }
        }
    }

    fn mismatch(&mut self, expected: &str, arg: &Expr) {
        self.report(CheckDiagnostic::TypeMismatch {
            expected: expected.to_string(),
            found: arg.ty.to_string(),
            span: arg.span,
            context: "this argument".into(),
        });
    }

    fn binary_type(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Type {
        use Type::{Bool, Duration, Float, Int, Money, Percent, Tokens, Unknown};
        let (a, b) = (&lhs.ty, &rhs.ty);
        if op == BinaryOp::And || op == BinaryOp::Or {
            for side in [lhs, rhs] {
                if !side.ty.fits(&Bool) {
                    self.report(CheckDiagnostic::ConditionNotBool { found: side.ty.to_string(), span: side.span });
                }
            }
            return Bool;
        }
        if a.is_unknown() || b.is_unknown() {
            return if is_comparison(op) { Bool } else { Unknown };
        }
        let result = match op {
            BinaryOp::Eq | BinaryOp::Ne => (a.fits(b) || b.fits(a)).then_some(Bool),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                ((a.fits(b) || b.fits(a)) && is_ordered(a) && is_ordered(b)).then_some(Bool)
            }
            BinaryOp::Add | BinaryOp::Sub => match (a, b) {
                (Int, Int) => Some(Int),
                (Int | Float, Int | Float) => Some(Float),
                (Type::String, Type::String) if op == BinaryOp::Add => Some(Type::String),
                (Duration, Duration) | (Money, Money) | (Tokens, Tokens) | (Percent, Percent) => Some(a.clone()),
                _ => None,
            },
            BinaryOp::Mul => match (a, b) {
                (Int, Int) => Some(Int),
                (Int | Float, Int | Float) => Some(Float),
                (Money, Int | Float) | (Int | Float, Money) => Some(Money),
                (Tokens | Duration, Int) => Some(a.clone()),
                (Int, Tokens | Duration) => Some(b.clone()),
                _ => None,
            },
            BinaryOp::Div => match (a, b) {
                (Int, Int) => Some(Int),
                (Int | Float, Int | Float) => Some(Float),
                _ => None,
            },
            BinaryOp::And | BinaryOp::Or => Some(Bool),
        };
        result.unwrap_or_else(|| {
            self.report(CheckDiagnostic::UnitMismatch {
                op: op.symbol(),
                lhs: a.to_string(),
                rhs: b.to_string(),
                span,
                help: unit_help(a, b),
            });
            if is_comparison(op) {
                Bool
            } else {
                Unknown
            }
        })
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge)
}

fn is_ordered(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Int
            | Type::Float
            | Type::Duration
            | Type::Money
            | Type::Tokens
            | Type::Percent
            | Type::String
            | Type::Unknown
    )
}

/// When a unit meets a plain number, show how to write the number with the unit.
fn unit_help(a: &Type, b: &Type) -> Option<String> {
    let unit = if b.is_numeric() {
        a
    } else if a.is_numeric() {
        b
    } else {
        return None;
    };
    let example = match unit {
        Type::Percent => "`80%`",
        Type::Money => "`$1.50`",
        Type::Duration => "`30s` or `5m`",
        Type::Tokens => "`12k tokens`",
        _ => return None,
    };
    Some(format!("units do not mix with plain numbers: write the number as a `{unit}`, like {example}"))
}

/// The gist of a multi-line regex error: its last line, without the `error: ` prefix.
pub(super) fn regex_gist(text: &str) -> String {
    let last = text.lines().last().unwrap_or(text).trim();
    last.strip_prefix("error: ").unwrap_or(last).to_string()
}

fn value(value: Value, span: Span) -> Expr {
    Expr { ty: value.ty(), kind: ExprKind::Value(value), span }
}

pub(super) fn unknown(span: Span) -> Expr {
    Expr { kind: ExprKind::Value(Value::Bool(false)), ty: Type::Unknown, span }
}

/// Replaces an operation on constants by its value (units stay normalised integers).
pub(super) fn fold(expr: Expr) -> Expr {
    if expr.ty.is_unknown() {
        return expr;
    }
    let operands_constant = match &expr.kind {
        ExprKind::List(items) => items.iter().all(is_value),
        ExprKind::Record(fields) => fields.values().all(is_value),
        ExprKind::Index { base, index } => is_value(base) && is_value(index),
        ExprKind::Call { args, .. } => args.iter().all(is_value),
        ExprKind::Unary { operand, .. } => is_value(operand),
        ExprKind::Binary { lhs, rhs, .. } => is_value(lhs) && is_value(rhs),
        _ => false,
    };
    if !operands_constant {
        return expr;
    }
    match eval(&expr, &NoEnv) {
        Ok(folded) => Expr {
            // A list's or record's type may say more than its values (the element of `[]`).
            ty: if matches!(folded, Value::List(_) | Value::Record(_)) { expr.ty.clone() } else { folded.ty() },
            kind: ExprKind::Value(folded),
            span: expr.span,
        },
        Err(_) => expr,
    }
}

/// A known value; the placeholder for something already reported is not one.
fn is_value(expr: &Expr) -> bool {
    matches!(expr.kind, ExprKind::Value(_)) && !expr.ty.is_unknown()
}

/// Whether an expression is known before the run starts, reading only constants and
/// parameters (and fields of them): what a budget may read, which the run reads outside any
/// loop.
pub(super) fn is_static(expr: &Expr) -> bool {
    first_dynamic(expr, false).is_none()
}

/// Whether a bound is known before the run: as [`is_static`], or a loop variable, since every
/// `for` goes through a list known before the run. The runner reads it in the loop;
/// `wf cost` takes the largest value over the loop's list.
pub(super) fn is_known_before_run(expr: &Expr) -> bool {
    first_dynamic(expr, true).is_none()
}

/// The first part of `expr` that only the run computes (a step's value, an environment
/// variable, or a loop variable unless `loops` allows them).
fn first_dynamic(expr: &Expr, loops: bool) -> Option<&Expr> {
    match &expr.kind {
        ExprKind::Value(_) | ExprKind::Param(_) => None,
        ExprKind::LoopVar(_) if loops => None,
        ExprKind::LoopVar(_) | ExprKind::Step { .. } | ExprKind::Call { func: Func::Env, .. } => Some(expr),
        ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
            items.iter().find_map(|item| first_dynamic(item, loops))
        }
        ExprKind::Record(fields) => fields.values().find_map(|item| first_dynamic(item, loops)),
        ExprKind::Template(template) => template.parts.iter().find_map(|part| match part {
            TemplatePart::Text(_) => None,
            TemplatePart::Expr(expr) => first_dynamic(expr, loops),
        }),
        ExprKind::Field { base, .. } => first_dynamic(base, loops),
        ExprKind::Unary { operand, .. } => first_dynamic(operand, loops),
        ExprKind::Index { base: a, index: b } | ExprKind::Binary { lhs: a, rhs: b, .. } => {
            first_dynamic(a, loops).or_else(|| first_dynamic(b, loops))
        }
    }
}

impl Cx<'_, '_> {
    /// Why `expr` is not known before the run, for `wf::check::bound_not_static`'s label.
    pub(super) fn not_static_reason(&self, expr: &Expr, loops: bool) -> String {
        match first_dynamic(expr, loops).map(|part| &part.kind) {
            Some(ExprKind::Step { index, .. }) => {
                let name = &self.flow.steps.get(*index).name;
                format!("reads `{name}`, whose values exist only once it has run")
            }
            Some(ExprKind::Call { .. }) => "reads an environment variable, known only when the run starts".into(),
            Some(ExprKind::LoopVar(name)) => {
                format!("reads loop variable `{name}`, which has a value only inside its loop")
            }
            _ => "depends on values computed during the run".into(),
        }
    }
}

/// Parameter defaults, for computing what a static expression comes to when the run uses
/// them.
pub(super) struct Defaults<'p>(pub &'p [ir::Param]);

impl Env for Defaults<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.0.iter().find(|param| param.name == name).and_then(|param| param.default.clone())
    }
}
