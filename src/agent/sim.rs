//! The built-in `sim` provider: deterministic answers for trying workflows out and for
//! tests, optionally scripted by a scenario file (`--sim FILE`). Free: its model has no price.

use std::collections::HashMap;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{Asking, Call, Failure, Provider, Reply, Request, Usage};
use crate::args::{default_value, from_json};
use crate::ir::{Type, Value};

/// A scenario: per step (by id like `implementation/fix` or by name), a list of answers, one
/// per call in order; the last one repeats.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub steps: HashMap<String, Answers>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Answers {
    One(Answer),
    Many(Vec<Answer>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub text: Option<String>,
    #[serde(default)]
    pub returns: serde_json::Map<String, serde_json::Value>,
    pub usage: Option<Usage>,
    /// A provider error for this call (retried by `retry … on error`).
    pub fail: Option<String>,
    /// How long the call takes, as a duration literal (`2s`).
    pub delay: Option<String>,
}

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let scenario: Scenario = serde_json::from_str(text).map_err(|error| error.to_string())?;
        for (step, answers) in &scenario.steps {
            let list: Vec<&Answer> = match answers {
                Answers::One(answer) => vec![answer],
                Answers::Many(answers) => answers.iter().collect(),
            };
            for answer in list {
                if let Some(delay) = &answer.delay {
                    crate::args::parse_arg(&Type::Duration, delay)
                        .map_err(|error| format!("`{step}`: delay: {error}"))?;
                }
            }
        }
        Ok(scenario)
    }

    fn answer(&self, request: &Request<'_>) -> Option<&Answer> {
        let answers = self.steps.get(request.step_id).or_else(|| self.steps.get(request.step_name))?;
        match answers {
            Answers::One(answer) => Some(answer),
            Answers::Many(answers) => answers.get(request.invocation).or_else(|| answers.last()),
        }
    }
}

/// The built-in simulated provider, answering from a scenario where it has one.
pub struct Sim {
    pub scenario: Option<std::rc::Rc<Scenario>>,
}

impl Provider for Sim {
    fn ask<'a>(&'a self, request: &'a Request<'a>, call: &'a Call<'a>) -> Asking<'a> {
        Box::pin(async move {
            let reply = sim(self.scenario.as_deref(), request)?;
            let delay = reply.delay;
            super::bounded(call, async move {
                tokio::time::sleep(delay).await;
                Ok(reply)
            })
            .await
        })
    }

    fn doctor<'a>(
        &'a self,
        _model: &'a str,
        _timeout: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>> + 'a>> {
        Box::pin(async { Ok("built in: answers are simulated and free".to_owned()) })
    }
}

/// The simulated answer to one request.
pub fn sim(scenario: Option<&Scenario>, request: &Request<'_>) -> Result<Reply, Failure> {
    let answer = scenario.and_then(|scenario| scenario.answer(request));
    if let Some(reason) = answer.and_then(|answer| answer.fail.as_ref()) {
        return Err(Failure {
            usage: answer.and_then(|a| a.usage),
            ..Failure::error(format!("sim provider: {reason}"))
        });
    }
    let text = answer.and_then(|answer| answer.text.clone()).unwrap_or_else(|| sim_text(request));
    let mut fields = IndexMap::new();
    for (name, ty) in request.returns {
        let value = match answer.and_then(|answer| answer.returns.get(name)) {
            Some(json) => from_json(ty, json).map_err(|error| {
                Failure::error(format!("the scenario's `{name}` for `{}` is not a {ty}: {error}", request.step_id))
            })?,
            None => default_value(ty),
        };
        fields.insert(name.clone(), value);
    }
    let usage = answer.and_then(|answer| answer.usage).unwrap_or_else(|| match request.expect_tokens {
        Some(total) => {
            // The same split `wf cost` prices an estimate with.
            let (input, output) = crate::cost::split_expected_tokens(total);
            Usage { input, output, cached: 0 }
        }
        None => Usage { input: approximate_tokens(request.prompt), output: approximate_tokens(&text), cached: 0 },
    });
    let delay = answer
        .and_then(|answer| answer.delay.as_deref())
        .and_then(|delay| match crate::args::parse_arg(&Type::Duration, delay) {
            Ok(Value::Duration(ms)) => Some(Duration::from_millis(ms)),
            _ => None,
        })
        .unwrap_or_default();
    Ok(Reply { text, fields, usage: Some(usage), reported_micros: None, delay })
}

use super::approximate_tokens;

/// A deterministic answer: the role, what was asked (first line), and a digest of the whole
/// prompt, so different prompts give different texts.
fn sim_text(request: &Request<'_>) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{}\n{}", request.role, request.prompt).as_bytes());
    let short: String = digest.iter().take(4).map(|byte| format!("{byte:02x}")).collect();
    let first = request.prompt.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("");
    let mut asked: String = first.chars().take(80).collect();
    if asked.len() < first.len() {
        asked.push('…');
    }
    format!("[sim {} as {}] done: {asked} (#{short})", request.model, request.role)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Model, Price};
    use crate::span::Span;

    fn model() -> Model {
        Model {
            name: "m".into(),
            id: "model-1".into(),
            input: Price { micros: 3_000_000, per_tokens: 1_000_000 },
            output: Price { micros: 15_000_000, per_tokens: 1_000_000 },
            cached: None,
            file: 0,
            span: Span::new(0, 0),
            priced: true,
            provider_default: false,
        }
    }

    fn request<'a>(model: &'a str, returns: &'a IndexMap<String, Type>, invocation: usize) -> Request<'a> {
        Request {
            step_id: "analysis/plan",
            step_name: "plan",
            role: "analyst",
            prompt: "Read ticket PL-1.\nMore.",
            model,
            returns,
            expect_tokens: Some(12_000),
            invocation,
        }
    }

    #[test]
    fn sim_is_deterministic_and_uses_expect() {
        let model = model();
        let returns = IndexMap::from([("complexity".to_owned(), Type::Int)]);
        let a = sim(None, &request(&model.id, &returns, 0)).expect("answers");
        let b = sim(None, &request(&model.id, &returns, 0)).expect("answers");
        assert_eq!(a.text, b.text);
        assert!(a.text.contains("Read ticket PL-1."));
        assert_eq!(a.usage, Some(Usage { input: 9_000, output: 3_000, cached: 0 }));
        assert_eq!(a.fields["complexity"], Value::Int(0));
        assert_eq!(a.usage.unwrap_or_default().price(&model), 27_000 + 45_000);
    }

    #[test]
    fn scenario_answers_in_order_and_repeats_the_last() {
        let scenario = Scenario::parse(
            r#"{"steps": {"plan": [{"fail": "overloaded"}, {"returns": {"complexity": 3}, "usage": {"input": 10}}]}}"#,
        )
        .expect("parses");
        let model = model();
        let returns = IndexMap::from([("complexity".to_owned(), Type::Int)]);
        assert!(sim(Some(&scenario), &request(&model.id, &returns, 0)).unwrap_err().reason.contains("overloaded"));
        let second = sim(Some(&scenario), &request(&model.id, &returns, 1)).expect("answers");
        assert_eq!(second.fields["complexity"], Value::Int(3));
        assert_eq!(second.usage.unwrap_or_default().input, 10);
        let third = sim(Some(&scenario), &request(&model.id, &returns, 7)).expect("answers");
        assert_eq!(third.fields["complexity"], Value::Int(3));
    }

    #[test]
    fn scenario_values_must_have_the_declared_type() {
        let scenario = Scenario::parse(r#"{"steps": {"plan": {"returns": {"complexity": "high"}}}}"#).expect("parses");
        let model = model();
        let returns = IndexMap::from([("complexity".to_owned(), Type::Int)]);
        assert!(sim(Some(&scenario), &request(&model.id, &returns, 0)).is_err());
    }
}
