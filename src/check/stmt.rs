//! Statements, in two walks: `Collector::collect_*` declares a workflow's steps where they sit,
//! then `Cx::lower_*` checks each statement in order and lowers it to an `ir::Node`.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::attrs::Place;
use super::cx::Cx;
use super::cx::LoopVar;
use super::expr::is_known_before_run;
use super::flow::{ContainerKind, Flow};
use super::{CheckDiagnostic, Checker};
use crate::ir::{self, BlockKind, Expr, ExprKind, Node, Output, OutputSource, StepIdx, StepKind, Stream, Type};
use crate::span::Span;
use crate::syntax::ast::{self, AttrKind, BinaryOp, Stmt};

/// The statements of a block, without its attributes.
pub(super) fn statements(block: &ast::Block) -> Vec<&Stmt> {
    block
        .entries
        .iter()
        .filter_map(|entry| match entry {
            ast::Entry::Stmt(stmt) => Some(stmt),
            ast::Entry::Attr(_) => None,
        })
        .collect()
}

fn base_fields() -> IndexMap<String, Type> {
    [
        ("status", Type::String),
        ("ok", Type::Bool),
        ("attempts", Type::Int),
        ("duration", Type::Duration),
        ("cost", Type::Money),
        ("tokens", Type::Tokens),
    ]
    .into_iter()
    .map(|(name, ty)| (name.to_string(), ty))
    .collect()
}

fn block_fields(repeat: bool) -> IndexMap<String, Type> {
    let mut fields: IndexMap<String, Type> = [("ok", Type::Bool), ("cost", Type::Money), ("duration", Type::Duration)]
        .into_iter()
        .map(|(name, ty)| (name.to_string(), ty))
        .collect();
    if repeat {
        fields.insert("iterations".into(), Type::Int);
    }
    fields
}

/// A workflow's statements split from its handlers.
pub(super) struct Handlers<'w> {
    pub body: Vec<&'w Stmt>,
    pub on_failure: Option<&'w ast::Handler>,
    pub finally: Option<&'w ast::Handler>,
}

/// The first walk: declares every named step and block where it sits, with the fields it
/// will have.
pub(super) struct Collector<'c, 'a> {
    ch: &'c mut Checker<'a>,
    module: usize,
    pub flow: Flow,
    /// Each declared step's statement span, by step index.
    pub pending: Vec<Span>,
}

impl<'c, 'a> Collector<'c, 'a> {
    pub fn new(ch: &'c mut Checker<'a>, module: usize) -> Collector<'c, 'a> {
        Collector { ch, module, flow: Flow::default(), pending: Vec::new() }
    }

    pub fn workflow<'w>(&mut self, workflow: &'w ast::Workflow) -> Handlers<'w> {
        let mut handlers = Handlers { body: Vec::new(), on_failure: None, finally: None };
        for stmt in statements(&workflow.body) {
            let (slot, name) = match stmt {
                Stmt::OnFailure(handler) => (&mut handlers.on_failure, ("on failure", handler)),
                Stmt::Finally(handler) => (&mut handlers.finally, ("finally", handler)),
                other => {
                    handlers.body.push(other);
                    continue;
                }
            };
            let (attr, handler) = name;
            if let Some(first) = slot {
                let first = first.span;
                self.ch.report(
                    self.module,
                    CheckDiagnostic::DuplicateAttribute { attr: attr.into(), span: handler.span, first },
                );
            } else {
                *slot = Some(handler);
            }
        }
        self.flow.enter(ContainerKind::Root, workflow.span, None, 0);
        self.collect_sequence(ContainerKind::Seq, &handlers.body, workflow.body.span, None, None);
        for (child, handler) in [(1, handlers.on_failure), (2, handlers.finally)] {
            if let Some(handler) = handler {
                self.flow.set_child(child);
                self.collect_sequence(ContainerKind::Seq, &statements(&handler.body), handler.body.span, None, None);
            }
        }
        self.flow.leave();
        handlers
    }

    fn collect_sequence(
        &mut self,
        kind: ContainerKind,
        stmts: &[&Stmt],
        span: Span,
        name: Option<&str>,
        phase: Option<&str>,
    ) {
        self.flow.enter(kind, span, name, 0);
        for (child, stmt) in stmts.iter().enumerate() {
            self.flow.set_child(child);
            self.collect_stmt(stmt, phase);
        }
        self.flow.leave();
    }

    fn declare(
        &mut self,
        name: &ast::Ident,
        span: Span,
        phase: Option<&str>,
        kind: &'static str,
        fields: IndexMap<String, Type>,
    ) {
        let id = match phase {
            Some(phase) if phase != name.name => format!("{phase}/{}", name.name),
            _ => name.name.clone(),
        };
        match self.flow.declare(&name.name, name.span, id, kind, fields) {
            Ok(index) => {
                self.flow.step_at.insert(span, index);
                self.pending.push(span);
            }
            Err(first) => {
                let first = self.flow.steps.get(first).name_span;
                self.ch.report(
                    self.module,
                    CheckDiagnostic::DuplicateName { name: name.name.clone(), span: name.span, first },
                );
            }
        }
    }

    /// The fields a step's `output` attributes add, each a scalar.
    fn output_fields(&mut self, attrs: Option<&ast::Block>, fields: &mut IndexMap<String, Type>) {
        for attr in attrs.iter().flat_map(|block| &block.entries) {
            if let ast::Entry::Attr(ast::Attr { kind: AttrKind::Output { name, ty, .. }, .. }) = attr {
                let ty = self.ch.resolve_type(self.module, ty);
                if matches!(ty, Type::List(_) | Type::Record(_)) {
                    self.ch.report(
                        self.module,
                        CheckDiagnostic::TypeMismatch {
                            expected: "a scalar type (string, int, float, bool, duration, money, tokens, percent)"
                                .into(),
                            found: ty.to_string(),
                            span: name.span,
                            context: "outputs are parsed from text into one value".into(),
                        },
                    );
                }
                fields.insert(name.name.clone(), ty);
            }
        }
    }

    fn collect_stmt(&mut self, stmt: &Stmt, phase: Option<&str>) {
        match stmt {
            Stmt::Run(run) => {
                let mut fields = base_fields();
                fields.extend([
                    ("exit_code".into(), Type::Int),
                    ("stdout".into(), Type::String),
                    ("stderr".into(), Type::String),
                ]);
                self.output_fields(run.attrs.as_ref(), &mut fields);
                self.declare(&run.name, run.span, phase, "run step", fields);
            }
            Stmt::Agent(agent) => {
                let mut fields = base_fields();
                fields.insert("text".into(), Type::String);
                let mut returns = IndexMap::new();
                for attr in agent.attrs.iter().flat_map(|block| &block.entries) {
                    if let ast::Entry::Attr(ast::Attr { kind: AttrKind::Returns(written), .. }) = attr {
                        returns = self.ch.resolve_fields(self.module, written);
                        // A returned field may not hide one every agent step has (`ok`, `cost`...).
                        for field in written {
                            if fields.contains_key(&field.name.name) {
                                self.ch.report(
                                    self.module,
                                    CheckDiagnostic::DuplicateName {
                                        name: field.name.name.clone(),
                                        span: field.name.span,
                                        first: agent.name.span,
                                    },
                                );
                                returns.shift_remove(&field.name.name);
                            }
                        }
                    }
                }
                fields.extend(returns.iter().map(|(name, ty)| (name.clone(), ty.clone())));
                self.flow.returns.insert(agent.span, returns);
                self.declare(&agent.name, agent.span, phase, "agent step", fields);
            }
            Stmt::Call(call) => self.declare(&call.name, call.span, phase, "call step", base_fields()),
            Stmt::Wait(wait) => self.declare(&wait.name, wait.span, phase, "wait step", base_fields()),
            Stmt::Watch(watch) => {
                let mut fields = base_fields();
                fields.insert("polls".into(), Type::Int);
                self.output_fields(Some(&watch.body), &mut fields);
                self.declare(&watch.name, watch.span, phase, "watch step", fields);
            }
            Stmt::Gate(gate) => {
                let mut fields = base_fields();
                fields.extend([("approved_by".into(), Type::String), ("comment".into(), Type::String)]);
                self.declare(&gate.name, gate.span, phase, "gate", fields);
            }
            Stmt::Phase(inner) => {
                self.declare(&inner.name, inner.span, None, "phase", block_fields(false));
                let name = inner.name.name.clone();
                self.collect_sequence(ContainerKind::Seq, &statements(&inner.body), inner.body.span, None, Some(&name));
            }
            Stmt::Parallel(parallel) => {
                if let Some(name) = &parallel.name {
                    self.declare(name, parallel.span, phase, "`parallel` block", block_fields(false));
                }
                self.flow.enter(ContainerKind::Parallel, parallel.span, None, 0);
                for (child, stmt) in statements(&parallel.body).into_iter().enumerate() {
                    self.flow.set_child(child);
                    self.collect_stmt(stmt, phase);
                }
                self.flow.leave();
            }
            Stmt::If(branch) => {
                self.flow.enter(ContainerKind::If, branch.span, None, 0);
                let blocks = branch.branches.iter().map(|(_, block)| block).chain(branch.otherwise.as_ref());
                for (child, block) in blocks.enumerate() {
                    self.flow.set_child(child);
                    self.collect_sequence(ContainerKind::Seq, &statements(block), block.span, None, phase);
                }
                self.flow.leave();
            }
            Stmt::Repeat(repeat) => {
                if let Some(name) = &repeat.name {
                    self.declare(name, repeat.span, phase, "`repeat` block", block_fields(true));
                }
                self.collect_sequence(ContainerKind::Seq, &statements(&repeat.body), repeat.body.span, None, phase);
            }
            Stmt::For(each) => {
                if let Some(name) = &each.name {
                    self.declare(name, each.span, phase, "`for` block", block_fields(false));
                }
                let name = each.name.as_ref().map(|name| name.name.as_str());
                self.collect_sequence(ContainerKind::For, &statements(&each.body), each.body.span, name, phase);
            }
            Stmt::Fail(_) | Stmt::OnFailure(_) | Stmt::Finally(_) => {}
        }
    }
}

/// The steps a condition proves have run when it holds: `NAME.ok`, a comparison of
/// `NAME.status`, and either side of an `and`. Not under `not` or `or`, which prove nothing.
fn guarded_steps(expr: &Expr, out: &mut Vec<StepIdx>) {
    let step_field = |expr: &Expr, wanted: &str| match &expr.kind {
        ExprKind::Field { base, field } if field == wanted => match base.kind {
            ExprKind::Step { index, .. } => Some(index),
            _ => None,
        },
        _ => None,
    };
    match &expr.kind {
        ExprKind::Field { .. } => out.extend(step_field(expr, "ok")),
        ExprKind::Binary { op: BinaryOp::Eq | BinaryOp::Ne, lhs, rhs } => {
            out.extend(step_field(lhs, "status").or_else(|| step_field(rhs, "status")));
        }
        ExprKind::Binary { op: BinaryOp::And, lhs, rhs } => {
            guarded_steps(lhs, out);
            guarded_steps(rhs, out);
        }
        _ => {}
    }
}

impl Cx<'_, '_> {
    /// Checks statements one after another; `top` says whether phases may appear.
    pub fn lower_sequence(&mut self, stmts: &[&Stmt], block: &ast::Block, top: bool) -> Vec<Node> {
        self.lower_sequence_in(ContainerKind::Seq, stmts, block.span, None, top)
    }

    fn lower_sequence_in(
        &mut self,
        kind: ContainerKind,
        stmts: &[&Stmt],
        span: Span,
        name: Option<&str>,
        top: bool,
    ) -> Vec<Node> {
        self.flow.enter(kind, span, name, 0);
        let mut nodes = Vec::with_capacity(stmts.len());
        for (child, stmt) in stmts.iter().enumerate() {
            self.flow.set_child(child);
            nodes.extend(self.lower_stmt(stmt, top));
        }
        self.flow.leave();
        nodes
    }

    pub(super) fn define(&mut self, index: Option<StepIdx>, kind: StepKind, common: ir::Common) {
        if let Some(slot) = index.and_then(|index| self.defined.get_mut(index.0)) {
            *slot = Some((kind, common));
        }
    }

    /// Reports statements written among a step's attributes.
    pub(super) fn attrs_only<'e>(&mut self, block: Option<&'e ast::Block>, place: Place) -> Vec<&'e ast::Attr> {
        let Some(block) = block else { return Vec::new() };
        for stmt in statements(block) {
            self.report(CheckDiagnostic::MisplacedStatement {
                what: "a statement",
                span: stmt_span(stmt),
                help: Some("a step's `{ }` holds its attributes; put statements after the step".into()),
            });
        }
        self.attrs(&block.entries, place)
    }

    fn lower_stmt(&mut self, stmt: &Stmt, top: bool) -> Option<Node> {
        let index = self.flow.step_at.get(&stmt_span(stmt)).copied();
        match stmt {
            Stmt::Run(run) => {
                let attrs = self.attrs_only(run.attrs.as_ref(), Place::Run);
                let common = self.common(&attrs);
                let command = self.command(&run.command);
                let mut step = ir::Run { command, dir: None, env: IndexMap::new(), outputs: Vec::new(), cost: None };
                for attr in &attrs {
                    match &attr.kind {
                        AttrKind::Dir(expr) => {
                            let dir = self.expr(expr);
                            self.expect_type(&dir, &Type::String, "a directory");
                            step.dir = Some(dir);
                        }
                        AttrKind::Env(vars) => step.env = self.env(vars),
                        AttrKind::Cost(expr) => step.cost = self.money(expr),
                        AttrKind::Output { name, source, .. } => {
                            let ty = index
                                .and_then(|index| self.flow.steps.get(index).fields.get(&name.name).cloned())
                                .unwrap_or(Type::Unknown);
                            if let Some(output) = self.output(name, ty, source) {
                                step.outputs.push(output);
                            }
                        }
                        _ => {}
                    }
                }
                self.define(index, StepKind::Run(step), common);
                index.map(Node::Step)
            }
            Stmt::Agent(agent) => {
                let attrs = self.attrs_only(agent.attrs.as_ref(), Place::Agent);
                let common = self.common(&attrs);
                let role = self.template(&agent.role);
                let mut prompt = None;
                let mut model = None;
                let mut provider = self.default_provider;
                let mut returns = IndexMap::new();
                for attr in &attrs {
                    match &attr.kind {
                        AttrKind::Prompt(text) => prompt = Some(self.template(text)),
                        AttrKind::Model(path) => model = Some(self.ch.resolve_model(self.module, path)),
                        AttrKind::Provider(path) => {
                            provider = self.ch.resolve_provider(self.module, path).unwrap_or(provider);
                        }
                        AttrKind::Returns(_) => {
                            let fields =
                                index.map(|index| self.flow.steps.get(index).fields.clone()).unwrap_or_default();
                            let skip = base_fields().len() + 1;
                            returns = fields.into_iter().skip(skip).collect();
                        }
                        _ => {}
                    }
                }
                let what = format!("agent step `{}`", agent.name.name);
                if prompt.is_none() {
                    self.report(CheckDiagnostic::MissingAttribute {
                        what: what.clone(),
                        attr: "prompt",
                        span: agent.name.span,
                        help: Some("say what the agent should do: `prompt \"...\"`".into()),
                    });
                }
                let model = match model {
                    Some(model) => model,
                    None if self.default_model_given => self.default_model,
                    None => match self.ch.provider_default_model(provider) {
                        Some(model) => Some(model),
                        None => {
                            self.report(CheckDiagnostic::MissingAttribute {
                                what,
                                attr: "model",
                                span: agent.name.span,
                                help: Some(
                                    "add `model NAME` to the step or the workflow, or `model \"ID\"` to its provider"
                                        .into(),
                                ),
                            });
                            None
                        }
                    },
                };
                if let (Some(prompt), Some(model)) = (prompt, model) {
                    self.define(index, StepKind::Agent(ir::Agent { role, prompt, model, provider, returns }), common);
                }
                index.map(Node::Step)
            }
            Stmt::Call(call) => {
                let attrs = self.attrs_only(call.attrs.as_ref(), Place::Call);
                let common = self.common(&attrs);
                let target = self.ch.resolve_workflow(self.module, &call.target);
                let args = self.call_args(call, target);
                if let (Some(target), Some(caller)) = (target, self.workflow) {
                    let file = self.ch.loaded.modules[self.module].file;
                    self.ch.calls.push((caller, target, file, call.target.span));
                    self.define(index, StepKind::Call(ir::Call { workflow: target, args }), common);
                }
                index.map(Node::Step)
            }
            Stmt::Gate(gate) => {
                let attrs = self.attrs(&gate.body.entries, Place::Gate);
                for stmt in statements(&gate.body) {
                    self.report(CheckDiagnostic::MisplacedStatement {
                        what: "a statement",
                        span: stmt_span(stmt),
                        help: Some("a gate holds `require`, `warn` and `approve`; put steps before or after it".into()),
                    });
                }
                let step = self.gate(gate, &attrs);
                let common = self.common(&attrs);
                self.define(index, StepKind::Gate(step), common);
                index.map(Node::Step)
            }
            Stmt::Wait(wait) => {
                let attrs = self.attrs_only(wait.attrs.as_ref(), Place::Wait);
                let common = self.common(&attrs);
                if let Some(duration) = self.duration_attr(&wait.duration, "a wait") {
                    self.define(index, StepKind::Wait { duration }, common);
                }
                index.map(Node::Step)
            }
            Stmt::Watch(watch) => self.lower_watch(watch, index),
            Stmt::Phase(phase) => {
                if !top {
                    self.report(CheckDiagnostic::MisplacedStatement {
                        what: "a phase",
                        span: phase.name.span,
                        help: Some(
                            "phases sit at the top level of a workflow, or directly inside a top-level `parallel`"
                                .into(),
                        ),
                    });
                }
                let attrs = self.attrs(&phase.body.entries, Place::Phase);
                let control = self.control(&attrs);
                let stmts = statements(&phase.body);
                if stmts.is_empty() {
                    self.report(CheckDiagnostic::EmptyPhase { name: phase.name.name.clone(), span: phase.name.span });
                }
                let body = self.lower_sequence(&stmts, &phase.body, false);
                self.define(index, StepKind::Block(BlockKind::Phase), ir::Common::default());
                index.map(|step| Node::Phase { step, body, control })
            }
            Stmt::Parallel(parallel) => {
                let max = parallel.max.as_ref().and_then(|max| self.bound(max, "a `parallel` bound", 1));
                let attrs = self.attrs(&parallel.body.entries, Place::Block("parallel"));
                let control = self.control(&attrs);
                self.flow.enter(ContainerKind::Parallel, parallel.span, None, 0);
                let mut body = Vec::new();
                for (child, stmt) in statements(&parallel.body).into_iter().enumerate() {
                    self.flow.set_child(child);
                    // Phases may sit directly in a top-level `parallel`, not deeper.
                    body.extend(self.lower_stmt(stmt, top && matches!(stmt, Stmt::Phase(_))));
                }
                self.flow.leave();
                self.define(index, StepKind::Block(BlockKind::Parallel), ir::Common::default());
                Some(Node::Parallel { step: index, max, body, control, span: parallel.span })
            }
            Stmt::If(branch) => {
                let mut branches = Vec::new();
                let mut guards = Vec::new();
                for (cond, _) in &branch.branches {
                    let cond = self.condition(cond);
                    let mut guarded = Vec::new();
                    guarded_steps(&cond, &mut guarded);
                    guards.push(guarded);
                    branches.push(cond);
                }
                self.flow.enter(ContainerKind::If, branch.span, None, 0);
                let mut out = Vec::new();
                for (child, (cond, (_, block))) in branches.into_iter().zip(&branch.branches).enumerate() {
                    self.flow.set_child(child);
                    let depth = self.guarded.len();
                    self.guarded.extend(guards[child].iter().copied());
                    let body = self.branch(block);
                    self.guarded.truncate(depth);
                    out.push(ir::Branch { cond, body });
                }
                let otherwise = match &branch.otherwise {
                    Some(block) => {
                        self.flow.set_child(branch.branches.len());
                        self.branch(block)
                    }
                    None => Vec::new(),
                };
                self.flow.leave();
                Some(Node::If { branches: out, otherwise, span: branch.span })
            }
            Stmt::Repeat(repeat) => {
                let max = self.bound(&repeat.max, "a `repeat` bound", 1);
                let attrs = self.attrs(&repeat.body.entries, Place::Block("repeat"));
                let control = self.control(&attrs);
                let stmts = statements(&repeat.body);
                let body = self.lower_sequence(&stmts, &repeat.body, false);
                // `until` is read after each iteration: at the end of the body.
                let until = repeat.until.as_ref().map(|until| {
                    self.flow.enter(ContainerKind::Seq, repeat.body.span, None, stmts.len());
                    let cond = self.condition(until);
                    self.flow.leave();
                    cond
                });
                self.define(index, StepKind::Block(BlockKind::Repeat), ir::Common::default());
                max.map(|max| Node::Repeat { step: index, max, until, body, control, span: repeat.span })
            }
            Stmt::For(each) => self.for_each(each, index),
            Stmt::Fail(fail) => Some(Node::Fail { message: self.template(&fail.message), span: fail.span }),
            Stmt::OnFailure(handler) | Stmt::Finally(handler) => {
                let what =
                    if matches!(stmt, Stmt::OnFailure(_)) { "an `on failure` handler" } else { "a `finally` handler" };
                self.report(CheckDiagnostic::MisplacedStatement {
                    what,
                    span: Span::new(handler.span.start, handler.body.span.start),
                    help: Some("handlers belong at the top level of a workflow; for a step, use `on failure continue|rollback|escalate`".into()),
                });
                None
            }
        }
    }

    fn branch(&mut self, block: &ast::Block) -> Vec<Node> {
        self.attrs(&block.entries, Place::Plain("an `if` branch"));
        self.lower_sequence(&statements(block), block, false)
    }

    fn for_each(&mut self, each: &ast::For, index: Option<StepIdx>) -> Option<Node> {
        let iter = self.expr(&each.iter);
        let elem = self.list_elem(&iter, "`for` goes through a list");
        if !is_known_before_run(&iter) {
            let reason = self.not_static_reason(&iter, true);
            self.report(CheckDiagnostic::BoundNotStatic { what: "the list of a `for`", reason, span: iter.span });
        }
        let parallel =
            each.parallel.as_ref().map(|max| max.as_ref().and_then(|max| self.bound(max, "a `parallel` bound", 1)));
        let names: Vec<&ast::Ident> = each.index.iter().chain([&each.var]).collect();
        for (i, var) in names.iter().enumerate() {
            let first = if let Some(step) = self.flow.steps.index(&var.name) {
                Some(self.flow.steps.get(step).name_span)
            } else if let Some((_, first, _)) = self.params.get(&var.name) {
                Some(*first)
            } else {
                names[..i].iter().find(|other| other.name == var.name).map(|other| other.span)
            };
            if let Some(first) = first {
                self.report(CheckDiagnostic::DuplicateName { name: var.name.clone(), span: var.span, first });
            }
        }
        let attrs = self.attrs(&each.body.entries, Place::Block("for"));
        let control = self.control(&attrs);
        if let Some(position) = &each.index {
            self.loop_vars.push(LoopVar { name: position.name.clone(), ty: Type::Int, used: false });
        }
        self.loop_vars.push(LoopVar { name: each.var.name.clone(), ty: elem, used: true });
        let name = each.name.as_ref().map(|name| name.name.clone());
        let body =
            self.lower_sequence_in(ContainerKind::For, &statements(&each.body), each.body.span, name.as_deref(), false);
        self.loop_vars.pop();
        if let Some(position) = &each.index {
            if self.loop_vars.pop().is_some_and(|var| !var.used) {
                self.report(CheckDiagnostic::UnusedIndex {
                    name: position.name.clone(),
                    span: position.span,
                    var: each.var.name.clone(),
                });
            }
        }
        self.define(index, StepKind::Block(BlockKind::For), ir::Common::default());
        Some(Node::For {
            step: index,
            index: each.index.as_ref().map(|position| position.name.clone()),
            var: each.var.name.clone(),
            iter,
            parallel,
            body,
            control,
            span: each.span,
        })
    }

    fn gate(&mut self, gate: &ast::Gate, attrs: &[&ast::Attr]) -> ir::Gate {
        let mut checks = Vec::new();
        let mut approve = None;
        let mut timeout = None;
        let mut on_timeout: Option<&ast::Ident> = None;
        for attr in attrs {
            match &attr.kind {
                AttrKind::Require { cond, message } | AttrKind::Warn { cond, message } => {
                    let level = if matches!(attr.kind, AttrKind::Require { .. }) {
                        ir::CheckLevel::Require
                    } else {
                        ir::CheckLevel::Warn
                    };
                    let cond = self.condition(cond);
                    let message = self.template(message);
                    checks.push(ir::GateCheck { level, cond, message });
                }
                AttrKind::Approve(question) => approve = Some(self.template(question)),
                AttrKind::Timeout(expr) => timeout = Some((self.positive_duration(expr, "a timeout"), attr.keyword)),
                AttrKind::OnTimeout(choice) => on_timeout = Some(choice),
                _ => {}
            }
        }
        if checks.is_empty() && approve.is_none() {
            self.report(CheckDiagnostic::GateChecksNothing { name: gate.name.name.clone(), span: gate.name.span });
        }
        let approve_on_timeout = match on_timeout {
            Some(choice) if self.choice("timeout decision", choice, &["approve", "reject"]) => choice.name == "approve",
            _ => false,
        };
        if let (Some(choice), true) = (on_timeout, approve.is_none() || timeout.is_none()) {
            self.report(CheckDiagnostic::AttributeNotAllowed {
                attr: "on timeout".into(),
                place: "a gate without both `approve` and `timeout`".into(),
                span: choice.span,
                help: Some("`on timeout approve|reject` says what an approval that times out means".into()),
            });
        }
        let approve = approve.map(|question| ir::Approval {
            question,
            timeout: timeout.and_then(|(timeout, _)| timeout),
            approve_on_timeout,
        });
        ir::Gate { checks, approve }
    }

    pub(super) fn output(&mut self, name: &ast::Ident, ty: Type, source: &ast::OutputSource) -> Option<Output> {
        let func_ok = self.choice("output parser", &source.func, &["json", "regex"]);
        let stream_ok = self.choice("output stream", &source.stream, &["stdout", "stderr"]);
        let pattern = self.template(&source.pattern);
        let Some(pattern) = pattern.as_plain() else {
            let reason = "interpolates a value; the pattern is read before the step runs".to_owned();
            self.report(CheckDiagnostic::BoundNotStatic {
                what: "an output pattern",
                reason,
                span: source.pattern.span,
            });
            return None;
        };
        if !(func_ok && stream_ok) {
            return None;
        }
        let parsed = if source.func.name == "json" {
            if !(pattern.is_empty() || pattern.starts_with('/')) {
                self.report(CheckDiagnostic::InvalidJsonPointer { pointer: pattern, span: source.pattern.span });
                return None;
            }
            OutputSource::Json(pattern)
        } else {
            match self.ch.regex_groups(&pattern) {
                Ok(groups) if groups < 2 => {
                    self.report(CheckDiagnostic::InvalidRegex {
                        reason: "it has no capture group; the value is the first `( )` group".into(),
                        span: source.pattern.span,
                    });
                    return None;
                }
                Ok(_) => OutputSource::Regex(pattern),
                Err(reason) => {
                    self.report(CheckDiagnostic::InvalidRegex { reason, span: source.pattern.span });
                    return None;
                }
            }
        };
        let stream = if source.stream.name == "stderr" { Stream::Stderr } else { Stream::Stdout };
        Some(Output { name: name.name.clone(), ty, source: parsed, stream, span: source.span })
    }

    fn call_args(&mut self, call: &ast::Call, target: Option<ir::WorkflowId>) -> IndexMap<String, Expr> {
        let params = target.and_then(|target| self.ch.signatures[target.0].params.clone());
        let workflow = ast_path(&call.target);
        let mut args = IndexMap::new();
        let mut spans: HashMap<&str, Span> = HashMap::new();
        for arg in &call.args {
            let param = params.as_ref().and_then(|params| params.iter().find(|param| param.name == arg.name.name));
            let value = match param {
                Some(param) => {
                    let context = format!("parameter `{}` of `{workflow}` is `{}`", param.name, param.ty);
                    self.expr_as(&arg.value, &param.ty, &context)
                }
                None => self.expr(&arg.value),
            };
            if let Some(&first) = spans.get(arg.name.name.as_str()) {
                self.report(CheckDiagnostic::DuplicateName { name: arg.name.name.clone(), span: arg.name.span, first });
                continue;
            }
            spans.insert(&arg.name.name, arg.name.span);
            if let Some(params) = &params {
                match params.iter().find(|param| param.name == arg.name.name) {
                    Some(_) => {}
                    None => {
                        let help = crate::suggest::help(&arg.name.name, params.iter().map(|param| param.name.as_str()));
                        self.report(CheckDiagnostic::UnknownArgument {
                            name: arg.name.name.clone(),
                            workflow: workflow.clone(),
                            span: arg.name.span,
                            help,
                        });
                    }
                }
            }
            args.insert(arg.name.name.clone(), value);
        }
        for param in params.iter().flatten() {
            if param.default.is_none() && !args.contains_key(&param.name) {
                self.report(CheckDiagnostic::MissingArgument {
                    param: param.name.clone(),
                    workflow: workflow.clone(),
                    span: call.target.span,
                });
            }
        }
        args
    }
}

fn ast_path(path: &ast::Path) -> String {
    super::items::path_text(path)
}

pub(super) fn stmt_span(stmt: &Stmt) -> Span {
    match stmt {
        Stmt::Phase(s) => s.span,
        Stmt::Run(s) => s.span,
        Stmt::Agent(s) => s.span,
        Stmt::Call(s) => s.span,
        Stmt::Gate(s) => s.span,
        Stmt::Wait(s) => s.span,
        Stmt::Watch(s) => s.span,
        Stmt::Parallel(s) => s.span,
        Stmt::If(s) => s.span,
        Stmt::Repeat(s) => s.span,
        Stmt::For(s) => s.span,
        Stmt::Fail(s) => s.span,
        Stmt::OnFailure(s) | Stmt::Finally(s) => s.span,
    }
}
