#![allow(clippy::disallowed_methods)] // The runner is where wf starts processes, reads clocks and writes the journal.

//! Stage 4: running a checked workflow (spec §6, §7, §10).
//!
//! The only module with async code, processes and clocks. [`execute`] starts or resumes a
//! run on a single-threaded tokio runtime: every step and block is a future polled on one
//! thread, so step values need no locks, and concurrency (`parallel`, `for … parallel`) is
//! commands running at once, not threads. Every transition is committed to the [`crate::journal`]
//! before the next thing starts; see ARCHITECTURE.md and docs/running.md.

mod ask;
mod budget;

pub mod event;
mod exec;
mod output;
pub mod plan;
pub mod progress;
mod record;

pub mod redact;
pub mod replay;
mod scope;
mod shell;
mod step;
mod terminal;
pub mod view;
mod watch;
mod window;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use indexmap::IndexMap;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use crate::agent::Scenario;
use crate::journal::{Journal, JournalError, NewRun, Owner, RunOptions, RunRecord, RunStatus};
use budget::Purse;
pub use event::{Event, Observer, Status};
pub use exec::Pause;
use exec::{Cx, Flow, Runner};
use record::now_ms;
use replay::Replay;
use scope::{Costs, Frame};

use crate::ir::{Mode, Program, Value, WorkflowId};

/// How to run.
pub struct Options {
    /// Where the journal and run folders live (`.wf`).
    pub state_dir: PathBuf,
    /// Overrides the workflow's `mode`.
    pub mode: Option<Mode>,
    /// Gate warnings fail.
    pub strict: bool,
    /// Gate requirements only warn.
    pub lenient: bool,
    /// Gates and steps (by name, id or instance key) approved ahead of time.
    pub approve: Vec<String>,
    pub sim: Option<std::rc::Rc<Scenario>>,
    /// `--provider NAME=OTHER`: providers swapped for others, by name.
    pub providers: std::collections::BTreeMap<String, String>,
    /// Between SIGTERM and SIGKILL when a command is stopped.
    pub kill_grace: Duration,
    /// The most a command's spill file holds, per stream (`--output-limit`).
    pub output_limit: u64,
    /// Who approves with `--approve`.
    pub user: String,
    /// The process's environment: secrets are read from it, `env("NAME")` reads the rest.
    pub env: HashMap<String, String>,
    /// Show what commands print.
    pub verbose: bool,
    /// wf runs at a terminal: questions are asked there instead of pausing the run.
    pub prompt: bool,
    /// `--budget`: the run's budget (scope `None`) or a phase's or call's, by key, raised.
    pub raise: Vec<(Option<String>, crate::cost::Budget)>,
    /// Money (micro-dollars) and tokens that the run spent before this process's part of it:
    /// the earlier tasks of a compiled workflow on an engine (`wf step`). Held against the
    /// run's budget and the budgets across runs, as if this run's ledger held it.
    pub spent_before: (i64, u64),
}

/// What to run: a checked program and one of its workflows.
pub struct Target<'a> {
    pub program: &'a Program,
    pub workflow: WorkflowId,
    /// The workflow file, as the journal records it (absolute).
    pub file: PathBuf,
    /// SHA-256 of the file's text.
    pub file_hash: String,
    /// Where the program was checked from, when it was checked now (not loaded from the
    /// journal): the journal stores it under that, for `wf resume` to load.
    pub checked: Option<&'a crate::journal::program::Origins>,
}

pub enum Begin {
    New { args: IndexMap<String, Value> },
    Resume { run: Box<RunRecord> },
}

/// How a run ended.
#[derive(Debug)]
pub struct Ended {
    pub run_id: String,
    pub status: RunStatus,
    pub error: Option<String>,
    pub pause: Option<Pause>,
}

impl Ended {
    /// Spec §11: 0 success, 1 failed, 3 paused, 130 interrupted.
    pub fn exit_code(&self) -> u8 {
        match self.status {
            RunStatus::Succeeded => 0,
            RunStatus::Failed | RunStatus::Running | RunStatus::Crashed => 1,
            RunStatus::Paused => 3,
            RunStatus::Interrupted => 130,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the arguments recorded for run {run} cannot be read: {reason}")]
    Args { run: String, reason: String },
    /// Secrets unset or unusable: nothing ran and no run was created (exit 2).
    #[error(transparent)]
    Secrets(#[from] redact::SecretsError),
    /// Providers that cannot be used (a key unset, an unknown `--provider`): nothing ran and
    /// no run was created (exit 2).
    #[error(transparent)]
    Providers(#[from] crate::agent::KeyProblem),
    /// A budget too small for the first step that spends: the run would pause before doing
    /// anything, so none is created (exit 2).
    #[error("{0}")]
    Unaffordable(String),
}

/// Starts a new run or resumes one, and runs it to its end (or pause, or interruption).
pub fn execute(
    target: &Target<'_>,
    begin: Begin,
    journal: &Journal,
    options: &Options,
    observers: Vec<Box<dyn Observer + '_>>,
) -> Result<Ended, RunError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(RunError::Runtime)?;
    runtime.block_on(run(target, begin, journal, options, observers))
}

/// Which branch of an `if` a run of workflow `id` takes when the `if` is the first thing it
/// runs (a compiled workflow's condition task, `wf step --branch`): read with
/// [`crate::ir::eval::branch`] in the scope such a run starts with — its arguments, the
/// environment without the secrets, no step values yet — as the runner reads it. `None` is the
/// `else`; an error is the runner's own, which the run reports when it reaches the `if`.
pub fn branch(
    program: &Program,
    id: WorkflowId,
    branches: &[crate::ir::Branch],
    args: &IndexMap<String, Value>,
    env: &HashMap<String, String>,
) -> Result<Option<usize>, String> {
    let secrets = redact::Secrets::load(program, id, env).map_err(|error| error.to_string())?;
    let frame = Frame::root();
    let scope = scope::Scope { workflow: &program.workflows[id.0], args, frame: &frame, env: secrets.environment() };
    crate::ir::eval::branch(branches, &scope).map_err(|(_, error)| format!("an `if` condition: {error}"))
}

async fn run(
    target: &Target<'_>,
    begin: Begin,
    journal: &Journal,
    options: &Options,
    observers: Vec<Box<dyn Observer + '_>>,
) -> Result<Ended, RunError> {
    let program = target.program;
    let workflow = &program.workflows[target.workflow.0];
    let plan = replay::plan(program);
    let owner = Owner::current();
    // Read on every start and resume, never journaled: before anything is created or runs.
    let mut secrets = redact::Secrets::load(program, target.workflow, &options.env)?;
    // A resume keeps the providers the run started with, unless given others.
    let mut swaps = match &begin {
        Begin::New { .. } => std::collections::BTreeMap::new(),
        Begin::Resume { run } => run.options().providers,
    };
    swaps.extend(options.providers.iter().map(|(from, to)| (from.clone(), to.clone())));
    let agents = crate::agent::resolve(program, target.workflow, &swaps, &options.env, options.sim.clone())?;
    secrets.add_keys(&agents.keys);
    let (run_id, args, replay, recorded, resumed) = match begin {
        Begin::New { args } => {
            secrets.check_args(&args)?;
            let args_json = serde_json::to_string(&args).map_err(JournalError::from)?;
            let mut recorded = RunOptions {
                mode: options.mode.map(|mode| Mode::NAMES[mode as usize].to_owned()),
                strict: options.strict,
                lenient: options.lenient,
                providers: swaps.clone(),
                ..RunOptions::default()
            };
            raise_budgets(&mut recorded, workflow, &args, &options.raise);
            let file = target.file.to_string_lossy();
            let periods = period_budgets(journal, workflow, &file, &recorded, now_ms())?;
            if let Some(reason) = unaffordable_start(program, workflow, &args, &recorded, &periods) {
                return Err(RunError::Unaffordable(reason));
            }
            let options_json = serde_json::to_string(&recorded).map_err(JournalError::from)?;
            let id = journal.create_run(&NewRun {
                workflow: &workflow.name,
                file: &file,
                file_hash: &target.file_hash,
                args: &args_json,
                plan: &plan,
                options: &options_json,
                owner,
                at: now_ms(),
                program: target.checked.map(|origins| (origins, program)),
            })?;
            (id, args, Replay::default(), recorded, false)
        }
        Begin::Resume { run } => {
            // Claimed first, and everything else read after: what the journal held before
            // another process finished its own resume would make this one run steps again.
            let checked = target.checked.map(|origins| (origins, program));
            let run = journal.claim(&run.id, &plan, &target.file_hash, owner, checked)?;
            let args: IndexMap<String, Value> = serde_json::from_str(&run.args)
                .map_err(|error| RunError::Args { run: run.id.clone(), reason: error.to_string() })?;
            let records = journal.steps(&run.id)?;
            let replay = Replay::new(program, &run.plan, records);
            let mut recorded = run.options();
            raise_budgets(&mut recorded, workflow, &args, &options.raise);
            if let Some(mode) = options.mode {
                recorded.mode = Some(Mode::NAMES[mode as usize].to_owned());
            }
            recorded.providers = swaps.clone();
            journal.set_options(&run.id, &recorded)?;
            (run.id.clone(), args, replay, recorded, true)
        }
    };
    let decisions = if resumed { journal.decisions(&run_id)? } else { Vec::new() };
    let warned = if resumed { budget_warnings(journal, &run_id)? } else { HashSet::new() };
    let (before_micros, before_tokens) = options.spent_before;
    let with_before =
        |(micros, tokens): (i64, u64)| (micros.saturating_add(before_micros), tokens.saturating_add(before_tokens));
    let prior = with_before(if resumed { journal.spent(&run_id)? } else { (0, 0) });
    let warned_of = |scope: &str| {
        (
            warned.contains(&(scope.to_owned(), "money".to_owned())),
            warned.contains(&(scope.to_owned(), "tokens".to_owned())),
        )
    };
    // The budgets across runs hold the run's: the month's outside the day's.
    let mut around: Option<Rc<Purse>> = None;
    for period in period_budgets(journal, workflow, &target.file.to_string_lossy(), &recorded, now_ms())? {
        let purse = Purse::period(
            around.as_ref(),
            period.period.name(),
            period.limits,
            with_before(period.spent),
            warned_of(period.period.name()),
        );
        around = Some(purse);
    }
    let root_purse = match &around {
        None => Purse::root(recorded.budget.clone(), prior, warned_of("run")),
        Some(around) => Purse::child(around, "run".to_owned(), recorded.budget.clone(), prior, warned_of("run")),
    };
    let base_dir = target.file.parent().map(PathBuf::from).unwrap_or_default();
    // `concurrency n` is read with the run's arguments, like every other bound.
    let concurrency = match &workflow.concurrency {
        None => Ok(None),
        Some(bound) => {
            let frame = Frame::root();
            let scope = scope::Scope { workflow, args: &args, frame: &frame, env: secrets.environment() };
            match crate::ir::eval::count(bound, &scope) {
                Ok(0) => Err("`concurrency` is 0: at least 1 step must be able to run".to_owned()),
                Ok(limit) => Ok(Some(limit)),
                Err(error) => Err(format!("`concurrency`: {error}")),
            }
        }
    };
    let runner = Runner {
        program,
        journal,
        run_id: run_id.clone(),
        options,
        observers,
        base_dir,
        // A resume keeps the `--mode` the run started with, unless given another.
        mode: options.mode.or_else(|| recorded.mode.as_deref().and_then(Mode::from_name)).unwrap_or(workflow.mode),
        replay,
        invocations: RefCell::default(),
        undo: RefCell::default(),
        concurrency: concurrency
            .clone()
            .ok()
            .flatten()
            .map(|limit| Semaphore::new(usize::try_from(limit).unwrap_or(usize::MAX).min(Semaphore::MAX_PERMITS))),
        root: CancellationToken::new(),
        interrupted: Cell::new(false),
        journal_failed: RefCell::default(),
        started: Instant::now(),
        secrets,
        agents,
        decisions: RefCell::new(decisions),
        terminal: options.prompt.then(terminal::Terminal::new),
        warned,
        raised: recorded.scopes.clone(),
        source: std::fs::read_to_string(&target.file).ok().map(|text| (shown_path(&target.file), text)),
        staged: Cell::new(false),
        unshown: RefCell::default(),
        commits: Cell::new(0),
        waiting: Cell::new(0),
        committed: tokio::sync::Notify::new(),
    };
    // Records, and lists holding them, as the JSON `--arg` reads; other values as their text.
    let args_json = serde_json::Value::Object(
        args.iter()
            .map(|(name, value)| {
                let structured = match value {
                    Value::Record(_) => true,
                    Value::List(items) => items.iter().any(|item| matches!(item, Value::Record(_))),
                    _ => false,
                };
                let json = if structured { value.to_json() } else { serde_json::Value::String(value.to_text()) };
                (name.clone(), json)
            })
            .collect(),
    );
    let started = Event::RunStarted {
        run: run_id.clone(),
        workflow: workflow.name.clone(),
        file: target.file.display().to_string(),
        args: args_json,
        resumed,
    };
    let raised = runner.emit(started, None, &[]).and_then(|()| runner.budget_raised(&options.raise));
    let flow = match raised.and_then(|()| {
        concurrency
            .map_err(|message| Flow::Failed(exec::Failure { key: workflow.name.clone(), message, rollback: false }))
    }) {
        Err(flow) => flow,
        Ok(_) => match runner.workflow_cx(target.workflow, args, String::new()) {
            Err(message) => Flow::Failed(exec::Failure { key: workflow.name.clone(), message, rollback: false }),
            Ok(wf) => {
                let cx = Cx {
                    wf,
                    frame: Frame::root(),
                    cancel: runner.root.clone(),
                    costs: Costs::root(),
                    purse: root_purse,
                    reusable: true,
                };
                let main = std::pin::pin!(runner.workflow(cx, runner.root.clone()));
                let main = std::pin::pin!(until_idle(main, &runner));
                until_interrupted(main, &runner).await
            }
        },
    };
    let (status, error, pause) = match flow {
        Flow::Done => (RunStatus::Succeeded, None, None),
        Flow::Failed(failure) => (RunStatus::Failed, Some(failure.message), None),
        Flow::Paused(pause) => (RunStatus::Paused, Some(pause.reason.clone()), Some(pause)),
        Flow::Cancelled if runner.interrupted.get() => (RunStatus::Interrupted, Some("interrupted".to_owned()), None),
        Flow::Cancelled => (RunStatus::Failed, Some("cancelled".to_owned()), None),
    };
    runner.flush();
    let error = runner.journal_failed.borrow().clone().or(error);
    let redactor = runner.secrets.redactor();
    let error = error.map(|error| redactor.text(&error).into_owned());
    let pause = pause.map(|pause| Pause {
        reason: redactor.text(&pause.reason).into_owned(),
        hint: redactor.text(&pause.hint).into_owned(),
        ..pause
    });
    let ended_at = (status != RunStatus::Paused && status != RunStatus::Interrupted).then(now_ms);
    journal.set_status(&run_id, status, error.as_deref(), ended_at.or(Some(now_ms())))?;
    let finished = Event::RunFinished {
        status: status.as_str(),
        duration_ms: record::millis(runner.started.elapsed()),
        error: error.clone(),
    };
    let _ = runner.emit(finished, None, &[]);
    for observer in &runner.observers {
        observer.finish();
    }
    Ok(Ended { run_id, status, error, pause })
}

/// Runs `main`; on SIGINT or SIGTERM cancels everything and waits for the steps to end
/// their processes, so the journal says exactly what finished.
async fn until_interrupted<F: std::future::Future<Output = Flow>>(
    mut main: std::pin::Pin<&mut F>,
    runner: &Runner<'_>,
) -> Flow {
    let (Ok(mut interrupt), Ok(mut terminate)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
        return main.await;
    };
    tokio::select! {
        flow = &mut main => return flow,
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    runner.interrupted.set(true);
    runner.root.cancel();
    main.await;
    Flow::Cancelled
}

/// How long a staged transition waits for a commit when no step waits for one: the end of
/// a step that nothing follows yet is shown (and committed) this late at most.
const COMMIT_DELAY: Duration = Duration::from_millis(10);

/// Runs `main`, committing the journal's staged transitions (see `Runner::flush`) whenever
/// everything that can go on has gone on and a step waits for the commit to start its
/// process, or after [`COMMIT_DELAY`] when none does: one commit for many transitions.
async fn until_idle<F: std::future::Future<Output = Flow>>(
    mut main: std::pin::Pin<&mut F>,
    runner: &Runner<'_>,
) -> Flow {
    let mut delay: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    std::future::poll_fn(|context| {
        let polled = std::future::Future::poll(main.as_mut(), context);
        if polled.is_ready() || runner.waiting.get() > 0 {
            runner.flush();
            delay = None;
        } else if runner.staged.get() || !runner.unshown.borrow().is_empty() {
            let due = delay.get_or_insert_with(|| Box::pin(tokio::time::sleep(COMMIT_DELAY)));
            if std::future::Future::poll(due.as_mut(), context).is_ready() {
                runner.flush();
                delay = None;
            }
        } else {
            delay = None;
        }
        polled
    })
    .await
}

/// A path as people name it: relative to the working folder when it is inside it.
fn shown_path(path: &std::path::Path) -> String {
    let relative = std::env::current_dir().ok().and_then(|dir| path.strip_prefix(dir).ok().map(PathBuf::from));
    relative.as_deref().unwrap_or(path).display().to_string()
}

/// Records the file's budgets in `recorded` with every `--budget` raise given now or at an
/// earlier start of the run: the run's own in `budget`, the others by key in `scopes`.
fn raise_budgets(
    recorded: &mut RunOptions,
    workflow: &crate::ir::Workflow,
    args: &IndexMap<String, Value>,
    raises: &[(Option<String>, crate::cost::Budget)],
) {
    let mut run = recorded.raised.clone();
    for (scope, raise) in raises {
        match scope {
            None => run = exec::raise(&run, raise),
            Some(key) => {
                let entry = recorded.scopes.entry(key.clone()).or_default();
                *entry = exec::raise(entry, raise);
            }
        }
    }
    // The file's budget reads the run's arguments, as every bound does.
    let frame = Frame::root();
    let none = std::collections::HashMap::new();
    let scope = scope::Scope { workflow, args, frame: &frame, env: &none };
    recorded.budget = exec::raise(&crate::cost::Budget::from_ir(&workflow.budget, &scope), &run);
    recorded.raised = run;
    recorded.periods = crate::ir::Period::ALL
        .into_iter()
        .filter(|period| !workflow.periods.get(*period).is_empty())
        .map(|period| (period.name().to_owned(), crate::cost::Budget::from_ir(workflow.periods.get(period), &scope)))
        .collect();
}

/// A budget across runs as it stands for this run: its limits (the file's, or a `--budget
/// day=…` raise) and what every run of the workflow spent since the period began.
struct PeriodBudget {
    period: crate::ir::Period,
    limits: crate::cost::Budget,
    spent: (i64, u64),
}

/// The workflow's budgets across runs, the month's first; records the declared ones in
/// `recorded.periods` for `wf stats`.
fn period_budgets(
    journal: &Journal,
    workflow: &crate::ir::Workflow,
    file: &str,
    recorded: &RunOptions,
    now: i64,
) -> Result<Vec<PeriodBudget>, JournalError> {
    let mut out = Vec::new();
    for period in [crate::ir::Period::Month, crate::ir::Period::Day] {
        let Some(declared) = recorded.periods.get(period.name()) else { continue };
        let limits = match recorded.scopes.get(period.name()) {
            Some(raised) => exec::raise(declared, raised),
            None => declared.clone(),
        };
        let since = crate::journal::period_start(period, now);
        out.push(PeriodBudget { period, limits, spent: journal.spent_since(&workflow.name, file, since)? });
    }
    Ok(out)
}

/// Why a new run could not even start its first step that spends, if it could not: that
/// step's expected spend (what the runner would reserve) is over the run's budget or a
/// phase's around it. Only the steps every run reaches first are looked at: phases and loop
/// bodies are entered, and the walk stops at the first branch, `for`, `parallel`, call or
/// spending step.
fn unaffordable_start(
    program: &crate::ir::Program,
    workflow: &crate::ir::Workflow,
    args: &IndexMap<String, Value>,
    recorded: &RunOptions,
    periods: &[PeriodBudget],
) -> Option<String> {
    use crate::hint;
    use crate::ir::{format_money, format_tokens, Node, StepKind};

    /// What the walk found: go on, or stop with the answer.
    enum Found {
        Nothing,
        Stop(Option<String>),
    }
    struct Walk<'a> {
        program: &'a crate::ir::Program,
        workflow: &'a crate::ir::Workflow,
        scope: scope::Scope<'a>,
        recorded: &'a RunOptions,
        /// The budgets around the step: `None` for the run's, else the phase's key (or `day`,
        /// `month`); and what was spent of each before the run.
        budgets: Vec<(Option<String>, crate::cost::Budget, (i64, u64))>,
    }
    impl Walk<'_> {
        fn nodes(&mut self, nodes: &[Node]) -> Found {
            for node in nodes {
                if let Found::Stop(answer) = self.node(node) {
                    return Found::Stop(answer);
                }
            }
            Found::Nothing
        }

        fn node(&mut self, node: &Node) -> Found {
            match node {
                Node::Step(index) => {
                    let step = &self.workflow.steps[index.0];
                    if matches!(step.kind, StepKind::Call(_)) {
                        return Found::Stop(None);
                    }
                    let (money, tokens) = crate::cost::per_attempt(self.program, step);
                    if money == 0 && tokens == 0 {
                        return Found::Nothing;
                    }
                    Found::Stop(self.over(&step.id, money, tokens))
                }
                Node::Phase { step, body, control } => {
                    let key = self.workflow.steps[step.0].id.clone();
                    let mut limits = crate::cost::Budget::from_ir(&control.budget, &self.scope);
                    if let Some(raised) = self.recorded.scopes.get(&key) {
                        limits = exec::raise(&limits, raised);
                    }
                    self.budgets.push((Some(key), limits, (0, 0)));
                    let found = self.nodes(body);
                    self.budgets.pop();
                    found
                }
                Node::Repeat { body, control, step: None, .. }
                    if control.budget.money.is_none() && control.budget.tokens.is_none() =>
                {
                    self.nodes(body)
                }
                _ => Found::Stop(None),
            }
        }

        /// The first budget around `step` that `money` or `tokens` goes over, said.
        fn over(&self, step: &str, money: i64, tokens: u64) -> Option<String> {
            for (scope, budget, (spent_money, spent_tokens)) in self.budgets.iter().rev() {
                let whose = match scope.as_deref() {
                    Some(period @ ("day" | "month")) => format!("{} budget", budget::whose(period)),
                    Some(key) => format!("phase `{key}`'s budget"),
                    None => "the run's budget".to_owned(),
                };
                let prefix = scope.as_ref().map(|key| format!("{key}=")).unwrap_or_default();
                let say = |limit: String, spent: Option<String>, needed: String, raise: String| {
                    let flag = hint::quote(&format!("{prefix}{raise}"));
                    let spent = spent.map(|spent| format!(" ({spent} spent)")).unwrap_or_default();
                    Some(format!(
                        "{whose} of {limit}{spent} cannot cover the first step that spends, `{step}`, which expects {needed}: nothing ran and no run was created; run it again with `--budget {flag}` or more"
                    ))
                };
                let needed_money = spent_money.saturating_add(money);
                if let Some(limit) = budget.money.filter(|limit| money != 0 && needed_money > limit.amount) {
                    return say(
                        format_money(limit.amount),
                        (*spent_money != 0).then(|| format_money(*spent_money)),
                        format_money(money),
                        hint::raised_money(limit.amount, needed_money),
                    );
                }
                let needed_tokens = spent_tokens.saturating_add(tokens);
                if let Some(limit) = budget.tokens.filter(|limit| tokens != 0 && needed_tokens > limit.amount) {
                    return say(
                        format_tokens(limit.amount),
                        (*spent_tokens != 0).then(|| format_tokens(*spent_tokens)),
                        format_tokens(tokens),
                        hint::raised_tokens(limit.amount, needed_tokens),
                    );
                }
            }
            None
        }
    }

    let frame = Frame::root();
    let none = std::collections::HashMap::new();
    let mut walk = Walk {
        program,
        workflow,
        scope: scope::Scope { workflow, args, frame: &frame, env: &none },
        recorded,
        budgets: periods
            .iter()
            .map(|period| (Some(period.period.name().to_owned()), period.limits.clone(), period.spent))
            .chain([(None, recorded.budget.clone(), (0, 0))])
            .collect(),
    };
    match walk.nodes(&workflow.body) {
        Found::Stop(answer) => answer,
        Found::Nothing => None,
    }
}

/// The budgets (scope, resource) whose warning a run already gave.
fn budget_warnings(journal: &Journal, run: &str) -> Result<HashSet<(String, String)>, JournalError> {
    let mut warned = HashSet::new();
    // Only the warnings: a resume of a long run must not read every event it recorded.
    for event in journal.events_of(run, "budget_warning")? {
        let data: serde_json::Value = serde_json::from_str(&event.data)?;
        let field = |name: &str| data.get(name).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        warned.insert((field("scope"), field("resource")));
    }
    Ok(warned)
}
