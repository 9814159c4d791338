//! `wf graph FILE`: the workflow as a Mermaid or Graphviz diagram, on stdout.

use std::path::Path;

use wf::graph::{self, Format};

use super::workflow::choose;
use super::Exit;

/// Which diagram language `wf graph` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (GitHub and many Markdown viewers draw it).
    Mermaid,
    /// A Graphviz digraph (`dot -Tsvg`).
    Dot,
}

pub fn run(file: &Path, given: &[String], name: Option<&str>, format: GraphFormat) -> Exit {
    let chosen = match choose(file, name) {
        Ok(chosen) => chosen,
        Err(exit) => return exit,
    };
    let args = match wf::args::parse_args(chosen.workflow(), given) {
        Ok(args) => args,
        Err(reason) => {
            eprintln!("error: --arg: {reason}");
            return Exit::Usage;
        }
    };
    let format = match format {
        GraphFormat::Mermaid => Format::Mermaid,
        GraphFormat::Dot => Format::Dot,
    };
    print!("{}", graph::render(chosen.program(), chosen.workflow(), &args, format));
    Exit::Success
}
