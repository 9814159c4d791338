#![allow(clippy::disallowed_methods)] // Tests run the binary, real commands and read the state folder.

//! Secrets at run time (docs/secrets.md): read from the environment when a run starts or
//! resumes, given to commands as environment variables, and masked as `***` in everything wf
//! prints, journals, reports or emits — searched for byte by byte in every file under `.wf/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wf::journal::{Journal, RunStatus};

const NAME: &str = "WF_TEST_TOKEN";
/// Long and unlike anything wf prints, so finding it anywhere is a leak.
const SECRET: &str = "wf-S3cr3t-7Qz9-xK2v";

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new(workflow: &str) -> Dir {
        let dir = Dir { dir: tempfile::tempdir().expect("temp dir") };
        dir.write("flow.wf", workflow);
        dir
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).expect("write");
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap_or_default()
    }

    /// `wf ARGS` in the folder, with the secret in its environment or not.
    fn wf(&self, args: &[&str], secret: Option<&str>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wf"));
        command.current_dir(self.path()).args(args).env("NO_COLOR", "1").env_remove("WF_STATE_DIR");
        command.env_remove(NAME).env_remove("WF_TEST_OTHER");
        if let Some(secret) = secret {
            command.env(NAME, secret);
        }
        command.output().expect("wf runs")
    }

    fn journal(&self) -> Journal {
        Journal::open(&self.path().join(".wf")).expect("journal opens")
    }

    /// Every file under the state folder: the database, its `-wal` and `-shm`, spill files.
    fn state_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        let mut folders = vec![self.path().join(".wf")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("state folder").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files
    }
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn assert_no_secret(what: &str, bytes: &[u8]) {
    assert!(!holds(bytes, SECRET.as_bytes()), "the secret leaked into {what}");
}

/// Every way a secret can come back out of a command: stdout, stderr, a typed output read
/// with a regex and with a JSON pointer, a step value interpolated into a later command, a
/// gate's message, an agent's answer and error, more than 1 MiB of output (spilled to a file), a
/// failure's stderr tail, and an undo command.
const LEAKY: &str = r#"use std/models

workflow leaky() {
  secret WF_TEST_TOKEN
  model models.sonnet
  run present "test ${#WF_TEST_TOKEN} = 19 && case \"$WF_TEST_TOKEN\" in wf-S3cr3t-*) ;; *) exit 1 ;; esac" {
    undo run "echo undoing with $WF_TEST_TOKEN; printf %s \"${#WF_TEST_TOKEN}\" > undo-saw"
  }
  run echoes "echo token: $WF_TEST_TOKEN; echo on stderr $WF_TEST_TOKEN >&2" {
    output token: string = regex(stdout, "token: (.*)")
  }
  run json "printf '{\"t\":\"%s\"}\n' \"$WF_TEST_TOKEN\"" { output token: string = json(stdout, "/t") }
  run later "echo {{echoes.token}} {{json.token}} > later.txt"
  gate looked { warn echoes.token == "" "the token read {{echoes.token}}" }
  agent helper "assistant" { prompt "say something" returns { note: string } }
  run relay "echo {{helper.text}} {{helper.note}} > agent.txt"
  agent flaky "assistant" { prompt "try" on failure continue }
  run big "i=0; while [ $i -lt 200 ]; do head -c 6000 /dev/zero | tr '\\0' x; echo \" $WF_TEST_TOKEN\"; i=$((i+1)); done"
  run fails "echo about to fail with $WF_TEST_TOKEN; echo failing with $WF_TEST_TOKEN >&2; exit 3" {
    on failure rollback
  }
}
"#;

#[test]
fn the_secret_reaches_commands_and_nothing_wf_writes_or_prints() {
    let dir = Dir::new(LEAKY);
    let answer = format!(
        r#"{{"steps": {{"helper": {{"text": "agent says {SECRET}", "returns": {{"note": "{SECRET}!"}}}},
            "flaky": {{"fail": "overloaded by {SECRET}"}}}}}}"#
    );
    dir.write("sim.json", &answer);
    let args =
        ["run", "flow.wf", "--verbose", "--sim", "sim.json", "--events", "ndjson", "--events-file", "events.ndjson"];
    let ran = dir.wf(&args, Some(SECRET));
    let (stdout, stderr) = (text(&ran.stdout), text(&ran.stderr));
    assert_eq!(code(&ran), Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");

    // The commands got the secret: the check passed, and so did the undo's.
    let journal = dir.journal();
    let run = journal.latest_run().ok().flatten().expect("a run");
    let steps = journal.steps(&run.id).expect("steps");
    assert_eq!(steps["present"].status, "succeeded", "the command saw {NAME}");
    assert_eq!(steps["fails"].status, "failed");
    assert_eq!(dir.read("undo-saw"), "19", "the undo command saw {NAME}");

    // Nothing printed holds it; `***` stands where it was (verbose lines, the report).
    assert_no_secret("stdout", &ran.stdout);
    assert_no_secret("stderr", &ran.stderr);
    assert!(stdout.contains("token: ***"), "verbose output masks the line:\n{stdout}");
    assert!(stdout.contains("failing with ***"), "the report's stderr tail masks it:\n{stdout}");

    // The events, streamed lines included.
    let events = std::fs::read(dir.path().join("events.ndjson")).expect("events file");
    assert_no_secret("the events file", &events);
    let events = text(&events);
    assert!(events.contains(r#""line":"on stderr ***""#), "{events}");
    assert!(events.contains(r#""stderr_tail":"failing with ***""#), "{events}");
    assert!(events.contains("the token read ***"), "the gate's message: {events}");
    assert!(events.contains("overloaded by ***"), "the provider's error: {events}");

    // Values later steps read were masked before they could carry it on.
    assert_eq!(dir.read("later.txt").trim(), "*** ***");
    assert_eq!(dir.read("agent.txt").trim(), "agent says *** ***!");

    // The report, built again from the journal.
    let report = wf::report::build(&journal, &run.id).expect("report");
    let report = wf::report::human(&report, &wf::report::Palette::new(false));
    assert_no_secret("the report", report.as_bytes());
    assert!(report.contains("failing with ***"), "{report}");
    let shown = dir.wf(&["show", &run.id], None);
    assert_eq!(code(&shown), Some(0), "{}", text(&shown.stderr));
    assert_no_secret("wf show", &shown.stdout);
    let json = dir.wf(&["show", &run.id, "--format", "json"], None);
    assert_no_secret("wf show --format json", &json.stdout);

    // Every byte under `.wf/`, the spill file included.
    let files = dir.state_files();
    let spilled: Vec<&PathBuf> =
        files.iter().filter(|path| path.extension().is_some_and(|ext| ext == "stdout")).collect();
    assert!(!spilled.is_empty(), "the big output was spilled: {files:?}");
    for file in &files {
        let bytes = std::fs::read(file).expect("state file");
        assert_no_secret(&file.display().to_string(), &bytes);
    }
    let spill = std::fs::read(spilled[0]).expect("spill file");
    assert!(spill.len() > 1 << 20, "the whole stream is in the spill file");
    assert_eq!(text(&spill).matches(" ***\n").count(), 200, "every occurrence masked in the spill file");
}

#[test]
fn missing_secrets_stop_the_run_before_it_is_created() {
    let dir = Dir::new(
        r#"workflow w() {
  secret WF_TEST_TOKEN
  secret WF_TEST_OTHER
  run first "touch ran"
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf"], None);
    let stderr = text(&ran.stderr);
    assert_eq!(code(&ran), Some(2), "{stderr}");
    assert!(stderr.contains("`WF_TEST_TOKEN`, `WF_TEST_OTHER` are not set"), "both named: {stderr}");
    assert!(!dir.path().join("ran").exists(), "nothing ran");
    assert!(dir.journal().latest_run().expect("journal reads").is_none(), "no run was created");
}

#[test]
fn empty_and_short_secrets_are_refused() {
    let dir = Dir::new("workflow w() {\n  secret WF_TEST_TOKEN\n  run first \"touch ran\"\n}\n");
    let empty = dir.wf(&["run", "flow.wf"], Some(""));
    assert_eq!(code(&empty), Some(2));
    assert!(text(&empty.stderr).contains("`WF_TEST_TOKEN` is not set"), "{}", text(&empty.stderr));
    let short = dir.wf(&["run", "flow.wf"], Some("abc"));
    assert_eq!(code(&short), Some(2));
    assert!(text(&short.stderr).contains("shorter than 4 bytes"), "{}", text(&short.stderr));
    assert!(!dir.path().join("ran").exists(), "nothing ran");
}

#[test]
fn secrets_of_called_workflows_are_required_and_given_to_their_commands() {
    let dir = Dir::new(
        r#"workflow main() {
  call sub helper()
}

workflow helper() {
  secret WF_TEST_TOKEN
  run saw "printf %s \"${#WF_TEST_TOKEN}\" > saw; echo $WF_TEST_TOKEN"
}"#,
    );
    let missing = dir.wf(&["run", "flow.wf", "--workflow", "main"], None);
    assert_eq!(code(&missing), Some(2), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("WF_TEST_TOKEN"));
    let ran = dir.wf(&["run", "flow.wf", "--workflow", "main", "--verbose"], Some(SECRET));
    assert_eq!(code(&ran), Some(0), "{}", text(&ran.stderr));
    assert_eq!(dir.read("saw"), "19");
    assert_no_secret("stdout", &ran.stdout);
}

#[test]
fn resume_reads_the_secrets_again() {
    let dir = Dir::new(
        r#"workflow w() {
  secret WF_TEST_TOKEN
  run check "test -f fixed"
  run after "printf %s \"${#WF_TEST_TOKEN}\" > saw"
}"#,
    );
    assert_eq!(code(&dir.wf(&["run", "flow.wf"], Some(SECRET))), Some(1));
    dir.write("fixed", "");
    let unset = dir.wf(&["resume"], None);
    assert_eq!(code(&unset), Some(2), "{}", text(&unset.stderr));
    assert!(text(&unset.stderr).contains("WF_TEST_TOKEN"), "{}", text(&unset.stderr));
    let run = dir.journal().latest_run().ok().flatten().expect("a run");
    assert_eq!(run.status, RunStatus::Failed, "the refused resume left the run as it was");
    assert!(!dir.path().join("saw").exists());
    let resumed = dir.wf(&["resume"], Some(SECRET));
    assert_eq!(code(&resumed), Some(0), "{}", text(&resumed.stderr));
    assert_eq!(dir.read("saw"), "19", "the resumed run's command got the secret");
}

#[test]
fn a_secret_is_not_a_value_even_where_it_is_not_declared() {
    // `helper` does not declare the secret, so the checker lets `env(...)` through; the run
    // does not: the value would be on a command line, visible in `ps`.
    let dir = Dir::new(
        r#"workflow main() {
  secret WF_TEST_TOKEN
  call sub helper()
}

workflow helper() {
  run show "echo {{env(\"WF_TEST_TOKEN\")}} > shown"
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf", "--workflow", "main"], Some(SECRET));
    assert_eq!(code(&ran), Some(1), "{}", text(&ran.stdout));
    assert!(!dir.path().join("shown").exists(), "the command never ran with the secret in it");
}

#[test]
fn an_argument_holding_a_secret_is_refused_before_the_run_is_created() {
    let dir = Dir::new("workflow w(token: string) {\n  secret WF_TEST_TOKEN\n  run first \"touch ran\"\n}\n");
    let ran = dir.wf(&["run", "flow.wf", "--arg", &format!("token=Bearer {SECRET}")], Some(SECRET));
    let stderr = text(&ran.stderr);
    assert_eq!(code(&ran), Some(2), "{stderr}");
    assert!(stderr.contains("the argument `token` holds a secret's value"), "{stderr}");
    assert_no_secret("stderr", &ran.stderr);
    assert!(!dir.path().join("ran").exists(), "nothing ran");
    assert!(dir.journal().latest_run().expect("journal reads").is_none(), "no run was created");
}

#[test]
fn a_called_workflow_that_does_not_declare_a_secret_does_not_inherit_it() {
    // `main` declares the secret and gets it; `helper` does not declare it, and its commands
    // (a step and an undo) must not find it in the environment wf passes on. `other` sets a
    // variable of the same name itself, which is its own value, not the secret.
    let dir = Dir::new(
        r#"workflow main() {
  secret WF_TEST_TOKEN
  run own "printf %s \"${#WF_TEST_TOKEN}\" > own"
  call sub helper()
  call mine other()
  run boom "exit 1" { on failure rollback }
}

workflow helper() {
  run saw "printf %s \"${WF_TEST_TOKEN:-absent}\" > saw" {
    undo run "printf %s \"${WF_TEST_TOKEN:-absent}\" > undone"
  }
}

workflow other() {
  env { WF_TEST_TOKEN: "its-own-value" }
  run set "printf %s \"$WF_TEST_TOKEN\" > other"
}"#,
    );
    let ran = dir.wf(&["run", "flow.wf", "--workflow", "main"], Some(SECRET));
    assert_eq!(code(&ran), Some(1), "{}", text(&ran.stderr));
    assert_eq!(dir.read("own"), "19", "the declaring workflow's command gets it");
    assert_eq!(dir.read("saw"), "absent", "a workflow that does not declare it does not");
    assert_eq!(dir.read("undone"), "absent", "nor does its undo");
    assert_eq!(dir.read("other"), "its-own-value");
}
