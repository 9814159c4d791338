//! Bounds on how deep a parsed item may nest and how long one expression may be.
//!
//! Lowering, and everything after it (the checker, dropping the tree), recurses over the tree,
//! so a pathological input (thousands of nested parentheses, or `not not not ...`) could
//! otherwise overflow the stack. Real workflows stay far below these bounds. Both checks walk
//! pest's flat token queue, so they do not recurse themselves.

use pest::iterators::Pair;
use pest::Token;

use super::error::SyntaxError;
use super::grammar::{continues_expression, Rule};
use crate::span::Span;

/// How many grammar rules deep one item may nest (a paren in an expression is two).
pub(super) const MAX_DEPTH: usize = 128;

/// How many operators one expression may hold, counting those in nested expressions.
pub(super) const MAX_OPERATORS: usize = 256;

/// The first bound the item breaks, if any.
pub(super) fn check(item: &Pair<'_, Rule>) -> Option<SyntaxError> {
    check_from(item, 0)
}

/// The same for a pair that sits `depth` rules deep in its item (a statement parsed alone).
pub(super) fn check_from(item: &Pair<'_, Rule>, mut depth: usize) -> Option<SyntaxError> {
    // The rules open, each with the depth it adds: a parse in fast mode (see the grammar)
    // leaves out the `stmt` and `attr` that wrap a block's entries, so such an entry counts for
    // its wrapper too, and the bound falls at the same place in either parse.
    let mut open: Vec<(Rule, usize)> = Vec::new();
    for token in item.clone().tokens() {
        match token {
            Token::Start { rule, pos } => {
                let in_block = open.last().is_some_and(|&(parent, _)| parent == Rule::block);
                let unwrapped = in_block && !matches!(rule, Rule::lbrace | Rule::rbrace | Rule::stmt | Rule::attr);
                let adds = 1 + usize::from(unwrapped);
                depth += adds;
                open.push((rule, adds));
                if depth > MAX_DEPTH {
                    let at = pos.pos();
                    return Some(SyntaxError::NestingTooDeep { span: Span::new(at, at + 1) });
                }
            }
            Token::End { .. } => depth -= open.pop().map_or(1, |(_, adds)| adds),
        }
    }

    let mut outer_end = 0;
    let mut operators = 0;
    for pair in item.clone().into_inner().flatten() {
        let span = pair.as_span();
        if pair.as_rule() == Rule::expr && span.start() >= outer_end {
            outer_end = span.end();
            operators = 0;
        }
        if is_operator(pair.as_rule()) && span.start() < outer_end {
            operators += 1;
            if operators > MAX_OPERATORS {
                return Some(SyntaxError::ExpressionTooLong { span: Span::from(span), limit: MAX_OPERATORS });
            }
        }
    }
    None
}

/// Infix and postfix operators (the grammar's list) and the two prefix ones.
fn is_operator(rule: Rule) -> bool {
    continues_expression(rule) || matches!(rule, Rule::op_not | Rule::op_neg)
}
