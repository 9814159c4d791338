//! wf: a workflow language for development teams.
//!
//! The pipeline: [`syntax`] turns text into an AST, `check` turns the AST into the typed
//! `ir` plus diagnostics. See ARCHITECTURE.md for the map.

pub mod span;
pub mod syntax;
