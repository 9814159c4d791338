//! `wf run FILE` and `wf resume [RUN]`: check the file, then hand the workflow to the
//! runner with the views the flags ask for, and print the report.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};

use wf::ir::{Mode, Program, WorkflowId};
use wf::journal::program::Origins;
use wf::journal::{Journal, JournalError, RunRecord, RunStatus};
use wf::report::Palette;
use wf::run::progress::Expected;
use wf::run::view::{Ndjson, Plain, Tree};
use wf::run::{self, Begin, Observer, Options, Scenario, Target};

use super::history::ReportFormat;
use super::Exit;

/// Flags `run` and `resume` share.
#[derive(Debug, Args)]
pub struct Common {
    /// Approve this gate or risky step ahead of time (by name or id); repeatable.
    #[arg(long = "approve", value_name = "STEP")]
    pub approve: Vec<String>,
    /// Set the run's budget (`'$5'`, `'200k tokens'`), a phase's (`fix='$1'`) or, for this run,
    /// the budget per day or month (`day='$8'`, `month='$90'`) in place of the workflow's:
    /// higher to go on past a spent budget, or lower; repeatable.
    #[arg(long = "budget", value_name = "[PHASE=]AMOUNT", value_parser = parse_budget)]
    pub budget: Vec<(Option<String>, wf::cost::Budget)>,
    /// Never ask at the terminal: pause the run where a person must answer.
    #[arg(long)]
    pub no_input: bool,
    /// Override the workflow's mode.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Gate warnings fail the gate.
    #[arg(long, conflicts_with = "lenient")]
    pub strict: bool,
    /// Gate requirements only warn.
    #[arg(long)]
    pub lenient: bool,
    /// A scenario for the `sim` provider: JSON answers per agent step.
    #[arg(long, value_name = "FILE")]
    pub sim: Option<PathBuf>,
    /// Swap a provider for another without editing the file (`sim=claude-code`,
    /// `sim=local`); recorded in the run and kept by `wf resume`; repeatable.
    #[arg(long = "provider", value_name = "NAME=OTHER", value_parser = parse_swap)]
    pub providers: Vec<(String, String)>,
    /// Where the journal lives.
    #[arg(long, value_name = "DIR", env = "WF_STATE_DIR", default_value = ".wf")]
    pub state_dir: PathBuf,
    /// Print only the final report.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also show what commands print, as they print it.
    #[arg(long, short)]
    pub verbose: bool,
    /// Emit one JSON object per transition: on stdout, or to `--events-file`.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub events: Option<EventsFormat>,
    /// How to print the final report: for people, or as one JSON document on stdout (the
    /// progress view then goes to stderr).
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
    /// Write `--events` to this file instead of stdout.
    #[arg(long, value_name = "FILE", requires = "events")]
    pub events_file: Option<PathBuf>,
    /// How long a stopped command gets between SIGTERM and SIGKILL.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub kill_grace: Duration,
    /// The most wf keeps of one stream of a command (`64M`, `1G`, bytes): its first part and
    /// its last MiB, with a line saying what was cut between them.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub output_limit: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Autopilot,
    Supervised,
    Hybrid,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EventsFormat {
    Ndjson,
}

pub struct RunArgs {
    pub file: PathBuf,
    pub args: Vec<String>,
    pub workflow: Option<String>,
    pub dry_run: bool,
    pub common: Common,
}

pub fn run(request: RunArgs) -> Exit {
    let (program, target, origins) = match load(&request.file, request.workflow.as_deref()) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    let workflow = &program.workflows[target.0];
    let mut pairs = Vec::new();
    for arg in &request.args {
        match arg.split_once('=') {
            Some((name, value)) => pairs.push((name.trim().to_owned(), value.to_owned())),
            None => {
                eprintln!("error: `--arg {arg}` must be written NAME=VALUE");
                return Exit::Usage;
            }
        }
    }
    let args = match wf::args::bind(workflow, &pairs) {
        Ok(args) => args,
        Err(problems) => {
            for problem in problems {
                eprintln!("error: {problem}");
            }
            return Exit::Usage;
        }
    };
    if request.dry_run {
        print!("{}", run::plan::render(&program, workflow, &args));
        // The estimate is `wf cost`'s: one computation for both.
        println!();
        let past = super::cost::past_runs(&request.common.state_dir, &workflow.name).unwrap_or_else(|error| {
            eprintln!("warning: the estimate leaves out past runs: {error}");
            wf::cost::History::none()
        });
        print!("{}", wf::cost::table(&wf::cost::estimate_with(&program, workflow, &args, &past)));
        return Exit::Success;
    }
    let Some(file_hash) = hash_file(&request.file) else {
        return Exit::Usage;
    };
    let target = Target {
        program: &program,
        workflow: target,
        file: absolute(&request.file),
        file_hash,
        checked: Some(&origins),
    };
    let exit = execute(&target, Begin::New { args }, &request.common);
    // The process ends next: freeing the program piece by piece is time spent for nothing.
    std::mem::forget(target);
    std::mem::forget((program, origins));
    exit
}

pub fn resume(run_id: Option<String>, explain: bool, common: Common) -> Exit {
    let journal = match Journal::open(&common.state_dir) {
        Ok(journal) => journal,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Usage;
        }
    };
    let record = match &run_id {
        Some(id) => journal.run(id).map(Some),
        None => journal.latest_resumable(),
    };
    let record = match record {
        Ok(Some(record)) => record,
        Ok(None) => {
            eprintln!("error: no run to resume in {}", journal.path().display());
            return Exit::Usage;
        }
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Usage;
        }
    };
    if record.status == RunStatus::Succeeded && !explain {
        eprintln!("error: run {} already succeeded; there is nothing to resume", record.id);
        return Exit::Usage;
    }
    let file = PathBuf::from(&record.file);
    // The program the run stored, when no file it was checked from changed; else the file is
    // checked again, and what a changed step means is the resume's to work out.
    let (program, target, origins) = match stored(&journal, &record, &file) {
        Some((program, target)) => (program, target, None),
        None => match load(&file, Some(&record.workflow)) {
            Ok((program, target, origins)) => (program, target, Some(origins)),
            Err(exit) => return exit,
        },
    };
    if explain {
        return explain_resume(&journal, &record, &program, target);
    }
    let Some(file_hash) = hash_file(&file) else {
        return Exit::Usage;
    };
    let target = Target { program: &program, workflow: target, file, file_hash, checked: origins.as_ref() };
    let exit = execute(&target, Begin::Resume { run: Box::new(record) }, &common);
    // As in `run`: the process ends next, and a 10,000-step program takes a while to free.
    std::mem::forget(target);
    std::mem::forget((program, origins));
    exit
}

/// What the plain view counts progress against: `wf cost`'s expected steps and duration,
/// from `expect` and the workflow's past runs in this journal.
fn expected_progress(target: &Target<'_>, begin: &Begin, state_dir: &std::path::Path) -> Expected {
    let workflow = &target.program.workflows[target.workflow.0];
    let args = match begin {
        Begin::New { args } => args.clone(),
        Begin::Resume { run } => serde_json::from_str(&run.args).unwrap_or_default(),
    };
    let past = super::cost::past_runs(state_dir, &workflow.name).unwrap_or_else(|_| wf::cost::History::none());
    let estimate = wf::cost::estimate_with(target.program, workflow, &args, &past);
    let steps: Vec<&wf::cost::StepCost> = estimate
        .phases
        .iter()
        .filter(|phase| phase.kind != wf::cost::PhaseKind::OnFailure)
        .flat_map(|phase| &phase.steps)
        .collect();
    let per_step_ms = steps
        .iter()
        .map(|step| (step.id.clone(), step.amounts.duration.expected / step.runs.expected.max(1)))
        .collect();
    Expected {
        steps: steps.iter().map(|step| step.runs.expected).sum(),
        duration_ms: estimate.total.duration.expected,
        per_step_ms,
        work_ms: steps.iter().map(|step| step.amounts.duration.expected).sum(),
    }
}

fn execute(target: &Target<'_>, begin: Begin, common: &Common) -> Exit {
    let json = common.format == ReportFormat::Json;
    if json && common.events.is_some() && common.events_file.is_none() {
        eprintln!("error: `--format json` and `--events ndjson` both want stdout; give `--events-file FILE`");
        return Exit::Usage;
    }
    let journal = match Journal::open(&common.state_dir) {
        Ok(journal) => journal,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Usage;
        }
    };
    let sim = match &common.sim {
        None => None,
        Some(path) => {
            match std::fs::read_to_string(path).map_err(|e| e.to_string()).and_then(|t| Scenario::parse(&t)) {
                Ok(scenario) => Some(std::rc::Rc::new(scenario)),
                Err(error) => {
                    eprintln!("error: cannot use the scenario `{}`: {error}", path.display());
                    return Exit::Usage;
                }
            }
        }
    };
    let options = Options {
        state_dir: common.state_dir.clone(),
        mode: common.mode.map(|mode| match mode {
            ModeArg::Autopilot => Mode::Autopilot,
            ModeArg::Supervised => Mode::Supervised,
            ModeArg::Hybrid => Mode::Hybrid,
        }),
        strict: common.strict,
        lenient: common.lenient,
        approve: common.approve.clone(),
        sim,
        providers: common.providers.iter().cloned().collect(),
        kill_grace: common.kill_grace,
        output_limit: common.output_limit,
        user: std::env::var("USER").unwrap_or_else(|_| "someone".to_owned()),
        env: std::env::vars().collect::<HashMap<_, _>>(),
        verbose: common.verbose,
        prompt: !common.no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        raise: common.budget.clone(),
        spent_before: (0, 0),
    };
    // Human output goes to stdout, unless the events or the JSON report take stdout.
    let stdout_taken = json || common.events.is_some() && common.events_file.is_none();
    let human_on_terminal =
        if stdout_taken { std::io::stderr().is_terminal() } else { std::io::stdout().is_terminal() };
    let palette =
        Palette::new(super::color() && !stdout_taken || (stdout_taken && human_on_terminal && no_color_unset()));
    let mut observers: Vec<Box<dyn Observer>> = Vec::new();
    if let Some(EventsFormat::Ndjson) = common.events {
        match &common.events_file {
            None => observers.push(Box::new(Ndjson::new(std::io::stdout()))),
            Some(path) => match std::fs::File::create(path) {
                Ok(file) => observers.push(Box::new(Ndjson::new(std::io::BufWriter::new(file)))),
                Err(error) => {
                    eprintln!("error: cannot write events to `{}`: {error}", path.display());
                    return Exit::Usage;
                }
            },
        }
    }
    if !common.quiet {
        let expected = expected_progress(target, &begin, &common.state_dir);
        if stdout_taken {
            observers.push(Box::new(Plain::new(std::io::stderr(), palette.clone()).with_progress(expected)));
        } else if human_on_terminal && !common.verbose {
            observers.push(Box::new(Tree::new(palette.clone())));
        } else {
            observers.push(Box::new(Plain::new(std::io::stdout(), palette.clone()).with_progress(expected)));
        }
    }
    let ended = match run::execute(target, begin, &journal, &options, observers) {
        Ok(ended) => ended,
        // Nothing ran: secrets or providers unusable, or the run is another live process's (or done).
        Err(
            error @ (run::RunError::Secrets(_)
            | run::RunError::Providers(_)
            | run::RunError::Unaffordable(_)
            | run::RunError::Journal(JournalError::Owned { .. } | JournalError::Succeeded(_))),
        ) => {
            eprintln!("error: {error}");
            return Exit::Usage;
        }
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Failure;
        }
    };
    let report = match wf::report::build(&journal, &ended.run_id) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Failure;
        }
    };
    if json {
        let report = wf::schema::versioned(serde_json::to_value(&report).unwrap_or_default(), "report");
        match serde_json::to_string_pretty(&report) {
            Ok(text) => super::print_out(&format!("{text}\n")),
            Err(error) => eprintln!("error: {error}"),
        }
    } else {
        let text = wf::report::human(&report, &palette);
        if stdout_taken {
            eprint!("{text}");
        } else {
            super::print_out(&text);
        }
    }
    let hint = match (&ended.pause, ended.status) {
        (Some(pause), _) => Some(format!("paused at {}: continue with {}", pause.key, pause.hint)),
        (None, RunStatus::Interrupted | RunStatus::Failed) => {
            Some(format!("resume with `{}`", wf::hint::wf(&["resume", &ended.run_id], &common.state_dir)))
        }
        _ => None,
    };
    if let Some(hint) = hint {
        eprintln!("{hint}");
    }
    Exit::Code(ended.exit_code())
}

/// `--provider NAME=OTHER`.
pub fn parse_swap(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
            Ok((from.trim().to_owned(), to.trim().to_owned()))
        }
        _ => Err(format!("`{text}` must be written NAME=OTHER, such as `sim=claude-code`")),
    }
}

/// `--budget`: `$5`, `5.00`, `200k tokens`, or any of them after `KEY=` for a phase or call.
fn parse_budget(text: &str) -> Result<(Option<String>, wf::cost::Budget), String> {
    let (scope, amount) = match text.split_once('=') {
        Some((scope, amount)) => (Some(scope.trim().to_owned()).filter(|scope| !scope.is_empty()), amount.trim()),
        None => (None, text.trim()),
    };
    let mut budget = wf::cost::Budget::default();
    if let Some(count) = amount.strip_suffix("tokens") {
        match wf::args::parse_arg(&wf::ir::Type::Tokens, count.trim()) {
            Ok(wf::ir::Value::Tokens(tokens)) => {
                budget.tokens = Some(wf::cost::BudgetLimit { amount: tokens, warn_at: None });
            }
            Ok(_) | Err(_) => return Err(format!("`{amount}` is not a token count such as `200k tokens`")),
        }
    } else {
        match wf::args::parse_arg(&wf::ir::Type::Money, amount) {
            Ok(wf::ir::Value::Money(micros)) if micros > 0 => {
                budget.money = Some(wf::cost::BudgetLimit { amount: micros, warn_at: None });
            }
            Ok(_) | Err(_) => {
                return Err(format!(
                    "`{amount}` is not an amount of money such as `$5` or a count such as `200k tokens`"
                ))
            }
        }
    }
    Ok((scope, budget))
}

/// `--output-limit`: bytes, or a count of `k`, `M` or `G` (binary: `64M` is 64 MiB), at
/// least 2M so the memory limit (1 MiB) is spilled from and the end (1 MiB) kept.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let scale: u64 = match unit.trim().trim_end_matches(['B', 'b']).trim_end_matches('i') {
        "" => 1,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        _ => return Err(format!("`{text}` is not a size such as `64M` or `1G`")),
    };
    let count: u64 = digits.parse().map_err(|_| format!("`{text}` is not a size such as `64M` or `1G`"))?;
    let bytes = count.checked_mul(scale).ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes < 2 << 20 {
        return Err(format!("`{text}` is under 2M, the least wf can keep of a stream"));
    }
    Ok(bytes)
}

fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Checks the file and chooses the workflow; what went wrong is printed, and how to exit.
/// Also says which files the check read, for the journal to store the program under.
fn load(file: &Path, workflow: Option<&str>) -> Result<(Program, WorkflowId, Origins), Exit> {
    let chosen = super::workflow::choose(file, workflow)?;
    let origins = Origins::of(&chosen.outcome.sources, &|name| absolute(Path::new(name)).display().to_string());
    let (program, target) = chosen.into_program();
    Ok((program, target, origins))
}

/// The program `record` stored and its workflow, when every file it was checked from
/// (`file` and the modules it used) reads as it did then.
fn stored(journal: &Journal, record: &RunRecord, file: &Path) -> Option<(Program, WorkflowId)> {
    let (origins, program) = journal.program(record.program.as_deref()?).ok()??;
    let policy = super::source_policy(file);
    let read = |path: &str| policy.read(Path::new(path)).ok().map(String::into_bytes);
    if !origins.unchanged(&read) {
        return None;
    }
    let target = program.entry.iter().copied().find(|id| program.workflows[id.0].name == record.workflow)?;
    Some((program, target))
}

fn hash_file(file: &Path) -> Option<String> {
    match std::fs::read(file) {
        Ok(bytes) => Some(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()),
        Err(error) => {
            eprintln!("error: cannot read `{}`: {error}", file.display());
            None
        }
    }
}

fn absolute(file: &Path) -> PathBuf {
    std::path::absolute(file).unwrap_or_else(|_| file.to_owned())
}

/// `wf resume RUN --explain`: for every step instance the journal knows, and every step not
/// reached yet, whether a resume would reuse it or run it, and why.
fn explain_resume(journal: &Journal, record: &RunRecord, program: &Program, target: WorkflowId) -> Exit {
    let records = match journal.steps(&record.id) {
        Ok(records) => records,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Failure;
        }
    };
    let replay = run::replay::Replay::new(program, &record.plan, records.clone());
    println!("run {} `{}` ({}), {}", record.id, record.workflow, record.file, record.status.as_str());
    let mut sorted: Vec<_> = records.values().collect();
    sorted.sort_by_key(|record| record.seq);
    let workflow = &program.workflows[target.0];
    let mut seen = std::collections::HashSet::new();
    for step_record in sorted {
        if matches!(step_record.kind.as_str(), "phase" | "parallel" | "repeat" | "for") {
            continue;
        }
        // A step of the root workflow, or else of a called one (its key starts with the call's).
        let found = std::iter::once(target).chain((0..program.workflows.len()).map(WorkflowId)).find_map(|id| {
            let steps = &program.workflows[id.0].steps;
            steps.iter().position(|step| step.id == step_record.step_id).map(|position| (id, position))
        });
        let decision = match found {
            Some((id, position)) => {
                if id == target {
                    seen.insert(step_record.step_id.clone());
                }
                let step = &program.workflows[id.0].steps[position];
                replay.decide(&step_record.key, id, position, step, true)
            }
            None => run::replay::Decision::Run("its step is no longer in the file".into()),
        };
        match decision {
            run::replay::Decision::Reuse => println!("  reuse   {:<32} {}", step_record.key, step_record.status),
            run::replay::Decision::Run(why) => println!("  re-run  {:<32} {why}", step_record.key),
        }
    }
    for step in &workflow.steps {
        if !seen.contains(&step.id) && !matches!(step.kind, wf::ir::StepKind::Block(_)) {
            println!("  run     {:<32} not reached yet", step.id);
        }
    }
    Exit::Success
}
