//! `wf runs`, `wf show [RUN]` and `wf stats`: what the journal remembers, for people or as
//! JSON. They only read: a state folder without a journal is reported, never created.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use clap::ValueEnum;

use wf::ir::{format_cost, format_elapsed, format_token_count, Value};
use wf::journal::{Journal, RunFilter, RunStatus, RunSummary};
use wf::report::history::{self, Node, Stats, WorkflowStats};
use wf::report::trends;
use wf::report::Palette;
use wf::report::{self, local_time};

use super::Exit;

/// How a command prints what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned text for people.
    Human,
    /// One JSON document on stdout.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Running,
    Succeeded,
    Failed,
    Paused,
    Interrupted,
    /// Left running by a process that is gone: resumable.
    Crashed,
}

impl StatusArg {
    fn status(self) -> RunStatus {
        match self {
            StatusArg::Running => RunStatus::Running,
            StatusArg::Succeeded => RunStatus::Succeeded,
            StatusArg::Failed => RunStatus::Failed,
            StatusArg::Paused => RunStatus::Paused,
            StatusArg::Interrupted => RunStatus::Interrupted,
            StatusArg::Crashed => RunStatus::Crashed,
        }
    }
}

pub struct RunsArgs {
    pub workflow: Option<String>,
    pub status: Option<StatusArg>,
    pub since: Option<Duration>,
    pub limit: u32,
    pub format: ReportFormat,
}

pub fn runs(state_dir: &Path, request: &RunsArgs) -> Exit {
    let filter = RunFilter {
        workflow: request.workflow.clone(),
        status: request.status.map(StatusArg::status),
        since: request.since.map(cutoff),
    };
    let mut journal_found = true;
    let found = match open(state_dir) {
        Ok(Some(journal)) => match journal.recent_runs(&filter, request.limit) {
            Ok(found) => found,
            Err(error) => return failed(&error),
        },
        Ok(None) => {
            journal_found = false;
            Vec::new()
        }
        Err(exit) => return exit,
    };
    match request.format {
        ReportFormat::Json => print_json(&found, "runs"),
        ReportFormat::Human if !journal_found => println!("{}", no_journal(state_dir)),
        ReportFormat::Human if found.is_empty() => println!("no runs"),
        ReportFormat::Human => print!("{}", runs_table(&found)),
    }
    Exit::Success
}

pub fn show(state_dir: &Path, run: Option<&str>, format: ReportFormat) -> Exit {
    let journal = match open(state_dir) {
        Ok(Some(journal)) => journal,
        Ok(None) => {
            eprintln!("error: {}", no_journal(state_dir));
            return Exit::Usage;
        }
        Err(exit) => return exit,
    };
    let id = match run {
        Some(id) => id.to_owned(),
        None => match journal.latest_run() {
            Ok(Some(latest)) => latest.id,
            Ok(None) => {
                eprintln!("error: no runs in {}", journal.path().display());
                return Exit::Usage;
            }
            Err(error) => return failed(&error),
        },
    };
    let shown = match history::show(&journal, &id) {
        Ok(shown) => shown,
        Err(wf::journal::JournalError::NoRun(id)) => {
            let runs = wf::hint::wf(&["runs"], state_dir);
            eprintln!("error: no run `{id}` in {} (`{runs}` lists them)", journal.path().display());
            return Exit::Usage;
        }
        Err(error) => return failed(&error),
    };
    // Written as it is made, through one buffer: a run of 75,000 steps is not first held
    // whole as text.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        ReportFormat::Json => {
            let versioned = Versioned { version: wf::schema::VERSION, run: &shown };
            serde_json::to_writer_pretty(&mut out, &versioned)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        ReportFormat::Human => show_human(&mut out, &shown),
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Exit::Success,
        // A reader that stopped reading (`| head`) wanted no more.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Exit::Success,
        Err(error) => {
            eprintln!("error: {error}");
            Exit::Failure
        }
    }
}

fn show_human(out: &mut impl Write, shown: &history::Show) -> std::io::Result<()> {
    writeln!(out, "run {} `{}` ({})", shown.run, shown.workflow, shown.file)?;
    let ended = shown.ended_at.map(|at| format!(" · ended {}", local_time(at))).unwrap_or_default();
    writeln!(out, "  started {}{ended}", local_time(shown.started_at))?;
    if let Some(imported) = &shown.imported {
        let text = |field: &str| imported[field].as_str().unwrap_or("?").to_owned();
        let run = imported["run"].as_str().map(|run| format!(" {run}")).unwrap_or_default();
        writeln!(out, "  imported from {} (run{run} on {}, by `wf import`)", text("from"), text("engine"))?;
    }
    let args: indexmap::IndexMap<String, Value> = serde_json::from_value(shown.args.clone()).unwrap_or_default();
    if !args.is_empty() {
        let args: Vec<String> = args.iter().map(|(name, value)| format!("{name}={value}")).collect();
        writeln!(out, "  args    {}", args.join(" "))?;
    }
    writeln!(out)?;
    let mut line = String::new();
    shown.steps.walk(|node, depth| tree(out, &mut line, node, depth + 1))?;
    write!(out, "{}", report::human(&shown.report, &Palette::new(false)))
}

/// `wf show RUN STEP`: what each attempt of an agent step was asked and answered, as the
/// journal keeps it (masked).
pub fn exchanges(state_dir: &Path, run: &str, step: &str, format: ReportFormat) -> Exit {
    let journal = match open(state_dir) {
        Ok(Some(journal)) => journal,
        Ok(None) => {
            eprintln!("error: no runs in {}", state_dir.display());
            return Exit::Usage;
        }
        Err(exit) => return exit,
    };
    if let Err(error) = journal.run(run) {
        eprintln!("error: {error} (`wf runs` lists them)");
        return Exit::Usage;
    }
    let all = match journal.exchanges(run, None) {
        Ok(all) => all,
        Err(error) => return failed(&error),
    };
    // A step by its instance key, its id (`analysis/plan`) or its name (`plan`), every iteration.
    let matches = |key: &str| {
        let base = wf::report::step_of(key);
        key == step || base == step || base.rsplit('/').next() == Some(step)
    };
    let chosen: Vec<_> = all.iter().filter(|(key, ..)| matches(key)).collect();
    if chosen.is_empty() {
        let mut keys: Vec<&str> = all.iter().map(|(key, ..)| key.as_str()).collect();
        keys.dedup();
        let known = if keys.is_empty() { "none".to_owned() } else { keys.join(", ") };
        eprintln!("error: run {run} has no agent exchanges for `{step}` (agent steps with exchanges: {known})");
        return Exit::Usage;
    }
    match format {
        ReportFormat::Json => {
            let rows: Vec<serde_json::Value> = chosen
                .iter()
                .map(|(key, attempt, exchange)| {
                    serde_json::json!({
                        "key": key, "attempt": attempt, "provider": exchange.provider, "model": exchange.model,
                        "prompt": exchange.prompt, "answer": exchange.answer, "error": exchange.error,
                    })
                })
                .collect();
            print_json(&rows, "exchanges");
        }
        ReportFormat::Human => {
            let mut out = String::new();
            for (key, attempt, exchange) in chosen {
                out.push_str(&format!(
                    "{key} · attempt {attempt} · provider {} · model {}\n",
                    exchange.provider, exchange.model
                ));
                out.push_str("── prompt\n");
                out.push_str(exchange.prompt.trim_end());
                out.push('\n');
                if let Some(answer) = &exchange.answer {
                    out.push_str("── answer\n");
                    out.push_str(answer.trim_end());
                    out.push('\n');
                }
                if let Some(error) = &exchange.error {
                    out.push_str(&format!("── failed: {error}\n"));
                }
                out.push('\n');
            }
            print!("{out}");
        }
    }
    Exit::Success
}

pub fn stats(state_dir: &Path, workflow: Option<String>, since: Option<Duration>, format: ReportFormat) -> Exit {
    let filter = RunFilter { workflow, status: None, since: since.map(cutoff) };
    let read = |journal: &Journal| history::stats(journal, &filter, jiff::Timestamp::now().as_millisecond());
    let nothing = || Stats { since: filter.since, overall: empty(), workflows: Vec::new() };
    let stats = match read_or_empty(state_dir, format, read, nothing) {
        Ok(stats) => stats,
        Err(exit) => return exit,
    };
    match format {
        ReportFormat::Json => print_json(&stats, "stats"),
        ReportFormat::Human if stats.overall.runs == 0 => println!("no runs"),
        ReportFormat::Human => {
            let mut out = String::new();
            for workflow in &stats.workflows {
                out.push_str(&stats_block(&workflow.workflow, workflow));
            }
            if stats.workflows.len() > 1 {
                out.push_str(&stats_block("all workflows", &stats.overall));
            }
            print!("{out}");
        }
    }
    Exit::Success
}

/// `wf stats --by`'s periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrendBy {
    Day,
    Week,
}

/// `wf stats --by day|week`: the trends, for people or as JSON.
pub fn trends(
    state_dir: &Path,
    workflow: Option<String>,
    since: Option<Duration>,
    by: TrendBy,
    format: ReportFormat,
) -> Exit {
    let filter = RunFilter { workflow, status: None, since: since.map(cutoff) };
    let by = match by {
        TrendBy::Day => trends::By::Day,
        TrendBy::Week => trends::By::Week,
    };
    let nothing = || trends::Trends {
        by,
        since: filter.since,
        workflow: filter.workflow.clone(),
        periods: Vec::new(),
        models: Vec::new(),
        health: None,
    };
    let trends = match read_or_empty(state_dir, format, |journal| trends::trends(journal, &filter, by), nothing) {
        Ok(trends) => trends,
        Err(exit) => return exit,
    };
    match format {
        ReportFormat::Json => print_json(&trends, "trends"),
        ReportFormat::Human if trends.periods.is_empty() => println!("no runs"),
        ReportFormat::Human => print!("{}", trends_text(&trends)),
    }
    Exit::Success
}

/// `wf stats --html FILE`: the charts of the runs selected, as one page.
pub fn dashboard(state_dir: &Path, workflow: Option<String>, since: Option<Duration>, file: &Path) -> Exit {
    let filter = RunFilter { workflow, status: None, since: since.map(cutoff) };
    let journal = match open(state_dir) {
        Ok(Some(journal)) => journal,
        Ok(None) => {
            eprintln!("error: {}", no_journal(state_dir));
            return Exit::Usage;
        }
        Err(exit) => return exit,
    };
    let now = jiff::Timestamp::now().as_millisecond();
    let read = || -> Result<String, wf::journal::JournalError> {
        let trends = trends::trends(&journal, &filter, trends::By::Day)?;
        let stats = history::stats(&journal, &filter, now)?;
        let phases = journal.phase_durations(&filter)?;
        let steps = journal.costliest_steps(&filter, 10)?;
        Ok(wf::report::dashboard::html(&wf::report::dashboard::Dashboard {
            trends: &trends,
            stats: &stats,
            phases: &phases,
            steps: &steps,
        }))
    };
    let page = match read() {
        Ok(page) => page,
        Err(error) => return failed(&error),
    };
    if let Err(error) = std::fs::write(file, page) {
        eprintln!("error: cannot write `{}`: {error}", file.display());
        return Exit::Failure;
    }
    println!("wrote {}", file.display());
    Exit::Success
}

/// A row per period, then the models' cache use and the health score.
fn trends_text(trends: &trends::Trends) -> String {
    let head = if trends.by == trends::By::Day { "day" } else { "week of" };
    let mut rows =
        vec![[head, "runs", "ok", "failed", "success", "cost", "per success", "iterations", "duration"]
            .map(str::to_owned)];
    for period in &trends.periods {
        let dash = || "-".to_owned();
        rows.push([
            period.start.clone(),
            period.runs.to_string(),
            period.succeeded.to_string(),
            period.failed.to_string(),
            period.success_rate.map_or_else(dash, |rate| format!("{:.0}%", rate * 100.0)),
            format_cost(period.cost_micros),
            period.cost_per_success_micros.map_or_else(dash, format_cost),
            if period.runs == 0 { dash() } else { format!("{:.1}", period.iterations_per_run) },
            period.duration_mean_ms.map_or_else(dash, format_elapsed),
        ]);
    }
    let widths: Vec<usize> =
        (0..9).map(|column| rows.iter().map(|row| row[column].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(
                |(column, (cell, width))| {
                    if column == 0 {
                        wf::pad::left(cell, *width)
                    } else {
                        wf::pad::right(cell, *width)
                    }
                },
            )
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if !trends.models.is_empty() {
        out.push_str("\ncache hits (cached / all input tokens)\n");
        let width = trends.models.iter().map(|model| model.model.chars().count()).max().unwrap_or(0);
        for model in &trends.models {
            let rate = model.cache_hit_rate.map_or_else(|| "-".to_owned(), |rate| format!("{:.1}%", rate * 100.0));
            out.push_str(&format!(
                "  {}  {}  ({} of {} input tokens)\n",
                wf::pad::left(&model.model, width),
                wf::pad::right(&rate, 6),
                format_token_count(model.cached),
                format_token_count(model.input.saturating_add(model.cached))
            ));
        }
    }
    if let Some(health) = &trends.health {
        out.push_str(&format!(
            "\nhealth {}/100: {:.0}% succeeded, {:.0}% escalated, {:.0}% paused on a budget, {:.2} retries per run\n",
            health.score,
            health.success_rate * 100.0,
            health.escalation_rate * 100.0,
            health.budget_pause_rate * 100.0,
            health.retries_per_run
        ));
    }
    out
}

/// What `read` finds in the journal in `state_dir`; with no journal there, `empty()` — for
/// people, a line saying where it was looked for (and `Err(Exit::Success)`, nothing more to
/// print).
fn read_or_empty<T>(
    state_dir: &Path,
    format: ReportFormat,
    read: impl FnOnce(&Journal) -> Result<T, wf::journal::JournalError>,
    empty: impl FnOnce() -> T,
) -> Result<T, Exit> {
    match open(state_dir)? {
        Some(journal) => read(&journal).map_err(|error| failed(&error)),
        None if format == ReportFormat::Human => {
            println!("{}", no_journal(state_dir));
            Err(Exit::Success)
        }
        None => Ok(empty()),
    }
}

/// The journal in `state_dir`, if there is one; never creates it.
fn open(state_dir: &Path) -> Result<Option<Journal>, Exit> {
    if !state_dir.join("state.db").exists() {
        return Ok(None);
    }
    Journal::open(state_dir).map(Some).map_err(|error| {
        eprintln!("error: {error}");
        Exit::Usage
    })
}

/// Why there is nothing to list: where the journal was looked for, and how to look elsewhere.
fn no_journal(state_dir: &Path) -> String {
    format!(
        "no runs: there is no journal at `{}` (--state-dir DIR or WF_STATE_DIR names another)",
        state_dir.join("state.db").display()
    )
}

fn failed(error: &wf::journal::JournalError) -> Exit {
    eprintln!("error: {error}");
    Exit::Failure
}

/// The value as JSON with its shape's `version` (a list goes under `field`).
/// `wf show`'s JSON with its shape's version first, written as it is made (not first turned
/// into a `serde_json::Value`, which a run of 75,000 steps would make large).
#[derive(serde::Serialize)]
struct Versioned<'a, T: serde::Serialize> {
    version: u32,
    #[serde(flatten)]
    run: &'a T,
}

fn print_json<T: serde::Serialize>(value: &T, field: &str) {
    let value = wf::schema::versioned(serde_json::to_value(value).unwrap_or_default(), field);
    match serde_json::to_string_pretty(&value) {
        Ok(text) => println!("{text}"),
        Err(error) => eprintln!("error: {error}"),
    }
}

/// Now minus `since`, in ms since the epoch.
fn cutoff(since: Duration) -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let now = i64::try_from(now.as_millis()).unwrap_or(i64::MAX);
    now.saturating_sub(i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
}

fn runs_table(runs: &[RunSummary]) -> String {
    let rows: Vec<[String; 7]> = runs
        .iter()
        .map(|run| {
            [
                run.id.clone(),
                run.workflow.clone(),
                run.status.as_str().to_owned(),
                local_time(run.started_at),
                run.duration_ms.map_or_else(|| "-".to_owned(), format_elapsed),
                format_cost(run.cost_micros),
                format_token_count(run.tokens),
            ]
        })
        .collect();
    let header = ["ID", "WORKFLOW", "STATUS", "STARTED", "DURATION", "COST", "TOKENS"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
            // Numbers line up on the right.
            if column >= 4 {
                line.push_str(&wf::pad::right(cell, width));
            } else {
                line.push_str(&wf::pad::left(cell, width));
            }
            line.push_str("  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Writes `node` and what is under it; `out` is the one buffer every line is written through.
fn tree(writer: &mut impl Write, out: &mut String, node: &Node, depth: usize) -> std::io::Result<()> {
    out.clear();
    let symbol = match node.status.as_str() {
        "succeeded" => "✓",
        "failed" | "timed_out" => "✗",
        "skipped" => "□",
        "cancelled" => "⊘",
        _ => "…",
    };
    let mut line = format!("{}{symbol} {} {}", "  ".repeat(depth), node.key, node.kind);
    if node.status != "succeeded" {
        line.push_str(&format!(" {}", node.status.replace('_', " ")));
    }
    if let Some(duration) = node.duration_ms {
        line.push_str(&format!("  {}", format_elapsed(duration)));
    }
    if node.attempts > 1 {
        line.push_str(&format!("  {} attempts", node.attempts));
    }
    if let Some(iterations) = node.iterations {
        line.push_str(&format!("  {iterations} iteration{}", if iterations == 1 { "" } else { "s" }));
    }
    if node.cost_micros != 0 {
        line.push_str(&format!("  {}", format_cost(node.cost_micros)));
    }
    if let Some(tokens) = node.tokens.filter(|&tokens| tokens != 0) {
        line.push_str(&format!("  {} tokens", format_token_count(tokens)));
    }
    if let Some(error) = &node.error {
        line.push_str(&format!(": {error}"));
    }
    out.push_str(&line);
    out.push('\n');
    let pad = "  ".repeat(depth + 2);
    for check in &node.checks {
        let mark = if check.passed { "✓" } else { "✗" };
        let effect = if check.passed { String::new() } else { format!(" ({})", check.effect) };
        out.push_str(&format!("{pad}{mark} {} “{}”{effect}\n", check.level, check.message));
    }
    let decisions = report::human_decisions(&node.decisions);
    for line in decisions.lines() {
        // `human_decisions` labels its first line; under a step the step says it.
        out.push_str(&format!("{pad}? {}\n", line.trim_start().trim_start_matches("decisions").trim_start()));
    }
    writer.write_all(out.as_bytes())
}

/// "$4.10 of $5.00 (82%, warns at 80%)".
#[allow(clippy::cast_precision_loss)] // A percentage for people.
fn period_line(spent: String, limit: String, spent_n: i64, limit_n: i64, warn_at: Option<f64>) -> String {
    let percent = if limit_n > 0 { spent_n as f64 * 100.0 / limit_n as f64 } else { 0.0 };
    let warn = warn_at.map(|at| format!(", warns at {at:.0}%")).unwrap_or_default();
    format!("{spent} of {limit} ({percent:.0}%{warn})")
}

#[allow(clippy::cast_precision_loss)] // Percentages for people.
fn stats_block(name: &str, stats: &WorkflowStats) -> String {
    let mut out = format!("{name}\n");
    let mut runs =
        format!("{} ({} finished: {} succeeded, {} failed", stats.runs, stats.finished, stats.succeeded, stats.failed);
    if stats.paused > 0 || stats.budget_paused > 0 {
        runs.push_str(&format!("; {} paused, {} on a spent budget", stats.paused, stats.budget_paused));
    }
    runs.push(')');
    out.push_str(&format!("  runs           {runs}\n"));
    if let Some(rate) = stats.success_rate {
        out.push_str(&format!("  success rate   {:.1}%\n", rate * 100.0));
    }
    if let (Some(mean), Some(p95)) = (stats.duration_mean_ms, stats.duration_p95_ms) {
        out.push_str(&format!("  duration       mean {} · p95 {}\n", format_elapsed(mean), format_elapsed(p95)));
    }
    out.push_str(&format!(
        "  cost           mean {} · total {}\n",
        format_cost(stats.cost_mean_micros),
        format_cost(stats.cost_total_micros)
    ));
    out.push_str(&format!("  loops          {:.2} iterations per run\n", stats.iterations_per_run));
    out.push_str(&format!("  retries        {:.2} per run\n", stats.retries_per_run));
    out.push_str(&format!("  escalations    {:.1}% of runs ({})\n", stats.escalation_rate * 100.0, stats.escalated));
    for period in &stats.periods {
        let label = if period.period == "day" { "today" } else { "this month" };
        let mut against = Vec::new();
        if let Some(limit) = &period.budget.money {
            against.push(period_line(
                format_cost(period.spent_micros),
                format_cost(limit.amount),
                period.spent_micros,
                limit.amount,
                limit.warn_at,
            ));
        }
        if let Some(limit) = &period.budget.tokens {
            let (spent, of) =
                (i64::try_from(period.tokens).unwrap_or(i64::MAX), i64::try_from(limit.amount).unwrap_or(i64::MAX));
            against.push(period_line(
                wf::report::tokens(period.tokens),
                wf::report::tokens(limit.amount),
                spent,
                of,
                limit.warn_at,
            ));
        }
        out.push_str(&wf::pad::left(&format!("  {label}"), 17));
        out.push_str(&format!("{}\n", against.join(" · ")));
    }
    if let (Some(mean), Some(p95)) = (stats.approval_wait_mean_ms, stats.approval_wait_p95_ms) {
        out.push_str(&format!(
            "  approval wait  mean {} · p95 {} ({} {})\n",
            format_elapsed(mean),
            format_elapsed(p95),
            stats.approvals,
            if stats.approvals == 1 { "approval" } else { "approvals" }
        ));
    }
    out.push('\n');
    out
}

fn empty() -> WorkflowStats {
    WorkflowStats { workflow: history::ALL_WORKFLOWS.to_owned(), ..WorkflowStats::default() }
}
