//! `returns { f: T }`: the JSON schema a provider is asked to answer with, and reading an
//! answer back into typed values, with an error that names the field, the type it should
//! have and what was found (`wf::agent::returns_mismatch`).

use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use crate::args::from_json;
use crate::ir::{Type, Value};

/// The code every `returns` mismatch starts with (docs/providers.md).
pub const RETURNS_MISMATCH: &str = "wf::agent::returns_mismatch";

/// The JSON schema of a `returns` record: an object with every field required and no others.
pub fn json_schema(returns: &IndexMap<String, Type>) -> Json {
    record_schema(returns)
}

fn record_schema(fields: &IndexMap<String, Type>) -> Json {
    let properties: serde_json::Map<String, Json> =
        fields.iter().map(|(name, ty)| (name.clone(), type_schema(ty))).collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": fields.keys().collect::<Vec<_>>(),
        "additionalProperties": false,
    })
}

fn type_schema(ty: &Type) -> Json {
    match ty {
        Type::String | Type::Unknown => json!({"type": "string"}),
        Type::Int => json!({"type": "integer"}),
        Type::Float => json!({"type": "number"}),
        Type::Bool => json!({"type": "boolean"}),
        Type::Tokens => json!({"type": "integer", "description": "a number of tokens"}),
        Type::Percent => json!({"type": "number", "description": "a percentage: 12.5 means 12.5%"}),
        Type::Duration => json!({"type": "string", "description": "a duration such as \"90s\", \"5m\" or \"1h30m\""}),
        Type::Money => json!({"type": "string", "description": "US dollars such as \"$2.10\""}),
        Type::List(element) => json!({"type": "array", "items": type_schema(element)}),
        Type::Record(fields) => record_schema(fields),
    }
}

/// Reads the `returns` fields out of an answer's JSON object.
pub fn read_returns(returns: &IndexMap<String, Type>, answer: &Json) -> Result<IndexMap<String, Value>, String> {
    let Json::Object(object) = answer else {
        return Err(format!("{RETURNS_MISMATCH}: the answer should be a JSON object, found {}", found(answer)));
    };
    let mut fields = IndexMap::new();
    for (name, ty) in returns {
        let value = field(name, ty, object.get(name))?;
        fields.insert(name.clone(), value);
    }
    Ok(fields)
}

fn field(path: &str, ty: &Type, json: Option<&Json>) -> Result<Value, String> {
    let Some(json) = json else {
        return Err(format!("{RETURNS_MISMATCH}: the field `{path}` is missing (expected {ty})"));
    };
    match (ty, json) {
        (Type::List(element), Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| field(&format!("{path}[{index}]"), element, Some(item)))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Type::Record(fields), Json::Object(object)) => {
            let mut record = IndexMap::new();
            for (name, field_ty) in fields {
                record.insert(name.clone(), field(&format!("{path}.{name}"), field_ty, object.get(name))?);
            }
            Ok(Value::Record(record))
        }
        _ if !shape_fits(ty, json) => {
            Err(format!("{RETURNS_MISMATCH}: the field `{path}` should be {ty}, found {}", found(json)))
        }
        _ => from_json(ty, json).map_err(|reason| {
            format!("{RETURNS_MISMATCH}: the field `{path}` should be {ty}, found {}: {reason}", found(json))
        }),
    }
}

/// Whether the JSON value's kind can hold the type at all (the finer reading is `from_json`'s).
fn shape_fits(ty: &Type, json: &Json) -> bool {
    match ty {
        Type::String | Type::Unknown => json.is_string(),
        Type::Bool => json.is_boolean(),
        Type::Int | Type::Float | Type::Tokens => json.is_number(),
        Type::Percent | Type::Duration | Type::Money => json.is_number() || json.is_string(),
        Type::List(_) => json.is_array(),
        Type::Record(_) => json.is_object(),
    }
}

/// `the string "high"`, `the number 3`, …, cut to a readable length.
fn found(json: &Json) -> String {
    let kind = match json {
        Json::Null => return "null".to_owned(),
        Json::Bool(_) => "the bool",
        Json::Number(_) => "the number",
        Json::String(_) => "the string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    };
    let mut text = json.to_string();
    if text.chars().count() > 60 {
        text = text.chars().take(57).collect::<String>() + "…";
    }
    format!("{kind} {text}")
}

/// The first JSON object in a text: the whole text when it is one, else the first `{` from
/// which an object parses (an answer in a ```json fence, or after a sentence).
pub fn first_json_object(text: &str) -> Option<Json> {
    if let Ok(value @ Json::Object(_)) = serde_json::from_str::<Json>(text.trim()) {
        return Some(value);
    }
    text.match_indices('{').find_map(|(start, _)| {
        let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Json>();
        match values.next() {
            Some(Ok(value @ Json::Object(_))) => Some(value),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn returns() -> IndexMap<String, Type> {
        IndexMap::from([
            ("repos".to_owned(), Type::List(Box::new(Type::String))),
            ("complexity".to_owned(), Type::Int),
            ("coverage".to_owned(), Type::Percent),
        ])
    }

    #[test]
    fn the_schema_requires_every_field_with_its_json_type() {
        let schema = json_schema(&returns());
        assert_eq!(schema["required"], json!(["repos", "complexity", "coverage"]));
        assert_eq!(schema["properties"]["repos"]["items"]["type"], "string");
        assert_eq!(schema["properties"]["complexity"]["type"], "integer");
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn an_answer_is_read_into_typed_fields() {
        let answer = json!({"repos": ["api", "web"], "complexity": 3, "coverage": 81.5});
        let fields = read_returns(&returns(), &answer).expect("matches");
        assert_eq!(fields["complexity"], Value::Int(3));
        assert_eq!(fields["coverage"], Value::Percent(81.5));
        assert_eq!(fields["repos"], Value::List(vec![Value::String("api".into()), Value::String("web".into())]));
    }

    #[test]
    fn a_mismatch_names_the_field_the_type_and_what_was_found() {
        let answer = json!({"repos": ["api"], "complexity": "high", "coverage": 1});
        let error = read_returns(&returns(), &answer).unwrap_err();
        assert_eq!(
            error,
            "wf::agent::returns_mismatch: the field `complexity` should be int, found the string \"high\""
        );
        let nested =
            read_returns(&returns(), &json!({"repos": ["api", 7], "complexity": 1, "coverage": 1})).unwrap_err();
        assert!(nested.contains("`repos[1]` should be string, found the number 7"), "{nested}");
        let missing = read_returns(&returns(), &json!({"repos": []})).unwrap_err();
        assert!(missing.contains("the field `complexity` is missing (expected int)"), "{missing}");
        let not_object = read_returns(&returns(), &json!([1])).unwrap_err();
        assert!(not_object.contains("should be a JSON object, found a list [1]"), "{not_object}");
    }

    #[test]
    fn the_first_object_is_found_in_prose_and_fences() {
        assert_eq!(first_json_object(r#"{"a": 1}"#), Some(json!({"a": 1})));
        assert_eq!(
            first_json_object("Sure! Here it is:\n```json\n{\"a\": {\"b\": 2}}\n```"),
            Some(json!({"a": {"b": 2}}))
        );
        assert_eq!(first_json_object("use {braces} then {\"x\": true}"), Some(json!({"x": true})));
        assert_eq!(first_json_object("no object here"), None);
    }
}
