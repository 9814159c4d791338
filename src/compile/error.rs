//! `CompileError`: what a workflow does that a target engine cannot run with the same
//! meaning. Each names the construct and the target, and points at it; `wf compile` prints
//! them like the checker's diagnostics and writes nothing.

use miette::Diagnostic;
use thiserror::Error;

use crate::span::Span;

#[derive(Debug, Error, Diagnostic)]
pub enum CompileError {
    #[error("`on failure rollback` cannot be compiled for {target}: a step it would undo is out of the rollback handler's reach")]
    #[diagnostic(
        code(wf::compile::rollback),
        help(
            "on the engine, a rollback in the body undoes its own {unit}'s steps, and a rollback handler, after the \
             body and before `on failure`, undoes the finished steps of the body's other {unit}s; a rollback in \
             `on failure` or `finally`, or one that would undo the steps of a workflow called in another {unit}, \
             cannot be done: move the rollback into the body, or the call into the rollback's {unit}"
        )
    )]
    Rollback {
        target: &'static str,
        unit: &'static str,
        #[label(primary, "rolls back")]
        span: Span,
        #[label("an `undo` in another {unit}")]
        undo: Span,
    },

    #[error("`{what}` asks a person, inside a part of the workflow that runs as one {unit} on {target}")]
    #[diagnostic(
        code(wf::compile::person_inside),
        help(
            "an approval on the engine waits before a whole {unit}; move the step out of its `repeat`, `for`, block \
             with its own timeout, budget or failure policy, or called workflow (a step in an `if` branch is a \
             {unit} of its own), or run in `mode autopilot`"
        )
    )]
    PersonInside {
        what: String,
        target: &'static str,
        unit: &'static str,
        #[label(primary, "asks a person here")]
        span: Span,
        #[label("this runs as one {unit}")]
        container: Span,
    },

    #[error("`on failure escalate` cannot be compiled for {target}: the engine has no one to ask after a failure")]
    #[diagnostic(
        code(wf::compile::escalation),
        help("an escalation asks a person to retry, skip or abort; on the engine use `retry` and `on failure continue` or `abort`")
    )]
    Escalation {
        target: &'static str,
        #[label(primary, "escalates")]
        span: Span,
    },

    #[error("the list of `for {var}` is not known when compiling for {target}: {reason}")]
    #[diagnostic(
        code(wf::compile::unknown_list),
        help(
            "the engine fans a `for` out over its items before it starts; build the list from constants and parameters, \
             and give parameters without a default with `--arg NAME=VALUE`"
        )
    )]
    UnknownList {
        var: String,
        target: &'static str,
        reason: String,
        #[label(primary, "the list")]
        span: Span,
    },

    #[error("`{name}` reads the `for` block `{block}`, whose iterations run as separate {unit}s on {target}")]
    #[diagnostic(
        code(wf::compile::loop_value),
        help("the engine keeps no single value for a fanned-out loop; read a step after the loop instead")
    )]
    LoopValue {
        name: String,
        block: String,
        target: &'static str,
        unit: &'static str,
        #[label(primary, "reads the loop's value")]
        span: Span,
    },
}
