#![allow(clippy::disallowed_methods)] // Tests read fixtures and run the binary.

//! `wf cost` and the estimate behind it: the bug-fix example against a hand computation,
//! the JSON shape, arguments that change list lengths, exit codes, and the rules of
//! `docs/cost.md` one by one on small workflows.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use indexmap::IndexMap;
use serde_json::Value as Json;
use wf::cost::{self, Estimate, PhaseKind, Range};
use wf::ir::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

/// The binary, with no journal of past runs (a `.wf/` of the checkout's own would change the
/// estimates of steps without `expect`).
fn wf(args: &[&str]) -> Output {
    let nowhere = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cost-tests-have-no-journal");
    Command::new(env!("CARGO_BIN_EXE_wf"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("WF_STATE_DIR", nowhere)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// `wf cost --format json` on `file`, parsed; the command must succeed.
fn json(file: &Path, extra: &[&str]) -> Json {
    let file = file.to_string_lossy();
    let mut args = vec!["cost", &*file, "--format", "json"];
    args.extend(extra);
    let output = wf(&args);
    assert_eq!(code(&output), Some(0), "stderr:\n{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

fn phase<'j>(estimate: &'j Json, name: &str) -> &'j Json {
    estimate["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|phase| phase["name"] == name)
        .unwrap_or_else(|| panic!("no phase {name} in {estimate:#}"))
}

fn step<'j>(estimate: &'j Json, id: &str) -> &'j Json {
    estimate["phases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|phase| phase["steps"].as_array().unwrap())
        .find(|step| step["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {estimate:#}"))
}

/// `(money in micro-dollars, tokens, milliseconds)` of one column of an amounts object.
fn column(amounts: &Json, which: &str) -> (i64, u64, u64) {
    (
        amounts["money_micros"][which].as_i64().unwrap(),
        amounts["tokens"][which].as_u64().unwrap(),
        amounts["duration_ms"][which].as_u64().unwrap(),
    )
}

const MINUTE: u64 = 60_000;

#[test]
fn bug_fix_worst_case_matches_the_hand_computation() {
    let estimate = json(&example("bug-fix.wf"), &[]);

    // Prices from stdlib/models.wf, per 1M tokens: opus $5 input, $25 output; sonnet $3 and
    // $15. An expected token count is priced as 3/4 input and 1/4 output.

    // analysis: `plan` on opus, expect 12k tokens: 9,000 in × $5/1M = $0.045, 3,000 out ×
    // $25/1M = $0.075, so $0.12. No timeout and no expected duration: 0s.
    assert_eq!(column(&phase(&estimate, "analysis")["amounts"], "worst"), (120_000, 12_000, 0));

    // reproduction: `write_test` on sonnet, 8k: 6,000 × $3/1M = $0.018 + 2,000 × $15/1M =
    // $0.030, so $0.048. `repro` costs nothing; its `timeout 10m` is its worst duration.
    assert_eq!(column(&phase(&estimate, "reproduction")["amounts"], "worst"), (48_000, 8_000, 10 * MINUTE));

    // implementation: `repeat max 3` runs `fix` (sonnet, 18k: 13,500 × $3/1M = $0.0405 +
    // 4,500 × $15/1M = $0.0675, so $0.108) three times in the worst case: $0.324, 54k tokens.
    assert_eq!(column(&phase(&estimate, "implementation")["amounts"], "worst"), (324_000, 54_000, 0));

    // testing: `parallel max 2` of the `e2e` loop over two shards and `lint` (`timeout 5m`).
    // Each shard has `timeout shard.limit` and `retry 2 backoff 5s..1m`; a bound read from a
    // loop variable counts at its largest, 15m: three attempts of 15m plus waits of 5s and 10s,
    // for each of the two shards, is 90m30s. The phase's `timeout 30m` caps it.
    assert_eq!(column(&phase(&estimate, "testing")["amounts"], "worst"), (0, 0, 30 * MINUTE));
    assert_eq!(column(&step(&estimate, "testing/e2e_shard")["amounts"], "worst"), (0, 0, 90 * MINUTE + 30_000));

    // pr: an approval without a timeout, two commands, and `watch pr_checks ... for 30m`,
    // whose worst and expected time is its `for`.
    assert_eq!(column(&phase(&estimate, "pr")["amounts"], "worst"), (0, 0, 30 * MINUTE));
    assert_eq!(column(&step(&estimate, "pr/pr_checks")["amounts"], "expected"), (0, 0, 30 * MINUTE));

    // In total: $0.12 + $0.048 + $0.324 = $0.492; 12k + 8k + 54k = 74k tokens;
    // 10m + 30m + 30m = 70m, cut to the workflow's `timeout 1h`.
    assert_eq!(column(&estimate["total"], "worst"), (492_000, 74_000, 60 * MINUTE));

    // Expected: one round of the loop, $0.12 + $0.048 + $0.108 = $0.276 and 38k tokens, and
    // the watch's 30m.
    assert_eq!(column(&estimate["total"], "expected"), (276_000, 38_000, 30 * MINUTE));
    // Within the budget ($3.00 and 150k tokens).
    assert_eq!(estimate["over_budget"], Json::Null);
}

#[test]
fn json_output_has_the_documented_shape() {
    let estimate = json(&example("bug-fix.wf"), &[]);
    let keys = |value: &Json| -> Vec<String> { value.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys(&estimate),
        ["version", "workflow", "total", "phases", "budget", "over_budget", "notes", "missing_args"]
    );
    assert_eq!(estimate["workflow"], "bug_fix");
    // The agents `expect` tokens but no time, and have no history: the time is unknown.
    assert_eq!(keys(&estimate["total"]), ["money_micros", "tokens", "duration_ms", "unknown"]);
    assert_eq!(estimate["total"]["unknown"], serde_json::json!({"money": false, "tokens": false, "duration": true}));
    assert_eq!(keys(&estimate["total"]["tokens"]), ["min", "expected", "worst"]);
    assert_eq!(estimate["budget"]["money_micros"]["amount"], 3_000_000);
    assert_eq!(estimate["budget"]["money_micros"]["warn_at"], 80.0);
    assert_eq!(estimate["budget"]["tokens"]["amount"], 150_000);

    let analysis = phase(&estimate, "analysis");
    assert_eq!(keys(analysis), ["name", "kind", "amounts", "steps", "budget", "over_budget"]);
    assert_eq!(analysis["kind"], "phase");
    let plan = step(&estimate, "analysis/plan");
    assert_eq!(keys(plan), ["id", "kind", "model", "runs", "amounts", "sources"]);
    assert_eq!(plan["sources"], serde_json::json!({"money": "stated", "tokens": "stated", "duration": "unknown"}));
    assert_eq!(plan["kind"], "agent");
    assert_eq!(plan["model"], "models.opus");
    assert_eq!(step(&estimate, "implementation/fix")["runs"], serde_json::json!({"min": 1, "expected": 1, "worst": 3}));
    assert_eq!(phase(&estimate, "(finally)")["kind"], "finally");

    let notes = estimate["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "{notes:#?}");
    assert_eq!(notes[0]["kind"], "open_ended");
    assert!(notes[0]["steps"].as_array().unwrap().contains(&Json::from("pr/ship")));
    assert_eq!(notes[1]["kind"], "unknown");
    assert_eq!(
        notes[1]["steps"],
        serde_json::json!(["analysis/plan", "reproduction/write_test", "implementation/fix"])
    );
}

#[test]
fn arguments_change_the_length_of_for_lists() {
    let file = example("multi-repo.wf");
    let repair_tokens = |estimate: &Json| step(estimate, "patch/repair")["amounts"]["tokens"]["worst"].as_u64();
    let runs = |estimate: &Json| step(estimate, "patch/bump")["runs"]["worst"].as_u64();

    // The default list has four repositories; a repair is 20k tokens each.
    let default = json(&file, &[]);
    assert_eq!((runs(&default), repair_tokens(&default)), (Some(4), Some(80_000)));

    let two = json(&file, &["--arg", "repos=acme/api,acme/web"]);
    assert_eq!((runs(&two), repair_tokens(&two)), (Some(2), Some(40_000)));

    let seven = json(&file, &["--arg", r#"repos=["a", "b", "c", "d", "e", "f", "g"]"#]);
    assert_eq!((runs(&seven), repair_tokens(&seven)), (Some(7), Some(140_000)));

    // `parallel max 3`: the expected time is ⌈n / 3⌉ rounds of 2m (bump) + 8m (tests).
    let expected_time = |estimate: &Json| phase(estimate, "patch")["amounts"]["duration_ms"]["expected"].as_u64();
    assert_eq!(expected_time(&two), Some(10 * MINUTE));
    assert_eq!(expected_time(&default), Some(20 * MINUTE));
    assert_eq!(expected_time(&seven), Some(30 * MINUTE));
}

#[test]
fn table_shows_phases_steps_totals_and_the_budget() {
    let file = example("bug-fix.wf");
    let output = wf(&["cost", &file.to_string_lossy()]);
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    let line = |start: &str| -> Vec<String> {
        let found = table.lines().find(|line| line.starts_with(start)).unwrap_or_else(|| panic!("{start}:\n{table}"));
        found.split_whitespace().map(String::from).collect()
    };
    // The agents' time is unknown (no `expect`, no history): `?`, and `+?` on a total that
    // leaves it out.
    assert_eq!(
        line("implementation"),
        ["implementation", "$0.108", "$0.108", "$0.324", "18.0k", "18.0k", "54.0k", "?", "?", "?"]
    );
    assert_eq!(
        line("  agent fix"),
        ["agent", "fix", "×1–3", "$0.108", "$0.108", "$0.324", "18.0k", "18.0k", "54.0k", "?", "?", "?"]
    );
    assert_eq!(
        line("  run tests"),
        ["run", "tests", "×1–3", "$0.00", "$0.00", "$0.00", "0", "0", "0", "0s", "0s", "0s"]
    );
    assert_eq!(line("total"), ["total", "$0.276", "$0.276", "$0.492", "38.0k", "38.0k", "74.0k", "?", "30m+?", "1h+?"]);
    assert_eq!(line("budget"), ["budget", "$3.00", "150.0k"]);
    assert!(!table.contains("warning"), "{table}");
}

/// A file in a temporary directory.
fn temp_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.wf");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn table_warns_when_the_worst_case_is_over_budget() {
    let (_dir, path) = temp_file(
        "use std/models\n\
         workflow w() {\n  budget $0.10\n  model models.sonnet\n  \
           agent a \"x\" { prompt \"p\" expect 10k tokens retry 1 }\n}\n",
    );
    // 10k on sonnet: 7,500 × $3/1M + 2,500 × $15/1M = $0.06; two attempts: $0.12.
    let output = wf(&["cost", &path.to_string_lossy()]);
    assert_eq!(code(&output), Some(0), "over budget is a warning, not a failure: {}", stderr(&output));
    assert!(
        stdout(&output).contains("warning: the worst case of workflow `w` costs $0.12, over its budget of $0.10"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let bug_fix = example("bug-fix.wf");
    let bug_fix = bug_fix.to_string_lossy();
    let cases: [(&[&str], &str); 5] = [
        (&["--arg", "max_iteration=2"], "has no parameter `max_iteration`; did you mean `max_iterations`?"),
        (&["--arg", "max_iterations=three"], "`max_iterations` is a `int`: expected a whole number"),
        (&["--arg", "max_iterations"], "`max_iterations` is not NAME=VALUE"),
        (&["--arg", "ticket=a", "--arg", "ticket=b"], "`ticket` is given twice"),
        (&["--workflow", "nope"], "has no workflow `nope`; it has `bug_fix`"),
    ];
    for (extra, message) in cases {
        let mut args = vec!["cost", &*bug_fix];
        args.extend(extra);
        let output = wf(&args);
        assert_eq!(code(&output), Some(2), "{extra:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(message), "{extra:?}: {}", stderr(&output));
        assert!(stdout(&output).is_empty());
    }

    let output = wf(&["cost", "no-such-file.wf"]);
    assert_eq!(code(&output), Some(2));
    assert!(stderr(&output).contains("cannot read `no-such-file.wf`"), "{}", stderr(&output));
}

#[test]
fn a_parameter_the_estimate_needs_must_be_given() {
    let (_dir, path) = temp_file(
        "workflow w(ticket: string, items: list<string>) {\n  \
           for item in items { run a \"echo {{item}} {{ticket}}\" { expect 1m } }\n}\n",
    );
    let path = path.to_string_lossy();
    // `items` bounds a loop and has no default; `ticket` changes nothing the estimate counts.
    let output = wf(&["cost", &path]);
    assert_eq!(code(&output), Some(2));
    assert!(stderr(&output).contains("needs `items` (list<string>)"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("ticket"), "{}", stderr(&output));

    let estimate = json(Path::new(&*path), &["--arg", "items=a,b,c"]);
    assert_eq!(estimate["total"]["duration_ms"]["worst"], 3 * MINUTE);
}

#[test]
fn files_with_errors_exit_1_and_several_workflows_need_a_name() {
    let (_dir, broken) = temp_file("workflow w() {\n  run a \"x\" { retry many }\n}\n");
    let output = wf(&["cost", &broken.to_string_lossy()]);
    assert_eq!(code(&output), Some(1));
    assert!(stderr(&output).contains("wf::check::unknown_name"), "{}", stderr(&output));

    let (_dir, two) = temp_file("workflow a() { run x \"x\" { cost $1 } }\nworkflow b() { run y \"y\" { cost $2 } }\n");
    let two = two.to_string_lossy();
    let output = wf(&["cost", &two]);
    assert_eq!(code(&output), Some(2));
    assert!(stderr(&output).contains("several workflows (`a`, `b`); choose one with --workflow NAME"));
    let estimate = json(Path::new(&*two), &["--workflow", "b"]);
    assert_eq!(estimate["workflow"], "b");
    assert_eq!(estimate["total"]["money_micros"]["worst"], 2_000_000);
}

// ----- the rules of docs/cost.md, through the library -----

fn estimate_of(text: &str, args: &[(&str, Value)]) -> Estimate {
    let outcome = common::check_text(text);
    assert!(!outcome.checked.has_errors(), "{}", common::render(&outcome, wf::diag::Format::Short));
    let program = &outcome.checked.program;
    let workflow = program.entry_workflow(None).expect("one workflow");
    let args: IndexMap<String, Value> = args.iter().map(|(name, value)| ((*name).to_string(), value.clone())).collect();
    cost::estimate(program, workflow, &args)
}

fn range(min: u64, expected: u64, worst: u64) -> Range<u64> {
    Range { min, expected, worst }
}

#[test]
fn parallel_time_is_the_busiest_of_n_lanes() {
    let text = |max: &str| {
        format!(
            "workflow w() {{ parallel {max} {{ run a \"a\" {{ expect 3m }} run b \"b\" {{ expect 3m }} \
             run c \"c\" {{ expect 2m }} run d \"d\" {{ expect 2m }} run e \"e\" {{ expect 2m }} }} }}"
        )
    };
    // Longest first, each on the lane that frees up first: 3+2+2 | 3+2 on two lanes.
    assert_eq!(estimate_of(&text("max 2"), &[]).total.duration.expected, 7 * MINUTE);
    assert_eq!(estimate_of(&text("max 1"), &[]).total.duration.expected, 12 * MINUTE);
    assert_eq!(estimate_of(&text(""), &[]).total.duration.expected, 3 * MINUTE);
}

#[test]
fn retries_add_attempts_and_backoff_to_the_worst_case_only() {
    // Four attempts of at most 1m (the timeout); waits of 10s, 20s, then 30s (the cap).
    let estimate = estimate_of("workflow w() { run a \"a\" { retry 3 backoff 10s..30s timeout 1m cost $1 } }", &[]);
    assert_eq!(estimate.total.duration, range(0, 0, 4 * MINUTE + 60_000));
    assert_eq!(estimate.total.money, Range { min: 1_000_000, expected: 1_000_000, worst: 4_000_000 });
}

#[test]
fn repeat_counts_one_iteration_until_its_bound_and_all_without_until() {
    let until =
        estimate_of("workflow w(rounds: int = 4) { repeat max rounds until a.ok { run a \"a\" { expect 1m } } }", &[]);
    assert_eq!(until.total.duration, range(MINUTE, MINUTE, 4 * MINUTE));
    let given = estimate_of(
        "workflow w(rounds: int = 4) { repeat max rounds until a.ok { run a \"a\" { expect 1m } } }",
        &[("rounds", Value::Int(6))],
    );
    assert_eq!(given.total.duration.worst, 6 * MINUTE);
    let always = estimate_of("workflow w() { repeat max 3 { run a \"a\" { expect 1m } } }", &[]);
    assert_eq!(always.total.duration, range(3 * MINUTE, 3 * MINUTE, 3 * MINUTE));
}

#[test]
fn if_takes_the_cheapest_and_dearest_branch_and_expects_the_first() {
    let text = "workflow w() {\n  run probe \"x\"\n  if probe.ok { run a \"a\" { cost $2 } } \
                else if probe.exit_code == 3 { run b \"b\" { cost $5 } }\n}";
    let estimate = estimate_of(text, &[]);
    // The implicit empty `else` is the cheapest.
    assert_eq!(estimate.total.money, Range { min: 0, expected: 2_000_000, worst: 5_000_000 });

    // A condition on parameters alone is decided before the run.
    let decided =
        "workflow w(dry: bool = true) { if dry { run a \"a\" { cost $2 } } else { run b \"b\" { cost $5 } } }";
    assert_eq!(estimate_of(decided, &[]).total.money, Range::exactly(2_000_000));
    assert_eq!(estimate_of(decided, &[("dry", Value::Bool(false))]).total.money, Range::exactly(5_000_000));
}

#[test]
fn for_lists_come_from_arguments_defaults_and_literals_and_unknown_counts_as_one() {
    let text = "workflow w(xs: list<string> = [\"a\", \"b\"]) { for x in xs { run a \"{{x}}\" { cost $1 } } }";
    assert_eq!(estimate_of(text, &[]).total.money.worst, 2_000_000);
    let three = Value::List(vec![Value::String("a".into()); 3]);
    assert_eq!(estimate_of(text, &[("xs", three)]).total.money.worst, 3_000_000);
    assert_eq!(
        estimate_of("workflow w() { for x in [1, 2, 3, 4] { run a \"{{x}}\" { cost $1 } } }", &[]).total.money.worst,
        4_000_000
    );

    let unknown = estimate_of("workflow w(xs: list<string>) { for x in xs { run a \"{{x}}\" { cost $1 } } }", &[]);
    assert_eq!(unknown.total.money.worst, 1_000_000);
    assert_eq!(unknown.missing_args, ["xs"]);
    assert!(unknown.notes.iter().any(|note| matches!(note, cost::Note::UnknownLength { .. })), "{:?}", unknown.notes);
}

#[test]
fn parallel_for_runs_in_rounds_of_its_bound() {
    let text = "workflow w() { for x in [1, 2, 3, 4, 5] parallel max 2 { run a \"{{x}}\" { expect 1m cost $1 } } }";
    let estimate = estimate_of(text, &[]);
    assert_eq!(estimate.total.duration.expected, 3 * MINUTE, "⌈5 / 2⌉ rounds");
    assert_eq!(estimate.total.money.expected, 5_000_000);
}

#[test]
fn calls_estimate_the_called_workflow_with_their_arguments() {
    let text = "workflow main() { call each sub(n: 3) call other sub() }\n\
                workflow sub(n: int = 1) { repeat max n { run a \"a\" { cost $1 } } }";
    let outcome = common::check_text(text);
    let program = &outcome.checked.program;
    let main = program.entry_workflow(Some("main")).unwrap();
    let estimate = cost::estimate(program, main, &IndexMap::new());
    let row = |id: &str| estimate.phases[0].steps.iter().find(|step| step.id == id).unwrap().amounts.money.worst;
    assert_eq!((row("each"), row("other")), (3_000_000, 1_000_000));
    assert_eq!(estimate.total.money.worst, 4_000_000);
}

#[test]
fn handlers_count_on_failure_in_the_worst_case_and_finally_always() {
    let estimate = estimate_of(
        "workflow w() {\n  run a \"a\" { cost $1 }\n  on failure { run b \"b\" { cost $2 } }\n  finally { run c \"c\" { cost $4 } }\n}",
        &[],
    );
    assert_eq!(estimate.total.money, Range { min: 5_000_000, expected: 5_000_000, worst: 7_000_000 });
    let kinds: Vec<PhaseKind> = estimate.phases.iter().map(|phase| phase.kind).collect();
    assert_eq!(kinds, [PhaseKind::TopLevel, PhaseKind::OnFailure, PhaseKind::Finally]);
}

#[test]
fn waits_gates_and_timeouts_count_as_documented() {
    let text = |timeout: &str| {
        format!(
            "workflow w(bake: duration = 10m) {{\n  timeout {timeout}\n  wait soak bake * 2\n  \
               gate ok {{ approve \"go?\" timeout 30m }}\n  gate quick {{ approve \"now?\" }}\n  \
               run long \"x\" {{ expect 45m }}\n}}"
        )
    };
    // The wait is 20m; an approval waits 0s except in the worst case, where it waits its
    // timeout (the one without a timeout counts 0s); the run has no timeout, so its worst is
    // its expectation: 20m + 45m = 65m, and 20m + 30m + 45m = 95m in the worst case.
    let estimate = estimate_of(&text("2h"), &[]);
    assert_eq!(estimate.total.duration, range(65 * MINUTE, 65 * MINUTE, 95 * MINUTE));
    let open: Vec<&cost::Note> =
        estimate.notes.iter().filter(|note| matches!(note, cost::Note::OpenEnded { .. })).collect();
    assert_eq!(open, [&cost::Note::OpenEnded { steps: vec!["quick".into(), "long".into()] }]);
    // The workflow's timeout cuts every column.
    assert_eq!(estimate_of(&text("1h"), &[]).total.duration, Range::exactly(60 * MINUTE));
}

#[test]
fn a_watch_lasts_its_for_at_worst_and_its_shorter_window_at_best() {
    let text = |judgements: &str| {
        format!(
            "workflow w(bake: duration = 10m) {{\n  watch health \"cat m.json\" every 30s for bake {{\n    \
               output err: percent = json(stdout, \"/e\")\n{judgements}  }}\n}}"
        )
    };
    let both = text("    fail when err > 1% for 5m\n    pass when err < 0.1% for 3m\n");
    assert_eq!(estimate_of(&both, &[]).total.duration, range(3 * MINUTE, 10 * MINUTE, 10 * MINUTE));
    // `for` reads the run's arguments, as `wait` does.
    let longer = estimate_of(&both, &[("bake", Value::Duration(20 * MINUTE))]);
    assert_eq!(longer.total.duration, range(3 * MINUTE, 20 * MINUTE, 20 * MINUTE));
    // Without a window one poll may end it.
    let once = text("    fail when err > 1%\n");
    assert_eq!(estimate_of(&once, &[]).total.duration, range(0, 10 * MINUTE, 10 * MINUTE));
    assert_eq!(estimate_of(&once, &[]).total.money, Range::exactly(0));
}

#[test]
fn a_call_that_recurses_is_counted_once_and_noted() {
    // The checker rejects recursion; the estimate of what it could build must still end.
    let outcome = common::check_text("workflow a() { call again a() run x \"x\" { cost $1 } }");
    assert!(outcome.checked.has_errors());
    let program = &outcome.checked.program;
    let estimate = cost::estimate(program, &program.workflows[0], &IndexMap::new());
    assert_eq!(estimate.total.money.worst, 1_000_000);
    assert!(estimate.notes.iter().any(|note| matches!(note, cost::Note::Recursion { .. })), "{:?}", estimate.notes);
}

/// An agent step with no `expect` is never $0: with no past it is unknown, after runs it is
/// the median and 95th percentile of its own runs, and a new step on the same model borrows
/// the model's. `--no-history` estimates from the workflow alone.
#[test]
fn steps_without_expect_are_estimated_from_history_or_said_unknown() {
    let (dir, path) = temp_file(
        "use std/models\n\
         workflow w() {\n  provider sim\n  model models.sonnet\n  \
           agent plan \"analyst\" { prompt \"plan it\" }\n  run tests \"sleep 0.1\"\n}\n\
         workflow later() {\n  provider sim\n  model models.sonnet\n  \
           agent plan \"analyst\" { prompt \"plan it\" }\n  agent review \"analyst\" { prompt \"review it\" }\n}\n",
    );
    let file = path.to_string_lossy().into_owned();
    let state = dir.path().join("state");
    let state = state.to_string_lossy().into_owned();
    let estimate = |workflow: &str, extra: &[&str]| -> Json {
        let mut args = vec!["cost", &file, "--workflow", workflow, "--format", "json", "--state-dir", &state];
        args.extend(extra);
        let output = wf(&args);
        assert_eq!(code(&output), Some(0), "{}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    };

    // No journal yet: the agent's money and tokens are unknown, and the table says so.
    let before = estimate("w", &[]);
    let plan = step(&before, "plan");
    assert_eq!(plan["sources"]["money"], "unknown");
    assert_eq!(plan["amounts"]["unknown"], serde_json::json!({"money": true, "tokens": true, "duration": true}));
    assert_eq!(before["total"]["unknown"]["money"], true);
    let table = stdout(&wf(&["cost", &file, "--workflow", "w", "--state-dir", &state]));
    let total: Vec<&str> = table.lines().find(|line| line.starts_with("total")).unwrap().split_whitespace().collect();
    assert_eq!(total[1..4], ["?", "?", "?"], "{table}");
    assert!(table.contains("unknown: 1 agent step does not `expect` every figure"), "{table}");
    assert!(table.contains("\n    plan\n"), "the note lists the step: {table}");

    // Two runs: sim reports its usage, priced with sonnet's table.
    for _ in 0..2 {
        let run = wf(&["run", &file, "--workflow", "w", "--state-dir", &state, "--quiet"]);
        assert_eq!(code(&run), Some(0), "{}", stderr(&run));
    }
    let show = wf(&["runs", "--state-dir", &state, "--format", "json"]);
    let runs: Json = serde_json::from_str(&stdout(&show)).unwrap();
    let spent = runs["runs"][0]["cost_micros"].as_i64().unwrap();
    let tokens = runs["runs"][0]["tokens"].as_u64().unwrap();
    assert!(spent > 0 && tokens > 0, "{runs:#}");

    let after = estimate("w", &[]);
    let plan = step(&after, "plan");
    assert_eq!(
        plan["sources"],
        serde_json::json!({"money": "history", "tokens": "history", "duration": "history", "history_runs": 2})
    );
    // sim answers the same prompt the same way: median and p95 are that run's figures.
    assert_eq!(plan["amounts"]["money_micros"], serde_json::json!({"min": spent, "expected": spent, "worst": spent}));
    assert_eq!(plan["amounts"]["tokens"]["expected"], tokens);
    assert!(plan["amounts"].get("unknown").is_none(), "{plan:#}");
    // The command's time comes from its runs too: it sleeps 0.1s.
    assert!(step(&after, "tests")["amounts"]["duration_ms"]["expected"].as_u64().unwrap() >= 100);
    let note = after["notes"].as_array().unwrap().iter().find(|note| note["kind"] == "from_history").unwrap();
    assert_eq!(note["steps"], serde_json::json!([{"step": "plan", "runs": 2}, {"step": "tests", "runs": 2}]));

    // Another workflow's steps have no history of their own (history is per workflow), but
    // its agents use the model's past attempts.
    let later = estimate("later", &[]);
    assert_eq!(step(&later, "review")["sources"]["money"], "model_history");
    assert_eq!(step(&later, "review")["amounts"]["money_micros"]["expected"], spent);

    // `--no-history`: from the workflow alone.
    let alone = estimate("w", &["--no-history"]);
    assert_eq!(step(&alone, "plan")["sources"]["money"], "unknown");
}
