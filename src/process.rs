#![allow(clippy::disallowed_methods)] // This stage starts processes: `run` steps' commands and agent CLIs.

//! Running one command: `SHELL -c LINE` as the leader of its own process group, its output
//! captured (bounded in memory, spilled to the run folder past that), and the whole group
//! ended with it — on success, timeout or cancellation — so no process outlives its step.
//! The runner runs `run` steps through it and the agent stage runs agent CLIs through it, so
//! both get the same process groups, timeouts, cancellation, redaction and spill files.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::mask::Redactor;

/// What a stream keeps in memory; past it, the whole stream goes to a file.
const MEMORY_LIMIT: usize = 1 << 20;
/// What the step's `stdout`/`stderr` value keeps of a spilled stream: its end.
const TAIL_LIMIT: usize = 64 << 10;
/// The longest line shown whole (`--verbose`); a longer one is shown in parts.
const LINE_LIMIT: usize = 64 << 10;

pub struct Spec<'a> {
    /// The shell and its flags, split into words: `["sh"]`, `["bash", "-eu"]`.
    pub shell: &'a [String],
    pub line: &'a str,
    pub dir: &'a Path,
    pub env: &'a [(String, String)],
    /// Variables not to inherit from wf's environment: the run's secrets that the command's
    /// workflow does not declare.
    pub withheld: &'a [String],
    pub timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// Where a large stream is written: `PREFIX.stdout`, `PREFIX.stderr`.
    pub spill: PathBuf,
    /// The most a spill file holds (`--output-limit`): the stream's head and its end.
    pub output_limit: u64,
    /// Masks secrets in the output as it is read, before it is kept, spilled or shown.
    pub redactor: &'a Redactor,
    /// What the command reads on its standard input (an agent CLI's prompt); none reads
    /// `/dev/null`.
    pub stdin: Option<&'a [u8]>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// The exit code; 128 + N when signal N ended the shell.
    Exited(i64),
    TimedOut,
    Cancelled,
    CouldNotStart(String),
}

#[derive(Debug, Default)]
pub struct Captured {
    /// The whole stream, or its last 64 KiB after a note when it was spilled.
    pub text: String,
    /// The file holding the whole stream, when it was too large to keep.
    pub spilled: Option<PathBuf>,
}

impl Captured {
    /// The whole stream, reading the spill file when there is one.
    pub async fn full(&self) -> String {
        match &self.spilled {
            Some(path) => tokio::fs::read(path)
                .await
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_else(|_| self.text.clone()),
            None => self.text.clone(),
        }
    }

    /// The last lines, for a failure report.
    pub fn tail(&self, lines: usize) -> String {
        let all: Vec<&str> = self.text.trim_end().lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

pub struct Finished {
    pub ending: Ending,
    pub stdout: Captured,
    pub stderr: Captured,
}

/// Runs the command to its end. `on_line` sees each line as it is printed.
pub async fn run(spec: &Spec<'_>, cancel: &CancellationToken, on_line: &dyn Fn(&'static str, &str)) -> Finished {
    let Some((program, flags)) = spec.shell.split_first() else {
        return not_started("the workflow's `shell` is empty".to_owned());
    };
    // A line with no shell syntax runs without the shell, as make does: the same program,
    // arguments, environment and group, one process start fewer. Anything the direct start
    // cannot do (a program not found, not executable) goes through the shell after all, so
    // its message and exit code are the shell's.
    if let Some(words) = direct_words(spec.shell, spec.line) {
        let mut command = Command::new(words[0]);
        command.args(&words[1..]).current_dir(spec.dir);
        if let Ok(child) = prepare(&mut command, spec).spawn() {
            return watch(child, spec, cancel, on_line).await;
        }
    }
    let mut command = Command::new(program);
    command.args(flags).arg("-c").arg(spec.line).current_dir(spec.dir);
    let child = match prepare(&mut command, spec).spawn() {
        Ok(child) => child,
        Err(error) => {
            let reason = if spec.dir.is_dir() {
                format!("could not start `{program}`: {error}")
            } else {
                format!("the folder {} does not exist", spec.dir.display())
            };
            return not_started(reason);
        }
    };
    watch(child, spec, cancel, on_line).await
}

/// The shells whose reading of a line without special characters is its words, run as a
/// program with arguments; flags that only make a script stricter are allowed.
const PLAIN_SHELLS: [&str; 7] = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"];
/// Words a shell runs itself, or reads as syntax, rather than starting a program of that name.
const SHELL_WORDS: [&str; 52] = [
    ".", ":", "[[", "]]", "{", "}", "!", "alias", "bg", "break", "builtin", "case", "cd", "command", "continue",
    "declare", "do", "done", "elif", "else", "esac", "eval", "exec", "exit", "export", "fc", "fg", "fi", "for",
    "function", "getopts", "hash", "if", "in", "jobs", "let", "local", "read", "readonly", "return", "select", "set",
    "shift", "source", "then", "time", "trap", "typeset", "ulimit", "umask", "unset", "wait",
];

/// The words of `line` when running them directly means the same as `shell -c line`: the
/// shell is a POSIX-style one without flags that print or change how a command runs, and
/// the line is plain words — letters, digits and `_ . / , : + @ % = -` — whose first is not
/// an assignment or a word the shell handles itself. Quotes, `$`, globs, `~`, redirections,
/// pipes, `;`, `&`, backslashes and newlines all leave the line to the shell.
fn direct_words<'l>(shell: &[String], line: &'l str) -> Option<Vec<&'l str>> {
    let (program, flags) = shell.split_first()?;
    let name = Path::new(program).file_name()?.to_str()?;
    let strict_only = |flag: &String| {
        matches!(flag.as_str(), "pipefail" | "errexit" | "nounset")
            || flag
                .strip_prefix('-')
                .is_some_and(|letters| !letters.is_empty() && letters.chars().all(|c| matches!(c, 'e' | 'u' | 'o')))
    };
    if !PLAIN_SHELLS.contains(&name) || !flags.iter().all(strict_only) {
        return None;
    }
    let plain = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | '/' | ',' | ':' | '+' | '@' | '%' | '=' | '-')
    };
    if !line.chars().all(plain) {
        return None;
    }
    let words: Vec<&str> = line.split(' ').filter(|word| !word.is_empty()).collect();
    let first = words.first()?;
    if first.contains('=') || SHELL_WORDS.contains(first) {
        return None;
    }
    Some(words)
}

/// The environment, standard streams and process group every command gets.
fn prepare<'c>(command: &'c mut Command, spec: &Spec<'_>) -> &'c mut Command {
    // Removed before `env` is applied: a workflow may set a variable of the same name itself.
    for name in spec.withheld {
        command.env_remove(name);
    }
    command
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(if spec.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
}

/// Feeds, reads and waits for a started command, ending its group however it ends.
async fn watch(
    mut child: Child,
    spec: &Spec<'_>,
    cancel: &CancellationToken,
    on_line: &dyn Fn(&'static str, &str),
) -> Finished {
    let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) else {
        return not_started("the command ended before it could be watched".to_owned());
    };
    let group = GroupGuard(Pid::from_raw(pid));
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    // Written alongside the reading, so a command that prints before it has read all of its
    // input cannot block on a full pipe; closed at the end so the command sees end of file.
    let pipe = child.stdin.take();
    let feed = async move {
        if let (Some(mut pipe), Some(bytes)) = (pipe, spec.stdin) {
            let _ = pipe.write_all(bytes).await;
            let _ = pipe.shutdown().await;
        }
    };

    let wait = async {
        let deadline = spec.timeout.map(|timeout| Instant::now() + timeout);
        let sleep = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let ending = tokio::select! {
            status = child.wait() => match status {
                Ok(status) => Ending::Exited(exit_code(status)),
                Err(error) => Ending::CouldNotStart(format!("lost the command: {error}")),
            },
            () = sleep => Ending::TimedOut,
            () = cancel.cancelled() => Ending::Cancelled,
        };
        if !matches!(ending, Ending::Exited(_)) {
            terminate(&mut child, group.0, spec.grace).await;
        }
        // Whatever the shell left running in the background ends with the step.
        if !group_empty(group.0) {
            terminate(&mut child, group.0, spec.grace).await;
        }
        ending
    };
    // `STEP.N` + `.stdout`: not `with_extension`, which would replace the attempt's number
    // (and every attempt would overwrite the first's file).
    let spill = |stream: &str| {
        let mut path = spec.spill.clone().into_os_string();
        path.push(".");
        path.push(stream);
        PathBuf::from(path)
    };
    let out = capture(stdout, "stdout", spill("stdout"), spec.output_limit, spec.redactor, on_line);
    let err = capture(stderr, "stderr", spill("stderr"), spec.output_limit, spec.redactor, on_line);
    let (ending, stdout, stderr, ()) = tokio::join!(wait, out, err, feed);
    std::mem::forget(group);
    Finished { ending, stdout, stderr }
}

fn not_started(reason: String) -> Finished {
    Finished { ending: Ending::CouldNotStart(reason), stdout: Captured::default(), stderr: Captured::default() }
}

fn exit_code(status: std::process::ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => i64::from(code),
        (None, Some(signal)) => 128 + i64::from(signal),
        (None, None) => -1,
    }
}

/// Whether nothing of the group runs any more. A killed grandchild that the system's init has
/// not reaped yet is a zombie, which `killpg(group, 0)` still finds; it runs nothing, so it
/// does not count (an init that reaps lazily made a 300 ms timeout end seconds late).
fn group_empty(group: Pid) -> bool {
    if matches!(killpg(group, None), Err(Errno::ESRCH)) {
        return true;
    }
    crate::procfs::group_running(group.as_raw()).is_some_and(|running| !running)
}

/// SIGTERM to the group, SIGKILL to whatever is left after `grace`; returns once the leader
/// is reaped.
async fn terminate(child: &mut Child, group: Pid, grace: Duration) {
    let _ = killpg(group, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    let mut reaped = false;
    while Instant::now() < deadline {
        reaped = reaped || matches!(child.try_wait(), Ok(Some(_)));
        if reaped && group_empty(group) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.wait().await;
}

/// Kills the group if the step's future is dropped half-way (its run was abandoned).
struct GroupGuard(Pid);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let _ = killpg(self.0, Signal::SIGKILL);
    }
}

async fn capture(
    stream: Option<impl AsyncRead + Unpin>,
    name: &'static str,
    spill_path: PathBuf,
    limit: u64,
    redactor: &Redactor,
    on_line: &dyn Fn(&'static str, &str),
) -> Captured {
    let Some(mut stream) = stream else {
        return Captured::default();
    };
    let mut sink = Sink::new(name, spill_path, limit);
    // Everything after this point sees the output with its secrets masked.
    let mut redacting = redactor.stream();
    let mut chunk = vec![0u8; 16 << 10];
    loop {
        let read = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let bytes = redacting.push(&chunk[..read]);
        sink.take(&bytes, on_line).await;
    }
    let rest = redacting.finish();
    sink.take(&rest, on_line).await;
    sink.finish(on_line).await
}

/// Where a stream's bytes go: lines to the callback, the bytes to memory or, past the
/// memory limit, to the spill file — at most `limit` bytes of it: the stream's head, and its
/// last bytes after a line saying how much was cut between them.
struct Sink {
    name: &'static str,
    spill_path: PathBuf,
    memory: Vec<u8>,
    spill: Option<tokio::fs::File>,
    /// The stream's last bytes, for the step's value.
    tail: Vec<u8>,
    pending: Vec<u8>,
    /// The spill file's cap, head and tail together.
    limit: u64,
    /// Bytes of the stream so far, and how many of them the file's head holds.
    total: u64,
    head: u64,
    /// Bytes past the head, the last [`Sink::tail_keep`] of them, kept for the file's end.
    overflow: Vec<u8>,
}

impl Sink {
    fn new(name: &'static str, spill_path: PathBuf, limit: u64) -> Sink {
        Sink {
            name,
            spill_path,
            memory: Vec::new(),
            spill: None,
            tail: Vec::new(),
            pending: Vec::new(),
            limit,
            total: 0,
            head: 0,
            overflow: Vec::new(),
        }
    }

    /// What the file keeps of the stream's end: half the cap, at most the memory limit.
    fn tail_keep(&self) -> u64 {
        (self.limit / 2).min(MEMORY_LIMIT as u64)
    }

    async fn take(&mut self, bytes: &[u8], on_line: &dyn Fn(&'static str, &str)) {
        if bytes.is_empty() {
            return;
        }
        // Lines are looked for in the new bytes only, and a line longer than `LINE_LIMIT` is
        // passed on in parts: a stream without newlines neither grows `pending` without end
        // nor is searched again from its start at every read.
        let mut rest = bytes;
        while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&rest[..newline]);
            on_line(self.name, &String::from_utf8_lossy(&self.pending));
            self.pending.clear();
            rest = &rest[newline + 1..];
        }
        self.pending.extend_from_slice(rest);
        if self.pending.len() > LINE_LIMIT {
            on_line(self.name, &String::from_utf8_lossy(&self.pending));
            self.pending.clear();
        }
        if self.spill.is_none() && self.memory.len() + bytes.len() > MEMORY_LIMIT {
            if let Some(parent) = self.spill_path.parent() {
                let _ = tokio::fs::create_dir_all(parent).await;
            }
            match tokio::fs::File::create(&self.spill_path).await {
                Ok(file) => {
                    self.spill = Some(file);
                    let kept = std::mem::take(&mut self.memory);
                    self.tail = kept[kept.len().saturating_sub(TAIL_LIMIT)..].to_vec();
                    self.write(&kept).await;
                }
                // Nowhere to spill: keep the end in memory rather than fail the step.
                Err(_) => {
                    self.memory.extend_from_slice(bytes);
                    self.memory.drain(..self.memory.len().saturating_sub(MEMORY_LIMIT));
                    return;
                }
            }
        }
        if self.spill.is_some() {
            self.tail.extend_from_slice(bytes);
            if self.tail.len() > 2 * TAIL_LIMIT {
                self.tail.drain(..self.tail.len() - TAIL_LIMIT);
            }
            self.write(bytes).await;
        } else {
            self.memory.extend_from_slice(bytes);
        }
    }

    /// Into the file's head while it has room, the rest into the kept end.
    async fn write(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = usize::try_from(self.limit.saturating_sub(self.tail_keep()).saturating_sub(self.head))
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        if room > 0 {
            if let Some(file) = &mut self.spill {
                let _ = file.write_all(&bytes[..room]).await;
            }
            self.head += room as u64;
        }
        self.overflow.extend_from_slice(&bytes[room..]);
        let keep = usize::try_from(self.tail_keep()).unwrap_or(usize::MAX);
        if self.overflow.len() > keep.saturating_mul(2).max(64 << 10) {
            self.overflow.drain(..self.overflow.len() - keep);
        }
    }

    async fn finish(mut self, on_line: &dyn Fn(&'static str, &str)) -> Captured {
        if !self.pending.is_empty() {
            on_line(self.name, &String::from_utf8_lossy(&self.pending));
        }
        let Some(mut file) = self.spill.take() else {
            return Captured { text: String::from_utf8_lossy(&self.memory).into_owned(), spilled: None };
        };
        let keep = usize::try_from(self.tail_keep()).unwrap_or(usize::MAX);
        let end = &self.overflow[self.overflow.len().saturating_sub(keep)..];
        let cut = self.total - self.head - end.len() as u64;
        if cut > 0 {
            let note = format!(
                "\n[wf: {} cut here: the stream was {}; its first {} and last {} are kept (--output-limit)]\n",
                size(cut),
                size(self.total),
                size(self.head),
                size(end.len() as u64)
            );
            let _ = file.write_all(note.as_bytes()).await;
        }
        let _ = file.write_all(end).await;
        let _ = file.flush().await;
        let start = self.tail.len().saturating_sub(TAIL_LIMIT);
        let kept = if cut > 0 {
            format!("its first {} and last {}", size(self.head), size(end.len() as u64))
        } else {
            "the whole stream".to_owned()
        };
        let text = format!(
            "[wf: output too large ({}); the last {} bytes follow, {kept} in {}]\n{}",
            size(self.total),
            self.tail.len() - start,
            self.spill_path.display(),
            String::from_utf8_lossy(&self.tail[start..])
        );
        Captured { text, spilled: Some(self.spill_path) }
    }
}

/// A byte count for people: `512 B`, `64.0 MiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| (*word).to_owned()).collect()
    }

    #[test]
    fn plain_words_skip_the_shell() {
        let sh = shell(&["sh"]);
        assert_eq!(direct_words(&sh, "true"), Some(vec!["true"]));
        assert_eq!(
            direct_words(&sh, "  cargo  test --release -p wf:core"),
            Some(vec!["cargo", "test", "--release", "-p", "wf:core"])
        );
        assert_eq!(direct_words(&shell(&["/bin/bash", "-euo", "pipefail"]), "make build"), Some(vec!["make", "build"]));
    }

    #[test]
    fn shell_syntax_and_shell_words_keep_the_shell() {
        let sh = shell(&["sh"]);
        for line in [
            "echo $HOME",
            "echo 'a b'",
            "echo \"x\"",
            "ls *.rs",
            "cd src",
            "a; b",
            "a && b",
            "a | b",
            "a > f",
            "echo ~",
            "echo a\\ b",
            "a\nb",
            "FOO=1 make",
            "export X",
            "exit 3",
            "",
            "   ",
            "if",
            "echo `id`",
            "(a)",
            "a &",
        ] {
            assert_eq!(direct_words(&sh, line), None, "{line:?}");
        }
        // A shell that prints what it runs, or is not a POSIX-style shell, keeps every line.
        assert_eq!(direct_words(&shell(&["bash", "-x"]), "true"), None);
        assert_eq!(direct_words(&shell(&["python3"]), "true"), None);
        assert_eq!(direct_words(&[], "true"), None);
    }
}
