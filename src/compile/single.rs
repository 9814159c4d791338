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

/// A finished step with an `undo` that a rollback in another task must undo: what its task
/// reported (docs/compile.md, "Rollback across tasks").
#[derive(Debug, Clone)]
pub struct Undone {
    /// Its key in the task's run: the step's id and, inside loops, `[i]` per iteration.
    pub key: String,
    pub step: StepIdx,
    /// Its own value, which its `undo` may read.
    pub value: Option<Value>,
}

/// The rollback handler's program: one `run` step per entry of `undone` (newest first), whose
/// command is the step's `undo`, in the step's folder, with the step's values and loop
/// variables written in. Each is `on failure continue`, as a failing undo is in `wf run`: it
/// is recorded and the others still run.
pub fn derive_rollback(
    program: &Program,
    id: WorkflowId,
    undone: &[Undone],
    args: &IndexMap<String, Value>,
    values: &HashMap<StepIdx, Value>,
) -> Result<Program, String> {
    let workflow = &program.workflows[id.0];
    let mut derived = program.clone();
    let target = &mut derived.workflows[id.0];
    target.body = Vec::new();
    target.on_failure = Vec::new();
    target.finally = Vec::new();
    target.mode = crate::ir::Mode::Autopilot;
    let env = Args { args, workflow };
    for entry in undone {
        let original = &workflow.steps[entry.step.0];
        let Some(command) = original.common.undo.clone() else { continue };
        let vars = loop_vars(workflow, entry, &env)?;
        let mut own = values.clone();
        if let Some(value) = &entry.value {
            own.insert(entry.step, value.clone());
        }
        let dir = match &original.kind {
            StepKind::Run(run) => run.dir.clone(),
            _ => None,
        };
        let mut step = Step {
            id: format!("undo:{}", entry.key),
            name: original.name.clone(),
            kind: StepKind::Run(Run { command, dir, env: IndexMap::new(), outputs: Vec::new(), cost: None }),
            common: crate::ir::Common {
                retry: None,
                timeout: None,
                on_failure: FailurePolicy::Continue,
                undo: None,
                risk: crate::ir::Risk::Low,
                expect: crate::ir::Expect::default(),
            },
            hash: format!("undo:{}", original.hash),
            span: original.span,
            fields: original.fields.clone(),
        };
        Substitute { values: &own, vars: &vars }.step(&mut step);
        target.body.push(Node::Step(StepIdx(target.steps.len())));
        target.steps.push(step);
    }
    let substitute = Substitute { values, vars: &HashMap::new() };
    for value in target.env.values_mut() {
        substitute.expr(value);
    }
    Ok(derived)
}

/// The loop variables of the iteration `entry.key` names: one `[i]` (from 1) per enclosing
/// `repeat` or `for`, outermost first, as the runner numbers them.
fn loop_vars(
    workflow: &crate::ir::Workflow,
    entry: &Undone,
    params: &Args<'_>,
) -> Result<HashMap<String, Value>, String> {
    let id = &workflow.steps[entry.step.0].id;
    let suffix = entry.key.strip_prefix(id.as_str()).unwrap_or_default();
    let indexes: Vec<u64> = suffix
        .split(['[', ']'])
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<u64>().map_err(|_| format!("`{}` is not a step key", entry.key)))
        .collect::<Result<_, _>>()?;
    let mut chain = Vec::new();
    let roots = workflow.body.iter().chain(&workflow.on_failure).chain(&workflow.finally);
    for node in roots {
        if enclosing(node, entry.step, &mut chain) {
            break;
        }
    }
    let mut vars = HashMap::new();
    for (node, index) in chain.iter().zip(indexes) {
        if let Node::For { var, index: position, iter, .. } = node {
            let env = Scope { params, vars: &vars };
            let item = match eval::eval(iter, &env) {
                Ok(Value::List(items)) => items
                    .get(usize::try_from(index.saturating_sub(1)).unwrap_or(usize::MAX))
                    .cloned()
                    .ok_or_else(|| format!("`{}`: the loop has no item {index}", entry.key))?,
                Ok(_) => return Err(format!("`{}`: the loop's list is not a list", entry.key)),
                Err(error) => return Err(format!("`{}`: the loop's list: {error}", entry.key)),
            };
            vars.insert(var.clone(), item);
            if let Some(position) = position {
                vars.insert(position.clone(), Value::Int(i64::try_from(index.saturating_sub(1)).unwrap_or(i64::MAX)));
            }
        }
    }
    Ok(vars)
}

/// Whether `node`'s subtree holds `step`; the `repeat`s and `for`s around it go to `chain`.
fn enclosing<'a>(node: &'a Node, step: StepIdx, chain: &mut Vec<&'a Node>) -> bool {
    let children: Vec<&Node> = match node {
        Node::Step(index) => return *index == step,
        Node::Fail { .. } => return false,
        Node::Phase { step: own, body, .. } => {
            if *own == step {
                return true;
            }
            body.iter().collect()
        }
        Node::Parallel { step: own, body, .. } => {
            if *own == Some(step) {
                return true;
            }
            body.iter().collect()
        }
        Node::Repeat { step: own, body, .. } | Node::For { step: own, body, .. } => {
            if *own == Some(step) {
                return true;
            }
            chain.push(node);
            if body.iter().any(|child| enclosing(child, step, chain)) {
                return true;
            }
            chain.pop();
            return false;
        }
        Node::If { branches, otherwise, .. } => {
            branches.iter().flat_map(|branch| &branch.body).chain(otherwise).collect()
        }
    };
    children.into_iter().any(|child| enclosing(child, step, chain))
}

/// Parameters and the loop variables bound so far.
struct Scope<'a> {
    params: &'a Args<'a>,
    vars: &'a HashMap<String, Value>,
}

impl Env for Scope<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.params.param(name)
    }
    fn loop_var(&self, name: &str) -> Option<Value> {
        self.vars.get(name).cloned()
    }
}
