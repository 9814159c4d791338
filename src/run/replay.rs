//! Resuming: which recorded step instances are reused and which run again, and why.
//!
//! A step instance is reused when the journal recorded it as accepted (succeeded, skipped,
//! or failed under `continue`), its definition hash is unchanged, and no step before it in
//! its workflow changed. Anything else runs again; a step that was running when the run
//! stopped runs again from its first attempt (at-least-once).

use std::cell::RefCell;
use std::collections::HashMap;

use crate::ir::{Program, Step, StepKind, Value, Workflow, WorkflowId};

use crate::journal::StepRecord;

/// The plan key of a step: its id in the root workflow, `workflow:id` in others.
pub fn plan_key(program: &Program, workflow: &Workflow, step: &Step) -> String {
    if program.entry.iter().any(|id| std::ptr::eq(&program.workflows[id.0], workflow)) {
        step.id.clone()
    } else {
        format!("{}:{}", qualified(workflow), step.id)
    }
}

fn qualified(workflow: &Workflow) -> String {
    match &workflow.module {
        Some(module) => format!("{module}.{}", workflow.name),
        None => workflow.name.clone(),
    }
}

/// Step id → hash for every step of every workflow, as a run records it when it starts.
pub fn plan(program: &Program) -> HashMap<String, String> {
    program
        .workflows
        .iter()
        .flat_map(|workflow| {
            workflow.steps.iter().map(move |step| (plan_key(program, workflow, step), step.hash.clone()))
        })
        .collect()
}

/// What a resume knows: the records, and from which step on each workflow changed.
#[derive(Default)]
pub struct Replay {
    records: HashMap<String, Entry>,
    /// Per workflow, the arena index of its first step whose definition changed.
    changed_from: HashMap<WorkflowId, (usize, String)>,
}

/// A record, and its value held apart: a reused step takes the value instead of copying it
/// (ten thousand reused steps copied ten thousand records).
struct Entry {
    record: StepRecord,
    value: RefCell<Option<Value>>,
    /// The journal held a value (so `None` in `value` means a reuse took it).
    recorded_value: bool,
}

/// What [`Replay::take_value`] finds.
pub enum Recorded {
    Value(Value),
    /// An earlier reuse in this process took it.
    Taken,
    /// The journal holds none.
    Absent,
}

/// Whether a step instance is reused, and why (for `wf resume --explain`).
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Reuse,
    Run(String),
}

impl Replay {
    pub fn new(program: &Program, old_plan: &HashMap<String, String>, records: HashMap<String, StepRecord>) -> Replay {
        let mut changed_from = HashMap::new();
        for (index, workflow) in program.workflows.iter().enumerate() {
            let first = workflow.steps.iter().enumerate().find(|(_, step)| {
                old_plan.get(&plan_key(program, workflow, step)).is_none_or(|hash| *hash != step.hash)
            });
            if let Some((position, step)) = first {
                changed_from.insert(WorkflowId(index), (position, step.id.clone()));
            }
        }
        let records = records
            .into_iter()
            .map(|(key, mut record)| {
                let value = record.value.take();
                let recorded_value = value.is_some();
                (key, Entry { record, value: RefCell::new(value), recorded_value })
            })
            .collect();
        Replay { records, changed_from }
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The record of `key`; its value is read with [`Replay::value`] or taken with
    /// [`Replay::take_value`].
    pub fn record(&self, key: &str) -> Option<&StepRecord> {
        self.records.get(key).map(|entry| &entry.record)
    }

    /// A copy of the recorded value of `key`, unless a reuse took it.
    pub fn value(&self, key: &str) -> Option<Value> {
        self.records.get(key).and_then(|entry| entry.value.borrow().clone())
    }

    /// The recorded value of `key`, moved out: the first reuse of a step takes it, and a
    /// later one (the step's block walked again) gets `Taken` and finds the value in the
    /// frame the first one set.
    pub fn take_value(&self, key: &str) -> Recorded {
        match self.records.get(key) {
            Some(entry) => match entry.value.borrow_mut().take() {
                Some(value) => Recorded::Value(value),
                None if entry.recorded_value => Recorded::Taken,
                None => Recorded::Absent,
            },
            None => Recorded::Absent,
        }
    }

    /// Decides for the instance `key` of `step` (at arena `position` of workflow `workflow`).
    /// `reusable` is false inside handlers and under a call that runs again.
    pub fn decide(&self, key: &str, workflow: WorkflowId, position: usize, step: &Step, reusable: bool) -> Decision {
        let Some(Entry { record, .. }) = self.records.get(key) else {
            return Decision::Run("not run before".into());
        };
        if !reusable {
            return Decision::Run("handlers and the steps of a re-run call always run".into());
        }
        if record.hash != step.hash {
            return Decision::Run("its definition changed since it ran".into());
        }
        if let Some((first, id)) = self.changed_from.get(&workflow) {
            if *first < position {
                return Decision::Run(format!("it comes after `{id}`, whose definition changed"));
            }
        }
        if record.status == "running" {
            return Decision::Run("it was running when the run stopped (steps run at least once)".into());
        }
        if !record.accepted {
            return Decision::Run(format!(
                "it ended {}{}",
                record.status,
                record.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
            ));
        }
        if matches!(step.kind, StepKind::Block(_)) {
            return Decision::Run("blocks are walked again (their steps are reused)".into());
        }
        Decision::Reuse
    }
}
