//! How far a run is, for the plain view (CI logs, pipes): "step N of M (P%)" and the time
//! left. M is the estimate's expected count of leaf steps (loops multiplied, branches
//! weighed as `wf cost` weighs them), never less than what already finished; the time left is
//! the estimate's expected duration (from `expect` and past runs) less the time spent, or,
//! past that or without one, the time spent per step so far times the steps left.

use std::cell::Cell;

/// What the estimate said before the run started.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expected {
    /// Leaf steps (`run`, `agent`, `call`, `gate`, `wait`) expected to run.
    pub steps: u64,
    /// The whole run's expected duration; 0 when nothing is known.
    pub duration_ms: u64,
}

/// Counts finished steps against an [`Expected`].
#[derive(Debug, Default)]
pub struct Progress {
    expected: Expected,
    done: Cell<u64>,
    /// When the first event was seen (milliseconds since the epoch).
    since: Cell<Option<i64>>,
}

impl Progress {
    pub fn new(expected: Expected) -> Progress {
        Progress { expected, done: Cell::new(0), since: Cell::new(None) }
    }

    /// Notes the time of any event: the first one starts the clock.
    pub fn seen(&self, at_ms: i64) {
        if self.since.get().is_none() {
            self.since.set(Some(at_ms));
        }
    }

    /// One more step finished at `at_ms`: "step 3 of 8 (37%) · about 2m left".
    pub fn step_done(&self, at_ms: i64) -> String {
        self.seen(at_ms);
        let done = self.done.get() + 1;
        self.done.set(done);
        let total = self.expected.steps.max(done);
        let percent = done * 100 / total;
        let elapsed = u64::try_from(at_ms - self.since.get().unwrap_or(at_ms)).unwrap_or(0);
        let left = if self.expected.duration_ms > elapsed {
            Some(self.expected.duration_ms - elapsed)
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

    #[test]
    fn counts_steps_and_takes_the_time_left_from_the_estimate() {
        let progress = Progress::new(Expected { steps: 4, duration_ms: 60_000 });
        progress.seen(0);
        assert_eq!(progress.step_done(15_000), "step 1 of 4 (25%) · about 45s left");
        assert_eq!(progress.step_done(30_000), "step 2 of 4 (50%) · about 30s left");
    }

    #[test]
    fn past_the_estimate_extrapolates_from_the_steps_so_far() {
        let progress = Progress::new(Expected { steps: 3, duration_ms: 0 });
        progress.seen(0);
        assert_eq!(progress.step_done(10_000), "step 1 of 3 (33%) · about 20s left");
    }

    #[test]
    fn more_steps_than_expected_never_go_past_100_percent() {
        let progress = Progress::new(Expected { steps: 1, duration_ms: 0 });
        assert_eq!(progress.step_done(0), "step 1 of 1 (100%)");
        assert_eq!(progress.step_done(5), "step 2 of 2 (100%)");
    }
}
