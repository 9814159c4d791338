//! The file and its items: `use`, `const`, `model`, `provider` and `workflow`.
//!
//! Items keep their order and the blank lines between them (at most one). A model's and a
//! provider's attributes take one line each; a workflow's parameters stay on its line while
//! it fits and hold no comment, and otherwise take one line each, with a trailing comma.

use super::expr::type_expr;
use super::layout::fits;
use super::literal::literal;
use super::printer::{ListLine, Printer};
use super::stmt::BlockKind;
use crate::span::Span;
use crate::syntax::ast::{
    Const, File, Item, Model, ModelAttr, Param, PriceKind, Provider, ProviderAttr, Use, UseTarget, Workflow,
};

fn item_span(item: &Item) -> Span {
    match item {
        Item::Use(item) => item.span,
        Item::Const(item) => item.span,
        Item::Model(item) => item.span,
        Item::Provider(item) => item.span,
        Item::Workflow(item) => item.span,
    }
}

impl Printer<'_> {
    pub(super) fn file(&mut self, file: &File) {
        self.sequence(&file.items, item_span, self.source.len(), 0, Self::item);
    }

    fn item(&mut self, item: &Item, depth: usize) {
        match item {
            Item::Use(item) => self.use_item(item, depth),
            Item::Const(item) => self.const_item(item, depth),
            Item::Model(item) => self.model(item, depth),
            Item::Provider(item) => self.provider(item, depth),
            Item::Workflow(item) => self.workflow(item, depth),
        }
    }

    /// An item on one line; comments inside it move before it.
    fn one_line(&mut self, span: Span, text: String, depth: usize) {
        let end = self.comments.tight_end(span);
        self.hoist(end, depth);
        self.push(depth, text);
    }

    fn use_item(&mut self, item: &Use, depth: usize) {
        let mut text = match &item.target {
            UseTarget::Std { path, .. } => {
                let segments: Vec<&str> = path.iter().map(|segment| segment.name.as_str()).collect();
                format!("use std/{}", segments.join("/"))
            }
            UseTarget::Path { span, .. } => format!("use {}", &self.source[span.start..span.end]),
        };
        if let Some(alias) = &item.alias {
            text.push_str(&format!(" as {}", alias.name));
        }
        self.one_line(item.span, text, depth);
    }

    fn const_item(&mut self, item: &Const, depth: usize) {
        let ty = item.ty.as_ref().map(|ty| format!(": {}", type_expr(ty))).unwrap_or_default();
        let text = format!("const {}{ty} = {}", item.name.name, self.expr(&item.value, depth));
        self.one_line(item.span, text, depth);
    }

    /// `head {`, then `attrs` one per line, then `}`; `head {}` when empty.
    fn declaration(&mut self, head: String, name_end: usize, span: Span, attrs: &[ListLine], depth: usize) {
        let open = self.comments.find(name_end, '{', &[]).unwrap_or(name_end);
        let close = self.comments.tight_end(span).saturating_sub(1);
        self.hoist(open, depth);
        if attrs.is_empty() && !self.comments.any_before(close) {
            self.push(depth, format!("{head} {{}}"));
        } else {
            self.broken_list(depth, format!("{head} {{"), (open, close), attrs, "", "}");
        }
    }

    fn model(&mut self, model: &Model, depth: usize) {
        let attrs: Vec<ListLine> = model
            .attrs
            .iter()
            .map(|attr| match attr {
                ModelAttr::Id { value, span } => {
                    ListLine { span: *span, text: format!("id {}", self.string(value, depth + 1)) }
                }
                ModelAttr::Price { kind, price, span } => {
                    let kind = match kind {
                        PriceKind::Input => "input",
                        PriceKind::Output => "output",
                        PriceKind::Cached => "cached",
                    };
                    let text = format!("{kind} {} per {}", literal(&price.money), literal(&price.per));
                    ListLine { span: *span, text }
                }
            })
            .collect();
        self.declaration(format!("model {}", model.name.name), model.name.span.end, model.span, &attrs, depth);
    }

    fn provider(&mut self, provider: &Provider, depth: usize) {
        let attrs: Vec<ListLine> = provider
            .attrs
            .iter()
            .map(|attr| {
                let (span, text) = match attr {
                    ProviderAttr::Kind { value, span } => (span, format!("kind {}", value.name)),
                    ProviderAttr::Url { value, span } => (span, format!("url {}", self.string(value, depth + 1))),
                    ProviderAttr::Command { value, span } => {
                        (span, format!("command {}", self.string(value, depth + 1)))
                    }
                    ProviderAttr::Key { value, span } => (span, format!("key {}", value.name)),
                    ProviderAttr::Model { value, span } => (span, format!("model {}", self.string(value, depth + 1))),
                    ProviderAttr::Format { value, span } => (span, format!("format {}", value.name)),
                };
                ListLine { span: *span, text }
            })
            .collect();
        let head = format!("provider {}", provider.name.name);
        self.declaration(head, provider.name.span.end, provider.span, &attrs, depth);
    }

    fn workflow(&mut self, workflow: &Workflow, depth: usize) {
        let open = self.comments.find(workflow.name.span.end, '(', &[]).unwrap_or(workflow.name.span.end);
        let after_params = workflow.params.last().map_or(open + 1, |param| self.comments.tight_end(param.span));
        let close = self.comments.find(after_params, ')', &[',']).unwrap_or(after_params);
        self.hoist(open, depth);
        let head = format!("workflow {}", workflow.name.name);
        let params: Vec<ListLine> = workflow
            .params
            .iter()
            .map(|param| ListLine { span: param.span, text: self.param(param, depth + 1) })
            .collect();
        let flat = format!("{head}({})", params.iter().map(|param| param.text.as_str()).collect::<Vec<_>>().join(", "));
        let head = if !self.comments.any_before(close) && fits(depth, &format!("{flat} {{")) {
            flat
        } else {
            self.broken_list(depth, format!("{head}("), (open, close), &params, ",", ")");
            self.continue_line().unwrap_or_else(|| ")".to_owned())
        };
        self.block(&head, &workflow.body, depth, BlockKind::Statements);
    }

    fn param(&self, param: &Param, depth: usize) -> String {
        let mut text = format!("{}: {}", param.name.name, type_expr(&param.ty));
        if let Some(default) = &param.default {
            text.push_str(&format!(" = {}", self.expr(default, depth)));
        }
        text
    }
}
