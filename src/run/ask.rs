//! Questions put to people (spec §10): approvals before gates and risky steps, escalated
//! failures (retry, skip or abort) and spent budgets. A question is answered by the mode or
//! `--approve` without asking, by an answer given earlier with `wf approve`, by its timeout,
//! or at the terminal; otherwise the run pauses with the question left open in the journal.
//! Every answer is a row of the `decisions` table, committed with the event that reports it.

use std::time::Duration;

use super::event::Event;
use super::exec::{Cx, Flow, Pause, Runner};
use super::record::{millis, now_ms};
use crate::hint;
use crate::journal::{Answer, AskKind, DecisionRow, DecisionWrite, Given, How, StepWrite};

/// A question about the step instance `key`.
pub struct Question<'a> {
    pub kind: AskKind,
    /// What `wf approve RUN KEY` names it by.
    pub key: &'a str,
    pub text: String,
    /// An approval's `timeout`: counted from when it was first asked, across restarts.
    pub timeout: Option<Duration>,
    pub on_timeout: Answer,
    /// Answered without asking: by the mode, or `--approve`.
    pub given: Option<(String, How)>,
    /// A spent budget's `--budget` argument that lets the run go on: `$5.00`, `work=$0.20`.
    pub raise: Option<String>,
}

impl<'p> Runner<'p> {
    /// Gets `question` answered, or stops: `Err(Flow::Paused)` with the question journaled
    /// as open (and `paused` written for the step, when given), or `Err(Flow::Cancelled)`.
    ///
    /// `skipped` is the step's record as it stands when an escalation is answered `skip`:
    /// the run goes on past it, so it is journaled as accepted with the answer.
    pub async fn put(
        &self,
        question: Question<'_>,
        paused: Option<&StepWrite<'_>>,
        skipped: Option<&StepWrite<'_>>,
        cx: &Cx<'p>,
    ) -> Result<Given, Flow> {
        let Question { kind, key, text, timeout, on_timeout, given, raise } = question;
        let open = self.open_question(key, kind);
        let now = now_ms();
        // An answer given while the run was paused (`wf approve`).
        let step_for = |given: &Given| skipped.filter(|_| given.answer == Answer::Skip);
        if let Some(DecisionRow { seq, given: Some(earlier), .. }) = &open {
            let decision = DecisionWrite::Consume { seq: *seq };
            self.decided(key, kind, earlier, step_for(earlier), &decision)?;
            return Ok(earlier.clone());
        }
        let asked_at = open.as_ref().map_or(now, |row| row.asked_at);
        let deadline = open.as_ref().and_then(|row| row.deadline).or_else(|| {
            timeout.map(|timeout| now.saturating_add(i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX)))
        });
        let seq = open.as_ref().map(|row| row.seq);
        let answered = |given: Given| -> Result<Given, Flow> {
            let decision = DecisionWrite::Answered { seq, key, kind, question: &text, asked_at, given: &given };
            self.decided(key, kind, &given, step_for(&given), &decision)?;
            Ok(given)
        };
        if let Some((by, how)) = given {
            return answered(Given { answer: Answer::Approve, by, comment: None, how, at: now });
        }
        let timed_out =
            || Given { answer: on_timeout, by: "timeout".to_owned(), comment: None, how: How::Timeout, at: now_ms() };
        if deadline.is_some_and(|deadline| deadline <= now) {
            return answered(timed_out());
        }
        if let (Some(terminal), true) = (&self.terminal, kind != AskKind::Budget) {
            let note = deadline.map(|deadline| {
                let left = Duration::from_millis(u64::try_from(deadline - now).unwrap_or(0));
                format!("times out in {}: then {}", crate::ir::format_duration(millis(left)), on_timeout.as_str())
            });
            for observer in &self.observers {
                observer.hold(true);
            }
            let wait = async {
                match deadline {
                    Some(deadline) => {
                        tokio::time::sleep(Duration::from_millis(u64::try_from(deadline - now).unwrap_or(0))).await;
                    }
                    None => std::future::pending().await,
                }
            };
            // The terminal is shown the question directly, not through an event: mask it here.
            let shown = self.secrets.redactor().text(&text);
            let reply = tokio::select! {
                reply = terminal.ask(kind, key, &shown, note.as_deref()) => reply.map(|reply| Given {
                    answer: reply.answer,
                    by: self.options.user.clone(),
                    comment: reply.comment,
                    how: How::Terminal,
                    at: now_ms(),
                }),
                () = wait => Some(timed_out()),
                () = cx.cancel.cancelled() => None,
            };
            for observer in &self.observers {
                observer.hold(false);
            }
            if cx.cancel.is_cancelled() {
                return Err(Flow::Cancelled);
            }
            if let Some(given) = reply {
                return answered(given);
            }
        }
        // Nobody to ask: pause, leaving the question open.
        // Commands a person pastes: every word quoted, the state folder named.
        let (run, dir) = (self.run_id.as_str(), self.options.state_dir.as_path());
        let resume = hint::wf(&["resume", run], dir);
        let hint = match kind {
            AskKind::Approval => format!(
                "`{}` (or add `--reject`, `--comment TEXT`), then `{resume}`",
                hint::wf(&["approve", run, key], dir)
            ),
            AskKind::Escalation => format!(
                "`{}` (or `skip`, `abort`), then `{resume}`",
                hint::wf(&["approve", run, key, "--decide", "retry"], dir)
            ),
            AskKind::Budget => match &raise {
                Some(raise) => format!("`{}`", hint::wf(&["resume", run, "--budget", raise], dir)),
                None => format!("`{resume}` with `--budget`"),
            },
        };
        let decision =
            DecisionWrite::Open { key, kind, question: &text, deadline, on_timeout: timeout.map(|_| on_timeout) };
        let event = match kind {
            AskKind::Budget => Event::BudgetExhausted { key: key.to_owned(), reason: text.clone(), hint: hint.clone() },
            _ => Event::RunPaused { key: key.to_owned(), kind, reason: text.clone(), hint: hint.clone() },
        };
        // Asked again after a resume, it stays the question first asked (and keeps its deadline).
        self.commit(event, paused, &[], open.is_none().then_some(&decision))?;
        Err(Flow::Paused(Pause { key: key.to_owned(), kind, reason: text, hint }))
    }

    /// Journals an answer being acted on, with the step's new state when it changes.
    pub fn decided(
        &self,
        key: &str,
        kind: AskKind,
        given: &Given,
        step: Option<&StepWrite<'_>>,
        decision: &DecisionWrite<'_>,
    ) -> Result<(), Flow> {
        let event = Event::Decided {
            key: key.to_owned(),
            kind,
            answer: given.answer,
            by: given.by.clone(),
            how: given.how,
            comment: given.comment.clone(),
        };
        self.commit(event, step, &[], Some(decision))?;
        let mut decisions = self.decisions.borrow_mut();
        if let Some(row) = decisions.iter_mut().rev().find(|row| row.key == key && row.kind == kind && !row.consumed) {
            row.consumed = true;
        }
        Ok(())
    }

    /// The person's choice about the escalated failure of `key` (`reason`): retry, skip or
    /// abort. `skipped` is the step's record, accepted: journaled with a skip.
    pub async fn escalate(
        &self,
        key: &str,
        reason: &str,
        skipped: Option<&StepWrite<'_>>,
        cx: &Cx<'p>,
    ) -> Result<Answer, Flow> {
        let question = Question {
            kind: AskKind::Escalation,
            key,
            text: reason.to_owned(),
            timeout: None,
            on_timeout: Answer::Abort,
            given: None,
            raise: None,
        };
        self.put(question, None, skipped, cx).await.map(|given| given.answer)
    }

    /// A resume with `--budget`: every budget question left open is answered `raise`.
    pub fn budget_raised(&self, raises: &[(Option<String>, crate::cost::Budget)]) -> Result<(), Flow> {
        if raises.is_empty() {
            return Ok(());
        }
        let open: Vec<DecisionRow> = self
            .decisions
            .borrow()
            .iter()
            .filter(|row| row.kind == AskKind::Budget && row.given.is_none() && !row.consumed)
            .cloned()
            .collect();
        let amounts: Vec<String> = raises
            .iter()
            .flat_map(|(scope, budget)| {
                let whose = scope.as_ref().map(|key| format!("`{key}` ")).unwrap_or_default();
                let money = budget.money.map(|limit| format!("{whose}{}", crate::ir::format_money(limit.amount)));
                let tokens = budget.tokens.map(|limit| format!("{whose}{}", crate::ir::format_tokens(limit.amount)));
                money.into_iter().chain(tokens)
            })
            .collect();
        for row in open {
            let given = Given {
                answer: Answer::Raise,
                by: self.options.user.clone(),
                comment: Some(format!("raised to {}", amounts.join(", "))),
                how: How::Resume,
                at: now_ms(),
            };
            let decision = DecisionWrite::Answered {
                seq: Some(row.seq),
                key: &row.key,
                kind: row.kind,
                question: &row.question,
                asked_at: row.asked_at,
                given: &given,
            };
            self.decided(&row.key, row.kind, &given, None, &decision)?;
        }
        Ok(())
    }

    /// The question about `key` still waiting to be acted on: open, or answered by `wf approve`.
    pub fn open_question(&self, key: &str, kind: AskKind) -> Option<DecisionRow> {
        self.decisions.borrow().iter().rev().find(|row| row.key == key && row.kind == kind && !row.consumed).cloned()
    }
}
