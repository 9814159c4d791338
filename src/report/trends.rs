//! `wf stats --by day|week`: the numbers of `wf stats` per local day or week (Monday first),
//! every period from the first run's to the last run's listed (empty ones too, so a chart's
//! gaps are real), the cache-hit rate of each model, and the health score (docs/history.md).

use serde::Serialize;

use super::history::mean;
use crate::journal::{Journal, Result, RunFilter, RunNumbers, RunStatus};

/// How runs are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
}

/// The most periods listed: the newest are kept.
const MAX_PERIODS: usize = 400;

#[derive(Debug, Serialize)]
pub struct Trends {
    pub by: By,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// Oldest first.
    pub periods: Vec<Period>,
    /// By model name.
    pub models: Vec<CacheUse>,
    /// Absent when no run has finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

/// The runs that started in one day or week (local time).
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    /// Its first day, `YYYY-MM-DD`.
    pub start: String,
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// `succeeded / (succeeded + failed)`; absent without finished runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    pub cost_micros: i64,
    /// Per succeeded run: what one success cost (a bug fixed, for the bug-fix workflow).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_success_micros: Option<i64>,
    pub iterations_per_run: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_mean_ms: Option<u64>,
}

/// A model's tokens and how many of its input tokens came from the provider's cache.
#[derive(Debug, Clone, Serialize)]
pub struct CacheUse {
    pub model: String,
    /// Input tokens not read from a cache (the ledger's `input`).
    pub input: u64,
    pub cached: u64,
    pub output: u64,
    /// `cached / (input + cached)`: of all the input tokens, the share read from the cache;
    /// absent without input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_hit_rate: Option<f64>,
}

/// One number for how a workflow is doing, from 0 to 100, and its parts.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// `round(100 × (0.5 S + 0.2 (1 − E) + 0.15 (1 − B) + 0.15 / (1 + R)))`.
    pub score: u8,
    /// S: succeeded / finished runs.
    pub success_rate: f64,
    /// E: runs with an escalation / runs.
    pub escalation_rate: f64,
    /// B: runs that paused on a spent budget / runs.
    pub budget_pause_rate: f64,
    /// R: retries per run.
    pub retries_per_run: f64,
}

/// The trends of the runs `filter` selects.
pub fn trends(journal: &Journal, filter: &RunFilter, by: By) -> Result<Trends> {
    let runs = journal.run_numbers(filter)?;
    let models = journal
        .model_tokens(filter)?
        .into_iter()
        .map(|tokens| {
            let all_input = tokens.input.saturating_add(tokens.cached);
            #[allow(clippy::cast_precision_loss)] // A rate for people.
            let cache_hit_rate = (all_input > 0).then(|| tokens.cached as f64 / all_input as f64);
            CacheUse {
                model: tokens.model,
                input: tokens.input,
                cached: tokens.cached,
                output: tokens.output,
                cache_hit_rate,
            }
        })
        .collect();
    Ok(Trends {
        by,
        since: filter.since,
        workflow: filter.workflow.clone(),
        periods: periods(&runs, by, &jiff::tz::TimeZone::system()),
        models,
        health: health(&runs),
    })
}

/// The first day of the period holding `ms` in `tz`.
fn period_of(ms: i64, by: By, tz: &jiff::tz::TimeZone) -> Option<jiff::civil::Date> {
    let date = jiff::Timestamp::from_millisecond(ms).ok()?.to_zoned(tz.clone()).date();
    match by {
        By::Day => Some(date),
        By::Week => date.checked_sub(jiff::Span::new().days(i64::from(date.weekday().to_monday_zero_offset()))).ok(),
    }
}

fn periods(runs: &[RunNumbers], by: By, tz: &jiff::tz::TimeZone) -> Vec<Period> {
    let mut grouped: std::collections::BTreeMap<jiff::civil::Date, Vec<&RunNumbers>> =
        std::collections::BTreeMap::new();
    for run in runs {
        if let Some(start) = period_of(run.started_at, by, tz) {
            grouped.entry(start).or_default().push(run);
        }
    }
    let (Some(first), Some(last)) = (grouped.keys().next().copied(), grouped.keys().next_back().copied()) else {
        return Vec::new();
    };
    let step = match by {
        By::Day => jiff::Span::new().days(1),
        By::Week => jiff::Span::new().weeks(1),
    };
    let mut out = Vec::new();
    let mut start = first;
    while start <= last {
        out.push(period(start, grouped.get(&start).map_or(&[][..], Vec::as_slice)));
        match start.checked_add(step) {
            Ok(next) => start = next,
            Err(_) => break,
        }
    }
    let cut = out.len().saturating_sub(MAX_PERIODS);
    out.split_off(cut)
}

#[allow(clippy::cast_precision_loss)] // Rates for people.
fn period(start: jiff::civil::Date, runs: &[&RunNumbers]) -> Period {
    let count = runs.len() as u64;
    let succeeded = runs.iter().filter(|run| run.status == RunStatus::Succeeded).count() as u64;
    let failed = runs.iter().filter(|run| run.status == RunStatus::Failed).count() as u64;
    let cost_micros: i64 = runs.iter().map(|run| run.cost_micros).sum();
    let durations: Vec<u64> = runs.iter().filter_map(|run| run.duration_ms).collect();
    let iterations: u64 = runs.iter().map(|run| run.iterations).sum();
    Period {
        start: start.to_string(),
        runs: count,
        succeeded,
        failed,
        success_rate: (succeeded + failed > 0).then(|| succeeded as f64 / (succeeded + failed) as f64),
        cost_micros,
        cost_per_success_micros: (succeeded > 0).then(|| cost_micros / i64::try_from(succeeded).unwrap_or(i64::MAX)),
        iterations_per_run: if count == 0 { 0.0 } else { iterations as f64 / count as f64 },
        duration_mean_ms: mean(&durations),
    }
}

/// The health score of `runs`; none before a run has finished.
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 to 100.
pub fn health(runs: &[RunNumbers]) -> Option<Health> {
    let count = runs.len() as f64;
    let succeeded = runs.iter().filter(|run| run.status == RunStatus::Succeeded).count() as f64;
    let finished = succeeded + runs.iter().filter(|run| run.status == RunStatus::Failed).count() as f64;
    if finished == 0.0 {
        return None;
    }
    let share = |n: usize| n as f64 / count;
    let success_rate = succeeded / finished;
    let escalation_rate = share(runs.iter().filter(|run| run.escalated).count());
    let budget_pause_rate = share(runs.iter().filter(|run| run.budget_paused).count());
    let retries_per_run = runs.iter().map(|run| run.retries).sum::<u64>() as f64 / count;
    let score = 100.0
        * (0.5 * success_rate
            + 0.2 * (1.0 - escalation_rate)
            + 0.15 * (1.0 - budget_pause_rate)
            + 0.15 / (1.0 + retries_per_run));
    Some(Health {
        score: score.round().clamp(0.0, 100.0) as u8,
        success_rate,
        escalation_rate,
        budget_pause_rate,
        retries_per_run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: RunStatus, started_at: i64, retries: u64, escalated: bool) -> RunNumbers {
        RunNumbers {
            workflow: "w".into(),
            status,
            duration_ms: Some(1_000),
            cost_micros: 500_000,
            iterations: 2,
            retries,
            escalated,
            paused: false,
            budget_paused: false,
            started_at,
        }
    }

    #[test]
    fn the_health_score_follows_its_formula() {
        let all_well = [run(RunStatus::Succeeded, 0, 0, false)];
        assert_eq!(health(&all_well).map(|health| health.score), Some(100));
        // S = 1/2, E = 1/2, B = 0, R = 1.5: 100 × (0.25 + 0.1 + 0.15 + 0.06) = 56.
        let mixed = [run(RunStatus::Succeeded, 0, 3, false), run(RunStatus::Failed, 0, 0, true)];
        assert_eq!(health(&mixed).map(|health| health.score), Some(56));
        assert!(health(&[run(RunStatus::Paused, 0, 0, false)]).is_none(), "nothing finished");
    }

    #[test]
    fn days_between_runs_are_listed_empty_and_weeks_start_on_monday() {
        let utc = jiff::tz::TimeZone::UTC;
        // 2026-12-02 is a Wednesday.
        let wednesday = 1_796_212_800_000;
        let friday = wednesday + 2 * 86_400_000;
        let runs = [run(RunStatus::Succeeded, wednesday, 0, false), run(RunStatus::Failed, friday, 0, false)];
        let days = periods(&runs, By::Day, &utc);
        let starts: Vec<&str> = days.iter().map(|period| period.start.as_str()).collect();
        assert_eq!(starts, ["2026-12-02", "2026-12-03", "2026-12-04"]);
        assert_eq!((days[1].runs, days[2].success_rate), (0, Some(0.0)));
        let weeks = periods(&runs, By::Week, &utc);
        assert_eq!(weeks.len(), 1);
        assert_eq!((weeks[0].start.as_str(), weeks[0].runs), ("2026-11-30", 2));
        assert_eq!(weeks[0].cost_per_success_micros, Some(1_000_000));
    }
}
