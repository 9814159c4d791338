//! Literals with units, normalised exactly: durations to milliseconds, money to integer
//! micro-dollars, token counts to whole tokens. No floats touch money or tokens.

use pest::iterators::Pair;

use crate::span::Span;
use crate::syntax::ast::{LitValue, Literal};
use crate::syntax::error::SyntaxError;
use crate::syntax::grammar::Rule;

const MICROS_PER_DOLLAR: i64 = 1_000_000;

pub(super) fn lower_literal(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Literal {
    let text = pair.as_str();
    let span = Span::from(pair.as_span());
    let (value, fallback) = match pair.as_rule() {
        Rule::int_lit => (int_value(text, span), LitValue::Int(0)),
        Rule::float_lit => (float_value(text, span), LitValue::Float(0.0)),
        Rule::bool_lit => (Ok(LitValue::Bool(text == "true")), LitValue::Bool(false)),
        Rule::duration_lit => (duration_value(text, span), LitValue::Duration(0)),
        Rule::money_lit => (money_value(text, span), LitValue::Money(0)),
        Rule::tokens_lit => (tokens_value(text, span), LitValue::Tokens(0)),
        Rule::percent_lit => (percent_value(text, span), LitValue::Percent(0.0)),
        Rule::bad_number => (Err(bad_number(text, span)), LitValue::Int(0)),
        other => unreachable!("not a literal: {other:?}"),
    };
    let value = value.unwrap_or_else(|error| {
        errors.push(error);
        fallback
    });
    Literal { value, text: text.to_owned(), span }
}

fn without_underscores(digits: &str) -> String {
    digits.chars().filter(|&c| c != '_').collect()
}

fn out_of_range(text: &str, span: Span, what: &'static str, limit: &'static str) -> SyntaxError {
    SyntaxError::NumberOutOfRange { span, text: text.to_owned(), what, limit }
}

fn int_value(text: &str, span: Span) -> Result<LitValue, SyntaxError> {
    without_underscores(text)
        .parse::<i64>()
        .map(LitValue::Int)
        .map_err(|_| out_of_range(text, span, "a whole number", "whole numbers go up to 9_223_372_036_854_775_807"))
}

fn float_value(text: &str, span: Span) -> Result<LitValue, SyntaxError> {
    finite(&without_underscores(text))
        .map(LitValue::Float)
        .ok_or_else(|| out_of_range(text, span, "a number", "numbers go up to about 1.8e308"))
}

fn percent_value(text: &str, span: Span) -> Result<LitValue, SyntaxError> {
    let number = text.strip_suffix('%').unwrap_or(text);
    finite(&without_underscores(number))
        .map(LitValue::Percent)
        .ok_or_else(|| out_of_range(text, span, "a percentage", "numbers go up to about 1.8e308"))
}

fn finite(digits: &str) -> Option<f64> {
    digits.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// `1h30m` → 5_400_000. Units must come largest first, each at most once.
fn duration_value(text: &str, span: Span) -> Result<LitValue, SyntaxError> {
    const UNITS: [(&str, u64); 5] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];
    let invalid = |reason: String| SyntaxError::InvalidDuration { span, text: text.to_owned(), reason };
    let too_long = || out_of_range(text, span, "a duration", "durations go up to 18_446_744_073_709_551_615ms");
    let mut total: u64 = 0;
    let mut previous: Option<usize> = None;
    let mut rest = text;
    while !rest.is_empty() {
        let digits_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits_len);
        let unit = if after.starts_with("ms") {
            4
        } else {
            match after.as_bytes().first() {
                Some(b'd') => 0,
                Some(b'h') => 1,
                Some(b'm') => 2,
                Some(b's') => 3,
                _ => unreachable!("the grammar makes a duration of numbers with units"),
            }
        };
        let (name, millis) = UNITS[unit];
        if let Some(previous) = previous {
            if unit == previous {
                return Err(invalid(format!("the unit `{name}` appears twice")));
            }
            if unit < previous {
                let smaller = UNITS[previous].0;
                return Err(invalid(format!("`{name}` comes after the smaller unit `{smaller}`")));
            }
        }
        previous = Some(unit);
        let count: u64 = without_underscores(number).parse().map_err(|_| too_long())?;
        total = count.checked_mul(millis).and_then(|part| total.checked_add(part)).ok_or_else(too_long)?;
        rest = &after[name.len()..];
    }
    Ok(LitValue::Duration(total))
}

/// `$0.0004` → 400 micro-dollars.
fn money_value(text: &str, span: Span) -> Result<LitValue, SyntaxError> {
    let amount = text.strip_prefix('$').unwrap_or(text);
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let fraction = without_underscores(fraction);
    if fraction.len() > 6 {
        return Err(SyntaxError::MoneyPrecision { span, text: text.to_owned() });
    }
    let too_much = || out_of_range(text, span, "money", "amounts go up to $9_223_372_036_854.775807");
    let dollars: i64 = without_underscores(whole).parse().map_err(|_| too_much())?;
    let micros: i64 =
        if fraction.is_empty() { 0 } else { format!("{fraction:0<6}").parse().map_err(|_| too_much())? };
    dollars
        .checked_mul(MICROS_PER_DOLLAR)
        .and_then(|value| value.checked_add(micros))
        .map(LitValue::Money)
        .ok_or_else(too_much)
}

/// `1.5M tokens` → 1_500_000. A fraction needs a suffix that makes the count whole.
fn tokens_value(text: &str, span: Span) -> Result<LitValue, SyntaxError> {
    let count = text.split([' ', '\t']).next().unwrap_or(text);
    let (number, multiplier, places) = if let Some(number) = count.strip_suffix('k') {
        (number, 1_000u64, 3)
    } else if let Some(number) = count.strip_suffix('M') {
        (number, 1_000_000u64, 6)
    } else {
        (count, 1u64, 0)
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole_text = without_underscores(whole);
    let fraction = without_underscores(fraction);
    let fractional = || SyntaxError::FractionalTokens { span, text: text.to_owned() };
    if !fraction.is_empty() && multiplier == 1 {
        return Err(fractional());
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > places {
        return Err(fractional());
    }
    let too_many = || out_of_range(text, span, "a token count", "token counts go up to 18_446_744_073_709_551_615");
    let whole: u64 = whole_text.parse().map_err(|_| too_many())?;
    let fraction_value: u64 = if fraction.is_empty() {
        0
    } else {
        // At most `places` digits, so this is exact: `.5` of `M` is 5 * 10^5.
        let digits: u64 = fraction.parse().map_err(|_| too_many())?;
        let scale = 10u64.pow(u32::try_from(places - fraction.len()).unwrap_or(0));
        digits * scale
    };
    whole
        .checked_mul(multiplier)
        .and_then(|value| value.checked_add(fraction_value))
        .map(LitValue::Tokens)
        .ok_or_else(too_many)
}

/// A number run into letters: a misspelt duration or an unknown suffix.
fn bad_number(text: &str, span: Span) -> SyntaxError {
    let suffix = text.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_' || c == '.');
    match suffix.as_bytes().first() {
        Some(b'd' | b'h' | b'm' | b's') => {
            SyntaxError::InvalidDuration { span, text: text.to_owned(), reason: duration_problem(text) }
        }
        Some(b'k' | b'M') => SyntaxError::InvalidNumber {
            span,
            text: text.to_owned(),
            hint: Some(format!(
                "a token count is written with `tokens` after it, as in `{} tokens`",
                &text[..text.len() - suffix.len() + 1]
            )),
        },
        _ => SyntaxError::InvalidNumber {
            span,
            text: text.to_owned(),
            hint: Some(
                "numbers are written like `3`, `1_000` or `2.5`; units like `30s`, `$2.10`, `80%` or `12k tokens`"
                    .to_owned(),
            ),
        },
    }
}

/// What is wrong with something that looks like a duration but is not one.
fn duration_problem(text: &str) -> String {
    if text.contains('.') {
        return "durations are whole numbers of units".to_owned();
    }
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(rest.len());
        rest = &rest[digits..];
        let letters = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let unit = &rest[..letters];
        if unit.is_empty() {
            return "every number needs a unit".to_owned();
        }
        if !matches!(unit, "d" | "h" | "m" | "s" | "ms") {
            return format!("`{unit}` is not a unit");
        }
        rest = &rest[letters..];
    }
    "the units are d, h, m, s and ms".to_owned()
}

/// The units a literal written outside a file may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Duration,
    Money,
    Tokens,
    Percent,
}

/// A unit literal written outside a `.wf` file — a `--arg` value, a command's output — read
/// exactly as the grammar reads it: `90s`, `1h30m`, `$2.10`, `12k tokens` (or `12k`), `80%`.
pub fn parse_unit(unit: Unit, text: &str) -> Result<LitValue, String> {
    let text = text.trim();
    let span = Span::new(0, text.len());
    let shaped = match unit {
        Unit::Duration => {
            let mut chars = text.chars().peekable();
            let mut ok = text.starts_with(|c: char| c.is_ascii_digit());
            while ok && chars.peek().is_some() {
                while chars.next_if(|c| c.is_ascii_digit() || *c == '_').is_some() {}
                let unit: String = std::iter::from_fn(|| chars.next_if(char::is_ascii_alphabetic)).collect();
                ok = matches!(unit.as_str(), "d" | "h" | "m" | "s" | "ms");
            }
            ok
        }
        Unit::Money => text.strip_prefix('$').is_some_and(|rest| plain_number(rest, true)),
        Unit::Tokens => {
            let count = text.strip_suffix("tokens").unwrap_or(text).trim_end();
            let number = count.strip_suffix(['k', 'M']).unwrap_or(count);
            plain_number(number, true) && !count.contains(char::is_whitespace)
        }
        Unit::Percent => text.strip_suffix('%').is_some_and(|rest| plain_number(rest, true)),
    };
    if !shaped {
        let example = match unit {
            Unit::Duration => "`90s`, `1h30m` or `500ms`",
            Unit::Money => "`$2.10`",
            Unit::Tokens => "`12k tokens`, `12k` or `1500`",
            Unit::Percent => "`80%`",
        };
        return Err(format!("`{text}` is not written like {example}"));
    }
    let value = match unit {
        Unit::Duration => duration_value(text, span),
        Unit::Money => money_value(text, span),
        Unit::Tokens => tokens_value(text, span),
        Unit::Percent => percent_value(text, span),
    };
    value.map_err(|error| error.to_string())
}

fn plain_number(text: &str, fraction: bool) -> bool {
    let (whole, rest) = text.split_once('.').map_or((text, None), |(whole, rest)| (whole, Some(rest)));
    let digits = |part: &str| {
        part.starts_with(|c: char| c.is_ascii_digit()) && part.chars().all(|c| c.is_ascii_digit() || c == '_')
    };
    digits(whole) && rest.is_none_or(|rest| fraction && digits(rest))
}
