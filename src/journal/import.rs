//! `wf import`: a compiled workflow's run, as the engine's report node wrote it
//! (docs/compile.md, docs/schemas/import.json), recorded as a finished run: a run row with its
//! workflow, file and arguments, a step row per step of every task, and the ledger's amounts,
//! so that `wf show`, `wf runs` and `wf stats` see it like a local run. The run's options say
//! it was imported (`imported.from`, `imported.digest`); a report already imported is refused.

use std::collections::HashMap;

use rusqlite::OptionalExtension;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::{Journal, LedgerEntry, NewRun, Owner, RunStatus, StepWrite, Transition};

/// Why a report was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("this report is already in the journal, as run {0}")]
    Already(String),
    #[error("the report is not a wf run report: {0}")]
    Shape(String),
    #[error(transparent)]
    Journal(#[from] super::JournalError),
}

/// Records `report` (read from `source`) as a finished run; returns its id.
pub fn import(journal: &Journal, report: &Json, source: &str) -> Result<String, ImportError> {
    if report["version"] != crate::schema::VERSION || report["kind"] != "engine-run" {
        return Err(ImportError::Shape(format!(
            "it needs `\"version\": {}` and `\"kind\": \"engine-run\"`",
            crate::schema::VERSION
        )));
    }
    let text = |field: &str| {
        report[field].as_str().map(str::to_owned).ok_or_else(|| ImportError::Shape(format!("`{field}` is missing")))
    };
    let workflow = text("workflow")?;
    let file = text("file")?;
    let status = match text("status")?.as_str() {
        "succeeded" => RunStatus::Succeeded,
        "failed" => RunStatus::Failed,
        other => return Err(ImportError::Shape(format!("status `{other}` is not a finished run's"))),
    };
    let digest = format!("{:x}", Sha256::digest(report.to_string()));
    let known: Option<String> = journal
        .conn()
        .query_row("SELECT id FROM runs WHERE options LIKE '%' || ?1 || '%'", [&digest], |row| row.get(0))
        .optional()
        .map_err(super::JournalError::from)?;
    if let Some(id) = known {
        return Err(ImportError::Already(id));
    }
    let tasks = report["tasks"].as_array().ok_or_else(|| ImportError::Shape("`tasks` is not a list".into()))?;
    let started_at = report["started_at"].as_i64().unwrap_or_default();
    let options = serde_json::json!({ "imported": {
        "from": source, "digest": digest, "engine": report["engine"], "run": report["engine_run"],
    } });
    let args = report["args"].to_string();
    let plan: HashMap<String, String> = HashMap::new();
    let id = journal.create_run(&NewRun {
        workflow: &workflow,
        file: &file,
        file_hash: "",
        args: &args,
        plan: &plan,
        options: &options.to_string(),
        owner: Owner { pid: std::process::id(), started: None },
        at: started_at,
        program: None,
    })?;
    for task in tasks {
        let mut ledger: HashMap<String, Vec<LedgerEntry>> = HashMap::new();
        for amount in task["ledger"].as_array().into_iter().flatten() {
            let entry = LedgerEntry {
                key: amount["key"].as_str().unwrap_or_default().to_owned(),
                attempt: u32::try_from(amount["attempt"].as_u64().unwrap_or(1)).unwrap_or(1),
                model: amount["model"].as_str().map(str::to_owned),
                input: amount["input"].as_u64().unwrap_or(0),
                output: amount["output"].as_u64().unwrap_or(0),
                cached: amount["cached"].as_u64().unwrap_or(0),
                micros: amount["micros"].as_i64().unwrap_or(0),
                reported_micros: amount["reported_micros"].as_i64(),
                unpriced: amount["unpriced"].as_bool().unwrap_or(false),
                exchange: None,
            };
            ledger.entry(entry.key.clone()).or_default().push(entry);
        }
        for step in task["steps"].as_array().into_iter().flatten() {
            let key = step["key"].as_str().ok_or_else(|| ImportError::Shape("a step has no `key`".into()))?;
            let at = step["ended_at"].as_i64().or_else(|| step["started_at"].as_i64()).unwrap_or(started_at);
            let write = StepWrite {
                key,
                step_id: step["step"].as_str().unwrap_or(key),
                kind: step["kind"].as_str().unwrap_or("run"),
                hash: step["hash"].as_str().unwrap_or_default(),
                status: step["status"].as_str().unwrap_or("failed"),
                accepted: step["accepted"].as_bool().unwrap_or(false),
                attempts: u32::try_from(step["attempts"].as_u64().unwrap_or(0)).unwrap_or(0),
                started_at: step["started_at"].as_i64().unwrap_or(at),
                ended_at: step["ended_at"].as_i64(),
                value: None,
                error: step["error"].as_str(),
            };
            let amounts = ledger.remove(key).unwrap_or_default();
            let data = serde_json::json!({ "task": task["task"], "engine_run": task["run"] });
            journal.record(&Transition {
                run: &id,
                at,
                kind: "imported",
                key: Some(key),
                data: &data,
                step: Some(&write),
                ledger: &amounts,
                decision: None,
                poll: None,
            })?;
        }
        // Amounts of a key with no step row (none expected) still count in the totals.
        for (key, amounts) in ledger {
            let data = serde_json::json!({ "task": task["task"] });
            journal.record(&Transition {
                run: &id,
                at: started_at,
                kind: "imported",
                key: Some(&key),
                data: &data,
                step: None,
                ledger: &amounts,
                decision: None,
                poll: None,
            })?;
        }
    }
    let error = (status == RunStatus::Failed).then_some("failed on the engine");
    journal.set_status(&id, status, error, report["ended_at"].as_i64())?;
    Ok(id)
}
