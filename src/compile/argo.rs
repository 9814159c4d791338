//! A plan as an Argo Workflows `Workflow` (or `WorkflowTemplate`): a DAG template whose tasks
//! are the plan's, each a container running `wf step` on its node.
//!
//! Nothing passes through a shell: the container's `command` is a list of words, and what
//! a task needs (arguments, values of earlier tasks, the `for` index) reaches `wf step` as
//! environment variables, which Argo substitutes as values, never as syntax.

use serde_json::{json, Map, Value};

use super::plan::{Plan, Role, Task};
use super::{arg_var, step_words, usage_var, values_var, Options, BRANCH_OUTPUT, REPORT_NAME};

/// Where `wf step` writes the task's values and usage in the container.
const OUT_DIR: &str = "/tmp/wf";
const EXIT_HANDLER: &str = "handlers";

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
    let mut templates = vec![dag("main", plan, Role::Body)];
    if !handlers.is_empty() {
        templates.push(dag(EXIT_HANDLER, plan, Role::OnFailure));
    }
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
            if !task.reads.is_empty() {
                loop_template["inputs"] = inputs(plan, task, false);
            }
            if let Some(max) = fan.max {
                loop_template["parallelism"] = json!(max);
            }
            // The iterations' usage, as Argo aggregates a fanned-out step's outputs: a list.
            loop_template["outputs"] = json!({ "parameters": [{
                "name": "usage",
                "valueFrom": { "parameter": "{{steps.item.outputs.parameters.usage}}" },
            }] });
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
    for task in plan.tasks.iter().filter(|task| in_dag(task)) {
        let mut dependencies: Vec<String> = task
            .needs
            .iter()
            .map(|&i| &plan.tasks[i])
            .filter(|need| in_dag(need))
            .map(|need| need.name.clone())
            .collect();
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

/// The values a task reads, as arguments: from the tasks of its DAG, or (in the exit
/// handler) from the global outputs the body's tasks export.
fn reads(plan: &Plan, task: &Task, global: bool) -> Vec<Value> {
    let mut parameters = Vec::new();
    for &i in &task.reads {
        let read = &plan.tasks[i];
        let from_global = global && read.role == Role::Body;
        let value = if from_global {
            format!("{{{{workflow.outputs.parameters.{}}}}}", global_name(read))
        } else {
            format!("{{{{tasks.{}.outputs.parameters.values}}}}", read.name)
        };
        if task.role != Role::Report {
            parameters.push(json!({ "name": param_name(read), "value": value }));
        }
        if task.role == Role::Report || (task.role == Role::Rollback && read.fan.is_none()) {
            let usage = if from_global {
                format!("{{{{workflow.outputs.parameters.{}}}}}", usage_global_name(read))
            } else {
                format!("{{{{tasks.{}.outputs.parameters.usage}}}}", read.name)
            };
            parameters.push(json!({ "name": usage_param_name(read), "value": usage }));
        }
    }
    parameters
}

fn usage_param_name(task: &Task) -> String {
    format!("usage-{}", task.name)
}

fn usage_global_name(task: &Task) -> String {
    format!("wf-usage-{}", task.name)
}

fn param_name(task: &Task) -> String {
    format!("values-{}", task.name)
}

fn global_name(task: &Task) -> String {
    format!("wf-values-{}", task.name)
}

fn inputs(plan: &Plan, task: &Task, index: bool) -> Value {
    let mut parameters: Vec<Value> = Vec::new();
    for &i in &task.reads {
        if task.role != Role::Report {
            parameters.push(json!({ "name": param_name(&plan.tasks[i]) }));
        }
        if task.role == Role::Report || (task.role == Role::Rollback && plan.tasks[i].fan.is_none()) {
            parameters.push(json!({ "name": usage_param_name(&plan.tasks[i]) }));
        }
    }
    if index {
        parameters.push(json!({ "name": "index" }));
    }
    json!({ "parameters": parameters })
}

/// A loop's arguments to one iteration: what it was given, and the item's index.
fn forward(plan: &Plan, task: &Task, index: bool) -> Vec<Value> {
    let mut parameters: Vec<Value> = task
        .reads
        .iter()
        .map(|&i| {
            let name = param_name(&plan.tasks[i]);
            json!({ "name": name, "value": format!("{{{{inputs.parameters.{name}}}}}") })
        })
        .collect();
    if index {
        parameters.push(json!({ "name": "index", "value": "{{item}}" }));
    }
    parameters
}

fn container(plan: &Plan, task: &Task, options: &Options) -> Value {
    let mut env: Vec<Value> = plan
        .params
        .iter()
        .map(|param| json!({ "name": arg_var(&param.name), "value": format!("{{{{workflow.parameters.{}}}}}", param.name) }))
        .collect();
    for &i in &task.reads {
        let read = &plan.tasks[i];
        if task.role != Role::Report {
            env.push(json!({ "name": values_var(&read.name), "value": format!("{{{{inputs.parameters.{}}}}}", param_name(read)) }));
        }
        if task.role == Role::Report || (task.role == Role::Rollback && read.fan.is_none()) {
            let usage = format!("{{{{inputs.parameters.{}}}}}", usage_param_name(read));
            env.push(json!({ "name": usage_var(&read.name), "value": usage }));
        }
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
    let mut values = json!({ "name": "values", "valueFrom": { "path": format!("{OUT_DIR}/values.json") } });
    if task.role == Role::Body
        && plan.tasks.iter().any(|other| {
            !matches!(other.role, Role::Body | Role::Report) && other.reads.contains(&index_of(plan, task))
        })
    {
        values["globalName"] = json!(global_name(task));
    }
    let mut usage = json!({ "name": "usage", "valueFrom": { "path": format!("{OUT_DIR}/usage.json") } });
    if task.role == Role::Body
        && plan.tasks.iter().any(|other| {
            matches!(other.role, Role::Rollback | Role::Report) && other.reads.contains(&index_of(plan, task))
        })
    {
        usage["globalName"] = json!(usage_global_name(task));
    }
    let mut template = json!({
        "name": task.name,
        "metadata": { "annotations": { "wf/node": task.title } },
        "container": { "image": options.image, "command": command, "env": env },
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
    if !task.reads.is_empty() || task.fan.is_some() {
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
