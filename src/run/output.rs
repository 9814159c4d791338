//! A `run` step's declared outputs, read from what the command printed into their types.

use crate::args::{from_json, parse_arg};
use crate::ir::{Output, OutputSource, Value};

/// Reads one output from `text` (the stream it names). The error says what was looked for
/// and what was found, for a message naming the step.
pub fn read_output(output: &Output, text: &str) -> Result<Value, String> {
    match &output.source {
        OutputSource::Json(pointer) => {
            let json: serde_json::Value = serde_json::from_str(text.trim())
                .map_err(|error| format!("the output is not JSON ({error}): {}", preview(text)))?;
            let found = json.pointer(pointer).ok_or_else(|| format!("`{pointer}` is not in the JSON it printed"))?;
            from_json(&output.ty, found)
        }
        OutputSource::Regex(pattern) => {
            let regex = regex::Regex::new(pattern).map_err(|error| format!("invalid regular expression: {error}"))?;
            let captures = regex.captures(text).ok_or_else(|| format!("`{pattern}` does not match what it printed"))?;
            let found = captures.get(1).or_else(|| captures.get(0)).map_or("", |m| m.as_str());
            parse_arg(&output.ty, found)
        }
    }
}

fn preview(text: &str) -> String {
    let trimmed = text.trim();
    let mut shown: String = trimmed.chars().take(60).collect();
    if shown.len() < trimmed.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Stream, Type};
    use crate::span::Span;

    fn output(ty: Type, source: OutputSource) -> Output {
        Output { name: "x".into(), ty, source, stream: Stream::Stdout, span: Span::new(0, 0) }
    }

    #[test]
    fn json_pointer_reads_typed_values() {
        let text = r#"{"coverage": {"total": 84.2}, "passed": 128}"#;
        let coverage = output(Type::Percent, OutputSource::Json("/coverage/total".into()));
        assert_eq!(read_output(&coverage, text), Ok(Value::Percent(84.2)));
        let passed = output(Type::Int, OutputSource::Json("/passed".into()));
        assert_eq!(read_output(&passed, text), Ok(Value::Int(128)));
        let missing = output(Type::Int, OutputSource::Json("/failed".into()));
        assert!(read_output(&missing, text).unwrap_err().contains("/failed"));
    }

    #[test]
    fn regex_reads_the_first_group() {
        let pr = output(Type::Int, OutputSource::Regex(r"/pull/(\d+)".into()));
        assert_eq!(read_output(&pr, "https://github.com/acme/shop/pull/482\n"), Ok(Value::Int(482)));
        let took = output(Type::Duration, OutputSource::Regex(r"took (\S+)".into()));
        assert_eq!(read_output(&took, "build took 1m30s"), Ok(Value::Duration(90_000)));
        assert!(read_output(&pr, "no url").is_err());
    }
}
