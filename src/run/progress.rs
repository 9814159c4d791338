//! How far a run is, for the plain view (CI logs, pipes): "step N of M (P%)" and the time
//! left. M is the estimate's expected count of leaf steps (loops multiplied, branches
//! weighed as `wf cost` weighs them), never less than what already finished. The time left is
//! the run's expected duration times the share of the expected work not yet done, each
//! finished step taking off its own expected time (so a 30-minute `watch` that passed on its
//! first poll leaves nothing behind it); without an estimate, the time spent per step so far
//! times the steps left.

use std::cell::Cell;
use std::collections::HashMap;

/// What the estimate said before the run started.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// Leaf steps (`run`, `agent`, `call`, `gate`, `wait`) expected to run.
    pub steps: u64,
    /// The whole run's expected duration; 0 when nothing is known.
    pub duration_ms: u64,
    /// Each step's expected time for one run of it, by step id (`phase/name`).
    pub per_step_ms: HashMap<String, u64>,
    /// The expected time of every step, summed (more than `duration_ms` where steps overlap).
    pub work_ms: u64,
}

/// Counts finished steps against an [`Expected`].
#[derive(Debug, Default)]
pub struct Progress {
    expected: Expected,
    done: Cell<u64>,
    /// The expected time of the steps done.
    done_work: Cell<u64>,
    /// When the first event was seen (milliseconds since the epoch).
    since: Cell<Option<i64>>,
}

impl Progress {
    pub fn new(expected: Expected) -> Progress {
        Progress { expected, done: Cell::new(0), done_work: Cell::new(0), since: Cell::new(None) }
    }

    /// Notes the time of any event: the first one starts the clock.
    pub fn seen(&self, at_ms: i64) {
        if self.since.get().is_none() {
            self.since.set(Some(at_ms));
        }
    }

    /// Step instance `key` finished at `at_ms`: "step 3 of 8 (37%) · about 2m left".
    pub fn step_done(&self, key: &str, at_ms: i64) -> String {
        self.seen(at_ms);
        let done = self.done.get() + 1;
        self.done.set(done);
        let step = crate::report::step_of(key);
        let done_work = self.done_work.get() + self.expected.per_step_ms.get(&step).copied().unwrap_or(0);
        self.done_work.set(done_work);
        let total = self.expected.steps.max(done);
        let percent = done * 100 / total;
        let elapsed = u64::try_from(at_ms - self.since.get().unwrap_or(at_ms)).unwrap_or(0);
        let (work, duration) = (u128::from(self.expected.work_ms), u128::from(self.expected.duration_ms));
        let left = if work > 0 && duration > 0 {
            let undone = work.saturating_sub(u128::from(done_work));
            Some(u64::try_from(duration * undone / work).unwrap_or(u64::MAX))
        } else if done < total {
            Some(elapsed / done * (total - done))
        } else {
            None
        };
        let mut line = format!("step {done} of {total} ({percent}%)");
        if let Some(left) = left.filter(|_| done < total) {
            line.push_str(&format!(" · about {} left", crate::ir::format_duration(left.max(1_000) / 1_000 * 1_000)));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(steps: u64, duration_ms: u64, per_step: &[(&str, u64)]) -> Expected {
        let per_step_ms: HashMap<String, u64> = per_step.iter().map(|(id, ms)| ((*id).to_owned(), *ms)).collect();
        let work_ms = per_step_ms.values().sum();
        Expected { steps, duration_ms, per_step_ms, work_ms }
    }

    #[test]
    fn counts_steps_and_takes_the_time_left_from_the_work_not_done() {
        let progress =
            Progress::new(expected(4, 60_000, &[("a", 15_000), ("b", 15_000), ("c", 15_000), ("d", 15_000)]));
        progress.seen(0);
        assert_eq!(progress.step_done("a", 15_000), "step 1 of 4 (25%) · about 45s left");
        assert_eq!(progress.step_done("b", 30_000), "step 2 of 4 (50%) · about 30s left");
    }

    #[test]
    fn a_long_step_that_ended_early_takes_its_expected_time_with_it() {
        // A 30-minute watch that passed on its first poll: what is left is the last minute.
        let progress = Progress::new(expected(2, 31 * 60_000, &[("ci/watch", 30 * 60_000), ("notify", 60_000)]));
        progress.seen(0);
        assert_eq!(progress.step_done("ci/watch", 10), "step 1 of 2 (50%) · about 1m left");
    }

    #[test]
    fn iterations_count_as_their_step() {
        // Three rounds of a 10s step: 30s of work, a third of it done after the first.
        let progress = Progress::new(Expected { work_ms: 30_000, ..expected(3, 30_000, &[("fix", 10_000)]) });
        progress.seen(0);
        assert_eq!(progress.step_done("fix[1]", 1_000), "step 1 of 3 (33%) · about 20s left");
    }

    #[test]
    fn without_an_estimate_extrapolates_from_the_steps_so_far() {
        let progress = Progress::new(expected(3, 0, &[]));
        progress.seen(0);
        assert_eq!(progress.step_done("a", 10_000), "step 1 of 3 (33%) · about 20s left");
    }

    #[test]
    fn more_steps_than_expected_never_go_past_100_percent() {
        let progress = Progress::new(expected(1, 0, &[]));
        assert_eq!(progress.step_done("a", 0), "step 1 of 1 (100%)");
        assert_eq!(progress.step_done("b", 5), "step 2 of 2 (100%)");
    }
}
