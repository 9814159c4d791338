#![allow(clippy::disallowed_methods)] // The fuzzer reads its seeds from the repository.

//! A stable fuzzer for the whole front end: every input goes through parse and check, all four
//! renderings of its diagnostics, `wf fmt`, and — for each workflow of a program without
//! errors — `wf cost` (estimate and table) and `wf graph` (both formats). None may panic, and
//! none may take long.
//!
//! Seeds are every example, stdlib module and fixture, plus the hostile inputs of issue 11
//! (long lines, thousands of errors, deep else-if chains). Each case mutates one or two seeds:
//! splicing in keywords and broken pieces, deleting, duplicating, crossing two files over,
//! repeating a line. The run is deterministic for a seed.
//!
//! `cargo test --test fuzz` runs a bounded pass (CI); `WF_FUZZ_CASES=1000000 WF_FUZZ_SEED=7
//! cargo test --release --test fuzz -- --nocapture` a long one, printing how many ran.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use wf::diag::{Format, Style};

/// Words and symbols a mutation splices in.
const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\"\"\"",
    "{{",
    "}}",
    "$",
    "%",
    "..",
    ".",
    ",",
    ":",
    ";",
    "//",
    "/*",
    "*/",
    "workflow w() {",
    "phase p {",
    "run r \"x\"",
    "agent a \"r\" { prompt \"p\" }",
    "gate g { require true \"m\" }",
    "parallel max 2 {",
    "repeat l max 3 until true {",
    "for x in [1, 2] {",
    "if true {",
    "} else {",
    "retry 3",
    "retry 2 backoff 1s..10s on any",
    "on failure continue",
    "timeout 5m",
    "timeout 5min",
    "budget $1",
    "1h30m",
    "$3.00",
    "12k tokens",
    "80%",
    "-",
    "not",
    "==",
    "\\",
    "\n",
    "é",
    "\u{0}",
    "use \"/dev/zero\" as z",
    "use std/models",
    "model models.sonnet",
    "call c other()",
    "'{{x}}'",
    "\"{{x}}\"",
    "<<EOF\n",
    "# {{x}}",
    "`{{x}}`",
    "retyr 2",
    "timout 5s",
    "on failur abort",
    "const k = 1",
    "wait w 1s",
    "fail \"no\"",
];

/// The hostile inputs, made small enough to run thousands of times.
fn hostile_seeds() -> Vec<String> {
    let mut seeds = Vec::new();
    let long = "x".repeat(70_000);
    seeds.push(format!("workflow w() {{ run a \"{long}\" {{ retry nope }} }}\n"));
    seeds.push(format!("workflow w() {{\n  run {} \"echo\"\n}}\n", "a".repeat(70_000)));
    let names: String = (0..400).map(|n| format!("  run s{n} \"echo {{{{nope{n}}}}}\"\n")).collect();
    seeds.push(format!("workflow w() {{\n{names}}}\n"));
    let chain: String = (0..300).map(|n| format!("if n == {n} {{ run s{n} \"x\" }} else ")).collect();
    seeds.push(format!("workflow w(n: int = 1) {{\n  {chain}{{ run last \"x\" }}\n}}\n"));
    let line: String = (0..300).map(|n| format!("run s{n} \"x\" {{ retry zz{n} }} ")).collect();
    seeds.push(format!("workflow w() {{ {line}}}\n"));
    seeds.push("workflow w() {\n  run a \"make\" {\n    retyr 2\n  }\n  run b \"x\" {\n    timout 5s\n  }\n}\n".into());
    seeds
}

fn seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = common::wf_files(&root.join("examples"));
    files.extend(common::wf_files(&root.join("stdlib")));
    files.extend(common::wf_files(&root.join("tests/fixtures")));
    files.sort();
    let mut seeds: Vec<String> = files.iter().filter_map(|path| std::fs::read_to_string(path).ok()).collect();
    seeds.extend(hostile_seeds());
    seeds
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One mutated input.
fn mutate(rng: &mut fastrand::Rng, seeds: &[String]) -> String {
    let mut text = seeds[rng.usize(..seeds.len())].clone();
    for _ in 0..rng.usize(1..5) {
        let at = boundary(&text, rng.usize(..=text.len()));
        match rng.u8(..6) {
            // Splice a piece in, replacing a few characters.
            0 | 1 => {
                let end = boundary(&text, at + rng.usize(..8));
                text.replace_range(at..end.max(at), PIECES[rng.usize(..PIECES.len())]);
            }
            // Delete a stretch.
            2 => {
                let end = boundary(&text, at + rng.usize(..64));
                text.replace_range(at..end.max(at), "");
            }
            // Duplicate a stretch.
            3 => {
                let end = boundary(&text, at + rng.usize(..200));
                let copy = text[at..end.max(at)].to_string();
                text.insert_str(at, &copy);
            }
            // Cross over: the rest of another seed from a random point.
            4 => {
                let other = &seeds[rng.usize(..seeds.len())];
                let from = boundary(other, rng.usize(..=other.len()));
                text.truncate(at);
                text.push_str(&other[from..]);
            }
            // Repeat a line many times.
            _ => {
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
                let line = text[start..end].to_string();
                text.insert_str(end, &line.repeat(rng.usize(2..200)));
            }
        }
        // Keep inputs to a size a person might write (the largest example is 7 KB; the
        // 10,000-step benchmark, generated, 600 KB), so that cases stay many and fast.
        if text.len() > 100_000 {
            text.truncate(boundary(&text, 100_000));
        }
    }
    text
}

/// Every front-end stage on one input.
fn exercise(text: &str) {
    let outcome = common::check_text(text);
    let style = Style { color: false, width: 100 };
    for format in [Format::Human, Format::Short, Format::Json, Format::Github] {
        wf::diag::render(&outcome.checked.diagnostics, &outcome.sources, format, style);
    }
    if let Ok(formatted) = wf::fmt::format(text) {
        // Formatting keeps meaning: the result formats to itself.
        assert_eq!(wf::fmt::format(&formatted).ok().as_deref(), Some(formatted.as_str()), "fmt is not idempotent");
    }
    if outcome.checked.has_errors() {
        return;
    }
    let program = &outcome.checked.program;
    for &id in &program.entry {
        let workflow = &program.workflows[id.0];
        let estimate = wf::cost::estimate(program, workflow, &IndexMap::new());
        wf::cost::table(&estimate);
        wf::graph::render(program, workflow, &indexmap::IndexMap::new(), wf::graph::Format::Mermaid);
        wf::graph::render(program, workflow, &indexmap::IndexMap::new(), wf::graph::Format::Dot);
    }
}

#[test]
fn the_front_end_survives_mutated_and_hostile_input() {
    let cases: usize = std::env::var("WF_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(400);
    let seed: u64 = std::env::var("WF_FUZZ_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(11);
    let seeds = seeds();
    let mut rng = fastrand::Rng::with_seed(seed);
    let started = Instant::now();
    let mut slowest = (Duration::ZERO, String::new());
    // Every seed as it is, then the mutations.
    for case in 0..seeds.len() + cases {
        let text = if case < seeds.len() { seeds[case].clone() } else { mutate(&mut rng, &seeds) };
        let began = Instant::now();
        let outcome = std::panic::catch_unwind(|| exercise(&text));
        let took = began.elapsed();
        if outcome.is_err() {
            let path = std::env::temp_dir().join(format!("wf-fuzz-{seed}-{case}.wf"));
            let _ = std::fs::write(&path, &text);
            panic!("case {case} (seed {seed}) panicked; its input is in {}", path.display());
        }
        if took > slowest.0 {
            slowest = (took, text);
        }
    }
    let total = seeds.len() + cases;
    println!(
        "fuzz: {total} inputs ({} seeds, {cases} mutations, seed {seed}) in {:.1?}; slowest {:.1?} ({} bytes)",
        seeds.len(),
        started.elapsed(),
        slowest.0,
        slowest.1.len()
    );
    // The bound is 2 s per input in a release build; a debug build on a shared
    // machine gets a generous margin.
    let bound = if cfg!(debug_assertions) { Duration::from_secs(20) } else { Duration::from_secs(2) };
    if slowest.0 >= bound {
        let path = std::env::temp_dir().join(format!("wf-fuzz-{seed}-slowest.wf"));
        let _ = std::fs::write(&path, &slowest.1);
        panic!("an input took {:?}; it is in {}", slowest.0, path.display());
    }
}
