//! `wf compile FILE --target argo|github`: the workflow as an Argo Workflows manifest or a
//! GitHub Actions workflow file (docs/compile.md), on stdout or in `-o FILE`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use wf::compile::{self, Options, Target};
use wf::diag::{self, Format, Style};

use super::workflow::choose;
use super::Exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetArg {
    /// An Argo Workflows `Workflow` (a `WorkflowTemplate` with `--template`).
    Argo,
    /// A GitHub Actions workflow, started by `workflow_dispatch`.
    Github,
}

#[derive(Debug, clap::Args)]
pub struct CompileArgs {
    /// The `.wf` file, as the engine's working directory reaches it (relative paths stay
    /// relative in the output).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The engine.
    #[arg(long, value_enum)]
    pub target: TargetArg,
    /// The workflow, when the file declares several.
    #[arg(long, value_name = "NAME")]
    pub workflow: Option<String>,
    /// A parameter, NAME=VALUE (repeatable): fixes what a `for` fans out over at compile time;
    /// the engine's inputs still take every parameter.
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    pub args: Vec<String>,
    /// Write the output to this file instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Argo: write a `WorkflowTemplate` instead of a `Workflow`.
    #[arg(long)]
    pub template: bool,
    /// Argo: the container image with `wf` on its PATH and the repository as its working directory.
    #[arg(long, value_name = "IMAGE", default_value = compile::DEFAULT_IMAGE)]
    pub image: String,
    /// Argo: the Kubernetes secret whose keys are the workflow's secrets and provider keys.
    #[arg(long, value_name = "NAME", default_value = compile::DEFAULT_SECRET)]
    pub secret: String,
    /// Argo: the size of the shared workspace volume, a Kubernetes quantity.
    #[arg(long, value_name = "SIZE", default_value = compile::DEFAULT_VOLUME_SIZE, value_parser = volume_size)]
    pub volume_size: String,
    /// Argo: the storage class of the workspace volume (the cluster's default without it; an
    /// RWX class lets parallel tasks run on different nodes).
    #[arg(long, value_name = "NAME", value_parser = storage_class)]
    pub storage_class: Option<String>,
    /// GitHub: the command of the step that puts `wf` on the PATH, after the checkout.
    #[arg(long, value_name = "COMMAND", default_value = compile::DEFAULT_SETUP)]
    pub setup: String,
    /// GitHub: the runner label of every job.
    #[arg(long, value_name = "LABEL", default_value = compile::DEFAULT_RUNS_ON)]
    pub runs_on: String,
}

pub fn run(request: &CompileArgs) -> Exit {
    let chosen = match choose(&request.file, request.workflow.as_deref()) {
        Ok(chosen) => chosen,
        Err(exit) => return exit,
    };
    let args = match wf::args::parse_args(chosen.workflow(), &request.args) {
        Ok(args) => args,
        Err(reason) => {
            eprintln!("error: --arg: {reason}");
            return Exit::Usage;
        }
    };
    let options = Options {
        target: match request.target {
            TargetArg::Argo => Target::Argo,
            TargetArg::Github => Target::Github,
        },
        file: request.file.to_string_lossy().into_owned(),
        template: request.template,
        image: request.image.clone(),
        secret_name: request.secret.clone(),
        volume_size: request.volume_size.clone(),
        storage_class: request.storage_class.clone(),
        setup: request.setup.clone(),
        runs_on: request.runs_on.clone(),
    };
    let id = chosen.outcome.checked.program.workflows.iter().position(|w| std::ptr::eq(w, chosen.workflow()));
    let id = wf::ir::WorkflowId(id.unwrap_or_default());
    match compile::compile(chosen.program(), id, &args, &options) {
        Ok(text) => write(request.output.as_deref(), &text),
        Err(diagnostics) => {
            let color =
                std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) && std::io::stderr().is_terminal();
            eprint!(
                "{}",
                diag::render(&diagnostics, &chosen.outcome.sources, Format::Human, Style { color, width: 100 })
            );
            eprintln!(
                "error: `{}` does not compile for {}: {} construct(s) above",
                request.file.display(),
                options.target.name(),
                diagnostics.len()
            );
            Exit::Failure
        }
    }
}

fn volume_size(text: &str) -> Result<String, String> {
    if compile::is_volume_size(text) {
        Ok(text.to_owned())
    } else {
        Err("not a Kubernetes quantity: a number and a suffix such as Mi or Gi (500Mi, 1Gi, 1.5Ti)".to_owned())
    }
}

fn storage_class(text: &str) -> Result<String, String> {
    if compile::is_storage_class(text) {
        Ok(text.to_owned())
    } else {
        Err("not a storage class name: lower-case letters, digits, `-` and `.`, beginning and ending with a letter or digit".to_owned())
    }
}

fn write(output: Option<&Path>, text: &str) -> Exit {
    match output {
        None => {
            print!("{text}");
            Exit::Success
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => Exit::Success,
            Err(error) => {
                eprintln!("error: cannot write `{}`: {error}", path.display());
                Exit::Usage
            }
        },
    }
}
