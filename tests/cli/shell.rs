//! `wf completions SHELL` and `wf man`: generated from the parser, naming every command.

use super::Test;

/// Commands a user types most; each must be offered by every shell's completions.
const COMMANDS: &[&str] = &[
    "check",
    "run",
    "resume",
    "approve",
    "cost",
    "graph",
    "fmt",
    "explain",
    "runs",
    "show",
    "stats",
    "lsp",
    "init",
    "list",
    "completions",
    "man",
];

#[test]
fn completions_name_every_command_in_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let ran = Test::new().args(&["completions", shell]).run();
        ran.code(0);
        let script = ran.stdout();
        for command in COMMANDS {
            assert!(script.contains(command), "{shell} completions lack `{command}`");
        }
        // Flags are completed too, not only commands.
        assert!(script.contains("deny-warnings"), "{shell} completions lack `--deny-warnings`");
    }
}

#[test]
fn bash_completions_are_a_script_bash_accepts() {
    let ran = Test::new().args(&["completions", "bash"]).run();
    ran.code(0);
    let path = ran.dir.path().join("wf.bash");
    std::fs::write(&path, ran.stdout()).unwrap();
    let checked = std::process::Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(checked.status.success(), "bash -n: {}", String::from_utf8_lossy(&checked.stderr));
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error() {
    Test::new().args(&["completions", "tcsh"]).run().code(2).stderr_has("possible values");
}

#[test]
fn man_page_is_roff_listing_every_command() {
    let ran = Test::new().args(&["man"]).run();
    ran.code(0).stdout_has(".TH wf 1").stdout_has(".SH SUBCOMMANDS");
    for command in COMMANDS {
        ran.stdout_has(&format!("wf\\-{command}(1)"));
    }
}

#[test]
fn man_page_of_a_command_has_its_flags() {
    Test::new().args(&["man", "check"]).run().code(0).stdout_has(".TH wf-check 1").stdout_has("\\-\\-deny\\-warnings");
    Test::new().args(&["man", "chek"]).run().code(2).stderr_has("wf has no command `chek`");
}
