//! One vocabulary across commands: `--format human|json`, `--arg` wherever a workflow is
//! evaluated, `--budget` that sets, and history commands that say where they looked.

use super::Test;

const SPEND: &str = r#"use std/models

workflow w(items: list<string> = ["a"]) {
  budget $3.00
  provider sim
  model models.sonnet
  agent plan "analyst" { prompt "plan" expect 12k tokens }
  for item in items {
    run echo "echo {{item}}"
  }
}
"#;

#[test]
fn cost_takes_human_and_keeps_table_as_an_alias() {
    let human = Test::new().file("a.wf", SPEND).args(&["cost", "a.wf", "--format", "human"]).run();
    human.code(0).stdout_has("min / expected / worst");
    let table = Test::new().file("a.wf", SPEND).args(&["cost", "a.wf", "--format", "table"]).run();
    table.code(0);
    let default = Test::new().file("a.wf", SPEND).args(&["cost", "a.wf"]).run();
    assert_eq!(human.stdout(), table.stdout());
    assert_eq!(human.stdout(), default.stdout(), "human is the default");
    // The old word is hidden from the help.
    Test::new().args(&["cost", "-h"]).run().stdout_has("[default: human] [possible values: human, json]");
}

#[test]
fn every_format_flag_offers_human_and_json() {
    for command in ["cost", "list", "runs", "show", "stats"] {
        let help = Test::new().args(&[command, "--help"]).run();
        help.code(0);
        for word in ["human", "json"] {
            assert!(help.stdout().contains(word), "`wf {command} --help` lacks `{word}`:\n{}", help.stdout());
        }
    }
}

#[test]
fn graph_takes_arg_and_counts_a_for_over_it() {
    let default = Test::new().file("a.wf", SPEND).args(&["graph", "a.wf"]).run();
    default.code(0).stdout_has("for item in items ×1");
    Test::new()
        .file("a.wf", SPEND)
        .args(&["graph", "a.wf", "--arg", "items=a,b,c"])
        .run()
        .code(0)
        .stdout_has("for item in items ×3");
    Test::new()
        .file("a.wf", SPEND)
        .args(&["graph", "a.wf", "--arg", "itmes=a"])
        .run()
        .code(2)
        .stderr_has("has no parameter `itmes`");
}

#[test]
fn budget_sets_the_budget_so_it_can_lower_it() {
    let help = Test::new().args(&["run", "--help"]).run();
    help.stdout_has("Set the run's budget");
    // $3.00 covers the plan; 1 cent does not, so the run is refused before it starts.
    Test::new().file("a.wf", SPEND).args(&["run", "a.wf", "--quiet"]).run().code(0);
    Test::new()
        .file("a.wf", SPEND)
        .args(&["run", "a.wf", "--quiet", "--budget", "$0.01"])
        .run()
        .code(2)
        .stderr_has("the run's budget of $0.01 cannot cover the first step that spends, `plan`");
}

#[test]
fn history_commands_say_where_they_looked_for_the_journal() {
    for command in ["runs", "stats"] {
        Test::new()
            .args(&[command, "--state-dir", "nowhere"])
            .run()
            .code(0)
            .stdout_has("no journal at `nowhere/state.db`")
            .stdout_has("--state-dir");
    }
    Test::new().args(&["show", "--state-dir", "nowhere"]).run().code(2).stderr_has("no journal at `nowhere/state.db`");
}
