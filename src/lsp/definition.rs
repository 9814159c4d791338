//! Go to definition: from a name to where it is declared, in the document or in a module it
//! uses; from a `use` path to the file.
//!
//! Items of the standard library are compiled into `wf`, so there is no file on disk: their
//! location is a `wf-std:///models.wf` URI, whose text the server gives in answer to
//! `workspace/textDocumentContent` (LSP 3.18; `std_text`). Clients show it read-only.

use lsp_types::{GotoDefinitionResponse, Location, Position, Range, Url};

use crate::span::Span;
use crate::syntax::ast;

use super::analysis::Analysis;
use super::documents::Document;
use super::index::{Index, Symbol};
use super::position::LineIndex;

pub fn definition(document: &Document, uri: &Url, offset: usize) -> Option<GotoDefinitionResponse> {
    let analysis = document.analysis.as_deref()?;
    let index = analysis.index();
    let location = match index.at(offset) {
        Some(occurrence) => match target(analysis, index, &occurrence.symbol)? {
            (0, Some(span)) => Location::new(uri.clone(), document.lines.range(&document.text, span)),
            (module, span) => module_location(analysis, module, span)?,
        },
        None => module_location(analysis, index.use_at(offset)?.module?, None)?,
    };
    Some(GotoDefinitionResponse::Scalar(location))
}

/// The module a symbol is declared in and where (`None`: the module itself).
fn target(analysis: &Analysis, index: &Index, symbol: &Symbol) -> Option<(usize, Option<Span>)> {
    Some(match symbol {
        Symbol::Step { workflow, name } => (0, Some(index.workflows[*workflow].steps.get(name)?.name_span)),
        Symbol::Field { workflow, step, field } => {
            let info = &index.workflows[*workflow];
            // Values every step has are declared by the step itself.
            let declared = info.field_decls.get(&(step.clone(), field.clone())).copied();
            (0, Some(declared.or_else(|| info.steps.get(step).map(|decl| decl.name_span))?))
        }
        Symbol::Param { module, workflow, name } => {
            let params = analysis.loaded.modules[*module].ast.items.iter().find_map(|item| match item {
                ast::Item::Workflow(item) if item.name.name == *workflow => Some(&item.params),
                _ => None,
            })?;
            (*module, Some(params.iter().find(|param| param.name.name == *name)?.name.span))
        }
        Symbol::LoopVar { decl } => (0, Some(*decl)),
        Symbol::Item { kind, module, name } => {
            (*module, Some(index.modules[*module].items(*kind).get(name)?.name_span))
        }
        Symbol::Module { alias } => (index.modules[0].aliases.get(alias)?.0?, None),
    })
}

/// A place in another module: a file on disk, or a `wf-std:` document for the standard
/// library.
fn module_location(analysis: &Analysis, module: usize, span: Option<Span>) -> Option<Location> {
    let source = analysis.loaded.modules.get(module)?;
    let file = analysis.loaded.sources.get(source.file);
    let uri = match &source.std_name {
        Some(name) => std_uri(name.strip_prefix("std/")?)?,
        None => Url::from_file_path(&file.name).ok()?,
    };
    let range = match span {
        Some(span) => LineIndex::new(&file.text).range(&file.text, span),
        None => Range::new(Position::new(0, 0), Position::new(0, 0)),
    };
    Some(Location::new(uri, range))
}

/// The URI scheme of the standard library's modules, which exist only inside `wf`.
pub const STD_SCHEME: &str = "wf-std";

/// `wf-std:///flows/bug_fix.wf` for `std/flows/bug_fix`.
fn std_uri(path: &str) -> Option<Url> {
    Url::parse(&format!("{STD_SCHEME}:///{path}.wf")).ok()
}

/// The text of a `wf-std:` URI's module; `None` for any other URI.
pub fn std_text(uri: &Url) -> Option<&'static str> {
    if uri.scheme() != STD_SCHEME {
        return None;
    }
    let path = uri.path().strip_prefix('/')?.strip_suffix(".wf")?;
    crate::stdlib::module(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_std_module_has_a_uri_that_reads_back() {
        for (path, text) in crate::stdlib::MODULES {
            let uri = std_uri(path).expect("a valid URI");
            assert_eq!(std_text(&uri), Some(*text), "{uri}");
        }
        let file = Url::parse("file:///models.wf").expect("a valid URI");
        assert_eq!(std_text(&file), None);
    }
}
