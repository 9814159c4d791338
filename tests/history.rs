#![allow(clippy::disallowed_methods)] // Tests run the binary and write journals.

//! `wf runs`, `wf show`, `wf stats` and the run report's cost breakdown, through the real
//! binary: real runs of small workflows for the report, and a synthetic history of 1,000
//! runs written through the journal's API for the numbers across runs, whose expected
//! values the test computes itself.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use indexmap::IndexMap;
use serde_json::{json, Value as Json};
use wf::ir::Value;
use wf::journal::{
    Answer, AskKind, DecisionWrite, Given, How, Journal, LedgerEntry, NewRun, RunStatus, StepWrite, Transition,
};

/// A workflow priced three ways: agents by model, `run` steps by their `cost`, a loop whose
/// check fails once, a step that fails once and is retried, and a step outside every phase.
const PRICED: &str = r#"
model cheap {
  id     "cheap-1"
  input  $1.00 per 1M tokens
  output $4.00 per 1M tokens
}
model dear {
  id     "dear-1"
  input  $10.00 per 1M tokens
  output $40.00 per 1M tokens
}

workflow priced() {
  budget $5.00 warn at 80%
  budget 1M tokens
  provider sim
  model cheap

  phase build {
    agent plan "planner" {
      model dear
      prompt "plan the change"
      expect 10k tokens
    }
    run compile "echo compiled" { cost $0.25 }
  }
  phase fix {
    repeat rounds max 3 until check.ok {
      agent patch "fixer" {
        prompt "patch it"
        expect 4k tokens
      }
      run check "n=$(cat n 2>/dev/null || echo 0); echo $((n + 1)) > n; test $n -ge 1" {
        cost $0.01
        on failure continue
      }
    }
    run flaky "test -f flag || { touch flag; exit 1; }" {
      retry 2 backoff 1ms..2ms
      cost $0.02
    }
    gate done { require check.ok "the check must pass" }
  }
  run wrap_up "echo done" { cost $0.05 }
}
"#;

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        Dir { dir: tempfile::tempdir().expect("temp dir") }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn state(&self) -> PathBuf {
        self.path().join("state")
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).expect("write");
    }

    fn wf(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_wf"))
            .current_dir(self.path())
            .args(args)
            .arg("--state-dir")
            .arg(self.state())
            .env("NO_COLOR", "1")
            .env("TZ", "UTC")
            .env_remove("WF_STATE_DIR")
            .output()
            .expect("wf runs")
    }

    fn journal(&self) -> Journal {
        Journal::open(&self.state()).expect("journal opens")
    }
}

fn code(output: &Output, expected: i32) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(expected), "stdout:\n{stdout}\nstderr:\n{stderr}");
    stdout
}

fn json_of(output: &Output) -> Json {
    let stdout = code(output, 0);
    serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("not one JSON document ({error}):\n{stdout}"))
}

fn int(value: &Json) -> i64 {
    value.as_i64().unwrap_or_else(|| panic!("not an integer: {value}"))
}

fn float(value: &Json) -> f64 {
    value.as_f64().unwrap_or_else(|| panic!("not a number: {value}"))
}

/// The money and token sums of a list of breakdown rows.
fn sums(rows: &Json) -> (i64, i64, f64) {
    let rows = rows.as_array().expect("rows");
    let money = rows.iter().map(|row| int(&row["cost_micros"])).sum();
    let tokens = rows.iter().map(|row| int(&row["tokens"])).sum();
    let share = rows.iter().map(|row| float(&row["share"])).sum();
    (money, tokens, share)
}

#[test]
fn the_json_report_breaks_the_ledger_down_by_phase_step_and_model() {
    let dir = Dir::new();
    dir.write("priced.wf", PRICED);
    let report = json_of(&dir.wf(&["run", "priced.wf", "--mode", "autopilot", "--format", "json"]));
    assert_eq!(report["status"], "succeeded", "{report:#}");
    let run = report["run"].as_str().expect("run id").to_owned();

    let ledger = dir.journal().ledger(&run).expect("ledger");
    let money: i64 = ledger.iter().map(|entry| entry.micros).sum();
    let tokens: u64 = ledger.iter().map(|entry| entry.input + entry.output + entry.cached).sum();
    assert!(money > 0 && tokens > 0);
    assert_eq!(int(&report["cost_micros"]), money);
    assert_eq!(int(&report["costs"]["cost_micros"]), money);
    assert_eq!(report["tokens"].as_u64(), Some(tokens));

    let costs = &report["costs"];
    for part in ["phases", "steps", "models"] {
        let (part_money, part_tokens, share) = sums(&costs[part]);
        assert_eq!(part_money, money, "{part} sum to the ledger's money");
        assert_eq!(u64::try_from(part_tokens).ok(), Some(tokens), "{part} sum to the ledger's tokens");
        assert!((share - 100.0).abs() < 1e-6, "{part} shares add to {share}");
    }
    let phases: Vec<&str> =
        costs["phases"].as_array().expect("phases").iter().map(|p| p["name"].as_str().unwrap_or("")).collect();
    assert_eq!(phases, ["build", "fix", "(top level)"]);
    let top = &costs["phases"][2];
    assert_eq!(int(&top["cost_micros"]), 50_000, "wrap_up's $0.05 is outside every phase");

    let models: HashMap<&str, &Json> =
        costs["models"].as_array().expect("models").iter().map(|m| (m["model"].as_str().unwrap_or(""), m)).collect();
    // plan: 10k expected tokens on `dear`, 7,500 in and 2,500 out: $0.075 + $0.10.
    assert_eq!(int(&models["dear"]["cost_micros"]), 175_000);
    assert_eq!(int(&models["dear"]["input"]), 7_500);
    // compile $0.25, check twice $0.02, flaky twice $0.04, wrap_up $0.05.
    assert_eq!(int(&models["(fixed)"]["cost_micros"]), 360_000);

    let steps: HashMap<&str, &Json> =
        costs["steps"].as_array().expect("steps").iter().map(|s| (s["step"].as_str().unwrap_or(""), s)).collect();
    assert_eq!(int(&steps["fix/check"]["instances"]), 2, "two rounds of the loop");
    assert_eq!(int(&steps["fix/check"]["cost_micros"]), 20_000);
    assert_eq!(int(&steps["fix/flaky"]["attempts"]), 2);
    assert_eq!(int(&steps["fix/flaky"]["cost_micros"]), 40_000, "each attempt pays its cost");
    assert_eq!(report["iterations"], 2);
    assert_eq!(report["retries"], 1);

    let budget = &costs["budget"];
    assert_eq!(int(&budget["money_micros"]["spent"]), money);
    assert_eq!(int(&budget["money_micros"]["limit"]), 5_000_000);
    assert!((float(&budget["money_micros"]["percent"]) - money as f64 / 50_000.0).abs() < 1e-9);
    assert_eq!(int(&budget["tokens"]["limit"]), 1_000_000);

    // `wf show` carries the same report, and the tree.
    let shown = json_of(&dir.wf(&["show", &run, "--format", "json"]));
    assert_eq!(shown["report"]["costs"], report["costs"]);
    assert_eq!(shown["run"], json!(run));
    let top_keys: Vec<&str> =
        shown["steps"].as_array().expect("steps").iter().map(|n| n["key"].as_str().unwrap_or("")).collect();
    assert_eq!(top_keys, ["build", "fix", "wrap_up"]);
    let fix = &shown["steps"][1];
    let fix_money: i64 = ledger.iter().filter(|entry| entry.key.starts_with("fix/")).map(|entry| entry.micros).sum();
    assert_eq!(int(&fix["cost_micros"]), fix_money);
    assert_eq!(int(&shown["steps"][0]["cost_micros"]), 175_000 + 250_000);
    let children = fix["children"].as_array().expect("children");
    let rounds = children.iter().find(|n| n["key"] == "fix/rounds").expect("the repeat");
    assert_eq!(rounds["iterations"], 2);
    let flaky = children.iter().find(|n| n["key"] == "fix/flaky").expect("flaky");
    assert_eq!(flaky["attempts"], 2);
    let gate = children.iter().find(|n| n["key"] == "fix/done").expect("the gate");
    assert_eq!(gate["checks"][0]["message"], "the check must pass");
    assert_eq!(gate["checks"][0]["passed"], true);
    let failed_check = children.iter().find(|n| n["key"] == "fix/check[1]").expect("first check");
    assert_eq!(failed_check["status"], "failed");

    // The same breakdown for people, after the lines the report always had.
    let human = code(&dir.wf(&["show", &run]), 0);
    for line in ["  cost        ", "  budget      ", "  by phase    build", "  by model    ", "  by step     "] {
        assert!(human.contains(line), "no `{line}` in:\n{human}");
    }
}

#[test]
fn json_report_and_events_cannot_share_stdout() {
    let dir = Dir::new();
    dir.write("priced.wf", PRICED);
    let output = dir.wf(&["run", "priced.wf", "--format", "json", "--events", "ndjson"]);
    code(&output, 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("--events-file"));
    // With a file for the events, stdout holds only the report, and the progress goes to stderr.
    let output = dir.wf(&[
        "run",
        "priced.wf",
        "--mode",
        "autopilot",
        "--format",
        "json",
        "--events",
        "ndjson",
        "--events-file",
        "ev.ndjson",
    ]);
    let report = json_of(&output);
    assert_eq!(report["status"], "succeeded");
    assert!(String::from_utf8_lossy(&output.stderr).contains("fix/flaky"), "progress on stderr");
    let events = std::fs::read_to_string(dir.path().join("ev.ndjson")).expect("events file");
    assert!(events.lines().count() > 10);
}

#[test]
fn unknown_runs_and_bad_flags_are_usage_errors() {
    let dir = Dir::new();
    let output = dir.wf(&["show"]);
    code(&output, 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("no runs"));
    assert!(!dir.state().join("state.db").exists(), "reading never creates a journal");
    dir.write("priced.wf", PRICED);
    code(&dir.wf(&["run", "priced.wf", "--mode", "autopilot", "--quiet"]), 0);
    let output = dir.wf(&["show", "0000000000-zzz"]);
    code(&output, 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("no run `0000000000-zzz`"));
    for args in [
        &["runs", "--limit", "0"][..],
        &["runs", "--limit", "many"],
        &["runs", "--since", "soon"],
        &["runs", "--status", "great"],
        &["stats", "--since", "-3d"],
        &["show", "--format", "yaml"],
    ] {
        code(&dir.wf(args), 2);
    }
}

/// What the synthetic history holds for one run, and so what `wf stats` must find.
struct Planned {
    workflow: &'static str,
    status: RunStatus,
    started_at: i64,
    duration_ms: i64,
    cost_micros: i64,
    iterations: i64,
    retries: u32,
    escalated: bool,
    paused: bool,
    budget: bool,
    /// Approvals: (wait in ms, answered by a person).
    approvals: Vec<(i64, bool)>,
}

const DAY: i64 = 86_400_000;

fn plan(i: i64, now: i64) -> Planned {
    const WORKFLOWS: [&str; 3] = ["bug_fix", "release", "canary"];
    let status = match i % 10 {
        0 | 1 => RunStatus::Failed,
        2 => RunStatus::Paused,
        3 if i % 20 == 3 => RunStatus::Interrupted,
        _ => RunStatus::Succeeded,
    };
    let mut approvals = Vec::new();
    if i % 4 == 0 {
        approvals.push(((i * 7_919) % 3_600_000, true));
    }
    if i % 6 == 1 {
        approvals.push((0, false)); // autopilot: no one waited
    }
    Planned {
        workflow: WORKFLOWS[usize::try_from(i % 3).unwrap_or(0)],
        status,
        // The first 100 runs are 40 to 50 days old; the rest within the last 20 days.
        started_at: if i < 100 { now - 50 * DAY + i * 60_000 } else { now - 20 * DAY + i * 60_000 },
        duration_ms: 1_000 + (i * 104_729) % 900_000,
        cost_micros: 10_000 + (i * 7_307) % 2_000_000,
        iterations: i % 4,
        retries: u32::try_from(i % 3).unwrap_or(0),
        escalated: i % 7 == 0,
        paused: status == RunStatus::Paused || i % 7 == 0,
        budget: i % 11 == 0,
        approvals,
    }
}

fn step<'a>(key: &'a str, kind: &'a str, attempts: u32, at: i64, value: Option<&'a Value>) -> StepWrite<'a> {
    StepWrite {
        key,
        step_id: key,
        kind,
        hash: "h",
        status: "succeeded",
        accepted: true,
        attempts,
        started_at: at,
        ended_at: Some(at + 1),
        value,
        error: None,
    }
}

fn write_history(journal: &Journal, runs: i64, now: i64) -> Vec<Planned> {
    let plan_map = HashMap::new();
    let null = Json::Null;
    let mut planned = Vec::new();
    for i in 0..runs {
        let p = plan(i, now);
        let id = journal
            .create_run(&NewRun {
                workflow: p.workflow,
                file: "/synthetic.wf",
                file_hash: "0",
                args: "{}",
                plan: &plan_map,
                options: "{}",
                owner: wf::journal::Owner { pid: 1, started: None },
                at: p.started_at,
                program: None,
            })
            .expect("run recorded");
        let at = p.started_at + 10;
        let transition = |kind: &'static str, step: Option<&StepWrite<'_>>, ledger: &[LedgerEntry]| {
            journal.record(&Transition {
                run: &id,
                at,
                kind,
                key: None,
                data: &null,
                step,
                ledger,
                decision: None,
                poll: None,
            })
        };
        // The cost in two amounts: an agent's and a run step's.
        let agent = LedgerEntry {
            key: "work/agent".into(),
            attempt: 1,
            model: Some("sonnet".into()),
            input: 1_000,
            output: 200,
            cached: 0,
            micros: p.cost_micros / 3,
            ..LedgerEntry::default()
        };
        let fixed = LedgerEntry {
            key: "work/cmd".into(),
            attempt: 1,
            micros: p.cost_micros - p.cost_micros / 3,
            ..LedgerEntry::default()
        };
        // Every attempt starts with its event: that is what retries count.
        for (key, attempts) in [("work/agent", 1 + p.retries), ("work/cmd", 1)] {
            for _ in 0..attempts {
                let data = json!({ "event": "step_started", "key": key });
                journal
                    .record(&Transition {
                        run: &id,
                        at,
                        kind: "step_started",
                        key: Some(key),
                        data: &data,
                        step: None,
                        ledger: &[],
                        decision: None,
                        poll: None,
                    })
                    .expect("started");
            }
        }
        transition("step_finished", Some(&step("work/agent", "agent", 1 + p.retries, at, None)), &[agent])
            .expect("step");
        transition("step_finished", Some(&step("work/cmd", "run", 1, at, None)), &[fixed]).expect("step");
        let loop_value = Value::Record(IndexMap::from([("iterations".to_owned(), Value::Int(p.iterations))]));
        transition("block_finished", Some(&step("work/loop", "repeat", 1, at, Some(&loop_value))), &[]).expect("block");
        // A block's attempts are not retries.
        transition("block_finished", Some(&step("work", "phase", 3, at, None)), &[]).expect("phase");
        if p.paused {
            transition("run_paused", None, &[]).expect("pause");
        }
        let mut asks = Vec::new();
        if p.escalated {
            asks.push((AskKind::Escalation, Answer::Retry, How::Command, 5_000));
        }
        if p.budget {
            asks.push((AskKind::Budget, Answer::Raise, How::Resume, 9_000));
        }
        for &(wait, person) in &p.approvals {
            asks.push((AskKind::Approval, Answer::Approve, if person { How::Command } else { How::Mode }, wait));
        }
        for (kind, answer, how, wait) in asks {
            let given = Given { answer, by: "sam".into(), comment: None, how, at: at + wait };
            let decision = DecisionWrite::Answered {
                seq: None,
                key: "work/ship",
                kind,
                question: "ship?",
                asked_at: at,
                given: &given,
            };
            journal
                .record(&Transition {
                    run: &id,
                    at,
                    kind: "approved",
                    key: None,
                    data: &null,
                    step: None,
                    ledger: &[],
                    decision: Some(&decision),
                    poll: None,
                })
                .expect("decision");
        }
        let ended = matches!(p.status, RunStatus::Succeeded | RunStatus::Failed | RunStatus::Interrupted);
        journal.set_status(&id, p.status, None, ended.then_some(p.started_at + p.duration_ms)).expect("status");
        planned.push(p);
    }
    planned
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
    i64::try_from(since.as_millis()).expect("fits")
}

fn nearest_rank_p95(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    if values.is_empty() {
        return None;
    }
    let rank = (values.len() * 95).div_ceil(100);
    Some(values[rank - 1])
}

fn rounded_mean(values: &[i64]) -> Option<i64> {
    let n = i64::try_from(values.len()).ok().filter(|&n| n > 0)?;
    let sum: i64 = values.iter().sum();
    Some((2 * sum + n).div_euclid(2 * n))
}

/// What `wf stats` must say of these runs, computed here from the plan.
fn expected(runs: &[&Planned]) -> BTreeMap<&'static str, Json> {
    let n = runs.len() as f64;
    let succeeded = runs.iter().filter(|p| p.status == RunStatus::Succeeded).count();
    let failed = runs.iter().filter(|p| p.status == RunStatus::Failed).count();
    let mut durations: Vec<i64> = runs
        .iter()
        .filter(|p| matches!(p.status, RunStatus::Succeeded | RunStatus::Failed))
        .map(|p| p.duration_ms)
        .collect();
    let total: i64 = runs.iter().map(|p| p.cost_micros).sum();
    let mut waits: Vec<i64> =
        runs.iter().flat_map(|p| p.approvals.iter().filter(|(_, person)| *person).map(|(wait, _)| *wait)).collect();
    let escalated = runs.iter().filter(|p| p.escalated).count();
    BTreeMap::from([
        ("runs", json!(runs.len())),
        ("succeeded", json!(succeeded)),
        ("failed", json!(failed)),
        ("success_rate", json!(succeeded as f64 / (succeeded + failed) as f64)),
        ("duration_mean_ms", json!(rounded_mean(&durations))),
        ("duration_p95_ms", json!(nearest_rank_p95(&mut durations))),
        ("cost_total_micros", json!(total)),
        ("cost_mean_micros", json!(rounded_mean(&runs.iter().map(|p| p.cost_micros).collect::<Vec<_>>()))),
        ("iterations_per_run", json!(runs.iter().map(|p| p.iterations).sum::<i64>() as f64 / n)),
        ("retries_per_run", json!(runs.iter().map(|p| i64::from(p.retries)).sum::<i64>() as f64 / n)),
        ("escalated", json!(escalated)),
        ("escalation_rate", json!(escalated as f64 / n)),
        ("approvals", json!(waits.len())),
        ("approval_wait_mean_ms", json!(rounded_mean(&waits))),
        ("approval_wait_p95_ms", json!(nearest_rank_p95(&mut waits))),
        ("paused", json!(runs.iter().filter(|p| p.paused).count())),
        ("budget_paused", json!(runs.iter().filter(|p| p.budget).count())),
    ])
}

fn assert_stats(found: &Json, runs: &[&Planned], what: &str) {
    for (field, want) in expected(runs) {
        let got = &found[field];
        match (got.as_f64(), want.as_f64()) {
            (Some(got), Some(want)) if field.ends_with("rate") || field.ends_with("per_run") => {
                assert!((got - want).abs() < 1e-9, "{what}: {field} is {got}, expected {want}");
            }
            _ => assert_eq!(got, &want, "{what}: {field}"),
        }
    }
}

#[test]
fn stats_over_a_thousand_runs_match_the_numbers_computed_from_the_history() {
    let dir = Dir::new();
    let now = now_ms();
    let planned = write_history(&dir.journal(), 1_000, now);

    let stats = json_of(&dir.wf(&["stats", "--format", "json"]));
    let all: Vec<&Planned> = planned.iter().collect();
    assert_stats(&stats["overall"], &all, "overall");
    let workflows = stats["workflows"].as_array().expect("workflows");
    assert_eq!(workflows.len(), 3);
    for found in workflows {
        let name = found["workflow"].as_str().expect("name");
        let runs: Vec<&Planned> = planned.iter().filter(|p| p.workflow == name).collect();
        assert_stats(found, &runs, name);
    }

    // `--since` and `--workflow` narrow the runs.
    let recent = json_of(&dir.wf(&["stats", "--since", "30d", "--workflow", "release", "--format", "json"]));
    let runs: Vec<&Planned> =
        planned.iter().filter(|p| p.workflow == "release" && p.started_at >= now - 30 * DAY).collect();
    assert_eq!(runs.len(), 300);
    assert_stats(&recent["overall"], &runs, "recent release");
    assert_eq!(recent["workflows"].as_array().map(Vec::len), Some(1));
}

#[test]
fn runs_lists_newest_first_and_filters() {
    let dir = Dir::new();
    let now = now_ms();
    let planned = write_history(&dir.journal(), 60, now);

    let all = json_of(&dir.wf(&["runs", "--format", "json"]));
    let all = all["runs"].as_array().expect("a list");
    assert_eq!(all.len(), 20, "the default limit");
    let starts: Vec<i64> = all.iter().map(|run| int(&run["started_at"])).collect();
    assert!(starts.windows(2).all(|pair| pair[0] > pair[1]), "newest first: {starts:?}");
    assert_eq!(starts[0], planned[59].started_at);
    assert_eq!(int(&all[0]["cost_micros"]), planned[59].cost_micros);
    assert_eq!(all[0]["tokens"], 1_200);

    let failed = json_of(&dir.wf(&[
        "runs",
        "--workflow",
        "bug_fix",
        "--status",
        "failed",
        "--limit",
        "100",
        "--format",
        "json",
    ]));
    let want: Vec<i64> = planned
        .iter()
        .rev()
        .filter(|p| p.workflow == "bug_fix" && p.status == RunStatus::Failed)
        .map(|p| p.started_at)
        .collect();
    let got: Vec<i64> = failed["runs"].as_array().expect("a list").iter().map(|run| int(&run["started_at"])).collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    // The first 60 synthetic runs are all 40 to 50 days old.
    let recent = json_of(&dir.wf(&["runs", "--since", "30d", "--format", "json"]));
    assert_eq!(recent["runs"].as_array().map(Vec::len), Some(0));
    let older = json_of(&dir.wf(&["runs", "--since", "60d", "--limit", "3", "--format", "json"]));
    assert_eq!(older["runs"].as_array().map(Vec::len), Some(3));
}

#[test]
fn show_lists_who_answered_what_and_how_long_it_took() {
    let dir = Dir::new();
    let now = now_ms();
    // Run 0 has an escalation, a budget question and an approval a person answered.
    write_history(&dir.journal(), 1, now);
    let shown = json_of(&dir.wf(&["show", "--format", "json"]));
    let decisions = shown["report"]["decisions"].as_array().expect("decisions");
    let kinds: Vec<&str> = decisions.iter().map(|d| d["kind"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds, ["escalation", "budget", "approval"]);
    assert_eq!(decisions[0]["answer"], "retry");
    assert_eq!(decisions[0]["by"], "sam");
    assert_eq!(decisions[0]["how"], "command");
    assert_eq!(decisions[0]["wait_ms"], 5_000);
    assert_eq!(decisions[1]["wait_ms"], 9_000);
    let work = &shown["steps"][0];
    assert_eq!(work["key"], "work");
    assert_eq!(int(&work["cost_micros"]), plan(0, now).cost_micros, "a phase holds the ledger under its key");
    let human = code(&dir.wf(&["show"]), 0);
    assert!(human.contains("escalation work/ship “ship?”: retry chosen by sam with wf approve at "), "{human}");
    assert!(human.contains(" after 5.0s"), "{human}");
}

#[test]
fn human_stats_and_runs_read_as_reviewed() {
    let dir = Dir::new();
    let now = now_ms();
    write_history(&dir.journal(), 12, now);
    insta::assert_snapshot!("stats_human", code(&dir.wf(&["stats"]), 0));
    let runs = code(&dir.wf(&["runs", "--limit", "4"]), 0);
    // Ids are random and start times move with the clock.
    let masked: String = runs
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            if cells[0] == "ID" {
                line.to_owned()
            } else {
                format!("<id> {} {} <started> {}", cells[1], cells[2], cells[5..].join(" "))
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("runs_human", masked);
}

#[test]
fn trends_by_day_and_week_match_the_history() {
    let dir = Dir::new();
    let now = now_ms();
    let planned = write_history(&dir.journal(), 300, now);
    // TZ=UTC (Dir::wf): a day is a UTC day.
    let mut by_day: BTreeMap<i64, Vec<&Planned>> = BTreeMap::new();
    for p in &planned {
        by_day.entry(p.started_at.div_euclid(DAY)).or_default().push(p);
    }
    let trends = json_of(&dir.wf(&["stats", "--by", "day", "--format", "json"]));
    let periods = trends["periods"].as_array().expect("periods");
    let (first, last) = (*by_day.keys().next().expect("a day"), *by_day.keys().next_back().expect("a day"));
    assert_eq!(periods.len(), usize::try_from(last - first + 1).expect("days"), "every day between, empty ones too");
    for (offset, period) in periods.iter().enumerate() {
        let runs = by_day.get(&(first + i64::try_from(offset).expect("offset"))).cloned().unwrap_or_default();
        assert_eq!(int(&period["runs"]), i64::try_from(runs.len()).expect("count"), "{period}");
        let succeeded = runs.iter().filter(|p| p.status == RunStatus::Succeeded).count();
        assert_eq!(int(&period["succeeded"]), i64::try_from(succeeded).expect("count"));
        assert_eq!(int(&period["cost_micros"]), runs.iter().map(|p| p.cost_micros).sum::<i64>());
    }
    let weeks = json_of(&dir.wf(&["stats", "--by", "week", "--format", "json"]));
    let weekly: i64 = weeks["periods"].as_array().expect("weeks").iter().map(|period| int(&period["runs"])).sum();
    assert_eq!(weekly, 300);

    // The health score, from its formula in docs/history.md.
    #[allow(clippy::cast_precision_loss)]
    let expected = {
        let count = planned.len() as f64;
        let succeeded = planned.iter().filter(|p| p.status == RunStatus::Succeeded).count() as f64;
        let finished = succeeded + planned.iter().filter(|p| p.status == RunStatus::Failed).count() as f64;
        let escalated = planned.iter().filter(|p| p.escalated).count() as f64 / count;
        let budget = planned.iter().filter(|p| p.budget).count() as f64 / count;
        let retries = planned.iter().map(|p| f64::from(p.retries)).sum::<f64>() / count;
        (100.0
            * (0.5 * succeeded / finished + 0.2 * (1.0 - escalated) + 0.15 * (1.0 - budget) + 0.15 / (1.0 + retries)))
            .round()
    };
    assert!((float(&trends["health"]["score"]) - expected).abs() < f64::EPSILON, "{}", trends["health"]);
    // Cache use per model: the synthetic agent reads nothing from a cache.
    assert_eq!(trends["models"][0]["model"], "sonnet");
    assert!(float(&trends["models"][0]["cache_hit_rate"]).abs() < f64::EPSILON);
    let text = code(&dir.wf(&["stats", "--by", "week"]), 0);
    assert!(text.starts_with("week of "), "{text}");
    assert!(text.contains(&format!("health {expected}/100")), "{text}");
}

#[test]
fn the_html_dashboard_is_one_page_that_fetches_nothing() {
    let dir = Dir::new();
    write_history(&dir.journal(), 120, now_ms());
    code(&dir.wf(&["stats", "--html", "dashboard.html"]), 0);
    let page = std::fs::read_to_string(dir.path().join("dashboard.html")).expect("the page is written");
    assert_eq!(page.matches("<figure class=\"chart\">").count(), 7, "seven charts");
    assert_eq!(page.matches("<svg ").count(), 7, "each one inline SVG");
    // No address, no script, nothing loaded from elsewhere: it opens offline.
    for reference in ["http:", "https:", "//", "<script", " src=", "href=", "url(", "@import"] {
        assert!(!page.contains(reference), "the page refers to `{reference}`");
    }
    assert!(page.contains("Runs per day by status") && page.contains("Costliest steps"));
    // Without a journal there is nothing to draw: a usage error, no file.
    let empty = Dir::new();
    code(&empty.wf(&["stats", "--html", "dashboard.html"]), 2);
    assert!(!empty.path().join("dashboard.html").exists());
}
