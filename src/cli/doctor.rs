//! `wf doctor [FILE]`: before a run, whether each provider the workflow's agent steps use can
//! answer — its key is set, its server answers and serves the model, or its CLI starts — one
//! line each.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use wf::agent::{self, Resolved};
use wf::ir::{Program, StepKind, WorkflowId};

use super::Exit;

/// How long one provider may take to answer.
const PATIENCE: Duration = Duration::from_secs(15);

pub fn run(file: &Path, workflow: Option<&str>, swaps: &[(String, String)]) -> Exit {
    let (program, target) = match super::workflow::choose(file, workflow) {
        Ok(chosen) => chosen.into_program(),
        Err(exit) => return exit,
    };
    let env: HashMap<String, String> = std::env::vars().collect();
    let swaps: BTreeMap<String, String> = swaps.iter().cloned().collect();
    let table = match agent::resolve(&program, target, &swaps, &env, None) {
        Ok(table) => table,
        Err(problem) => {
            for (provider, variable) in &problem.missing {
                println!("✗ {provider}: its API key is not set: export `{variable}`");
            }
            let rest = agent::KeyProblem { missing: Vec::new(), ..problem };
            if rest != agent::KeyProblem::default() {
                println!("✗ {rest}");
            }
            return Exit::Failure;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return Exit::Failure;
        }
    };
    let mut failed = false;
    let mut any = false;
    for resolved in table.iter() {
        any = true;
        let models = models_of(&program, target, resolved, &table);
        let label = if resolved.name == resolved.answers {
            resolved.name.clone()
        } else {
            format!("{} (as {})", resolved.name, resolved.answers)
        };
        // A CLI is asked its version once; a server is asked for each model.
        let checks: Vec<String> = if resolved.kind == wf::ir::ProviderKind::Command || models.is_empty() {
            vec![models.first().cloned().unwrap_or_default()]
        } else {
            models
        };
        for model in checks {
            let answer = runtime.block_on(resolved.provider.doctor(&model, PATIENCE));
            let key = resolved.key_variable.as_ref().map(|key| format!(", key from `{key}`")).unwrap_or_default();
            match answer {
                Ok(found) => println!("✓ {label}: {found}{key}"),
                Err(problem) => {
                    failed = true;
                    println!("✗ {label}: {problem}");
                }
            }
        }
    }
    if !any {
        println!("no agent steps: nothing to check");
    }
    if failed {
        Exit::Failure
    } else {
        Exit::Success
    }
}

/// The model ids the agent steps on this provider will ask for.
fn models_of(program: &Program, root: WorkflowId, resolved: &Resolved, table: &agent::Table) -> Vec<String> {
    let mut models = Vec::new();
    for id in program.reachable(root) {
        for step in &program.workflows[id.0].steps {
            let StepKind::Agent(agent) = &step.kind else {
                continue;
            };
            let Some(this) = table.get(agent.provider) else {
                continue;
            };
            if !std::ptr::eq(this, resolved) {
                continue;
            }
            let (id, _) = resolved.model_for(program, agent.model);
            if !models.contains(&id) {
                models.push(id);
            }
        }
    }
    models
}
