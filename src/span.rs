//! Byte ranges into a source file.

use std::cell::Cell;

use serde::{Deserialize, Serialize};

thread_local! {
    static POSITIONS_HIDDEN: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with source positions hidden: spans, and the IR's arena indices (which ask
/// [`positions_hidden`]), serialize as nothing. A step's content hash is computed this way
/// (`ir::step_hash`), so moving a step or reformatting its file leaves the hash alone. The
/// switch lives here, at the bottom, so that `Span` needs nothing above it.
pub(crate) fn without_positions<T>(f: impl FnOnce() -> T) -> T {
    POSITIONS_HIDDEN.with(|flag| flag.set(true));
    let result = f();
    POSITIONS_HIDDEN.with(|flag| flag.set(false));
    result
}

/// Whether this thread is inside [`without_positions`].
pub(crate) fn positions_hidden() -> bool {
    POSITIONS_HIDDEN.with(Cell::get)
}

/// A half-open byte range `start..end` into one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // Positions are not part of what a step does (see `ir::step_hash`).
        if positions_hidden() {
            return serializer.serialize_unit();
        }
        let mut span = serializer.serialize_struct("Span", 2)?;
        span.serialize_field("start", &self.start)?;
        span.serialize_field("end", &self.end)?;
        span.end()
    }
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl From<pest::Span<'_>> for Span {
    fn from(span: pest::Span<'_>) -> Span {
        Span::new(span.start(), span.end())
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> miette::SourceSpan {
        miette::SourceSpan::new(span.start.into(), span.len())
    }
}
