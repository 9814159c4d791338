#![allow(clippy::disallowed_methods)] // `wf fmt` reads, writes and renames files, and reads stdin.

//! `wf fmt [FILE|DIR...] [--check] [--stdin]`: rewrites files in the canonical layout, or with
//! `--check` shows what would change. The layout itself is `wf::fmt::format`.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use wf::diag::{self, Diagnostic, Format, Style};
use wf::source::Sources;
use wf::syntax::SyntaxError;

use super::files::collect;
use super::Exit;

/// What became of the files so far; the exit code is the worst of it.
#[derive(Default)]
struct Tally {
    /// A file had syntax errors, or (with `--check`) is not formatted.
    failed: bool,
    /// A path could not be read or written.
    unusable: bool,
}

impl Tally {
    fn exit(&self) -> Exit {
        if self.unusable {
            Exit::Usage
        } else if self.failed {
            Exit::Failure
        } else {
            Exit::Success
        }
    }
}

pub fn run(paths: &[PathBuf], check: bool, stdin: bool) -> Exit {
    if stdin {
        return run_stdin(check);
    }
    let mut tally = Tally::default();
    let roots = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let mut files = Vec::new();
    for root in &roots {
        if let Err(error) = collect(root, &mut files) {
            eprintln!("error: cannot read `{}`: {error}", root.display());
            tally.unusable = true;
        }
    }
    for path in &files {
        let name = path.display().to_string();
        let text = match wf::source::Policy::anywhere().read(path) {
            Ok(text) => text,
            Err(error) => {
                eprintln!("error: cannot read `{name}`: {error}");
                tally.unusable = true;
                continue;
            }
        };
        let formatted = match wf::fmt::format(&text) {
            Ok(formatted) => formatted,
            Err(errors) => {
                report(&name, &text, errors);
                tally.failed = true;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if check {
            print!("{}", diff(&name, &text, &formatted));
            tally.failed = true;
        } else if let Err(error) = replace(path, &formatted) {
            eprintln!("error: cannot write `{name}`: {error}");
            tally.unusable = true;
        } else {
            println!("formatted {name}");
        }
    }
    tally.exit()
}

fn run_stdin(check: bool) -> Exit {
    let mut text = String::new();
    let limit = wf::source::MAX_SOURCE_BYTES;
    if let Err(error) = io::stdin().take(limit + 1).read_to_string(&mut text) {
        eprintln!("error: cannot read standard input: {error}");
        return Exit::Usage;
    }
    if text.len() as u64 > limit {
        eprintln!("error: standard input is more than the {limit} bytes a workflow file may be");
        return Exit::Usage;
    }
    let name = "<stdin>";
    match wf::fmt::format(&text) {
        Err(errors) => {
            report(name, &text, errors);
            Exit::Failure
        }
        Ok(formatted) if check => {
            if formatted == text {
                Exit::Success
            } else {
                print!("{}", diff(name, &text, &formatted));
                Exit::Failure
            }
        }
        Ok(formatted) => {
            print!("{formatted}");
            Exit::Success
        }
    }
}

/// Prints a file's syntax errors to stderr, as `wf check` would show them.
fn report(name: &str, text: &str, errors: Vec<SyntaxError>) {
    let mut sources = Sources::default();
    let file = sources.add(name.to_owned(), text.to_owned());
    let diagnostics: Vec<Diagnostic> = errors.into_iter().map(|error| Diagnostic::new(file, error)).collect();
    let color = std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) && io::stderr().is_terminal();
    let style = Style { color, width: super::check::terminal_width() };
    eprint!("{}", diag::render(&diagnostics, &sources, Format::Human, style));
    eprintln!("error: `{name}` has syntax errors; it was not formatted");
}

/// A unified diff from the file as it is to the file formatted.
fn diff(name: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(name, &format!("{name} (formatted)"))
        .to_string()
}

/// Replaces the file's text atomically: the new text goes to a temporary file beside it, which
/// then takes the file's place, so an interruption never leaves half a file. A symbolic link
/// stays a link: its target is what gets replaced.
fn replace(path: &Path, text: &str) -> io::Result<()> {
    let path = fs::canonicalize(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.wf-fmt", std::process::id()));
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::set_permissions(&temp, fs::metadata(&path)?.permissions())?;
        fs::rename(&temp, &path)
    })();
    if written.is_err() {
        // Best effort: the error that matters is the one returned.
        let _ = fs::remove_file(&temp);
    }
    written
}
