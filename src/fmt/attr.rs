//! Attributes: each on one line, except `env { }` and `returns { }` when they do not fit or
//! hold comments, which then take one field per line.

use super::expr::{braced, field_type, type_expr};
use super::layout::fits;
use super::printer::{ListLine, Printer};
use crate::syntax::ast::{Attr, AttrKind, RetryOn};

impl Printer<'_> {
    /// Prints an attribute as an entry of a block at `depth`.
    pub(super) fn attr(&mut self, attr: &Attr, depth: usize) {
        let fields = match &attr.kind {
            AttrKind::Env(vars) => Some(
                vars.iter()
                    .map(|var| ListLine {
                        span: var.span,
                        text: format!("{}: {}", var.name.name, self.expr(&var.value, depth + 1)),
                    })
                    .collect::<Vec<_>>(),
            ),
            AttrKind::Returns(fields) => {
                Some(fields.iter().map(|field| ListLine { span: field.span, text: field_type(field) }).collect())
            }
            _ => None,
        };
        if let Some(fields) = fields {
            return self.fields_attr(attr, &fields, depth);
        }
        let end = self.comments.tight_end(attr.span);
        self.hoist(end, depth);
        let text = self.attr_text(attr, depth);
        match &attr.kind {
            AttrKind::Require { message, .. } | AttrKind::Warn { message, .. } => {
                let message = self.string(message, depth);
                let at = text.len() - message.len();
                self.push_message(depth, text, at);
            }
            _ => self.push(depth, text),
        }
    }

    /// `env { A: 1, B: 2 }` on one line when it fits and holds no comment; otherwise one
    /// field per line, each with a comma.
    fn fields_attr(&mut self, attr: &Attr, fields: &[ListLine], depth: usize) {
        let keyword = &self.source[attr.keyword.start..attr.keyword.end];
        let close = self.comments.tight_end(attr.span).saturating_sub(1);
        let open = self.comments.find(attr.keyword.end, '{', &[]).unwrap_or(attr.keyword.end);
        self.hoist(open, depth);
        let flat = format!("{keyword} {}", braced(fields.iter().map(|field| field.text.clone())));
        if !self.comments.any_before(close) && (fields.is_empty() || fits(depth, &flat)) {
            self.push(depth, flat);
            return;
        }
        self.broken_list(depth, format!("{keyword} {{"), (open, close), fields, ",", "}");
    }

    /// An attribute on one line (but for a text block in it), for a line at `depth`.
    pub(super) fn attr_text(&self, attr: &Attr, depth: usize) -> String {
        let expr = |expr| self.expr(expr, depth);
        let string = |lit| self.string(lit, depth);
        match &attr.kind {
            AttrKind::Description(text) => format!("description {}", string(text)),
            AttrKind::Budget { amount, per, warn_at } => {
                let per = per.as_ref().map(|per| format!(" per {}", per.name)).unwrap_or_default();
                match warn_at {
                    Some(warn_at) => format!("budget {}{per} warn at {}", expr(amount), expr(warn_at)),
                    None => format!("budget {}{per}", expr(amount)),
                }
            }
            AttrKind::Timeout(duration) => format!("timeout {}", expr(duration)),
            AttrKind::Mode(mode) => format!("mode {}", mode.name),
            AttrKind::Provider(path) => format!("provider {}", path_text(&path.segments)),
            AttrKind::Model(path) => format!("model {}", path_text(&path.segments)),
            AttrKind::Concurrency(n) => format!("concurrency {}", expr(n)),
            AttrKind::Secret(name) => format!("secret {}", name.name),
            AttrKind::Env(vars) => {
                format!("env {}", braced(vars.iter().map(|var| format!("{}: {}", var.name.name, expr(&var.value)))))
            }
            AttrKind::Shell(shell) => format!("shell {}", string(shell)),
            AttrKind::Retry { count, backoff, on } => {
                let mut text = format!("retry {}", expr(count));
                if let Some((from, to)) = backoff {
                    text.push_str(&format!(" backoff {}..{}", expr(from), expr(to)));
                }
                if !on.is_empty() {
                    let kinds: Vec<String> = on
                        .iter()
                        .map(|kind| match kind {
                            RetryOn::Exit { code, .. } => format!("exit {}", expr(code)),
                            RetryOn::Timeout { .. } => "timeout".to_owned(),
                            RetryOn::Error { .. } => "error".to_owned(),
                            RetryOn::Any { .. } => "any".to_owned(),
                        })
                        .collect();
                    text.push_str(&format!(" on {}", kinds.join(", ")));
                }
                text
            }
            AttrKind::OnFailure { policy, message } => match message {
                Some(message) => format!("on failure {} {}", policy.name, string(message)),
                None => format!("on failure {}", policy.name),
            },
            AttrKind::Undo(command) => format!("undo run {}", string(command)),
            AttrKind::Risk(risk) => format!("risk {}", risk.name),
            AttrKind::Dir(dir) => format!("dir {}", expr(dir)),
            AttrKind::Expect(estimate) => format!("expect {}", expr(estimate)),
            AttrKind::Cost(cost) => format!("cost {}", expr(cost)),
            AttrKind::Output { name, ty, source } => format!(
                "output {}: {} = {}({}, {})",
                name.name,
                type_expr(ty),
                source.func.name,
                source.stream.name,
                string(&source.pattern)
            ),
            AttrKind::Prompt(prompt) => format!("prompt {}", string(prompt)),
            AttrKind::Returns(fields) => format!("returns {}", braced(fields.iter().map(field_type))),
            AttrKind::Require { cond, message } => format!("require {} {}", expr(cond), string(message)),
            AttrKind::Warn { cond, message } => format!("warn {} {}", expr(cond), string(message)),
            AttrKind::Approve(question) => format!("approve {}", string(question)),
            AttrKind::OnTimeout(action) => format!("on timeout {}", action.name),
            AttrKind::FailWhen(judgement) | AttrKind::PassWhen(judgement) => {
                let word = if matches!(attr.kind, AttrKind::FailWhen(_)) { "fail" } else { "pass" };
                match &judgement.window {
                    Some(window) => format!("{word} when {} for {}", expr(&judgement.cond), expr(window)),
                    None => format!("{word} when {}", expr(&judgement.cond)),
                }
            }
        }
    }
}

/// `models.sonnet`
pub(super) fn path_text(segments: &[crate::syntax::ast::Ident]) -> String {
    segments.iter().map(|segment| segment.name.as_str()).collect::<Vec<_>>().join(".")
}
