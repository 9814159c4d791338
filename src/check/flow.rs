//! Which steps an expression may read, from where it sits in the workflow.
//!
//! Every step and every expression has a *path*: the chain of containers (sequences,
//! `parallel` blocks, `if` branches, loop bodies) down to it, with its position in each.
//! Whether a step can be read at a site follows from the first container where the two
//! paths part: in a sequence the step must come first; in a `parallel` they run at once; in
//! an `if` they are in different branches. Containers below that point on the step's side
//! matter too: an `if` branch may not run, a `for` body is out of scope. This makes each
//! check cost the depth of nesting, not the size of the workflow.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::ir::{StepIdx, Type};
use crate::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum ContainerKind {
    /// The workflow: child 0 is its body, 1 its `on failure` handler, 2 its `finally`.
    Root,
    /// Statements one after another: a body, a phase, a branch of an `if`, a `repeat` body.
    Seq,
    Parallel,
    /// Child `i` is branch `i` (the `else` last).
    If,
    For,
}

#[derive(Debug, Clone)]
pub(super) struct Container {
    kind: ContainerKind,
    span: Span,
    /// The block's name, for `for` loops.
    name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Seg {
    container: usize,
    child: usize,
}

#[derive(Debug, Clone)]
pub(super) struct StepInfo {
    pub name: String,
    pub name_span: Span,
    pub id: String,
    /// What it is, for messages: "run step", "gate", "`repeat` block".
    pub kind: &'static str,
    pub fields: IndexMap<String, Type>,
    path: Vec<Seg>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct StepTable {
    by_name: HashMap<String, StepIdx>,
    steps: Vec<StepInfo>,
}

impl StepTable {
    pub fn index(&self, name: &str) -> Option<StepIdx> {
        self.by_name.get(name).copied()
    }

    pub fn get(&self, index: StepIdx) -> &StepInfo {
        &self.steps[index.0]
    }

    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.steps.iter().map(|step| step.name.clone())
    }

    pub fn infos(&self) -> &[StepInfo] {
        &self.steps
    }

    pub fn into_infos(self) -> Vec<StepInfo> {
        self.steps
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Visibility {
    Visible,
    NotYet,
    Concurrent,
    /// May not have run: it is in an `if` branch (or, for `handler`, the site is a handler).
    Skipped {
        branch: Span,
        handler: bool,
    },
    /// Inside a `for` body, read from outside it.
    OutOfScope {
        body: Span,
        block: Option<String>,
    },
}

/// The steps of one workflow and the site currently being checked.
#[derive(Debug, Clone, Default)]
pub(super) struct Flow {
    pub steps: StepTable,
    containers: Vec<Container>,
    by_span: HashMap<(ContainerKind, Span), usize>,
    site: Vec<Seg>,
    /// The step each statement declared, by the statement's span.
    pub step_at: HashMap<Span, StepIdx>,
    /// What each agent step returns, by the statement's span.
    pub returns: HashMap<Span, IndexMap<String, Type>>,
}

impl Flow {
    /// Enters child `child` of the container of this kind at `span`, creating the container
    /// the first time. The collecting walk and the checking walk both go through here, so
    /// they agree on every path.
    pub fn enter(&mut self, kind: ContainerKind, span: Span, name: Option<&str>, child: usize) {
        let container = *self.by_span.entry((kind, span)).or_insert_with(|| {
            self.containers.push(Container { kind, span, name: name.map(str::to_string) });
            self.containers.len() - 1
        });
        self.site.push(Seg { container, child });
    }

    /// Moves to another child of the innermost container.
    pub fn set_child(&mut self, child: usize) {
        if let Some(last) = self.site.last_mut() {
            last.child = child;
        }
    }

    pub fn leave(&mut self) {
        self.site.pop();
    }

    /// Adds a step at the current site; returns `Err(first)` when the name is taken.
    pub fn declare(
        &mut self,
        name: &str,
        name_span: Span,
        id: String,
        kind: &'static str,
        fields: IndexMap<String, Type>,
    ) -> Result<StepIdx, StepIdx> {
        if let Some(&existing) = self.steps.by_name.get(name) {
            return Err(existing);
        }
        let index = StepIdx(self.steps.steps.len());
        self.steps.steps.push(StepInfo {
            name: name.to_string(),
            name_span,
            id,
            kind,
            fields,
            path: self.site.clone(),
        });
        self.steps.by_name.insert(name.to_string(), index);
        Ok(index)
    }

    /// Whether the step can be read at the current site.
    pub fn visibility(&self, index: StepIdx) -> Visibility {
        let target = &self.steps.steps[index.0].path;
        let site = &self.site;
        let common = target.iter().zip(site).take_while(|(a, b)| a == b).count();
        if common == target.len() || common == site.len() {
            // One encloses the other: a block read from inside itself, a step from its own
            // attributes, or a loop's body from its header.
            return Visibility::NotYet;
        }
        let (step, here) = (target[common], site[common]);
        let container = &self.containers[step.container];
        match container.kind {
            ContainerKind::Root if step.child < here.child => {
                return Visibility::Skipped { branch: self.steps.steps[index.0].name_span, handler: true };
            }
            ContainerKind::Seq | ContainerKind::For if step.child < here.child => {}
            ContainerKind::Root | ContainerKind::Seq | ContainerKind::For => return Visibility::NotYet,
            ContainerKind::Parallel => return Visibility::Concurrent,
            ContainerKind::If => {
                return Visibility::Skipped { branch: self.branch_span(target, common), handler: false }
            }
        }
        for level in common + 1..target.len() {
            let container = &self.containers[target[level].container];
            match container.kind {
                ContainerKind::If => {
                    return Visibility::Skipped { branch: self.branch_span(target, level), handler: false };
                }
                ContainerKind::For => {
                    return Visibility::OutOfScope { body: container.span, block: container.name.clone() };
                }
                ContainerKind::Root | ContainerKind::Seq | ContainerKind::Parallel => {}
            }
        }
        Visibility::Visible
    }

    /// The span of the branch body below the `if` at `level` of `path`.
    fn branch_span(&self, path: &[Seg], level: usize) -> Span {
        path.get(level + 1)
            .map_or(self.containers[path[level].container].span, |seg| self.containers[seg.container].span)
    }
}
