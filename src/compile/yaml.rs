//! A JSON value written as YAML in block style, so that the engines' manifests read like the
//! ones people write by hand. No YAML crate: serde_yaml is archived, and what wf writes is a
//! small subset — maps, lists, strings, numbers, booleans. A string that plain YAML would
//! read as something else is double-quoted with JSON's escapes (a JSON string is a valid YAML
//! double-quoted scalar); a string over several lines is a `|` block scalar.

use serde_json::Value;

/// `value` as a YAML document, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => map_body(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => list_body(items, 0, &mut out),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn map_body(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string(key, indent, false));
        out.push(':');
        nested(value, indent, out);
    }
}

fn list_body(items: &[Value], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            // A map in a list starts on the dash's line: `- name: x`.
            Value::Object(map) if !map.is_empty() => {
                let mut inner = String::new();
                map_body(map, indent + 2, &mut inner);
                out.push(' ');
                out.push_str(inner.trim_start());
            }
            _ => nested(item, indent, out),
        }
    }
}

/// What follows `key:` or `-`: a block on the next lines, or a scalar on this one.
fn nested(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            map_body(map, indent + 2, out);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            list_body(items, indent + 2, out);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other, indent + 2));
            out.push('\n');
        }
    }
}

fn scalar(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s, indent, true),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as a plain scalar when YAML reads it back as the same string, as a `|` block
/// when it has several lines (and no trailing spaces or control characters a block would
/// lose), else double-quoted.
fn string(s: &str, indent: usize, block_allowed: bool) -> String {
    if block_allowed && s.contains('\n') && block_safe(s) {
        let keep = if s.ends_with('\n') { "" } else { "-" };
        let pad = " ".repeat(indent);
        let mut out = format!("|{keep}");
        for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
                out.push_str(line);
            }
        }
        return out;
    }
    if plain_safe(s) {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

fn block_safe(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    !body.ends_with('\n')
        && !body.starts_with([' ', '\t'])
        && body.split('\n').all(|line| !line.ends_with([' ', '\t']))
        && !s.chars().any(|c| c.is_control() && c != '\n')
}

/// Whether `s` can be written without quotes and read back as the same string by a YAML
/// 1.1 or 1.2 reader: no indicator at the start, no `: ` or ` #`, and nothing that reads as
/// a boolean, null or number.
fn plain_safe(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(char::is_control) {
        return false;
    }
    if s.contains("{{") || s.contains("${{") {
        // Engine expressions are quoted so that no reader takes `{` for a flow map.
        return false;
    }
    let lower = s.to_ascii_lowercase();
    const WORDS: &[&str] = &["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".nan", ".inf", "-.inf"];
    if WORDS.contains(&lower.as_str()) {
        return false;
    }
    // Anything that starts like a number (`1`, `.5`, `0x1f`, `1e3`, `2024-01-01`) is quoted.
    !(first.is_ascii_digit() || first == '.' || first == '+')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_lists_and_scalars_in_block_style() {
        let doc = json!({"a": 1, "b": [true, "x"], "c": {"d": []}, "e": [{"f": "g", "h": {"i": null}}]});
        assert_eq!(to_yaml(&doc), "a: 1\nb:\n  - true\n  - x\nc:\n  d: []\ne:\n  - f: g\n    h:\n      i: null\n");
    }

    #[test]
    fn strings_that_would_change_meaning_are_quoted() {
        for s in ["true", "no", "1", "1.5", "", " x", "a: b", "a #b", "- x", "*x", "{{x}}", "${{ x }}", "tab\there"] {
            let text = to_yaml(&json!({ "k": s }));
            let quoted = serde_json::to_string(s).unwrap();
            assert_eq!(text, format!("k: {quoted}\n"), "{s:?}");
        }
        assert_eq!(to_yaml(&json!({"k": "plain words/and-dashes"})), "k: plain words/and-dashes\n");
    }

    #[test]
    fn multi_line_strings_are_block_scalars() {
        assert_eq!(to_yaml(&json!({"run": "a\n\nb\n"})), "run: |\n  a\n\n  b\n");
        assert_eq!(to_yaml(&json!({"run": "a\nb"})), "run: |-\n  a\n  b\n");
        // Trailing spaces would be lost in a block: quoted instead.
        assert_eq!(to_yaml(&json!({"run": "a \nb"})), "run: \"a \\nb\"\n");
    }
}
