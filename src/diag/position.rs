//! Line and column of a byte offset, as the JSON, GitHub and SARIF renderings give them:
//! below both `render.rs` and `sarif.rs`, which `render.rs` dispatches to.

use codespan_reporting::files::{Files, SimpleFiles};
use serde::Serialize;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct Position {
    pub line: usize,
    pub column: usize,
}

pub(super) fn position(files: &SimpleFiles<&str, &str>, file: usize, offset: usize) -> Position {
    match files.location(file, offset) {
        Ok(location) => Position { line: location.line_number, column: location.column_number },
        Err(_) => Position { line: 1, column: 1 },
    }
}
