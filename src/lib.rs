//! wf: a workflow language for development teams.
//!
//! The pipeline: [`syntax`] turns text into an AST, [`load`] finds the modules a file uses,
//! [`check`] turns the ASTs into the typed [`ir`] plus [`diag`]nostics. See ARCHITECTURE.md.
//! JSON outputs carry [`schema::VERSION`].

pub mod agent;
pub mod args;
pub mod check;
pub mod compile;
pub mod cost;
pub mod diag;
pub mod explain;
pub mod fmt;
pub mod graph;
pub mod hint;
pub mod ir;
pub mod journal;
pub mod lexicon;
pub mod load;
pub mod lsp;
pub mod mask;
pub mod pad;
pub mod process;
pub mod procfs;
pub mod report;
pub mod run;
pub mod schema;
pub mod source;
pub mod span;
pub mod stdlib;
pub mod suggest;
pub mod syntax;
#[cfg(test)]
mod testing;

use std::io;
use std::path::Path;

/// A checked root file: the text of every file involved and the checker's result.
#[derive(Debug)]
pub struct Outcome {
    pub sources: source::Sources,
    pub checked: check::Checked,
}

/// Loads and checks the file at `path` and the modules it uses, reading files with `read`.
/// Errors reading `path` itself are returned; every other problem is a diagnostic.
pub fn check_path(path: &Path, read: &dyn Fn(&Path) -> io::Result<String>) -> io::Result<Outcome> {
    let loaded = load::load(path, read)?;
    let checked = check::check(&loaded);
    Ok(Outcome { sources: loaded.sources, checked })
}

/// Checks source text named `name`; relative `use` paths are read with `read`.
pub fn check_text(name: &str, text: &str, read: &dyn Fn(&Path) -> io::Result<String>) -> Outcome {
    let loaded = load::load_text(name, text, read);
    let checked = check::check(&loaded);
    Outcome { sources: loaded.sources, checked }
}
