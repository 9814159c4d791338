#![allow(clippy::disallowed_methods)] // The CLI is where wf reads files, the environment and the terminal.

//! The command line: parsing arguments, running a command, turning its outcome into an exit
//! code (spec §11: 0 success, 1 failure or errors found, 2 usage error, 3 paused, 130
//! interrupted).

mod approve;
mod check;
mod compile;
mod cost;
mod doctor;
mod explain;
mod files;
mod fmt;
mod graph;
mod history;
mod import;
mod init;
mod list;
mod lsp;
mod run;
mod shell;
mod step;
mod workflow;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use wf::diag::Format;

/// wf: workflows for development teams, checked before they run.
#[derive(Debug, Parser)]
#[command(name = "wf", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Let `use` read modules outside the project (the nearest folder above the file that
    /// holds `.git`, else the current folder).
    #[arg(long, global = true)]
    allow_outside_project: bool,
}

/// Set once from `--allow-outside-project`, read by every command that loads modules.
static ALLOW_OUTSIDE_PROJECT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// What may be read when checking `root` and the modules it uses.
pub fn source_policy(root: &std::path::Path) -> wf::source::Policy {
    wf::source::Policy::for_root(root, ALLOW_OUTSIDE_PROJECT.load(std::sync::atomic::Ordering::Relaxed))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check workflow files (and the modules they use) without running anything.
    Check {
        /// Files, or directories meaning every `.wf` file under them; none means `.`.
        #[arg(value_name = "FILE|DIR")]
        files: Vec<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Treat warnings as errors (exit 1 when there are any).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Run a workflow: check it, then execute it with a journal at `.wf/state.db`.
    Run {
        /// The `.wf` file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// A workflow parameter, `NAME=VALUE`; repeatable.
        #[arg(long = "arg", value_name = "NAME=VALUE")]
        args: Vec<String>,
        /// Which workflow, when the file declares several.
        #[arg(long, value_name = "NAME")]
        workflow: Option<String>,
        /// Print the execution plan without running anything.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        common: run::Common,
    },
    /// Continue a failed, interrupted, paused or crashed run; finished steps are not run again.
    Resume {
        /// The run id (the latest resumable run when left out).
        #[arg(value_name = "RUN")]
        run: Option<String>,
        /// Print, per step, whether it would be reused or run again and why; run nothing.
        #[arg(long)]
        explain: bool,
        #[command(flatten)]
        common: run::Common,
    },
    /// Answer what a paused run waits for: approve or reject a gate, decide an escalation.
    Approve {
        /// The run id (`wf runs` lists them).
        #[arg(value_name = "RUN")]
        run: String,
        /// The gate or step asked about: its name, id or instance key.
        #[arg(value_name = "STEP")]
        name: String,
        /// Reject instead of approving (the gate fails).
        #[arg(long, conflicts_with = "decide")]
        reject: bool,
        /// A comment kept with the answer (a gate's `comment`).
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
        /// Who answers (default: $USER).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        /// What to do about an escalated failure.
        #[arg(long, value_enum, value_name = "CHOICE")]
        decide: Option<approve::Decide>,
        /// Where the journal lives.
        #[arg(long, value_name = "DIR", env = "WF_STATE_DIR", default_value = ".wf")]
        state_dir: PathBuf,
    },
    /// Estimate a workflow's money, tokens and time (least, expected, worst) before it runs.
    Cost {
        /// The `.wf` file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// A workflow argument, as NAME=VALUE (repeatable); parameters left out take their defaults.
        #[arg(long = "arg", value_name = "NAME=VALUE")]
        args: Vec<String>,
        /// The workflow to estimate, when the file has several.
        #[arg(long, value_name = "NAME")]
        workflow: Option<String>,
        /// How to print the estimate.
        #[arg(long, value_enum, default_value = "human")]
        format: cost::CostFormat,
        /// Estimate from the workflow alone: a step with no `expect` is not estimated from
        /// its past runs in the journal.
        #[arg(long)]
        no_history: bool,
        /// Where the journal lives (its past runs estimate steps that state no `expect`).
        #[arg(long, value_name = "DIR", env = "WF_STATE_DIR", default_value = ".wf")]
        state_dir: PathBuf,
    },
    /// Draw a workflow as a diagram: phases, steps, parallel groups, loops and conditions.
    Graph {
        /// The `.wf` file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// A workflow argument, as NAME=VALUE (repeatable): a `for` over a list parameter shows
        /// how many times it runs; parameters left out take their defaults.
        #[arg(long = "arg", value_name = "NAME=VALUE")]
        args: Vec<String>,
        /// The workflow to draw, when the file has several.
        #[arg(long, value_name = "NAME")]
        workflow: Option<String>,
        /// The diagram language.
        #[arg(long, value_enum, default_value = "mermaid")]
        format: graph::GraphFormat,
    },
    /// Write a workflow as an Argo Workflows manifest or a GitHub Actions workflow file.
    Compile(compile::CompileArgs),
    /// Run one node of a compiled workflow, as an engine's task does (docs/compile.md).
    Step(step::StepArgs),
    /// Record a compiled workflow's run report (its report node's) as a finished run.
    Import(import::ImportArgs),
    /// Rewrite workflow files in the one canonical layout, keeping every comment.
    Fmt {
        /// Files, or directories meaning every `.wf` file under them; none means `.`.
        #[arg(value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        /// Change nothing: print a diff and exit 1 if any file is not formatted.
        #[arg(long)]
        check: bool,
        /// Format standard input and write the result to standard output.
        #[arg(long, conflicts_with = "paths")]
        stdin: bool,
    },
    /// Explain a diagnostic code, with an example that triggers it and its fix.
    Explain {
        /// A code such as `wf::check::unknown_name` (or just `unknown_name`); none lists all.
        code: Option<String>,
    },
    /// List recent runs, newest first: status, duration, cost and tokens.
    Runs {
        /// Only runs of this workflow.
        #[arg(long, value_name = "NAME")]
        workflow: Option<String>,
        /// Only runs with this status.
        #[arg(long, value_enum)]
        status: Option<history::StatusArg>,
        /// Only runs started within this long (`30d`, `12h`).
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        since: Option<std::time::Duration>,
        /// At most this many runs.
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        #[arg(long, value_enum, default_value = "human")]
        format: history::ReportFormat,
        /// Where the journal lives.
        #[arg(long, value_name = "DIR", env = "WF_STATE_DIR", default_value = ".wf")]
        state_dir: PathBuf,
    },
    /// Check that the providers a workflow's agent steps use can answer: keys set, servers up,
    /// models served, CLIs installed. One line each; exit 1 when any cannot.
    Doctor {
        /// The `.wf` file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The workflow to check, when the file has several.
        #[arg(long, value_name = "NAME")]
        workflow: Option<String>,
        /// Check with a provider swapped for another, as `wf run --provider` would run.
        #[arg(long = "provider", value_name = "NAME=OTHER", value_parser = run::parse_swap)]
        providers: Vec<(String, String)>,
    },
    /// Show one run step by step: statuses, attempts, gate checks, approvals, cost breakdown;
    /// with STEP, what each attempt of that agent step was asked and answered.
    Show {
        /// The run id (the latest run when left out).
        #[arg(value_name = "RUN")]
        run: Option<String>,
        /// An agent step (name, id or instance key): print its prompts and answers.
        #[arg(value_name = "STEP", requires = "run")]
        step: Option<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: history::ReportFormat,
        /// Where the journal lives.
        #[arg(long, value_name = "DIR", env = "WF_STATE_DIR", default_value = ".wf")]
        state_dir: PathBuf,
    },
    /// Numbers across runs per workflow: success rate, durations, cost, loops, retries, waits.
    Stats {
        /// Only runs started within this long (`30d`, `12h`).
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        since: Option<std::time::Duration>,
        /// Only this workflow.
        #[arg(long, value_name = "NAME")]
        workflow: Option<String>,
        /// Trends: the numbers per local day or week, each model's cache-hit rate and the
        /// health score.
        #[arg(long, value_enum, value_name = "PERIOD")]
        by: Option<history::TrendBy>,
        /// Write a self-contained HTML page of charts (inline SVG, nothing fetched) to FILE.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["by", "format"])]
        html: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        format: history::ReportFormat,
        /// Where the journal lives.
        #[arg(long, value_name = "DIR", env = "WF_STATE_DIR", default_value = ".wf")]
        state_dir: PathBuf,
    },
    /// Run the language server on stdin and stdout, for editors (see docs/lsp.md).
    Lsp,
    /// Write a starter workflow that checks and runs at once (the `sim` provider, stand-in commands).
    Init {
        /// Which starter, after the stdlib flow it follows.
        #[arg(value_enum, default_value = "bug-fix")]
        template: init::Template,
        /// Where to write it (default: `TEMPLATE.wf` here); an existing file is never overwritten.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// List the workflows a file declares, with their parameters (types, defaults) and descriptions.
    List {
        /// The `.wf` file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long, value_enum, default_value = "human")]
        format: history::ReportFormat,
    },
    /// Print a shell completion script: `wf completions bash > ~/.local/share/bash-completion/completions/wf`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff): `wf man > ~/.local/share/man/man1/wf.1`.
    Man {
        /// A command, for its own page (`wf-run(1)`); none gives `wf(1)`, which lists them all.
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
}

impl Command {
    /// Whether the command only prints, so that a reader going away (`wf cost | head -1`)
    /// may end it on the spot. A run may not: it must stop its processes and write its
    /// journal first, so it keeps writing with the failure ignored ([`print_out`]). The
    /// language server's stdout is its connection, which it watches itself.
    fn only_prints(&self) -> bool {
        match self {
            Command::Run { dry_run, .. } => *dry_run,
            Command::Resume { explain, .. } => *explain,
            Command::Lsp | Command::Step(_) | Command::Import(_) => false,
            Command::Check { .. }
            | Command::Approve { .. }
            | Command::Doctor { .. }
            | Command::Init { .. }
            | Command::List { .. }
            | Command::Completions { .. }
            | Command::Man { .. }
            | Command::Cost { .. }
            | Command::Graph { .. }
            | Command::Compile(_)
            | Command::Fmt { .. }
            | Command::Explain { .. }
            | Command::Runs { .. }
            | Command::Show { .. }
            | Command::Stats { .. } => true,
        }
    }
}

/// Writing to a closed pipe ends the process by `SIGPIPE`, silently, as it does `cat` and
/// `grep`. Rust ignores the signal and turns the write into an error, which `print!` makes
/// a panic with a backtrace; restoring the default once covers every print of the command.
fn die_quietly_on_closed_pipe() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: the default disposition installs no handler, so no code runs in signal
    // context; this happens before any thread is started.
    #[allow(unsafe_code)]
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

/// Prints to stdout for a command that may not simply die when its reader goes away (a run,
/// whose report comes after its journal is complete): a closed pipe loses the text, nothing
/// else.
pub fn print_out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

/// How a command ended.
pub enum Exit {
    Success,
    /// The workflow failed, or `check` found errors.
    Failure,
    /// Bad flags or arguments, or an unreadable file.
    Usage,
    /// A run's own code: 3 paused, 130 interrupted (spec §11).
    Code(u8),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    ALLOW_OUTSIDE_PROJECT.store(cli.allow_outside_project, std::sync::atomic::Ordering::Relaxed);
    if cli.command.only_prints() {
        die_quietly_on_closed_pipe();
    }
    let exit = match cli.command {
        Command::Check { files, format, deny_warnings } => check::run(&files, format, deny_warnings),
        Command::Doctor { file, workflow, providers } => doctor::run(&file, workflow.as_deref(), &providers),
        Command::Cost { file, args, workflow, format, no_history, state_dir } => {
            let history = (!no_history).then_some(state_dir.as_path());
            cost::run(&file, &args, workflow.as_deref(), format, history)
        }
        Command::Graph { file, args, workflow, format } => graph::run(&file, &args, workflow.as_deref(), format),
        Command::Compile(request) => compile::run(&request),
        Command::Step(request) => step::run(&request),
        Command::Import(request) => import::run(&request),
        Command::Fmt { paths, check, stdin } => fmt::run(&paths, check, stdin),
        Command::Explain { code } => explain::run(code.as_deref()),
        Command::Run { file, args, workflow, dry_run, common } => {
            run::run(run::RunArgs { file, args, workflow, dry_run, common })
        }
        Command::Resume { run, explain, common } => run::resume(run, explain, common),
        Command::Approve { run, name, reject, comment, by, decide, state_dir } => approve::run(&approve::ApproveArgs {
            run: &run,
            name: &name,
            reject,
            comment,
            by,
            decide,
            state_dir: &state_dir,
        }),
        Command::Runs { workflow, status, since, limit, format, state_dir } => {
            history::runs(&state_dir, &history::RunsArgs { workflow, status, since, limit, format })
        }
        Command::Show { run, step: Some(step), format, state_dir } => {
            history::exchanges(&state_dir, run.as_deref().unwrap_or_default(), &step, format)
        }
        Command::Show { run, step: None, format, state_dir } => history::show(&state_dir, run.as_deref(), format),
        Command::Stats { since, workflow, html: Some(file), state_dir, .. } => {
            history::dashboard(&state_dir, workflow, since, &file)
        }
        Command::Stats { since, workflow, by: Some(by), format, state_dir, .. } => {
            history::trends(&state_dir, workflow, since, by, format)
        }
        Command::Stats { since, workflow, by: None, format, state_dir, .. } => {
            history::stats(&state_dir, workflow, since, format)
        }
        Command::Lsp => lsp::run(),
        Command::Init { template, output } => init::run(template, output.as_deref()),
        Command::List { file, format } => list::run(&file, format),
        Command::Completions { shell } => shell::completions(shell),
        Command::Man { command } => shell::man(command.as_deref()),
    };
    match exit {
        Exit::Success => ExitCode::SUCCESS,
        Exit::Failure => ExitCode::from(1),
        Exit::Usage => ExitCode::from(2),
        Exit::Code(code) => ExitCode::from(code),
    }
}

/// Whether to colour output on stdout: only at a terminal, and never with `NO_COLOR` set.
pub fn color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) && std::io::stdout().is_terminal()
}
