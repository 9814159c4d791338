//! `wf step FILE --workflow W --node PATH`: what a compiled workflow's task runs on the
//! engine (docs/compile.md). The node runs with the real runner, in a run of its own in the
//! journal; the arguments come from `WF_ARG_<name>`, earlier tasks' values from
//! `WF_VALUES_<task>` (JSON), a `for` iteration from `WF_INDEX`. The values of the node's
//! steps and the run's usage go to `$GITHUB_OUTPUT` (`values=`, `usage=`) when it is set,
//! and to `DIR/values.json` and `DIR/usage.json` with `--out DIR`. `--rollback` is the
//! rollback handler: it reads the tasks' usage (`WF_USAGE_<task>`) and, when one asked for a
//! rollback, undoes what they finished and did not undo themselves, newest first.
//! `--branch` is an `if`'s condition task: it publishes which branch runs (`branch=`,
//! `DIR/branch`) and records the steps of the others as skipped.

use std::collections::HashMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use wf::ir::{StepIdx, Type, WorkflowId};
use wf::journal::{AskKind, Journal};
use wf::run::{self, Begin, Options, Target};

use super::workflow::choose;
use super::Exit;

#[derive(Debug, clap::Args)]
pub struct StepArgs {
    /// The `.wf` file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The workflow, when the file declares several.
    #[arg(long, value_name = "NAME")]
    pub workflow: Option<String>,
    /// The node: `body.2.0` is the first child of the body's third statement; inside an `if`
    /// the branch comes first (`body.3.1.0`: the first child of its second branch).
    #[arg(long, value_name = "PATH", required_unless_present_any = ["rollback", "report"])]
    pub node: Option<String>,
    /// Run the rollback handler: undo, newest first, what earlier tasks finished and did not
    /// undo themselves, when one of them asked for a rollback (`WF_USAGE_*`).
    #[arg(long, conflicts_with = "node")]
    pub rollback: bool,
    /// Write the run's report to FILE: every task's usage (`WF_USAGE_*`) in one document that
    /// `wf import` records in a journal. The compiled workflow's last node does this.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["node", "rollback"])]
    pub report: Option<PathBuf>,
    /// With `--report`: also every `*/usage.json` under DIR (GitHub: the matrix iterations'
    /// usage, downloaded as artifacts named `wf-usage-JOB-INDEX`).
    #[arg(long, value_name = "DIR", requires = "report")]
    pub usage_dir: Option<PathBuf>,
    /// The node is an `if`: decide which branch runs, as the runner does, record the steps of
    /// the others as skipped, and publish the branch (`branch`: its index, the `else` the one
    /// after the last, or `none`); each branch's own tasks run its steps.
    #[arg(long, requires = "node")]
    pub branch: bool,
    /// The engine approved this task before it started (its approval step or environment).
    #[arg(long)]
    pub approved: bool,
    /// Where to write `values.json` and `usage.json` (and `branch`, with `--branch`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where the journal lives.
    #[arg(long, value_name = "DIR", env = "WF_STATE_DIR", default_value = ".wf")]
    pub state_dir: PathBuf,
}

pub fn run(request: &StepArgs) -> Exit {
    let chosen = match choose(&request.file, request.workflow.as_deref()) {
        Ok(chosen) => chosen,
        Err(exit) => return exit,
    };
    let env: HashMap<String, String> = std::env::vars().collect();
    let workflow = chosen.workflow();
    let given: Vec<String> = workflow
        .params
        .iter()
        .filter_map(|param| env.get(&wf::compile::arg_var(&param.name)).map(|value| format!("{}={value}", param.name)))
        .collect();
    let args = match wf::args::parse_args(workflow, &given) {
        Ok(args) => args,
        Err(reason) => {
            eprintln!("error: WF_ARG_*: {reason}");
            return Exit::Usage;
        }
    };
    let values = match read_values(workflow, &env) {
        Ok(values) => values,
        Err(reason) => {
            eprintln!("error: WF_VALUES_*: {reason}");
            return Exit::Usage;
        }
    };
    let usages = match usages(&env) {
        Ok(usages) => usages,
        Err(reason) => {
            eprintln!("error: WF_USAGE_*: {reason}");
            return Exit::Usage;
        }
    };
    let index = match env.get("WF_INDEX").filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(index) => Some(index),
            Err(_) => {
                eprintln!("error: WF_INDEX is `{text}`, not an index");
                return Exit::Usage;
            }
        },
    };
    let id = WorkflowId(chosen.program().workflows.iter().position(|w| std::ptr::eq(w, workflow)).unwrap_or_default());
    if let Some(report) = &request.report {
        return write_report(request, report, workflow, &args, &env, usages);
    }
    let carried = match carried(&usages) {
        Ok(carried) => carried,
        Err(reason) => {
            eprintln!("error: WF_USAGE_*: {reason}");
            return Exit::Usage;
        }
    };
    let Some(path) = request.node.as_deref() else {
        let tasks = Tasks { usages: &usages, carried: &carried };
        return rollback(request, &chosen, id, &args, &values, &env, &tasks);
    };
    let node = wf::compile::find(workflow, path);
    let inside: Vec<StepIdx> = node.map(|node| steps_of(node, index.is_some())).unwrap_or_default();
    // The engine's reviewers approved the task before it started: every question its steps,
    // and the steps of the workflows they call, would ask (docs/compile.md).
    let mut approve: Vec<String> = Vec::new();
    if request.approved {
        for step in &inside {
            let step = &workflow.steps[step.0];
            approve.push(step.id.clone());
            if let wf::ir::StepKind::Call(call) = &step.kind {
                for called in chosen.program().reachable(call.workflow) {
                    approve.extend(chosen.program().workflows[called.0].steps.iter().map(|step| step.id.clone()));
                }
            }
        }
    }
    let derived = match wf::compile::single::derive(chosen.program(), id, path, index, &args, &values) {
        Ok(derived) => derived,
        Err(reason) => {
            eprintln!("error: {reason}");
            return Exit::Usage;
        }
    };
    if request.branch {
        return decide(request, derived, id, args, &env, &carried);
    }
    let options = Options { approve, ..options_for(request, &env, &carried) };
    let (journal, ended) = match execute(request, &derived, id, args, &options) {
        Ok(ran) => ran,
        Err(exit) => return exit,
    };
    let records = journal.steps(&ended.run_id).unwrap_or_default();
    let mut out = serde_json::Map::new();
    for step in &inside {
        let id = &workflow.steps[step.0].id;
        // A step in a `repeat` has a record per iteration: its value outside is the last one's.
        let last = records.values().filter(|record| &record.step_id == id).max_by_key(|record| record.seq);
        if let Some(value) = last.and_then(|record| record.value.as_ref()) {
            out.insert(id.clone(), value.to_json());
        }
    }
    // What a rollback handler needs: whether this task asked for one, and its finished steps
    // with an `undo` that it did not undo itself, with when they finished.
    let undone: Vec<String> = journal
        .events_of(&ended.run_id, "undo")
        .unwrap_or_default()
        .into_iter()
        .filter_map(|event| event.key)
        .collect();
    let mut asked = false;
    let mut undo = Vec::new();
    let mut finished: Vec<_> = records.values().collect();
    finished.sort_by_key(|record| record.seq);
    for record in finished {
        let Some(index) = workflow.steps.iter().position(|step| step.id == record.step_id) else { continue };
        let failed = !record.accepted && record.status != "succeeded" && record.status != "skipped";
        if failed && wf::compile::plan::rolls_back(workflow, StepIdx(index)) {
            asked = true;
        }
        if record.status == "succeeded" && workflow.steps[index].common.undo.is_some() && !undone.contains(&record.key)
        {
            undo.push(serde_json::json!({
                "key": record.key,
                "step": record.step_id,
                "at": record.ended_at.unwrap_or(record.started_at),
                "value": record.value.as_ref().map(wf::ir::Value::to_json),
            }));
        }
    }
    let suffix = index.map(|index| format!("[{}]", index + 1)).unwrap_or_default();
    let usage = usage_of(&journal, &ended.run_id, &suffix, &carried);
    finish(request, &env, &ended, serde_json::Value::Object(out), usage, asked, undo)
}

/// `wf step --node PATH --branch`: the `if` at PATH decides. The branch it takes is left out
/// of the program (its own tasks run it) and the runner runs the rest: it reads the conditions
/// again, in the same scope, so it takes the same branch, and records every step of the
/// others as skipped, as `wf run` does; a condition it cannot read fails the task as it fails
/// `wf run`. The branch goes out as the `branch` output.
fn decide(
    request: &StepArgs,
    mut derived: wf::ir::Program,
    id: WorkflowId,
    args: indexmap::IndexMap<String, wf::ir::Value>,
    env: &HashMap<String, String>,
    carried: &Carried,
) -> Exit {
    let node = request.node.as_deref().unwrap_or_default();
    let Some(wf::ir::Node::If { branches, otherwise, .. }) = derived.workflows[id.0].body.first() else {
        eprintln!("error: `{node}` is not an `if`; `--branch` decides an `if`'s branch");
        return Exit::Usage;
    };
    let chosen = run::branch(&derived, id, branches, &args, env);
    let branch = match chosen {
        Ok(Some(i)) => i.to_string(),
        Ok(None) if !otherwise.is_empty() => branches.len().to_string(),
        Ok(None) | Err(_) => "none".to_owned(),
    };
    if let Some(wf::ir::Node::If { branches, otherwise, .. }) = derived.workflows[id.0].body.first_mut() {
        match chosen {
            Ok(Some(i)) => branches[i].body.clear(),
            Ok(None) => otherwise.clear(),
            // The runner fails at the condition before it runs or skips anything.
            Err(_) => {
                branches.iter_mut().for_each(|branch| branch.body.clear());
                otherwise.clear();
            }
        }
    }
    let (journal, ended) = match execute(request, &derived, id, args, &options_for(request, env, carried)) {
        Ok(ran) => ran,
        Err(exit) => return exit,
    };
    let branch = if ended.exit_code() == 0 { branch } else { "none".to_owned() };
    if let Err(error) = publish_branch(&branch, request.out.as_deref(), env.get("GITHUB_OUTPUT")) {
        eprintln!("error: cannot write the step's outputs: {error}");
        return Exit::Failure;
    }
    let usage = usage_of(&journal, &ended.run_id, "", carried);
    finish(request, env, &ended, serde_json::json!({}), usage, false, Vec::new())
}

/// The branch a condition task chose, as `DIR/branch` and a `branch=` line of `$GITHUB_OUTPUT`.
fn publish_branch(branch: &str, out: Option<&std::path::Path>, github: Option<&String>) -> std::io::Result<()> {
    let name = wf::compile::BRANCH_OUTPUT;
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(name), branch)?;
    }
    if let Some(path) = github.filter(|path| !path.is_empty()) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().append(true).create(true).open(path)?;
        writeln!(file, "{name}={branch}")?;
    }
    Ok(())
}

/// `wf step --rollback`: when a task's usage (`WF_USAGE_*`) says it asked for a rollback,
/// the `undo` of every step the tasks finished and did not undo themselves runs, newest
/// first, with the runner (as `wf run`'s rollback does); otherwise nothing runs.
fn rollback(
    request: &StepArgs,
    chosen: &super::workflow::Chosen,
    id: WorkflowId,
    args: &indexmap::IndexMap<String, wf::ir::Value>,
    values: &HashMap<StepIdx, wf::ir::Value>,
    env: &HashMap<String, String>,
    tasks: &Tasks<'_>,
) -> Exit {
    let Tasks { usages, carried } = *tasks;
    let workflow = chosen.workflow();
    let mut asked = false;
    let mut entries: Vec<(i64, String, wf::compile::single::Undone)> = Vec::new();
    for (name, usage) in usages {
        asked |= usage["rollback"].as_bool().unwrap_or(false);
        for entry in usage["undo"].as_array().into_iter().flatten() {
            let (Some(key), Some(step), Some(at)) =
                (entry["key"].as_str(), entry["step"].as_str(), entry["at"].as_i64())
            else {
                eprintln!("error: {name}: an `undo` entry needs `key`, `step` and `at`");
                return Exit::Usage;
            };
            let Some(index) = workflow.steps.iter().position(|s| s.id == step) else { continue };
            let ty = Type::Record(workflow.steps[index].fields.clone());
            let value = match entry.get("value").filter(|value| !value.is_null()) {
                None => None,
                Some(value) => match wf::args::from_json(&ty, value) {
                    Ok(value) => Some(value),
                    Err(reason) => {
                        eprintln!("error: {name}: `{key}`: {reason}");
                        return Exit::Usage;
                    }
                },
            };
            let undone = wf::compile::single::Undone { key: key.to_owned(), step: StepIdx(index), value };
            entries.push((at, key.to_owned(), undone));
        }
    }
    if !asked {
        entries.clear();
    }
    // Newest first, by the finish times the tasks reported.
    entries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    let undone: Vec<_> = entries.into_iter().map(|(_, _, undone)| undone).collect();
    let derived = match wf::compile::single::derive_rollback(chosen.program(), id, &undone, args, values) {
        Ok(derived) => derived,
        Err(reason) => {
            eprintln!("error: {reason}");
            return Exit::Usage;
        }
    };
    let (journal, ended) = match execute(request, &derived, id, args.clone(), &options_for(request, env, carried)) {
        Ok(ran) => ran,
        Err(exit) => return exit,
    };
    let usage = usage_of(&journal, &ended.run_id, "", carried);
    finish(request, env, &ended, serde_json::json!({}), usage, false, Vec::new())
}

/// Publishes a task's values and its usage, with whether it asked for a rollback and the
/// finished steps it left for the rollback handler to undo; exits as its run ended.
fn finish(
    request: &StepArgs,
    env: &HashMap<String, String>,
    ended: &run::Ended,
    values: serde_json::Value,
    mut usage: serde_json::Value,
    rollback: bool,
    undo: Vec<serde_json::Value>,
) -> Exit {
    if let Some(pause) = &ended.pause {
        say_paused(pause, env);
    }
    usage["rollback"] = serde_json::json!(rollback);
    usage["undo"] = serde_json::Value::Array(undo);
    let published = publish(&values.to_string(), &usage.to_string(), request.out.as_deref(), env.get("GITHUB_OUTPUT"));
    if let Err(error) = published {
        eprintln!("error: cannot write the step's outputs: {error}");
        return Exit::Failure;
    }
    Exit::Code(ended.exit_code())
}

/// A task's run paused: nothing on the engine resumes it (its journal ends with the task), so
/// the task fails with exit 3, and this says what a person can do there instead of the
/// runner's `wf resume` hint. On GitHub Actions it is also an error annotation on the run.
fn say_paused(pause: &wf::run::Pause, env: &HashMap<String, String>) {
    let (title, text) = match pause.kind {
        AskKind::Escalation => (
            "escalated",
            format!(
                "`{}` failed and escalates: {}. On the engine, re-run this task to retry it (GitHub: \"Re-run failed \
                 jobs\"; Argo: `argo retry`), or leave the run failed to abort",
                pause.key, pause.reason
            ),
        ),
        AskKind::Budget => (
            "budget spent",
            format!(
                "`{}`: {}. The engine's run stops here: raise the workflow's budget and start it again",
                pause.key, pause.reason
            ),
        ),
        AskKind::Approval => (
            "approval missing",
            format!("`{}` waits for an approval the engine did not give: {}", pause.key, pause.reason),
        ),
    };
    eprintln!("wf step: {text}");
    if env.get("GITHUB_ACTIONS").is_some_and(|value| value == "true") {
        // Workflow commands read `%`, CR and LF as syntax: escaped as the runner documents.
        let escape = |text: &str| text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
        println!("::error title=wf: {}::{}", escape(title), escape(&text));
    }
}

/// Runs `derived`, a program cut down from the file's, with the real runner in a run of its
/// own in the journal at `--state-dir`; its progress goes to stderr.
fn execute(
    request: &StepArgs,
    derived: &wf::ir::Program,
    id: WorkflowId,
    args: indexmap::IndexMap<String, wf::ir::Value>,
    options: &Options,
) -> Result<(Journal, run::Ended), Exit> {
    let journal = Journal::open(&request.state_dir).map_err(|error| {
        eprintln!("error: {error}");
        Exit::Usage
    })?;
    let text = std::fs::read(&request.file).unwrap_or_default();
    let target = Target {
        program: derived,
        workflow: id,
        file: std::path::absolute(&request.file).unwrap_or_else(|_| request.file.clone()),
        file_hash: format!("{:x}", Sha256::digest(&text)),
        // Never stored under the file's key, where a resume of a whole run of that file
        // would find it.
        checked: None,
    };
    let observers: Vec<Box<dyn run::Observer>> =
        vec![Box::new(wf::run::view::Plain::new(std::io::stderr(), wf::report::Palette::new(false)))];
    match run::execute(&target, Begin::New { args }, &journal, options, observers) {
        Ok(ended) => Ok((journal, ended)),
        Err(error) => {
            eprintln!("error: {error}");
            Err(Exit::Usage)
        }
    }
}

/// `wf step --report FILE`: the run's report (docs/schemas/import.json), from every task's
/// usage. Its status is `failed` when a task's run failed; its totals are the tasks' sums.
fn write_report(
    request: &StepArgs,
    path: &std::path::Path,
    workflow: &wf::ir::Workflow,
    args: &indexmap::IndexMap<String, wf::ir::Value>,
    env: &HashMap<String, String>,
    usages: Vec<(String, serde_json::Value)>,
) -> Exit {
    let mut sources: Vec<(String, serde_json::Value)> = usages
        .into_iter()
        .map(|(name, usage)| (name.trim_start_matches("WF_USAGE_").to_ascii_lowercase().replace('_', "-"), usage))
        .collect();
    if let Some(dir) = &request.usage_dir {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join("usage.json"))
            .filter(|path| path.is_file())
            .collect();
        found.sort();
        for path in found {
            let task = path.parent().and_then(|dir| dir.file_name()).map(|name| name.to_string_lossy().into_owned());
            let task = task.unwrap_or_default().trim_start_matches("wf-usage-").to_owned();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.trim().is_empty() {
                continue; // an iteration that did not run
            }
            match serde_json::from_str(&text) {
                Ok(usage) => sources.push((task, usage)),
                Err(error) => {
                    eprintln!("error: {}: {error}", path.display());
                    return Exit::Usage;
                }
            }
        }
    }
    let mut tasks = Vec::new();
    for (task, usage) in sources {
        // A fanned-out task's usage is a list, one per iteration (Argo's aggregated outputs).
        let usages = match usage {
            serde_json::Value::Array(items) => items,
            usage if usage.is_object() => vec![usage],
            _ => {
                eprintln!("error: the usage of task `{task}` is not a JSON object or list");
                return Exit::Usage;
            }
        };
        for usage in usages {
            // Argo may hand over each item of a list as the text of its JSON.
            let mut usage = match usage {
                serde_json::Value::String(text) => serde_json::from_str(&text).unwrap_or_default(),
                other => other,
            };
            if !usage.is_object() {
                eprintln!("error: the usage of task `{task}` is not a JSON object");
                return Exit::Usage;
            }
            usage["task"] = serde_json::json!(task);
            tasks.push(usage);
        }
    }
    tasks.sort_by_key(|task| task["started_at"].as_i64().unwrap_or(i64::MAX));
    let failed = tasks.iter().any(|task| task["status"] == "failed");
    let sum = |field: &str| tasks.iter().map(|task| task[field].as_i64().unwrap_or(0)).sum::<i64>();
    // As the journal keeps a run's arguments: typed, so that `wf import` records them exactly.
    let args = serde_json::to_value(args).unwrap_or_default();
    let report = serde_json::json!({
        "version": wf::schema::VERSION,
        "kind": "engine-run",
        "workflow": workflow.name,
        "file": request.file.to_string_lossy(),
        "args": args,
        "engine": if env.contains_key("GITHUB_RUN_ID") { "github" } else { "argo" },
        "engine_run": env.get("GITHUB_RUN_ID").or_else(|| env.get("ARGO_WORKFLOW_NAME")),
        "status": if failed { "failed" } else { "succeeded" },
        "started_at": tasks.iter().filter_map(|task| task["started_at"].as_i64()).min(),
        "ended_at": tasks.iter().filter_map(|task| task["ended_at"].as_i64()).max(),
        "micros": sum("micros"),
        "tokens": sum("tokens"),
        "tasks": tasks,
    });
    let written = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, serde_json::to_string_pretty(&report).unwrap_or_default()))
        .and_then(|()| publish("{}", "{}", request.out.as_deref(), None));
    if let Err(error) = written {
        eprintln!("error: cannot write the report: {error}");
        return Exit::Failure;
    }
    Exit::Success
}

/// What a task's run spent and did, for the rollback handler and the report node: its id,
/// status and times, its totals, each step's record and the ledger's amounts (without the
/// agents' exchanges). `suffix` (`[i]`, a fanned-out iteration) goes after every step key, so
/// that the iterations' steps stay apart in the report. `spent` is what the run has spent up
/// to the end of this task, by task run (`carried` and this one's): the tasks after it start
/// from there.
fn usage_of(journal: &Journal, run: &str, suffix: &str, carried: &Carried) -> serde_json::Value {
    let (micros, tokens) = journal.spent(run).unwrap_or_default();
    let mut spent = carried.clone();
    spent.insert(run.to_owned(), (micros, tokens));
    let spent: serde_json::Map<String, serde_json::Value> = spent
        .into_iter()
        .map(|(run, (micros, tokens))| (run, serde_json::json!({ "micros": micros, "tokens": tokens })))
        .collect();
    let record = journal.run(run).ok();
    let mut records: Vec<_> = journal.steps(run).unwrap_or_default().into_values().collect();
    records.sort_by_key(|record| record.seq);
    let steps: Vec<serde_json::Value> = records
        .iter()
        .map(|step| {
            serde_json::json!({
                "key": format!("{}{suffix}", step.key),
                "step": step.step_id,
                "kind": step.kind,
                "hash": step.hash,
                "status": step.status,
                "accepted": step.accepted,
                "attempts": step.attempts,
                "started_at": step.started_at,
                "ended_at": step.ended_at,
                "error": step.error,
            })
        })
        .collect();
    let ledger: Vec<serde_json::Value> = journal
        .ledger(run)
        .unwrap_or_default()
        .into_iter()
        .map(|entry| {
            serde_json::json!({
                "key": format!("{}{suffix}", entry.key),
                "attempt": entry.attempt,
                "model": entry.model,
                "input": entry.input,
                "output": entry.output,
                "cached": entry.cached,
                "micros": entry.micros,
                "reported_micros": entry.reported_micros,
                "unpriced": entry.unpriced,
            })
        })
        .collect();
    serde_json::json!({
        "run": run,
        "status": record.as_ref().map_or("failed", |record| record.status.as_str()),
        "started_at": record.as_ref().map(|record| record.started_at),
        "ended_at": record.as_ref().and_then(|record| record.ended_at),
        "micros": micros,
        "tokens": tokens,
        "spent": spent,
        "steps": steps,
        "ledger": ledger,
    })
}

/// What the earlier tasks of the engine's run spent, by their task runs: the union of the
/// `spent` of every task's usage this one was given (`WF_USAGE_*`). Runs are keys, so a task
/// that two branches both count (before a `parallel`) counts once.
type Carried = std::collections::BTreeMap<String, (i64, u64)>;

fn carried(usages: &[(String, serde_json::Value)]) -> Result<Carried, String> {
    let mut carried = Carried::new();
    for (name, usage) in usages {
        let Some(spent) = usage.get("spent") else { continue };
        let Some(spent) = spent.as_object() else { return Err(format!("{name}: `spent` is not a JSON object")) };
        for (run, amounts) in spent {
            let (Some(micros), Some(tokens)) = (amounts["micros"].as_i64(), amounts["tokens"].as_u64()) else {
                return Err(format!("{name}: `spent.{run}` needs `micros` and `tokens`"));
            };
            carried.insert(run.clone(), (micros, tokens));
        }
    }
    Ok(carried)
}

/// What the rollback handler reads of the tasks before it: their usage, and the spend it
/// carries.
struct Tasks<'a> {
    usages: &'a [(String, serde_json::Value)],
    carried: &'a Carried,
}

/// Every `WF_USAGE_*` variable the engine set, by name, as JSON; an empty one is a task that did
/// not run, and is left out. Read once: the budget, the rollback handler and the report all
/// take them from here.
fn usages(env: &HashMap<String, String>) -> Result<Vec<(String, serde_json::Value)>, String> {
    let mut names: Vec<&String> = env.keys().filter(|name| name.starts_with("WF_USAGE_")).collect();
    names.sort();
    let mut usages = Vec::new();
    for name in names.into_iter().filter(|name| !env[*name].trim().is_empty()) {
        let usage = serde_json::from_str(&env[name]).map_err(|error| format!("{name}: {error}"))?;
        usages.push((name.clone(), usage));
    }
    Ok(usages)
}

/// How the runner runs a task: no person to ask, the engine's environment, and what the
/// run spent before it held against its budgets.
fn options_for(request: &StepArgs, env: &HashMap<String, String>, carried: &Carried) -> Options {
    let spent_before = carried
        .values()
        .fold((0i64, 0u64), |(micros, tokens), &(m, t)| (micros.saturating_add(m), tokens.saturating_add(t)));
    Options {
        state_dir: request.state_dir.clone(),
        mode: None,
        strict: false,
        lenient: false,
        approve: Vec::new(),
        sim: None,
        providers: std::collections::BTreeMap::new(),
        kill_grace: std::time::Duration::from_secs(5),
        output_limit: 64 << 20,
        user: env.get("GITHUB_ACTOR").or_else(|| env.get("USER")).cloned().unwrap_or_else(|| "engine".to_owned()),
        env: env.clone(),
        verbose: true,
        prompt: false,
        raise: Vec::new(),
        spent_before,
    }
}

/// Every `WF_VALUES_*` variable: a JSON object of step ids to values, typed by the steps.
fn read_values(
    workflow: &wf::ir::Workflow,
    env: &HashMap<String, String>,
) -> Result<HashMap<StepIdx, wf::ir::Value>, String> {
    let mut values = HashMap::new();
    for (name, text) in env {
        if !name.starts_with("WF_VALUES_") || text.trim().is_empty() {
            // An empty value is a task that did not run: its steps read as skipped.
            continue;
        }
        let json: serde_json::Value = serde_json::from_str(text).map_err(|error| format!("{name}: {error}"))?;
        let Some(object) = json.as_object() else { return Err(format!("{name} is not a JSON object")) };
        for (id, value) in object {
            let Some(index) = workflow.steps.iter().position(|step| &step.id == id) else { continue };
            let ty = Type::Record(workflow.steps[index].fields.clone());
            let value = wf::args::from_json(&ty, value).map_err(|reason| format!("{name}: `{id}`: {reason}"))?;
            values.insert(StepIdx(index), value);
        }
    }
    Ok(values)
}

fn steps_of(node: &wf::ir::Node, iteration: bool) -> Vec<StepIdx> {
    let mut inside = Vec::new();
    wf::compile::plan::steps_in(node, &mut inside);
    if iteration {
        // One iteration's steps; the loop's own value belongs to no single iteration.
        if let wf::ir::Node::For { step: Some(step), .. } = node {
            inside.retain(|index| index != step);
        }
    }
    inside
}

fn publish(values: &str, usage: &str, out: Option<&std::path::Path>, github: Option<&String>) -> std::io::Result<()> {
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("values.json"), values)?;
        std::fs::write(dir.join("usage.json"), usage)?;
    }
    if let Some(path) = github.filter(|path| !path.is_empty()) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().append(true).create(true).open(path)?;
        writeln!(file, "values={values}")?;
        writeln!(file, "usage={usage}")?;
    }
    Ok(())
}
