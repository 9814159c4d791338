//! `wf compile`: a checked workflow as an Argo Workflows manifest or a GitHub Actions
//! workflow file (docs/compile.md).
//!
//! [`plan::plan`] lowers the IR into engine-neutral tasks and their dependencies, or reports
//! every construct a target cannot run with the same meaning ([`CompileError`]); [`argo`] and
//! [`github`] write the plan as the engine's JSON, and [`yaml`] prints it. Each task runs
//! `wf step` on its node of the same file, so a step means the same on the engine as in
//! `wf run`. Pure: the CLI reads the file and writes the result.

pub mod argo;
mod error;
pub mod github;
pub mod plan;
pub mod single;
pub mod yaml;

use indexmap::IndexMap;

pub use error::CompileError;
pub use plan::{find, Plan};

use crate::diag::Diagnostic;
use crate::ir::{Program, Value, WorkflowId};

/// The engine a workflow is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Argo,
    Github,
}

impl Target {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Target::Argo => "Argo Workflows",
            Target::Github => "GitHub Actions",
        }
    }

    /// What the engine calls the unit a task becomes.
    pub fn unit(self) -> &'static str {
        match self {
            Target::Argo => "Argo task",
            Target::Github => "GitHub job",
        }
    }
}

/// How the compiled workflow finds the file and `wf`.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    /// The workflow file as `wf step` is given it, relative to the engine's working directory
    /// (the repository's root on GitHub, the image's working directory on Argo).
    pub file: String,
    /// Argo: a `WorkflowTemplate` instead of a `Workflow`.
    pub template: bool,
    /// Argo: the container image that has `wf` on its `PATH` and the file.
    pub image: String,
    /// Argo: the Kubernetes secret holding the workflow's secrets, one key each.
    pub secret_name: String,
    /// Argo: the size of the shared workspace volume, a Kubernetes quantity (`1Gi`).
    pub volume_size: String,
    /// Argo: the storage class of the workspace volume; `None` is the cluster's default.
    pub storage_class: Option<String>,
    /// GitHub: the shell command of the step that puts `wf` on the `PATH`.
    pub setup: String,
    /// GitHub: the runner label.
    pub runs_on: String,
}

/// Where the GitHub report job writes the run's report, which it uploads as an artifact.
pub const REPORT_FILE: &str = "wf-report.json";
/// The artifact (GitHub) or output parameter (Argo) that holds the run's report.
pub const REPORT_NAME: &str = "wf-report";

pub const DEFAULT_IMAGE: &str = "wf:latest";
pub const DEFAULT_SECRET: &str = "wf-secrets";
pub const DEFAULT_VOLUME_SIZE: &str = "1Gi";
/// Builds `wf` from the repository, once, in the setup job (`SETUP_TASK`), into
/// `$RUNNER_TEMP` rather than `./target`. The binary lands in `~/.cargo/bin`, which is on the
/// runners' `PATH`; the setup job hands it to the other jobs.
pub const DEFAULT_SETUP: &str = "cargo install --locked --path . --target-dir \"$RUNNER_TEMP/wf-target\"";
pub const DEFAULT_RUNS_ON: &str = "ubuntu-latest";

/// The task (Argo) that seeds the shared workspace before any other; the plan keeps the name
/// from every step, so no task of the workflow can take it.
pub const WORKSPACE_TASK: &str = "wf-workspace";

/// The job (GitHub) that runs `--setup` once and hands the `wf` it installed to every other
/// job as an artifact; a name the plan keeps from every step, like [`WORKSPACE_TASK`].
pub const SETUP_TASK: &str = "wf-setup";

/// Whether `text` is a Kubernetes quantity a volume can request: a number, perhaps with
/// decimals, and a binary (`Ki` … `Ei`) or decimal (`k` … `E`) suffix, or none (bytes).
pub fn is_volume_size(text: &str) -> bool {
    let number_end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_end);
    let mut parts = number.split('.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let number_ok = parts.next().is_none() && digits(whole) && fraction.is_none_or(digits);
    let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E"];
    number_ok && suffixes.contains(&suffix) && number.bytes().any(|b| b != b'0' && b != b'.')
}

/// Whether `text` can name a Kubernetes storage class (a DNS subdomain): at most 253
/// lower-case letters, digits, `-` and `.`, beginning and ending with a letter or digit.
pub fn is_storage_class(text: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    text.len() <= 253
        && edge(text.chars().next())
        && edge(text.chars().last())
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

/// The environment variable a task's `wf step` reads the values of task `name` from.
pub fn values_var(task: &str) -> String {
    format!("WF_VALUES_{}", task.to_ascii_uppercase().replace('-', "_"))
}

/// The environment variable the rollback handler reads the usage report of task `name` from.
pub fn usage_var(task: &str) -> String {
    format!("WF_USAGE_{}", task.to_ascii_uppercase().replace('-', "_"))
}

/// The environment variable a task's `wf step` reads parameter `name` from.
pub fn arg_var(name: &str) -> String {
    format!("WF_ARG_{name}")
}

/// The workflow `id` of `program` compiled for `options.target`: the document's text, or
/// every construct that does not compile.
pub fn compile(
    program: &Program,
    id: WorkflowId,
    args: &IndexMap<String, Value>,
    options: &Options,
) -> Result<String, Vec<Diagnostic>> {
    document(program, id, args, options).map(|document| yaml::to_yaml(&document))
}

/// What [`compile`] prints, as JSON: what the engines' schemas validate.
pub fn document(
    program: &Program,
    id: WorkflowId,
    args: &IndexMap<String, Value>,
    options: &Options,
) -> Result<serde_json::Value, Vec<Diagnostic>> {
    let workflow = &program.workflows[id.0];
    let plan = plan::plan(program, workflow, args, options.target)
        .map_err(|errors| errors.into_iter().map(|error| Diagnostic::new(workflow.file, error)).collect::<Vec<_>>())?;
    Ok(match options.target {
        Target::Argo => argo::manifest(&plan, options),
        Target::Github => github::workflow(&plan, options),
    })
}

/// The `wf step` command line of a task, as separate words (no shell).
pub fn step_words(plan: &Plan, task: &plan::Task, options: &Options) -> Vec<String> {
    let head = || {
        vec!["wf".to_owned(), "step".to_owned(), options.file.clone(), "--workflow".to_owned(), plan.workflow.clone()]
    };
    match task.role {
        plan::Role::Rollback => return [head(), vec!["--rollback".to_owned()]].concat(),
        plan::Role::Report => {
            let path = match options.target {
                Target::Argo => "/tmp/wf/report.json",
                Target::Github => REPORT_FILE,
            };
            return [head(), vec!["--report".to_owned(), path.to_owned()]].concat();
        }
        _ => {}
    }
    let mut words = [head(), vec!["--node".to_owned(), task.node.clone()]].concat();
    if task.decides {
        words.push("--branch".to_owned());
    }
    words
}

/// The output that says which branch of an `if` a condition task chose: its index (the
/// `else` is the one after the last) or `none`.
pub const BRANCH_OUTPUT: &str = "branch";
