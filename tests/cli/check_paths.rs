//! `wf check DIR` and `wf check` with no path, as `wf fmt` takes them.

use super::{Test, BAD, GOOD, WARNS};

#[test]
fn check_of_a_directory_checks_every_wf_file_under_it() {
    let ran = Test::new()
        .file("flows/a.wf", BAD)
        .file("flows/nested/b.wf", WARNS)
        .file("flows/notes.txt", BAD)
        .file("top.wf", BAD)
        .args(&["check", "--format", "short", "flows"])
        .run();
    ran.code(1);
    let sep = std::path::MAIN_SEPARATOR;
    let files: Vec<String> = ran.stdout().lines().map(|line| line.split(':').next().unwrap().to_string()).collect();
    assert_eq!(files, [format!("flows{sep}a.wf"), format!("flows{sep}nested{sep}b.wf")]);
}

#[test]
fn check_without_arguments_checks_the_current_directory() {
    let ran = Test::new().file("a.wf", GOOD).file("sub/b.wf", BAD).args(&["check", "--format", "short"]).run();
    ran.code(1);
    let sep = std::path::MAIN_SEPARATOR;
    assert!(ran.stdout().starts_with(&format!("sub{sep}b.wf:3:20:")), "paths relative to `.`:\n{}", ran.stdout());
}

#[test]
fn check_of_a_directory_without_wf_files_is_a_usage_error() {
    Test::new()
        .file("docs/notes.txt", GOOD)
        .args(&["check", "docs"])
        .run()
        .code(2)
        .stderr_has("no `.wf` file under `docs`");
    Test::new().args(&["check"]).run().code(2).stderr_has("no `.wf` file under `.`");
}

#[test]
fn check_mixes_files_and_directories() {
    Test::new()
        .file("a.wf", GOOD)
        .file("more/b.wf", GOOD)
        .args(&["check", "a.wf", "more"])
        .run()
        .code(0)
        .stderr_has("checked 2 files: no problems");
}
