//! The warning for a budget that the worst case goes over. Every workflow and phase that
//! declares a budget is estimated (`crate::cost`) with its parameters' defaults; a parameter
//! without one counts as the estimate's notes say.

use indexmap::IndexMap;

use super::CheckDiagnostic;
use crate::cost::{self, OverBudget, PhaseKind};
use crate::diag::Diagnostic;
use crate::ir::{format_money, format_tokens, Budget, FileId, Node, Period, Program};

/// Adds a warning for each money or token limit that a worst case exceeds.
pub(super) fn report(program: &Program, diagnostics: &mut Vec<Diagnostic>) {
    for workflow in &program.workflows {
        let phases = budgeted_phases(&workflow.body, &workflow.steps);
        if !has_limit(&workflow.budget) && phases.is_empty() && workflow.periods.is_empty() {
            continue;
        }
        let estimate = cost::estimate(program, workflow, &IndexMap::new());
        if let (Some(limit), Some(cost::Note::Unpriced { models })) =
            (&workflow.budget.money, estimate.notes.iter().find(|note| matches!(note, cost::Note::Unpriced { .. })))
        {
            let models = models.iter().map(|model| format!("`{model}`")).collect::<Vec<_>>().join(", ");
            let error = CheckDiagnostic::BudgetUnpriced { models, span: limit.span };
            diagnostics.push(Diagnostic::new(workflow.file, error));
        }
        if let Some(over) = &estimate.over_budget {
            warn(diagnostics, workflow.file, &format!("workflow `{}`", workflow.name), over, &workflow.budget);
        }
        // A budget per day or month that one run's worst case already spends: the run would
        // pause on it even on a day with nothing else spent.
        for period in Period::ALL {
            let budget = workflow.periods.get(period);
            let scope = format!("one run of workflow `{}`", workflow.name);
            let money = budget.money.as_ref().filter(|limit| estimate.total.money.worst > money_of(limit.amount));
            if let Some(limit) = money {
                let error = CheckDiagnostic::BudgetWorstCase {
                    scope: scope.clone(),
                    verb: "costs",
                    worst: format_money(estimate.total.money.worst),
                    budget: format!("{} per {}", format_money(money_of(limit.amount)), period.name()),
                    span: limit.span,
                };
                diagnostics.push(Diagnostic::new(workflow.file, error));
            }
            if let Some(limit) = budget.tokens.as_ref().filter(|limit| estimate.total.tokens.worst > limit.amount) {
                let error = CheckDiagnostic::BudgetWorstCase {
                    scope,
                    verb: "uses",
                    worst: format_tokens(estimate.total.tokens.worst),
                    budget: format!("{} per {}", format_tokens(limit.amount), period.name()),
                    span: limit.span,
                };
                diagnostics.push(Diagnostic::new(workflow.file, error));
            }
        }
        for (name, budget) in phases {
            let over = estimate
                .phases
                .iter()
                .find(|phase| phase.kind == PhaseKind::Phase && phase.name == name)
                .and_then(|phase| phase.over_budget.as_ref());
            if let Some(over) = over {
                warn(diagnostics, workflow.file, &format!("phase `{name}`"), over, budget);
            }
        }
    }
}

fn money_of(micros: u64) -> i64 {
    i64::try_from(micros).unwrap_or(i64::MAX)
}

fn has_limit(budget: &Budget) -> bool {
    budget.money.is_some() || budget.tokens.is_some()
}

/// Phases with a budget: at the top level, or directly inside a top-level `parallel`.
fn budgeted_phases<'w>(nodes: &'w [Node], steps: &'w [crate::ir::Step]) -> Vec<(&'w str, &'w Budget)> {
    let mut out = Vec::new();
    for node in nodes {
        match node {
            Node::Phase { step, control, .. } if has_limit(&control.budget) => {
                if let Some(step) = steps.get(step.0) {
                    out.push((step.name.as_str(), &control.budget));
                }
            }
            Node::Parallel { body, .. } => out.extend(budgeted_phases(body, steps)),
            _ => {}
        }
    }
    out
}

fn warn(diagnostics: &mut Vec<Diagnostic>, file: FileId, scope: &str, over: &OverBudget, budget: &Budget) {
    if let (Some(excess), Some(limit)) = (over.money, &budget.money) {
        let error = CheckDiagnostic::BudgetWorstCase {
            scope: scope.to_string(),
            verb: "costs",
            worst: format_money(excess.worst),
            budget: format_money(excess.budget),
            span: limit.span,
        };
        diagnostics.push(Diagnostic::new(file, error));
    }
    if let (Some(excess), Some(limit)) = (over.tokens, &budget.tokens) {
        let error = CheckDiagnostic::BudgetWorstCase {
            scope: scope.to_string(),
            verb: "uses",
            worst: format_tokens(excess.worst),
            budget: format_tokens(excess.budget),
            span: limit.span,
        };
        diagnostics.push(Diagnostic::new(file, error));
    }
}
