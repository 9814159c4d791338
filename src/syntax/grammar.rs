//! The pest grammar (`grammar/wf.pest`), its operator table, and user-facing names for rules.

use std::sync::LazyLock;

use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest_derive::Parser;

#[derive(Parser)]
#[grammar = "../grammar/wf.pest"]
pub(crate) struct WfParser;

/// Operator precedence, lowest first: `or`, `and`, prefix `not`, comparisons, `+ -`, `* /`,
/// prefix `-`, then field access and indexing. Comparisons are declared left-associative here
/// and chains of them are rejected when lowering, so `a < b < c` gets a clear message.
pub(crate) static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
        .op(Op::postfix(Rule::field_access) | Op::postfix(Rule::index_access))
});

/// Whether a rule only continues an expression (an operator, `.field`, `[index]`). Such rules
/// are left out of "expected ..." lists when something else was expected too: after
/// `require ok` the user is missing the message, not a `+`.
pub(crate) fn continues_expression(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::op_or
            | Rule::op_and
            | Rule::op_eq
            | Rule::op_ne
            | Rule::op_le
            | Rule::op_lt
            | Rule::op_ge
            | Rule::op_gt
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::field_access
            | Rule::index_access
    )
}

/// Whether a rule can only begin an operand of an expression. When pest expected one of
/// these, it was expecting an operand, and the whole list reads better as "an expression".
pub(crate) fn begins_operand(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::op_not
            | Rule::op_neg
            | Rule::tokens_lit
            | Rule::money_lit
            | Rule::percent_lit
            | Rule::duration_lit
            | Rule::float_lit
            | Rule::int_lit
            | Rule::bool_lit
            | Rule::bad_number
            | Rule::func_name
            | Rule::call_expr
            | Rule::paren
            | Rule::list_lit
            | Rule::record_lit
            | Rule::record_open
    )
}

/// Whether a rule is a keyword, an attribute word or punctuation: a token whose meaning is
/// already said by the rule it sits in, so lowering skips it.
pub(crate) fn is_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_use
            | Rule::kw_as
            | Rule::kw_const
            | Rule::kw_model
            | Rule::kw_provider
            | Rule::kw_workflow
            | Rule::kw_phase
            | Rule::kw_run
            | Rule::kw_agent
            | Rule::kw_call
            | Rule::kw_gate
            | Rule::kw_wait
            | Rule::kw_parallel
            | Rule::kw_if
            | Rule::kw_else
            | Rule::kw_repeat
            | Rule::kw_for
            | Rule::kw_in
            | Rule::kw_fail
            | Rule::kw_max
            | Rule::kw_until
            | Rule::kw_on
            | Rule::kw_finally
            | Rule::kw_true
            | Rule::kw_false
            | Rule::w_std
            | Rule::w_id
            | Rule::w_input
            | Rule::w_output
            | Rule::w_cached
            | Rule::w_per
            | Rule::w_kind
            | Rule::w_url
            | Rule::w_command
            | Rule::w_key
            | Rule::w_format
            | Rule::w_list
            | Rule::w_failure
            | Rule::w_description
            | Rule::w_budget
            | Rule::w_warn
            | Rule::w_at
            | Rule::w_timeout
            | Rule::w_mode
            | Rule::w_concurrency
            | Rule::w_secret
            | Rule::w_env
            | Rule::w_shell
            | Rule::w_retry
            | Rule::w_backoff
            | Rule::w_exit
            | Rule::w_error
            | Rule::w_any
            | Rule::w_undo
            | Rule::w_risk
            | Rule::w_dir
            | Rule::w_expect
            | Rule::w_cost
            | Rule::w_prompt
            | Rule::w_returns
            | Rule::w_require
            | Rule::w_approve
            | Rule::w_watch
            | Rule::w_every
            | Rule::w_when
            | Rule::w_pass
            | Rule::lbrace
            | Rule::record_open
            | Rule::rbrace
            | Rule::lparen
            | Rule::rparen
            | Rule::lbracket
            | Rule::rbracket
            | Rule::langle
            | Rule::rangle
            | Rule::comma
            | Rule::colon
            | Rule::assign
            | Rule::dotdot
            | Rule::slash
    )
}

/// The name of a rule in an "expected ..." message. Exhaustive on purpose: a new rule must be
/// given a name here before it can reach a user.
pub(crate) fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "the end of the file",
        Rule::WHITESPACE => "white space",
        Rule::COMMENT | Rule::line_comment | Rule::line_char | Rule::block_comment | Rule::comment => "a comment",
        Rule::file | Rule::file_fast | Rule::items | Rule::item => {
            "an item (`use`, `const`, `model`, `provider` or `workflow`)"
        }
        // Fast mode never reports: a failed fast parse is parsed again in full.
        Rule::fast | Rule::stmt_fast => "something else",
        Rule::expr_entry
        | Rule::expr
        | Rule::primary
        | Rule::primary_fast
        | Rule::prefix_op
        | Rule::paren
        | Rule::call_expr => "an expression",
        Rule::lex | Rule::lex_char => "a character",
        Rule::semi => "`;`",
        Rule::use_item => "a `use` item",
        Rule::std_path => "a module path like `std/models`",
        Rule::const_item => "a `const` item",
        Rule::model_item => "a `model` item",
        Rule::model_attr => "a model attribute (`id`, `input`, `output` or `cached`)",
        Rule::model_id => "`id \"...\"`",
        Rule::model_price | Rule::price_kind => "a price (`input`, `output` or `cached`)",
        Rule::provider_item => "a `provider` item",
        Rule::provider_attr => "a provider attribute (`kind`, `url`, `command`, `key`, `model` or `format`)",
        Rule::provider_kind => "`kind`",
        Rule::provider_url => "`url`",
        Rule::provider_command => "`command`",
        Rule::provider_key => "`key`",
        Rule::provider_model => "`model`",
        Rule::provider_format => "`format`",
        Rule::workflow_item => "a `workflow` item",
        Rule::param => "a parameter like `ticket: string`",
        Rule::type_expr | Rule::list_type | Rule::record_type => "a type",
        Rule::field_type => "a field like `name: string`",
        Rule::block => "a block `{ ... }`",
        Rule::block_entry | Rule::entry_fast => "a statement or an attribute",
        Rule::stmt => "a statement",
        Rule::phase_stmt => "a `phase`",
        Rule::run_stmt => "a `run` step",
        Rule::agent_stmt => "an `agent` step",
        Rule::call_stmt => "a `call` step",
        Rule::named_arg => "an argument like `name: value`",
        Rule::gate_stmt => "a `gate`",
        Rule::wait_stmt => "a `wait` step",
        Rule::watch_stmt => "a `watch` step",
        Rule::attr_fail_when => "`fail when`",
        Rule::attr_pass_when => "`pass when`",
        Rule::watch_window => "a window like `for 5m`",
        Rule::parallel_stmt | Rule::for_parallel => "`parallel`",
        Rule::if_stmt => "an `if`",
        Rule::else_if => "`else if`",
        Rule::repeat_stmt => "a `repeat` loop",
        Rule::for_stmt => "a `for` loop",
        Rule::for_name => "a name",
        Rule::for_index => "an index name and `,`",
        Rule::fail_stmt => "`fail`",
        Rule::on_failure_stmt | Rule::attr_on_failure => "`on failure`",
        Rule::finally_stmt => "`finally`",
        Rule::attr => "an attribute",
        Rule::attr_description => "`description`",
        Rule::attr_budget => "`budget`",
        Rule::budget_warn => "`warn at`",
        Rule::budget_period => "`per day` or `per month`",
        Rule::attr_timeout => "`timeout`",
        Rule::attr_mode => "`mode`",
        Rule::attr_provider => "`provider`",
        Rule::attr_model => "`model`",
        Rule::attr_concurrency => "`concurrency`",
        Rule::attr_secret => "`secret`",
        Rule::attr_env => "`env`",
        Rule::env_var => "an environment variable like `NAME: value`",
        Rule::attr_shell => "`shell`",
        Rule::attr_retry => "`retry`",
        Rule::retry_backoff => "`backoff`",
        Rule::retry_on => "`on`",
        Rule::retry_kind => "a retry kind (`exit`, `timeout`, `error` or `any`)",
        Rule::retry_exit => "`exit`",
        Rule::retry_timeout => "`timeout`",
        Rule::retry_error => "`error`",
        Rule::retry_any => "`any`",
        Rule::attr_undo => "`undo`",
        Rule::attr_risk => "`risk`",
        Rule::attr_dir => "`dir`",
        Rule::attr_expect => "`expect`",
        Rule::attr_cost => "`cost`",
        Rule::attr_output => "`output`",
        Rule::output_source => "an output source like `json(stdout, \"/path\")`",
        Rule::attr_prompt => "`prompt`",
        Rule::attr_returns => "`returns`",
        Rule::attr_require => "`require`",
        Rule::attr_warn => "`warn`",
        Rule::attr_approve => "`approve`",
        Rule::attr_on_timeout => "`on timeout`",
        Rule::path => "a name like `sonnet` or `models.sonnet`",
        Rule::postfix_op | Rule::infix_op | Rule::infix_ops => "an operator",
        Rule::op_or => "`or`",
        Rule::op_and => "`and`",
        Rule::op_not => "`not`",
        Rule::op_eq => "`==`",
        Rule::op_ne => "`!=`",
        Rule::op_le => "`<=`",
        Rule::op_lt => "`<`",
        Rule::op_ge => "`>=`",
        Rule::op_gt => "`>`",
        Rule::op_add => "`+`",
        Rule::op_sub | Rule::op_neg => "`-`",
        Rule::op_mul => "`*`",
        Rule::op_div => "`/`",
        Rule::field_access => "`.field`",
        Rule::field_name => "a field name",
        Rule::index_access => "`[index]`",
        Rule::list_lit => "a list `[...]`",
        Rule::record_lit => "a record `{ name: value, ... }`",
        Rule::field_init => "a field like `name: value`",
        Rule::func_name => "a function name",
        Rule::literal | Rule::bad_number => "a literal",
        Rule::digits | Rule::int_lit => "a whole number",
        Rule::tokens_lit => "a token count like `12k tokens`",
        Rule::money_lit => "an amount of money like `$2.10`",
        Rule::percent_lit => "a percentage like `80%`",
        Rule::duration_lit => "a duration like `30s`",
        Rule::float_lit => "a number like `2.5`",
        Rule::bool_lit => "`true` or `false`",
        Rule::str_lit | Rule::string | Rule::text_block => "a string",
        Rule::str_text | Rule::str_char | Rule::block_text | Rule::block_char => "text",
        Rule::str_escape => "an escape like `\\n`",
        Rule::interp | Rule::bad_interp => "an interpolation `{{ ... }}`",
        Rule::model_ref => "`{{model}}`",
        Rule::unterminated => "`\"`",
        Rule::ident_char => "a letter, digit or `_`",
        Rule::word | Rule::name => "a name",
        Rule::keyword => "a keyword",
        Rule::kw_use => "`use`",
        Rule::kw_as => "`as`",
        Rule::kw_const => "`const`",
        Rule::kw_model => "`model`",
        Rule::kw_provider => "`provider`",
        Rule::kw_workflow => "`workflow`",
        Rule::kw_phase => "`phase`",
        Rule::kw_run => "`run`",
        Rule::kw_agent => "`agent`",
        Rule::kw_call => "`call`",
        Rule::kw_gate => "`gate`",
        Rule::kw_wait => "`wait`",
        Rule::kw_parallel => "`parallel`",
        Rule::kw_if => "`if`",
        Rule::kw_else => "`else`",
        Rule::kw_repeat => "`repeat`",
        Rule::kw_for => "`for`",
        Rule::kw_in => "`in`",
        Rule::kw_fail => "`fail`",
        Rule::kw_max => "`max`",
        Rule::kw_until => "`until`",
        Rule::kw_on => "`on`",
        Rule::kw_finally => "`finally`",
        Rule::kw_true => "`true`",
        Rule::kw_false => "`false`",
        Rule::w_std => "`std`",
        Rule::w_id => "`id`",
        Rule::w_input => "`input`",
        Rule::w_output => "`output`",
        Rule::w_cached => "`cached`",
        Rule::w_per => "`per`",
        Rule::w_kind => "`kind`",
        Rule::w_url => "`url`",
        Rule::w_command => "`command`",
        Rule::w_key => "`key`",
        Rule::w_format => "`format`",
        Rule::w_list => "`list`",
        Rule::w_failure => "`failure`",
        Rule::w_description => "`description`",
        Rule::w_budget => "`budget`",
        Rule::w_warn => "`warn`",
        Rule::w_at => "`at`",
        Rule::w_timeout => "`timeout`",
        Rule::w_mode => "`mode`",
        Rule::w_concurrency => "`concurrency`",
        Rule::w_secret => "`secret`",
        Rule::w_env => "`env`",
        Rule::w_shell => "`shell`",
        Rule::w_retry => "`retry`",
        Rule::w_backoff => "`backoff`",
        Rule::w_exit => "`exit`",
        Rule::w_error => "`error`",
        Rule::w_any => "`any`",
        Rule::w_undo => "`undo`",
        Rule::w_risk => "`risk`",
        Rule::w_dir => "`dir`",
        Rule::w_expect => "`expect`",
        Rule::w_cost => "`cost`",
        Rule::w_prompt => "`prompt`",
        Rule::w_returns => "`returns`",
        Rule::w_require => "`require`",
        Rule::w_approve => "`approve`",
        Rule::w_watch => "`watch`",
        Rule::w_every => "`every`",
        Rule::w_when => "`when`",
        Rule::w_pass => "`pass`",
        Rule::lbrace | Rule::record_open => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::langle => "`<`",
        Rule::rangle => "`>`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::assign => "`=`",
        Rule::dotdot => "`..`",
        Rule::slash => "`/`",
    }
}
