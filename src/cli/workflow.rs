//! What `wf cost`, `wf graph` and `wf run` share: check a file, and choose the workflow to work on.

use std::io::IsTerminal;
use std::path::Path;

use wf::diag::{self, Format, Style};
use wf::ir::{Program, Workflow, WorkflowId};

use super::Exit;

/// Checks `file`; prints what went wrong (an unreadable file, check errors) and says how the
/// command ends.
pub fn checked(file: &Path) -> Result<wf::Outcome, Exit> {
    let policy = super::source_policy(file);
    let outcome = match wf::check_path(file, &|path: &Path| policy.read(path)) {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("error: cannot read `{}`: {error}", file.display());
            return Err(Exit::Usage);
        }
    };
    if outcome.checked.has_errors() {
        let errors: Vec<diag::Diagnostic> =
            outcome.checked.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
        let color =
            std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) && std::io::stderr().is_terminal();
        eprint!("{}", diag::render(&errors, &outcome.sources, Format::Human, Style { color, width: 100 }));
        eprintln!("error: `{}` has errors; `wf check` shows them all", file.display());
        return Err(Exit::Failure);
    }
    Ok(outcome)
}

/// A checked file and the index of the chosen workflow in its program.
pub struct Chosen {
    pub outcome: wf::Outcome,
    index: usize,
}

impl Chosen {
    pub fn program(&self) -> &Program {
        &self.outcome.checked.program
    }

    pub fn workflow(&self) -> &Workflow {
        &self.outcome.checked.program.workflows[self.index]
    }

    /// The program and the chosen workflow's id, for a command that keeps the program.
    pub fn into_program(self) -> (Program, WorkflowId) {
        (self.outcome.checked.program, WorkflowId(self.index))
    }
}

/// Checks `file` and picks its workflow named `name`, or its only one. Prints what went wrong
/// (an unreadable file, check errors, no such workflow) and says how the command ends.
pub fn choose(file: &Path, name: Option<&str>) -> Result<Chosen, Exit> {
    let outcome = checked(file)?;
    let program = &outcome.checked.program;
    let names: Vec<&str> = program.entry.iter().map(|id| program.workflows[id.0].name.as_str()).collect();
    let found = match name {
        Some(name) => program.entry.iter().find(|id| program.workflows[id.0].name == name),
        None if program.entry.len() == 1 => program.entry.first(),
        None => None,
    };
    match found {
        Some(id) => Ok(Chosen { index: id.0, outcome }),
        None => {
            let list = names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
            match name {
                Some(name) if names.is_empty() => {
                    eprintln!("error: `{}` has no workflow `{name}`; it declares none", file.display());
                }
                Some(name) => eprintln!("error: `{}` has no workflow `{name}`; it has {list}", file.display()),
                None if names.is_empty() => eprintln!("error: `{}` declares no workflow", file.display()),
                None => eprintln!(
                    "error: `{}` has several workflows ({list}); choose one with --workflow NAME",
                    file.display()
                ),
            }
            Err(Exit::Usage)
        }
    }
}
