#![allow(clippy::disallowed_methods)] // Tests run the binary, real commands and read the journal.

//! People in the loop (spec §10): approvals at a terminal and without one, `wf approve`,
//! approval timeouts across restarts, escalation decisions, the three modes, and budgets that
//! warn, pause before overspending, reserve for parallel siblings and resume when raised.

#[path = "common/pty.rs"]
mod pty;
#[path = "common/workdir.rs"]
mod workdir;

use wf::journal::{Answer, AskKind, How, RunStatus};
use workdir::{latest_run, wait_until, Dir};

fn lines(dir: &Dir, name: &str) -> Vec<String> {
    dir.read(name).lines().map(str::to_owned).collect()
}

const SHIP: &str = r#"workflow w(version: string = "1.2") {
  run build "echo build >> log"
  gate ship { approve "Ship {{version}}?" }
  run after "echo after by={{ship.approved_by}} comment={{ship.comment}} >> log"
}"#;

#[test]
fn wf_approve_records_who_and_why_and_resume_goes_on() {
    let dir = Dir::new(SHIP);
    let paused = dir.wf(&["run", "flow.wf"]);
    paused.code(3);
    let run = latest_run(&dir).id;
    assert!(paused.stderr().contains(&format!("wf approve {run} ship")), "{}", paused.stderr());
    assert_eq!(lines(&dir, "log"), ["build"]);
    let asked = dir.decisions();
    assert_eq!(asked.len(), 1);
    assert_eq!((asked[0].kind, asked[0].question.as_str()), (AskKind::Approval, "Ship 1.2?"));
    assert!(asked[0].given.is_none());

    dir.wf(&["approve", &run, "ship", "--by", "alice", "--comment", "tested on staging"]).code(0);
    // Approving twice is refused: the question is answered.
    dir.wf(&["approve", &run, "ship"]).code(2);
    dir.wf(&["resume", &run]).code(0);
    assert_eq!(lines(&dir, "log"), ["build", "after by=alice comment=tested on staging"]);
    let given = dir.decisions()[0].given.clone().expect("answered");
    assert_eq!((given.answer, given.by.as_str(), given.how), (Answer::Approve, "alice", How::Command));
    assert!(dir.decisions()[0].consumed);
}

#[test]
fn a_rejected_gate_fails_the_run() {
    let dir = Dir::new(SHIP);
    dir.wf(&["run", "flow.wf"]).code(3);
    let run = latest_run(&dir).id;
    dir.wf(&["approve", &run, "ship", "--reject", "--comment", "not this week", "--by", "bob"]).code(0);
    let ended = dir.wf(&["resume", &run]);
    ended.code(1);
    assert!(ended.stdout().contains("rejected by bob: not this week"), "{}", ended.stdout());
    assert_eq!(lines(&dir, "log"), ["build"]);
    assert_eq!(latest_run(&dir).status, RunStatus::Failed);
}

#[test]
fn wf_approve_names_only_open_questions() {
    let dir = Dir::new(SHIP);
    dir.wf(&["run", "flow.wf"]).code(3);
    let run = latest_run(&dir).id;
    let wrong = dir.wf(&["approve", &run, "shipit"]);
    wrong.code(2);
    assert!(wrong.stderr().contains("it waits on `ship`"), "{}", wrong.stderr());
    dir.wf(&["approve", "no-such-run", "ship"]).code(2);
    dir.wf(&["approve", &run, "ship", "--decide", "retry"]).code(2);
}

#[test]
fn an_approval_timeout_is_honoured_across_a_restart() {
    let dir = Dir::new(
        r#"workflow w() {
  gate ship { approve "Ship?" timeout 300ms }
  gate canary { approve "Canary?" timeout 300ms on timeout approve }
  run after "echo after >> log"
}"#,
    );
    // `ship` is approved ahead; `canary` approves itself when its time is up.
    dir.wf(&["run", "flow.wf", "--approve", "ship"]).code(3);
    let run = latest_run(&dir).id;
    let deadline = dir.decisions()[1].deadline.expect("a deadline");
    assert_eq!(dir.decisions()[1].on_timeout, Some(Answer::Approve));
    // Too early a resume pauses again, keeping the first deadline.
    dir.wf(&["resume", &run]).code(3);
    assert_eq!(dir.decisions().len(), 2);
    assert_eq!(dir.decisions()[1].deadline, Some(deadline));
    wait_until("the approval's deadline passed", || now_ms() > deadline);
    // After the deadline, `wf approve` is refused and the timeout decides.
    let late = dir.wf(&["approve", &run, "canary"]);
    late.code(2);
    assert!(late.stderr().contains("timed out"), "{}", late.stderr());
    dir.wf(&["resume", &run]).code(0);
    let given = dir.decisions()[1].given.clone().expect("answered by the timeout");
    assert_eq!((given.answer, given.how, given.by.as_str()), (Answer::Approve, How::Timeout, "timeout"));
    assert_eq!(lines(&dir, "log"), ["after"]);
}

#[test]
fn an_approval_that_times_out_rejects_by_default() {
    let dir = Dir::new(
        r#"workflow w() {
  gate ship { approve "Ship?" timeout 200ms }
  run after "echo after >> log"
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(3);
    let deadline = dir.decisions()[0].deadline.expect("a deadline");
    wait_until("the approval's deadline passed", || now_ms() > deadline);
    let ended = dir.wf(&["resume"]);
    ended.code(1);
    assert!(ended.stdout().contains("rejected by timeout"), "{}", ended.stdout());
    assert!(dir.read("log").is_empty());
}

const ESCALATES: &str = r#"workflow w() {
  run flaky "test -f fixed" { on failure escalate "the tests need a person" }
  run after "echo after >> log"
  on failure { run cleanup "echo cleanup >> log" }
}"#;

#[test]
fn an_escalation_decided_skip_goes_on_past_the_step() {
    let dir = Dir::new(ESCALATES);
    let paused = dir.wf(&["run", "flow.wf"]);
    paused.code(3);
    assert!(paused.stderr().contains("flaky --decide retry` (or `skip`, `abort`)"), "{}", paused.stderr());
    let run = latest_run(&dir).id;
    dir.wf(&["approve", &run, "flaky"]).code(2);
    dir.wf(&["approve", &run, "flaky", "--decide", "skip"]).code(0);
    dir.wf(&["resume", &run]).code(0);
    assert_eq!(lines(&dir, "log"), ["after"]);
    let flaky = &dir.journal().steps(&run).expect("steps")["flaky"];
    assert_eq!((flaky.status.as_str(), flaky.accepted), ("failed", true));
    // A later resume keeps the skip (the run succeeded: nothing to resume).
    assert_eq!(latest_run(&dir).status, RunStatus::Succeeded);
}

#[test]
fn an_escalation_decided_abort_fails_the_run_and_runs_its_handler() {
    let dir = Dir::new(ESCALATES);
    dir.wf(&["run", "flow.wf"]).code(3);
    let run = latest_run(&dir).id;
    dir.wf(&["approve", &run, "flaky", "--decide", "abort", "--comment", "flaky for weeks"]).code(0);
    dir.wf(&["resume", &run]).code(1);
    assert_eq!(lines(&dir, "log"), ["cleanup"]);
    let decisions = dir.decisions();
    assert_eq!(decisions[0].kind, AskKind::Escalation);
    assert_eq!(decisions[0].given.as_ref().map(|given| given.answer), Some(Answer::Abort));
}

#[test]
fn a_block_escalates_as_a_whole() {
    let dir = Dir::new(
        r#"workflow w() {
  phase checks {
    run lint "test -f fixed"
    on failure escalate
  }
  run after "echo after >> log"
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(3);
    let run = latest_run(&dir).id;
    assert_eq!(dir.decisions()[0].key, "checks");
    dir.write("fixed", "");
    dir.wf(&["approve", &run, "checks", "--decide", "retry"]).code(0);
    dir.wf(&["resume", &run]).code(0);
    assert_eq!(lines(&dir, "log"), ["after"]);
}

#[test]
fn autopilot_approves_and_records_it_as_automatic() {
    let dir = Dir::new(SHIP);
    dir.wf(&["run", "flow.wf", "--mode", "autopilot"]).code(0);
    assert_eq!(lines(&dir, "log"), ["build", "after by=autopilot comment="]);
    let given = dir.decisions()[0].given.clone().expect("answered");
    assert_eq!((given.how, given.by.as_str()), (How::Mode, "autopilot"));
    assert!(given.how.automatic());
}

#[test]
fn autopilot_records_its_approval_of_a_risky_step_among_the_decisions() {
    let dir = Dir::new(
        r#"workflow w() {
  run build "echo build >> log"
  run deploy "echo deploy >> log" { risk high }
}"#,
    );
    let report = dir.wf(&["run", "flow.wf", "--mode", "autopilot", "--format", "json"]);
    report.code(0);
    assert_eq!(lines(&dir, "log"), ["build", "deploy"]);
    let decisions = dir.decisions();
    assert_eq!(decisions.len(), 1, "only the risky step is a decision");
    assert_eq!((decisions[0].key.as_str(), decisions[0].kind), ("deploy", AskKind::Approval));
    let given = decisions[0].given.clone().expect("answered");
    assert_eq!((given.answer, given.how, given.by.as_str()), (Answer::Approve, How::Mode, "autopilot"));
    let human = dir.wf(&["show", &latest_run(&dir).id]);
    let shown = human.stdout();
    assert!(shown.contains("deploy") && shown.contains("autopilot"), "{shown}");
}

#[test]
fn supervised_asks_before_every_step_and_hybrid_only_before_risky_ones() {
    let workflow = r#"workflow w() {
  mode hybrid
  run build "echo build >> log"
  run deploy "echo deploy >> log" { risk high }
  run notify "echo notify >> log"
}"#;
    let hybrid = Dir::new(workflow);
    hybrid.wf(&["run", "flow.wf"]).code(3);
    assert_eq!(lines(&hybrid, "log"), ["build"]);
    assert_eq!(hybrid.decisions()[0].key, "deploy");
    hybrid.wf(&["resume", "--approve", "deploy"]).code(0);
    assert_eq!(lines(&hybrid, "log"), ["build", "deploy", "notify"]);
    assert_eq!(hybrid.decisions().len(), 1);
    assert_eq!(hybrid.decisions()[0].given.as_ref().map(|given| given.how), Some(How::Ahead));

    let supervised = Dir::new(workflow);
    supervised.wf(&["run", "flow.wf", "--mode", "supervised"]).code(3);
    assert!(supervised.read("log").is_empty());
    let run = latest_run(&supervised).id;
    for (step, done) in [("build", vec!["build"]), ("deploy", vec!["build", "deploy"])] {
        supervised.wf(&["approve", &run, step]).code(0);
        // The resume keeps the mode the run started with: `notify` asks too.
        supervised.wf(&["resume", &run]).code(3);
        assert_eq!(lines(&supervised, "log"), done);
    }
    supervised.wf(&["approve", &run, "notify"]).code(0);
    supervised.wf(&["resume", &run]).code(0);
    assert_eq!(lines(&supervised, "log"), ["build", "deploy", "notify"]);
    assert_eq!(supervised.decisions().len(), 3);
}

#[test]
fn at_a_terminal_the_question_is_asked_there() {
    let dir = Dir::new(SHIP);
    let mut terminal = pty::Terminal::spawn(dir.command(&["run", "flow.wf"]));
    terminal.wait_for("Ship 1.2?", 1);
    terminal.wait_for("[c]omment first: ", 1);
    terminal.type_line("c");
    terminal.wait_for("comment: ", 1);
    terminal.type_line("ship it");
    terminal.wait_for("[c]omment first: ", 2);
    terminal.type_line("y");
    assert_eq!(terminal.exit_code(), Some(0));
    let user = std::env::var("USER").unwrap_or_else(|_| "someone".to_owned());
    assert_eq!(lines(&dir, "log"), ["build".to_owned(), format!("after by={user} comment=ship it")]);
    let given = dir.decisions()[0].given.clone().expect("answered");
    assert_eq!(given.how, How::Terminal);
}

#[test]
fn at_a_terminal_a_rejection_fails_the_gate() {
    let dir = Dir::new(SHIP);
    let mut terminal = pty::Terminal::spawn(dir.command(&["run", "flow.wf"]));
    terminal.wait_for("[c]omment first: ", 1);
    terminal.type_line("n");
    assert_eq!(terminal.exit_code(), Some(1));
    assert_eq!(lines(&dir, "log"), ["build"]);
}

#[test]
fn at_a_terminal_an_escalation_can_be_retried() {
    let dir = Dir::new(ESCALATES);
    let mut terminal = pty::Terminal::spawn(dir.command(&["run", "flow.wf"]));
    terminal.wait_for("[a]bort", 1);
    dir.write("fixed", "");
    terminal.type_line("r");
    assert_eq!(terminal.exit_code(), Some(0));
    assert_eq!(lines(&dir, "log"), ["after"]);
    assert_eq!(dir.decisions()[0].given.as_ref().map(|given| given.answer), Some(Answer::Retry));
}

#[test]
fn at_a_terminal_an_unanswered_approval_times_out() {
    let dir = Dir::new(
        r#"workflow w() {
  gate ship { approve "Ship?" timeout 300ms }
}"#,
    );
    let terminal = pty::Terminal::spawn(dir.command(&["run", "flow.wf"]));
    terminal.wait_for("times out in", 1);
    assert_eq!(terminal.exit_code(), Some(1));
    assert_eq!(dir.decisions()[0].given.as_ref().map(|given| given.how), Some(How::Timeout));
}

#[test]
fn with_no_input_a_terminal_run_pauses() {
    let dir = Dir::new(SHIP);
    let terminal = pty::Terminal::spawn(dir.command(&["run", "flow.wf", "--no-input"]));
    assert_eq!(terminal.exit_code(), Some(3));
}

const SPENDS: &str = r#"workflow w() {
  budget $2.50 warn at 50%
  run a "echo a >> log" { cost $1.00 }
  run b "echo b >> log" { cost $1.00 }
  run c "echo c >> log" { cost $1.00 }
}"#;

#[test]
fn a_budget_that_cannot_cover_the_first_step_is_refused_before_the_run_starts() {
    // Free steps first, then one that expects more than the run's budget.
    let dir = Dir::new(
        r#"workflow w() {
  budget $0.50
  run setup "echo setup >> log"
  phase work {
    run a "echo a >> log" { cost $1.00 }
  }
}"#,
    );
    let refused = dir.wf(&["run", "flow.wf"]);
    refused.code(2);
    assert!(
        refused.stderr().contains("the run's budget of $0.50 cannot cover the first step that spends, `work/a`"),
        "{}",
        refused.stderr()
    );
    assert!(refused.stderr().contains("`--budget '$1.00'`"), "{}", refused.stderr());
    assert!(dir.read("log").is_empty(), "nothing ran");
    assert!(dir.wf(&["runs"]).stdout().contains("no runs"), "no run was created");
    // The flag it names is enough.
    dir.wf(&["run", "flow.wf", "--budget", "$1.00"]).code(0);
    assert_eq!(lines(&dir, "log"), ["setup", "a"]);

    // A phase's budget, named with its key; the run's budget can be ample.
    let phase = Dir::new(
        r#"workflow w() {
  budget $5.00
  phase work {
    budget $0.10
    run a "echo a >> log" { cost $1.00 }
  }
}"#,
    );
    let refused = phase.wf(&["run", "flow.wf"]);
    refused.code(2);
    assert!(refused.stderr().contains("phase `work`'s budget of $0.10"), "{}", refused.stderr());
    phase.wf(&["run", "flow.wf", "--budget", "work=$1.00"]).code(0);

    // A first step that fits: the run starts (and pauses later, as budgets do).
    Dir::new(SPENDS).wf(&["run", "flow.wf"]).code(3);
}

#[test]
fn a_budget_warns_once_and_pauses_before_a_step_would_overspend() {
    let dir = Dir::new(SPENDS);
    let paused = dir.wf(&["run", "flow.wf"]);
    paused.code(3);
    assert_eq!(lines(&dir, "log"), ["a", "b"], "c would have spent $3.00 of $2.50");
    assert!(paused.stderr().contains("--budget"), "{}", paused.stderr());
    let events = dir.journaled();
    let warnings: Vec<_> = events.iter().filter(|(kind, _)| kind == "budget_warning").collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].1["spent"], 2_000_000);
    assert!(events.iter().any(|(kind, _)| kind == "budget_exhausted"));
    let run = latest_run(&dir).id;
    assert_eq!(dir.journal().spent(&run).expect("ledger").0, 2_000_000);

    // Without a higher budget it stays paused, and the warning is not given again.
    dir.wf(&["resume", &run]).code(3);
    dir.wf(&["resume", &run, "--budget", "$5"]).code(0);
    assert_eq!(lines(&dir, "log"), ["a", "b", "c"]);
    assert_eq!(dir.journal().spent(&run).expect("ledger").0, 3_000_000);
    let warnings = dir.journaled().into_iter().filter(|(kind, _)| kind == "budget_warning").count();
    assert_eq!(warnings, 1);
    let raised = dir.decisions().into_iter().find(|row| row.kind == AskKind::Budget).expect("budget question");
    assert_eq!(raised.given.map(|given| given.answer), Some(Answer::Raise));
    assert_eq!(latest_run(&dir).options().budget.money.map(|limit| limit.amount), Some(5_000_000));
}

#[test]
fn parallel_siblings_cannot_jointly_overspend() {
    let dir = Dir::new(
        r#"workflow w() {
  budget $2.00
  parallel {
    run a "echo a >> log" { cost $1.00 }
    run b "echo b >> log" { cost $1.00 }
    run c "echo c >> log" { cost $1.00 }
  }
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(3);
    assert_eq!(dir.read("log").lines().count(), 2, "two estimates fit in $2.00; the third waited, then paused");
    let run = latest_run(&dir).id;
    assert_eq!(dir.journal().spent(&run).expect("ledger").0, 2_000_000);
    dir.wf(&["resume", &run, "--budget", "3.00"]).code(0);
    assert_eq!(dir.read("log").lines().count(), 3);
}

#[test]
fn a_phase_budget_and_a_token_budget_pause_too() {
    // Each agent call expects 10k tokens: 7.5k in at $1/1M and 2.5k out at $2/1M, $0.0125.
    let dir = Dir::new(
        r#"model m { id "m-1" input $1.00 per 1M tokens output $2.00 per 1M tokens }
workflow w() {
  budget 25k tokens
  phase fix {
    budget $0.02
    agent one "coder" { prompt "fix it" model m expect 10k tokens }
    agent two "coder" { prompt "fix it again" model m expect 10k tokens }
  }
  agent three "coder" { prompt "review" model m expect 10k tokens }
}"#,
    );
    dir.wf(&["run", "flow.wf"]).code(3);
    let run = latest_run(&dir).id;
    let status = |key: &str| dir.journal().steps(&run).expect("steps").get(key).map(|step| step.status.clone());
    assert_eq!(status("fix/one").as_deref(), Some("succeeded"));
    assert_eq!(status("fix/two").as_deref(), Some("paused"), "$0.0125 spent of $0.02: another $0.0125 would overspend");
    dir.wf(&["resume", &run, "--budget", "fix=$1"]).code(3);
    assert_eq!(status("fix/two").as_deref(), Some("succeeded"));
    assert_eq!(status("three").as_deref(), Some("paused"), "20k of 25k tokens spent: 10k more would overspend");
    dir.wf(&["resume", &run, "--budget", "40k tokens"]).code(0);
    assert_eq!(dir.journal().spent(&run).expect("ledger"), (37_500, 30_000));
}

#[test]
fn bug_fix_pauses_at_its_pr_gate_and_wf_approve_finishes_it() {
    let dir = Dir::new("");
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bug-fix.wf");
    let file = file.to_str().expect("utf-8 path");
    let paused = dir.wf(&["run", file, "--arg", "ticket=PL-479"]);
    paused.code(3);
    let run = latest_run(&dir).id;
    let open = dir.decisions();
    assert_eq!((open[0].key.as_str(), open[0].question.as_str()), ("pr/ship", "Open the pull request for PL-479?"));
    let spent_before = dir.journal().spent(&run).expect("ledger");
    assert!(spent_before.0 > 0, "the agents spent before the gate");

    dir.wf(&["approve", &run, "ship", "--by", "maria", "--comment", "reviewed the diff"]).code(0);
    // `open_pr` is `risk high`: in hybrid mode it asks too.
    dir.wf(&["resume", &run]).code(3);
    assert_eq!(dir.decisions()[1].key, "pr/open_pr");
    dir.wf(&["approve", &run, "open_pr", "--by", "maria"]).code(0);
    dir.wf(&["resume", &run]).code(0);
    assert_eq!(latest_run(&dir).status, RunStatus::Succeeded);
    // The pause cost nothing: the resumes ran no agent again.
    assert_eq!(dir.journal().spent(&run).expect("ledger"), spent_before);

    // `wf show` and `wf stats` report its cost by phase, from the same ledger.
    let shown = dir.wf(&["show", &run, "--format", "json"]);
    let shown: serde_json::Value = serde_json::from_str(&shown.code(0).stdout()).expect("json");
    let costs = &shown["report"]["costs"];
    let phases: Vec<(&str, i64)> = costs["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .map(|phase| (phase["name"].as_str().expect("name"), phase["cost_micros"].as_i64().expect("micros")))
        .collect();
    assert_eq!(phases, [("analysis", 120_000), ("reproduction", 48_000), ("implementation", 108_000)]);
    assert_eq!(costs["cost_micros"], spent_before.0);
    let approvals = shown["report"]["decisions"].as_array().expect("decisions");
    assert_eq!(approvals[0]["by"], "maria");
    let stats = dir.wf(&["stats", "--format", "json"]);
    let stats: serde_json::Value = serde_json::from_str(&stats.code(0).stdout()).expect("json");
    assert_eq!(stats["overall"]["cost_total_micros"], spent_before.0);
    assert_eq!(stats["overall"]["approvals"], 2);
    let human = dir.wf(&["show", &run]);
    assert!(human.code(0).stdout().contains("by phase    analysis"), "{}", human.stdout());
}

#[test]
fn the_ledger_prices_every_attempt_and_iteration_in_micro_dollars() {
    let dir = Dir::new(
        r#"model m { id "m-1" input $3.00 per 1M tokens output $15.00 per 1M tokens cached $0.30 per 1M tokens }
workflow w() {
  agent fix "coder" { prompt "fix it" model m retry 1 backoff 1ms..1ms }
  repeat max 2 {
    run check "true" { cost $0.10 }
  }
}"#,
    );
    // The first call fails after reading the prompt: its tokens are charged all the same.
    dir.write(
        "sim.json",
        r#"{"steps": {"fix": [
            {"fail": "overloaded", "usage": {"input": 1000, "output": 0, "cached": 0}},
            {"usage": {"input": 2001, "output": 333, "cached": 10000}}
        ]}}"#,
    );
    dir.wf(&["run", "flow.wf", "--sim", "sim.json"]).code(0);
    let run = latest_run(&dir).id;
    // 1000 × $3/1M = 3000; 2001 × $3/1M = 6003, 333 × $15/1M = 4995, 10000 × $0.30/1M = 3000.
    let agent = 3_000 + 6_003 + 4_995 + 3_000;
    let checks = 2 * 100_000;
    assert_eq!(dir.journal().spent(&run).expect("ledger"), (agent + checks, 1_000 + 2_001 + 333 + 10_000));
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock");
    i64::try_from(since.as_millis()).expect("ms")
}
