//! A `watch`'s windows, poll after poll: since when each condition has held, how long that
//! is, and the verdict. Pure, so that the rule is tested without processes or clocks.
//!
//! A poll at `at` speaks for the interval after it, until the next poll: a condition seen on
//! `n` polls in a row has held for `n × every`. So `fail when err > 1% for 5m` with `every 30s`
//! fails on the tenth bad poll in a row, and a window as long as the watch can be met.

use crate::journal::PollRecord;

/// One condition's window.
#[derive(Debug, Clone, Copy)]
struct Window {
    length: u64,
    /// The watch's clock at the first poll of the current run of polls where it held.
    since: Option<u64>,
}

impl Window {
    fn observe(&mut self, at: u64, every: u64, holds: bool) -> Option<u64> {
        if !holds {
            self.since = None;
            return None;
        }
        let since = *self.since.get_or_insert(at);
        Some(at.saturating_add(every).saturating_sub(since))
    }

    fn restore(&mut self, at: u64, every: u64, held: Option<u64>) {
        self.since = held.map(|held| at.saturating_add(every).saturating_sub(held));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Watching,
    /// `fail when` has held for its window.
    Failed,
    /// `pass when` has held for its window (and `fail when` has not).
    Passed,
}

/// What one poll made of the windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    pub fail_held: Option<u64>,
    pub pass_held: Option<u64>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone)]
pub struct Windows {
    every: u64,
    fail: Window,
    pass: Option<Window>,
}

impl Windows {
    /// Windows for polls `every` milliseconds apart.
    pub fn new(every: u64, fail: u64, pass: Option<u64>) -> Windows {
        Windows {
            every,
            fail: Window { length: fail, since: None },
            pass: pass.map(|length| Window { length, since: None }),
        }
    }

    /// Continues from the last journaled poll: each condition has held as long as it had. The
    /// verdict that poll reached, if the run stopped before the step's end was journaled.
    pub fn restore(&mut self, last: &PollRecord) -> Verdict {
        self.fail.restore(last.elapsed_ms, self.every, last.fail_held_ms);
        if let Some(pass) = &mut self.pass {
            pass.restore(last.elapsed_ms, self.every, last.pass_held_ms);
        }
        self.verdict(last.fail_held_ms, last.pass_held_ms)
    }

    fn verdict(&self, fail_held: Option<u64>, pass_held: Option<u64>) -> Verdict {
        if fail_held.is_some_and(|held| held >= self.fail.length) {
            Verdict::Failed
        } else if pass_held.is_some_and(|held| self.pass.is_some_and(|window| held >= window.length)) {
            Verdict::Passed
        } else {
            Verdict::Watching
        }
    }

    /// The poll at `at` (the watch's clock) saw `fail` and `pass` hold or not. Failing wins
    /// when both windows are met at once.
    pub fn observe(&mut self, at: u64, fail: bool, pass: bool) -> Observed {
        let every = self.every;
        let fail_held = self.fail.observe(at, every, fail);
        let pass_held = self.pass.as_mut().and_then(|window| window.observe(at, every, pass));
        Observed { fail_held, pass_held, verdict: self.verdict(fail_held, pass_held) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_once_the_condition_has_held_for_its_window() {
        // every 30s, fail when … for 2m: the fourth bad poll in a row.
        let mut windows = Windows::new(30_000, 120_000, None);
        assert_eq!(windows.observe(0, true, false).fail_held, Some(30_000));
        assert_eq!(windows.observe(30_000, true, false).verdict, Verdict::Watching);
        assert_eq!(windows.observe(60_000, true, false).verdict, Verdict::Watching);
        let fourth = windows.observe(90_000, true, false);
        assert_eq!(fourth, Observed { fail_held: Some(120_000), pass_held: None, verdict: Verdict::Failed });
    }

    #[test]
    fn a_good_poll_starts_the_window_over() {
        let mut windows = Windows::new(10, 30, None);
        windows.observe(0, true, false);
        windows.observe(10, true, false);
        assert_eq!(windows.observe(20, false, false).fail_held, None);
        assert_eq!(windows.observe(30, true, false).fail_held, Some(10));
        assert_eq!(windows.observe(40, true, false).verdict, Verdict::Watching);
        assert_eq!(windows.observe(50, true, false).verdict, Verdict::Failed);
    }

    #[test]
    fn passes_early_and_failing_wins_a_tie() {
        let mut windows = Windows::new(10, 20, Some(20));
        assert_eq!(windows.observe(0, false, true).verdict, Verdict::Watching);
        assert_eq!(windows.observe(10, false, true).verdict, Verdict::Passed);
        let mut both = Windows::new(10, 10, Some(10));
        assert_eq!(both.observe(0, true, true).verdict, Verdict::Failed);
    }

    #[test]
    fn no_window_is_one_poll() {
        let mut windows = Windows::new(50, 0, None);
        assert_eq!(windows.observe(0, false, false).verdict, Verdict::Watching);
        assert_eq!(windows.observe(50, true, false).verdict, Verdict::Failed);
    }

    #[test]
    fn a_restored_window_goes_on_from_the_last_poll() {
        let mut before = Windows::new(10, 50, Some(100));
        let mut last = None;
        for at in [0, 10, 20] {
            last = Some(before.observe(at, true, at > 0));
        }
        let last = last.map(|observed| PollRecord {
            key: "w".into(),
            poll: 3,
            elapsed_ms: 20,
            ok: true,
            value: None,
            error: None,
            fail_held_ms: observed.fail_held,
            pass_held_ms: observed.pass_held,
        });
        let mut after = Windows::new(10, 50, Some(100));
        assert_eq!(after.restore(&last.expect("three polls")), Verdict::Watching);
        let next = after.observe(30, true, true);
        assert_eq!((next.fail_held, next.pass_held), (Some(40), Some(30)));
        assert_eq!(after.observe(40, true, true).verdict, Verdict::Failed);
    }

    #[test]
    fn a_verdict_reached_before_a_stop_stands_on_restore() {
        let failed = PollRecord {
            key: "w".into(),
            poll: 5,
            elapsed_ms: 40,
            ok: false,
            value: None,
            error: Some("exit 1".into()),
            fail_held_ms: Some(50),
            pass_held_ms: None,
        };
        assert_eq!(Windows::new(10, 50, Some(20)).restore(&failed), Verdict::Failed);
        let passed = PollRecord { fail_held_ms: None, pass_held_ms: Some(20), ..failed };
        assert_eq!(Windows::new(10, 50, Some(20)).restore(&passed), Verdict::Passed);
    }
}
