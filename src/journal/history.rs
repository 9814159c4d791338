//! Reading the journal across runs and within one run's history: the ledger, gate checks,
//! recent runs and the per-run numbers `wf stats` aggregates. Sums over a run's rows are done
//! by SQLite through the `*_by_run` indexes, so the cost grows with the runs asked about,
//! not with the whole file.

use rusqlite::params;
use serde::Serialize;

use super::{status_now, Exchange, Journal, LedgerEntry, Owner, Result, RunStatus};

/// Which runs to list or aggregate.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub workflow: Option<String>,
    pub status: Option<RunStatus>,
    /// Only runs started at or after this time (ms since the epoch).
    pub since: Option<i64>,
}

/// What a report folds of one step row ([`Journal::for_each_step_line`]).
#[derive(Debug, Clone)]
pub struct StepLine {
    /// The row's SQLite `rowid`, to read the rest of it later ([`Journal::step_at`]).
    pub row: i64,
    pub key: String,
    pub kind: String,
    pub status: String,
    /// The run went on past it: it succeeded, was skipped, or failed under `continue`.
    pub accepted: bool,
    pub attempts: u32,
    pub started_at: i64,
    /// Order of the step's last transition.
    pub seq: i64,
    /// Why it failed, for a failed or timed-out step.
    pub error: Option<String>,
    /// A `repeat`'s iterations.
    pub iterations: Option<u64>,
    /// What a failed or timed-out step wrote to stderr.
    pub stderr: Option<String>,
}

/// A step row as `wf show` prints it ([`Journal::step_at`]).
#[derive(Debug, Clone)]
pub struct ShownStep {
    pub key: String,
    pub step_id: String,
    pub kind: String,
    pub status: String,
    pub attempts: u32,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub error: Option<String>,
    /// A `parallel`, `repeat` or `for` block's `cost`: what its body recorded.
    pub cost_micros: Option<i64>,
    /// A `repeat`'s iterations.
    pub iterations: Option<u64>,
}

/// A read transaction, ended when dropped ([`Journal::snapshot`]).
pub struct Snapshot<'j> {
    journal: &'j Journal,
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        // Nothing was written: ending it cannot lose anything, and a failure leaves SQLite to
        // end it with the connection.
        let _ = self.journal.conn().execute_batch("COMMIT");
    }
}

/// One line of `wf runs`.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub id: String,
    pub workflow: String,
    pub status: RunStatus,
    pub started_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    /// `ended_at - started_at`; absent while the run has not ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    pub cost_micros: i64,
    pub tokens: u64,
}

/// A `require` or `warn` of a gate, as it was evaluated.
#[derive(Debug, Clone, Serialize)]
pub struct GateCheckRow {
    pub key: String,
    pub level: String,
    pub message: String,
    pub passed: bool,
    /// What a check that did not hold did: `fail` or `warn`.
    pub effect: String,
    pub at: i64,
}

/// The numbers of one run that `wf stats` aggregates.
#[derive(Debug, Clone)]
pub struct RunNumbers {
    pub workflow: String,
    pub status: RunStatus,
    /// For finished (succeeded or failed) runs.
    pub duration_ms: Option<u64>,
    pub cost_micros: i64,
    /// Iterations of every `repeat` of the run.
    pub iterations: u64,
    /// Attempts beyond the first of each leaf step instance, every attempt started counted.
    pub retries: u64,
    pub escalated: bool,
    /// The run paused at least once (a `run_paused` event).
    pub paused: bool,
    /// A budget was spent: the run asked for a higher one.
    pub budget_paused: bool,
    pub started_at: i64,
}

/// The tokens one model was billed for over the runs a filter selects.
#[derive(Debug, Clone, Serialize)]
pub struct ModelTokens {
    pub model: String,
    /// Input tokens not read from a cache.
    pub input: u64,
    pub output: u64,
    /// Input tokens read from the provider's cache.
    pub cached: u64,
}

/// How long a person took to answer an approval.
#[derive(Debug, Clone)]
pub struct ApprovalWait {
    pub workflow: String,
    pub wait_ms: u64,
}

/// The status a filter looks for as the journal records it: `crashed` runs are recorded
/// `running`.
fn recorded_status(status: Option<RunStatus>) -> Option<&'static str> {
    status.map(|status| if status == RunStatus::Crashed { RunStatus::Running } else { status }.as_str())
}

/// The `WHERE` clause the filters make, over `runs AS r`, with parameters ?1..?3.
const FILTER: &str =
    "(?1 IS NULL OR r.workflow = ?1) AND (?2 IS NULL OR r.status = ?2) AND (?3 IS NULL OR r.started_at >= ?3)";

impl Journal {
    /// Attempts beyond the first of each step instance, over the run's whole life: every
    /// attempt started (`step_started`), including those a cancellation, a crash or a resume
    /// cut short, less one per step instance. Blocks start no attempts.
    pub fn retries(&self, run: &str) -> Result<u64> {
        let conn = self.conn();
        let retries: i64 = conn.query_row(
            "SELECT COUNT(*) - COUNT(DISTINCT key) FROM events WHERE run_id = ?1 AND kind = 'step_started'",
            [run],
            |row| row.get(0),
        )?;
        Ok(count(retries))
    }

    /// Reads from now until the guard is dropped see one state of the journal, whatever a
    /// running process writes meanwhile, and take SQLite's lock once rather than per query
    /// (`wf show` reads a 75,000-step run in that many queries).
    pub fn snapshot(&self) -> Result<Snapshot<'_>> {
        self.conn().execute_batch("BEGIN DEFERRED")?;
        Ok(Snapshot { journal: self })
    }

    /// Every step instance of a run, in the order of their last transitions, one at a time,
    /// with only what a report folds: no value but a `repeat`'s `iterations` and a failed
    /// step's `stderr`, which SQLite picks out of the JSON. A run of 75,000 steps that each
    /// kept 64 KiB of output is read in its rows, not its outputs, and never held whole
    /// (`wf show`, the report).
    pub fn for_each_step_line(&self, run: &str, mut each: impl FnMut(StepLine)) -> Result<()> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT rowid, key, kind, status, accepted, attempts, started_at, seq,
                    CASE WHEN status IN ('failed', 'timed_out') THEN error END,
                    CASE WHEN kind = 'repeat' THEN json_extract(value, '$.Record.iterations.Int') END,
                    CASE WHEN status IN ('failed', 'timed_out') THEN json_extract(value, '$.Record.stderr.String') END
             FROM steps WHERE run_id = ?1 ORDER BY seq",
        )?;
        let mut rows = statement.query([run])?;
        while let Some(row) = rows.next()? {
            each(StepLine {
                row: row.get(0)?,
                key: row.get(1)?,
                kind: row.get(2)?,
                status: row.get(3)?,
                accepted: row.get(4)?,
                attempts: row.get(5)?,
                started_at: row.get(6)?,
                seq: row.get(7)?,
                error: row.get(8)?,
                iterations: row.get::<_, Option<i64>>(9)?.map(count),
                stderr: row.get(10)?,
            });
        }
        Ok(())
    }

    /// One step row by its [`StepLine::row`], with the part of its value `wf show` prints: a
    /// block's `cost` and a `repeat`'s `iterations`.
    pub fn step_at(&self, row: i64) -> Result<ShownStep> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT key, step_id, kind, status, attempts, started_at, ended_at, error,
                    CASE WHEN kind IN ('parallel', 'repeat', 'for') THEN json_extract(value, '$.Record.cost.Money') END,
                    CASE WHEN kind = 'repeat' THEN json_extract(value, '$.Record.iterations.Int') END
             FROM steps WHERE rowid = ?1",
        )?;
        Ok(statement.query_row([row], |row| {
            Ok(ShownStep {
                key: row.get(0)?,
                step_id: row.get(1)?,
                kind: row.get(2)?,
                status: row.get(3)?,
                attempts: row.get(4)?,
                started_at: row.get(5)?,
                ended_at: row.get(6)?,
                error: row.get(7)?,
                cost_micros: row.get(8)?,
                iterations: row.get::<_, Option<i64>>(9)?.map(count),
            })
        })?)
    }

    /// A run's ledger, in the order the amounts were recorded, one amount at a time.
    pub fn for_each_amount(&self, run: &str, mut each: impl FnMut(LedgerEntry)) -> Result<()> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(LEDGER_ROWS)?;
        let mut rows = statement.query([run])?;
        while let Some(row) = rows.next()? {
            each(ledger_entry(row)?);
        }
        Ok(())
    }

    /// A run's ledger, in the order the amounts were recorded.
    pub fn ledger(&self, run: &str) -> Result<Vec<LedgerEntry>> {
        let mut entries = Vec::new();
        self.for_each_amount(run, |entry| entries.push(entry))?;
        Ok(entries)
    }

    /// A run's agent exchanges (prompt and answer of every attempt), in order; those of
    /// one step instance when `key` is given.
    pub fn exchanges(&self, run: &str, key: Option<&str>) -> Result<Vec<(String, u32, Exchange)>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT key, attempt, provider, model, prompt, answer, error FROM exchanges
             WHERE run_id = ?1 AND (?2 IS NULL OR key = ?2) ORDER BY seq",
        )?;
        let rows = statement.query_map(params![run, key], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                Exchange {
                    provider: row.get(2)?,
                    model: row.get(3)?,
                    prompt: row.get(4)?,
                    answer: row.get(5)?,
                    error: row.get(6)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A run's gate checks, in order.
    pub fn gate_checks(&self, run: &str) -> Result<Vec<GateCheckRow>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT at, COALESCE(key, ''), json_extract(data, '$.level'), json_extract(data, '$.message'),
                    json_extract(data, '$.passed'), json_extract(data, '$.effect')
             FROM events WHERE run_id = ?1 AND kind = 'gate_check' ORDER BY seq",
        )?;
        let rows = statement.query_map([run], |row| {
            Ok(GateCheckRow {
                at: row.get(0)?,
                key: row.get(1)?,
                level: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                message: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                passed: row.get::<_, Option<bool>>(4)?.unwrap_or(false),
                effect: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Runs newest first, with what each cost. A run left `running` by a process that is
    /// gone is listed as `crashed`.
    pub fn recent_runs(&self, filter: &RunFilter, limit: u32) -> Result<Vec<RunSummary>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT r.id, r.workflow, r.status, r.started_at, r.ended_at,
                    (SELECT COALESCE(SUM(micros), 0) FROM ledger WHERE run_id = r.id),
                    (SELECT COALESCE(SUM(input + output + cached), 0) FROM ledger WHERE run_id = r.id),
                    r.pid, r.pid_start
             FROM runs AS r WHERE {FILTER} ORDER BY r.started_at DESC, r.id DESC LIMIT ?4"
        ))?;
        // `running` and `crashed` are both recorded `running`: which is which is known only
        // here, so their filter takes every such row and keeps `limit` of the right ones.
        let owned = matches!(filter.status, Some(RunStatus::Running | RunStatus::Crashed));
        let sql_limit = if owned { -1 } else { i64::from(limit) };
        let rows = statement.query_map(
            params![filter.workflow, recorded_status(filter.status), filter.since, sql_limit],
            |row| {
                let started_at: i64 = row.get(3)?;
                let ended_at: Option<i64> = row.get(4)?;
                let owner = row.get::<_, Option<u32>>(7)?.map(|pid| Owner {
                    pid,
                    started: row.get::<_, Option<i64>>(8).ok().flatten().and_then(|at| u64::try_from(at).ok()),
                });
                Ok(RunSummary {
                    id: row.get(0)?,
                    workflow: row.get(1)?,
                    status: status_now(RunStatus::parse(&row.get::<_, String>(2)?), owner),
                    started_at,
                    ended_at,
                    duration_ms: ended_at.map(|end| u64::try_from(end - started_at).unwrap_or(0)),
                    cost_micros: row.get(5)?,
                    tokens: count(row.get(6)?),
                })
            },
        )?;
        let mut runs = Vec::new();
        for row in rows {
            let run = row?;
            if filter.status.is_none_or(|status| status == run.status) {
                runs.push(run);
            }
            if runs.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                break;
            }
        }
        Ok(runs)
    }

    /// The numbers of every run the filter selects, summed per run by SQLite.
    pub fn run_numbers(&self, filter: &RunFilter) -> Result<Vec<RunNumbers>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT r.workflow, r.status,
                    CASE WHEN r.status IN ('succeeded', 'failed') AND r.ended_at IS NOT NULL
                         THEN MAX(r.ended_at - r.started_at, 0) END,
                    (SELECT COALESCE(SUM(micros), 0) FROM ledger WHERE run_id = r.id),
                    (SELECT COALESCE(SUM(json_extract(value, '$.Record.iterations.Int')), 0)
                       FROM steps WHERE run_id = r.id AND kind = 'repeat'),
                    (SELECT COUNT(*) - COUNT(DISTINCT key) FROM events WHERE run_id = r.id AND kind = 'step_started'),
                    EXISTS (SELECT 1 FROM decisions WHERE run_id = r.id AND kind = 'escalation'),
                    EXISTS (SELECT 1 FROM events WHERE run_id = r.id AND kind = 'run_paused'),
                    EXISTS (SELECT 1 FROM decisions WHERE run_id = r.id AND kind = 'budget'),
                    r.started_at
             FROM runs AS r WHERE {FILTER}"
        ))?;
        let rows =
            statement.query_map(params![filter.workflow, recorded_status(filter.status), filter.since], |row| {
                Ok(RunNumbers {
                    workflow: row.get(0)?,
                    status: RunStatus::parse(&row.get::<_, String>(1)?),
                    duration_ms: row.get::<_, Option<i64>>(2)?.map(count),
                    cost_micros: row.get(3)?,
                    iterations: count(row.get(4)?),
                    retries: count(row.get(5)?),
                    escalated: row.get(6)?,
                    paused: row.get(7)?,
                    budget_paused: row.get(8)?,
                    started_at: row.get(9)?,
                })
            })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The mean duration of each phase that ended, by workflow and phase, over the runs the
    /// filter selects: (workflow, phase, mean ms, count).
    pub fn phase_durations(&self, filter: &RunFilter) -> Result<Vec<(String, String, u64, u64)>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT r.workflow, s.step_id, CAST(AVG(MAX(s.ended_at - s.started_at, 0)) AS INTEGER), COUNT(*)
             FROM runs AS r JOIN steps AS s ON s.run_id = r.id
             WHERE {FILTER} AND s.kind = 'phase' AND s.ended_at IS NOT NULL
             GROUP BY r.workflow, s.step_id ORDER BY r.workflow, MIN(s.seq)"
        ))?;
        let rows = statement
            .query_map(params![filter.workflow, recorded_status(filter.status), filter.since], |row| {
                Ok((row.get(0)?, row.get(1)?, count(row.get(2)?), count(row.get(3)?)))
            })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The `limit` ledger keys that cost most over the runs the filter selects, by workflow:
    /// (workflow, key, micro-dollars), dearest first.
    pub fn costliest_steps(&self, filter: &RunFilter, limit: u32) -> Result<Vec<(String, String, i64)>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT r.workflow, l.key, SUM(l.micros) AS spent
             FROM runs AS r JOIN ledger AS l ON l.run_id = r.id
             WHERE {FILTER}
             GROUP BY r.workflow, l.key HAVING spent > 0 ORDER BY spent DESC, r.workflow, l.key LIMIT ?4"
        ))?;
        let rows = statement
            .query_map(params![filter.workflow, recorded_status(filter.status), filter.since, limit], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The ledger's tokens per model over the runs the filter selects.
    pub fn model_tokens(&self, filter: &RunFilter) -> Result<Vec<ModelTokens>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT l.model, COALESCE(SUM(l.input), 0), COALESCE(SUM(l.output), 0), COALESCE(SUM(l.cached), 0)
             FROM runs AS r JOIN ledger AS l ON l.run_id = r.id
             WHERE {FILTER} AND l.model IS NOT NULL
             GROUP BY l.model ORDER BY l.model"
        ))?;
        let rows =
            statement.query_map(params![filter.workflow, recorded_status(filter.status), filter.since], |row| {
                Ok(ModelTokens {
                    model: row.get(0)?,
                    input: count(row.get(1)?),
                    output: count(row.get(2)?),
                    cached: count(row.get(3)?),
                })
            })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How long people took to answer approvals, in the runs the filter selects. Answers
    /// given by the mode or a timeout are no one's wait, and are left out.
    pub fn approval_waits(&self, filter: &RunFilter) -> Result<Vec<ApprovalWait>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(&format!(
            "SELECT r.workflow, MAX(d.answered_at - d.asked_at, 0)
             FROM runs AS r JOIN decisions AS d ON d.run_id = r.id
             WHERE {FILTER} AND d.kind = 'approval' AND d.answered_at IS NOT NULL
               AND d.how IS NOT NULL AND d.how NOT IN ('mode', 'timeout')"
        ))?;
        let rows = statement
            .query_map(params![filter.workflow, recorded_status(filter.status), filter.since], |row| {
                Ok(ApprovalWait { workflow: row.get(0)?, wait_ms: count(row.get(1)?) })
            })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every finished instance of a `run` or `agent` step in past runs of `workflow` (of any
    /// workflow: `None`, agent steps only), newest `limit` first: what `wf cost` estimates a
    /// step with no `expect` from. Money and tokens are summed over the instance's attempts
    /// by SQLite, through `ledger_by_run`.
    pub fn step_samples(&self, workflow: Option<&str>, limit: u32) -> Result<Vec<StepSample>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT s.key, s.hash, s.attempts, MAX(s.ended_at - s.started_at, 0),
                    (SELECT COALESCE(SUM(micros), 0) FROM ledger AS l WHERE l.run_id = s.run_id AND l.key = s.key),
                    (SELECT COALESCE(SUM(input + output), 0) FROM ledger AS l WHERE l.run_id = s.run_id AND l.key = s.key),
                    (SELECT model FROM ledger AS l WHERE l.run_id = s.run_id AND l.key = s.key AND model IS NOT NULL LIMIT 1)
             FROM runs AS r JOIN steps AS s ON s.run_id = r.id
             WHERE (r.workflow = ?1 OR (?1 IS NULL AND s.kind = 'agent'))
               AND s.kind IN ('run', 'agent') AND s.ended_at IS NOT NULL
               AND s.status IN ('succeeded', 'failed', 'timed_out')
             ORDER BY r.started_at DESC, s.seq DESC
             LIMIT ?2",
        )?;
        let rows = statement.query_map(params![workflow, limit], |row| {
            Ok(StepSample {
                key: row.get(0)?,
                hash: row.get(1)?,
                attempts: count(row.get(2)?).max(1),
                duration_ms: count(row.get(3)?),
                micros: row.get(4)?,
                tokens: count(row.get(5)?),
                model: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// One finished instance of a step, as [`Journal::step_samples`] reads it: totals over its
/// attempts.
#[derive(Debug, Clone)]
pub struct StepSample {
    pub key: String,
    pub hash: String,
    pub attempts: u64,
    pub duration_ms: u64,
    pub micros: i64,
    pub tokens: u64,
    pub model: Option<String>,
}

/// A count SQLite holds as a signed integer.
const LEDGER_ROWS: &str = "SELECT key, attempt, model, input, output, cached, micros, reported_micros, priced
     FROM ledger WHERE run_id = ?1 ORDER BY seq";

fn ledger_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<LedgerEntry> {
    Ok(LedgerEntry {
        key: row.get(0)?,
        attempt: row.get(1)?,
        model: row.get(2)?,
        input: count(row.get(3)?),
        output: count(row.get(4)?),
        cached: count(row.get(5)?),
        micros: row.get(6)?,
        reported_micros: row.get(7)?,
        unpriced: !row.get::<_, bool>(8)?,
        exchange: None,
    })
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
