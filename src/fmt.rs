//! `wf fmt`: one canonical layout for `.wf` files, printed from the AST with every comment kept.
//!
//! The printer walks the tree in source order and turns it into [`Line`](layout::Line)s; the
//! comments of `ast::File::comments` are placed on the way by position: a comment on the same
//! line as the code before it stays trailing, any other comment stays on its own line before
//! what follows it, and a comment before a `}` stays inside that block. Blank lines between
//! items, statements and comments are kept (at most one). Finally [`layout::render`] indents
//! the lines and lines up `require`/`warn` messages and trailing comments.
//!
//! Formatting never changes meaning: strings are copied as written, text blocks only move
//! their common indentation, literals are rewritten from their value, and parentheses are kept
//! where written. Tests hold the parse of the output equal to the parse of the input (spans
//! aside) and every step hash unchanged. No I/O happens here.

mod attr;
mod comments;
mod expr;
mod items;
mod layout;
mod literal;
mod printer;
mod stmt;

use crate::syntax::{self, SyntaxError};

/// Formats one file's text. A file with syntax errors is not formatted: its errors come back,
/// sorted by position, for the caller to report.
pub fn format(text: &str) -> Result<String, Vec<SyntaxError>> {
    let parsed = syntax::parse(text);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let mut printer = printer::Printer::new(text, &parsed.file.comments);
    printer.file(&parsed.file);
    Ok(printer.finish())
}
