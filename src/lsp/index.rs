//! The names of one document and what each refers to.
//!
//! One walk over the document's AST records every declaration and every reference, resolving
//! names in the checker's order (loop variable, step, parameter, constant, module alias) and
//! `alias.item` through the module the `use` loaded. It works on the tree alone, so it holds
//! whatever parsed even when the checker rejected it; types and values come from the IR (see
//! `hover.rs`). Hover, definition and rename ask it what sits at an offset.

mod walk;

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::check::use_name;
use crate::ir::{Program, StepIdx};
use crate::load::Loaded;
use crate::span::Span;
use crate::syntax::ast::{self, Item};

/// What a name refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// A step or named block of the document's workflow number `workflow` (an index into
    /// [`Index::workflows`]).
    Step { workflow: usize, name: String },
    /// A value of a step: `plan.summary`.
    Field { workflow: usize, step: String, field: String },
    /// A parameter of workflow `workflow` of `module` (an index into `Loaded::modules`).
    Param { module: usize, workflow: String, name: String },
    /// A `for` loop's variable, by where it is declared.
    LoopVar { decl: Span },
    /// A constant, model, provider or workflow of `module`.
    Item { kind: ItemKind, module: usize, name: String },
    /// A module the document uses, by the name its `use` gives it.
    Module { alias: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Const,
    Model,
    Provider,
    Workflow,
}

/// One name in the document: a declaration or a reference.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub span: Span,
    pub symbol: Symbol,
}

/// What statement declared a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Run,
    Agent,
    Call,
    Gate,
    Wait,
    Watch,
    Phase,
    Parallel,
    Repeat,
    For,
}

impl StepKind {
    pub fn describe(self) -> &'static str {
        match self {
            StepKind::Run => "run step",
            StepKind::Agent => "agent step",
            StepKind::Call => "call step",
            StepKind::Gate => "gate",
            StepKind::Wait => "wait step",
            StepKind::Watch => "watch step",
            StepKind::Phase => "phase",
            StepKind::Parallel => "`parallel` block",
            StepKind::Repeat => "`repeat` block",
            StepKind::For => "`for` block",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StepDecl {
    pub name_span: Span,
    /// The whole statement.
    pub span: Span,
    pub kind: StepKind,
    /// The checked step, in the checked workflow's `steps`.
    pub ir: Option<StepIdx>,
}

/// One workflow of the document.
#[derive(Debug, Clone)]
pub struct WorkflowInfo {
    pub name: String,
    pub span: Span,
    /// The checked workflow: an index into `Program::workflows`.
    pub ir: Option<usize>,
    /// Every named step and block, first declaration first (as the checker sees them).
    pub steps: IndexMap<String, StepDecl>,
    pub params: IndexMap<String, Span>,
    pub secrets: Vec<String>,
    /// `for` variables: name, and the span of the `for` statement, by the variable's span.
    pub loop_vars: HashMap<Span, (String, Span)>,
    /// Where `output NAME` and `returns { NAME: T }` declare a step's own values.
    pub field_decls: HashMap<(String, String), Span>,
}

/// An item of a module: where its name is, and the whole item.
#[derive(Debug, Clone, Copy)]
pub struct ItemDecl {
    pub name_span: Span,
    pub span: Span,
}

/// The names one module declares (the first of each, as the checker keeps them).
#[derive(Debug, Clone, Default)]
pub struct ModuleItems {
    /// `use` names: the module loaded (an index into `Loaded::modules`, `None` when the `use`
    /// failed) and the span the name is written at.
    pub aliases: IndexMap<String, (Option<usize>, Span)>,
    pub consts: IndexMap<String, ItemDecl>,
    pub models: IndexMap<String, ItemDecl>,
    pub providers: IndexMap<String, ItemDecl>,
    pub workflows: IndexMap<String, ItemDecl>,
}

impl ModuleItems {
    fn build(loaded: &Loaded, module: usize) -> ModuleItems {
        let source = &loaded.modules[module];
        let mut items = ModuleItems::default();
        let mut uses = source.uses.iter();
        for item in &source.ast.items {
            match item {
                Item::Use(item) => {
                    let target = uses.next().copied().flatten();
                    if let Some((name, span)) = use_name(item) {
                        items.aliases.entry(name).or_insert((target, span));
                    }
                }
                Item::Const(item) => declare(&mut items.consts, &item.name, item.span),
                Item::Model(item) => declare(&mut items.models, &item.name, item.span),
                Item::Provider(item) => declare(&mut items.providers, &item.name, item.span),
                Item::Workflow(item) => declare(&mut items.workflows, &item.name, item.span),
            }
        }
        items
    }

    pub fn items(&self, kind: ItemKind) -> &IndexMap<String, ItemDecl> {
        match kind {
            ItemKind::Const => &self.consts,
            ItemKind::Model => &self.models,
            ItemKind::Provider => &self.providers,
            ItemKind::Workflow => &self.workflows,
        }
    }
}

fn declare(map: &mut IndexMap<String, ItemDecl>, name: &ast::Ident, span: Span) {
    map.entry(name.name.clone()).or_insert(ItemDecl { name_span: name.span, span });
}

/// A `use` item's path, and the module it loaded.
#[derive(Debug, Clone, Copy)]
pub struct UsePath {
    pub span: Span,
    pub module: Option<usize>,
}

/// A literal with a unit, for hover.
#[derive(Debug, Clone)]
pub struct LiteralAt {
    pub span: Span,
    pub value: ast::LitValue,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Index {
    /// Sorted by position.
    pub occurrences: Vec<Occurrence>,
    pub literals: Vec<LiteralAt>,
    pub uses: Vec<UsePath>,
    pub workflows: Vec<WorkflowInfo>,
    /// The items of every loaded module, by module index.
    pub modules: Vec<ModuleItems>,
}

impl Index {
    /// Indexes module 0 of `loaded`, linking its workflows and steps to their checked form
    /// in `program`.
    pub fn build(loaded: &Loaded, program: &Program) -> Index {
        let mut index = Index {
            modules: (0..loaded.modules.len()).map(|module| ModuleItems::build(loaded, module)).collect(),
            ..Index::default()
        };
        walk::file(&mut index, loaded, program);
        index.occurrences.sort_by_key(|occurrence| (occurrence.span.start, occurrence.span.end));
        index.literals.sort_by_key(|literal| literal.span.start);
        index
    }

    /// The name at `offset` (a cursor just after a name is on it).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        let end = self.occurrences.partition_point(|occurrence| occurrence.span.start <= offset);
        self.occurrences[..end]
            .iter()
            .filter(|occurrence| offset <= occurrence.span.end)
            .min_by_key(|occurrence| occurrence.span.len())
    }

    pub fn literal_at(&self, offset: usize) -> Option<&LiteralAt> {
        let end = self.literals.partition_point(|literal| literal.span.start <= offset);
        end.checked_sub(1).map(|last| &self.literals[last]).filter(|literal| offset <= literal.span.end)
    }

    pub fn use_at(&self, offset: usize) -> Option<&UsePath> {
        self.uses.iter().find(|path| path.span.start <= offset && offset <= path.span.end)
    }

    /// Every occurrence of `symbol`, declarations included.
    pub fn occurrences_of<'i>(&'i self, symbol: &'i Symbol) -> impl Iterator<Item = &'i Occurrence> + 'i {
        self.occurrences.iter().filter(move |occurrence| occurrence.symbol == *symbol)
    }

    /// The workflow whose text holds `offset`.
    pub fn workflow_at(&self, offset: usize) -> Option<usize> {
        self.workflows.iter().position(|workflow| workflow.span.start <= offset && offset <= workflow.span.end)
    }
}
