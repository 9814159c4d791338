//! `kind command`: an agent CLI run as a process, with the same machinery as a `run` step
//! (its own process group, timeout, cancellation, secrets, redaction, spill files). The
//! prompt goes on stdin; `{{model}}` in the command is the model's id as one shell word;
//! `format` says how stdout is read (`formats.rs`).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::formats::{self, Parsed};
use super::returns::{first_json_object, read_returns, RETURNS_MISMATCH};
use super::{approximate_tokens, full_prompt, Asking, Call, Failure, FailureKind, Progress, Provider, Reply, Request};
use crate::ir::{CliFormat, CommandPart};
use crate::process::{self, Ending};

pub struct Command {
    pub name: String,
    pub parts: Vec<CommandPart>,
    pub format: CliFormat,
}

impl Command {
    /// The command line for a model: its id quoted as one shell word, whatever it holds.
    pub fn line(&self, model: &str) -> String {
        let quoted = shlex::try_quote(model).map_or_else(|_| "''".to_owned(), |quoted| quoted.into_owned());
        self.parts
            .iter()
            .map(|part| match part {
                CommandPart::Text(text) => text.as_str(),
                CommandPart::Model => quoted.as_str(),
            })
            .collect()
    }

    async fn run(&self, request: &Request<'_>, call: &Call<'_>) -> Result<Reply, Failure> {
        let line = self.line(request.model);
        let prompt = full_prompt(request);
        let spec = process::Spec {
            shell: call.shell,
            line: &line,
            dir: call.dir,
            env: call.env,
            withheld: call.withheld,
            timeout: call.timeout,
            grace: call.grace,
            spill: call.spill.clone(),
            output_limit: call.output_limit,
            redactor: call.redactor,
            stdin: Some(prompt.as_bytes()),
        };
        let streamed = RefCell::new(0u64);
        let on_line = |stream: &'static str, line: &str| {
            if stream != "stdout" {
                return;
            }
            if let Some(text) = formats::streamed_text(self.format, line) {
                (call.progress)(Progress::Text(&text));
                let mut tokens = streamed.borrow_mut();
                *tokens += approximate_tokens(&text);
                (call.progress)(Progress::Tokens(*tokens));
            }
        };
        let finished = process::run(&spec, call.cancel, &on_line).await;
        let stdout = finished.stdout.full().await;
        let parsed = formats::parse(self.format, &stdout);
        let usage = parsed.as_ref().ok().and_then(|parsed| parsed.usage);
        let reported_micros = parsed.as_ref().ok().and_then(|parsed| parsed.reported_micros);
        let charged = |failure: Failure| Failure { usage, reported_micros, ..failure };
        match finished.ending {
            Ending::Exited(0) => {}
            Ending::Exited(code) => {
                let said = match &parsed {
                    Ok(Parsed { error: Some(error), .. }) => error.clone(),
                    _ => finished.stderr.tail(5),
                };
                let said = if said.trim().is_empty() { String::new() } else { format!(": {}", said.trim()) };
                return Err(charged(Failure::error(format!(
                    "the agent command `{}` exited with {code}{said}",
                    self.name
                ))));
            }
            Ending::TimedOut => {
                let after = humantime::format_duration(call.timeout.unwrap_or_default());
                return Err(charged(Failure::new(FailureKind::Timeout, format!("timed out after {after}"))));
            }
            Ending::Cancelled => return Err(charged(Failure::new(FailureKind::Cancelled, "cancelled"))),
            Ending::CouldNotStart(reason) => {
                return Err(Failure::error(format!(
                    "the agent command of provider `{}` could not start: {reason}",
                    self.name
                )))
            }
        }
        let parsed = parsed.map_err(|reason| Failure {
            answer: Some(stdout.clone()),
            ..Failure::error(format!("provider `{}`: {reason}", self.name))
        })?;
        if let Some(error) = parsed.error {
            return Err(charged(Failure { answer: Some(parsed.text), ..Failure::error(error) }));
        }
        let mut reply = Reply { text: parsed.text, usage, reported_micros, ..Reply::default() };
        if !request.returns.is_empty() {
            let unusable =
                |reason: String| Failure { answer: Some(reply.text.clone()), ..charged(Failure::error(reason)) };
            let answer = parsed.returns.or_else(|| first_json_object(&reply.text)).ok_or_else(|| {
                unusable(format!("{RETURNS_MISMATCH}: the answer holds no JSON object for `returns`"))
            })?;
            reply.fields = read_returns(request.returns, &answer).map_err(unusable)?;
        }
        Ok(reply)
    }

    /// The program the command starts, for `wf doctor`'s `--version`.
    fn program(&self) -> Option<String> {
        shlex::split(&self.line("model")).and_then(|words| words.into_iter().next())
    }
}

impl Provider for Command {
    fn ask<'a>(&'a self, request: &'a Request<'a>, call: &'a Call<'a>) -> Asking<'a> {
        Box::pin(self.run(request, call))
    }

    fn doctor<'a>(
        &'a self,
        _model: &'a str,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + 'a>> {
        Box::pin(async move {
            let program = self.program().ok_or_else(|| format!("the command of provider `{}` is empty", self.name))?;
            let output = tokio::process::Command::new(&program)
                .arg("--version")
                .stdin(std::process::Stdio::null())
                .kill_on_drop(true)
                .output();
            let output = tokio::time::timeout(timeout, output)
                .await
                .map_err(|_| {
                    format!("`{program} --version` did not finish within {}", humantime::format_duration(timeout))
                })?
                .map_err(|error| format!("cannot start `{program}`: {error}"))?;
            let said = String::from_utf8_lossy(&output.stdout);
            let version = said.lines().next().unwrap_or("").trim();
            if output.status.success() {
                Ok(format!("`{program}` starts ({})", if version.is_empty() { "no version printed" } else { version }))
            } else {
                Err(format!("`{program} --version` failed with {}", output.status))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_is_one_shell_word_whatever_it_holds() {
        let command = Command {
            name: "cc".into(),
            parts: vec![CommandPart::Text("claude -p --model ".into()), CommandPart::Model],
            format: CliFormat::Claude,
        };
        assert_eq!(command.line("claude-sonnet-4-5"), "claude -p --model claude-sonnet-4-5");
        assert_eq!(command.line("x; touch pwned"), "claude -p --model 'x; touch pwned'");
        assert_eq!(command.program().as_deref(), Some("claude"));
    }
}
