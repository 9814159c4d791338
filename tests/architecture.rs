#![allow(clippy::disallowed_methods)] // Tests read the source tree and ARCHITECTURE.md.

//! ARCHITECTURE.md stays true: its code map names every file under `src/` once, and no stage
//! uses a stage above it in the layer order that the document declares.
//!
//! The module graph is read from the code itself: every `crate::NAME` path (and `wf::NAME` in
//! the binary's files), including the names inside `use crate::{…}` groups. Test modules
//! (`#[cfg(test)]`) may use any stage and are left out. `tools/modgraph.sh` prints the graph
//! that `module_graph_runs_down_the_layers` computes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn architecture() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap()
}

/// The lines of the section headed `## {title}`, up to the next `## ` heading.
fn section<'a>(document: &'a str, title: &str) -> Vec<&'a str> {
    let heading = format!("## {title}");
    let mut lines = document.lines().skip_while(|line| *line != heading);
    assert!(lines.next().is_some(), "ARCHITECTURE.md has no `{heading}` section");
    lines.take_while(|line| !line.starts_with("## ")).collect()
}

/// Every `.rs` file under `src/`, as `src/…` paths with `/` separators, sorted.
fn source_files() -> Vec<String> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    let mut names: Vec<String> = files
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(root()).unwrap();
            relative.components().map(|part| part.as_os_str().to_str().unwrap()).collect::<Vec<_>>().join("/")
        })
        .collect();
    names.sort();
    names
}

/// The paths a code-map bullet names: the backticked words before its first ` — `.
fn named_by(bullet: &str) -> Vec<&str> {
    let head = bullet.split(" — ").next().unwrap_or_default();
    head.split('`').skip(1).step_by(2).collect()
}

/// Which `src/` files the code map names, and how often: each bullet (or sub-bullet) begins
/// with the files it describes.
fn code_map_names(document: &str) -> BTreeMap<String, usize> {
    // Bullets, each with its continuation lines joined to it.
    let mut bullets: Vec<String> = Vec::new();
    for line in section(document, "Code map") {
        if let Some(bullet) = line.trim_start().strip_prefix("- ") {
            bullets.push(bullet.to_owned());
        } else if line.starts_with(' ') && !line.trim().is_empty() {
            if let Some(bullet) = bullets.last_mut() {
                bullet.push(' ');
                bullet.push_str(line.trim());
            }
        } else {
            bullets.push(String::new());
        }
    }
    let mut names = BTreeMap::new();
    for bullet in &bullets {
        for name in named_by(bullet) {
            if name.starts_with("src/") && name.ends_with(".rs") {
                *names.entry(name.to_owned()).or_insert(0) += 1;
            }
        }
    }
    names
}

/// What is wrong with a code map against the files on disk: files it does not name, names it
/// gives twice, names of files that do not exist.
fn code_map_problems(document: &str, files: &[String]) -> Vec<String> {
    let names = code_map_names(document);
    let mut problems = Vec::new();
    for file in files {
        match names.get(file) {
            None => problems.push(format!("{file} is not named in the code map")),
            Some(1) => {}
            Some(count) => problems.push(format!("{file} is named {count} times in the code map")),
        }
    }
    for name in names.keys() {
        if !files.contains(name) {
            problems.push(format!("the code map names {name}, which does not exist"));
        }
    }
    problems
}

#[test]
fn code_map_names_every_source_file_once() {
    let problems = code_map_problems(&architecture(), &source_files());
    assert!(problems.is_empty(), "ARCHITECTURE.md's code map is out of date:\n{}", problems.join("\n"));
}

#[test]
fn code_map_check_fails_for_a_missing_or_doubled_file() {
    let document = architecture();
    let files = source_files();
    assert!(files.len() > 50, "expected the whole source tree, found {files:?}");
    // A file the map does not name.
    let mut more = files.clone();
    more.push("src/check/newcomer.rs".to_owned());
    assert_eq!(code_map_problems(&document, &more), ["src/check/newcomer.rs is not named in the code map"]);
    // A file named twice, and a file that does not exist.
    let doubled = document.replacen("## Code map\n", "## Code map\n\n- `src/span.rs`, `src/gone.rs` — again.\n", 1);
    assert_eq!(
        code_map_problems(&doubled, &files),
        ["src/span.rs is named 2 times in the code map", "the code map names src/gone.rs, which does not exist"]
    );
}

/// The layers of ARCHITECTURE.md, bottom first: each line of the fenced block in the
/// "Layers" section names the modules of one floor, top floor first.
fn layers(document: &str) -> Vec<Vec<String>> {
    let lines = section(document, "Layers");
    let mut block = lines.iter().skip_while(|line| !line.starts_with("```")).skip(1);
    let mut floors: Vec<Vec<String>> = block
        .by_ref()
        .take_while(|line| !line.starts_with("```"))
        .map(|line| line.split_whitespace().map(str::to_owned).collect())
        .filter(|floor: &Vec<String>| !floor.is_empty())
        .collect();
    floors.reverse();
    floors
}

/// The module a source file belongs to: the first name under `src/` (`src/check/expr.rs` is
/// in `check`); the binary's `main.rs` belongs to `cli`, and the crate root to `lib`.
fn module_of(file: &str) -> String {
    let path = file.strip_prefix("src/").unwrap();
    let first = path.split('/').next().unwrap().trim_end_matches(".rs");
    match first {
        "main" => "cli".to_owned(),
        other => other.to_owned(),
    }
}

/// The files declared as `#[cfg(test)] mod NAME;`: tests, not a stage's code.
fn test_files(files: &[String]) -> BTreeSet<String> {
    let mut tests = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if line != "#[cfg(test)]" {
                continue;
            }
            if let Some(name) =
                lines.next().and_then(|next| next.strip_prefix("mod ")).and_then(|rest| rest.strip_suffix(';'))
            {
                let parent = file.trim_end_matches(".rs").trim_end_matches("/lib").trim_end_matches("/main");
                tests.insert(format!("{parent}/{name}.rs"));
            }
        }
    }
    tests
}

/// A file's code without comments and without its test module (which, by the crate's habit,
/// comes last).
fn code(text: &str) -> String {
    let mut kept = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed == "#[cfg(test)]" {
            let next = lines.peek().map(|next| next.trim()).unwrap_or_default();
            if next.starts_with("mod ") && next.ends_with(';') {
                lines.next();
                continue;
            }
            if next.starts_with("mod ") && next.ends_with('{') {
                break;
            }
        }
        if trimmed.starts_with("//") {
            continue;
        }
        kept.push_str(line.split(" // ").next().unwrap_or_default());
        kept.push('\n');
    }
    kept
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The first names of every path that starts with `prefix` (`crate::` or `wf::`): `NAME` of
/// `prefix NAME::…`, and each item's first name in `prefix {a::b, c}`.
fn first_names(code: &str, prefix: &str) -> BTreeSet<String> {
    let bytes = code.as_bytes();
    let mut names = BTreeSet::new();
    let mut from = 0;
    while let Some(found) = code[from..].find(prefix) {
        let start = from + found;
        from = start + prefix.len();
        if start > 0 && (is_ident(bytes[start - 1]) || bytes[start - 1] == b'$') {
            continue;
        }
        let rest = code[from..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (index, character) in group.char_indices() {
                match character {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    character if item_start && (character.is_alphabetic() || character == '_') => {
                        let name: String =
                            group[index..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        names.insert(name);
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

/// The module graph: for each module, the modules its code (tests aside) names.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = source_files();
    let tests = test_files(&files);
    let modules: BTreeSet<String> = files.iter().map(|file| module_of(file)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files.iter().filter(|file| !tests.contains(*file)) {
        let module = module_of(file);
        let code = code(&std::fs::read_to_string(root().join(file)).unwrap());
        let mut used = first_names(&code, "crate::");
        match module.as_str() {
            "cli" => used.extend(first_names(&code, "wf::")),
            // The crate root names its modules without `crate::`.
            "lib" => used.extend(modules.iter().filter(|module| code.contains(&format!(" {module}::"))).cloned()),
            _ => {}
        }
        // Anything else `crate::` names is one of the root's own items.
        let used = used.into_iter().map(|used| if modules.contains(&used) { used } else { "lib".to_owned() });
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(used.filter(|used| *used != module));
    }
    graph
}

/// The graph as text, one line per module from the top floor down: `module -> used, …`,
/// with an edge to a module on the same or a higher floor marked `(up: …)`.
fn drawing(graph: &BTreeMap<String, BTreeSet<String>>, floor_of: &BTreeMap<String, usize>) -> String {
    let mut modules: Vec<&String> = graph.keys().collect();
    modules.sort_by_key(|module| (std::cmp::Reverse(floor_of.get(*module).copied().unwrap_or(usize::MAX)), *module));
    let mut text = String::new();
    for module in modules {
        let floor = floor_of.get(module).copied();
        let (down, up): (Vec<&String>, Vec<&String>) = graph[module]
            .iter()
            .partition(|used| matches!((floor, floor_of.get(*used)), (Some(floor), Some(other)) if *other < floor));
        let down: Vec<&str> = down.iter().map(|used| used.as_str()).collect();
        text.push_str(&format!("{module} -> {}", down.join(", ")));
        if !up.is_empty() {
            let up: Vec<&str> = up.iter().map(|used| used.as_str()).collect();
            text.push_str(&format!("  (up: {})", up.join(", ")));
        }
        text.push('\n');
    }
    text
}

#[test]
fn module_graph_runs_down_the_layers() {
    let floors = layers(&architecture());
    let mut floor_of = BTreeMap::new();
    for (floor, modules) in floors.iter().enumerate() {
        for module in modules {
            assert!(
                floor_of.insert(module.clone(), floor).is_none(),
                "{module} is on two floors in ARCHITECTURE.md's Layers"
            );
        }
    }
    let graph = module_graph();
    // `tools/modgraph.sh` prints this.
    println!("module graph (top floor first; `a -> b`: a uses b):\n{}", drawing(&graph, &floor_of));
    let mut problems = Vec::new();
    for (module, used) in &graph {
        let Some(floor) = floor_of.get(module) else {
            problems.push(format!("{module} is on no floor of ARCHITECTURE.md's Layers"));
            continue;
        };
        for other in used {
            match floor_of.get(other) {
                None => problems
                    .push(format!("{module} uses {other}, which is on no floor (crate::{other} is not a module?)")),
                Some(other_floor) if other_floor >= floor => {
                    problems.push(format!("{module} uses {other}, which is not on a floor below it"));
                }
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "the module graph does not run down the layers:\n{}", problems.join("\n"));
}

#[test]
fn module_graph_reads_use_groups_and_paths() {
    let kept = code(
        "use crate::{span::Span, syntax::{ast, Rule}};\n// use crate::cli;\nfn f() { crate::ir::hashing(); wf_crate::x(); }\n#[cfg(test)]\nmod tests {\n    use crate::run;\n}\n",
    );
    let names: Vec<String> = first_names(&kept, "crate::").into_iter().collect();
    assert_eq!(names, ["ir", "span", "syntax"]);
    // Only a test module is left out: a test-only item elsewhere still counts.
    let kept = code("#[cfg(test)]\nuse crate::run;\nfn f() {}\n#[cfg(test)]\nmod tests;\nuse crate::cost;\n");
    let names: Vec<String> = first_names(&kept, "crate::").into_iter().collect();
    assert_eq!(names, ["cost", "run"]);
}

/// The sub-modules of a stage that has a folder: the first name under `src/STAGE/`
/// (`src/run/journal/history.rs` is in `journal`). The stage's own file (`src/run.rs`) is the
/// stage's front door, not a sub-module: what sub-modules use of it (`super::Options`) and what
/// it uses of them are left out.
fn submodule_of(stage: &str, file: &str) -> Option<String> {
    let path = file.strip_prefix("src/")?.strip_prefix(stage)?.strip_prefix('/')?;
    Some(path.split('/').next()?.trim_end_matches(".rs").to_owned())
}

/// The graph among one stage's sub-modules: `super::NAME` in a file directly in the stage's
/// folder, `super::super::NAME` one folder deeper, and `crate::STAGE::NAME` anywhere in it.
fn submodule_graph(stage: &str) -> BTreeMap<String, BTreeSet<String>> {
    let files = source_files();
    let tests = test_files(&files);
    let inside: Vec<(&String, String)> =
        files.iter().filter_map(|file| Some((file, submodule_of(stage, file)?))).collect();
    let names: BTreeSet<String> = inside.iter().map(|(_, name)| name.clone()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, name) in inside.iter().filter(|(file, _)| !tests.contains(*file)) {
        let code = code(&std::fs::read_to_string(root().join(file)).unwrap());
        let depth = file.matches('/').count() - 2;
        let mut used = first_names(&code, &format!("crate::{stage}::"));
        used.extend(first_names(&code, &"super::".repeat(depth + 1)));
        let entry = graph.entry(name.clone()).or_default();
        entry.extend(used.into_iter().filter(|used| names.contains(used) && used != name));
    }
    graph
}

/// A cycle in `graph`, as the modules along it with the first repeated at the end.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|seen| seen == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// The stages whose sub-modules still use each other in a circle: known debt, printed but not
/// failed on. None today (run's ask <-> exec and diag's render <-> sarif were broken); a stage
/// that joins it says why in ARCHITECTURE.md.
const CIRCULAR_STAGES: &[&str] = &[];

#[test]
fn submodules_of_a_stage_use_each_other_one_way() {
    let stages: BTreeSet<String> = source_files()
        .iter()
        .filter_map(|file| Some(file.strip_prefix("src/")?.split_once('/')?.0.to_owned()))
        .collect();
    let mut problems = Vec::new();
    for stage in &stages {
        let graph = submodule_graph(stage);
        // `tools/modgraph.sh STAGE` prints this.
        println!("sub-module graph of {stage} (`a -> b`: {stage}::a uses {stage}::b):");
        for (module, used) in &graph {
            println!("{module} -> {}", used.iter().map(String::as_str).collect::<Vec<_>>().join(", "));
        }
        let found = cycle(&graph);
        if let Some(found) = &found {
            println!("cycle: {}", found.join(" -> "));
            if !CIRCULAR_STAGES.contains(&stage.as_str()) {
                problems.push(format!("{stage}'s sub-modules use each other in a circle: {}", found.join(" -> ")));
            }
        }
        println!();
    }
    assert!(problems.is_empty(), "sub-modules must use each other one way:\n{}", problems.join("\n"));
}

#[test]
fn cycle_finds_a_circle_and_only_a_circle() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph.entry((*from).to_owned()).or_default().insert((*to).to_owned());
            graph.entry((*to).to_owned()).or_default();
        }
        graph
    };
    assert_eq!(cycle(&graph(&[("ask", "exec"), ("exec", "scope"), ("ask", "scope")])), None);
    assert_eq!(
        cycle(&graph(&[("ask", "exec"), ("exec", "step"), ("step", "ask")])),
        Some(vec!["ask".to_owned(), "exec".to_owned(), "step".to_owned(), "ask".to_owned()])
    );
    assert_eq!(submodule_of("run", "src/run/journal/history.rs").as_deref(), Some("journal"));
    assert_eq!(submodule_of("run", "src/run.rs"), None);
}
