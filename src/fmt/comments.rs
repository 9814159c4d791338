//! The file's comments, handed out in source order as the printer reaches them, and the
//! questions about the source the printer needs answered around them.

use crate::span::Span;
use crate::syntax::ast::Comment;

pub(super) struct Comments<'a> {
    source: &'a str,
    all: &'a [Comment],
    /// The first comment not yet printed.
    next: usize,
}

impl<'a> Comments<'a> {
    pub(super) fn new(source: &'a str, all: &'a [Comment]) -> Comments<'a> {
        Comments { source, all, next: 0 }
    }

    /// The next comment not yet printed.
    pub(super) fn peek(&self) -> Option<&'a Comment> {
        self.all.get(self.next)
    }

    pub(super) fn advance(&mut self) {
        self.next += 1;
    }

    /// Whether a comment not yet printed starts before `pos`.
    pub(super) fn any_before(&self, pos: usize) -> bool {
        self.peek().is_some_and(|comment| comment.span.start < pos)
    }

    /// Takes the comments not yet printed that start before `pos`.
    pub(super) fn take_before(&mut self, pos: usize) -> &'a [Comment] {
        let start = self.next;
        while self.any_before(pos) {
            self.next += 1;
        }
        &self.all[start..self.next]
    }

    /// Where the code of `span` ends: parse spans may run on over the white space and
    /// comments after their last token.
    pub(super) fn tight_end(&self, span: Span) -> usize {
        let mut end = span.end.min(self.source.len());
        loop {
            let code = self.source[span.start..end].trim_end();
            end = span.start + code.len();
            // The comment holding the last character, if that character is in one.
            let at = self.all.partition_point(|comment| comment.span.end < end);
            match self.all.get(at) {
                Some(comment) if comment.span.start >= span.start && comment.span.start < end => {
                    end = comment.span.start;
                }
                _ => return end,
            }
        }
    }

    /// The offset of `wanted`, the next character at or after `from` that is not white
    /// space, a comment or one of `skip`.
    pub(super) fn find(&self, from: usize, wanted: char, skip: &[char]) -> Option<usize> {
        let mut at = from;
        while let Some(ch) = self.source.get(at..).and_then(|rest| rest.chars().next()) {
            if ch == wanted {
                return Some(at);
            }
            if let Ok(index) = self.all.binary_search_by_key(&at, |comment| comment.span.start) {
                at = self.all[index].span.end;
            } else if ch.is_whitespace() || skip.contains(&ch) {
                at += ch.len_utf8();
            } else {
                return None;
            }
        }
        None
    }

    /// How many line breaks lie between two offsets.
    pub(super) fn breaks(&self, from: usize, to: usize) -> usize {
        self.source.get(from..to).map_or(0, |gap| gap.matches('\n').count())
    }

    /// Whether only white space and separators (`;`, `,`) lie between two offsets on one line.
    pub(super) fn same_line(&self, from: usize, to: usize) -> bool {
        self.source.get(from..to).is_some_and(|gap| gap.chars().all(|ch| matches!(ch, ' ' | '\t' | '\r' | ';' | ',')))
    }
}

/// A comment as it is printed: a line comment without trailing white space, a block comment
/// with `\n` line breaks.
pub(super) fn text(comment: &Comment) -> String {
    if comment.text.starts_with("//") {
        comment.text.trim_end().to_owned()
    } else {
        comment.text.replace("\r\n", "\n")
    }
}
