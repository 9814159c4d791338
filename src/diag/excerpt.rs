//! What miette is shown of a file for one diagnostic: only the lines its labels touch, with
//! one line of context, and long lines cut to a window around the label.
//!
//! miette's own `SourceCode` for a string scans the text from its start for every label and
//! prints whole lines, so a file with thousands of diagnostics, or one long line, made
//! rendering quadratic; and it pads with a `{:width$}` that panics past column 65,535. An
//! [`Excerpt`] is built from a [`LineIndex`] made once per file, so each diagnostic costs a
//! binary search plus the few lines it shows, and no shown line is longer than a window.

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A line longer than this many bytes is cut to a window around the label on it.
const LONG_LINE: usize = 160;
/// How many characters of a cut line are shown before the label's start…
const BEFORE: usize = 40;
/// …and from the label's start on.
const AFTER: usize = 80;
/// A label over more lines than this is shown by its first line only.
const MAX_LABEL_LINES: usize = 8;
/// Lines of context above and below a label, as miette shows by default.
const CONTEXT: usize = 1;
/// Two labels' lines this close are shown as one snippet, with the lines between them.
const JOIN: usize = 3;
const ELLIPSIS: &str = "...";

/// Where each line of a text starts, computed once per file.
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(super) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        LineIndex { starts }
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// Line `line`'s bytes, without its line ending.
    fn bounds(&self, text: &str, line: usize) -> (usize, usize) {
        let start = self.starts[line];
        let mut end = self.starts.get(line + 1).map_or(text.len(), |&next| next - 1);
        if end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end)
    }

    fn count(&self) -> usize {
        self.starts.len()
    }
}

/// One shown line of an excerpt.
struct Shown {
    /// Its bytes in the excerpt's text, without the newline.
    start: usize,
    end: usize,
    /// Where the original's characters begin in the excerpt (after a leading `…`).
    first: usize,
    /// Its 0-based number in the file.
    number: usize,
    /// The file's 0-based character column of its first shown character.
    column: usize,
}

/// The shown lines of one diagnostic, as a source miette reads spans from.
pub(super) struct Excerpt {
    name: String,
    text: String,
    lines: Vec<Shown>,
}

/// Builds the excerpt of `text` that `labels` need, and the labels moved into it.
pub(super) fn excerpt(
    name: &str,
    text: &str,
    index: &LineIndex,
    labels: &[LabeledSpan],
) -> (Excerpt, Vec<LabeledSpan>) {
    let spans: Vec<(usize, usize)> = labels.iter().map(|label| clamp(text, index, label)).collect();
    let primary = labels.iter().position(LabeledSpan::primary).unwrap_or(0);

    let mut needed: Vec<usize> = Vec::new();
    for &(start, end) in &spans {
        let first = index.line_of(start);
        let last = index.line_of(end.saturating_sub(1).max(start));
        needed.extend(first.saturating_sub(CONTEXT)..=(last + CONTEXT).min(index.count() - 1));
    }
    needed.sort_unstable();
    needed.dedup();
    let gaps: Vec<(usize, usize)> =
        needed.windows(2).filter(|pair| pair[1] - pair[0] - 1 <= JOIN).map(|pair| (pair[0], pair[1])).collect();
    for (before, after) in gaps {
        needed.extend(before + 1..after);
    }
    needed.sort_unstable();

    let mut excerpt = Excerpt { name: name.to_string(), text: String::new(), lines: Vec::with_capacity(needed.len()) };
    // For each shown line, the original bytes it keeps.
    let mut windows: Vec<(usize, usize)> = Vec::with_capacity(needed.len());
    for &number in &needed {
        let (line_start, line_end) = index.bounds(text, number);
        let (from, to) = if line_end - line_start <= LONG_LINE {
            (line_start, line_end)
        } else {
            // Anchor the window at the primary label if it starts here, else at the first
            // label that does, else at the start of the line.
            let starts_here = |&(start, _): &(usize, usize)| (line_start..=line_end).contains(&start);
            let anchor = spans
                .get(primary)
                .filter(|span| starts_here(span))
                .or_else(|| spans.iter().find(|span| starts_here(span)))
                .map_or(line_start, |&(start, _)| start);
            (back(text, anchor, BEFORE).max(line_start), forward(text, anchor, AFTER).min(line_end))
        };
        if !excerpt.lines.is_empty() {
            excerpt.text.push('\n');
        }
        let start = excerpt.text.len();
        if from > line_start {
            excerpt.text.push_str(ELLIPSIS);
        }
        let first = excerpt.text.len();
        excerpt.text.push_str(&text[from..to]);
        if to < line_end {
            excerpt.text.push_str(ELLIPSIS);
        }
        let column = text[line_start..from].chars().count();
        excerpt.lines.push(Shown { start, end: excerpt.text.len(), first, number, column });
        windows.push((from, to));
    }

    // An original offset on a shown line, moved into the excerpt (clamped to the window).
    let place = |offset: usize, line: usize| -> Option<usize> {
        let at = needed.binary_search(&line).ok()?;
        let (from, to) = windows[at];
        Some(excerpt.lines[at].first + offset.clamp(from, to) - from)
    };
    let mut moved = Vec::with_capacity(labels.len());
    for (position, (label, &(start, end))) in labels.iter().zip(&spans).enumerate() {
        let first = index.line_of(start);
        let last = index.line_of(end.saturating_sub(1).max(start));
        let (Some(new_start), Some(new_end)) = (place(start, first), place(end.max(start), last)) else { continue };
        let (from, to) = windows[needed.binary_search(&first).unwrap_or(0)];
        // A label outside its line's window cannot be drawn; the primary always is inside.
        if position != primary && (start > to || (first == last && end < from)) {
            continue;
        }
        let span = SourceSpan::new(new_start.into(), new_end.max(new_start) - new_start);
        moved.push(if label.primary() {
            LabeledSpan::new_primary_with_span(label.label().map(String::from), span)
        } else {
            LabeledSpan::new_with_span(label.label().map(String::from), span)
        });
    }
    (excerpt, moved)
}

/// A label's bytes within the text, on character boundaries; a label over many lines keeps
/// only its first.
fn clamp(text: &str, index: &LineIndex, label: &LabeledSpan) -> (usize, usize) {
    let start = floor(text, label.offset().min(text.len()));
    let mut end = ceil(text, (label.offset() + label.len()).min(text.len())).max(start);
    let first = index.line_of(start);
    if index.line_of(end.saturating_sub(1).max(start)) > first + MAX_LABEL_LINES {
        end = index.bounds(text, first).1.max(start);
    }
    (start, end)
}

fn floor(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn ceil(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

/// The offset `chars` characters before `offset` (or the start).
fn back(text: &str, offset: usize, chars: usize) -> usize {
    text[..offset].char_indices().rev().take(chars).last().map_or(offset, |(at, _)| at)
}

/// The offset `chars` characters after `offset` (or the end).
fn forward(text: &str, offset: usize, chars: usize) -> usize {
    text[offset..].char_indices().nth(chars).map_or(text.len(), |(at, _)| offset + at)
}

impl Excerpt {
    /// The shown line holding excerpt offset `offset`.
    fn line_at(&self, offset: usize) -> usize {
        self.lines.partition_point(|line| line.end < offset).min(self.lines.len().saturating_sub(1))
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        if self.lines.is_empty() || span.offset() + span.len() > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let mut first = self.line_at(span.offset());
        let mut last = self.line_at((span.offset() + span.len()).saturating_sub(1).max(span.offset()));
        // Any context is the whole run of lines that follow each other in the file: the
        // excerpt holds just the context its labels need, and labels close together share
        // one run, so miette draws them in one snippet.
        if context_lines_before > 0 || context_lines_after > 0 {
            while first > 0 && self.lines[first - 1].number + 1 == self.lines[first].number {
                first -= 1;
            }
            while last + 1 < self.lines.len() && self.lines[last].number + 1 == self.lines[last + 1].number {
                last += 1;
            }
        }
        let (start, end) = (self.lines[first].start, self.lines[last].end);
        let line = &self.lines[self.line_at(span.offset())];
        let column = if context_lines_before == 0 {
            line.column + self.text[line.first.min(span.offset())..span.offset()].chars().count()
        } else {
            0
        };
        let number = if context_lines_before == 0 { line.number } else { self.lines[first].number };
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                &self.text.as_bytes()[start..end],
                SourceSpan::new(start.into(), end - start),
                number,
                column,
                last - first + 1,
            )
            .with_language("wf"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(start: usize, len: usize) -> LabeledSpan {
        LabeledSpan::new_primary_with_span(Some("here".to_string()), SourceSpan::new(start.into(), len))
    }

    #[test]
    fn a_long_line_is_cut_around_the_label() {
        let text = format!("first\n{}TARGET{}\nlast\n", "a".repeat(100_000), "b".repeat(100_000));
        let at = text.find("TARGET").unwrap_or_default();
        let (excerpt, labels) = excerpt("x.wf", &text, &LineIndex::new(&text), &[label(at, 6)]);
        assert!(excerpt.text.len() < 400, "{} bytes shown", excerpt.text.len());
        let moved = labels[0].offset();
        assert_eq!(&excerpt.text[moved..moved + 6], "TARGET");
        let contents = excerpt.read_span(labels[0].inner(), 0, 0).map_err(|e| e.to_string());
        let contents = contents.unwrap_or_else(|error| panic!("{error}"));
        assert_eq!((contents.line(), contents.column()), (1, 100_000));
    }

    #[test]
    fn only_the_lines_around_each_label_are_shown() {
        let text: String = (0..1000).map(|n| format!("line {n}\n")).collect();
        let at = text.find("line 500").unwrap_or_default();
        let (excerpt, labels) = excerpt("x.wf", &text, &LineIndex::new(&text), &[label(at, 4)]);
        assert_eq!(excerpt.text, "line 499\nline 500\nline 501");
        assert_eq!(labels[0].offset(), "line 499\n".len());
    }
}
