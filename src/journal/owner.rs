//! Who owns a run: the process running it, named by its pid and its start time, so that a
//! pid the system gave to another process since is not mistaken for the owner. The journal
//! records the owner when a run starts or is resumed ([`super::Journal::claim`]);
//! a run whose owner is gone is `crashed` and may be taken over.

use crate::procfs;

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
        match procfs::stat(self.pid) {
            Some(stat) => !stat.ended() && self.started.is_none_or(|started| Some(started) == stat.started),
            // No /proc entry: on Linux the process is gone; elsewhere ask with signal 0.
            None if procfs::available() => false,
            None => nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok(),
        }
    }
}

fn start_time(pid: u32) -> Option<u64> {
    procfs::stat(pid).and_then(|stat| stat.started)
}

#[cfg(test)]
mod tests {
    use super::*;

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
