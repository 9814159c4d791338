//! Whatever the text and wherever the cursor, no request panics and every range it returns
//! lies inside the document. (The protocol itself is tested by driving the binary, in
//! `tests/lsp.rs`.)

use std::io;
use std::path::Path;

use lsp_types::{CompletionResponse, GotoDefinitionResponse, Position, Range, TextDocumentContentChangeEvent, Url};
use proptest::prelude::*;

use super::analysis::Analysis;
use super::documents::{Document, Documents};
use super::{completion, definition, diagnostics, hover, rename, symbols};
use crate::load::ModuleCache;
use crate::span::Span;

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

/// The files the incremental-parse property edits: workflows with nested statements, and a
/// module of plain items.
const INCREMENTAL_CORPUS: &[&str] = &[
    include_str!("../../examples/bug-fix.wf"),
    include_str!("../../examples/canary.wf"),
    include_str!("../../examples/feature.wf"),
    include_str!("../../examples/incident.wf"),
    include_str!("../../examples/multi-repo.wf"),
    include_str!("../../examples/release.wf"),
    include_str!("../../stdlib/gates.wf"),
    include_str!("../../stdlib/models.wf"),
];

/// What typing looks like: mostly text that keeps the file valid (inside a name, a number,
/// white space, a comment), with some that breaks it.
const TYPING: &[&str] = &[
    "x",
    "1",
    "0",
    " ",
    "\n",
    "_",
    "// note\n",
    "/* c */",
    "//",
    "/*",
    "\"",
    "{",
    "}",
    "{{",
    ".",
    "run y \"true\"\n",
    "phase p { run z \"true\" }\n",
    "retry 2\n",
    "é",
    "",
];

/// The document as the server holds it after the edits, against a full parse and check of the
/// same text: the same diagnostics, and (when it kept a tree) the same tree, span by span.
fn assert_same_as_full(documents: &Documents, uri: &Url) -> Result<(), TestCaseError> {
    let document = documents.get(uri).expect("the document is open");
    let analysis = document.analysis.as_ref().expect("checked");
    let name = document.path.as_ref().expect("a file URI").display().to_string();
    let full = Analysis::new(&name, &document.text, None, &no_files, &ModuleCache::default());
    let published = diagnostics::to_lsp(&analysis.checked.diagnostics, &document.text, &document.lines, uri);
    let expected = diagnostics::to_lsp(&full.checked.diagnostics, &document.text, &document.lines, uri);
    prop_assert_eq!(published, expected, "diagnostics of {:?}", document.text);
    let parsed = serde_json::to_string(&crate::syntax::parse(&document.text).file).expect("serialises");
    let checked = serde_json::to_string(&analysis.loaded.modules[0].ast).expect("serialises");
    prop_assert_eq!(&checked, &parsed, "tree checked for {:?}", document.text);
    if let Some(tree) = &document.tree {
        prop_assert_eq!(
            &serde_json::to_string(tree).expect("serialises"),
            &parsed,
            "tree kept for {:?}",
            document.text
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::testing::proptest_cases(32), ..ProptestConfig::default() })]

    /// Edits through the document path (incremental where it can be) publish exactly what a
    /// full parse and check of the resulting text does; checked after each edit or batch.
    #[test]
    fn incremental_edits_equal_full_parses(
        file in any::<prop::sample::Index>(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0usize..6, prop::sample::select(TYPING), any::<bool>()),
            1..10,
        ),
    ) {
        let text = INCREMENTAL_CORPUS[file.index(INCREMENTAL_CORPUS.len())];
        let (mut documents, uri) = checked(text);
        for (version, (at, delete, piece, refresh)) in (2..).zip(edits) {
            let document = documents.get(&uri).expect("open");
            let start = char_boundary(&document.text, at.index(document.text.len() + 1));
            let end = char_boundary(&document.text, start + delete).max(start);
            let range = document.lines.range(&document.text, Span::new(start, end));
            let change = TextDocumentContentChangeEvent { range: Some(range), range_length: None, text: piece.to_string() };
            documents.change(&uri, version, vec![change]);
            if refresh {
                documents.refresh(&no_files);
                assert_same_as_full(&documents, &uri)?;
            }
        }
        documents.refresh(&no_files);
        assert_same_as_full(&documents, &uri)?;
    }
}

/// Typing inside a step's name, in a phase, and inside a `const` keeps the tree (the edit was
/// spliced in, not parsed whole), and the result is the full parse's.
#[test]
fn an_edit_inside_a_statement_is_spliced() {
    let text =
        "const n = 1\nworkflow w() {\n  phase a {\n    run one \"true\"\n  }\n  // after\n  run two \"true\"\n}\n";
    let (mut documents, uri) = checked(text);
    assert!(documents.get(&uri).expect("open").tree.is_some(), "a clean text keeps its tree");
    for (version, (after, piece)) in (2..).zip([("run one", "x"), ("const n = 1", "0"), ("run two \"tr", "u")]) {
        let document = documents.get(&uri).expect("open");
        let at = document.text.find(after).expect("in the text") + after.len();
        let range = document.lines.range(&document.text, Span::new(at, at));
        let change = TextDocumentContentChangeEvent { range: Some(range), range_length: None, text: piece.to_string() };
        documents.change(&uri, version, vec![change]);
        assert!(documents.get(&uri).expect("open").tree.is_some(), "`{piece}` after `{after}` was spliced");
        documents.refresh(&no_files);
        assert_same_as_full(&documents, &uri).expect("the same as a full parse");
    }
    let document = documents.get(&uri).expect("open");
    assert!(document.text.contains("run onex \"true\"") && document.text.contains("const n = 10"));
    assert!(document.text.contains("run two \"truue\""));
}

/// An edit across two statements parses their workflow again (still without the rest of the
/// file); one across two items, or one that leaves a syntax error, parses the whole file: the
/// tree is dropped until a check finds the text clean again.
#[test]
fn an_edit_across_statements_or_items_or_with_an_error() {
    let text = "const n = 1\nworkflow w() {\n  run one \"true\"\n  run two \"true\"\n}\n";
    for (from, to, piece, spliced) in
        [("one", "two", "x", true), ("n = 1", "w()", "m = 2\nworkflow v()", false), ("one \"", "one \"", "{", false)]
    {
        let (mut documents, uri) = checked(text);
        let start = text.find(from).expect("in the text");
        let end = text.find(to).expect("in the text").max(start);
        let document = documents.get(&uri).expect("open");
        let range = document.lines.range(&document.text, Span::new(start, end));
        let change = TextDocumentContentChangeEvent { range: Some(range), range_length: None, text: piece.to_string() };
        documents.change(&uri, 2, vec![change]);
        let kept = documents.get(&uri).expect("open").tree.is_some();
        assert_eq!(kept, spliced, "`{piece}` over {from}..{to}");
        documents.refresh(&no_files);
        assert_same_as_full(&documents, &uri).expect("the same as a full parse");
    }
}

/// The nesting bound falls at the same place for a statement parsed alone as in its file: the
/// deepest statement the file accepts is spliced, one level more is parsed whole (and
/// reported).
#[test]
fn the_nesting_bound_holds_for_a_spliced_statement() {
    let text = |depth: usize| format!("workflow w() {{\n  wait w {}30m{}\n}}\n", "(".repeat(depth), ")".repeat(depth));
    let deepest = (1..200).take_while(|&depth| crate::syntax::parse(&text(depth)).errors.is_empty()).last();
    let deepest = deepest.expect("some nesting parses");
    assert!(deepest < 199, "the bound is reached");
    for (from, spliced) in [(deepest - 1, true), (deepest, false)] {
        let before = text(from);
        let (mut documents, uri) = checked(&before);
        let at = before.find("30m").expect("the duration");
        let document = documents.get(&uri).expect("open");
        let range = document.lines.range(&document.text, Span::new(at, at + 3));
        let change =
            TextDocumentContentChangeEvent { range: Some(range), range_length: None, text: "(30m)".to_string() };
        documents.change(&uri, 2, vec![change]);
        assert_eq!(documents.get(&uri).expect("open").tree.is_some(), spliced, "from depth {from}");
        assert_eq!(documents.get(&uri).expect("open").text, text(from + 1));
        documents.refresh(&no_files);
        assert_same_as_full(&documents, &uri).expect("the same as a full parse");
    }
}

/// A line comment typed into a statement that runs to the statement's end could run on past
/// it in the file (here over the next step): that edit is parsed whole.
#[test]
fn a_line_comment_reaching_the_end_of_a_statement_is_parsed_whole() {
    let before = "workflow w() {\n  run a \"x\" { timeout 1m } run b \"y\"\n}\n";
    let (mut documents, uri) = checked(before);
    let at = before.find("{ timeout").expect("the block");
    let document = documents.get(&uri).expect("open");
    let range = document.lines.range(&document.text, Span::new(at, at + "{ timeout 1m ".len()));
    let change = TextDocumentContentChangeEvent { range: Some(range), range_length: None, text: "// c {".to_string() };
    documents.change(&uri, 2, vec![change]);
    let document = documents.get(&uri).expect("open");
    assert_eq!(document.text, "workflow w() {\n  run a \"x\" // c {} run b \"y\"\n}\n");
    assert!(document.tree.is_none(), "the comment hides `run b`: parsed whole");
    documents.refresh(&no_files);
    assert_same_as_full(&documents, &uri).expect("the same as a full parse");
}
