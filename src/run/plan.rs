//! `wf run --dry-run`: the execution plan — order, parallel groups, bounds, policies and
//! estimates — printed without running anything.

use indexmap::IndexMap;

use crate::ir::eval::{count, duration, Env};
use crate::ir::{
    format_duration, format_money, format_tokens, Bound, Control, Expr, ExprKind, FailurePolicy, Node, Program,
    RetryOn, Risk, Step, StepKind, Value, Workflow,
};

/// What the plan reads: the program, and the arguments that bounds read (as the run will).
struct Cx<'a> {
    program: &'a Program,
    args: &'a IndexMap<String, Value>,
}

impl Env for Cx<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.args.get(name).cloned()
    }
}

/// The plan of `workflow` run with `args` (bound with their defaults, as `wf run` binds them).
pub fn render(program: &Program, workflow: &Workflow, args: &IndexMap<String, Value>) -> String {
    let cx = &Cx { program, args };
    let mut out = String::new();
    let mut head = format!("plan for `{}`", workflow.name);
    // As the run reads it: the arguments give a budget that reads parameters.
    let budget = crate::cost::Budget::from_ir(&workflow.budget, cx);
    if let Some(money) = &budget.money {
        head.push_str(&format!(", budget {}", format_money(money.amount)));
    }
    if let Some(tokens) = &budget.tokens {
        head.push_str(&format!(", budget {}", format_tokens(tokens.amount)));
    }
    if let Some(timeout) = &workflow.timeout {
        head.push_str(&format!(", timeout {}", duration_text(cx, timeout)));
    }
    if let Some(limit) = &workflow.concurrency {
        head.push_str(&format!(", at most {} at once", bound_text(cx, limit)));
    }
    out.push_str(&head);
    out.push('\n');
    nodes(cx, workflow, &workflow.body, 1, &mut out);
    if !workflow.on_failure.is_empty() {
        out.push_str("on failure\n");
        nodes(cx, workflow, &workflow.on_failure, 1, &mut out);
    }
    if !workflow.finally.is_empty() {
        out.push_str("finally\n");
        nodes(cx, workflow, &workflow.finally, 1, &mut out);
    }
    out
}

fn nodes(cx: &Cx<'_>, workflow: &Workflow, body: &[Node], depth: usize, out: &mut String) {
    for node in body {
        let indent = "  ".repeat(depth);
        match node {
            Node::Step(index) => {
                let step = &workflow.steps[index.0];
                out.push_str(&format!("{indent}{}\n", step_line(cx, step)));
            }
            Node::Phase { step, body, control } => {
                let step = &workflow.steps[step.0];
                out.push_str(&format!("{indent}phase {}{}\n", step.name, control_text(cx, control)));
                nodes(cx, workflow, body, depth + 1, out);
            }
            Node::Parallel { step, max, body, control, .. } => {
                let name = step.map(|s| format!(" {}", workflow.steps[s.0].name)).unwrap_or_default();
                let max = max.as_ref().map(|max| format!(" max {}", bound_text(cx, max))).unwrap_or_default();
                out.push_str(&format!("{indent}parallel{name}{max} (at once){}\n", control_text(cx, control)));
                nodes(cx, workflow, body, depth + 1, out);
            }
            Node::Repeat { step, max, until, body, control, .. } => {
                let name = step.map(|s| format!(" {}", workflow.steps[s.0].name)).unwrap_or_default();
                let until = until.as_ref().map(|until| format!(" until {}", expr_text(until))).unwrap_or_default();
                out.push_str(&format!(
                    "{indent}repeat{name} ×{}{until}{}\n",
                    bound_text(cx, max),
                    control_text(cx, control)
                ));
                nodes(cx, workflow, body, depth + 1, out);
            }
            Node::For { step, index, var, iter, parallel, body, control, .. } => {
                let name = step.map(|s| format!(" {}", workflow.steps[s.0].name)).unwrap_or_default();
                let mode = match parallel {
                    None => String::new(),
                    Some(None) => " (at once)".to_owned(),
                    Some(Some(max)) => format!(" (at once, max {})", bound_text(cx, max)),
                };
                let index = index.as_ref().map(|index| format!(" {index},")).unwrap_or_default();
                out.push_str(&format!(
                    "{indent}for{name}{index} {var} in {}{mode}{}\n",
                    expr_text(iter),
                    control_text(cx, control)
                ));
                nodes(cx, workflow, body, depth + 1, out);
            }
            Node::If { branches, otherwise, .. } => {
                for (i, branch) in branches.iter().enumerate() {
                    let word = if i == 0 { "if" } else { "else if" };
                    out.push_str(&format!("{indent}{word} {}\n", expr_text(&branch.cond)));
                    nodes(cx, workflow, &branch.body, depth + 1, out);
                }
                if !otherwise.is_empty() {
                    out.push_str(&format!("{indent}else\n"));
                    nodes(cx, workflow, otherwise, depth + 1, out);
                }
            }
            Node::Fail { .. } => out.push_str(&format!("{indent}fail\n")),
        }
    }
}

fn step_line(cx: &Cx<'_>, step: &Step) -> String {
    let mut notes: Vec<String> = Vec::new();
    let kind = match &step.kind {
        StepKind::Run(run) => {
            if let Some(cost) = run.cost {
                notes.push(format!("cost {}", format_money(cost)));
            }
            "run"
        }
        StepKind::Agent(agent) => {
            notes.push(cx.program.models[agent.model.0].name.clone());
            "agent"
        }
        StepKind::Call(call) => {
            notes.push(format!("calls {}", cx.program.workflows[call.workflow.0].name));
            "call"
        }
        StepKind::Gate(gate) => {
            if !gate.checks.is_empty() {
                notes.push(format!("{} check{}", gate.checks.len(), if gate.checks.len() == 1 { "" } else { "s" }));
            }
            if gate.approve.is_some() {
                notes.push("asks a person".to_owned());
            }
            "gate"
        }
        StepKind::Wait { duration } => {
            notes.push(duration_text(cx, duration));
            "wait"
        }
        StepKind::Watch(watch) => {
            notes.push(format!("every {} for {}", duration_text(cx, &watch.every), duration_text(cx, &watch.duration)));
            "watch"
        }
        StepKind::Block(_) => "block",
    };
    let common = &step.common;
    if let Some(retry) = &common.retry {
        let on: Vec<String> = retry
            .on
            .iter()
            .map(|on| match on {
                RetryOn::Exit(code) => format!("exit {code}"),
                RetryOn::Timeout => "timeout".to_owned(),
                RetryOn::Error => "error".to_owned(),
                RetryOn::Any => "any".to_owned(),
            })
            .collect();
        let on = if on.is_empty() { String::new() } else { format!(" on {}", on.join(", ")) };
        notes.push(format!(
            "retry {} ({}..{}{on})",
            bound_text(cx, &retry.count),
            format_duration(retry.backoff_min),
            format_duration(retry.backoff_max)
        ));
    }
    if let Some(timeout) = &common.timeout {
        notes.push(format!("timeout {}", duration_text(cx, timeout)));
    }
    if common.on_failure != FailurePolicy::Abort {
        notes.push(format!("on failure {}", policy_name(&common.on_failure)));
    }
    if common.risk == Risk::High {
        notes.push("risk high".to_owned());
    }
    if let Some(tokens) = common.expect.tokens {
        notes.push(format!("expect {}", format_tokens(tokens)));
    }
    if let Some(money) = common.expect.money {
        notes.push(format!("expect {}", format_money(money)));
    }
    if let Some(duration) = common.expect.duration {
        notes.push(format!("expect {}", format_duration(duration)));
    }
    let notes = if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join(", ")) };
    format!("{kind} {}{notes}", step.name)
}

fn control_text(cx: &Cx<'_>, control: &Control) -> String {
    let mut notes = Vec::new();
    if let Some(timeout) = &control.timeout {
        notes.push(format!("timeout {}", duration_text(cx, timeout)));
    }
    if control.on_failure != FailurePolicy::Abort {
        notes.push(format!("on failure {}", policy_name(&control.on_failure)));
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!("  [{}]", notes.join(", "))
    }
}

fn policy_name(policy: &FailurePolicy) -> &'static str {
    match policy {
        FailurePolicy::Abort => "abort",
        FailurePolicy::Continue => "continue",
        FailurePolicy::Rollback => "rollback",
        FailurePolicy::Escalate { .. } => "escalate",
    }
}

/// A bound as the run will read it: `3`, or `n (= 1)` where it reads an argument.
fn bound_text(cx: &Cx<'_>, bound: &Bound) -> String {
    match (bound.known, count(bound, cx)) {
        (Some(known), _) => known.to_string(),
        (None, Ok(value)) => format!("{} (= {value})", expr_text(&bound.expr)),
        (None, Err(_)) => expr_text(&bound.expr),
    }
}

/// A wait or timeout as the run will read it: `5m`, or `bake (= 15m)`.
fn duration_text(cx: &Cx<'_>, expr: &Expr) -> String {
    match (&expr.kind, duration(expr, cx)) {
        (ExprKind::Value(_), _) | (_, Err(_)) => expr_text(expr),
        (_, Ok(ms)) => format!("{} (= {})", expr_text(expr), format_duration(ms)),
    }
}

/// An expression as its source text (`ir::display`, shared with `wf graph`).
fn expr_text(expr: &Expr) -> String {
    expr.to_string()
}
