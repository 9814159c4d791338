//! What a step's journal record is made of, shared by the statement walk (`exec.rs`), the
//! questions (`ask.rs`) and the steps (`step.rs`): the clock in milliseconds, the names of
//! step kinds, and the record of a step accepted past its failure. It sits below all three so
//! that none of them needs another for these.

use std::time::Duration;

use crate::ir::{BlockKind, StepKind};
use crate::journal::StepWrite;

/// Milliseconds since the Unix epoch, as the journal records times.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// A duration in whole milliseconds, as events carry them.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub fn block_name(kind: BlockKind) -> &'static str {
    match kind {
        BlockKind::Phase => "phase",
        BlockKind::Parallel => "parallel",
        BlockKind::Repeat => "repeat",
        BlockKind::For => "for",
    }
}

pub fn kind_name(step: &crate::ir::Step) -> &'static str {
    match &step.kind {
        StepKind::Run(_) => "run",
        StepKind::Agent(_) => "agent",
        StepKind::Call(_) => "call",
        StepKind::Gate(_) => "gate",
        StepKind::Wait { .. } => "wait",
        StepKind::Watch(_) => "watch",
        StepKind::Block(kind) => block_name(*kind),
    }
}

/// A step's or block's record, accepted: an escalation answered `skip` lets the run go on
/// past it, and a resume reuses it from then on.
pub fn accepted<'a>(
    step: &'a crate::ir::Step,
    key: &'a str,
    value: &'a crate::ir::Value,
    error: Option<&'a str>,
) -> StepWrite<'a> {
    let field = |name: &str| match value {
        crate::ir::Value::Record(fields) => fields.get(name).cloned(),
        _ => None,
    };
    let status = match field("status") {
        Some(crate::ir::Value::String(status)) if status == "timed_out" => "timed_out",
        Some(crate::ir::Value::String(status)) if status == "cancelled" => "cancelled",
        _ => "failed",
    };
    let attempts = match field("attempts") {
        Some(crate::ir::Value::Int(n)) => u32::try_from(n).unwrap_or(1),
        _ => 1,
    };
    let at = now_ms();
    StepWrite {
        key,
        step_id: &step.id,
        kind: kind_name(step),
        hash: &step.hash,
        status,
        accepted: true,
        attempts,
        started_at: at,
        ended_at: Some(at),
        value: Some(value),
        error,
    }
}
