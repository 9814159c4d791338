#![allow(clippy::disallowed_methods)] // Tests write files and run the binary.

//! Input written to hurt: huge, long-lined, misspelt or pointing where it should not. None of
//! it may panic, take time or memory out of proportion to what is shown, or read what it
//! should not (issue 11's front-end items).

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use wf::diag::{self, Format, Style};

fn wf(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wf"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("wf runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn render(text: &str, format: Format) -> String {
    let outcome = common::check_text(text);
    diag::render(&outcome.checked.diagnostics, &outcome.sources, format, Style { color: false, width: 100 })
}

/// `workflow w() { … }` with `body` on one line.
fn one_line(body: &str) -> String {
    format!("workflow w() {{ {body} }}\n")
}

#[test]
fn a_label_past_column_65535_renders_a_window_of_its_line() {
    let source = one_line(&format!("run a \"{}\" {{ retry nope }}", "x".repeat(70_000)));
    for format in [Format::Human, Format::Short, Format::Json, Format::Github] {
        let out = render(&source, format);
        assert!(out.contains("nope"), "{format:?}:\n{out}");
        assert!(out.len() < 2_000, "{format:?} printed {} bytes", out.len());
    }
    let human = render(&source, Format::Human);
    assert!(human.contains("main.wf:1:70033"), "{human}");
    assert!(human.contains("...xxxx"), "the cut is marked:\n{human}");
}

#[test]
fn five_thousand_unknown_names_show_200_and_count_the_rest() {
    let mut source = String::from("workflow w() {\n");
    for n in 0..5_000 {
        let _ = writeln!(source, "  run s{n} \"echo {{{{nope{n}}}}}\"");
    }
    source.push_str("}\n");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("many.wf"), &source).expect("write");

    let started = Instant::now();
    let output = wf(dir.path(), &["check", "many.wf"]);
    let took = started.elapsed();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(stdout.matches("wf::check::unknown_name").count(), diag::MAX_PER_FILE);
    assert!(stdout.contains("4800 more diagnostics in `many.wf` are not shown"), "{}", &stdout[stdout.len() - 300..]);
    assert!(text(&output.stderr).contains("5000 errors"), "the summary counts them all");
    // Quadratic work (a "did you mean" over 5,000 names for each of 5,000 names, or a scan
    // from the file's start per diagnostic) took 12 s here; linear work takes well under 1 s.
    assert!(took < Duration::from_secs(6), "wf check took {took:?}");
}

#[test]
fn a_long_line_full_of_errors_prints_a_window_per_diagnostic() {
    let body: Vec<String> = (0..1_200).map(|n| format!("run s{n} \"x\" {{ retry zz{n} }}")).collect();
    let source = one_line(&body.join(" "));
    assert!(source.len() > 30_000);
    let out = render(&source, Format::Human);
    // Each of the 200 diagnostics shown prints its line cut to about 130 characters.
    assert!(out.len() < 200 * 1_000, "printed {} bytes for a {} byte file", out.len(), source.len());
    assert!(out.contains("1000 more diagnostics"), "{}", &out[out.len() - 300..]);
}

#[test]
fn a_long_else_if_chain_with_errors_checks_in_proportion() {
    let mut source = String::from("workflow w(n: int = 1) {\n  ");
    for n in 0..8_000 {
        let _ = write!(source, "if n == {n} {{ run s{n} \"{{{{zz}}}}\" }} else ");
    }
    source.push_str("{ run last \"x\" }\n}\n");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("chain.wf"), &source).expect("write");
    let started = Instant::now();
    let output = wf(dir.path(), &["check", "chain.wf"]);
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(output.stdout.len() < 500_000, "printed {} bytes", output.stdout.len());
    // It panicked after 37 s and 839 MB; now it takes about 1.5 s in a debug build.
    assert!(took < Duration::from_secs(20), "wf check took {took:?}");
}

#[test]
fn a_step_name_over_65535_characters_prints_in_cost_and_dry_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "a".repeat(70_000);
    std::fs::write(dir.path().join("long.wf"), format!("workflow w() {{\n  run {name} \"echo\"\n}}\n")).expect("write");
    for args in [&["cost", "long.wf"][..], &["cost", "long.wf", "--format", "json"], &["run", "--dry-run", "long.wf"]] {
        let output = wf(dir.path(), args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output.stderr));
        assert!(text(&output.stdout).contains(&name), "{args:?}");
    }
}

/// Runs `wf` with a stdout whose reader is already gone, so the first write fails.
fn wf_into_closed_pipe(dir: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_wf"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("wf runs")
}

#[test]
fn a_closed_pipe_ends_printing_commands_quietly_and_a_run_still_finishes() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let source = "workflow w() {\n  run a \"echo a\"\n  run b \"echo {{nope}}\"\n}\n";
    std::fs::write(dir.path().join("bad.wf"), source).expect("write");
    std::fs::write(dir.path().join("ok.wf"), "workflow w() {\n  run a \"echo a\"\n}\n").expect("write");

    // A run's stdout going away loses the report, not the run: it finishes and is journaled.
    let ran = wf_into_closed_pipe(dir.path(), &["run", "ok.wf"]);
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran.stderr));
    assert!(!text(&ran.stderr).contains("panicked"), "{}", text(&ran.stderr));
    let shown = wf(dir.path(), &["show"]);
    assert!(text(&shown.stdout).contains("succeeded"), "{}", text(&shown.stdout));

    let commands: [&[&str]; 9] = [
        &["check", "bad.wf"],
        &["check", "--format", "json", "bad.wf"],
        &["cost", "ok.wf", "--format", "json"],
        &["graph", "ok.wf"],
        &["explain"],
        &["run", "--dry-run", "ok.wf"],
        &["runs"],
        &["show", "--format", "json"],
        &["stats"],
    ];
    for args in commands {
        let output = wf_into_closed_pipe(dir.path(), args);
        assert_eq!(
            output.status.signal(),
            Some(13),
            "{args:?} ended with {:?}: {}",
            output.status,
            text(&output.stderr)
        );
        assert_eq!(text(&output.stderr), "", "{args:?} printed to stderr");
    }
}

/// A payload of every class that breaks out of a badly quoted shell word.
const PAYLOADS: [&str; 9] = [
    "$(touch pwned)",
    "`touch pwned`",
    "x; touch pwned",
    "a' ; touch pwned ; '",
    "a\" ; touch pwned ; \"",
    "line\ntouch pwned",
    "\\'; touch pwned #",
    "*",
    "EOF\ntouch pwned\nEOF",
];

fn run_with_payload(command: &str, payload: &str) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = format!("workflow w(p: string) {{\n  run show \"{command}\"\n}}\n");
    std::fs::write(dir.path().join("flow.wf"), source).expect("write");
    std::fs::write(dir.path().join("decoy"), "").expect("write");
    let output = wf(dir.path(), &["run", "flow.wf", "--arg", &format!("p={payload}")]);
    (dir, output)
}

#[test]
fn an_interpolation_where_the_shell_would_undo_its_quoting_is_an_error_for_every_payload() {
    // Each as written inside the wf string literal of a `run` command.
    let contexts = [
        (r#"printf '%s' \"{{p}}\" > out"#, "inside double quotes"),
        (r"printf '%s' '{{p}}' > out", "inside single quotes"),
        (r"printf '%s' $'{{p}}' > out", "inside `$'…'` quotes"),
        (r"printf '%s' `printf '%s' {{p}}` > out", "inside backticks"),
        (r"echo $(( {{p}} )) > out", "inside `$((…))`"),
        (r"printf '%s' ${UNSET:-{{p}}} > out", "inside `${…}`"),
        (r"cat > out <<EOF\n{{p}}\nEOF", "in a here-document"),
        (r"cat > out <<'EOF'\n{{p}}\nEOF", "in a here-document"),
        (r"echo hi > out # {{p}}", "in a shell comment"),
        (r"printf '%s' \\{{p}} > out", "right after a backslash"),
        (r"printf '%s' ${{p}} > out", "right after a `$`"),
    ];
    for (command, place) in contexts {
        for payload in PAYLOADS {
            let (dir, output) = run_with_payload(command, payload);
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{command} with {payload:?} ran:\n{stderr}");
            assert!(stderr.contains("wf::check::quoted_interpolation"), "{command}:\n{stderr}");
            assert!(stderr.contains(place), "{command} is {place}:\n{stderr}");
            assert!(!dir.path().join("pwned").exists(), "{command} with {payload:?} executed it");
            assert!(!dir.path().join("out").exists(), "{command} ran at all");
        }
    }
}

#[test]
fn an_interpolation_as_a_plain_word_arrives_whole_for_every_payload() {
    let contexts = [r"printf '%s' {{p}} > out", r#"x=$(printf '%s' {{p}}); printf '%s' \"$x\" > out"#];
    for command in contexts {
        for payload in PAYLOADS {
            let (dir, output) = run_with_payload(command, payload);
            assert_eq!(output.status.code(), Some(0), "{command} with {payload:?}:\n{}", text(&output.stderr));
            let out = std::fs::read_to_string(dir.path().join("out")).expect("out");
            // `$(…)` drops trailing newlines, as the shell always does.
            assert_eq!(out, payload.trim_end_matches('\n'), "{command}");
            assert!(!dir.path().join("pwned").exists(), "{command} with {payload:?} executed it");
        }
    }
}

fn check_use(dir: &Path, target: &str, extra: &[&str]) -> Output {
    let source = format!("use \"{target}\" as m\n\nworkflow w() {{\n  run a \"true\"\n}}\n");
    std::fs::write(dir.join("main.wf"), source).expect("write");
    let mut args = vec!["check", "main.wf"];
    args.extend_from_slice(extra);
    wf(dir, &args)
}

#[test]
fn use_reads_only_regular_files_of_a_sane_size_inside_the_project() {
    let outer = tempfile::tempdir().expect("temp dir");
    let project = outer.path().join("project");
    std::fs::create_dir_all(project.join(".git")).expect("mkdir");
    std::fs::create_dir_all(project.join("flows")).expect("mkdir");
    std::fs::write(outer.path().join("outside.wf"), "const x = 1\n").expect("write");
    std::fs::write(project.join("big.wf"), " ".repeat(5 * 1024 * 1024)).expect("write");
    std::fs::write(project.join("lib.wf"), "const x = 1\n").expect("write");
    std::os::unix::fs::symlink(outer.path().join("outside.wf"), project.join("link.wf")).expect("symlink");
    let flows = project.join("flows");

    let anywhere = &["--allow-outside-project"][..];
    let refused = [
        ("/dev/zero", anywhere, "a character device"),
        ("/etc/passwd", &[][..], "outside the project"),
        ("../../outside.wf", &[], "outside the project"),
        ("../link.wf", &[], "outside the project"),
        ("../big.wf", &[], "more than the 4194304"),
        ("../flows", &[], "a directory"),
    ];
    for (target, flags, why) in refused {
        let started = Instant::now();
        let output = check_use(&flows, target, flags);
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{target}: {stdout}");
        assert!(stdout.contains("wf::load::module_refused"), "{target}: {stdout}");
        assert!(stdout.contains(why), "{target} is refused as {why}: {stdout}");
        assert!(!stdout.contains("root:"), "{target}: the file's lines are not shown");
        assert!(started.elapsed() < Duration::from_secs(10), "{target} was read");
    }
    // Inside the project, `..` is fine; outside it, the flag lets it be read.
    assert_eq!(check_use(&flows, "../lib.wf", &[]).status.code(), Some(0));
    let allowed = check_use(&flows, "../../outside.wf", &["--allow-outside-project"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stdout));
    // The file named on the command line is held to the same kinds and size.
    let output = wf(&flows, &["check", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("a character device"), "{}", text(&output.stderr));
}

#[test]
fn three_typos_in_three_steps_are_three_errors_with_the_keyword_meant() {
    let source = "workflow w() {\n  run a \"make\" {\n    retyr 2\n  }\n  run b \"make\" {\n    timout 5s\n  }\n  \
                  run c \"make\" { on failur abort }\n  run d \"echo {{c.stdout}}\"\n}\n";
    let outcome = common::check_text(source);
    let found: Vec<(String, Option<String>)> =
        outcome.checked.diagnostics.iter().map(|d| (d.code(), d.help())).collect();
    let unexpected = |help: &str| ("wf::syntax::unexpected".to_string(), Some(help.to_string()));
    assert_eq!(
        found,
        [
            unexpected("did you mean `retry`?"),
            unexpected("did you mean `timeout`?"),
            unexpected("did you mean `failure`?")
        ],
        "{}",
        render(source, Format::Short)
    );
}

#[test]
fn a_misspelt_unit_is_one_error_not_two() {
    for source in [
        "workflow w() {\n  run a \"make\" { timeout 5min }\n}\n",
        "workflow w() {\n  run a \"make\" { retry 2 backoff 1sec..5s }\n}\n",
    ] {
        let codes = common::codes(&common::check_text(source));
        assert_eq!(codes, ["wf::syntax::invalid_duration"], "{source}");
    }
}
