//! Whatever the text and wherever the cursor, no request panics and every range it returns
//! lies inside the document. (The protocol itself is tested by driving the binary, in
//! `tests/lsp.rs`.)

use std::io;
use std::path::Path;

use lsp_types::{CompletionResponse, GotoDefinitionResponse, Position, Range, TextDocumentContentChangeEvent, Url};
use proptest::prelude::*;

use super::documents::{Document, Documents};
use super::{completion, definition, hover, rename, symbols};

const CORPUS: &[&str] = &[
    include_str!("../../examples/bug-fix.wf"),
    include_str!("../../examples/canary.wf"),
    include_str!("../../examples/release.wf"),
    include_str!("../../stdlib/gates.wf"),
];

/// Pieces a mutation splices in: what half-typed text looks like.
const PIECES: &[&str] = &[
    "{",
    "}",
    "\"",
    "\"\"\"",
    "{{",
    "}}",
    ".",
    "plan.",
    "models.",
    ":",
    "//",
    "/*",
    "run x ",
    "agent",
    "model ",
    "repeat",
    "for s in [1] {",
    "1h30m",
    "$3.00",
    "80%",
    "é🚀",
    "\n",
    "\r\n",
    "",
];

fn no_files(_: &Path) -> io::Result<String> {
    Err(io::Error::new(io::ErrorKind::NotFound, "no files in this test"))
}

fn checked(text: &str) -> (Documents, Url) {
    let uri = Url::parse("file:///virtual/main.wf").expect("a valid URI");
    let mut documents = Documents::default();
    documents.open(uri.clone(), 1, text.to_string());
    documents.refresh(&no_files);
    (documents, uri)
}

fn assert_inside(document: &Document, range: Range) {
    let end = document.lines.position(&document.text, document.text.len());
    let fits = |p: Position| p.line < end.line || (p.line == end.line && p.character <= end.character);
    assert!(range.start <= range.end && fits(range.end), "{range:?} is outside the document (ends at {end:?})");
}

/// Asks everything at every few offsets.
fn ask_everywhere(documents: &Documents, uri: &Url, step: usize) {
    let document = documents.get(uri).expect("the document is open");
    if let Some(outline) = symbols::symbols(document) {
        let mut stack = outline;
        while let Some(symbol) = stack.pop() {
            assert_inside(document, symbol.range);
            stack.extend(symbol.children.unwrap_or_default());
        }
    }
    let mut offset = 0;
    while offset <= document.text.len() {
        if let Some(hover) = hover::hover(document, offset) {
            assert_inside(document, hover.range.expect("hovers have a range"));
        }
        if let Some(GotoDefinitionResponse::Scalar(location)) = definition::definition(document, uri, offset) {
            if location.uri == *uri {
                assert_inside(document, location.range);
            }
        }
        completion::completion(document, offset);
        if let Ok(range) = rename::prepare(document, offset) {
            assert_inside(document, range);
            rename::rename(document, uri, offset, "renamed").ok();
        }
        offset += step;
    }
}

fn char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[test]
fn the_examples_answer_everywhere() {
    for text in CORPUS {
        let (documents, uri) = checked(text);
        ask_everywhere(&documents, &uri, 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::testing::proptest_cases(16), ..ProptestConfig::default() })]

    #[test]
    fn edited_examples_answer_everywhere(
        file in any::<prop::sample::Index>(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0usize..8, prop::sample::select(PIECES)),
            1..5,
        ),
    ) {
        let text = CORPUS[file.index(CORPUS.len())];
        let (mut documents, uri) = checked(text);
        for (version, (line, column, delete, piece)) in (2..).zip(edits) {
            // Edits as an editor sends them: a range in lines and UTF-16 columns, possibly
            // past the end of a line or of the text.
            let current = documents.get(&uri).expect("open").text.clone();
            let lines = current.lines().count() + 2;
            let start = Position::new(line.index(lines) as u32, column.index(120) as u32);
            let end = Position::new(start.line, start.character + delete as u32);
            let change = TextDocumentContentChangeEvent { range: Some(Range::new(start, end)), range_length: None, text: piece.to_string() };
            documents.change(&uri, version, vec![change]);
        }
        documents.refresh(&no_files);
        ask_everywhere(&documents, &uri, 3);
    }

    #[test]
    fn arbitrary_text_answers_everywhere(text in "\\PC{0,120}") {
        let (documents, uri) = checked(&text);
        ask_everywhere(&documents, &uri, 1);
    }
}

#[test]
fn truncated_examples_answer_everywhere() {
    let text = CORPUS[0];
    let mut at = 0;
    while at < text.len() {
        let (documents, uri) = checked(&text[..char_boundary(text, at)]);
        ask_everywhere(&documents, &uri, 13);
        at += 97;
    }
}

#[test]
fn a_workflow_budget_per_completes_its_periods() {
    let text = "workflow w() {\n  budget $5.00 per \n  run a \"true\"\n}\n";
    let (documents, uri) = checked(text);
    let document = documents.get(&uri).expect("the document is open");
    let offset = text.find("per ").expect("the budget") + 4;
    let Some(CompletionResponse::Array(items)) = completion::completion(document, offset) else {
        panic!("no completion after `per`")
    };
    let labels: Vec<&str> = items.iter().map(|item| item.label.as_str()).collect();
    assert_eq!(labels, ["day", "month"]);
}
