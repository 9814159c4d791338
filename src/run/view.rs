//! Showing a run as it goes: a live tree at a terminal (indicatif), plain lines elsewhere,
//! and `--events ndjson`, one JSON object per transition.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::event::{Event, Observer, Status};
use super::progress::{Expected, Progress};
use crate::ir::{format_cost, format_duration, format_elapsed};
use crate::journal::Answer;
use crate::report;
use crate::report::Palette;

fn depth(key: &str) -> usize {
    key.matches('/').count()
}

/// The line for a finished step, the same in both views.
fn finished_line(palette: &Palette, event: &Event) -> Option<String> {
    let line = match event {
        Event::StepFinished { key, kind, status, attempts, duration_ms, cost_micros, tokens, error, .. } => {
            let symbol = match status {
                Status::Succeeded => palette.ok.apply_to("✓"),
                Status::Skipped => palette.dim.apply_to("□"),
                _ => palette.bad.apply_to("✗"),
            };
            let mut line = format!("{}{symbol} {key} {}", "  ".repeat(depth(key)), palette.dim.apply_to(kind));
            line.push_str(&format!("  {}", format_elapsed(*duration_ms)));
            if *attempts > 1 {
                line.push_str(&format!("  {attempts} attempts"));
            }
            if *cost_micros != 0 {
                line.push_str(&format!("  {}", format_cost(*cost_micros)));
            }
            if *tokens != 0 {
                line.push_str(&format!("  {}", report::tokens(*tokens)));
            }
            if *status != Status::Succeeded {
                let word = status.as_str().replace('_', " ");
                // A reason that only repeats the status (`cancelled`) is said once.
                let text = match error.as_deref() {
                    Some(error) if !error.is_empty() && error != word => format!("{word}: {error}"),
                    _ => word,
                };
                line.push_str(&format!("  {}", palette.bad.apply_to(text)));
            }
            line
        }
        Event::StepSkipped { key, reason } => {
            format!("{}{} {key}  {}", "  ".repeat(depth(key)), palette.dim.apply_to("□"), palette.dim.apply_to(reason))
        }
        Event::StepReused { key, status } => format!(
            "{}{} {key}  {}",
            "  ".repeat(depth(key)),
            palette.ok.apply_to("↺"),
            palette.dim.apply_to(format!("reused ({status})"))
        ),
        Event::BlockStarted { key, kind } if *kind == "phase" => {
            format!("{}{} {}", "  ".repeat(depth(key)), palette.bold.apply_to("▸"), palette.bold.apply_to(key))
        }
        Event::AttemptFailed { key, attempt, reason, retry_in_ms: Some(delay), .. } => format!(
            "{}{} {key}  attempt {attempt} failed: {reason}; retrying in {}",
            "  ".repeat(depth(key)),
            palette.warn.apply_to("↻"),
            format_elapsed(*delay)
        ),
        Event::GateCheck { key, message, passed: false, effect, .. } => {
            let style = if *effect == "fail" { &palette.bad } else { &palette.warn };
            format!(
                "{}{} {key}: {message}",
                "  ".repeat(depth(key) + 1),
                style.apply_to(if *effect == "fail" { "✗" } else { "!" })
            )
        }
        Event::Decided { key, answer, by, how, comment, .. } => {
            let (symbol, style) = match answer {
                Answer::Approve | Answer::Retry | Answer::Raise => ("✓", &palette.ok),
                Answer::Skip => ("□", &palette.warn),
                Answer::Reject | Answer::Abort => ("✗", &palette.bad),
            };
            let (verb, how) = (answer.past_tense(), how.describe());
            let comment = comment.as_ref().map(|comment| format!(": {comment}")).unwrap_or_default();
            format!("{}{} {key}  {verb} by {by} {how}{comment}", "  ".repeat(depth(key)), style.apply_to(symbol))
        }
        Event::BudgetWarning { scope, resource, spent, limit, percent } => {
            let (spent, limit) = if *resource == "money" {
                let money = |micros: u64| format_cost(i64::try_from(micros).unwrap_or(i64::MAX));
                (money(*spent), money(*limit))
            } else {
                (report::tokens(*spent), report::tokens(*limit))
            };
            let whose = super::budget::whose(scope);
            format!("{} {whose} budget: {spent} of {limit} spent ({percent:.0}%)", palette.warn.apply_to("!"))
        }
        Event::Undo { key, status, error } => format!(
            "{} undo {key}: {}{}",
            palette.warn.apply_to("⟲"),
            status.as_str(),
            error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
        ),
        Event::Warning { message, .. } => format!("{} {message}", palette.warn.apply_to("!")),
        Event::RunPaused { key, reason, .. } | Event::BudgetExhausted { key, reason, .. } => {
            format!("{} {key}: {reason}", palette.warn.apply_to("⏸"))
        }
        _ => return None,
    };
    Some(line)
}

/// What a `watch`'s poll read and how long each condition has held: `err = 2%  fail when
/// held 1s of 5s`, with why the poll failed when it did.
fn poll_summary(palette: &Palette, event: &Event) -> Option<String> {
    let Event::WatchPoll { values, error, fail_held_ms, fail_window_ms, pass_held_ms, pass_window_ms, .. } = event
    else {
        return None;
    };
    let mut parts = Vec::new();
    if !values.is_empty() {
        parts.push(values.clone());
    }
    if let Some(error) = error {
        parts.push(palette.bad.apply_to(format!("poll failed: {error}")).to_string());
    }
    // A condition without a window decides on the poll it holds: there is no "of" to count.
    let held = |word: &str, held: u64, window: u64| match window {
        0 if held > 0 => format!("{word} when holds"),
        0 => String::new(),
        _ => format!("{word} when held {} of {}", format_duration(held), format_duration(window)),
    };
    if let Some(fail) = fail_held_ms.map(|fail| held("fail", fail, *fail_window_ms)).filter(|text| !text.is_empty()) {
        parts.push(palette.warn.apply_to(fail).to_string());
    }
    if let (Some(pass), Some(window)) = (pass_held_ms, pass_window_ms) {
        parts.push(held("pass", *pass, *window));
    }
    parts.retain(|part| !part.is_empty());
    Some(parts.join("  "))
}

/// Plain lines, for logs and pipes.
pub struct Plain<W: Write> {
    out: RefCell<W>,
    palette: Palette,
    /// "step N of M (P%) · about T left" after each finished step, when the estimate is known.
    progress: Option<Progress>,
}

impl<W: Write> Plain<W> {
    pub fn new(out: W, palette: Palette) -> Plain<W> {
        Plain { out: RefCell::new(out), palette, progress: None }
    }

    /// Counts finished steps against what the estimate expected.
    #[must_use]
    pub fn with_progress(self, expected: Expected) -> Plain<W> {
        Plain { progress: Some(Progress::new(expected)), ..self }
    }

    /// The progress note for a step that is done (finished, reused or skipped); none on the
    /// line of a step that failed.
    fn progress(&self, at_ms: i64, event: &Event) -> Option<String> {
        let progress = self.progress.as_ref()?;
        progress.seen(at_ms);
        let (key, shown) = match event {
            // A step that did not succeed counts, but its line ends with why, as without progress.
            Event::StepFinished { key, kind, status, .. } if crate::report::LEAF_KINDS.contains(kind) => {
                (key, *status == Status::Succeeded)
            }
            Event::StepReused { key, .. } | Event::StepSkipped { key, .. } => (key, true),
            _ => return None,
        };
        let note = Some(progress.step_done(key, at_ms));
        note.filter(|_| shown)
    }
}

impl<W: Write> Observer for Plain<W> {
    fn event(&self, at_ms: i64, event: &Event) {
        let line = match event {
            Event::Output { key, stream, line } => {
                Some(format!("  {} {key} {stream}: {line}", self.palette.dim.apply_to("│")))
            }
            Event::StepStarted { key, kind, .. } => {
                Some(format!("{}→ {key} {}", "  ".repeat(depth(key)), self.palette.dim.apply_to(kind)))
            }
            Event::WatchPoll { key, poll, elapsed_ms, .. } => poll_summary(&self.palette, event).map(|summary| {
                let at = format_duration(*elapsed_ms);
                format!(
                    "{}  {} {key} poll {poll} at {at}: {summary}",
                    "  ".repeat(depth(key)),
                    self.palette.dim.apply_to("·")
                )
            }),
            _ => finished_line(&self.palette, event).map(|line| match self.progress(at_ms, event) {
                Some(progress) => format!("{line}  {}", self.palette.dim.apply_to(format!("· {progress}"))),
                None => line,
            }),
        };
        if let Some(line) = line {
            let _ = writeln!(self.out.borrow_mut(), "{line}");
        }
    }
}

/// The live tree: a spinner for each running step (attempt, elapsed, ETA from `expect`),
/// finished steps printed above it.
pub struct Tree {
    multi: MultiProgress,
    running: RefCell<HashMap<String, ProgressBar>>,
    palette: Palette,
}

impl Tree {
    pub fn new(palette: Palette) -> Tree {
        Tree {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            running: RefCell::default(),
            palette,
        }
    }
}

impl Observer for Tree {
    fn event(&self, _at_ms: i64, event: &Event) {
        match event {
            Event::StepStarted { key, kind, attempt, attempts, expect_ms } => {
                let mut running = self.running.borrow_mut();
                let bar = running.entry(key.clone()).or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    let style = ProgressStyle::with_template("{spinner} {msg} {elapsed} {prefix}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner());
                    bar.set_style(style.tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✓"));
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                });
                let mut message = format!("{}{key} {}", "  ".repeat(depth(key)), self.palette.dim.apply_to(kind));
                if *attempts > 1 {
                    message.push_str(&format!(" (attempt {attempt}/{attempts})"));
                }
                if let Some(expect) = expect_ms {
                    message.push_str(&format!(" ~{}", format_duration(*expect)));
                }
                bar.set_message(message);
            }
            Event::Output { key, stream, line } => {
                let _ = self.multi.println(format!("  {} {key} {stream}: {line}", self.palette.dim.apply_to("│")));
            }
            Event::AgentProgress { key, tokens } => {
                if let Some(bar) = self.running.borrow().get(key) {
                    bar.set_prefix(format!("{} so far", report::tokens(*tokens)));
                }
            }
            Event::WatchPoll { key, poll, .. } => {
                if let (Some(bar), Some(summary)) = (self.running.borrow().get(key), poll_summary(&self.palette, event))
                {
                    bar.set_prefix(format!("poll {poll}: {summary}"));
                }
            }
            other => {
                if let Some(key) = other.key() {
                    if matches!(
                        other,
                        Event::StepFinished { .. } | Event::RunPaused { .. } | Event::BudgetExhausted { .. }
                    ) {
                        if let Some(bar) = self.running.borrow_mut().remove(key) {
                            bar.finish_and_clear();
                            self.multi.remove(&bar);
                        }
                    }
                }
                if let Some(line) = finished_line(&self.palette, other) {
                    let _ = self.multi.println(line);
                }
            }
        }
    }

    fn hold(&self, held: bool) {
        if held {
            let _ = self.multi.clear();
            self.multi.set_draw_target(ProgressDrawTarget::hidden());
        } else {
            self.multi.set_draw_target(ProgressDrawTarget::stdout());
        }
    }

    fn finish(&self) {
        for (_, bar) in self.running.borrow_mut().drain() {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

/// `--events ndjson`: each transition as one JSON object with its time.
pub struct Ndjson<W: Write> {
    out: RefCell<W>,
}

impl<W: Write> Ndjson<W> {
    pub fn new(out: W) -> Ndjson<W> {
        Ndjson { out: RefCell::new(out) }
    }
}

impl<W: Write> Observer for Ndjson<W> {
    fn event(&self, at_ms: i64, event: &Event) {
        let mut json = crate::schema::versioned(serde_json::to_value(event).unwrap_or_default(), "event");
        if let serde_json::Value::Object(fields) = &mut json {
            fields.insert("at".to_owned(), serde_json::Value::from(at_ms));
        }
        let mut out = self.out.borrow_mut();
        let _ = writeln!(out, "{json}");
        let _ = out.flush();
    }
}
