//! `wf import FILE`: a compiled workflow's run report (the engine's report node writes it:
//! docs/compile.md) recorded in the journal as a finished run, which `wf show`, `wf runs` and
//! `wf stats` then show like a local one. A report already imported is refused.

use std::path::PathBuf;

use wf::journal::import::{import, ImportError};
use wf::journal::Journal;

use super::Exit;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The report (`wf-report.json`, the GitHub artifact `wf-report`, or Argo's output
    /// parameter `wf-report` saved to a file).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where the journal lives.
    #[arg(long, value_name = "DIR", env = "WF_STATE_DIR", default_value = ".wf")]
    pub state_dir: PathBuf,
}

pub fn run(request: &ImportArgs) -> Exit {
    let text = match std::fs::read_to_string(&request.file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", request.file.display());
            return Exit::Usage;
        }
    };
    let report: serde_json::Value = match serde_json::from_str(&text) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {} is not JSON: {error}", request.file.display());
            return Exit::Usage;
        }
    };
    let journal = match Journal::open(&request.state_dir) {
        Ok(journal) => journal,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Usage;
        }
    };
    match import(&journal, &report, &request.file.to_string_lossy()) {
        Ok(id) => {
            println!("imported run {id}");
            Exit::Success
        }
        Err(error @ ImportError::Already(_)) => {
            eprintln!("error: {error}");
            Exit::Failure
        }
        Err(error) => {
            eprintln!("error: {}: {error}", request.file.display());
            Exit::Usage
        }
    }
}
