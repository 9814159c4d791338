#![allow(clippy::disallowed_methods)] // The CLI is where wf reads files and owns stdin and stdout.

//! `wf lsp`: the language server on stdin and stdout, reading modules from disk.

use std::path::Path;

use lsp_server::Connection;
use wf::lsp::{serve, Ended};

use super::Exit;

pub fn run() -> Exit {
    let (connection, io_threads) = Connection::stdio();
    // An editor opens files from anywhere; still only regular files of a sane size.
    let policy = wf::source::Policy::anywhere();
    let read = |path: &Path| policy.read(path);
    let ended = serve(&connection, &read);
    // The writer thread ends once every sender is gone; it flushes what is queued first.
    drop(connection);
    let joined = io_threads.join();
    match (ended, joined) {
        (Ok(Ended::Clean), Ok(())) => Exit::Success,
        (Ok(Ended::WithoutShutdown), _) => Exit::Failure,
        (Err(error), _) => {
            eprintln!("error: wf lsp: {error}");
            Exit::Failure
        }
        (Ok(Ended::Clean), Err(error)) => {
            eprintln!("error: wf lsp: {error}");
            Exit::Failure
        }
    }
}
