//! What a bound may read while estimating: the arguments, the parameters' defaults, and in a
//! called workflow the caller's argument expressions, evaluated only when a bound asks.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::ir::eval::{eval, Env};
use crate::ir::{Expr, Param, Value};

/// Shared by a workflow's environment and those of every workflow it calls.
#[derive(Default)]
pub(super) struct Root {
    /// Parameters of the estimated workflow that a bound read and that have no value.
    missing: RefCell<BTreeSet<String>>,
    /// Set while deciding a condition: a condition that cannot be decided is no reason to
    /// ask for an argument, since the estimate then covers every branch.
    quiet: Cell<bool>,
}

impl Root {
    pub fn missing(&self) -> Vec<String> {
        self.missing.borrow().iter().cloned().collect()
    }
}

enum Source<'a> {
    /// The estimated workflow: the arguments given.
    Args(&'a IndexMap<String, Value>),
    /// A called workflow: the call's argument expressions, read in the caller's environment.
    Call { args: &'a IndexMap<String, Expr>, caller: &'a Params<'a> },
}

pub(super) struct Params<'a> {
    params: &'a [Param],
    source: Source<'a>,
    root: &'a Root,
}

impl<'a> Params<'a> {
    pub fn root(params: &'a [Param], args: &'a IndexMap<String, Value>, root: &'a Root) -> Params<'a> {
        Params { params, source: Source::Args(args), root }
    }

    pub fn call(params: &'a [Param], args: &'a IndexMap<String, Expr>, caller: &'a Params<'a>) -> Params<'a> {
        Params { params, source: Source::Call { args, caller }, root: caller.root }
    }

    /// Like [`Params::value`], for a condition: not knowing it needs no argument.
    pub fn decide(&self, expr: &Expr) -> Option<Value> {
        let before = self.root.quiet.replace(true);
        let value = eval(expr, self).ok();
        self.root.quiet.set(before);
        value
    }
}

impl Env for Params<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        let given = match &self.source {
            Source::Args(args) => args.get(name).cloned(),
            // The caller passed something for it: that, or nothing known; never the default.
            Source::Call { args, caller } => match args.get(name) {
                Some(expr) => return eval(expr, *caller).ok(),
                None => None,
            },
        };
        let value = given
            .or_else(|| self.params.iter().find(|param| param.name == name).and_then(|param| param.default.clone()));
        if value.is_none() && matches!(self.source, Source::Args(_)) && !self.root.quiet.get() {
            self.root.missing.borrow_mut().insert(name.to_string());
        }
        value
    }
}

/// The names a `for` binds in one iteration: its variable, and its index when it names one.
pub(super) type Iteration = Vec<(String, Value)>;

/// What a bound inside loops reads: the parameters, and one iteration of each enclosing
/// `for` whose list is known.
pub(super) struct InLoop<'a> {
    pub params: &'a Params<'a>,
    pub vars: Vec<&'a (String, Value)>,
}

impl Env for InLoop<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        self.params.param(name)
    }

    fn loop_var(&self, name: &str) -> Option<Value> {
        self.vars.iter().rev().find(|(var, _)| var == name).map(|(_, value)| value.clone())
    }
}
