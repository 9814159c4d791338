//! What agent CLIs print, as data: Claude Code's `--output-format json` / `stream-json`,
//! Codex's `exec --json` lines, and wf's own `json` protocol for anyone's agent script
//! (docs/providers.md). Each is read into one [`Parsed`].

use serde::Deserialize;
use serde_json::Value as Json;

use super::{dollars_to_micros, Usage};
use crate::ir::CliFormat;

/// An agent CLI's answer, read from its stdout.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    pub text: String,
    /// Structured fields the agent gave apart from its text (`json` format's `returns`).
    pub returns: Option<Json>,
    pub usage: Option<Usage>,
    pub reported_micros: Option<i64>,
    /// The CLI said the call failed (`is_error`, a `turn.failed`), with its message.
    pub error: Option<String>,
}

/// Reads a CLI's whole stdout.
pub fn parse(format: CliFormat, stdout: &str) -> Result<Parsed, String> {
    match format {
        CliFormat::Text => Ok(Parsed { text: stdout.trim_end().to_owned(), ..Parsed::default() }),
        CliFormat::Json => protocol(stdout),
        CliFormat::Claude => claude(stdout),
        CliFormat::Codex => codex(stdout),
    }
}

/// What one streamed line adds to the answer's text, for `--verbose` and progress.
pub fn streamed_text(format: CliFormat, line: &str) -> Option<String> {
    match format {
        CliFormat::Text => Some(line.to_owned()),
        CliFormat::Json => None,
        CliFormat::Claude => {
            let line: ClaudeLine = serde_json::from_str(line).ok()?;
            let message = line.message.filter(|_| line.kind == "assistant")?;
            let text: Vec<&str> = message.content.iter().filter_map(|block| block.text.as_deref()).collect();
            (!text.is_empty()).then(|| text.join(""))
        }
        CliFormat::Codex => {
            let line: CodexLine = serde_json::from_str(line).ok()?;
            let item = line.item.filter(|item| line.kind == "item.completed" && item.kind == "agent_message")?;
            item.text
        }
    }
}

/// wf's protocol: `{"text": "...", "returns": {...}, "usage": {"input": N, "output": N,
/// "cached": N}, "cost_usd": X}`, every field optional but `text`.
#[derive(Deserialize)]
struct Protocol {
    text: String,
    #[serde(default)]
    returns: Option<Json>,
    #[serde(default)]
    usage: Option<ProtocolUsage>,
    #[serde(default)]
    cost_usd: Option<f64>,
}

#[derive(Deserialize)]
struct ProtocolUsage {
    #[serde(default)]
    input: u64,
    #[serde(default)]
    output: u64,
    #[serde(default)]
    cached: u64,
}

fn protocol(stdout: &str) -> Result<Parsed, String> {
    let trimmed = stdout.trim();
    // The whole output, or else its last line (a script may print progress before it).
    let answer: Protocol = serde_json::from_str(trimmed)
        .or_else(|error| trimmed.lines().last().map_or(Err(error), serde_json::from_str))
        .map_err(|error| {
            format!("the agent's output is not the JSON object of `format json` (`{{\"text\": …}}`): {error}")
        })?;
    Ok(Parsed {
        text: answer.text,
        returns: answer.returns,
        usage: answer.usage.map(|usage| Usage { input: usage.input, output: usage.output, cached: usage.cached }),
        reported_micros: answer.cost_usd.and_then(dollars_to_micros),
        error: None,
    })
}

/// A line of Claude Code's output: the `result` object (the whole of `--output-format json`,
/// the last line of `stream-json`), or a `system` / `assistant` line before it.
#[derive(Deserialize)]
struct ClaudeLine {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    subtype: Option<String>,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    is_error: bool,
    #[serde(default)]
    api_error_status: Option<Json>,
    #[serde(default)]
    usage: Option<ClaudeUsage>,
    #[serde(default)]
    total_cost_usd: Option<f64>,
    #[serde(default)]
    message: Option<ClaudeMessage>,
}

#[derive(Deserialize)]
struct ClaudeUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: u64,
    #[serde(default)]
    cache_creation_input_tokens: u64,
}

#[derive(Deserialize)]
struct ClaudeMessage {
    #[serde(default)]
    content: Vec<ClaudeBlock>,
}

#[derive(Deserialize)]
struct ClaudeBlock {
    #[serde(default)]
    text: Option<String>,
}

fn claude(stdout: &str) -> Result<Parsed, String> {
    let result = stdout
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<ClaudeLine>(line.trim()).ok())
        .find(|line| line.kind == "result")
        .or_else(|| serde_json::from_str::<ClaudeLine>(stdout.trim()).ok().filter(|line| line.kind == "result"))
        .ok_or_else(|| "Claude Code printed no `result` object (is the command run with `-p --output-format json` or `stream-json --verbose`?)".to_owned())?;
    // Cache writes are billed as input; cache reads are the cheap `cached` tokens.
    let usage = result.usage.map(|usage| Usage {
        input: usage.input_tokens.saturating_add(usage.cache_creation_input_tokens),
        output: usage.output_tokens,
        cached: usage.cache_read_input_tokens,
    });
    let text = result.result.unwrap_or_default();
    let error = result.is_error.then(|| {
        let status =
            result.api_error_status.filter(|status| !status.is_null()).map(|status| format!(" (API status {status})"));
        let what = if text.is_empty() { result.subtype.unwrap_or_else(|| "an error".to_owned()) } else { text.clone() };
        format!("Claude Code reported an error{}: {what}", status.unwrap_or_default())
    });
    Ok(Parsed { text, returns: None, usage, reported_micros: result.total_cost_usd.and_then(dollars_to_micros), error })
}

/// A line of `codex exec --json`.
#[derive(Deserialize)]
struct CodexLine {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    item: Option<CodexItem>,
    #[serde(default)]
    usage: Option<CodexUsage>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<CodexError>,
}

#[derive(Deserialize)]
struct CodexItem {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct CodexUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cached_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

#[derive(Deserialize)]
struct CodexError {
    #[serde(default)]
    message: String,
}

fn codex(stdout: &str) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut messages = Vec::new();
    let mut saw_any = false;
    for line in stdout.lines().filter(|line| !line.trim().is_empty()) {
        let Ok(line) = serde_json::from_str::<CodexLine>(line.trim()) else {
            continue;
        };
        saw_any = true;
        match line.kind.as_str() {
            "item.completed" => {
                if let Some(CodexItem { kind, text: Some(text) }) = line.item {
                    if kind == "agent_message" {
                        messages.push(text);
                    }
                }
            }
            "turn.completed" => {
                if let Some(usage) = line.usage {
                    // OpenAI counts cached tokens inside `input_tokens`.
                    let cached = usage.cached_input_tokens.min(usage.input_tokens);
                    let total = parsed.usage.unwrap_or_default();
                    parsed.usage = Some(Usage {
                        input: total.input + usage.input_tokens - cached,
                        output: total.output + usage.output_tokens,
                        cached: total.cached + cached,
                    });
                }
            }
            "turn.failed" | "error" => {
                let message = line.error.map(|error| error.message).or(line.message).unwrap_or_default();
                parsed.error.get_or_insert(format!("Codex reported an error: {message}"));
            }
            _ => {}
        }
    }
    if !saw_any {
        return Err("Codex printed no JSON lines (is the command run as `codex exec --json`?)".to_owned());
    }
    parsed.text = messages.pop().unwrap_or_default();
    if parsed.text.is_empty() && parsed.error.is_none() {
        parsed.error = Some("Codex gave no `agent_message`".to_owned());
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Recorded from the real CLIs against the loopback LLM stack (`shared/llm-stack`).
    const CLAUDE_JSON: &str = include_str!("../../tests/fixtures/agent/claude.json");
    const CLAUDE_STREAM: &str = include_str!("../../tests/fixtures/agent/claude.jsonl");
    const CODEX: &str = include_str!("../../tests/fixtures/agent/codex.jsonl");

    #[test]
    fn claude_json_gives_text_usage_and_its_own_cost() {
        let parsed = parse(CliFormat::Claude, CLAUDE_JSON).expect("parses");
        assert_eq!(parsed.text, "Hi! This is a canned reply from the local mock server.");
        assert_eq!(parsed.usage, Some(Usage { input: 8550, output: 14, cached: 0 }));
        assert_eq!(parsed.reported_micros, Some(25_860));
        assert_eq!(parsed.error, None);
    }

    #[test]
    fn claude_stream_json_reads_the_result_line_and_streams_assistant_text() {
        let parsed = parse(CliFormat::Claude, CLAUDE_STREAM).expect("parses");
        assert_eq!(parsed.text, "Hi! This is a canned reply from the local mock server.");
        assert_eq!(parsed.usage, Some(Usage { input: 8546, output: 14, cached: 0 }));
        let streamed: Vec<String> =
            CLAUDE_STREAM.lines().filter_map(|line| streamed_text(CliFormat::Claude, line)).collect();
        assert_eq!(streamed, ["Hi! This is a canned reply from the local mock server."]);
    }

    #[test]
    fn claude_is_error_fails_even_with_success_subtype() {
        let line = r#"{"type":"result","subtype":"success","is_error":true,"api_error_status":401,"result":"Invalid API key","usage":{"input_tokens":0,"output_tokens":0},"total_cost_usd":0}"#;
        let parsed = parse(CliFormat::Claude, line).expect("parses");
        assert_eq!(parsed.error.as_deref(), Some("Claude Code reported an error (API status 401): Invalid API key"));
    }

    #[test]
    fn codex_reads_the_agent_message_and_turn_usage() {
        let parsed = parse(CliFormat::Codex, CODEX).expect("parses");
        assert_eq!(parsed.text, "Hi! This is a canned reply from the local mock server (gpt-4o-mini).");
        assert_eq!(parsed.usage, Some(Usage { input: 5188, output: 17, cached: 0 }));
        assert_eq!(parsed.error, None, "the model-metadata error item is harmless");
    }

    #[test]
    fn codex_cached_tokens_are_taken_out_of_input() {
        let out = r#"{"type":"item.completed","item":{"type":"agent_message","text":"ok"}}
{"type":"turn.completed","usage":{"input_tokens":1000,"cached_input_tokens":600,"output_tokens":5}}"#;
        let parsed = parse(CliFormat::Codex, out).expect("parses");
        assert_eq!(parsed.usage, Some(Usage { input: 400, output: 5, cached: 600 }));
    }

    #[test]
    fn codex_turn_failed_is_an_error() {
        let out = r#"{"type":"turn.failed","error":{"message":"stream disconnected"}}"#;
        assert_eq!(
            parse(CliFormat::Codex, out).expect("parses").error.as_deref(),
            Some("Codex reported an error: stream disconnected")
        );
    }

    #[test]
    fn the_json_protocol_reads_every_field_and_requires_text() {
        let out = "working...\n{\"text\": \"done\", \"returns\": {\"n\": 2}, \"usage\": {\"input\": 10, \"output\": 3}, \"cost_usd\": 0.0125}\n";
        let parsed = parse(CliFormat::Json, out).expect("parses");
        assert_eq!(parsed.text, "done");
        assert_eq!(parsed.returns, Some(serde_json::json!({"n": 2})));
        assert_eq!(parsed.usage, Some(Usage { input: 10, output: 3, cached: 0 }));
        assert_eq!(parsed.reported_micros, Some(12_500));
        let error = parse(CliFormat::Json, "{\"answer\": 1}").unwrap_err();
        assert!(error.contains("format json"), "{error}");
    }
}
