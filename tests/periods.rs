#![allow(clippy::disallowed_methods)] // Tests run the binary and read the journal.

//! Budgets across runs (`budget … per day`, `per month`): what other runs of the workflow spent
//! in the period counts, a new run that cannot afford its first step is refused, the warning
//! and the pause name the period, a raise holds for one run, and `wf stats` and `wf cost` show
//! them.

#[path = "common/workdir.rs"]
mod workdir;

use workdir::Dir;

const NIGHTLY: &str = r#"workflow nightly() {
  budget $1.00 per day warn at 50%
  budget $10.00 per month
  run a "echo a >> log" { cost $0.30 }
  run b "echo b >> log" { cost $0.30 }
}"#;

#[test]
fn other_runs_of_today_count_against_the_day() {
    let dir = Dir::new(NIGHTLY);
    let first = dir.wf(&["run", "flow.wf"]);
    first.code(0);
    assert!(first.stdout().contains("! today's budget: $0.60 of $1.00 spent (60%)"), "{}", first.stdout());
    let second = dir.wf(&["run", "flow.wf"]);
    second.code(3);
    assert!(
        second
            .stdout()
            .contains("today's budget of $1.00 would be overspent: $0.90 spent, and the next attempt expects $0.30"),
        "{}",
        second.stdout()
    );
    assert_eq!(dir.read("log"), "a\nb\na\n");
    // A third run could not even start its first step: nothing runs, no run is created.
    let runs = dir.journal().recent_runs(&wf::journal::RunFilter::default(), 10).expect("runs").len();
    let third = dir.wf(&["run", "flow.wf"]);
    third.code(2);
    assert!(
        third.stderr().contains("today's budget of $1.00 ($0.90 spent) cannot cover the first step that spends, `a`"),
        "{}",
        third.stderr()
    );
    assert!(third.stderr().contains("--budget 'day=$2.00'"), "{}", third.stderr());
    assert_eq!(dir.journal().recent_runs(&wf::journal::RunFilter::default(), 10).expect("runs").len(), runs);
}

#[test]
fn a_raise_holds_for_one_run_only() {
    let dir = Dir::new(NIGHTLY);
    dir.wf(&["run", "flow.wf"]).code(0);
    dir.wf(&["run", "flow.wf", "--budget", "day=$2.00"]).code(0);
    // Today spent $1.20 now: without the raise, the next run is refused at once.
    dir.wf(&["run", "flow.wf"]).code(2);
}

#[test]
fn another_workflow_spends_from_its_own_day() {
    let dir = Dir::new(NIGHTLY);
    dir.write("other.wf", &NIGHTLY.replace("nightly", "weekly"));
    dir.wf(&["run", "flow.wf"]).code(0);
    dir.wf(&["run", "other.wf"]).code(0);
    assert_eq!(dir.read("log"), "a\nb\na\nb\n");
}

#[test]
fn stats_and_cost_show_the_periods() {
    let dir = Dir::new(NIGHTLY);
    dir.wf(&["run", "flow.wf"]).code(0);
    let stats = dir.wf(&["stats"]);
    stats.code(0);
    assert!(stats.stdout().contains("  today          $0.60 of $1.00 (60%, warns at 50%)"), "{}", stats.stdout());
    assert!(stats.stdout().contains("  this month     $0.60 of $10.00 (6%)"), "{}", stats.stdout());
    let json: serde_json::Value = serde_json::from_str(&dir.wf(&["stats", "--format", "json"]).stdout()).expect("JSON");
    let periods = &json["workflows"][0]["periods"];
    assert_eq!(periods[0]["period"], "day");
    assert_eq!(periods[0]["spent_micros"], 600_000);
    assert_eq!(periods[1]["budget"]["money_micros"]["amount"], 10_000_000);
    let cost = dir.wf(&["cost", "flow.wf"]);
    cost.code(0);
    assert!(cost.stdout().contains("budget per day"), "{}", cost.stdout());
    assert!(cost.stdout().contains("budget per month"), "{}", cost.stdout());
    assert!(cost.stdout().contains("also count the other runs of `nightly`"), "{}", cost.stdout());
}
