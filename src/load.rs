//! Stage 1b: finding, reading and parsing every module a root file uses.
//!
//! Reading is done through a closure the caller passes, so the library itself does no I/O:
//! the CLI reads the file system, tests and the language server read from memory. The
//! standard library comes from the binary (see [`crate::stdlib`]).

mod error;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

pub use error::LoadError;

use crate::diag::Diagnostic;
use crate::ir::FileId;
use crate::source::{Refused, Sources};
use crate::stdlib;
use crate::suggest::did_you_mean;
use crate::syntax::{self, ast, SyntaxError};

/// One parsed module.
#[derive(Debug)]
pub struct Module {
    pub file: FileId,
    /// `std/models` for a stdlib module, `None` for a file on disk.
    pub std_name: Option<String>,
    pub ast: ast::File,
    /// For each `use` item, in order: the module it loaded (an index into `Loaded::modules`),
    /// or `None` when it could not be loaded (already reported).
    pub uses: Vec<Option<usize>>,
}

/// The root module (index 0) and everything it uses, with the problems found on the way.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: Sources,
    pub modules: Vec<Module>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Where a module's text comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Origin {
    Std(String),
    Path(PathBuf),
}

/// Loads `root` and, transitively, the modules it uses. `read` returns a file's text; an
/// error reading the root itself is returned, errors reading modules become diagnostics.
pub fn load(root: &Path, read: &dyn Fn(&Path) -> io::Result<String>) -> io::Result<Loaded> {
    let text = read(root)?;
    let mut loader = Loader::new(read, None);
    let name = root.display().to_string();
    loader.add(Origin::Path(normalise(root)), name, text, None);
    Ok(loader.loaded)
}

/// Loads a root given as text (for tests, `--stdin` and the language server).
pub fn load_text(name: &str, text: &str, read: &dyn Fn(&Path) -> io::Result<String>) -> Loaded {
    let mut loader = Loader::new(read, None);
    loader.add(Origin::Path(normalise(Path::new(name))), name.to_string(), text.to_string(), None);
    loader.loaded
}

/// [`load_text`] for a caller that loads again and again (the language server): the modules
/// come from `cache` when their text has not changed, and `root`, when given, is the parse of
/// `text` without syntax errors, already made.
pub fn load_text_cached(
    name: &str,
    text: &str,
    root: Option<ast::File>,
    read: &dyn Fn(&Path) -> io::Result<String>,
    cache: &ModuleCache,
) -> Loaded {
    let mut loader = Loader::new(read, Some(cache));
    let root = root.map(|file| (file, Vec::new()));
    loader.add(Origin::Path(normalise(Path::new(name))), name.to_string(), text.to_string(), root);
    loader.loaded
}

/// The parses of the modules a root used, kept between loads: by where each came from, with
/// the text it was parsed from (a module whose text changed is parsed again). One entry per
/// module, so it grows with the modules used, not with the edits.
#[derive(Debug, Default)]
pub struct ModuleCache {
    parsed: RefCell<HashMap<Origin, CachedModule>>,
}

/// A module's text, and its tree and syntax errors.
type CachedModule = (String, ast::File, Vec<SyntaxError>);

impl ModuleCache {
    /// The parse of `text`, the module at `origin`: from the cache when it holds this text.
    fn parse(&self, origin: &Origin, text: &str) -> (ast::File, Vec<SyntaxError>) {
        if let Some((cached, file, errors)) = self.parsed.borrow().get(origin) {
            if cached == text {
                return (file.clone(), errors.clone());
            }
        }
        let parsed = syntax::parse(text);
        let kept = (text.to_string(), parsed.file.clone(), parsed.errors.clone());
        self.parsed.borrow_mut().insert(origin.clone(), kept);
        (parsed.file, parsed.errors)
    }
}

struct Loader<'a> {
    loaded: Loaded,
    by_origin: HashMap<Origin, usize>,
    /// Modules being loaded, outermost first: a `use` of one of these is a cycle.
    stack: Vec<usize>,
    read: &'a dyn Fn(&Path) -> io::Result<String>,
    cache: Option<&'a ModuleCache>,
}

impl<'a> Loader<'a> {
    fn new(read: &'a dyn Fn(&Path) -> io::Result<String>, cache: Option<&'a ModuleCache>) -> Loader<'a> {
        Loader { loaded: Loaded::default(), by_origin: HashMap::new(), stack: Vec::new(), read, cache }
    }

    /// Adds the module at `origin`, parsing `text` unless `parsed` is its parse already.
    fn add(
        &mut self,
        origin: Origin,
        name: String,
        text: String,
        parsed: Option<(ast::File, Vec<SyntaxError>)>,
    ) -> usize {
        let (ast, errors) = match (parsed, self.cache) {
            (Some(parsed), _) => parsed,
            (None, Some(cache)) => cache.parse(&origin, &text),
            (None, None) => {
                let parsed = syntax::parse(&text);
                (parsed.file, parsed.errors)
            }
        };
        let file = self.loaded.sources.add(name, text);
        for error in errors {
            self.loaded.diagnostics.push(Diagnostic::new(file, error));
        }
        let std_name = match &origin {
            Origin::Std(path) => Some(format!("std/{path}")),
            Origin::Path(_) => None,
        };
        let index = self.loaded.modules.len();
        self.loaded.modules.push(Module { file, std_name, ast, uses: Vec::new() });
        self.by_origin.insert(origin.clone(), index);
        self.stack.push(index);

        let targets: Vec<ast::Use> = self.loaded.modules[index]
            .ast
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Use(item) => Some(item.clone()),
                _ => None,
            })
            .collect();
        let mut uses = Vec::with_capacity(targets.len());
        for item in &targets {
            uses.push(self.resolve(index, &origin, item));
        }
        self.loaded.modules[index].uses = uses;
        self.stack.pop();
        index
    }

    fn resolve(&mut self, from: usize, from_origin: &Origin, item: &ast::Use) -> Option<usize> {
        let file = self.loaded.modules[from].file;
        let (origin, span) = match &item.target {
            ast::UseTarget::Std { path, span } => {
                let joined: Vec<&str> = path.iter().map(|segment| segment.name.as_str()).collect();
                (Origin::Std(joined.join("/")), *span)
            }
            // The parser leaves the path empty when it rejected it; that is reported already.
            ast::UseTarget::Path { path, .. } if path.is_empty() => return None,
            ast::UseTarget::Path { path, span } => match from_origin {
                Origin::Std(base) => {
                    let dir = Path::new(base).parent().unwrap_or(Path::new(""));
                    let joined = normalise(&dir.join(path));
                    let name = joined.with_extension("").display().to_string();
                    (Origin::Std(name), *span)
                }
                Origin::Path(base) => {
                    let dir = base.parent().unwrap_or(Path::new(""));
                    (Origin::Path(normalise(&dir.join(path))), *span)
                }
            },
        };

        if let Some(&existing) = self.by_origin.get(&origin) {
            if let Some(position) = self.stack.iter().position(|&m| m == existing) {
                let mut chain: Vec<String> = self.stack[position..]
                    .iter()
                    .map(|&m| self.loaded.sources.get(self.loaded.modules[m].file).name.clone())
                    .collect();
                chain.push(self.loaded.sources.get(self.loaded.modules[existing].file).name.clone());
                self.loaded
                    .diagnostics
                    .push(Diagnostic::new(file, LoadError::ImportCycle { chain: chain.join(" → "), span }));
                return None;
            }
            return Some(existing);
        }

        match &origin {
            Origin::Std(path) => match stdlib::module(path) {
                Some(text) => Some(self.add(origin.clone(), format!("std/{path}"), text.to_string(), None)),
                None => {
                    let names = stdlib::MODULES.iter().map(|(name, _)| *name);
                    let help = did_you_mean(path, names).map(|name| format!("did you mean `std/{name}`?"));
                    self.loaded
                        .diagnostics
                        .push(Diagnostic::new(file, LoadError::UnknownStdModule { name: path.clone(), span, help }));
                    None
                }
            },
            Origin::Path(path) => match (self.read)(path) {
                Ok(text) => Some(self.add(origin.clone(), path.display().to_string(), text, None)),
                Err(error) if Refused::of(&error).is_some() => {
                    let reason = Refused::of(&error).map(ToString::to_string).unwrap_or_default();
                    let path = path.display().to_string();
                    self.loaded
                        .diagnostics
                        .push(Diagnostic::new(file, LoadError::ModuleRefused { path, reason, span }));
                    None
                }
                Err(error) => {
                    self.loaded.diagnostics.push(Diagnostic::new(
                        file,
                        LoadError::ModuleNotFound {
                            path: path.display().to_string(),
                            reason: describe_io(&error),
                            span,
                        },
                    ));
                    None
                }
            },
        }
    }
}

/// An I/O error in words that do not depend on the platform.
fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        io::ErrorKind::InvalidData => "it is not UTF-8 text".to_string(),
        _ => error.to_string(),
    }
}

/// Removes `.` and resolves `..` without touching the file system.
pub(crate) fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            // `..` cancels a name before it; at the root it stays there; after nothing or
            // another `..` it is kept, so `../../x` still leaves two levels up.
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                Some(Component::CurDir | Component::ParentDir) | None => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_keeps_leading_parent_directories() {
        let cases = [
            ("../../examples/shared/checks.wf", "../../examples/shared/checks.wf"),
            ("examples/./shared/../checks.wf", "examples/checks.wf"),
            ("a/../../b", "../b"),
            ("/../a", "/a"),
            ("./x.wf", "x.wf"),
        ];
        for (path, expected) in cases {
            assert_eq!(normalise(Path::new(path)), PathBuf::from(expected), "{path}");
        }
    }
}
