//! `kind openai`: OpenAI-compatible Chat Completions (`POST {url}/chat/completions`), streamed
//! with `stream_options.include_usage` — OpenAI, Ollama, vLLM, llama.cpp's server, LiteLLM.
//! `returns` asks for `response_format: json_schema`; a server that ignores it is read for
//! the first JSON object in its text.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::http::{self, Auth};
use super::returns::{first_json_object, json_schema, read_returns, RETURNS_MISMATCH};
use super::{approximate_tokens, bounded, Asking, Call, Failure, Progress, Provider, Reply, Request, Usage};

pub struct OpenAi {
    pub name: String,
    /// The base URL, without a trailing slash (`http://127.0.0.1:11434/v1`).
    pub url: String,
    pub key_variable: Option<String>,
    pub key: Option<String>,
    pub client: reqwest::Client,
}

/// One chunk of the stream.
#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<ChunkUsage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
}

#[derive(Debug, Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChunkUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Debug, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: u64,
}

impl From<ChunkUsage> for Usage {
    fn from(usage: ChunkUsage) -> Usage {
        // OpenAI counts cached tokens inside `prompt_tokens`.
        let cached = usage.prompt_tokens_details.map_or(0, |details| details.cached_tokens).min(usage.prompt_tokens);
        Usage { input: usage.prompt_tokens - cached, output: usage.completion_tokens, cached }
    }
}

impl OpenAi {
    fn auth(&self) -> Auth<'_> {
        Auth {
            header: self.key.as_ref().map(|key| ("authorization", format!("Bearer {key}"))),
            variable: self.key_variable.as_deref(),
            provider: &self.name,
        }
    }

    /// The request body: the role as the system message, the prompt as the user's.
    pub fn body(request: &Request<'_>) -> serde_json::Value {
        let mut messages = Vec::new();
        if !request.role.is_empty() {
            messages.push(json!({"role": "system", "content": format!("You are the {}.", request.role)}));
        }
        // The schema goes in the text too, for servers that ignore `response_format`.
        let content = match super::returns_instruction(request.returns) {
            Some(instruction) => format!("{}\n\n{instruction}", request.prompt),
            None => request.prompt.to_owned(),
        };
        messages.push(json!({"role": "user", "content": content}));
        let mut body = json!({
            "model": request.model,
            "messages": messages,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        if !request.returns.is_empty() {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": "returns", "schema": json_schema(request.returns)},
            });
        }
        body
    }

    async fn stream(&self, request: &Request<'_>, call: &Call<'_>) -> Result<Reply, Failure> {
        let url = format!("{}/chat/completions", self.url);
        let response = http::post(&self.client, &url, &self.auth(), &[], &Self::body(request)).await?;
        let mut events = std::pin::pin!(http::events(response, &url));
        let mut text = String::new();
        let mut usage = None;
        while let Some(event) = events.next().await {
            let event = event.map_err(|failure| Failure { usage, ..failure })?;
            if event.data.trim() == "[DONE]" {
                break;
            }
            let chunk: Chunk = serde_json::from_str(&event.data).map_err(|error| Failure {
                usage,
                ..Failure::error(format!("{url} sent a chunk that is not Chat Completions JSON: {error}"))
            })?;
            if let Some(error) = chunk.error {
                let message =
                    error.get("message").and_then(|m| m.as_str()).map_or_else(|| error.to_string(), str::to_owned);
                return Err(Failure {
                    usage,
                    ..Failure::error(format!("{url} reported an error mid-stream: {message}"))
                });
            }
            if let Some(reported) = chunk.usage {
                usage = Some(Usage::from(reported));
            }
            for choice in chunk.choices {
                if let Some(piece) = choice.delta.content.filter(|piece| !piece.is_empty()) {
                    text.push_str(&piece);
                    (call.progress)(Progress::Text(&piece));
                    (call.progress)(Progress::Tokens(approximate_tokens(&text)));
                }
            }
        }
        if let Some(usage) = usage {
            (call.progress)(Progress::Tokens(usage.output));
        }
        let mut reply = Reply { text, usage, ..Reply::default() };
        if !request.returns.is_empty() {
            let answer = first_json_object(&reply.text).ok_or_else(|| Failure {
                usage,
                answer: Some(reply.text.clone()),
                ..Failure::error(format!("{RETURNS_MISMATCH}: the answer holds no JSON object for `returns`"))
            })?;
            reply.fields = read_returns(request.returns, &answer).map_err(|reason| Failure {
                usage,
                answer: Some(reply.text.clone()),
                ..Failure::error(reason)
            })?;
        }
        Ok(reply)
    }
}

impl Provider for OpenAi {
    fn ask<'a>(&'a self, request: &'a Request<'a>, call: &'a Call<'a>) -> Asking<'a> {
        Box::pin(bounded(call, self.stream(request, call)))
    }

    fn doctor<'a>(
        &'a self,
        model: &'a str,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + 'a>> {
        Box::pin(async move {
            let url = format!("{}/models", self.url);
            http::serves(&self.client, &self.url, &url, &self.auth(), &[], model, timeout).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    use crate::ir::Type;

    #[test]
    fn the_body_streams_with_usage_and_asks_for_the_returns_schema() {
        let returns = IndexMap::from([("ok".to_owned(), Type::Bool)]);
        let request = Request::sample("reviewer", "Review it.", "qwen2.5-coder", &returns);
        let body = OpenAi::body(&request);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["messages"][0]["content"], "You are the reviewer.");
        let user = body["messages"][1]["content"].as_str().unwrap_or_default();
        assert!(user.starts_with("Review it.\n\nWhen you are done, answer with one JSON object"), "{user}");
        assert_eq!(body["response_format"]["json_schema"]["schema"]["properties"]["ok"]["type"], "boolean");
    }

    #[test]
    fn the_recorded_stream_parses_into_text_and_usage() {
        // Recorded from LiteLLM's proxy (`shared/llm-stack`).
        let sse = include_str!("../../tests/fixtures/agent/openai.sse");
        let mut text = String::new();
        let mut usage = None;
        for data in sse.lines().filter_map(|line| line.strip_prefix("data: ")) {
            if data == "[DONE]" {
                break;
            }
            let chunk: Chunk = serde_json::from_str(data).expect("a chunk");
            usage = chunk.usage.map(Usage::from).or(usage);
            text.extend(chunk.choices.into_iter().filter_map(|choice| choice.delta.content));
        }
        assert_eq!(text, "Hi! This is a canned reply from the local mock server (gpt-4o-mini).");
        assert_eq!(usage, Some(Usage { input: 10, output: 17, cached: 0 }));
    }
}
