//! Secrets at run time (spec §5, §8; docs/secrets.md): read from the environment when a run
//! starts or resumes, given to commands as environment variables, and replaced by `***` in
//! everything wf keeps or shows. The [`Redactor`] is applied where data leaves the runner:
//! command output as it is read ([`Stream`]), step values before they enter the scope, and
//! every event before it is journaled or shown.

use std::borrow::Cow;
use std::collections::HashMap;

use indexmap::IndexMap;

use crate::ir::{Program, Value, Workflow, WorkflowId};

use super::event::Event;
use crate::journal::{DecisionWrite, Given, StepWrite};

pub use crate::mask::{Redactor, Stream, MASK, MIN_LEN};

/// The values of the secrets a run can reach, by name, and the redactor built from them.
pub struct Secrets {
    values: IndexMap<String, String>,
    redactor: Redactor,
    /// The environment `env("NAME")` reads: the process's, without the secrets.
    environment: HashMap<String, String>,
}

/// Secrets that cannot be used: unset (or empty) in the environment, too short, or given
/// as a workflow argument (which the journal keeps).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.missing, .short, .arguments))]
pub struct SecretsError {
    pub missing: Vec<String>,
    pub short: Vec<String>,
    /// Arguments whose value holds a secret's.
    pub arguments: Vec<String>,
}

fn describe(missing: &[String], short: &[String], arguments: &[String]) -> String {
    let list = |names: &[String]| names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    match missing {
        [] => {}
        [one] => parts.push(format!("the secret `{one}` is not set: export it in the environment")),
        many => parts.push(format!("the secrets {} are not set: export them in the environment", list(many))),
    }
    match short {
        [] => {}
        [one] => parts.push(format!("the secret `{one}` is shorter than {MIN_LEN} bytes, too short to redact")),
        many => parts.push(format!("the secrets {} are shorter than {MIN_LEN} bytes, too short to redact", list(many))),
    }
    match arguments {
        [] => {}
        [one] => parts.push(format!(
            "the argument `{one}` holds a secret's value: arguments are journaled, secrets come from `secret NAME`"
        )),
        many => parts.push(format!(
            "the arguments {} hold a secret's value: arguments are journaled, secrets come from `secret NAME`",
            list(many)
        )),
    }
    parts.join("; ")
}

impl Secrets {
    /// Reads the secrets of `root` and of every workflow it can call from `env`. All that are
    /// unset, empty or too short are reported together.
    pub fn load(program: &Program, root: WorkflowId, env: &HashMap<String, String>) -> Result<Secrets, SecretsError> {
        let mut values = IndexMap::new();
        let (mut missing, mut short) = (Vec::new(), Vec::new());
        for name in program.reachable(root).into_iter().flat_map(|id| &program.workflows[id.0].secrets) {
            if values.contains_key(name) || missing.contains(name) || short.contains(name) {
                continue;
            }
            match env.get(name).filter(|value| !value.is_empty()) {
                None => missing.push(name.clone()),
                Some(value) if value.len() < MIN_LEN => short.push(name.clone()),
                Some(value) => {
                    values.insert(name.clone(), value.clone());
                }
            }
        }
        if !missing.is_empty() || !short.is_empty() {
            return Err(SecretsError { missing, short, arguments: Vec::new() });
        }
        let redactor = Redactor::new(values.values());
        let mut environment = env.clone();
        environment.retain(|name, _| !values.contains_key(name));
        Ok(Secrets { values, redactor, environment })
    }

    /// Masks the providers' API keys too. They are never given to commands (only sent in an
    /// auth header), and `env()` cannot read them.
    pub fn add_keys(&mut self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        let values: Vec<&String> = self.values.values().chain(keys).collect();
        self.redactor = Redactor::new(values);
        self.environment.retain(|_, value| !keys.contains(value));
    }

    /// Refuses arguments that hold a secret's value: the journal keeps arguments to resume
    /// with, so masking them would change the run.
    pub fn check_args(&self, args: &IndexMap<String, Value>) -> Result<(), SecretsError> {
        let arguments: Vec<String> = args
            .iter()
            .filter(|(_, value)| matches!(self.redactor.text(&value.to_text()), Cow::Owned(_)))
            .map(|(name, _)| name.clone())
            .collect();
        if arguments.is_empty() {
            Ok(())
        } else {
            Err(SecretsError { missing: Vec::new(), short: Vec::new(), arguments })
        }
    }

    /// What `env("NAME")` may read: secrets are not values (spec §8), wherever they are read.
    pub fn environment(&self) -> &HashMap<String, String> {
        &self.environment
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The environment variables a command of `workflow` gets: the secrets it declares.
    pub fn env_for<'a>(&'a self, workflow: &'a Workflow) -> impl Iterator<Item = (String, String)> + 'a {
        workflow.secrets.iter().filter_map(|name| self.values.get(name).map(|value| (name.clone(), value.clone())))
    }

    /// The run's secrets that `workflow` does not declare: taken out of what its commands
    /// inherit from wf's own environment, where the person who started the run exported them.
    pub fn withheld_from(&self, workflow: &Workflow) -> Vec<String> {
        self.values.keys().filter(|name| !workflow.secrets.contains(name)).cloned().collect()
    }
}

impl Redactor {
    /// An event with every text in it masked. Exhaustive on purpose: a new event's fields
    /// must be thought about here.
    pub fn event(&self, event: Event) -> Event {
        if self.is_empty() {
            return event;
        }
        match event {
            Event::RunStarted { run, workflow, file, args, resumed } => {
                Event::RunStarted { run, workflow, file: self.string(file), args: self.json(args), resumed }
            }
            Event::AttemptFailed { key, attempt, failure, reason, retry_in_ms } => {
                Event::AttemptFailed { key, attempt, failure, reason: self.string(reason), retry_in_ms }
            }
            Event::StepFinished {
                key,
                kind,
                status,
                attempts,
                duration_ms,
                cost_micros,
                tokens,
                error,
                stderr_tail,
            } => Event::StepFinished {
                key,
                kind,
                status,
                attempts,
                duration_ms,
                cost_micros,
                tokens,
                error: self.option(error),
                stderr_tail: self.option(stderr_tail),
            },
            Event::StepSkipped { key, reason } => Event::StepSkipped { key, reason: self.string(reason) },
            Event::GateCheck { key, level, message, passed, effect } => {
                Event::GateCheck { key, level, message: self.string(message), passed, effect }
            }
            Event::WatchPoll {
                key,
                poll,
                elapsed_ms,
                values,
                error,
                fail_held_ms,
                fail_window_ms,
                pass_held_ms,
                pass_window_ms,
            } => Event::WatchPoll {
                key,
                poll,
                elapsed_ms,
                values: self.string(values),
                error: self.option(error),
                fail_held_ms,
                fail_window_ms,
                pass_held_ms,
                pass_window_ms,
            },
            Event::Decided { key, kind, answer, by, how, comment } => {
                Event::Decided { key, kind, answer, by: self.string(by), how, comment: self.option(comment) }
            }
            Event::Undo { key, status, error } => Event::Undo { key, status, error: self.option(error) },
            Event::Warning { key, message } => Event::Warning { key, message: self.string(message) },
            Event::Output { key, stream, line } => Event::Output { key, stream, line: self.string(line) },
            Event::RunPaused { key, kind, reason, hint } => {
                Event::RunPaused { key, kind, reason: self.string(reason), hint: self.string(hint) }
            }
            Event::BudgetExhausted { key, reason, hint } => {
                Event::BudgetExhausted { key, reason: self.string(reason), hint: self.string(hint) }
            }
            Event::RunFinished { status, duration_ms, error } => {
                Event::RunFinished { status, duration_ms, error: self.option(error) }
            }
            // Keys, kinds and numbers only: nothing a secret can reach.
            event @ (Event::StepStarted { .. }
            | Event::StepReused { .. }
            | Event::BlockStarted { .. }
            | Event::BlockFinished { .. }
            | Event::Iteration { .. }
            | Event::BudgetWarning { .. }
            | Event::AgentProgress { .. }) => event,
        }
    }

    /// What a transition writes besides its event, masked: the step's value and error, the
    /// question and answer of a decision.
    pub fn write<'w>(
        &self,
        step: Option<&'w StepWrite<'w>>,
        decision: Option<&'w DecisionWrite<'w>>,
    ) -> MaskedWrite<'w> {
        let mut masked = MaskedWrite { step, decision, value: None, error: None, question: None, given: None };
        if self.is_empty() {
            return masked;
        }
        if let Some(write) = step {
            masked.value = write.value.map(|value| self.value(value.clone()));
            masked.error = write.error.map(|error| self.text(error).into_owned());
        }
        match decision.copied() {
            Some(DecisionWrite::Open { question, .. }) => masked.question = Some(self.text(question).into_owned()),
            Some(DecisionWrite::Answered { question, given, .. }) => {
                masked.question = Some(self.text(question).into_owned());
                masked.given = Some(Given {
                    by: self.text(&given.by).into_owned(),
                    comment: given.comment.as_deref().map(|comment| self.text(comment).into_owned()),
                    ..given.clone()
                });
            }
            Some(DecisionWrite::Consume { .. }) | None => {}
        }
        masked
    }
}

/// A journal write with its texts masked; [`MaskedWrite::step`] and
/// [`MaskedWrite::decision`] give the writes to record.
pub struct MaskedWrite<'w> {
    step: Option<&'w StepWrite<'w>>,
    decision: Option<&'w DecisionWrite<'w>>,
    value: Option<Value>,
    error: Option<String>,
    question: Option<String>,
    given: Option<Given>,
}

impl MaskedWrite<'_> {
    pub fn step(&self) -> Option<StepWrite<'_>> {
        self.step.map(|write| StepWrite {
            value: self.value.as_ref().or(write.value),
            error: self.error.as_deref().or(write.error),
            ..*write
        })
    }

    pub fn decision(&self) -> Option<DecisionWrite<'_>> {
        self.decision.map(|decision| match *decision {
            DecisionWrite::Open { key, kind, question, deadline, on_timeout } => DecisionWrite::Open {
                key,
                kind,
                question: self.question.as_deref().unwrap_or(question),
                deadline,
                on_timeout,
            },
            DecisionWrite::Answered { seq, key, kind, question, asked_at, given } => DecisionWrite::Answered {
                seq,
                key,
                kind,
                question: self.question.as_deref().unwrap_or(question),
                asked_at,
                given: self.given.as_ref().unwrap_or(given),
            },
            DecisionWrite::Consume { seq } => DecisionWrite::Consume { seq },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(values: &[&str], text: &str) -> String {
        Redactor::new(values).text(text).into_owned()
    }

    #[test]
    fn every_occurrence_is_masked() {
        assert_eq!(redact(&["hunter22"], "a hunter22 b hunter22"), "a *** b ***");
        assert_eq!(redact(&["hunter22"], "nothing here"), "nothing here");
        assert_eq!(redact(&[], "hunter22"), "hunter22");
    }

    #[test]
    fn overlapping_secrets_are_masked_whole() {
        // One secret inside another, and two that overlap: no byte of either is left.
        assert_eq!(redact(&["abcd", "xxabcdyy"], "<xxabcdyy>"), "<***>");
        assert_eq!(redact(&["abcdef", "defghi"], "<abcdefghi>"), "<***>");
        assert_eq!(redact(&["defghi", "abcdef"], "<abcdefghi>"), "<***>");
        // Touching occurrences become one mask.
        assert_eq!(redact(&["abcd"], "abcdabcd"), "***");
        // Self-overlapping occurrences.
        assert_eq!(redact(&["aaaa"], "aaaaaa!"), "***!");
    }

    #[test]
    fn lines_of_a_multiline_secret_are_masked_alone() {
        let key = "-----BEGIN-----\nc2VjcmV0IGtleQ==\n-----END-----";
        let out = redact(&[key], "line 1: c2VjcmV0IGtleQ==\n");
        assert_eq!(out, "line 1: ***\n");
        assert_eq!(redact(&[key], key), "***");
    }

    #[test]
    fn masked_text_stays_utf8() {
        assert_eq!(redact(&["clé-ü"], "→clé-ü←"), "→***←");
    }

    #[test]
    fn values_and_events_are_masked() {
        let redactor = Redactor::new(["s3cr3t-value"]);
        let value = Value::Record(IndexMap::from([
            ("stdout".to_owned(), Value::String("token=s3cr3t-value".into())),
            ("list".to_owned(), Value::List(vec![Value::String("s3cr3t-value".into())])),
            ("exit_code".to_owned(), Value::Int(1)),
        ]));
        let text = serde_json::to_string(&redactor.value(value)).expect("serialises");
        assert!(!text.contains("s3cr3t-value") && text.contains("token=***"), "{text}");
        let event = Event::StepFinished {
            key: "k".into(),
            kind: "run",
            status: super::super::event::Status::Failed,
            attempts: 1,
            duration_ms: 1,
            cost_micros: 0,
            tokens: 0,
            error: Some("bad s3cr3t-value".into()),
            stderr_tail: Some("s3cr3t-value".into()),
        };
        let text = serde_json::to_string(&redactor.event(event)).expect("serialises");
        assert!(!text.contains("s3cr3t-value") && text.contains("bad ***"), "{text}");
    }

    /// Feeds `text` in chunks of `size` and returns what comes out.
    fn streamed(redactor: &Redactor, text: &[u8], size: usize) -> Vec<u8> {
        let mut stream = redactor.stream();
        let mut out = Vec::new();
        for chunk in text.chunks(size) {
            out.extend_from_slice(&stream.push(chunk));
        }
        out.extend(stream.finish());
        out
    }

    #[test]
    fn a_secret_straddling_chunks_is_masked() {
        let redactor = Redactor::new(["abcdef", "defghi", "zz-secret-zz"]);
        let text = b"1 abcdef 2 zz-secret-zz 3 abcdefghi 4 abcdabcdef 5 zz-secret-z";
        let whole = redactor.bytes(text).into_owned();
        assert_eq!(whole, b"1 *** 2 *** 3 *** 4 abcd*** 5 zz-secret-z".to_vec());
        for size in 1..=text.len() {
            assert_eq!(streamed(&redactor, text, size), whole, "chunks of {size}");
        }
    }

    #[test]
    fn a_finished_line_is_passed_on_at_once() {
        let redactor = Redactor::new(["a-long-secret-value"]);
        let mut stream = redactor.stream();
        assert_eq!(stream.push(b"waiting for a-long-secret-value\n").as_ref(), b"waiting for ***\n");
        assert_eq!(stream.push(b"a-long").as_ref(), b"", "could be the start of the secret");
        assert_eq!(stream.push(b"-secret-value!\n").as_ref(), b"***!\n");
        // A secret holding a newline can cross lines: then the end is held back.
        let redactor = Redactor::new(["first-line\nsecond-line"]);
        let mut stream = redactor.stream();
        assert_eq!(stream.push(b"ok\nfirst-line\n").as_ref(), b"", "the secret may go on");
        assert_eq!(stream.push(b"second-line\n").as_ref(), b"ok\n");
        assert_eq!(stream.finish(), b"***\n");
    }

    #[test]
    fn a_stream_without_secrets_passes_through() {
        let redactor = Redactor::default();
        assert_eq!(streamed(&redactor, b"anything at all", 3), b"anything at all".to_vec());
    }

    fn program(source: &str) -> Program {
        let outcome = crate::check_text("main.wf", source, &|_| Err(std::io::ErrorKind::NotFound.into()));
        let checked = outcome.checked;
        let errors = checked.diagnostics.iter().filter(|d| d.severity() == crate::diag::Severity::Error).count();
        assert_eq!(errors, 0, "{source}");
        checked.program
    }

    #[test]
    fn missing_empty_and_short_secrets_are_reported_together() {
        let program = program(
            "workflow main() {\n  secret AAAA\n  secret BBBB\n  secret CCCC\n  call sub helper()\n}\n\
             workflow helper() {\n  secret DDDD\n  run x \"true\"\n}\n",
        );
        let root = WorkflowId(program.workflows.iter().position(|w| w.name == "main").expect("main"));
        let env = HashMap::from([("AAAA".to_owned(), String::new()), ("CCCC".to_owned(), "abc".to_owned())]);
        let error = Secrets::load(&program, root, &env).err().expect("refused");
        assert_eq!(error.missing, ["AAAA", "BBBB", "DDDD"]);
        assert_eq!(error.short, ["CCCC"]);
        let message = error.to_string();
        assert!(message.contains("`AAAA`, `BBBB`, `DDDD`") && message.contains("`CCCC`"), "{message}");
        let env: HashMap<String, String> =
            ["AAAA", "BBBB", "CCCC", "DDDD"].iter().map(|name| ((*name).to_owned(), format!("{name}-value"))).collect();
        let secrets = Secrets::load(&program, root, &env).expect("all set");
        let helper = &program.workflows[program.workflows.iter().position(|w| w.name == "helper").expect("helper")];
        assert_eq!(secrets.env_for(helper).collect::<Vec<_>>(), [("DDDD".to_owned(), "DDDD-value".to_owned())]);
        assert_eq!(secrets.redactor().text("x CCCC-value y"), "x *** y");
    }
}
