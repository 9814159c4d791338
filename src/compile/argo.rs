//! A plan as an Argo Workflows `Workflow` (or `WorkflowTemplate`): a DAG template whose tasks
//! are the plan's, each a container running `wf step` on its node.
//!
//! Nothing passes through a shell: the container's `command` is a list of words, and what
//! a task needs (arguments, values of earlier tasks, the `for` index) reaches `wf step` as
//! environment variables, which Argo substitutes as values, never as syntax.
//!
//! Files pass from task to task on a volume: the workflow claims one (`workspace`), a first
//! task copies the image's working directory onto it, and every task's container works in it.
//! Each pod keeps its own journal outside it, so concurrent pods never share one SQLite file.

use serde_json::{json, Map, Value};

use super::plan::{Plan, Role, Task};
use super::{arg_var, step_words, usage_var, values_var, Options, BRANCH_OUTPUT, REPORT_NAME, WORKSPACE_TASK};

/// Where `wf step` writes the task's values and usage in the container.
const OUT_DIR: &str = "/tmp/wf";
const EXIT_HANDLER: &str = "handlers";
/// The volume claim every task mounts, and where.
const VOLUME: &str = "workspace";
const MOUNT: &str = "/workspace";
/// The pod's own journal: never on the shared volume, where concurrent pods would share it.
const STATE_DIR: &str = "/tmp/wf-state";

pub fn manifest(plan: &Plan, options: &Options) -> Value {
    let name = dns_name(&plan.workflow);
    let mut metadata = Map::new();
    if options.template {
        metadata.insert("name".into(), json!(name));
    } else {
        metadata.insert("generateName".into(), json!(format!("{name}-")));
    }
    if let Some(description) = &plan.description {
        metadata.insert("annotations".into(), json!({ "workflows.argoproj.io/description": description }));
    }
    let mut spec = Map::new();
    spec.insert("entrypoint".into(), json!("main"));
    if !plan.params.is_empty() {
        let parameters: Vec<Value> = plan
            .params
            .iter()
            .map(|param| {
                let mut entry = json!({ "name": param.name, "description": format!("{} ({})", param.name, param.ty) });
                if let Some(default) = &param.default {
                    entry["value"] = json!(default);
                }
                entry
            })
            .collect();
        spec.insert("arguments".into(), json!({ "parameters": parameters }));
    }
    if let Some(timeout) = plan.timeout_ms {
        spec.insert("activeDeadlineSeconds".into(), json!(seconds(timeout)));
    }
    let handlers: Vec<usize> = (0..plan.tasks.len()).filter(|&i| plan.tasks[i].role != Role::Body).collect();
    if !handlers.is_empty() {
        spec.insert("onExit".into(), json!(EXIT_HANDLER));
    }
    spec.insert("volumeClaimTemplates".into(), json!([claim(options)]));
    let mut templates = vec![dag("main", plan, Role::Body)];
    if !handlers.is_empty() {
        templates.push(dag(EXIT_HANDLER, plan, Role::OnFailure));
    }
    templates.push(seed(plan, options));
    for task in &plan.tasks {
        if task.approval.is_some() {
            templates.push(json!({ "name": format!("approve-{}", task.name), "suspend": {} }));
        }
        templates.push(container(plan, task, options));
        if let Some(fan) = task.fan {
            let mut loop_template = json!({
                "name": format!("{}-loop", task.name),
                "steps": [[{
                    "name": "item",
                    "template": task.name,
                    "withSequence": { "count": fan.count.to_string() },
                    "arguments": { "parameters": forward(plan, task, true) },
                }]],
            });
            if !taken(plan, task).is_empty() {
                loop_template["inputs"] = inputs(plan, task, false);
            }
            if let Some(max) = fan.max {
                loop_template["parallelism"] = json!(max);
            }
            // The iterations' usage, as Argo aggregates a fanned-out step's outputs: a list.
            let mut usage = json!({
                "name": "usage",
                "valueFrom": { "parameter": "{{steps.item.outputs.parameters.usage}}" },
            });
            if exported(plan, task, Taken::Usage) {
                usage["globalName"] = json!(Taken::Usage.global(task));
            }
            loop_template["outputs"] = json!({ "parameters": [usage] });
            templates.push(loop_template);
        }
    }
    spec.insert("templates".into(), Value::Array(templates));
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": if options.template { "WorkflowTemplate" } else { "Workflow" },
        "metadata": metadata,
        "spec": spec,
    })
}

/// The DAG of the body's tasks, or of the handlers' (`on failure` ones only when the
/// workflow did not succeed, then `finally`).
fn dag(name: &str, plan: &Plan, role: Role) -> Value {
    let in_dag = |task: &Task| match role {
        Role::Body => task.role == Role::Body,
        _ => task.role != Role::Body,
    };
    let mut tasks = Vec::new();
    if role == Role::Body {
        tasks.push(json!({ "name": WORKSPACE_TASK, "template": WORKSPACE_TASK }));
    }
    for task in plan.tasks.iter().filter(|task| in_dag(task)) {
        let mut dependencies: Vec<String> = task
            .needs
            .iter()
            .map(|&i| &plan.tasks[i])
            .filter(|need| in_dag(need))
            .map(|need| need.name.clone())
            .collect();
        if role == Role::Body && dependencies.is_empty() {
            // The others wait for it through their dependencies.
            dependencies.push(WORKSPACE_TASK.to_owned());
        }
        // Argo runs a task whose dependency was skipped, so each task of a branch carries
        // the branch itself (nested `if`s: every enclosing one's, joined with `&&`). Both sides
        // are quoted strings: `none` is no bare word to Argo's expression engines, and the
        // output of a condition task that was skipped (an outer branch not taken) is empty.
        let mut when: Vec<String> = task
            .when
            .iter()
            .map(|&(decider, branch)| {
                format!("'{{{{tasks.{}.outputs.parameters.{BRANCH_OUTPUT}}}}}' == '{branch}'", plan.tasks[decider].name)
            })
            .collect();
        if matches!(task.role, Role::OnFailure | Role::Rollback) {
            when.insert(0, "{{workflow.status}} != Succeeded".to_owned());
        }
        let when = when.join(" && ");
        if task.approval.is_some() {
            let approve = format!("approve-{}", task.name);
            let mut entry = json!({ "name": approve, "template": approve });
            if !dependencies.is_empty() {
                entry["dependencies"] = json!(dependencies);
            }
            if !when.is_empty() {
                entry["when"] = json!(when);
            }
            tasks.push(entry);
            dependencies = vec![approve];
        }
        let template = if task.fan.is_some() { format!("{}-loop", task.name) } else { task.name.clone() };
        let mut entry = json!({ "name": task.name, "template": template });
        if !dependencies.is_empty() {
            entry["dependencies"] = json!(dependencies);
        }
        let parameters = reads(plan, task, role != Role::Body);
        if !parameters.is_empty() {
            entry["arguments"] = json!({ "parameters": parameters });
        }
        if !when.is_empty() {
            entry["when"] = json!(when);
        }
        tasks.push(entry);
    }
    json!({ "name": name, "dag": { "tasks": tasks } })
}

/// The shared workspace's claim: one volume for the whole run, deleted with the workflow.
fn claim(options: &Options) -> Value {
    let mut spec = json!({
        "accessModes": ["ReadWriteOnce"],
        "resources": { "requests": { "storage": options.volume_size } },
    });
    if let Some(class) = &options.storage_class {
        spec["storageClassName"] = json!(class);
    }
    json!({ "metadata": { "name": VOLUME }, "spec": spec })
}

/// The first task: the image's working directory (its contents, hidden files included) copied
/// onto the volume, without a shell. It also exports every global output the exit handler
/// reads, empty: a task that never runs (after a failure, or in a branch not taken) exports
/// none, and Argo cannot resolve a global nobody set; a task that runs overwrites its own.
/// `wf step` reads an empty value or usage as "did not run".
fn seed(plan: &Plan, options: &Options) -> Value {
    let mut globals = Vec::new();
    for task in &plan.tasks {
        for taken in [Taken::Values, Taken::Usage] {
            if exported(plan, task, taken) {
                let name = taken.global(task);
                globals.push(json!({ "name": name, "value": "", "globalName": name }));
            }
        }
    }
    let mut template = json!({
        "name": WORKSPACE_TASK,
        "metadata": { "annotations": { "wf/node": "the shared workspace" } },
        "container": {
            "image": options.image,
            "command": ["cp", "-a", "./.", format!("{MOUNT}/")],
            "volumeMounts": [mount()],
        },
    });
    if !globals.is_empty() {
        template["outputs"] = json!({ "parameters": globals });
    }
    template
}

/// Whether a body task's values or usage are exported as a global output: the exit handler's
/// tasks take them (its DAG cannot name the body's tasks).
fn exported(plan: &Plan, task: &Task, taken: Taken) -> bool {
    let index = index_of(plan, task);
    task.role == Role::Body
        && plan.tasks.iter().filter(|other| other.role != Role::Body).any(|other| match taken {
            Taken::Values => other.role != Role::Report && other.reads.contains(&index),
            Taken::Usage => other.usage.contains(&index),
        })
}

fn mount() -> Value {
    json!({ "name": VOLUME, "mountPath": MOUNT })
}

/// What a task takes from another, as an input parameter and an environment variable.
#[derive(Clone, Copy)]
enum Taken {
    /// Its steps' values (`WF_VALUES_<task>`).
    Values,
    /// Its usage (`WF_USAGE_<task>`).
    Usage,
}

impl Taken {
    fn output(self) -> &'static str {
        match self {
            Taken::Values => "values",
            Taken::Usage => "usage",
        }
    }

    fn param(self, from: &Task) -> String {
        format!("{}-{}", self.output(), from.name)
    }

    fn global(self, from: &Task) -> String {
        format!("wf-{}-{}", self.output(), from.name)
    }

    fn var(self, from: &Task) -> String {
        match self {
            Taken::Values => values_var(&from.name),
            Taken::Usage => usage_var(&from.name),
        }
    }
}

/// Everything `task` takes from other tasks: the values of those it reads (the report needs
/// none), the usage of those in its `usage`.
fn taken<'a>(plan: &'a Plan, task: &'a Task) -> Vec<(Taken, &'a Task)> {
    let values = task.reads.iter().filter(|_| task.role != Role::Report).map(|&i| (Taken::Values, &plan.tasks[i]));
    values.chain(task.usage.iter().map(|&i| (Taken::Usage, &plan.tasks[i]))).collect()
}

/// What a task takes, as arguments: from the tasks of its DAG, or (in the exit handler)
/// from the global outputs the body's tasks export.
fn reads(plan: &Plan, task: &Task, global: bool) -> Vec<Value> {
    taken(plan, task)
        .into_iter()
        .map(|(taken, from)| {
            let value = if global && from.role == Role::Body {
                format!("{{{{workflow.outputs.parameters.{}}}}}", taken.global(from))
            } else {
                format!("{{{{tasks.{}.outputs.parameters.{}}}}}", from.name, taken.output())
            };
            json!({ "name": taken.param(from), "value": value })
        })
        .collect()
}

fn inputs(plan: &Plan, task: &Task, index: bool) -> Value {
    let mut parameters: Vec<Value> =
        taken(plan, task).into_iter().map(|(taken, from)| json!({ "name": taken.param(from) })).collect();
    if index {
        parameters.push(json!({ "name": "index" }));
    }
    json!({ "parameters": parameters })
}

/// A loop's arguments to one iteration: what it was given, and the item's index.
fn forward(plan: &Plan, task: &Task, index: bool) -> Vec<Value> {
    let mut parameters: Vec<Value> = taken(plan, task)
        .into_iter()
        .map(|(taken, from)| {
            let name = taken.param(from);
            json!({ "name": name, "value": format!("{{{{inputs.parameters.{name}}}}}") })
        })
        .collect();
    if index {
        parameters.push(json!({ "name": "index", "value": "{{item}}" }));
    }
    parameters
}

fn container(plan: &Plan, task: &Task, options: &Options) -> Value {
    let mut env: Vec<Value> = vec![json!({ "name": "WF_STATE_DIR", "value": STATE_DIR })];
    env.extend(plan.params.iter().map(
        |param| json!({ "name": arg_var(&param.name), "value": format!("{{{{workflow.parameters.{}}}}}", param.name) }),
    ));
    for (taken, from) in taken(plan, task) {
        env.push(
            json!({ "name": taken.var(from), "value": format!("{{{{inputs.parameters.{}}}}}", taken.param(from)) }),
        );
    }
    if task.fan.is_some() {
        env.push(json!({ "name": "WF_INDEX", "value": "{{inputs.parameters.index}}" }));
    }
    for secret in &plan.secrets {
        env.push(
            json!({ "name": secret, "valueFrom": { "secretKeyRef": { "name": options.secret_name, "key": secret } } }),
        );
    }
    let mut command = step_words(plan, task, options);
    command.push("--out".to_owned());
    command.push(OUT_DIR.to_owned());
    if task.approval.is_some() {
        // The suspend node before it was resumed by a person: the approval is given.
        command.push("--approved".to_owned());
    }
    // A fanned-out task's iterations export nothing: its loop template exports their list.
    let exported = |taken: Taken| task.fan.is_none() && exported(plan, task, taken);
    let mut values = json!({ "name": "values", "valueFrom": { "path": format!("{OUT_DIR}/values.json") } });
    if exported(Taken::Values) {
        values["globalName"] = json!(Taken::Values.global(task));
    }
    let mut usage = json!({ "name": "usage", "valueFrom": { "path": format!("{OUT_DIR}/usage.json") } });
    if exported(Taken::Usage) {
        usage["globalName"] = json!(Taken::Usage.global(task));
    }
    let mut template = json!({
        "name": task.name,
        "metadata": { "annotations": { "wf/node": task.title } },
        "container": {
            "image": options.image,
            "command": command,
            "env": env,
            "workingDir": MOUNT,
            "volumeMounts": [mount()],
        },
        "outputs": { "parameters": [
            values,
            usage,
        ] },
    });
    if task.decides {
        let branch = json!({ "name": BRANCH_OUTPUT, "valueFrom": { "path": format!("{OUT_DIR}/{BRANCH_OUTPUT}") } });
        if let Some(parameters) = template["outputs"]["parameters"].as_array_mut() {
            parameters.push(branch);
        }
    }
    if task.role == Role::Report {
        let report = json!({ "name": REPORT_NAME, "valueFrom": { "path": format!("{OUT_DIR}/report.json") } });
        if let Some(parameters) = template["outputs"]["parameters"].as_array_mut() {
            parameters.push(report);
        }
    }
    if !taken(plan, task).is_empty() || task.fan.is_some() {
        template["inputs"] = inputs(plan, task, task.fan.is_some());
    }
    if let Some(timeout) = task.timeout_ms {
        // A template's deadline is an IntOrString in Argo's schema; the workflow's an integer.
        template["activeDeadlineSeconds"] = json!(seconds(timeout).to_string());
    }
    template
}

fn index_of(plan: &Plan, task: &Task) -> usize {
    plan.tasks.iter().position(|other| other.name == task.name).unwrap_or(usize::MAX)
}

/// Whole seconds, rounded up, at least one.
fn seconds(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

/// A Kubernetes object name: lower-case letters, digits and `-`.
fn dns_name(name: &str) -> String {
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    name.trim_matches('-').to_owned()
}
