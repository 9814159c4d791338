//! A `watch` step's polls: the command every interval until `for` ends, its outputs judged by
//! `fail when` and `pass when` over their windows (`window.rs`), each poll journaled with how
//! long each condition had held, so that a resume goes on where the watch was.
//!
//! One poll is run by the caller (`step.rs`, as a `run` step's attempt) and handed back as a
//! [`Polled`]: this file never starts a process itself.

use std::future::Future;
use std::time::Duration;

use indexmap::IndexMap;
use tokio::time::Instant;

use super::event::Event;
use super::exec::{Cx, Runner};
use super::scope::Scope;
use super::window::{Verdict, Windows};
use crate::ir::eval::{eval, Env};
use crate::ir::{format_duration, Judgement, Step, StepIdx, Value, Watch};
use crate::journal::PollRecord;

/// What one poll gave: the values it read, or why it failed.
pub struct Polled {
    pub fields: IndexMap<String, Value>,
    pub error: Option<String>,
    pub cancelled: bool,
}

/// How a watch ended, with its last outputs and the number of polls.
pub struct Watched {
    pub end: End,
    pub outputs: IndexMap<String, Value>,
    pub polls: u64,
}

pub enum End {
    /// `for` ran out without `fail when` holding for its window, or `pass when` held for its.
    Succeeded,
    Failed(String),
    Cancelled,
}

/// The scope of a watch's conditions: its outputs, read as loop variables, over the step's.
struct Outputs<'a> {
    scope: Scope<'a>,
    outputs: &'a IndexMap<String, Value>,
}

impl Env for Outputs<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.scope.param(name)
    }
    fn loop_var(&self, name: &str) -> Option<Value> {
        self.outputs.get(name).cloned().or_else(|| self.scope.loop_var(name))
    }
    fn step(&self, index: StepIdx) -> Option<Value> {
        self.scope.step(index)
    }
    fn env_var(&self, name: &str) -> Option<String> {
        self.scope.env_var(name)
    }
    fn reads_environment(&self) -> bool {
        true
    }
}

impl<'p> Runner<'p> {
    /// Polls with `poll(number, limit)` until the watch ends. A poll may take what is left of
    /// `for`; one that takes longer than `every` delays the next.
    pub async fn watch<F, Fut>(&self, step: &Step, watch: &Watch, key: &str, cx: &Cx<'p>, mut poll: F) -> Watched
    where
        F: FnMut(u64, Duration) -> Fut,
        Fut: Future<Output = Polled>,
    {
        let mut outputs = IndexMap::new();
        let read = |expr: Option<&crate::ir::Expr>, what: &str| {
            self.duration(expr, cx, what).map(|duration| duration.map_or(0, super::record::millis))
        };
        let window = |judgement: &Judgement, what: &str| read(judgement.window.as_ref(), what);
        let bounds = (|| {
            let every = read(Some(&watch.every), "the watch's interval")?.max(1);
            let lasts = read(Some(&watch.duration), "the watch's duration")?;
            let fail = window(&watch.fail, "the `fail when` window")?;
            let pass = watch.pass.as_ref().map(|pass| window(pass, "the `pass when` window")).transpose()?;
            Ok::<_, String>((every, lasts, fail, pass))
        })();
        let (every, lasts, fail, pass) = match bounds {
            Ok(bounds) => bounds,
            Err(reason) => return Watched { end: End::Failed(reason), outputs, polls: 0 },
        };
        let mut windows = Windows::new(every, fail, pass);
        let (mut number, mut at) = (1, 0);
        // A watch under way when the run stopped goes on from its last poll; the time the run
        // was stopped is not watched, and does not count.
        let resumed =
            self.replay.record(key).is_some_and(|record| record.status == "running" && record.hash == step.hash);
        if resumed {
            let polls = self.journal.polls(&self.run_id, key).unwrap_or_default();
            if let Some(last) = polls.last() {
                let verdict = windows.restore(last);
                number = last.poll + 1;
                at = last.elapsed_ms.saturating_add(every);
                if let Some(Value::Record(values)) = polls.iter().rev().find_map(|poll| poll.value.clone()) {
                    outputs = values;
                }
                // The run stopped after the deciding poll was journaled, before the step's end.
                let polls = last.poll;
                match verdict {
                    Verdict::Failed => {
                        let held = format_duration(last.fail_held_ms.unwrap_or_default());
                        let reason = format!("`fail when {}` held for {held} ({})", watch.fail.cond, show(&outputs));
                        return Watched { end: End::Failed(reason), outputs, polls };
                    }
                    Verdict::Passed => return Watched { end: End::Succeeded, outputs, polls },
                    Verdict::Watching => {}
                }
            }
        }
        let (start, base) = (Instant::now(), at);
        while at < lasts {
            let polled = poll(number, Duration::from_millis(lasts - at)).await;
            if polled.cancelled {
                return Watched { end: End::Cancelled, outputs, polls: number - 1 };
            }
            let mut error = polled.error;
            if error.is_none() {
                outputs = watch
                    .poll
                    .outputs
                    .iter()
                    .filter_map(|output| {
                        polled.fields.get(&output.name).map(|value| (output.name.clone(), value.clone()))
                    })
                    .collect();
            }
            let env = Outputs { scope: self.scope(cx), outputs: &outputs };
            let judge = |judgement: &Judgement, what: &str| match eval(&judgement.cond, &env) {
                Ok(Value::Bool(holds)) => Ok(holds),
                Ok(other) => Err(format!("`{what}` gave {other}, not a bool")),
                Err(reason) => Err(format!("`{what}` could not be decided: {reason}")),
            };
            // A failed poll (the command failed, an output did not read, a condition could not
            // be decided) counts as `fail when` holding and `pass when` not: a watch that
            // cannot see is not reassured.
            let (fail_holds, pass_holds) = match &error {
                Some(_) => (true, false),
                None => {
                    let pass = watch.pass.as_ref().map_or(Ok(false), |pass| judge(pass, "pass when"));
                    match (judge(&watch.fail, "fail when"), pass) {
                        (Ok(fail), Ok(pass)) => (fail, pass),
                        (Err(reason), _) | (_, Err(reason)) => {
                            error = Some(reason);
                            (true, false)
                        }
                    }
                }
            };
            let observed = windows.observe(at, fail_holds, pass_holds);
            let values = show(&outputs);
            let record = PollRecord {
                key: key.to_owned(),
                poll: number,
                elapsed_ms: at,
                ok: error.is_none(),
                value: (error.is_none()).then(|| Value::Record(outputs.clone())),
                error: error.clone(),
                fail_held_ms: observed.fail_held,
                pass_held_ms: observed.pass_held,
            };
            let event = Event::WatchPoll {
                key: key.to_owned(),
                poll: number,
                elapsed_ms: at,
                values: values.clone(),
                error: error.clone(),
                fail_held_ms: observed.fail_held,
                fail_window_ms: fail,
                pass_held_ms: observed.pass_held,
                pass_window_ms: pass,
            };
            if let Err(flow) = self.commit_poll(event, &record) {
                let reason = match flow {
                    super::exec::Flow::Failed(failure) => failure.message,
                    _ => "the journal could not record a poll".to_owned(),
                };
                return Watched { end: End::Failed(reason), outputs, polls: number };
            }
            match observed.verdict {
                Verdict::Failed => {
                    let held = format_duration(observed.fail_held.unwrap_or_default());
                    let mut reason = format!("`fail when {}` held for {held}", watch.fail.cond);
                    match &error {
                        Some(error) => reason.push_str(&format!(" (the last poll failed: {error})")),
                        None if !values.is_empty() => reason.push_str(&format!(" ({values})")),
                        None => {}
                    }
                    return Watched { end: End::Failed(reason), outputs, polls: number };
                }
                Verdict::Passed => return Watched { end: End::Succeeded, outputs, polls: number },
                Verdict::Watching => {}
            }
            number += 1;
            // The next poll is due `every` after this one was; one that ran late moves the
            // clock on to when it ended, so that windows measure time that passed.
            let now = base.saturating_add(super::record::millis(start.elapsed()));
            at = at.saturating_add(every).max(now);
            let due = start + Duration::from_millis(at - base);
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                () = cx.cancel.cancelled() => return Watched { end: End::Cancelled, outputs, polls: number - 1 },
            }
        }
        Watched { end: End::Succeeded, outputs, polls: number - 1 }
    }
}

/// `err = 0.4%, p99 = 120ms`
pub fn show(outputs: &IndexMap<String, Value>) -> String {
    outputs.iter().map(|(name, value)| format!("{name} = {value}")).collect::<Vec<_>>().join(", ")
}
