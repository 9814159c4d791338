//! Every JSON output has a published schema in `docs/schemas/`, says its `version`, and real
//! output validates against it.

use std::path::Path;

use super::sarif::validate;
use super::{Test, BAD, WARNS};

fn schema(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas").join(format!("{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn wf(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_wf")).current_dir(dir).args(args).output().unwrap()
}

/// Validates one JSON document against the named schema, checks its version, and checks that
/// the schema does reject the same document without a version (so it is not a rubber stamp).
fn assert_conforms(name: &str, text: &[u8]) {
    let json: serde_json::Value = serde_json::from_slice(text)
        .unwrap_or_else(|error| panic!("{name}: not JSON ({error}):\n{}", String::from_utf8_lossy(text)));
    if let Err(error) = validate(&schema(name), &json) {
        panic!("{name}: not valid against docs/schemas/{name}.json:\n{error}\n{json:#}");
    }
    assert_eq!(json["version"], wf::schema::VERSION, "{name}: the version");
    let mut unversioned = json.clone();
    unversioned.as_object_mut().unwrap().remove("version");
    assert!(validate(&schema(name), &unversioned).is_err(), "{name}: the schema accepts a document without a version");
}

#[test]
fn check_json_follows_its_schema() {
    let ran =
        Test::new().file("a.wf", BAD).file("b.wf", WARNS).args(&["check", "--format", "json", "a.wf", "b.wf"]).run();
    ran.code(1);
    assert_conforms("check", &ran.output.stdout);
    let clean = Test::new().file("a.wf", super::GOOD).args(&["check", "--format", "json", "a.wf"]).run();
    assert_conforms("check", &clean.output.stdout);
}

#[test]
fn list_and_cost_json_follow_their_schemas() {
    for template in ["bug-fix", "feature", "canary"] {
        let ran = Test::new().args(&["init", template]).run();
        ran.code(0);
        let file = format!("{template}.wf");
        let list = wf(ran.dir.path(), &["list", "--format", "json", &file]);
        assert_conforms("list", &list.stdout);
        let arg = match template {
            "bug-fix" => "ticket=X",
            "feature" => "spec=s",
            _ => "service=a",
        };
        let cost = wf(ran.dir.path(), &["cost", "--format", "json", "--arg", arg, &file]);
        assert!(cost.status.success(), "{}", String::from_utf8_lossy(&cost.stderr));
        assert_conforms("cost", &cost.stdout);
    }
}

#[test]
fn run_report_events_and_history_follow_their_schemas() {
    let ran = Test::new().args(&["init", "bug-fix"]).run();
    ran.code(0);
    let dir = ran.dir.path();
    // A run that succeeds, with a failure it continued past and an approval.
    let run = ["run", "bug-fix.wf", "--arg", "ticket=X", "--mode", "autopilot"];
    let report =
        wf(dir, &[&run[..], &["--format", "json", "--events", "ndjson", "--events-file", "ok.ndjson"]].concat());
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    assert_conforms("report", &report.stdout);
    // A run that pauses on a spent budget: a paused report, budget_exhausted in the events.
    // $0.15 covers the plan ($0.12) but not the test writer after it.
    let paused = wf(
        dir,
        &[&run[..], &["--budget", "$0.15", "--format", "json", "--events", "ndjson", "--events-file", "paused.ndjson"]]
            .concat(),
    );
    assert_eq!(paused.status.code(), Some(3), "{}", String::from_utf8_lossy(&paused.stderr));
    assert_conforms("report", &paused.stdout);

    let mut kinds = std::collections::BTreeSet::new();
    for file in ["ok.ndjson", "paused.ndjson"] {
        for line in std::fs::read_to_string(dir.join(file)).unwrap().lines() {
            assert_conforms("event", line.as_bytes());
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            kinds.insert(event["event"].as_str().unwrap().to_string());
        }
    }
    for kind in
        ["run_started", "step_started", "step_finished", "gate_check", "decided", "budget_exhausted", "run_finished"]
    {
        assert!(kinds.contains(kind), "no `{kind}` among {kinds:?}");
    }

    assert_conforms("runs", &wf(dir, &["runs", "--format", "json"]).stdout);
    assert_conforms("show", &wf(dir, &["show", "--format", "json"]).stdout);
    assert_conforms("stats", &wf(dir, &["stats", "--format", "json"]).stdout);
    for by in ["day", "week"] {
        assert_conforms("trends", &wf(dir, &["stats", "--by", by, "--format", "json"]).stdout);
    }
    // An agent step's prompts and answers (the starter's agents are answered by `sim`).
    let runs: serde_json::Value = serde_json::from_slice(&wf(dir, &["runs", "--format", "json"]).stdout).unwrap();
    let last = runs["runs"].as_array().and_then(|runs| runs.last()).expect("a run");
    let exchanges = wf(dir, &["show", last["id"].as_str().unwrap(), "plan", "--format", "json"]);
    assert!(exchanges.status.success(), "{}", String::from_utf8_lossy(&exchanges.stderr));
    assert_conforms("exchanges", &exchanges.stdout);
    // An estimate after those runs takes figures from them, and says so in the same shape.
    let cost = wf(dir, &["cost", "--format", "json", "--arg", "ticket=X", "bug-fix.wf"]);
    assert!(cost.status.success(), "{}", String::from_utf8_lossy(&cost.stderr));
    assert_conforms("cost", &cost.stdout);
    assert!(String::from_utf8_lossy(&cost.stdout).contains("\"from_history\""));
}

#[test]
fn history_json_without_a_journal_follows_the_schemas_too() {
    let ran = Test::new().args(&["runs", "--format", "json"]).run();
    ran.code(0);
    assert_conforms("runs", &ran.output.stdout);
    let ran = Test::new().args(&["stats", "--format", "json"]).run();
    assert_conforms("stats", &ran.output.stdout);
    let ran = Test::new().args(&["stats", "--by", "week", "--format", "json"]).run();
    assert_conforms("trends", &ran.output.stdout);
}

#[test]
fn every_schema_is_used_by_a_test() {
    let used = ["check", "list", "cost", "report", "event", "runs", "show", "stats", "trends", "exchanges", "import"];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut used: Vec<String> = used.iter().map(ToString::to_string).collect();
    used.sort();
    assert_eq!(found, used);
}

#[test]
fn watch_poll_events_follow_their_schema() {
    let flow = "workflow w() {\n  watch health \"echo '{\\\"e\\\": 0}'\" every 20ms for 1s {\n    \
                output e: percent = json(stdout, \"/e\")\n    fail when e > 1% for 40ms\n    pass when e < 1% for 40ms\n  }\n}\n";
    let ran =
        Test::new().file("w.wf", flow).args(&["run", "w.wf", "--events", "ndjson", "--events-file", "e.ndjson"]).run();
    ran.code(0);
    let events = std::fs::read_to_string(ran.dir.path().join("e.ndjson")).unwrap();
    let polls: Vec<&str> = events.lines().filter(|line| line.contains("\"watch_poll\"")).collect();
    assert_eq!(polls.len(), 2, "two polls make 40ms: {events}");
    for line in events.lines() {
        assert_conforms("event", line.as_bytes());
    }
    let last: serde_json::Value = serde_json::from_str(polls[1]).unwrap();
    assert_eq!(last["poll"].as_u64(), Some(2), "{last}");
    // A late first poll moves the second on, and the window counts the time that passed.
    assert!(last["pass_held_ms"].as_u64().is_some_and(|held| held >= 40), "{last}");
}
