//! A `watch` step: its poll (a `run` step's command, directory, environment and outputs), its
//! interval and duration, and its `fail when` / `pass when` judgements over the outputs.

use super::attrs::known_ms;
use super::attrs::Place;
use super::cx::{Cx, LoopVar};
use super::CheckDiagnostic;
use crate::ir::{self, format_duration, Expr, ExprKind, Node, StepIdx, StepKind, TemplatePart, Type};
use crate::syntax::ast::{self, AttrKind};

impl Cx<'_, '_> {
    pub(super) fn lower_watch(&mut self, watch: &ast::Watch, index: Option<StepIdx>) -> Option<Node> {
        let attrs = self.attrs_only(Some(&watch.body), Place::Watch);
        let common = self.common(&attrs);
        let command = self.command(&watch.command);
        let every = self.positive_duration(&watch.every, "a watch's interval");
        let duration = self.positive_duration(&watch.duration, "a watch's duration");
        let lasts = duration.as_ref().and_then(known_ms);
        if let (Some(every), Some(lasts)) = (every.as_ref(), lasts) {
            if known_ms(every).is_some_and(|every| every > lasts) {
                self.report(CheckDiagnostic::WatchIntervalTooLong {
                    every: format_duration(known_ms(every).unwrap_or_default()),
                    duration: format_duration(lasts),
                    span: every.span,
                });
            }
        }
        let mut poll = ir::Run { command, dir: None, env: indexmap::IndexMap::new(), outputs: Vec::new(), cost: None };
        for attr in &attrs {
            match &attr.kind {
                AttrKind::Dir(expr) => {
                    let dir = self.expr(expr);
                    self.expect_type(&dir, &Type::String, "a directory");
                    poll.dir = Some(dir);
                }
                AttrKind::Env(vars) => poll.env = self.env(vars),
                AttrKind::Output { name, source, .. } => {
                    let ty = index
                        .and_then(|index| self.flow.steps.get(index).fields.get(&name.name).cloned())
                        .unwrap_or(Type::Unknown);
                    if let Some(output) = self.output(name, ty, source) {
                        poll.outputs.push(output);
                    }
                }
                _ => {}
            }
        }
        // The conditions read the outputs by their bare names, as loop variables are read.
        let depth = self.loop_vars.len();
        self.loop_vars.extend(poll.outputs.iter().map(|output| LoopVar {
            name: output.name.clone(),
            ty: output.ty.clone(),
            // Conditions must read them, which the check below says; never "unused".
            used: true,
        }));
        let (mut fail, mut pass) = (None, None);
        for attr in &attrs {
            match &attr.kind {
                AttrKind::FailWhen(judgement) => {
                    fail = self.judgement(judgement, "fail when", &poll, lasts, watch, depth);
                }
                AttrKind::PassWhen(judgement) => {
                    pass = self.judgement(judgement, "pass when", &poll, lasts, watch, depth);
                }
                _ => {}
            }
        }
        self.loop_vars.truncate(depth);
        let has_fail = attrs.iter().any(|attr| matches!(attr.kind, AttrKind::FailWhen(_)));
        if !has_fail {
            self.report(CheckDiagnostic::MissingAttribute {
                what: format!("watch step `{}`", watch.name.name),
                attr: "fail when",
                span: watch.name.span,
                help: Some("say when what it watches is bad: `fail when err > 1% for 5m`".into()),
            });
        }
        if let (Some(every), Some(duration), Some(fail)) = (every, duration, fail) {
            self.define(index, StepKind::Watch(Box::new(ir::Watch { poll, every, duration, fail, pass })), common);
        }
        index.map(Node::Step)
    }

    fn judgement(
        &mut self,
        judgement: &ast::Judgement,
        what: &'static str,
        poll: &ir::Run,
        lasts: Option<u64>,
        watch: &ast::Watch,
        outputs_at: usize,
    ) -> Option<ir::Judgement> {
        let cond = self.condition(&judgement.cond);
        let names: Vec<&str> = poll.outputs.iter().map(|output| output.name.as_str()).collect();
        if !cond.ty.is_unknown() && !reads_any(&cond, &names) {
            let help = match poll.outputs.first() {
                Some(first) => format!(
                    "a watch judges what each poll read: compare one of its outputs ({}), such as `{what} {} > …`",
                    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", "),
                    first.name
                ),
                None => "a watch judges what each poll read: declare it, such as `output err: percent = \
                         json(stdout, \"/error_rate\")`, and compare it: `fail when err > 1%`"
                    .into(),
            };
            self.report(CheckDiagnostic::WatchConditionWithoutOutput { what, help, span: cond.span });
        }
        // A window is known before the run: the outputs, which only a poll reads, are not in
        // its scope (a loop variable would be).
        let outputs = self.loop_vars.split_off(outputs_at);
        let window = match &judgement.window {
            Some(window) => self.duration_attr(window, "a window"),
            None => None,
        };
        self.loop_vars.extend(outputs);
        if judgement.window.is_some() && window.is_none() {
            return None;
        }
        if let (Some(window), Some(lasts)) = (window.as_ref(), lasts) {
            if let Some(ms) = known_ms(window).filter(|&ms| ms > lasts) {
                self.report(CheckDiagnostic::WatchWindowTooLong {
                    what,
                    window: format_duration(ms),
                    duration: format_duration(lasts),
                    span: window.span,
                    watch: watch.duration.span,
                });
            }
        }
        Some(ir::Judgement { cond, window })
    }
}

/// Whether `expr` reads one of `names` (the watch's outputs, as loop variables).
fn reads_any(expr: &Expr, names: &[&str]) -> bool {
    let any = |exprs: &[Expr]| exprs.iter().any(|expr| reads_any(expr, names));
    match &expr.kind {
        ExprKind::LoopVar(name) => names.contains(&name.as_str()),
        ExprKind::Value(_) | ExprKind::Param(_) | ExprKind::Step { .. } => false,
        ExprKind::List(items) => any(items),
        ExprKind::Record(fields) => fields.values().any(|field| reads_any(field, names)),
        ExprKind::Template(template) => template.parts.iter().any(|part| match part {
            TemplatePart::Text(_) => false,
            TemplatePart::Expr(expr) => reads_any(expr, names),
        }),
        ExprKind::Field { base, .. } => reads_any(base, names),
        ExprKind::Index { base, index } => reads_any(base, names) || reads_any(index, names),
        ExprKind::Call { args, .. } => any(args),
        ExprKind::Unary { operand, .. } => reads_any(operand, names),
        ExprKind::Binary { lhs, rhs, .. } => reads_any(lhs, names) || reads_any(rhs, names),
    }
}
