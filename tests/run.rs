#![allow(clippy::disallowed_methods)] // Tests run the binary, real commands and read the journal.

//! `wf run` and `wf resume` with real processes: retries, concurrency limits, timeouts that
//! kill whole process groups, rollback, crashes at random points, edited files, hostile
//! interpolation, and many runs sharing one journal. Nothing here sleeps to wait for
//! something: tests wait on files the commands write, or on the process itself.

#[path = "common/workdir.rs"]
mod workdir;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use wf::journal::RunStatus;
use workdir::{alive, latest_run, Dir};

#[test]
fn retries_count_attempts_and_keep_backoff_under_its_ceiling() {
    let dir = Dir::new(
        r#"workflow w() {
  run flaky "echo try >> tries; exit 3" { retry 3 backoff 10ms..25ms on exit 3 }
}"#,
    );
    dir.wf(&["run", "flow.wf", "--events", "ndjson", "--events-file", "events.ndjson"]).code(1);
    assert_eq!(dir.read("tries").lines().count(), 4, "1 attempt + 3 retries");
    let delays: Vec<u64> = dir
        .events()
        .iter()
        .filter(|event| event["event"] == "attempt_failed")
        .filter_map(|event| event["retry_in_ms"].as_u64())
        .collect();
    assert_eq!(delays.len(), 3);
    for (delay, ceiling) in delays.iter().zip([10, 20, 25]) {
        assert!(*delay <= ceiling, "delay {delay} over its ceiling {ceiling}");
    }
}

#[test]
fn retry_on_filters_by_exit_code() {
    let dir = Dir::new(
        r#"workflow w() {
  run other "echo try >> tries; exit 2" { retry 3 backoff 1ms..1ms on exit 1 }
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(1);
    assert_eq!(dir.read("tries").lines().count(), 1, "exit 2 is not retried `on exit 1`");
}

#[test]
fn parallel_max_two_never_runs_three_commands_at_once() {
    let mut steps = String::new();
    for i in 0..6 {
        // Each command registers itself, counts who is running, holds a moment, and leaves.
        steps.push_str(&format!(
            "    run s{i} \"mkdir -p running && touch running/s{i} && ls running | wc -l >> counts && sleep 0.15 && rm running/s{i}\"\n"
        ));
    }
    let dir = Dir::new(&format!("workflow w() {{\n  parallel max 2 {{\n{steps}  }}\n}}\n"));
    dir.wf(&["run", "flow.wf"]).code(0);
    let counts: Vec<u32> = dir.read("counts").lines().map(|line| line.trim().parse().expect("count")).collect();
    assert_eq!(counts.len(), 6);
    assert!(counts.iter().all(|&n| n <= 2), "more than 2 at once: {counts:?}");
    assert!(counts.contains(&2), "never ran 2 at once: {counts:?}");
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let dir = Dir::new(
        r#"workflow w() {
  run slow "sh -c 'sleep 60 & echo $! > grandchild; wait'" { timeout 300ms }
}"#,
    );
    let started = Instant::now();
    dir.wf(&["run", "flow.wf", "--kill-grace", "200ms"]).code(1);
    assert!(started.elapsed() < Duration::from_secs(20));
    let pid: i32 = dir.read("grandchild").trim().parse().expect("pid written");
    assert!(!alive(pid), "the grandchild {pid} outlived its step");
    let run = latest_run(&dir);
    let steps = dir.journal().steps(&run.id).expect("steps");
    assert_eq!(steps["slow"].status, "timed_out");
}

#[test]
fn background_processes_end_with_their_step() {
    let dir = Dir::new(
        r#"workflow w() {
  run leaves "sleep 60 > /dev/null 2>&1 & echo $! > orphan"
}"#,
    );
    dir.wf(&["run", "flow.wf", "--kill-grace", "200ms"]).code(0);
    let pid: i32 = dir.read("orphan").trim().parse().expect("pid written");
    assert!(!alive(pid), "the background process {pid} outlived its step");
}

#[test]
fn rollback_undoes_completed_steps_newest_first() {
    let dir = Dir::new(
        r#"workflow w() {
  run a "echo do-a >> log" { undo run "echo undo-a >> log" }
  run b "echo do-b >> log" { undo run "echo undo-b >> log" }
  run c "echo do-c >> log" { undo run "echo undo-c >> log" }
  run d "exit 1" { on failure rollback }
  run e "echo never >> log"
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(1);
    assert_eq!(dir.read("log").lines().collect::<Vec<_>>(), ["do-a", "do-b", "do-c", "undo-c", "undo-b", "undo-a"]);
}

#[test]
fn on_failure_continue_goes_on_and_records_the_failure() {
    let dir = Dir::new(
        r#"workflow w() {
  run broken "echo oops >&2; exit 4" { on failure continue }
  run after "echo {{broken.status}} {{broken.exit_code}} > seen"
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(0);
    assert_eq!(dir.read("seen").trim(), "failed 4");
    assert!(ran.stdout().contains("oops"), "the report shows the stderr tail:\n{}", ran.stdout());
}

#[test]
fn hostile_interpolation_never_executes() {
    let payloads = [
        "$(touch pwned1)",
        "`touch pwned2`",
        "x; touch pwned3",
        "a' ; touch pwned4 ; '",
        "line\ntouch pwned5",
        "\"; touch pwned6; \"",
        "*",
    ];
    for payload in payloads {
        let dir = Dir::new(
            r#"workflow w(payload: string) {
  run echo "printf '%s' {{payload}} > out"
}"#,
        );
        dir.write("decoy", "");
        dir.wf(&["run", "flow.wf", "--arg", &format!("payload={payload}")]).code(0);
        assert_eq!(dir.read("out"), payload, "the payload arrived as one word");
        for i in 1..=6 {
            assert!(!dir.path().join(format!("pwned{i}")).exists(), "{payload:?} executed");
        }
    }
}

#[test]
fn nul_in_an_interpolated_value_fails_the_step_clearly() {
    let dir = Dir::new(
        r#"use std/models
workflow w() {
  model models.sonnet
  agent a "writer" { prompt "hi" returns { name: string } }
  run show "echo {{a.name}}"
}"#,
    );
    dir.write("sim.json", r#"{"steps": {"a": {"returns": {"name": "x\u0000y"}}}}"#);
    let ran = dir.wf(&["run", "flow.wf", "--sim", "sim.json"]);
    ran.code(1);
    assert!(ran.stdout().contains("NUL"), "{}", ran.stdout());
}

#[test]
fn outputs_are_parsed_into_their_types_and_bad_ones_name_the_step() {
    let dir = Dir::new(
        r#"workflow w() {
  run tests "printf '{\"coverage\": {\"total\": 84.5}, \"took\": \"1m30s\"}'" {
    output coverage: percent = json(stdout, "/coverage/total")
    output took: duration = json(stdout, "/took")
  }
  run check "echo {{tests.coverage}} {{tests.took}} > seen"
  run broken "echo not json" { output n: int = json(stdout, "/n") }
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(1);
    assert_eq!(dir.read("seen").trim(), "84.5% 1m30s");
    assert!(ran.stdout().contains("the output `n: int` of `broken`"), "{}", ran.stdout());
}

#[test]
fn a_gate_fails_on_requirements_and_lenient_turns_them_into_warnings() {
    let workflow = r#"workflow w() {
  run tests "echo 3 passed" { output passed: int = regex(stdout, "(\\d+) passed") }
  gate enough { require tests.passed >= 5 "at least five tests must pass" }
}"#;
    let dir = Dir::new(workflow);
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(1);
    assert!(ran.stdout().contains("at least five tests must pass"));
    dir.wf(&["run", "flow.wf", "--lenient"]).code(0);
}

#[test]
fn approvals_pause_without_a_terminal_and_resume_with_approve() {
    let dir = Dir::new(
        r#"workflow w() {
  run before "echo before >> log"
  gate ship { approve "Ship it?" }
  run after "echo after >> log"
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(3);
    let run = latest_run(&dir).id;
    assert!(ran.stderr().contains(&format!("wf approve {run} ship")), "{}", ran.stderr());
    assert_eq!(latest_run(&dir).status, RunStatus::Paused);
    dir.wf(&["resume", "--approve", "ship"]).code(0);
    assert_eq!(dir.read("log").lines().collect::<Vec<_>>(), ["before", "after"]);
}

#[test]
fn escalate_pauses_until_a_person_decides_retry() {
    let dir = Dir::new(
        r#"workflow w() {
  run flaky "test -f fixed" { on failure escalate "needs a person" }
  run after "echo after > log"
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(3);
    dir.write("fixed", "");
    // Without a decision the run stays where it is.
    dir.wf(&["resume"]).code(3);
    assert!(!dir.path().join("log").exists());
    let run = latest_run(&dir).id;
    dir.wf(&["approve", &run, "flaky", "--decide", "retry"]).code(0);
    dir.wf(&["resume"]).code(0);
    assert_eq!(dir.read("log").trim(), "after");
}

#[test]
fn resume_never_reruns_finished_steps_after_a_kill_at_any_point() {
    // Five steps, each recording its side effect; wf is SIGKILLed after a different
    // number of them each time, then resumed.
    let mut steps = String::new();
    for i in 0..5 {
        // The effect first, then a moment: once `effects` shows a step's line, that step is
        // still running when the test kills wf (else a loaded machine could finish the run
        // first, and there would be nothing to resume).
        steps.push_str(&format!("  run s{i} \"echo s{i} >> effects; sleep 0.3; echo out-s{i}\"\n"));
    }
    let workflow = format!("workflow w() {{\n{steps}  run last \"cat effects | sort | tr '\\n' ' '\"\n}}\n");
    let reference = Dir::new(&workflow);
    reference.wf(&["run", "flow.wf"]).code(0);
    let expected = final_values(&reference);
    for kill_after in 1..=4 {
        let dir = Dir::new(&workflow);
        let mut child = dir.spawn(&["run", "flow.wf"]);
        dir.wait_for_lines("effects", kill_after);
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let done: Vec<String> = dir
            .journal()
            .steps(&latest_run(&dir).id)
            .expect("steps")
            .values()
            .filter(|step| step.status == "succeeded")
            .map(|step| step.key.clone())
            .collect();
        dir.wf(&["resume"]).code(0);
        let effects = dir.read("effects");
        for key in &done {
            assert_eq!(effects.lines().filter(|line| line == key).count(), 1, "{key} ran again: {effects}");
        }
        for i in 0..5 {
            let count = effects.lines().filter(|line| *line == format!("s{i}")).count();
            assert!((1..=2).contains(&count), "s{i} ran {count} times");
        }
        let mut values = final_values(&dir);
        let mut want = expected.clone();
        // `last` prints the sorted effects; an at-least-once step may show twice there.
        values.remove("last");
        want.remove("last");
        assert_eq!(values, want, "after a kill after {kill_after} steps");
    }
}

fn final_values(dir: &Dir) -> HashMap<String, String> {
    let run = latest_run(dir);
    assert_eq!(run.status, RunStatus::Succeeded);
    dir.journal()
        .steps(&run.id)
        .expect("steps")
        .into_values()
        .map(|step| {
            let stdout = match step.value {
                Some(wf::ir::Value::Record(fields)) => fields.get("stdout").map(|v| v.to_text()).unwrap_or_default(),
                _ => String::new(),
            };
            (step.key, format!("{} {stdout}", step.status))
        })
        .collect()
}

#[test]
fn sigint_interrupts_cleanly_and_the_run_resumes() {
    let dir = Dir::new(
        r#"workflow w() {
  run first "echo first >> log"
  run slow "echo started >> log; sleep 60 & echo $! > sleeper; wait; echo slow >> log"
  run after "echo after >> log"
}"#,
    );
    let mut child = dir.spawn(&["run", "flow.wf", "--kill-grace", "200ms"]);
    dir.wait_for_lines("log", 2);
    while dir.read("sleeper").trim().is_empty() {
        std::thread::yield_now();
    }
    let pid = i32::try_from(child.id()).expect("pid");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGINT).expect("SIGINT");
    let status = child.wait().expect("reaped");
    assert_eq!(status.code(), Some(130));
    let sleeper: i32 = dir.read("sleeper").trim().parse().expect("pid");
    assert!(!alive(sleeper), "the step's process outlived the interrupt");
    assert_eq!(latest_run(&dir).status, RunStatus::Interrupted);
    // Resuming runs the interrupted step again (at least once), and not `first`.
    dir.write("flow.wf", &dir.read("flow.wf").replace("sleep 60 & echo $! > sleeper; wait; ", ""));
    dir.wf(&["resume"]).code(0);
    assert_eq!(dir.read("log").lines().collect::<Vec<_>>(), ["first", "started", "started", "slow", "after"]);
}

#[test]
fn edited_file_reruns_the_changed_step_and_everything_after_it() {
    let dir = Dir::new(
        r#"workflow w() {
  run a "echo a >> log"
  run b "echo b >> log"
  run c "echo c >> log; exit 1"
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(1);
    dir.write("flow.wf", &dir.read("flow.wf").replace("echo b >> log", "echo b2 >> log").replace("; exit 1", ""));
    let explained = dir.wf(&["resume", "--explain"]);
    explained.code(0);
    let text = explained.stdout();
    assert!(text.lines().any(|l| l.contains("reuse") && l.contains(" a ")), "{text}");
    assert!(
        text.lines().any(|l| l.contains("re-run") && l.contains(" b ") && l.contains("definition changed")),
        "{text}"
    );
    assert!(text.lines().any(|l| l.contains("re-run") && l.contains(" c ")), "{text}");
    dir.wf(&["resume"]).code(0);
    assert_eq!(dir.read("log").lines().collect::<Vec<_>>(), ["a", "b", "c", "b2", "c"]);
}

/// Rewrites a command in the program the latest run stored, as only that program says it:
/// what a resume then runs tells whether it followed the stored program or the files.
fn rewrite_stored_command(dir: &Dir, from: &str, to: &str) {
    let key = latest_run(dir).program.expect("the run stored its program");
    let db = rusqlite::Connection::open(dir.path().join(".wf/state.db")).expect("opens");
    let changed = db
        .execute("UPDATE programs SET ir = replace(ir, ?2, ?3) WHERE key = ?1 AND instr(ir, ?2) > 0", [&key, from, to])
        .expect("updates");
    assert_eq!(changed, 1, "the stored program holds `{from}`");
}

#[test]
fn a_reused_steps_value_reaches_the_expressions_after_it() {
    let dir = Dir::new(
        r#"workflow w() {
  run a "echo hello; echo a >> log"
  run b "test -f gate"
  run c "echo got {{a.stdout}} > out"
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(1);
    dir.write("gate", "");
    dir.wf(&["resume"]).code(0);
    // `a` ran once: its value came from the journal, taken out of the replay, not re-run.
    assert_eq!(dir.read("log"), "a\n");
    assert_eq!(dir.read("out").trim(), "got hello");
}

#[test]
fn resume_of_an_unchanged_workflow_follows_the_program_its_run_stored() {
    let dir = Dir::new(
        r#"workflow w() {
  run a "echo a >> log"
  run b "echo b >> log; exit 1"
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(1);
    rewrite_stored_command(&dir, "echo b >> log; exit 1", "echo stored >> log");
    dir.wf(&["resume"]).code(0);
    assert_eq!(dir.read("log").lines().collect::<Vec<_>>(), ["a", "b", "stored"]);
}

#[test]
fn resume_checks_the_files_again_when_a_used_module_changed() {
    let dir = Dir::new(
        r#"use "./lib.wf" as lib
workflow w() {
  run a "echo a >> log"
  call fix lib.fix()
}"#,
    );
    dir.write("lib.wf", "workflow fix() {\n  run b \"echo b >> log; exit 1\"\n}\n");
    dir.wf(&["run", "flow.wf"]).code(1);
    let first = latest_run(&dir).program;
    rewrite_stored_command(&dir, "echo b >> log; exit 1", "echo stored >> log");
    dir.write("lib.wf", "workflow fix() {\n  run b \"echo b2 >> log\"\n}\n");
    dir.wf(&["resume"]).code(0);
    assert_eq!(dir.read("log").lines().collect::<Vec<_>>(), ["a", "b", "b2"]);
    // The run now follows the program the resume checked, stored under the new files' key.
    let run = latest_run(&dir);
    assert_eq!(run.status, RunStatus::Succeeded);
    assert!(run.program.is_some() && run.program != first, "{:?} after {first:?}", run.program);
}

#[test]
fn eight_runs_share_one_state_file() {
    let mut steps = String::new();
    for i in 0..20 {
        steps.push_str(&format!("  run s{i} \"true\"\n"));
    }
    let dir = Dir::new(&format!("workflow w() {{\n{steps}}}\n"));
    let children: Vec<Child> = (0..8)
        .map(|_| dir.command(&["run", "flow.wf"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("wf"))
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("reaped");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{}\n{stderr}", String::from_utf8_lossy(&output.stdout));
    }
    let journal = dir.journal();
    let mut ids = std::collections::HashSet::new();
    let mut run = journal.latest_resumable().expect("reads");
    assert!(run.is_none(), "every run succeeded");
    let _ = run.take();
    // Every run is there, succeeded, with its 20 steps.
    let conn = rusqlite::Connection::open(dir.path().join(".wf/state.db")).expect("opens");
    let mut statement = conn.prepare("SELECT id, status FROM runs").expect("prepares");
    let rows: Vec<(String, String)> =
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("rows").map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    for (id, status) in rows {
        assert_eq!(status, "succeeded");
        assert_eq!(journal.steps(&id).expect("steps").len(), 20);
        ids.insert(id);
    }
    assert_eq!(ids.len(), 8);
}

#[test]
fn repeat_feeds_back_until_the_condition_holds_with_a_scenario() {
    let dir = Dir::new(
        r#"use std/models
workflow w() {
  model models.sonnet
  repeat fixing max 3 until tests.ok {
    agent fix "implementer" { prompt "fix it" returns { patched: bool } }
    run tests "test {{fix.patched}} = true" { on failure continue }
  }
  run done "echo {{fixing.iterations}} > rounds"
}"#,
    );
    dir.write("sim.json", r#"{"steps": {"fix": [{"returns": {"patched": false}}, {"returns": {"patched": true}}]}}"#);
    dir.wf(&["run", "flow.wf", "--sim", "sim.json"]).code(0);
    assert_eq!(dir.read("rounds").trim(), "2");
}

#[test]
fn repeat_that_never_meets_its_condition_fails() {
    let dir = Dir::new(
        r#"workflow w() {
  repeat fixing max 2 until tests.ok {
    run tests "echo round >> log; exit 1" { on failure continue }
  }
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(1);
    assert_eq!(dir.read("log").lines().count(), 2);
    assert!(ran.stdout().contains("never held"), "{}", ran.stdout());
}

#[test]
fn for_parallel_runs_each_element_with_its_own_values() {
    let dir = Dir::new(
        r#"workflow w(repos: list<string> = ["api", "web", "cli"]) {
  for each repo in repos parallel max 2 {
    run build "echo {{repo}} >> built"
  }
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(0);
    let mut built: Vec<String> = dir.read("built").lines().map(str::to_owned).collect();
    built.sort();
    assert_eq!(built, ["api", "cli", "web"]);
}

#[test]
fn abort_in_parallel_cancels_the_siblings() {
    let dir = Dir::new(
        r#"workflow w() {
  parallel {
    run fails "exit 1"
    run slow "sleep 60 & echo $! > sleeper; wait"
  }
}"#,
    );
    let started = Instant::now();
    dir.wf(&["run", "flow.wf", "--kill-grace", "200ms"]).code(1);
    assert!(started.elapsed() < Duration::from_secs(20));
    if let Ok(pid) = dir.read("sleeper").trim().parse::<i32>() {
        assert!(!alive(pid));
    }
    let steps = dir.journal().steps(&latest_run(&dir).id).expect("steps");
    assert_eq!(steps["slow"].status, "cancelled");
}

#[test]
fn dry_run_prints_the_plan_and_runs_nothing() {
    let dir = Dir::new(
        r#"workflow w() {
  phase build {
    parallel max 2 {
      run a "echo a > ran" { retry 2 }
      run b "echo b > ran"
    }
  }
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf", "--dry-run"]);
    ran.code(0);
    let plan = ran.stdout();
    assert!(plan.contains("phase build") && plan.contains("parallel max 2") && plan.contains("retry 2"), "{plan}");
    assert!(!dir.path().join("ran").exists());
    assert!(!dir.path().join(".wf").exists());
}

#[test]
fn missing_and_bad_arguments_are_usage_errors() {
    let dir = Dir::new("workflow w(ticket: string, rounds: int = 3) {\n  run a \"echo {{ticket}} {{rounds}}\"\n}\n");
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(2);
    assert!(ran.stderr().contains("--arg ticket="), "{}", ran.stderr());
    let ran = dir.wf(&["run", "flow.wf", "--arg", "ticket=x", "--arg", "rounds=many"]);
    ran.code(2);
    assert!(ran.stderr().contains("whole number"), "{}", ran.stderr());
}

#[test]
fn the_examples_run_to_completion_with_the_sim_provider() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (example, args) in [
        ("bug-fix.wf", vec!["--arg", "ticket=PL-479", "--mode", "autopilot"]),
        ("custom.wf", vec!["--arg", "task=add-rate-limit", "--mode", "autopilot"]),
        (
            "canary.wf",
            vec![
                "--arg",
                "service=checkout",
                "--arg",
                r#"stages=[{"pct": "1%", "bake": "20ms"}, {"pct": 10, "bake": 20}]"#,
                "--mode",
                "autopilot",
            ],
        ),
    ] {
        let dir = Dir::new("");
        let file = root.join("examples").join(example);
        let mut all = vec!["run", file.to_str().expect("utf-8 path"), "--kill-grace", "1s"];
        all.extend(args);
        dir.wf(&all).code(0);
    }
}
