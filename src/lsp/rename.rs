//! Renaming a step (or named block): its declaration and every reference in the document.
//!
//! A step is named only inside its workflow, so one file holds every use. Other names
//! (parameters, items) may be used from other files and are not renamed.

use std::collections::HashMap;

use lsp_types::{Range, TextEdit, Url, WorkspaceEdit};

use crate::syntax::RESERVED;

use super::documents::Document;
use super::index::{Index, Symbol};

/// The step name at `offset` and its range, or why nothing there can be renamed.
pub fn prepare(document: &Document, offset: usize) -> Result<Range, String> {
    let analysis = document.analysis.as_deref().ok_or("the document is not checked yet")?;
    let occurrence = analysis.index().at(offset).ok_or("no name here")?;
    match occurrence.symbol {
        Symbol::Step { .. } => Ok(document.lines.range(&document.text, occurrence.span)),
        _ => Err("only steps and named blocks can be renamed".to_string()),
    }
}

pub fn rename(document: &Document, uri: &Url, offset: usize, new_name: &str) -> Result<WorkspaceEdit, String> {
    let analysis = document.analysis.as_deref().ok_or("the document is not checked yet")?;
    let index = analysis.index();
    let occurrence = index.at(offset).ok_or("no name here")?;
    let Symbol::Step { workflow, name } = &occurrence.symbol else {
        return Err("only steps and named blocks can be renamed".to_string());
    };
    if new_name != name {
        check_name(index, *workflow, new_name)?;
    }
    let edits = index
        .occurrences_of(&occurrence.symbol)
        .map(|occurrence| TextEdit::new(document.lines.range(&document.text, occurrence.span), new_name.to_string()))
        .collect();
    Ok(WorkspaceEdit { changes: Some(HashMap::from([(uri.clone(), edits)])), ..WorkspaceEdit::default() })
}

/// Whether `name` can name a step of `workflow`: a word, not a keyword, and not a name that
/// already means something there (the checker would reject it, or it would hide something).
fn check_name(index: &Index, workflow: usize, name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let word = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !word {
        return Err(format!("`{name}` is not a name: use letters, digits and `_`, not starting with a digit"));
    }
    if RESERVED.contains(&name) {
        return Err(format!("`{name}` is a keyword"));
    }
    let info = &index.workflows[workflow];
    let module = &index.modules[0];
    let taken = if info.steps.contains_key(name) {
        Some("a step")
    } else if info.params.contains_key(name) {
        Some("a parameter")
    } else if info.loop_vars.values().any(|(var, _)| var == name) {
        Some("a loop variable")
    } else if info.secrets.iter().any(|secret| secret == name) {
        Some("a secret")
    } else if module.consts.contains_key(name) {
        Some("a constant")
    } else if module.aliases.contains_key(name) {
        Some("a module")
    } else {
        None
    };
    match taken {
        Some(what) => Err(format!("`{name}` is already {what} in workflow `{}`", info.name)),
        None => Ok(()),
    }
}
