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
        // Standing in for what it was meant to be, so the checker does not report the
        // same mistake again as a type mismatch (`timeout 5min`).
        Rule::bad_number => {
            let error = bad_number(text, span);
            let fallback = match error {
                SyntaxError::InvalidDuration { .. } => LitValue::Duration(0),
                _ if text
                    .trim_start_matches(|c: char| c.is_ascii_digit() || c == '_' || c == '.')
                    .starts_with(['k', 'M']) =>
                {
                    LitValue::Tokens(0)
                }
                _ => LitValue::Int(0),
            };
            (Err(error), fallback)
        }
        other => unreachable!("not a literal: {other:?}"),
    };
    let value = value.unwrap_or_else(|error| {
        errors.push(error);
        fallback
    });
    Literal { value, text: text.to_owned(), span }
}

/// Reads the whole of `text` as one literal (`90s`, `$2.10`, `12k tokens`, `80%`, `3`, `2.5`,
/// `true`): the way a value given outside a file (`--arg`) is read. The error says what is
/// wrong, with the same words a file would get.
pub(crate) fn read_literal(text: &str) -> Result<LitValue, String> {
    use pest::Parser;

    use crate::syntax::grammar::WfParser;

    let rules = [
        Rule::tokens_lit,
        Rule::money_lit,
        Rule::percent_lit,
        Rule::duration_lit,
        Rule::float_lit,
        Rule::int_lit,
        Rule::bool_lit,
        Rule::bad_number,
    ];
    for rule in rules {
        let Ok(mut pairs) = WfParser::parse(rule, text) else { continue };
        let Some(pair) = pairs.next().filter(|pair| pair.as_str().len() == text.len()) else { continue };
        let mut errors = Vec::new();
        let literal = lower_literal(pair, &mut errors);
        return match errors.first() {
            None => Ok(literal.value),
            Some(error) => {
                let help = miette::Diagnostic::help(error).map(|help| format!(" ({help})")).unwrap_or_default();
                Err(format!("{error}{help}"))
            }
        };
    }
    Err(format!("`{text}` is not a value"))
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
