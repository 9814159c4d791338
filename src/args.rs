//! Workflow arguments given as text (`--arg K=V`), read into typed values by the parameter's
//! type. `wf cost` and `wf run` both read them here.
//!
//! Scalars are read as the language writes literals (`90s`, `$2.10`, `12k tokens`, `80%`),
//! with the unit word or sign that a shell makes awkward left optional: `12k` for tokens,
//! `2.10` for money (a `$` must be quoted in most shells), `80` for a percentage. Lists are a
//! JSON array (`["api", "web"]`) or comma-separated (`api,web`). Records and lists of them
//! are JSON only (`[{"pct": "1%", "bake": "10m"}]`): a value with a unit is a string written
//! as the literal, or a number in the unit's base (percent points, milliseconds, dollars,
//! tokens); every field is required, and no other field is allowed.

use indexmap::IndexMap;

use crate::ir::{Type, Value, Workflow};
use crate::{suggest, syntax};

/// Reads `NAME=VALUE` arguments for `workflow`, each by its parameter's type. A parameter
/// left out is not an error here: it may have a default, and what needs it decides.
pub fn parse_args(workflow: &Workflow, given: &[String]) -> Result<IndexMap<String, Value>, String> {
    let mut args = IndexMap::new();
    for arg in given {
        let Some((name, text)) = arg.split_once('=') else {
            return Err(format!("`{arg}` is not NAME=VALUE"));
        };
        let Some(param) = workflow.params.iter().find(|param| param.name == name) else {
            let names = workflow.params.iter().map(|param| param.name.as_str());
            let hint = match suggest::did_you_mean(name, names) {
                Some(close) => format!("; did you mean `{close}`?"),
                None if workflow.params.is_empty() => "; it takes none".to_string(),
                None => {
                    let all: Vec<String> = workflow.params.iter().map(|param| format!("`{}`", param.name)).collect();
                    format!("; it has {}", all.join(", "))
                }
            };
            return Err(format!("workflow `{}` has no parameter `{name}`{hint}", workflow.name));
        };
        if args.contains_key(name) {
            return Err(format!("`{name}` is given twice"));
        }
        let value = parse_arg(&param.ty, text).map_err(|reason| format!("`{name}` is a `{}`: {reason}", param.ty))?;
        args.insert(name.to_string(), value);
    }
    Ok(args)
}

/// Reads `text` as a value of type `ty`. The error is a sentence saying what was expected.
pub fn parse_arg(ty: &Type, text: &str) -> Result<Value, String> {
    match ty {
        Type::String => Ok(Value::String(text.to_string())),
        Type::Bool => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("expected `true` or `false`, found `{text}`")),
        },
        Type::Int => match number(text) {
            Ok(Value::Int(n)) => Ok(Value::Int(n)),
            Ok(_) => Err(format!("expected a whole number such as `3`, found `{text}`")),
            Err(reason) => Err(format!("expected a whole number such as `3`: {reason}")),
        },
        Type::Float => match number(text) {
            #[allow(clippy::cast_precision_loss)]
            Ok(Value::Int(n)) => Ok(Value::Float(n as f64)),
            Ok(Value::Float(x)) => Ok(Value::Float(x)),
            Ok(_) => Err(format!("expected a number such as `2.5`, found `{text}`")),
            Err(reason) => Err(format!("expected a number such as `2.5`: {reason}")),
        },
        Type::Duration => match literal(text) {
            Ok(Value::Duration(ms)) => Ok(Value::Duration(ms)),
            Ok(Value::Int(_)) => Err(format!("a duration needs a unit, as in `{text}s` or `{text}m`")),
            Ok(_) => Err(format!("expected a duration such as `90s` or `1h30m`, found `{text}`")),
            Err(reason) => Err(reason),
        },
        Type::Money => {
            let (negative, digits) = sign(text);
            let written = if digits.starts_with('$') { digits.to_string() } else { format!("${digits}") };
            match literal(&written) {
                Ok(Value::Money(micros)) => Ok(Value::Money(if negative { -micros } else { micros })),
                Ok(_) => Err(format!("expected an amount of money such as `$2.10`, found `{text}`")),
                Err(reason) => Err(reason),
            }
        }
        Type::Tokens => {
            let trimmed = text.trim();
            let written = if trimmed.ends_with("tokens") { trimmed.to_string() } else { format!("{trimmed} tokens") };
            match literal(&written) {
                Ok(Value::Tokens(count)) => Ok(Value::Tokens(count)),
                Ok(_) => Err(format!("expected a token count such as `12k` or `1500`, found `{text}`")),
                Err(reason) => Err(reason),
            }
        }
        Type::Percent => {
            let (negative, digits) = sign(text);
            let written = if digits.ends_with('%') { digits.to_string() } else { format!("{digits}%") };
            match literal(&written) {
                Ok(Value::Percent(p)) => Ok(Value::Percent(if negative { -p } else { p })),
                Ok(_) => Err(format!("expected a percentage such as `80%`, found `{text}`")),
                Err(reason) => Err(reason),
            }
        }
        Type::List(elem) => list(elem, text),
        Type::Record(_) => {
            let json: serde_json::Value = serde_json::from_str(text.trim())
                .map_err(|error| format!("expected a JSON object such as `{}`: {error}", json_example(ty)))?;
            from_json(ty, &json)
        }
        Type::Unknown => Err(format!("a value of type `{ty}` cannot be given as text")),
    }
}

fn literal(text: &str) -> Result<Value, String> {
    syntax::literal(text).map(Value::from)
}

/// A leading `-`, and the rest.
fn sign(text: &str) -> (bool, &str) {
    match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    }
}

/// An `int` or a `float`, with an optional sign.
fn number(text: &str) -> Result<Value, String> {
    let (negative, digits) = sign(text);
    match literal(digits)? {
        Value::Int(n) => Ok(Value::Int(if negative { -n } else { n })),
        Value::Float(x) => Ok(Value::Float(if negative { -x } else { x })),
        _ => Err(format!("expected a number, found `{text}`")),
    }
}

fn list(elem: &Type, text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    // A list of records is JSON only: commas separate its fields too.
    if matches!(elem, Type::Record(_) | Type::List(_)) && !trimmed.starts_with('[') {
        return Err(format!("expected a JSON list such as `[{}]`", json_example(elem)));
    }
    if trimmed.starts_with('[') {
        let json: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|error| format!("not a JSON list such as `[{}]`: {error}", json_example(elem)))?;
        return from_json(&Type::List(Box::new(elem.clone())), &json);
    }
    if trimmed.is_empty() {
        return Ok(Value::List(Vec::new()));
    }
    let items = trimmed.split(',').map(|item| parse_arg(elem, item.trim())).collect::<Result<_, _>>()?;
    Ok(Value::List(items))
}

/// Reads a JSON value as a value of type `ty`: numbers become `int`/`float`, a number where a
/// unit is wanted is taken in that unit's base (percent points, milliseconds, dollars, tokens),
/// and a string is read as text would be.
pub fn from_json(ty: &Type, json: &serde_json::Value) -> Result<Value, String> {
    use serde_json::Value as J;
    match (ty, json) {
        (Type::String | Type::Unknown, J::String(s)) => Ok(Value::String(s.clone())),
        (Type::String, J::Number(_) | J::Bool(_)) => Ok(Value::String(json.to_string())),
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Int, J::Number(n)) => n.as_i64().map(Value::Int).ok_or_else(|| format!("{n} is not a whole number")),
        (Type::Float, J::Number(n)) => n.as_f64().map(Value::Float).ok_or_else(|| format!("{n} is not a number")),
        (Type::Percent, J::Number(n)) => n.as_f64().map(Value::Percent).ok_or_else(|| format!("{n} is not a number")),
        (Type::Duration, J::Number(n)) => {
            n.as_u64().map(Value::Duration).ok_or_else(|| format!("{n} is not a whole number of milliseconds"))
        }
        (Type::Tokens, J::Number(n)) => {
            n.as_u64().map(Value::Tokens).ok_or_else(|| format!("{n} is not a whole number of tokens"))
        }
        (Type::Money, J::Number(n)) => {
            // Exact: read the decimal digits JSON wrote, never through a float.
            parse_arg(&Type::Money, &format!("${n}"))
        }
        (Type::Record(fields), J::Object(object)) => {
            if let Some(extra) = object.keys().find(|key| !fields.contains_key(*key)) {
                let hint = match suggest::did_you_mean(extra, fields.keys().map(String::as_str)) {
                    Some(close) => format!("; did you mean `{close}`?"),
                    None => format!(
                        "; it has {}",
                        fields.keys().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
                    ),
                };
                return Err(format!("`{ty}` has no field `{extra}`{hint}"));
            }
            let mut record = IndexMap::new();
            for (name, field_ty) in fields {
                let value = object.get(name).ok_or_else(|| format!("the field `{name}` ({field_ty}) is missing"))?;
                record.insert(name.clone(), from_json(field_ty, value).map_err(|e| format!("field `{name}`: {e}"))?);
            }
            Ok(Value::Record(record))
        }
        (Type::List(elem), J::Array(items)) if matches!(**elem, Type::Record(_)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| from_json(elem, item).map_err(|e| format!("item {i}: {e}")))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Type::List(elem), J::Array(items)) => {
            items.iter().map(|item| from_json(elem, item)).collect::<Result<_, _>>().map(Value::List)
        }
        (_, J::String(s)) => parse_arg(ty, s),
        (ty, other) => Err(format!("expected {ty}, found JSON `{other}`")),
    }
}

/// A JSON value of type `ty` as a person would write it in `--arg`: units as strings
/// (`"10m"`, `"1%"`), for error messages.
fn json_example(ty: &Type) -> String {
    match ty {
        Type::String => "\"text\"".into(),
        Type::Int => "3".into(),
        Type::Float => "2.5".into(),
        Type::Bool => "true".into(),
        Type::Duration => "\"10m\"".into(),
        Type::Money => "\"$2.10\"".into(),
        Type::Tokens => "\"12k\"".into(),
        Type::Percent => "\"1%\"".into(),
        Type::List(elem) => format!("[{}]", json_example(elem)),
        Type::Record(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|(name, ty)| format!("\"{name}\": {}", json_example(ty))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        Type::Unknown => "null".into(),
    }
}

/// The zero value of a type: what a field holds when nothing produced it.
pub fn default_value(ty: &Type) -> Value {
    match ty {
        Type::String | Type::Unknown => Value::String(String::new()),
        Type::Int => Value::Int(0),
        Type::Float => Value::Float(0.0),
        Type::Bool => Value::Bool(false),
        Type::Duration => Value::Duration(0),
        Type::Money => Value::Money(0),
        Type::Tokens => Value::Tokens(0),
        Type::Percent => Value::Percent(0.0),
        Type::List(_) => Value::List(Vec::new()),
        Type::Record(fields) => {
            Value::Record(fields.iter().map(|(name, ty)| (name.clone(), default_value(ty))).collect())
        }
    }
}

/// Binds `NAME=VALUE` pairs to a workflow's parameters, filling defaults. Every problem is
/// reported, not just the first.
pub fn bind(workflow: &Workflow, given: &[(String, String)]) -> Result<IndexMap<String, Value>, Vec<String>> {
    let mut problems = Vec::new();
    let mut values = IndexMap::new();
    for (name, text) in given {
        match workflow.params.iter().find(|param| &param.name == name) {
            None => {
                let known: Vec<&str> = workflow.params.iter().map(|param| param.name.as_str()).collect();
                let hint = suggest::did_you_mean(name, known.iter().copied())
                    .map(|similar| format!(" (did you mean `{similar}`?)"))
                    .unwrap_or_default();
                problems.push(format!("`{}` has no parameter `{name}`{hint}", workflow.name));
            }
            Some(param) => match parse_arg(&param.ty, text) {
                Ok(value) => {
                    if values.insert(name.clone(), value).is_some() {
                        problems.push(format!("`--arg {name}` is given twice"));
                    }
                }
                Err(reason) => problems.push(format!("`--arg {name}`: expected {}: {reason}", param.ty)),
            },
        }
    }
    for param in &workflow.params {
        if values.contains_key(&param.name) {
            continue;
        }
        match &param.default {
            Some(default) => {
                values.insert(param.name.clone(), default.clone());
            }
            None => problems.push(format!(
                "`{}` needs `--arg {}=…` ({}): the parameter has no default",
                workflow.name, param.name, param.ty
            )),
        }
    }
    if problems.is_empty() {
        // Declaration order, whatever order the flags came in.
        let ordered = workflow.params.iter().filter_map(|p| values.get(&p.name).map(|v| (p.name.clone(), v.clone())));
        Ok(ordered.collect())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list_of(ty: Type) -> Type {
        Type::List(Box::new(ty))
    }

    #[test]
    fn scalars_read_as_literals() {
        assert_eq!(parse_arg(&Type::String, "PL-479"), Ok(Value::String("PL-479".into())));
        assert_eq!(parse_arg(&Type::Int, "1_000"), Ok(Value::Int(1_000)));
        assert_eq!(parse_arg(&Type::Int, "-3"), Ok(Value::Int(-3)));
        assert_eq!(parse_arg(&Type::Float, "2.5"), Ok(Value::Float(2.5)));
        assert_eq!(parse_arg(&Type::Float, "2"), Ok(Value::Float(2.0)));
        assert_eq!(parse_arg(&Type::Bool, "true"), Ok(Value::Bool(true)));
        assert_eq!(parse_arg(&Type::Duration, "90s"), Ok(Value::Duration(90_000)));
        assert_eq!(parse_arg(&Type::Duration, "1h30m"), Ok(Value::Duration(5_400_000)));
        assert_eq!(parse_arg(&Type::Money, "$2"), Ok(Value::Money(2_000_000)));
        assert_eq!(parse_arg(&Type::Money, "0.0004"), Ok(Value::Money(400)));
        assert_eq!(parse_arg(&Type::Tokens, "12k"), Ok(Value::Tokens(12_000)));
        assert_eq!(parse_arg(&Type::Tokens, "1.5M tokens"), Ok(Value::Tokens(1_500_000)));
        assert_eq!(parse_arg(&Type::Tokens, "1500"), Ok(Value::Tokens(1_500)));
        assert_eq!(parse_arg(&Type::Percent, "80%"), Ok(Value::Percent(80.0)));
        assert_eq!(parse_arg(&Type::Percent, "0.1"), Ok(Value::Percent(0.1)));
    }

    #[test]
    fn lists_are_json_or_comma_separated() {
        let strings = list_of(Type::String);
        let expected = Value::List(vec![Value::String("api".into()), Value::String("web".into())]);
        assert_eq!(parse_arg(&strings, "api,web"), Ok(expected.clone()));
        assert_eq!(parse_arg(&strings, "api, web"), Ok(expected.clone()));
        assert_eq!(parse_arg(&strings, r#"["api", "web"]"#), Ok(expected));
        assert_eq!(parse_arg(&strings, ""), Ok(Value::List(Vec::new())));
        assert_eq!(parse_arg(&strings, r#"["a,b"]"#), Ok(Value::List(vec![Value::String("a,b".into())])));
        let durations = list_of(Type::Duration);
        assert_eq!(
            parse_arg(&durations, r#"["90s", "2m"]"#),
            Ok(Value::List(vec![Value::Duration(90_000), Value::Duration(120_000)]))
        );
        assert_eq!(parse_arg(&list_of(Type::Int), "[1, 2]"), Ok(Value::List(vec![Value::Int(1), Value::Int(2)])));
    }

    #[test]
    fn wrong_values_say_what_was_expected() {
        let error = |ty: Type, text: &str| parse_arg(&ty, text).unwrap_err();
        assert!(error(Type::Int, "three").contains("whole number"), "{}", error(Type::Int, "three"));
        assert!(error(Type::Int, "2.5").contains("whole number"));
        assert!(error(Type::Bool, "yes").contains("`true` or `false`"));
        assert!(error(Type::Duration, "90").contains("needs a unit"));
        assert!(error(Type::Duration, "5min").contains("5min"), "{}", error(Type::Duration, "5min"));
        assert!(error(Type::Money, "$0.0000001").contains("decimal"), "{}", error(Type::Money, "$0.0000001"));
        assert!(error(list_of(Type::Int), "1,x").contains("`x`"), "{}", error(list_of(Type::Int), "1,x"));
        assert!(error(list_of(Type::Bool), "[1]").contains("bool"));
        assert!(error(list_of(Type::String), "[\"a\"").contains("JSON"));
    }

    fn stage() -> Type {
        Type::Record(IndexMap::from([("pct".to_owned(), Type::Percent), ("bake".to_owned(), Type::Duration)]))
    }

    #[test]
    fn records_and_lists_of_records_are_json() {
        let stages = list_of(stage());
        let expected = Value::List(vec![
            Value::Record(IndexMap::from([
                ("pct".to_owned(), Value::Percent(1.0)),
                ("bake".to_owned(), Value::Duration(600_000)),
            ])),
            Value::Record(IndexMap::from([
                ("pct".to_owned(), Value::Percent(10.0)),
                ("bake".to_owned(), Value::Duration(900_000)),
            ])),
        ]);
        let text = r#"[{"pct": "1%", "bake": "10m"}, {"bake": "15m", "pct": 10}]"#;
        assert_eq!(parse_arg(&stages, text), Ok(expected));
        assert_eq!(
            parse_arg(&stage(), r#"{"pct": "50%", "bake": 1000}"#),
            Ok(Value::Record(IndexMap::from([
                ("pct".to_owned(), Value::Percent(50.0)),
                ("bake".to_owned(), Value::Duration(1_000)),
            ])))
        );
        assert_eq!(parse_arg(&stages, "[]"), Ok(Value::List(Vec::new())));
    }

    #[test]
    fn wrong_records_say_which_field() {
        let error = |ty: Type, text: &str| parse_arg(&ty, text).unwrap_err();
        let stages = list_of(stage());
        let missing = error(stages.clone(), r#"[{"pct": "1%"}]"#);
        assert!(missing.contains("item 0") && missing.contains("`bake` (duration) is missing"), "{missing}");
        let extra = error(stage(), r#"{"pct": "1%", "bake": "1m", "bakes": "2m"}"#);
        assert!(extra.contains("no field `bakes`") && extra.contains("did you mean `bake`"), "{extra}");
        let wrong = error(stages.clone(), r#"[{"pct": "1%", "bake": "10"}]"#);
        assert!(wrong.contains("field `bake`") && wrong.contains("needs a unit"), "{wrong}");
        let not_json = error(stages.clone(), r#"[{"pct": "1%",]"#);
        assert!(not_json.contains(r#"[{"pct": "1%", "bake": "10m"}]"#), "{not_json}");
        let commas = error(stages, "1%,10m");
        assert!(commas.contains("a JSON list"), "{commas}");
        assert!(error(stage(), "pct=1%").contains("a JSON object"));
    }

    #[test]
    fn json_numbers_take_the_unit_base() {
        let json: serde_json::Value = serde_json::json!(84.2);
        assert_eq!(from_json(&Type::Percent, &json), Ok(Value::Percent(84.2)));
        assert_eq!(from_json(&Type::Money, &serde_json::json!(0.1)), Ok(Value::Money(100_000)));
        assert_eq!(from_json(&Type::Duration, &serde_json::json!("500ms")), Ok(Value::Duration(500)));
        assert!(from_json(&Type::Int, &serde_json::json!("x")).is_err());
    }
}
