//! An estimate as a plain-text table: a row per phase with its steps indented under it,
//! min / expected / worst for money, tokens and time, the total, the budget, and the notes.

use std::fmt::Write;

use super::{Amounts, Budget, Estimate, Note, OverBudget, Range, StepCost};
use crate::ir::{format_cost, format_duration};
use crate::pad;

/// The table `wf cost` prints.
pub fn table(estimate: &Estimate) -> String {
    let mut rows: Vec<Row> = Vec::new();
    for phase in &estimate.phases {
        rows.push(Row::amounts(phase.name.clone(), &phase.amounts));
        for step in &phase.steps {
            rows.push(Row::amounts(format!("  {}", step_label(step)), &step.amounts));
        }
        if let Some(row) = Row::budget("  budget", &phase.budget) {
            rows.push(row);
        }
    }
    rows.push(Row::Rule);
    rows.push(Row::amounts("total".to_string(), &estimate.total));
    if let Some(row) = Row::budget("budget", &estimate.budget) {
        rows.push(row);
    }
    for (period, budget) in &estimate.periods {
        if let Some(row) = Row::budget(&format!("budget per {period}"), budget) {
            rows.push(row);
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "{}: cost before the run (min / expected / worst)", estimate.workflow);
    out.push('\n');
    out.push_str(&layout(&rows));

    let mut warnings = Vec::new();
    if let Some(over) = &estimate.over_budget {
        warnings.extend(over_lines(&format!("workflow `{}`", estimate.workflow), over));
    }
    for phase in &estimate.phases {
        if let Some(over) = &phase.over_budget {
            warnings.extend(over_lines(&format!("phase `{}`", phase.name), over));
        }
    }
    if !warnings.is_empty() {
        out.push('\n');
        for warning in warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
    }
    if !estimate.periods.is_empty() {
        let periods: Vec<String> = estimate.periods.keys().map(|period| format!("per {period}")).collect();
        let (budgets, count) = if periods.len() == 1 { ("budget", "counts") } else { ("budgets", "count") };
        out.push_str(&format!(
            "\nthe {budgets} {} also {count} the other runs of `{}` in the period: `wf stats` shows what they spent\n",
            periods.join(" and "),
            estimate.workflow
        ));
    }
    if !estimate.notes.is_empty() {
        out.push_str("\nnotes:\n");
        for note in &estimate.notes {
            let _ = writeln!(out, "  - {note}");
            let steps: Vec<String> = match note {
                Note::OpenEnded { steps } | Note::Unknown { steps } => steps.clone(),
                Note::FromHistory { steps, .. } => steps
                    .iter()
                    .map(|past| format!("{} ({} run{})", past.step, past.runs, if past.runs == 1 { "" } else { "s" }))
                    .collect(),
                _ => Vec::new(),
            };
            for line in wrap(&steps, 92) {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

enum Row {
    Cells { label: String, cells: Vec<String> },
    Rule,
}

impl Row {
    fn amounts(label: String, amounts: &Amounts) -> Row {
        let unknown = amounts.unknown;
        let money = |range: Range<i64>| {
            [range.min, range.expected, range.worst].map(|micros| cell(micros == 0, unknown.money, format_cost(micros)))
        };
        let count = |range: Range<u64>, unknown: bool, format: fn(u64) -> String| {
            [range.min, range.expected, range.worst].map(|value| cell(value == 0, unknown, format(value)))
        };
        let [m0, m1, m2] = money(amounts.money);
        let [t0, t1, t2] = count(amounts.tokens, unknown.tokens, compact_tokens);
        let [d0, d1, d2] = count(amounts.duration, unknown.duration, format_duration);
        Row::Cells { label, cells: vec![m0, m1, m2, t0, t1, t2, d0, d1, d2] }
    }

    /// The limits under the worst columns they bound.
    fn budget(label: &str, budget: &Budget) -> Option<Row> {
        if budget.money.is_none() && budget.tokens.is_none() {
            return None;
        }
        let mut cells = vec![String::new(); 9];
        if let Some(limit) = budget.money {
            cells[2] = format_cost(limit.amount);
        }
        if let Some(limit) = budget.tokens {
            cells[5] = compact_tokens(limit.amount);
        }
        Some(Row::Cells { label: label.to_string(), cells })
    }
}

/// A figure, or `?` when all of it is unknown, or `$0.40+?` when a part of it is.
fn cell(zero: bool, unknown: bool, written: String) -> String {
    match (unknown, zero) {
        (false, _) => written,
        (true, true) => "?".to_string(),
        (true, false) => format!("{written}+?"),
    }
}

fn layout(rows: &[Row]) -> String {
    const GROUPS: [&str; 3] = ["money", "tokens", "duration"];
    const COLUMNS: [&str; 3] = ["min", "expected", "worst"];
    let mut label_width = "step".len();
    let mut widths = [0usize; 9];
    for (index, width) in widths.iter_mut().enumerate() {
        *width = COLUMNS[index % 3].len();
    }
    for row in rows {
        if let Row::Cells { label, cells } = row {
            label_width = label_width.max(label.chars().count());
            for (width, cell) in widths.iter_mut().zip(cells) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    const GAP: usize = 2;
    const GROUP_GAP: usize = 4;
    let group_width = |group: usize| widths[group * 3..group * 3 + 3].iter().sum::<usize>() + 2 * GAP;
    let line = |label: &str, cells: &[String]| -> String {
        let mut line = pad::left(label, label_width);
        for (index, cell) in cells.iter().enumerate() {
            let gap = if index % 3 == 0 { GROUP_GAP } else { GAP };
            line.push_str(&pad::right(cell, gap + widths[index]));
        }
        line.trim_end().to_string()
    };

    let mut out = String::new();
    let mut header = pad::left("", label_width);
    for (group, name) in GROUPS.iter().enumerate() {
        header.push_str(&pad::left("", GROUP_GAP));
        header.push_str(&pad::center(name, group_width(group)));
    }
    out.push_str(header.trim_end());
    out.push('\n');
    let columns: Vec<String> = (0..9).map(|index| COLUMNS[index % 3].to_string()).collect();
    out.push_str(&line("step", &columns));
    out.push('\n');
    let total_width = label_width + (0..3).map(|group| GROUP_GAP + group_width(group)).sum::<usize>();
    for row in rows {
        match row {
            Row::Cells { label, cells } => out.push_str(&line(label, cells)),
            Row::Rule => out.push_str(&"─".repeat(total_width)),
        }
        out.push('\n');
    }
    out
}

fn step_label(step: &StepCost) -> String {
    let name = step.id.rsplit('/').next().unwrap_or(&step.id);
    let runs = step.runs;
    let times = if runs == Range::exactly(1) {
        String::new()
    } else if runs.min == runs.worst {
        format!(" ×{}", runs.worst)
    } else {
        format!(" ×{}–{}", runs.min, runs.worst)
    };
    format!("{} {name}{times}", step.kind)
}

/// `950`, `12.0k`, `1.5M`: a token count short enough for a column.
fn compact_tokens(count: u64) -> String {
    crate::ir::format_token_count(count)
}

fn over_lines(scope: &str, over: &OverBudget) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(money) = over.money {
        lines.push(format!(
            "the worst case of {scope} costs {}, over its budget of {}",
            format_cost(money.worst),
            format_cost(money.budget)
        ));
    }
    if let Some(tokens) = over.tokens {
        lines.push(format!(
            "the worst case of {scope} uses {} tokens, over its budget of {} tokens",
            compact_tokens(tokens.worst),
            compact_tokens(tokens.budget)
        ));
    }
    lines
}

/// Comma-separated, in lines of at most `width` characters (a longer item gets a line alone).
fn wrap(items: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for (index, item) in items.iter().enumerate() {
        let piece = if index + 1 < items.len() { format!("{item},") } else { item.clone() };
        if !current.is_empty() && current.chars().count() + 1 + piece.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&piece);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(id: &str, runs: Range<u64>) -> StepCost {
        StepCost {
            id: id.into(),
            kind: "run",
            model: None,
            runs,
            amounts: Amounts::ZERO,
            sources: super::super::Sources::STATED,
        }
    }

    #[test]
    fn step_labels_show_how_often_a_step_runs() {
        let steps = [
            step("p/once", Range::exactly(1)),
            step("p/each", Range::exactly(4)),
            step("p/retried", Range { min: 1, expected: 1, worst: 3 }),
            step("top", Range { min: 0, expected: 1, worst: 1 }),
        ];
        let labels: Vec<String> = steps.iter().map(step_label).collect();
        assert_eq!(labels, ["run once", "run each ×4", "run retried ×1–3", "run top ×0–1"]);
    }

    #[test]
    fn long_lists_wrap() {
        let items: Vec<String> = ["alpha", "beta", "gamma"].map(String::from).to_vec();
        assert_eq!(wrap(&items, 12), ["alpha, beta,", "gamma"]);
        assert_eq!(wrap(&items, 80), ["alpha, beta, gamma"]);
    }
}
