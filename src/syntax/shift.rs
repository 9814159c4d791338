//! Moving a tree: every span of an AST node shifted by the same number of bytes, for a node
//! parsed from a slice of a file, or for the nodes after an edit that changed the length of
//! the text before them (see [`super::reparse`]).
//!
//! Every match here names every variant and every struct is destructured whole, with no `_`
//! and no `..`: a new field or variant that holds a span does not compile until it is moved
//! too.

use super::ast::{
    Agent, Attr, AttrKind, Block, Call, Comment, Const, EnvVar, Expr, ExprKind, Fail, FieldInit, FieldType, File, For,
    Gate, Handler, Ident, If, Item, Judgement, Literal, Model, ModelAttr, NamedArg, OutputSource, Parallel, Param,
    Path, Phase, Price, Provider, ProviderAttr, Repeat, RetryOn, Run, Stmt, StrPart, StringLit, TypeExpr, Use,
    UseTarget, Wait, Watch, Workflow,
};
use crate::span::Span;

/// Moves every span of `file` (its items and its comments) by `delta` bytes.
pub fn file(file: &mut File, delta: isize) {
    let File { items, comments } = file;
    for node in items {
        item(node, delta);
    }
    for node in comments {
        comment(node, delta);
    }
}

pub fn comment(node: &mut Comment, delta: isize) {
    let Comment { text: _, span: at } = node;
    span(at, delta);
}

pub fn item(node: &mut Item, delta: isize) {
    match node {
        Item::Use(node) => use_item(node, delta),
        Item::Const(node) => const_item(node, delta),
        Item::Model(node) => model(node, delta),
        Item::Provider(node) => provider(node, delta),
        Item::Workflow(node) => workflow(node, delta),
    }
}

/// Moves one span; a span never moves before the start of the file.
pub fn span(span: &mut Span, delta: isize) {
    span.start = span.start.saturating_add_signed(delta);
    span.end = span.end.saturating_add_signed(delta);
}

fn ident(node: &mut Ident, delta: isize) {
    let Ident { name: _, span: at } = node;
    span(at, delta);
}

fn use_item(node: &mut Use, delta: isize) {
    let Use { target, alias, span: at } = node;
    match target {
        UseTarget::Std { path, span: at } => {
            path.iter_mut().for_each(|segment| ident(segment, delta));
            span(at, delta);
        }
        UseTarget::Path { path: _, span: at } => span(at, delta),
    }
    if let Some(alias) = alias {
        ident(alias, delta);
    }
    span(at, delta);
}

fn const_item(node: &mut Const, delta: isize) {
    let Const { name, ty, value, span: at } = node;
    ident(name, delta);
    if let Some(ty) = ty {
        type_expr(ty, delta);
    }
    expr(value, delta);
    span(at, delta);
}

fn model(node: &mut Model, delta: isize) {
    let Model { name, attrs, span: at } = node;
    ident(name, delta);
    for attr in attrs {
        match attr {
            ModelAttr::Id { value, span: at } => {
                string(value, delta);
                span(at, delta);
            }
            ModelAttr::Price { kind: _, price, span: at } => {
                let Price { money, per, span: price_at } = price;
                literal(money, delta);
                literal(per, delta);
                span(price_at, delta);
                span(at, delta);
            }
        }
    }
    span(at, delta);
}

fn provider(node: &mut Provider, delta: isize) {
    let Provider { name, attrs, span: at } = node;
    ident(name, delta);
    for attr in attrs {
        match attr {
            ProviderAttr::Kind { value, span: at }
            | ProviderAttr::Key { value, span: at }
            | ProviderAttr::Format { value, span: at } => {
                ident(value, delta);
                span(at, delta);
            }
            ProviderAttr::Url { value, span: at }
            | ProviderAttr::Command { value, span: at }
            | ProviderAttr::Model { value, span: at } => {
                string(value, delta);
                span(at, delta);
            }
        }
    }
    span(at, delta);
}

fn workflow(node: &mut Workflow, delta: isize) {
    let Workflow { name, params, body, span: at } = node;
    ident(name, delta);
    for param in params {
        let Param { name, ty, default, span: at } = param;
        ident(name, delta);
        type_expr(ty, delta);
        if let Some(default) = default {
            expr(default, delta);
        }
        span(at, delta);
    }
    block(body, delta);
    span(at, delta);
}

fn type_expr(node: &mut TypeExpr, delta: isize) {
    match node {
        TypeExpr::Named(name) => ident(name, delta),
        TypeExpr::List { elem, span: at } => {
            type_expr(elem, delta);
            span(at, delta);
        }
        TypeExpr::Record { fields, span: at } => {
            fields.iter_mut().for_each(|field| field_type(field, delta));
            span(at, delta);
        }
    }
}

fn field_type(node: &mut FieldType, delta: isize) {
    let FieldType { name, ty, span: at } = node;
    ident(name, delta);
    type_expr(ty, delta);
    span(at, delta);
}

pub fn block(node: &mut Block, delta: isize) {
    let Block { entries, span: at } = node;
    for entry in entries {
        match entry {
            super::ast::Entry::Attr(node) => attr(node, delta),
            super::ast::Entry::Stmt(node) => stmt(node, delta),
        }
    }
    span(at, delta);
}

fn optional_block(node: &mut Option<Block>, delta: isize) {
    if let Some(node) = node {
        block(node, delta);
    }
}

fn path(node: &mut Path, delta: isize) {
    let Path { segments, span: at } = node;
    segments.iter_mut().for_each(|segment| ident(segment, delta));
    span(at, delta);
}

pub fn attr(node: &mut Attr, delta: isize) {
    let Attr { kind, span: at, keyword } = node;
    match kind {
        AttrKind::Description(value)
        | AttrKind::Shell(value)
        | AttrKind::Undo(value)
        | AttrKind::Prompt(value)
        | AttrKind::Approve(value) => string(value, delta),
        AttrKind::Budget { amount, per, warn_at } => {
            expr(amount, delta);
            if let Some(per) = per {
                ident(per, delta);
            }
            if let Some(warn_at) = warn_at {
                expr(warn_at, delta);
            }
        }
        AttrKind::Timeout(value)
        | AttrKind::Concurrency(value)
        | AttrKind::Dir(value)
        | AttrKind::Expect(value)
        | AttrKind::Cost(value) => expr(value, delta),
        AttrKind::Mode(value) | AttrKind::Secret(value) | AttrKind::Risk(value) | AttrKind::OnTimeout(value) => {
            ident(value, delta)
        }
        AttrKind::Provider(value) | AttrKind::Model(value) => path(value, delta),
        AttrKind::Env(vars) => {
            for var in vars {
                let EnvVar { name, value, span: at } = var;
                ident(name, delta);
                expr(value, delta);
                span(at, delta);
            }
        }
        AttrKind::Retry { count, backoff, on } => {
            expr(count, delta);
            if let Some((from, to)) = backoff {
                expr(from, delta);
                expr(to, delta);
            }
            for kind in on {
                match kind {
                    RetryOn::Exit { code, span: at } => {
                        expr(code, delta);
                        span(at, delta);
                    }
                    RetryOn::Timeout { span: at } | RetryOn::Error { span: at } | RetryOn::Any { span: at } => {
                        span(at, delta)
                    }
                }
            }
        }
        AttrKind::OnFailure { policy, message } => {
            ident(policy, delta);
            if let Some(message) = message {
                string(message, delta);
            }
        }
        AttrKind::Output { name, ty, source } => {
            ident(name, delta);
            type_expr(ty, delta);
            let OutputSource { func, stream, pattern, span: at } = source;
            ident(func, delta);
            ident(stream, delta);
            string(pattern, delta);
            span(at, delta);
        }
        AttrKind::Returns(fields) => fields.iter_mut().for_each(|field| field_type(field, delta)),
        AttrKind::Require { cond, message } | AttrKind::Warn { cond, message } => {
            expr(cond, delta);
            string(message, delta);
        }
        AttrKind::FailWhen(judgement) | AttrKind::PassWhen(judgement) => {
            let Judgement { cond, window } = judgement;
            expr(cond, delta);
            if let Some(window) = window {
                expr(window, delta);
            }
        }
    }
    span(at, delta);
    span(keyword, delta);
}

pub fn stmt(node: &mut Stmt, delta: isize) {
    match node {
        Stmt::Phase(Phase { name, body, span: at }) | Stmt::Gate(Gate { name, body, span: at }) => {
            ident(name, delta);
            block(body, delta);
            span(at, delta);
        }
        Stmt::Run(Run { name, command: text, attrs, span: at })
        | Stmt::Agent(Agent { name, role: text, attrs, span: at }) => {
            ident(name, delta);
            string(text, delta);
            optional_block(attrs, delta);
            span(at, delta);
        }
        Stmt::Call(Call { name, target, args, attrs, span: at }) => {
            ident(name, delta);
            path(target, delta);
            for arg in args {
                let NamedArg { name, value, span: at } = arg;
                ident(name, delta);
                expr(value, delta);
                span(at, delta);
            }
            optional_block(attrs, delta);
            span(at, delta);
        }
        Stmt::Wait(Wait { name, duration, attrs, span: at }) => {
            ident(name, delta);
            expr(duration, delta);
            optional_block(attrs, delta);
            span(at, delta);
        }
        Stmt::Watch(Watch { name, command, every, duration, body, span: at }) => {
            ident(name, delta);
            string(command, delta);
            expr(every, delta);
            expr(duration, delta);
            block(body, delta);
            span(at, delta);
        }
        Stmt::Parallel(Parallel { name, max, body, span: at }) => {
            if let Some(name) = name {
                ident(name, delta);
            }
            if let Some(max) = max {
                expr(max, delta);
            }
            block(body, delta);
            span(at, delta);
        }
        Stmt::If(If { branches, otherwise, span: at }) => {
            for (cond, body) in branches {
                expr(cond, delta);
                block(body, delta);
            }
            optional_block(otherwise, delta);
            span(at, delta);
        }
        Stmt::Repeat(Repeat { name, max, until, body, span: at }) => {
            if let Some(name) = name {
                ident(name, delta);
            }
            expr(max, delta);
            if let Some(until) = until {
                expr(until, delta);
            }
            block(body, delta);
            span(at, delta);
        }
        Stmt::For(For { name, index, var, iter, parallel, body, span: at }) => {
            if let Some(name) = name {
                ident(name, delta);
            }
            if let Some(index) = index {
                ident(index, delta);
            }
            ident(var, delta);
            expr(iter, delta);
            if let Some(Some(max)) = parallel {
                expr(max, delta);
            }
            block(body, delta);
            span(at, delta);
        }
        Stmt::Fail(Fail { message, span: at }) => {
            string(message, delta);
            span(at, delta);
        }
        Stmt::OnFailure(Handler { body, span: at }) | Stmt::Finally(Handler { body, span: at }) => {
            block(body, delta);
            span(at, delta);
        }
    }
}

fn string(node: &mut StringLit, delta: isize) {
    let StringLit { parts, block: _, span: at } = node;
    for part in parts {
        match part {
            StrPart::Text(_) => {}
            StrPart::Interp(value) => expr(value, delta),
        }
    }
    span(at, delta);
}

fn literal(node: &mut Literal, delta: isize) {
    let Literal { value: _, text: _, span: at } = node;
    span(at, delta);
}

fn expr(node: &mut Expr, delta: isize) {
    let Expr { kind, span: at } = node;
    match kind {
        ExprKind::Literal(value) => literal(value, delta),
        ExprKind::Str(value) => string(value, delta),
        ExprKind::List(values) => values.iter_mut().for_each(|value| expr(value, delta)),
        ExprKind::Record(fields) => {
            for field in fields {
                let FieldInit { name, value, span: at } = field;
                ident(name, delta);
                expr(value, delta);
                span(at, delta);
            }
        }
        ExprKind::Name(_) => {}
        ExprKind::Field { base, field } => {
            expr(base, delta);
            ident(field, delta);
        }
        ExprKind::Index { base, index } => {
            expr(base, delta);
            expr(index, delta);
        }
        ExprKind::Call { func, args } => {
            ident(func, delta);
            args.iter_mut().for_each(|arg| expr(arg, delta));
        }
        ExprKind::Unary { op: _, operand } => expr(operand, delta),
        ExprKind::Binary { op: _, lhs, rhs } => {
            expr(lhs, delta);
            expr(rhs, delta);
        }
    }
    span(at, delta);
}

/// Where a statement starts and ends.
pub fn stmt_span(node: &Stmt) -> Span {
    match node {
        Stmt::Phase(Phase { span, .. }) => *span,
        Stmt::Run(Run { span, .. }) => *span,
        Stmt::Agent(Agent { span, .. }) => *span,
        Stmt::Call(Call { span, .. }) => *span,
        Stmt::Gate(Gate { span, .. }) => *span,
        Stmt::Wait(Wait { span, .. }) => *span,
        Stmt::Watch(Watch { span, .. }) => *span,
        Stmt::Parallel(Parallel { span, .. }) => *span,
        Stmt::If(If { span, .. }) => *span,
        Stmt::Repeat(Repeat { span, .. }) => *span,
        Stmt::For(For { span, .. }) => *span,
        Stmt::Fail(Fail { span, .. }) => *span,
        Stmt::OnFailure(Handler { span, .. }) | Stmt::Finally(Handler { span, .. }) => *span,
    }
}

/// Where an item starts and ends.
pub fn item_span(node: &Item) -> Span {
    match node {
        Item::Use(Use { span, .. }) => *span,
        Item::Const(Const { span, .. }) => *span,
        Item::Model(Model { span, .. }) => *span,
        Item::Provider(Provider { span, .. }) => *span,
        Item::Workflow(Workflow { span, .. }) => *span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example, shifted, is the parse of the same text with spaces before it: the
    /// shift moved every span (the serialised trees hold every span there is).
    #[test]
    fn shifting_a_parse_is_parsing_the_shifted_text() {
        let examples = [
            ("bug-fix", include_str!("../../examples/bug-fix.wf")),
            ("canary", include_str!("../../examples/canary.wf")),
            ("release", include_str!("../../examples/release.wf")),
            ("incident", include_str!("../../examples/incident.wf")),
            ("gates", include_str!("../../stdlib/gates.wf")),
        ];
        for (name, text) in examples {
            let mut shifted = super::super::parse(text).file;
            file(&mut shifted, 7);
            let parsed = super::super::parse(&format!("       {text}")).file;
            let (shifted, parsed) = (serde_json::to_string(&shifted), serde_json::to_string(&parsed));
            assert_eq!(shifted.ok(), parsed.ok(), "{name}");
            let mut back = super::super::parse(&format!("       {text}")).file;
            file(&mut back, -7);
            let original = serde_json::to_string(&super::super::parse(text).file).ok();
            assert_eq!(serde_json::to_string(&back).ok(), original, "{name}");
        }
    }
}
