//! Value types: scalars with units, lists and records.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Type {
    String,
    Int,
    Float,
    Bool,
    Duration,
    Money,
    Tokens,
    Percent,
    List(Box<Type>),
    Record(IndexMap<String, Type>),
    /// The type of something already reported as wrong, or the element of `[]`: it agrees
    /// with everything, so one mistake gives one diagnostic.
    Unknown,
}

/// The scalar type names a user may write.
pub const SCALAR_NAMES: &[&str] = &["string", "int", "float", "bool", "duration", "money", "tokens", "percent"];

impl Type {
    pub fn scalar(name: &str) -> Option<Type> {
        Some(match name {
            "string" => Type::String,
            "int" => Type::Int,
            "float" => Type::Float,
            "bool" => Type::Bool,
            "duration" => Type::Duration,
            "money" => Type::Money,
            "tokens" => Type::Tokens,
            "percent" => Type::Percent,
            _ => return None,
        })
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Type::Unknown)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Float)
    }

    /// Whether a value of type `self` may stand where `expected` is wanted (`int` promotes to
    /// `float`; `Unknown` agrees with everything).
    pub fn fits(&self, expected: &Type) -> bool {
        match (self, expected) {
            (Type::Unknown, _) | (_, Type::Unknown) => true,
            (Type::Int, Type::Float) => true,
            (Type::List(a), Type::List(b)) => a.fits(b),
            (Type::Record(a), Type::Record(b)) => {
                a.len() == b.len() && a.iter().all(|(name, ty)| b.get(name).is_some_and(|other| ty.fits(other)))
            }
            (a, b) => a == b,
        }
    }

    /// Whether a value of this type can be written into a string or a command.
    pub fn is_interpolable(&self) -> bool {
        match self {
            Type::Record(_) => false,
            Type::List(elem) => !matches!(**elem, Type::List(_) | Type::Record(_)),
            _ => true,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Bool => f.write_str("bool"),
            Type::Duration => f.write_str("duration"),
            Type::Money => f.write_str("money"),
            Type::Tokens => f.write_str("tokens"),
            Type::Percent => f.write_str("percent"),
            Type::List(elem) => write!(f, "list<{elem}>"),
            Type::Record(fields) => {
                f.write_str("{ ")?;
                for (i, (name, ty)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {ty}")?;
                }
                f.write_str(" }")
            }
            Type::Unknown => f.write_str("unknown"),
        }
    }
}
