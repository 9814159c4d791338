//! The text of nodes and clusters: what a step is and does, and its annotations (retry,
//! timeout, estimates, budgets), in short lines. Plain text: each format escapes it.

use super::NodeKind;
use crate::ir::{
    format_duration, format_money, format_tokens, Budget, CheckLevel, Common, Control, FailurePolicy, Mode, Program,
    RetryOn, Risk, Step, StepKind, Workflow, DEFAULT_BACKOFF,
};

/// The longest line a label gets; longer text is cut with `…`.
const WIDTH: usize = 48;

/// The first line of `text`, at most [`WIDTH`] characters, with `…` where it was cut.
pub(super) fn clip(text: &str) -> String {
    let trimmed = text.trim();
    let first = trimmed.lines().next().unwrap_or_default().trim_end();
    let cut = first.chars().count() > WIDTH || first.len() < trimmed.len();
    if !cut {
        return first.to_string();
    }
    let kept: String = first.chars().take(WIDTH - 1).collect();
    format!("{}…", kept.trim_end())
}

/// Short parts joined with ` · ` into lines of at most [`WIDTH`] characters.
pub(super) fn pack(parts: Vec<String>) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 3 + part.chars().count() <= WIDTH => {
                line.push_str(" · ");
                line.push_str(&part);
            }
            _ => lines.push(part),
        }
    }
    lines
}

/// A step's kind of node and its lines: what it is, what it does, then its annotations.
pub(super) fn step(program: &Program, step: &Step) -> (NodeKind, Vec<String>) {
    let mut lines = Vec::new();
    let kind = match &step.kind {
        StepKind::Run(run) => {
            lines.push(format!("run {}", step.name));
            lines.push(clip(&run.command.to_string()));
            NodeKind::Run
        }
        StepKind::Agent(agent) => {
            lines.push(format!("agent {}", step.name));
            let model = program.models.get(agent.model.0).map_or("", |model| model.name.as_str());
            lines.push(clip(&format!("{} · {model}", agent.role)));
            NodeKind::Agent
        }
        StepKind::Call(call) => {
            lines.push(format!("call {}", step.name));
            let target = match program.workflows.get(call.workflow.0) {
                Some(callee) => match &callee.module {
                    Some(module) => format!("→ {} ({module})", callee.name),
                    None => format!("→ {}", callee.name),
                },
                None => "→ ?".to_string(),
            };
            lines.push(clip(&target));
            NodeKind::Call
        }
        StepKind::Gate(gate) => {
            lines.push(format!("gate {}", step.name));
            for check in &gate.checks {
                let level = if check.level == CheckLevel::Require { "require" } else { "warn" };
                lines.push(clip(&format!("{level} {}", check.cond)));
            }
            if let Some(approval) = &gate.approve {
                lines.push(clip(&format!("approve \"{}\"", approval.question)));
            }
            NodeKind::Gate
        }
        StepKind::Wait { duration } => {
            lines.push(format!("wait {}", step.name));
            lines.push(clip(&duration.to_string()));
            NodeKind::Wait
        }
        StepKind::Watch(watch) => {
            lines.push(format!("watch {} every {} for {}", step.name, watch.every, watch.duration));
            lines.push(clip(&watch.poll.command.to_string()));
            for (word, judgement) in [("fail", Some(&watch.fail)), ("pass", watch.pass.as_ref())] {
                let Some(judgement) = judgement else { continue };
                let line = match &judgement.window {
                    Some(window) => format!("{word} when {} for {window}", judgement.cond),
                    None => format!("{word} when {}", judgement.cond),
                };
                lines.push(clip(&line));
            }
            NodeKind::Watch
        }
        StepKind::Block(_) => {
            lines.push(step.name.clone());
            NodeKind::Empty
        }
    };
    let cost = match &step.kind {
        StepKind::Run(run) => run.cost,
        _ => None,
    };
    lines.extend(pack(annotations(&step.common, cost)));
    (kind, lines)
}

fn annotations(common: &Common, cost: Option<i64>) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(retry) = &common.retry {
        let mut text = format!("retry {}", retry.count.expr);
        if (retry.backoff_min, retry.backoff_max) != DEFAULT_BACKOFF {
            let (min, max) = (format_duration(retry.backoff_min), format_duration(retry.backoff_max));
            text.push_str(&format!(" backoff {min}..{max}"));
        }
        if retry.on != [RetryOn::Any] {
            let kinds: Vec<String> = retry
                .on
                .iter()
                .map(|kind| match kind {
                    RetryOn::Exit(code) => format!("exit {code}"),
                    RetryOn::Timeout => "timeout".to_string(),
                    RetryOn::Error => "error".to_string(),
                    RetryOn::Any => "any".to_string(),
                })
                .collect();
            text.push_str(&format!(" on {}", kinds.join(", ")));
        }
        parts.push(text);
    }
    if let Some(timeout) = &common.timeout {
        parts.push(format!("timeout {timeout}"));
    }
    let mut expected = Vec::new();
    if let Some(tokens) = common.expect.tokens {
        expected.push(format_tokens(tokens));
    }
    if let Some(money) = common.expect.money {
        expected.push(format_money(money));
    }
    if let Some(duration) = common.expect.duration {
        expected.push(format_duration(duration));
    }
    if !expected.is_empty() {
        parts.push(format!("expect {}", expected.join(", ")));
    }
    if let Some(cost) = cost {
        parts.push(format!("cost {}", format_money(cost)));
    }
    parts.extend(policy(&common.on_failure));
    if common.undo.is_some() {
        parts.push("undo".to_string());
    }
    if common.risk == Risk::High {
        parts.push("risk high".to_string());
    }
    parts
}

fn policy(policy: &FailurePolicy) -> Option<String> {
    match policy {
        FailurePolicy::Abort => None,
        FailurePolicy::Continue => Some("on failure continue".to_string()),
        FailurePolicy::Rollback => Some("on failure rollback".to_string()),
        FailurePolicy::Escalate { .. } => Some("on failure escalate".to_string()),
    }
}

/// What a phase or block declares: timeout, failure policy, budget.
pub(super) fn control(control: &Control) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(timeout) = &control.timeout {
        parts.push(format!("timeout {timeout}"));
    }
    parts.extend(policy(&control.on_failure));
    parts.extend(budget(&control.budget));
    parts
}

fn budget(budget: &Budget) -> Vec<String> {
    budget_per(budget, "")
}

/// A budget's limits, `per` (` per day`) after each amount.
fn budget_per(budget: &Budget, per: &str) -> Vec<String> {
    let warn = |warn_at: Option<f64>| warn_at.map(|p| format!(" (warn at {p}%)")).unwrap_or_default();
    let mut parts = Vec::new();
    // A budget that reads parameters is shown as written: a graph has no arguments.
    if let Some(limit) = &budget.money {
        let amount = limit
            .expr
            .as_ref()
            .map_or_else(|| format_money(i64::try_from(limit.amount).unwrap_or(i64::MAX)), ToString::to_string);
        parts.push(format!("budget {amount}{per}{}", warn(limit.warn_at)));
    }
    if let Some(limit) = &budget.tokens {
        let amount = limit.expr.as_ref().map_or_else(|| format_tokens(limit.amount), ToString::to_string);
        parts.push(format!("budget {amount}{per}{}", warn(limit.warn_at)));
    }
    parts
}

/// What the workflow declares about the whole run.
pub(super) fn workflow(workflow: &Workflow) -> Vec<String> {
    let mut parts = budget(&workflow.budget);
    for period in crate::ir::Period::ALL {
        // `budget $5.00 per day (warn at 80%)`: the period goes after the amount, as written.
        parts.extend(budget_per(workflow.periods.get(period), &format!(" per {}", period.name())));
    }
    if let Some(timeout) = &workflow.timeout {
        parts.push(format!("timeout {timeout}"));
    }
    let mode = match workflow.mode {
        Mode::Autopilot => "autopilot",
        Mode::Supervised => "supervised",
        Mode::Hybrid => "hybrid",
    };
    parts.push(format!("mode {mode}"));
    if let Some(concurrency) = &workflow.concurrency {
        parts.push(format!("concurrency {}", concurrency.expr));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_one_short_line() {
        assert_eq!(clip("  echo hi  "), "echo hi");
        assert_eq!(clip("first\nsecond"), "first…");
        let long = "x".repeat(60);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), WIDTH);
        assert!(clipped.ends_with('…'));
    }

    #[test]
    fn pack_fills_lines_up_to_the_width() {
        let parts = vec!["retry 2 backoff 5s..1m on exit 1".to_string(), "timeout 10m".into(), "risk high".into()];
        assert_eq!(pack(parts), ["retry 2 backoff 5s..1m on exit 1 · timeout 10m", "risk high"]);
    }
}
