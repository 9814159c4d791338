//! Expressions and templates written back as source text (`tests.coverage >= 80%`), for
//! tools that show a workflow: parentheses only where precedence needs them, constants as
//! their folded values, steps by name.

use std::fmt;

use super::value::{write_list, write_record};
use super::{Expr, ExprKind, Func, Template, TemplatePart};
use crate::lexicon::{BinaryOp, UnaryOp};

/// Binding strength, loosest first, as in the grammar's Pratt table.
fn precedence(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary { op: BinaryOp::Or, .. } => 1,
        ExprKind::Binary { op: BinaryOp::And, .. } => 2,
        ExprKind::Unary { op: UnaryOp::Not, .. } => 3,
        ExprKind::Binary {
            op: BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge,
            ..
        } => 4,
        ExprKind::Binary { op: BinaryOp::Add | BinaryOp::Sub, .. } => 5,
        ExprKind::Binary { op: BinaryOp::Mul | BinaryOp::Div, .. } => 6,
        ExprKind::Unary { op: UnaryOp::Neg, .. } => 7,
        _ => 8,
    }
}

/// `expr`, in parentheses when it binds looser than `at_least`.
struct Operand<'e>(&'e Expr, u8);

impl fmt::Display for Operand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if precedence(self.0) < self.1 {
            write!(f, "({})", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let own = precedence(self);
        match &self.kind {
            ExprKind::Value(value) => write!(f, "{value}"),
            ExprKind::List(items) => write_list(f, items),
            ExprKind::Record(fields) => write_record(f, fields),
            ExprKind::Template(template) => write!(f, "\"{template}\""),
            ExprKind::Param(name) | ExprKind::LoopVar(name) => f.write_str(name),
            // A step's id is `phase/name`; in an expression it is named by its name.
            ExprKind::Step { id, .. } => f.write_str(id.rsplit('/').next().unwrap_or(id)),
            ExprKind::Field { base, field } => write!(f, "{}.{field}", Operand(base, 8)),
            ExprKind::Index { base, index } => write!(f, "{}[{index}]", Operand(base, 8)),
            ExprKind::Call { func, args } => {
                write!(f, "{}(", func_name(*func))?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
            ExprKind::Unary { op: UnaryOp::Not, operand } => write!(f, "not {}", Operand(operand, own)),
            ExprKind::Unary { op: UnaryOp::Neg, operand } => write!(f, "-{}", Operand(operand, own)),
            // Left-associative: a right operand of the same strength needs parentheses.
            ExprKind::Binary { op, lhs, rhs } => {
                write!(f, "{} {} {}", Operand(lhs, own), op.symbol(), Operand(rhs, own + 1))
            }
        }
    }
}

fn func_name(func: Func) -> &'static str {
    match func {
        Func::Len => "len",
        Func::Contains => "contains",
        Func::Matches => "matches",
        Func::Env => "env",
        Func::Min => "min",
        Func::Max => "max",
        Func::All => "all",
        Func::Any => "any",
    }
}

/// The text with each interpolation as `{{expr}}`, without the surrounding quotes.
impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                TemplatePart::Text(text) => f.write_str(text)?,
                TemplatePart::Expr(expr) => write!(f, "{{{{{expr}}}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{Node, Program, StepKind};

    fn program(text: &str) -> Program {
        let outcome = crate::check_text("main.wf", text, &|_| Err(std::io::Error::other("no files")));
        assert!(!outcome.checked.has_errors(), "{:?}", outcome.checked.diagnostics);
        outcome.checked.program
    }

    /// The conditions of a workflow's first `if`, as text.
    fn conditions(text: &str) -> Vec<String> {
        let program = program(text);
        let workflow = &program.workflows[0];
        workflow
            .body
            .iter()
            .find_map(|node| match node {
                Node::If { branches, .. } => Some(branches.iter().map(|branch| branch.cond.to_string()).collect()),
                _ => None,
            })
            .unwrap_or_default()
    }

    #[test]
    fn expressions_print_with_the_parentheses_they_need() {
        let text = r#"const limit = 80%
workflow w(n: int = 2, names: list<string> = ["a"]) {
  run t "x" { output cov: percent = json(stdout, "/c") }
  if (t.ok or n > 1) and not t.ok { run a "a" }
  else if t.cov >= limit and n - (1 - n) * 2 == 3 { run b "b" }
  else if contains(names, "x") and names[0] != "a \"b\"" { run c "c" }
  else if -(n + 1) < len("{{n}} items") { run d "d" }
}"#;
        assert_eq!(
            conditions(text),
            [
                "(t.ok or n > 1) and not t.ok",
                "t.cov >= 80% and n - (1 - n) * 2 == 3",
                r#"contains(names, "x") and names[0] != "a \"b\"""#,
                r#"-(n + 1) < len("{{n}} items")"#,
            ]
        );
    }

    #[test]
    fn templates_print_their_interpolations() {
        let program = program("workflow w(t: string) { run a \"echo {{t}} {{len(t)}}\" }");
        let StepKind::Run(run) = &program.workflows[0].steps[0].kind else { panic!("a run step") };
        assert_eq!(run.command.to_string(), "echo {{t}} {{len(t)}}");
    }
}
