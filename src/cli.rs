#![allow(clippy::disallowed_methods)] // The CLI is where wf reads files, the environment and the terminal.

//! The command line: parsing arguments, running a command, turning its outcome into an exit
//! code (spec §11: 0 success, 1 failure or errors found, 2 usage error).

mod check;
mod explain;
mod lsp;

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
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check workflow files (and the modules they use) without running anything.
    Check {
        /// The `.wf` files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Treat warnings as errors (exit 1 when there are any).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Explain a diagnostic code, with an example that triggers it and its fix.
    Explain {
        /// A code such as `wf::check::unknown_name` (or just `unknown_name`); none lists all.
        code: Option<String>,
    },
    /// Run the language server on stdin and stdout, for editors (see docs/lsp.md).
    Lsp,
}

/// How a command ended.
pub enum Exit {
    Success,
    /// The workflow failed, or `check` found errors.
    Failure,
    /// Bad flags or arguments, or an unreadable file.
    Usage,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let exit = match cli.command {
        Command::Check { files, format, deny_warnings } => check::run(&files, format, deny_warnings),
        Command::Explain { code } => explain::run(code.as_deref()),
        Command::Lsp => lsp::run(),
    };
    match exit {
        Exit::Success => ExitCode::SUCCESS,
        Exit::Failure => ExitCode::from(1),
        Exit::Usage => ExitCode::from(2),
    }
}

/// Whether to colour output on stdout: only at a terminal, and never with `NO_COLOR` set.
pub fn color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) && std::io::stdout().is_terminal()
}
