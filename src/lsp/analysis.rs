//! One document checked: the modules loaded for it, the checker's result, and (built on the
//! first request that needs it) the index of its names.

use std::cell::{OnceCell, RefCell};
use std::io;
use std::path::{Path, PathBuf};

use crate::check::{self, Checked};
use crate::ir::{self, StepIdx};
use crate::load::{self, Loaded, ModuleCache};
use crate::syntax::ast;

use super::index::Index;

/// Module 0 of `loaded` is the document itself.
pub struct Analysis {
    pub loaded: Loaded,
    pub checked: Checked,
    /// Every file the check read or tried to read: the modules the document uses, directly
    /// or not, including the ones it could not find.
    reads: Vec<PathBuf>,
    index: OnceCell<Index>,
}

impl Analysis {
    /// Loads and checks `text`, named `name` (its path, which relative `use` paths start
    /// from), reading the modules it uses with `read` and taking their parses from `cache`
    /// when their text is unchanged; `tree`, when given, is the parse of `text` (which has no
    /// syntax error), already made: see [`load::load_text_cached`].
    pub fn new(
        name: &str,
        text: &str,
        tree: Option<ast::File>,
        read: &dyn Fn(&Path) -> io::Result<String>,
        cache: &ModuleCache,
    ) -> Analysis {
        let reads = RefCell::new(Vec::new());
        let recording = |path: &Path| {
            reads.borrow_mut().push(path.to_path_buf());
            read(path)
        };
        let loaded = load::load_text_cached(name, text, tree, &recording, cache);
        let checked = check::check(&loaded);
        Analysis { loaded, checked, reads: reads.into_inner(), index: OnceCell::new() }
    }

    /// The names of the document and what they refer to; built once, when first asked.
    pub fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::build(&self.loaded, &self.checked.program))
    }

    /// The checked workflow `name` of `module` (an index into `Loaded::modules`).
    pub fn workflow(&self, module: usize, name: &str) -> Option<&ir::Workflow> {
        let file = self.loaded.modules.get(module)?.file;
        self.checked.program.workflows.iter().find(|workflow| workflow.file == file && workflow.name == name)
    }

    /// Step `step` of checked workflow `workflow` (an index into `Program::workflows`).
    pub fn step(&self, workflow: usize, step: StepIdx) -> Option<&ir::Step> {
        self.checked.program.workflows.get(workflow)?.steps.get(step.0)
    }

    /// Whether the document uses the file at `path`, directly or not; a module it could not
    /// find counts too, so that it is checked again when the module appears.
    pub fn uses(&self, path: &Path) -> bool {
        self.reads.iter().any(|read| read == path)
    }

    /// Whether the document's own text has syntax errors (and so lost the items they are in).
    pub fn has_syntax_errors(&self) -> bool {
        self.checked.diagnostics.iter().any(|d| d.file == 0 && d.code().starts_with("wf::syntax::"))
    }
}
