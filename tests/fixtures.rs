#![allow(clippy::disallowed_methods)] // Tests read fixtures and run the binary.

//! Fixture tests: every `.wf` file under `tests/fixtures/{syntax,check}/{ok,err}`.
//!
//! `syntax/ok/` files must parse without a syntax error (they exercise the grammar, not the
//! checker); `check/ok/` files must produce no diagnostic at all. `err/NAME.wf` (or `err/NAME__variant.wf`)
//! must produce the diagnostic `wf::STAGE::NAME`, and its snapshot holds the source and the
//! rendered diagnostics, so a reviewer sees exactly what a user would.

mod common;

use std::path::Path;

use wf::diag::Format;

fn expected_code(path: &Path) -> String {
    let stage = path.parent().and_then(Path::parent).and_then(Path::file_name).unwrap().to_string_lossy().into_owned();
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    let name = stem.split("__").next().unwrap().to_string();
    // Module-loading problems live with the checker's fixtures.
    let stage = if name.starts_with("load_") { "load".to_string() } else { stage };
    let name = name.trim_start_matches("load_").to_string();
    format!("wf::{stage}::{name}")
}

fn snapshot(path: &Path) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    assert!(source.starts_with("// "), "{} starts with a comment saying what it shows", path.display());
    let outcome = common::check_file(path);
    let rendered = common::render(&outcome, Format::Human);
    format!("----- SOURCE CODE\n{source}\n----- DIAGNOSTICS\n{rendered}")
}

/// Asserts that an `err/` fixture reports its code (for syntax fixtures, as the only syntax
/// error) and returns its snapshot.
fn error_fixture(path: &Path, syntax: bool) -> String {
    let outcome = common::check_file(path);
    let code = expected_code(path);
    let codes = common::codes(&outcome);
    if syntax {
        let found: Vec<&String> = codes.iter().filter(|code| code.starts_with("wf::syntax::")).collect();
        assert_eq!(found, [&code], "{} should report exactly {code}", path.display());
    } else {
        assert!(codes.contains(&code), "{} should report {code}, got {codes:?}", path.display());
    }
    snapshot(path)
}

#[test]
fn syntax_errors() {
    insta::glob!("fixtures/syntax/err/*.wf", |path| insta::assert_snapshot!(error_fixture(path, true)));
}

#[test]
fn check_errors() {
    insta::glob!("fixtures/check/err/*.wf", |path| insta::assert_snapshot!(error_fixture(path, false)));
}

#[test]
fn valid_syntax_fixtures_parse_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax/ok");
    let files = common::wf_files(&dir);
    assert!(!files.is_empty());
    for path in files {
        let outcome = common::check_file(&path);
        let syntax: Vec<String> =
            common::codes(&outcome).into_iter().filter(|code| code.starts_with("wf::syntax::")).collect();
        assert!(syntax.is_empty(), "{} has syntax errors: {syntax:?}", path.display());
    }
}

#[test]
fn valid_check_fixtures_have_no_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/ok");
    let files = common::wf_files(&dir);
    assert!(!files.is_empty());
    for path in files {
        let outcome = common::check_file(&path);
        assert!(
            outcome.checked.diagnostics.is_empty(),
            "{} should be clean:\n{}",
            path.display(),
            common::render(&outcome, Format::Short)
        );
    }
}
