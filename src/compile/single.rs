//! What `wf step` runs: the workflow cut down to one task's node, as a program the runner
//! runs unchanged. Values of steps that ran in earlier tasks are written into the
//! expressions that read them, and a `for` iteration's variables likewise; everything else —
//! retries, timeouts, agents, gates, typed outputs, budgets, secrets — is the runner's own
//! code. A step given no value reads as not run (skipped), as in `wf run`.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::ir::eval::{self, Env};
use crate::ir::{
    Bound, Control, Expr, ExprKind, FailurePolicy, Node, Program, Run, Step, StepIdx, StepKind, Template, TemplatePart,
    Value, WorkflowId,
};

/// The node `path` of workflow `id` as the whole body of a copy of `program`; with `index`,
/// the `for` at `path` reduced to its iteration `index` (from 0).
pub fn derive(
    program: &Program,
    id: WorkflowId,
    path: &str,
    index: Option<u64>,
    args: &IndexMap<String, Value>,
    values: &HashMap<StepIdx, Value>,
) -> Result<Program, String> {
    let workflow = &program.workflows[id.0];
    let node =
        super::find(workflow, path).ok_or_else(|| format!("workflow `{}` has no node `{path}`", workflow.name))?;
    let mut body = vec![node.clone()];
    let mut vars: HashMap<String, Value> = HashMap::new();
    if let Some(index) = index {
        let Node::For { var, index: position, iter, body: inner, .. } = node else {
            return Err(format!("`{path}` is not a `for`; an index is for a loop's iteration"));
        };
        let env = Args { args, workflow };
        let item = match eval::eval(iter, &env) {
            Ok(Value::List(items)) => items
                .into_iter()
                .nth(usize::try_from(index).unwrap_or(usize::MAX))
                .ok_or_else(|| format!("the list of `for {var}` has no item {index}"))?,
            Ok(_) => return Err(format!("the list of `for {var}` is not a list")),
            Err(error) => return Err(format!("the list of `for {var}` cannot be computed: {error}")),
        };
        vars.insert(var.clone(), item);
        if let Some(position) = position {
            vars.insert(position.clone(), Value::Int(i64::try_from(index).unwrap_or(i64::MAX)));
        }
        body = inner.clone();
    }
    let mut derived = program.clone();
    let target = &mut derived.workflows[id.0];
    target.body = body;
    target.on_failure = Vec::new();
    target.finally = Vec::new();
    let substitute = Substitute { values, vars: &vars };
    for node in &mut target.body {
        substitute.node(node);
    }
    for step in &mut target.steps {
        substitute.step(step);
    }
    for value in target.env.values_mut() {
        substitute.expr(value);
    }
    Ok(derived)
}

/// The run's arguments, then the parameters' defaults.
struct Args<'a> {
    args: &'a IndexMap<String, Value>,
    workflow: &'a crate::ir::Workflow,
}

impl Env for Args<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.args
            .get(name)
            .cloned()
            .or_else(|| self.workflow.params.iter().find(|p| p.name == name).and_then(|p| p.default.clone()))
    }
}

/// Replaces what an earlier task computed with its value, in every expression.
struct Substitute<'a> {
    values: &'a HashMap<StepIdx, Value>,
    vars: &'a HashMap<String, Value>,
}

impl Substitute<'_> {
    fn node(&self, node: &mut Node) {
        match node {
            Node::Step(_) => {}
            Node::Phase { body, control, .. } => {
                self.control(control);
                self.nodes(body);
            }
            Node::Parallel { max, body, control, .. } => {
                if let Some(max) = max {
                    self.bound(max);
                }
                self.control(control);
                self.nodes(body);
            }
            Node::If { branches, otherwise, .. } => {
                for branch in branches {
                    self.expr(&mut branch.cond);
                    self.nodes(&mut branch.body);
                }
                self.nodes(otherwise);
            }
            Node::Repeat { max, until, body, control, .. } => {
                self.bound(max);
                if let Some(until) = until {
                    self.expr(until);
                }
                self.control(control);
                self.nodes(body);
            }
            Node::For { iter, parallel, body, control, .. } => {
                self.expr(iter);
                if let Some(Some(bound)) = parallel {
                    self.bound(bound);
                }
                self.control(control);
                self.nodes(body);
            }
            Node::Fail { message, .. } => self.template(message),
        }
    }

    fn nodes(&self, nodes: &mut [Node]) {
        for node in nodes {
            self.node(node);
        }
    }

    fn control(&self, control: &mut Control) {
        if let Some(timeout) = &mut control.timeout {
            self.expr(timeout);
        }
        self.policy(&mut control.on_failure);
    }

    fn policy(&self, policy: &mut FailurePolicy) {
        if let FailurePolicy::Escalate { message: Some(message) } = policy {
            self.template(message);
        }
    }

    fn bound(&self, bound: &mut Bound) {
        self.expr(&mut bound.expr);
    }

    fn step(&self, step: &mut Step) {
        let common = &mut step.common;
        if let Some(retry) = &mut common.retry {
            self.bound(&mut retry.count);
        }
        if let Some(timeout) = &mut common.timeout {
            self.expr(timeout);
        }
        self.policy(&mut common.on_failure);
        if let Some(undo) = &mut common.undo {
            self.template(undo);
        }
        match &mut step.kind {
            StepKind::Run(run) => self.run(run),
            StepKind::Agent(agent) => {
                self.template(&mut agent.role);
                self.template(&mut agent.prompt);
            }
            StepKind::Call(call) => call.args.values_mut().for_each(|arg| self.expr(arg)),
            StepKind::Gate(gate) => {
                for check in &mut gate.checks {
                    self.expr(&mut check.cond);
                    self.template(&mut check.message);
                }
                if let Some(approval) = &mut gate.approve {
                    self.template(&mut approval.question);
                    if let Some(timeout) = &mut approval.timeout {
                        self.expr(timeout);
                    }
                }
            }
            StepKind::Wait { duration } => self.expr(duration),
            StepKind::Watch(watch) => {
                self.run(&mut watch.poll);
                self.expr(&mut watch.every);
                self.expr(&mut watch.duration);
                for judgement in std::iter::once(&mut watch.fail).chain(watch.pass.as_mut()) {
                    self.expr(&mut judgement.cond);
                    if let Some(window) = &mut judgement.window {
                        self.expr(window);
                    }
                }
            }
            StepKind::Block(_) => {}
        }
    }

    fn run(&self, run: &mut Run) {
        self.template(&mut run.command);
        if let Some(dir) = &mut run.dir {
            self.expr(dir);
        }
        run.env.values_mut().for_each(|value| self.expr(value));
    }

    fn template(&self, template: &mut Template) {
        for part in &mut template.parts {
            if let TemplatePart::Expr(expr) = part {
                self.expr(expr);
            }
        }
    }

    fn expr(&self, expr: &mut Expr) {
        let replacement = match &expr.kind {
            ExprKind::Step { index, .. } => self.values.get(index).cloned(),
            ExprKind::LoopVar(name) => self.vars.get(name).cloned(),
            _ => None,
        };
        if let Some(value) = replacement {
            expr.kind = ExprKind::Value(value);
            return;
        }
        match &mut expr.kind {
            ExprKind::Value(_) | ExprKind::Param(_) | ExprKind::LoopVar(_) | ExprKind::Step { .. } => {}
            ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
                items.iter_mut().for_each(|item| self.expr(item))
            }
            ExprKind::Record(fields) => fields.values_mut().for_each(|field| self.expr(field)),
            ExprKind::Template(template) => self.template(template),
            ExprKind::Field { base, .. } => self.expr(base),
            ExprKind::Index { base, index } => {
                self.expr(base);
                self.expr(index);
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
        }
    }
}
