//! Reports say what happened once, in one voice.

use super::Test;

const CONTINUED: &str = r#"workflow w() {
  mode autopilot
  run flaky "echo broken >&2; exit 1" { on failure continue }
  gate ship { approve "Ship it?" }
  run done "echo done"
}
"#;

const CANCELLED: &str = r#"workflow w() {
  parallel {
    run fails "exit 1"
    run slow "sleep 30"
  }
}
"#;

#[test]
fn a_failure_the_run_went_past_reads_failed_continued() {
    let ran = Test::new().file("a.wf", CONTINUED).args(&["run", "a.wf"]).run();
    ran.code(0).stdout_has("✗ flaky failed (continued): the command exited with 1");
}

#[test]
fn an_autopilot_approval_names_autopilot_once() {
    let ran = Test::new().file("a.wf", CONTINUED).args(&["run", "a.wf"]).run();
    ran.code(0);
    let all = format!("{}{}", ran.stdout(), ran.stderr());
    assert!(all.contains("approved by autopilot (the run's mode)"), "{all}");
    assert!(!all.contains("automatically (autopilot)"), "{all}");
}

#[test]
fn a_cancelled_step_says_cancelled_once() {
    let ran = Test::new().file("a.wf", CANCELLED).args(&["run", "a.wf"]).run();
    ran.code(1);
    let all = format!("{}{}", ran.stdout(), ran.stderr());
    assert!(
        all.lines().any(|line| line.starts_with("✗ slow run") && line.ends_with("  cancelled")),
        "the cancelled step is shown as cancelled:\n{all}"
    );
    assert!(!all.contains("cancelled: cancelled"), "{all}");
}
