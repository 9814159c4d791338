#![allow(clippy::disallowed_methods)] // Tests run the binary and write files.

//! `wf lsp` driven over stdin and stdout like an editor drives it: Content-Length framed
//! JSON-RPC, every wait a blocking read with a time limit.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

/// How long any one answer may take before the test fails (a hung server must not hang CI).
const LIMIT: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Notifications read while waiting for something else.
    backlog: VecDeque<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wf"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("wf lsp starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, incoming) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Client { child, stdin, incoming, backlog: VecDeque::new(), next_id: 1 }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write to wf lsp");
        stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response (the whole message).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive(&format!("the response to {method}"));
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.backlog.push_back(message);
        }
    }

    /// A request's result; fails the test on an error response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    /// A request's error message; fails the test when it succeeds.
    fn request_error(&mut self, method: &str, params: Value) -> String {
        let response = self.call(method, params);
        response["error"]["message"].as_str().unwrap_or_else(|| panic!("{method} should fail: {response}")).to_string()
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let is_for =
            |message: &Value| message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri;
        if let Some(at) = self.backlog.iter().position(is_for) {
            let message = self.backlog.remove(at).expect("found");
            return message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
        }
        loop {
            let message = self.receive(&format!("diagnostics for {uri}"));
            if is_for(&message) {
                return message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            }
            self.backlog.push_back(message);
        }
    }

    fn receive(&mut self, what: &str) -> Value {
        match self.incoming.recv_timeout(LIMIT) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for {what}"),
            Err(RecvTimeoutError::Disconnected) => panic!("wf lsp closed its output while we waited for {what}"),
        }
    }

    fn initialize(&mut self) -> Value {
        let capabilities = json!({ "textDocument": { "rename": { "prepareSupport": true } } });
        let result =
            self.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": capabilities }));
        self.notify("initialized", json!({}));
        result
    }

    /// Closes stdin and waits for the process to end.
    fn wait(mut self) -> ExitStatus {
        drop(self.stdin.take());
        let (sender, receiver) = mpsc::channel();
        let mut child = self.child;
        thread::spawn(move || {
            let _ = sender.send(child.wait());
        });
        receiver.recv_timeout(LIMIT).expect("wf lsp exits").expect("exit status")
    }
}

/// One Content-Length framed message, or `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The LSP position (line, UTF-16 column) of the `nth` occurrence of `needle` in `text`,
/// plus `shift` characters.
fn position(text: &str, needle: &str, nth: usize, shift: usize) -> Value {
    let offset = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` #{nth} in the text")).0;
    let offset = offset + needle[..shift].len();
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..offset].matches('\n').count();
    let character: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

fn range(text: &str, needle: &str, nth: usize) -> Value {
    json!({ "start": position(text, needle, nth, 0), "end": position(text, needle, nth, needle.len()) })
}

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn at(uri: &str, position: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position })
}

const BROKEN: &str = r#"use std/models

// Résumé 🚀: names after non-ASCII text.
workflow fix(ticket: string) {
  model models.sonnet

  phase analysis {
    agent plan "analyst" {
      prompt "Read {{ticket}}: résumé 🚀"
      returns { summary: string, files: list<string> }
      expect 12k tokens
    }
  }

  phase work {
    run tests "cargo test" {
      retry 2 backoff 5s..1m
      timeout 10m
    }
    gate done {
      require plan.sumary != "" "the plan is empty"
      require tests.ok "🚀 tests pass"
    }
    agent report "writer" { prompt "🚀 Sum up {{plan.summary}} for {{ticket}}" }
  }
}
"#;

#[test]
fn a_session_from_initialize_to_exit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fix.wf");
    let uri = uri_of(&path);
    let mut client = Client::start();

    let init = client.initialize();
    let capabilities = &init["capabilities"];
    assert_eq!(capabilities["textDocumentSync"]["change"], 2, "incremental sync: {capabilities}");
    assert_eq!(capabilities["renameProvider"]["prepareProvider"], true);
    assert_eq!(capabilities["documentFormattingProvider"], serde_json::json!(true), "formatting is `wf fmt`");

    // One error: a misspelt field, on a line that starts after non-ASCII text elsewhere.
    let text = BROKEN;
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "wf", "version": 1, "text": text } }),
    );
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "wf::check::unknown_field");
    assert_eq!(diagnostic["severity"], 1);
    assert_eq!(diagnostic["range"], range(text, "sumary", 0));
    assert_eq!(
        diagnostic["codeDescription"]["href"],
        "https://github.com/wf-lang/wf/blob/main/docs/diagnostics.md#wfcheckunknown_field"
    );
    let message = diagnostic["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("has no field `sumary`") && message.contains("help: did you mean `summary`?"),
        "{message}"
    );

    // Fix it with a range edit.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": range(text, "sumary", 0), "text": "summary" }],
        }),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    let text = &BROKEN.replace("sumary", "summary");

    // Hover on a step reference inside a string that starts with an emoji.
    let hover = client.request("textDocument/hover", at(&uri, position(text, "plan.summary", 1, 1)));
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.starts_with("agent step `plan` · id `analysis/plan`"), "{shown}");
    let rows: Vec<Vec<&str>> = shown.lines().map(|line| line.split_whitespace().collect()).collect();
    for row in [["summary", "string"], ["files", "list<string>"], ["text", "string"], ["tokens", "tokens"]] {
        assert!(rows.contains(&row.to_vec()), "hover lacks `{row:?}`: {shown}");
    }
    assert_eq!(hover["range"], range(text, "plan", 3));

    let hover = client.request("textDocument/hover", at(&uri, position(text, "summary", 2, 2)));
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.starts_with("`plan.summary: string`") && shown.contains("returned by agent step `plan`"), "{shown}");

    let hover = client.request("textDocument/hover", at(&uri, position(text, "tests", 0, 0)));
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("retry: up to 2 more attempts, backoff 5s..1m, on any failure"), "{shown}");
    assert!(shown.contains("timeout: 10m") && shown.contains("exit_code"), "{shown}");

    let hover = client.request("textDocument/hover", at(&uri, position(text, "10m", 0, 1)));
    assert_eq!(hover["contents"]["value"], "duration `10m` = 600,000 ms\n\nunit: a duration (held in milliseconds)");
    let hover = client.request("textDocument/hover", at(&uri, position(text, "sonnet", 0, 0)));
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("`claude-sonnet-4-5`") && shown.contains("input: $3.00 per 1M tokens"), "{shown}");

    // Definition: a step reference goes to the step's name; a returned field to its declaration.
    let definition = client.request("textDocument/definition", at(&uri, position(text, "plan.summary", 1, 2)));
    assert_eq!(definition["uri"], uri);
    assert_eq!(definition["range"], range(text, "plan", 0));
    let definition = client.request("textDocument/definition", at(&uri, position(text, "summary", 1, 3)));
    assert_eq!(definition["range"], range(text, "summary", 0));
    let definition = client.request("textDocument/definition", at(&uri, position(text, "ticket", 2, 0)));
    assert_eq!(definition["range"], range(text, "ticket", 0));

    // Completion after `plan.` while the line being typed does not parse.
    let typed = "    gate done {\n      warn plan. \"x\"\n";
    let broken = text.replace("    gate done {\n", typed);
    let line_start = position(text, "    gate done {", 0, 0);
    let line_end = json!({ "line": line_start["line"].as_u64().unwrap_or_default() + 1, "character": 0 });
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 3 },
            "contentChanges": [{ "range": { "start": line_start, "end": line_end }, "text": typed }],
        }),
    );
    let diagnostics = client.diagnostics(&uri);
    assert!(diagnostics.iter().any(|d| d["code"].as_str().is_some_and(|code| code.starts_with("wf::syntax::"))));
    let completion = client.request("textDocument/completion", at(&uri, position(&broken, "plan. ", 0, 5)));
    let labels: Vec<&str> =
        completion.as_array().into_iter().flatten().filter_map(|item| item["label"].as_str()).collect();
    for field in ["summary", "files", "text", "status", "ok", "cost", "tokens"] {
        assert!(labels.contains(&field), "`{field}` missing from {labels:?}");
    }
    assert!(!labels.contains(&"exit_code"), "an agent step has no exit code: {labels:?}");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 4 }, "contentChanges": [{ "text": text }] }),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());

    // Attribute keywords of a `run` step where one starts.
    let completion = client.request("textDocument/completion", at(&uri, position(text, "timeout 10m", 0, 2)));
    let labels: Vec<&str> =
        completion.as_array().into_iter().flatten().filter_map(|item| item["label"].as_str()).collect();
    for keyword in ["retry", "timeout", "dir", "output", "on failure"] {
        assert!(labels.contains(&keyword), "`{keyword}` missing from {labels:?}");
    }
    assert!(!labels.contains(&"prompt"), "`prompt` is for agent steps: {labels:?}");

    // Names in an expression: steps above the cursor, not the gate being written nor later ones.
    let completion = client.request("textDocument/completion", at(&uri, position(text, "tests.ok", 0, 0)));
    let labels: Vec<&str> =
        completion.as_array().into_iter().flatten().filter_map(|item| item["label"].as_str()).collect();
    for name in ["plan", "tests", "analysis", "ticket", "models", "len"] {
        assert!(labels.contains(&name), "`{name}` missing from {labels:?}");
    }
    for name in ["done", "report", "work", "retry"] {
        assert!(!labels.contains(&name), "`{name}` is not readable here: {labels:?}");
    }

    // The outline: items, then workflow → phases → steps.
    let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    let names = |symbols: &Value| -> Vec<String> {
        symbols.as_array().into_iter().flatten().map(|s| s["name"].as_str().unwrap_or_default().to_string()).collect()
    };
    assert_eq!(names(&symbols), ["models", "fix"]);
    let workflow = &symbols[1];
    assert_eq!(workflow["kind"], 12, "a workflow is a function");
    assert_eq!(names(&workflow["children"]), ["ticket", "analysis", "work"]);
    assert_eq!(names(&workflow["children"][1]["children"]), ["plan"]);
    assert_eq!(names(&workflow["children"][2]["children"]), ["tests", "done", "report"]);
    assert_eq!(workflow["children"][2]["children"][1]["detail"], "gate");
    assert_eq!(workflow["children"][2]["children"][0]["selectionRange"], range(text, "tests", 0));

    // Rename a step: its declaration and both references, not the word in a message.
    let prepared = client.request("textDocument/prepareRename", at(&uri, position(text, "plan", 3, 1)));
    assert_eq!(prepared, range(text, "plan", 3));
    let refused = client.request_error("textDocument/prepareRename", at(&uri, position(text, "ticket", 1, 1)));
    assert!(refused.contains("only steps"), "{refused}");
    let mut params = at(&uri, position(text, "plan", 3, 1));
    params["newName"] = json!("planning");
    let edit = client.request("textDocument/rename", params);
    let mut edits = edit["changes"][&uri].as_array().cloned().unwrap_or_default();
    edits.sort_by_key(|edit| edit["range"]["start"]["line"].as_u64());
    let expected: Vec<Value> =
        [0, 1, 3].iter().map(|&nth| json!({ "range": range(text, "plan", nth), "newText": "planning" })).collect();
    assert_eq!(edits, expected);
    let mut params = at(&uri, position(text, "plan", 3, 1));
    params["newName"] = json!("tests");
    let refused = client.request_error("textDocument/rename", params);
    assert!(refused.contains("`tests` is already a step"), "{refused}");

    // Formatting: the edit `wf fmt` would make, as one whole-document replacement.
    let options = json!({ "tabSize": 2, "insertSpaces": true });
    let formatting = json!({ "textDocument": { "uri": uri }, "options": options });
    let untidy = text.replace("  phase work {", "phase   work{");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 9 }, "contentChanges": [{ "text": untidy }] }),
    );
    let edits = client.request("textDocument/formatting", formatting.clone());
    let edits = edits.as_array().cloned().unwrap_or_default();
    assert_eq!(edits.len(), 1, "{edits:?}");
    let tidy = wf::fmt::format(&untidy).expect("formats");
    assert_eq!(edits[0]["newText"], json!(tidy));
    assert!(tidy.contains("\n  phase work {\n"), "{tidy}");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 10 }, "contentChanges": [{ "text": tidy }] }),
    );
    let edits = client.request("textDocument/formatting", formatting);
    assert!(edits.as_array().is_none_or(Vec::is_empty), "a formatted file needs no edit: {edits}");

    let result = client.request("shutdown", Value::Null);
    assert_eq!(result, Value::Null);
    client.notify("exit", Value::Null);
    let status = client.wait();
    assert_eq!(status.code(), Some(0), "exit after shutdown is a clean exit");
}

#[test]
fn a_module_edited_in_the_editor_rechecks_the_files_using_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lib_path = dir.path().join("lib.wf");
    let main_path = dir.path().join("main.wf");
    let lib = "const rounds = 3\n";
    let main = "use \"./lib.wf\"\n\nworkflow w() {\n  repeat max lib.rounds {\n    run a \"true\"\n  }\n}\n";
    std::fs::write(&lib_path, lib).expect("write lib");
    std::fs::write(&main_path, main).expect("write main");
    let (lib_uri, main_uri) = (uri_of(&lib_path), uri_of(&main_path));

    let mut client = Client::start();
    client.initialize();
    let open = |uri: &str, text: &str| json!({ "textDocument": { "uri": uri, "languageId": "wf", "version": 1, "text": text } });
    client.notify("textDocument/didOpen", open(&main_uri, main));
    assert_eq!(client.diagnostics(&main_uri), Vec::<Value>::new());

    // `lib.rounds` and the `use` path lead to the module's file.
    let definition = client.request("textDocument/definition", at(&main_uri, position(main, "rounds", 0, 0)));
    assert_eq!(definition["uri"], lib_uri);
    assert_eq!(definition["range"], range(lib, "rounds", 0));
    let definition = client.request("textDocument/definition", at(&main_uri, position(main, "lib.wf", 0, 0)));
    assert_eq!(definition["uri"], lib_uri);

    // Renaming the constant in the editor, unsaved, breaks the file that uses it.
    client.notify("textDocument/didOpen", open(&lib_uri, lib));
    let codes = |diagnostics: Vec<Value>| -> Vec<String> {
        diagnostics.iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect()
    };
    // Checked on its own, the module's constant is unused. The file using it is checked
    // again, against the module's text in the editor.
    assert_eq!(codes(client.diagnostics(&lib_uri)), ["wf::check::unused_const"]);
    assert_eq!(client.diagnostics(&main_uri), Vec::<Value>::new());
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": lib_uri, "version": 2 },
            "contentChanges": [{ "range": range(lib, "rounds", 0), "text": "laps" }],
        }),
    );
    let diagnostics = client.diagnostics(&main_uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "wf::check::unknown_item");
    assert_eq!(diagnostics[0]["range"], range(main, "rounds", 0));
    assert_eq!(codes(client.diagnostics(&lib_uri)), ["wf::check::unused_const"]);

    // Closing the module (its change never saved) makes the file on disk count again, and
    // clears the closed document's diagnostics.
    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": lib_uri } }));
    assert_eq!(client.diagnostics(&lib_uri), Vec::<Value>::new());
    assert_eq!(client.diagnostics(&main_uri), Vec::<Value>::new());

    // A module that does not exist yet is found once it is opened, before it is saved.
    let other_path = dir.path().join("other.wf");
    let other_uri = uri_of(&other_path);
    let other = "use \"./extra.wf\"\n\nworkflow v() {\n  run a \"echo {{extra.greeting}}\"\n}\n";
    client.notify("textDocument/didOpen", open(&other_uri, other));
    assert_eq!(codes(client.diagnostics(&other_uri)), ["wf::load::module_not_found"]);
    let extra_uri = uri_of(&dir.path().join("extra.wf"));
    client.notify("textDocument/didOpen", open(&extra_uri, "const greeting = \"hi\"\n"));
    assert_eq!(client.diagnostics(&other_uri), Vec::<Value>::new());

    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(0));
}

#[test]
fn exit_without_shutdown_is_an_error() {
    let mut client = Client::start();
    client.initialize();
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(1));
}

/// Opens `text` as `uri` and returns its first diagnostics' codes.
fn open_codes(client: &mut Client, uri: &str, text: &str) -> Vec<String> {
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "wf", "version": 1, "text": text } }),
    );
    client.diagnostics(uri).iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn a_percent_is_explained_alike_by_every_hover() {
    let uri = uri_of(&std::env::temp_dir().join("percent.wf"));
    let text = "const target = 80%\n\nworkflow w(limit: percent = 50%) {\n  budget $4.00 warn at 90%\n  run a \"echo {{limit}} {{target}}\"\n}\n";
    let mut client = Client::start();
    client.initialize();
    assert_eq!(open_codes(&mut client, &uri, text), Vec::<String>::new());
    let hover = |client: &mut Client, needle: &str, nth: usize| -> String {
        let result = client.request("textDocument/hover", at(&uri, position(text, needle, nth, 0)));
        result["contents"]["value"].as_str().unwrap_or_default().to_string()
    };
    let shown = [
        hover(&mut client, "80%", 0),    // a literal in a constant
        hover(&mut client, "90%", 0),    // a literal in `warn at`
        hover(&mut client, "target", 1), // a constant of type percent
        hover(&mut client, "limit", 0),  // a parameter of type percent
    ];
    let unit = |hover: &str| hover.lines().find(|line| line.starts_with("unit: ")).map(str::to_string);
    let first = unit(&shown[0]).unwrap_or_else(|| panic!("no unit line: {}", shown[0]));
    assert!(first.contains("`80%` is 80"), "{first}");
    for hover in &shown {
        assert_eq!(unit(hover).as_deref(), Some(first.as_str()), "{hover}");
        assert!(!hover.contains("0.8 as") && !hover.contains("0.9 as"), "a fraction reading: {hover}");
    }
    assert!(shown[1].starts_with("percent `90%` = 90"), "{}", shown[1]);
}

#[test]
fn a_watch_is_hovered_and_completed() {
    let uri = uri_of(&std::env::temp_dir().join("watch.wf"));
    let text = "workflow w() {\n  watch health \"cat m.json\" every 30s for 10m {\n    \
                output err: percent = json(stdout, \"/error_rate\")\n    fail when err > 1% for 5m\n    \
                pass when err < 0.1% for 3m\n  }\n  run after \"echo {{health.polls}}\"\n}\n";
    let mut client = Client::start();
    client.initialize();
    assert_eq!(open_codes(&mut client, &uri, text), Vec::<String>::new());
    let hover = |client: &mut Client, needle: &str, nth: usize| -> String {
        let result = client.request("textDocument/hover", at(&uri, position(text, needle, nth, 0)));
        result["contents"]["value"].as_str().unwrap_or_default().to_string()
    };
    let step = hover(&mut client, "health", 0);
    assert!(step.starts_with("watch step `health`"), "{step}");
    assert!(step.contains("polls `cat m.json` every 30s for at most 10m"), "{step}");
    assert!(step.contains("fails when `err > 1%` once it has held for 5m"), "{step}");
    assert!(step.contains("passes early when `err < 0.1%` once it has held for 3m"), "{step}");
    // `err` in a condition is the watch's output.
    let err = hover(&mut client, "err >", 0);
    assert!(err.starts_with("`health.err: percent`"), "{err}");
    assert!(err.contains("output of `health`: json(stdout, \"/error_rate\")"), "{err}");
    let polls = hover(&mut client, "polls", 0);
    assert!(polls.contains("how many times the command was polled"), "{polls}");

    let labels = |client: &mut Client, text: &str, needle: &str, shift: usize| -> Vec<String> {
        client.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": text }] }),
        );
        let completion = client.request("textDocument/completion", at(&uri, position(text, needle, 0, shift)));
        completion
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item["label"].as_str().map(String::from))
            .collect()
    };
    // In a watch's block: its attributes, not `retry` or `timeout`.
    let inside = labels(&mut client, text, "pass when", 0);
    for keyword in ["fail when", "pass when", "output", "on failure"] {
        assert!(inside.contains(&keyword.to_string()), "`{keyword}` missing from {inside:?}");
    }
    assert!(!inside.contains(&"retry".to_string()), "{inside:?}");
    // `watch` starts a statement; `every`, then `for`, continue its head.
    let statement = labels(&mut client, text, "run after", 0);
    assert!(statement.contains(&"watch".to_string()), "{statement:?}");
    let head = "workflow w() {\n  watch health \"cat m.json\" \n}\n";
    assert_eq!(labels(&mut client, head, "\" \n}", 2), ["every"]);
    let head = "workflow w() {\n  watch health \"cat m.json\" every 30s \n}\n";
    assert_eq!(labels(&mut client, head, "30s \n", 4), ["for"]);
}

#[test]
fn a_half_typed_attribute_reports_only_itself() {
    let uri = uri_of(&std::env::temp_dir().join("half.wf"));
    // `retry 3 backoff` is being typed: the only complaint is the missing range; the step's
    // `model models.sonnet` still counts as a use of the module.
    let text = "use std/models\n\nworkflow w() {\n  agent plan \"analyst\" {\n    model models.sonnet\n    prompt \"plan\"\n    retry 3 backoff\n  }\n}\n";
    let mut client = Client::start();
    client.initialize();
    assert_eq!(open_codes(&mut client, &uri, text), ["wf::syntax::unexpected"]);
    // Item-level recovery, where the rest of the workflow is lost, warns of no unused module
    // either: the text that did not parse may be what uses it.
    let uri = uri_of(&std::env::temp_dir().join("half-item.wf"));
    let text =
        "use std/models\n\nworkflow w() {\n  model models.sonnet\n  agent plan \"analyst\" {\n    retry 3 backoff";
    let codes = open_codes(&mut client, &uri, text);
    assert!(!codes.is_empty() && codes.iter().all(|code| code.starts_with("wf::syntax::")), "{codes:?}");
}

#[test]
fn definition_of_a_std_item_opens_its_embedded_source() {
    let uri = uri_of(&std::env::temp_dir().join("std-def.wf"));
    let text = "use std/models\n\nworkflow w() {\n  agent plan \"analyst\" {\n    model models.sonnet\n    prompt \"plan\"\n  }\n}\n";
    let mut client = Client::start();
    let init = client.initialize();
    assert_eq!(init["capabilities"]["workspace"]["textDocumentContent"]["schemes"], json!(["wf-std"]));
    assert_eq!(open_codes(&mut client, &uri, text), Vec::<String>::new());

    let definition = client.request("textDocument/definition", at(&uri, position(text, "sonnet", 0, 0)));
    assert_eq!(definition["uri"], "wf-std:///models.wf", "{definition}");
    let content = client.request("workspace/textDocumentContent", json!({ "uri": "wf-std:///models.wf" }));
    let models = include_str!("../stdlib/models.wf");
    assert_eq!(content["text"], models);
    assert_eq!(definition["range"], range(models, "sonnet", 1), "the range names the model in the module's text");

    // The module name and the `use` path lead to the module, at its start.
    let definition = client.request("textDocument/definition", at(&uri, position(text, "std/models", 0, 4)));
    assert_eq!(definition["uri"], "wf-std:///models.wf");
    let definition = client.request("textDocument/definition", at(&uri, position(text, "models.sonnet", 0, 0)));
    assert_eq!(definition["uri"], "wf-std:///models.wf");

    let error = client.request_error("workspace/textDocumentContent", json!({ "uri": "wf-std:///nothing.wf" }));
    assert!(error.contains("wf-std:///nothing.wf"), "{error}");
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(0));
}

/// Runs `wf lsp` on `input` and returns its exit code and stderr.
fn lsp_on(input: &[u8]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wf"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wf lsp starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    // The server may stop reading at the first bad byte; a closed pipe is not the test's concern.
    let _ = stdin.write_all(input);
    drop(stdin);
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = receiver.recv_timeout(LIMIT).expect("wf lsp exits").expect("output");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn garbage_on_stdin_is_named_in_one_line() {
    for (input, names) in [
        (&b"garbage\r\n\r\n"[..], "header line that is not `Name: value` (\"garbage\")"),
        (b"\r\n\r\n", "without a Content-Length header"),
        (b"Content-Length: 5\r\n\r\n{}", "closed the stream inside a message"),
        (b"Content-Length: 7\r\n\r\nnot rpc", "not JSON-RPC"),
        (b"", "closed the connection before `initialize`"),
    ] {
        let (code, stderr) = lsp_on(input);
        assert_eq!(code, Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("error: wf lsp: the client ") && stderr.contains(names), "{stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("disconnected channel"), "{stderr}");
    }
}

#[test]
fn garbage_after_initialize_is_named_too() {
    let body =
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "capabilities": {} } }).to_string();
    let mut input = format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes();
    input.extend_from_slice(b"Content-Length: x\r\n\r\n");
    let (code, stderr) = lsp_on(&input);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "error: wf lsp: the client sent a Content-Length that is not a number of bytes (\"x\")"
    );
}

#[test]
fn a_loop_index_and_a_record_variable_show_their_types() {
    let uri = uri_of(&std::env::temp_dir().join("records.wf"));
    let text = "workflow w(stages: list<{ pct: percent, bake: duration }> = [{ pct: 1%, bake: 10m }]) {\n  for i, stage in stages {\n    wait bake stage.bake\n    run a \"echo {{stage.pct}} {{3000 + i}}\"\n  }\n}\n";
    let mut client = Client::start();
    client.initialize();
    assert_eq!(open_codes(&mut client, &uri, text), Vec::<String>::new());
    let hover = |client: &mut Client, needle: &str, nth: usize| -> String {
        let result = client.request("textDocument/hover", at(&uri, position(text, needle, nth, 0)));
        result["contents"]["value"].as_str().unwrap_or_default().to_string()
    };
    let index = hover(&mut client, "i,", 0);
    assert!(index.starts_with("loop index `i: int`"), "{index}");
    assert_eq!(hover(&mut client, "i}}", 0), index, "a use shows what the declaration does");
    let stage = hover(&mut client, "stage in", 0);
    assert!(stage.starts_with("loop variable `stage: { pct: percent, bake: duration }`"), "{stage}");
}
