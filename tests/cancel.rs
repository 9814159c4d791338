#![allow(clippy::disallowed_methods)] // Tests run the binary and send it signals.

//! Every iteration of every loop is a cancellation point: a loop whose body never waits
//! (only gates, or nothing) still stops on SIGINT and SIGTERM, as a real signal sent to the
//! real binary.

#[path = "common/workdir.rs"]
mod workdir;

use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use wf::journal::RunStatus;
use workdir::{latest_run, wait_until, Dir};

/// Starts `flow.wf`, waits until its loop has gone round `rounds` times, sends `signal`, and
/// returns the exit code (failing, after killing it, if it has not stopped within 20 s).
fn interrupt_after(dir: &Dir, rounds: usize, signal: Signal) -> Option<i32> {
    let mut child = dir.spawn(&["run", "flow.wf"]);
    wait_until("the loop goes round", || {
        let Some(run) = dir.journal().latest_run().ok().flatten() else { return false };
        dir.journal().events_of(&run.id, "iteration").map(|events| events.len()).unwrap_or(0) >= rounds
    });
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    kill(pid, signal).expect("signal sent");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("wf ignored {signal} for 20 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

const GATES_ONLY: &str = r#"workflow w(ok: bool = true) {
  repeat spin max 1_000_000 {
    gate checked { require ok "holds" }
  }
}"#;

#[test]
fn a_loop_of_gates_stops_on_sigint() {
    let dir = Dir::new(GATES_ONLY);
    assert_eq!(interrupt_after(&dir, 20, Signal::SIGINT), Some(130));
    assert_eq!(latest_run(&dir).status, RunStatus::Interrupted);
}

#[test]
fn a_loop_of_gates_stops_on_sigterm() {
    let dir = Dir::new(GATES_ONLY);
    assert_eq!(interrupt_after(&dir, 20, Signal::SIGTERM), Some(130));
    assert_eq!(latest_run(&dir).status, RunStatus::Interrupted);
}

#[test]
fn a_for_loop_of_gates_stops_on_sigint() {
    // A `for` over a long list whose body only checks: the iterations are the `repeat`'s.
    let dir = Dir::new(
        r#"workflow w(ok: bool = true) {
  repeat rounds max 1_000 {
    for item in ["a", "b", "c", "d", "e", "f", "g", "h"] {
      gate checked { require ok "holds {{item}}" }
    }
  }
}"#,
    );
    assert_eq!(interrupt_after(&dir, 5, Signal::SIGINT), Some(130));
    assert_eq!(latest_run(&dir).status, RunStatus::Interrupted);
}
