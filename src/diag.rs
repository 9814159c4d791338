//! Diagnostics from every stage, in one shape, and their rendering.
//!
//! Each stage has its own error enum deriving [`miette::Diagnostic`]; a [`Diagnostic`] pairs
//! one of them with the file it is about. Wording lives in the enums; layout lives in
//! [`render`].

mod excerpt;
mod position;
mod render;
mod sarif;

use std::fmt;
use std::sync::Arc;

pub use render::{render, Format, Style, MAX_PER_FILE};

use crate::ir::FileId;
use crate::span::Span;

/// One problem in one file, from any stage.
#[derive(Clone)]
pub struct Diagnostic {
    pub file: FileId,
    inner: Arc<dyn miette::Diagnostic + Send + Sync>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl Diagnostic {
    pub fn new(file: FileId, error: impl miette::Diagnostic + Send + Sync + 'static) -> Diagnostic {
        Diagnostic { file, inner: Arc::new(error) }
    }

    /// The stable code, such as `wf::check::unknown_step`.
    pub fn code(&self) -> String {
        self.inner.code().map(|code| code.to_string()).unwrap_or_default()
    }

    pub fn severity(&self) -> Severity {
        match self.inner.severity() {
            Some(miette::Severity::Warning | miette::Severity::Advice) => Severity::Warning,
            Some(miette::Severity::Error) | None => Severity::Error,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    pub fn message(&self) -> String {
        self.inner.to_string()
    }

    pub fn help(&self) -> Option<String> {
        self.inner.help().map(|help| help.to_string())
    }

    /// Where the problem is: the primary label, else the first one.
    pub fn span(&self) -> Span {
        let labels: Vec<miette::LabeledSpan> = self.inner.labels().map(Iterator::collect).unwrap_or_default();
        labels
            .iter()
            .find(|label| label.primary())
            .or(labels.first())
            .map_or(Span::default(), |label| Span::new(label.offset(), label.offset() + label.len()))
    }

    pub(crate) fn inner(&self) -> &(dyn miette::Diagnostic + Send + Sync) {
        &*self.inner
    }
}

impl fmt::Debug for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}] {:?}: {}", self.severity().as_str(), self.code(), self.span(), self.message())
    }
}

/// Sorts by file, then position, then code, so output is stable.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_cached_key(|d| (d.file, d.span().start, d.span().end, d.code()));
}
