//! Which provider answers each agent step, settled before a run starts: the file's
//! `provider` items and the built-in ones, `--provider NAME=OTHER` swaps, and the API keys
//! read from the environment (all missing ones reported together, before a run exists).

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::anthropic::Anthropic;
use super::builtin::builtin;
use super::command::Command;
use super::openai::OpenAi;
use super::sim::{Scenario, Sim};
use super::Provider;
use crate::ir::{
    Builtin, CliFormat, CommandPart, Model, ModelId, Program, ProviderKind, ProviderRef, StepKind, WorkflowId,
    SIM_MODEL,
};

/// One provider as a run uses it.
pub struct Resolved {
    /// The name the file uses (`sim`, `claude_code`, `local`).
    pub name: String,
    /// The provider that answers: the same name, or what `--provider` swapped in.
    pub answers: String,
    pub kind: ProviderKind,
    /// The model of steps whose model is their provider's default.
    pub default_model: Option<String>,
    /// The variable the API key came from.
    pub key_variable: Option<String>,
    /// Where it is: a URL or a command line, for `wf doctor`.
    pub address: String,
    pub provider: Rc<dyn Provider>,
}

impl Resolved {
    /// The model a step on `model` asks this provider for: its id, and its price table when
    /// it has one. A step on its provider's default model gets the default of the provider
    /// that answers, which `--provider` may have swapped; a declared model of that id prices it.
    pub fn model_for<'p>(&self, program: &'p Program, model: ModelId) -> (String, Option<&'p Model>) {
        let declared = &program.models[model.0];
        match &self.default_model {
            Some(id) if declared.provider_default && *id != declared.id => {
                let priced = program.models.iter().find(|model| model.id == *id && !model.provider_default);
                (id.clone(), priced)
            }
            _ => (declared.id.clone(), Some(declared)),
        }
    }
}

/// Every provider a workflow's agent steps use, resolved.
pub struct Table {
    entries: Vec<(ProviderRef, Resolved)>,
    /// The API keys' values, which are masked like secrets.
    pub keys: Vec<String>,
}

impl Table {
    pub fn get(&self, provider: ProviderRef) -> Option<&Resolved> {
        self.entries.iter().find(|(key, _)| *key == provider).map(|(_, resolved)| resolved)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Resolved> {
        self.entries.iter().map(|(_, resolved)| resolved)
    }
}

/// What stops providers from being used: reported together, before a run is created (exit 2).
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct KeyProblem {
    /// (provider, variable) whose key is unset or empty.
    pub missing: Vec<(String, String)>,
    /// `--provider` names that are neither declared nor built in.
    pub unknown: Vec<String>,
    /// `--provider NAME=…` where no agent step uses NAME: (name, the providers used).
    pub unused: Vec<(String, Vec<String>)>,
    /// Anything else that makes a provider unusable (`cannot set up HTTP`).
    pub other: Vec<String>,
}

impl KeyProblem {
    fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unknown.is_empty() && self.unused.is_empty() && self.other.is_empty()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (provider, variable) in &self.missing {
            parts.push(format!("the API key of provider `{provider}` is not set: export `{variable}`"));
        }
        for name in &self.unknown {
            let known = Builtin::ALL.map(Builtin::name).join("`, `");
            parts.push(format!(
                "`--provider …={name}`: no provider `{name}` is declared or built in (`sim`, `{known}`)"
            ));
        }
        for (name, used) in &self.unused {
            let used = if used.is_empty() { "none".to_owned() } else { format!("`{}`", used.join("`, `")) };
            parts.push(format!("`--provider {name}=…`: no agent step uses provider `{name}` (they use {used})"));
        }
        parts.extend(self.other.iter().cloned());
        parts.join("; ")
    }
}

/// The file's name of a provider reference.
pub fn name_of(program: &Program, provider: ProviderRef) -> String {
    match provider {
        ProviderRef::Sim => "sim".to_owned(),
        ProviderRef::Builtin(builtin) => builtin.name().to_owned(),
        ProviderRef::Declared(index) => program.providers[index].name.clone(),
    }
}

/// A provider's settings, wherever they came from.
struct Settings {
    kind: ProviderKind,
    url: Option<String>,
    command: Option<Vec<CommandPart>>,
    format: CliFormat,
    key: Option<String>,
    model: Option<String>,
}

/// The settings of the provider called `name`: declared in the file, else built in.
fn settings_named(program: &Program, name: &str, env: &HashMap<String, String>) -> Option<Settings> {
    if let Some(declared) = program.providers.iter().find(|provider| provider.name == name) {
        return Some(declared_settings(declared));
    }
    if name == "sim" {
        return Some(sim_settings());
    }
    Builtin::from_name(name).map(|which| builtin_settings(which, env))
}

fn declared_settings(declared: &crate::ir::Provider) -> Settings {
    Settings {
        kind: declared.kind,
        url: declared.url.clone(),
        command: declared.command.clone(),
        format: declared.format,
        key: declared.key.clone(),
        model: declared.model.clone().or_else(|| (declared.kind == ProviderKind::Sim).then(|| SIM_MODEL.to_owned())),
    }
}

fn sim_settings() -> Settings {
    Settings {
        kind: ProviderKind::Sim,
        url: None,
        command: None,
        format: CliFormat::Text,
        key: None,
        model: Some(SIM_MODEL.to_owned()),
    }
}

fn builtin_settings(which: Builtin, env: &HashMap<String, String>) -> Settings {
    let settings = builtin(which, env);
    Settings {
        kind: settings.kind,
        url: settings.url,
        command: settings.command,
        format: settings.format,
        key: settings.key.map(str::to_owned),
        model: which.default_model().map(str::to_owned),
    }
}

fn settings_of(program: &Program, provider: ProviderRef, env: &HashMap<String, String>) -> Settings {
    match provider {
        ProviderRef::Sim => sim_settings(),
        ProviderRef::Builtin(which) => builtin_settings(which, env),
        ProviderRef::Declared(index) => declared_settings(&program.providers[index]),
    }
}

/// Resolves every provider the agent steps of `root` (and the workflows it calls) use.
/// `swaps` maps a provider's name to the one that answers in its place.
pub fn resolve(
    program: &Program,
    root: WorkflowId,
    swaps: &BTreeMap<String, String>,
    env: &HashMap<String, String>,
    scenario: Option<Rc<Scenario>>,
) -> Result<Table, KeyProblem> {
    let mut used: Vec<ProviderRef> = Vec::new();
    for id in program.reachable(root) {
        for step in &program.workflows[id.0].steps {
            if let StepKind::Agent(agent) = &step.kind {
                if !used.contains(&agent.provider) {
                    used.push(agent.provider);
                }
            }
        }
    }
    let mut problem = KeyProblem::default();
    let used_names: Vec<String> = used.iter().map(|provider| name_of(program, *provider)).collect();
    for name in swaps.keys() {
        if !used_names.iter().any(|used| same_name(used, name)) {
            problem.unused.push((name.clone(), used_names.clone()));
        }
    }
    let mut table = Table { entries: Vec::new(), keys: Vec::new() };
    let mut client = None;
    for (provider, name) in used.into_iter().zip(used_names) {
        let swapped = swaps.iter().find(|(from, _)| same_name(&name, from)).map(|(_, to)| to.replace('-', "_"));
        let (answers, settings) = match swapped {
            Some(to) => match settings_named(program, &to, env) {
                Some(settings) => (to, settings),
                None => {
                    if !problem.unknown.contains(&to) {
                        problem.unknown.push(to);
                    }
                    continue;
                }
            },
            None => (name.clone(), settings_of(program, provider, env)),
        };
        let key = match &settings.key {
            Some(variable) => match env.get(variable).filter(|value| !value.trim().is_empty()) {
                Some(value) => Some(value.trim().to_owned()),
                None => {
                    let missing = (answers.clone(), variable.clone());
                    if !problem.missing.contains(&missing) {
                        problem.missing.push(missing);
                    }
                    continue;
                }
            },
            None => None,
        };
        if let Some(key) = &key {
            table.keys.push(key.clone());
        }
        let url = settings.url.as_deref().map(|url| url.trim_end_matches('/').to_owned());
        let address = match (&url, &settings.command) {
            (Some(url), _) => url.clone(),
            (None, Some(parts)) => {
                Command { name: answers.clone(), parts: parts.clone(), format: settings.format }.line("{{model}}")
            }
            (None, None) => "built in".to_owned(),
        };
        let built: Rc<dyn Provider> = match settings.kind {
            ProviderKind::Sim => Rc::new(Sim { scenario: scenario.clone() }),
            ProviderKind::Command => Rc::new(Command {
                name: answers.clone(),
                parts: settings.command.clone().unwrap_or_default(),
                format: settings.format,
            }),
            ProviderKind::OpenAi | ProviderKind::Anthropic => {
                let client = match &mut client {
                    Some(client) => Clone::clone(client),
                    None => match super::http::client() {
                        Ok(made) => client.insert(made).clone(),
                        Err(reason) => {
                            problem.other.push(reason);
                            continue;
                        }
                    },
                };
                let url = url.clone().unwrap_or_default();
                if settings.kind == ProviderKind::OpenAi {
                    Rc::new(OpenAi { name: answers.clone(), url, key_variable: settings.key.clone(), key, client })
                } else {
                    Rc::new(Anthropic { name: answers.clone(), url, key_variable: settings.key.clone(), key, client })
                }
            }
        };
        table.entries.push((
            provider,
            Resolved {
                name,
                answers,
                kind: settings.kind,
                default_model: settings.model,
                key_variable: settings.key,
                address,
                provider: built,
            },
        ));
    }
    if problem.is_empty() {
        Ok(table)
    } else {
        Err(problem)
    }
}

/// Provider names as a person may write them: `claude-code` is `claude_code`.
fn same_name(a: &str, b: &str) -> bool {
    a.replace('-', "_") == b.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(source: &str) -> Program {
        let outcome = crate::check_text("t.wf", source, &|_| Err(std::io::ErrorKind::NotFound.into()));
        assert!(outcome.checked.diagnostics.iter().all(|d| !d.is_error()), "{:?}", outcome.checked.diagnostics);
        outcome.checked.program
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    const TWO: &str = r#"
provider local { kind openai url "http://127.0.0.1:9/v1" key LOCAL_KEY model "qwen" }
workflow w() {
  agent a "analyst" { prompt "a" }
  agent b "reviewer" { provider local prompt "b" }
  agent c "writer" { provider anthropic prompt "c" }
}
"#;

    #[test]
    fn missing_keys_are_reported_together_and_name_their_variables() {
        let program = program(TWO);
        let Err(problem) = resolve(&program, program.entry[0], &BTreeMap::new(), &env(&[]), None) else {
            panic!("keys are missing");
        };
        assert_eq!(
            problem.missing,
            [("local".to_owned(), "LOCAL_KEY".to_owned()), ("anthropic".to_owned(), "ANTHROPIC_API_KEY".to_owned())]
        );
    }

    #[test]
    fn a_swap_replaces_the_provider_and_its_default_model() {
        let program = program(TWO);
        let swaps = BTreeMap::from([("sim".to_owned(), "claude-code".to_owned())]);
        let keys = env(&[("LOCAL_KEY", "k-local-1"), ("ANTHROPIC_API_KEY", "k-anthropic-1")]);
        let table = resolve(&program, program.entry[0], &swaps, &keys, None).expect("resolves");
        let sim = table.get(ProviderRef::Sim).expect("sim is used");
        assert_eq!((sim.name.as_str(), sim.answers.as_str(), sim.kind), ("sim", "claude_code", ProviderKind::Command));
        assert_eq!(sim.default_model.as_deref(), Some("sonnet"));
        assert_eq!(table.keys, ["k-local-1", "k-anthropic-1"]);
    }

    #[test]
    fn unknown_and_unused_swaps_are_refused() {
        let program = program(TWO);
        let keys = env(&[("LOCAL_KEY", "k-local-1"), ("ANTHROPIC_API_KEY", "k-anthropic-1")]);
        let swaps = BTreeMap::from([("sim".to_owned(), "nowhere".to_owned()), ("codex".to_owned(), "sim".to_owned())]);
        let Err(problem) = resolve(&program, program.entry[0], &swaps, &keys, None) else {
            panic!("refused");
        };
        assert_eq!(problem.unknown, ["nowhere"]);
        assert_eq!(problem.unused[0].0, "codex");
        assert!(problem.to_string().contains("no agent step uses provider `codex`"), "{problem}");
    }
}
