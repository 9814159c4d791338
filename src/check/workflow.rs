//! Pass 3: one workflow — its attributes, its steps (collected first, so that a reference to
//! a later step says "not yet run" rather than "unknown"), then its statements in order.

use indexmap::IndexMap;

use super::attrs::Place;
use super::cx::Cx;
use super::flow::ContainerKind;
use super::stmt::{statements, Collector, Handlers};
use super::{CheckDiagnostic, Checker};
use crate::ir::{self, step_hash, Mode, ProviderRef, Step, WorkflowId};
use crate::span::Span;
use crate::syntax::ast::{self, AttrKind};

pub(super) fn check_workflow(
    ch: &mut Checker,
    module: usize,
    id: WorkflowId,
    workflow: &ast::Workflow,
) -> ir::Workflow {
    let params = ch.signatures[id.0].params.clone().unwrap_or_default();

    let mut collector = Collector::new(ch, module);
    let handlers = collector.workflow(workflow);
    let Collector { flow, pending, .. } = collector;

    let mut cx = Cx::new(ch, module, flow);
    cx.defined.resize_with(pending.len(), || None);
    cx.workflow = Some(id);
    cx.param_defaults.clone_from(&params);
    for param in &params {
        cx.params.insert(param.name.clone(), (param.ty.clone(), param.span, false));
    }
    for param in &params {
        if let Some(step) = cx.flow.steps.index(&param.name) {
            let span = cx.flow.steps.get(step).name_span;
            cx.report(CheckDiagnostic::DuplicateName { name: param.name.clone(), span, first: param.span });
        }
    }
    // A parameter or step named like a constant would hide it.
    let shadowing: Vec<(String, Span)> = params
        .iter()
        .map(|param| (param.name.clone(), param.span))
        .chain(cx.flow.steps.infos().iter().map(|info| (info.name.clone(), info.name_span)))
        .collect();
    for (name, span) in &shadowing {
        if let Some(first) = cx.ch.modules[module].consts.get(name).map(|item| item.name.span) {
            cx.report(CheckDiagnostic::DuplicateName { name: name.clone(), span: *span, first });
        }
    }

    let attrs = cx.attrs(&workflow.body.entries, Place::Workflow);
    let mut out = ir::Workflow {
        name: workflow.name.name.clone(),
        module: cx.ch.loaded.modules[module].std_name.clone(),
        file: cx.ch.loaded.modules[module].file,
        params,
        description: None,
        budget: ir::Budget::default(),
        periods: ir::Periods::default(),
        timeout: None,
        mode: Mode::Hybrid,
        provider: ProviderRef::Sim,
        model: None,
        concurrency: None,
        secrets: Vec::new(),
        env: IndexMap::new(),
        shell: "sh".to_string(),
        body: Vec::new(),
        on_failure: Vec::new(),
        finally: Vec::new(),
        steps: Vec::new(),
        span: workflow.span,
    };
    // Secrets first: every expression after this must know them.
    for attr in &attrs {
        if let AttrKind::Secret(name) = &attr.kind {
            // A parameter, step or constant of the same name would hide the secret from the leak checks.
            let taken = shadowing
                .iter()
                .find(|(other, _)| *other == name.name)
                .map(|(_, span)| *span)
                .or_else(|| cx.ch.modules[module].consts.get(&name.name).map(|item| item.name.span));
            if let Some(first) = taken {
                cx.report(CheckDiagnostic::DuplicateName { name: name.name.clone(), span: name.span, first });
            } else if let Some(&first) = cx.secrets.get(&name.name) {
                cx.report(CheckDiagnostic::DuplicateName { name: name.name.clone(), span: name.span, first });
            } else {
                cx.secrets.insert(name.name.clone(), name.span);
                out.secrets.push(name.name.clone());
            }
        }
    }
    for attr in &attrs {
        match &attr.kind {
            AttrKind::Description(text) => out.description = cx.template(text).as_plain(),
            AttrKind::Budget { amount, per: None, warn_at } => {
                cx.budget(&mut out.budget, amount, warn_at.as_ref(), attr.span);
            }
            AttrKind::Budget { amount, per: Some(per), warn_at } => match ir::Period::from_name(&per.name) {
                Some(period) => {
                    let what = format!("budget per {}", period.name());
                    cx.budget_named(out.periods.get_mut(period), &what, amount, warn_at.as_ref(), attr.span);
                }
                None => cx.report(super::items::invalid_choice("budget period", per, ir::Period::NAMES)),
            },
            AttrKind::Timeout(expr) => out.timeout = cx.positive_duration(expr, "a timeout"),
            AttrKind::Mode(mode) => out.mode = cx.mode(mode),
            AttrKind::Provider(path) => out.provider = cx.ch.resolve_provider(module, path).unwrap_or(ProviderRef::Sim),
            AttrKind::Model(path) => {
                cx.default_model_given = true;
                out.model = cx.ch.resolve_model(module, path);
            }
            AttrKind::Concurrency(expr) => out.concurrency = cx.bound(expr, "concurrency", 1),
            AttrKind::Env(vars) => out.env = cx.env(vars),
            AttrKind::Shell(shell) => out.shell = cx.template(shell).as_plain().unwrap_or_else(|| "sh".to_string()),
            _ => {}
        }
    }
    cx.default_model = out.model;
    cx.default_provider = out.provider;

    let Handlers { body, on_failure, finally } = handlers;
    cx.flow.enter(ContainerKind::Root, workflow.span, None, 0);
    out.body = cx.lower_sequence(&body, &workflow.body, true);
    if let Some(handler) = on_failure {
        cx.flow.set_child(1);
        out.on_failure = cx.lower_sequence(&statements(&handler.body), &handler.body, false);
    }
    if let Some(handler) = finally {
        cx.flow.set_child(2);
        out.finally = cx.lower_sequence(&statements(&handler.body), &handler.body, false);
    }
    cx.flow.leave();

    for (name, (_, span, used)) in &cx.params {
        if !used {
            let (name, span) = (name.clone(), *span);
            cx.ch.report(module, CheckDiagnostic::UnusedParam { name, span });
        }
    }

    let defined = std::mem::take(&mut cx.defined);
    out.steps = std::mem::take(&mut cx.flow.steps)
        .into_infos()
        .into_iter()
        .zip(pending)
        .zip(defined)
        .map(|((info, span), defined)| {
            let (kind, common) = defined.unwrap_or((ir::StepKind::Block(ir::BlockKind::Phase), ir::Common::default()));
            let hash = step_hash(&(&info.name, &kind, &common));
            Step { id: info.id, name: info.name, kind, common, hash, span, fields: info.fields }
        })
        .collect();
    out
}

impl Cx<'_, '_> {
    /// `env { K: EXPR }`: string values, keys unique.
    pub fn env(&mut self, vars: &[ast::EnvVar]) -> IndexMap<String, ir::Expr> {
        let mut out = IndexMap::new();
        let mut spans: IndexMap<&str, Span> = IndexMap::new();
        for var in vars {
            if let Some(&first) = spans.get(var.name.name.as_str()) {
                self.report(CheckDiagnostic::DuplicateName { name: var.name.name.clone(), span: var.name.span, first });
                continue;
            }
            spans.insert(&var.name.name, var.name.span);
            let value = self.expr(&var.value);
            self.expect_type(&value, &ir::Type::String, "environment values are strings; write `\"{{x}}\"` to convert");
            out.insert(var.name.name.clone(), value);
        }
        out
    }
}
