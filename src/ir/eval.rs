//! Evaluating typed expressions. The checker folds constants with it (an [`Env`] that knows
//! nothing); the runner evaluates with step values, arguments and loop variables.

use std::fmt;

use super::{Bound, Branch, Expr, ExprKind, Func, StepIdx, Template, TemplatePart, Value};
use crate::lexicon::{BinaryOp, UnaryOp};

/// What an expression may read besides literals; what an environment does not know (the
/// default for each) makes evaluation fail with [`EvalError::Unknown`].
pub trait Env {
    fn param(&self, _name: &str) -> Option<Value> {
        None
    }
    fn loop_var(&self, _name: &str) -> Option<Value> {
        None
    }
    /// A step's value, a record of its fields.
    fn step(&self, _index: StepIdx) -> Option<Value> {
        None
    }
    fn env_var(&self, _name: &str) -> Option<String> {
        None
    }
    /// Whether this is the run's environment, so that a variable [`Env::env_var`] does not
    /// give is unset (rather than not known yet, as when estimating before the run).
    fn reads_environment(&self) -> bool {
        false
    }
}

/// An [`Env`] that knows nothing: evaluating with it succeeds only for constants.
pub struct NoEnv;

impl Env for NoEnv {}

#[derive(Debug, Clone, PartialEq)]
pub enum EvalError {
    /// The expression reads something the environment does not know (yet).
    Unknown,
    DivisionByZero,
    Overflow,
    IndexOutOfRange {
        index: i64,
        len: usize,
    },
    NoField {
        field: String,
    },
    InvalidRegex {
        reason: String,
    },
    /// `env("NAME")` of a variable the run's environment does not have.
    Unset {
        name: String,
    },
    /// A count (a retry count, a loop or `parallel` bound) below zero.
    Negative {
        value: i64,
    },
    /// A value of an unexpected shape; the checker makes this unreachable for checked IR.
    Type,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Unknown => f.write_str("a value is not known"),
            EvalError::DivisionByZero => f.write_str("division by zero"),
            EvalError::Overflow => f.write_str("arithmetic overflow"),
            EvalError::IndexOutOfRange { index, len } => {
                write!(f, "index {index} is out of range for a list of {len}")
            }
            EvalError::NoField { field } => write!(f, "no field `{field}`"),
            EvalError::InvalidRegex { reason } => write!(f, "invalid regular expression: {reason}"),
            EvalError::Unset { name } => write!(
                f,
                "the environment variable `{name}` is not set (export it, or give `env(\"{name}\", DEFAULT)` a default)"
            ),
            EvalError::Negative { value } => write!(f, "{value} is negative, and a count cannot be"),
            EvalError::Type => f.write_str("a value has an unexpected type"),
        }
    }
}

type Result<T> = std::result::Result<T, EvalError>;

pub fn eval(expr: &Expr, env: &dyn Env) -> Result<Value> {
    match &expr.kind {
        ExprKind::Value(value) => Ok(value.clone()),
        ExprKind::List(items) => Ok(Value::List(items.iter().map(|item| eval(item, env)).collect::<Result<_>>()?)),
        ExprKind::Record(fields) => Ok(Value::Record(
            fields.iter().map(|(name, value)| Ok((name.clone(), eval(value, env)?))).collect::<Result<_>>()?,
        )),
        ExprKind::Template(template) => Ok(Value::String(render(template, env)?)),
        ExprKind::Param(name) => env.param(name).ok_or(EvalError::Unknown),
        ExprKind::LoopVar(name) => env.loop_var(name).ok_or(EvalError::Unknown),
        ExprKind::Step { index, .. } => env.step(*index).ok_or(EvalError::Unknown),
        ExprKind::Field { base, field } => match eval(base, env)? {
            Value::Record(fields) => {
                fields.get(field).cloned().ok_or_else(|| EvalError::NoField { field: field.clone() })
            }
            _ => Err(EvalError::Type),
        },
        ExprKind::Index { base, index } => {
            let (Value::List(items), Value::Int(i)) = (eval(base, env)?, eval(index, env)?) else {
                return Err(EvalError::Type);
            };
            let len = items.len();
            let position = if i < 0 { i64::try_from(len).map_err(|_| EvalError::Overflow)? + i } else { i };
            usize::try_from(position)
                .ok()
                .and_then(|p| items.into_iter().nth(p))
                .ok_or(EvalError::IndexOutOfRange { index: i, len })
        }
        ExprKind::Call { func, args } => call(*func, args, env),
        ExprKind::Unary { op, operand } => match (op, eval(operand, env)?) {
            (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
            (UnaryOp::Neg, value) => negate(value),
            _ => Err(EvalError::Type),
        },
        ExprKind::Binary { op: BinaryOp::And, lhs, rhs } => match eval(lhs, env)? {
            Value::Bool(false) => Ok(Value::Bool(false)),
            Value::Bool(true) => eval(rhs, env),
            _ => Err(EvalError::Type),
        },
        ExprKind::Binary { op: BinaryOp::Or, lhs, rhs } => match eval(lhs, env)? {
            Value::Bool(true) => Ok(Value::Bool(true)),
            Value::Bool(false) => eval(rhs, env),
            _ => Err(EvalError::Type),
        },
        ExprKind::Binary { op, lhs, rhs } => binary(*op, eval(lhs, env)?, eval(rhs, env)?),
    }
}

/// A bound's count with what `env` knows: the one way a retry count, a `repeat` or
/// `parallel` bound and `concurrency` are read, at run time and by `wf cost`, so both see the
/// run's arguments.
pub fn count(bound: &Bound, env: &dyn Env) -> Result<u64> {
    if let Some(known) = bound.known {
        return Ok(known);
    }
    match eval(&bound.expr, env)? {
        Value::Int(n) => u64::try_from(n).map_err(|_| EvalError::Negative { value: n }),
        _ => Err(EvalError::Type),
    }
}

/// The branch of an `if` that runs: the first whose condition is `true`, or `None` for the
/// `else` (or nothing). A condition that is not a boolean does not hold. The one reading of
/// an `if`, for the runner and for a compiled workflow's condition task (`wf step --branch`);
/// an error comes with the condition it is in.
pub fn branch<'a>(branches: &'a [Branch], env: &dyn Env) -> std::result::Result<Option<usize>, (&'a Expr, EvalError)> {
    for (i, branch) in branches.iter().enumerate() {
        match eval(&branch.cond, env) {
            Ok(Value::Bool(true)) => return Ok(Some(i)),
            Ok(_) => {}
            Err(error) => return Err((&branch.cond, error)),
        }
    }
    Ok(None)
}

/// A duration (a `wait`, a timeout) in milliseconds with what `env` knows; like [`count`],
/// shared by the runner and `wf cost`.
pub fn duration(expr: &Expr, env: &dyn Env) -> Result<u64> {
    match eval(expr, env)? {
        Value::Duration(ms) => Ok(ms),
        _ => Err(EvalError::Type),
    }
}

/// A template's text, each value written as [`Value::to_text`] writes it.
pub fn render(template: &Template, env: &dyn Env) -> Result<String> {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(text),
            TemplatePart::Expr(expr) => out.push_str(&eval(expr, env)?.to_text()),
        }
    }
    Ok(out)
}

fn negate(value: Value) -> Result<Value> {
    Ok(match value {
        Value::Int(n) => Value::Int(n.checked_neg().ok_or(EvalError::Overflow)?),
        Value::Float(x) => Value::Float(-x),
        Value::Money(m) => Value::Money(m.checked_neg().ok_or(EvalError::Overflow)?),
        Value::Percent(p) => Value::Percent(-p),
        _ => return Err(EvalError::Type),
    })
}

fn as_float(value: &Value) -> Option<f64> {
    match value {
        #[allow(clippy::cast_precision_loss)]
        Value::Int(n) => Some(*n as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    }
}

fn float_result(x: f64) -> Result<Value> {
    if x.is_finite() {
        Ok(Value::Float(x))
    } else {
        Err(EvalError::Overflow)
    }
}

fn checked(value: Option<i64>) -> Result<i64> {
    value.ok_or(EvalError::Overflow)
}

fn checked_u(value: Option<u64>) -> Result<u64> {
    value.ok_or(EvalError::Overflow)
}

fn scale_money(micros: i64, factor: f64) -> Result<Value> {
    #[allow(clippy::cast_precision_loss)]
    let scaled = (micros as f64 * factor).round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    if scaled.is_finite() && scaled.abs() < i64::MAX as f64 {
        Ok(Value::Money(scaled as i64))
    } else {
        Err(EvalError::Overflow)
    }
}

fn factor(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| EvalError::Overflow)
}

fn binary(op: BinaryOp, lhs: Value, rhs: Value) -> Result<Value> {
    use BinaryOp::{Add, Div, Eq, Ge, Gt, Le, Lt, Mul, Ne, Sub};
    use Value::{Duration, Float, Int, Money, Percent, Tokens};
    if matches!(op, Eq | Ne) {
        let equal = match (as_float(&lhs), as_float(&rhs)) {
            (Some(a), Some(b)) => a == b,
            _ => lhs == rhs,
        };
        return Ok(Value::Bool(equal == (op == Eq)));
    }
    if matches!(op, Lt | Le | Gt | Ge) {
        let ordering = compare(&lhs, &rhs).ok_or(EvalError::Type)?;
        let holds = match op {
            Lt => ordering.is_lt(),
            Le => ordering.is_le(),
            Gt => ordering.is_gt(),
            _ => ordering.is_ge(),
        };
        return Ok(Value::Bool(holds));
    }
    Ok(match (op, lhs, rhs) {
        (Add, Int(a), Int(b)) => Int(checked(a.checked_add(b))?),
        (Sub, Int(a), Int(b)) => Int(checked(a.checked_sub(b))?),
        (Mul, Int(a), Int(b)) => Int(checked(a.checked_mul(b))?),
        (Div, Int(_), Int(0)) => return Err(EvalError::DivisionByZero),
        (Div, Int(a), Int(b)) => Int(checked(a.checked_div(b))?),
        (Add, Value::String(a), Value::String(b)) => Value::String(a + &b),
        (Add, Money(a), Money(b)) => Money(checked(a.checked_add(b))?),
        (Sub, Money(a), Money(b)) => Money(checked(a.checked_sub(b))?),
        (Mul, Money(a), Int(n)) | (Mul, Int(n), Money(a)) => Money(checked(a.checked_mul(n))?),
        (Mul, Money(a), Float(x)) | (Mul, Float(x), Money(a)) => return scale_money(a, x),
        (Add, Duration(a), Duration(b)) => Duration(checked_u(a.checked_add(b))?),
        (Sub, Duration(a), Duration(b)) => Duration(checked_u(a.checked_sub(b))?),
        (Mul, Duration(a), Int(n)) | (Mul, Int(n), Duration(a)) => Duration(checked_u(a.checked_mul(factor(n)?))?),
        (Add, Tokens(a), Tokens(b)) => Tokens(checked_u(a.checked_add(b))?),
        (Sub, Tokens(a), Tokens(b)) => Tokens(checked_u(a.checked_sub(b))?),
        (Mul, Tokens(a), Int(n)) | (Mul, Int(n), Tokens(a)) => Tokens(checked_u(a.checked_mul(factor(n)?))?),
        (Add, Percent(a), Percent(b)) => Percent(a + b),
        (Sub, Percent(a), Percent(b)) => Percent(a - b),
        (op, a, b) => {
            let (Some(x), Some(y)) = (as_float(&a), as_float(&b)) else {
                return Err(EvalError::Type);
            };
            match op {
                Add => float_result(x + y)?,
                Sub => float_result(x - y)?,
                Mul => float_result(x * y)?,
                Div if y == 0.0 => return Err(EvalError::DivisionByZero),
                Div => float_result(x / y)?,
                _ => return Err(EvalError::Type),
            }
        }
    })
}

fn compare(lhs: &Value, rhs: &Value) -> Option<std::cmp::Ordering> {
    use Value::{Duration, Money, Percent, Tokens};
    match (lhs, rhs) {
        (Duration(a), Duration(b)) | (Tokens(a), Tokens(b)) => Some(a.cmp(b)),
        (Money(a), Money(b)) => Some(a.cmp(b)),
        (Percent(a), Percent(b)) => a.partial_cmp(b),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (a, b) => as_float(a)?.partial_cmp(&as_float(b)?),
    }
}

fn call(func: Func, args: &[Expr], env: &dyn Env) -> Result<Value> {
    let values: Vec<Value> = args.iter().map(|arg| eval(arg, env)).collect::<Result<_>>()?;
    match (func, values.as_slice()) {
        (Func::Len, [Value::String(s)]) => {
            Ok(Value::Int(i64::try_from(s.chars().count()).map_err(|_| EvalError::Overflow)?))
        }
        (Func::Len, [Value::List(items)]) => {
            Ok(Value::Int(i64::try_from(items.len()).map_err(|_| EvalError::Overflow)?))
        }
        (Func::Contains, [Value::String(s), Value::String(needle)]) => Ok(Value::Bool(s.contains(needle.as_str()))),
        (Func::Contains, [Value::List(items), needle]) => Ok(Value::Bool(items.contains(needle))),
        (Func::Matches, [Value::String(s), Value::String(pattern)]) => {
            let regex = regex::Regex::new(pattern).map_err(|e| EvalError::InvalidRegex { reason: e.to_string() })?;
            Ok(Value::Bool(regex.is_match(s)))
        }
        (Func::Env, [Value::String(name), rest @ ..]) if rest.len() <= 1 => {
            if !env.reads_environment() {
                return Err(EvalError::Unknown);
            }
            match (env.env_var(name), rest) {
                (Some(value), _) => Ok(Value::String(value)),
                (None, [default]) => Ok(default.clone()),
                (None, _) => Err(EvalError::Unset { name: name.clone() }),
            }
        }
        (Func::Min | Func::Max, [Value::List(items)]) => extreme(func, items),
        (Func::Min | Func::Max, items) if !items.is_empty() => extreme(func, items),
        (Func::All, [Value::List(items)]) => Ok(Value::Bool(items.iter().all(|item| *item == Value::Bool(true)))),
        (Func::Any, [Value::List(items)]) => Ok(Value::Bool(items.iter().any(|item| *item == Value::Bool(true)))),
        _ => Err(EvalError::Type),
    }
}

fn extreme(func: Func, items: &[Value]) -> Result<Value> {
    let mut best: Option<&Value> = None;
    for item in items {
        best = match best {
            None => Some(item),
            Some(current) => {
                let ordering = compare(item, current).ok_or(EvalError::Type)?;
                let better = if func == Func::Min { ordering.is_lt() } else { ordering.is_gt() };
                Some(if better { item } else { current })
            }
        };
    }
    best.cloned().ok_or(EvalError::Unknown)
}
