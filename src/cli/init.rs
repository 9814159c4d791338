//! `wf init [TEMPLATE]`: writes a starter workflow, the shape of one of the stdlib flows with
//! stand-in commands and the `sim` provider, so it checks and runs at once and can then be
//! edited step by step. The templates live in `templates/` and are compiled into the binary.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::Exit;

/// The starters, after the stdlib flows they follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// From ticket to pull request: analysis, a failing test, a fix loop, a quality gate, a PR.
    BugFix,
    /// From a spec: research, a sign-off, backend, frontend and tests in parallel, a PR.
    Feature,
    /// A rollout by steps of traffic with bake times, health gates and rollback.
    Canary,
}

impl Template {
    fn name(self) -> &'static str {
        match self {
            Template::BugFix => "bug-fix",
            Template::Feature => "feature",
            Template::Canary => "canary",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Template::BugFix => include_str!("../../templates/bug-fix.wf"),
            Template::Feature => include_str!("../../templates/feature.wf"),
            Template::Canary => include_str!("../../templates/canary.wf"),
        }
    }

    /// What `wf run` needs besides the file: the required arguments, and autopilot where the
    /// starter has a person approve something.
    fn run_args(self) -> &'static str {
        match self {
            Template::BugFix => "--arg ticket=DEMO-1 --mode autopilot",
            Template::Feature => "--arg spec=docs/spec.md --mode autopilot",
            Template::Canary => "--arg service=api",
        }
    }
}

pub fn run(template: Template, output: Option<&Path>) -> Exit {
    let default = PathBuf::from(format!("{}.wf", template.name()));
    let path = output.unwrap_or(&default);
    let shown = shlex::try_quote(&path.to_string_lossy()).map(|word| word.into_owned()).unwrap_or_default();
    // The header's example command names the file it is in.
    let text = template.text().replace(&format!("wf run {}.wf", template.name()), &format!("wf run {shown}"));
    let written = OpenOptions::new().write(true).create_new(true).open(path).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    match written {
        Ok(()) => {
            println!("wrote {} (the {} starter); try it:", path.display(), template.name());
            println!("  wf check {shown}");
            println!("  wf run {shown} {}", template.run_args());
            Exit::Success
        }
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            eprintln!(
                "error: `{}` already exists; wf init never overwrites a file (name another with --output FILE)",
                path.display()
            );
            Exit::Usage
        }
        Err(error) => {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            Exit::Usage
        }
    }
}
