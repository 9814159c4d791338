//! The open documents: their text, kept in step with the editor's edits (incremental sync:
//! each change replaces a range), and what checking them last found.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use std::rc::Rc;

use indexmap::IndexSet;
use lsp_types::{TextDocumentContentChangeEvent, Url};

use crate::load::{normalise, ModuleCache};
use crate::syntax::{ast, reparse};

use super::analysis::Analysis;
use super::position::LineIndex;

pub struct Document {
    pub version: i32,
    pub text: String,
    pub lines: LineIndex,
    /// The file's path, for `file:` URIs: where its relative `use` paths start, and how the
    /// documents that use it find its text.
    pub path: Option<PathBuf>,
    /// The last check, of the current text unless the document is in [`Documents::dirty`].
    pub analysis: Option<Rc<Analysis>>,
    /// The last check of a text without syntax errors. The parser drops an item with a
    /// syntax error, and the text being typed often has one: completion falls back on this.
    pub parsed: Option<Rc<Analysis>>,
    /// The parse of the current text while it has no syntax error (`None` otherwise): an edit
    /// inside one statement parses that statement again and splices it in here
    /// ([`reparse::splice`]) instead of parsing the whole text.
    pub tree: Option<ast::File>,
}

impl Document {
    /// Applies one change: a range replaced, or (without a range) the whole text.
    pub fn apply(&mut self, change: TextDocumentContentChangeEvent) {
        match change.range {
            Some(range) => {
                let start = self.lines.offset(&self.text, range.start);
                let end = self.lines.offset(&self.text, range.end).max(start);
                self.text.replace_range(start..end, &change.text);
                if let Some(tree) = &mut self.tree {
                    if !reparse::splice(tree, &self.text, start, end, change.text.len()) {
                        self.tree = None;
                    }
                }
            }
            None => {
                self.text = change.text;
                self.tree = None;
            }
        }
        self.lines = LineIndex::new(&self.text);
    }
}

/// The open documents, and which of them need checking again.
#[derive(Default)]
pub struct Documents {
    open: HashMap<Url, Document>,
    /// The parses of the modules the documents use, so that an edit parses none of them.
    modules: ModuleCache,
    /// Changed since they were last checked (or using a module that changed), in order.
    dirty: IndexSet<Url>,
}

impl Documents {
    pub fn get(&self, uri: &Url) -> Option<&Document> {
        self.open.get(uri)
    }

    pub fn open(&mut self, uri: Url, version: i32, text: String) {
        let path = uri.to_file_path().ok().map(|path| normalise(&path));
        let lines = LineIndex::new(&text);
        let document = Document { version, text, lines, path, analysis: None, parsed: None, tree: None };
        self.dependents_changed(&uri, document.path.as_deref());
        self.dirty.insert(uri.clone());
        self.open.insert(uri, document);
    }

    pub fn change(&mut self, uri: &Url, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        let Some(document) = self.open.get_mut(uri) else { return };
        document.version = version;
        for change in changes {
            document.apply(change);
        }
        let path = document.path.clone();
        self.dirty.insert(uri.clone());
        self.dependents_changed(uri, path.as_deref());
    }

    /// Forgets a document; the ones using it read it from disk again.
    pub fn close(&mut self, uri: &Url) {
        self.dirty.shift_remove(uri);
        if let Some(document) = self.open.remove(uri) {
            self.dependents_changed(uri, document.path.as_deref());
        }
    }

    /// Marks every other open document that uses the file at `path` for checking.
    fn dependents_changed(&mut self, uri: &Url, path: Option<&Path>) {
        let Some(path) = path else { return };
        for (other, document) in &self.open {
            let uses = document.analysis.as_ref().is_some_and(|analysis| analysis.uses(path));
            if other != uri && uses {
                self.dirty.insert(other.clone());
            }
        }
    }

    /// Checks every dirty document again; returns them, for publishing, and the checks they
    /// replaced.
    pub fn refresh(&mut self, read: &dyn Fn(&Path) -> io::Result<String>) -> (Vec<Url>, Retired) {
        let mut retired = Retired(Vec::new());
        let dirty: Vec<Url> = self.dirty.drain(..).filter(|uri| self.open.contains_key(uri)).collect();
        for uri in &dirty {
            let analysis = {
                let Some(document) = self.open.get(uri) else { continue };
                let name = match &document.path {
                    Some(path) => path.display().to_string(),
                    None => uri.to_string(),
                };
                let has_folder = document.path.is_some();
                // Modules come from open documents first: what the editor shows, saved or not.
                let read_module = |path: &Path| -> io::Result<String> {
                    if let Some(open) = self.open.values().find(|open| open.path.as_deref() == Some(path)) {
                        return Ok(open.text.clone());
                    }
                    if !has_folder {
                        return Err(io::Error::new(io::ErrorKind::NotFound, "an unsaved document has no folder"));
                    }
                    read(path)
                };
                Analysis::new(&name, &document.text, document.tree.clone(), &read_module, &self.modules)
            };
            if let Some(document) = self.open.get_mut(uri) {
                let analysis = Rc::new(analysis);
                document.tree = match (document.tree.take(), analysis.has_syntax_errors()) {
                    (_, true) => None,
                    (Some(tree), false) => Some(tree),
                    (None, false) => analysis.loaded.modules.first().map(|module| module.ast.clone()),
                };
                if !analysis.has_syntax_errors() {
                    retired.0.extend(document.parsed.replace(Rc::clone(&analysis)));
                }
                retired.0.extend(document.analysis.replace(analysis));
            }
        }
        (dirty, retired)
    }
}

/// Checks replaced by newer ones. Freeing a large file's trees takes milliseconds: drop this
/// after the new diagnostics are out, not before.
pub struct Retired(Vec<Rc<Analysis>>);
