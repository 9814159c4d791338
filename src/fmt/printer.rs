//! The printer's state and what every construct shares: pushing lines, placing comments
//! before, after and among things, keeping blank lines, and printing a sequence of things
//! between delimiters.

use super::comments::{self, Comments};
use super::layout::{self, Kind, Line};
use crate::span::Span;
use crate::syntax::ast::Comment;

pub(super) struct Printer<'a> {
    pub(super) source: &'a str,
    pub(super) comments: Comments<'a>,
    lines: Vec<Line>,
}

impl<'a> Printer<'a> {
    pub(super) fn new(source: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer { source, comments: Comments::new(source, comments), lines: Vec::new() }
    }

    pub(super) fn finish(mut self) -> String {
        // Every comment has been placed on the way; this only guarantees none is ever lost.
        let mut previous = None;
        self.comments_before(usize::MAX, 0, &mut previous);
        layout::render(self.lines)
    }

    pub(super) fn push(&mut self, depth: usize, text: impl Into<String>) {
        self.lines.push(Line::new(Kind::Code, depth, text.into()));
    }

    /// Pushes a `require`/`warn` line whose message starts at byte `at` of `text`.
    pub(super) fn push_message(&mut self, depth: usize, text: String, at: usize) {
        let mut line = Line::new(Kind::Code, depth, text);
        line.message_at = Some(at);
        self.lines.push(line);
    }

    /// Takes back the last line when it is code with no comment after it, so that what comes
    /// next can continue it (`} else {`, `) {`).
    pub(super) fn continue_line(&mut self) -> Option<String> {
        match self.lines.last() {
            Some(line) if line.kind == Kind::Code && line.trailing.is_none() => self.lines.pop().map(|line| line.text),
            _ => None,
        }
    }

    pub(super) fn push_comment(&mut self, depth: usize, comment: &Comment) {
        self.lines.push(Line::new(Kind::Comment, depth, comments::text(comment)));
    }

    /// Puts `comment` at the end of the last line printed.
    fn attach(&mut self, comment: &Comment) {
        let text = comments::text(comment);
        match self.lines.last_mut() {
            Some(line) if line.kind != Kind::Blank => match &mut line.trailing {
                Some(trailing) => {
                    trailing.push(' ');
                    trailing.push_str(&text);
                }
                None => line.trailing = Some(text),
            },
            _ => self.lines.push(Line::new(Kind::Comment, 0, text)),
        }
    }

    fn blank_if_gap(&mut self, from: usize, to: usize) {
        if self.comments.breaks(from, to) >= 2 && self.lines.last().is_some_and(|line| line.kind != Kind::Blank) {
            self.lines.push(Line::new(Kind::Blank, 0, String::new()));
        }
    }

    /// Places the comments that start before `pos`. One on the same line as the thing printed
    /// last (which ended at `previous` in the source) trails it; any other gets a line of its
    /// own at `depth`, after a blank line where the source had one. `previous` is `None` at
    /// the start of a block, where no blank line is kept.
    pub(super) fn comments_before(&mut self, pos: usize, depth: usize, previous: &mut Option<usize>) {
        while let Some(comment) = self.comments.peek().filter(|comment| comment.span.start < pos) {
            self.comments.advance();
            match *previous {
                Some(end) if end <= comment.span.start && self.comments.same_line(end, comment.span.start) => {
                    self.attach(comment);
                }
                Some(end) => {
                    self.blank_if_gap(end, comment.span.start);
                    self.push_comment(depth, comment);
                }
                None => self.push_comment(depth, comment),
            }
            *previous = Some(comment.span.end);
        }
    }

    /// Moves the comments before `pos` not placed yet onto lines of their own, before what is
    /// printed next. These are comments inside a construct printed on one line (`timeout
    /// /* generous */ 5m`), which has no place for them.
    pub(super) fn hoist(&mut self, pos: usize, depth: usize) {
        for comment in self.comments.take_before(pos) {
            self.push_comment(depth, comment);
        }
    }

    /// Puts the comments written after `end` on the same line at the end of the last line
    /// printed. Returns where the last of them ends (`end` when there are none).
    pub(super) fn trailing(&mut self, end: usize) -> usize {
        let mut end = end;
        while let Some(comment) = self
            .comments
            .peek()
            .filter(|comment| comment.span.start >= end && self.comments.same_line(end, comment.span.start))
        {
            self.comments.advance();
            self.attach(comment);
            end = comment.span.end;
        }
        end
    }

    /// Prints `items` one after another at `depth`, each with `print`, keeping the comments
    /// and blank lines among them and the comments after the last one, up to `close` (where
    /// the closing delimiter is).
    pub(super) fn sequence<T>(
        &mut self,
        items: &[T],
        span_of: impl Fn(&T) -> Span,
        close: usize,
        depth: usize,
        mut print: impl FnMut(&mut Self, &T, usize),
    ) {
        let mut previous = None;
        for item in items {
            let span = span_of(item);
            self.comments_before(span.start, depth, &mut previous);
            if let Some(end) = previous {
                self.blank_if_gap(end, span.start);
            }
            print(self, item, depth);
            let end = self.comments.tight_end(span);
            previous = Some(self.trailing(end));
        }
        self.comments_before(close, depth, &mut previous);
    }

    /// Pushes `head`, which ends with an opening delimiter found at offset `open` in the
    /// source, with the comments that follow that delimiter on its line.
    pub(super) fn open_line(&mut self, depth: usize, head: String, open: usize) {
        self.push(depth, head);
        self.trailing(open + 1);
    }

    /// `head`, then `lines` one per line one level deeper, each followed by `separator`, then
    /// `closing` (whose source offset is `close`), keeping the comments among the lines.
    pub(super) fn broken_list(
        &mut self,
        depth: usize,
        head: String,
        (open, close): (usize, usize),
        lines: &[ListLine],
        separator: &str,
        closing: &str,
    ) {
        self.open_line(depth, head, open);
        self.sequence(
            lines,
            |line| line.span,
            close,
            depth + 1,
            |printer, line, depth| {
                // A line of a list has no place for comments inside it.
                printer.hoist(printer.comments.tight_end(line.span), depth);
                printer.push(depth, format!("{}{separator}", line.text));
            },
        );
        self.push(depth, closing);
    }
}

/// One line of a list that may break: where it is in the source and how it prints.
pub(super) struct ListLine {
    pub(super) span: Span,
    pub(super) text: String,
}
