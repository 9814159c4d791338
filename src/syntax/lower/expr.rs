//! Expressions (through the Pratt parser) and string literals.

use std::cell::RefCell;

use pest::iterators::Pair;
use pest::Parser;

use super::literal::lower_literal;
use super::{lower_name, only_child, Children};
use crate::span::Span;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, FieldInit, StrPart, StringLit, UnaryOp};
use crate::syntax::diagnose::interpolation_error;
use crate::syntax::error::SyntaxError;
use crate::syntax::grammar::{Rule, WfParser, PRATT};

/// Whether a lowered operand is a comparison written without parentheses, and where its
/// operator is: comparisons do not chain, so `a < b < c` is an error.
#[derive(Clone, Copy)]
enum Shape {
    Plain,
    Comparison(Span),
}

pub(super) fn lower_expr(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Expr {
    match pair.as_rule() {
        Rule::expr => {}
        other => unreachable!("not an expression: {other:?}"),
    }
    // The Pratt parser takes one closure per kind of operator, and each may report errors.
    let errors = RefCell::new(errors);
    let (expr, _) = PRATT
        .map_primary(|primary| (lower_primary(primary, &mut errors.borrow_mut()), Shape::Plain))
        .map_prefix(|op, (operand, _)| {
            let op_kind = match op.as_rule() {
                Rule::op_not => UnaryOp::Not,
                Rule::op_neg => UnaryOp::Neg,
                other => unreachable!("not a prefix operator: {other:?}"),
            };
            let span = Span::from(op.as_span()).to(operand.span);
            let kind = ExprKind::Unary { op: op_kind, operand: Box::new(operand) };
            (Expr { kind, span }, Shape::Plain)
        })
        .map_postfix(|(base, _), op| {
            let span = base.span.to(Span::from(op.as_span()));
            let kind = match op.as_rule() {
                Rule::field_access => ExprKind::Field { base: Box::new(base), field: lower_name(only_child(op)) },
                Rule::index_access => {
                    let index = Children::of(op).child();
                    ExprKind::Index {
                        base: Box::new(base),
                        index: Box::new(lower_expr(index, &mut errors.borrow_mut())),
                    }
                }
                other => unreachable!("not a postfix operator: {other:?}"),
            };
            (Expr { kind, span }, Shape::Plain)
        })
        .map_infix(|(lhs, left), op, (rhs, right)| {
            let op_span = Span::from(op.as_span());
            let op_kind = binary_op(op.as_rule());
            let shape = if is_comparison(op_kind) {
                if let Shape::Comparison(first) = left.or(right) {
                    errors.borrow_mut().push(SyntaxError::ChainedComparison { span: op_span, first });
                }
                Shape::Comparison(op_span)
            } else {
                Shape::Plain
            };
            let span = lhs.span.to(rhs.span);
            let kind = ExprKind::Binary { op: op_kind, lhs: Box::new(lhs), rhs: Box::new(rhs) };
            (Expr { kind, span }, shape)
        })
        .parse(pair.into_inner());
    expr
}

impl Shape {
    fn or(self, other: Shape) -> Shape {
        match self {
            Shape::Comparison(_) => self,
            Shape::Plain => other,
        }
    }
}

fn binary_op(rule: Rule) -> BinaryOp {
    match rule {
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_eq => BinaryOp::Eq,
        Rule::op_ne => BinaryOp::Ne,
        Rule::op_lt => BinaryOp::Lt,
        Rule::op_le => BinaryOp::Le,
        Rule::op_gt => BinaryOp::Gt,
        Rule::op_ge => BinaryOp::Ge,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        other => unreachable!("not a binary operator: {other:?}"),
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    match op {
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => true,
        BinaryOp::Or | BinaryOp::And | BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => false,
    }
}

fn lower_primary(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Expr {
    let span = Span::from(pair.as_span());
    let kind = match pair.as_rule() {
        Rule::tokens_lit
        | Rule::money_lit
        | Rule::percent_lit
        | Rule::duration_lit
        | Rule::float_lit
        | Rule::int_lit
        | Rule::bool_lit
        | Rule::bad_number => ExprKind::Literal(lower_literal(pair, errors)),
        Rule::str_lit => ExprKind::Str(lower_str(pair, errors)),
        Rule::list_lit => ExprKind::List(Children::of(pair).map(|item| lower_expr(item, errors)).collect()),
        Rule::record_lit => ExprKind::Record(Children::of(pair).map(|field| lower_field_init(field, errors)).collect()),
        Rule::call_expr => {
            let mut children = Children::of(pair);
            let func = lower_name(children.child());
            let args = children.map(|arg| lower_expr(arg, errors)).collect();
            ExprKind::Call { func, args }
        }
        Rule::name => ExprKind::Name(pair.as_str().to_owned()),
        Rule::paren => {
            // The parentheses belong to the expression's span, so that `(a + b) * c` covers
            // what was written.
            let inner = lower_expr(Children::of(pair).child(), errors);
            return Expr { span, ..inner };
        }
        other => unreachable!("not an operand: {other:?}"),
    };
    Expr { kind, span }
}

fn lower_field_init(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> FieldInit {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let value = lower_expr(children.child(), errors);
    FieldInit { name, value, span }
}

/// A `"..."` string or a `"""` text block.
pub(super) fn lower_str(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> StringLit {
    match pair.as_rule() {
        Rule::str_lit => lower_str(only_child(pair), errors),
        Rule::string => lower_string(pair, errors),
        Rule::text_block => lower_text_block(pair, errors),
        other => unreachable!("not a string: {other:?}"),
    }
}

/// What `{{ }}` holds: an expression, or `model` (a keyword) for a provider's command.
fn lower_interp(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Expr {
    if pair.as_rule() == Rule::model_ref {
        return Expr { kind: ExprKind::Name("model".to_owned()), span: Span::from(pair.as_span()) };
    }
    lower_expr(pair, errors)
}

fn lower_string(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> StringLit {
    let span = Span::from(pair.as_span());
    let mut parts = Vec::new();
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::str_text => push_text(&mut parts, part.as_str()),
            Rule::str_escape => push_text(&mut parts, &lower_escape(&part, false, errors)),
            Rule::interp => parts.push(StrPart::Interp(lower_interp(only_child(part), errors))),
            Rule::bad_interp => diagnose_interpolation(&part, errors),
            Rule::unterminated => {
                errors.push(SyntaxError::UnterminatedString { span: Span::new(span.start, span.start + 1) })
            }
            other => unreachable!("not part of a string: {other:?}"),
        }
    }
    StringLit { parts, block: false, span }
}

fn lower_text_block(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> StringLit {
    let span = Span::from(pair.as_span());
    let raw = pair.as_str();
    let closed = raw.len() >= 6 && raw.ends_with("\"\"\"");
    let content_start = span.start + 3;
    let content = &raw[3..if closed { raw.len() - 3 } else { raw.len() }];
    let layout = Dedent::of(content);
    let mut parts = Vec::new();
    for part in pair.into_inner() {
        match part.as_rule() {
            Rule::block_text => {
                let at = part.as_span().start() - content_start;
                push_text(&mut parts, &layout.apply(part.as_str(), at));
            }
            Rule::str_escape => push_text(&mut parts, &lower_escape(&part, true, errors)),
            Rule::interp => parts.push(StrPart::Interp(lower_interp(only_child(part), errors))),
            Rule::bad_interp => diagnose_interpolation(&part, errors),
            Rule::unterminated => {
                errors.push(SyntaxError::UnterminatedTextBlock { span: Span::new(span.start, span.start + 3) })
            }
            other => unreachable!("not part of a text block: {other:?}"),
        }
    }
    StringLit { parts, block: true, span }
}

/// Appends text, merging it into the previous part when that is text too.
fn push_text(parts: &mut Vec<StrPart>, text: &str) {
    if text.is_empty() {
        return;
    }
    match parts.last_mut() {
        Some(StrPart::Text(previous)) => previous.push_str(text),
        _ => parts.push(StrPart::Text(text.to_owned())),
    }
}

/// The text an escape stands for. An unknown escape is reported and kept as written.
fn lower_escape(pair: &Pair<'_, Rule>, in_block: bool, errors: &mut Vec<SyntaxError>) -> String {
    let text = pair.as_str();
    match text {
        "\\\"" => "\"".to_owned(),
        "\\\\" => "\\".to_owned(),
        "\\n" => "\n".to_owned(),
        "\\t" => "\t".to_owned(),
        "\\{{" => "{{".to_owned(),
        // A `\` at the end of a line: in a one-line string the string is unterminated, which
        // is reported already.
        "\\" if !in_block => String::new(),
        _ => {
            errors.push(SyntaxError::InvalidEscape { span: Span::from(pair.as_span()), escape: text.to_owned() });
            text.to_owned()
        }
    }
}

/// Reports what is wrong with a `{{` that does not start a valid interpolation.
fn diagnose_interpolation(pair: &Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) {
    let text = pair.as_str();
    let start = pair.as_span().start();
    let open = Span::new(start, start + 2);
    let Some(inside) = text.strip_prefix("{{").and_then(|rest| rest.strip_suffix("}}")) else {
        errors.push(SyntaxError::UnclosedInterpolation { span: open });
        return;
    };
    if inside.trim().is_empty() {
        errors.push(SyntaxError::EmptyInterpolation { span: Span::from(pair.as_span()) });
        return;
    }
    match WfParser::parse(Rule::expr_entry, inside) {
        Err(error) => errors.push(interpolation_error(&error, inside, start + 2)),
        // The inside is an expression, so what failed was finding `}}` right after it.
        Ok(_) => errors.push(SyntaxError::UnclosedInterpolation { span: open }),
    }
}

/// How a text block's content is trimmed: the line break right after the opening `"""`, a
/// last line of only white space before the closing `"""`, and the indentation common to the
/// non-blank lines. Offsets are relative to the content (after the opening `"""`).
struct Dedent {
    keep_start: usize,
    keep_end: usize,
    /// Where each line that starts inside the kept text starts.
    line_starts: Vec<usize>,
    indent: usize,
}

fn is_blank(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

impl Dedent {
    fn of(content: &str) -> Dedent {
        let (keep_start, first_is_line) = match content.find('\n') {
            Some(i) if is_blank(&content[..i]) => (i + 1, true),
            _ => (0, false),
        };
        let mut keep_end = content.len();
        match content[keep_start..].rfind('\n').map(|i| i + keep_start) {
            Some(i) if is_blank(&content[i + 1..]) => {
                keep_end = if content[..i].ends_with('\r') { i - 1 } else { i };
            }
            None if first_is_line && is_blank(&content[keep_start..]) => keep_end = keep_start,
            _ => {}
        }
        let mut line_starts = Vec::new();
        if first_is_line {
            line_starts.push(keep_start);
        }
        line_starts.extend(content[keep_start..keep_end].match_indices('\n').map(|(i, _)| keep_start + i + 1));
        let indent = line_starts
            .iter()
            .filter_map(|&start| {
                let end = content[start..keep_end].find('\n').map_or(keep_end, |i| start + i);
                let line = &content[start..end];
                let leading = line.bytes().take_while(|&b| b == b' ' || b == b'\t').count();
                (!is_blank(line)).then_some(leading)
            })
            .min()
            .unwrap_or(0);
        Dedent { keep_start, keep_end, line_starts, indent }
    }

    /// The kept part of a piece of text found at offset `at` of the content, with the common
    /// indentation removed and `\r\n` turned into `\n`.
    fn apply(&self, text: &str, at: usize) -> String {
        let mut out = String::with_capacity(text.len());
        for (i, ch) in text.char_indices() {
            let offset = at + i;
            if offset < self.keep_start || offset >= self.keep_end {
                continue;
            }
            if ch == '\r' && text[i + 1..].starts_with('\n') {
                continue;
            }
            // Within the indentation there is only white space, and the line break that
            // ends a blank line shorter than the indentation, which is kept.
            let line = self.line_starts.partition_point(|&start| start <= offset);
            if ch != '\n' && line > 0 && offset - self.line_starts[line - 1] < self.indent {
                continue;
            }
            out.push(ch);
        }
        out
    }
}
