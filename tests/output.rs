#![allow(clippy::disallowed_methods)] // Tests run the binary and read what it keeps.

//! What wf keeps of a command's output is capped: a spill file holds at most
//! `--output-limit` bytes — the stream's head, a line saying what was cut, and its end.

#[path = "common/workdir.rs"]
mod workdir;

use workdir::{latest_run, Dir};

#[test]
fn a_spill_file_keeps_head_and_tail_within_the_limit_and_says_what_was_cut() {
    // About 10 MB: a first line, two million short ones, a last line.
    let dir = Dir::new(r#"workflow w() { run big "echo HEAD; yes line | head -n 2000000; echo TAIL" }"#);
    dir.wf(&["run", "flow.wf", "--quiet", "--output-limit", "4M"]).code(0);
    let run = latest_run(&dir).id;
    let spill = dir.path().join(".wf/runs").join(&run).join("big.1.stdout");
    let kept = std::fs::read(&spill).expect("spill file");
    let note_room = 200;
    assert!(kept.len() <= (4 << 20) + note_room, "{} bytes kept", kept.len());
    assert!(kept.starts_with(b"HEAD\nline\n"), "the head is kept");
    assert!(kept.ends_with(b"line\nTAIL\n"), "the end is kept");
    let text = String::from_utf8_lossy(&kept);
    let note = text.lines().find(|line| line.contains("cut here")).expect("a line says what was cut");
    assert!(note.contains("the stream was 9.5 MiB") && note.contains("--output-limit"), "{note}");
    // The step's value says the same, and ends with the stream's last line.
    let steps = dir.journal().steps(&run).expect("steps");
    let Some(wf::ir::Value::Record(fields)) = &steps["big"].value else { panic!("a record") };
    let stdout = fields["stdout"].to_text();
    assert!(stdout.starts_with("[wf: output too large (9.5 MiB)") && stdout.contains("its first"), "{stdout:.200}");
    assert!(stdout.ends_with("TAIL\n"));
}

#[test]
fn an_output_limit_too_small_is_a_usage_error() {
    let dir = Dir::new(r#"workflow w() { run a "true" }"#);
    let ran = dir.wf(&["run", "flow.wf", "--output-limit", "1k"]);
    ran.code(2);
    assert!(ran.stderr().contains("under 2M"), "{}", ran.stderr());
}

#[test]
fn each_attempt_spills_to_its_own_file() {
    let dir = Dir::new(
        r#"workflow w() { run big "echo attempt $WF_ATTEMPT; yes line | head -n 300000; exit 1" { retry 1 backoff 1ms..1ms } }"#,
    );
    dir.wf(&["run", "flow.wf", "--quiet"]).code(1);
    let folder = dir.path().join(".wf/runs").join(latest_run(&dir).id);
    for attempt in 1..=2 {
        let kept = std::fs::read_to_string(folder.join(format!("big.{attempt}.stdout"))).expect("its own file");
        assert!(kept.starts_with(&format!("attempt {attempt}\n")), "attempt {attempt}'s output");
    }
}

#[test]
fn a_stream_without_newlines_is_capped_like_any_other() {
    // 10 MiB in one line: neither held whole in memory nor kept whole on disk.
    let dir = Dir::new(r#"workflow w() { run big "head -c 10485760 /dev/zero | tr '\\0' x; echo; echo END" }"#);
    dir.wf(&["run", "flow.wf", "--quiet", "--output-limit", "3M"]).code(0);
    let run = latest_run(&dir).id;
    let kept = std::fs::read(dir.path().join(".wf/runs").join(&run).join("big.1.stdout")).expect("spill file");
    assert!(kept.len() <= (3 << 20) + 200, "{} bytes kept", kept.len());
    assert!(kept.starts_with(b"xxxx") && kept.ends_with(b"xxx\nEND\n"));
    assert!(String::from_utf8_lossy(&kept).contains("[wf: 7.0 MiB cut here: the stream was 10.0 MiB"));
}
