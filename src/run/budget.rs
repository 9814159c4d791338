//! Budgets while a run spends (spec §10): the run's, each phase's and each called
//! workflow's. Before an attempt starts, its expected spend is checked against every budget
//! around it and reserved; the attempt's real spend replaces the reservation when it ends.
//!
//! Everything runs on one thread, and checking and reserving happen with no `await` between
//! them, so siblings in a `parallel` cannot jointly overspend on their estimates: a sibling
//! whose estimate fits only once the others' reservations are gone waits for them. A budget
//! is overspent by at most what the attempts in flight spend beyond their `expect`
//! (docs/budgets.md).

use std::cell::Cell;
use std::rc::Rc;

use tokio::sync::Notify;

use crate::cost::Budget;
use crate::ir::format_money;

/// A budget being spent.
pub struct Purse {
    /// `run`, `day` or `month` (budgets across runs, around the run's), or the key of the phase
    /// or call that declares the budget.
    pub scope: String,
    pub limits: Budget,
    /// Spent so far: what the ledger held when the purse opened, plus what attempts since added.
    spent: Cell<(i64, u64)>,
    /// Estimates of attempts in flight.
    reserved: Cell<(i64, u64)>,
    /// Whether the money and token warnings were given.
    warned: Cell<(bool, bool)>,
    parent: Option<Rc<Purse>>,
    /// Wakes attempts waiting for reservations to end.
    released: Rc<Notify>,
}

/// What an attempt may do.
pub enum Admission {
    /// It may start; the reservation ends when this is dropped.
    Admitted(Reservation),
    /// It would fit once attempts in flight end.
    Wait(Rc<Notify>),
    /// A budget is spent, or this attempt's estimate would overspend it.
    Spent(Exhausted),
}

/// Why a budget stops the run.
#[derive(Debug, Clone)]
pub struct Exhausted {
    pub reason: String,
    /// The phase or call whose budget it is (`--budget KEY=…` raises it); `None` for the run's.
    pub scope: Option<String>,
    /// An amount that lets the run go on (`$5.00`, `26k tokens`), for the hint.
    pub raise: String,
}

/// A budget crossed its `warn at` level.
pub struct Warning {
    pub scope: String,
    pub resource: &'static str,
    pub spent: u64,
    pub limit: u64,
    pub percent: f64,
}

impl Purse {
    /// The run's purse, `prior` being what its ledger already holds.
    pub fn root(limits: Budget, prior: (i64, u64), warned: (bool, bool)) -> Rc<Purse> {
        Rc::new(Purse {
            scope: "run".to_owned(),
            limits,
            spent: Cell::new(prior),
            reserved: Cell::new((0, 0)),
            warned: Cell::new(warned),
            parent: None,
            released: Rc::new(Notify::new()),
        })
    }

    /// A budget across runs (`scope` is `day` or `month`), `prior` being what every run of the
    /// workflow spent since the period began, this one's included.
    pub fn period(
        parent: Option<&Rc<Purse>>,
        scope: &str,
        limits: Budget,
        prior: (i64, u64),
        warned: (bool, bool),
    ) -> Rc<Purse> {
        Rc::new(Purse {
            scope: scope.to_owned(),
            limits,
            spent: Cell::new(prior),
            reserved: Cell::new((0, 0)),
            warned: Cell::new(warned),
            parent: parent.cloned(),
            released: parent.map_or_else(|| Rc::new(Notify::new()), |parent| parent.released.clone()),
        })
    }

    /// A phase's or call's purse inside `parent`; or the run's, as `run`, inside the budgets
    /// across runs.
    pub fn child(
        parent: &Rc<Purse>,
        scope: String,
        limits: Budget,
        prior: (i64, u64),
        warned: (bool, bool),
    ) -> Rc<Purse> {
        Rc::new(Purse {
            scope,
            limits,
            spent: Cell::new(prior),
            reserved: Cell::new((0, 0)),
            warned: Cell::new(warned),
            parent: Some(parent.clone()),
            released: parent.released.clone(),
        })
    }

    fn chain(self: &Rc<Purse>) -> impl Iterator<Item = &Purse> {
        std::iter::successors(Some(&**self), |purse| purse.parent.as_deref())
    }

    /// Whether an attempt expected to spend `expect` may start now.
    pub fn admit(self: &Rc<Purse>, expect: (i64, u64)) -> Admission {
        let mut wait = false;
        let as_signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let show_tokens = |n: i64| crate::report::tokens(u64::try_from(n).unwrap_or(0));
        for purse in self.chain() {
            let (spent, reserved) = (purse.spent.get(), purse.reserved.get());
            // Money and tokens alike: (limit, spent, reserved, expected, how to print an amount,
            // an amount to raise the limit to).
            let raise_tokens = |limit: i64, needed: i64| {
                crate::hint::raised_tokens(u64::try_from(limit).unwrap_or(0), u64::try_from(needed).unwrap_or(0))
            };
            let resources: [Resource<'_>; 2] = [
                (
                    purse.limits.money.map(|limit| limit.amount),
                    spent.0,
                    reserved.0,
                    expect.0,
                    &format_money,
                    &crate::hint::raised_money,
                ),
                (
                    purse.limits.tokens.map(|limit| as_signed(limit.amount)),
                    as_signed(spent.1),
                    as_signed(reserved.1),
                    as_signed(expect.1),
                    &show_tokens,
                    &raise_tokens,
                ),
            ];
            for (limit, spent, reserved, expect, show, raise) in resources {
                let Some(limit) = limit else { continue };
                let reason = match fits(spent, reserved, expect, limit) {
                    Fit::Yes => continue,
                    Fit::Later => {
                        wait = true;
                        continue;
                    }
                    Fit::Spent => format!("{} budget of {} is spent ({})", purse.whose(), show(limit), show(spent)),
                    Fit::Over => format!(
                        "{} budget of {} would be overspent: {} spent, and the next attempt expects {}",
                        purse.whose(),
                        show(limit),
                        show(spent),
                        show(expect)
                    ),
                };
                let scope = (purse.scope != "run").then(|| purse.scope.clone());
                let raise = raise(limit, spent.saturating_add(expect));
                return Admission::Spent(Exhausted { reason, scope, raise });
            }
        }
        if wait {
            return Admission::Wait(self.released.clone());
        }
        for purse in self.chain() {
            let (money, tokens) = purse.reserved.get();
            purse.reserved.set((money.saturating_add(expect.0), tokens.saturating_add(expect.1)));
        }
        Admission::Admitted(Reservation { purse: self.clone(), expect })
    }

    /// Adds what an attempt spent to every budget around it; returns the warnings now due.
    pub fn spend(self: &Rc<Purse>, micros: i64, tokens: u64) -> Vec<Warning> {
        let mut warnings = Vec::new();
        for purse in self.chain() {
            let (spent_micros, spent_tokens) = purse.spent.get();
            let spent = (spent_micros.saturating_add(micros), spent_tokens.saturating_add(tokens));
            purse.spent.set(spent);
            let (mut money_warned, mut tokens_warned) = purse.warned.get();
            if let Some(limit) = purse.limits.money {
                let spent = u64::try_from(spent.0).unwrap_or(0);
                let amount = u64::try_from(limit.amount).unwrap_or(0);
                if let Some(warning) = purse.due(&mut money_warned, "money", spent, amount, limit.warn_at) {
                    warnings.push(warning);
                }
            }
            if let Some(limit) = purse.limits.tokens {
                if let Some(warning) = purse.due(&mut tokens_warned, "tokens", spent.1, limit.amount, limit.warn_at) {
                    warnings.push(warning);
                }
            }
            purse.warned.set((money_warned, tokens_warned));
        }
        warnings
    }

    fn due(
        &self,
        warned: &mut bool,
        resource: &'static str,
        spent: u64,
        limit: u64,
        at: Option<f64>,
    ) -> Option<Warning> {
        let at = at?;
        if *warned || limit == 0 {
            return None;
        }
        #[allow(clippy::cast_precision_loss)] // Percentages of money and token counts.
        let percent = spent as f64 * 100.0 / limit as f64;
        if percent + 1e-9 < at {
            return None;
        }
        *warned = true;
        Some(Warning { scope: self.scope.clone(), resource, spent, limit, percent })
    }

    fn whose(&self) -> String {
        whose(&self.scope)
    }
}

/// Whose a budget is, as said: "the run's", "today's", "this month's", "`work`'s".
pub fn whose(scope: &str) -> String {
    match scope {
        "run" => "the run's".to_owned(),
        "day" => "today's".to_owned(),
        "month" => "this month's".to_owned(),
        key => format!("`{key}`'s"),
    }
}

/// One resource of a budget as an admission checks it: its limit, spent, reserved and expected
/// amounts, and how to print an amount.
type Resource<'a> = (Option<i64>, i64, i64, i64, &'a dyn Fn(i64) -> String, &'a dyn Fn(i64, i64) -> String);

/// An attempt's estimate, held against every budget around it until the attempt ends.
pub struct Reservation {
    purse: Rc<Purse>,
    expect: (i64, u64),
}

impl Drop for Reservation {
    fn drop(&mut self) {
        for purse in self.purse.chain() {
            let (money, tokens) = purse.reserved.get();
            purse.reserved.set((money.saturating_sub(self.expect.0), tokens.saturating_sub(self.expect.1)));
        }
        self.purse.released.notify_waiters();
    }
}

enum Fit {
    Yes,
    /// Fits once the reservations of attempts in flight end.
    Later,
    /// Nothing is left.
    Spent,
    /// What is left is less than the estimate.
    Over,
}

fn fits(spent: i64, reserved: i64, expect: i64, limit: i64) -> Fit {
    if spent >= limit {
        Fit::Spent
    } else if spent.saturating_add(expect) > limit {
        Fit::Over
    } else if spent.saturating_add(reserved).saturating_add(expect) > limit {
        Fit::Later
    } else {
        Fit::Yes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::BudgetLimit;

    fn dollars(amount: i64, warn_at: Option<f64>) -> Budget {
        Budget { money: Some(BudgetLimit { amount: amount * 1_000_000, warn_at }), tokens: None }
    }

    #[test]
    fn an_estimate_that_would_overspend_is_refused() {
        let purse = Purse::root(dollars(3, None), (2_500_000, 0), (false, false));
        assert!(matches!(purse.admit((400_000, 0)), Admission::Admitted(_)));
        assert!(matches!(purse.admit((600_000, 0)), Admission::Spent(_)));
    }

    #[test]
    fn a_spent_budget_refuses_even_unestimated_attempts() {
        let purse = Purse::root(dollars(3, None), (3_000_000, 0), (false, false));
        let Admission::Spent(exhausted) = purse.admit((0, 0)) else { panic!("admitted past a spent budget") };
        assert_eq!(exhausted.reason, "the run's budget of $3.00 is spent ($3.00)");
    }

    #[test]
    fn siblings_reservations_hold_until_they_end() {
        let root = Purse::root(dollars(1, None), (0, 0), (false, false));
        let phase = Purse::child(&root, "fix".into(), Budget::default(), (0, 0), (false, false));
        let first = match phase.admit((600_000, 0)) {
            Admission::Admitted(reservation) => reservation,
            _ => panic!("the first estimate fits"),
        };
        assert!(matches!(phase.admit((600_000, 0)), Admission::Wait(_)));
        drop(first);
        assert!(matches!(phase.admit((600_000, 0)), Admission::Admitted(_)));
    }

    #[test]
    fn warns_once_at_its_level() {
        let root = Purse::root(dollars(10, Some(80.0)), (0, 0), (false, false));
        assert!(root.spend(7_000_000, 0).is_empty());
        let warnings = root.spend(1_000_000, 0);
        assert_eq!(warnings.len(), 1);
        assert_eq!((warnings[0].spent, warnings[0].limit), (8_000_000, 10_000_000));
        assert!(root.spend(1_000_000, 0).is_empty());
    }

    #[test]
    fn spending_counts_against_the_day_around_the_run() {
        let day = Purse::period(None, "day", dollars(5, Some(80.0)), (3_500_000, 0), (false, false));
        let run = Purse::child(&day, "run".into(), dollars(10, None), (0, 0), (false, false));
        let warnings = run.spend(600_000, 0);
        assert_eq!(warnings.len(), 1, "4.10 of 5.00 is past 80%");
        assert_eq!(warnings[0].scope, "day");
        let Admission::Spent(exhausted) = run.admit((1_000_000, 0)) else {
            panic!("today's budget would be overspent")
        };
        assert_eq!(exhausted.scope.as_deref(), Some("day"));
        assert_eq!(
            exhausted.reason,
            "today's budget of $5.00 would be overspent: $4.10 spent, and the next attempt expects $1.00"
        );
    }

    #[test]
    fn the_run_inside_periods_is_still_raised_as_the_run() {
        let month = Purse::period(None, "month", dollars(100, None), (0, 0), (false, false));
        let run = Purse::child(&month, "run".into(), dollars(1, None), (1_000_000, 0), (false, false));
        let Admission::Spent(exhausted) = run.admit((0, 0)) else { panic!("the run's budget is spent") };
        assert_eq!(exhausted.scope, None);
    }

    #[test]
    fn a_phase_budget_counts_against_the_run_too() {
        let root = Purse::root(dollars(1, None), (0, 0), (false, false));
        let phase = Purse::child(&root, "fix".into(), dollars(5, None), (0, 0), (false, false));
        let _ = phase.spend(1_000_000, 0);
        let Admission::Spent(exhausted) = phase.admit((0, 0)) else { panic!("the run's budget is spent") };
        assert_eq!(exhausted.reason, "the run's budget of $1.00 is spent ($1.00)");
    }
}
