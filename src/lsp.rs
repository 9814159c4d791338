//! `wf lsp`: a language server, speaking the Language Server Protocol's JSON-RPC.
//!
//! It keeps the open documents in memory (edits arrive as ranges), checks a document again
//! whenever it or a module it uses changes, and answers from the last check: diagnostics,
//! hover, go to definition, completion, the outline and renaming steps. Everything here is
//! library code without I/O: the CLI (`src/cli/lsp.rs`) owns stdin and stdout and passes a
//! reader for modules on disk. See `docs/lsp.md`.

mod analysis;
mod completion;
mod definition;
mod diagnostics;
mod documents;
mod hover;
mod index;
mod position;
mod rename;
mod server;
mod symbols;
#[cfg(test)]
mod tests;

use std::io;
use std::path::Path;

use lsp_server::{Connection, ProtocolError};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, OneOf, PositionEncodingKind, RenameOptions, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions, WorkDoneProgressOptions,
};

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `shutdown`, then `exit`: the protocol's orderly end.
    Clean,
    /// `exit` without `shutdown` first, or the connection closed.
    WithoutShutdown,
}

/// Serves one client over `connection` until it exits. Modules that are not open in the
/// editor are read with `read`.
pub fn serve(connection: &Connection, read: &dyn Fn(&Path) -> io::Result<String>) -> Result<Ended, ProtocolError> {
    let (id, params) = connection.initialize_start()?;
    // Advertise `prepareRename` only to clients that say they support it, as the protocol asks.
    let prepare_rename = params.pointer("/capabilities/textDocument/rename/prepareSupport") == Some(&true.into());
    let mut capabilities = serde_json::to_value(capabilities(prepare_rename)).unwrap_or_default();
    // LSP 3.18's `workspace/textDocumentContent`, which lsp-types cannot spell yet: the
    // standard library's modules, for go to definition.
    capabilities["workspace"]["textDocumentContent"] = serde_json::json!({ "schemes": [definition::STD_SCHEME] });
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": { "name": "wf", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result)?;
    Ok(server::Server::new(connection, read).run())
}

fn capabilities(prepare_rename: bool) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            ..TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_string()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        rename_provider: Some(if prepare_rename {
            OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            })
        } else {
            OneOf::Left(true)
        }),
        ..ServerCapabilities::default()
    }
}
