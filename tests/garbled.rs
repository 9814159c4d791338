#![allow(clippy::disallowed_methods)] // Tests read fixtures and run the binary.

//! Garbled input never panics, and every diagnostic it produces is well formed: a code, a
//! span inside the file, and a message free of parser internals.

mod common;

use proptest::prelude::*;

fn corpus() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = common::wf_files(&root.join("examples"));
    files.extend(common::wf_files(&root.join("tests/fixtures")));
    files.into_iter().map(|path| std::fs::read_to_string(path).unwrap()).collect()
}

/// Words and symbols a mutation splices in: keywords, literals and broken pieces.
const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\"\"\"",
    "{{",
    "}}",
    "$",
    "%",
    "..",
    ".",
    ",",
    ":",
    ";",
    "//",
    "/*",
    "workflow",
    "phase",
    "run",
    "agent",
    "gate",
    "parallel",
    "max",
    "repeat",
    "until",
    "for",
    "in",
    "if",
    "else",
    "retry",
    "on failure",
    "timeout",
    "1h30m",
    "$3.00",
    "12k tokens",
    "80%",
    "-",
    "not",
    "==",
    "\\",
    "\n",
    "é",
    "\u{0}",
];

fn assert_well_formed(text: &str) {
    let outcome = common::check_text(text);
    for diagnostic in &outcome.checked.diagnostics {
        let code = diagnostic.code();
        assert!(code.starts_with("wf::"), "no code on {diagnostic:?}");
        let len = outcome.sources.get(diagnostic.file).text.len();
        let span = diagnostic.span();
        assert!(span.start <= span.end && span.end <= len, "span {span:?} outside a file of {len} bytes");
        let message = diagnostic.message();
        for internal in ["Rule::", "EOI", "WHITESPACE", "COMMENT", "_kw", "positives", "negatives"] {
            assert!(!message.contains(internal), "parser internals in {message:?}");
        }
    }
    // Rendering must not panic either, in any format.
    for format in [wf::diag::Format::Human, wf::diag::Format::Short, wf::diag::Format::Json, wf::diag::Format::Github] {
        common::render(&outcome, format);
    }
}

fn char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic(
        file in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..12, prop::sample::select(PIECES)), 1..6),
    ) {
        let corpus = corpus();
        let mut text = corpus[file.index(corpus.len())].clone();
        for (at, delete, piece) in edits {
            let start = char_boundary(&text, at.index(text.len() + 1));
            let end = char_boundary(&text, start + delete);
            text.replace_range(start..end.max(start), piece);
        }
        assert_well_formed(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        assert_well_formed(&text);
    }
}

/// Every file cut every 29 bytes: each cut lands at a different offset within the constructs
/// (29 is prime), and the whole corpus takes seconds rather than the minutes a cut every 7
/// bytes took on two cores.
#[test]
fn truncated_files_never_panic() {
    for text in corpus() {
        let mut at = 0;
        while at < text.len() {
            let cut = char_boundary(&text, at);
            assert_well_formed(&text[..cut]);
            at += 29;
        }
    }
}
