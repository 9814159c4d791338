//! The lexical pass: one sweep over the whole file that finds comments, string literals and
//! braces, using the grammar's own string rules so it agrees with the parser about where a
//! string ends. It gives `File.comments`, reports literals that never end, and answers the
//! questions error recovery asks ("is this offset inside a string?", "which `{` is unclosed?").

use pest::iterators::Pair;
use pest::Parser;

use super::ast::Comment;
use super::error::SyntaxError;
use super::grammar::{Rule, WfParser};
use crate::span::Span;

/// What the lexical pass found.
#[derive(Debug, Default)]
pub(super) struct Lexed {
    pub(super) comments: Vec<Comment>,
    /// Strings, text blocks and comments in source order: offsets inside them are not code.
    literals: Vec<Span>,
    /// Every `{` outside literals, with the offset of the `}` that closes it, if any.
    opens: Vec<(usize, Option<usize>)>,
    /// Every `}` that closes nothing.
    stray_closes: Vec<usize>,
    /// Where a literal that runs to the end of the file starts (an unterminated text block or
    /// block comment, or a string on the last line).
    runs_to_end: Option<usize>,
}

/// Runs the lexical pass over `source`, reporting literals that are never closed.
pub(super) fn scan(source: &str, errors: &mut Vec<SyntaxError>) -> Lexed {
    let mut lexed = Lexed::default();
    // The pass cannot fail on any input (every alternative ends in "any character"), except
    // when pest's own nesting limits stop it; then there is simply less to report.
    let Ok(mut pairs) = WfParser::parse(Rule::lex, source) else {
        return lexed;
    };
    let Some(lex) = pairs.next() else {
        return lexed;
    };
    let mut stack = Vec::new();
    for pair in lex.into_inner() {
        let span = Span::from(pair.as_span());
        match pair.as_rule() {
            Rule::comment => lexed.comment(pair, errors),
            Rule::str_lit => lexed.literal(pair, source.len(), errors),
            Rule::lbrace => {
                stack.push(lexed.opens.len());
                lexed.opens.push((span.start, None));
            }
            Rule::rbrace => match stack.pop() {
                Some(index) => lexed.opens[index].1 = Some(span.start),
                None => lexed.stray_closes.push(span.start),
            },
            Rule::EOI => {}
            other => unreachable!("the lexical pass yields no {other:?}"),
        }
    }
    lexed
}

impl Lexed {
    fn comment(&mut self, pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) {
        let text = pair.as_str();
        let span = Span::from(pair.as_span());
        if text.starts_with("/*") && !(text.len() >= 4 && text.ends_with("*/")) {
            errors.push(SyntaxError::UnterminatedComment { span: Span::new(span.start, span.start + 2) });
            self.runs_to_end.get_or_insert(span.start);
        }
        self.literals.push(span);
        self.comments.push(Comment { text: text.to_owned(), span });
    }

    fn literal(&mut self, pair: Pair<'_, Rule>, len: usize, errors: &mut Vec<SyntaxError>) {
        let span = Span::from(pair.as_span());
        self.literals.push(span);
        let Some(inner) = pair.into_inner().next() else {
            unreachable!("a string literal is a string or a text block")
        };
        let unterminated = inner.clone().into_inner().last().is_some_and(|last| last.as_rule() == Rule::unterminated);
        if !unterminated {
            return;
        }
        match inner.as_rule() {
            Rule::string => {
                errors.push(SyntaxError::UnterminatedString { span: Span::new(span.start, span.start + 1) })
            }
            Rule::text_block => {
                errors.push(SyntaxError::UnterminatedTextBlock { span: Span::new(span.start, span.start + 3) })
            }
            other => unreachable!("a string literal is not a {other:?}"),
        }
        if span.end == len {
            self.runs_to_end.get_or_insert(span.start);
        }
    }

    /// Whether `offset` is inside a string, text block or comment.
    pub(super) fn in_literal(&self, offset: usize) -> bool {
        let index = self.literals.partition_point(|span| span.start <= offset);
        index > 0 && offset < self.literals[index - 1].end
    }

    /// The end of the comment starting at `offset`, if one does.
    pub(super) fn comment_end(&self, offset: usize) -> Option<usize> {
        let index = self.comments.partition_point(|c| c.span.start < offset);
        self.comments.get(index).filter(|c| c.span.start == offset).map(|c| c.span.end)
    }

    /// Whether a literal that swallows the rest of the file starts in `from..`.
    pub(super) fn runs_to_end_from(&self, from: usize) -> bool {
        self.runs_to_end.is_some_and(|start| start >= from)
    }

    /// Whether the `}` at `offset` closes nothing.
    pub(super) fn is_stray_close(&self, offset: usize) -> bool {
        self.stray_closes.contains(&offset)
    }

    /// Whether `offset` lies in a block that opens at or after `from` and is closed.
    pub(super) fn in_closed_block(&self, from: usize, offset: usize) -> bool {
        self.opens
            .iter()
            .any(|&(open, close)| from <= open && open < offset && close.is_some_and(|close| close > offset))
    }

    /// Where the innermost closed block holding `offset` closes.
    pub(super) fn enclosing_close(&self, offset: usize) -> Option<usize> {
        self.opens
            .iter()
            .filter_map(|&(open, close)| Some((open, close?)))
            .filter(|&(open, close)| open < offset && offset <= close)
            .max_by_key(|&(open, _)| open)
            .map(|(_, close)| close)
    }

    /// How far the braces and literals that open in `from..to` reach: past the `}` and the
    /// literal's end. `None` when a `{` there is never closed.
    pub(super) fn reach(&self, from: usize, to: usize) -> Option<usize> {
        let mut end = to;
        for &(open, close) in &self.opens {
            if (from..to).contains(&open) {
                end = end.max(close? + 1);
            }
        }
        for span in &self.literals {
            if (from..to).contains(&span.start) {
                end = end.max(span.end);
            }
        }
        Some(end)
    }

    /// The `{` in `from..to` that was most likely left unclosed, when a parse stopped at `to`
    /// wanting more. A `}` that sits at the start of a line less indented than the line of the
    /// `{` it closes was probably meant for an outer block, so the `{` it closed is the culprit;
    /// otherwise it is the innermost `{` still open at `to`.
    pub(super) fn unclosed_open(&self, source: &str, from: usize, to: usize) -> Option<usize> {
        let in_range = |offset: usize| from <= offset && offset < to;
        let misclosed = self
            .opens
            .iter()
            .filter_map(|&(open, close)| Some((open, close?)))
            .filter(|&(open, close)| in_range(open) && in_range(close))
            .filter(|&(open, close)| {
                starts_line(source, close) && indent_of_line(source, close) < indent_of_line(source, open)
            })
            .min_by_key(|&(_, close)| close)
            .map(|(open, _)| open);
        misclosed.or_else(|| {
            self.opens
                .iter()
                .rev()
                .find(|&&(open, close)| in_range(open) && close.is_none_or(|close| close >= to))
                .map(|&(open, _)| open)
        })
    }
}

/// The start of the line holding `offset`.
pub(super) fn line_start(source: &str, offset: usize) -> usize {
    source[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// How many spaces and tabs begin the line holding `offset`.
fn indent_of_line(source: &str, offset: usize) -> usize {
    let start = line_start(source, offset);
    source[start..].bytes().take_while(|&b| b == b' ' || b == b'\t').count()
}

/// Whether only spaces and tabs precede `offset` on its line.
pub(super) fn starts_line(source: &str, offset: usize) -> bool {
    source[line_start(source, offset)..offset].bytes().all(|b| b == b' ' || b == b'\t')
}
