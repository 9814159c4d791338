#![allow(clippy::disallowed_methods)] // Tests read fixtures and run the binary.

//! Diagnostic codes: unique, documented, explained with examples that really trigger them,
//! and each shown by at least one failing fixture.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use wf::diag::Format;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `code(wf::...)` written in the source, with how many times.
fn codes_in_source() -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("code(wf::").skip(1) {
                let name: String =
                    piece.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
                *counts.entry(format!("wf::{name}")).or_insert(0) += 1;
            }
        }
    }
    counts
}

#[test]
fn codes_are_unique() {
    let counts = codes_in_source();
    assert!(counts.len() > 40, "expected the full set of codes, found {}", counts.len());
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "codes used by more than one variant: {repeated:?}");
}

#[test]
fn every_code_is_documented_and_every_documented_code_exists() {
    let in_source: BTreeSet<String> = codes_in_source().into_keys().collect();
    let documented: BTreeSet<String> = wf::explain::entries().into_iter().map(|entry| entry.code).collect();
    let undocumented: Vec<_> = in_source.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&in_source).collect();
    assert!(undocumented.is_empty(), "codes missing from docs/diagnostics.md: {undocumented:?}");
    assert!(stale.is_empty(), "docs/diagnostics.md documents codes that do not exist: {stale:?}");
}

#[test]
fn explain_examples_fail_with_their_code_and_the_fixes_are_clean() {
    for entry in wf::explain::entries() {
        let failing = entry.failing.as_deref().unwrap_or_else(|| panic!("{} has no failing example", entry.code));
        let fixed = entry.fixed.as_deref().unwrap_or_else(|| panic!("{} has no fixed example", entry.code));
        let outcome = common::check_text(failing);
        // `wf::compile::*` examples check clean; tests/compile.rs compiles them.
        let expected = if entry.code.starts_with("wf::compile::") { None } else { Some(&entry.code) };
        assert!(
            expected.is_none_or(|code| common::codes(&outcome).contains(code)),
            "the failing example of {} reports {:?}",
            entry.code,
            common::codes(&outcome)
        );
        let outcome = common::check_text(fixed);
        assert!(
            outcome.checked.diagnostics.is_empty(),
            "the fixed example of {} is not clean:\n{}",
            entry.code,
            common::render(&outcome, Format::Short)
        );
    }
}

#[test]
fn every_code_has_a_failing_fixture() {
    let mut covered = BTreeSet::new();
    for stage in ["syntax", "check"] {
        for path in common::wf_files(&root().join("tests/fixtures").join(stage).join("err")) {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let name = stem.split("__").next().unwrap().to_string();
            match name.strip_prefix("load_") {
                Some(name) => covered.insert(format!("wf::load::{name}")),
                None => covered.insert(format!("wf::{stage}::{name}")),
            };
        }
    }
    // `wf::compile::*` codes are about engines, not files: tests/compile.rs compiles their examples.
    let missing: Vec<String> = codes_in_source()
        .into_keys()
        .filter(|code| !covered.contains(code) && !code.starts_with("wf::compile::"))
        .collect();
    assert!(missing.is_empty(), "codes without a failing fixture: {missing:?}");
}
