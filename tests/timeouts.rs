#![allow(clippy::disallowed_methods)] // Tests run the binary, real commands and busy loops.

//! A step's timeout fires within its duration plus the kill grace whatever the load: the
//! lateness is measured with busy loops on every core, against a generous bound. And the
//! report counts attempts, whatever ended the step.

#[path = "common/workdir.rs"]
mod workdir;

use std::process::{Child, Command, Stdio};

use workdir::{latest_run, Dir};

/// Busy loops, one more than the machine has cores, ended when dropped.
struct Load(Vec<Child>);

impl Load {
    fn start() -> Load {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let loops = (0..=cores)
            .map(|_| {
                Command::new("sh")
                    .args(["-c", "while :; do :; done"])
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("a busy loop")
            })
            .collect();
        Load(loops)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// How long the step `slow` took, by its journaled start and end.
fn step_ms(dir: &Dir) -> i64 {
    let steps = dir.journal().steps(&latest_run(dir).id).expect("steps");
    let slow = &steps["slow"];
    assert_eq!(slow.status, "timed_out");
    slow.ended_at.expect("ended") - slow.started_at
}

#[test]
fn a_timeout_fires_on_time_under_load() {
    // `sleep` runs as the shell's child: a grandchild of wf, which SIGTERM ends at once.
    let dir = Dir::new(r#"workflow w() { run slow "sleep 30; true" { timeout 300ms } }"#);
    let _load = Load::start();
    let mut late = Vec::new();
    for _ in 0..3 {
        dir.wf(&["run", "flow.wf", "--quiet"]).code(1);
        late.push(step_ms(&dir) - 300);
    }
    // The kill grace is 5s; a command that ends on SIGTERM must not wait for any of it. The
    // margin is for scheduling under load: before the fix the step ended 1.5-2s late, waiting
    // for the system to reap the killed grandchild.
    assert!(late.iter().all(|&ms| (0..1_000).contains(&ms)), "lateness in ms: {late:?}");
}

#[test]
fn a_command_that_ignores_sigterm_is_killed_after_the_grace() {
    let dir = Dir::new(r#"workflow w() { run slow "trap '' TERM; sleep 30; true" { timeout 300ms } }"#);
    let _load = Load::start();
    dir.wf(&["run", "flow.wf", "--quiet", "--kill-grace", "500ms"]).code(1);
    let late = step_ms(&dir) - 300;
    assert!((500..1_500).contains(&late), "SIGKILL after the 500ms grace, {late}ms late");
}

#[test]
fn retries_count_every_attempt_started_even_one_cut_short() {
    // Attempt 1 fails, attempt 2 is interrupted while it runs, the resume's attempt succeeds:
    // three attempts of one step, two of them beyond the first.
    let dir = Dir::new(
        r#"workflow w() {
  run flaky "n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; if [ $n = 1 ]; then exit 1; elif [ $n = 2 ]; then touch second; sleep 30; fi" {
    retry 2 backoff 1ms..1ms
  }
}"#,
    );
    let child = dir.spawn(&["run", "flow.wf"]);
    workdir::wait_until("the second attempt runs", || dir.path().join("second").exists());
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT");
    let status = child.wait_with_output().expect("reaped").status;
    assert_eq!(status.code(), Some(130), "interrupted");
    let resumed = dir.wf(&["resume", "--format", "json"]);
    resumed.code(0);
    let report: serde_json::Value = serde_json::from_str(&resumed.stdout()).expect("json");
    assert_eq!(report["retries"], 2, "three attempts, two beyond the first");
    let stats = dir.wf(&["stats", "--format", "json"]);
    stats.code(0);
    let stats: serde_json::Value = serde_json::from_str(&stats.stdout()).expect("json");
    assert_eq!(stats["overall"]["retries_per_run"], 2.0, "{stats}");
}
