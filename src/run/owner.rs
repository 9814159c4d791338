//! Who owns a run: the process running it, named by its pid and its start time, so that a
//! pid the system gave to another process since is not mistaken for the owner. The journal
//! records the owner when a run starts or is resumed ([`super::journal::Journal::claim`]);
//! a run whose owner is gone is `crashed` and may be taken over.

/// A process, as the journal records the owner of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    /// When the process started, in clock ticks since boot (`/proc/PID/stat`, field 22);
    /// `None` where the system does not say (or for runs recorded before it was kept).
    pub started: Option<u64>,
}

impl Owner {
    /// This process.
    pub fn current() -> Owner {
        let pid = std::process::id();
        Owner { pid, started: start_time(pid) }
    }

    /// Whether the process is still running: it exists, is not a zombie and, where its start
    /// time was recorded, started then (the pid was not reused).
    pub fn alive(&self) -> bool {
        let Ok(pid) = i32::try_from(self.pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        match read_stat(self.pid) {
            Some(stat) => {
                let zombie = stat.state == 'Z' || stat.state == 'X';
                let same = self.started.is_none_or(|started| Some(started) == stat.started);
                !zombie && same
            }
            // No /proc entry: on Linux the process is gone; elsewhere ask with signal 0.
            None if std::path::Path::new("/proc/self/stat").exists() => false,
            None => nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok(),
        }
    }
}

struct Stat {
    state: char,
    started: Option<u64>,
}

fn read_stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

fn start_time(pid: u32) -> Option<u64> {
    read_stat(pid).and_then(|stat| stat.started)
}

/// `PID (COMM) STATE PPID …`: the command name may hold spaces and parentheses, so the
/// fields are read after its last `)`. The start time is field 22 of the line, the 20th
/// after the name.
fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let started = fields.nth(18).and_then(|field| field.parse().ok());
    Some(Stat { state, started })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stat_line_is_read_after_the_command_name() {
        let line = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 0 0 0 20 0 1 0 987654 1000 100";
        let stat = parse_stat(line).expect("parsed");
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.started, Some(987_654));
    }

    #[test]
    fn this_process_is_alive_and_a_reused_pid_is_not_its_owner() {
        let me = Owner::current();
        assert!(me.alive());
        if let Some(started) = me.started {
            assert!(!Owner { started: Some(started + 1), ..me }.alive(), "another start time: another process");
        }
        assert!(!Owner { pid: 0, started: None }.alive());
    }
}
