#![allow(clippy::disallowed_methods)] // Tests run the binary, real commands and read the journal.

//! `watch` steps with real processes: a poll command that counts its calls in a file, so its
//! outputs change from poll to poll. Failing once `fail when` has held for its window, passing
//! early, succeeding when `for` ends, a failed poll counting as `fail when`, the journaled
//! polls, a SIGKILL then `wf resume` going on with the window, and cancellation.

#[path = "common/workdir.rs"]
mod workdir;

use std::time::{Duration, Instant};

use wf::ir::Value;
use wf::journal::RunStatus;
use workdir::{latest_run, Dir};

/// A poll command: the `n`th call prints `{"error_rate": RATE}` with RATE from `rate` (a
/// shell arithmetic expression of `n`), and logs `n` in `polls`.
fn poll(rate: &str) -> String {
    format!(
        "n=$(($(cat n 2>/dev/null || echo 0) + 1)); echo $n > n; echo $n >> polls; echo '{{\\\"error_rate\\\": '$(({rate}))'}}'"
    )
}

fn flow(rate: &str, every: &str, lasts: &str, judgements: &str) -> String {
    format!(
        "workflow w() {{\n  watch health \"{}\" every {every} for {lasts} {{\n    output err: percent = json(stdout, \"/error_rate\")\n{judgements}  }}\n  run after \"echo {{{{health.err}}}} {{{{health.polls}}}}\"\n}}\n",
        poll(rate)
    )
}

/// The latest run's `health` step: its status, error and value's fields.
fn health(dir: &Dir) -> (String, Option<String>, indexmap::IndexMap<String, Value>) {
    let run = latest_run(dir);
    let steps = dir.journal().steps(&run.id).expect("steps");
    let step = steps.get("health").expect("health ran");
    let fields = match &step.value {
        Some(Value::Record(fields)) => fields.clone(),
        other => panic!("no record: {other:?}"),
    };
    (step.status.clone(), step.error.clone(), fields)
}

fn polls(dir: &Dir) -> Vec<wf::journal::PollRecord> {
    dir.journal().polls(&latest_run(dir).id, "health").expect("polls")
}

#[test]
fn fails_once_fail_when_has_held_for_its_window() {
    // 0%, 1%, 2%, …: above 3% from the fifth poll on; three polls 50ms apart make 150ms.
    let dir = Dir::new(&flow("n - 1", "50ms", "20s", "    fail when err > 3% for 150ms\n"));
    let started = Instant::now();
    let ran = dir.wf(&["run", "flow.wf"]);
    ran.code(1);
    assert!(started.elapsed() < Duration::from_secs(15), "it waited for `for` to end");
    let (status, error, fields) = health(&dir);
    assert_eq!(status, "failed");
    let error = error.expect("a reason");
    assert!(error.contains("`fail when err > 3%` held for"), "{error}");
    // A late poll makes the window fill sooner, never later: at most the 7th poll.
    let count = match fields["polls"] {
        Value::Int(count) => count,
        ref other => panic!("polls: {other:?}"),
    };
    assert!((5..=7).contains(&count), "failed after {count} polls");
    assert_eq!(fields["err"], Value::Percent((count - 1) as f64), "its value is the last poll's");
    let journaled = polls(&dir);
    assert_eq!(journaled.len() as i64, count, "every poll is journaled");
    assert!(journaled.iter().take(4).all(|poll| poll.fail_held_ms.is_none()), "0%..3% do not hold");
    assert!(journaled.last().and_then(|poll| poll.fail_held_ms).is_some_and(|held| held >= 150));
    assert!(latest_run(&dir).status == RunStatus::Failed);
    // Plain output: a line per poll, with the value and how long `fail when` has held.
    let stdout = ran.stdout();
    assert!(stdout.contains("health poll 1 at 0s: err = 0%"), "{stdout}");
    assert!(stdout.contains("fail when held"), "{stdout}");
}

#[test]
fn passes_early_once_pass_when_has_held_for_its_window() {
    let dir =
        Dir::new(&flow("0", "50ms", "30s", "    fail when err > 1% for 100ms\n    pass when err < 0.5% for 100ms\n"));
    let started = Instant::now();
    dir.wf(&["run", "flow.wf"]).code(0);
    assert!(started.elapsed() < Duration::from_secs(20), "it did not pass early");
    let (status, _, fields) = health(&dir);
    assert_eq!(status, "succeeded");
    // The first poll speaks for 50ms, the second makes 100ms.
    assert_eq!(fields["polls"], Value::Int(2));
    assert_eq!(dir.read("polls").lines().count(), 2);
    let after = dir.journal().steps(&latest_run(&dir).id).expect("steps")["after"].value.clone();
    let Some(Value::Record(after)) = after else { panic!("after ran") };
    assert_eq!(after["stdout"], Value::String("0% 2\n".into()), "later steps read its values");
}

#[test]
fn succeeds_when_for_ends_without_fail_when_holding_long_enough() {
    // Bad on odd polls, good on even ones: `fail when` never holds for two polls in a row.
    let dir = Dir::new(&flow("n % 2 * 5", "50ms", "400ms", "    fail when err > 1% for 100ms\n"));
    dir.wf(&["run", "flow.wf"]).code(0);
    let (status, _, fields) = health(&dir);
    assert_eq!(status, "succeeded");
    let Value::Int(count) = fields["polls"] else { panic!("polls") };
    assert!((2..=8).contains(&count), "{count} polls in 400ms, 50ms apart");
    let journaled = polls(&dir);
    assert!(journaled.iter().all(|poll| poll.fail_held_ms.is_none_or(|held| held < 100)));
    assert!(journaled.last().is_some_and(|poll| poll.elapsed_ms < 400), "no poll after `for` ends");
}

#[test]
fn a_failing_poll_counts_as_fail_when_holding_and_keeps_the_last_values() {
    // The first poll reads 0%; then the command fails (exit 1), then prints what is not JSON.
    let command = "n=$(($(cat n 2>/dev/null || echo 0) + 1)); echo $n > n; \
                   if [ $n -eq 1 ]; then echo '{\\\"error_rate\\\": 0}'; elif [ $n -eq 2 ]; then exit 1; else echo nope; fi";
    let dir = Dir::new(&format!(
        "workflow w() {{\n  watch health \"{command}\" every 50ms for 20s {{\n    output err: percent = json(stdout, \"/error_rate\")\n    fail when err > 50% for 100ms\n  }}\n}}\n"
    ));
    dir.wf(&["run", "flow.wf"]).code(1);
    let (status, error, fields) = health(&dir);
    assert_eq!(status, "failed");
    let error = error.expect("a reason");
    assert!(error.contains("the last poll failed") && error.contains("not JSON"), "{error}");
    assert_eq!(fields["err"], Value::Percent(0.0), "the last values read stay");
    let journaled = polls(&dir);
    assert_eq!(journaled.len(), 3);
    assert!(journaled[0].ok && !journaled[1].ok && !journaled[2].ok);
    assert!(journaled[1].error.as_deref().is_some_and(|error| error.contains("exited with 1")));
    assert_eq!(journaled[2].fail_held_ms.map(|held| held >= 100), Some(true));
}

#[test]
fn a_resume_continues_the_window_where_it_was() {
    // Always 5%: `fail when` holds from the first poll and fails after 1s of polls 100ms apart,
    // that is 10 polls, however many of them ran before the kill.
    let dir = Dir::new(&flow("5", "100ms", "60s", "    fail when err > 1% for 1s\n"));
    let mut child = dir.spawn(&["run", "flow.wf"]);
    dir.wait_for_lines("polls", 4);
    // The fourth poll ran; wait until it is journaled, then kill wf mid-watch.
    workdir::wait_until("four polls are journaled", || {
        dir.journal().polls(&latest_run(&dir).id, "health").map(|polls| polls.len() >= 4).unwrap_or(false)
    });
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let before = polls(&dir);
    assert!(before.len() >= 4 && before.len() < 10, "killed after {} polls", before.len());
    let last = before.last().cloned().expect("a poll");
    dir.wf(&["resume"]).code(1);
    let after = polls(&dir);
    assert_eq!(after[..before.len()], before[..], "the journaled polls stay");
    let next = &after[before.len()];
    assert_eq!(next.poll, last.poll + 1, "numbering goes on");
    assert!(next.elapsed_ms >= last.elapsed_ms + 100, "the clock goes on from the last poll");
    assert_eq!(
        next.fail_held_ms.map(|held| held >= last.fail_held_ms.unwrap_or(0) + 100),
        Some(true),
        "the window goes on: {next:?} after {last:?}"
    );
    // 10 polls in all, but a late one fills the window sooner, and the poll under way at the
    // kill may have run without being journaled.
    let ran = dir.read("polls").lines().count();
    assert!(ran <= 11, "{ran} polls: the window started over");
    let (status, error, _) = health(&dir);
    assert_eq!(status, "failed", "{error:?}");
}

#[test]
fn a_failing_sibling_cancels_a_watch() {
    let dir = Dir::new(&format!(
        "workflow w() {{\n  parallel {{\n    watch health \"{}\" every 50ms for 60s {{\n      output err: percent = json(stdout, \"/error_rate\")\n      fail when err > 1%\n    }}\n    run boom \"sleep 0.3; exit 1\"\n  }}\n}}\n",
        poll("0")
    ));
    let started = Instant::now();
    dir.wf(&["run", "flow.wf", "--kill-grace", "200ms"]).code(1);
    assert!(started.elapsed() < Duration::from_secs(30), "the watch ran on");
    let (status, _, _) = health(&dir);
    assert_eq!(status, "cancelled");
}
