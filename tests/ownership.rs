#![allow(clippy::disallowed_methods)] // Tests run the binary, real commands and read the journal.

//! A run is owned by one live process at a time: several `wf resume` of one crashed run
//! started together run it once; `wf approve` does not answer under a live owner; a run
//! whose owner died reads as `crashed` in `wf runs` and `wf show`, and resumes.

#[path = "common/workdir.rs"]
mod workdir;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Stdio};

use wf::journal::RunStatus;
use workdir::{latest_run, wait_until, Dir};

/// `steps` steps, each recording itself in `effects` and costing a cent.
fn workflow(steps: usize) -> String {
    let mut body = String::new();
    for i in 0..steps {
        body.push_str(&format!("  run s{i} \"echo s{i} >> effects; sleep 0.02\" {{ cost $0.01 }}\n"));
    }
    format!("workflow w() {{\n{body}}}\n")
}

/// Starts `wf run`, and SIGKILLs it once `after` steps have had their effect.
fn crashed_run(dir: &Dir, after: usize) -> String {
    let mut child = dir.spawn(&["run", "flow.wf"]);
    dir.wait_for_lines("effects", after);
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    latest_run(dir).id
}

fn spawn_captured(dir: &Dir, args: &[&str]) -> Child {
    dir.command(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("wf starts")
}

#[test]
fn concurrent_resumes_of_a_crashed_run_run_each_step_once() {
    let steps = 40;
    let dir = Dir::new(&workflow(steps));
    let run = crashed_run(&dir, 3);
    // The step under way at the kill may run again (at least once); no other may.
    let under_way: HashSet<String> = dir
        .journal()
        .steps(&run)
        .expect("steps")
        .into_values()
        .filter(|step| step.status == "running")
        .map(|step| step.key)
        .collect();
    let resumes: Vec<Child> = (0..4).map(|_| spawn_captured(&dir, &["resume", &run])).collect();
    let mut codes = Vec::new();
    for child in resumes {
        let output = child.wait_with_output().expect("resume ends");
        codes.push((output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    let winners = codes.iter().filter(|(code, _)| *code == Some(0)).count();
    assert_eq!(winners, 1, "exactly one resume runs it: {codes:?}");
    for (code, stderr) in codes.iter().filter(|(code, _)| *code != Some(0)) {
        assert_eq!(*code, Some(2), "a refused resume is a usage error: {stderr}");
        assert!(
            stderr.contains("is being run by process") || stderr.contains("already succeeded"),
            "the refusal names the owner (or says the run is done): {stderr}"
        );
    }
    let effects = dir.read("effects");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for line in effects.lines() {
        *counts.entry(line).or_default() += 1;
    }
    for i in 0..steps {
        let key = format!("s{i}");
        let count = counts.get(key.as_str()).copied().unwrap_or(0);
        let allowed = if under_way.contains(&key) { 1..=2 } else { 1..=1 };
        assert!(allowed.contains(&count), "{key} ran {count} times");
    }
    let ledger = dir.journal().ledger(&run).expect("ledger");
    let attempts: HashSet<(String, u32)> = ledger.iter().map(|entry| (entry.key.clone(), entry.attempt)).collect();
    assert_eq!(attempts.len(), ledger.len(), "one ledger row per attempt: {ledger:?}");
    assert_eq!(ledger.len(), steps, "each step's cost once");
    assert_eq!(latest_run(&dir).status, RunStatus::Succeeded);
}

#[test]
fn a_run_whose_owner_died_shows_as_crashed_and_resumes() {
    let dir = Dir::new(&workflow(20));
    let run = crashed_run(&dir, 2);
    assert_eq!(latest_run(&dir).status_now(), RunStatus::Crashed);
    let runs = dir.wf(&["runs"]);
    runs.code(0);
    let line = runs.stdout().lines().find(|line| line.contains(&run)).map(str::to_owned).unwrap_or_default();
    assert!(line.contains("crashed"), "wf runs: {}", runs.stdout());
    let show = dir.wf(&["show", &run]);
    show.code(0);
    assert!(show.stdout().contains("crashed"), "wf show: {}", show.stdout());
    let json = dir.wf(&["show", &run, "--format", "json"]);
    json.code(0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout()).expect("json");
    assert_eq!(report["status"], "crashed");
    // `wf runs --status crashed` finds it, and `wf resume` without a run id picks it.
    let filtered = dir.wf(&["runs", "--status", "crashed"]);
    filtered.code(0);
    assert!(filtered.stdout().contains(&run), "{}", filtered.stdout());
    dir.wf(&["resume"]).code(0);
    assert_eq!(latest_run(&dir).status_now(), RunStatus::Succeeded);
}

#[test]
fn approve_is_refused_while_a_live_process_runs_the_run() {
    // The gate pauses its branch while `slow` goes on: the question is open, the run live.
    let dir = Dir::new(
        r#"workflow w() {
  parallel {
    gate ship { approve "ship it?" }
    run slow "touch started; sleep 30"
  }
}"#,
    );
    let mut child = dir.spawn(&["run", "flow.wf"]);
    wait_until("the question is asked and `slow` runs", || {
        !dir.read("started").is_empty() || dir.path().join("started").exists()
    });
    let run = latest_run(&dir);
    wait_until("the question is journaled", || !dir.journal().decisions(&run.id).expect("decisions").is_empty());
    let refused = dir.wf(&["approve", &run.id, "ship"]);
    refused.code(2);
    let pid = child.id().to_string();
    assert!(refused.stderr().contains(&format!("being run by process {pid}")), "{}", refused.stderr());
    assert!(dir.journal().decisions(&run.id).expect("decisions")[0].given.is_none(), "nothing was answered");
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    // Its owner gone, the run can be answered and resumed.
    dir.wf(&["approve", &run.id, "ship"]).code(0);
    assert!(dir.journal().decisions(&run.id).expect("decisions")[0].given.is_some());
}
