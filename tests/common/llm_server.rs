#![allow(clippy::disallowed_methods)] // A test server: sockets, threads and clocks.
#![allow(dead_code)] // Each test binary uses part of it.

//! A scripted HTTP server on loopback for the provider tests: each request gets the next
//! scripted response (the last one repeats), and every request is kept so a test can check
//! what wf sent. Responses can stream in pieces, pause, or stall, so timeouts and
//! interruptions mid-stream can be tested. The real servers (LiteLLM) are in `tests/stack.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One scripted answer.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Sent one after another, flushed each time.
    pub pieces: Vec<String>,
    /// Waits before each piece after the first.
    pub pause: Duration,
    /// After the pieces, keep the connection open without answering more (a server that
    /// hangs mid-stream).
    pub stall: bool,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            pieces: vec![body.to_owned()],
            pause: Duration::ZERO,
            stall: false,
        }
    }

    /// Server-sent events, one `data:` line (and blank line) per piece.
    pub fn sse(events: &[String]) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            pieces: events.iter().map(|data| format!("data: {data}\n\n")).collect(),
            pause: Duration::ZERO,
            stall: false,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn paced(mut self, pause: Duration) -> Reply {
        self.pause = pause;
        self
    }

    pub fn stalling(mut self) -> Reply {
        self.stall = true;
        self
    }
}

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    script: Vec<Reply>,
    seen: Vec<Seen>,
}

pub struct Server {
    pub url: String,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl Server {
    /// Starts the server on a free loopback port with this script.
    pub fn start(script: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new((Mutex::new(State { script, seen: Vec::new() }), Condvar::new()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Server { url, state }
    }

    /// The requests so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.0.lock().expect("state").seen.clone()
    }

    /// Waits until `count` requests arrived (30 s at most).
    pub fn wait_for(&self, count: usize) -> Vec<Seen> {
        let (lock, arrived) = &*self.state;
        let mut state = lock.lock().expect("state");
        let deadline = Instant::now() + Duration::from_secs(30);
        while state.seen.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "the server saw {} requests, not {count}", state.seen.len());
            state = arrived.wait_timeout(state, left).expect("state").0;
        }
        state.seen.clone()
    }

    /// Replaces what the server answers from now on.
    pub fn script(&self, script: Vec<Reply>) {
        self.state.0.lock().expect("state").script = script;
    }
}

fn serve(stream: TcpStream, state: &(Mutex<State>, Condvar)) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut words = line.split_whitespace();
    let (method, path) = (words.next().unwrap_or_default().to_owned(), words.next().unwrap_or_default().to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let reply = {
        let (lock, arrived) = state;
        let mut state = lock.lock().expect("state");
        let index = state.seen.len().min(state.script.len().saturating_sub(1));
        let reply = state.script.get(index).cloned().unwrap_or_else(|| Reply::json(500, "{}"));
        let body = String::from_utf8_lossy(&body).into_owned();
        state.seen.push(Seen { method, path, headers, body, at: Instant::now() });
        arrived.notify_all();
        reply
    };
    let reason = match reply.status {
        200 => "OK",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\nconnection: close\r\n", reply.status);
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    if writer.write_all(head.as_bytes()).is_err() {
        return;
    }
    for (index, piece) in reply.pieces.iter().enumerate() {
        if index > 0 {
            std::thread::sleep(reply.pause);
        }
        if writer.write_all(piece.as_bytes()).and_then(|()| writer.flush()).is_err() {
            return;
        }
    }
    if reply.stall {
        // Until the client gives up (a read of 0 bytes or an error).
        let mut byte = [0u8; 1];
        let _ = writer.set_read_timeout(Some(Duration::from_secs(120)));
        let _ = (&writer).read(&mut byte);
    }
}

/// An OpenAI Chat Completions stream answering `text` in two pieces, then usage.
pub fn openai_stream(text: &str, input: u64, output: u64) -> Vec<String> {
    let half = text.char_indices().nth(text.chars().count() / 2).map_or(text.len(), |(at, _)| at);
    let chunk = |piece: &str| {
        serde_json::json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}}]})
            .to_string()
    };
    vec![
        chunk(&text[..half]),
        chunk(&text[half..]),
        serde_json::json!({"id": "c1", "choices": [], "usage": {"prompt_tokens": input, "completion_tokens": output}})
            .to_string(),
        "[DONE]".to_owned(),
    ]
}
