#![allow(clippy::disallowed_methods)] // Tests read fixtures and run the binary.

//! The `wf` binary as users run it: exit codes, output formats, several files at once.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

// The commands that make wf fit in with other tools: CI formats, shell integration, starters.
#[path = "cli/check_paths.rs"]
mod check_paths;
#[path = "cli/consistency.rs"]
mod consistency;
#[path = "cli/init.rs"]
mod init;
#[path = "cli/list.rs"]
mod list;
#[path = "cli/sarif.rs"]
mod sarif;
#[path = "cli/schemas.rs"]
mod schemas;
#[path = "cli/shell.rs"]
mod shell;
#[path = "cli/voice.rs"]
mod voice;

/// A temporary directory with files in it, and a `wf` command to run there.
struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
}

struct Ran {
    output: Output,
    /// Kept so that the files can be read after the run.
    dir: tempfile::TempDir,
}

impl Test {
    fn new() -> Test {
        Test { dir: tempfile::tempdir().unwrap(), args: Vec::new(), env: Vec::new(), stdin: None }
    }

    fn file(self, name: &str, text: &str) -> Test {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    fn args(mut self, args: &[&str]) -> Test {
        self.args.extend(args.iter().map(|arg| (*arg).to_string()));
        self
    }

    fn env(mut self, key: &str, value: &str) -> Test {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    fn stdin(mut self, text: &str) -> Test {
        self.stdin = Some(text.to_string());
        self
    }

    fn run(self) -> Ran {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wf"));
        command.current_dir(self.dir.path()).args(&self.args).env_remove("NO_COLOR");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let output = match &self.stdin {
            None => command.output().unwrap(),
            Some(text) => {
                let mut child =
                    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
                child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
                child.wait_with_output().unwrap()
            }
        };
        Ran { output, dir: self.dir }
    }
}

impl Ran {
    fn code(&self, expected: i32) -> &Ran {
        assert_eq!(self.output.status.code(), Some(expected), "stdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr());
        self
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn stdout_has(&self, needle: &str) -> &Ran {
        assert!(self.stdout().contains(needle), "stdout lacks {needle:?}:\n{}", self.stdout());
        self
    }

    /// A file in the test's directory, as it is after the run.
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap()
    }

    fn stderr_has(&self, needle: &str) -> &Ran {
        assert!(self.stderr().contains(needle), "stderr lacks {needle:?}:\n{}", self.stderr());
        self
    }
}

const GOOD: &str = "workflow w() {\n  run build \"make\"\n}\n";
const BAD: &str = "workflow w() {\n  run build \"make\"\n  gate g { require buld.ok \"built\" }\n}\n";
const WARNS: &str = "workflow w(unused: int = 1) {\n  run build \"make\"\n}\n";

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")
}

#[test]
fn clean_file_exits_0() {
    Test::new().file("a.wf", GOOD).args(&["check", "a.wf"]).run().code(0).stderr_has("no problems");
}

#[test]
fn errors_exit_1_with_code_and_location() {
    Test::new()
        .file("a.wf", BAD)
        .args(&["check", "a.wf"])
        .run()
        .code(1)
        .stdout_has("wf::check::unknown_name")
        .stdout_has("a.wf:3:")
        .stdout_has("did you mean `build`?");
}

#[test]
fn warnings_exit_0_unless_denied() {
    Test::new().file("a.wf", WARNS).args(&["check", "a.wf"]).run().code(0).stdout_has("wf::check::unused_param");
    Test::new().file("a.wf", WARNS).args(&["check", "--deny-warnings", "a.wf"]).run().code(1);
}

#[test]
fn unreadable_file_is_a_usage_error() {
    Test::new().args(&["check", "missing.wf"]).run().code(2).stderr_has("cannot read `missing.wf`");
}

#[test]
fn bad_flag_is_a_usage_error() {
    Test::new().file("a.wf", GOOD).args(&["check", "--format", "xml", "a.wf"]).run().code(2);
}

#[test]
fn short_format_is_one_line_per_diagnostic() {
    let ran = Test::new().file("a.wf", BAD).args(&["check", "--format", "short", "a.wf"]).run();
    ran.code(1);
    let lines: Vec<String> = ran.stdout().lines().map(str::to_string).collect();
    assert_eq!(lines, ["a.wf:3:20: error[wf::check::unknown_name]: unknown name `buld`"]);
}

#[test]
fn json_format_is_one_versioned_list_with_positions() {
    let ran =
        Test::new().file("a.wf", BAD).file("b.wf", WARNS).args(&["check", "--format", "json", "a.wf", "b.wf"]).run();
    ran.code(1);
    let json: serde_json::Value = serde_json::from_str(&ran.stdout()).unwrap();
    assert_eq!(json["version"], 1);
    let items = json["diagnostics"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["code"], "wf::check::unknown_name");
    assert_eq!(items[0]["severity"], "error");
    assert_eq!(items[0]["file"], "a.wf");
    assert_eq!((items[0]["line"].as_u64(), items[0]["column"].as_u64()), (Some(3), Some(20)));
    assert_eq!((items[0]["end"]["line"].as_u64(), items[0]["end"]["column"].as_u64()), (Some(3), Some(24)));
    assert_eq!(items[0]["help"], "did you mean `build`?");
    assert_eq!(items[1]["severity"], "warning");
    assert_eq!(items[1]["file"], "b.wf");
}

#[test]
fn github_format_writes_annotations() {
    Test::new()
        .file("a.wf", BAD)
        .args(&["check", "--format", "github", "a.wf"])
        .run()
        .code(1)
        .stdout_has("::error file=a.wf,line=3,col=20,endLine=3,endColumn=24,title=wf%3A%3Acheck%3A%3Aunknown_name::unknown name `buld`%0Adid you mean `build`?");
}

#[test]
fn human_output_has_no_colour_when_not_at_a_terminal_or_with_no_color() {
    let ran = Test::new().file("a.wf", BAD).args(&["check", "a.wf"]).env("NO_COLOR", "1").run();
    ran.code(1);
    assert!(!ran.stdout().contains('\u{1b}'), "escape codes in:\n{}", ran.stdout());
    let ran = Test::new().file("a.wf", BAD).args(&["check", "a.wf"]).run();
    assert!(!ran.stdout().contains('\u{1b}'), "stdout is a pipe here, so no colour:\n{}", ran.stdout());
}

#[test]
fn several_files_report_every_problem_in_order() {
    let ran = Test::new()
        .file("a.wf", BAD)
        .file("b.wf", GOOD)
        .file("c.wf", BAD)
        .args(&["check", "--format", "short", "a.wf", "b.wf", "c.wf"])
        .run();
    ran.code(1);
    let files: Vec<String> = ran.stdout().lines().map(|line| line.split(':').next().unwrap().to_string()).collect();
    assert_eq!(files, ["a.wf", "c.wf"]);
}

#[test]
fn modules_are_found_relative_to_the_using_file() {
    Test::new()
        .file("team/checks.wf", "workflow lint() {\n  run eslint \"npx eslint .\"\n}\n")
        .file("ci/main.wf", "use \"../team/checks.wf\" as checks\nworkflow w() {\n  call l checks.lint()\n}\n")
        .args(&["check", "ci/main.wf"])
        .run()
        .code(0);
}

#[test]
fn the_examples_check_clean() {
    let mut args = vec!["check".to_string(), "--deny-warnings".to_string()];
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "wf") {
            args.push(path.display().to_string());
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Test::new().args(&args).run().code(0);
}

#[test]
fn explain_prints_the_examples() {
    Test::new()
        .args(&["explain", "wf::check::unknown_name"])
        .run()
        .code(0)
        .stdout_has("## `wf::check::unknown_name`")
        .stdout_has("```wf");
    Test::new().args(&["explain", "unknown_name"]).run().code(0).stdout_has("wf::check::unknown_name");
    Test::new().args(&["explain", "unknown_nmae"]).run().code(2).stderr_has("did you mean `wf::check::unknown_name`?");
    Test::new().args(&["explain"]).run().code(0).stdout_has("wf::check::duplicate_name");
}

const UNFORMATTED: &str = "workflow w() {\n    run build \"make\" { timeout 60m }\n}\n";
const FORMATTED: &str = "workflow w() {\n  run build \"make\" { timeout 1h }\n}\n";
const BROKEN: &str = "workflow w() {\n  run build \"make\n}\n";

#[test]
fn fmt_check_prints_a_diff_and_exits_1_when_a_file_would_change() {
    let ran = Test::new().file("a.wf", UNFORMATTED).file("b.wf", FORMATTED).args(&["fmt", "--check"]).run();
    ran.code(1)
        .stdout_has("--- ./a.wf\n+++ ./a.wf (formatted)\n")
        .stdout_has("-    run build \"make\" { timeout 60m }\n+  run build \"make\" { timeout 1h }\n");
    assert!(!ran.stdout().contains("b.wf"), "b.wf is formatted already:\n{}", ran.stdout());
    assert_eq!(ran.read("a.wf"), UNFORMATTED, "--check changes nothing");
    Test::new().file("b.wf", FORMATTED).args(&["fmt", "--check", "b.wf"]).run().code(0);
}

#[test]
fn fmt_rewrites_files_that_change_and_names_them() {
    let ran = Test::new().file("a.wf", UNFORMATTED).file("b.wf", FORMATTED).args(&["fmt", "a.wf", "b.wf"]).run();
    ran.code(0);
    assert_eq!(ran.stdout(), "formatted a.wf\n", "only the changed file is named");
    assert_eq!(ran.read("a.wf"), FORMATTED);
    assert_eq!(ran.read("b.wf"), FORMATTED);
    let leftovers: Vec<_> =
        std::fs::read_dir(ran.dir.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary file is left behind: {leftovers:?}");
}

#[test]
fn fmt_stdin_writes_the_result_to_stdout() {
    let ran = Test::new().args(&["fmt", "--stdin"]).stdin(UNFORMATTED).run();
    ran.code(0);
    assert_eq!(ran.stdout(), FORMATTED);
    Test::new()
        .args(&["fmt", "--stdin", "--check"])
        .stdin(UNFORMATTED)
        .run()
        .code(1)
        .stdout_has("+++ <stdin> (formatted)");
    Test::new().args(&["fmt", "--stdin", "--check"]).stdin(FORMATTED).run().code(0);
    Test::new().args(&["fmt", "--stdin", "a.wf"]).run().code(2).stderr_has("cannot be used with");
}

#[test]
fn fmt_refuses_a_file_with_syntax_errors() {
    let ran = Test::new().file("a.wf", BROKEN).file("b.wf", UNFORMATTED).args(&["fmt", "a.wf", "b.wf"]).run();
    ran.code(1)
        .stderr_has("wf::syntax::unterminated_string")
        .stderr_has("a.wf:2:")
        .stderr_has("`a.wf` has syntax errors; it was not formatted");
    assert_eq!(ran.read("a.wf"), BROKEN);
    assert_eq!(ran.read("b.wf"), FORMATTED, "the other files are still formatted");
    Test::new().args(&["fmt", "--stdin"]).stdin(BROKEN).run().code(1).stderr_has("<stdin>:2:");
}

#[test]
fn fmt_formats_every_wf_file_under_a_directory_in_order() {
    let ran = Test::new()
        .file("flows/b.wf", UNFORMATTED)
        .file("flows/a.wf", UNFORMATTED)
        .file("flows/nested/c.wf", UNFORMATTED)
        .file("flows/notes.txt", UNFORMATTED)
        .file("top.wf", UNFORMATTED)
        .args(&["fmt", "flows"])
        .run();
    ran.code(0);
    let sep = std::path::MAIN_SEPARATOR;
    assert_eq!(
        ran.stdout(),
        format!("formatted flows{sep}a.wf\nformatted flows{sep}b.wf\nformatted flows{sep}nested{sep}c.wf\n")
    );
    assert_eq!(ran.read("flows/nested/c.wf"), FORMATTED);
    assert_eq!(ran.read("flows/notes.txt"), UNFORMATTED, "only .wf files");
    assert_eq!(ran.read("top.wf"), UNFORMATTED, "only under the directory given");
}

#[test]
fn fmt_without_arguments_formats_the_current_directory() {
    let ran = Test::new().file("a.wf", UNFORMATTED).file("sub/b.wf", UNFORMATTED).args(&["fmt"]).run();
    ran.code(0);
    assert_eq!((ran.read("a.wf"), ran.read("sub/b.wf")), (FORMATTED.to_string(), FORMATTED.to_string()));
}

#[test]
fn fmt_of_a_missing_file_is_a_usage_error() {
    Test::new()
        .file("a.wf", UNFORMATTED)
        .args(&["fmt", "missing.wf", "a.wf"])
        .run()
        .code(2)
        .stderr_has("cannot read `missing.wf`");
}
