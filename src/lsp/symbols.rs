//! Document symbols: the outline of a file. Items at the top; inside a workflow its phases,
//! and inside those its steps and named blocks, nested as written. Unnamed blocks (`if`,
//! an unnamed `parallel`) add no level: their steps sit in the enclosing symbol.

use lsp_types::{DocumentSymbol, SymbolKind};

use crate::span::Span;
use crate::syntax::ast::{self, Entry, Item, Stmt};

use super::documents::Document;

pub fn symbols(document: &Document) -> Option<Vec<DocumentSymbol>> {
    let analysis = document.analysis.as_deref()?;
    let outline = Outline { document };
    let ast = &analysis.loaded.modules.first()?.ast;
    Some(ast.items.iter().filter_map(|item| outline.item(item)).collect())
}

struct Outline<'d> {
    document: &'d Document,
}

impl Outline<'_> {
    #[allow(deprecated)] // `DocumentSymbol::deprecated` must be given; `tags` replaces it.
    fn symbol(
        &self,
        name: &str,
        detail: &str,
        kind: SymbolKind,
        span: Span,
        name_span: Span,
        children: Vec<DocumentSymbol>,
    ) -> DocumentSymbol {
        let (text, lines) = (&self.document.text, &self.document.lines);
        DocumentSymbol {
            name: name.to_string(),
            detail: Some(detail.to_string()),
            kind,
            tags: None,
            deprecated: None,
            range: lines.range(text, span),
            selection_range: lines.range(text, name_span),
            children: (!children.is_empty()).then_some(children),
        }
    }

    fn item(&self, item: &Item) -> Option<DocumentSymbol> {
        Some(match item {
            Item::Use(item) => {
                let (name, span) = crate::check::use_name(item)?;
                self.symbol(&name, "module", SymbolKind::MODULE, item.span, span, Vec::new())
            }
            Item::Const(item) => {
                self.symbol(&item.name.name, "const", SymbolKind::CONSTANT, item.span, item.name.span, Vec::new())
            }
            Item::Model(item) => {
                self.symbol(&item.name.name, "model", SymbolKind::STRUCT, item.span, item.name.span, Vec::new())
            }
            Item::Provider(item) => {
                self.symbol(&item.name.name, "provider", SymbolKind::INTERFACE, item.span, item.name.span, Vec::new())
            }
            Item::Workflow(item) => {
                let mut children: Vec<DocumentSymbol> = item
                    .params
                    .iter()
                    .map(|param| {
                        self.symbol(
                            &param.name.name,
                            "parameter",
                            SymbolKind::VARIABLE,
                            param.span,
                            param.name.span,
                            Vec::new(),
                        )
                    })
                    .collect();
                self.block(&item.body, &mut children);
                self.symbol(&item.name.name, "workflow", SymbolKind::FUNCTION, item.span, item.name.span, children)
            }
        })
    }

    /// The symbols of a block's statements, added to `out`.
    fn block(&self, block: &ast::Block, out: &mut Vec<DocumentSymbol>) {
        for entry in &block.entries {
            if let Entry::Stmt(stmt) = entry {
                self.stmt(stmt, out);
            }
        }
    }

    fn stmt(&self, stmt: &Stmt, out: &mut Vec<DocumentSymbol>) {
        let leaf = |name: &ast::Ident, detail: &str, kind: SymbolKind, span: Span| {
            self.symbol(&name.name, detail, kind, span, name.span, Vec::new())
        };
        match stmt {
            Stmt::Run(run) => out.push(leaf(&run.name, "run", SymbolKind::FUNCTION, run.span)),
            Stmt::Agent(agent) => out.push(leaf(&agent.name, "agent", SymbolKind::OBJECT, agent.span)),
            Stmt::Call(call) => out.push(leaf(&call.name, "call", SymbolKind::METHOD, call.span)),
            Stmt::Gate(gate) => out.push(leaf(&gate.name, "gate", SymbolKind::BOOLEAN, gate.span)),
            Stmt::Wait(wait) => out.push(leaf(&wait.name, "wait", SymbolKind::EVENT, wait.span)),
            Stmt::Watch(watch) => out.push(leaf(&watch.name, "watch", SymbolKind::EVENT, watch.span)),
            Stmt::Phase(phase) => {
                self.named(Some(&phase.name), "phase", SymbolKind::NAMESPACE, phase.span, &phase.body, out)
            }
            Stmt::Parallel(parallel) => {
                self.named(parallel.name.as_ref(), "parallel", SymbolKind::ARRAY, parallel.span, &parallel.body, out);
            }
            Stmt::Repeat(repeat) => {
                self.named(repeat.name.as_ref(), "repeat", SymbolKind::ARRAY, repeat.span, &repeat.body, out);
            }
            Stmt::For(each) => self.named(each.name.as_ref(), "for", SymbolKind::ARRAY, each.span, &each.body, out),
            Stmt::If(branch) => {
                for (_, block) in &branch.branches {
                    self.block(block, out);
                }
                if let Some(block) = &branch.otherwise {
                    self.block(block, out);
                }
            }
            Stmt::OnFailure(handler) => {
                let mut children = Vec::new();
                self.block(&handler.body, &mut children);
                let keyword = Span::new(handler.span.start, handler.body.span.start);
                out.push(self.symbol("on failure", "handler", SymbolKind::EVENT, handler.span, keyword, children));
            }
            Stmt::Finally(handler) => {
                let mut children = Vec::new();
                self.block(&handler.body, &mut children);
                let keyword = Span::new(handler.span.start, handler.body.span.start);
                out.push(self.symbol("finally", "handler", SymbolKind::EVENT, handler.span, keyword, children));
            }
            Stmt::Fail(_) => {}
        }
    }

    /// A block with a name is a symbol holding its statements; without one, its statements
    /// belong to the enclosing symbol.
    fn named(
        &self,
        name: Option<&ast::Ident>,
        detail: &str,
        kind: SymbolKind,
        span: Span,
        body: &ast::Block,
        out: &mut Vec<DocumentSymbol>,
    ) {
        match name {
            Some(name) => {
                let mut children = Vec::new();
                self.block(body, &mut children);
                out.push(self.symbol(&name.name, detail, kind, span, name.span, children));
            }
            None => self.block(body, out),
        }
    }
}
