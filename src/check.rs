//! Stage 2: the AST of every loaded module to the typed [`Program`], with every problem.
//!
//! The checker runs in three passes: it declares each module's items (so order of items does
//! not matter and modules can refer to each other), then resolves workflow signatures, then
//! checks workflow bodies. It never stops at the first error; something already reported
//! gets the type `Unknown`, which agrees with everything, so one mistake gives one message.
//! No I/O happens here.

mod attrs;
mod budget;
mod cx;
mod error;
mod expr;
mod flow;
mod items;
mod record;
mod shell;
mod stmt;
mod watch;
mod workflow;

use std::collections::{HashMap, HashSet};

pub(crate) use attrs::Place;
pub use error::CheckDiagnostic;
pub(crate) use items::use_name;

use crate::diag::{self, Diagnostic};
use crate::ir::{FileId, Program, Value, WorkflowId};
use crate::load::Loaded;
use crate::span::Span;
use crate::syntax::ast;

use items::ModuleScope;

/// The result of checking: the program (complete only when there are no errors) and every
/// diagnostic of every stage, sorted.
#[derive(Debug)]
pub struct Checked {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
    /// The value of every constant that has one, by module (an index into
    /// `Loaded::modules`) and name. Constants are folded into the program where they are
    /// used; this is for tools that show a constant itself (the language server's hover).
    pub consts: HashMap<(usize, String), Value>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks the loaded modules; module 0 is the root whose workflows become `Program::entry`.
pub fn check(loaded: &Loaded) -> Checked {
    let mut checker = Checker::new(loaded);
    checker.declare_all();
    checker.resolve_signatures();
    checker.check_workflows();
    checker.report_recursion();
    checker.evaluate_consts();
    checker.report_unused();
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(explained_elsewhere(&loaded.diagnostics, std::mem::take(&mut checker.diagnostics)));
    let consts = std::mem::take(&mut checker.consts)
        .into_iter()
        .filter_map(|(key, state)| match state {
            ConstState::Done(Some(value)) => Some((key, value)),
            ConstState::Done(None) | ConstState::Evaluating => None,
        })
        .collect();
    let program = checker.finish();
    // Estimates need a whole program: after errors, parts of it are missing.
    if !diagnostics.iter().any(Diagnostic::is_error) {
        budget::report(&program, &mut diagnostics);
    }
    diag::sort(&mut diagnostics);
    Checked { program, diagnostics, consts }
}

/// The checker's diagnostics less those on text a syntax or load error already covers: the
/// checker sees the parser's stand-in there (`timeout 5min` reads as `0s`), and a second
/// message about the same characters only repeats the first.
fn explained_elsewhere(earlier: &[Diagnostic], found: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if earlier.is_empty() {
        return found;
    }
    let mut covered: Vec<(FileId, usize, usize)> =
        earlier.iter().map(|d| (d.file, d.span().start, d.span().end)).collect();
    covered.sort_unstable();
    // The furthest end among the spans of a file up to each one, in start order.
    let mut reach = Vec::with_capacity(covered.len());
    for (index, &(file, _, end)) in covered.iter().enumerate() {
        let before = index.checked_sub(1).filter(|&i| covered[i].0 == file).map_or(0, |i| reach[i]);
        reach.push(end.max(before));
    }
    found
        .into_iter()
        .filter(|diagnostic| {
            let span = diagnostic.span();
            // Of the spans that start no later than this one ends, does any reach its start?
            let upto = covered.partition_point(|&(file, start, _)| (file, start) <= (diagnostic.file, span.end));
            !(upto > 0 && covered[upto - 1].0 == diagnostic.file && reach[upto - 1] >= span.start)
        })
        .collect()
}

/// A workflow's parameters, known before any body is checked (calls need them).
#[derive(Debug, Clone)]
struct Signature {
    name: String,
    /// Resolved in pass 2.
    params: Option<Vec<crate::ir::Param>>,
}

#[derive(Debug, Clone)]
enum ConstState {
    Evaluating,
    Done(Option<Value>),
}

struct Checker<'a> {
    loaded: &'a Loaded,
    modules: Vec<ModuleScope<'a>>,
    program: Program,
    /// Checked workflows by id; filled in pass 3.
    workflows: Vec<Option<crate::ir::Workflow>>,
    signatures: Vec<Signature>,
    consts: HashMap<(usize, String), ConstState>,
    /// Constants and module aliases that something refers to: `(module, name)`.
    used: HashSet<(usize, String)>,
    /// Regexes compiled so far: their number of groups, or why they do not compile. Large
    /// workflows repeat a few output patterns many times.
    regexes: HashMap<String, Result<usize, String>>,
    /// Call edges: caller, callee, and where the call is.
    calls: Vec<(WorkflowId, WorkflowId, FileId, Span)>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn new(loaded: &'a Loaded) -> Checker<'a> {
        Checker {
            loaded,
            modules: Vec::new(),
            program: Program::default(),
            workflows: Vec::new(),
            signatures: Vec::new(),
            consts: HashMap::new(),
            used: HashSet::new(),
            regexes: HashMap::new(),
            calls: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Compiles a regex once per distinct pattern: its number of capture groups (the whole
    /// match counts as one), or the gist of why it does not compile.
    fn regex_groups(&mut self, pattern: &str) -> Result<usize, String> {
        if let Some(known) = self.regexes.get(pattern) {
            return known.clone();
        }
        let result = regex::Regex::new(pattern)
            .map(|regex| regex.captures_len())
            .map_err(|error| expr::regex_gist(&error.to_string()));
        self.regexes.insert(pattern.to_string(), result.clone());
        result
    }

    fn report(&mut self, module: usize, error: CheckDiagnostic) {
        let file = self.loaded.modules[module].file;
        self.diagnostics.push(Diagnostic::new(file, error));
    }

    /// Whether a "did you mean" over every name in scope is still worth its cost: past the
    /// diagnostics a file shows ([`crate::diag::MAX_PER_FILE`]) nobody reads it, and in a
    /// large workflow full of misspellings it would make checking quadratic.
    fn suggesting(&self) -> bool {
        self.diagnostics.len() < crate::diag::MAX_PER_FILE
    }

    fn check_workflows(&mut self) {
        for module in 0..self.loaded.modules.len() {
            for item in &self.loaded.modules[module].ast.items {
                if let ast::Item::Workflow(workflow) = item {
                    if let Some(&id) = self.modules[module].workflows.get(&workflow.name.name) {
                        if self.workflows[id.0].is_none() {
                            let checked = workflow::check_workflow(self, module, id, workflow);
                            self.workflows[id.0] = Some(checked);
                        }
                    }
                }
            }
        }
    }

    /// Reports every call that is part of a cycle of calls.
    fn report_recursion(&mut self) {
        let mut edges: HashMap<WorkflowId, Vec<WorkflowId>> = HashMap::new();
        for (caller, callee, _, _) in &self.calls {
            edges.entry(*caller).or_default().push(*callee);
        }
        let calls = self.calls.clone();
        for (caller, callee, file, span) in calls {
            if let Some(path) = find_path(&edges, callee, caller) {
                let name = self.signatures[caller.0].name.clone();
                let mut chain: Vec<String> = vec![name.clone()];
                chain.extend(path.iter().map(|id| self.signatures[id.0].name.clone()));
                self.diagnostics.push(Diagnostic::new(
                    file,
                    CheckDiagnostic::RecursiveCall { name, chain: chain.join(" → "), span },
                ));
            }
        }
    }

    /// The program: every declared workflow was checked in pass 3, so ids stay as declared.
    fn finish(self) -> Program {
        let mut program = self.program;
        program.workflows = self.workflows.into_iter().flatten().collect();
        program.entry = self.modules.first().map(|root| root.workflows.values().copied().collect()).unwrap_or_default();
        program
    }
}

/// A path of calls from `from` to `to`, if there is one (breadth-first, so the shortest).
fn find_path(
    edges: &HashMap<WorkflowId, Vec<WorkflowId>>,
    from: WorkflowId,
    to: WorkflowId,
) -> Option<Vec<WorkflowId>> {
    let mut previous: HashMap<WorkflowId, WorkflowId> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    let mut seen = HashSet::from([from]);
    while let Some(node) = queue.pop_front() {
        if node == to {
            let mut path = vec![node];
            let mut current = node;
            while let Some(&before) = previous.get(&current) {
                path.push(before);
                current = before;
            }
            path.reverse();
            return Some(path);
        }
        for &next in edges.get(&node).into_iter().flatten() {
            if seen.insert(next) {
                previous.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}
