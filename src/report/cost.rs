//! Where a run's money and tokens went: the ledger summed by phase, by step and by model, and
//! the run's budget against what it spent. Every breakdown is a partition of the ledger, so
//! each one sums to the run's total.

use std::collections::HashMap;

use serde::Serialize;

use crate::cost::Budget;
use crate::journal::{LedgerEntry, StepLine};

/// Ledger rows outside every top-level phase.
pub const TOP_LEVEL: &str = "(top level)";
/// Ledger rows without a model: the fixed `cost` of `run` steps.
pub const FIXED: &str = "(fixed)";

#[derive(Debug, Clone, Default, Serialize)]
pub struct Costs {
    pub cost_micros: i64,
    pub tokens: u64,
    /// By top-level phase, in the order the phases started; `(top level)` last.
    pub phases: Vec<Share>,
    /// By step (instance keys without their `[i]`), most expensive first.
    pub steps: Vec<StepShare>,
    /// By model, most expensive first; `(fixed)` holds `run` steps' `cost`.
    pub models: Vec<ModelShare>,
    pub budget: BudgetUse,
}

/// A part of the run's total. `share` is its percent of the run's money, or of its tokens
/// when the run cost no money.
#[derive(Debug, Clone, Serialize)]
pub struct Share {
    pub name: String,
    pub cost_micros: i64,
    pub tokens: u64,
    pub share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepShare {
    pub step: String,
    /// Its instances (loop iterations, `for` elements) that the journal holds.
    pub instances: usize,
    /// Attempts over every instance.
    pub attempts: u64,
    pub cost_micros: i64,
    pub tokens: u64,
    pub share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelShare {
    pub model: String,
    pub input: u64,
    pub output: u64,
    pub cached: u64,
    pub tokens: u64,
    pub cost_micros: i64,
    pub share: f64,
    /// The model has no price: its tokens were counted at $0.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unpriced: bool,
    /// What the providers themselves reported the calls cost (Claude Code does), when they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_micros: Option<i64>,
}

/// The run's budget (the file's, with `--budget` raises) against what it spent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BudgetUse {
    #[serde(rename = "money_micros", skip_serializing_if = "Option::is_none")]
    pub money: Option<Use<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Use<u64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Use<T> {
    pub spent: T,
    pub limit: T,
    /// `spent` as a percent of `limit`.
    pub percent: f64,
    /// The percent at which the run warns, when the budget says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn_at: Option<f64>,
}

/// A run's costs, folded one row at a time: first its step rows, which place the top-level
/// phases in order and count each step's instances and attempts ([`Breakdown::step`]), then
/// its ledger ([`Breakdown::amount`]). Nothing of either is kept but the sums.
#[derive(Debug, Default)]
pub struct Breakdown {
    /// Top-level phases as (started_at, seq, key), until the first amount orders them.
    phases: Vec<(i64, i64, String)>,
    /// Each phase's place in the ordered `phases`, once ordered.
    phase_index: Option<HashMap<String, usize>>,
    /// By step (its key without `[i]`): instances and attempts over leaf steps.
    attempts: HashMap<String, (usize, u64)>,
    cost_micros: i64,
    tokens: u64,
    /// Money and tokens by ordered phase; the last slot is the top level.
    by_phase: Vec<(i64, u64)>,
    by_step: Vec<(String, i64, u64)>,
    step_index: HashMap<String, usize>,
    by_model: Vec<ModelShare>,
}

impl Breakdown {
    /// Folds a step row in; every step row comes before the first amount.
    pub fn step(&mut self, line: &StepLine) {
        if line.kind == "phase" && !line.key.contains('/') {
            self.phases.push((line.started_at, line.seq, line.key.clone()));
        }
        if super::LEAF_KINDS.contains(&line.kind.as_str()) {
            let slot = self.attempts.entry(step_of(&line.key)).or_default();
            slot.0 += 1;
            slot.1 += u64::from(line.attempts);
        }
    }

    /// The phases in the order they started, and where each one's sums go.
    fn phase_index(&mut self) -> &HashMap<String, usize> {
        if self.phase_index.is_none() {
            self.phases.sort_by_key(|&(started_at, seq, _)| (started_at, seq));
            self.by_phase = vec![(0, 0); self.phases.len() + 1];
            self.phase_index =
                Some(self.phases.iter().enumerate().map(|(index, (_, _, key))| (key.clone(), index)).collect());
        }
        self.phase_index.get_or_insert_with(HashMap::new)
    }

    /// Folds a ledger amount in.
    pub fn amount(&mut self, entry: &LedgerEntry) {
        let count = tokens_of(entry);
        self.cost_micros += entry.micros;
        self.tokens += count;
        // A top-level phase's key has no `/`: an amount is in it when its first part is it.
        let first = entry.key.split('/').next().unwrap_or_default();
        let phases = self.phase_index();
        let phase = phases.get(first).copied().unwrap_or(phases.len());
        self.by_phase[phase].0 += entry.micros;
        self.by_phase[phase].1 += count;

        let step = step_of(&entry.key);
        let index = match self.step_index.get(&step) {
            Some(index) => *index,
            None => {
                self.by_step.push((step.clone(), 0, 0));
                self.step_index.insert(step, self.by_step.len() - 1);
                self.by_step.len() - 1
            }
        };
        self.by_step[index].1 += entry.micros;
        self.by_step[index].2 += count;

        let model = entry.model.as_deref().unwrap_or(FIXED);
        let slot = match self.by_model.iter().position(|share| share.model == model) {
            Some(slot) => slot,
            None => {
                self.by_model.push(ModelShare {
                    model: model.to_owned(),
                    input: 0,
                    output: 0,
                    cached: 0,
                    tokens: 0,
                    cost_micros: 0,
                    share: 0.0,
                    unpriced: false,
                    reported_micros: None,
                });
                self.by_model.len() - 1
            }
        };
        let share = &mut self.by_model[slot];
        share.input += entry.input;
        share.output += entry.output;
        share.cached += entry.cached;
        share.tokens += count;
        share.cost_micros += entry.micros;
        share.unpriced |= entry.unpriced;
        if let Some(amount) = entry.reported_micros {
            share.reported_micros = Some(share.reported_micros.unwrap_or(0).saturating_add(amount));
        }
    }

    /// The sums, each with its share of the run's total, and the budget against them.
    pub fn finish(mut self, budget: &Budget) -> Costs {
        self.phase_index();
        let (cost_micros, tokens) = (self.cost_micros, self.tokens);
        let share = |micros: i64, count: u64| {
            #[allow(clippy::cast_precision_loss)] // Percentages for people: f64 is plenty.
            let part = if cost_micros != 0 {
                micros as f64 / cost_micros as f64
            } else if tokens != 0 {
                count as f64 / tokens as f64
            } else {
                0.0
            };
            part * 100.0
        };

        let phase_names = self.phases.into_iter().map(|(_, _, key)| key).chain(std::iter::once(TOP_LEVEL.to_owned()));
        let phases = phase_names
            .zip(self.by_phase)
            .filter(|(_, (micros, count))| *micros != 0 || *count != 0)
            .map(|(name, (micros, count))| Share {
                name,
                cost_micros: micros,
                tokens: count,
                share: share(micros, count),
            })
            .collect();

        let attempts = self.attempts;
        let mut steps: Vec<StepShare> = self
            .by_step
            .into_iter()
            .map(|(step, micros, count)| {
                let (instances, attempts) = attempts.get(&step).copied().unwrap_or_default();
                StepShare { step, instances, attempts, cost_micros: micros, tokens: count, share: share(micros, count) }
            })
            .collect();
        // Stable: equal amounts keep the order the ledger met them in.
        steps.sort_by(|a, b| b.cost_micros.cmp(&a.cost_micros).then(b.tokens.cmp(&a.tokens)));

        let mut models: Vec<ModelShare> = self
            .by_model
            .into_iter()
            .map(|model| ModelShare { share: share(model.cost_micros, model.tokens), ..model })
            .collect();
        models.sort_by(|a, b| b.cost_micros.cmp(&a.cost_micros).then(b.tokens.cmp(&a.tokens)));

        let budget = BudgetUse {
            money: budget.money.map(|limit| Use {
                spent: cost_micros,
                limit: limit.amount,
                percent: percent(cost_micros.unsigned_abs(), limit.amount.unsigned_abs()),
                warn_at: limit.warn_at,
            }),
            tokens: budget.tokens.map(|limit| Use {
                spent: tokens,
                limit: limit.amount,
                percent: percent(tokens, limit.amount),
                warn_at: limit.warn_at,
            }),
        };
        Costs { cost_micros, tokens, phases, steps, models, budget }
    }
}

fn tokens_of(entry: &LedgerEntry) -> u64 {
    entry.input + entry.output + entry.cached
}

#[allow(clippy::cast_precision_loss)] // Percentages for people: f64 is plenty.
fn percent(spent: u64, limit: u64) -> f64 {
    if limit == 0 {
        return if spent == 0 { 0.0 } else { 100.0 };
    }
    spent as f64 / limit as f64 * 100.0
}

/// The step an instance key belongs to: the key without its iteration suffixes
/// (`fix[2]` → `fix`, `deploy[1]/health` → `deploy/health`).
pub fn step_of(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut depth = 0usize;
    for c in key.chars() {
        match c {
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, model: Option<&str>, input: u64, micros: i64) -> LedgerEntry {
        LedgerEntry { key: key.to_owned(), model: model.map(str::to_owned), input, micros, ..LedgerEntry::default() }
    }

    fn phase(key: &str, started_at: i64) -> StepLine {
        StepLine {
            row: started_at,
            key: key.to_owned(),
            kind: "phase".to_owned(),
            status: "succeeded".to_owned(),
            accepted: true,
            attempts: 1,
            started_at,
            seq: started_at,
            error: None,
            iterations: None,
            stderr: None,
        }
    }

    fn breakdown(ledger: &[LedgerEntry], lines: &[StepLine], budget: &Budget) -> Costs {
        let mut breakdown = Breakdown::default();
        lines.iter().for_each(|line| breakdown.step(line));
        ledger.iter().for_each(|entry| breakdown.amount(entry));
        breakdown.finish(budget)
    }

    #[test]
    fn iteration_suffixes_are_stripped_at_every_level() {
        assert_eq!(step_of("fix[2]"), "fix");
        assert_eq!(step_of("tests[1][3]"), "tests");
        assert_eq!(step_of("impl/deploy[4]/health"), "impl/deploy/health");
        assert_eq!(step_of("plain"), "plain");
    }

    #[test]
    fn every_breakdown_sums_to_the_total() {
        let ledger = [
            entry("build/compile", None, 0, 500_000),
            entry("build2/x", Some("haiku"), 100, 1_000),
            entry("build/fix[1]", Some("sonnet"), 1_000, 30_000),
            entry("build/fix[2]", Some("sonnet"), 2_000, 60_000),
            entry("after", Some("haiku"), 10, 7),
        ];
        let records = [phase("build2", 2), phase("build", 1)];
        let costs = breakdown(&ledger, &records, &Budget::default());
        assert_eq!(costs.cost_micros, 591_007);
        let names: Vec<&str> = costs.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["build", "build2", TOP_LEVEL], "in the order they started; `build2/x` is not in `build`");
        assert_eq!(costs.phases.iter().map(|p| p.cost_micros).sum::<i64>(), costs.cost_micros);
        assert_eq!(costs.models.iter().map(|m| m.cost_micros).sum::<i64>(), costs.cost_micros);
        assert_eq!(costs.steps.iter().map(|s| s.cost_micros).sum::<i64>(), costs.cost_micros);
        assert_eq!(costs.steps[1].step, "build/fix");
        assert_eq!(costs.steps[1].cost_micros, 90_000);
        let shares: f64 = costs.phases.iter().map(|p| p.share).sum();
        assert!((shares - 100.0).abs() < 1e-9);
    }
}
