#![allow(clippy::disallowed_methods)] // The CLI owns stdin and stdout.

//! The LSP's base protocol on a byte stream: `Content-Length` framed JSON-RPC messages in,
//! the same out. lsp-server has its own stdio transport, but its errors are strings built for
//! logs ("malformed header", and then only "disconnected channel" reaches the caller); here
//! each way the client can break the framing is a variant, said in one line that names it.

use std::io::{self, BufRead};

use lsp_server::Message;

/// The largest message read: far above any real document, low enough that a wrong length
/// cannot make the server allocate gigabytes.
const MAX_LENGTH: usize = 256 << 20;

/// What was wrong with what the client sent.
#[derive(Debug, thiserror::Error)]
pub enum Framing {
    #[error("the client sent a message without a Content-Length header")]
    NoContentLength,
    #[error(
        "the client sent a header line that is not `Name: value` ({line:?}); each message starts with `Content-Length: N` and an empty line"
    )]
    MalformedHeader { line: String },
    #[error("the client sent a header line not ended by \\r\\n ({line:?})")]
    NoCrLf { line: String },
    #[error("the client sent a Content-Length that is not a number of bytes ({value:?})")]
    BadLength { value: String },
    #[error("the client announced a message of {length} bytes, over the limit of {MAX_LENGTH}")]
    TooLong { length: usize },
    #[error("the client closed the stream inside a message (after its headers, {length} bytes announced)")]
    Truncated { length: usize },
    #[error("the client sent a message that is not UTF-8")]
    NotUtf8,
    #[error("the client sent a message that is not JSON-RPC: {error}")]
    NotJsonRpc { error: serde_json::Error },
    #[error("reading from the client failed: {error}")]
    Read { error: io::Error },
}

/// The next message, or `None` when the stream ends between messages.
pub fn read(input: &mut impl BufRead) -> Result<Option<Message>, Framing> {
    let mut length = None;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        let read = input.read_until(b'\n', &mut line).map_err(|error| Framing::Read { error })?;
        if read == 0 {
            return match (first, length) {
                (true, _) => Ok(None),
                (false, Some(length)) => Err(Framing::Truncated { length }),
                (false, None) => Err(Framing::NoContentLength),
            };
        }
        first = false;
        let line = String::from_utf8(line).map_err(|_| Framing::NotUtf8)?;
        let Some(line) = line.strip_suffix("\r\n") else { return Err(Framing::NoCrLf { line }) };
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(Framing::MalformedHeader { line: line.to_string() });
        };
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            let value = value.trim();
            let parsed = value.parse::<usize>().map_err(|_| Framing::BadLength { value: value.to_string() })?;
            length = Some(parsed);
        }
    }
    let length = length.ok_or(Framing::NoContentLength)?;
    if length > MAX_LENGTH {
        return Err(Framing::TooLong { length });
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body).map_err(|error| match error.kind() {
        io::ErrorKind::UnexpectedEof => Framing::Truncated { length },
        _ => Framing::Read { error },
    })?;
    let body = String::from_utf8(body).map_err(|_| Framing::NotUtf8)?;
    serde_json::from_str(&body).map(Some).map_err(|error| Framing::NotJsonRpc { error })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &str) -> Result<Option<Message>, Framing> {
        read(&mut input.as_bytes())
    }

    #[test]
    fn each_framing_mistake_is_named() {
        assert!(matches!(read_all("garbage\r\n\r\n"), Err(Framing::MalformedHeader { line }) if line == "garbage"));
        assert!(matches!(read_all("\r\n{}"), Err(Framing::NoContentLength)));
        assert!(matches!(read_all("Content-Type: x\r\n\r\n"), Err(Framing::NoContentLength)));
        assert!(matches!(read_all("Content-Length: ten\r\n\r\n"), Err(Framing::BadLength { .. })));
        assert!(matches!(read_all("Content-Length: 10\r\n\r\n{}"), Err(Framing::Truncated { length: 10 })));
        assert!(matches!(read_all("Content-Length: 99999999999\r\n\r\n"), Err(Framing::TooLong { .. })));
        assert!(matches!(read_all("Content-Length: 2\n\n{}"), Err(Framing::NoCrLf { .. })));
        assert!(matches!(read_all("Content-Length: 3\r\n\r\n{x}"), Err(Framing::NotJsonRpc { .. })));
        assert!(matches!(read_all(""), Ok(None)));
    }

    #[test]
    fn a_framed_message_reads_back() {
        let body = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let framed =
            format!("Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n{body}", body.len());
        let message = read_all(&framed).expect("reads").expect("a message");
        assert!(matches!(message, Message::Notification(n) if n.method == "exit"));
    }
}
