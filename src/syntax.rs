//! Stage 1: `.wf` text to an [`ast::File`], with every syntax error found.
//!
//! The grammar lives in `grammar/wf.pest`. Parsing never stops at the first error: when pest
//! fails inside a block, the failing statement or attribute is recorded and blanked out and
//! the item parsed again; elsewhere parsing resumes at the next top-level item. So one typo
//! hides neither the next one nor the rest of its workflow. No I/O happens here.

pub mod ast;
mod diagnose;
mod error;
mod grammar;
mod limits;
mod lower;
pub mod reparse;
mod scan;
pub mod shift;

pub(crate) use diagnose::RESERVED;
pub use error::{SyntaxError, SKIPS_TEXT};

/// What parsing one file produced: the best tree it could build and every error, sorted by
/// position.
#[derive(Debug)]
pub struct Parsed {
    pub file: ast::File,
    pub errors: Vec<SyntaxError>,
}

/// Parses one file's text.
pub fn parse(source: &str) -> Parsed {
    lower::parse(source)
}

/// Reads the whole of `text` as one literal, as a file would write it (`90s`, `$2.10`,
/// `12k tokens`, `80%`, `3`, `2.5`, `true`); the error says what is wrong with it.
pub fn literal(text: &str) -> Result<ast::LitValue, String> {
    lower::read_literal(text)
}
