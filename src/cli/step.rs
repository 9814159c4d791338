//! `wf step FILE --workflow W --node PATH`: what a compiled workflow's task runs on the
//! engine (docs/compile.md). The node runs with the real runner, in a run of its own in the
//! journal; the arguments come from `WF_ARG_<name>`, earlier tasks' values from
//! `WF_VALUES_<task>` (JSON), a `for` iteration from `WF_INDEX`. The values of the node's
//! steps and the run's usage go to `$GITHUB_OUTPUT` (`values=`, `usage=`) when it is set,
//! and to `DIR/values.json` and `DIR/usage.json` with `--out DIR`.

use std::collections::HashMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use wf::ir::{StepIdx, Type, WorkflowId};
use wf::journal::Journal;
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
    /// The node: `body.2.0` is the first child of the body's third statement.
    #[arg(long, value_name = "PATH")]
    pub node: String,
    /// The engine approved this task before it started (its approval step or environment).
    #[arg(long)]
    pub approved: bool,
    /// Where to write `values.json` and `usage.json`.
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
    let node = wf::compile::find(workflow, &request.node);
    let inside: Vec<StepIdx> = node.map(|node| steps_of(node, index.is_some())).unwrap_or_default();
    let approve: Vec<String> = if request.approved {
        inside.iter().map(|step| workflow.steps[step.0].id.clone()).collect()
    } else {
        Vec::new()
    };
    let id = WorkflowId(chosen.program().workflows.iter().position(|w| std::ptr::eq(w, workflow)).unwrap_or_default());
    let derived = match wf::compile::single::derive(chosen.program(), id, &request.node, index, &args, &values) {
        Ok(derived) => derived,
        Err(reason) => {
            eprintln!("error: {reason}");
            return Exit::Usage;
        }
    };
    let journal = match Journal::open(&request.state_dir) {
        Ok(journal) => journal,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Usage;
        }
    };
    let text = std::fs::read(&request.file).unwrap_or_default();
    let target = Target {
        program: &derived,
        workflow: id,
        file: std::path::absolute(&request.file).unwrap_or_else(|_| request.file.clone()),
        file_hash: format!("{:x}", Sha256::digest(&text)),
    };
    let options = Options {
        state_dir: request.state_dir.clone(),
        mode: None,
        strict: false,
        lenient: false,
        approve,
        sim: None,
        providers: std::collections::BTreeMap::new(),
        kill_grace: std::time::Duration::from_secs(5),
        output_limit: 64 << 20,
        user: env.get("GITHUB_ACTOR").or_else(|| env.get("USER")).cloned().unwrap_or_else(|| "engine".to_owned()),
        env: env.clone(),
        verbose: true,
        prompt: false,
        raise: Vec::new(),
    };
    let observers: Vec<Box<dyn run::Observer>> =
        vec![Box::new(wf::run::view::Plain::new(std::io::stderr(), wf::report::Palette::new(false)))];
    let ended = match run::execute(&target, Begin::New { args }, &journal, &options, observers) {
        Ok(ended) => ended,
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Usage;
        }
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
    let (micros, tokens) = journal.spent(&ended.run_id).unwrap_or_default();
    let usage =
        serde_json::json!({ "run": ended.run_id, "status": ended.status.as_str(), "micros": micros, "tokens": tokens });
    let values = serde_json::Value::Object(out).to_string();
    if let Err(error) = publish(&values, &usage.to_string(), request.out.as_deref(), env.get("GITHUB_OUTPUT")) {
        eprintln!("error: cannot write the step's outputs: {error}");
        return Exit::Failure;
    }
    Exit::Code(ended.exit_code())
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
