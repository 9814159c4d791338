//! What past runs spent: the figures an estimate uses for a step that states no `expect`.
//!
//! The journal gives one [`Sample`] per finished instance of a step; this module only
//! summarises them (median and 95th percentile), so the estimate stays free of I/O. The rule
//! for which figure wins is in `docs/cost.md` ("Figures from history").

use std::collections::HashMap;

use serde::Serialize;

use super::Range;

/// One finished instance of a step in a past run, per attempt: what its attempts spent,
/// divided by how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The step's stable id (`phase/name`), inside the workflow the history was read for.
    pub step: String,
    /// The step's definition hash when it ran: samples of the same definition are preferred.
    pub hash: String,
    /// The model an agent step's attempts were billed to, by its name in the program.
    pub model: Option<String>,
    pub money: i64,
    pub tokens: u64,
    pub duration_ms: u64,
}

impl Sample {
    /// One instance as the journal keeps it (`key` with its loop indexes, totals over
    /// `attempts`), per attempt: `fix/patch[2]` counts as `fix/patch`.
    pub fn per_attempt(
        key: &str,
        hash: String,
        model: Option<String>,
        attempts: u64,
        totals: (i64, u64, u64),
    ) -> Sample {
        let attempts = attempts.max(1);
        let (money, tokens, duration_ms) = totals;
        Sample {
            step: without_indexes(key),
            hash,
            model,
            money: money / i64::try_from(attempts).unwrap_or(i64::MAX),
            tokens: tokens / attempts,
            duration_ms: duration_ms / attempts,
        }
    }
}

/// A journal key without the `[i]` each loop iteration adds: the step's id, under the ids
/// of the calls that led to it.
fn without_indexes(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut rest = key;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        match rest[open..].find(']') {
            Some(close) if rest[open + 1..open + close].bytes().all(|byte| byte.is_ascii_digit()) => {
                rest = &rest[open + close + 1..];
            }
            _ => {
                out.push('[');
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The middle and the 95th percentile of one quantity over past runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread<T> {
    pub median: T,
    pub p95: T,
}

impl<T: Copy> Spread<T> {
    /// As an estimate's range: the median is the least and the expected, the 95th
    /// percentile the worst.
    pub fn range(self) -> Range<T> {
        Range { min: self.median, expected: self.median, worst: self.p95 }
    }
}

/// One step's (or one model's) past runs, summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    /// How many past instances the figures come from.
    pub runs: usize,
    pub money: Spread<i64>,
    pub tokens: Spread<u64>,
    pub duration: Spread<u64>,
}

/// Past runs of one workflow's steps, grouped for the two look-ups an estimate makes.
#[derive(Debug, Default)]
pub struct History {
    by_step: HashMap<String, Vec<Sample>>,
    by_model: HashMap<String, Vec<Sample>>,
}

impl History {
    /// No history at all: every step without `expect` is estimated as before any run.
    pub fn none() -> History {
        History::default()
    }

    /// `own` are past runs of the workflow being estimated, by step; `agents` are agent
    /// attempts of any workflow, by the model they were billed to.
    pub fn from_samples(own: impl IntoIterator<Item = Sample>, agents: impl IntoIterator<Item = Sample>) -> History {
        let mut history = History::default();
        for sample in own {
            history.by_step.entry(sample.step.clone()).or_default().push(sample);
        }
        for sample in agents {
            if let Some(model) = &sample.model {
                history.by_model.entry(model.clone()).or_default().push(sample);
            }
        }
        history
    }

    /// The step's own past runs: those of the same definition (`hash`) when there are any,
    /// else every run of a step with that id.
    pub fn step(&self, id: &str, hash: &str) -> Option<Observed> {
        let samples = self.by_step.get(id)?;
        let same: Vec<&Sample> = samples.iter().filter(|sample| sample.hash == hash).collect();
        if same.is_empty() {
            observe(samples.iter())
        } else {
            observe(same.into_iter())
        }
    }

    /// Every past agent attempt billed to `model` (its id), whatever the step.
    pub fn model(&self, model: &str) -> Option<Observed> {
        observe(self.by_model.get(model)?.iter())
    }
}

fn observe<'s>(samples: impl Iterator<Item = &'s Sample>) -> Option<Observed> {
    let samples: Vec<&Sample> = samples.collect();
    if samples.is_empty() {
        return None;
    }
    Some(Observed {
        runs: samples.len(),
        money: spread(samples.iter().map(|sample| sample.money).collect()),
        tokens: spread(samples.iter().map(|sample| sample.tokens).collect()),
        duration: spread(samples.iter().map(|sample| sample.duration_ms).collect()),
    })
}

/// The median (the lower middle of an even count) and the nearest-rank 95th percentile.
fn spread<T: Copy + Ord>(mut values: Vec<T>) -> Spread<T> {
    values.sort_unstable();
    let last = values.len() - 1;
    let p95 = (values.len() * 95).div_ceil(100).saturating_sub(1).min(last);
    Spread { median: values[last / 2], p95: values[p95] }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(step: &str, hash: &str, money: i64, duration_ms: u64) -> Sample {
        Sample {
            step: step.into(),
            hash: hash.into(),
            model: Some("gpt".into()),
            money,
            tokens: u64::try_from(money).unwrap_or(0) * 10,
            duration_ms,
        }
    }

    #[test]
    fn a_key_loses_its_loop_indexes_and_its_totals_split_per_attempt() {
        assert_eq!(without_indexes("fix/patch[2]"), "fix/patch");
        assert_eq!(without_indexes("repos/each[0]/build[11]"), "repos/each/build");
        assert_eq!(without_indexes("odd[x]"), "odd[x]");
        let sample = Sample::per_attempt("fix/patch[1]", "h".into(), None, 3, (900, 30, 3_000));
        assert_eq!(
            (sample.step.as_str(), sample.money, sample.tokens, sample.duration_ms),
            ("fix/patch", 300, 10, 1_000)
        );
    }

    #[test]
    fn the_median_and_p95_use_nearest_ranks() {
        assert_eq!(spread(vec![5]), Spread { median: 5, p95: 5 });
        assert_eq!(spread(vec![4, 1, 3, 2]), Spread { median: 2, p95: 4 });
        let hundred: Vec<u64> = (1..=100).collect();
        assert_eq!(spread(hundred), Spread { median: 50, p95: 95 });
    }

    #[test]
    fn a_step_prefers_runs_of_its_own_definition() {
        let history = History::from_samples(
            [
                sample("fix/patch", "old", 900, 9_000),
                sample("fix/patch", "new", 100, 1_000),
                sample("fix/patch", "new", 300, 3_000),
            ],
            [],
        );
        let observed = history.step("fix/patch", "new").expect("observed");
        assert_eq!((observed.runs, observed.money), (2, Spread { median: 100, p95: 300 }));
        let any = history.step("fix/patch", "newer").expect("observed by name");
        assert_eq!((any.runs, any.money.median), (3, 300));
        assert!(history.step("fix/other", "new").is_none());
    }

    #[test]
    fn a_model_summarises_every_step_billed_to_it() {
        let history = History::from_samples([], [sample("a", "h", 100, 10), sample("b", "h", 200, 20)]);
        let observed = history.model("gpt").expect("observed");
        assert_eq!((observed.runs, observed.duration.p95), (2, 20));
        assert!(history.model("claude").is_none());
    }
}
