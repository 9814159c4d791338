//! A plan as a GitHub Actions workflow: one job per task, started by `workflow_dispatch`
//! with an input per parameter.
//!
//! No `${{ }}` expression is ever written into a `run:` script, the classic injection:
//! inputs, earlier jobs' values and the matrix index reach `wf step` through the step's
//! `env:`, which the runner sets as values.

use serde_json::{json, Map, Value};

use super::plan::{ParamKind, Plan, Role, Task};
use super::{arg_var, step_words, usage_var, values_var, Options, BRANCH_OUTPUT, REPORT_FILE, REPORT_NAME};

/// Where a matrix iteration writes its usage, and the report job finds them all.
const USAGE_DIR: &str = "wf-usage";
/// The artifacts of the iterations' usage: this, the job's name, `-`, the index.
const USAGE_ARTIFACT: &str = "wf-usage-";

pub fn workflow(plan: &Plan, options: &Options) -> Value {
    let mut inputs = Map::new();
    for param in &plan.params {
        let kind = match param.kind {
            ParamKind::String => "string",
            ParamKind::Number => "number",
            ParamKind::Boolean => "boolean",
        };
        let mut input = json!({
            "description": format!("{} ({})", param.name, param.ty),
            "required": param.default.is_none(),
            "type": kind,
        });
        if let Some(default) = &param.default {
            input["default"] = match param.kind {
                ParamKind::Boolean => json!(default == "true"),
                ParamKind::Number => match default.parse::<i64>() {
                    Ok(n) => json!(n),
                    Err(_) => default
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map_or_else(|| json!(default), Value::Number),
                },
                ParamKind::String => json!(default),
            };
        }
        inputs.insert(param.name.clone(), input);
    }
    let dispatch = if inputs.is_empty() { json!({}) } else { json!({ "inputs": inputs }) };
    let mut jobs = Map::new();
    for task in &plan.tasks {
        jobs.insert(task.name.clone(), job(plan, task, options));
    }
    let mut document = json!({
        "name": plan.workflow,
        "on": { "workflow_dispatch": dispatch },
        "permissions": { "contents": "read" },
        "jobs": jobs,
    });
    if let Some(description) = &plan.description {
        document["run-name"] = json!(format!("{}: {description}", plan.workflow));
    }
    document
}

fn job(plan: &Plan, task: &Task, options: &Options) -> Value {
    let mut job = Map::new();
    job.insert("name".into(), json!(task.title));
    if !task.needs.is_empty() {
        let needs: Vec<&str> = task.needs.iter().map(|&i| plan.tasks[i].name.as_str()).collect();
        job.insert("needs".into(), json!(needs));
    }
    // A job whose need was skipped is skipped too, unless its `if` has a status function: a
    // body job after a branch that may not run says "no ancestor failed and nothing was
    // cancelled" itself, and a job in a branch adds the branch its `if`s chose.
    let status = match task.role {
        Role::Body if !task.when.is_empty() || after_branch(plan, task) => Some("!failure() && !cancelled()"),
        Role::Body => None,
        Role::OnFailure | Role::Rollback => Some("failure()"),
        Role::Finally | Role::Report => Some("always()"),
    };
    let mut terms: Vec<String> = status.into_iter().map(str::to_owned).collect();
    for &(decider, branch) in &task.when {
        terms.push(format!("needs.{}.outputs.{BRANCH_OUTPUT} == '{branch}'", plan.tasks[decider].name));
    }
    if !terms.is_empty() {
        job.insert("if".into(), json!(format!("${{{{ {} }}}}", terms.join(" && "))));
    }
    job.insert("runs-on".into(), json!(options.runs_on));
    if task.approval.is_some() {
        // Required reviewers of this environment are set in the repository's settings.
        job.insert("environment".into(), json!(task.name));
    }
    let deadline = match (task.timeout_ms, plan.timeout_ms) {
        (Some(task), Some(run)) => Some(task.min(run)),
        (task, run) => task.or(run),
    };
    if let Some(ms) = deadline {
        // The job also installs wf: a minute for that, on top of the step's own deadline.
        job.insert("timeout-minutes".into(), json!(ms.div_ceil(60_000) + 1));
    }
    if let Some(fan) = task.fan {
        let mut strategy = json!({ "fail-fast": true, "matrix": { "index": (0..fan.count).collect::<Vec<u64>>() } });
        if let Some(max) = fan.max {
            strategy["max-parallel"] = json!(max);
        }
        job.insert("strategy".into(), strategy);
    } else {
        let mut outputs =
            json!({ "values": "${{ steps.wf.outputs.values }}", "usage": "${{ steps.wf.outputs.usage }}" });
        if task.decides {
            outputs[BRANCH_OUTPUT] = json!(format!("${{{{ steps.wf.outputs.{BRANCH_OUTPUT} }}}}"));
        }
        job.insert("outputs".into(), outputs);
    }
    let mut env = Map::new();
    for param in &plan.params {
        env.insert(arg_var(&param.name), json!(format!("${{{{ inputs.{} }}}}", param.name)));
    }
    for &i in &task.reads {
        let read = &plan.tasks[i];
        if task.role == Role::Report && read.fan.is_some() {
            continue; // A matrix job has no outputs of its own.
        }
        if task.role != Role::Report {
            env.insert(values_var(&read.name), json!(format!("${{{{ needs.{}.outputs.values }}}}", read.name)));
        }
        if matches!(task.role, Role::Rollback | Role::Report) {
            env.insert(usage_var(&read.name), json!(format!("${{{{ needs.{}.outputs.usage }}}}", read.name)));
        }
    }
    if task.fan.is_some() {
        env.insert("WF_INDEX".into(), json!("${{ matrix.index }}"));
    }
    for secret in &plan.secrets {
        env.insert(secret.clone(), json!(format!("${{{{ secrets.{secret} }}}}")));
    }
    let mut words = step_words(plan, task, options);
    if task.fan.is_some() {
        words.extend(["--out".to_owned(), USAGE_DIR.to_owned()]);
    }
    if task.role == Role::Report && plan.tasks.iter().any(|other| other.fan.is_some()) {
        words.extend(["--usage-dir".to_owned(), USAGE_DIR.to_owned()]);
    }
    if task.approval.is_some() {
        // The environment's reviewers approved the job before it started.
        words.push("--approved".to_owned());
    }
    let command = words
        .iter()
        .map(|word| shlex::try_quote(word).map_or_else(|_| word.clone(), |q| q.into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut step = json!({ "id": "wf", "name": task.title, "run": command });
    if !env.is_empty() {
        step["env"] = Value::Object(env);
    }
    let mut steps =
        vec![json!({ "uses": "actions/checkout@v4" }), json!({ "name": "Install wf", "run": options.setup }), step];
    if task.fan.is_some() {
        // A matrix job has no outputs of its own: each iteration uploads its usage, and the
        // report job downloads them all.
        steps.push(json!({
            "name": "Upload the iteration's usage",
            "if": "${{ always() }}",
            "uses": "actions/upload-artifact@v4",
            "with": { "name": format!("{USAGE_ARTIFACT}{}-${{{{ matrix.index }}}}", task.name), "path": format!("{USAGE_DIR}/usage.json") },
        }));
    }
    if task.role == Role::Report && plan.tasks.iter().any(|other| other.fan.is_some()) {
        steps.insert(
            2,
            json!({
                "name": "Download the iterations' usage",
                "uses": "actions/download-artifact@v4",
                "with": { "pattern": format!("{USAGE_ARTIFACT}*"), "path": USAGE_DIR },
            }),
        );
    }
    if task.role == Role::Report {
        steps.push(json!({
            "name": "Upload the run's report",
            "if": "${{ always() }}",
            "uses": "actions/upload-artifact@v4",
            "with": { "name": REPORT_NAME, "path": REPORT_FILE },
        }));
    }
    job.insert("steps".into(), Value::Array(steps));
    Value::Object(job)
}

/// Whether a job in `task`'s ancestry runs only in one branch of an `if`, and so may be
/// skipped.
fn after_branch(plan: &Plan, task: &Task) -> bool {
    let mut seen = vec![false; plan.tasks.len()];
    let mut stack: Vec<usize> = task.needs.clone();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        if !plan.tasks[i].when.is_empty() {
            return true;
        }
        stack.extend(plan.tasks[i].needs.iter().copied());
    }
    false
}
