//! A workflow as a diagram: `wf graph` draws the IR as a Mermaid flowchart or a Graphviz
//! digraph.
//!
//! [`graph`] builds a [`Graph`] that knows nothing of either format: phases and loops are
//! clusters, steps are nodes shaped by their kind, `parallel` is a fork and a join, an `if` is
//! a decision whose edges carry the conditions, and loops have a dashed edge back with their
//! `until`. Labels are plain text lines; each format escapes them its own way
//! ([`mermaid`], [`dot`]). Node ids are numbered in the order of the source, so the output
//! is the same for the same workflow.

mod build;
pub mod dot;
mod label;
pub mod mermaid;

use indexmap::IndexMap;

use crate::ir::{Program, Value, Workflow};

/// A diagram of one workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// The workflow's name.
    pub title: String,
    /// What the workflow declares about the whole run: budget, timeout, mode.
    pub notes: Vec<String>,
    pub items: Vec<Item>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Node(Node),
    Cluster(Cluster),
}

/// A box drawn around statements that belong together.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub id: String,
    pub kind: ClusterKind,
    /// The title, then its annotations.
    pub lines: Vec<String>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterKind {
    Phase,
    Repeat,
    For,
    /// The workflow's `on failure` or `finally` handler.
    Handler,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    /// The first line names the node; the others annotate it.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Run,
    Agent,
    Call,
    Gate,
    Wait,
    /// A `watch`: a command polled over time.
    Watch,
    /// A `fail` statement: the run ends here.
    Fail,
    /// Where a `parallel` starts its children, and where it waits for them all.
    Fork,
    Join,
    /// An `if`: its outgoing edges carry the conditions.
    Decision,
    /// A statement with nothing in it (an empty phase or loop body).
    Empty,
    Start,
    End,
    /// Where a failed run goes: to the `on failure` handler.
    Failed,
}

impl NodeKind {
    /// The name styles are keyed by.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Run => "run",
            NodeKind::Agent => "agent",
            NodeKind::Call => "call",
            NodeKind::Gate => "gate",
            NodeKind::Wait => "wait",
            NodeKind::Watch => "watch",
            NodeKind::Fail => "fail",
            NodeKind::Fork => "fork",
            NodeKind::Join => "join",
            NodeKind::Decision => "decision",
            NodeKind::Empty => "empty",
            NodeKind::Start => "start",
            NodeKind::End => "end",
            NodeKind::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    pub style: EdgeStyle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeStyle {
    /// The next thing to run.
    Flow,
    /// Back to the start of a loop's body, for its next iteration.
    Loop,
    /// Only when the run fails.
    Failure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
}

/// The diagram of `workflow`; `args` (as `--arg` gives them, defaults for the rest) count the
/// iterations of a `for` over a parameter.
pub fn graph(program: &Program, workflow: &Workflow, args: &IndexMap<String, Value>) -> Graph {
    build::build(program, workflow, args)
}

/// The diagram of `workflow` as text in `format`.
pub fn render(program: &Program, workflow: &Workflow, args: &IndexMap<String, Value>, format: Format) -> String {
    let graph = graph(program, workflow, args);
    match format {
        Format::Mermaid => mermaid::render(&graph),
        Format::Dot => dot::render(&graph),
    }
}
