//! The checker's diagnostics as the protocol's: range, severity, code with a link to its
//! section of `docs/diagnostics.md`, message with help, secondary labels as related places.

use std::collections::HashMap;
use std::sync::OnceLock;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location, NumberOrString, Url,
};

use crate::diag::{Diagnostic, Severity};
use crate::explain;
use crate::span::Span;

use super::position::LineIndex;

/// Where `docs/diagnostics.md` is published; each code is a heading there.
const DOCS_URL: &str = "https://github.com/wf-lang/wf/blob/main/docs/diagnostics.md";

/// The diagnostics about the document itself (module 0): the ones in modules it uses are
/// published for those modules when they are open.
pub fn to_lsp(diagnostics: &[Diagnostic], text: &str, lines: &LineIndex, uri: &Url) -> Vec<lsp_types::Diagnostic> {
    diagnostics.iter().filter(|diagnostic| diagnostic.file == 0).map(|d| convert(d, text, lines, uri)).collect()
}

fn convert(diagnostic: &Diagnostic, text: &str, lines: &LineIndex, uri: &Url) -> lsp_types::Diagnostic {
    let code = diagnostic.code();
    let span = diagnostic.span();
    let labels: Vec<miette::LabeledSpan> = diagnostic.inner().labels().map(Iterator::collect).unwrap_or_default();
    let label_span = |label: &miette::LabeledSpan| Span::new(label.offset(), label.offset() + label.len());
    let (main, others): (Vec<_>, Vec<_>) = labels.iter().partition(|label| label_span(label) == span);

    let mut message = diagnostic.message();
    if let Some(label) = main.first().and_then(|label| label.label()) {
        message.push('\n');
        message.push_str(label);
    }
    if let Some(help) = diagnostic.help() {
        message.push_str("\nhelp: ");
        message.push_str(&help);
    }
    let related: Vec<DiagnosticRelatedInformation> = others
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), lines.range(text, label_span(label))),
            message: label.label().unwrap_or("related").to_string(),
        })
        .collect();
    let href = docs_anchors().get(&code).and_then(|anchor| Url::parse(&format!("{DOCS_URL}#{anchor}")).ok());
    lsp_types::Diagnostic {
        range: lines.range(text, span),
        severity: Some(match diagnostic.severity() {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        // Editors grey out what nothing uses.
        tags: code.starts_with("wf::check::unused_").then(|| vec![DiagnosticTag::UNNECESSARY]),
        code_description: href.map(|href| CodeDescription { href }),
        code: Some(NumberOrString::String(code)),
        source: Some("wf".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data: None,
    }
}

/// The anchor of every documented code's heading, as GitHub renders `docs/diagnostics.md`.
fn docs_anchors() -> &'static HashMap<String, String> {
    static ANCHORS: OnceLock<HashMap<String, String>> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut anchors = HashMap::new();
        let mut fenced = false;
        for line in explain::DOCS.lines() {
            if line.starts_with("```") {
                fenced = !fenced;
            }
            let heading = line.trim_start_matches('#');
            if fenced || heading.len() == line.len() || !heading.starts_with(' ') {
                continue;
            }
            let anchor = unique(github_anchor(heading.trim()), &mut seen);
            let code = heading.trim().trim_matches('`');
            if code.starts_with("wf::") {
                anchors.insert(code.to_string(), anchor);
            }
        }
        anchors
    })
}

/// A heading's anchor as GitHub makes it: lower case, punctuation other than `-` and `_`
/// dropped (so `wf::check::unknown_step` becomes `wfcheckunknown_step`), spaces as `-`.
fn github_anchor(heading: &str) -> String {
    heading
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// GitHub numbers repeated anchors: `name`, `name-1`, `name-2`.
fn unique(anchor: String, seen: &mut HashMap<String, usize>) -> String {
    let count = seen.entry(anchor.clone()).or_insert(0);
    let out = if *count == 0 { anchor } else { format!("{anchor}-{count}") };
    *count += 1;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_follow_github() {
        assert_eq!(github_anchor("`wf::check::unknown_step`"), "wfcheckunknown_step");
        assert_eq!(github_anchor("Diagnostics"), "diagnostics");
        assert_eq!(github_anchor("What it is, and why?"), "what-it-is-and-why");
        let mut seen = HashMap::new();
        assert_eq!(unique("a".into(), &mut seen), "a");
        assert_eq!(unique("a".into(), &mut seen), "a-1");
    }

    #[test]
    fn every_documented_code_has_an_anchor() {
        let anchors = docs_anchors();
        for entry in explain::entries() {
            let anchor = anchors.get(&entry.code).unwrap_or_else(|| panic!("no anchor for {}", entry.code));
            assert_eq!(*anchor, entry.code.replace("::", ""));
        }
    }
}
