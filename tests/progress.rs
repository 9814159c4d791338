#![allow(clippy::disallowed_methods)] // Tests run the binary and real commands.

//! What `wf run` prints off a terminal (CI logs, pipes): how far the run is and the time
//! left, `undo` output with `--verbose`, the gate warnings in the final report, and counts
//! said as people say them.

#[path = "common/workdir.rs"]
mod workdir;

use workdir::Dir;

#[test]
fn plain_output_counts_steps_and_says_the_time_left() {
    let dir = Dir::new(
        r#"workflow w() {
  run a "true" { expect 4s }
  run b "true" { expect 4s }
  for x in ["1", "2"] {
    run c "true" { expect 1s }
  }
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(0);
    let out = ran.stdout();
    assert!(out.contains("✓ a run") && out.contains("· step 1 of 4 (25%) · about "), "{out}");
    assert!(out.contains("· step 2 of 4 (50%) · about "), "{out}");
    assert!(out.contains("· step 4 of 4 (100%)"), "{out}");
    assert!(!out.contains("step 5 of"), "{out}");
}

#[test]
fn verbose_shows_what_undo_commands_print() {
    let dir = Dir::new(
        r#"workflow w() {
  run a "echo doing" { undo run "echo undoing-a" }
  run b "exit 1" { on failure rollback }
}"#,
    );
    let quiet = dir.wf(&["run", "flow.wf"]);
    quiet.code(1);
    assert!(!quiet.stdout().contains("undoing-a"), "{}", quiet.stdout());
    let verbose = dir.wf(&["run", "flow.wf", "--verbose"]);
    verbose.code(1);
    assert!(verbose.stdout().contains("a stdout: undoing-a"), "{}", verbose.stdout());
}

#[test]
fn the_final_report_lists_gate_warnings() {
    let dir = Dir::new(
        r#"workflow w(coverage: int = 70) {
  gate quality {
    warn coverage >= 80 "coverage is under 80%"
    require coverage >= 50 "coverage is under 50%"
  }
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(0);
    assert!(ran.stdout().contains("  ⚠ quality: coverage is under 80%"), "{}", ran.stdout());
    assert!(!ran.stdout().contains("under 50%"), "a check that held is not a warning:\n{}", ran.stdout());
    let json = dir.wf(&["run", "flow.wf", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout()).expect("the report is JSON");
    assert_eq!(report["warnings"], serde_json::json!([{ "key": "quality", "message": "coverage is under 80%" }]));
}

#[test]
fn a_repeat_that_ran_once_says_once() {
    let dir = Dir::new(
        r#"workflow w(n: int = 1) {
  repeat r max n until n > 1 {
    run a "true"
  }
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(1);
    assert!(ran.stdout().contains("`r` ran once and its `until` condition never held"), "{}", ran.stdout());
}
