//! `wf check [FILE|DIR...]`: checks files in parallel, prints every diagnostic in one format.
//! A directory means every `.wf` file under it; no path means the current directory.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use wf::diag::{self, Format, Style};
use wf::source::Sources;

use super::files::collect;
use super::Exit;

pub fn run(paths: &[PathBuf], format: Format, deny_warnings: bool) -> Exit {
    let files = match expand(paths) {
        Ok(files) => files,
        Err(exit) => return exit,
    };
    let files = files.as_slice();
    let outcomes = check_all(files);
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();
    let mut seen = HashSet::new();
    let mut unreadable = false;
    for (path, outcome) in files.iter().zip(outcomes) {
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                eprintln!("error: cannot read `{}`: {error}", path.display());
                unreadable = true;
                continue;
            }
        };
        // Merge each file's sources into one set, renumbering; a module used by several
        // roots (the stdlib) reports its problems once.
        let offset = sources.len();
        for (_, file) in outcome.sources.iter() {
            sources.add(file.name.clone(), file.text.clone());
        }
        for mut diagnostic in outcome.checked.diagnostics {
            diagnostic.file += offset;
            let name = sources.get(diagnostic.file).name.clone();
            if seen.insert((name, diagnostic.span(), diagnostic.code(), diagnostic.message())) {
                diagnostics.push(diagnostic);
            }
        }
    }
    if unreadable {
        return Exit::Usage;
    }

    let style = Style { color: super::color(), width: terminal_width() };
    print!("{}", diag::render(&diagnostics, &sources, format, style));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if format == Format::Human {
        eprintln!("{}", summary(files.len(), errors, warnings));
    }
    if errors > 0 || (deny_warnings && warnings > 0) {
        Exit::Failure
    } else {
        Exit::Success
    }
}

/// The files to check: each path that is a file, and every `.wf` file under each directory;
/// the current directory when there is no path. A directory with no `.wf` file in it is a
/// usage error, so a mistyped path in CI cannot pass by checking nothing.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Exit> {
    let here = paths.is_empty();
    let roots = if here { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let mut files = Vec::new();
    let mut unusable = false;
    for root in &roots {
        let before = files.len();
        match collect(root, &mut files) {
            Ok(()) if files.len() == before => {
                eprintln!("error: no `.wf` file under `{}`", root.display());
                unusable = true;
            }
            Ok(()) => {}
            Err(error) => {
                eprintln!("error: cannot read `{}`: {error}", root.display());
                unusable = true;
            }
        }
    }
    if unusable {
        return Err(Exit::Usage);
    }
    if here {
        // `./a.wf` reads better, and makes a better SARIF location, as `a.wf`.
        for file in &mut files {
            if let Ok(relative) = file.strip_prefix(".") {
                *file = relative.to_path_buf();
            }
        }
    }
    Ok(files)
}

fn summary(files: usize, errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    let checked = plural(files, "file");
    match (errors, warnings) {
        (0, 0) => format!("checked {checked}: no problems"),
        _ => format!("checked {checked}: {}, {}", plural(errors, "error"), plural(warnings, "warning")),
    }
}

/// Checks every file, on as many threads as there are cores; results keep the files' order.
fn check_all(files: &[PathBuf]) -> Vec<std::io::Result<wf::Outcome>> {
    let check = |path: &Path| {
        let policy = super::source_policy(path);
        wf::check_path(path, &|module: &Path| policy.read(module))
    };
    let workers = thread::available_parallelism().map_or(1, usize::from).min(files.len()).max(1);
    if workers == 1 {
        return files.iter().map(|path| check(path)).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<std::io::Result<wf::Outcome>>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(index) else { break };
                let outcome = check(path);
                if let Ok(mut results) = results.lock() {
                    results[index] = Some(outcome);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|| Err(std::io::Error::other("not checked"))))
        .collect()
}

pub(super) fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|columns| columns.parse().ok()).unwrap_or(100)
}
