//! Asking the person at the terminal: an approval (approve, reject, comment first) or an
//! escalation (retry, skip, abort, comment first). Questions go to stderr; answers are lines
//! read from stdin by a thread of their own, so the run's other steps go on while a question
//! waits. Questions from steps running side by side wait their turn.

use std::io::{BufRead, Write};

use tokio::sync::{mpsc, Mutex};

use crate::journal::{Answer, AskKind};

/// The terminal, when wf was started at one.
pub struct Terminal {
    lines: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
}

/// What the person answered.
pub struct Reply {
    pub answer: Answer,
    pub comment: Option<String>,
}

impl Terminal {
    pub fn new() -> Terminal {
        Terminal { lines: Mutex::new(None) }
    }

    /// Asks until the person gives one of the answers `kind` allows; `None` when stdin
    /// closes first (the run then pauses as it would without a terminal).
    pub async fn ask(&self, kind: AskKind, key: &str, question: &str, note: Option<&str>) -> Option<Reply> {
        let mut lines = self.lines.lock().await;
        let receiver = lines.get_or_insert_with(read_stdin);
        let choices = match kind {
            AskKind::Escalation => "[r]etry, [s]kip, [a]bort, [c]omment first",
            AskKind::Approval | AskKind::Budget => "[y]es (approve), [n]o (reject), [c]omment first",
        };
        let mut comment: Option<String> = None;
        let mut stderr = std::io::stderr();
        let _ = writeln!(stderr, "\n? {key}: {question}");
        if let Some(note) = note {
            let _ = writeln!(stderr, "  {note}");
        }
        loop {
            let _ = write!(stderr, "  {choices}: ");
            let _ = stderr.flush();
            let line = receiver.recv().await?;
            let answer = match (kind, line.trim().to_lowercase().chars().next()) {
                (AskKind::Escalation, Some('r')) => Answer::Retry,
                (AskKind::Escalation, Some('s')) => Answer::Skip,
                (AskKind::Escalation, Some('a')) => Answer::Abort,
                (AskKind::Approval | AskKind::Budget, Some('y')) => Answer::Approve,
                (AskKind::Approval | AskKind::Budget, Some('n')) => Answer::Reject,
                (_, Some('c')) => {
                    let _ = write!(stderr, "  comment: ");
                    let _ = stderr.flush();
                    let text = receiver.recv().await?;
                    comment = Some(text.trim().to_owned()).filter(|text| !text.is_empty());
                    continue;
                }
                _ => continue,
            };
            return Some(Reply { answer, comment });
        }
    }
}

/// Starts the thread that reads stdin line by line. It ends with stdin, or with the process.
fn read_stdin() -> mpsc::UnboundedReceiver<String> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new().name("wf-stdin".into()).spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { return };
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    // Without the thread no line ever comes: the question then pauses the run.
    drop(spawned);
    receiver
}
