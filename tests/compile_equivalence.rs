#![allow(clippy::disallowed_methods)] // The harness runs the binary and reads journals.

//! The equivalence harness (a test, not a product feature): the compiled GitHub Actions jobs
//! run in dependency order the way the engine runs them — each job (and each matrix index)
//! in a fresh folder of its own, as on a fresh runner: `actions/checkout` copies the test's
//! folder as it was before anything ran, the artifact actions are folders of a store shared by
//! the run, every `run:` step but "Install wf" runs with `sh -c` (`$RUNNER_TEMP` a folder per
//! job, `$GITHUB_OUTPUT` per step), the step's `env:` with the engine's expressions replaced by
//! what the engine would put there, the matrix one index at a time — and the statuses, values
//! and ledger they end with are compared with `wf run` of the same workflow.

mod common;
#[path = "common/workdir.rs"]
mod workdir;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value as Json;
use wf::compile::{Options, Target};
use wf::journal::Journal;

use workdir::Dir;

/// What a job ended with.
#[derive(Debug, Clone, PartialEq)]
enum Ended {
    Succeeded,
    Failed,
    Skipped,
}

struct Harness<'a> {
    /// The engine's side: `source/` (the checkout), `jobs/`, `temp/`, `artifacts/` and the
    /// journal the jobs share (`engine-state`, which the harness reads back).
    root: &'a Path,
    inputs: HashMap<String, String>,
    outputs: HashMap<String, (String, String)>,
    /// The branch each condition job chose (its `branch` output).
    branches: HashMap<String, String>,
    /// Each job's needs, to find its ancestors.
    needs: HashMap<String, Vec<String>>,
    ended: HashMap<String, Ended>,
    micros: i64,
    /// The engine's runs, one per task and iteration, in the order they ran.
    runs: Vec<String>,
    /// The folder of the last job but the report that ran: the workspace as the run left it.
    last: Option<PathBuf>,
}

/// `from`'s files under `to`, bytes, modes and links as they are.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let kind = entry.file_type().unwrap();
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Harness<'_> {
    fn expand(&self, text: &str, index: Option<u64>) -> String {
        let Some(inner) = text.strip_prefix("${{ ").and_then(|rest| rest.strip_suffix(" }}")) else {
            return text.to_owned();
        };
        if let Some(name) = inner.strip_prefix("inputs.") {
            return self.inputs.get(name).cloned().unwrap_or_default();
        }
        if let Some(rest) = inner.strip_prefix("needs.") {
            if let Some(job) = rest.strip_suffix(".outputs.usage") {
                return self.outputs.get(job).map(|(_, usage)| usage.clone()).unwrap_or_default();
            }
            let job = rest.strip_suffix(".outputs.values").expect("only values and usage are read");
            return self.outputs.get(job).map(|(values, _)| values.clone()).unwrap_or_default();
        }
        if inner == "matrix.index" {
            return index.expect("a matrix job").to_string();
        }
        panic!("the harness does not know `{text}`");
    }

    /// GitHub's rule: a job runs when its needs succeeded, unless it has an `if`, which
    /// decides. `failure()` is true when an ancestor failed, transitively (a skipped need does
    /// not stand for a failure: a branch not taken skips jobs too), `always()` and
    /// `!cancelled()` whatever happened (nothing is cancelled here), and
    /// `needs.X.outputs.branch == 'N'` reads the branch condition job X published (nothing,
    /// when it did not run).
    fn runs(&self, condition: Option<&str>, needs: &[String]) -> bool {
        let Some(condition) = condition else {
            return needs.iter().all(|need| self.ended[need] == Ended::Succeeded);
        };
        let mut ancestors: Vec<&String> = needs.iter().collect();
        let mut seen = std::collections::HashSet::new();
        let mut failed = false;
        while let Some(ancestor) = ancestors.pop() {
            if seen.insert(ancestor) {
                failed |= self.ended[ancestor] == Ended::Failed;
                ancestors.extend(&self.needs[ancestor]);
            }
        }
        let inner = condition.strip_prefix("${{ ").and_then(|rest| rest.strip_suffix(" }}")).expect("${{ }}");
        inner.split(" && ").all(|term| match term {
            "failure()" => failed,
            "!failure()" => !failed,
            "always()" | "!cancelled()" => true,
            _ => {
                let (job, branch) = term
                    .strip_prefix("needs.")
                    .and_then(|rest| rest.split_once(".outputs.branch == "))
                    .unwrap_or_else(|| panic!("the harness does not know `{term}` in `{condition}`"));
                assert!(needs.iter().any(|need| need == job), "`{job}` is not in the needs of `{condition}`");
                let branch = branch.trim_matches('\'');
                self.branches.get(job).map(String::as_str) == Some(branch)
            }
        })
    }

    /// A `with:` value: `${{ runner.temp }}` and `${{ matrix.index }}` inside it replaced.
    fn with(step: &Json, field: &str, temp: &Path, index: Option<u64>) -> Option<String> {
        let text = step["with"][field].as_str()?;
        let text = text.replace("${{ runner.temp }}", &temp.to_string_lossy());
        let text = text.replace("${{ matrix.index }}", &index.map(|i| i.to_string()).unwrap_or_default());
        assert!(!text.contains("${{"), "the harness does not know `{text}`");
        Some(text)
    }

    /// `actions/checkout`, `actions/upload-artifact` and `actions/download-artifact`, as
    /// folders (`artifacts/NAME/`, shared by the run as the engine's artifacts are); whether
    /// the step succeeded.
    fn action(&self, step: &Json, folder: &Path, temp: &Path, index: Option<u64>) -> bool {
        let store = self.root.join("artifacts");
        match step["uses"].as_str() {
            Some("actions/checkout@v4") => copy_tree(&self.root.join("source"), folder),
            Some("actions/upload-artifact@v4") => {
                let name = Self::with(step, "name", temp, index).unwrap();
                let path = folder.join(Self::with(step, "path", temp, index).unwrap());
                // `if-no-files-found: warn`, the default: no file, no artifact.
                if path.is_file() {
                    let into = store.join(name);
                    std::fs::create_dir_all(&into).unwrap();
                    std::fs::copy(&path, into.join(path.file_name().unwrap())).unwrap();
                }
            }
            Some("actions/download-artifact@v4") => {
                let into = folder.join(Self::with(step, "path", temp, index).unwrap());
                if let Some(name) = Self::with(step, "name", temp, index) {
                    // One artifact by name: its files straight into the path; a missing one fails.
                    if !store.join(&name).is_dir() {
                        return false;
                    }
                    copy_tree(&store.join(name), &into);
                } else {
                    // A pattern: each artifact that matches into a folder of its name.
                    let pattern = Self::with(step, "pattern", temp, index).unwrap();
                    let prefix = pattern.strip_suffix('*').expect("a pattern ending in *");
                    for entry in std::fs::read_dir(&store).into_iter().flatten().flatten() {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        if name.starts_with(prefix) {
                            copy_tree(&entry.path(), &into.join(&name));
                        }
                    }
                }
            }
            other => panic!("the harness does not know the step {other:?}"),
        }
        true
    }

    /// A step's `if:`: `always()`, or a comparison of an earlier step's output, which (as on
    /// GitHub) also needs every step before to have succeeded.
    fn step_runs(step: &Json, failed: bool, outputs: &HashMap<String, HashMap<String, String>>) -> bool {
        let Some(condition) = step["if"].as_str() else { return !failed };
        if condition == "${{ always() }}" {
            return true;
        }
        let inner = condition.strip_prefix("${{ steps.").and_then(|rest| rest.strip_suffix("' }}"));
        let inner = inner.unwrap_or_else(|| panic!("the harness does not know the step condition {condition}"));
        let (left, value) = inner.split_once(" '").unwrap();
        let (reference, equal) = match left.strip_suffix(" !=") {
            Some(reference) => (reference, false),
            None => (left.strip_suffix(" ==").unwrap(), true),
        };
        let (id, output) = reference.split_once(".outputs.").unwrap();
        let got = outputs.get(id).and_then(|outputs| outputs.get(output)).map_or("", String::as_str);
        !failed && ((got == value) == equal)
    }

    fn command(&self, script: &str, folder: &Path, temp: &Path, output: &Path) -> std::process::Command {
        let mut command = std::process::Command::new("sh");
        command.arg("-c").arg(script).current_dir(folder);
        let bin = Path::new(env!("CARGO_BIN_EXE_wf")).parent().unwrap();
        command.env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));
        command
            .env("GITHUB_OUTPUT", output)
            .env("RUNNER_TEMP", temp)
            .env("GITHUB_PATH", temp.join("github-path"))
            .env("WF_STATE_DIR", self.root.join("engine-state"))
            .env("NO_COLOR", "1");
        command
    }

    fn job(&mut self, name: &str, job: &Json) {
        let needs: Vec<String> = job["needs"]
            .as_array()
            .map(|needs| needs.iter().map(|n| n.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
        self.needs.insert(name.to_owned(), needs.clone());
        if !self.runs(job["if"].as_str(), &needs) {
            self.ended.insert(name.to_owned(), Ended::Skipped);
            return;
        }
        let indexes: Vec<Option<u64>> = match job["strategy"]["matrix"]["index"].as_array() {
            Some(indexes) => indexes.iter().map(|i| i.as_u64()).collect(),
            None => vec![None],
        };
        let steps = job["steps"].as_array().unwrap();
        let mut ok = true;
        for index in indexes {
            // A fresh runner: an empty working directory and an empty temp folder.
            let label = index.map_or_else(|| name.to_owned(), |index| format!("{name}.{index}"));
            let folder = self.root.join("jobs").join(&label);
            let temp = self.root.join("temp").join(&label);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::create_dir_all(&temp).unwrap();
            let mut failed = false;
            let mut step_outputs: HashMap<String, HashMap<String, String>> = HashMap::new();
            for (at, step) in steps.iter().enumerate() {
                if !Self::step_runs(step, failed, &step_outputs) {
                    continue;
                }
                let succeeded = if step.get("uses").is_some() {
                    self.action(step, &folder, &temp, index)
                } else if step["name"] == "Install wf" {
                    true // The harness puts the built binary on PATH.
                } else {
                    let script = step["run"].as_str().unwrap();
                    let output = temp.join(format!("output-{at}"));
                    std::fs::write(&output, "").unwrap();
                    let mut command = self.command(script, &folder, &temp, &output);
                    if step["id"] == "wf" {
                        assert!(script.starts_with("wf step "), "{script}");
                    }
                    if let Some(env) = step["env"].as_object() {
                        for (key, value) in env {
                            command.env(key, self.expand(value.as_str().unwrap(), index));
                        }
                    }
                    let ran = command.output().unwrap();
                    let text = std::fs::read_to_string(&output).unwrap();
                    let mut outputs = HashMap::new();
                    for line in text.lines() {
                        if let Some((key, value)) = line.split_once('=') {
                            outputs.insert(key.to_owned(), value.to_owned());
                        }
                    }
                    if step["id"] == "wf" {
                        self.wf_step(name, index, &outputs);
                    } else {
                        assert!(
                            ran.status.success(),
                            "`{}` of {label} failed: {}",
                            step["name"],
                            String::from_utf8_lossy(&ran.stderr)
                        );
                    }
                    if let Some(id) = step["id"].as_str() {
                        step_outputs.insert(id.to_owned(), outputs);
                    }
                    ran.status.success()
                };
                if !succeeded && step["continue-on-error"] != true {
                    failed = true;
                }
            }
            ok &= !failed;
            let report = steps.iter().any(|step| step["run"].as_str().is_some_and(|run| run.contains(" --report ")));
            if !report {
                self.last = Some(folder);
            }
        }
        self.ended.insert(name.to_owned(), if ok { Ended::Succeeded } else { Ended::Failed });
    }

    /// What `wf step` published: the values and usage of a plain job, the usage's run and
    /// amount of every iteration.
    fn wf_step(&mut self, name: &str, index: Option<u64>, outputs: &HashMap<String, String>) {
        let values = outputs.get("values").cloned().unwrap_or_default();
        let usage_text = outputs.get("usage").cloned().unwrap_or_default();
        if let Some(branch) = outputs.get("branch") {
            self.branches.insert(name.to_owned(), branch.clone());
        }
        if !usage_text.is_empty() {
            let usage: Json = serde_json::from_str(&usage_text).unwrap();
            self.micros += usage["micros"].as_i64().unwrap();
            self.runs.push(usage["run"].as_str().unwrap().to_owned());
        }
        if index.is_none() {
            self.outputs.insert(name.to_owned(), (values, usage_text));
        }
    }
}

/// The undo commands a run ran, in order, with their statuses: `wf run`'s rollback events,
/// and on the engine also the rollback handler's steps (`undo:KEY`).
fn undos(journal: &Journal, run: &str) -> Vec<(String, String)> {
    let mut undos: Vec<(String, String)> = journal
        .events_of(run, "undo")
        .unwrap()
        .into_iter()
        .map(|event| {
            let data: Json = serde_json::from_str(&event.data).unwrap();
            (event.key.unwrap(), data["status"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let mut steps: Vec<_> = journal.steps(run).unwrap().into_values().collect();
    steps.sort_by_key(|step| step.seq);
    for step in steps {
        if let Some(key) = step.key.strip_prefix("undo:") {
            undos.push((key.to_owned(), step.status.clone()));
        }
    }
    undos
}

/// The report node's document validates against docs/schemas/import.json; `wf import` records
/// it in a journal of its own, and `wf show --format json` of it agrees with `wf run`'s run on
/// the status, every step's status (blocks split over tasks aside; the steps of a branch not
/// taken skipped by its condition task) and the ledger's total; the same report a second time
/// is refused.
fn imported_like_wf_run(dir: &Dir) {
    let report_path = dir.path().join(wf::compile::REPORT_FILE);
    let text = std::fs::read_to_string(&report_path).expect("the report node wrote the report");
    let report: Json = serde_json::from_str(&text).unwrap();
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas/import.json");
    let schema: Json = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validate = |instance: &Json| {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource("file:///import.json", schema.clone()).unwrap();
        let index = compiler.compile("file:///import.json", &mut schemas).unwrap();
        schemas.validate(instance, index).map_err(|error| format!("{error:#}"))
    };
    if let Err(error) = validate(&report) {
        panic!("the report is not valid against docs/schemas/import.json:\n{error}\n{report:#}");
    }
    let mut unversioned = report.clone();
    unversioned.as_object_mut().unwrap().remove("version");
    assert!(validate(&unversioned).is_err(), "the schema accepts a report without a version");

    let imported = dir.wf(&["import", wf::compile::REPORT_FILE, "--state-dir", "imported"]);
    assert_eq!(imported.output.status.code(), Some(0), "{}", String::from_utf8_lossy(&imported.output.stderr));
    let again = dir.wf(&["import", wf::compile::REPORT_FILE, "--state-dir", "imported"]);
    assert_eq!(again.output.status.code(), Some(1), "importing the same report twice is refused");
    assert!(String::from_utf8_lossy(&again.output.stderr).contains("already"), "the refusal says why");

    let show = |extra: &[&str]| -> Json {
        let mut args = vec!["show", "--format", "json"];
        args.extend_from_slice(extra);
        let shown = dir.wf(&args);
        assert_eq!(shown.output.status.code(), Some(0), "{}", String::from_utf8_lossy(&shown.output.stderr));
        serde_json::from_slice(&shown.output.stdout).unwrap()
    };
    let runs = dir.wf(&["runs", "--format", "json", "--state-dir", "imported"]);
    let runs: Json = serde_json::from_slice(&runs.output.stdout).unwrap();
    assert_eq!(runs["runs"].as_array().map(Vec::len), Some(1), "`wf runs` lists the imported run: {runs}");
    let local = show(&[]);
    let engine = show(&["--state-dir", "imported"]);
    assert_eq!(engine["imported"]["from"], wf::compile::REPORT_FILE, "the imported run says where it came from");
    assert!(local.get("imported").is_none(), "a local run is not imported");
    let human = dir.wf(&["show", "--state-dir", "imported"]);
    assert!(human.stdout().contains("imported from wf-report.json (run"), "{}", human.stdout());
    assert_eq!(engine["status"], local["status"], "the run's status");
    assert_eq!(engine["workflow"], local["workflow"]);
    assert_eq!(engine["args"], local["args"], "the run's arguments");
    assert_eq!(engine["report"]["cost_micros"], local["report"]["cost_micros"], "the ledger's total");
    let blocks = ["phase", "parallel", "for", "repeat", "block"];
    // The step tree, flat: the imported run has no rows for blocks split over tasks, so its
    // steps hang elsewhere in the tree.
    fn flatten(steps: &Json, out: &mut IndexMap<String, (String, String)>) {
        for step in steps.as_array().into_iter().flatten() {
            let text = |field: &str| step[field].as_str().unwrap_or_default().to_owned();
            out.insert(text("key"), (text("kind"), text("status")));
            flatten(&step["children"], out);
        }
    }
    let statuses = |shown: &Json| -> IndexMap<String, (String, String)> {
        let mut out = IndexMap::new();
        flatten(&shown["steps"], &mut out);
        out
    };
    let (local, engine) = (statuses(&local), statuses(&engine));
    for (key, (kind, status)) in &local {
        if blocks.contains(&kind.as_str()) {
            continue; // Blocks split over tasks have no record.
        }
        assert_eq!(engine.get(key).map(|(_, status)| status), Some(status), "`{key}` in the imported run");
    }
    for (key, (kind, status)) in &engine {
        if key.starts_with("undo:") || blocks.contains(&kind.as_str()) {
            continue;
        }
        let Some((_, expected)) = local.get(key) else { panic!("the imported run has `{key}`, which wf run has not") };
        // Steps of branches not taken included: the condition task records them as skipped.
        assert_eq!(status, expected, "`{key}` in the imported run");
    }
}

/// The values `wf run` journaled, by step id, outside loops.
fn run_values(journal: &Journal) -> (String, IndexMap<String, Json>, i64) {
    let run = journal.latest_run().unwrap().unwrap();
    let mut values = IndexMap::new();
    let mut steps: Vec<_> = journal.steps(&run.id).unwrap().into_values().collect();
    steps.sort_by_key(|step| step.seq);
    for step in steps {
        if step.key.contains('[') {
            continue;
        }
        if let Some(value) = step.value {
            values.insert(step.step_id.clone(), value.to_json());
        }
    }
    let (micros, _) = journal.spent(&run.id).unwrap();
    (run.status.as_str().to_owned(), values, micros)
}

/// A step's value without what differs between two runs of the same thing: time.
fn comparable(value: &Json) -> Json {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        object.remove("duration");
    }
    value
}

/// What both runs ended with, beyond what [`equivalent`] compares itself.
struct Compared {
    /// The undos `wf run` ran (the engine's are the same).
    undos: Vec<(String, String)>,
    /// `undo.log` as `wf run` left it in the workflow's folder.
    local_log: String,
    /// `undo.log` in the workspace of the last job but the report to run on the engine.
    engine_log: String,
    /// The values the engine's jobs published, by step id (equal to `wf run`'s).
    values: IndexMap<String, Json>,
}

/// The engine's side of a test, before anything runs: `source/` is the folder as it is now,
/// which every job's checkout copies.
fn runner_for(dir: &Dir) -> tempfile::TempDir {
    let runner = tempfile::tempdir().unwrap();
    copy_tree(dir.path(), &runner.path().join("source"));
    runner
}

/// Compiles `program`'s workflow for GitHub and runs its jobs in the harness, under `runner`.
fn on_the_engine<'a>(runner: &'a Path, program: &wf::ir::Program, args: &[(&str, &str)]) -> (Harness<'a>, Json) {
    let options = Options {
        target: Target::Github,
        file: "flow.wf".to_owned(),
        template: false,
        image: String::new(),
        secret_name: String::new(),
        volume_size: String::new(),
        storage_class: None,
        setup: String::new(),
        runs_on: "ubuntu-latest".to_owned(),
    };
    let document = wf::compile::document(program, program.entry[0], &IndexMap::new(), &options).unwrap();
    let mut inputs: HashMap<String, String> = HashMap::new();
    for (name, input) in document["on"]["workflow_dispatch"]["inputs"].as_object().into_iter().flatten() {
        if let Some(default) = input.get("default") {
            inputs.insert(name.clone(), default.as_str().map_or_else(|| default.to_string(), str::to_owned));
        }
    }
    for (k, v) in args {
        inputs.insert((*k).to_owned(), (*v).to_owned());
    }
    let mut harness = Harness {
        root: runner,
        inputs,
        outputs: HashMap::new(),
        branches: HashMap::new(),
        needs: HashMap::new(),
        ended: HashMap::new(),
        micros: 0,
        runs: Vec::new(),
        last: None,
    };
    for (name, job) in document["jobs"].as_object().unwrap() {
        harness.job(name, job);
    }
    (harness, document)
}

/// Runs `source` both ways and compares them.
fn equivalent(source: &str, args: &[(&str, &str)]) -> Compared {
    equivalent_with(source, args, &[])
}

/// [`equivalent`], with more of `wf run`'s flags (`--approve` for what the engine's reviewers
/// approve before a task).
fn equivalent_with(source: &str, args: &[(&str, &str)], flags: &[&str]) -> Compared {
    let dir = Dir::new(source);
    let runner = runner_for(&dir);
    let mut run_args = vec!["run", "flow.wf", "--quiet"];
    run_args.extend_from_slice(flags);
    let pairs: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for pair in &pairs {
        run_args.push("--arg");
        run_args.push(pair);
    }
    let ran = dir.wf(&run_args);
    assert!(matches!(ran.output.status.code(), Some(0 | 1)), "wf run: {}", String::from_utf8_lossy(&ran.output.stderr));
    let (status, expected, micros) = run_values(&dir.journal());

    let outcome = common::check_text(source);
    assert!(!outcome.checked.has_errors());
    let program = &outcome.checked.program;
    let (harness, document) = on_the_engine(runner.path(), program, args);
    // The report, as `gh run download -n wf-report` would fetch it.
    let report = runner.path().join("artifacts").join(wf::compile::REPORT_NAME).join(wf::compile::REPORT_FILE);
    std::fs::copy(&report, dir.path().join(wf::compile::REPORT_FILE)).expect("the report job uploaded the report");
    // The body's jobs: no `if`, or one that runs them after skipped needs.
    let in_body = |job: &Json| job["if"].as_str().is_none_or(|condition| condition.starts_with("${{ !failure()"));
    let body_failed = document["jobs"]
        .as_object()
        .unwrap()
        .iter()
        .any(|(name, job)| in_body(job) && harness.ended[name] == Ended::Failed);
    let engine_status = if body_failed { "failed" } else { "succeeded" };
    assert_eq!(engine_status, status, "wf run: {}", String::from_utf8_lossy(&ran.output.stdout));

    let mut engine: IndexMap<String, Json> = IndexMap::new();
    for (values, _) in harness.outputs.values() {
        if values.is_empty() {
            continue;
        }
        let object: serde_json::Map<String, Json> = serde_json::from_str(values).unwrap();
        engine.extend(object);
    }
    for (id, value) in &expected {
        let Some(step) = program.workflows[0].steps.iter().find(|step| &step.id == id) else {
            continue; // A called workflow's step: its value is inside the call's.
        };
        if matches!(step.kind, wf::ir::StepKind::Block(_)) {
            continue; // Phases and blocks split over tasks have no value on the engine.
        }
        let Some(got) = engine.get(id) else {
            // A step of a branch not taken: no task ran it, so a later task reads it as
            // skipped, which is the value `wf run` gave it (the tests read its `.status`).
            assert_eq!(value["status"], "skipped", "the engine has no value for `{id}`; it has {:?}", engine.keys());
            continue;
        };
        assert_eq!(comparable(got), comparable(value), "`{id}`");
    }
    assert_eq!(harness.micros, micros, "the ledger's total");

    imported_like_wf_run(&dir);

    let local = dir.journal();
    let run = local.latest_run().unwrap().unwrap();
    let expected_undos = undos(&local, &run.id);
    let engine_journal = Journal::open(&runner.path().join("engine-state")).unwrap();
    let engine_undos: Vec<(String, String)> = harness.runs.iter().flat_map(|run| undos(&engine_journal, run)).collect();
    assert_eq!(engine_undos, expected_undos, "the undos, in order, with their statuses");
    let last = harness.last.expect("a job ran");
    Compared {
        undos: expected_undos,
        local_log: dir.read("undo.log"),
        engine_log: std::fs::read_to_string(last.join("undo.log")).unwrap_or_default(),
        values: engine,
    }
}

#[test]
fn a_workflow_run_by_the_engine_ends_as_wf_run_ends_it() {
    equivalent(
        r#"workflow w(name: string = "it's $(here)", items: list<string> = ["a b", "c"]) {
  phase measure {
    parallel max 1 {
      run probe "printf '{\"rate\": 0.5, \"n\": 3}'" {
        output rate: percent = json(stdout, "/rate")
        output n: int = json(stdout, "/n")
      }
      run greet "echo hello {{name}}" { cost $0.25 }
    }
  }
  for item in items {
    run each "echo {{item}} of {{len(items)}}"
  }
  if probe.n > 2 {
    run big "echo big {{probe.n}}"
  }
  gate enough { require probe.rate < 60% "rate too high" }
  run flaky "exit 3" { on failure continue }
  run after "echo after {{flaky.status}} {{greet.stdout}}"
  finally {
    run log "echo done {{after.status}}"
  }
}"#,
        &[],
    );
}

#[test]
fn a_failing_gate_fails_both_and_the_handlers_see_the_same() {
    equivalent(
        r#"workflow w(limit: int = 2) {
  run count "echo 5" { output n: int = regex(stdout, "([0-9]+)") }
  gate small { require count.n <= limit "too many: {{count.n}}" }
  run never "echo never"
  on failure {
    run alert "echo alert {{count.status}} {{small.status}}"
  }
  finally {
    run log "echo {{never.status}}"
  }
}"#,
        &[("limit", "3")],
    );
}

#[test]
fn a_rollback_across_tasks_undoes_what_wf_run_undoes_in_the_same_order() {
    let undone = equivalent(
        r#"workflow w(stages: list<string> = ["1%", "10%"]) {
  run deploy "echo deployed" { undo run "echo removed the deployment >> undo.log" }
  parallel {
    run a "echo a" { undo run "echo undo a >> undo.log" }
    run b "echo b"
  }
  for i, stage in stages {
    run shift "echo shift {{stage}}" { undo run "echo unshift {{stage}} at {{i}} after {{a.stdout}} >> undo.log" }
  }
  run failing "exit 1" { on failure rollback }
  run never "echo never" { undo run "echo never undone" }
  on failure {
    run alert "echo alert {{failing.status}}"
  }
}"#,
        &[],
    );
    let keys: Vec<&str> = undone.undos.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["shift[2]", "shift[1]", "a", "deploy"], "newest first, and nothing that did not run");
    // What the undo commands wrote, in `wf run`'s folder and in the workspace the engine's
    // jobs handed on: the same lines in the same order.
    let once = "unshift 10% at 1 after a\n\nunshift 1% at 0 after a\n\nundo a\nremoved the deployment\n";
    assert_eq!(undone.local_log, once);
    assert_eq!(undone.engine_log, once);
}

#[test]
fn a_rollback_inside_a_loop_undoes_its_task_then_the_handler_the_rest() {
    let undone = equivalent(
        r#"workflow w(stages: list<int> = [1, 10, 50]) {
  run deploy "echo deployed" { undo run "echo removed" }
  for stage in stages {
    run shift "echo shift {{stage}}" { undo run "echo unshift {{stage}}" }
    gate healthy {
      on failure rollback
      require stage < 50 "unhealthy at {{stage}}"
    }
  }
  run after "echo after" { undo run "echo never" }
  finally {
    run log "echo {{after.status}}"
  }
}"#,
        &[],
    );
    let keys: Vec<&str> = undone.undos.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["shift[3]", "shift[2]", "shift[1]", "deploy"]);
}

/// The stdout of step `id` on the engine.
fn stdout(compared: &Compared, id: &str) -> String {
    compared.values[id]["stdout"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn a_file_a_task_writes_is_there_for_the_tasks_after_it() {
    let compared = equivalent(
        r#"workflow w(items: list<string> = ["a", "b"]) {
  run fix "printf 'fixed\\n' > fix.txt && printf 'hidden\\n' > .notes && printf '#!/bin/sh\\necho tool ran\\n' > tool.sh && chmod +x tool.sh"
  for item in items {
    run each "cat fix.txt > out-{{item}}.txt && echo {{item}} >> out-{{item}}.txt"
  }
  run test "cat fix.txt .notes out-a.txt out-b.txt && ./tool.sh"
}"#,
        &[],
    );
    // Hidden files, modes and every iteration's files arrive.
    assert_eq!(stdout(&compared, "test"), "fixed\nhidden\nfixed\na\nfixed\nb\ntool ran\n");
}

#[test]
fn files_two_parallel_branches_write_all_reach_the_task_after_them() {
    let compared = equivalent(
        r#"workflow w() {
  run base "echo base > base.txt && echo kept > kept.txt"
  parallel {
    run left "echo left > left.txt && echo changed by left > base.txt"
    run right "echo right > right.txt"
  }
  run both "cat base.txt kept.txt left.txt right.txt"
}"#,
        &[],
    );
    // `right` started from `base`'s files, so its copy of base.txt is the older one: the
    // newer, `left`'s, wins.
    assert_eq!(stdout(&compared, "both"), "changed by left\nkept\nleft\nright\n");
}

#[test]
fn the_on_failure_handler_sees_the_files_of_the_step_that_failed() {
    let compared = equivalent(
        r#"workflow w() {
  run prepare "echo prepared > notes.txt"
  run build "echo 'error: it broke' > build.log && exit 1"
  run never "echo never > never.txt"
  on failure {
    run look "cat build.log notes.txt && ls"
  }
  finally {
    run after "cat build.log"
  }
}"#,
        &[],
    );
    assert_eq!(stdout(&compared, "look"), "error: it broke\nprepared\nbuild.log\nflow.wf\nnotes.txt\n");
    assert_eq!(stdout(&compared, "after"), "error: it broke\n");
}

#[test]
fn a_file_an_undo_deletes_is_gone_for_the_on_failure_handler() {
    let compared = equivalent(
        r#"workflow w() {
  run deploy "echo v2 > deployed.txt" { undo run "rm deployed.txt" }
  run check "echo checked > check.log && exit 1" { on failure rollback }
  on failure {
    run look "ls"
  }
}"#,
        &[],
    );
    // The rollback handler started from the failed job's files and deleted one; the handler
    // after it starts from its files.
    assert_eq!(stdout(&compared, "look"), "check.log\nflow.wf\n");
}

/// A budget is the run's, not each task's: every task starts from what the tasks before it
/// spent (counting a task that two branches both followed once), so the engine stops at the
/// step `wf run` stops at. Without the carried spend every step would run; counting `a` once
/// per branch would stop before `d`.
#[test]
fn a_budget_holds_across_tasks_as_in_wf_run() {
    let source = r#"workflow w() {
  budget $1.00
  run a "echo a" { cost $0.30 }
  parallel {
    run b "echo b" { cost $0.10 }
    run c "echo c" { cost $0.10 }
  }
  run d "echo d" { cost $0.40 }
  run e "echo e" { cost $0.40 }
}"#;
    let dir = Dir::new(source);
    let runner = runner_for(&dir);
    let ran = dir.wf(&["run", "flow.wf", "--quiet"]);
    assert_eq!(ran.output.status.code(), Some(3), "wf run pauses on the budget");
    let (status, expected, micros) = run_values(&dir.journal());
    assert_eq!(status, "paused");
    let mut ran_steps: Vec<&String> = expected.keys().collect();
    ran_steps.sort(); // `b` and `c` run side by side, in either order.
    assert_eq!(ran_steps, ["a", "b", "c", "d"], "wf run stops before `e`");

    let outcome = common::check_text(source);
    let program = &outcome.checked.program;
    let (harness, _) = on_the_engine(runner.path(), program, &[]);
    for (job, ended) in
        [("a", Ended::Succeeded), ("b", Ended::Succeeded), ("d", Ended::Succeeded), ("e", Ended::Failed)]
    {
        assert_eq!(harness.ended[job], ended, "job `{job}`");
    }
    let usage: Json = serde_json::from_str(&harness.outputs["e"].1).unwrap();
    assert_eq!(usage["status"], "paused", "`e`'s task pauses on the run's budget, as wf run does");
    let values: serde_json::Map<String, Json> = serde_json::from_str(&harness.outputs["e"].0).unwrap();
    assert!(values.get("e").is_none_or(|value| value["status"] != "succeeded"), "`e` did not run: {values:?}");
    assert_eq!(harness.micros, micros, "the ledger's total");
    let spent: serde_json::Map<String, Json> = usage["spent"].as_object().unwrap().clone();
    assert_eq!(spent.len(), 5, "`e` counts the runs of a, b, c, d and its own, once each: {spent:?}");
}

/// A step that asks a person inside a task (a gate in a `repeat`, a gate in a called
/// workflow) is approved with the task, before it starts: the engine's run ends as `wf run`
/// with those gates approved ahead (`--approve`) ends.
#[test]
fn questions_inside_a_task_are_approved_before_it_as_wf_run_approves_ahead() {
    let source = r#"workflow w() {
  mode hybrid
  repeat rounds max 2 until counter.ok {
    gate check { approve "Another round?" }
    run counter "echo round"
  }
  call s sub()
  run after "echo after {{counter.stdout}}"
}

workflow sub() {
  gate ok { approve "Go on?" }
  run inner "echo inner"
}"#;
    equivalent_with(source, &[], &["--workflow", "w", "--approve", "check", "--approve", "ok"]);
    let outcome = common::check_text(source);
    let program = &outcome.checked.program;
    let plan = wf::compile::plan::plan(program, &program.workflows[0], &IndexMap::new(), Target::Github).unwrap();
    let asked: Vec<(&str, &str)> = plan
        .tasks
        .iter()
        .filter_map(|task| task.approval.as_deref().map(|question| (task.name.as_str(), question)))
        .collect();
    assert_eq!(asked, [("rounds", "Another round?"), ("s", "sub: Go on?")], "each task asks before it starts");
}

/// An escalated failure pauses the task's run as it pauses `wf run`'s; on the engine that
/// fails the job (nothing resumes it there), the steps after it do not run, and the task
/// says how a person retries it with the engine.
#[test]
fn an_escalation_pauses_the_task_and_says_how_to_retry_it_on_the_engine() {
    let source = r#"workflow w() {
  run ok "echo ok"
  run bad "exit 1" { on failure escalate "the tests fail: retry, skip or abort?" }
  run after "echo after"
}"#;
    let dir = Dir::new(source);
    let runner = runner_for(&dir);
    let ran = dir.wf(&["run", "flow.wf", "--quiet"]);
    assert_eq!(ran.output.status.code(), Some(3), "wf run pauses on the escalation");
    let (status, expected, _) = run_values(&dir.journal());
    assert_eq!(status, "paused");
    let outcome = common::check_text(source);
    let (harness, _) = on_the_engine(runner.path(), &outcome.checked.program, &[]);
    assert_eq!(harness.ended["ok"], Ended::Succeeded);
    assert_eq!(harness.ended["bad"], Ended::Failed, "the escalated task fails the engine's run");
    assert_eq!(harness.ended["after"], Ended::Skipped, "as in `wf run`, nothing after it runs");
    let usage: Json = serde_json::from_str(&harness.outputs["bad"].1).unwrap();
    assert_eq!(usage["status"], "paused", "the task's run pauses on the escalation, as wf run's does");
    let values: serde_json::Map<String, Json> = serde_json::from_str(&harness.outputs["ok"].0).unwrap();
    assert_eq!(comparable(&values["ok"]), comparable(&expected["ok"]));

    let step = dir
        .command(&["step", "flow.wf", "--workflow", "w", "--node", "body.1"])
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_OUTPUT")
        .output()
        .unwrap();
    assert_eq!(step.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&step.stdout);
    assert!(
        stdout.starts_with("::error title=wf: escalated::`bad` failed and escalates: the tests fail")
            && stdout.contains("re-run this task to retry"),
        "a GitHub error annotation says what to do: {stdout}"
    );
}

/// An `if` with `else if` and `else`, one branch nested with an `if` of its own and one with a
/// `parallel`, reading an earlier task's value in a condition; after it, and in `finally`, steps
/// read the `status` of steps in every branch, taken or not.
const BRANCHES: &str = r#"workflow w(pick: int = 0) {
  run probe "echo 3" { output n: int = regex(stdout, "([0-9]+)") }
  if pick == 0 {
    run zero "echo zero {{probe.n}}"
  } else if pick == 1 and probe.n > 2 {
    run one "echo one"
    if one.exit_code == 0 {
      run inner "echo inner"
    } else {
      run never "echo never"
    }
  } else {
    parallel {
      run other "echo other"
      run again "echo again"
    }
    run last "echo last {{other.stdout}}"
  }
  run after "echo after {{zero.status}} {{one.status}} {{inner.status}} {{never.status}} {{again.status}}"
  finally {
    run log "echo {{zero.status}} {{never.status}} {{other.status}}"
  }
}"#;

#[test]
fn an_if_takes_the_branch_wf_run_takes_and_skips_the_others_as_it_does() {
    for pick in ["0", "1", "2"] {
        equivalent(BRANCHES, &[("pick", pick)]);
    }
}

#[test]
fn a_failing_step_in_a_branch_fails_both_and_skips_what_comes_after() {
    equivalent(
        r#"workflow w(broken: bool = true) {
  if broken {
    run breaks "exit 4"
    run unreached "echo unreached"
  }
  run after "echo after"
  on failure {
    run alert "echo alert {{breaks.status}} {{unreached.status}}"
  }
  finally {
    if after.ok {
      run fine "echo fine"
    } else {
      run cleanup "echo cleanup {{breaks.status}}"
    }
  }
}"#,
        &[],
    );
}

#[test]
fn a_condition_that_cannot_be_read_fails_the_condition_task_as_it_fails_wf_run() {
    equivalent(
        r#"workflow w() {
  run first "echo first"
  if env("WF_TEST_SURELY_UNSET") == "x" {
    run never "echo never"
  }
  run after "echo after"
  finally {
    run log "echo {{never.status}} {{after.status}}"
  }
}"#,
        &[],
    );
}

#[test]
fn branch_is_refused_on_a_node_that_is_not_an_if() {
    let dir = Dir::new("workflow w() {\n  run first \"echo first\"\n}\n");
    let ran = dir.wf(&["step", "flow.wf", "--node", "body.0", "--branch", "--out", "out"]);
    assert_eq!(ran.output.status.code(), Some(2), "{}", String::from_utf8_lossy(&ran.output.stderr));
    assert!(String::from_utf8_lossy(&ran.output.stderr).contains("`body.0` is not an `if`"));
    assert!(!dir.path().join("out/branch").exists(), "nothing ran, nothing was published");
}

#[test]
fn ifs_in_lanes_of_a_parallel_and_in_the_failure_handler_run_as_in_wf_run() {
    equivalent(
        r#"workflow w(level: int = 2) {
  parallel max 1 {
    if level > 1 {
      run high "echo high"
    } else {
      run low "echo low"
    }
    run side "echo side"
  }
  run failing "exit 1"
  on failure {
    if high.ok {
      run page "echo page {{low.status}}"
    } else if level == 0 {
      run quiet "echo quiet"
    }
  }
  finally {
    run log "echo {{page.status}} {{quiet.status}} {{side.status}}"
  }
}"#,
        &[],
    );
}
