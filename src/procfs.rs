#![allow(clippy::disallowed_methods)] // It reads /proc: the runner and the process stage ask it about processes.

//! What Linux's `/proc` says about a process: its state, process group and start time. Used
//! to tell a run's owner from a process that got its pid later (`journal::owner`), and a
//! command's process group that still runs from one holding only zombies
//! ([`super::command`]).

/// The fields of `/proc/PID/stat` wf reads.
pub struct Stat {
    /// `R`, `S`, `D`, … `Z` for a zombie, `X` for a dead process.
    pub state: char,
    pub group: i32,
    /// When the process started, in clock ticks since boot.
    pub started: Option<u64>,
}

impl Stat {
    /// Ended: a zombie (or dead) process holds no resources but its pid, and runs nothing.
    pub fn ended(&self) -> bool {
        matches!(self.state, 'Z' | 'X')
    }
}

/// The process's `/proc` entry, where there is one.
pub fn stat(pid: u32) -> Option<Stat> {
    parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Whether this system has `/proc` to ask.
pub fn available() -> bool {
    std::path::Path::new("/proc/self/stat").exists()
}

/// Whether a process of `group` is still running (not a zombie); `None` where `/proc`
/// cannot say.
pub fn group_running(group: i32) -> Option<bool> {
    if !available() {
        return None;
    }
    let entries = std::fs::read_dir("/proc").ok()?;
    let running = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()))
        .filter_map(stat)
        .any(|stat| stat.group == group && !stat.ended());
    Some(running)
}

/// `PID (COMM) STATE PPID PGRP …`: the command name may hold spaces and parentheses, so the
/// fields are read after its last `)`. The start time is field 22 of the line, the 20th after
/// the name.
fn parse(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let group = fields.nth(1)?.parse().ok()?;
    let started = fields.nth(16).and_then(|field| field.parse().ok());
    Some(Stat { state, group, started })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stat_line_is_read_after_the_command_name() {
        let line = "4242 (a (weird) name) Z 1 4240 4240 0 -1 4194560 120 0 0 0 1 0 0 0 20 0 1 0 987654 1000 100";
        let stat = parse(line).expect("parsed");
        assert_eq!(stat.state, 'Z');
        assert!(stat.ended());
        assert_eq!(stat.group, 4240);
        assert_eq!(stat.started, Some(987_654));
    }
}
