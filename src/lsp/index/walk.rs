//! The walk that fills an [`Index`]: declarations first-come as the checker keeps them,
//! references resolved in the checker's order.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::{Index, ItemKind, LiteralAt, Occurrence, StepDecl, StepKind, Symbol, UsePath, WorkflowInfo};
use crate::check::use_name;
use crate::ir::{Program, StepIdx};
use crate::load::Loaded;
use crate::span::Span;
use crate::syntax::ast::{self, AttrKind, Entry, ExprKind, Item, Stmt};

/// Records every name of module 0 of `loaded` in `index`.
pub(super) fn file(index: &mut Index, loaded: &Loaded, program: &Program) {
    let Some(root) = loaded.modules.first() else { return };
    let mut walker =
        Walker { index, loaded, program, workflow: None, loop_vars: Vec::new(), step: None, outputs: Vec::new() };
    let mut uses = root.uses.iter();
    for item in &root.ast.items {
        match item {
            Item::Use(item) => {
                let module = uses.next().copied().flatten();
                let span = match &item.target {
                    ast::UseTarget::Std { span, .. } | ast::UseTarget::Path { span, .. } => *span,
                };
                walker.index.uses.push(UsePath { span, module });
                if let Some((alias, span)) = use_name(item) {
                    walker.push(span, Symbol::Module { alias });
                }
            }
            Item::Const(item) => {
                walker.item_decl(ItemKind::Const, &item.name);
                walker.expr(&item.value);
            }
            Item::Model(item) => {
                walker.item_decl(ItemKind::Model, &item.name);
                for attr in &item.attrs {
                    if let ast::ModelAttr::Price { price, .. } = attr {
                        walker.literal(&price.money);
                        walker.literal(&price.per);
                    }
                }
            }
            Item::Provider(item) => walker.item_decl(ItemKind::Provider, &item.name),
            Item::Workflow(item) => walker.workflow(item),
        }
    }
}

/// The walk over the document's AST.
struct Walker<'i, 'a> {
    index: &'i mut Index,
    loaded: &'a Loaded,
    program: &'a Program,
    /// The workflow being walked: an index into `index.workflows`.
    workflow: Option<usize>,
    /// Enclosing `for` variables, innermost last: name and declaration.
    loop_vars: Vec<(String, Span)>,
    /// The step whose attributes are being walked (`output` and `returns` declare its values).
    step: Option<String>,
    /// In a `watch`, its outputs: its conditions read them by their bare names.
    outputs: Vec<String>,
}

impl Walker<'_, '_> {
    fn push(&mut self, span: Span, symbol: Symbol) {
        self.index.occurrences.push(Occurrence { span, symbol });
    }

    fn item_decl(&mut self, kind: ItemKind, name: &ast::Ident) {
        self.push(name.span, Symbol::Item { kind, module: 0, name: name.name.clone() });
    }

    fn literal(&mut self, literal: &ast::Literal) {
        if matches!(
            literal.value,
            ast::LitValue::Duration(_) | ast::LitValue::Money(_) | ast::LitValue::Tokens(_) | ast::LitValue::Percent(_)
        ) {
            self.index.literals.push(LiteralAt {
                span: literal.span,
                value: literal.value,
                text: literal.text.clone(),
            });
        }
    }

    fn workflow(&mut self, workflow: &ast::Workflow) {
        let file = self.loaded.modules[0].file;
        let program = self.program;
        let ir = program.workflows.iter().position(|checked| checked.file == file && checked.span == workflow.span);
        let mut info = WorkflowInfo {
            name: workflow.name.name.clone(),
            span: workflow.span,
            ir,
            steps: IndexMap::new(),
            params: IndexMap::new(),
            secrets: Vec::new(),
            loop_vars: HashMap::new(),
            field_decls: HashMap::new(),
        };
        for param in &workflow.params {
            info.params.entry(param.name.name.clone()).or_insert(param.name.span);
        }
        collect_steps(&workflow.body, &mut info.steps);
        if let Some(checked) = ir.map(|ir| &program.workflows[ir]) {
            for (name, decl) in &mut info.steps {
                decl.ir =
                    checked.steps.iter().position(|step| step.span == decl.span && step.name == *name).map(StepIdx);
            }
        }
        for entry in &workflow.body.entries {
            if let Entry::Attr(ast::Attr { kind: AttrKind::Secret(name), .. }) = entry {
                info.secrets.push(name.name.clone());
            }
        }
        self.index.workflows.push(info);
        let id = self.index.workflows.len() - 1;
        self.push(
            workflow.name.span,
            Symbol::Item { kind: ItemKind::Workflow, module: 0, name: workflow.name.name.clone() },
        );
        for param in &workflow.params {
            let symbol =
                Symbol::Param { module: 0, workflow: workflow.name.name.clone(), name: param.name.name.clone() };
            self.push(param.name.span, symbol);
            // Defaults are constants: only constants are in scope.
            if let Some(default) = &param.default {
                self.expr(default);
            }
        }
        self.workflow = Some(id);
        self.block(&workflow.body);
        self.workflow = None;
    }

    fn block(&mut self, block: &ast::Block) {
        for entry in &block.entries {
            match entry {
                Entry::Attr(attr) => self.attr(attr),
                Entry::Stmt(stmt) => self.stmt(stmt),
            }
        }
    }

    fn step_decl(&mut self, name: &ast::Ident) {
        if let Some(workflow) = self.workflow {
            self.push(name.span, Symbol::Step { workflow, name: name.name.clone() });
        }
    }

    /// A step's `{ attributes }`, where `output` and `returns` declare the step's values.
    fn step_attrs(&mut self, name: &ast::Ident, attrs: Option<&ast::Block>) {
        let outer = self.step.replace(name.name.clone());
        if let Some(block) = attrs {
            self.block(block);
        }
        self.step = outer;
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Phase(phase) => {
                self.step_decl(&phase.name);
                self.block(&phase.body);
            }
            Stmt::Run(run) => {
                self.step_decl(&run.name);
                self.string(&run.command);
                self.step_attrs(&run.name, run.attrs.as_ref());
            }
            Stmt::Agent(agent) => {
                self.step_decl(&agent.name);
                self.string(&agent.role);
                self.step_attrs(&agent.name, agent.attrs.as_ref());
            }
            Stmt::Call(call) => {
                self.step_decl(&call.name);
                let target = self.item_path(&call.target, ItemKind::Workflow);
                for arg in &call.args {
                    if let Some((module, workflow)) = &target {
                        let symbol =
                            Symbol::Param { module: *module, workflow: workflow.clone(), name: arg.name.name.clone() };
                        self.push(arg.name.span, symbol);
                    }
                    self.expr(&arg.value);
                }
                self.step_attrs(&call.name, call.attrs.as_ref());
            }
            Stmt::Gate(gate) => {
                self.step_decl(&gate.name);
                self.step_attrs(&gate.name, Some(&gate.body));
            }
            Stmt::Wait(wait) => {
                self.step_decl(&wait.name);
                self.expr(&wait.duration);
                self.step_attrs(&wait.name, wait.attrs.as_ref());
            }
            Stmt::Watch(watch) => {
                self.step_decl(&watch.name);
                self.string(&watch.command);
                self.expr(&watch.every);
                self.expr(&watch.duration);
                self.outputs = watch
                    .body
                    .entries
                    .iter()
                    .filter_map(|entry| match entry {
                        Entry::Attr(ast::Attr { kind: AttrKind::Output { name, .. }, .. }) => Some(name.name.clone()),
                        _ => None,
                    })
                    .collect();
                self.step_attrs(&watch.name, Some(&watch.body));
                self.outputs.clear();
            }
            Stmt::Parallel(parallel) => {
                if let Some(name) = &parallel.name {
                    self.step_decl(name);
                }
                if let Some(max) = &parallel.max {
                    self.expr(max);
                }
                self.block(&parallel.body);
            }
            Stmt::If(branch) => {
                for (cond, block) in &branch.branches {
                    self.expr(cond);
                    self.block(block);
                }
                if let Some(block) = &branch.otherwise {
                    self.block(block);
                }
            }
            Stmt::Repeat(repeat) => {
                if let Some(name) = &repeat.name {
                    self.step_decl(name);
                }
                self.expr(&repeat.max);
                self.block(&repeat.body);
                if let Some(until) = &repeat.until {
                    self.expr(until);
                }
            }
            Stmt::For(each) => {
                if let Some(name) = &each.name {
                    self.step_decl(name);
                }
                self.expr(&each.iter);
                if let Some(Some(max)) = &each.parallel {
                    self.expr(max);
                }
                let vars: Vec<&ast::Ident> = each.index.iter().chain([&each.var]).collect();
                for var in &vars {
                    if let Some(workflow) = self.workflow {
                        self.index.workflows[workflow].loop_vars.insert(var.span, (var.name.clone(), each.span));
                    }
                    self.push(var.span, Symbol::LoopVar { decl: var.span });
                    self.loop_vars.push((var.name.clone(), var.span));
                }
                self.block(&each.body);
                self.loop_vars.truncate(self.loop_vars.len() - vars.len());
            }
            Stmt::Fail(fail) => self.string(&fail.message),
            Stmt::OnFailure(handler) | Stmt::Finally(handler) => self.block(&handler.body),
        }
    }

    fn attr(&mut self, attr: &ast::Attr) {
        match &attr.kind {
            AttrKind::Description(text)
            | AttrKind::Shell(text)
            | AttrKind::Undo(text)
            | AttrKind::Prompt(text)
            | AttrKind::Approve(text) => self.string(text),
            AttrKind::Budget { amount, warn_at, .. } => {
                self.expr(amount);
                if let Some(warn_at) = warn_at {
                    self.expr(warn_at);
                }
            }
            AttrKind::Timeout(expr)
            | AttrKind::Concurrency(expr)
            | AttrKind::Dir(expr)
            | AttrKind::Expect(expr)
            | AttrKind::Cost(expr) => self.expr(expr),
            AttrKind::Mode(_) | AttrKind::Secret(_) | AttrKind::Risk(_) | AttrKind::OnTimeout(_) => {}
            AttrKind::Provider(path) => {
                self.item_path(path, ItemKind::Provider);
            }
            AttrKind::Model(path) => {
                self.item_path(path, ItemKind::Model);
            }
            AttrKind::Env(vars) => {
                for var in vars {
                    self.expr(&var.value);
                }
            }
            AttrKind::Retry { count, backoff, on } => {
                self.expr(count);
                if let Some((low, high)) = backoff {
                    self.expr(low);
                    self.expr(high);
                }
                for kind in on {
                    if let ast::RetryOn::Exit { code, .. } = kind {
                        self.expr(code);
                    }
                }
            }
            AttrKind::OnFailure { message, .. } => {
                if let Some(message) = message {
                    self.string(message);
                }
            }
            AttrKind::Output { name, source, .. } => {
                self.field_decl(name);
                self.string(&source.pattern);
            }
            AttrKind::Returns(fields) => {
                for field in fields {
                    self.field_decl(&field.name);
                }
            }
            AttrKind::Require { cond, message } | AttrKind::Warn { cond, message } => {
                self.expr(cond);
                self.string(message);
            }
            AttrKind::FailWhen(judgement) | AttrKind::PassWhen(judgement) => {
                self.expr(&judgement.cond);
                if let Some(window) = &judgement.window {
                    self.expr(window);
                }
            }
        }
    }

    /// `output NAME` or a `returns` field: one of the current step's values.
    fn field_decl(&mut self, name: &ast::Ident) {
        let (Some(workflow), Some(step)) = (self.workflow, self.step.clone()) else { return };
        self.index.workflows[workflow].field_decls.entry((step.clone(), name.name.clone())).or_insert(name.span);
        self.push(name.span, Symbol::Field { workflow, step, field: name.name.clone() });
    }

    /// A `model`, `provider` or `call` target: `NAME` or `alias.NAME`. Returns the module and
    /// name it resolves to.
    fn item_path(&mut self, path: &ast::Path, kind: ItemKind) -> Option<(usize, String)> {
        match path.segments.as_slice() {
            [name] => {
                self.push(name.span, Symbol::Item { kind, module: 0, name: name.name.clone() });
                Some((0, name.name.clone()))
            }
            [alias, name] => {
                let target = self.index.modules[0].aliases.get(&alias.name).map(|(target, _)| *target);
                if target.is_some() {
                    self.push(alias.span, Symbol::Module { alias: alias.name.clone() });
                }
                let module = target.flatten()?;
                self.push(name.span, Symbol::Item { kind, module, name: name.name.clone() });
                Some((module, name.name.clone()))
            }
            _ => None,
        }
    }

    fn string(&mut self, string: &ast::StringLit) {
        for part in &string.parts {
            if let ast::StrPart::Interp(expr) = part {
                self.expr(expr);
            }
        }
    }

    fn expr(&mut self, expr: &ast::Expr) {
        match &expr.kind {
            ExprKind::Literal(literal) => self.literal(literal),
            ExprKind::Str(string) => self.string(string),
            ExprKind::List(items) => {
                for item in items {
                    self.expr(item);
                }
            }
            ExprKind::Record(fields) => {
                for field in fields {
                    self.expr(&field.value);
                }
            }
            ExprKind::Name(name) => {
                self.name(name, expr.span);
            }
            ExprKind::Field { base, field } => self.field(base, field),
            ExprKind::Index { base, index } => {
                self.expr(base);
                self.expr(index);
            }
            ExprKind::Call { args, .. } => {
                for arg in args {
                    self.expr(arg);
                }
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
        }
    }

    /// What a bare name means here, in the checker's order: a loop variable, a step, a
    /// parameter, a constant, then a module alias.
    fn resolve(&self, name: &str) -> Option<Symbol> {
        if let (Some(workflow), Some(step)) = (self.workflow, &self.step) {
            if self.outputs.iter().any(|output| output == name) {
                return Some(Symbol::Field { workflow, step: step.clone(), field: name.to_string() });
            }
        }
        if let Some((_, decl)) = self.loop_vars.iter().rev().find(|(var, _)| var == name) {
            return Some(Symbol::LoopVar { decl: *decl });
        }
        if let Some(workflow) = self.workflow {
            let info = &self.index.workflows[workflow];
            if info.steps.contains_key(name) {
                return Some(Symbol::Step { workflow, name: name.to_string() });
            }
            if info.params.contains_key(name) {
                return Some(Symbol::Param { module: 0, workflow: info.name.clone(), name: name.to_string() });
            }
        }
        let module = &self.index.modules[0];
        if module.consts.contains_key(name) {
            return Some(Symbol::Item { kind: ItemKind::Const, module: 0, name: name.to_string() });
        }
        module.aliases.contains_key(name).then(|| Symbol::Module { alias: name.to_string() })
    }

    fn name(&mut self, name: &str, span: Span) -> Option<Symbol> {
        let symbol = self.resolve(name)?;
        self.push(span, symbol.clone());
        Some(symbol)
    }

    fn field(&mut self, base: &ast::Expr, field: &ast::Ident) {
        let ExprKind::Name(name) = &base.kind else {
            self.expr(base);
            return;
        };
        match self.name(name, base.span) {
            // `alias.NAME` in an expression names a constant of that module.
            Some(Symbol::Module { alias }) => {
                let target = self.index.modules[0].aliases.get(&alias).and_then(|(target, _)| *target);
                if let Some(module) = target {
                    if self.index.modules[module].consts.contains_key(&field.name) {
                        let symbol = Symbol::Item { kind: ItemKind::Const, module, name: field.name.clone() };
                        self.push(field.span, symbol);
                    }
                }
            }
            Some(Symbol::Step { workflow, name }) => {
                let symbol = Symbol::Field { workflow, step: name, field: field.name.clone() };
                self.push(field.span, symbol);
            }
            _ => {}
        }
    }
}

/// Every named step and block of a workflow, in source order; the first of a name wins.
fn collect_steps(block: &ast::Block, steps: &mut IndexMap<String, StepDecl>) {
    for entry in &block.entries {
        let Entry::Stmt(stmt) = entry else { continue };
        let mut add = |name: &ast::Ident, span: Span, kind: StepKind| {
            steps.entry(name.name.clone()).or_insert(StepDecl { name_span: name.span, span, kind, ir: None });
        };
        match stmt {
            Stmt::Run(run) => add(&run.name, run.span, StepKind::Run),
            Stmt::Agent(agent) => add(&agent.name, agent.span, StepKind::Agent),
            Stmt::Call(call) => add(&call.name, call.span, StepKind::Call),
            Stmt::Gate(gate) => add(&gate.name, gate.span, StepKind::Gate),
            Stmt::Wait(wait) => add(&wait.name, wait.span, StepKind::Wait),
            Stmt::Watch(watch) => add(&watch.name, watch.span, StepKind::Watch),
            Stmt::Phase(phase) => {
                add(&phase.name, phase.span, StepKind::Phase);
                collect_steps(&phase.body, steps);
            }
            Stmt::Parallel(parallel) => {
                if let Some(name) = &parallel.name {
                    add(name, parallel.span, StepKind::Parallel);
                }
                collect_steps(&parallel.body, steps);
            }
            Stmt::Repeat(repeat) => {
                if let Some(name) = &repeat.name {
                    add(name, repeat.span, StepKind::Repeat);
                }
                collect_steps(&repeat.body, steps);
            }
            Stmt::For(each) => {
                if let Some(name) = &each.name {
                    add(name, each.span, StepKind::For);
                }
                collect_steps(&each.body, steps);
            }
            Stmt::If(branch) => {
                for (_, block) in &branch.branches {
                    collect_steps(block, steps);
                }
                if let Some(block) = &branch.otherwise {
                    collect_steps(block, steps);
                }
            }
            Stmt::OnFailure(handler) | Stmt::Finally(handler) => collect_steps(&handler.body, steps),
            Stmt::Fail(_) => {}
        }
    }
}
