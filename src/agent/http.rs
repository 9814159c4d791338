//! What the HTTP providers share: one client, a streamed POST, and turning what went wrong
//! into a [`Failure`] that says what a person must do — which URL refused, which variable
//! holds the key the server did not take, when to try again.

use std::time::Duration;

use eventsource_stream::{Event, Eventsource};
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Client, Response, StatusCode};

use super::{Failure, FailureKind};

/// The longest server error body quoted in a failure.
const BODY_LIMIT: usize = 600;

/// A client for one provider. No overall timeout: a step's `timeout` bounds a call, and a
/// long answer streams for as long as it takes.
pub fn client() -> Result<Client, String> {
    Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .user_agent(concat!("wf/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| format!("cannot set up HTTP: {error}"))
}

/// Where the key goes and which variable it came from.
pub struct Auth<'a> {
    /// The header and its value (`Authorization: Bearer …`, `x-api-key: …`).
    pub header: Option<(&'static str, String)>,
    /// The provider's `key` variable, named when the server refuses it.
    pub variable: Option<&'a str>,
    pub provider: &'a str,
}

/// POSTs `body` as JSON and returns the response once its status says it streams an answer.
pub async fn post(
    client: &Client,
    url: &str,
    auth: &Auth<'_>,
    extra: &[(&'static str, &str)],
    body: &serde_json::Value,
) -> Result<Response, Failure> {
    let mut headers = HeaderMap::new();
    for (name, value) in extra {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    if let Some((name, value)) = &auth.header {
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            Failure::new(
                FailureKind::Auth,
                format!("the key for provider `{}` is not a valid header value", auth.provider),
            )
        })?;
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static(name), value);
    }
    let response = client
        .post(url)
        .headers(headers)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|error| Failure::error(format!("could not reach {url}: {}", causes(&error))))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    let text = response.text().await.unwrap_or_default();
    Err(status_failure(url, status, &text, retry_after, auth))
}

/// GETs a JSON document (`wf doctor`'s model lists).
pub async fn get_json(
    client: &Client,
    url: &str,
    auth: &Auth<'_>,
    extra: &[(&'static str, &str)],
) -> Result<serde_json::Value, String> {
    let mut request = client.get(url);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    if let Some((name, value)) = &auth.header {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(|error| format!("could not reach {url}: {}", causes(&error)))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(status_failure(url, status, &text, None, auth).reason);
    }
    serde_json::from_str(&text).map_err(|error| format!("{url} did not answer JSON: {error}"))
}

/// `wf doctor` for an HTTP provider: its model list (`{"data": [{"id": …}]}`) at `url`,
/// asked within `timeout`, holds `model`. `base` is how the provider is named in the answer.
pub async fn serves(
    client: &Client,
    base: &str,
    url: &str,
    auth: &Auth<'_>,
    extra: &[(&'static str, &str)],
    model: &str,
    timeout: std::time::Duration,
) -> Result<String, String> {
    let models = tokio::time::timeout(timeout, get_json(client, url, auth, extra))
        .await
        .map_err(|_| format!("{url} did not answer within {}", humantime::format_duration(timeout)))??;
    let ids: Vec<&str> = models
        .get("data")
        .and_then(|data| data.as_array())
        .map(|data| data.iter().filter_map(|model| model.get("id").and_then(|id| id.as_str())).collect())
        .unwrap_or_default();
    // Ollama names models `name:tag`; `qwen2.5-coder` is `qwen2.5-coder:latest`.
    if ids.iter().any(|id| *id == model || id.strip_suffix(":latest") == Some(model) || *id == "*") {
        Ok(format!("{base} answers; model `{model}` is served"))
    } else {
        Err(format!("{base} answers, but does not serve model `{model}` (it serves {})", list(&ids)))
    }
}

/// A short list of names for a message.
fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().take(8).map(|name| format!("`{name}`")).collect();
    match names.len() {
        0 => "none".to_owned(),
        1..=8 => quoted.join(", "),
        more => format!("{} and {} more", quoted.join(", "), more - 8),
    }
}

/// A failure for an HTTP status that is not success.
pub fn status_failure(
    url: &str,
    status: StatusCode,
    body: &str,
    retry_after: Option<Duration>,
    auth: &Auth<'_>,
) -> Failure {
    let detail = error_message(body);
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        let key = match auth.variable {
            Some(variable) => format!("check the key in `{variable}`"),
            None => format!("give provider `{}` a key: `key ENV_NAME`", auth.provider),
        };
        return Failure::new(
            FailureKind::Auth,
            format!("{url} refused the request (HTTP {}): {detail}; {key}", status.as_u16()),
        );
    }
    let mut failure = Failure::error(format!("{url} answered HTTP {}: {detail}", status.as_u16()));
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        failure.retry_after = retry_after;
    }
    failure
}

/// The `message` of a JSON error body (`{"error": {"message": …}}`), or the body cut short.
fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|json| {
        json.pointer("/error/message").or_else(|| json.pointer("/message")).or_else(|| json.get("error"))
    });
    let text = match message {
        Some(serde_json::Value::String(message)) => message.clone(),
        Some(other) => other.to_string(),
        None if body.trim().is_empty() => "no details".to_owned(),
        None => body.trim().to_owned(),
    };
    if text.len() > BODY_LIMIT {
        let mut end = BODY_LIMIT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &text[..end])
    } else {
        text
    }
}

/// `Retry-After` in seconds (the form API servers send).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<f64>().ok().filter(|seconds| seconds.is_finite() && *seconds >= 0.0).map(Duration::from_secs_f64)
}

/// An error and its causes on one line: "error sending request: connection refused".
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

/// The response's server-sent events; a broken stream is an `error` failure.
pub fn events(response: Response, url: &str) -> impl Stream<Item = Result<Event, Failure>> + '_ {
    response
        .bytes_stream()
        .eventsource()
        .map(move |event| event.map_err(|error| Failure::error(format!("the stream from {url} broke off: {error}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(variable: Option<&str>) -> Auth<'_> {
        Auth { header: None, variable, provider: "local" }
    }

    #[test]
    fn unauthorized_names_the_key_variable_and_is_not_retried() {
        let body = r#"{"error": {"message": "Incorrect API key provided"}}"#;
        let failure = status_failure(
            "http://h/v1/chat/completions",
            StatusCode::UNAUTHORIZED,
            body,
            None,
            &auth(Some("OPENAI_API_KEY")),
        );
        assert_eq!(failure.kind, FailureKind::Auth);
        assert_eq!(
            failure.reason,
            "http://h/v1/chat/completions refused the request (HTTP 401): Incorrect API key provided; check the key in `OPENAI_API_KEY`"
        );
        let keyless = status_failure("u", StatusCode::FORBIDDEN, "", None, &auth(None));
        assert!(keyless.reason.ends_with("give provider `local` a key: `key ENV_NAME`"), "{}", keyless.reason);
    }

    #[test]
    fn rate_limits_and_server_errors_keep_retry_after() {
        let later = Some(Duration::from_secs(2));
        let limited = status_failure("u", StatusCode::TOO_MANY_REQUESTS, "slow down", later, &auth(None));
        assert_eq!((limited.kind, limited.retry_after), (FailureKind::Error, later));
        let broken = status_failure("u", StatusCode::BAD_GATEWAY, "", later, &auth(None));
        assert_eq!((broken.kind, broken.retry_after), (FailureKind::Error, later));
        let bad = status_failure("u", StatusCode::BAD_REQUEST, "{\"message\": \"no such model\"}", later, &auth(None));
        assert_eq!(
            (bad.kind, bad.retry_after, bad.reason.as_str()),
            (FailureKind::Error, None, "u answered HTTP 400: no such model")
        );
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&headers), None);
    }
}
