#![allow(clippy::disallowed_methods)] // Tests run the binary and real commands.

//! Every place a parameter may bound something — `repeat max`, `retry`, `for` lists, `wait`,
//! timeouts, `parallel max`, `for … parallel max`, `concurrency` — reads the run's `--arg`,
//! not the parameter's default: at run time, in `wf cost` and in `wf run --dry-run`. Each
//! workflow's default would give a visibly different result from the argument the test gives.

#[path = "common/workdir.rs"]
mod workdir;

use serde_json::Value as Json;
use workdir::{latest_run, Dir};

/// `wf cost --format json` with `args`.
fn cost(dir: &Dir, args: &[&str]) -> Json {
    let mut command = vec!["cost", "flow.wf", "--format", "json"];
    command.extend(args);
    let ran = dir.wf(&command);
    ran.code(0);
    serde_json::from_str(&ran.stdout()).expect("json")
}

/// How many times the estimate says step `id` starts, at worst.
fn worst_runs(estimate: &Json, id: &str) -> u64 {
    let phases = estimate["phases"].as_array().expect("phases");
    let step = phases
        .iter()
        .flat_map(|phase| phase["steps"].as_array().expect("steps"))
        .find(|step| step["id"] == id)
        .unwrap_or_else(|| panic!("no step `{id}` in {estimate}"));
    step["runs"]["worst"].as_u64().expect("a count")
}

/// Lines of `name` in the work folder.
fn lines(dir: &Dir, name: &str) -> usize {
    dir.read(name).lines().count()
}

/// The step's journaled status in the latest run.
fn status(dir: &Dir, key: &str) -> String {
    let steps = dir.journal().steps(&latest_run(dir).id).expect("steps");
    steps.get(key).map(|step| step.status.clone()).unwrap_or_default()
}

#[test]
fn repeat_max_reads_the_argument() {
    let dir = Dir::new(
        r#"workflow w(n: int = 3) {
  repeat rounds max n until t.ok {
    run t "echo x >> tries; false" { on failure continue }
  }
}"#,
    );
    dir.wf(&["run", "flow.wf", "--arg", "n=1"]).code(1);
    assert_eq!(lines(&dir, "tries"), 1, "`--arg n=1` means one round");
    assert_eq!(worst_runs(&cost(&dir, &["--arg", "n=1"]), "t"), 1);
    assert_eq!(worst_runs(&cost(&dir, &[]), "t"), 3, "the default still counts without the argument");
}

#[test]
fn retry_count_reads_the_argument() {
    let dir = Dir::new(
        r#"workflow w(n: int = 3) {
  run t "echo x >> tries; false" { retry n backoff 1ms..1ms }
}"#,
    );
    dir.wf(&["run", "flow.wf", "--arg", "n=1"]).code(1);
    assert_eq!(lines(&dir, "tries"), 2, "`retry 1`: one attempt and one retry");
    assert_eq!(worst_runs(&cost(&dir, &["--arg", "n=1"]), "t"), 2);
    // The report counts attempts, from the same reading.
    let steps = dir.journal().steps(&latest_run(&dir).id).expect("steps");
    assert_eq!(steps["t"].attempts, 2);
}

#[test]
fn for_list_reads_the_argument() {
    let dir = Dir::new(
        r#"workflow w(items: list<string> = ["a", "b", "c"]) {
  for item in items {
    run t "echo {{item}} >> seen"
  }
}"#,
    );
    dir.wf(&["run", "flow.wf", "--arg", "items=x"]).code(0);
    assert_eq!(dir.read("seen"), "x\n");
    assert_eq!(worst_runs(&cost(&dir, &["--arg", "items=x"]), "t"), 1);
    assert_eq!(worst_runs(&cost(&dir, &[]), "t"), 3);
}

#[test]
fn wait_reads_the_argument() {
    // With its default the wait would outlast the workflow's timeout and fail the run.
    let dir = Dir::new(
        r#"workflow w(bake: duration = 1h) {
  timeout 20s
  wait soak bake
}"#,
    );
    dir.wf(&["run", "flow.wf", "--arg", "bake=10ms"]).code(0);
    assert_eq!(status(&dir, "soak"), "succeeded");
    let estimate = cost(&dir, &["--arg", "bake=10ms"]);
    assert_eq!(estimate["total"]["duration_ms"]["worst"], 10);
}

#[test]
fn step_timeout_reads_the_argument() {
    let dir = Dir::new(
        r#"workflow w(limit: duration = 1h) {
  run slow "sleep 30" { timeout limit }
}"#,
    );
    dir.wf(&["run", "flow.wf", "--arg", "limit=200ms"]).code(1);
    assert_eq!(status(&dir, "slow"), "timed_out");
    let estimate = cost(&dir, &["--arg", "limit=200ms"]);
    assert_eq!(estimate["total"]["duration_ms"]["worst"], 200);
}

#[test]
fn block_timeout_reads_the_argument() {
    let dir = Dir::new(
        r#"workflow w(limit: duration = 1h) {
  phase work {
    timeout limit
    run slow "sleep 30" { expect 10s }
  }
}"#,
    );
    dir.wf(&["run", "flow.wf", "--arg", "limit=200ms"]).code(1);
    assert_eq!(status(&dir, "work"), "timed_out");
    let estimate = cost(&dir, &["--arg", "limit=200ms"]);
    assert_eq!(estimate["total"]["duration_ms"]["worst"], 200);
}

/// Four steps that each record how many of them run at once, under `bound`.
fn at_once(bound: &str) -> String {
    let mut steps = String::new();
    for i in 0..4 {
        steps.push_str(&format!(
            "    run s{i} \"mkdir -p running && touch running/s{i} && ls running | wc -l >> counts && sleep 0.1 && rm running/s{i}\" {{ expect 1s }}\n"
        ));
    }
    bound.replace("STEPS", &steps)
}

fn counts(dir: &Dir) -> Vec<u32> {
    dir.read("counts").lines().map(|line| line.trim().parse().expect("a count")).collect()
}

#[test]
fn parallel_max_reads_the_argument() {
    let dir = Dir::new(&at_once("workflow w(n: int = 4) {\n  parallel max n {\nSTEPS  }\n}\n"));
    dir.wf(&["run", "flow.wf", "--arg", "n=1"]).code(0);
    assert_eq!(counts(&dir), [1, 1, 1, 1], "`max 1` runs one at a time");
    let estimate = cost(&dir, &["--arg", "n=1"]);
    assert_eq!(estimate["total"]["duration_ms"]["expected"], 4_000, "one lane: the four in a row");
    assert_eq!(cost(&dir, &[])["total"]["duration_ms"]["expected"], 1_000, "four lanes by default");
}

#[test]
fn for_parallel_max_reads_the_argument() {
    let dir = Dir::new(
        r#"workflow w(n: int = 4) {
  for i in ["0", "1", "2", "3"] parallel max n {
    run s "mkdir -p running && touch running/s{{i}} && ls running | wc -l >> counts && sleep 0.1 && rm running/s{{i}}" { expect 1s }
  }
}"#,
    );
    dir.wf(&["run", "flow.wf", "--arg", "n=1"]).code(0);
    assert_eq!(counts(&dir), [1, 1, 1, 1], "`max 1` runs one at a time");
    assert_eq!(cost(&dir, &["--arg", "n=1"])["total"]["duration_ms"]["expected"], 4_000);
}

#[test]
fn concurrency_reads_the_argument() {
    let dir = Dir::new(&at_once("workflow w(n: int = 4) {\n  concurrency n\n  parallel {\nSTEPS  }\n}\n"));
    dir.wf(&["run", "flow.wf", "--arg", "n=1"]).code(0);
    assert_eq!(counts(&dir), [1, 1, 1, 1], "`concurrency 1` runs one command at a time");
    assert_eq!(cost(&dir, &["--arg", "n=1"])["total"]["duration_ms"]["expected"], 4_000);
}

#[test]
fn a_bound_argument_below_its_minimum_fails_the_run_clearly() {
    let dir = Dir::new(
        r#"workflow w(n: int = 3) {
  run t "echo x >> tries; false" { retry n }
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf", "--arg", "n=-1"]);
    ran.code(1);
    assert!(ran.stdout().contains("the retry count: -1 is negative"), "{}", ran.stdout());
    assert_eq!(lines(&dir, "tries"), 0, "nothing ran");
}

#[test]
fn dry_run_shows_the_bounds_the_arguments_give() {
    let dir = Dir::new(
        r#"workflow w(n: int = 3, limit: duration = 1h) {
  repeat rounds max n {
    run t "true" { retry n timeout limit }
  }
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf", "--dry-run", "--arg", "n=1", "--arg", "limit=5s"]);
    ran.code(0);
    let plan = ran.stdout();
    assert!(plan.contains("repeat rounds ×n (= 1)"), "{plan}");
    assert!(plan.contains("retry n (= 1)"), "{plan}");
    assert!(plan.contains("timeout limit (= 5s)"), "{plan}");
}

#[test]
fn a_budget_reads_the_argument() {
    // With its default the budget would let all three steps run; `--arg cap=$1.50` pauses
    // before the second. `wf cost` compares the worst case with the same amount.
    let dir = Dir::new(
        r#"workflow w(cap: money = $10.00) {
  budget cap
  run a "echo a >> log" { cost $1.00 }
  run b "echo b >> log" { cost $1.00 }
  run c "echo c >> log" { cost $1.00 }
}"#,
    );
    dir.wf(&["run", "flow.wf", "--arg", "cap=1.50"]).code(3);
    assert_eq!(dir.read("log"), "a\n", "paused before `b` would overspend $1.50");
    let estimate = cost(&dir, &["--arg", "cap=1.50"]);
    assert_eq!(estimate["budget"]["money_micros"]["amount"], 1_500_000);
    assert_eq!(estimate["over_budget"]["money_micros"]["budget"], 1_500_000);
    assert_eq!(cost(&dir, &[])["over_budget"], serde_json::Value::Null, "$10.00 by default covers $3.00");
}

#[test]
fn a_phase_budget_reads_the_argument() {
    let dir = Dir::new(
        r#"workflow w(cap: money = $10.00) {
  phase work {
    budget cap
    run a "echo a >> log" { cost $1.00 }
    run b "echo b >> log" { cost $1.00 }
  }
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf", "--arg", "cap=1.50"]);
    ran.code(3);
    assert_eq!(dir.read("log"), "a\n");
    assert!(ran.stderr().contains("--budget 'work=$3.00'"), "{}", ran.stderr());
}
