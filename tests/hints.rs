#![allow(clippy::disallowed_methods)] // Tests run the binary and paste its commands into a shell.

//! Every command wf prints for a person to run next works when pasted: the tests run the
//! printed `wf …` commands through `sh -c`, exactly as printed, with the journal in a state
//! folder other than the default (so a hint that leaves `--state-dir` out fails).

#[path = "common/workdir.rs"]
mod workdir;

use std::path::Path;

use wf::journal::RunStatus;
use workdir::{latest_run_in, Dir};

const STATE: &str = "state dir";

/// The `wf …` commands between backticks in `text`, in order.
fn commands(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).filter(|part| part.starts_with("wf ")).map(str::to_owned).collect()
}

/// Runs `line` with `sh -c` in the work folder, `wf` being the binary under test.
fn paste(dir: &Dir, line: &str) -> workdir::Ran {
    let bin = dir.path().join("bin");
    if !bin.exists() {
        std::fs::create_dir(&bin).expect("bin");
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wf"), bin.join("wf")).expect("link");
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = std::process::Command::new("sh")
        .args(["-c", line])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("WF_STATE_DIR")
        .output()
        .expect("sh runs");
    workdir::Ran { output }
}

/// Starts the workflow with the journal in [`STATE`], expecting `code`; returns the stderr.
fn start(dir: &Dir, code: i32) -> String {
    let ran = dir.wf(&["run", "flow.wf", "--state-dir", STATE]);
    ran.code(code);
    ran.stderr()
}

fn status(dir: &Dir) -> RunStatus {
    latest_run_in(dir, Path::new(STATE)).status
}

#[test]
fn an_approval_hint_pasted_approves_and_resumes() {
    let dir = Dir::new(
        r#"workflow w() {
  phase release {
    gate ship { approve "ship?" }
    run after "echo after >> log"
  }
}"#,
    );
    let hint = start(&dir, 3);
    let pasted = commands(&hint);
    assert_eq!(pasted.len(), 2, "approve, then resume: {hint}");
    paste(&dir, &pasted[0]).code(0);
    paste(&dir, &pasted[1]).code(0);
    assert_eq!(dir.read("log"), "after\n");
    assert_eq!(status(&dir), RunStatus::Succeeded);
}

#[test]
fn an_escalation_hint_pasted_retries_and_resumes() {
    let dir = Dir::new(
        r#"workflow w() {
  for item in ["a"] {
    run flaky "test -f fixed" { on failure escalate "needs a person" }
  }
}"#,
    );
    let hint = start(&dir, 3);
    let pasted = commands(&hint);
    assert_eq!(pasted.len(), 2, "decide, then resume: {hint}");
    dir.write("fixed", "");
    paste(&dir, &pasted[0]).code(0);
    paste(&dir, &pasted[1]).code(0);
    assert_eq!(status(&dir), RunStatus::Succeeded);
}

#[test]
fn a_spent_phase_budget_hint_raises_that_phase() {
    let dir = Dir::new(
        r#"workflow w() {
  budget $10.00
  phase work {
    budget $0.10
    run a "echo a >> log" { cost $0.08 }
    run b "echo b >> log" { cost $0.08 }
  }
}"#,
    );
    let hint = start(&dir, 3);
    let pasted = commands(&hint);
    assert_eq!(pasted.len(), 1, "{hint}");
    assert!(pasted[0].contains("--budget 'work=$0.20'"), "the phase's budget, not the run's: {hint}");
    paste(&dir, &pasted[0]).code(0);
    assert_eq!(dir.read("log"), "a\nb\n");
    assert_eq!(status(&dir), RunStatus::Succeeded);
}

#[test]
fn a_spent_run_budget_hint_raises_the_run() {
    let dir = Dir::new(
        r#"workflow w() {
  budget $2.50
  run a "echo a >> log" { cost $1.00 }
  run b "echo b >> log" { cost $1.00 }
  run c "echo c >> log" { cost $1.00 }
}"#,
    );
    let hint = start(&dir, 3);
    let pasted = commands(&hint);
    assert_eq!(pasted.len(), 1, "{hint}");
    // `wf approve` of a spent budget points at the same command.
    let run = latest_run_in(&dir, Path::new(STATE)).id;
    let refused = dir.wf(&["approve", &run, "c", "--state-dir", STATE]);
    refused.code(2);
    assert_eq!(commands(&refused.stderr()), pasted, "{}", refused.stderr());
    paste(&dir, &pasted[0]).code(0);
    assert_eq!(dir.read("log"), "a\nb\nc\n");
    assert_eq!(status(&dir), RunStatus::Succeeded);
}

#[test]
fn a_failure_hint_pasted_resumes_the_run() {
    let dir = Dir::new(r#"workflow w() { run needs "test -f ready" }"#);
    let hint = start(&dir, 1);
    let pasted = commands(&hint);
    assert_eq!(pasted.len(), 1, "{hint}");
    dir.write("ready", "");
    paste(&dir, &pasted[0]).code(0);
    assert_eq!(status(&dir), RunStatus::Succeeded);
}

#[test]
fn a_spent_day_budget_hint_raises_the_day_for_that_run() {
    let dir = Dir::new(
        r#"workflow w() {
  budget $1.00 per day
  run a "echo a >> log" { cost $0.30 }
  run b "echo b >> log" { cost $0.30 }
}"#,
    );
    // The first run spends $0.60 of today's $1.00; the second pauses before its second step.
    start(&dir, 0);
    let hint = start(&dir, 3);
    let pasted = commands(&hint);
    assert_eq!(pasted.len(), 1, "{hint}");
    assert!(pasted[0].contains("--budget 'day=$2.00'"), "today's budget, not the run's: {hint}");
    paste(&dir, &pasted[0]).code(0);
    assert_eq!(dir.read("log"), "a\nb\na\nb\n");
    assert_eq!(status(&dir), RunStatus::Succeeded);
}
