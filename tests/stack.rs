#![allow(clippy::disallowed_methods)] // Tests install and start servers and run real CLIs.

//! The providers against software nobody on this project wrote (`../shared/llm-stack/`): the
//! LiteLLM proxy serving the OpenAI and Anthropic APIs with canned answers, real streaming and
//! real usage, and the real Claude Code and Codex CLIs pointed at it, all on loopback. The
//! bug-fix example runs end to end with each provider swapped in for `sim`.
//!
//! The stack is installed (idempotently) and started on port 4011 with this project's canned
//! answers (`tests/fixtures/agent/canned.json`) by the first test that needs it; `.ci/run`
//! stops it afterwards (`PORT=4011 ../shared/llm-stack/down.sh`). `WF_LLM_STACK_DIR` names
//! another copy of the stack's scripts.

#[path = "common/workdir.rs"]
mod workdir;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use workdir::{latest_run, Dir};

const PORT: &str = "4011";

struct Stack {
    url: String,
    /// `claude` and `codex` on PATH, as a user has them: the stack's wrappers.
    bin: PathBuf,
    _homes: tempfile::TempDir,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scripts() -> PathBuf {
    std::env::var_os("WF_LLM_STACK_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("../shared/llm-stack"))
}

/// Installs and starts the stack once for the whole test binary.
fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let scripts = scripts();
        assert!(
            scripts.join("up.sh").is_file(),
            "the LLM test stack is not at {} (set WF_LLM_STACK_DIR to its folder)",
            scripts.display()
        );
        let install = Command::new("bash").arg(scripts.join("install.sh")).output().expect("install.sh runs");
        assert!(install.status.success(), "install.sh failed: {}", String::from_utf8_lossy(&install.stderr));
        // up.sh reuses a proxy already on the port, whatever answers it was started with (another
        // checkout's canned file, since deleted): start this one afresh.
        let down = Command::new("bash").arg(scripts.join("down.sh")).env("PORT", PORT).output().expect("down.sh runs");
        assert!(down.status.success(), "down.sh failed: {}", String::from_utf8_lossy(&down.stderr));
        let up = Command::new("bash")
            .arg(scripts.join("up.sh"))
            .env("PORT", PORT)
            .env("CANNED_FILE", root().join("tests/fixtures/agent/canned.json"))
            .output()
            .expect("up.sh runs");
        assert!(up.status.success(), "up.sh failed: {}", String::from_utf8_lossy(&up.stderr));
        let url = String::from_utf8_lossy(&up.stdout).trim().to_owned();
        let homes = tempfile::tempdir().expect("homes");
        let bin = homes.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        for (name, wrapper, home) in
            [("claude", "claude-local", "CLAUDE_LOCAL_HOME"), ("codex", "codex-local", "CODEX_LOCAL_HOME")]
        {
            let script = format!(
                "#!/bin/sh\nexport PORT={PORT} {home}='{}'\nexec '{}' \"$@\"\n",
                homes.path().join(name).display(),
                scripts.join("bin").join(wrapper).display()
            );
            let path = bin.join(name);
            std::fs::write(&path, script).expect("wrapper");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        Stack { url, bin, _homes: homes }
    })
}

/// `wf` in `dir` with the stack's CLIs on PATH and its API addresses and key in the
/// environment, as a user of each ecosystem would have them.
fn wf(dir: &Dir, args: &[&str]) -> workdir::Ran {
    let stack = stack();
    let path = format!("{}:{}", stack.bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = dir
        .command(args)
        .env("PATH", path)
        .env("OPENAI_BASE_URL", format!("{}/v1", stack.url))
        .env("OPENAI_API_KEY", "sk-local")
        .env("ANTHROPIC_BASE_URL", &stack.url)
        .env("ANTHROPIC_API_KEY", "sk-local")
        .output()
        .expect("wf runs");
    workdir::Ran { output }
}

fn bug_fix() -> String {
    root().join("examples/bug-fix.wf").display().to_string()
}

/// Runs the bug-fix example with `sim` swapped for `provider`, and checks what every provider
/// must give: a finished run whose agents' answers drove it and whose tokens are priced.
fn bug_fix_with(provider: &str) -> (Dir, serde_json::Value) {
    let dir = Dir::new("");
    let swap = format!("sim={provider}");
    let file = bug_fix();
    let args = ["run", &file, "--arg", "ticket=PL-479", "--mode", "autopilot", "--provider", &swap, "--format", "json"];
    let ran = wf(&dir, &args);
    ran.code(0);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout()).expect("a JSON report");
    let run_id = latest_run(&dir).id;
    let ledger = dir.journal().ledger(&run_id).expect("ledger");
    let agents: Vec<_> = ledger.iter().filter(|entry| entry.model.is_some()).collect();
    // plan, write_test, fix (one round: the canned answer says nothing still fails).
    assert_eq!(agents.len(), 3, "{ledger:#?}");
    for entry in &agents {
        assert!(entry.input > 0 && entry.output > 0, "usage reached the ledger: {entry:?}");
        assert!(!entry.unpriced, "std/models prices these models");
    }
    // Opus at $5 in / $25 out per 1M and $0.50 cached; the price table, not a guess.
    let plan = agents.iter().find(|entry| entry.key == "analysis/plan").expect("plan");
    let price = (plan.input * 5 + plan.output * 25) as f64 + plan.cached as f64 * 0.5;
    assert_eq!(plan.micros, price.round() as i64, "{plan:?}");
    assert_eq!(report["costs"]["cost_micros"], ledger.iter().map(|entry| entry.micros).sum::<i64>());
    // The analyst's typed answer reached the prompt of the fix.
    let exchanges = dir.journal().exchanges(&run_id, Some("implementation/fix[1]")).expect("exchanges");
    assert!(
        exchanges[0].2.prompt.contains("stay within these files if you can: src/api/orders.ts"),
        "{}",
        exchanges[0].2.prompt
    );
    assert!(exchanges.iter().all(|(_, _, exchange)| exchange.provider == provider.replace('-', "_")));
    (dir, report)
}

#[test]
fn bug_fix_runs_with_claude_code_and_keeps_its_own_cost_beside_the_price() {
    let (dir, report) = bug_fix_with("claude-code");
    let ledger = dir.journal().ledger(&latest_run(&dir).id).expect("ledger");
    assert!(ledger.iter().filter(|entry| entry.model.is_some()).all(|entry| entry.reported_micros.is_some()));
    let models = report["costs"]["models"].as_array().expect("models");
    assert!(models.iter().any(|model| model["reported_micros"].is_i64()), "{models:#?}");
}

#[test]
fn bug_fix_runs_with_codex() {
    bug_fix_with("codex");
}

#[test]
fn bug_fix_runs_with_an_openai_compatible_server() {
    bug_fix_with("openai");
}

#[test]
fn bug_fix_runs_with_the_anthropic_api() {
    bug_fix_with("anthropic");
}

#[test]
fn doctor_finds_every_provider_of_the_stack() {
    let dir = Dir::new(
        r#"
use std/models
workflow w() {
  agent a "analyst" { provider claude_code prompt "a" }
  agent b "coder" { provider codex prompt "b" }
  agent c "writer" { provider openai model models.sonnet prompt "c" }
  agent d "reviewer" { provider anthropic prompt "d" }
}
"#,
    );
    let ran = wf(&dir, &["doctor", "flow.wf"]);
    ran.code(0);
    let said = ran.stdout();
    assert!(said.contains("✓ claude_code: `claude` starts (2."), "{said}");
    assert!(said.contains("✓ codex: `codex` starts (codex-cli"), "{said}");
    assert!(said.contains("model `claude-sonnet-4-5` is served, key from `OPENAI_API_KEY`"), "{said}");
    assert!(said.contains("key from `ANTHROPIC_API_KEY`"), "{said}");
}
