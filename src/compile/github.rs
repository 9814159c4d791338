//! A plan as a GitHub Actions workflow: one job per task, started by `workflow_dispatch`
//! with an input per parameter.
//!
//! No `${{ }}` expression is ever written into a `run:` script, the classic injection:
//! inputs, earlier jobs' values and the matrix index reach `wf step` through the step's
//! `env:`, which the runner sets as values.
//!
//! Files pass from job to job as artifacts: a job that another needs tars its working
//! directory after `wf step` (whatever happened, as a failed task's files are what `wf run`'s
//! `on failure` handler sees) and uploads it; a job whose needs did so downloads and unpacks
//! their tarballs instead of checking out, so it starts from the files they left.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::plan::{ParamKind, Plan, Role, Task};
use super::{arg_var, step_words, usage_var, values_var, Options, BRANCH_OUTPUT, REPORT_FILE, REPORT_NAME, SETUP_TASK};

/// Where a matrix iteration writes its usage, and the report job finds them all.
const USAGE_DIR: &str = "wf-usage";
/// The artifacts of the iterations' usage: this, the job's name, `-`, the index.
const USAGE_ARTIFACT: &str = "wf-usage-";
/// The artifacts of the jobs' workspaces: this, the job's name, and for a matrix iteration
/// `.` and the index. Job names are `[a-z0-9-]`, so the `.` keeps any two apart, and GitHub
/// allows it in an artifact's name.
const WORKSPACE_ARTIFACT: &str = "wf-workspace.";
/// Under `$RUNNER_TEMP`: a folder per job whose workspace is downloaded, and the tarball a
/// job uploads.
const WORKSPACE_DIR: &str = "wf-workspace";
const WORKSPACE_TAR: &str = "workspace.tar";
/// The restore step's id, whose output `restored` says whether any workspace arrived.
const RESTORE_ID: &str = "workspace";

/// Tars the working directory for the jobs after this one: paths and modes as they are, the
/// times to the nanosecond (the pax format) for `--keep-newer-files` on the other side, without
/// what is the job's own — its journal (`.wf`) and wf's scratch files.
const PACK: &str = "set -eu
tar -c --format=pax -f \"$RUNNER_TEMP/workspace.tar\" --exclude=./.wf --exclude=./wf-usage --exclude=./wf-report.json .
";

/// The artifact of the `wf` binary the setup job installed, and the folder under
/// `$RUNNER_TEMP` where every job puts it.
const WF_ARTIFACT: &str = "wf-bin";

/// Keeps the `wf` that `--setup` put on the `PATH` for the artifact.
const KEEP_WF: &str = "set -eu
mkdir -p \"$RUNNER_TEMP/wf-bin\"
cp \"$(command -v wf)\" \"$RUNNER_TEMP/wf-bin/wf\"
";

/// Puts the downloaded `wf` on the `PATH` of the job's later steps (an artifact keeps no
/// modes: it is made executable again).
const PATH_WF: &str = "set -eu
chmod +x \"$RUNNER_TEMP/wf-bin/wf\"
echo \"$RUNNER_TEMP/wf-bin\" >> \"$GITHUB_PATH\"
";

/// The first job: `--setup` once, on the same kind of runner as every other job, and the `wf`
/// it installed handed on as an artifact, so no job builds or installs wf again.
fn setup(options: &Options) -> Value {
    json!({
        "name": "Install wf",
        "runs-on": options.runs_on,
        "steps": [
            checkout(),
            { "name": "Install wf", "run": options.setup },
            { "name": "Keep wf", "shell": "bash", "run": KEEP_WF },
            {
                "name": "Upload wf",
                "uses": "actions/upload-artifact@v4",
                "with": {
                    "name": WF_ARTIFACT,
                    "path": format!("${{{{ runner.temp }}}}/{WF_ARTIFACT}/wf"),
                    "retention-days": 1,
                },
            },
        ],
    })
}

fn checkout() -> Value {
    // No token in `.git/config`: the folder travels to other jobs as an artifact.
    json!({ "uses": "actions/checkout@v4", "with": { "persist-credentials": false } })
}

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
    jobs.insert(SETUP_TASK.to_owned(), setup(options));
    for index in 0..plan.tasks.len() {
        jobs.insert(plan.tasks[index].name.clone(), job(plan, index, options));
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

fn job(plan: &Plan, index: usize, options: &Options) -> Value {
    let task = &plan.tasks[index];
    let mut job = Map::new();
    job.insert("name".into(), json!(task.title));
    // Every job runs the `wf` the setup job installed.
    let mut needs: Vec<&str> = vec![SETUP_TASK];
    needs.extend(task.needs.iter().map(|&i| plan.tasks[i].name.as_str()));
    job.insert("needs".into(), json!(needs));
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
        // The job also fetches wf and the workspace: a minute for that, on top of the step's
        // own deadline.
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
    if task.role != Role::Report {
        for &i in &task.reads {
            let read = &plan.tasks[i].name;
            env.insert(values_var(read), json!(format!("${{{{ needs.{read}.outputs.values }}}}")));
        }
    }
    // A matrix job has no outputs of its own: the report downloads its iterations' usage.
    for read in task.usage.iter().map(|&i| &plan.tasks[i]).filter(|read| read.fan.is_none()) {
        env.insert(usage_var(&read.name), json!(format!("${{{{ needs.{}.outputs.usage }}}}", read.name)));
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
    let sources = sources(plan, index);
    let handler = runs_after_skipped(plan, task);
    let mut steps = Vec::new();
    if sources.is_empty() {
        steps.push(checkout());
    } else {
        for &source in &sources {
            let need = &plan.tasks[source];
            let mut with = if need.fan.is_some() {
                json!({ "pattern": format!("{WORKSPACE_ARTIFACT}{}.*", need.name) })
            } else {
                json!({ "name": format!("{WORKSPACE_ARTIFACT}{}", need.name) })
            };
            with["path"] = json!(format!("${{{{ runner.temp }}}}/{WORKSPACE_DIR}/{}", need.name));
            let mut download = json!({
                "name": format!("Download the workspace of {}", need.name),
                "uses": "actions/download-artifact@v4",
                "with": with,
            });
            if handler {
                // A handler runs after a failure: some of the jobs before it never ran.
                download["continue-on-error"] = json!(true);
            }
            steps.push(download);
        }
        steps.push(json!({
            "name": "Restore the workspace",
            "id": RESTORE_ID,
            "shell": "bash",
            "run": restore(plan, &sources),
        }));
        if handler {
            // Not one of them ran (the body failed at its first job): the checkout, as the
            // handler of `wf run` would find the files then.
            let mut fallback = checkout();
            fallback["if"] = json!(format!("${{{{ steps.{RESTORE_ID}.outputs.restored != 'true' }}}}"));
            steps.push(fallback);
        }
    }
    steps.push(json!({
        "name": "Download wf",
        "uses": "actions/download-artifact@v4",
        "with": { "name": WF_ARTIFACT, "path": format!("${{{{ runner.temp }}}}/{WF_ARTIFACT}") },
    }));
    steps.push(json!({ "name": "Put wf on the PATH", "shell": "bash", "run": PATH_WF }));
    if task.role == Role::Report && plan.tasks.iter().any(|other| other.fan.is_some()) {
        steps.push(json!({
            "name": "Download the iterations' usage",
            "uses": "actions/download-artifact@v4",
            "with": { "pattern": format!("{USAGE_ARTIFACT}*"), "path": USAGE_DIR },
        }));
    }
    steps.push(step);
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
    if carries(plan, index) {
        let name = if task.fan.is_some() {
            format!("{WORKSPACE_ARTIFACT}{}.${{{{ matrix.index }}}}", task.name)
        } else {
            format!("{WORKSPACE_ARTIFACT}{}", task.name)
        };
        steps.push(json!({ "name": "Pack the workspace", "if": "${{ always() }}", "shell": "bash", "run": PACK }));
        steps.push(json!({
            "name": "Upload the workspace",
            "if": "${{ always() }}",
            "uses": "actions/upload-artifact@v4",
            "with": {
                "name": name,
                "path": format!("${{{{ runner.temp }}}}/{WORKSPACE_TAR}"),
                "retention-days": 1,
            },
        }));
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

/// Whether a job's workspace goes on to another: some job but the report needs it.
fn carries(plan: &Plan, index: usize) -> bool {
    plan.tasks.iter().any(|other| other.role != Role::Report && other.needs.contains(&index))
}

/// Whether a job can run when some of the jobs it needs did not (GitHub skips a job whose need
/// failed or was skipped, unless its `if:` says otherwise): the handlers, and a body job after
/// a job that runs in one branch of an `if` only.
fn runs_after_skipped(plan: &Plan, task: &Task) -> bool {
    matches!(task.role, Role::OnFailure | Role::Rollback | Role::Finally)
        || (task.role == Role::Body && after_branch(plan, task))
}

/// The jobs whose workspaces a job starts from, in the plan's order. A body job runs only
/// when its needs succeeded: theirs (all carry one, being needed), but for a need another need
/// waits for, whose files that one's already hold. A job that can run after jobs that did not
/// takes every job before it, of which the restore keeps the last that ran on each path. The
/// report reads no files: the checkout.
fn sources(plan: &Plan, index: usize) -> Vec<usize> {
    let task = &plan.tasks[index];
    if task.role == Role::Report {
        Vec::new()
    } else if runs_after_skipped(plan, task) {
        ancestors(plan, task).into_iter().filter(|&before| carries(plan, before)).collect()
    } else {
        let needs = task.needs.iter().copied();
        needs
            .filter(|&need| !task.needs.iter().any(|&other| ancestors(plan, &plan.tasks[other]).contains(&need)))
            .collect()
    }
}

/// Every job that `task` waits for, directly or through others.
fn ancestors(plan: &Plan, task: &Task) -> BTreeSet<usize> {
    let mut found = BTreeSet::new();
    let mut next: Vec<usize> = task.needs.clone();
    while let Some(need) = next.pop() {
        if found.insert(need) {
            next.extend(plan.tasks[need].needs.iter().copied());
        }
    }
    found
}

/// The restore step's script: fixed words only (job names are `[a-z0-9-]`), no `${{ }}`.
/// It takes the tarballs of each source from which no source that arrived descends (one that
/// did already holds the earlier one's files), unpacks the first plainly and the others with
/// `--keep-newer-files`, so that files changed in parallel branches all arrive (the newest
/// copy of each), and sets the output `restored`.
fn restore(plan: &Plan, sources: &[usize]) -> String {
    let mut script = String::from(
        "set -eu
from=\"$RUNNER_TEMP/wf-workspace\"
list=\"$RUNNER_TEMP/wf-workspace.list\"
: > \"$list\"
arrived() { [ -d \"$from/$1\" ] && [ -n \"$(find \"$from/$1\" -name workspace.tar)\" ]; }
take() { if arrived \"$1\"; then find \"$from/$1\" -name workspace.tar | sort >> \"$list\"; fi; }
",
    );
    for &source in sources {
        // A job that runs only when its needs succeeded arrived only if they did: of the
        // jobs after this one, its dependents and those that run after skipped jobs say it.
        let later: Vec<&str> = sources
            .iter()
            .filter(|&&other| {
                (plan.tasks[other].needs.contains(&source) || runs_after_skipped(plan, &plan.tasks[other]))
                    && ancestors(plan, &plan.tasks[other]).contains(&source)
            })
            .map(|&other| plan.tasks[other].name.as_str())
            .collect();
        for name in later {
            script.push_str(&format!("arrived {name} || "));
        }
        script.push_str(&format!("take {}\n", plan.tasks[source].name));
    }
    script.push_str(
        "keep=\"\"
while IFS= read -r tarball; do
  tar -x -p -f \"$tarball\" $keep
  keep=--keep-newer-files
done < \"$list\"
if [ -s \"$list\" ]; then echo restored=true; else echo restored=false; fi >> \"$GITHUB_OUTPUT\"
",
    );
    script
}

/// Whether a job in `task`'s ancestry runs only in one branch of an `if`, and so may be
/// skipped.
fn after_branch(plan: &Plan, task: &Task) -> bool {
    ancestors(plan, task).into_iter().any(|before| !plan.tasks[before].when.is_empty())
}
