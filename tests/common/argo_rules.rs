//! The rules Argo's own validator applies beyond its JSON schema, for the manifests wf writes
//! (argoproj/argo-workflows `workflow/validate/validate.go`: `validateDAG`,
//! `validateDAGTaskArgumentDependency`, `resolveAllVariables`, `validateNonLeaf`, the inputs
//! check of `validateTemplateHolder`). The schema accepts a manifest that names a template or a
//! dependency that does not exist, reads an output no template declares, or hands a task the
//! output of a task it does not wait for; Argo rejects each at submission. The validator is Go
//! and cannot be run here, so its rules are written down once more, for the shapes wf writes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Every rule `manifest` breaks, as `templates.NAME…: what` lines; empty when none.
pub fn violations(manifest: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let spec = &manifest["spec"];
    let templates: Vec<&Value> = spec["templates"].as_array().map(|all| all.iter().collect()).unwrap_or_default();
    let mut by_name: BTreeMap<&str, &Value> = BTreeMap::new();
    for template in &templates {
        let name = template["name"].as_str().unwrap_or_default();
        if by_name.insert(name, template).is_some() {
            out.push(format!("templates.{name}: defined twice"));
        }
    }
    for field in ["entrypoint", "onExit"] {
        if let Some(name) = spec[field].as_str() {
            if !by_name.contains_key(name) {
                out.push(format!("spec.{field}: no template `{name}`"));
            }
        }
    }
    let params = names(&spec["arguments"]["parameters"]);
    // Argo registers a global output while validating the entrypoint, before `onExit`.
    let globals: BTreeSet<&str> = templates
        .iter()
        .flat_map(|template| outputs(template))
        .filter_map(|output| output["globalName"].as_str())
        .collect();
    let cx = Cx { by_name: &by_name, params: &params, globals: &globals };
    for template in &templates {
        let name = template["name"].as_str().unwrap_or_default();
        let leaf = template.get("container").is_some() || template.get("suspend").is_some();
        if !leaf && template.get("activeDeadlineSeconds").is_some() {
            out.push(format!("templates.{name}.activeDeadlineSeconds is only valid for leaf templates"));
        }
        if let Some(tasks) = template["dag"]["tasks"].as_array() {
            cx.dag(name, template, tasks, &mut out);
        } else if let Some(groups) = template["steps"].as_array() {
            cx.steps(name, template, groups, &mut out);
        } else if template.get("container").is_some() {
            // A container reads its inputs, the workflow's parameters and its own outputs.
            let inputs = declared_inputs(template);
            for tag in tags(template) {
                if let Some(input) = tag.strip_prefix("inputs.parameters.") {
                    if !inputs.contains(input) {
                        out.push(format!("templates.{name}: failed to resolve {{{{{tag}}}}}"));
                    }
                } else if !cx.global(&tag) && !tag.starts_with("outputs.") {
                    out.push(format!("templates.{name}: failed to resolve {{{{{tag}}}}}"));
                }
            }
        }
    }
    out
}

struct Cx<'a> {
    by_name: &'a BTreeMap<&'a str, &'a Value>,
    params: &'a BTreeSet<&'a str>,
    globals: &'a BTreeSet<&'a str>,
}

impl Cx<'_> {
    /// A tag every template may read: the workflow's parameters, global outputs and fields.
    fn global(&self, tag: &str) -> bool {
        if let Some(name) = tag.strip_prefix("workflow.parameters.") {
            return self.params.contains(name);
        }
        if let Some(name) = tag.strip_prefix("workflow.outputs.parameters.") {
            return self.globals.contains(name);
        }
        matches!(tag, "workflow.name" | "workflow.namespace" | "workflow.uid" | "workflow.status" | "workflow.failures")
    }

    fn dag(&self, name: &str, template: &Value, tasks: &[Value], out: &mut Vec<String>) {
        let mut deps: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut by_task: BTreeMap<&str, &Value> = BTreeMap::new();
        for task in tasks {
            let task_name = task["name"].as_str().unwrap_or_default();
            if task_name.starts_with(|c: char| c.is_ascii_digit()) {
                out.push(format!("templates.{name}.tasks.{task_name} name cannot begin with a digit"));
            }
            if task.get("depends").is_some() && task.get("dependencies").is_some() {
                out.push(format!("templates.{name} cannot use both 'depends' and 'dependencies'"));
            }
            let list: Vec<&str> =
                task["dependencies"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            deps.insert(task_name, list);
            if by_task.insert(task_name, task).is_some() {
                out.push(format!("templates.{name}.tasks.{task_name}: defined twice"));
            }
        }
        for (task_name, list) in &deps {
            for dep in list {
                if !by_task.contains_key(dep) {
                    out.push(format!("templates.{name}.tasks.{task_name} dependency '{dep}' not defined"));
                }
            }
        }
        let ancestry = |start: &str| -> BTreeSet<String> {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<&str> = deps.get(start).cloned().unwrap_or_default();
            while let Some(next) = stack.pop() {
                if seen.insert(next.to_owned()) {
                    stack.extend(deps.get(next).cloned().unwrap_or_default());
                }
            }
            seen
        };
        let inputs = declared_inputs(template);
        for (task_name, task) in &by_task {
            let ancestors = ancestry(task_name);
            if ancestors.contains(*task_name) {
                out.push(format!("templates.{name}.tasks dependency cycle through {task_name}"));
            }
            if !self.call(name, task_name, task, out) {
                continue;
            }
            // validateDAGTaskArgumentDependency: a task's output is an argument only of a
            // task that waits for it, directly or not.
            for param in task["arguments"]["parameters"].as_array().into_iter().flatten() {
                let value = param["value"].as_str().unwrap_or_default();
                if let Some(rest) = value.strip_prefix("{{tasks.") {
                    let referenced = rest.split('.').next().unwrap_or_default();
                    if !ancestors.contains(referenced) {
                        out.push(format!(
                            "templates.{name}.tasks.{task_name} missing dependency '{referenced}' for parameter '{}'",
                            param["name"].as_str().unwrap_or_default()
                        ));
                    }
                }
            }
            // resolveAllVariables over the task: every tag names something in scope.
            for tag in tags(task) {
                let resolved = if let Some(rest) = tag.strip_prefix("tasks.") {
                    let mut parts = rest.splitn(4, '.');
                    let (other, kind, what, output) = (parts.next(), parts.next(), parts.next(), parts.next());
                    match (other.and_then(|other| by_task.get(other)), kind, what, output) {
                        (Some(other), Some("outputs"), Some("parameters"), Some(output)) => self
                            .by_name
                            .get(other["template"].as_str().unwrap_or_default())
                            .is_some_and(|template| outputs(template).any(|declared| declared["name"] == output)),
                        (Some(_), Some("status"), None, None) => true,
                        _ => false,
                    }
                } else if let Some(input) = tag.strip_prefix("inputs.parameters.") {
                    inputs.contains(input)
                } else {
                    self.global(&tag)
                };
                if !resolved {
                    out.push(format!("templates.{name}.tasks.{task_name} failed to resolve {{{{{tag}}}}}"));
                }
            }
        }
    }

    fn steps(&self, name: &str, template: &Value, groups: &[Value], out: &mut Vec<String>) {
        let inputs = declared_inputs(template);
        let mut earlier: BTreeMap<&str, &Value> = BTreeMap::new();
        for group in groups {
            for step in group.as_array().into_iter().flatten() {
                let step_name = step["name"].as_str().unwrap_or_default();
                self.call(name, step_name, step, out);
                for tag in tags(step) {
                    let resolved = match tag.strip_prefix("inputs.parameters.") {
                        Some(input) => inputs.contains(input),
                        None => self.global(&tag),
                    };
                    if !resolved {
                        out.push(format!("templates.{name}.steps.{step_name} failed to resolve {{{{{tag}}}}}"));
                    }
                }
                earlier.insert(step_name, step);
            }
        }
        // A steps template's outputs read its steps' outputs (a fan-out's aggregated).
        for output in outputs(template) {
            for tag in tags(output) {
                let ok = tag.strip_prefix("steps.").is_some_and(|rest| {
                    let mut parts = rest.splitn(4, '.');
                    match (parts.next().and_then(|step| earlier.get(step)), parts.next(), parts.next(), parts.next()) {
                        (Some(step), Some("outputs"), Some("parameters"), Some(param)) => self
                            .by_name
                            .get(step["template"].as_str().unwrap_or_default())
                            .is_some_and(|called| outputs(called).any(|declared| declared["name"] == param)),
                        _ => false,
                    }
                });
                if !ok {
                    out.push(format!("templates.{name}.outputs failed to resolve {{{{{tag}}}}}"));
                }
            }
        }
    }

    /// A task or step's template exists, and its arguments give every input the template
    /// declares without a value or default.
    fn call(&self, name: &str, node: &str, call: &Value, out: &mut Vec<String>) -> bool {
        let called_name = call["template"].as_str().unwrap_or_default();
        let Some(called) = self.by_name.get(called_name) else {
            out.push(format!("templates.{name}.{node}: template `{called_name}` not found"));
            return false;
        };
        let given = names(&call["arguments"]["parameters"]);
        for input in called["inputs"]["parameters"].as_array().into_iter().flatten() {
            let input_name = input["name"].as_str().unwrap_or_default();
            if input.get("value").is_none() && input.get("default").is_none() && !given.contains(input_name) {
                out.push(format!("templates.{name}.{node}: inputs.parameters.{input_name} was not supplied"));
            }
        }
        true
    }
}

fn outputs(template: &Value) -> impl Iterator<Item = &Value> {
    template["outputs"]["parameters"].as_array().into_iter().flatten()
}

fn declared_inputs(template: &Value) -> BTreeSet<&str> {
    names(&template["inputs"]["parameters"])
}

/// The `name`s of a list of parameters.
fn names(parameters: &Value) -> BTreeSet<&str> {
    parameters.as_array().into_iter().flatten().filter_map(|param| param["name"].as_str()).collect()
}

/// Every `{{tag}}` in the strings under `value` that Argo resolves (its prefixes: `item.`,
/// `steps.`, `inputs.`, `outputs.`, `pod.`, `workflow.`, `tasks.`); `{{item}}` and
/// expressions (`{{=…}}`) are not checked, as Argo does not check them either.
pub fn tags(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(value, &mut out);
    out
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let mut rest = text.as_str();
            while let Some(start) = rest.find("{{") {
                let after = &rest[start + 2..];
                let Some(end) = after.find("}}") else { break };
                let tag = after[..end].trim();
                let prefixes = ["item.", "steps.", "inputs.", "outputs.", "pod.", "workflow.", "tasks."];
                if !tag.starts_with('=') && prefixes.iter().any(|prefix| tag.starts_with(prefix)) {
                    out.push(tag.to_owned());
                }
                rest = &after[end + 2..];
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
        Value::Object(map) => map.values().for_each(|item| collect(item, out)),
        _ => {}
    }
}
