//! Running one command: `SHELL -c LINE` as the leader of its own process group, its output
//! captured (bounded in memory, spilled to the run folder past that), and the whole group
//! ended with it — on success, timeout or cancellation — so no process outlives its step.

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

use super::redact::Redactor;

/// What a stream keeps in memory; past it, the whole stream goes to a file.
const MEMORY_LIMIT: usize = 1 << 20;
/// What the step's `stdout`/`stderr` value keeps of a spilled stream: its end.
const TAIL_LIMIT: usize = 64 << 10;

pub struct Spec<'a> {
    /// The shell and its flags, split into words: `["sh"]`, `["bash", "-eu"]`.
    pub shell: &'a [String],
    pub line: &'a str,
    pub dir: &'a Path,
    pub env: &'a [(String, String)],
    pub timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL.
    pub grace: Duration,
    /// Where a large stream is written: `PREFIX.stdout`, `PREFIX.stderr`.
    pub spill: PathBuf,
    /// Masks secrets in the output as it is read, before it is kept, spilled or shown.
    pub redactor: &'a Redactor,
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
    let mut command = Command::new(program);
    command
        .args(flags)
        .arg("-c")
        .arg(spec.line)
        .current_dir(spec.dir)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
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
    let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) else {
        return not_started("the command ended before it could be watched".to_owned());
    };
    let group = GroupGuard(Pid::from_raw(pid));
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());

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
    let out = capture(stdout, "stdout", spec.spill.with_extension("stdout"), spec.redactor, on_line);
    let err = capture(stderr, "stderr", spec.spill.with_extension("stderr"), spec.redactor, on_line);
    let (ending, stdout, stderr) = tokio::join!(wait, out, err);
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
    super::procfs::group_running(group.as_raw()).is_some_and(|running| !running)
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
    redactor: &Redactor,
    on_line: &dyn Fn(&'static str, &str),
) -> Captured {
    let Some(mut stream) = stream else {
        return Captured::default();
    };
    let mut sink = Sink { name, spill_path, memory: Vec::new(), spill: None, tail: Vec::new(), pending: Vec::new() };
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
/// limit, to the spill file with the end kept in memory.
struct Sink {
    name: &'static str,
    spill_path: PathBuf,
    memory: Vec<u8>,
    spill: Option<tokio::fs::File>,
    tail: Vec<u8>,
    pending: Vec<u8>,
}

impl Sink {
    async fn take(&mut self, bytes: &[u8], on_line: &dyn Fn(&'static str, &str)) {
        if bytes.is_empty() {
            return;
        }
        self.pending.extend_from_slice(bytes);
        while let Some(newline) = self.pending.iter().position(|&b| b == b'\n') {
            on_line(self.name, &String::from_utf8_lossy(&self.pending[..newline]));
            self.pending.drain(..=newline);
        }
        match &mut self.spill {
            Some(file) => {
                let _ = file.write_all(bytes).await;
                self.tail.extend_from_slice(bytes);
                if self.tail.len() > 2 * TAIL_LIMIT {
                    self.tail.drain(..self.tail.len() - TAIL_LIMIT);
                }
            }
            None if self.memory.len() + bytes.len() > MEMORY_LIMIT => {
                if let Some(parent) = self.spill_path.parent() {
                    let _ = tokio::fs::create_dir_all(parent).await;
                }
                match tokio::fs::File::create(&self.spill_path).await {
                    Ok(mut file) => {
                        let _ = file.write_all(&self.memory).await;
                        let _ = file.write_all(bytes).await;
                        self.tail = self.memory.split_off(self.memory.len().saturating_sub(TAIL_LIMIT));
                        self.tail.extend_from_slice(bytes);
                        self.memory = Vec::new();
                        self.spill = Some(file);
                    }
                    // Nowhere to spill: keep the end in memory rather than fail the step.
                    Err(_) => {
                        self.memory.extend_from_slice(bytes);
                        self.memory.drain(..self.memory.len().saturating_sub(MEMORY_LIMIT));
                    }
                }
            }
            None => self.memory.extend_from_slice(bytes),
        }
    }

    async fn finish(self, on_line: &dyn Fn(&'static str, &str)) -> Captured {
        if !self.pending.is_empty() {
            on_line(self.name, &String::from_utf8_lossy(&self.pending));
        }
        match self.spill {
            Some(mut file) => {
                let _ = file.flush().await;
                let start = self.tail.len().saturating_sub(TAIL_LIMIT);
                let text = format!(
                    "[wf: output too large; the last {} bytes follow, the whole stream is in {}]\n{}",
                    self.tail.len() - start,
                    self.spill_path.display(),
                    String::from_utf8_lossy(&self.tail[start..])
                );
                Captured { text, spilled: Some(self.spill_path) }
            }
            None => Captured { text: String::from_utf8_lossy(&self.memory).into_owned(), spilled: None },
        }
    }
}
