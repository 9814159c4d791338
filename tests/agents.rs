#![allow(clippy::disallowed_methods)] // Tests run the binary against servers on loopback.

//! Agent providers through the real binary, against a scripted server on loopback
//! (`common/llm_server.rs`): what wf sends, streaming and usage into the ledger and report,
//! typed `returns`, each class of failure and how it retries, timeouts and interruptions
//! mid-stream followed by a resume, `--provider` swaps, agent CLIs through `kind command`,
//! keys that never reach any output, and `wf doctor`. The same against LiteLLM and the real
//! Claude Code and Codex CLIs is in `tests/stack.rs`.

#[path = "common/llm_server.rs"]
mod llm_server;
#[path = "common/workdir.rs"]
mod workdir;

use std::time::Duration;

use llm_server::{openai_stream, Reply, Server};
use workdir::{latest_run, wait_until, Dir};

const KEY: &str = "sk-wf-test-9f3KqZ7x";

/// A workflow whose agent talks to `url` through a declared `openai` provider.
fn openai_flow(url: &str, attrs: &str) -> String {
    format!(
        r#"
model small {{
  id "small-1"
  input $2.00 per 1M tokens
  output $8.00 per 1M tokens
}}

provider local {{
  kind openai
  url "{url}/v1"
  key LOCAL_KEY
}}

workflow ask(topic: string = "logs") {{
  provider local
  model small
  agent plan "analyst" {{
    prompt "Summarise {{{{topic}}}}."
    {attrs}
  }}
  run show "echo answered: {{{{plan.text}}}}"
}}
"#
    )
}

fn run(dir: &Dir, extra: &[&str]) -> workdir::Ran {
    let mut args = vec!["run", "flow.wf", "--no-input"];
    args.extend_from_slice(extra);
    workdir::Ran { output: dir.command(&args).env("LOCAL_KEY", KEY).output().expect("wf runs") }
}

/// Every byte wf left in the state folder, as text.
fn state_bytes(dir: &Dir) -> String {
    let mut all = Vec::new();
    let mut stack = vec![dir.path().join(".wf")];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                all.extend(std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

fn report_json(ran: &workdir::Ran) -> serde_json::Value {
    serde_json::from_str(&ran.stdout()).expect("a JSON report")
}

#[test]
fn a_streamed_answer_and_its_usage_reach_the_step_the_ledger_and_the_report() {
    let server = Server::start(vec![Reply::sse(&openai_stream("Disk full on node 3.", 1_000, 250))]);
    let dir = Dir::new(&openai_flow(&server.url, ""));
    let ran = run(&dir, &["--format", "json"]);
    ran.code(0);
    let seen = server.wait_for(1);
    let request = &seen[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/v1/chat/completions"));
    assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    let body = request.json();
    assert_eq!(body["model"], "small-1");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["messages"][0]["content"], "You are the analyst.");
    assert_eq!(body["messages"][1]["content"], "Summarise logs.");
    // 1,000 input tokens at $2/1M and 250 output at $8/1M: $0.002 + $0.002.
    let report = report_json(&ran);
    assert_eq!(report["costs"]["cost_micros"], 4_000, "{report:#}");
    assert_eq!(report["costs"]["tokens"], 1_250);
    let ledger = dir.journal().ledger(&latest_run(&dir).id).expect("ledger");
    assert_eq!((ledger[0].input, ledger[0].output, ledger[0].micros), (1_000, 250, 4_000));
    let show = dir.wf(&["show", &latest_run(&dir).id, "plan"]);
    show.code(0);
    assert!(show.stdout().contains("── answer\nDisk full on node 3."), "{}", show.stdout());
    assert!(show.stdout().contains("Summarise logs."), "{}", show.stdout());
    let step = dir.journal().steps(&latest_run(&dir).id).expect("steps");
    let shown = step.get("show").and_then(|record| record.value.clone()).expect("show ran");
    assert!(format!("{shown:?}").contains("answered: Disk full on node 3."), "{shown:?}");
}

#[test]
fn returns_ask_for_a_json_schema_and_become_typed_fields() {
    let answer = r#"{"files": ["src/api.rs"], "complexity": 3}"#;
    let server = Server::start(vec![Reply::sse(&openai_stream(answer, 10, 10))]);
    let flow = openai_flow(&server.url, "returns { files: list<string>, complexity: int }")
        .replace("echo answered: {{plan.text}}", "test {{plan.complexity}} -eq 3 && echo {{plan.files}}");
    let dir = Dir::new(&flow);
    run(&dir, &[]).code(0);
    let body = server.wait_for(1)[0].json();
    let schema = &body["response_format"]["json_schema"]["schema"];
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(schema["properties"]["files"], serde_json::json!({"type": "array", "items": {"type": "string"}}));
    assert_eq!(schema["required"], serde_json::json!(["files", "complexity"]));
}

#[test]
fn an_answer_that_does_not_match_returns_fails_with_a_coded_error_naming_the_field() {
    let server = Server::start(vec![Reply::sse(&openai_stream(r#"{"complexity": "high"}"#, 10, 5))]);
    let dir = Dir::new(&openai_flow(&server.url, "returns { complexity: int }"));
    let ran = run(&dir, &[]);
    ran.code(1);
    let expected = "wf::agent::returns_mismatch: the field `complexity` should be int, found the string \"high\"";
    assert!(ran.stdout().contains(expected), "{}", ran.stdout());
    // The tokens it used are charged all the same.
    let ledger = dir.journal().ledger(&latest_run(&dir).id).expect("ledger");
    assert_eq!((ledger.len(), ledger[0].input, ledger[0].output), (1, 10, 5));
}

#[test]
fn a_refused_key_fails_at_once_naming_its_variable_even_with_retries() {
    let server = Server::start(vec![Reply::json(401, r#"{"error": {"message": "invalid api key"}}"#)]);
    let dir = Dir::new(&openai_flow(&server.url, "retry 3 backoff 10ms..20ms on error"));
    let ran = run(&dir, &[]);
    ran.code(1);
    assert!(
        ran.stdout().contains("refused the request (HTTP 401): invalid api key; check the key in `LOCAL_KEY`"),
        "{}",
        ran.stdout()
    );
    assert_eq!(server.seen().len(), 1, "a refused key is not retried");
}

#[test]
fn rate_limits_honour_retry_after_and_server_errors_retry() {
    let server = Server::start(vec![
        Reply::json(429, r#"{"error": {"message": "slow down"}}"#).header("retry-after", "1"),
        Reply::json(503, "overloaded"),
        Reply::sse(&openai_stream("ok", 5, 1)),
    ]);
    let dir = Dir::new(&openai_flow(&server.url, "retry 2 backoff 10ms..20ms on error"));
    run(&dir, &[]).code(0);
    let seen = server.wait_for(3);
    // The backoff alone would wait at most 10 ms; the server asked for a second.
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_millis(950), "retried after {waited:?}, before the server's Retry-After");
    let attempts = dir.journal().steps(&latest_run(&dir).id).expect("steps")["plan"].attempts;
    assert_eq!(attempts, 3);
}

#[test]
fn an_unreachable_server_is_an_error_naming_the_url() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let url = format!("http://127.0.0.1:{port}");
    let dir = Dir::new(&openai_flow(&url, ""));
    let ran = run(&dir, &[]);
    ran.code(1);
    assert!(ran.stdout().contains(&format!("could not reach {url}/v1/chat/completions")), "{}", ran.stdout());
}

#[test]
fn a_timeout_mid_stream_ends_the_attempt_and_a_resume_asks_again() {
    let first = Reply::sse(&openai_stream("never finished", 1, 1)[..1]).stalling();
    let server = Server::start(vec![first]);
    let dir = Dir::new(&openai_flow(&server.url, "timeout 1s"));
    let ran = run(&dir, &[]);
    ran.code(1);
    assert!(ran.stdout().contains("`plan` timed out: timed out after 1s"), "{}", ran.stdout());
    let run_id = latest_run(&dir).id;
    assert_eq!(dir.journal().steps(&run_id).expect("steps")["plan"].status, "timed_out");
    server.script(vec![Reply::sse(&openai_stream("finished", 3, 2))]);
    let resumed = dir.command(&["resume", &run_id]).env("LOCAL_KEY", KEY).output().expect("resume");
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stdout));
    assert_eq!(server.seen().len(), 2);
    let exchanges = dir.journal().exchanges(&run_id, Some("plan")).expect("exchanges");
    assert_eq!(exchanges.len(), 2, "both attempts are journaled");
    assert_eq!(exchanges[1].2.answer.as_deref(), Some("finished"));
}

#[test]
fn ctrl_c_mid_stream_aborts_the_request_journals_the_run_and_resume_finishes_it() {
    let slow = Reply::sse(&openai_stream("slow answer", 1, 1)[..1]).stalling();
    let server = Server::start(vec![slow]);
    let dir = Dir::new(&openai_flow(&server.url, ""));
    let child = dir
        .command(&["run", "flow.wf", "--no-input", "--quiet"])
        .env("LOCAL_KEY", KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("wf starts");
    server.wait_for(1);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("interrupt");
    let output = child.wait_with_output().expect("wf ends");
    assert_eq!(output.status.code(), Some(130));
    let run_id = latest_run(&dir).id;
    assert_eq!(latest_run(&dir).status, wf::journal::RunStatus::Interrupted);
    server.script(vec![Reply::sse(&openai_stream("answered after all", 2, 2))]);
    let resumed = dir.command(&["resume", &run_id]).env("LOCAL_KEY", KEY).output().expect("resume");
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stdout));
    let records = dir.journal().steps(&run_id).expect("steps");
    assert_eq!(records["plan"].status, "succeeded");
    assert_eq!(records["show"].status, "succeeded");
}

#[test]
fn the_key_never_reaches_output_the_journal_or_the_answer() {
    // A hostile server that repeats the key back in its answer and its error.
    let echo = format!("your key is {KEY}, thanks");
    let server = Server::start(vec![
        Reply::json(500, &format!(r#"{{"error": {{"message": "bad key {KEY}"}}}}"#)),
        Reply::sse(&openai_stream(&echo, 4, 4)),
    ]);
    let dir = Dir::new(&openai_flow(&server.url, "retry 1 backoff 10ms..20ms on error"));
    let ran = run(&dir, &["--verbose", "--events", "ndjson", "--events-file", "events.ndjson"]);
    ran.code(0);
    let show = dir.wf(&["show", &latest_run(&dir).id, "plan", "--format", "json"]);
    let everything = [ran.stdout(), ran.stderr(), show.stdout(), dir.read("events.ndjson"), state_bytes(&dir)].concat();
    assert!(!everything.contains(KEY), "the key leaked");
    assert!(show.stdout().contains("your key is ***, thanks"), "{}", show.stdout());
    assert!(everything.contains("bad key ***"), "the error is kept, masked");
}

#[test]
fn a_missing_key_is_refused_before_a_run_exists() {
    let dir = Dir::new(&openai_flow("http://127.0.0.1:9", ""));
    let ran = dir.wf(&["run", "flow.wf", "--no-input"]);
    ran.code(2);
    assert!(
        ran.stderr().contains("the API key of provider `local` is not set: export `LOCAL_KEY`"),
        "{}",
        ran.stderr()
    );
    assert!(dir.journal().latest_run().expect("journal").is_none(), "no run was created");
}

#[test]
fn anthropic_returns_come_through_a_forced_tool_and_cache_tokens_count() {
    let events = [
        r#"{"type":"message_start","message":{"usage":{"input_tokens":120,"cache_read_input_tokens":4000,"cache_creation_input_tokens":30,"output_tokens":1}}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"answer","input":{}}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"complexity\": "}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"4}"}}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"#,
        r#"{"type":"message_stop"}"#,
    ];
    let server = Server::start(vec![Reply::sse(&events.map(str::to_owned))]);
    let flow = format!(
        r#"
provider claude {{ kind anthropic url "{}" key LOCAL_KEY model "claude-test" }}
workflow w() {{
  provider claude
  agent plan "analyst" {{ prompt "Rate it." returns {{ complexity: int }} }}
  run check "test {{{{plan.complexity}}}} -eq 4"
}}
"#,
        server.url
    );
    let dir = Dir::new(&flow);
    run(&dir, &[]).code(0);
    let request = &server.wait_for(1)[0];
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.header("x-api-key"), Some(KEY));
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    let body = request.json();
    assert_eq!(body["tool_choice"], serde_json::json!({"type": "tool", "name": "answer"}));
    assert_eq!(body["system"], "You are the analyst.");
    let ledger = dir.journal().ledger(&latest_run(&dir).id).expect("ledger");
    // Cache writes count as input; cache reads are the cached tokens; the model is unpriced.
    assert_eq!((ledger[0].input, ledger[0].output, ledger[0].cached, ledger[0].unpriced), (150, 9, 4000, true));
}

/// An agent script speaking wf's `json` protocol: it reads the prompt on stdin and answers
/// with text, typed fields, usage and its own cost.
const SCRIPT_AGENT: &str = r#"#!/bin/sh
prompt=$(cat)
case "$prompt" in *"Rate the change"*) ;; *) echo "no prompt on stdin" >&2; exit 9;; esac
printf 'thinking...\n'
printf '{"text": "rated it for model %s", "returns": {"score": 7}, "usage": {"input": 1000, "output": 100, "cached": 500}, "cost_usd": 0.5}\n' "$1"
"#;

#[test]
fn a_command_agent_reads_the_prompt_on_stdin_and_its_json_answer_is_charged() {
    let flow = r#"
model m { id "m-1; rm -rf /" input $1.00 per 1M tokens output $2.00 per 1M tokens }
provider mine { kind command command "sh ./agent.sh {{model}}" format json }
workflow w() {
  provider mine
  model m
  agent rate "reviewer" { prompt "Rate the change." returns { score: int } }
  run check "test {{rate.score}} -eq 7"
}
"#;
    let dir = Dir::new(flow);
    dir.write("agent.sh", SCRIPT_AGENT);
    let ran = dir.wf(&["run", "flow.wf", "--no-input", "--format", "json"]);
    ran.code(0);
    let run_id = latest_run(&dir).id;
    let ledger = dir.journal().ledger(&run_id).expect("ledger");
    // 1,000 in at $1/1M, 100 out at $2/1M, 500 cached at the input price: $0.0017.
    assert_eq!((ledger[0].micros, ledger[0].reported_micros), (1_700, Some(500_000)));
    let exchanges = dir.journal().exchanges(&run_id, Some("rate")).expect("exchanges");
    // The model id reached the script as one word, whatever it holds.
    assert_eq!(exchanges[0].2.answer.as_deref(), Some("rated it for model m-1; rm -rf /"));
    let report = report_json(&ran);
    assert_eq!(report["costs"]["models"][0]["reported_micros"], 500_000);
    let human = dir.wf(&["show", &run_id]);
    assert!(human.stdout().contains("the provider reported $0.50"), "{}", human.stdout());
}

#[test]
fn a_command_agent_that_fails_is_an_error_with_what_it_said() {
    let flow = r#"
provider mine { kind command command "echo quota exceeded >&2; exit 4" format text model "x" }
workflow w() { agent a "r" { provider mine prompt "go" } }
"#;
    let dir = Dir::new(flow);
    let ran = dir.wf(&["run", "flow.wf", "--no-input"]);
    ran.code(1);
    assert!(ran.stdout().contains("the agent command `mine` exited with 4: quota exceeded"), "{}", ran.stdout());
}

#[test]
fn a_provider_swap_is_recorded_and_kept_by_resume() {
    let server = Server::start(vec![Reply::json(503, "down"), Reply::sse(&openai_stream("swapped in", 1, 1))]);
    // The file's agents use `sim`; the run swaps in a declared HTTP provider.
    let flow = format!(
        r#"
provider local {{ kind openai url "{}/v1" key LOCAL_KEY model "m" }}
workflow w() {{
  agent a "analyst" {{ prompt "go" }}
}}
"#,
        server.url
    );
    let dir = Dir::new(&flow);
    run(&dir, &["--provider", "sim=local"]).code(1);
    let record = latest_run(&dir);
    assert_eq!(record.options().providers.get("sim").map(String::as_str), Some("local"));
    let resumed = dir.command(&["resume", &record.id]).env("LOCAL_KEY", KEY).output().expect("resume");
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stdout));
    assert_eq!(server.seen().len(), 2, "the resume asked the swapped-in provider, not sim");
    let exchanges = dir.journal().exchanges(&record.id, None).expect("exchanges");
    assert_eq!(exchanges.last().map(|(_, _, e)| e.provider.as_str()), Some("local"));
    let unknown = dir.wf(&["run", "flow.wf", "--provider", "sim=nowhere"]);
    unknown.code(2);
    assert!(unknown.stderr().contains("no provider `nowhere` is declared or built in"), "{}", unknown.stderr());
}

#[test]
fn doctor_says_which_provider_answers_and_which_lacks_its_model() {
    let models = r#"{"object": "list", "data": [{"id": "small-1"}, {"id": "other"}]}"#;
    let server = Server::start(vec![Reply::json(200, models)]);
    let dir = Dir::new(&openai_flow(&server.url, ""));
    let ok = dir.command(&["doctor", "flow.wf"]).env("LOCAL_KEY", KEY).output().expect("doctor");
    let said = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{said}");
    assert!(said.contains(&format!("✓ local: {}/v1 answers; model `small-1` is served", server.url)), "{said}");
    assert_eq!(server.seen()[0].path, "/v1/models");
    server.script(vec![Reply::json(200, r#"{"data": [{"id": "other"}]}"#)]);
    let missing = dir.command(&["doctor", "flow.wf"]).env("LOCAL_KEY", KEY).output().expect("doctor");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stdout).contains("does not serve model `small-1`"));
    let keyless = dir.wf(&["doctor", "flow.wf"]);
    keyless.code(1);
    assert!(keyless.stdout().contains("✗ local: its API key is not set: export `LOCAL_KEY`"), "{}", keyless.stdout());
}

#[test]
fn progress_shows_tokens_so_far_while_an_answer_streams() {
    let pieces = openai_stream("a fairly long answer that streams in two pieces", 10, 12);
    let server = Server::start(vec![Reply::sse(&pieces).paced(Duration::from_millis(300))]);
    let dir = Dir::new(&openai_flow(&server.url, ""));
    run(&dir, &["--events", "ndjson", "--events-file", "events.ndjson"]).code(0);
    let progress: Vec<u64> = dir
        .events()
        .iter()
        .filter(|event| event["event"] == "agent_progress")
        .filter_map(|event| event["tokens"].as_u64())
        .collect();
    assert!(progress.len() >= 2, "tokens were reported as they streamed: {progress:?}");
    assert_eq!(progress.last(), Some(&12), "the last count is the server's");
    wait_until("the journal has no progress events", || {
        dir.journaled().iter().all(|(kind, _)| kind != "agent_progress")
    });
}

#[test]
fn a_command_agent_past_its_timeout_is_killed_with_its_children() {
    let flow = r#"
provider slow { kind command command "sh -c 'sleep 60 & echo $! > child.pid; wait'" format text model "x" }
workflow w() { agent a "r" { provider slow prompt "go" timeout 1s } }
"#;
    let dir = Dir::new(flow);
    let started = std::time::Instant::now();
    let ran = dir.wf(&["run", "flow.wf", "--no-input", "--kill-grace", "200ms"]);
    ran.code(1);
    assert!(ran.stdout().contains("`a` timed out: timed out after 1s"), "{}", ran.stdout());
    assert!(started.elapsed() < Duration::from_secs(30), "the agent was not stopped");
    let child: i32 = dir.read("child.pid").trim().parse().expect("the agent's child wrote its pid");
    wait_until("the agent's child is gone", || !workdir::alive(child));
}
