use miette::Diagnostic;
use thiserror::Error;

use crate::span::Span;

/// Problems finding the modules a file uses.
#[derive(Debug, Error, Diagnostic)]
pub enum LoadError {
    #[error("cannot read module `{path}`: {reason}")]
    #[diagnostic(code(wf::load::module_not_found), help("paths in `use` are relative to the file that uses them"))]
    ModuleNotFound {
        path: String,
        reason: String,
        #[label("used here")]
        span: Span,
    },

    #[error("wf does not read `{path}` as a module: {reason}")]
    #[diagnostic(
        code(wf::load::module_refused),
        help(
            "a module is a regular file of at most 4 MiB inside the project: the nearest folder above the checked file that holds `.git`, else the current folder (or the checked file's, when it is not under it)"
        )
    )]
    ModuleRefused {
        path: String,
        reason: String,
        #[label("refused")]
        span: Span,
    },

    #[error("there is no standard module `std/{name}`")]
    #[diagnostic(code(wf::load::unknown_std_module))]
    UnknownStdModule {
        name: String,
        #[label("not in the standard library")]
        span: Span,
        #[help]
        help: Option<String>,
    },

    #[error("modules use each other in a cycle: {chain}")]
    #[diagnostic(
        code(wf::load::import_cycle),
        help("move what both modules need into a third module that neither of them uses")
    )]
    ImportCycle {
        chain: String,
        #[label("this `use` closes the cycle")]
        span: Span,
    },
}
