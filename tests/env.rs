#![allow(clippy::disallowed_methods)] // Tests run the binary and read the examples.

//! `env("NAME")` where `NAME` is not set: a gate's `warn` only warns, anything else fails with
//! a message naming the variable and its place, `env("NAME", DEFAULT)` gives a value, and
//! `wf check` warns where a variable may be unset. Every example either runs on a bare machine
//! or says in its header what it needs.

#[path = "common/workdir.rs"]
mod workdir;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use workdir::Dir;

/// `wf ARGS` in `dir` with `CI` unset.
fn wf_without_ci(dir: &Dir, args: &[&str]) -> workdir::Ran {
    workdir::Ran { output: dir.command(args).env_remove("CI").output().expect("wf runs") }
}

#[test]
fn a_warn_on_an_unset_variable_warns_and_the_run_goes_on() {
    let dir = Dir::new(
        r#"workflow w() {
  gate checks {
    warn env("CI") == "true" "not on CI"
  }
  run after "echo ran >> after"
}"#,
    );
    let ran = wf_without_ci(&dir, &["run", "flow.wf"]);
    ran.code(0);
    assert_eq!(dir.read("after"), "ran\n");
    let out = ran.stdout();
    assert!(out.contains("not on CI"), "{out}");
    assert!(out.contains("flow.wf:3:10") && out.contains("`CI` is not set"), "names the place and the variable: {out}");
    // `--strict` makes warnings fail, this one too.
    wf_without_ci(&dir, &["run", "flow.wf", "--strict"]).code(1);
}

#[test]
fn a_require_on_an_unset_variable_fails_naming_the_variable_and_its_place() {
    let dir = Dir::new(
        r#"workflow w() {
  gate checks {
    require env("CI") == "true" "only on CI"
  }
}"#,
    );
    let ran = wf_without_ci(&dir, &["run", "flow.wf"]);
    ran.code(1);
    let out = ran.stdout();
    assert!(out.contains("only on CI"), "{out}");
    assert!(out.contains("the `require` condition at flow.wf:3:13"), "{out}");
    assert!(out.contains("the environment variable `CI` is not set"), "{out}");
    assert!(!out.contains("a value is not known"), "{out}");
    wf_without_ci(&dir, &["run", "flow.wf", "--lenient"]).code(0);
}

#[test]
fn an_if_condition_on_an_unset_variable_names_it_and_its_place() {
    let dir = Dir::new(
        r#"workflow w() {
  if env("DEPLOY_ENV") == "prod" {
    run deploy "true"
  }
}"#,
    );
    let ran = wf_without_ci(&dir, &["run", "flow.wf"]);
    ran.code(1);
    assert!(
        ran.stdout().contains("an `if` condition at flow.wf:2:6: the environment variable `DEPLOY_ENV` is not set"),
        "{}",
        ran.stdout()
    );
}

#[test]
fn env_with_a_default_reads_the_default_only_when_unset() {
    let dir = Dir::new(
        r#"workflow w() {
  run show "echo {{env("CI", "no")}} >> seen"
}"#,
    );
    wf_without_ci(&dir, &["run", "flow.wf"]).code(0);
    workdir::Ran { output: dir.command(&["run", "flow.wf"]).env("CI", "yes").output().expect("wf runs") }.code(0);
    assert_eq!(dir.read("seen"), "no\nyes\n");
}

#[test]
fn check_warns_where_env_may_be_unset_and_not_where_a_default_is_given() {
    let dir = Dir::new(
        r#"workflow w() {
  gate checks {
    warn env("CI") == "true" "not on CI"
    warn env("BRANCH", "main") == "main" "not on main"
  }
}"#,
    );
    let ran = dir.wf(&["check", "flow.wf", "--format", "short"]);
    ran.code(0);
    let out = format!("{}{}", ran.stdout(), ran.stderr());
    assert_eq!(out.matches("env_may_be_unset").count(), 1, "{out}");
    assert!(out.contains("flow.wf:3:10"), "{out}");
}

/// The comment lines an example opens with.
fn header(text: &str) -> String {
    text.lines().take_while(|line| line.starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .expect("examples")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wf"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_runs_on_a_bare_machine_or_says_what_it_needs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for example in examples() {
        let text = std::fs::read_to_string(&example).expect("example");
        let header = header(&text);
        let name = example.file_name().expect("name").to_string_lossy().into_owned();
        let secrets: Vec<&str> = text
            .lines()
            .filter_map(|line| line.trim().strip_prefix("secret "))
            .filter_map(|rest| rest.split_whitespace().next())
            .collect();
        for secret in &secrets {
            assert!(header.contains(secret), "{name} needs {secret} but its header does not say so");
        }
        if header.contains("Needs ") {
            continue;
        }
        // The header's first command, pasted into a bare environment: it runs, or stops to
        // ask a person (exit 3); it does not fail.
        let command = header
            .lines()
            .find_map(|line| line.trim_start_matches('/').trim().strip_prefix("wf run "))
            .unwrap_or_else(|| panic!("{name}'s header shows no `wf run` command"));
        let mut words = shlex::split(command).expect("words");
        if let Some(note) = words.iter().position(|word| word.starts_with('(')) {
            words.truncate(note);
        }
        if name == "canary.wf" {
            // Its default bakes take seconds; the bounds are read the same way with any value.
            words.extend(["--arg".to_owned(), r#"stages=[{"pct": "1%", "bake": "20ms"}]"#.to_owned()]);
        }
        let state = tempfile::tempdir().expect("state dir");
        let mut run = std::process::Command::new(env!("CARGO_BIN_EXE_wf"));
        run.current_dir(root)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", state.path())
            .arg("run")
            .args(&words)
            .args(["--no-input", "--quiet", "--kill-grace", "1s", "--state-dir"])
            .arg(state.path())
            .stdin(Stdio::null());
        let output = run.output().expect("wf runs");
        let code = output.status.code();
        assert!(
            matches!(code, Some(0 | 3)),
            "{name} `wf run {command}` ended {code:?} on a bare machine:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
