//! Completion: what may be written at the cursor.
//!
//! - after `NAME.`: the step's values, or the items of the module `NAME` names;
//! - after `model` / `provider`: the models or providers in scope;
//! - where an attribute or statement starts: the keywords the enclosing block allows (the
//!   checker's own lists, so the two cannot disagree);
//! - elsewhere in a workflow: the steps declared above the cursor, parameters, loop
//!   variables, constants, modules and functions.
//!
//! The context comes from the text ([`context`]); names come from the last check, or, when
//! the workflow being typed does not parse right now, from the last check that parsed.

mod context;

use lsp_types::{CompletionItem, CompletionItemKind, CompletionResponse};

use crate::check::Place;
use crate::ir::{self, Func, Mode, ProviderKind};

use self::context::{Block, Context};
use super::analysis::Analysis;
use super::documents::Document;
use super::index::{Index, ItemKind, ModuleItems, WorkflowInfo};

const STATEMENTS: &[&str] =
    &["run", "agent", "call", "gate", "wait", "watch", "parallel", "if", "repeat", "for", "fail"];
const ITEMS: &[&str] = &["use", "const", "model", "provider", "workflow"];
const MODEL_ATTRS: &[&str] = &["id", "input", "output", "cached"];
const PROVIDER_ATTRS: &[&str] = &["kind", "url", "command", "key"];

pub fn completion(document: &Document, offset: usize) -> Option<CompletionResponse> {
    let context = context::at(&document.text, offset);
    if context.in_text {
        return None;
    }
    let scope = Scope::find(document, &context, offset)?;
    let mut items = Items::default();
    if let Some(base) = &context.dotted {
        scope.members(base, &context, &mut items);
    } else if let Some(choices) = choices_after(&context) {
        for choice in choices {
            items.add(choice, CompletionItemKind::ENUM_MEMBER, None);
        }
    } else if matches!(context.last(), Some("model" | "provider")) && context.block != Block::Top {
        let kind = if context.last() == Some("model") { ItemKind::Model } else { ItemKind::Provider };
        scope.items_of_kind(kind, &mut items);
    } else if let Some(word) = context.watch_head() {
        items.add(word, CompletionItemKind::KEYWORD, Some("watch"));
    } else if context.entry_start() {
        keywords(context.block, &mut items);
    } else if context.block != Block::Top {
        scope.names(offset, &mut items);
    }
    Some(CompletionResponse::Array(items.0))
}

/// The words that may follow `mode`, `kind`, `risk`, `on failure` and a workflow's `budget … per`.
fn choices_after(context: &Context) -> Option<Vec<&'static str>> {
    let previous = context.previous.len().checked_sub(2).map(|at| context.previous[at].as_str());
    Some(match context.last()? {
        "mode" if context.block == Block::Workflow => Mode::NAMES.to_vec(),
        "kind" if context.block == Block::Provider => ProviderKind::NAMES.to_vec(),
        "risk" => vec!["low", "high"],
        "per" if context.block == Block::Workflow && context.previous.iter().any(|token| token == "budget") => {
            ir::Period::NAMES.to_vec()
        }
        "failure" if previous == Some("on") => ir::FailurePolicy::NAMES.to_vec(),
        _ => return None,
    })
}

fn keywords(block: Block, items: &mut Items) {
    let place = match block {
        Block::Top => {
            ITEMS.iter().for_each(|word| items.add(word, CompletionItemKind::KEYWORD, None));
            return;
        }
        Block::Model => {
            MODEL_ATTRS.iter().for_each(|word| items.add(word, CompletionItemKind::KEYWORD, None));
            return;
        }
        Block::Provider => {
            PROVIDER_ATTRS.iter().for_each(|word| items.add(word, CompletionItemKind::KEYWORD, None));
            return;
        }
        Block::Other => return,
        Block::Workflow => Some(Place::Workflow),
        Block::Phase => Some(Place::Phase),
        Block::Parallel => Some(Place::Block("parallel")),
        Block::Repeat => Some(Place::Block("repeat")),
        Block::For => Some(Place::Block("for")),
        Block::Branch | Block::Handler => None,
        Block::Run => Some(Place::Run),
        Block::Agent => Some(Place::Agent),
        Block::Call => Some(Place::Call),
        Block::Gate => Some(Place::Gate),
        Block::Wait => Some(Place::Wait),
        Block::Watch => Some(Place::Watch),
    };
    for attr in place.map(Place::allowed).unwrap_or_default() {
        items.add(attr, CompletionItemKind::KEYWORD, Some("attribute"));
    }
    let statements = matches!(
        block,
        Block::Workflow | Block::Phase | Block::Parallel | Block::Repeat | Block::For | Block::Branch | Block::Handler
    );
    if statements {
        if matches!(block, Block::Workflow | Block::Parallel) {
            items.add("phase", CompletionItemKind::KEYWORD, Some("statement"));
        }
        for word in STATEMENTS {
            items.add(word, CompletionItemKind::KEYWORD, Some("statement"));
        }
    }
    if block == Block::Workflow {
        items.add("on failure", CompletionItemKind::KEYWORD, Some("handler"));
        items.add("finally", CompletionItemKind::KEYWORD, Some("handler"));
    }
}

/// Completion items, each label once.
#[derive(Default)]
struct Items(Vec<CompletionItem>);

impl Items {
    fn add(&mut self, label: &str, kind: CompletionItemKind, detail: Option<&str>) {
        if self.0.iter().any(|item| item.label == label) {
            return;
        }
        self.0.push(CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail: detail.map(str::to_string),
            ..CompletionItem::default()
        });
    }
}

/// Where names come from: a check of the document, and the workflow the cursor is in.
struct Scope<'d> {
    analysis: &'d Analysis,
    workflow: Option<&'d WorkflowInfo>,
    /// Whether `analysis` is of the current text (its positions are the cursor's).
    current: bool,
}

impl<'d> Scope<'d> {
    fn find(document: &'d Document, context: &Context, offset: usize) -> Option<Scope<'d>> {
        let analysis = document.analysis.as_deref()?;
        let index = analysis.index();
        if let Some(workflow) = index.workflow_at(offset) {
            return Some(Scope { analysis, workflow: Some(&index.workflows[workflow]), current: true });
        }
        // The workflow being typed does not parse: use its last version that did.
        let fallback = context.workflow.as_ref().and_then(|name| {
            let parsed = document.parsed.as_deref()?;
            let workflow = parsed.index().workflows.iter().find(|workflow| workflow.name == *name)?;
            Some(Scope { analysis: parsed, workflow: Some(workflow), current: false })
        });
        Some(fallback.unwrap_or(Scope { analysis, workflow: None, current: true }))
    }

    fn index(&self) -> &'d Index {
        self.analysis.index()
    }

    fn root(&self) -> &'d ModuleItems {
        &self.index().modules[0]
    }

    /// After `base.`: a step's values, or a module's items.
    fn members(&self, base: &str, context: &Context, items: &mut Items) {
        if let Some(step) = self.workflow.and_then(|workflow| self.step(workflow, base)) {
            for (field, ty) in &step.fields {
                items.add(field, CompletionItemKind::FIELD, Some(&ty.to_string()));
            }
            return;
        }
        let Some(module) = self.root().aliases.get(base).and_then(|(target, _)| *target) else { return };
        let previous = &context.previous;
        let kind = match context.last() {
            Some("model") => ItemKind::Model,
            Some("provider") => ItemKind::Provider,
            _ if previous.len() >= 2 && previous[previous.len() - 2] == "call" => ItemKind::Workflow,
            _ => ItemKind::Const,
        };
        let detail = item_detail(kind);
        for name in self.index().modules[module].items(kind).keys() {
            items.add(name, item_completion_kind(kind), Some(detail));
        }
    }

    fn step(&self, workflow: &WorkflowInfo, name: &str) -> Option<&'d ir::Step> {
        let decl = workflow.steps.get(name)?;
        self.analysis.step(workflow.ir?, decl.ir?)
    }

    /// Models or providers: the file's own, then the modules that have some.
    fn items_of_kind(&self, kind: ItemKind, items: &mut Items) {
        for name in self.root().items(kind).keys() {
            items.add(name, item_completion_kind(kind), Some(item_detail(kind)));
        }
        if kind == ItemKind::Provider {
            items.add("sim", CompletionItemKind::INTERFACE, Some("built-in provider"));
        }
        for (alias, (target, _)) in &self.root().aliases {
            if target.is_some_and(|target| !self.index().modules[target].items(kind).is_empty()) {
                items.add(alias, CompletionItemKind::MODULE, Some("module"));
            }
        }
    }

    /// The names an expression at `offset` can use.
    fn names(&self, offset: usize, items: &mut Items) {
        if let Some(workflow) = self.workflow {
            for (name, decl) in &workflow.steps {
                // Steps below the cursor, and the ones it is inside, have not run yet there.
                let inside = decl.span.start <= offset && offset <= decl.span.end;
                if decl.name_span.start < offset && !(inside && self.current) {
                    items.add(name, CompletionItemKind::VARIABLE, Some(decl.kind.describe()));
                }
            }
            if self.current {
                for (name, for_span) in workflow.loop_vars.values() {
                    if for_span.start < offset && offset < for_span.end {
                        items.add(name, CompletionItemKind::VARIABLE, Some("loop variable"));
                    }
                }
            }
            let checked = workflow.ir.and_then(|ir| self.analysis.checked.program.workflows.get(ir));
            for name in workflow.params.keys() {
                let ty = checked.and_then(|checked| checked.params.iter().find(|param| param.name == *name));
                let detail = ty.map_or_else(|| "parameter".to_string(), |param| format!("parameter: {}", param.ty));
                items.add(name, CompletionItemKind::VARIABLE, Some(&detail));
            }
        }
        for name in self.root().consts.keys() {
            let value = self.analysis.checked.consts.get(&(0, name.clone()));
            let detail = value.map_or_else(|| "const".to_string(), |value| format!("const: {}", value.ty()));
            items.add(name, CompletionItemKind::CONSTANT, Some(&detail));
        }
        for alias in self.root().aliases.keys() {
            items.add(alias, CompletionItemKind::MODULE, Some("module"));
        }
        for func in Func::NAMES {
            items.add(func, CompletionItemKind::FUNCTION, Some("function"));
        }
        for word in ["true", "false", "not"] {
            items.add(word, CompletionItemKind::KEYWORD, None);
        }
    }
}

fn item_detail(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Const => "const",
        ItemKind::Model => "model",
        ItemKind::Provider => "provider",
        ItemKind::Workflow => "workflow",
    }
}

fn item_completion_kind(kind: ItemKind) -> CompletionItemKind {
    match kind {
        ItemKind::Const => CompletionItemKind::CONSTANT,
        ItemKind::Model => CompletionItemKind::CLASS,
        ItemKind::Provider => CompletionItemKind::INTERFACE,
        ItemKind::Workflow => CompletionItemKind::FUNCTION,
    }
}
