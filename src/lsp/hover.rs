//! Hover: what a name is, with the types and values the checker worked out.

use std::fmt::Write;

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use crate::ir::{self, format_duration, format_money, format_tokens, ExprKind, Type};
use crate::syntax::ast::LitValue;

use super::analysis::Analysis;
use super::documents::Document;
use super::index::{Index, ItemKind, StepKind, Symbol};

pub fn hover(document: &Document, offset: usize) -> Option<Hover> {
    let analysis = document.analysis.as_deref()?;
    let index = analysis.index();
    let (span, markdown) = if let Some(occurrence) = index.at(offset) {
        (occurrence.span, describe(analysis, index, &occurrence.symbol)?)
    } else if let Some(literal) = index.literal_at(offset) {
        (literal.span, describe_literal(literal.value, &literal.text))
    } else {
        let path = index.use_at(offset)?;
        (path.span, describe_module(analysis, index, path.module?))
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: markdown }),
        range: Some(document.lines.range(&document.text, span)),
    })
}

fn describe(analysis: &Analysis, index: &Index, symbol: &Symbol) -> Option<String> {
    match symbol {
        Symbol::Step { workflow, name } => describe_step(analysis, index, *workflow, name),
        Symbol::Field { workflow, step, field } => describe_field(analysis, index, *workflow, step, field),
        Symbol::Param { module, workflow, name } => {
            let checked = analysis.workflow(*module, workflow)?;
            let param = checked.params.iter().find(|param| param.name == *name)?;
            let mut out = format!("parameter `{}: {}`", param.name, param.ty);
            if let Some(default) = &param.default {
                let _ = write!(out, " = `{default}`");
            }
            let _ = write!(out, " of workflow `{workflow}`");
            Some(with_unit(out, &param.ty))
        }
        Symbol::LoopVar { decl } => {
            let workflow = index.workflows.iter().find(|workflow| workflow.loop_vars.contains_key(decl))?;
            let (name, for_span) = &workflow.loop_vars[decl];
            let found = workflow.ir.and_then(|ir| find_for(&analysis.checked.program.workflows[ir].body, *for_span));
            if found.is_some_and(|(_, index)| index == Some(name.as_str())) {
                return Some(format!("loop index `{name}: int`, the item's position from 0"));
            }
            let elem = found.map_or(Type::Unknown, |(iter, _)| match &iter.ty {
                Type::List(elem) => (**elem).clone(),
                _ => Type::Unknown,
            });
            Some(with_unit(format!("loop variable `{name}: {elem}`"), &elem))
        }
        Symbol::Item { kind: ItemKind::Const, module, name } => {
            let value = analysis.checked.consts.get(&(*module, name.clone()))?;
            let ty = value.ty();
            Some(with_unit(format!("const `{name}: {ty}` = `{value}`{}", from_module(analysis, *module)), &ty))
        }
        Symbol::Item { kind: ItemKind::Model, module, name } => {
            let decl = index.modules[*module].models.get(name)?;
            let file = analysis.loaded.modules[*module].file;
            let model = analysis.checked.program.models.iter().find(|m| m.file == file && m.span == decl.span)?;
            let mut out = format!("model `{name}`: `{}`{}\n", model.id, from_module(analysis, *module));
            let _ = write!(out, "\n- input: {}", price(model.input));
            let _ = write!(out, "\n- output: {}", price(model.output));
            match model.cached {
                Some(cached) => {
                    let _ = write!(out, "\n- cached: {}", price(cached));
                }
                None => out.push_str("\n- cached input is priced as input"),
            }
            Some(out)
        }
        Symbol::Item { kind: ItemKind::Provider, module, name } => {
            let Some(decl) = index.modules[*module].providers.get(name) else {
                // Built-in providers, unless the file declares a provider of that name.
                if name == "sim" {
                    return Some("provider `sim`: built in; answers agent steps with simulated output".to_string());
                }
                return ir::Builtin::from_name(name).map(|builtin| {
                    let model = builtin
                        .default_model()
                        .map_or_else(|| "no default model".to_owned(), |model| format!("default model `{model}`"));
                    format!("provider `{}`: built in ({model}); see docs/providers.md", builtin.name())
                });
            };
            let provider =
                analysis.checked.program.providers.iter().find(|p| p.span == decl.span && p.name == *name)?;
            let kind = match provider.kind {
                ir::ProviderKind::Sim => "sim",
                ir::ProviderKind::Command => "command",
                ir::ProviderKind::OpenAi => "openai",
                ir::ProviderKind::Anthropic => "anthropic",
            };
            let mut out = format!("provider `{name}`: kind `{kind}`{}", from_module(analysis, *module));
            for (what, value) in
                [("url", provider.url.clone()), ("command", provider.command_text()), ("model", provider.model.clone())]
            {
                if let Some(value) = value {
                    let _ = write!(out, "\n- {what}: `{value}`");
                }
            }
            if provider.kind == ir::ProviderKind::Command {
                let format = ir::CliFormat::NAMES[provider.format as usize];
                let _ = write!(out, "\n- output read as `{format}`");
            }
            if let Some(key) = &provider.key {
                let _ = write!(out, "\n- API key from the environment variable `{key}`");
            }
            Some(out)
        }
        Symbol::Item { kind: ItemKind::Workflow, module, name } => {
            let checked = analysis.workflow(*module, name)?;
            let params: Vec<String> = checked
                .params
                .iter()
                .map(|param| match &param.default {
                    Some(default) => format!("{}: {} = {default}", param.name, param.ty),
                    None => format!("{}: {}", param.name, param.ty),
                })
                .collect();
            let mut out = format!("workflow `{name}({})`{}", params.join(", "), from_module(analysis, *module));
            if let Some(description) = &checked.description {
                let _ = write!(out, "\n\n{description}");
            }
            Some(out)
        }
        Symbol::Module { alias } => {
            let (target, _) = index.modules[0].aliases.get(alias)?;
            Some(describe_module(analysis, index, (*target)?))
        }
    }
}

fn describe_step(analysis: &Analysis, index: &Index, workflow: usize, name: &str) -> Option<String> {
    let info = &index.workflows[workflow];
    let decl = info.steps.get(name)?;
    let step = analysis.step(info.ir?, decl.ir?)?;
    let mut out = format!("{} `{name}` · id `{}`\n\n```\n", decl.kind.describe(), step.id);
    let width = step.fields.keys().map(|field| field.chars().count()).max().unwrap_or(0);
    for (field, ty) in &step.fields {
        let _ = writeln!(out, "{}  {ty}", crate::pad::left(field, width));
    }
    out.push_str("```");
    let mut facts = Vec::new();
    match &step.kind {
        ir::StepKind::Agent(agent) => {
            if let Some(model) = analysis.checked.program.models.get(agent.model.0) {
                facts.push(format!("model `{}` (`{}`)", model.name, model.id));
            }
        }
        ir::StepKind::Call(call) => {
            if let Some(callee) = analysis.checked.program.workflows.get(call.workflow.0) {
                facts.push(format!("calls workflow `{}`", callee.name));
            }
        }
        ir::StepKind::Wait { duration } => facts.push(format!("waits {}", show(duration))),
        ir::StepKind::Watch(watch) => {
            facts.push(format!(
                "polls `{}` every {} for at most {}",
                watch.poll.command,
                show(&watch.every),
                show(&watch.duration)
            ));
            for (word, judgement) in [("fails", Some(&watch.fail)), ("passes early", watch.pass.as_ref())] {
                let Some(judgement) = judgement else { continue };
                let window = judgement.window.as_ref().map_or_else(
                    || "on one poll".to_string(),
                    |window| format!("once it has held for {}", show(window)),
                );
                facts.push(format!("{word} when `{}` {window}", judgement.cond));
            }
        }
        _ => {}
    }
    if let Some(retry) = &step.common.retry {
        let count = retry.count.known.map_or_else(|| show(&retry.count.expr), |n| n.to_string());
        let on: Vec<String> = retry.on.iter().map(retry_on).collect();
        facts.push(format!(
            "retry: up to {count} more attempts, backoff {}..{}, on {}",
            format_duration(retry.backoff_min),
            format_duration(retry.backoff_max),
            on.join(", ")
        ));
    }
    if let Some(timeout) = &step.common.timeout {
        facts.push(format!("timeout: {}", show(timeout)));
    }
    let policy = match &step.common.on_failure {
        ir::FailurePolicy::Abort => None,
        ir::FailurePolicy::Continue => Some("continue"),
        ir::FailurePolicy::Rollback => Some("rollback"),
        ir::FailurePolicy::Escalate { .. } => Some("escalate"),
    };
    if let Some(policy) = policy {
        facts.push(format!("on failure: {policy}"));
    }
    if step.common.risk == ir::Risk::High {
        facts.push("risk: high (asks for approval in `hybrid` mode)".to_string());
    }
    for fact in facts {
        let _ = write!(out, "\n\n{fact}");
    }
    Some(out)
}

fn describe_field(analysis: &Analysis, index: &Index, workflow: usize, step: &str, field: &str) -> Option<String> {
    let info = &index.workflows[workflow];
    let decl = info.steps.get(step)?;
    let checked = analysis.step(info.ir?, decl.ir?)?;
    let ty = checked.fields.get(field)?;
    let mut out = format!("`{step}.{field}: {ty}`");
    // A `watch`'s outputs are read as a `run` step's are.
    let polled = match &checked.kind {
        ir::StepKind::Run(run) => Some(run),
        ir::StepKind::Watch(watch) => Some(&watch.poll),
        _ => None,
    };
    let origin = match (&checked.kind, common_field(field)) {
        (ir::StepKind::Watch(_), None) if field == "polls" => Some("how many times the command was polled".to_string()),
        (ir::StepKind::Run(_) | ir::StepKind::Watch(_), None) => {
            polled.and_then(|run| run.outputs.iter().find(|output| output.name == field)).map(|output| {
                let stream = if output.stream == ir::Stream::Stdout { "stdout" } else { "stderr" };
                match &output.source {
                    ir::OutputSource::Json(pointer) => format!("output of `{step}`: json({stream}, \"{pointer}\")"),
                    ir::OutputSource::Regex(regex) => format!("output of `{step}`: regex({stream}, \"{regex}\")"),
                }
            })
        }
        (ir::StepKind::Agent(_), None) => Some(format!("returned by agent step `{step}`")),
        (_, None) if decl.kind == StepKind::Agent => Some(format!("returned by agent step `{step}`")),
        (_, Some(meaning)) => Some(meaning.to_string()),
        _ => None,
    };
    if let Some(origin) = origin {
        let _ = write!(out, "\n\n{origin}");
    }
    Some(with_unit(out, ty))
}

/// What the values every step (or block) has mean (spec §8).
fn common_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "status" => "how the step ended: `succeeded`, `failed`, `skipped`, `timed_out` or `cancelled`",
        "ok" => "whether it succeeded",
        "attempts" => "how many attempts were made",
        "duration" => "how long it ran",
        "cost" => "what it cost (the ledger's amount for it)",
        "tokens" => "the tokens it used",
        "exit_code" => "the command's exit code",
        "stdout" => "what the command printed on standard output",
        "stderr" => "what the command printed on standard error",
        "text" => "the agent's answer as text",
        "approved_by" => "who approved the gate",
        "comment" => "what the approver said",
        "iterations" => "how many times the body ran",
        _ => return None,
    })
}

/// A literal with a unit: its normalised value, then the same note on the unit as a name of
/// that type gets (`with_unit`), so the two hovers cannot disagree on what `80%` is.
fn describe_literal(value: LitValue, text: &str) -> String {
    let line = match value {
        LitValue::Duration(ms) => {
            let canonical = format_duration(ms);
            let same = if canonical == text { String::new() } else { format!(" = `{canonical}`") };
            format!("duration `{text}`{same} = {} ms", thousands(u128::from(ms)))
        }
        LitValue::Money(micros) => format!("money `{text}` = {} micro-dollars", signed_thousands(micros)),
        LitValue::Tokens(count) => format!("tokens `{text}` = {} tokens", thousands(u128::from(count))),
        LitValue::Percent(percent) => format!("percent `{text}` = {percent}"),
        LitValue::Int(_) | LitValue::Float(_) | LitValue::Bool(_) => format!("`{text}`"),
    };
    with_unit(line, &ir::Value::from(value).ty())
}

fn describe_module(analysis: &Analysis, index: &Index, module: usize) -> String {
    let source = &analysis.loaded.modules[module];
    let name = source.std_name.clone().unwrap_or_else(|| analysis.loaded.sources.get(source.file).name.clone());
    let mut out = format!("module `{name}`");
    let items = &index.modules[module];
    for (what, names) in [
        ("workflows", items.workflows.keys()),
        ("models", items.models.keys()),
        ("providers", items.providers.keys()),
        ("constants", items.consts.keys()),
    ] {
        let names: Vec<String> = names.map(|name| format!("`{name}`")).collect();
        if !names.is_empty() {
            let _ = write!(out, "\n- {what}: {}", names.join(", "));
        }
    }
    out
}

/// " (from `std/models`)" for an item of another module.
fn from_module(analysis: &Analysis, module: usize) -> String {
    if module == 0 {
        return String::new();
    }
    let source = &analysis.loaded.modules[module];
    let name = source.std_name.clone().unwrap_or_else(|| analysis.loaded.sources.get(source.file).name.clone());
    format!(" (from `{name}`)")
}

/// `out` with what a value of type `ty` is held as, for the types with a unit: the one
/// explanation of each unit, for names and literals alike.
fn with_unit(mut out: String, ty: &Type) -> String {
    let note = match ty {
        Type::Duration => "a duration (held in milliseconds)",
        Type::Money => "US dollars (held exactly, in micro-dollars)",
        Type::Tokens => "a number of tokens",
        Type::Percent => "a percentage, held as the number before `%` (`80%` is 80, not 0.8)",
        _ => return out,
    };
    let _ = write!(out, "\n\nunit: {note}");
    out
}

fn price(price: ir::Price) -> String {
    let written = format!("{} per {}", format_money(price.micros), format_tokens(price.per_tokens));
    if price.per_tokens == 1_000_000 {
        written
    } else {
        format!("{written} ({} per 1M tokens)", format_money(price.cost(1_000_000)))
    }
}

/// An expression known before the run: its value, or the parameter it reads.
fn show(expr: &ir::Expr) -> String {
    match &expr.kind {
        ExprKind::Value(value) => value.to_string(),
        ExprKind::Param(name) => format!("`{name}`"),
        _ => "an expression of parameters".to_string(),
    }
}

fn retry_on(on: &ir::RetryOn) -> String {
    match on {
        ir::RetryOn::Exit(code) => format!("exit {code}"),
        ir::RetryOn::Timeout => "timeout".to_string(),
        ir::RetryOn::Error => "error".to_string(),
        ir::RetryOn::Any => "any failure".to_string(),
    }
}

/// The `for` node at `span`: its list expression.
/// The list and the index name of the `for` at `span`.
fn find_for(nodes: &[ir::Node], span: crate::span::Span) -> Option<(&ir::Expr, Option<&str>)> {
    nodes.iter().find_map(|node| match node {
        ir::Node::For { span: at, iter, index, .. } if *at == span => Some((iter, index.as_deref())),
        ir::Node::Phase { body, .. }
        | ir::Node::Parallel { body, .. }
        | ir::Node::Repeat { body, .. }
        | ir::Node::For { body, .. } => find_for(body, span),
        ir::Node::If { branches, otherwise, .. } => {
            branches.iter().find_map(|branch| find_for(&branch.body, span)).or_else(|| find_for(otherwise, span))
        }
        ir::Node::Step(_) | ir::Node::Fail { .. } => None,
    })
}

fn thousands(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn signed_thousands(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", thousands(u128::from(n.unsigned_abs())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_show_their_normalised_value() {
        let first = |value, text| describe_literal(value, text).lines().next().unwrap_or_default().to_string();
        assert_eq!(first(LitValue::Duration(5_400_000), "90m"), "duration `90m` = `1h30m` = 5,400,000 ms");
        assert_eq!(first(LitValue::Duration(500), "500ms"), "duration `500ms` = 500 ms");
        assert_eq!(first(LitValue::Money(2_100_000), "$2.10"), "money `$2.10` = 2,100,000 micro-dollars");
        assert_eq!(first(LitValue::Tokens(12_000), "12k tokens"), "tokens `12k tokens` = 12,000 tokens");
        assert_eq!(first(LitValue::Percent(80.0), "80%"), "percent `80%` = 80");
    }

    #[test]
    fn a_literal_and_a_name_of_its_type_explain_the_unit_alike() {
        for (value, ty) in [
            (LitValue::Duration(1), Type::Duration),
            (LitValue::Money(1), Type::Money),
            (LitValue::Tokens(1), Type::Tokens),
            (LitValue::Percent(80.0), Type::Percent),
        ] {
            let literal = describe_literal(value, "x");
            let note = with_unit(String::new(), &ty);
            assert!(!note.is_empty() && literal.ends_with(&note), "{literal:?} should end with {note:?}");
        }
        assert!(!describe_literal(LitValue::Percent(80.0), "80%").contains("0.8 as"), "no fraction reading");
    }
}
