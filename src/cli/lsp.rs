#![allow(clippy::disallowed_methods)] // The CLI is where wf reads files and owns stdin and stdout.

//! `wf lsp`: the language server on stdin and stdout, reading modules from disk.

mod transport;

use std::io::{self, BufReader};
use std::path::Path;
use std::thread;

use lsp_server::{Connection, Message};
use wf::lsp::{serve, Ended};

use super::Exit;

pub fn run() -> Exit {
    // The server's end of the connection, and ours, which the two threads below move
    // between it and stdin and stdout.
    let (connection, client) = Connection::memory();
    let Connection { sender: to_server, receiver: from_server } = client;
    let reader = thread::spawn(move || -> Result<(), transport::Framing> {
        let mut stdin = BufReader::new(io::stdin().lock());
        while let Some(message) = transport::read(&mut stdin)? {
            let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
            if to_server.send(message).is_err() || exit {
                break;
            }
        }
        Ok(())
    });
    let writer = thread::spawn(move || -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        for message in from_server {
            message.write(&mut stdout)?;
        }
        Ok(())
    });
    // An editor opens files from anywhere; still only regular files of a sane size.
    let policy = wf::source::Policy::anywhere();
    let read = |path: &Path| policy.read(path);
    let ended = serve(&connection, &read);
    // The writer ends once the server's sender is gone, after writing what is queued.
    drop(connection);
    let written = writer.join().unwrap_or_else(|_| Err(io::Error::other("the writer panicked")));
    // The server stops reading when the client exits, closes the stream or breaks the
    // framing; then the reader has ended too, and its error is the one to report.
    let lost_client = match &ended {
        Ok(Ended::WithoutShutdown) => true,
        Ok(Ended::Clean) => false,
        Err(error) => error.channel_is_disconnected(),
    };
    if lost_client {
        if let Ok(Err(framing)) = reader.join() {
            eprintln!("error: wf lsp: {framing}");
            return Exit::Failure;
        }
    }
    match (ended, written) {
        (Ok(Ended::Clean), Ok(())) => Exit::Success,
        (Ok(Ended::WithoutShutdown), _) => Exit::Failure,
        (Err(error), _) if error.channel_is_disconnected() => {
            eprintln!("error: wf lsp: the client closed the connection before `initialize`");
            Exit::Failure
        }
        (Err(error), _) => {
            eprintln!("error: wf lsp: {error}");
            Exit::Failure
        }
        (Ok(Ended::Clean), Err(error)) => {
            eprintln!("error: wf lsp: writing to the client failed: {error}");
            Exit::Failure
        }
    }
}
