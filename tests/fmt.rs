#![allow(clippy::disallowed_methods)] // Tests read fixtures.

//! `wf fmt`'s layout, through `wf::fmt::format`: a snapshot per fixture in
//! `tests/fixtures/fmt/`, and over every example, stdlib module and fixture (and generated
//! programs) the promises formatting makes: formatting again changes nothing, the parse is the
//! same but for positions and how literals are spelt, no comment is lost, and no step's hash
//! changes.

mod common;
#[path = "common/programs.rs"]
mod programs;

use std::path::{Path, PathBuf};

use proptest::prelude::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn format(name: &str, text: &str) -> String {
    wf::fmt::format(text).unwrap_or_else(|errors| panic!("{name} has syntax errors: {errors:?}"))
}

/// The parse of `text` as JSON, without positions and without how literals were spelt (their
/// values stay).
fn shape(name: &str, text: &str) -> String {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for key in ["span", "keyword", "text"] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let parsed = wf::syntax::parse(text);
    assert!(parsed.errors.is_empty(), "{name} does not parse: {:?}\n{text}", parsed.errors);
    let mut json = serde_json::to_value(&parsed.file.items).expect("the AST serializes");
    strip(&mut json);
    serde_json::to_string_pretty(&json).expect("JSON prints")
}

/// Every comment's text, sorted; line comments without trailing white space, as printed.
fn comments(text: &str) -> Vec<String> {
    let mut texts: Vec<String> = wf::syntax::parse(text)
        .file
        .comments
        .iter()
        .map(|comment| {
            if comment.text.starts_with("//") {
                comment.text.trim_end().to_owned()
            } else {
                comment.text.replace("\r\n", "\n")
            }
        })
        .collect();
    texts.sort();
    texts
}

fn assert_same(name: &str, what: &str, before: &str, after: &str) {
    if before != after {
        let diff = similar::TextDiff::from_lines(before, after).unified_diff().header("before", "after").to_string();
        panic!("{name}: {what} changed:\n{diff}");
    }
}

/// Formats `text` and checks that formatting is idempotent, keeps the parse (positions and
/// literal spellings aside) and keeps every comment. Returns the formatted text.
fn assert_faithful(name: &str, text: &str) -> String {
    let formatted = format(name, text);
    assert_same(name, "formatting a second time", &formatted, &format(name, &formatted));
    assert_same(name, "the parse", &shape(name, text), &shape(name, &formatted));
    assert_eq!(comments(text), comments(&formatted), "{name}: the comments changed");
    formatted
}

/// Each step's id and hash, over every workflow the file's check produced.
fn step_hashes(path: &Path, text: &str) -> Vec<(String, String)> {
    let outcome = wf::check_text(&path.display().to_string(), text, &common::read);
    let program = &outcome.checked.program;
    program
        .workflows
        .iter()
        .flat_map(|workflow| &workflow.steps)
        .map(|step| (step.id.clone(), step.hash.clone()))
        .collect()
}

fn files_under(dirs: &[&str]) -> Vec<PathBuf> {
    let files: Vec<PathBuf> = dirs.iter().flat_map(|dir| common::wf_files(&root().join(dir))).collect();
    assert!(!files.is_empty(), "no .wf files under {dirs:?}");
    files
}

#[test]
fn fixtures() {
    insta::glob!("fixtures/fmt/*.wf", |path| {
        let source = read(path);
        assert!(source.starts_with("// "), "{} starts with a comment saying what it shows", path.display());
        let formatted = assert_faithful(&path.display().to_string(), &source);
        insta::assert_snapshot!(format!("----- SOURCE CODE\n{source}\n----- FORMATTED\n{formatted}"));
    });
}

/// Examples, stdlib modules and the fixtures that check: faithful, and every step hash the
/// same before and after.
#[test]
fn valid_files_format_faithfully_and_keep_their_step_hashes() {
    let mut compared = 0;
    for path in files_under(&["examples", "stdlib", "templates", "tests/fixtures/syntax/ok", "tests/fixtures/check/ok"])
    {
        let name = path.display().to_string();
        let text = read(&path);
        let formatted = assert_faithful(&name, &text);
        let before = step_hashes(&path, &text);
        assert_eq!(before, step_hashes(&path, &formatted), "{name}: step hashes changed");
        compared += before.len();
    }
    assert!(compared > 100, "only {compared} steps compared");
}

/// `wf fmt --check examples/ stdlib/` passes: what users copy from is in the canonical layout.
#[test]
fn examples_and_stdlib_are_formatted() {
    for path in files_under(&["examples", "stdlib", "templates"]) {
        let name = path.display().to_string();
        let text = read(&path);
        assert_same(&name, "formatting (run `wf fmt examples/ stdlib/`)", &text, &format(&name, &text));
    }
}

/// The checker's error fixtures are valid syntax (most of them): they format faithfully too.
#[test]
fn error_fixtures_that_parse_format_faithfully() {
    let mut formatted = 0;
    for path in files_under(&["tests/fixtures/check/err"]) {
        let text = read(&path);
        if wf::syntax::parse(&text).errors.is_empty() {
            assert_faithful(&path.display().to_string(), &text);
            formatted += 1;
        }
    }
    assert!(formatted > 50, "only {formatted} error fixtures parse");
}

#[test]
fn files_with_syntax_errors_are_refused_with_their_errors() {
    for path in files_under(&["tests/fixtures/syntax/err"]) {
        let text = read(&path);
        let Err(errors) = wf::fmt::format(&text) else { panic!("{} was formatted", path.display()) };
        assert_eq!(errors, wf::syntax::parse(&text).errors, "{}", path.display());
    }
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format("empty", ""), "");
    assert_eq!(format("blank", "\n\n  \n"), "");
    assert_eq!(format("comments", "\n\n// one\n\n\n/* two */   \n\n"), "// one\n\n/* two */\n");
}

#[test]
fn crlf_line_breaks_become_lf() {
    let text = "workflow w() {\r\n  run a \"x\" // note\r\n  /* two\r\n     lines */\r\n}\r\n";
    let formatted = assert_faithful("crlf", text);
    assert_eq!(formatted, "workflow w() {\n  run a \"x\" // note\n  /* two\n     lines */\n}\n");
}

fn mutate(text: &str, edits: &[(prop::sample::Index, usize, &str)]) -> String {
    let boundary = |text: &str, at: usize| {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let mut text = text.to_owned();
    for (at, delete, piece) in edits {
        let start = boundary(&text, at.index(text.len() + 1));
        let end = boundary(&text, start + delete);
        text.replace_range(start..end.max(start), piece);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: common::proptest_cases(64), ..ProptestConfig::default() })]

    #[test]
    fn generated_programs_format_faithfully(text in programs::program()) {
        let parsed = wf::syntax::parse(&text);
        prop_assert!(parsed.errors.is_empty(), "the generator made a program that does not parse: {:?}\n{text}", parsed.errors);
        assert_faithful("generated", &text);
    }

    /// Whatever the input, formatting does not panic: it either refuses it or is faithful.
    #[test]
    fn mutated_files_are_refused_or_formatted_faithfully(
        file in any::<prop::sample::Index>(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0usize..8, prop::sample::select(&[
                " ", "\n", "\n\n", "// c\n", "/* c */", "{", "}", "(", ")", "\"", ",", "1h30m", "$3.00", "not", "-",
            ][..])),
            1..4,
        ),
    ) {
        let files = files_under(&["examples", "stdlib", "templates", "tests/fixtures/syntax/ok"]);
        let text = mutate(&read(&files[file.index(files.len())]), &edits);
        if wf::fmt::format(&text).is_ok() {
            assert_faithful("mutated", &text);
        }
    }
}
