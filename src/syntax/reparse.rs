//! Parsing again only what an edit touched: the one top-level statement of a workflow body
//! (or the one item) the edited range lies strictly inside, spliced into the tree of the text
//! before the edit. The language server uses this so that a keystroke in a 5,000-line file
//! does not parse the 5,000 lines again.
//!
//! The contract is that the result is exactly what [`super::parse`] gives for the new text,
//! spans and comments included. So anything that could differ is refused and the caller
//! parses the whole file: an edit that is not strictly inside one statement or item, a new
//! text that is not exactly one statement (or item), any syntax error, a string or block
//! comment that never ends, or a line comment that runs to the end of the slice (in the file
//! it might run further).

use super::ast::{Comment, Entry, File, Item};
use super::lower;
use super::shift;
use crate::span::Span;

/// How many grammar rules deep a top-level statement of a workflow body sits in its item
/// (`item`, `workflow_item`, `block`), for the nesting bound.
const TOP_STATEMENT_DEPTH: usize = 3;

/// `old..old_end` (byte offsets in the text before the edit) was replaced by `inserted`
/// bytes, giving `text`; `file` is the parse of the text before the edit, which had no syntax
/// error. Updates `file` to the parse of `text` and returns `true`, or leaves it untouched
/// and returns `false` when the edit needs a full parse.
pub fn splice(file: &mut File, text: &str, old: usize, old_end: usize, inserted: usize) -> bool {
    let Some(delta) = isize::try_from(inserted).ok().zip(isize::try_from(old_end - old).ok()).map(|(a, b)| a - b)
    else {
        return false;
    };
    let inside = |span: Span| span.start < old && old_end < span.end;
    let Some(at) = file.items.iter().position(|item| inside(shift::item_span(item))) else { return false };
    let statement = match &file.items[at] {
        Item::Workflow(workflow) => workflow.body.entries.iter().position(|entry| match entry {
            Entry::Stmt(stmt) => inside(shift::stmt_span(stmt)),
            Entry::Attr(_) => false,
        }),
        Item::Use(_) | Item::Const(_) | Item::Model(_) | Item::Provider(_) => None,
    };
    match statement {
        Some(entry) => splice_statement(file, text, at, entry, delta),
        None => splice_item(file, text, at, delta),
    }
}

/// The new text of the old span `span`, or `None` when the edit leaves no such slice.
fn new_slice(text: &str, span: Span, delta: isize) -> Option<&str> {
    let end = span.end.checked_add_signed(delta)?;
    text.get(span.start..end)
}

/// Whether a slice's comments read the same in the whole file: a line comment that reaches
/// the end of the slice could go on past it.
fn comments_end_inside(slice: &str, comments: &[Comment]) -> bool {
    comments.last().is_none_or(|last| !(last.text.starts_with("//") && last.span.end == slice.len()))
}

fn splice_statement(file: &mut File, text: &str, item: usize, entry: usize, delta: isize) -> bool {
    let Item::Workflow(workflow) = &mut file.items[item] else { return false };
    let Entry::Stmt(old) = &workflow.body.entries[entry] else { return false };
    let old_span = shift::stmt_span(old);
    let Some(slice) = new_slice(text, old_span, delta) else { return false };
    let Some((mut stmt, mut comments)) = lower::parse_statement(slice, TOP_STATEMENT_DEPTH) else { return false };
    if !comments_end_inside(slice, &comments) {
        return false;
    }
    let Ok(offset) = isize::try_from(old_span.start) else { return false };
    shift::stmt(&mut stmt, offset);
    comments.iter_mut().for_each(|comment| shift::comment(comment, offset));

    workflow.body.entries[entry] = Entry::Stmt(stmt);
    for later in &mut workflow.body.entries[entry + 1..] {
        match later {
            Entry::Stmt(stmt) => shift::stmt(stmt, delta),
            Entry::Attr(attr) => shift::attr(attr, delta),
        }
    }
    grow(&mut workflow.body.span, delta);
    grow(&mut workflow.span, delta);
    finish(file, item, old_span, comments, delta);
    true
}

fn splice_item(file: &mut File, text: &str, item: usize, delta: isize) -> bool {
    let old_span = shift::item_span(&file.items[item]);
    let Some(slice) = new_slice(text, old_span, delta) else { return false };
    let Some(mut parsed) = lower::parse_if_clean(slice) else { return false };
    if parsed.file.items.len() != 1 || !comments_end_inside(slice, &parsed.file.comments) {
        return false;
    }
    let Ok(offset) = isize::try_from(old_span.start) else { return false };
    shift::file(&mut parsed.file, offset);
    let Some(new) = parsed.file.items.pop() else { return false };
    file.items[item] = new;
    finish(file, item, old_span, parsed.file.comments, delta);
    true
}

/// The items after `item` moved by `delta`, and the comments of the old span replaced by
/// `comments` (those after it moved).
fn finish(file: &mut File, item: usize, old_span: Span, comments: Vec<Comment>, delta: isize) {
    for later in &mut file.items[item + 1..] {
        shift::item(later, delta);
    }
    let first = file.comments.partition_point(|comment| comment.span.start < old_span.start);
    let after = file.comments.partition_point(|comment| comment.span.start < old_span.end);
    for later in &mut file.comments[after..] {
        shift::comment(later, delta);
    }
    file.comments.splice(first..after, comments);
}

/// An enclosing span, whose end moves with the text inside it.
fn grow(span: &mut Span, delta: isize) {
    span.end = span.end.saturating_add_signed(delta);
}
