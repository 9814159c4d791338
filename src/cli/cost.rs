//! `wf cost FILE`: what a workflow may cost in money, tokens and time, before it runs.

use std::path::Path;

use wf::cost;

use super::workflow::choose;
use super::Exit;

/// How `wf cost` prints the estimate: `human|json`, the words every command uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CostFormat {
    /// A table: phases with their steps, min / expected / worst, the total and the budget.
    // `table`, its name before the formats were made one vocabulary, still works.
    #[value(alias = "table")]
    Human,
    /// The estimate as JSON: money in micro-dollars, durations in milliseconds.
    Json,
}

pub fn run(file: &Path, given: &[String], name: Option<&str>, format: CostFormat) -> Exit {
    let chosen = match choose(file, name) {
        Ok(chosen) => chosen,
        Err(exit) => return exit,
    };
    let workflow = chosen.workflow();
    let args = match wf::args::parse_args(workflow, given) {
        Ok(args) => args,
        Err(reason) => {
            eprintln!("error: --arg: {reason}");
            return Exit::Usage;
        }
    };
    let estimate = cost::estimate(chosen.program(), workflow, &args);
    if !estimate.missing_args.is_empty() {
        for name in &estimate.missing_args {
            let ty = workflow.params.iter().find(|param| &param.name == name).map(|param| param.ty.to_string());
            eprintln!(
                "error: the estimate needs `{name}` ({}), which has no default: pass --arg {name}=VALUE",
                ty.unwrap_or_default()
            );
        }
        return Exit::Usage;
    }
    match format {
        CostFormat::Human => print!("{}", cost::table(&estimate)),
        CostFormat::Json => match serde_json::to_value(&estimate)
            .and_then(|value| serde_json::to_string_pretty(&wf::schema::versioned(value, "estimate")))
        {
            Ok(json) => println!("{json}"),
            Err(error) => {
                eprintln!("error: cannot write the estimate as JSON: {error}");
                return Exit::Failure;
            }
        },
    }
    Exit::Success
}
