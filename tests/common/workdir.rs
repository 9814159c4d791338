#![allow(clippy::disallowed_methods)] // Tests run the binary, real commands and read the journal.
#![allow(dead_code)] // Each test binary uses part of it.

//! A folder holding a workflow and its journal, with the real `wf` binary run in it: what
//! the run, gates and history tests share.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use wf::journal::Journal;

/// A folder holding a workflow and its journal (`.wf/`), with `wf` run there.
pub struct Dir {
    dir: tempfile::TempDir,
}

pub struct Ran {
    pub output: Output,
}

impl Dir {
    pub fn new(workflow: &str) -> Dir {
        let dir = Dir { dir: tempfile::tempdir().expect("temp dir") };
        dir.write("flow.wf", workflow);
        dir
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).expect("write");
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap_or_default()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wf"));
        command.current_dir(self.path()).args(args).env("NO_COLOR", "1").env_remove("WF_STATE_DIR");
        command
    }

    pub fn wf(&self, args: &[&str]) -> Ran {
        Ran { output: self.command(args).output().expect("wf runs") }
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("wf starts")
    }

    pub fn journal(&self) -> Journal {
        Journal::open(&self.path().join(".wf")).expect("journal opens")
    }

    /// Waits until `name` exists and holds at least `lines` lines.
    pub fn wait_for_lines(&self, name: &str, lines: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.read(name).lines().count() < lines {
            assert!(Instant::now() < deadline, "{name} never reached {lines} lines");
            std::thread::yield_now();
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn events(&self) -> Vec<serde_json::Value> {
        self.read("events.ndjson").lines().map(|line| serde_json::from_str(line).expect("json line")).collect()
    }
}

impl Ran {
    pub fn code(&self, expected: i32) -> &Ran {
        assert_eq!(self.output.status.code(), Some(expected), "stdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr());
        self
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

pub fn alive(pid: i32) -> bool {
    // A zombie is not alive for our purposes: it holds no resources but its pid.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    !status.is_empty() && !status.lines().any(|line| line.starts_with("State:") && line.contains('Z'))
}

pub fn latest_run(dir: &Dir) -> wf::journal::RunRecord {
    dir.journal().latest_run().ok().flatten().expect("a run in the journal")
}

impl Dir {
    /// The run's questions and answers, in the order asked.
    pub fn decisions(&self) -> Vec<wf::journal::DecisionRow> {
        let run = latest_run(self).id;
        self.journal().decisions(&run).expect("decisions")
    }

    /// Every event of the latest run, as journaled: (kind, data).
    pub fn journaled(&self) -> Vec<(String, serde_json::Value)> {
        let run = latest_run(self).id;
        let events = self.journal().events(&run).expect("events");
        events.into_iter().map(|event| (event.kind, serde_json::from_str(&event.data).expect("json"))).collect()
    }
}

/// Waits until `done` holds (30 s at most, then fails naming `what`).
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The latest run of the journal in `state` (relative to the work folder).
pub fn latest_run_in(dir: &Dir, state: &Path) -> wf::journal::RunRecord {
    let journal = Journal::open(&dir.path().join(state)).expect("journal opens");
    journal.latest_run().ok().flatten().expect("a run in the journal")
}
