//! `wf list FILE`: the workflows a file declares, with their parameters and descriptions (as
//! `just --list` lists recipes), for people or as JSON.

use std::path::Path;

use serde::Serialize;
use wf::ir::{Program, Workflow};

use super::history::ReportFormat;
use super::workflow::checked;
use super::Exit;

#[derive(Serialize)]
struct Listing<'a> {
    version: u32,
    file: String,
    workflows: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    name: &'a str,
    description: Option<&'a str>,
    params: Vec<Param<'a>>,
}

#[derive(Serialize)]
struct Param<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    ty: String,
    /// The default as it would be written in a `.wf` file; `None` when the argument is required.
    default: Option<String>,
}

pub fn run(file: &Path, format: ReportFormat) -> Exit {
    let outcome = match checked(file) {
        Ok(outcome) => outcome,
        Err(exit) => return exit,
    };
    let program = &outcome.checked.program;
    let listing =
        Listing { version: wf::schema::VERSION, file: file.display().to_string(), workflows: entries(program) };
    match format {
        ReportFormat::Json => match serde_json::to_string_pretty(&listing) {
            Ok(json) => println!("{json}"),
            Err(error) => {
                eprintln!("error: cannot write the list as JSON: {error}");
                return Exit::Failure;
            }
        },
        ReportFormat::Human if listing.workflows.is_empty() => println!("{} declares no workflow", listing.file),
        ReportFormat::Human => print!("{}", human(&listing)),
    }
    Exit::Success
}

fn entries(program: &Program) -> Vec<Entry<'_>> {
    program.entry.iter().map(|id| entry(&program.workflows[id.0])).collect()
}

fn entry(workflow: &Workflow) -> Entry<'_> {
    Entry {
        name: &workflow.name,
        description: workflow.description.as_deref(),
        params: workflow
            .params
            .iter()
            .map(|param| Param {
                name: &param.name,
                ty: param.ty.to_string(),
                default: param.default.as_ref().map(ToString::to_string),
            })
            .collect(),
    }
}

/// One line per workflow, its name and description, then one line per parameter saying how to
/// pass it and what it defaults to:
///
/// ```text
/// bug_fix  Automated bug fix: from ticket to pull request
///   --arg ticket=<string>         required
///   --arg max_iterations=<int>    default 3
/// ```
fn human(listing: &Listing) -> String {
    let name_width = listing.workflows.iter().map(|workflow| workflow.name.len()).max().unwrap_or(0);
    let flags: Vec<Vec<String>> = listing
        .workflows
        .iter()
        .map(|workflow| workflow.params.iter().map(|param| format!("--arg {}=<{}>", param.name, param.ty)).collect())
        .collect();
    let flag_width = flags.iter().flatten().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (workflow, flags) in listing.workflows.iter().zip(&flags) {
        match workflow.description {
            Some(description) => out.push_str(&format!("{:<name_width$}  {description}\n", workflow.name)),
            None => out.push_str(&format!("{}\n", workflow.name)),
        }
        for (param, flag) in workflow.params.iter().zip(flags) {
            let default = match &param.default {
                Some(default) => format!("default {default}"),
                None => "required".to_string(),
            };
            out.push_str(&format!("  {flag:<flag_width$}  {default}\n"));
        }
    }
    out
}
