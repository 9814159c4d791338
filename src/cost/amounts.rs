//! Ranges of amounts and how they combine: one after another, side by side on lanes, one of
//! several branches, several times over. All arithmetic saturates: a bound too large to count
//! stays the largest number rather than wrapping.

use serde::Serialize;

/// An integer quantity: money (micro-dollars, `i64` as in the IR), tokens or milliseconds.
pub trait Quantity: Copy + Ord + Default {
    fn plus(self, other: Self) -> Self;
    fn times(self, n: u64) -> Self;
}

impl Quantity for u64 {
    fn plus(self, other: u64) -> u64 {
        self.saturating_add(other)
    }
    fn times(self, n: u64) -> u64 {
        self.saturating_mul(n)
    }
}

impl Quantity for i64 {
    fn plus(self, other: i64) -> i64 {
        self.saturating_add(other)
    }
    fn times(self, n: u64) -> i64 {
        self.saturating_mul(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// The least, the expected and the largest value of one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Range<T> {
    pub min: T,
    pub expected: T,
    pub worst: T,
}

impl<T: Quantity> Range<T> {
    /// The same value in all three columns.
    pub fn exactly(value: T) -> Range<T> {
        Range { min: value, expected: value, worst: value }
    }

    /// One after the other: the sums.
    pub fn plus(self, other: Range<T>) -> Range<T> {
        Range {
            min: self.min.plus(other.min),
            expected: self.expected.plus(other.expected),
            worst: self.worst.plus(other.worst),
        }
    }

    /// Column by column, `self` repeated as many times as `count` says in that column.
    pub fn times(self, count: Range<u64>) -> Range<T> {
        Range {
            min: self.min.times(count.min),
            expected: self.expected.times(count.expected),
            worst: self.worst.times(count.worst),
        }
    }

    /// Stretched so that it holds `value`: a stated expectation outside the computed range
    /// moves the bound rather than breaking `min <= expected <= worst`.
    pub fn holding(self, value: T) -> Range<T> {
        Range { min: self.min.min(value), expected: value, worst: self.worst.max(value) }
    }

    /// Every column cut at `cap`.
    pub fn capped(self, cap: T) -> Range<T> {
        Range { min: self.min.min(cap), expected: self.expected.min(cap), worst: self.worst.min(cap) }
    }

    /// Only the worst column: for what runs only when something fails.
    pub fn worst_only(self) -> Range<T> {
        Range { min: T::default(), expected: T::default(), worst: self.worst }
    }
}

/// Money, tokens and time, each as a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Amounts {
    /// Micro-dollars.
    #[serde(rename = "money_micros")]
    pub money: Range<i64>,
    pub tokens: Range<u64>,
    /// Milliseconds.
    #[serde(rename = "duration_ms")]
    pub duration: Range<u64>,
    /// Which of the three leave out a part nobody could estimate (an agent step with no
    /// `expect` and no history): the numbers then hold only what is known.
    #[serde(skip_serializing_if = "Unknown::is_none")]
    pub unknown: Unknown,
}

/// Which quantities of an [`Amounts`] are missing a part that could not be estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Unknown {
    pub money: bool,
    pub tokens: bool,
    pub duration: bool,
}

impl Unknown {
    pub const NONE: Unknown = Unknown { money: false, tokens: false, duration: false };

    pub fn is_none(&self) -> bool {
        *self == Unknown::NONE
    }

    /// Unknown in either.
    pub fn or(self, other: Unknown) -> Unknown {
        Unknown {
            money: self.money || other.money,
            tokens: self.tokens || other.tokens,
            duration: self.duration || other.duration,
        }
    }
}

impl Amounts {
    pub const ZERO: Amounts = Amounts {
        money: Range { min: 0, expected: 0, worst: 0 },
        tokens: Range { min: 0, expected: 0, worst: 0 },
        duration: Range { min: 0, expected: 0, worst: 0 },
        unknown: Unknown::NONE,
    };

    /// `self`, then `other`.
    pub fn then(self, other: Amounts) -> Amounts {
        Amounts {
            money: self.money.plus(other.money),
            tokens: self.tokens.plus(other.tokens),
            duration: self.duration.plus(other.duration),
            unknown: self.unknown.or(other.unknown),
        }
    }

    /// `self` run `count` times one after another; what never runs leaves nothing unknown.
    pub fn times(self, count: Range<u64>) -> Amounts {
        Amounts {
            money: self.money.times(count),
            tokens: self.tokens.times(count),
            duration: self.duration.times(count),
            unknown: if count.worst == 0 { Unknown::NONE } else { self.unknown },
        }
    }

    pub fn worst_only(self) -> Amounts {
        Amounts {
            money: self.money.worst_only(),
            tokens: self.tokens.worst_only(),
            duration: self.duration.worst_only(),
            unknown: self.unknown,
        }
    }

    /// Time cut at a timeout (whatever runs longer is cancelled); money and tokens stay.
    pub fn within(self, timeout: Option<u64>) -> Amounts {
        match timeout {
            Some(timeout) => Amounts { duration: self.duration.capped(timeout), ..self },
            None => self,
        }
    }

    /// Children run side by side on `lanes` lanes: money and tokens add up, time is that of
    /// the busiest lane, column by column.
    pub fn side_by_side(children: &[Amounts], lanes: u64) -> Amounts {
        let mut out = Amounts::ZERO;
        for child in children {
            out.money = out.money.plus(child.money);
            out.tokens = out.tokens.plus(child.tokens);
            out.unknown = out.unknown.or(child.unknown);
        }
        let column = |pick: fn(&Range<u64>) -> u64| {
            let durations: Vec<u64> = children.iter().map(|child| pick(&child.duration)).collect();
            on_lanes(&durations, lanes)
        };
        out.duration = Range {
            min: column(|range| range.min),
            expected: column(|range| range.expected),
            worst: column(|range| range.worst),
        };
        out
    }

    /// One of several alternatives runs (an `if`): the least of their minimums, the chosen
    /// one's expectation, the largest of their worst cases.
    pub fn one_of(alternatives: &[Amounts], expected: Amounts) -> Amounts {
        fn pick<T: Quantity>(ranges: impl Iterator<Item = Range<T>> + Clone, expected: Range<T>) -> Range<T> {
            Range {
                min: ranges.clone().map(|range| range.min).min().unwrap_or_default(),
                expected: expected.expected,
                worst: ranges.map(|range| range.worst).max().unwrap_or_default(),
            }
        }
        Amounts {
            money: pick(alternatives.iter().map(|a| a.money), expected.money),
            tokens: pick(alternatives.iter().map(|a| a.tokens), expected.tokens),
            duration: pick(alternatives.iter().map(|a| a.duration), expected.duration),
            unknown: alternatives.iter().fold(expected.unknown, |unknown, a| unknown.or(a.unknown)),
        }
    }
}

/// The time to run jobs of these durations on `lanes` lanes, longest job first, each on the
/// lane that frees up first (the longest-processing-time rule).
pub fn on_lanes(durations: &[u64], lanes: u64) -> u64 {
    let lanes = usize::try_from(lanes.max(1)).unwrap_or(usize::MAX).min(durations.len().max(1));
    let mut sorted = durations.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let mut loads = vec![0u64; lanes];
    for duration in sorted {
        if let Some(lightest) = loads.iter_mut().min() {
            *lightest = lightest.saturating_add(duration);
        }
    }
    loads.into_iter().max().unwrap_or(0)
}

/// `count` jobs of the same duration on `lanes` lanes: ⌈count / lanes⌉ rounds.
pub fn rounds(count: u64, lanes: u64) -> u64 {
    count.div_ceil(lanes.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_take_the_longest_jobs_first() {
        assert_eq!(on_lanes(&[3, 3, 2, 2, 2], 2), 7);
        assert_eq!(on_lanes(&[5, 1, 1], 2), 5);
        assert_eq!(on_lanes(&[5, 1, 1], 1), 7);
        assert_eq!(on_lanes(&[], 3), 0);
        assert_eq!(on_lanes(&[4, 4], 0), 8, "no lanes counts as one");
    }

    #[test]
    fn rounds_round_up() {
        assert_eq!(rounds(4, 3), 2);
        assert_eq!(rounds(3, 3), 1);
        assert_eq!(rounds(0, 3), 0);
    }

    #[test]
    fn holding_widens_the_range() {
        let range = Range { min: 2u64, expected: 3, worst: 4 };
        assert_eq!(range.holding(9), Range { min: 2, expected: 9, worst: 9 });
        assert_eq!(range.holding(1), Range { min: 1, expected: 1, worst: 4 });
    }

    #[test]
    fn money_saturates_instead_of_wrapping() {
        let big = Range::exactly(i64::MAX - 1);
        assert_eq!(big.plus(Range::exactly(5)).worst, i64::MAX);
        assert_eq!(big.times(Range::exactly(u64::MAX)).worst, i64::MAX);
    }
}
