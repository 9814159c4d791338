//! Values written on the command line (`--arg ticket=PL-479`) and in command output, read as
//! the type they must have. One reader for both, so `--arg budget=$2` and a command printing
//! `$2` mean the same.

use indexmap::IndexMap;

use crate::ir::{Type, Value, Workflow};
use crate::syntax::ast::LitValue;
use crate::syntax::{parse_unit, Unit};

/// Reads `text` as a value of type `ty`. Lists are JSON arrays (`["a","b"]`) or
/// comma-separated (`a,b`).
pub fn parse_value(ty: &Type, text: &str) -> Result<Value, String> {
    match ty {
        Type::String | Type::Unknown => Ok(Value::String(text.to_owned())),
        Type::Int => {
            let digits: String = text.trim().chars().filter(|&c| c != '_').collect();
            digits.parse().map(Value::Int).map_err(|_| format!("`{text}` is not a whole number"))
        }
        Type::Float => {
            let digits: String = text.trim().chars().filter(|&c| c != '_').collect();
            match digits.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Value::Float(x)),
                _ => Err(format!("`{text}` is not a number")),
            }
        }
        Type::Bool => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{text}` is not `true` or `false`")),
        },
        Type::Duration => unit(Unit::Duration, text),
        Type::Money => unit(Unit::Money, text),
        Type::Tokens => unit(Unit::Tokens, text),
        Type::Percent => unit(Unit::Percent, text),
        Type::List(elem) => parse_list(elem, text),
        Type::Record(_) => Err("records cannot be written as text".to_owned()),
    }
}

fn unit(unit: Unit, text: &str) -> Result<Value, String> {
    Ok(match parse_unit(unit, text)? {
        LitValue::Duration(ms) => Value::Duration(ms),
        LitValue::Money(micros) => Value::Money(micros),
        LitValue::Tokens(count) => Value::Tokens(count),
        LitValue::Percent(p) => Value::Percent(p),
        LitValue::Int(n) => Value::Int(n),
        LitValue::Float(x) => Value::Float(x),
        LitValue::Bool(b) => Value::Bool(b),
    })
}

fn parse_list(elem: &Type, text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Value::List(Vec::new()));
    }
    if trimmed.starts_with('[') {
        let items: Vec<serde_json::Value> =
            serde_json::from_str(trimmed).map_err(|error| format!("`{text}` is not a JSON list: {error}"))?;
        return items.iter().map(|item| from_json(elem, item)).collect::<Result<_, _>>().map(Value::List);
    }
    trimmed.split(',').map(|item| parse_value(elem, item.trim())).collect::<Result<_, _>>().map(Value::List)
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
            parse_value(&Type::Money, &format!("${n}"))
        }
        (Type::List(elem), J::Array(items)) => {
            items.iter().map(|item| from_json(elem, item)).collect::<Result<_, _>>().map(Value::List)
        }
        (Type::Record(fields), J::Object(object)) => {
            let mut record = IndexMap::new();
            for (name, field_ty) in fields {
                let value = object.get(name).ok_or_else(|| format!("the field `{name}` is missing"))?;
                record.insert(name.clone(), from_json(field_ty, value).map_err(|e| format!("`{name}`: {e}"))?);
            }
            Ok(Value::Record(record))
        }
        (_, J::String(s)) => parse_value(ty, s),
        (ty, other) => Err(format!("expected {ty}, found JSON `{other}`")),
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
                let hint = crate::suggest::did_you_mean(name, known.iter().copied())
                    .map(|similar| format!(" (did you mean `{similar}`?)"))
                    .unwrap_or_default();
                problems.push(format!("`{}` has no parameter `{name}`{hint}", workflow.name));
            }
            Some(param) => match parse_value(&param.ty, text) {
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

    #[test]
    fn units_read_as_the_grammar_reads_them() {
        assert_eq!(parse_value(&Type::Duration, "1h30m"), Ok(Value::Duration(5_400_000)));
        assert_eq!(parse_value(&Type::Money, "$2.10"), Ok(Value::Money(2_100_000)));
        assert_eq!(parse_value(&Type::Tokens, "12k tokens"), Ok(Value::Tokens(12_000)));
        assert_eq!(parse_value(&Type::Tokens, "1.5M"), Ok(Value::Tokens(1_500_000)));
        assert_eq!(parse_value(&Type::Percent, "80%"), Ok(Value::Percent(80.0)));
        assert!(parse_value(&Type::Duration, "90").is_err());
        assert!(parse_value(&Type::Duration, "5x").is_err());
        assert!(parse_value(&Type::Money, "2.10").is_err());
        assert!(parse_value(&Type::Int, "3.5").is_err());
    }

    #[test]
    fn lists_read_as_json_or_commas() {
        let ty = Type::List(Box::new(Type::String));
        let expected = Value::List(vec![Value::String("a".into()), Value::String("b c".into())]);
        assert_eq!(parse_value(&ty, r#"["a", "b c"]"#), Ok(expected.clone()));
        assert_eq!(parse_value(&ty, "a, b c"), Ok(expected));
        assert_eq!(parse_value(&ty, ""), Ok(Value::List(vec![])));
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
