//! Expressions, strings and types, each printed on one line (a text block and a long list of
//! records excepted).
//!
//! Expressions get single spaces around binary operators and none inside brackets.
//! Parentheses are kept where the source has them (they often say how a condition is meant
//! to be read) and added where the tree needs them; `((x))` becomes `(x)`.

use super::literal::literal;
use super::printer::Printer;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, FieldType, StringLit, TypeExpr, UnaryOp};

/// Binding strength, as in the grammar's Pratt table: higher binds tighter.
fn precedence(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary { op, .. } => match op {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div => 6,
        },
        ExprKind::Unary { op: UnaryOp::Not, .. } => 3,
        ExprKind::Unary { op: UnaryOp::Neg, .. } => 7,
        ExprKind::Literal(_)
        | ExprKind::Str(_)
        | ExprKind::List(_)
        | ExprKind::Record(_)
        | ExprKind::Name(_)
        | ExprKind::Field { .. }
        | ExprKind::Index { .. }
        | ExprKind::Call { .. } => 9,
    }
}

/// Comparisons do not chain: `(a < b) == c` needs its parentheses on either side.
const COMPARISON: u8 = 4;

impl Printer<'_> {
    /// `expr` on one line; a text block inside it is laid out for a line at `depth`.
    pub(super) fn expr(&self, expr: &Expr, depth: usize) -> String {
        let mut out = String::new();
        self.write_expr(expr, depth, &mut out);
        out
    }

    /// Writes `expr` in parentheses when the source had them around it or when `needed`.
    fn operand(&self, expr: &Expr, needed: bool, depth: usize, out: &mut String) {
        let parens = needed || self.parenthesized(expr);
        if parens {
            out.push('(');
        }
        self.write_expr_bare(expr, depth, out);
        if parens {
            out.push(')');
        }
    }

    fn write_expr(&self, expr: &Expr, depth: usize, out: &mut String) {
        self.operand(expr, false, depth, out);
    }

    fn write_expr_bare(&self, expr: &Expr, depth: usize, out: &mut String) {
        match &expr.kind {
            ExprKind::Literal(lit) => out.push_str(&literal(lit)),
            ExprKind::Str(lit) => out.push_str(&self.string(lit, depth)),
            ExprKind::List(items) => {
                let mut flat = String::new();
                self.write_list(items, depth, &mut flat);
                if breaks(items, &flat) {
                    // One record per line, each a level deeper than the line the list is on.
                    let inner = super::layout::INDENT.repeat(depth + 1);
                    out.push_str("[\n");
                    for item in items {
                        out.push_str(&inner);
                        self.write_expr(item, depth + 1, out);
                        out.push_str(",\n");
                    }
                    out.push_str(&super::layout::INDENT.repeat(depth));
                    out.push(']');
                } else {
                    out.push('[');
                    out.push_str(&flat);
                    out.push(']');
                }
            }
            ExprKind::Record(fields) => {
                out.push_str("{ ");
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&field.name.name);
                    out.push_str(": ");
                    self.write_expr(&field.value, depth, out);
                }
                out.push_str(" }");
            }
            ExprKind::Name(name) => out.push_str(name),
            ExprKind::Field { base, field } => {
                self.operand(base, precedence(base) < 9, depth, out);
                out.push('.');
                out.push_str(&field.name);
            }
            ExprKind::Index { base, index } => {
                self.operand(base, precedence(base) < 9, depth, out);
                out.push('[');
                self.write_expr(index, depth, out);
                out.push(']');
            }
            ExprKind::Call { func, args } => {
                out.push_str(&func.name);
                out.push('(');
                self.write_list(args, depth, out);
                out.push(')');
            }
            ExprKind::Unary { op: UnaryOp::Not, operand } => {
                out.push_str("not ");
                self.operand(operand, precedence(operand) < 3, depth, out);
            }
            ExprKind::Unary { op: UnaryOp::Neg, operand } => {
                out.push('-');
                // `-(-x)` rather than `--x`.
                self.operand(operand, precedence(operand) <= 7, depth, out);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let own = precedence(expr);
                let left = precedence(lhs);
                self.operand(lhs, left < own || (own == COMPARISON && left == COMPARISON), depth, out);
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                self.operand(rhs, precedence(rhs) <= own, depth, out);
            }
        }
    }

    fn write_list(&self, items: &[Expr], depth: usize, out: &mut String) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.write_expr(item, depth, out);
        }
    }

    /// Whether the source wrote parentheses around `expr`: the parser keeps them only in the
    /// span, which then starts before the expression's own first token.
    fn parenthesized(&self, expr: &Expr) -> bool {
        let first_part = match &expr.kind {
            ExprKind::Binary { lhs: first, .. }
            | ExprKind::Field { base: first, .. }
            | ExprKind::Index { base: first, .. } => Some(first.span.start),
            ExprKind::Literal(_)
            | ExprKind::Str(_)
            | ExprKind::List(_)
            | ExprKind::Record(_)
            | ExprKind::Name(_)
            | ExprKind::Call { .. }
            | ExprKind::Unary { .. } => None,
        };
        match first_part {
            Some(start) => expr.span.start < start,
            // These never start with `(` of their own.
            None => self.source.as_bytes().get(expr.span.start) == Some(&b'('),
        }
    }

    /// A string as written; a text block moved to sit one level deeper than `depth`.
    pub(super) fn string(&self, lit: &StringLit, depth: usize) -> String {
        let raw = self.source.get(lit.span.start..lit.span.end).unwrap_or_default();
        if lit.block {
            text_block(raw, depth)
        } else {
            raw.to_owned()
        }
    }
}

/// Whether a list literal is written one item per line: a list of two or more records that
/// is long on one line (decided by the list alone, so formatting twice changes nothing).
fn breaks(items: &[Expr], flat: &str) -> bool {
    const LONG: usize = 60;
    items.iter().filter(|item| matches!(item.kind, ExprKind::Record(_))).count() >= 2 && flat.chars().count() > LONG
}

/// A type on one line: `string`, `list<string>`, `{ name: string, n: int }`.
pub(super) fn type_expr(ty: &TypeExpr) -> String {
    match ty {
        TypeExpr::Named(name) => name.name.clone(),
        TypeExpr::List { elem, .. } => format!("list<{}>", type_expr(elem)),
        TypeExpr::Record { fields, .. } => braced(fields.iter().map(field_type)),
    }
}

pub(super) fn field_type(field: &FieldType) -> String {
    format!("{}: {}", field.name.name, type_expr(&field.ty))
}

/// `{ a, b }`, or `{}` when empty.
pub(super) fn braced(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", items.join(", "))
    }
}

fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// A `"""` text block with its content lines moved to one level deeper than `depth`, and the
/// closing `"""` on a line of its own at that level when it was on one.
///
/// The value does not change: the parser drops the first line when it is blank and the last
/// when it is blank, and removes the indentation common to the other lines; every one of those
/// lines moves by the same amount, so what is common moves and what remains stays.
pub(super) fn text_block(raw: &str, depth: usize) -> String {
    let Some(content) = raw.strip_prefix("\"\"\"").and_then(|rest| rest.strip_suffix("\"\"\"")) else {
        return raw.to_owned();
    };
    let Some((first, rest)) = content.split_once('\n') else {
        return raw.to_owned();
    };
    let mut lines: Vec<&str> = rest.split('\n').collect();
    let last = lines.len() - 1;
    for line in &mut lines[..last] {
        *line = line.strip_suffix('\r').unwrap_or(line);
    }
    let closing_alone = is_blank(lines[last]);
    if closing_alone {
        lines.pop();
    }
    let common = lines
        .iter()
        .filter(|line| !is_blank(line))
        .map(|line| line.bytes().take_while(|&b| b == b' ' || b == b'\t').count())
        .min();
    let level = super::layout::INDENT.repeat(depth + 1);
    // Blank lines keep what lies beyond the common indentation; with no other line there is
    // nothing common to remove, so they stay as they are.
    let (common, indent) = match common {
        Some(common) => (common, level.as_str()),
        None => (0, ""),
    };
    let mut out = String::from("\"\"\"");
    if !is_blank(first) {
        out.push_str(first.strip_suffix('\r').unwrap_or(first));
    }
    for line in &lines {
        out.push('\n');
        let kept = line.get(common..).unwrap_or_default();
        if !kept.is_empty() {
            out.push_str(indent);
            out.push_str(kept);
        }
    }
    if closing_alone {
        out.push('\n');
        out.push_str(&level);
    }
    out.push_str("\"\"\"");
    out
}

#[cfg(test)]
mod tests {
    use super::text_block;
    use crate::fmt::printer::Printer;
    use crate::span::Span;
    use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Ident, UnaryOp};

    fn expr(kind: ExprKind) -> Expr {
        Expr { kind, span: Span::default() }
    }

    fn name(name: &str) -> Expr {
        expr(ExprKind::Name(name.to_owned()))
    }

    fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
        expr(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) })
    }

    fn unary(op: UnaryOp, operand: Expr) -> Expr {
        expr(ExprKind::Unary { op, operand: Box::new(operand) })
    }

    /// Trees built by hand have no parentheses in any source: the printer adds those the tree
    /// needs, and only those.
    #[test]
    fn parentheses_are_added_where_the_tree_needs_them() {
        let printer = Printer::new("", &[]);
        let print = |tree: &Expr| printer.expr(tree, 0);
        let (a, b, c) = (name("a"), name("b"), name("c"));
        let sum = binary(BinaryOp::Add, a.clone(), b.clone());
        assert_eq!(
            print(&binary(BinaryOp::Sub, a.clone(), binary(BinaryOp::Sub, b.clone(), c.clone()))),
            "a - (b - c)"
        );
        assert_eq!(print(&binary(BinaryOp::Sub, binary(BinaryOp::Sub, a.clone(), b.clone()), c.clone())), "a - b - c");
        assert_eq!(print(&binary(BinaryOp::Mul, sum.clone(), c.clone())), "(a + b) * c");
        assert_eq!(print(&binary(BinaryOp::Add, a.clone(), binary(BinaryOp::Mul, b.clone(), c.clone()))), "a + b * c");
        let less = binary(BinaryOp::Lt, a.clone(), b.clone());
        assert_eq!(print(&binary(BinaryOp::Eq, less, c.clone())), "(a < b) == c");
        let either = binary(BinaryOp::Or, a.clone(), b.clone());
        assert_eq!(print(&unary(UnaryOp::Not, either.clone())), "not (a or b)");
        assert_eq!(print(&binary(BinaryOp::And, either, c.clone())), "(a or b) and c");
        assert_eq!(print(&unary(UnaryOp::Not, binary(BinaryOp::Eq, a.clone(), b.clone()))), "not a == b");
        assert_eq!(print(&binary(BinaryOp::Add, a.clone(), unary(UnaryOp::Not, b.clone()))), "a + (not b)");
        assert_eq!(print(&unary(UnaryOp::Neg, sum.clone())), "-(a + b)");
        assert_eq!(print(&unary(UnaryOp::Neg, unary(UnaryOp::Neg, a.clone()))), "-(-a)");
        assert_eq!(print(&binary(BinaryOp::Sub, a.clone(), unary(UnaryOp::Neg, b.clone()))), "a - -b");
        let field =
            ExprKind::Field { base: Box::new(sum), field: Ident { name: "x".to_owned(), span: Span::default() } };
        assert_eq!(print(&expr(field)), "(a + b).x");
    }

    #[test]
    fn text_blocks_move_their_common_indentation() {
        let raw = "\"\"\"\n      one\n        two\n\n      three\n      \"\"\"";
        assert_eq!(text_block(raw, 1), "\"\"\"\n    one\n      two\n\n    three\n    \"\"\"");
    }

    #[test]
    fn a_first_line_after_the_quotes_stays() {
        let raw = "\"\"\"one\n  two\"\"\"";
        assert_eq!(text_block(raw, 0), "\"\"\"one\n  two\"\"\"");
    }

    #[test]
    fn blank_lines_keep_white_space_beyond_the_common_indentation() {
        let raw = "\"\"\"\n    a\n       \n    b\n    \"\"\"";
        assert_eq!(text_block(raw, 0), "\"\"\"\n  a\n     \n  b\n  \"\"\"");
    }
}
