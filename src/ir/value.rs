//! Values known before a run: literals, constants, parameter defaults and arguments.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::Type;
use crate::lexicon::LitValue;

/// A value with its unit normalised: durations in milliseconds, money in integer
/// micro-dollars, tokens as a count, percent as the number written before `%`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration(u64),
    Money(i64),
    Tokens(u64),
    Percent(f64),
    List(Vec<Value>),
    /// A step's values, or an agent's structured answer.
    Record(IndexMap<String, Value>),
}

pub const MICROS_PER_DOLLAR: i64 = 1_000_000;

impl From<LitValue> for Value {
    fn from(literal: LitValue) -> Value {
        match literal {
            LitValue::Int(n) => Value::Int(n),
            LitValue::Float(x) => Value::Float(x),
            LitValue::Bool(b) => Value::Bool(b),
            LitValue::Duration(ms) => Value::Duration(ms),
            LitValue::Money(micros) => Value::Money(micros),
            LitValue::Tokens(count) => Value::Tokens(count),
            LitValue::Percent(p) => Value::Percent(p),
        }
    }
}

impl Value {
    pub fn ty(&self) -> Type {
        match self {
            Value::String(_) => Type::String,
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::Bool(_) => Type::Bool,
            Value::Duration(_) => Type::Duration,
            Value::Money(_) => Type::Money,
            Value::Tokens(_) => Type::Tokens,
            Value::Percent(_) => Type::Percent,
            Value::List(items) => Type::List(Box::new(items.first().map_or(Type::Unknown, Value::ty))),
            Value::Record(fields) => {
                Type::Record(fields.iter().map(|(name, value)| (name.clone(), value.ty())).collect())
            }
        }
    }

    /// The value as JSON in the shape `--arg` reads it back: strings, numbers and booleans as
    /// themselves, units as their literals (`"10m"`, `"1%"`, `"$0.50"`, `"12k tokens"`), lists
    /// as arrays and records as objects.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::String(s) => J::String(s.clone()),
            Value::Int(n) => J::from(*n),
            Value::Float(x) => serde_json::Number::from_f64(*x).map_or(J::Null, J::Number),
            Value::Bool(b) => J::Bool(*b),
            Value::Duration(_) | Value::Money(_) | Value::Tokens(_) | Value::Percent(_) => J::String(self.to_string()),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Record(fields) => {
                J::Object(fields.iter().map(|(name, value)| (name.clone(), value.to_json())).collect())
            }
        }
    }

    /// The value as text in a prompt or message: strings as they are, lists comma-separated,
    /// units as literals (`$3.00`, `1h30m`).
    pub fn to_text(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::List(items) => items.iter().map(Value::to_text).collect::<Vec<_>>().join(", "),
            other => other.to_string(),
        }
    }
}

/// Writes money as dollars with at least two decimals: `$3.00`, `$0.0004`.
pub fn format_money(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let micros = micros.unsigned_abs();
    let dollars = micros / 1_000_000;
    let mut frac = format!("{:06}", micros % 1_000_000);
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    format!("{sign}${dollars}.{frac}")
}

/// An amount of money spent or estimated, as people read it in reports, tables and the live
/// view: to the cent at least and to a hundredth of a cent at most, rounded half up (`$3.00`,
/// `$0.276`, `$0.0067`); what is not zero never reads as zero (`<$0.0001`). The journal and
/// JSON keep exact micro-dollars; [`format_money`] writes them exactly.
pub fn format_cost(micros: i64) -> String {
    if micros != 0 && micros.unsigned_abs() < 50 {
        return if micros < 0 { "-<$0.0001".to_owned() } else { "<$0.0001".to_owned() };
    }
    let sign = if micros < 0 { "-" } else { "" };
    let hundredths_of_cents = micros.unsigned_abs().saturating_add(50) / 100;
    let dollars = hundredths_of_cents / 10_000;
    let mut frac = format!("{:04}", hundredths_of_cents % 10_000);
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    format!("{sign}${dollars}.{frac}")
}

/// Writes a duration in the largest exact units: `1h30m`, `500ms`, `0s`.
pub fn format_duration(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// A measured time as people read it in reports, tables and the live view, the one way wf
/// prints a time that passed: `850ms`, `5.7s`, `2m05s`, `1h02m`, `3d04h`. ([`format_duration`]
/// writes a literal as the language spells it.)
pub fn format_elapsed(ms: u64) -> String {
    const SECOND: u64 = 1_000;
    const MINUTE: u64 = 60 * SECOND;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    match ms {
        0..SECOND => format!("{ms}ms"),
        // Tenths, rounded half up; 59.95s and more reads as a minute.
        SECOND..59_950 => {
            let tenths = (ms + 50) / 100;
            format!("{}.{}s", tenths / 10, tenths % 10)
        }
        59_950..HOUR => {
            let seconds = (ms + 500) / SECOND;
            format!("{}m{:02}s", seconds / 60, seconds % 60)
        }
        HOUR..DAY => {
            let minutes = ms / MINUTE;
            format!("{}h{:02}m", minutes / 60, minutes % 60)
        }
        _ => {
            let hours = ms / HOUR;
            format!("{}d{:02}h", hours / 24, hours % 24)
        }
    }
}

/// A token count as people read it in reports, tables and the live view, the one way wf
/// prints a count it measured or estimated: `950`, `12.0k`, `1.2M`. ([`format_tokens`]
/// writes a literal as the language spells it.)
pub fn format_token_count(count: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // One decimal for people.
    let count_f = count as f64;
    if count < 1_000 {
        count.to_string()
    } else if count < 999_950 {
        format!("{:.1}k", count_f / 1e3)
    } else {
        format!("{:.1}M", count_f / 1e6)
    }
}

/// Writes a token count with a `k`/`M` suffix where exact: `12k tokens`, `1.5M tokens`.
pub fn format_tokens(count: u64) -> String {
    if count >= 1_000_000 && count.is_multiple_of(100_000) {
        let whole = count / 1_000_000;
        let tenth = (count % 1_000_000) / 100_000;
        if tenth == 0 {
            format!("{whole}M tokens")
        } else {
            format!("{whole}.{tenth}M tokens")
        }
    } else if count >= 1_000 && count.is_multiple_of(1_000) {
        format!("{}k tokens", count / 1_000)
    } else {
        format!("{count} tokens")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "{s:?}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Duration(ms) => f.write_str(&format_duration(*ms)),
            Value::Money(m) => f.write_str(&format_money(*m)),
            Value::Tokens(t) => f.write_str(&format_tokens(*t)),
            Value::Percent(p) => write!(f, "{p}%"),
            Value::List(items) => write_list(f, items),
            Value::Record(fields) => write_record(f, fields),
        }
    }
}

/// `[a, b, c]`: a list, of values or of expressions, as the language writes it.
pub(super) fn write_list(f: &mut fmt::Formatter<'_>, items: &[impl fmt::Display]) -> fmt::Result {
    f.write_str("[")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str("]")
}

/// `{ name: value, … }`: a record, of values or of expressions, as the language writes it.
pub(super) fn write_record(f: &mut fmt::Formatter<'_>, fields: &IndexMap<String, impl fmt::Display>) -> fmt::Result {
    f.write_str("{ ")?;
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{name}: {value}")?;
    }
    f.write_str(" }")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_json_objects_that_args_read_back() {
        let stage = Value::Record(IndexMap::from([
            ("pct".to_owned(), Value::Percent(1.5)),
            ("bake".to_owned(), Value::Duration(600_000)),
            ("spend".to_owned(), Value::Money(500_000)),
            ("name".to_owned(), Value::String("eu".into())),
            ("probes".to_owned(), Value::Int(3)),
        ]));
        let json = Value::List(vec![stage.clone()]).to_json();
        assert_eq!(
            json,
            serde_json::json!([{ "pct": "1.5%", "bake": "10m", "spend": "$0.50", "name": "eu", "probes": 3 }])
        );
        assert_eq!(crate::args::from_json(&Type::List(Box::new(stage.ty())), &json), Ok(Value::List(vec![stage])));
    }

    #[test]
    fn money_prints_exact_dollars() {
        assert_eq!(format_money(3_000_000), "$3.00");
        assert_eq!(format_money(400), "$0.0004");
        assert_eq!(format_money(2_100_000), "$2.10");
        assert_eq!(format_money(-1_500_000), "-$1.50");
    }

    #[test]
    fn durations_print_in_largest_units() {
        assert_eq!(format_duration(5_400_000), "1h30m");
        assert_eq!(format_duration(500), "500ms");
        assert_eq!(format_duration(90_061_001), "1d1h1m1s1ms");
    }

    #[test]
    fn costs_print_to_a_hundredth_of_a_cent() {
        assert_eq!(format_cost(3_000_000), "$3.00");
        assert_eq!(format_cost(276_000), "$0.276");
        assert_eq!(format_cost(6_667), "$0.0067");
        assert_eq!(format_cost(171_526), "$0.1715");
        assert_eq!(format_cost(231), "$0.0002");
        assert_eq!(format_cost(49), "<$0.0001");
        assert_eq!(format_cost(0), "$0.00");
        assert_eq!(format_cost(-6_667), "-$0.0067");
    }

    #[test]
    fn measured_times_print_one_way() {
        assert_eq!(format_elapsed(0), "0ms");
        assert_eq!(format_elapsed(850), "850ms");
        assert_eq!(format_elapsed(5_700), "5.7s");
        assert_eq!(format_elapsed(1_253), "1.3s");
        assert_eq!(format_elapsed(59_949), "59.9s");
        assert_eq!(format_elapsed(59_950), "1m00s");
        assert_eq!(format_elapsed(125_000), "2m05s");
        assert_eq!(format_elapsed(3_720_000), "1h02m");
        assert_eq!(format_elapsed(273_600_000), "3d04h");
    }

    #[test]
    fn measured_token_counts_print_one_way() {
        assert_eq!(format_token_count(950), "950");
        assert_eq!(format_token_count(12_000), "12.0k");
        assert_eq!(format_token_count(10_014), "10.0k");
        assert_eq!(format_token_count(999_949), "999.9k");
        assert_eq!(format_token_count(999_950), "1.0M");
        assert_eq!(format_token_count(1_250_000), "1.2M");
    }

    #[test]
    fn tokens_print_with_suffix_when_exact() {
        assert_eq!(format_tokens(12_000), "12k tokens");
        assert_eq!(format_tokens(1_500_000), "1.5M tokens");
        assert_eq!(format_tokens(800), "800 tokens");
    }
}
