//! From a workflow's statements to nodes, clusters and edges. Each statement becomes a piece
//! of graph with one way in and the ways out of it ([`Ports`]); a sequence joins each piece's
//! ways out to the next piece's way in.

use indexmap::IndexMap;

use super::label::{self, clip, pack};
use super::{Cluster, ClusterKind, Edge, EdgeStyle, Graph, Item, Node as GraphNode, NodeKind};
use crate::ir::eval::{eval, Env};
use crate::ir::{ExprKind, Node, Program, StepIdx, Value, Workflow};

pub(super) fn build(program: &Program, workflow: &Workflow, args: &IndexMap<String, Value>) -> Graph {
    let mut builder = Builder { program, workflow, args, next: 0, edges: Vec::new() };
    let mut items = Vec::new();
    let start = builder.node(&mut items, NodeKind::Start, vec!["start".into()]);
    let body = builder.sequence(&workflow.body, &mut items);
    let mut exits = vec![Exit::plain(&start)];
    if let Some(entry) = &body.entry {
        builder.connect(&exits, entry, EdgeStyle::Flow);
        exits = body.exits;
    }

    // `on failure` runs when the run fails, wherever that happens.
    let mut failure_exits = Vec::new();
    if !workflow.on_failure.is_empty() {
        let failed = builder.node(&mut items, NodeKind::Failed, vec!["failed".into()]);
        let handler = builder.cluster(&mut items, ClusterKind::Handler, vec!["on failure".into()], |builder, inner| {
            builder.sequence(&workflow.on_failure, inner)
        });
        if let Some(entry) = &handler.entry {
            builder.connect(&[Exit::plain(&failed)], entry, EdgeStyle::Failure);
        }
        failure_exits = handler.exits;
    }
    if !workflow.finally.is_empty() {
        let handler = builder.cluster(&mut items, ClusterKind::Handler, vec!["finally".into()], |builder, inner| {
            builder.sequence(&workflow.finally, inner)
        });
        if let Some(entry) = &handler.entry {
            builder.connect(&exits, entry, EdgeStyle::Flow);
            builder.connect(&failure_exits, entry, EdgeStyle::Failure);
            exits = handler.exits;
            failure_exits = Vec::new();
        }
    }
    let end = builder.node(&mut items, NodeKind::End, vec!["end".into()]);
    builder.connect(&exits, &end, EdgeStyle::Flow);
    builder.connect(&failure_exits, &end, EdgeStyle::Failure);

    Graph { title: workflow.name.clone(), notes: label::workflow(workflow), items, edges: builder.edges }
}

/// A way out of a piece of graph: the node it leaves from, and the label its edge carries
/// (the condition of an `if` branch with nothing in it).
#[derive(Debug, Clone)]
struct Exit {
    from: String,
    label: Option<String>,
}

impl Exit {
    fn plain(from: &str) -> Exit {
        Exit { from: from.to_string(), label: None }
    }
}

/// Where flow enters a piece (none when the piece is empty), and where it leaves (none after
/// a `fail`).
#[derive(Debug, Clone, Default)]
struct Ports {
    entry: Option<String>,
    exits: Vec<Exit>,
}

impl Ports {
    fn single(id: &str) -> Ports {
        Ports { entry: Some(id.to_string()), exits: vec![Exit::plain(id)] }
    }
}

struct Builder<'p> {
    program: &'p Program,
    workflow: &'p Workflow,
    args: &'p IndexMap<String, Value>,
    next: usize,
    edges: Vec<Edge>,
}

impl Builder<'_> {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    fn node(&mut self, items: &mut Vec<Item>, kind: NodeKind, lines: Vec<String>) -> String {
        let id = self.id("n");
        items.push(Item::Node(GraphNode { id: id.clone(), kind, lines }));
        id
    }

    fn connect(&mut self, exits: &[Exit], to: &str, style: EdgeStyle) {
        for exit in exits {
            self.edges.push(Edge { from: exit.from.clone(), to: to.to_string(), label: exit.label.clone(), style });
        }
    }

    /// A back edge from each way out of a loop's body to its start; an exit's own label
    /// (an `if` branch) says more than the loop's.
    fn loop_back(&mut self, exits: &[Exit], to: &str, label: &str) {
        for exit in exits {
            let label = exit.label.clone().unwrap_or_else(|| label.to_string());
            self.edges.push(Edge {
                from: exit.from.clone(),
                to: to.to_string(),
                label: Some(label),
                style: EdgeStyle::Loop,
            });
        }
    }

    /// A cluster holding what `fill` builds; an empty one holds a placeholder, so that flow
    /// still passes through it.
    fn cluster(
        &mut self,
        items: &mut Vec<Item>,
        kind: ClusterKind,
        lines: Vec<String>,
        fill: impl FnOnce(&mut Self, &mut Vec<Item>) -> Ports,
    ) -> Ports {
        let id = self.id("c");
        let mut inner = Vec::new();
        let mut ports = fill(self, &mut inner);
        if ports.entry.is_none() {
            let empty = self.node(&mut inner, NodeKind::Empty, vec!["empty".into()]);
            ports = Ports::single(&empty);
        }
        items.push(Item::Cluster(Cluster { id, kind, lines, items: inner }));
        ports
    }

    fn sequence(&mut self, nodes: &[Node], items: &mut Vec<Item>) -> Ports {
        let mut entry = None;
        let mut exits: Option<Vec<Exit>> = None;
        for node in nodes {
            let piece = self.statement(node, items);
            let Some(piece_entry) = piece.entry else { continue };
            match &exits {
                Some(previous) => self.connect(previous, &piece_entry, EdgeStyle::Flow),
                None => entry = Some(piece_entry),
            }
            exits = Some(piece.exits);
        }
        Ports { entry, exits: exits.unwrap_or_default() }
    }

    fn name(&self, step: Option<StepIdx>) -> Option<&str> {
        step.and_then(|step| self.workflow.steps.get(step.0)).map(|step| step.name.as_str())
    }

    fn statement(&mut self, node: &Node, items: &mut Vec<Item>) -> Ports {
        match node {
            Node::Step(index) => {
                let Some(step) = self.workflow.steps.get(index.0) else { return Ports::default() };
                let (kind, lines) = label::step(self.program, step);
                let id = self.node(items, kind, lines);
                Ports::single(&id)
            }
            Node::Phase { step, body, control } => {
                let mut lines = vec![self.name(Some(*step)).unwrap_or("phase").to_string()];
                lines.extend(label::control(control));
                self.cluster(items, ClusterKind::Phase, lines, |builder, inner| builder.sequence(body, inner))
            }
            Node::Parallel { step, max, body, control, .. } => {
                let mut title = match self.name(*step) {
                    Some(name) => format!("parallel {name}"),
                    None => "parallel".to_string(),
                };
                if let Some(max) = max {
                    title.push_str(&format!(" max {}", max.expr));
                }
                let mut parts = vec![title];
                parts.extend(label::control(control));
                let fork = self.node(items, NodeKind::Fork, pack(parts));
                let mut exits = Vec::new();
                for child in body {
                    let piece = self.statement(child, items);
                    match piece.entry {
                        Some(entry) => {
                            self.connect(&[Exit::plain(&fork)], &entry, EdgeStyle::Flow);
                            exits.extend(piece.exits);
                        }
                        None => exits.push(Exit::plain(&fork)),
                    }
                }
                if body.is_empty() {
                    exits.push(Exit::plain(&fork));
                }
                let join = self.node(items, NodeKind::Join, vec!["join".into()]);
                self.connect(&exits, &join, EdgeStyle::Flow);
                Ports { entry: Some(fork), exits: vec![Exit::plain(&join)] }
            }
            Node::If { branches, otherwise, .. } => {
                let decision = self.node(items, NodeKind::Decision, vec!["if".into()]);
                let mut exits = Vec::new();
                let arms = branches
                    .iter()
                    .map(|branch| (clip(&branch.cond.to_string()), branch.body.as_slice()))
                    .chain([("else".to_string(), otherwise.as_slice())]);
                for (condition, body) in arms {
                    let piece = self.sequence(body, items);
                    match piece.entry {
                        Some(entry) => {
                            let arm = Exit { from: decision.clone(), label: Some(condition) };
                            self.connect(&[arm], &entry, EdgeStyle::Flow);
                            exits.extend(piece.exits);
                        }
                        None => exits.push(Exit { from: decision.clone(), label: Some(condition) }),
                    }
                }
                Ports { entry: Some(decision), exits }
            }
            Node::Repeat { step, max, until, body, control, .. } => {
                let title = match self.name(*step) {
                    Some(name) => format!("repeat {name} ×{}", max.expr),
                    None => format!("repeat ×{}", max.expr),
                };
                let mut lines = vec![title];
                lines.extend(label::control(control));
                self.cluster(items, ClusterKind::Repeat, lines, |builder, inner| {
                    let body = builder.sequence(body, inner);
                    let Some(entry) = body.entry.clone() else { return body };
                    match until {
                        // `until` is read after each iteration: a decision at the end of the body.
                        Some(until) => {
                            let check = builder.node(inner, NodeKind::Decision, vec![clip(&format!("until {until}"))]);
                            builder.connect(&body.exits, &check, EdgeStyle::Flow);
                            builder.loop_back(&[Exit::plain(&check)], &entry, "not yet");
                            Ports { entry: Some(entry), exits: vec![Exit::plain(&check)] }
                        }
                        None => {
                            builder.loop_back(&body.exits, &entry, "again");
                            body
                        }
                    }
                })
            }
            Node::For { step, index, var, iter, parallel, body, control, .. } => {
                let length = match eval(iter, &Params { workflow: self.workflow, args: self.args }) {
                    Ok(Value::List(values)) => format!(" ×{}", values.len()),
                    _ => String::new(),
                };
                // A constant list is folded to its elements: its count says enough.
                let source = match &iter.kind {
                    ExprKind::Value(_) | ExprKind::List(_) => String::new(),
                    _ => format!(" in {}", clip(&iter.to_string())),
                };
                let vars = match index {
                    Some(index) => format!("{index}, {var}"),
                    None => var.clone(),
                };
                let title = match self.name(*step) {
                    Some(name) => format!("{name}: for {vars}{source}{length}"),
                    None => format!("for {vars}{source}{length}"),
                };
                let mut parts = Vec::new();
                match parallel {
                    Some(Some(max)) => parts.push(format!("parallel max {}", max.expr)),
                    Some(None) => parts.push("parallel".to_string()),
                    None => {}
                }
                parts.extend(label::control(control));
                let mut lines = vec![title];
                lines.extend(parts);
                self.cluster(items, ClusterKind::For, lines, |builder, inner| {
                    let body = builder.sequence(body, inner);
                    // Iterations one after another loop back; parallel ones run side by side.
                    if let (None, Some(entry)) = (parallel, &body.entry) {
                        builder.loop_back(&body.exits, entry, &format!("next {var}"));
                    }
                    body
                })
            }
            Node::Fail { message, .. } => {
                let id = self.node(items, NodeKind::Fail, vec!["fail".into(), clip(&message.to_string())]);
                Ports { entry: Some(id), exits: Vec::new() }
            }
        }
    }
}

/// Parameters as `--arg` gave them, else at their defaults: enough to count a `for` list.
struct Params<'w> {
    workflow: &'w Workflow,
    args: &'w IndexMap<String, Value>,
}

impl Env for Params<'_> {
    fn param(&self, name: &str) -> Option<Value> {
        if let Some(value) = self.args.get(name) {
            return Some(value.clone());
        }
        self.workflow.params.iter().find(|param| param.name == name).and_then(|param| param.default.clone())
    }
}
