//! `wf completions SHELL` and `wf man [COMMAND]`: shell completions and manual pages, generated
//! from the same clap definition as the parser, so they cannot drift from the real flags.

use std::io::{self, Write};

use clap::CommandFactory;

use super::{Cli, Exit};

pub fn completions(shell: clap_complete::Shell) -> Exit {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "wf", &mut out);
    write(&out)
}

/// `wf`'s page, or with a command `wf-COMMAND`'s (as `git help` names them).
pub fn man(name: Option<&str>) -> Exit {
    let mut command = Cli::command();
    command.build();
    let page = match name {
        None => command,
        Some(name) => match command.find_subcommand(name) {
            // Once built, a subcommand's display name is already `wf-NAME`.
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<String> = command.get_subcommands().map(|sub| sub.get_name().to_string()).collect();
                eprintln!("error: wf has no command `{name}`; it has {}", names.join(", "));
                return Exit::Usage;
            }
        },
    };
    let mut out = Vec::new();
    if let Err(error) = clap_mangen::Man::new(page).render(&mut out) {
        eprintln!("error: cannot write the manual page: {error}");
        return Exit::Failure;
    }
    write(&out)
}

fn write(bytes: &[u8]) -> Exit {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Success,
        // A reader that stops early (`wf man | head`) is not a failure of ours.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
        Err(error) => {
            eprintln!("error: cannot write to standard output: {error}");
            Exit::Failure
        }
    }
}
