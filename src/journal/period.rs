//! Spending across runs for the budgets `per day` and `per month`: where a period began in
//! the local time zone, and what every run of a workflow spent since.

use rusqlite::{params, OptionalExtension};

use super::{Journal, Result};
use crate::ir::Period;

/// When the period holding `now_ms` began, in milliseconds since the epoch: local midnight,
/// or local midnight on the first of the month. Where the time zone cannot be read, UTC's.
pub fn period_start(period: Period, now_ms: i64) -> i64 {
    let Ok(now) = jiff::Timestamp::from_millisecond(now_ms) else { return now_ms };
    let zoned = now.to_zoned(jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC));
    let start = match period {
        Period::Day => zoned.start_of_day(),
        Period::Month => zoned.first_of_month().and_then(|first| first.start_of_day()),
    };
    start.map_or(now_ms, |start| start.timestamp().as_millisecond())
}

impl Journal {
    /// The file and the budgets across runs that the newest run of `workflow` recorded (its
    /// options' `periods`); `None` when it has none.
    pub fn latest_periods(
        &self,
        workflow: &str,
    ) -> Result<Option<(String, std::collections::BTreeMap<String, crate::cost::Budget>)>> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT file, options FROM runs WHERE workflow = ?1 ORDER BY started_at DESC, id DESC LIMIT 1",
        )?;
        let row: Option<(String, String)> =
            statement.query_row([workflow], |row| Ok((row.get(0)?, row.get(1)?))).optional()?;
        Ok(row.and_then(|(file, options)| {
            let options: super::RunOptions = serde_json::from_str(&options).ok()?;
            (!options.periods.is_empty()).then_some((file, options.periods))
        }))
    }

    /// What every run of `workflow` from `file` spent since `since_ms`: micro-dollars and
    /// tokens of the ledger rows written since then (a run that began before keeps only
    /// what it spent after).
    pub fn spent_since(&self, workflow: &str, file: &str, since_ms: i64) -> Result<(i64, u64)> {
        let conn = self.conn();
        let (micros, tokens): (i64, i64) = conn.query_row(
            "SELECT COALESCE(SUM(l.micros), 0), COALESCE(SUM(l.input + l.output + l.cached), 0)
             FROM ledger l JOIN runs r ON r.id = l.run_id
             WHERE r.workflow = ?1 AND r.file = ?2 AND l.at >= ?3",
            params![workflow, file, since_ms],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok((micros, u64::try_from(tokens).unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_begins_at_or_before_now_and_a_month_before_its_day() {
        let now = 1_795_229_549_075;
        let day = period_start(Period::Day, now);
        let month = period_start(Period::Month, now);
        assert!(day <= now && now - day < 25 * 3_600_000, "{day}");
        assert!(month <= day && day - month < 31 * 86_400_000, "{month}");
    }
}
