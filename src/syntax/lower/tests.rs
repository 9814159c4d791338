use crate::syntax::ast::{
    AttrKind, Entry, Expr, ExprKind, Item, LitValue, RetryOn, Stmt, StrPart, StringLit, TypeExpr, UseTarget,
};
use crate::syntax::{parse, Parsed, SyntaxError};

fn parse_ok(source: &str) -> Parsed {
    let parsed = parse(source);
    assert!(parsed.errors.is_empty(), "unexpected errors for {source:?}: {:#?}", parsed.errors);
    parsed
}

/// The value of `const x = <expr>`.
fn expr(text: &str) -> Expr {
    let parsed = parse_ok(&format!("const x = {text}"));
    match parsed.file.items.into_iter().next() {
        Some(Item::Const(item)) => item.value,
        other => panic!("expected a const, got {other:?}"),
    }
}

fn lit(text: &str) -> LitValue {
    match expr(text).kind {
        ExprKind::Literal(literal) => {
            assert_eq!(literal.text, text, "a literal keeps its text as written");
            literal.value
        }
        other => panic!("expected a literal, got {other:?}"),
    }
}

fn string(text: &str) -> StringLit {
    match expr(text).kind {
        ExprKind::Str(string) => string,
        other => panic!("expected a string, got {other:?}"),
    }
}

/// The workflow body's entries of `workflow w() { <body> }`.
fn entries(body: &str) -> Vec<Entry> {
    let parsed = parse_ok(&format!("workflow w() {{\n{body}\n}}"));
    match parsed.file.items.into_iter().next() {
        Some(Item::Workflow(workflow)) => workflow.body.entries,
        other => panic!("expected a workflow, got {other:?}"),
    }
}

fn attrs(body: &str) -> Vec<AttrKind> {
    entries(body)
        .into_iter()
        .map(|entry| match entry {
            Entry::Attr(attr) => attr.kind,
            Entry::Stmt(stmt) => panic!("expected an attribute, got {stmt:?}"),
        })
        .collect()
}

fn stmt(body: &str) -> Stmt {
    match entries(body).into_iter().next() {
        Some(Entry::Stmt(stmt)) => stmt,
        other => panic!("expected a statement, got {other:?}"),
    }
}

/// Each error as (code without the `wf::syntax::` prefix, start offset).
fn errors(source: &str) -> Vec<(&'static str, usize)> {
    parse(source).errors.iter().map(|error| (short_code(error), error.span().start)).collect()
}

fn short_code(error: &SyntaxError) -> &'static str {
    error.code().trim_start_matches("wf::syntax::")
}

/// An expression as an s-expression, to read structure at a glance.
fn sexpr(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Name(name) => name.clone(),
        ExprKind::Literal(literal) => literal.text.clone(),
        ExprKind::Str(_) => "\"..\"".to_owned(),
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(sexpr).collect();
            format!("[{}]", items.join(" "))
        }
        ExprKind::Record(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|field| format!("{}: {}", field.name.name, sexpr(&field.value))).collect();
            format!("{{{}}}", fields.join(" "))
        }
        ExprKind::Field { base, field } => format!("(. {} {})", sexpr(base), field.name),
        ExprKind::Index { base, index } => format!("([] {} {})", sexpr(base), sexpr(index)),
        ExprKind::Call { func, args } => {
            let args: Vec<String> = args.iter().map(sexpr).collect();
            format!("({} {})", func.name, args.join(" "))
        }
        ExprKind::Unary { op, operand } => format!("({op:?} {})", sexpr(operand)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), sexpr(lhs), sexpr(rhs))
        }
    }
}

// ---------------------------------------------------------------- literals

#[test]
fn durations_are_milliseconds() {
    assert_eq!(lit("1h30m"), LitValue::Duration(5_400_000));
    assert_eq!(lit("500ms"), LitValue::Duration(500));
    assert_eq!(lit("30s"), LitValue::Duration(30_000));
    assert_eq!(lit("5m"), LitValue::Duration(300_000));
    assert_eq!(lit("1d"), LitValue::Duration(86_400_000));
    assert_eq!(lit("1d2h3m4s5ms"), LitValue::Duration(93_784_005));
    assert_eq!(lit("1_000ms"), LitValue::Duration(1_000));
}

#[test]
fn money_is_exact_micro_dollars() {
    assert_eq!(lit("$0.0004"), LitValue::Money(400));
    assert_eq!(lit("$3.00"), LitValue::Money(3_000_000));
    assert_eq!(lit("$2.10"), LitValue::Money(2_100_000));
    assert_eq!(lit("$15"), LitValue::Money(15_000_000));
    assert_eq!(lit("$1_000.5"), LitValue::Money(1_000_500_000));
    assert_eq!(lit("$0.000001"), LitValue::Money(1));
}

#[test]
fn token_counts_are_whole() {
    assert_eq!(lit("800 tokens"), LitValue::Tokens(800));
    assert_eq!(lit("12k tokens"), LitValue::Tokens(12_000));
    assert_eq!(lit("1.5M tokens"), LitValue::Tokens(1_500_000));
    assert_eq!(lit("1.5k tokens"), LitValue::Tokens(1_500));
    assert_eq!(lit("0.25M tokens"), LitValue::Tokens(250_000));
    assert_eq!(lit("1_000 tokens"), LitValue::Tokens(1_000));
}

#[test]
fn numbers_percentages_and_bools() {
    assert_eq!(lit("1_000"), LitValue::Int(1000));
    assert_eq!(lit("3"), LitValue::Int(3));
    assert_eq!(lit("2.5"), LitValue::Float(2.5));
    assert_eq!(lit("0.1%"), LitValue::Percent(0.1));
    assert_eq!(lit("80%"), LitValue::Percent(80.0));
    assert_eq!(lit("true"), LitValue::Bool(true));
    assert_eq!(lit("false"), LitValue::Bool(false));
}

#[test]
fn units_tokenize_apart_from_names() {
    assert_eq!(lit("5M tokens"), LitValue::Tokens(5_000_000));
    assert_eq!(lit("5ms"), LitValue::Duration(5));
    assert_eq!(sexpr(&expr("m * 5m")), "(* m 5m)");
    assert_eq!(errors("const x = 5min"), [("invalid_duration", 10)]);
}

// ---------------------------------------------------------------- strings

#[test]
fn escapes_resolve() {
    let parsed = string(r#""a\"b\\c\nd\te""#);
    assert_eq!(parsed.as_plain().as_deref(), Some("a\"b\\c\nd\te"));
}

#[test]
fn escaped_braces_are_literal() {
    let parsed = string(r#""x \{{ y }} z""#);
    assert_eq!(parsed.as_plain().as_deref(), Some("x {{ y }} z"));
}

#[test]
fn single_braces_are_plain_text() {
    let parsed = string(r#""echo ${HOME} {\"a\": 1}""#);
    assert_eq!(parsed.as_plain().as_deref(), Some("echo ${HOME} {\"a\": 1}"));
}

#[test]
fn interpolation_splits_text() {
    let parsed = string(r#""fix {{ticket}} in {{ repo.name }}!""#);
    let shapes: Vec<String> = parsed
        .parts
        .iter()
        .map(|part| match part {
            StrPart::Text(text) => format!("text {text:?}"),
            StrPart::Interp(expr) => format!("interp {}", sexpr(expr)),
        })
        .collect();
    assert_eq!(shapes, ["text \"fix \"", "interp ticket", "text \" in \"", "interp (. repo name)", "text \"!\""]);
}

#[test]
fn text_block_removes_common_indentation() {
    let parsed = string("\"\"\"\n    Hello\n      indented\n\n    end\n    \"\"\"");
    assert!(parsed.block);
    assert_eq!(parsed.as_plain().as_deref(), Some("Hello\n  indented\n\nend"));
}

#[test]
fn text_block_keeps_text_on_the_opening_line() {
    let parsed = string("\"\"\"Summary:\n    - one\n    - two\"\"\"");
    assert_eq!(parsed.as_plain().as_deref(), Some("Summary:\n- one\n- two"));
}

#[test]
fn text_block_interpolates_and_escapes() {
    let parsed = string("\"\"\"\r\n  a {{ x }} \\{{b}}\r\n  \\\"c\\\"\r\n  \"\"\"");
    let text: Vec<String> = parsed
        .parts
        .iter()
        .map(|part| match part {
            StrPart::Text(text) => text.clone(),
            StrPart::Interp(expr) => format!("<{}>", sexpr(expr)),
        })
        .collect();
    assert_eq!(text.concat(), "a <x> {{b}}\n\"c\"");
}

#[test]
fn text_block_may_be_empty() {
    assert_eq!(string("\"\"\"\"\"\"").as_plain().as_deref(), Some(""));
    assert_eq!(string("\"\"\"\n  \"\"\"").as_plain().as_deref(), Some(""));
}

// ---------------------------------------------------------------- expressions

#[test]
fn precedence_from_or_down_to_multiplication() {
    assert_eq!(sexpr(&expr("a or b and not c == d + e * f")), "(or a (and b (Not (== c (+ d (* e f))))))");
}

#[test]
fn unary_minus_and_postfix_bind_tightest() {
    assert_eq!(sexpr(&expr("-a.b * c")), "(* (Neg (. a b)) c)");
    assert_eq!(sexpr(&expr("a - b - c")), "(- (- a b) c)");
    assert_eq!(sexpr(&expr("xs[0].name")), "(. ([] xs 0) name)");
}

#[test]
fn any_word_is_a_field_or_a_function() {
    assert_eq!(sexpr(&expr("step.tokens + step.cost")), "(+ (. step tokens) (. step cost))");
    assert_eq!(sexpr(&expr("max(a, b,)")), "(max a b)");
    assert_eq!(sexpr(&expr("x.output")), "(. x output)");
    assert_eq!(sexpr(&expr("[1, 2,]")), "[1 2]");
}

#[test]
fn binary_spans_cover_both_operands() {
    let source = "const x = (a + b) * c";
    let parsed = parse_ok(source);
    let Some(Item::Const(item)) = parsed.file.items.first() else {
        panic!("expected a const");
    };
    let span = item.value.span;
    assert_eq!(&source[span.start..span.end], "(a + b) * c");
}

#[test]
fn comparisons_do_not_chain() {
    assert_eq!(errors("const x = a < b < c"), [("chained_comparison", 16)]);
    assert_eq!(sexpr(&expr("(a < b) == c")), "(== (< a b) c)");
}

// ---------------------------------------------------------------- items and statements

#[test]
fn use_forms() {
    let parsed = parse_ok("use std/models\nuse std/flows/deploy as d\nuse \"./team.wf\" as team");
    let targets: Vec<String> = parsed
        .file
        .items
        .iter()
        .map(|item| match item {
            Item::Use(item) => {
                let alias = item.alias.as_ref().map_or("-", |alias| alias.name.as_str());
                match &item.target {
                    UseTarget::Std { path, .. } => {
                        let names: Vec<&str> = path.iter().map(|p| p.name.as_str()).collect();
                        format!("std {} as {alias}", names.join("/"))
                    }
                    UseTarget::Path { path, .. } => format!("path {path} as {alias}"),
                }
            }
            other => panic!("expected a use, got {other:?}"),
        })
        .collect();
    assert_eq!(targets, ["std models as -", "std flows/deploy as d", "path ./team.wf as team"]);
}

#[test]
fn retry_stops_before_the_next_attribute() {
    let kinds = attrs("retry 2 on exit 1 timeout 5m\nretry 3 on failure continue");
    assert!(matches!(
        &kinds[0],
        AttrKind::Retry { on, .. } if matches!(on.as_slice(), [RetryOn::Exit { .. }])
    ));
    assert!(matches!(&kinds[1], AttrKind::Timeout(_)));
    assert!(matches!(&kinds[2], AttrKind::Retry { on, .. } if on.is_empty()));
    assert!(matches!(&kinds[3], AttrKind::OnFailure { policy, .. } if policy.name == "continue"));
}

#[test]
fn retry_with_backoff_and_all_kinds() {
    let kinds = attrs("retry 3 backoff 1s..1m on exit 1, timeout, error, any");
    let AttrKind::Retry { backoff, on, .. } = &kinds[0] else {
        panic!("expected retry, got {kinds:?}");
    };
    assert!(backoff.is_some());
    assert_eq!(on.len(), 4);
}

#[test]
fn on_failure_block_or_policy() {
    let entries = entries("on failure { run a \"x\" }\non failure rollback \"undo it\"");
    assert!(matches!(&entries[0], Entry::Stmt(Stmt::OnFailure(_))));
    assert!(matches!(
        &entries[1],
        Entry::Attr(attr) if matches!(&attr.kind, AttrKind::OnFailure { message: Some(_), .. })
    ));
}

#[test]
fn attribute_keyword_span_is_its_first_word() {
    let source = "workflow w() {\n  require tests.ok \"must pass\"\n}";
    let parsed = parse_ok(source);
    let Some(Item::Workflow(workflow)) = parsed.file.items.first() else {
        panic!("expected a workflow");
    };
    let Some(Entry::Attr(attr)) = workflow.body.entries.first() else {
        panic!("expected an attribute");
    };
    assert_eq!(&source[attr.keyword.start..attr.keyword.end], "require");
    assert_eq!(&source[attr.span.start..attr.span.end], "require tests.ok \"must pass\"");
    let AttrKind::Require { cond, message } = &attr.kind else {
        panic!("expected require");
    };
    assert_eq!(sexpr(cond), "(. tests ok)");
    assert_eq!(message.as_plain().as_deref(), Some("must pass"));
    let body = workflow.body.span;
    assert_eq!(&source[body.start..body.start + 1], "{");
    assert_eq!(&source[body.end - 1..body.end], "}");
}

#[test]
fn for_with_two_names_is_named() {
    let Stmt::For(named) = stmt("for checks item in items parallel max 2 { }") else {
        panic!("expected for");
    };
    assert_eq!(named.name.map(|n| n.name).as_deref(), Some("checks"));
    assert_eq!(named.var.name, "item");
    assert!(matches!(named.parallel, Some(Some(_))));
    let Stmt::For(plain) = stmt("for item in items { }") else {
        panic!("expected for");
    };
    assert!(plain.name.is_none());
    assert!(plain.parallel.is_none());
}

#[test]
fn for_with_an_index_binds_it_before_the_variable() {
    let Stmt::For(indexed) = stmt("for i, stage in stages parallel { }") else {
        panic!("expected for");
    };
    assert!(indexed.name.is_none());
    assert_eq!(indexed.index.map(|n| n.name).as_deref(), Some("i"));
    assert_eq!(indexed.var.name, "stage");
    let Stmt::For(named) = stmt("for rollout i, stage in stages { }") else {
        panic!("expected for");
    };
    assert_eq!(named.name.map(|n| n.name).as_deref(), Some("rollout"));
    assert_eq!(named.index.map(|n| n.name).as_deref(), Some("i"));
    assert_eq!(named.var.name, "stage");
}

#[test]
fn record_literals_hold_fields_in_order() {
    assert_eq!(sexpr(&expr("{ pct: 10%, bake: 15m }")), "{pct: 10% bake: 15m}");
    assert_eq!(sexpr(&expr("[{ a: 1 }, { a: 2, }]")), "[{a: 1} {a: 2}]");
    assert_eq!(sexpr(&expr("{ a: b.c + 1 }.a")), "(. {a: (+ (. b c) 1)} a)");
    // A block is never a record: `{}` is not one, so `wait` still takes its block.
    assert!(matches!(stmt("wait w 1s { }"), Stmt::Wait(_)));
}

#[test]
fn parallel_and_repeat_forms() {
    let Stmt::Parallel(parallel) = stmt("parallel checks max 3 { }") else {
        panic!("expected parallel");
    };
    assert!(parallel.name.is_some() && parallel.max.is_some());
    let Stmt::Repeat(repeat) = stmt("repeat max 3 until tests.ok { }") else {
        panic!("expected repeat");
    };
    assert!(repeat.name.is_none() && repeat.until.is_some());
}

#[test]
fn if_else_chain() {
    let Stmt::If(chain) = stmt("if a { } else if b { } else if c { } else { fail \"no\" }") else {
        panic!("expected if");
    };
    assert_eq!(chain.branches.len(), 3);
    assert!(chain.otherwise.is_some());
}

#[test]
fn record_and_list_types() {
    let kinds = attrs("returns { repos: list<string>, meta: { n: int } }");
    let AttrKind::Returns(fields) = &kinds[0] else {
        panic!("expected returns");
    };
    assert!(matches!(fields[0].ty, TypeExpr::List { .. }));
    assert!(matches!(fields[1].ty, TypeExpr::Record { .. }));
}

#[test]
fn semicolons_are_ignored() {
    let parsed = parse_ok("const a = 1; const b = 2;\nworkflow w() { timeout 5m; retry 2; }");
    assert_eq!(parsed.file.items.len(), 3);
}

#[test]
fn comments_are_collected_in_order() {
    let parsed = parse_ok("// one\nconst a = \"// not a comment\" /* two */\n/* three\n */");
    let texts: Vec<&str> = parsed.file.comments.iter().map(|comment| comment.text.as_str()).collect();
    assert_eq!(texts, ["// one", "/* two */", "/* three\n */"]);
}

// ---------------------------------------------------------------- errors

#[test]
fn each_error_code_is_produced() {
    let cases: &[(&str, &str, usize)] = &[
        ("unexpected", "workflow w() { timeout }", 23),
        ("unmatched_brace", "const a = 1\n}\n", 12),
        ("unclosed_block", "workflow w() {\n  phase p {\n  }\n", 13),
        ("unterminated_string", "const a = \"abc\nconst b = 1", 10),
        ("unterminated_text_block", "const a = \"\"\"abc", 10),
        ("unterminated_comment", "const a = 1 /* abc", 12),
        ("keyword_as_name", "workflow w() { run if \"x\" }", 19),
        ("invalid_escape", "const a = \"a\\qb\"", 12),
        ("unclosed_interpolation", "const a = \"{{ x\"", 11),
        ("empty_interpolation", "const a = \"{{ }}\"", 11),
        ("number_out_of_range", "const a = 99999999999999999999", 10),
        ("money_precision", "const a = $0.0000001", 10),
        ("invalid_duration", "const a = 30m1h", 10),
        ("invalid_number", "const a = 12kb", 10),
        ("fractional_tokens", "const a = 1.5 tokens", 10),
        ("invalid_character", "const a = b # c", 12),
        ("chained_comparison", "const a = 1 < 2 <= 3", 16),
        ("interpolated_use_path", "use \"./{{x}}.wf\"", 4),
        ("nesting_too_deep", &format!("const a = {}1{}", "(".repeat(80), ")".repeat(80)), 0),
        ("expression_too_long", &format!("const a = 1{}", " + 1".repeat(300)), 0),
    ];
    for (code, source, start) in cases {
        let found = errors(source);
        assert_eq!(found.len(), 1, "{code}: {source:?} gave {found:?}");
        assert_eq!(found[0].0, *code, "{source:?}");
        if !matches!(*code, "nesting_too_deep" | "expression_too_long") {
            assert_eq!(found[0].1, *start, "{code}: {source:?}");
        }
    }
}

/// One of each error, with dummy facts.
fn every_error() -> Vec<SyntaxError> {
    let span = crate::span::Span::new(0, 1);
    vec![
        SyntaxError::Unexpected { span, found: String::new(), expected: String::new(), hint: None },
        SyntaxError::UnmatchedBrace { span },
        SyntaxError::UnclosedBlock { open: span, end: span, end_note: String::new() },
        SyntaxError::UnterminatedString { span },
        SyntaxError::UnterminatedTextBlock { span },
        SyntaxError::UnterminatedComment { span },
        SyntaxError::KeywordAsName { span, keyword: String::new() },
        SyntaxError::InvalidEscape { span, escape: String::new() },
        SyntaxError::UnclosedInterpolation { span },
        SyntaxError::EmptyInterpolation { span },
        SyntaxError::NumberOutOfRange { span, text: String::new(), what: "", limit: "" },
        SyntaxError::MoneyPrecision { span, text: String::new() },
        SyntaxError::InvalidDuration { span, text: String::new(), reason: String::new() },
        SyntaxError::InvalidNumber { span, text: String::new(), hint: None },
        SyntaxError::FractionalTokens { span, text: String::new() },
        SyntaxError::InvalidCharacter { span, shown: String::new(), hint: None },
        SyntaxError::ChainedComparison { span, first: span },
        SyntaxError::InterpolatedUsePath { span },
        SyntaxError::NestingTooDeep { span },
        SyntaxError::ExpressionTooLong { span, limit: 0 },
    ]
}

#[test]
fn codes_are_unique_and_match_the_diagnostic() {
    use miette::Diagnostic;
    let all = every_error();
    let mut codes: Vec<&str> = all.iter().map(SyntaxError::code).collect();
    for error in &all {
        let derived = Diagnostic::code(error).map(|code| code.to_string());
        assert_eq!(derived.as_deref(), Some(error.code()));
        assert_eq!(error.span(), crate::span::Span::new(0, 1));
    }
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len(), "codes must be unique");
}

#[test]
fn reserved_words_are_exactly_the_keywords() {
    let reserved = "use as const model provider workflow phase run agent call gate wait parallel \
                    if else repeat for in fail max until on finally true false and or not";
    for word in reserved.split_whitespace() {
        assert_eq!(errors(&format!("const {word} = 1")), [("keyword_as_name", 6)], "{word}");
    }
    for word in ["timeout", "retry", "tokens", "cost", "output", "string", "min", "std", "kind"] {
        assert_eq!(errors(&format!("const {word} = 1")), [], "{word}");
    }
}

#[test]
fn unexpected_names_what_was_expected() {
    let parsed = parse("workflow w() {\n  phase p {\n    123\n  }\n}");
    let [SyntaxError::Unexpected { expected, found, .. }] = parsed.errors.as_slice() else {
        panic!("expected one unexpected error, got {:?}", parsed.errors);
    };
    assert_eq!(expected, "a statement, an attribute or `}`");
    assert_eq!(found, "`123`");
}

#[test]
fn a_missing_message_is_expected_not_an_operator() {
    let parsed = parse("workflow w() { gate g { require tests.ok } }");
    let [SyntaxError::Unexpected { expected, .. }] = parsed.errors.as_slice() else {
        panic!("expected one unexpected error, got {:?}", parsed.errors);
    };
    assert_eq!(expected, "a string");
}

#[test]
fn unclosed_block_points_at_the_misclosed_brace() {
    let source = "workflow w() {\n  phase a {\n    run b \"x\" {\n      timeout 5m\n  }\n  phase c { }\n}\n";
    let parsed = parse(source);
    let [SyntaxError::UnclosedBlock { open, .. }] = parsed.errors.as_slice() else {
        panic!("expected one unclosed block, got {:?}", parsed.errors);
    };
    assert_eq!(open.start, source.find("\"x\" {").map_or(0, |i| i + 4));
}

#[test]
fn recovery_keeps_good_items_and_reports_each_broken_one() {
    let source = "\
const a = 1
workflow broken() {
  run x { }
}
const b = 2
workflow also_broken() {
  timeout
}
workflow fine() { timeout 5m }
";
    let parsed = parse(source);
    let codes: Vec<(&str, usize)> = parsed.errors.iter().map(|error| (short_code(error), error.span().start)).collect();
    assert_eq!(
        codes,
        [("unexpected", source.find("{ }").unwrap_or(0)), ("unexpected", source.find("}\nworkflow fine").unwrap_or(0)),]
    );
    let names: Vec<&str> = parsed
        .file
        .items
        .iter()
        .map(|item| match item {
            Item::Const(item) => item.name.name.as_str(),
            Item::Workflow(item) => item.name.name.as_str(),
            other => panic!("unexpected item {other:?}"),
        })
        .collect();
    // `broken` loses only its bad statement; `also_broken` fails where its block closes, after
    // the unfinished `timeout`, and loses only that line too.
    assert_eq!(names, ["a", "broken", "b", "also_broken", "fine"]);
}

#[test]
fn an_item_that_ends_early_reports_what_it_was_missing() {
    let source = "const a = 1 +\nconst b = max(1, 2)\n";
    let parsed = parse(source);
    let [SyntaxError::Unexpected { expected, found, span, .. }] = parsed.errors.as_slice() else {
        panic!("expected one unexpected error, got {:?}", parsed.errors);
    };
    assert_eq!((expected.as_str(), found.as_str()), ("an expression", "`const`"));
    assert_eq!(span.start, source.find("const b").unwrap_or(0));
    // `const a = 1` parsed before the failure, and `const b` after it.
    assert_eq!(parsed.file.items.len(), 2);
}

#[test]
fn unclosed_block_before_the_next_item_resumes_there() {
    let source = "workflow a() {\n  phase p {\n}\n\nworkflow b() { timeout 5m }\n";
    let parsed = parse(source);
    assert_eq!(parsed.errors.iter().map(short_code).collect::<Vec<_>>(), ["unclosed_block"]);
    assert_eq!(parsed.file.items.len(), 1);
}

#[test]
fn errors_are_sorted_by_position() {
    let parsed = parse("const a = 1m1h\nconst b = \"\\q\"\nworkflow if() {}\nconst c = $0.12345678");
    let starts: Vec<usize> = parsed.errors.iter().map(|e| e.span().start).collect();
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    assert_eq!(starts, sorted);
    assert_eq!(starts.len(), 4);
}

#[test]
fn no_input_makes_it_panic() {
    let example = include_str!("../../../tests/fixtures/syntax/ok/bug_fix.wf");
    // Every prefix of a real file: each stops somewhere in the middle of a construct.
    for (end, _) in example.char_indices() {
        let _ = parse(&example[..end]);
    }
    for source in ["", "\"", "\"\"\"", "/*", "{", "}", "{{", "$", "1.", "\\", "é", "\u{0}"] {
        let _ = parse(source);
        let _ = parse(&format!("workflow w() {{ run x {source}"));
        let _ = parse(&format!("const x = \"{source}"));
    }
}

/// Tokens of the language and a few things that are not, for random programs.
#[rustfmt::skip]
const SOUP: &[&str] = &[
    "workflow", "w", "(", ")", "{", "}", "run", "x", "\"cmd {{a}}\"", "\"\"\"\n  t\n  \"\"\"",
    "retry", "3", "on", "exit", "failure", "continue", "timeout", "5m", "1h30m", "$2.10",
    "12k tokens", "80%", "if", "else", "for", "in", "parallel", "max", "repeat", "until", "and",
    "or", "not", "==", "<", "+", "-", "*", "/", ".", "ok", "[", "]", ",", ":", "=", "const",
    "model", "use", "std/models", "//c\n", "/*", "*/", "\"", "{{", "}}", "\\", ";", "@", "é",
    "5min", "1.5", "phase", "gate", "require", "approve", "output", "json", "list", "<", ">",
    "\n",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: crate::testing::proptest_cases(64),
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn any_text_parses_with_spans_inside_it(source in "\\PC{0,80}") {
        check_spans(&source);
    }

    #[test]
    fn any_token_soup_parses_with_spans_inside_it(
        tokens in proptest::collection::vec(proptest::sample::select(SOUP), 0..60)
    ) {
        let soup = tokens.join(" ");
        check_spans(&soup);
        check_spans(&format!("workflow w() {{\n  phase p {{\n    {soup}\n  }}\n}}\n"));
    }
}

/// Parses without panicking, and every error's labels point inside the source, on character
/// boundaries, so that it can be rendered.
fn check_spans(source: &str) {
    use miette::Diagnostic;
    for error in parse(source).errors {
        let span = error.span();
        let labels = error.labels().into_iter().flatten();
        let spans = labels.map(|label| (label.offset(), label.offset() + label.len()));
        for (start, end) in std::iter::once((span.start, span.end)).chain(spans) {
            assert!(start <= end && end <= source.len(), "{error:?} in {source:?}");
            assert!(source.is_char_boundary(start) && source.is_char_boundary(end));
        }
    }
}

/// Whether the fast parse (`file_fast`) and the full one (`file`) of `source` agree: both fail,
/// or both give the same tree and the same errors.
fn assert_fast_mode_agrees(source: &str) {
    use super::parse_clean;
    use crate::syntax::grammar::Rule;
    let fast = parse_clean(source, Rule::file_fast).map(|parsed| format!("{parsed:#?}"));
    let full = parse_clean(source, Rule::file).map(|parsed| format!("{parsed:#?}"));
    assert_eq!(fast, full, "fast and full parses differ for {source:?}");
}

#[test]
#[allow(clippy::disallowed_methods)] // The test reads the corpus; the parser reads nothing.
fn fast_mode_builds_the_tree_the_full_grammar_builds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<std::path::PathBuf> =
        ["examples", "stdlib", "tests/fixtures"].iter().map(|d| root.join(d)).collect();
    let mut files = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "wf") {
                assert_fast_mode_agrees(&std::fs::read_to_string(&path).unwrap());
                files += 1;
            }
        }
    }
    assert!(files > 100, "only {files} .wf files found");
}

#[test]
fn fast_mode_bounds_nesting_where_the_full_grammar_does() {
    // Blocks nested around the depth bound: fast mode drops the `stmt` wrappers, so the bound
    // must count them for it to fall on the same phase.
    for depth in 30..50 {
        let open: String = (0..depth).map(|i| format!("phase p{i} {{ timeout 1m\n")).collect();
        let source = format!("workflow w() {{\n{open}run x \"true\"\n{}}}\n", "}\n".repeat(depth));
        assert_fast_mode_agrees(&source);
    }
    let deep = parse(&format!("workflow w() {{ {}{} }}", "phase p { ".repeat(60), "} ".repeat(60)));
    assert!(deep.errors.iter().any(|e| matches!(e, SyntaxError::NestingTooDeep { .. })), "{:?}", deep.errors);
}

/// Block entries that parse, and a few that do not, for random blocks.
#[rustfmt::skip]
const ENTRIES: &[&str] = &[
    "timeout 5m", "retry 3 backoff 1s..5s on exit 1, timeout", "retry 2 on any", "expect 2m",
    "output x: int = json(stdout, \"/a\")", "env { A: \"b\", C: d.e }", "on failure continue",
    "on failure skip \"why\"", "on timeout fail", "require a.ok and not b.ok \"m\"",
    "run r \"true\"", "run r \"x {{a.b[0] + 1}}\" { timeout 1m }", "agent a \"role\" { prompt \"p\" }",
    "phase p { expect 1m }", "parallel { run a \"x\" }", "parallel max 2 { }", "if x > 1 { fail \"no\" } else { }",
    "if a == \"b\" { } else if -c <= 2 * 3 { }", "for i, s in [1, 2] parallel max 2 { }",
    "for each x in xs { }", "repeat max 3 until ok { }", "repeat r max 3 { }", "gate g { approve \"y\" }",
    "wait w 5m", "wait w 5m { timeout 1h }", "description \"d\"", "budget $3.00 per day warn at 80%",
    "budget 12k tokens", "mode strict", "model m.x", "provider p", "concurrency 2", "secret S",
    "shell \"bash\"", "dir \"x\"", "cost $1.50", "undo run \"x\"", "risk high", "returns { a: int, b: list<string> }",
    "warn x < 2 \"w\"", "finally { }", "on failure { run u \"x\" }",
    "watch w \"c\" every 30s for 10m { fail when x > 1 pass when y for 1m }",
    "call c lib.flow(a: 1, b: max(1, 2)) { }", "fail \"x\"", ";", "prompt \"\"\"\n  t {{x}}\n  \"\"\"",
    "expect true", "expect { a: 1 }", "expect (1 + 2) * 3", "expect 1.5", "expect 5min", "expect 80%",
    "timeout", "run", "on", "fail when", "}", "@", "phase { }", "expect 1 +", "run r \"x",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: crate::testing::proptest_cases(64),
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn fast_mode_agrees_on_token_soup(
        tokens in proptest::collection::vec(proptest::sample::select(SOUP), 0..60)
    ) {
        let soup = tokens.join(" ");
        assert_fast_mode_agrees(&soup);
        assert_fast_mode_agrees(&format!("workflow w() {{\n  phase p {{\n    {soup}\n  }}\n}}\n"));
    }

    #[test]
    fn fast_mode_agrees_on_random_blocks(
        entries in proptest::collection::vec(proptest::sample::select(ENTRIES), 0..20)
    ) {
        let body = entries.join("\n    ");
        assert_fast_mode_agrees(&format!("workflow w() {{\n  run s \"x\" {{\n    {body}\n  }}\n  {body}\n}}\n"));
    }
}
