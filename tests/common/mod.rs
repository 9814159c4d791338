#![allow(clippy::disallowed_methods)] // Tests read fixtures and run the binary.

//! Helpers shared by the integration tests: checking text in memory and rendering
//! diagnostics the way snapshots hold them (no colour, fixed width).

#![allow(dead_code)]

use std::path::Path;

use wf::diag::{self, Format, Style};

pub const WIDTH: usize = 80;

/// How many cases a property test runs: `WF_PROPTEST_CASES` when it is set (`.ci/run` raises
/// it), else `default`, small enough that a plain `cargo test` does not wait on it.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("WF_PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default)
}

/// Reads modules from the real file system (fixtures may `use` files beside them) as the CLI
/// does, the project being this repository.
pub fn read(path: &Path) -> std::io::Result<String> {
    static POLICY: std::sync::OnceLock<wf::source::Policy> = std::sync::OnceLock::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    POLICY.get_or_init(|| wf::source::Policy::for_root(&root, false)).read(path)
}

/// Checks a file, naming it relative to the package root (tests run there), so that
/// snapshots do not depend on where the repository is checked out.
pub fn check_file(path: &Path) -> wf::Outcome {
    let relative = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path);
    wf::check_path(relative, &read).expect("fixture is readable")
}

pub fn check_text(text: &str) -> wf::Outcome {
    wf::check_text("main.wf", text, &read)
}

pub fn render(outcome: &wf::Outcome, format: Format) -> String {
    diag::render(&outcome.checked.diagnostics, &outcome.sources, format, Style { color: false, width: WIDTH })
}

pub fn codes(outcome: &wf::Outcome) -> Vec<String> {
    outcome.checked.diagnostics.iter().map(|d| d.code()).collect()
}

/// The `.wf` files under `dir` (recursively), sorted.
pub fn wf_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("directory is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "wf") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
