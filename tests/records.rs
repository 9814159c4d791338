#![allow(clippy::disallowed_methods)] // Tests run the binary and real commands.

//! Issue 13's records, loop indexes and bounds read from loop variables, through the binary:
//! a list of records given as JSON drives a loop whose waits, retries and `repeat` bounds come
//! from its fields, every value interpolated stays one shell word, `wf cost` counts the largest
//! value over the list, and bad JSON is refused before anything runs.

#[path = "common/workdir.rs"]
mod workdir;

use std::time::{Duration, Instant};

use workdir::Dir;

const CANARY: &str = r#"workflow canary(
  service: string,
  stages: list<{ pct: percent, bake: duration, probes: int, note: string }> = [
    { pct: 1%, bake: 1h, probes: 1, note: "slow" },
  ],
) {
  for i, stage in stages {
    run shift "echo shift {{i}} {{stage.pct}} {{stage.note}} port {{3000 + i}} >> shifts" {
      timeout stage.bake + 10s
    }
    wait bake stage.bake
    repeat max stage.probes {
      run probe "echo probe {{i}} >> probes"
    }
  }
  for j, stage in stages parallel max len(stages) {
    run warm "echo {{j}} {{stage.note}} >> warm"
  }
}
"#;

#[test]
fn a_list_of_records_drives_the_loop_and_its_bounds() {
    let dir = Dir::new(CANARY);
    let stages = r#"stages=[{"pct": "1%", "bake": "150ms", "probes": 2, "note": "a b"}, {"pct": 10, "bake": 150, "probes": 1, "note": "x'; touch pwned; '"}]"#;
    let started = Instant::now();
    let events = ["--events", "ndjson", "--events-file", "events.ndjson"];
    dir.wf(&[&["run", "flow.wf", "--arg", "service=api", "--arg", stages][..], &events[..]].concat()).code(0);
    // Both waits ran, each for its own stage's bake (the default's hour would never end).
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    assert_eq!(
        dir.read("shifts"),
        "shift 0 1% a b port 3000\nshift 1 10% x'; touch pwned; ' port 3001\n",
        "the index counts from 0, fields interpolate, each value is one shell word"
    );
    assert!(!dir.path().join("pwned").exists(), "a field's text never runs as a command");
    // `repeat max stage.probes`: twice in the first stage, once in the second.
    assert_eq!(dir.read("probes"), "probe 0\nprobe 0\nprobe 1\n");
    let mut warm: Vec<String> = dir.read("warm").lines().map(str::to_owned).collect();
    warm.sort();
    assert_eq!(warm, ["0 a b", "1 x'; touch pwned; '"]);
    // The run's arguments in its first event: a list of records as the JSON `--arg` reads.
    let started = dir.events().into_iter().find(|event| event["event"] == "run_started").expect("run_started");
    assert_eq!(started["args"]["service"], "api");
    assert_eq!(
        started["args"]["stages"][1],
        serde_json::json!({ "pct": "10%", "bake": "150ms", "probes": 1, "note": "x'; touch pwned; '" })
    );
}

#[test]
fn cost_counts_the_largest_bound_over_the_list() {
    let dir = Dir::new(CANARY);
    let stages = r#"stages=[{"pct": "1%", "bake": "10m", "probes": 2, "note": ""}, {"pct": "10%", "bake": "30m", "probes": 5, "note": ""}]"#;
    let ran = dir.wf(&["cost", "flow.wf", "--arg", "service=api", "--arg", stages, "--format", "json"]);
    ran.code(0);
    let estimate: serde_json::Value = serde_json::from_str(&ran.stdout()).expect("json");
    let step = |id: &str| {
        estimate["phases"]
            .as_array()
            .expect("phases")
            .iter()
            .flat_map(|phase| phase["steps"].as_array().expect("steps"))
            .find(|step| step["id"] == id)
            .unwrap_or_else(|| panic!("no step {id} in {estimate:#}"))
            .clone()
    };
    // Two iterations of the largest bake, 30m, whatever the other stage's is.
    assert_eq!(step("bake")["amounts"]["duration_ms"]["worst"], 2 * 30 * 60_000);
    // The shift's timeout is the largest bake + 10s, twice.
    assert_eq!(step("shift")["amounts"]["duration_ms"]["worst"], 2 * (30 * 60_000 + 10_000));
    // `repeat max stage.probes`: the largest count, 5, in each of the 2 iterations.
    assert_eq!(step("probe")["runs"]["worst"], 10);
    let notes = estimate["notes"].to_string();
    assert!(!notes.contains("not known"), "every bound is known: {notes}");
}

#[test]
fn bad_json_for_a_record_parameter_is_refused_before_the_run() {
    let dir = Dir::new(CANARY);
    for (given, says) in [
        (r#"stages=[{"pct": "1%", "bake": "10m", "probes": 1}]"#, "`note` (string) is missing"),
        (r#"stages=[{"pct": "1%", "bake": "10m", "probes": 1, "note": "", "bakes": "1m"}]"#, "did you mean `bake`?"),
        (r#"stages=[{"pct": "1%", "bake": "10", "probes": 1, "note": ""}]"#, "needs a unit"),
        (r#"stages=[{"pct": "1%", "bake": "10m""#, "not a JSON list such as"),
        ("stages=1%,10m", "expected a JSON list such as"),
    ] {
        let ran = dir.wf(&["run", "flow.wf", "--arg", "service=api", "--arg", given]);
        ran.code(2);
        assert!(ran.stderr().contains(says), "{given}: {}", ran.stderr());
        assert!(!dir.path().join("shifts").exists(), "nothing ran for {given}");
    }
}
