//! `kind anthropic`: the Messages API (`POST {url}/v1/messages`), streamed. `returns` goes
//! through a forced tool whose input schema is the record type; cache reads and writes are
//! counted.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::http::{self, Auth};
use super::returns::{first_json_object, json_schema, read_returns, RETURNS_MISMATCH};
use super::{approximate_tokens, bounded, Asking, Call, Failure, Progress, Provider, Reply, Request, Usage};

/// The API version wf speaks.
const VERSION: &str = "2023-06-01";
/// The tool a `returns` answer is given through.
const TOOL: &str = "answer";
/// Room for the answer; the API requires a bound.
const MAX_TOKENS: u64 = 8192;

pub struct Anthropic {
    pub name: String,
    /// The base URL, without a trailing slash (`https://api.anthropic.com`).
    pub url: String,
    pub key_variable: Option<String>,
    pub key: Option<String>,
    pub client: reqwest::Client,
}

/// One event of the stream, by its `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent {
    MessageStart {
        message: MessageStart,
    },
    ContentBlockStart {
        index: usize,
        content_block: Block,
    },
    ContentBlockDelta {
        index: usize,
        delta: BlockDelta,
    },
    MessageDelta {
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    Error {
        error: WireError,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct MessageStart {
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text,
    ToolUse,
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Default, Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct WireError {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    message: String,
}

/// Usage as the stream tells it: `message_start` has the input, `message_delta` the output
/// (some servers send the input there too); the larger count of each wins.
#[derive(Debug, Default, Clone, Copy)]
struct Counted {
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    seen: bool,
}

impl Counted {
    fn add(&mut self, usage: &WireUsage) {
        self.seen = true;
        self.input = self.input.max(usage.input_tokens.unwrap_or(0));
        self.output = self.output.max(usage.output_tokens.unwrap_or(0));
        self.cache_read = self.cache_read.max(usage.cache_read_input_tokens.unwrap_or(0));
        self.cache_write = self.cache_write.max(usage.cache_creation_input_tokens.unwrap_or(0));
    }

    /// Cache writes are billed as input; cache reads are the cheap `cached` tokens.
    fn usage(self) -> Option<Usage> {
        self.seen.then(|| Usage {
            input: self.input.saturating_add(self.cache_write),
            output: self.output,
            cached: self.cache_read,
        })
    }
}

impl Anthropic {
    fn auth(&self) -> Auth<'_> {
        Auth {
            header: self.key.as_ref().map(|key| ("x-api-key", key.clone())),
            variable: self.key_variable.as_deref(),
            provider: &self.name,
        }
    }

    pub fn body(request: &Request<'_>) -> serde_json::Value {
        let mut body = json!({
            "model": request.model,
            "max_tokens": MAX_TOKENS,
            "messages": [{"role": "user", "content": request.prompt}],
            "stream": true,
        });
        if !request.role.is_empty() {
            body["system"] = json!(format!("You are the {}.", request.role));
        }
        if !request.returns.is_empty() {
            body["tools"] = json!([{
                "name": TOOL,
                "description": "Give your answer's fields.",
                "input_schema": json_schema(request.returns),
            }]);
            body["tool_choice"] = json!({"type": "tool", "name": TOOL});
        }
        body
    }

    async fn stream(&self, request: &Request<'_>, call: &Call<'_>) -> Result<Reply, Failure> {
        let url = format!("{}/v1/messages", self.url);
        let response =
            http::post(&self.client, &url, &self.auth(), &[("anthropic-version", VERSION)], &Self::body(request))
                .await?;
        let mut events = std::pin::pin!(http::events(response, &url));
        let mut text = String::new();
        let mut tool_input = String::new();
        let mut tool_blocks = Vec::new();
        let mut counted = Counted::default();
        while let Some(event) = events.next().await {
            let event = event.map_err(|failure| Failure { usage: counted.usage(), ..failure })?;
            let parsed: StreamEvent = serde_json::from_str(&event.data).map_err(|error| Failure {
                usage: counted.usage(),
                ..Failure::error(format!("{url} sent an event that is not Messages JSON: {error}"))
            })?;
            match parsed {
                StreamEvent::MessageStart { message } => {
                    if let Some(usage) = message.usage {
                        counted.add(&usage);
                    }
                }
                StreamEvent::ContentBlockStart { index, content_block: Block::ToolUse } => tool_blocks.push(index),
                StreamEvent::ContentBlockStart { .. } => {}
                StreamEvent::ContentBlockDelta { delta: BlockDelta::TextDelta { text: piece }, .. } => {
                    text.push_str(&piece);
                    (call.progress)(Progress::Text(&piece));
                    (call.progress)(Progress::Tokens(approximate_tokens(&text)));
                }
                StreamEvent::ContentBlockDelta { index, delta: BlockDelta::InputJsonDelta { partial_json } } => {
                    if tool_blocks.contains(&index) {
                        tool_input.push_str(&partial_json);
                        (call.progress)(Progress::Tokens(approximate_tokens(&tool_input)));
                    }
                }
                StreamEvent::ContentBlockDelta { .. } => {}
                StreamEvent::MessageDelta { usage } => {
                    if let Some(usage) = usage {
                        counted.add(&usage);
                    }
                }
                StreamEvent::Error { error } => {
                    let mut failure =
                        Failure::error(format!("{url} reported {} mid-stream: {}", error.kind, error.message));
                    failure.usage = counted.usage();
                    return Err(failure);
                }
                StreamEvent::Other => {}
            }
        }
        let usage = counted.usage();
        if let Some(usage) = usage {
            (call.progress)(Progress::Tokens(usage.output));
        }
        let mut reply = Reply { text, usage, ..Reply::default() };
        if !request.returns.is_empty() {
            let unusable =
                |reason: String, text: &str| Failure { usage, answer: Some(text.to_owned()), ..Failure::error(reason) };
            // The forced tool's input; a server that answered in text instead is read for
            // its first JSON object.
            let answer = if tool_input.trim().is_empty() {
                first_json_object(&reply.text).ok_or_else(|| {
                    unusable(
                        format!("{RETURNS_MISMATCH}: the answer used no `{TOOL}` tool and holds no JSON object"),
                        &reply.text,
                    )
                })?
            } else {
                serde_json::from_str(&tool_input).map_err(|error| {
                    unusable(format!("{RETURNS_MISMATCH}: the `{TOOL}` tool's input is not JSON: {error}"), &tool_input)
                })?
            };
            if reply.text.is_empty() {
                reply.text = answer.to_string();
            }
            reply.fields =
                read_returns(request.returns, &answer).map_err(|reason| unusable(reason, &answer.to_string()))?;
        }
        Ok(reply)
    }
}

impl Provider for Anthropic {
    fn ask<'a>(&'a self, request: &'a Request<'a>, call: &'a Call<'a>) -> Asking<'a> {
        Box::pin(bounded(call, self.stream(request, call)))
    }

    /// `returns` goes as a forced tool, not in the text.
    fn prompt_text(&self, request: &Request<'_>) -> String {
        let role = if request.role.is_empty() { String::new() } else { format!("You are the {}.\n\n", request.role) };
        let tool = if request.returns.is_empty() { "" } else { "\n\n[answered through the forced `answer` tool]" };
        format!("{role}{}{tool}\n", request.prompt)
    }

    fn doctor<'a>(
        &'a self,
        model: &'a str,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + 'a>> {
        Box::pin(async move {
            let url = format!("{}/v1/models", self.url);
            let version = [("anthropic-version", VERSION)];
            http::serves(&self.client, &self.url, &url, &self.auth(), &version, model, timeout).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    use crate::ir::Type;

    #[test]
    fn returns_become_a_forced_tool() {
        let returns = IndexMap::from([("answer".to_owned(), Type::String)]);
        let request = Request::sample("analyst", "Go.", "claude-sonnet-4-5", &returns);
        let body = Anthropic::body(&request);
        assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "answer"}));
        assert_eq!(body["tools"][0]["input_schema"]["required"], json!(["answer"]));
        assert_eq!(body["system"], "You are the analyst.");
    }

    #[test]
    fn the_recorded_stream_parses_and_counts_the_larger_usage() {
        // Recorded from LiteLLM's proxy (`shared/llm-stack`): input 0 at the start, 10 at the end.
        let sse = include_str!("../../tests/fixtures/agent/anthropic.sse");
        let mut text = String::new();
        let mut counted = Counted::default();
        for data in sse.lines().filter_map(|line| line.strip_prefix("data: ")) {
            match serde_json::from_str::<StreamEvent>(data).expect("an event") {
                StreamEvent::MessageStart { message } => counted.add(&message.usage.unwrap_or_default()),
                StreamEvent::ContentBlockDelta { delta: BlockDelta::TextDelta { text: piece }, .. } => {
                    text.push_str(&piece)
                }
                StreamEvent::MessageDelta { usage: Some(usage) } => counted.add(&usage),
                _ => {}
            }
        }
        assert_eq!(text, "Hi! This is a canned reply from the local mock server.");
        assert_eq!(counted.usage(), Some(Usage { input: 10, output: 14, cached: 0 }));
    }

    #[test]
    fn cache_writes_count_as_input_and_reads_as_cached() {
        let mut counted = Counted::default();
        counted.add(&WireUsage {
            input_tokens: Some(100),
            output_tokens: Some(1),
            cache_read_input_tokens: Some(4000),
            cache_creation_input_tokens: Some(50),
        });
        assert_eq!(counted.usage(), Some(Usage { input: 150, output: 1, cached: 4000 }));
    }
}
