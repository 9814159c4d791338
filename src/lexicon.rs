//! The words the source and the program share: operators and literal values. The syntax
//! reads them and the IR computes with them; both use this module, neither the other, so the
//! layers run one way (`syntax::ast` re-exports them for the tree's readers).

use serde::{Deserialize, Serialize};

/// `not x`, `-x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnaryOp {
    Not,
    Neg,
}

/// `a or b`, `a == b`, `a + b` and the rest of the binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

/// A literal's value with its unit normalised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum LitValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Milliseconds.
    Duration(u64),
    /// Micro-dollars.
    Money(i64),
    Tokens(u64),
    /// The number written before `%` (`80%` is `Percent(80.0)`).
    Percent(f64),
}
