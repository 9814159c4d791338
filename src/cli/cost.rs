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

/// The most recent step instances read from the journal for an estimate: enough for stable
/// medians, few enough to stay quick on a journal of years.
const HISTORY_SAMPLES: u32 = 10_000;

/// `history` is the state folder whose journal's past runs estimate the steps that state no
/// `expect`; `None` estimates from the workflow alone.
pub fn run(file: &Path, given: &[String], name: Option<&str>, format: CostFormat, history: Option<&Path>) -> Exit {
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
    let past = match history.map(|state_dir| past_runs(state_dir, &workflow.name)).transpose() {
        Ok(past) => past.unwrap_or_else(cost::History::none),
        Err(error) => {
            eprintln!("error: {error}");
            return Exit::Failure;
        }
    };
    let estimate = cost::estimate_with(chosen.program(), workflow, &args, &past);
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

/// The past runs of `workflow` in the journal under `state_dir`; none when there is no
/// journal (an estimate never creates one).
pub fn past_runs(state_dir: &Path, workflow: &str) -> Result<cost::History, wf::journal::JournalError> {
    if !state_dir.join("state.db").exists() {
        return Ok(cost::History::none());
    }
    let journal = wf::journal::Journal::open(state_dir)?;
    let sample = |sample: wf::journal::StepSample| {
        cost::Sample::per_attempt(
            &sample.key,
            sample.hash,
            sample.model,
            sample.attempts,
            (sample.micros, sample.tokens, sample.duration_ms),
        )
    };
    let own = journal.step_samples(Some(workflow), HISTORY_SAMPLES)?;
    let agents = journal.step_samples(None, HISTORY_SAMPLES)?;
    Ok(cost::History::from_samples(own.into_iter().map(sample), agents.into_iter().map(sample)))
}
