//! The journal: every run, step transition, decision and ledger amount in one SQLite file
//! (`.wf/state.db`). Each transition is one transaction, committed before the runner moves
//! on, so a run killed at any instant loses nothing it had recorded. WAL mode lets several
//! runs share the file: readers never block, writers queue behind a busy timeout.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::ir::Value;

mod owner;

pub use owner::Owner;
pub use period::period_start;

mod history;
pub mod import;
mod period;
pub mod program;

pub use history::{
    ApprovalWait, GateCheckRow, ModelTokens, RunFilter, RunNumbers, RunSummary, ShownStep, Snapshot, StepLine,
    StepSample,
};

/// The schema's version; a state file written by another version is refused, not guessed at.
const SCHEMA_VERSION: i64 = 6;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id         TEXT PRIMARY KEY,
  workflow   TEXT NOT NULL,
  file       TEXT NOT NULL,
  file_hash  TEXT NOT NULL,
  args       TEXT NOT NULL,
  plan       TEXT NOT NULL,
  options    TEXT NOT NULL,
  status     TEXT NOT NULL,
  error      TEXT,
  pid        INTEGER,
  started_at INTEGER NOT NULL,
  pid_start  INTEGER,
  ended_at   INTEGER,
  program    TEXT
);
CREATE TABLE IF NOT EXISTS steps (
  run_id     TEXT NOT NULL REFERENCES runs(id),
  key        TEXT NOT NULL,
  step_id    TEXT NOT NULL,
  kind       TEXT NOT NULL,
  hash       TEXT NOT NULL,
  status     TEXT NOT NULL,
  accepted   INTEGER NOT NULL DEFAULT 0,
  attempts   INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER,
  value      TEXT,
  error      TEXT,
  seq        INTEGER NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS events (
  seq    INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  at     INTEGER NOT NULL,
  kind   TEXT NOT NULL,
  key    TEXT,
  data   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, seq);
CREATE TABLE IF NOT EXISTS ledger (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id  TEXT NOT NULL,
  key     TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  model   TEXT,
  input   INTEGER NOT NULL DEFAULT 0,
  output  INTEGER NOT NULL DEFAULT 0,
  cached  INTEGER NOT NULL DEFAULT 0,
  micros  INTEGER NOT NULL,
  at      INTEGER NOT NULL,
  reported_micros INTEGER,
  priced  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS ledger_by_run ON ledger (run_id);
CREATE TABLE IF NOT EXISTS exchanges (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id   TEXT NOT NULL,
  key      TEXT NOT NULL,
  attempt  INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model    TEXT NOT NULL,
  prompt   TEXT NOT NULL,
  answer   TEXT,
  error    TEXT,
  at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS exchanges_by_run ON exchanges (run_id, key);
CREATE TABLE IF NOT EXISTS decisions (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      TEXT NOT NULL,
  key         TEXT NOT NULL,
  kind        TEXT NOT NULL,
  question    TEXT NOT NULL,
  asked_at    INTEGER NOT NULL,
  deadline    INTEGER,
  on_timeout  TEXT,
  answer      TEXT,
  by          TEXT,
  comment     TEXT,
  how         TEXT,
  answered_at INTEGER,
  consumed    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS decisions_by_run ON decisions (run_id, key);
CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs (workflow, started_at);
CREATE TABLE IF NOT EXISTS polls (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id       TEXT NOT NULL,
  key          TEXT NOT NULL,
  poll         INTEGER NOT NULL,
  elapsed_ms   INTEGER NOT NULL,
  ok           INTEGER NOT NULL,
  value        TEXT,
  error        TEXT,
  fail_held_ms INTEGER,
  pass_held_ms INTEGER,
  at           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS polls_by_step ON polls (run_id, key, seq);
CREATE TABLE IF NOT EXISTS programs (
  key     TEXT PRIMARY KEY,
  origins TEXT NOT NULL,
  ir      TEXT NOT NULL
);
";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot use the state file {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("cannot create the state folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error(
        "the state file {path} was written by another version of wf (schema {found}, this wf reads {SCHEMA_VERSION})"
    )]
    Version { path: PathBuf, found: String },
    #[error("the journal could not record a transition: {0}")]
    Write(#[from] rusqlite::Error),
    #[error("the journal holds a value this wf cannot read: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("no run `{0}` in the journal")]
    NoRun(String),
    /// Another live process runs it: a second one would run its steps again.
    #[error("run {run} is being run by process {pid}; wait for it to end, or stop that process first")]
    Owned { run: String, pid: u32 },
    #[error("run {0} already succeeded; there is nothing to resume")]
    Succeeded(String),
}

/// A journal that fails while a report is being written out fails the writing.
impl From<JournalError> for std::io::Error {
    fn from(error: JournalError) -> std::io::Error {
        std::io::Error::other(error)
    }
}

pub type Result<T> = std::result::Result<T, JournalError>;

impl JournalError {
    /// Another process holds the lock SQLite needs right now.
    fn is_busy(&self) -> bool {
        let source = match self {
            JournalError::Open { source, .. } | JournalError::Write(source) => source,
            _ => return false,
        };
        matches!(
            source.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

/// How a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Paused,
    Interrupted,
    /// Recorded `running`, but its owner is gone: killed, or the machine went down. Never
    /// written; read from a `running` row by [`status_now`]. Resumable.
    Crashed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Paused => "paused",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Crashed => "crashed",
        }
    }

    fn parse(text: &str) -> RunStatus {
        match text {
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "paused" => RunStatus::Paused,
            "interrupted" => RunStatus::Interrupted,
            _ => RunStatus::Running,
        }
    }
}

/// A run as the journal holds it.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub id: String,
    pub workflow: String,
    pub file: String,
    pub file_hash: String,
    /// The arguments, as the journal's JSON of `IndexMap<String, Value>`.
    pub args: String,
    /// Step id → definition hash, at the time the run (or its last resume) started.
    pub plan: HashMap<String, String>,
    pub options: String,
    pub status: RunStatus,
    pub error: Option<String>,
    pub pid: Option<u32>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// The owner's start time (see [`Owner`]).
    pub pid_start: Option<u64>,
    /// The key of the checked program it follows in the `programs` table, when stored.
    pub program: Option<String>,
}

/// How a run was asked to run, as `runs.options` records it (JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunOptions {
    /// `--mode`, when it overrode the file's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default)]
    pub strict: bool,
    #[serde(default)]
    pub lenient: bool,
    /// The run's budget as it stands: the file's, with `--budget` raises applied.
    #[serde(default)]
    pub budget: crate::cost::Budget,
    /// The amounts `--budget` gave the run's own budget.
    #[serde(default)]
    pub raised: crate::cost::Budget,
    /// The workflow's budgets across runs as declared (`per day`, `per month`), by period:
    /// `wf stats` shows the spending of each period against them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub periods: std::collections::BTreeMap<String, crate::cost::Budget>,
    /// Raised budgets of phases and named blocks (and `day`, `month`), by step key.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub scopes: std::collections::BTreeMap<String, crate::cost::Budget>,
    /// `--provider NAME=OTHER`: the providers swapped for others.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub providers: std::collections::BTreeMap<String, String>,
}

impl RunRecord {
    /// The process that last started or resumed the run.
    pub fn owner(&self) -> Option<Owner> {
        self.pid.map(|pid| Owner { pid, started: self.pid_start })
    }

    /// The status as it stands: `running` is [`RunStatus::Crashed`] when its owner is gone.
    pub fn status_now(&self) -> RunStatus {
        status_now(self.status, self.owner())
    }

    /// The recorded options; a run recorded without them reads as the defaults.
    pub fn options(&self) -> RunOptions {
        serde_json::from_str(&self.options).unwrap_or_default()
    }
}

/// A step instance (`phase/name`, `name[2]`, `call/inner`) as last recorded.
#[derive(Debug, Clone)]
pub struct StepRecord {
    pub key: String,
    pub step_id: String,
    pub kind: String,
    pub hash: String,
    pub status: String,
    /// The run went on past it: it succeeded, was skipped, or failed under `continue`.
    pub accepted: bool,
    pub attempts: u32,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub value: Option<Value>,
    pub error: Option<String>,
    /// Order of the step's last transition.
    pub seq: i64,
}

/// The columns [`step_record`] reads, first in every query of step rows.
const STEP_COLUMNS: &str = "key, step_id, kind, hash, status, accepted, attempts, started_at, ended_at, error, seq";

/// The one reading of a step row whose first columns are [`STEP_COLUMNS`]; its value is left
/// out, for each query reads as much of it as it needs.
fn step_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<StepRecord> {
    Ok(StepRecord {
        key: row.get(0)?,
        step_id: row.get(1)?,
        kind: row.get(2)?,
        hash: row.get(3)?,
        status: row.get(4)?,
        accepted: row.get(5)?,
        attempts: row.get(6)?,
        started_at: row.get(7)?,
        ended_at: row.get(8)?,
        value: None,
        error: row.get(9)?,
        seq: row.get(10)?,
    })
}

/// What the runner records about a step in one transition.
#[derive(Debug, Clone)]
pub struct StepWrite<'a> {
    pub key: &'a str,
    pub step_id: &'a str,
    pub kind: &'a str,
    pub hash: &'a str,
    pub status: &'a str,
    pub accepted: bool,
    pub attempts: u32,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub value: Option<&'a Value>,
    pub error: Option<&'a str>,
}

/// One priced amount.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LedgerEntry {
    pub key: String,
    pub attempt: u32,
    pub model: Option<String>,
    pub input: u64,
    pub output: u64,
    pub cached: u64,
    pub micros: i64,
    /// What the provider itself said the call cost (Claude Code's `total_cost_usd`).
    pub reported_micros: Option<i64>,
    /// False for a model without a price: its tokens are counted at $0.
    pub unpriced: bool,
    /// The agent call behind the amount: what was asked and answered (already masked).
    pub exchange: Option<Exchange>,
}

/// One agent attempt's prompt and answer, as the journal keeps them (`wf show RUN STEP`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exchange {
    /// The provider that answered (after `--provider` swaps).
    pub provider: String,
    pub model: String,
    pub prompt: String,
    pub answer: Option<String>,
    pub error: Option<String>,
}

/// One transition: an event, and the step row, ledger amounts and decision that go with it.
#[derive(Clone, Copy)]
pub struct Transition<'a> {
    pub run: &'a str,
    pub at: i64,
    pub kind: &'a str,
    pub key: Option<&'a str>,
    pub data: &'a serde_json::Value,
    pub step: Option<&'a StepWrite<'a>>,
    pub ledger: &'a [LedgerEntry],
    pub decision: Option<&'a DecisionWrite<'a>>,
    /// A `watch` step's poll, in the same transaction as its event.
    pub poll: Option<&'a PollRecord>,
}

/// One poll of a `watch` step (the `polls` table): what a resume continues its windows from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollRecord {
    pub key: String,
    /// 1 for the first poll of a watch that starts over; a resume goes on counting.
    pub poll: u64,
    /// The watch's own clock at this poll: the time it has watched, not counting a stop.
    pub elapsed_ms: u64,
    /// The command succeeded and every output was read.
    pub ok: bool,
    /// The outputs it read (a record), when it read them.
    pub value: Option<Value>,
    pub error: Option<String>,
    /// How long `fail when` had held at this poll (`None`: it did not hold).
    pub fail_held_ms: Option<u64>,
    pub pass_held_ms: Option<u64>,
}

/// What a person (or the mode, or a timeout) was asked, and what they answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AskKind {
    /// An `approve` gate, a `risk high` step in `hybrid` mode, any step in `supervised` mode.
    Approval,
    /// A failure under `on failure escalate`: retry, skip or abort.
    Escalation,
    /// A budget spent: the run waits for `wf resume --budget`.
    Budget,
}

impl AskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AskKind::Approval => "approval",
            AskKind::Escalation => "escalation",
            AskKind::Budget => "budget",
        }
    }

    fn parse(text: &str) -> AskKind {
        match text {
            "escalation" => AskKind::Escalation,
            "budget" => AskKind::Budget,
            _ => AskKind::Approval,
        }
    }
}

/// The answers: `approve`/`reject` to approvals, `retry`/`skip`/`abort` to escalations,
/// `raise` to a spent budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Approve,
    Reject,
    Retry,
    Skip,
    Abort,
    Raise,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Approve => "approve",
            Answer::Reject => "reject",
            Answer::Retry => "retry",
            Answer::Skip => "skip",
            Answer::Abort => "abort",
            Answer::Raise => "raise",
        }
    }

    /// The answer as a report says it: `approved`, `retry chosen`.
    pub fn past_tense(self) -> &'static str {
        match self {
            Answer::Approve => "approved",
            Answer::Reject => "rejected",
            Answer::Retry => "retry chosen",
            Answer::Skip => "skip chosen",
            Answer::Abort => "abort chosen",
            Answer::Raise => "budget raised",
        }
    }

    pub fn parse(text: &str) -> Option<Answer> {
        Some(match text {
            "approve" => Answer::Approve,
            "reject" => Answer::Reject,
            "retry" => Answer::Retry,
            "skip" => Answer::Skip,
            "abort" => Answer::Abort,
            "raise" => Answer::Raise,
            _ => return None,
        })
    }
}

/// How an answer was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// At the terminal the run was started from.
    Terminal,
    /// With `wf approve`.
    Command,
    /// With `--approve` before the question came up.
    Ahead,
    /// By the mode (`autopilot`): automatic.
    Mode,
    /// The approval's `timeout` passed: its `on timeout` choice (reject by default).
    Timeout,
    /// `wf resume --budget` raised the budget.
    Resume,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Terminal => "terminal",
            How::Command => "command",
            How::Ahead => "ahead",
            How::Mode => "mode",
            How::Timeout => "timeout",
            How::Resume => "resume",
        }
    }

    fn parse(text: &str) -> Option<How> {
        Some(match text {
            "terminal" => How::Terminal,
            "command" => How::Command,
            "ahead" => How::Ahead,
            "mode" => How::Mode,
            "timeout" => How::Timeout,
            "resume" => How::Resume,
            _ => return None,
        })
    }

    /// How it was given, as a report says it after `by NAME`.
    pub fn describe(self) -> &'static str {
        match self {
            How::Terminal => "at the terminal",
            How::Command => "with wf approve",
            How::Ahead => "with --approve",
            // Given `by autopilot`: the mode is the one who answered.
            How::Mode => "(the run's mode)",
            How::Timeout => "when the approval timed out",
            How::Resume => "with wf resume --budget",
        }
    }

    /// No person gave it.
    pub fn automatic(self) -> bool {
        matches!(self, How::Mode | How::Timeout)
    }
}

/// An answer as it is recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Given {
    pub answer: Answer,
    pub by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub how: How,
    pub at: i64,
}

/// A question and, once given, its answer (the `decisions` table).
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRow {
    pub seq: i64,
    pub key: String,
    pub kind: AskKind,
    pub question: String,
    pub asked_at: i64,
    /// When an approval's `timeout` runs out (ms since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<i64>,
    /// What the timeout decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_timeout: Option<Answer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given: Option<Given>,
    /// The run has acted on the answer.
    pub consumed: bool,
}

/// What a transition does to the `decisions` table.
#[derive(Debug, Clone, Copy)]
pub enum DecisionWrite<'a> {
    /// A question asked and left open (the run pauses on it).
    Open { key: &'a str, kind: AskKind, question: &'a str, deadline: Option<i64>, on_timeout: Option<Answer> },
    /// A question asked and answered at once (mode, `--approve`, the terminal, a timeout),
    /// or an open one (`seq`) answered now; either way acted on in this transition.
    Answered { seq: Option<i64>, key: &'a str, kind: AskKind, question: &'a str, asked_at: i64, given: &'a Given },
    /// An answer given earlier (`wf approve`) acted on now.
    Consume { seq: i64 },
}

/// An event as the journal holds it.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub at: i64,
    pub kind: String,
    pub key: Option<String>,
    pub data: String,
}

pub struct NewRun<'a> {
    pub workflow: &'a str,
    pub file: &'a str,
    pub file_hash: &'a str,
    pub args: &'a str,
    pub plan: &'a HashMap<String, String>,
    pub options: &'a str,
    pub owner: Owner,
    pub at: i64,
    /// The checked program, stored for `wf resume` (see [`program`]), and where it came from.
    pub program: Option<(&'a program::Origins, &'a crate::ir::Program)>,
}

pub struct Journal {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Journal {
    /// Opens (creating when needed) `DIR/state.db`.
    pub fn open(dir: &Path) -> Result<Journal> {
        std::fs::create_dir_all(dir).map_err(|source| JournalError::Folder { path: dir.to_owned(), source })?;
        let path = dir.join("state.db");
        let open = |path: &Path| -> rusqlite::Result<Connection> {
            let conn = Connection::open(path)?;
            conn.busy_timeout(Duration::from_secs(30))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // WAL with NORMAL sync keeps every commit across a crash of wf itself; only a
            // power loss can drop the last commits, and never corrupts the file.
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            Ok(conn)
        };
        // Runs starting together race to switch the file to WAL and create the schema; SQLite
        // answers the losers "busy" at once rather than waiting, so they try again.
        let mut tries = 0u32;
        loop {
            let attempt =
                open(&path).map_err(|source| JournalError::Open { path: path.clone(), source }).and_then(|conn| {
                    let journal = Journal { conn: Mutex::new(conn), path: path.clone() };
                    journal.migrate().map(|()| journal)
                });
            match attempt {
                Err(error) if error.is_busy() && tries < 200 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(5 + u64::from(tries % 20)));
                }
                other => return other,
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite rolled back.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        let found: Option<String> =
            tx.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |row| row.get(0)).optional()?;
        match found {
            None => {
                tx.execute("INSERT INTO meta (key, value) VALUES ('schema', ?1)", [SCHEMA_VERSION.to_string()])?;
            }
            Some(version) if version == SCHEMA_VERSION.to_string() => {}
            // Schema 2 only added tables and indexes, which `SCHEMA` just created; schema 3
            // added two ledger columns (a CLI's own cost, whether the model had a price) and the
            // `exchanges` table; schema 4 added `runs.pid_start`, the owner's start time; schema 5
            // the `polls` table of `watch` steps; schema 6 the `programs` table and
            // `runs.program`, a run's stored program. Each column is added where missing.
            Some(version) if ["1", "2", "3", "4", "5"].contains(&version.as_str()) => {
                add_column(&tx, "ledger", "reported_micros", "INTEGER")?;
                add_column(&tx, "ledger", "priced", "INTEGER NOT NULL DEFAULT 1")?;
                add_column(&tx, "runs", "pid_start", "INTEGER")?;
                add_column(&tx, "runs", "program", "TEXT")?;
                tx.execute("UPDATE meta SET value = ?1 WHERE key = 'schema'", [SCHEMA_VERSION.to_string()])?;
            }
            Some(found) => return Err(JournalError::Version { path: self.path.clone(), found }),
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a new run and returns its id: short, unique, and sorting by start time.
    pub fn create_run(&self, run: &NewRun<'_>) -> Result<String> {
        let plan = serde_json::to_string(run.plan)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let program = store_program(&tx, run.program)?;
        loop {
            let id = run_id(run.at);
            let inserted = tx.prepare_cached("INSERT OR IGNORE INTO runs (id, workflow, file, file_hash, args, plan, options, status, pid, pid_start, started_at, program)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8, ?9, ?10, ?11)")?.execute(params![
                    id,
                    run.workflow,
                    run.file,
                    run.file_hash,
                    run.args,
                    plan,
                    run.options,
                    run.owner.pid,
                    run.owner.started.map(|started| i64::try_from(started).unwrap_or(i64::MAX)),
                    run.at,
                    program
                ],
            )?;
            if inserted == 1 {
                tx.commit()?;
                return Ok(id);
            }
        }
    }

    /// Makes `owner` the one process running the run, with the plan it now follows, and
    /// returns the run as it stood just before: in one transaction, so of several processes
    /// resuming one run at once exactly one gets it. A run whose owner is still alive is
    /// refused ([`JournalError::Owned`]); one whose owner died (crashed) is taken over.
    /// `program` is the program the resume follows, when it checked the files again: stored
    /// for the next resume in place of the run's.
    pub fn claim(
        &self,
        id: &str,
        plan: &HashMap<String, String>,
        file_hash: &str,
        owner: Owner,
        program: Option<(&program::Origins, &crate::ir::Program)>,
    ) -> Result<RunRecord> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = tx.query_row(&format!("{RUN_COLUMNS} WHERE id = ?1"), [id], read_run).optional()?;
        let before = found.ok_or_else(|| JournalError::NoRun(id.to_owned()))?.finish()?;
        match before.status_now() {
            RunStatus::Succeeded => return Err(JournalError::Succeeded(before.id)),
            RunStatus::Running => {
                let pid = before.pid.unwrap_or_default();
                return Err(JournalError::Owned { run: before.id, pid });
            }
            _ => {}
        }
        // A resume of an unchanged program follows the plan it recorded: 10,000 steps' ids
        // and hashes are not written again.
        if program.is_some() || before.file_hash != file_hash {
            let stored = store_program(&tx, program)?;
            tx.prepare_cached("UPDATE runs SET plan = ?2, file_hash = ?3, program = ?4 WHERE id = ?1")?
                .execute(params![id, serde_json::to_string(plan)?, file_hash, stored])?;
        }
        tx.prepare_cached(
            "UPDATE runs SET status = 'running', error = NULL, ended_at = NULL, pid = ?2, pid_start = ?3 WHERE id = ?1",
        )?
        .execute(params![
            id,
            owner.pid,
            owner.started.map(|started| i64::try_from(started).unwrap_or(i64::MAX))
        ])?;
        tx.commit()?;
        Ok(before)
    }

    /// Records how the run stands, committed with whatever transitions were staged.
    pub fn set_status(&self, id: &str, status: RunStatus, error: Option<&str>, ended_at: Option<i64>) -> Result<()> {
        let conn = self.conn();
        conn.prepare_cached("UPDATE runs SET status = ?2, error = ?3, ended_at = ?4 WHERE id = ?1")?
            .execute(params![id, status.as_str(), error, ended_at])?;
        commit_staged(&conn)
    }

    /// One transition: an event, and optionally the step's new state and ledger amounts,
    /// committed together, with every transition staged before it.
    pub fn record(&self, transition: &Transition<'_>) -> Result<()> {
        self.stage(transition)?;
        self.flush()
    }

    /// Writes a transition into the transaction that the next [`Journal::flush`] (or
    /// [`Journal::record`], or [`Journal::set_status`]) commits, opening it when none is:
    /// several transitions then cost one commit. Until then no other process sees it and a
    /// crash loses it, so the runner stages only what it has not shown or acted on yet. A
    /// transition that cannot be written leaves those staged before it as they were.
    pub fn stage(&self, transition: &Transition<'_>) -> Result<()> {
        let conn = self.conn();
        if conn.is_autocommit() {
            conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        conn.execute_batch("SAVEPOINT transition")?;
        match write_transition(&conn, transition) {
            Ok(()) => Ok(conn.execute_batch("RELEASE transition")?),
            Err(error) => {
                let _ = conn.execute_batch("ROLLBACK TO transition; RELEASE transition");
                Err(error)
            }
        }
    }

    /// Commits every staged transition; nothing to do when none is.
    pub fn flush(&self) -> Result<()> {
        commit_staged(&self.conn())
    }

    /// The polls of the watch `key` since it last started over (its last poll numbered 1),
    /// in order.
    pub fn polls(&self, run: &str, key: &str) -> Result<Vec<PollRecord>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT poll, elapsed_ms, ok, value, error, fail_held_ms, pass_held_ms FROM polls
             WHERE run_id = ?1 AND key = ?2 AND seq >= COALESCE(
               (SELECT MAX(seq) FROM polls WHERE run_id = ?1 AND key = ?2 AND poll = 1), 0)
             ORDER BY seq",
        )?;
        let count = |ms: i64| u64::try_from(ms).unwrap_or(0);
        let rows = statement.query_map([run, key], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, bool>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<i64>>(5)?,
                row.get::<_, Option<i64>>(6)?,
            ))
        })?;
        let mut polls = Vec::new();
        for row in rows {
            let (poll, elapsed_ms, ok, value, error, fail_held_ms, pass_held_ms) = row?;
            polls.push(PollRecord {
                key: key.to_owned(),
                poll: count(poll),
                elapsed_ms: count(elapsed_ms),
                ok,
                value: value.map(|text| serde_json::from_str(&text)).transpose()?,
                error,
                fail_held_ms: fail_held_ms.map(count),
                pass_held_ms: pass_held_ms.map(count),
            });
        }
        Ok(polls)
    }

    /// Records `wf approve`'s answer to the open question `seq` of `run`, unless it was
    /// answered already (returns whether it was recorded). A run that a live process is
    /// running is refused ([`JournalError::Owned`]): that process may be answering the same
    /// question (at its terminal, or by a timeout), and one of the answers would be lost.
    pub fn answer(&self, run: &str, seq: i64, given: &Given) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = tx.query_row(&format!("{RUN_COLUMNS} WHERE id = ?1"), [run], read_run).optional()?;
        let record = found.ok_or_else(|| JournalError::NoRun(run.to_owned()))?.finish()?;
        if record.status_now() == RunStatus::Running {
            return Err(JournalError::Owned { run: record.id, pid: record.pid.unwrap_or_default() });
        }
        let changed = tx
            .prepare_cached(
                "UPDATE decisions SET answer = ?2, by = ?3, comment = ?4, how = ?5, answered_at = ?6
             WHERE seq = ?1 AND run_id = ?7 AND answer IS NULL",
            )?
            .execute(params![seq, given.answer.as_str(), given.by, given.comment, given.how.as_str(), given.at, run])?;
        tx.commit()?;
        Ok(changed == 1)
    }

    /// Every question of a run, in the order asked.
    pub fn decisions(&self, run: &str) -> Result<Vec<DecisionRow>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT seq, key, kind, question, asked_at, deadline, on_timeout, answer, by, comment, how, answered_at, consumed
             FROM decisions WHERE run_id = ?1 ORDER BY seq",
        )?;
        let rows = statement.query_map([run], read_decision)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces a run's recorded options (`wf resume --budget` raises its budget).
    pub fn set_options(&self, id: &str, options: &RunOptions) -> Result<()> {
        let options = serde_json::to_string(options)?;
        self.conn().prepare_cached("UPDATE runs SET options = ?2 WHERE id = ?1")?.execute(params![id, options])?;
        Ok(())
    }

    pub fn run(&self, id: &str) -> Result<RunRecord> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!("{RUN_COLUMNS} WHERE id = ?1"))?;
        let found = statement.query_row([id], read_run).optional()?;
        found.ok_or_else(|| JournalError::NoRun(id.to_owned()))?.finish()
    }

    /// The newest run, whatever its status.
    pub fn latest_run(&self) -> Result<Option<RunRecord>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!("{RUN_COLUMNS} ORDER BY id DESC LIMIT 1"))?;
        statement.query_row([], read_run).optional()?.map(RawRun::finish).transpose()
    }

    /// The newest run that `wf resume` can continue: failed, paused, interrupted, or
    /// crashed (left `running` by a process that is gone).
    pub fn latest_resumable(&self) -> Result<Option<RunRecord>> {
        let conn = self.conn();
        let mut statement =
            conn.prepare_cached(&format!("{RUN_COLUMNS} WHERE status != 'succeeded' ORDER BY id DESC LIMIT 50"))?;
        let rows = statement.query_map([], read_run)?;
        for row in rows {
            let run = row?.finish()?;
            if run.status_now() != RunStatus::Running {
                return Ok(Some(run));
            }
        }
        Ok(None)
    }

    /// Every step instance of a run, by key.
    pub fn steps(&self, run: &str) -> Result<HashMap<String, StepRecord>> {
        let conn = self.conn();
        let mut statement =
            conn.prepare_cached(&format!("SELECT {STEP_COLUMNS}, value FROM steps WHERE run_id = ?1"))?;
        let rows = statement.query_map([run], |row| Ok((step_record(row)?, row.get::<_, Option<String>>(11)?)))?;
        let mut steps = HashMap::new();
        for row in rows {
            let (mut record, value) = row?;
            record.value = value.map(|text| serde_json::from_str(&text)).transpose()?;
            steps.insert(record.key.clone(), record);
        }
        Ok(steps)
    }

    /// The program stored under `key` and where it came from; `None` when there is none, or
    /// when this wf cannot read it (another build wrote it).
    pub fn program(&self, key: &str) -> Result<Option<(program::Origins, crate::ir::Program)>> {
        let conn = self.conn();
        let row: Option<(String, String)> = conn
            .prepare_cached("SELECT origins, ir FROM programs WHERE key = ?1")?
            .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        drop(conn);
        Ok(row.and_then(|(origins, ir)| Some((serde_json::from_str(&origins).ok()?, program::decode(&ir)?))))
    }

    /// A run's events of one kind, in order.
    pub fn events_of(&self, run: &str, kind: &str) -> Result<Vec<EventRow>> {
        let conn = self.conn();
        let mut statement =
            conn.prepare_cached("SELECT at, kind, key, data FROM events WHERE run_id = ?1 AND kind = ?2 ORDER BY seq")?;
        let rows = statement.query_map([run, kind], read_event)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A run's events in order.
    pub fn events(&self, run: &str) -> Result<Vec<EventRow>> {
        let conn = self.conn();
        let mut statement =
            conn.prepare_cached("SELECT at, kind, key, data FROM events WHERE run_id = ?1 ORDER BY seq")?;
        let rows = statement.query_map([run], read_event)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What a run spent under a phase or call `key`: on it and on every step whose key
    /// continues it with `/`.
    pub fn spent_under(&self, run: &str, key: &str) -> Result<(i64, u64)> {
        let conn = self.conn();
        let (micros, tokens): (i64, i64) = conn.query_row(
            "SELECT COALESCE(SUM(micros), 0), COALESCE(SUM(input + output + cached), 0) FROM ledger
             WHERE run_id = ?1 AND (key = ?2 OR substr(key, 1, length(?2) + 1) = ?2 || '/')",
            params![run, key],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok((micros, u64::try_from(tokens).unwrap_or(0)))
    }

    /// The sum of a run's ledger: micro-dollars and tokens.
    pub fn spent(&self, run: &str) -> Result<(i64, u64)> {
        let conn = self.conn();
        let (micros, tokens): (i64, i64) = conn.query_row(
            "SELECT COALESCE(SUM(micros), 0), COALESCE(SUM(input + output + cached), 0) FROM ledger WHERE run_id = ?1",
            [run],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok((micros, u64::try_from(tokens).unwrap_or(0)))
    }
}

/// Stores `program` unless a program of its key is stored already; returns the key. The
/// program is encoded only when it is not there yet: a workflow run again and again is
/// stored once.
fn store_program(
    tx: &rusqlite::Transaction<'_>,
    program: Option<(&program::Origins, &crate::ir::Program)>,
) -> Result<Option<String>> {
    let Some((origins, program)) = program else { return Ok(None) };
    let stored = tx
        .prepare_cached("SELECT 1 FROM programs WHERE key = ?1")?
        .query_row([&origins.key], |_| Ok(()))
        .optional()?
        .is_some();
    if !stored {
        tx.prepare_cached("INSERT INTO programs (key, origins, ir) VALUES (?1, ?2, ?3)")?.execute(params![
            origins.key,
            serde_json::to_string(origins)?,
            program::encode(program)?
        ])?;
    }
    Ok(Some(origins.key.clone()))
}

/// The writes of one transition, in the caller's transaction.
fn write_transition(conn: &Connection, transition: &Transition<'_>) -> Result<()> {
    let Transition { run, at, kind, key, data, step, ledger, decision, poll } = *transition;
    conn.prepare_cached("INSERT INTO events (run_id, at, kind, key, data) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![run, at, kind, key, data.to_string()])?;
    let seq = conn.last_insert_rowid();
    if let Some(step) = step {
        let value = step.value.map(serde_json::to_string).transpose()?;
        conn.prepare_cached("INSERT INTO steps (run_id, key, step_id, kind, hash, status, accepted, attempts, started_at, ended_at, value, error, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (run_id, key) DO UPDATE SET
               step_id = excluded.step_id, kind = excluded.kind, hash = excluded.hash,
               status = excluded.status, accepted = excluded.accepted, attempts = excluded.attempts,
               started_at = excluded.started_at, ended_at = excluded.ended_at, value = excluded.value,
               error = excluded.error, seq = excluded.seq")?.execute(params![
                run,
                step.key,
                step.step_id,
                step.kind,
                step.hash,
                step.status,
                step.accepted,
                step.attempts,
                step.started_at,
                step.ended_at,
                value,
                step.error,
                seq
            ],
        )?;
    }
    for entry in ledger {
        conn.prepare_cached("INSERT INTO ledger (run_id, key, attempt, model, input, output, cached, micros, at, reported_micros, priced)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")?.execute(params![
                run,
                entry.key,
                entry.attempt,
                entry.model,
                i64::try_from(entry.input).unwrap_or(i64::MAX),
                i64::try_from(entry.output).unwrap_or(i64::MAX),
                i64::try_from(entry.cached).unwrap_or(i64::MAX),
                entry.micros,
                at,
                entry.reported_micros,
                !entry.unpriced
            ],
        )?;
        if let Some(exchange) = &entry.exchange {
            conn.prepare_cached(
                "INSERT INTO exchanges (run_id, key, attempt, provider, model, prompt, answer, error, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                run,
                entry.key,
                entry.attempt,
                exchange.provider,
                exchange.model,
                exchange.prompt,
                exchange.answer,
                exchange.error,
                at
            ])?;
        }
    }
    if let Some(decision) = decision {
        write_decision(conn, run, at, decision)?;
    }
    if let Some(poll) = poll {
        let value = poll.value.as_ref().map(serde_json::to_string).transpose()?;
        let ms = |ms: u64| i64::try_from(ms).unwrap_or(i64::MAX);
        conn.prepare_cached(
            "INSERT INTO polls (run_id, key, poll, elapsed_ms, ok, value, error, fail_held_ms, pass_held_ms, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            run,
            poll.key,
            ms(poll.poll),
            ms(poll.elapsed_ms),
            poll.ok,
            value,
            poll.error,
            poll.fail_held_ms.map(ms),
            poll.pass_held_ms.map(ms),
            at
        ])?;
    }
    Ok(())
}

/// Commits the staged transitions, if any. A commit that fails rolls them back, leaving the
/// connection usable (the runner stops on the error).
fn commit_staged(conn: &Connection) -> Result<()> {
    if conn.is_autocommit() {
        return Ok(());
    }
    if let Err(error) = conn.execute_batch("COMMIT") {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        return Err(error.into());
    }
    Ok(())
}

fn write_decision(tx: &Connection, run: &str, at: i64, decision: &DecisionWrite<'_>) -> Result<()> {
    match *decision {
        DecisionWrite::Open { key, kind, question, deadline, on_timeout } => {
            tx.prepare_cached(
                "INSERT INTO decisions (run_id, key, kind, question, asked_at, deadline, on_timeout)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                run,
                key,
                kind.as_str(),
                question,
                at,
                deadline,
                on_timeout.map(Answer::as_str)
            ])?;
        }
        DecisionWrite::Answered { seq: Some(seq), given, .. } => {
            tx.prepare_cached(
                "UPDATE decisions SET answer = ?2, by = ?3, comment = ?4, how = ?5, answered_at = ?6, consumed = 1
                 WHERE seq = ?1",
            )?
            .execute(params![
                seq,
                given.answer.as_str(),
                given.by,
                given.comment,
                given.how.as_str(),
                given.at
            ])?;
        }
        DecisionWrite::Answered { seq: None, key, kind, question, asked_at, given } => {
            tx.prepare_cached("INSERT INTO decisions (run_id, key, kind, question, asked_at, answer, by, comment, how, answered_at, consumed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)")?.execute(params![
                    run,
                    key,
                    kind.as_str(),
                    question,
                    asked_at,
                    given.answer.as_str(),
                    given.by,
                    given.comment,
                    given.how.as_str(),
                    given.at
                ],
            )?;
        }
        DecisionWrite::Consume { seq } => {
            tx.prepare_cached("UPDATE decisions SET consumed = 1 WHERE seq = ?1")?.execute([seq])?;
        }
    }
    Ok(())
}

fn read_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow { at: row.get(0)?, kind: row.get(1)?, key: row.get(2)?, data: row.get(3)? })
}

fn read_decision(row: &rusqlite::Row<'_>) -> rusqlite::Result<DecisionRow> {
    let answer: Option<String> = row.get(7)?;
    let how: Option<String> = row.get(10)?;
    let given = match (answer.as_deref().and_then(Answer::parse), how.as_deref().and_then(How::parse)) {
        (Some(answer), Some(how)) => Some(Given {
            answer,
            by: row.get::<_, Option<String>>(8)?.unwrap_or_default(),
            comment: row.get(9)?,
            how,
            at: row.get::<_, Option<i64>>(11)?.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(DecisionRow {
        seq: row.get(0)?,
        key: row.get(1)?,
        kind: AskKind::parse(&row.get::<_, String>(2)?),
        question: row.get(3)?,
        asked_at: row.get(4)?,
        deadline: row.get(5)?,
        on_timeout: row.get::<_, Option<String>>(6)?.as_deref().and_then(Answer::parse),
        given,
        consumed: row.get(12)?,
    })
}

const RUN_COLUMNS: &str = "SELECT id, workflow, file, file_hash, args, plan, options, status, error, pid, started_at, ended_at, pid_start, program FROM runs";

/// Adds a column to a table that lacks it (a migration step that may meet it already added).
fn add_column(tx: &rusqlite::Transaction<'_>, table: &str, column: &str, declaration: &str) -> Result<()> {
    let mut statement = tx.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = statement.query_map([], |row| row.get::<_, String>(1))?.collect::<rusqlite::Result<Vec<_>>>()?;
    if !names.iter().any(|name| name == column) {
        tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {declaration}"))?;
    }
    Ok(())
}

/// A recorded status as it stands: `running` whose owner is gone is `crashed`.
pub fn status_now(recorded: RunStatus, owner: Option<Owner>) -> RunStatus {
    match (recorded, owner) {
        (RunStatus::Running, Some(owner)) if owner.alive() => RunStatus::Running,
        (RunStatus::Running, _) => RunStatus::Crashed,
        (status, _) => status,
    }
}

/// A run row before its JSON columns are read.
struct RawRun(RunRecord, String);

impl RawRun {
    fn finish(self) -> Result<RunRecord> {
        let RawRun(mut run, plan) = self;
        run.plan = serde_json::from_str(&plan)?;
        Ok(run)
    }
}

fn read_run(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRun> {
    Ok(RawRun(
        RunRecord {
            id: row.get(0)?,
            workflow: row.get(1)?,
            file: row.get(2)?,
            file_hash: row.get(3)?,
            args: row.get(4)?,
            plan: HashMap::new(),
            options: row.get(6)?,
            status: RunStatus::parse(&row.get::<_, String>(7)?),
            error: row.get(8)?,
            pid: row.get(9)?,
            started_at: row.get(10)?,
            ended_at: row.get(11)?,
            pid_start: row.get::<_, Option<i64>>(12)?.and_then(|started| u64::try_from(started).ok()),
            program: row.get(13)?,
        },
        row.get(5)?,
    ))
}

/// `DDHHMMSS`-free and short: milliseconds since the epoch in base 32 (9 digits, sortable
/// until the year 3084) and three random digits, so runs started in the same millisecond
/// differ.
fn run_id(at_ms: i64) -> String {
    const DIGITS: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut id = String::with_capacity(13);
    let mut rest = u64::try_from(at_ms).unwrap_or(0);
    let mut time = [0u8; 9];
    for slot in time.iter_mut().rev() {
        *slot = DIGITS[(rest % 32) as usize];
        rest /= 32;
    }
    id.extend(time.iter().map(|&b| b as char));
    id.push('-');
    for _ in 0..3 {
        id.push(DIGITS[fastrand::usize(..32)] as char);
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_state_file_gains_the_owner_start_time_in_place() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let conn = Connection::open(dir.path().join("state.db")).expect("opens");
            let old_runs = SCHEMA
                .replace("  pid_start  INTEGER,\n", "")
                .replace("  ended_at   INTEGER,\n  program    TEXT\n", "  ended_at   INTEGER\n");
            assert!(!old_runs.contains("program    TEXT"), "schema 2 had no stored programs");
            conn.execute_batch(&old_runs).expect("schema 2");
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema', '2')", []).expect("version");
            conn.execute(
                "INSERT INTO runs (id, workflow, file, file_hash, args, plan, options, status, pid, started_at)
                 VALUES ('old', 'w', '/f.wf', '0', '{}', '{}', '{}', 'running', 4194305, 1)",
                [],
            )
            .expect("an old run");
        }
        let journal = Journal::open(dir.path()).expect("migrates");
        let old = journal.run("old").expect("the old run reads");
        assert_eq!(old.pid_start, None);
        assert_eq!(old.program, None, "it stored no program: its resume checks the file");
        assert_eq!(old.status_now(), RunStatus::Crashed, "its owner is gone");
        let claimed = journal.claim("old", &HashMap::new(), "1", Owner::current(), None).expect("taken over");
        assert_eq!(claimed.id, "old");
        assert_eq!(journal.run("old").expect("reads").owner(), Some(Owner::current()));
        let version: String =
            journal.conn().query_row("SELECT value FROM meta WHERE key = 'schema'", [], |row| row.get(0)).expect("v");
        assert_eq!(version, SCHEMA_VERSION.to_string());
    }

    /// A run of workflow `w` in `/f.wf` (file hash `0`), owned by this process.
    fn new_run(plan: &HashMap<String, String>) -> NewRun<'_> {
        NewRun {
            workflow: "w",
            file: "/f.wf",
            file_hash: "0",
            args: "{}",
            plan,
            options: "{}",
            owner: Owner::current(),
            at: 1,
            program: None,
        }
    }

    #[test]
    fn a_live_owner_keeps_its_run() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::open(dir.path()).expect("opens");
        let plan = HashMap::new();
        let run = new_run(&plan);
        let id = journal.create_run(&run).expect("created");
        match journal.claim(&id, &plan, "0", Owner::current(), None) {
            Err(JournalError::Owned { pid, .. }) => assert_eq!(pid, std::process::id()),
            other => panic!("a live owner's run was claimed: {other:?}"),
        }
    }

    #[test]
    fn staged_transitions_are_seen_once_committed_and_a_bad_one_drops_only_itself() {
        fn transition<'a>(run: &'a str, kind: &'a str, step: Option<&'a StepWrite<'a>>) -> Transition<'a> {
            static NULL: serde_json::Value = serde_json::Value::Null;
            Transition { run, at: 2, kind, key: None, data: &NULL, step, ledger: &[], decision: None, poll: None }
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::open(dir.path()).expect("opens");
        let plan = HashMap::new();
        let new = new_run(&plan);
        let id = journal.create_run(&new).expect("created");
        let run = id.as_str();
        let other = Connection::open(dir.path().join("state.db")).expect("a second reader");
        let committed = || -> Vec<String> {
            let mut statement = other.prepare("SELECT kind FROM events ORDER BY seq").expect("query");
            let kinds = statement.query_map([], |row| row.get(0)).expect("rows");
            kinds.collect::<rusqlite::Result<_>>().expect("kinds")
        };
        journal.stage(&transition(run, "first", None)).expect("staged");
        assert!(committed().is_empty(), "staged is not committed");
        // A step of a run that does not exist breaks the foreign key: only it is undone.
        let orphan = StepWrite {
            key: "s",
            step_id: "s",
            kind: "run",
            hash: "h",
            status: "running",
            accepted: false,
            attempts: 1,
            started_at: 2,
            ended_at: None,
            value: None,
            error: None,
        };
        assert!(journal.stage(&transition("no-such-run", "orphan", Some(&orphan))).is_err());
        journal.stage(&transition(run, "second", None)).expect("staged");
        journal.flush().expect("committed");
        assert_eq!(committed(), ["first", "second"]);
        journal.record(&transition(run, "third", None)).expect("recorded");
        assert_eq!(committed(), ["first", "second", "third"], "a record commits at once");
    }

    #[test]
    fn run_ids_sort_by_time() {
        let early = run_id(1_700_000_000_000);
        let late = run_id(1_700_000_000_001);
        assert_eq!(early.len(), 13);
        assert!(early[..9] < late[..9]);
        assert!(run_id(4_000_000_000_000)[..9] > late[..9]);
    }
}
