//! From pest pairs to the AST, and the recovery that keeps parsing after an error.
//!
//! One `lower_<construct>` per grammar construct. Each trusts the grammar for the shape of
//! its pair (an `unreachable!` marks what the grammar rules out) and checks the input for
//! everything else, reporting into the error list rather than stopping.

mod block;
mod expr;
mod literal;

use std::borrow::Cow;

use pest::error::InputLocation;
use pest::iterators::{Pair, Pairs};
use pest::Parser;

use self::block::{lower_block, lower_stmt};
use self::expr::{lower_expr, lower_str};
use self::literal::lower_literal;
pub(crate) use self::literal::read_literal;
use super::ast::{
    Comment, Const, FieldType, File, Ident, Item, Model, ModelAttr, Param, Path, Price, PriceKind, Provider,
    ProviderAttr, Stmt, TypeExpr, Use, UseTarget, Workflow,
};
use super::error::SyntaxError;
use super::grammar::{is_token, Rule, WfParser};
use super::scan::{scan, Lexed};
use super::{diagnose, limits, Parsed};
use crate::span::Span;

#[cfg(test)]
mod tests;

pub(crate) fn parse(source: &str) -> Parsed {
    // Fast mode (see `fast` in the grammar); a file that fails is parsed again from `file`.
    if let Some(parsed) = parse_clean(source, Rule::file_fast) {
        return parsed;
    }
    let mut errors = Vec::new();
    let lexed = scan(source, &mut errors);
    let items = parse_items(source, &lexed, &mut errors);
    errors.sort_by(|a, b| {
        let (a_span, b_span) = (a.span(), b.span());
        (a_span.start, a_span.end, a.code()).cmp(&(b_span.start, b_span.end, b.code()))
    });
    errors.dedup();
    Parsed { file: File { items, comments: lexed.comments }, errors }
}

/// The common case — a file the grammar accepts whole — in one pass of the grammar (`entry` is
/// `file_fast`, or `file` in the tests that compare the two): string literals come from the
/// parse tree and comments from the gaps between them, so the lexical pass (which re-reads
/// every string) is needed only for files with errors. Returns `None`, to take the full path,
/// when the parse fails or holds a literal that never ends.
fn parse_clean(source: &str, entry: Rule) -> Option<Parsed> {
    let file = WfParser::parse(entry, source).ok()?;
    let comments = clean_comments(source, file.clone())?;
    let mut errors = Vec::new();
    let mut items = Vec::new();
    lower_items(file, &mut items, &mut errors);
    errors.sort_by(|a, b| {
        let (a_span, b_span) = (a.span(), b.span());
        (a_span.start, a_span.end, a.code()).cmp(&(b_span.start, b_span.end, b.code()))
    });
    errors.dedup();
    Some(Parsed { file: File { items, comments }, errors })
}

/// A file's text that parses whole without a single error, parsed (in fast mode); `None`
/// when [`parse`] would report anything.
pub(super) fn parse_if_clean(source: &str) -> Option<Parsed> {
    parse_clean(source, Rule::file_fast).filter(|parsed| parsed.errors.is_empty())
}

/// `source`, which must be one block statement alone (spans relative to it), parsed in fast
/// mode, with its comments; `depth` is how many grammar rules deep it sits in its item (the
/// nesting bound counts them). `None` when the text is anything else or has any error.
pub(super) fn parse_statement(source: &str, depth: usize) -> Option<(Stmt, Vec<Comment>)> {
    let mut pairs = WfParser::parse(Rule::stmt_fast, source).ok()?;
    let comments = clean_comments(source, pairs.clone())?;
    let stmt = pairs.next()?.into_inner().find(|pair| pair.as_rule() == Rule::stmt)?;
    if limits::check_from(&stmt, depth).is_some() {
        return None;
    }
    let mut errors = Vec::new();
    let lowered = lower_stmt(only_child(stmt), &mut errors);
    errors.is_empty().then_some((lowered, comments))
}

/// The comments of a parse that succeeded; `None` when it holds a literal or a block comment
/// that never ends (the full path reports those).
fn clean_comments(source: &str, pairs: Pairs<'_, Rule>) -> Option<Vec<Comment>> {
    let mut literals: Vec<Span> = Vec::new();
    for pair in pairs.flatten() {
        match pair.as_rule() {
            Rule::unterminated => return None,
            Rule::str_lit => {
                let span = Span::from(pair.as_span());
                // Strings inside an interpolation lie within the outer literal.
                if literals.last().is_none_or(|last| span.start >= last.end) {
                    literals.push(span);
                }
            }
            _ => {}
        }
    }
    comments_between(source, &literals)
}

/// The comments in the code between string literals; `None` when a block comment never ends.
fn comments_between(source: &str, literals: &[Span]) -> Option<Vec<Comment>> {
    let mut comments = Vec::new();
    let mut at = 0;
    let gaps = literals.iter().map(|literal| (literal.start, literal.end)).chain([(source.len(), source.len())]);
    for (gap_end, next) in gaps {
        while let Some(found) = source.get(at..gap_end).and_then(|gap| gap.find('/')) {
            let start = at + found;
            let rest = &source[start..];
            let end = if rest.starts_with("//") {
                start + rest.find('\n').unwrap_or(rest.len())
            } else if let Some(body) = rest.strip_prefix("/*") {
                start + 2 + body.find("*/")? + 2
            } else {
                at = start + 1;
                continue;
            };
            comments.push(Comment { text: source[start..end].to_string(), span: Span::new(start, end) });
            at = end;
        }
        at = at.max(next);
    }
    Some(comments)
}

/// Parses the file, and after an error goes on from the next line that starts an item, so
/// that one broken item neither stops parsing nor hides the items around it. Items before an
/// error are kept.
///
/// Inside a block, a statement or attribute that fails is reported, blanked out and the item
/// parsed again, so three typos in three steps are three errors at once, and the rest of the
/// item still reaches the checker. Each such retry re-parses the rest of the file, so they
/// stop after [`RECOVERY_BUDGET`] bytes of re-parsing; then recovery is by item only.
fn parse_items(source: &str, lexed: &Lexed, errors: &mut Vec<SyntaxError>) -> Vec<Item> {
    let mut items = Vec::new();
    let mut at = 0;
    // The source with the statements dropped so far blanked out (offsets unchanged).
    let mut work = Cow::Borrowed(source);
    let mut budget = RECOVERY_BUDGET;
    loop {
        let source: &str = &work;
        let text = from(source, at);
        let error = match WfParser::parse(Rule::file, &text) {
            Ok(file) => {
                lower_items(file, &mut items, errors);
                return items;
            }
            Err(error) => error,
        };
        // The error is pest's furthest failure, which is the one to report; the items before
        // it are found by parsing again without requiring the end of the file.
        let end = match WfParser::parse(Rule::items, &text) {
            Ok(pairs) => lower_items(pairs, &mut items, errors).unwrap_or(at),
            Err(_) => at,
        };
        let start = skip_trivia(source, lexed, end);
        let reported = diagnose::item_error(&error, source, start, lexed);
        let failed_at = match error.location {
            InputLocation::Pos(pos) | InputLocation::Span((pos, _)) => pos,
        };
        if matches!(reported, Some(SyntaxError::Unexpected { .. })) && budget >= source.len() - at {
            if let Some((drop_from, drop_to)) = diagnose::statement_to_drop(source, lexed, start, failed_at) {
                budget -= source.len() - at;
                errors.extend(reported);
                // Byte for byte, so every offset stays where it was.
                let blank: String =
                    source[drop_from..drop_to].bytes().map(|b| if b == b'\n' { '\n' } else { ' ' }).collect();
                work.to_mut().replace_range(drop_from..drop_to, &blank);
                at = start;
                continue;
            }
        }
        // A keyword used as a name is not where the next item starts, even when it is an
        // item keyword (`const use = 1`).
        let resume_from = match reported {
            Some(SyntaxError::KeywordAsName { span, .. }) => span.end,
            _ => failed_at,
        };
        errors.extend(reported);
        match diagnose::resume_point(source, lexed, start, resume_from) {
            Some(next) => at = next,
            None => return items,
        }
    }
}

/// How many bytes statement-level recovery may re-parse in one file (see [`parse_items`]).
const RECOVERY_BUDGET: usize = 1 << 20;

/// Lowers the items of a `file` or `items` parse, returning where the last one ends.
fn lower_items(pairs: Pairs<'_, Rule>, items: &mut Vec<Item>, errors: &mut Vec<SyntaxError>) -> Option<usize> {
    let mut end = None;
    for pair in pairs.flat_map(Pair::into_inner) {
        match pair.as_rule() {
            Rule::item => {
                end = Some(pair.as_span().end());
                items.extend(lower_checked(pair, errors));
            }
            Rule::EOI => {}
            other => unreachable!("a file holds items, not {other:?}"),
        }
    }
    end
}

/// The source with the text before `at` blanked out, so that every span pest reports is still
/// an offset into the whole file.
fn from(source: &str, at: usize) -> Cow<'_, str> {
    if at == 0 {
        Cow::Borrowed(source)
    } else {
        Cow::Owned(format!("{}{}", " ".repeat(at), &source[at..]))
    }
}

/// The first offset at or after `at` that is not white space, `;` or a comment.
fn skip_trivia(source: &str, lexed: &Lexed, mut at: usize) -> usize {
    while at < source.len() {
        if let Some(end) = lexed.comment_end(at) {
            at = end;
        } else if matches!(source.as_bytes()[at], b' ' | b'\t' | b'\n' | b'\r' | b';') {
            at += 1;
        } else {
            break;
        }
    }
    at
}

/// Lowers an item unless it breaks a size limit, in which case only the limit is reported.
fn lower_checked(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Option<Item> {
    if let Some(error) = limits::check(&pair) {
        errors.push(error);
        return None;
    }
    Some(lower_item(pair, errors))
}

/// The children of a pair that carry meaning, in grammar order. Keywords and punctuation are
/// skipped: the rule they sit in already says what they are.
pub(super) struct Children<'i> {
    pairs: Pairs<'i, Rule>,
}

impl<'i> Children<'i> {
    pub(super) fn of(pair: Pair<'i, Rule>) -> Children<'i> {
        Children { pairs: pair.into_inner() }
    }

    /// The next child, which the grammar guarantees is there.
    #[track_caller]
    pub(super) fn child(&mut self) -> Pair<'i, Rule> {
        match self.next() {
            Some(pair) => pair,
            None => unreachable!("the grammar guarantees another child here"),
        }
    }

    /// The next child if it is a `rule`.
    pub(super) fn child_if(&mut self, rule: Rule) -> Option<Pair<'i, Rule>> {
        let mut ahead = self.pairs.clone();
        let next = ahead.find(|pair| !is_token(pair.as_rule()))?;
        if next.as_rule() != rule {
            return None;
        }
        self.pairs = ahead;
        Some(next)
    }
}

impl<'i> Iterator for Children<'i> {
    type Item = Pair<'i, Rule>;

    fn next(&mut self) -> Option<Pair<'i, Rule>> {
        self.pairs.find(|pair| !is_token(pair.as_rule()))
    }
}

/// The one child of a wrapping rule (`item`, `stmt`, `str_lit`, ...).
#[track_caller]
pub(super) fn only_child(pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    match pair.into_inner().next() {
        Some(child) => child,
        None => unreachable!("the grammar gives this rule a child"),
    }
}

pub(super) fn lower_name(pair: Pair<'_, Rule>) -> Ident {
    match pair.as_rule() {
        Rule::name | Rule::word | Rule::field_name | Rule::func_name => {
            Ident { name: pair.as_str().to_owned(), span: Span::from(pair.as_span()) }
        }
        other => unreachable!("not a name: {other:?}"),
    }
}

pub(super) fn lower_path(pair: Pair<'_, Rule>) -> Path {
    match pair.as_rule() {
        Rule::path => Path { span: Span::from(pair.as_span()), segments: pair.into_inner().map(lower_name).collect() },
        other => unreachable!("not a path: {other:?}"),
    }
}

fn lower_item(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Item {
    let item = only_child(pair);
    match item.as_rule() {
        Rule::use_item => Item::Use(lower_use(item, errors)),
        Rule::const_item => Item::Const(lower_const(item, errors)),
        Rule::model_item => Item::Model(lower_model(item, errors)),
        Rule::provider_item => Item::Provider(lower_provider(item, errors)),
        Rule::workflow_item => Item::Workflow(lower_workflow(item, errors)),
        other => unreachable!("not an item: {other:?}"),
    }
}

fn lower_use(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Use {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let target = children.child();
    let target = match target.as_rule() {
        Rule::std_path => {
            UseTarget::Std { span: Span::from(target.as_span()), path: Children::of(target).map(lower_name).collect() }
        }
        Rule::str_lit => {
            let path = lower_str(target, errors);
            let text = path.as_plain().unwrap_or_else(|| {
                errors.push(SyntaxError::InterpolatedUsePath { span: path.span });
                String::new()
            });
            UseTarget::Path { path: text, span: path.span }
        }
        other => unreachable!("not a module: {other:?}"),
    };
    let alias = children.next().map(lower_name);
    Use { target, alias, span }
}

fn lower_const(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Const {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let ty = children.child_if(Rule::type_expr).map(lower_type);
    let value = lower_expr(children.child(), errors);
    Const { name, ty, value, span }
}

fn lower_model(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Model {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let attrs = children.map(|attr| lower_model_attr(attr, errors)).collect();
    Model { name, attrs, span }
}

fn lower_model_attr(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> ModelAttr {
    let attr = only_child(pair);
    let span = Span::from(attr.as_span());
    match attr.as_rule() {
        Rule::model_id => ModelAttr::Id { value: lower_str(Children::of(attr).child(), errors), span },
        Rule::model_price => {
            let mut children = Children::of(attr);
            let kind = lower_price_kind(children.child());
            let money = lower_literal(children.child(), errors);
            let per = lower_literal(children.child(), errors);
            let price = Price { span: money.span.to(per.span), money, per };
            ModelAttr::Price { kind, price, span }
        }
        other => unreachable!("not a model attribute: {other:?}"),
    }
}

fn lower_price_kind(pair: Pair<'_, Rule>) -> PriceKind {
    let word = only_child(pair);
    match word.as_rule() {
        Rule::w_input => PriceKind::Input,
        Rule::w_output => PriceKind::Output,
        Rule::w_cached => PriceKind::Cached,
        other => unreachable!("not a price kind: {other:?}"),
    }
}

fn lower_provider(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Provider {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let attrs = children.map(|attr| lower_provider_attr(attr, errors)).collect();
    Provider { name, attrs, span }
}

fn lower_provider_attr(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> ProviderAttr {
    let attr = only_child(pair);
    let span = Span::from(attr.as_span());
    let rule = attr.as_rule();
    let value = Children::of(attr).child();
    match rule {
        Rule::provider_kind => ProviderAttr::Kind { value: lower_name(value), span },
        Rule::provider_url => ProviderAttr::Url { value: lower_str(value, errors), span },
        Rule::provider_command => ProviderAttr::Command { value: lower_str(value, errors), span },
        Rule::provider_key => ProviderAttr::Key { value: lower_name(value), span },
        Rule::provider_model => ProviderAttr::Model { value: lower_str(value, errors), span },
        Rule::provider_format => ProviderAttr::Format { value: lower_name(value), span },
        other => unreachable!("not a provider attribute: {other:?}"),
    }
}

fn lower_workflow(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Workflow {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let mut params = Vec::new();
    let mut body = None;
    for child in children {
        match child.as_rule() {
            Rule::param => params.push(lower_param(child, errors)),
            Rule::block => body = Some(lower_block(child, errors)),
            other => unreachable!("not part of a workflow: {other:?}"),
        }
    }
    let Some(body) = body else { unreachable!("the grammar gives every workflow a body") };
    Workflow { name, params, body, span }
}

fn lower_param(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Param {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let ty = lower_type(children.child());
    let default = children.next().map(|default| lower_expr(default, errors));
    Param { name, ty, default, span }
}

pub(super) fn lower_type(pair: Pair<'_, Rule>) -> TypeExpr {
    let ty = only_child(pair);
    let span = Span::from(ty.as_span());
    match ty.as_rule() {
        Rule::name => TypeExpr::Named(lower_name(ty)),
        Rule::list_type => TypeExpr::List { elem: Box::new(lower_type(Children::of(ty).child())), span },
        Rule::record_type => TypeExpr::Record { fields: Children::of(ty).map(lower_field_type).collect(), span },
        other => unreachable!("not a type: {other:?}"),
    }
}

pub(super) fn lower_field_type(pair: Pair<'_, Rule>) -> FieldType {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let ty = lower_type(children.child());
    FieldType { name, ty, span }
}
