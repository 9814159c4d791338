//! Blocks: statements and attributes, in source order.

use pest::iterators::Pair;

use super::expr::{lower_expr, lower_str};
use super::{lower_field_type, lower_name, lower_path, lower_type, only_child, Children};
use crate::span::Span;
use crate::syntax::ast::{
    Agent, Attr, AttrKind, Block, Call, Entry, EnvVar, Fail, For, Gate, Handler, If, Judgement, NamedArg, OutputSource,
    Parallel, Phase, Repeat, RetryOn, Run, Stmt, Wait, Watch,
};
use crate::syntax::error::SyntaxError;
use crate::syntax::grammar::Rule;

pub(super) fn lower_block(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Block {
    let span = Span::from(pair.as_span());
    let mut entries = Vec::new();
    for entry in pair.into_inner() {
        match entry.as_rule() {
            Rule::lbrace | Rule::rbrace => {}
            Rule::stmt => entries.push(Entry::Stmt(lower_stmt(only_child(entry), errors))),
            Rule::attr => entries.push(Entry::Attr(lower_attr(only_child(entry), errors))),
            // A parse in fast mode (see the grammar) leaves out the two wrappers.
            rule if is_attr(rule) => entries.push(Entry::Attr(lower_attr(entry, errors))),
            _ => entries.push(Entry::Stmt(lower_stmt(entry, errors))),
        }
    }
    Block { entries, span }
}

fn lower_optional_block(children: &mut Children<'_>, errors: &mut Vec<SyntaxError>) -> Option<Block> {
    children.child_if(Rule::block).map(|block| lower_block(block, errors))
}

/// Whether a rule is one of the alternatives of `attr`.
fn is_attr(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::attr_timeout
            | Rule::attr_retry
            | Rule::attr_expect
            | Rule::attr_output
            | Rule::attr_prompt
            | Rule::attr_returns
            | Rule::attr_require
            | Rule::attr_warn
            | Rule::attr_on_failure
            | Rule::attr_on_timeout
            | Rule::attr_env
            | Rule::attr_dir
            | Rule::attr_cost
            | Rule::attr_undo
            | Rule::attr_model
            | Rule::attr_approve
            | Rule::attr_risk
            | Rule::attr_description
            | Rule::attr_budget
            | Rule::attr_mode
            | Rule::attr_provider
            | Rule::attr_concurrency
            | Rule::attr_secret
            | Rule::attr_shell
            | Rule::attr_fail_when
            | Rule::attr_pass_when
    )
}

/// Lowers one of the alternatives of `stmt`.
pub(super) fn lower_stmt(stmt: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Stmt {
    match stmt.as_rule() {
        Rule::phase_stmt => Stmt::Phase(lower_phase(stmt, errors)),
        Rule::run_stmt => Stmt::Run(lower_run(stmt, errors)),
        Rule::agent_stmt => Stmt::Agent(lower_agent(stmt, errors)),
        Rule::call_stmt => Stmt::Call(lower_call(stmt, errors)),
        Rule::gate_stmt => Stmt::Gate(lower_gate(stmt, errors)),
        Rule::wait_stmt => Stmt::Wait(lower_wait(stmt, errors)),
        Rule::watch_stmt => Stmt::Watch(lower_watch(stmt, errors)),
        Rule::parallel_stmt => Stmt::Parallel(lower_parallel(stmt, errors)),
        Rule::if_stmt => Stmt::If(lower_if(stmt, errors)),
        Rule::repeat_stmt => Stmt::Repeat(lower_repeat(stmt, errors)),
        Rule::for_stmt => Stmt::For(lower_for(stmt, errors)),
        Rule::fail_stmt => Stmt::Fail(lower_fail(stmt, errors)),
        Rule::on_failure_stmt => Stmt::OnFailure(lower_handler(stmt, errors)),
        Rule::finally_stmt => Stmt::Finally(lower_handler(stmt, errors)),
        other => unreachable!("not a statement: {other:?}"),
    }
}

fn lower_phase(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Phase {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let body = lower_block(children.child(), errors);
    Phase { name, body, span }
}

fn lower_run(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Run {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let command = lower_str(children.child(), errors);
    let attrs = lower_optional_block(&mut children, errors);
    Run { name, command, attrs, span }
}

fn lower_agent(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Agent {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let role = lower_str(children.child(), errors);
    let attrs = lower_optional_block(&mut children, errors);
    Agent { name, role, attrs, span }
}

fn lower_call(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Call {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let target = lower_path(children.child());
    let mut args = Vec::new();
    let mut attrs = None;
    for child in children {
        match child.as_rule() {
            Rule::named_arg => args.push(lower_named_arg(child, errors)),
            Rule::block => attrs = Some(lower_block(child, errors)),
            other => unreachable!("not part of a call: {other:?}"),
        }
    }
    Call { name, target, args, attrs, span }
}

fn lower_named_arg(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> NamedArg {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let value = lower_expr(children.child(), errors);
    NamedArg { name, value, span }
}

fn lower_gate(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Gate {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let body = lower_block(children.child(), errors);
    Gate { name, body, span }
}

fn lower_wait(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Wait {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let duration = lower_expr(children.child(), errors);
    let attrs = lower_optional_block(&mut children, errors);
    Wait { name, duration, attrs, span }
}

fn lower_watch(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Watch {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let command = lower_str(children.child(), errors);
    let every = lower_expr(children.child(), errors);
    let duration = lower_expr(children.child(), errors);
    let body = lower_block(children.child(), errors);
    Watch { name, command, every, duration, body, span }
}

fn lower_parallel(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Parallel {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = children.child_if(Rule::name).map(lower_name);
    let max = children.child_if(Rule::expr).map(|max| lower_expr(max, errors));
    let body = lower_block(children.child(), errors);
    Parallel { name, max, body, span }
}

fn lower_if(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> If {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let condition = lower_expr(children.child(), errors);
    let body = lower_block(children.child(), errors);
    let mut branches = vec![(condition, body)];
    let mut otherwise = None;
    for child in children {
        match child.as_rule() {
            Rule::else_if => {
                let mut branch = Children::of(child);
                let condition = lower_expr(branch.child(), errors);
                let body = lower_block(branch.child(), errors);
                branches.push((condition, body));
            }
            Rule::block => otherwise = Some(lower_block(child, errors)),
            other => unreachable!("not part of an if: {other:?}"),
        }
    }
    If { branches, otherwise, span }
}

fn lower_repeat(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Repeat {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = children.child_if(Rule::name).map(lower_name);
    let max = lower_expr(children.child(), errors);
    let until = children.child_if(Rule::expr).map(|until| lower_expr(until, errors));
    let body = lower_block(children.child(), errors);
    Repeat { name, max, until, body, span }
}

fn lower_for(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> For {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = children.child_if(Rule::for_name).map(|name| lower_name(only_child(name)));
    let index = children.child_if(Rule::for_index).map(|index| lower_name(only_child(index)));
    let var = lower_name(children.child());
    let iter = lower_expr(children.child(), errors);
    let parallel = children
        .child_if(Rule::for_parallel)
        .map(|parallel| Children::of(parallel).child_if(Rule::expr).map(|max| lower_expr(max, errors)));
    let body = lower_block(children.child(), errors);
    For { name, index, var, iter, parallel, body, span }
}

fn lower_fail(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Fail {
    let span = Span::from(pair.as_span());
    let message = lower_str(Children::of(pair).child(), errors);
    Fail { message, span }
}

fn lower_handler(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Handler {
    let span = Span::from(pair.as_span());
    let body = lower_block(Children::of(pair).child(), errors);
    Handler { body, span }
}

/// The span from a pair's start to the end of its last token, without the white space and
/// comments pest may have taken after it. After the last leaf token there can only be closing
/// delimiters (a string's quote, a `)` or `}`), white space and comments.
fn tight(pair: &Pair<'_, Rule>) -> Span {
    let span = Span::from(pair.as_span());
    let text = pair.as_str();
    let last_leaf = pair
        .clone()
        .into_inner()
        .flatten()
        .filter(|inner| inner.clone().into_inner().next().is_none())
        .map(|leaf| leaf.as_span().end())
        .max()
        .unwrap_or(span.start)
        .clamp(span.start, span.end);
    let tail = &text[last_leaf - span.start..];
    let code = [tail.find("//"), tail.find("/*")].into_iter().flatten().min().map_or(tail, |cut| &tail[..cut]);
    Span::new(span.start, last_leaf + code.trim_end().len())
}

/// Lowers one of the alternatives of `attr`.
fn lower_attr(attr: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> Attr {
    let span = tight(&attr);
    let keyword = Span::from(only_child_first(&attr).as_span());
    let rule = attr.as_rule();
    let mut children = Children::of(attr);
    let kind = match rule {
        Rule::attr_description => AttrKind::Description(lower_str(children.child(), errors)),
        Rule::attr_budget => AttrKind::Budget {
            amount: take_expr(&mut children, errors),
            per: children.child_if(Rule::budget_period).map(|per| lower_name(Children::of(per).child())),
            warn_at: children.child_if(Rule::budget_warn).map(|warn| lower_expr(Children::of(warn).child(), errors)),
        },
        Rule::attr_timeout => AttrKind::Timeout(take_expr(&mut children, errors)),
        Rule::attr_mode => AttrKind::Mode(lower_name(children.child())),
        Rule::attr_provider => AttrKind::Provider(lower_path(children.child())),
        Rule::attr_model => AttrKind::Model(lower_path(children.child())),
        Rule::attr_concurrency => AttrKind::Concurrency(take_expr(&mut children, errors)),
        Rule::attr_secret => AttrKind::Secret(lower_name(children.child())),
        Rule::attr_env => AttrKind::Env(children.map(|var| lower_env_var(var, errors)).collect()),
        Rule::attr_shell => AttrKind::Shell(lower_str(children.child(), errors)),
        Rule::attr_retry => lower_retry(children, errors),
        Rule::attr_on_failure => AttrKind::OnFailure {
            policy: lower_name(children.child()),
            message: children.child_if(Rule::str_lit).map(|message| lower_str(message, errors)),
        },
        Rule::attr_undo => AttrKind::Undo(lower_str(children.child(), errors)),
        Rule::attr_risk => AttrKind::Risk(lower_name(children.child())),
        Rule::attr_dir => AttrKind::Dir(take_expr(&mut children, errors)),
        Rule::attr_expect => AttrKind::Expect(take_expr(&mut children, errors)),
        Rule::attr_cost => AttrKind::Cost(take_expr(&mut children, errors)),
        Rule::attr_output => AttrKind::Output {
            name: lower_name(children.child()),
            ty: lower_type(children.child()),
            source: lower_output_source(children.child(), errors),
        },
        Rule::attr_prompt => AttrKind::Prompt(lower_str(children.child(), errors)),
        Rule::attr_returns => AttrKind::Returns(children.map(lower_field_type).collect()),
        Rule::attr_require => {
            AttrKind::Require { cond: take_expr(&mut children, errors), message: lower_str(children.child(), errors) }
        }
        Rule::attr_warn => {
            AttrKind::Warn { cond: take_expr(&mut children, errors), message: lower_str(children.child(), errors) }
        }
        Rule::attr_approve => AttrKind::Approve(lower_str(children.child(), errors)),
        Rule::attr_on_timeout => AttrKind::OnTimeout(lower_name(children.child())),
        Rule::attr_fail_when => AttrKind::FailWhen(lower_judgement(children, errors)),
        Rule::attr_pass_when => AttrKind::PassWhen(lower_judgement(children, errors)),
        other => unreachable!("not an attribute: {other:?}"),
    };
    Attr { kind, span, keyword }
}

fn take_expr(children: &mut Children<'_>, errors: &mut Vec<SyntaxError>) -> crate::syntax::ast::Expr {
    lower_expr(children.child(), errors)
}

/// The first child of a pair, keywords included: an attribute's leading word.
fn only_child_first<'i>(pair: &Pair<'i, Rule>) -> Pair<'i, Rule> {
    match pair.clone().into_inner().next() {
        Some(first) => first,
        None => unreachable!("every attribute starts with its word"),
    }
}

fn lower_judgement(mut children: Children<'_>, errors: &mut Vec<SyntaxError>) -> Judgement {
    let cond = lower_expr(children.child(), errors);
    let window = children.child_if(Rule::watch_window).map(|window| lower_expr(Children::of(window).child(), errors));
    Judgement { cond, window }
}

fn lower_env_var(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> EnvVar {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let name = lower_name(children.child());
    let value = lower_expr(children.child(), errors);
    EnvVar { name, value, span }
}

fn lower_retry(mut children: Children<'_>, errors: &mut Vec<SyntaxError>) -> AttrKind {
    let count = lower_expr(children.child(), errors);
    let backoff = children.child_if(Rule::retry_backoff).map(|backoff| {
        let mut bounds = Children::of(backoff);
        let from = lower_expr(bounds.child(), errors);
        let to = lower_expr(bounds.child(), errors);
        (from, to)
    });
    let on = children
        .child_if(Rule::retry_on)
        .map(|on| Children::of(on).map(|kind| lower_retry_kind(kind, errors)).collect())
        .unwrap_or_default();
    AttrKind::Retry { count, backoff, on }
}

fn lower_retry_kind(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> RetryOn {
    let kind = only_child(pair);
    let span = Span::from(kind.as_span());
    match kind.as_rule() {
        Rule::retry_exit => RetryOn::Exit { code: lower_expr(Children::of(kind).child(), errors), span },
        Rule::retry_timeout => RetryOn::Timeout { span },
        Rule::retry_error => RetryOn::Error { span },
        Rule::retry_any => RetryOn::Any { span },
        other => unreachable!("not a retry kind: {other:?}"),
    }
}

fn lower_output_source(pair: Pair<'_, Rule>, errors: &mut Vec<SyntaxError>) -> OutputSource {
    let span = Span::from(pair.as_span());
    let mut children = Children::of(pair);
    let func = lower_name(children.child());
    let stream = lower_name(children.child());
    let pattern = lower_str(children.child(), errors);
    OutputSource { func, stream, pattern, span }
}
