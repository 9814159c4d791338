//! Random valid `.wf` programs for property tests: items, statements and attributes of every
//! kind, expressions that parse to the tree they were built from, strings, text blocks, and
//! white space and comments between any two tokens.

use proptest::prelude::*;

/// A program as tokens; [`program`] joins them with random white space and comments.
type Tokens = Vec<String>;

fn tokens(parts: &[&str]) -> Tokens {
    parts.iter().map(|part| (*part).to_owned()).collect()
}

fn join(parts: impl IntoIterator<Item = Tokens>) -> Tokens {
    parts.into_iter().flatten().collect()
}

fn pick(choices: &'static [&'static str]) -> BoxedStrategy<Tokens> {
    prop::sample::select(choices).prop_map(|choice| vec![choice.to_owned()]).boxed()
}

fn optional(strategy: BoxedStrategy<Tokens>) -> BoxedStrategy<Tokens> {
    prop::option::of(strategy).prop_map(Option::unwrap_or_default).boxed()
}

/// Between two tokens: mostly a space, sometimes line breaks and comments of every kind.
fn trivia() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        8 => Just(" "),
        3 => Just("\n    "),
        1 => Just("\n\n\n"),
        1 => Just("\t"),
        1 => Just(" // trailing note\n"),
        1 => Just(" /* inline */ "),
        1 => Just("\n// own line\n"),
        1 => Just("\n\n/* a block\n   comment */\n\n"),
    ]
}

fn name() -> BoxedStrategy<Tokens> {
    pick(&["build", "tests", "lint", "deploy", "x", "rollout_2", "_tmp"])
}

fn literal() -> BoxedStrategy<Tokens> {
    prop_oneof![
        (0u32..200_000).prop_map(|n| vec![n.to_string()]),
        (0u32..20_000, 0u32..1_000).prop_map(|(whole, fraction)| vec![format!("{whole}.{fraction}")]),
        pick(&["500ms", "30s", "5m", "60m", "90m", "1h30m", "1d", "3_600s", "1500ms"]),
        pick(&["$3.00", "$0.0004", "$15", "$1_250.5", "$2.10"]),
        pick(&["800 tokens", "12k tokens", "1.5M tokens", "1_000 tokens", "2500 tokens", "1000k tokens"]),
        pick(&["80%", "0.1%", "100%", "12.50%"]),
        pick(&["true", "false"]),
    ]
    .boxed()
}

fn string() -> BoxedStrategy<Tokens> {
    prop_oneof![
        pick(&[
            "\"cargo test\"",
            "\"\"",
            "\"fix {{ticket}} now\"",
            "\"quote \\\" backslash \\\\ newline \\n tab \\t braces \\{{ x }}\"",
            "\"echo ${HOME} && jq '{\\\"a\\\": 1}'\"",
            "\"nested {{ len(\"inner {{x}}\") }} end\"",
            "\"spread {{ a +\n   b }} over lines\"",
            "\"a comment {{ x /* not a file comment */ }} in an interpolation\"",
        ]),
        text_block(),
    ]
    .boxed()
}

/// `"""` blocks with content lines at random indentation, blank lines (some with white space
/// beyond the common indentation), and text on the opening or closing line.
fn text_block() -> BoxedStrategy<Tokens> {
    let line = ("[ ]{0,6}", "[a-z ]{0,10}").prop_map(|(indent, text)| format!("{indent}{text}"));
    (any::<bool>(), prop::collection::vec(line, 0..5), "[ ]{0,8}", any::<bool>())
        .prop_map(|(first_on_open, lines, closing_indent, closing_alone)| {
            let mut text = String::from("\"\"\"");
            if first_on_open {
                text.push_str("first");
            }
            for line in &lines {
                text.push('\n');
                text.push_str(line);
            }
            if closing_alone || lines.is_empty() {
                text.push('\n');
                text.push_str(&closing_indent);
            }
            text.push_str("\"\"\"");
            vec![text]
        })
        .boxed()
}

fn type_expr() -> BoxedStrategy<Tokens> {
    let scalar = pick(&["string", "int", "float", "bool", "duration", "money", "tokens", "percent"]);
    scalar
        .prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|elem| join([tokens(&["list", "<"]), elem, tokens(&[">"])])),
                prop::collection::vec((name(), inner), 0..3).prop_map(|fields| {
                    let fields = fields.into_iter().map(|(name, ty)| join([name, tokens(&[":"]), ty, tokens(&[","])]));
                    join([tokens(&["{"]), join(fields), tokens(&["}"])])
                }),
            ]
        })
        .boxed()
}

/// An expression as a tree, so that it can be written with exactly the parentheses it needs
/// (and a few more): comparisons do not chain, so text alone would often not parse.
#[derive(Debug, Clone)]
enum Expr {
    Leaf(Tokens),
    Binary(Box<Expr>, &'static str, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Paren(Box<Expr>),
    List(Vec<Expr>),
    Call(&'static str, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    /// `{ a: 1, b: x }`: at least one field.
    Record(Vec<(&'static str, Expr)>),
}

fn binding(op: &str) -> u8 {
    match op {
        "or" => 1,
        "and" => 2,
        "==" | "!=" | "<" | "<=" | ">" | ">=" => 4,
        "+" | "-" => 5,
        _ => 6,
    }
}

impl Expr {
    fn binding(&self) -> u8 {
        match self {
            Expr::Binary(_, op, _) => binding(op),
            Expr::Not(_) => 3,
            Expr::Neg(_) => 7,
            Expr::Leaf(_) | Expr::Paren(_) | Expr::List(_) | Expr::Call(..) | Expr::Index(..) | Expr::Record(_) => 9,
        }
    }

    fn write(&self, parens: bool) -> Tokens {
        let inner = match self {
            Expr::Leaf(tokens) => tokens.clone(),
            Expr::Binary(lhs, op, rhs) => {
                let own = binding(op);
                let left = lhs.write(lhs.binding() < own || (own == 4 && lhs.binding() == 4));
                join([left, vec![(*op).to_owned()], rhs.write(rhs.binding() <= own)])
            }
            Expr::Not(operand) => join([tokens(&["not"]), operand.write(operand.binding() < 3)]),
            Expr::Neg(operand) => join([tokens(&["-"]), operand.write(operand.binding() <= 7)]),
            Expr::Paren(inner) => inner.write(true),
            Expr::List(items) => join([tokens(&["["]), comma_separated(items), tokens(&["]"])]),
            Expr::Call(func, args) => join([tokens(&[func, "("]), comma_separated(args), tokens(&[")"])]),
            Expr::Index(base, index) => {
                join([base.write(base.binding() < 9), tokens(&["["]), index.write(false), tokens(&["]"])])
            }
            Expr::Record(fields) => {
                let mut out = tokens(&["{"]);
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(",".to_owned());
                    }
                    out.extend([(*name).to_owned(), ":".to_owned()]);
                    out.extend(value.write(false));
                }
                out.push("}".to_owned());
                out
            }
        };
        if parens {
            join([tokens(&["("]), inner, tokens(&[")"])])
        } else {
            inner
        }
    }
}

fn comma_separated(items: &[Expr]) -> Tokens {
    let mut out = Tokens::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(",".to_owned());
        }
        out.extend(item.write(false));
    }
    out
}

fn expr() -> BoxedStrategy<Tokens> {
    let leaf = prop_oneof![
        3 => literal(),
        3 => pick(&["ticket", "tests.ok", "build.cost", "plan.files", "max_iterations"]),
        1 => string(),
    ]
    .prop_map(Expr::Leaf);
    let operators: &[&str] = &["or", "and", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/"];
    leaf.prop_recursive(3, 16, 3, move |inner| {
        prop_oneof![
            4 => (inner.clone(), prop::sample::select(operators), inner.clone())
                .prop_map(|(lhs, op, rhs)| Expr::Binary(Box::new(lhs), op, Box::new(rhs))),
            1 => inner.clone().prop_map(|operand| Expr::Not(Box::new(operand))),
            1 => inner.clone().prop_map(|operand| Expr::Neg(Box::new(operand))),
            1 => inner.clone().prop_map(|inner| Expr::Paren(Box::new(inner))),
            1 => prop::collection::vec(inner.clone(), 0..3).prop_map(Expr::List),
            1 => (prop::sample::select(&["len", "max", "contains", "all"][..]), prop::collection::vec(inner.clone(), 1..3))
                .prop_map(|(func, args)| Expr::Call(func, args)),
            1 => (inner.clone(), inner.clone()).prop_map(|(base, index)| Expr::Index(Box::new(base), Box::new(index))),
            1 => prop::collection::vec((prop::sample::select(&["pct", "bake", "name"][..]), inner), 1..3)
                .prop_map(Expr::Record),
        ]
    })
    .prop_map(|expr| expr.write(false))
    .boxed()
}

/// `{ A: 1, B: "x" }` for `env`, with or without commas.
fn env_fields() -> BoxedStrategy<Tokens> {
    prop::collection::vec((pick(&["CI", "NODE_ENV", "DEPTH"]), expr(), any::<bool>()), 0..4)
        .prop_map(|vars| {
            let vars = vars.into_iter().map(|(name, value, comma)| {
                join([name, tokens(&[":"]), value, if comma { tokens(&[","]) } else { Tokens::new() }])
            });
            join([tokens(&["{"]), join(vars), tokens(&["}"])])
        })
        .boxed()
}

fn returns_fields() -> BoxedStrategy<Tokens> {
    prop::collection::vec((name(), type_expr()), 0..4)
        .prop_map(|fields| {
            let fields = fields.into_iter().map(|(name, ty)| join([name, tokens(&[":"]), ty, tokens(&[","])]));
            join([tokens(&["{"]), join(fields), tokens(&["}"])])
        })
        .boxed()
}

fn attr() -> BoxedStrategy<Tokens> {
    let keyword = |word: &'static str| Just(vec![word.to_owned()]);
    prop_oneof![
        (keyword("timeout"), expr()).prop_map(|(k, e)| join([k, e])),
        (keyword("retry"), literal(), any::<bool>(), any::<bool>()).prop_map(|(k, count, backoff, on)| {
            let backoff = if backoff { tokens(&["backoff", "5s", "..", "1m"]) } else { Tokens::new() };
            let on = if on { tokens(&["on", "exit", "1", ",", "timeout", ",", "error"]) } else { Tokens::new() };
            join([k, count, backoff, on])
        }),
        (pick(&["continue", "abort", "rollback", "escalate"]), optional(string()))
            .prop_map(|(policy, message)| join([tokens(&["on", "failure"]), policy, message])),
        (pick(&["expect", "cost", "dir", "concurrency"]), expr()).prop_map(|(k, e)| join([k, e])),
        (keyword("budget"), literal(), prop::option::of(pick(&["day", "month"])), any::<bool>()).prop_map(
            |(k, amount, per, warn)| {
                let per = per.map_or_else(Tokens::new, |period| join([tokens(&["per"]), period]));
                join([k, amount, per, if warn { tokens(&["warn", "at", "80%"]) } else { Tokens::new() }])
            }
        ),
        (keyword("env"), env_fields()).prop_map(|(k, fields)| join([k, fields])),
        (keyword("returns"), returns_fields()).prop_map(|(k, fields)| join([k, fields])),
        (name(), type_expr(), pick(&["json", "regex"]), string()).prop_map(|(name, ty, func, pattern)| {
            join([
                tokens(&["output"]),
                name,
                tokens(&[":"]),
                ty,
                tokens(&["="]),
                func,
                tokens(&["(", "stdout", ","]),
                pattern,
                tokens(&[")"]),
            ])
        }),
        (pick(&["prompt", "description", "shell", "approve"]), string()).prop_map(|(k, s)| join([k, s])),
        (keyword("undo"), string()).prop_map(|(k, s)| join([k, tokens(&["run"]), s])),
        (pick(&["require", "warn"]), expr(), string()).prop_map(|(k, cond, message)| join([k, cond, message])),
        // Always with its window: a `fail when X` without one, followed in the same block by
        // a `for` statement, reads `for item` as its window (only a `watch` takes these, and
        // a `watch` holds no statements, so no valid file meets this).
        (pick(&["fail", "pass"]), expr(), expr()).prop_map(|(k, cond, window)| join([
            k,
            tokens(&["when"]),
            cond,
            tokens(&["for"]),
            window
        ])),
        // Not `on timeout reject`: after a `retry` without kinds it reads as `retry N on timeout`.
        pick(&["risk high", "mode hybrid", "secret GITHUB_TOKEN", "model models.sonnet", "provider sim"])
            .prop_map(|words| words[0].split(' ').map(str::to_owned).collect()),
    ]
    .boxed()
}

fn attr_block() -> BoxedStrategy<Tokens> {
    prop::collection::vec(attr(), 0..4).prop_map(|attrs| join([tokens(&["{"]), join(attrs), tokens(&["}"])])).boxed()
}

fn step() -> BoxedStrategy<Tokens> {
    let args = prop::collection::vec((name(), expr()), 0..3).prop_map(|args| {
        let mut out = Tokens::new();
        for (i, (name, value)) in args.into_iter().enumerate() {
            if i > 0 {
                out.push(",".to_owned());
            }
            out.extend(join([name, tokens(&[":"]), value]));
        }
        out
    });
    prop_oneof![
        (pick(&["run", "agent"]), name(), string(), optional(attr_block())).prop_map(|(k, n, s, b)| join([k, n, s, b])),
        (name(), args, any::<bool>(), optional(attr_block())).prop_map(|(n, args, comma, b)| {
            let comma = if comma && !args.is_empty() { tokens(&[","]) } else { Tokens::new() };
            join([tokens(&["call"]), n, tokens(&["g.security", "("]), args, comma, tokens(&[")"]), b])
        }),
        (name(), attr_block()).prop_map(|(n, b)| join([tokens(&["gate"]), n, b])),
        (name(), expr(), optional(attr_block())).prop_map(|(n, e, b)| join([tokens(&["wait"]), n, e, b])),
        (name(), string(), expr(), expr(), attr_block()).prop_map(|(n, s, every, lasts, b)| {
            join([tokens(&["watch"]), n, s, tokens(&["every"]), every, tokens(&["for"]), lasts, b])
        }),
        string().prop_map(|s| join([tokens(&["fail"]), s])),
    ]
    .boxed()
}

/// Statements and attributes of a block, nesting blocks of every kind.
fn block() -> BoxedStrategy<Tokens> {
    let entry = prop_oneof![3 => step(), 1 => attr()];
    entry
        .prop_recursive(3, 24, 4, |inner| {
            let body = prop::collection::vec(inner, 0..4)
                .prop_map(|entries| join([tokens(&["{"]), join(entries), tokens(&["}"])]))
                .boxed();
            let max = optional((0u32..10).prop_map(|n| vec!["max".to_owned(), n.to_string()]).boxed());
            prop_oneof![
                (name(), body.clone()).prop_map(|(n, b)| join([tokens(&["phase"]), n, b])),
                (optional(name()), max.clone(), body.clone()).prop_map(|(n, m, b)| join([
                    tokens(&["parallel"]),
                    n,
                    m,
                    b
                ])),
                (expr(), body.clone(), prop::collection::vec((expr(), body.clone()), 0..2), optional(body.clone()))
                    .prop_map(|(cond, then, else_ifs, otherwise)| {
                        let else_ifs = else_ifs.into_iter().map(|(c, b)| join([tokens(&["else", "if"]), c, b]));
                        let otherwise =
                            if otherwise.is_empty() { otherwise } else { join([tokens(&["else"]), otherwise]) };
                        join([tokens(&["if"]), cond, then, join(else_ifs), otherwise])
                    }),
                (optional(name()), literal(), optional(expr()), body.clone()).prop_map(|(n, m, until, b)| {
                    let until = if until.is_empty() { until } else { join([tokens(&["until"]), until]) };
                    join([tokens(&["repeat"]), n, tokens(&["max"]), m, until, b])
                }),
                (optional(name()), any::<bool>(), expr(), prop::option::of(max), body.clone()).prop_map(
                    |(n, indexed, list, parallel, b)| {
                        let parallel = parallel.map(|m| join([tokens(&["parallel"]), m])).unwrap_or_default();
                        let index = if indexed { tokens(&["i", ","]) } else { Tokens::new() };
                        join([tokens(&["for"]), n, index, tokens(&["item", "in"]), list, parallel, b])
                    }
                ),
                body.clone().prop_map(|b| join([tokens(&["on", "failure"]), b])),
                body.prop_map(|b| join([tokens(&["finally"]), b])),
            ]
        })
        .boxed()
}

fn item() -> BoxedStrategy<Tokens> {
    let param = (name(), type_expr(), optional(expr().prop_map(|e| join([tokens(&["="]), e])).boxed()))
        .prop_map(|(n, ty, default)| join([n, tokens(&[":"]), ty, default]));
    let price =
        (pick(&["input", "output", "cached"]), pick(&["$3.00", "$0.30", "$15"]), pick(&["1M tokens", "1_000 tokens"]))
            .prop_map(|(kind, money, per)| join([kind, money, tokens(&["per"]), per]));
    let model_attr = prop_oneof![string().prop_map(|s| join([tokens(&["id"]), s])), price];
    let provider_attr = prop_oneof![
        pick(&["kind openai", "key API_KEY"]).prop_map(|words| words[0].split(' ').map(str::to_owned).collect()),
        (pick(&["url", "command"]), string()).prop_map(|(k, s)| join([k, s])),
    ];
    prop_oneof![
        pick(&["use std/models", "use std/gates as g", "use \"./team/checks.wf\" as team"])
            .prop_map(|words| words[0].split(' ').map(str::to_owned).collect()),
        (name(), optional(type_expr().prop_map(|ty| join([tokens(&[":"]), ty])).boxed()), expr())
            .prop_map(|(n, ty, value)| join([tokens(&["const"]), n, ty, tokens(&["="]), value])),
        (name(), prop::collection::vec(model_attr, 0..4)).prop_map(|(n, attrs)| join([
            tokens(&["model"]),
            n,
            tokens(&["{"]),
            join(attrs),
            tokens(&["}"])
        ])),
        (name(), prop::collection::vec(provider_attr, 0..3)).prop_map(|(n, attrs)| join([
            tokens(&["provider"]),
            n,
            tokens(&["{"]),
            join(attrs),
            tokens(&["}"])
        ])),
        (name(), prop::collection::vec(param, 0..4), prop::collection::vec(block(), 0..4)).prop_map(
            |(n, params, entries)| {
                let mut list = Tokens::new();
                for (i, param) in params.into_iter().enumerate() {
                    if i > 0 {
                        list.push(",".to_owned());
                    }
                    list.extend(param);
                }
                join([
                    tokens(&["workflow"]),
                    n,
                    tokens(&["("]),
                    list,
                    tokens(&[")", "{"]),
                    join(entries),
                    tokens(&["}"]),
                ])
            }
        ),
    ]
    .boxed()
}

/// A whole program, white space and comments included.
pub fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(item(), 0..4).prop_map(join).prop_flat_map(|tokens| {
        let gaps = prop::collection::vec(trivia(), tokens.len() + 1);
        gaps.prop_map(move |gaps| {
            let mut text = String::new();
            for (gap, token) in gaps.iter().zip(&tokens) {
                text.push_str(gap);
                text.push_str(token);
            }
            text.push_str(gaps.last().copied().unwrap_or_default());
            text
        })
    })
}
