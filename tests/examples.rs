#![allow(clippy::disallowed_methods)] // Tests read fixtures and run the binary.

//! Every example and stdlib module checks with no diagnostic at all, and the examples' IR is
//! snapshotted so that a change in what the checker produces is reviewed.

mod common;

use std::path::Path;

use wf::diag::Format;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn examples_and_stdlib_check_without_warnings() {
    let mut files = common::wf_files(&root().join("examples"));
    files.extend(common::wf_files(&root().join("stdlib")));
    files.extend(common::wf_files(&root().join("templates")));
    assert!(files.len() >= 12, "expected the examples and the stdlib, found {files:?}");
    for path in files {
        let outcome = common::check_file(&path);
        assert!(
            outcome.checked.diagnostics.is_empty(),
            "{}:\n{}",
            path.display(),
            common::render(&outcome, Format::Short)
        );
    }
}

#[test]
fn stdlib_modules_are_embedded_as_they_are_on_disk() {
    for (name, text) in wf::stdlib::MODULES {
        let on_disk = std::fs::read_to_string(root().join("stdlib").join(format!("{name}.wf"))).unwrap();
        assert_eq!(*text, on_disk, "std/{name}");
    }
    let on_disk = common::wf_files(&root().join("stdlib")).len();
    assert_eq!(wf::stdlib::MODULES.len(), on_disk, "every stdlib file is embedded");
}

#[test]
fn example_ir() {
    insta::glob!("../examples", "*.wf", |path| {
        let outcome = common::check_file(path);
        assert!(!outcome.checked.has_errors());
        insta::assert_json_snapshot!(outcome.checked.program);
    });
}

#[test]
fn step_hashes_ignore_formatting_and_comments() {
    let plain = "workflow w() { run a \"echo hi\" { retry 2 } run b \"echo {{a.stdout}}\" }";
    let spaced = "// a comment\nworkflow w() {\n  run a \"echo hi\" {\n    retry 2 // again\n  }\n\n  run b \"echo {{a.stdout}}\"\n}\n";
    let changed = "workflow w() { run a \"echo bye\" { retry 2 } run b \"echo {{a.stdout}}\" }";
    let hashes = |text: &str| -> Vec<String> {
        let outcome = common::check_text(text);
        assert!(outcome.checked.diagnostics.is_empty(), "{}", common::render(&outcome, Format::Short));
        outcome.checked.program.workflows[0].steps.iter().map(|step| step.hash.clone()).collect()
    };
    assert_eq!(hashes(plain), hashes(spaced));
    let (before, after) = (hashes(plain), hashes(changed));
    assert_ne!(before[0], after[0], "changing a command changes its step's hash");
    assert_eq!(before[1], after[1], "other steps keep theirs");
}
