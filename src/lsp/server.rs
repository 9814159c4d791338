//! The main loop: messages in, one at a time; documents checked again before anything reads
//! them; responses and diagnostics out.

use std::io;
use std::path::Path;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response, ResponseError};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Exit, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, PrepareRenameRequest, Rename,
    Request as _, Shutdown,
};
use lsp_types::{
    DocumentSymbolResponse, PrepareRenameResponse, PublishDiagnosticsParams, TextDocumentPositionParams, TextEdit, Url,
};
use serde::de::DeserializeOwned;

use super::documents::{Document, Documents};
use super::{completion, definition, diagnostics, hover, rename, symbols, Ended};

pub struct Server<'a> {
    connection: &'a Connection,
    /// Reads a module from disk when no open document holds it.
    read: &'a dyn Fn(&Path) -> io::Result<String>,
    documents: Documents,
    shut_down: bool,
}

impl<'a> Server<'a> {
    pub fn new(connection: &'a Connection, read: &'a dyn Fn(&Path) -> io::Result<String>) -> Server<'a> {
        Server { connection, read, documents: Documents::default(), shut_down: false }
    }

    /// Serves until the client sends `exit` or goes away.
    pub fn run(&mut self) -> Ended {
        let receiver = &self.connection.receiver;
        while let Ok(first) = receiver.recv() {
            // Edits that arrived together are applied together and checked once.
            let batch: Vec<Message> = std::iter::once(first).chain(receiver.try_iter()).collect();
            for message in batch {
                match message {
                    Message::Request(request) => {
                        self.refresh();
                        self.request(request);
                    }
                    Message::Notification(notification) if notification.method == Exit::METHOD => {
                        return if self.shut_down { Ended::Clean } else { Ended::WithoutShutdown };
                    }
                    Message::Notification(notification) => self.notification(notification),
                    // wf sends no requests, so expects no responses.
                    Message::Response(_) => {}
                }
            }
            self.refresh();
        }
        Ended::WithoutShutdown
    }

    fn send(&self, message: impl Into<Message>) {
        // A closed connection ends the loop at the next `recv`.
        let _ = self.connection.sender.send(message.into());
    }

    /// Checks the documents that changed (and those using them) and publishes what was found.
    fn refresh(&mut self) {
        let (refreshed, retired) = self.documents.refresh(self.read);
        for uri in refreshed {
            if let Some(document) = self.documents.get(&uri) {
                let found = document.analysis.as_ref().map_or_else(Vec::new, |analysis| {
                    diagnostics::to_lsp(&analysis.checked.diagnostics, &document.text, &document.lines, &uri)
                });
                self.publish(uri, found, Some(document.version));
            }
        }
        drop(retired);
    }

    fn publish(&self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams { uri, diagnostics, version };
        self.send(Notification::new(PublishDiagnostics::METHOD.to_string(), params));
    }

    fn notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Some(params) = parse::<lsp_types::DidOpenTextDocumentParams>(notification.params) {
                    let document = params.text_document;
                    self.documents.open(document.uri, document.version, document.text);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Some(params) = parse::<lsp_types::DidChangeTextDocumentParams>(notification.params) {
                    let document = params.text_document;
                    self.documents.change(&document.uri, document.version, params.content_changes);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Some(params) = parse::<lsp_types::DidCloseTextDocumentParams>(notification.params) {
                    let uri = params.text_document.uri;
                    self.documents.close(&uri);
                    self.publish(uri, Vec::new(), None);
                }
            }
            // `initialized`, `didSave` (the text is already in step), `$/cancelRequest`
            // (every request is answered before the next message is read) and the rest.
            _ => {}
        }
    }

    fn request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        if self.shut_down {
            self.reply(id, Err(error(ErrorCode::InvalidRequest as i32, "the server is shutting down")));
            return;
        }
        let result = match method.as_str() {
            HoverRequest::METHOD => {
                self.at_position::<HoverRequest>(params, |document, offset, _, _| Ok(hover::hover(document, offset)))
            }
            GotoDefinition::METHOD => self.at_position::<GotoDefinition>(params, |document, offset, uri, _| {
                Ok(definition::definition(document, uri, offset))
            }),
            Completion::METHOD => self.at_position::<Completion>(params, |document, offset, _, _| {
                Ok(completion::completion(document, offset))
            }),
            DocumentSymbolRequest::METHOD => self.handle::<DocumentSymbolRequest>(params, |server, params| {
                let document = server.documents.get(&params.text_document.uri);
                Ok(document.and_then(symbols::symbols).map(DocumentSymbolResponse::Nested))
            }),
            // The same code as `wf fmt`; a file with syntax errors is left as it is.
            Formatting::METHOD => self.handle::<Formatting>(params, |server, params| {
                let Some(document) = server.documents.get(&params.text_document.uri) else {
                    return Ok(None);
                };
                let Ok(formatted) = crate::fmt::format(&document.text) else {
                    return Ok(None);
                };
                if formatted == document.text {
                    return Ok(Some(Vec::new()));
                }
                let whole = document.lines.range(&document.text, crate::span::Span::new(0, document.text.len()));
                Ok(Some(vec![TextEdit::new(whole, formatted)]))
            }),
            PrepareRenameRequest::METHOD => {
                self.at_position::<PrepareRenameRequest>(params, |document, offset, _, _| {
                    let range = rename::prepare(document, offset).map_err(failed)?;
                    Ok(Some(PrepareRenameResponse::Range(range)))
                })
            }
            Rename::METHOD => self.at_position::<Rename>(params, |document, offset, uri, params| {
                let edit = rename::rename(document, uri, offset, &params.new_name).map_err(failed)?;
                Ok(Some(edit))
            }),
            // LSP 3.18: the text of a document only the server has, here a `wf-std:` module
            // that go to definition pointed at.
            TEXT_DOCUMENT_CONTENT => self.handle::<TextDocumentContent>(params, |_, params| {
                let text = definition::std_text(&params.uri)
                    .ok_or_else(|| failed(format!("wf lsp has no document `{}`", params.uri)))?;
                Ok(TextDocumentContentResult { text: text.to_string() })
            }),
            Shutdown::METHOD => {
                self.shut_down = true;
                Ok(serde_json::Value::Null)
            }
            _ => Err(error(ErrorCode::MethodNotFound as i32, &format!("wf lsp does not handle `{method}`"))),
        };
        self.reply(id, result);
    }

    fn reply(&self, id: RequestId, result: Result<serde_json::Value, ResponseError>) {
        let response = match result {
            Ok(value) => Response { id, result: Some(value), error: None },
            Err(error) => Response { id, result: None, error: Some(error) },
        };
        self.send(response);
    }

    /// Runs `handler` on a request's parameters and serialises its answer.
    fn handle<R: lsp_types::request::Request>(
        &self,
        params: serde_json::Value,
        handler: impl FnOnce(&Self, R::Params) -> Result<R::Result, ResponseError>,
    ) -> Result<serde_json::Value, ResponseError> {
        let params: R::Params = serde_json::from_value(params)
            .map_err(|e| error(ErrorCode::InvalidParams as i32, &format!("invalid `{}` parameters: {e}", R::METHOD)))?;
        let result = handler(self, params)?;
        serde_json::to_value(result).map_err(|e| error(ErrorCode::InternalError as i32, &e.to_string()))
    }

    /// Runs `handler` with the document and byte offset a request points at; a document that
    /// is not open has nothing to say (`null`).
    fn at_position<R>(
        &self,
        params: serde_json::Value,
        handler: impl FnOnce(&Document, usize, &Url, &R::Params) -> Result<R::Result, ResponseError>,
    ) -> Result<serde_json::Value, ResponseError>
    where
        R: lsp_types::request::Request,
        R::Params: AtPosition,
        R::Result: Default,
    {
        self.handle::<R>(params, |server, params| {
            let at = params.at();
            let Some(document) = server.documents.get(&at.text_document.uri) else { return Ok(R::Result::default()) };
            let offset = document.lines.offset(&document.text, at.position);
            handler(document, offset, &at.text_document.uri, &params)
        })
    }
}

const TEXT_DOCUMENT_CONTENT: &str = "workspace/textDocumentContent";

/// `workspace/textDocumentContent`, which lsp-types does not have yet.
enum TextDocumentContent {}

#[derive(serde::Serialize, serde::Deserialize)]
struct TextDocumentContentParams {
    uri: Url,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct TextDocumentContentResult {
    text: String,
}

impl lsp_types::request::Request for TextDocumentContent {
    type Params = TextDocumentContentParams;
    type Result = TextDocumentContentResult;
    const METHOD: &'static str = TEXT_DOCUMENT_CONTENT;
}

/// Parameters that name a place in a document.
trait AtPosition {
    fn at(&self) -> &TextDocumentPositionParams;
}

impl AtPosition for lsp_types::HoverParams {
    fn at(&self) -> &TextDocumentPositionParams {
        &self.text_document_position_params
    }
}

impl AtPosition for lsp_types::GotoDefinitionParams {
    fn at(&self) -> &TextDocumentPositionParams {
        &self.text_document_position_params
    }
}

impl AtPosition for lsp_types::CompletionParams {
    fn at(&self) -> &TextDocumentPositionParams {
        &self.text_document_position
    }
}

impl AtPosition for TextDocumentPositionParams {
    fn at(&self) -> &TextDocumentPositionParams {
        self
    }
}

impl AtPosition for lsp_types::RenameParams {
    fn at(&self) -> &TextDocumentPositionParams {
        &self.text_document_position
    }
}

/// Parses a notification's parameters; a malformed notification is dropped (there is no one
/// to answer).
fn parse<P: DeserializeOwned>(params: serde_json::Value) -> Option<P> {
    serde_json::from_value(params).ok()
}

/// A valid request that cannot be carried out here, and why.
fn failed(message: String) -> ResponseError {
    error(ErrorCode::RequestFailed as i32, &message)
}

fn error(code: i32, message: &str) -> ResponseError {
    ResponseError { code, message: message.to_string(), data: None }
}
