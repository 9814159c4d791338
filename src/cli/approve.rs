//! `wf approve RUN NAME`: answers a question a paused run left open — approve or reject an
//! approval, or decide an escalation (retry, skip, abort). The answer is journaled; `wf
//! resume RUN` acts on it.

use std::path::Path;

use clap::ValueEnum;

use wf::journal::{Answer, AskKind, DecisionRow, Given, How, Journal};

use super::Exit;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Decide {
    Retry,
    Skip,
    Abort,
}

pub struct ApproveArgs<'a> {
    pub run: &'a str,
    pub name: &'a str,
    pub reject: bool,
    pub comment: Option<String>,
    pub by: Option<String>,
    pub decide: Option<Decide>,
    pub state_dir: &'a Path,
}

pub fn run(request: &ApproveArgs<'_>) -> Exit {
    match answer(request) {
        Ok(message) => {
            println!("{message}");
            Exit::Success
        }
        Err(message) => {
            eprintln!("error: {message}");
            Exit::Usage
        }
    }
}

fn answer(request: &ApproveArgs<'_>) -> Result<String, String> {
    let wf = |words: &[&str]| wf::hint::wf(words, request.state_dir);
    let journal = Journal::open(request.state_dir).map_err(|error| error.to_string())?;
    let run = journal.run(request.run).map_err(|error| error.to_string())?;
    let decisions = journal.decisions(&run.id).map_err(|error| error.to_string())?;
    let open: Vec<&DecisionRow> = decisions.iter().filter(|row| row.given.is_none() && !row.consumed).collect();
    let matching: Vec<&DecisionRow> = open.iter().copied().filter(|row| names(&row.key, request.name)).collect();
    let row = match matching.as_slice() {
        [row] => *row,
        [] if open.is_empty() => return Err(format!("run {} is not waiting for anyone", run.id)),
        [] => {
            let waiting: Vec<String> = open.iter().map(|row| format!("`{}`", row.key)).collect();
            return Err(format!(
                "run {} has no open question about `{}`; it waits on {}",
                run.id,
                request.name,
                waiting.join(", ")
            ));
        }
        several => {
            let keys: Vec<String> = several.iter().map(|row| format!("`{}`", row.key)).collect();
            return Err(format!("`{}` names {}; give the one you mean", request.name, keys.join(", ")));
        }
    };
    let answer = match (row.kind, request.decide, request.reject) {
        (AskKind::Approval, None, false) => Answer::Approve,
        (AskKind::Approval, None, true) => Answer::Reject,
        (AskKind::Approval, Some(_), _) => {
            return Err(format!("`{}` waits for an approval: approve it, or `--reject` it", row.key))
        }
        (AskKind::Escalation, Some(decide), false) => match decide {
            Decide::Retry => Answer::Retry,
            Decide::Skip => Answer::Skip,
            Decide::Abort => Answer::Abort,
        },
        (AskKind::Escalation, _, _) => {
            return Err(format!("`{}` escalated a failure: decide with `--decide retry|skip|abort`", row.key))
        }
        (AskKind::Budget, _, _) => {
            // The run said how when it paused: its `budget_exhausted` event holds the command.
            let events = journal.events_of(&run.id, "budget_exhausted").map_err(|error| error.to_string())?;
            let said = events.last().and_then(|event| {
                let data: serde_json::Value = serde_json::from_str(&event.data).ok()?;
                data.get("hint").and_then(serde_json::Value::as_str).map(str::to_owned)
            });
            let how = said.unwrap_or_else(|| format!("`{}` with `--budget`", wf(&["resume", &run.id])));
            return Err(format!("run {} spent its budget: a person raises it with {how}", run.id));
        }
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let now = i64::try_from(now.as_millis()).unwrap_or(i64::MAX);
    if let (Some(deadline), Some(on_timeout)) = (row.deadline, row.on_timeout) {
        if deadline <= now {
            return Err(format!(
                "the approval of `{}` timed out at {}; `{}` takes its timeout answer ({})",
                row.key,
                humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + millis(deadline)),
                wf(&["resume", &run.id]),
                on_timeout.as_str()
            ));
        }
    }
    let by = request.by.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "someone".to_owned());
    let given = Given { answer, by: by.clone(), comment: request.comment.clone(), how: How::Command, at: now };
    if !journal.answer(&run.id, row.seq, &given).map_err(|error| error.to_string())? {
        return Err(format!("`{}` was answered meanwhile; see `{}`", row.key, wf(&["show", &run.id])));
    }
    let verb = match answer {
        Answer::Approve => "approved",
        Answer::Reject => "rejected",
        Answer::Retry => "will retry",
        Answer::Skip => "will skip",
        Answer::Abort => "will abort at",
        Answer::Raise => "raised the budget at",
    };
    Ok(format!("{by} {verb} `{}` of run {}; continue with `{}`", row.key, run.id, wf(&["resume", &run.id])))
}

/// Whether `name` names the step instance `key`: the key itself, or the step's id or name
/// (the key without loop indexes, or its last part).
fn names(key: &str, name: &str) -> bool {
    if key == name {
        return true;
    }
    let bare = wf::report::step_of(key);
    bare == name || bare.rsplit('/').next() == Some(name)
}

fn millis(ms: i64) -> std::time::Duration {
    std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn a_question_is_named_by_key_id_or_name() {
        assert!(names("release/ship", "release/ship"));
        assert!(names("release/ship", "ship"));
        assert!(names("fix[2]/review", "review"));
        assert!(names("deploy[3]", "deploy"));
        assert!(!names("release/ship", "release"));
        assert!(!names("shipit", "ship"));
    }
}
