#![allow(clippy::disallowed_methods)] // The harness runs the binary and reads journals.

//! The equivalence harness (a test, not a product feature): the compiled GitHub Actions jobs
//! run in dependency order the way the engine runs them — a folder per job, `$GITHUB_OUTPUT`,
//! the step's `env:` with the engine's expressions replaced by what the engine would put
//! there, the matrix one index at a time — and the statuses, values and ledger they end with
//! are compared with `wf run` of the same workflow.

mod common;
#[path = "common/workdir.rs"]
mod workdir;

use std::collections::HashMap;
use std::path::Path;

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
    dir: &'a Path,
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

    /// `actions/upload-artifact` and `actions/download-artifact`, as folders under
    /// `artifacts/` (every job of the harness shares one folder, as the engine's artifacts do).
    fn artifacts(&self, step: &Json, index: Option<u64>) {
        let store = self.dir.join("artifacts");
        match step["uses"].as_str() {
            Some("actions/upload-artifact@v4") => {
                let name = step["with"]["name"].as_str().unwrap();
                let name = name.replace("${{ matrix.index }}", &index.map(|i| i.to_string()).unwrap_or_default());
                let path = self.dir.join(step["with"]["path"].as_str().unwrap());
                let into = store.join(name);
                std::fs::create_dir_all(&into).unwrap();
                if path.is_file() {
                    std::fs::copy(&path, into.join(path.file_name().unwrap())).unwrap();
                }
            }
            Some("actions/download-artifact@v4") => {
                let prefix = step["with"]["pattern"].as_str().unwrap().trim_end_matches('*');
                let into = self.dir.join(step["with"]["path"].as_str().unwrap());
                for entry in std::fs::read_dir(&store).into_iter().flatten().flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if !name.starts_with(prefix) {
                        continue;
                    }
                    std::fs::create_dir_all(into.join(&name)).unwrap();
                    for file in std::fs::read_dir(entry.path()).unwrap().flatten() {
                        std::fs::copy(file.path(), into.join(&name).join(file.file_name())).unwrap();
                    }
                }
            }
            other => panic!("the harness does not know the step {other:?}"),
        }
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
        let at = steps.iter().position(|step| step["id"] == "wf").expect("the job's wf step");
        let step = &steps[at];
        let script = step["run"].as_str().unwrap();
        assert!(script.starts_with("wf step "), "{script}");
        let mut ok = true;
        for index in indexes {
            let output = self.dir.join(format!("{name}-{index:?}.out"));
            std::fs::write(&output, "").unwrap();
            let mut command = std::process::Command::new("sh");
            command.arg("-c").arg(script).current_dir(self.dir);
            let bin = Path::new(env!("CARGO_BIN_EXE_wf")).parent().unwrap();
            command.env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));
            command
                .env("GITHUB_OUTPUT", &output)
                .env("WF_STATE_DIR", self.dir.join("engine-state"))
                .env("NO_COLOR", "1");
            if let Some(env) = step["env"].as_object() {
                for (key, value) in env {
                    command.env(key, self.expand(value.as_str().unwrap(), index));
                }
            }
            for before in &steps[2..at] {
                self.artifacts(before, index);
            }
            let ran = command.output().unwrap();
            for after in &steps[at + 1..] {
                self.artifacts(after, index);
            }
            ok &= ran.status.success();
            let text = std::fs::read_to_string(&output).unwrap();
            let mut values = String::new();
            let mut usage_text = String::new();
            for line in text.lines() {
                if let Some(json) = line.strip_prefix("values=") {
                    values = json.to_owned();
                }
                if let Some(branch) = line.strip_prefix("branch=") {
                    self.branches.insert(name.to_owned(), branch.to_owned());
                }
                if let Some(json) = line.strip_prefix("usage=") {
                    let usage: Json = serde_json::from_str(json).unwrap();
                    self.micros += usage["micros"].as_i64().unwrap();
                    self.runs.push(usage["run"].as_str().unwrap().to_owned());
                    usage_text = json.to_owned();
                }
            }
            if index.is_none() {
                self.outputs.insert(name.to_owned(), (values, usage_text));
            }
        }
        self.ended.insert(name.to_owned(), if ok { Ended::Succeeded } else { Ended::Failed });
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

/// Runs `source` both ways and compares them; returns the undos `wf run` ran, and what the
/// commands of both runs appended to `undo.log` in the workflow's folder.
fn equivalent(source: &str, args: &[(&str, &str)]) -> (Vec<(String, String)>, String) {
    let dir = Dir::new(source);
    let mut run_args = vec!["run", "flow.wf", "--quiet"];
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
    let options = Options {
        target: Target::Github,
        file: "flow.wf".to_owned(),
        template: false,
        image: String::new(),
        secret_name: String::new(),
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
        dir: dir.path(),
        inputs,
        outputs: HashMap::new(),
        branches: HashMap::new(),
        needs: HashMap::new(),
        ended: HashMap::new(),
        micros: 0,
        runs: Vec::new(),
    };
    for (name, job) in document["jobs"].as_object().unwrap() {
        harness.job(name, job);
    }
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
        let step = program.workflows[0].steps.iter().find(|step| &step.id == id).unwrap();
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
    let engine_journal = Journal::open(&dir.path().join("engine-state")).unwrap();
    let engine_undos: Vec<(String, String)> = harness.runs.iter().flat_map(|run| undos(&engine_journal, run)).collect();
    assert_eq!(engine_undos, expected_undos, "the undos, in order, with their statuses");
    (expected_undos, std::fs::read_to_string(dir.path().join("undo.log")).unwrap_or_default())
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
    let (keys, log) = undone;
    let keys: Vec<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["shift[2]", "shift[1]", "a", "deploy"], "newest first, and nothing that did not run");
    // Both runs appended to the same log: `wf run`'s commands, then the engine's, the same.
    let once = "unshift 10% at 1 after a\n\nunshift 1% at 0 after a\n\nundo a\nremoved the deployment\n";
    assert_eq!(log, format!("{once}{once}"));
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
    let keys: Vec<&str> = undone.0.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["shift[3]", "shift[2]", "shift[1]", "deploy"]);
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
