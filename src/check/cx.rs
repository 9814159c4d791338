//! `Cx`, the context a workflow's statements and expressions are checked in: the checker, the
//! module, where in the workflow the walk is (`Flow`), and what is in scope there. Its methods
//! live with what they check: expressions in `expr.rs`, statements in `stmt.rs`, attributes in
//! `attrs.rs`, a workflow's `env` in `workflow.rs`.

use indexmap::IndexMap;

use super::flow::Flow;
use super::{CheckDiagnostic, Checker};
use crate::ir::{self, StepIdx, Type};
use crate::span::Span;

/// Where an expression is checked: a module, and (inside a workflow) its parameters,
/// secrets, loop variables and steps, and the position the expression is evaluated at.
pub(super) struct Cx<'c, 'a> {
    pub ch: &'c mut Checker<'a>,
    pub module: usize,
    pub flow: Flow,
    /// Parameters with their types, and whether something uses them.
    pub params: IndexMap<String, (Type, Span, bool)>,
    pub secrets: IndexMap<String, Span>,
    /// Variables (and indexes) of enclosing `for` loops, innermost last.
    pub loop_vars: Vec<LoopVar>,
    /// Steps whose `status`/`ok` an enclosing `if` condition tested: reading them is safe.
    pub guarded: Vec<StepIdx>,
    /// Whether the expression being checked sits in a `{{ }}`.
    pub in_interp: bool,
    /// The workflow being checked (none for constants).
    pub workflow: Option<ir::WorkflowId>,
    pub param_defaults: Vec<ir::Param>,
    pub default_model: Option<ir::ModelId>,
    /// Whether the workflow names a default model (even one that did not resolve).
    pub default_model_given: bool,
    pub default_provider: ir::ProviderRef,
    /// What each step turned out to be, by step index: one slot per step the collector
    /// declared, sized once (a hash map of these large values grew by doubling and was the
    /// checker's largest allocation).
    pub defined: Vec<Option<(ir::StepKind, ir::Common)>>,
}

/// A name a `for` binds: its item or its index.
pub(super) struct LoopVar {
    pub name: String,
    pub ty: Type,
    /// Whether something in the body reads it (an unused index is reported).
    pub used: bool,
}

impl<'c, 'a> Cx<'c, 'a> {
    /// A context for constants and parameter defaults: only constants are in scope.
    pub fn constant(ch: &'c mut Checker<'a>, module: usize) -> Cx<'c, 'a> {
        Cx::new(ch, module, Flow::default())
    }

    pub fn new(ch: &'c mut Checker<'a>, module: usize, flow: Flow) -> Cx<'c, 'a> {
        Cx {
            ch,
            module,
            flow,
            params: IndexMap::new(),
            secrets: IndexMap::new(),
            loop_vars: Vec::new(),
            guarded: Vec::new(),
            in_interp: false,
            workflow: None,
            param_defaults: Vec::new(),
            default_model: None,
            default_model_given: false,
            default_provider: ir::ProviderRef::Sim,
            defined: Vec::new(),
        }
    }

    pub fn report(&mut self, error: CheckDiagnostic) {
        self.ch.report(self.module, error);
    }
}
