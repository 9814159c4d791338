//! Commands with interpolated values: each `{{expr}}` becomes exactly one shell word (a list,
//! one word per element), quoted by `shlex`, whatever characters it holds. The text around
//! the interpolations is the author's shell syntax and is left as written.

use crate::ir::eval::{eval, Env, EvalError};
use crate::ir::{Template, TemplatePart, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum CommandError {
    Eval(EvalError),
    /// A value holds a NUL byte, which no shell word can carry.
    Nul {
        value: String,
    },
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::Eval(error) => write!(f, "an interpolated value could not be computed: {error}"),
            CommandError::Nul { value } => {
                write!(f, "the interpolated value {value:?} holds a NUL byte, which a command line cannot carry")
            }
        }
    }
}

/// The command line for `sh -c`, with every interpolated value quoted as one word.
pub fn render_command(template: &Template, env: &dyn Env) -> Result<String, CommandError> {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => out.push_str(text),
            TemplatePart::Expr(expr) => {
                let value = eval(expr, env).map_err(CommandError::Eval)?;
                match value {
                    Value::List(items) => {
                        let words: Vec<String> = items.iter().map(word).collect::<Result<_, _>>()?;
                        out.push_str(&words.join(" "));
                    }
                    other => out.push_str(&word(&other)?),
                }
            }
        }
    }
    Ok(out)
}

fn word(value: &Value) -> Result<String, CommandError> {
    let text = value.to_text();
    shlex::try_quote(&text).map(|quoted| quoted.into_owned()).map_err(|_| CommandError::Nul { value: text })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::eval::NoEnv;
    use crate::ir::{Expr, ExprKind, Type};
    use crate::span::Span;

    fn template(value: Value) -> Template {
        let expr = Expr { ty: value.ty(), kind: ExprKind::Value(value), span: Span::new(0, 0) };
        Template { parts: vec![TemplatePart::Text("echo ".into()), TemplatePart::Expr(expr)], span: Span::new(0, 0) }
    }

    #[test]
    fn hostile_values_stay_one_word() {
        for payload in ["a b", "$(touch x)", "`id`", "x; rm -rf /", "it's", "line\nbreak", "\"q\"", "*", "", "-n"] {
            let command = render_command(&template(Value::String(payload.into())), &NoEnv).expect("renders");
            let words = shlex::split(&command).expect("splits");
            assert_eq!(words, vec!["echo".to_owned(), payload.to_owned()], "{command}");
        }
    }

    #[test]
    fn lists_become_one_word_each() {
        let list = Value::List(vec![Value::String("a b".into()), Value::String("c".into())]);
        let command = render_command(&template(list), &NoEnv).expect("renders");
        assert_eq!(shlex::split(&command).expect("splits"), vec!["echo", "a b", "c"]);
    }

    #[test]
    fn nul_is_refused() {
        let error = render_command(&template(Value::String("a\0b".into())), &NoEnv).expect_err("refused");
        assert!(matches!(error, CommandError::Nul { .. }));
        let _ = Type::String;
    }
}
