//! Lines as the printer makes them, and how they become text: indentation, `require`/`warn`
//! messages lined up in a gate, and trailing comments lined up across neighbouring lines.

/// One level of indentation.
pub(super) const INDENT: &str = "  ";

/// Lines are kept within this many characters where the layout has a choice.
pub(super) const MAX_WIDTH: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Code,
    /// A comment on a line of its own.
    Comment,
    Blank,
}

#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) kind: Kind,
    pub(super) depth: usize,
    /// The line without its indentation. Text after a line break inside it (a text block, a
    /// block comment) is already laid out and carries its own indentation.
    pub(super) text: String,
    /// For `require`/`warn`: where the message starts in `text`, so that neighbouring
    /// messages can start in one column.
    pub(super) message_at: Option<usize>,
    /// The comments written after this line's code on the same line, joined by spaces.
    pub(super) trailing: Option<String>,
}

impl Line {
    pub(super) fn new(kind: Kind, depth: usize, text: String) -> Line {
        Line { kind, depth, text, message_at: None, trailing: None }
    }

    /// Whether the line can line up with its neighbours: code on one line.
    fn aligns(&self) -> bool {
        self.kind == Kind::Code && !self.text.contains('\n')
    }
}

/// The width of `text` in characters when it starts at `depth`, or `None` when it spans
/// several lines.
pub(super) fn width(depth: usize, text: &str) -> Option<usize> {
    (!text.contains('\n')).then(|| INDENT.len() * depth + text.chars().count())
}

/// Whether `text` fits on one line at `depth`.
pub(super) fn fits(depth: usize, text: &str) -> bool {
    width(depth, text).is_some_and(|width| width <= MAX_WIDTH)
}

pub(super) fn render(mut lines: Vec<Line>) -> String {
    while lines.last().is_some_and(|line| line.kind == Kind::Blank) {
        lines.pop();
    }
    align_messages(&mut lines);
    let columns = comment_columns(&lines);
    let mut out = String::new();
    for (line, column) in lines.iter().zip(columns) {
        if line.kind == Kind::Blank {
            out.push('\n');
            continue;
        }
        let start = out.len();
        out.push_str(&INDENT.repeat(line.depth));
        out.push_str(&line.text);
        if let Some(comment) = &line.trailing {
            let last_line = out[start..].rsplit('\n').next().unwrap_or_default();
            let used = last_line.chars().count();
            out.push_str(&" ".repeat(column.unwrap_or(used + 1).saturating_sub(used).max(1)));
            out.push_str(comment);
        }
        out.push('\n');
    }
    out
}

/// Runs of neighbouring lines that line up: consecutive one-line code lines at one depth.
/// A blank line, a comment line, a line at another depth or a multi-line one ends a run.
fn runs(lines: &[Line], belongs: impl Fn(&Line) -> bool) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < lines.len() {
        if !belongs(&lines[start]) {
            start += 1;
            continue;
        }
        let depth = lines[start].depth;
        let mut end = start + 1;
        while end < lines.len() && belongs(&lines[end]) && lines[end].depth == depth {
            end += 1;
        }
        runs.push(start..end);
        start = end;
    }
    runs
}

/// Where a run of lines lines something up: `cells` holds, per line, the width before the
/// aligned part and the width of the aligned part. Returns each line's column, `None` for a
/// line left out. The column is one past the widest first part; while that would push a line
/// that fits past [`MAX_WIDTH`], the line with the widest first part is left out, so one long
/// condition does not push every message in a gate to the right.
fn columns(cells: &[Option<(usize, usize)>]) -> Vec<Option<usize>> {
    let mut members: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].is_some()).collect();
    let cell = |i: usize| cells[i].unwrap_or_default();
    loop {
        let column = members.iter().map(|&i| cell(i).0).max().unwrap_or(0) + 1;
        let pushed_over = |&i: &usize| {
            let (before, after) = cell(i);
            before + 1 + after <= MAX_WIDTH && column + after > MAX_WIDTH
        };
        if members.len() < 2 || !members.iter().any(pushed_over) {
            let mut out = vec![None; cells.len()];
            for i in members {
                out[i] = Some(column);
            }
            return out;
        }
        let widest = members.iter().enumerate().max_by_key(|&(_, &i)| cell(i).0).map_or(0, |(at, _)| at);
        members.remove(widest);
    }
}

/// Pads the conditions of consecutive `require`/`warn` lines so their messages line up.
fn align_messages(lines: &mut [Line]) {
    for run in runs(lines, |line| line.aligns() && line.message_at.is_some()) {
        let cells: Vec<Option<(usize, usize)>> = lines[run.clone()]
            .iter()
            .map(|line| {
                let at = line.message_at.unwrap_or(0);
                let before = INDENT.len() * line.depth + line.text[..at].trim_end().chars().count();
                Some((before, line.text[at..].chars().count()))
            })
            .collect();
        for (line, column) in lines[run].iter_mut().zip(columns(&cells)) {
            let (Some(at), Some(column)) = (line.message_at, column) else { continue };
            let used = INDENT.len() * line.depth + line.text[..at].chars().count();
            let pad = column.saturating_sub(used);
            line.text.insert_str(at, &" ".repeat(pad));
            line.message_at = Some(at + pad);
        }
    }
}

/// The column each trailing comment starts at: in a run of neighbouring code lines, the
/// comments line up one space after the widest code that has one (see [`columns`]).
fn comment_columns(lines: &[Line]) -> Vec<Option<usize>> {
    let mut out = vec![None; lines.len()];
    for run in runs(lines, Line::aligns) {
        let cells: Vec<Option<(usize, usize)>> = lines[run.clone()]
            .iter()
            .map(|line| {
                let comment = line.trailing.as_ref().filter(|comment| !comment.contains('\n'))?;
                Some((width(line.depth, &line.text)?, comment.chars().count()))
            })
            .collect();
        for (index, column) in run.zip(columns(&cells)) {
            out[index] = column;
        }
    }
    out
}
