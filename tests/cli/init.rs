//! `wf init [TEMPLATE]`: a starter that checks and runs at once, and never overwrites a file.

use super::Test;

/// Runs `wf` in `dir` with `args`, as the printed instructions say to.
fn wf(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_wf")).current_dir(dir).args(args).output().unwrap()
}

#[test]
fn each_starter_checks_clean_and_runs_under_sim_as_printed() {
    for template in ["bug-fix", "feature", "canary"] {
        let ran = Test::new().args(&["init", template]).run();
        ran.code(0).stdout_has(&format!("wrote {template}.wf"));
        let dir = ran.dir.path();
        let printed: Vec<String> =
            ran.stdout().lines().filter_map(|line| line.strip_prefix("  wf ")).map(str::to_string).collect();
        assert_eq!(printed.len(), 2, "a check and a run command:\n{}", ran.stdout());
        for command in &printed {
            let args: Vec<&str> = command.split_whitespace().collect();
            let output = wf(dir, &args);
            assert!(
                output.status.success(),
                "`wf {command}` failed for {template}:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let strict = wf(dir, &["check", "--deny-warnings", &format!("{template}.wf")]);
        assert!(strict.status.success(), "{template} has warnings: {}", String::from_utf8_lossy(&strict.stdout));
        let formatted = wf(dir, &["fmt", "--check", &format!("{template}.wf")]);
        assert!(
            formatted.status.success(),
            "{template} is not formatted: {}",
            String::from_utf8_lossy(&formatted.stdout)
        );
        let report = wf(dir, &["show", "--format", "json"]);
        let shown: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
        assert_eq!(shown["status"], "succeeded", "{template}'s run: {shown}");
    }
}

#[test]
fn init_without_a_template_writes_the_bug_fix_starter() {
    let ran = Test::new().args(&["init"]).run();
    ran.code(0);
    assert!(ran.read("bug-fix.wf").contains("workflow bug_fix("));
}

#[test]
fn init_never_overwrites_a_file() {
    let ran = Test::new().file("bug-fix.wf", "// mine\n").args(&["init"]).run();
    ran.code(2).stderr_has("`bug-fix.wf` already exists");
    assert_eq!(ran.read("bug-fix.wf"), "// mine\n");
}

#[test]
fn init_writes_where_output_says_and_names_that_file_in_its_header() {
    let ran = Test::new().args(&["init", "canary", "--output", "rollout.wf"]).run();
    ran.code(0).stdout_has("wf run rollout.wf --arg service=api");
    assert!(ran.read("rollout.wf").contains("//   wf run rollout.wf --arg service=api"));
}
