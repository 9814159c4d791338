//! Pass 1 and 2: each module's items (uses, constants, models, providers, workflows), their
//! names, and the lookups that resolve `name` and `alias.name`.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use super::cx::Cx;
use super::{CheckDiagnostic, Checker, ConstState, Signature};
use crate::ir::eval::{eval, NoEnv};
use crate::ir::{self, CliFormat, ModelId, Price, ProviderKind, ProviderRef, Type, Value, WorkflowId, SCALAR_NAMES};
use crate::source::FileId;
use crate::span::Span;
use crate::suggest;
use crate::syntax::ast;

/// What one module declares.
#[derive(Default)]
pub(super) struct ModuleScope<'a> {
    /// `use` aliases: the module they name and where the `use` is.
    pub aliases: IndexMap<String, (usize, Span)>,
    /// Aliases whose `use` failed (already reported): names in them resolve to nothing, quietly.
    pub broken: std::collections::HashSet<String>,
    pub consts: IndexMap<String, &'a ast::Const>,
    pub models: IndexMap<String, ModelId>,
    pub providers: IndexMap<String, usize>,
    pub workflows: IndexMap<String, WorkflowId>,
    /// Every item name and where it was first declared, for duplicate detection.
    names: HashMap<String, Span>,
}

/// The name a `use` binds: its alias, else the last segment of the path (file stem).
pub(crate) fn use_name(item: &ast::Use) -> Option<(String, Span)> {
    if let Some(alias) = &item.alias {
        return Some((alias.name.clone(), alias.span));
    }
    match &item.target {
        ast::UseTarget::Std { path, span } => path.last().map(|segment| (segment.name.clone(), *span)),
        ast::UseTarget::Path { path, span } => {
            std::path::Path::new(path).file_stem().map(|stem| (stem.to_string_lossy().into_owned(), *span))
        }
    }
}

impl<'a> Checker<'a> {
    /// Pass 1: every module's item names.
    pub(super) fn declare_all(&mut self) {
        for module in 0..self.loaded.modules.len() {
            let scope = self.declare_module(module);
            self.modules.push(scope);
        }
    }

    fn declare_module(&mut self, module: usize) -> ModuleScope<'a> {
        let loaded = self.loaded;
        let source = &loaded.modules[module];
        let mut scope = ModuleScope::default();
        let mut use_index = 0;
        for item in &source.ast.items {
            let (name, span) = match item {
                ast::Item::Use(item) => {
                    let target = source.uses.get(use_index).copied().flatten();
                    use_index += 1;
                    let Some((name, span)) = use_name(item) else { continue };
                    match target {
                        Some(target) => {
                            scope.aliases.insert(name.clone(), (target, span));
                        }
                        None => {
                            scope.broken.insert(name.clone());
                        }
                    }
                    (name, span)
                }
                ast::Item::Const(item) => {
                    scope.consts.entry(item.name.name.clone()).or_insert(item);
                    (item.name.name.clone(), item.name.span)
                }
                ast::Item::Model(item) => {
                    if let Some(model) = self.lower_model(module, item) {
                        self.program.models.push(model);
                        let id = ModelId(self.program.models.len() - 1);
                        scope.models.entry(item.name.name.clone()).or_insert(id);
                    }
                    (item.name.name.clone(), item.name.span)
                }
                ast::Item::Provider(item) => {
                    if let Some(provider) = self.lower_provider(module, item) {
                        self.program.providers.push(provider);
                        let index = self.program.providers.len() - 1;
                        scope.providers.entry(item.name.name.clone()).or_insert(index);
                    }
                    (item.name.name.clone(), item.name.span)
                }
                ast::Item::Workflow(item) => {
                    if !scope.workflows.contains_key(&item.name.name) {
                        let id = WorkflowId(self.workflows.len());
                        self.workflows.push(None);
                        self.signatures.push(Signature { name: item.name.name.clone(), params: None });
                        scope.workflows.insert(item.name.name.clone(), id);
                    }
                    (item.name.name.clone(), item.name.span)
                }
            };
            if let Some(&first) = scope.names.get(&name) {
                self.report(module, CheckDiagnostic::DuplicateName { name, span, first });
            } else {
                scope.names.insert(name, span);
            }
        }
        scope
    }

    fn lower_model(&mut self, module: usize, item: &ast::Model) -> Option<ir::Model> {
        let mut id: Option<(String, Span)> = None;
        let mut prices: [Option<(Price, Span)>; 3] = [None, None, None];
        for attr in &item.attrs {
            match attr {
                ast::ModelAttr::Id { value, span } => {
                    if let Some((_, first)) = &id {
                        self.report(
                            module,
                            CheckDiagnostic::DuplicateAttribute { attr: "id".into(), span: *span, first: *first },
                        );
                    }
                    id = Some((value.as_plain().unwrap_or_default(), *span));
                }
                ast::ModelAttr::Price { kind, price, span } => {
                    let slot = match kind {
                        ast::PriceKind::Input => 0,
                        ast::PriceKind::Output => 1,
                        ast::PriceKind::Cached => 2,
                    };
                    if let Some((_, first)) = &prices[slot] {
                        let attr = ["input", "output", "cached"][slot].to_string();
                        self.report(module, CheckDiagnostic::DuplicateAttribute { attr, span: *span, first: *first });
                    }
                    prices[slot] = self.lower_price(module, price).map(|p| (p, *span));
                }
            }
        }
        let what = format!("model `{}`", item.name.name);
        // A model with no price at all is unpriced (spec §13); one price without the other is a slip.
        let priced = prices.iter().any(Option::is_some);
        for (slot, attr) in [(0, "input"), (1, "output")] {
            if priced && prices[slot].is_none() {
                self.report(
                    module,
                    CheckDiagnostic::MissingAttribute {
                        what: what.clone(),
                        attr,
                        span: item.name.span,
                        help: Some(format!("add `{attr} $X per 1M tokens`")),
                    },
                );
            }
        }
        let qualified = match &self.loaded.modules[module].std_name {
            Some(std) => format!("{}.{}", std.rsplit('/').next().unwrap_or(std), item.name.name),
            None => item.name.name.clone(),
        };
        Some(ir::Model {
            name: qualified,
            id: id.map_or_else(|| item.name.name.clone(), |(id, _)| id),
            input: prices[0].map_or(Price { micros: 0, per_tokens: 1 }, |(price, _)| price),
            output: prices[1].map_or(Price { micros: 0, per_tokens: 1 }, |(price, _)| price),
            cached: prices[2].map(|(price, _)| price),
            file: self.loaded.modules[module].file,
            span: item.span,
            priced,
            provider_default: false,
        })
    }

    fn lower_price(&mut self, module: usize, price: &ast::Price) -> Option<Price> {
        let ast::LitValue::Money(micros) = price.money.value else {
            self.report(module, mismatch("money, such as `$3.00`", &price.money, "the price"));
            return None;
        };
        let ast::LitValue::Tokens(per_tokens) = price.per.value else {
            self.report(module, mismatch("tokens, such as `1M tokens`", &price.per, "the quantity priced"));
            return None;
        };
        if micros < 0 || per_tokens == 0 {
            self.report(
                module,
                CheckDiagnostic::InvalidBound {
                    what: "a price",
                    expected: "a non-negative amount per a positive number of tokens",
                    value: price.money.text.clone() + " per " + &price.per.text,
                    span: price.span,
                },
            );
            return None;
        }
        Some(Price { micros, per_tokens })
    }

    fn lower_provider(&mut self, module: usize, item: &ast::Provider) -> Option<ir::Provider> {
        let mut provider = ir::Provider {
            name: item.name.name.clone(),
            kind: ProviderKind::Sim,
            url: None,
            command: None,
            format: CliFormat::Text,
            key: None,
            model: None,
            span: item.span,
        };
        let mut kind_seen = false;
        for attr in &item.attrs {
            match attr {
                ast::ProviderAttr::Kind { value, .. } => {
                    kind_seen = true;
                    match ProviderKind::from_name(&value.name) {
                        Some(kind) => provider.kind = kind,
                        None => self.report(module, invalid_choice("provider kind", value, ProviderKind::NAMES)),
                    }
                }
                ast::ProviderAttr::Url { value, .. } => provider.url = self.plain_provider_text(module, "url", value),
                ast::ProviderAttr::Command { value, .. } => provider.command = self.provider_command(module, value),
                ast::ProviderAttr::Key { value, .. } => provider.key = Some(value.name.clone()),
                ast::ProviderAttr::Model { value, .. } => {
                    provider.model = self.plain_provider_text(module, "model", value);
                }
                ast::ProviderAttr::Format { value, .. } => match CliFormat::from_name(&value.name) {
                    Some(format) => provider.format = format,
                    None => self.report(module, invalid_choice("agent output format", value, CliFormat::NAMES)),
                },
            }
        }
        if !kind_seen {
            self.report(
                module,
                CheckDiagnostic::MissingAttribute {
                    what: format!("provider `{}`", item.name.name),
                    attr: "kind",
                    span: item.name.span,
                    help: Some(format!("add `kind {}`", ProviderKind::NAMES.join("|"))),
                },
            );
        }
        let needs = match provider.kind {
            ProviderKind::Command => provider.command.is_none().then_some("command"),
            ProviderKind::OpenAi | ProviderKind::Anthropic => provider.url.is_none().then_some("url"),
            ProviderKind::Sim => None,
        };
        if let Some(attr) = needs {
            self.report(
                module,
                CheckDiagnostic::MissingAttribute {
                    what: format!("provider `{}`", item.name.name),
                    attr,
                    span: item.name.span,
                    help: None,
                },
            );
        }
        Some(provider)
    }

    /// A provider's `url` or `model`: known before the run, so nothing to interpolate.
    fn plain_provider_text(&mut self, module: usize, attr: &'static str, value: &ast::StringLit) -> Option<String> {
        let plain = value.as_plain();
        if plain.is_none() {
            self.report(
                module,
                CheckDiagnostic::ProviderInterpolation { attr, span: value.span, help: "write the value out".into() },
            );
        }
        plain
    }

    /// A provider's `command`, where `{{model}}` stands for the model's id and nothing else
    /// may be interpolated (the command is fixed before any step runs).
    fn provider_command(&mut self, module: usize, value: &ast::StringLit) -> Option<Vec<ir::CommandPart>> {
        let mut parts = Vec::new();
        let mut ok = true;
        for part in &value.parts {
            match part {
                ast::StrPart::Text(text) => parts.push(ir::CommandPart::Text(text.clone())),
                ast::StrPart::Interp(ast::Expr { kind: ast::ExprKind::Name(name), .. }) if name == "model" => {
                    parts.push(ir::CommandPart::Model);
                }
                ast::StrPart::Interp(expr) => {
                    ok = false;
                    self.report(
                        module,
                        CheckDiagnostic::ProviderInterpolation {
                            attr: "command",
                            span: expr.span,
                            help: "only `{{model}}` (the model's id) may be interpolated; the prompt goes on stdin"
                                .into(),
                        },
                    );
                }
            }
        }
        ok.then_some(parts)
    }

    /// Pass 2: parameter types and defaults of every workflow.
    pub(super) fn resolve_signatures(&mut self) {
        for module in 0..self.loaded.modules.len() {
            for item in &self.loaded.modules[module].ast.items {
                let ast::Item::Workflow(workflow) = item else { continue };
                let Some(&id) = self.modules[module].workflows.get(&workflow.name.name) else { continue };
                if self.signatures[id.0].params.is_some() {
                    continue;
                }
                let params = self.lower_params(module, &workflow.params);
                self.signatures[id.0].params = Some(params);
            }
        }
    }

    pub(super) fn lower_params(&mut self, module: usize, params: &[ast::Param]) -> Vec<ir::Param> {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut out = Vec::new();
        for param in params {
            if let Some(&first) = seen.get(param.name.name.as_str()) {
                self.report(
                    module,
                    CheckDiagnostic::DuplicateName { name: param.name.name.clone(), span: param.name.span, first },
                );
                continue;
            }
            seen.insert(&param.name.name, param.name.span);
            let ty = self.resolve_type(module, &param.ty);
            let default = param.default.as_ref().and_then(|default| {
                let mut cx = Cx::constant(self, module);
                let expr = cx.expr_as(default, &ty, &format!("the default of `{}: {ty}`", param.name.name));
                if expr.ty.is_unknown() {
                    return None;
                }
                match eval(&expr, &NoEnv) {
                    Ok(value) => Some(promote(value, &ty)),
                    Err(_) => {
                        self.report(
                            module,
                            CheckDiagnostic::NotConstant {
                                what: format!("the default of `{}`", param.name.name),
                                span: default.span,
                            },
                        );
                        None
                    }
                }
            });
            out.push(ir::Param { name: param.name.name.clone(), ty, default, span: param.span });
        }
        out
    }

    pub(super) fn resolve_type(&mut self, module: usize, ty: &ast::TypeExpr) -> Type {
        match ty {
            ast::TypeExpr::Named(name) => Type::scalar(&name.name).unwrap_or_else(|| {
                let help = suggest::help(&name.name, SCALAR_NAMES.iter().copied().chain(["list"]));
                self.report(module, CheckDiagnostic::UnknownType { name: name.name.clone(), span: name.span, help });
                Type::Unknown
            }),
            ast::TypeExpr::List { elem, .. } => Type::List(Box::new(self.resolve_type(module, elem))),
            ast::TypeExpr::Record { fields, .. } => Type::Record(self.resolve_fields(module, fields)),
        }
    }

    pub(super) fn resolve_fields(&mut self, module: usize, fields: &[ast::FieldType]) -> IndexMap<String, Type> {
        let mut out: IndexMap<String, Type> = IndexMap::new();
        let mut spans: HashMap<&str, Span> = HashMap::new();
        for field in fields {
            if let Some(&first) = spans.get(field.name.name.as_str()) {
                self.report(
                    module,
                    CheckDiagnostic::DuplicateName { name: field.name.name.clone(), span: field.name.span, first },
                );
                continue;
            }
            spans.insert(&field.name.name, field.name.span);
            let ty = self.resolve_type(module, &field.ty);
            out.insert(field.name.name.clone(), ty);
        }
        out
    }

    /// The value of constant `name` of `module`, computing it on first use.
    pub(super) fn const_value(&mut self, module: usize, name: &str, used_at: Span) -> Option<Value> {
        let key = (module, name.to_string());
        self.used.insert(key.clone());
        match self.consts.get(&key) {
            Some(ConstState::Done(value)) => return value.clone(),
            Some(ConstState::Evaluating) => {
                self.report(module, CheckDiagnostic::ConstCycle { name: name.to_string(), span: used_at });
                return None;
            }
            None => {}
        }
        let item = *self.modules[module].consts.get(name)?;
        self.consts.insert(key.clone(), ConstState::Evaluating);
        let declared = item.ty.as_ref().map(|ty| self.resolve_type(module, ty));
        let expr = match &declared {
            Some(declared) => {
                Cx::constant(self, module).expr_as(&item.value, declared, &format!("the value of `{name}`"))
            }
            None => Cx::constant(self, module).expr(&item.value),
        };
        let value = if expr.ty.is_unknown() {
            None
        } else {
            match eval(&expr, &NoEnv) {
                Ok(value) => Some(match &declared {
                    Some(declared) => promote(value, declared),
                    None => value,
                }),
                Err(_) => {
                    let what = format!("constant `{name}`");
                    self.report(module, CheckDiagnostic::NotConstant { what, span: item.value.span });
                    None
                }
            }
        };
        self.consts.insert(key, ConstState::Done(value.clone()));
        value
    }

    /// The module named by `alias` in `module`, marking the `use` as used.
    pub(super) fn alias(&mut self, module: usize, alias: &ast::Ident) -> Option<usize> {
        let target = self.modules[module].aliases.get(&alias.name).map(|(target, _)| *target);
        if target.is_some() {
            self.used.insert((module, alias.name.clone()));
        }
        target
    }

    fn unknown_module(&mut self, module: usize, alias: &ast::Ident) {
        let help = suggest::help(&alias.name, self.modules[module].aliases.keys().map(String::as_str)).or_else(|| {
            crate::stdlib::module(&alias.name).map(|_| format!("add `use std/{}` at the top of the file", alias.name))
        });
        self.report(module, CheckDiagnostic::UnknownModule { name: alias.name.clone(), span: alias.span, help });
    }

    /// Resolves `name` or `alias.name` to the module that holds it and the final name.
    fn qualify<'p>(&mut self, module: usize, path: &'p ast::Path) -> Option<(usize, &'p ast::Ident, bool)> {
        match path.segments.as_slice() {
            [name] => Some((module, name, false)),
            [alias, name] => match self.alias(module, alias) {
                Some(target) => Some((target, name, true)),
                None if self.modules[module].broken.contains(&alias.name) => None,
                None => {
                    self.unknown_module(module, alias);
                    None
                }
            },
            _ => {
                self.report(
                    module,
                    CheckDiagnostic::UnknownName {
                        name: path_text(path),
                        span: path.span,
                        help: Some("a name is `NAME` or `module.NAME`".into()),
                    },
                );
                None
            }
        }
    }

    pub(super) fn resolve_model(&mut self, module: usize, path: &ast::Path) -> Option<ModelId> {
        let (target, name, aliased) = self.qualify(module, path)?;
        if let Some(&id) = self.modules[target].models.get(&name.name) {
            return Some(id);
        }
        let help = suggest::help(&name.name, self.modules[target].models.keys().map(String::as_str));
        let error = if aliased {
            CheckDiagnostic::UnknownItem {
                module: path.segments[0].name.clone(),
                kind: "model",
                name: name.name.clone(),
                span: name.span,
                help,
            }
        } else {
            let help = help.or_else(|| self.std_models_hint(module));
            CheckDiagnostic::UnknownModel { name: name.name.clone(), span: name.span, help }
        };
        self.report(module, error);
        None
    }

    /// When the stdlib models are imported, a bare model name probably meant `models.NAME`.
    fn std_models_hint(&self, module: usize) -> Option<String> {
        self.modules[module].aliases.iter().find_map(|(alias, (target, _))| {
            (self.loaded.modules[*target].std_name.as_deref() == Some("std/models"))
                .then(|| format!("models from a module are named `{alias}.NAME`"))
        })
    }

    pub(super) fn resolve_provider(&mut self, module: usize, path: &ast::Path) -> Option<ProviderRef> {
        // Built-in providers need no declaration; a declared one of the same name wins.
        if let [name] = path.segments.as_slice() {
            if !self.modules[module].providers.contains_key(&name.name) {
                if name.name == "sim" {
                    return Some(ProviderRef::Sim);
                }
                if let Some(builtin) = ir::Builtin::from_name(&name.name).filter(|b| b.name() == name.name) {
                    return Some(ProviderRef::Builtin(builtin));
                }
            }
        }
        let (target, name, _) = self.qualify(module, path)?;
        if let Some(&index) = self.modules[target].providers.get(&name.name) {
            return Some(ProviderRef::Declared(index));
        }
        let builtins = ir::Builtin::ALL.map(ir::Builtin::name);
        let candidates: Vec<&str> =
            self.modules[target].providers.keys().map(String::as_str).chain(["sim"]).chain(builtins).collect();
        let help = suggest::help(&name.name, candidates);
        self.report(module, CheckDiagnostic::UnknownProvider { name: name.name.clone(), span: name.span, help });
        None
    }

    /// The model of an agent step that names none, from its provider: `sim`'s free model, a
    /// built-in provider's usual one, or a declared provider's `model "ID"`. Unpriced unless a
    /// declared model has that id; added to the program's models once per id.
    pub(super) fn provider_default_model(&mut self, provider: ProviderRef) -> Option<ModelId> {
        let id = match provider {
            ProviderRef::Sim => ir::SIM_MODEL.to_owned(),
            ProviderRef::Builtin(builtin) => builtin.default_model()?.to_owned(),
            ProviderRef::Declared(index) => self.program.providers.get(index)?.model.clone()?,
        };
        let models = &mut self.program.models;
        if let Some(index) = models.iter().position(|model| model.provider_default && model.id == id) {
            return Some(ModelId(index));
        }
        let declared = models.iter().find(|model| model.id == id && !model.provider_default).cloned();
        let free = Price { micros: 0, per_tokens: 1 };
        let model = match declared {
            Some(declared) => ir::Model { provider_default: true, ..declared },
            None => ir::Model {
                name: id.clone(),
                id: id.clone(),
                input: free,
                output: free,
                cached: None,
                file: 0,
                span: crate::span::Span::new(0, 0),
                // `sim`'s model is free, and says so; any other is simply not priced.
                priced: id == ir::SIM_MODEL,
                provider_default: true,
            },
        };
        models.push(model);
        Some(ModelId(models.len() - 1))
    }

    pub(super) fn resolve_workflow(&mut self, module: usize, path: &ast::Path) -> Option<WorkflowId> {
        let (target, name, aliased) = self.qualify(module, path)?;
        if let Some(&id) = self.modules[target].workflows.get(&name.name) {
            return Some(id);
        }
        let help = suggest::help(&name.name, self.modules[target].workflows.keys().map(String::as_str));
        let error = if aliased {
            CheckDiagnostic::UnknownItem {
                module: path.segments[0].name.clone(),
                kind: "workflow",
                name: name.name.clone(),
                span: name.span,
                help,
            }
        } else {
            CheckDiagnostic::UnknownWorkflow { name: name.name.clone(), span: name.span, help }
        };
        self.report(module, error);
        None
    }

    /// Evaluates every constant, so that one nothing uses still reports its own errors.
    pub(super) fn evaluate_consts(&mut self) {
        for module in 0..self.modules.len() {
            let names: Vec<(String, Span)> =
                self.modules[module].consts.iter().map(|(name, item)| (name.clone(), item.name.span)).collect();
            for (name, span) in names {
                let was_used = self.used.contains(&(module, name.clone()));
                self.const_value(module, &name, span);
                if !was_used {
                    self.used.remove(&(module, name));
                }
            }
        }
    }

    /// Warnings for constants and modules nothing refers to.
    ///
    /// Not for a module with a syntax error that skipped text: the text that did not parse may
    /// be what uses them (a half-typed line in the editor), and a warning about it would be
    /// wrong until it is finished.
    pub(super) fn report_unused(&mut self) {
        let broken: HashSet<FileId> = (self.loaded.diagnostics.iter())
            .filter(|diagnostic| crate::syntax::SKIPS_TEXT.contains(&diagnostic.code().as_str()))
            .map(|diagnostic| diagnostic.file)
            .collect();
        let mut warnings = Vec::new();
        for (module, scope) in self.modules.iter().enumerate() {
            if broken.contains(&self.loaded.modules[module].file) {
                continue;
            }
            for (name, item) in &scope.consts {
                if !self.used.contains(&(module, name.clone())) {
                    warnings.push((module, CheckDiagnostic::UnusedConst { name: name.clone(), span: item.name.span }));
                }
            }
            for (name, (_, span)) in &scope.aliases {
                if !self.used.contains(&(module, name.clone())) {
                    warnings.push((module, CheckDiagnostic::UnusedModule { name: name.clone(), span: *span }));
                }
            }
        }
        for (module, warning) in warnings {
            self.report(module, warning);
        }
    }
}

/// Converts an `int` default to `float` when the parameter is `float`.
/// `value` as a value of `ty`: an `int` where a `float` is wanted becomes one, inside lists
/// and records too.
pub(super) fn promote(value: Value, ty: &Type) -> Value {
    match (value, ty) {
        #[allow(clippy::cast_precision_loss)]
        (Value::Int(n), Type::Float) => Value::Float(n as f64),
        (Value::List(items), Type::List(elem)) => {
            Value::List(items.into_iter().map(|item| promote(item, elem)).collect())
        }
        (Value::Record(fields), Type::Record(types)) => Value::Record(
            fields
                .into_iter()
                .map(|(name, value)| {
                    let value = match types.get(&name) {
                        Some(ty) => promote(value, ty),
                        None => value,
                    };
                    (name, value)
                })
                .collect(),
        ),
        (value, _) => value,
    }
}

pub(super) fn path_text(path: &ast::Path) -> String {
    path.segments.iter().map(|segment| segment.name.as_str()).collect::<Vec<_>>().join(".")
}

pub(super) fn invalid_choice(what: &'static str, found: &ast::Ident, choices: &[&str]) -> CheckDiagnostic {
    CheckDiagnostic::InvalidChoice {
        what,
        found: found.name.clone(),
        span: found.span,
        choices: choices.join(", "),
        help: suggest::help(&found.name, choices.iter().copied()),
    }
}

fn mismatch(expected: &str, literal: &ast::Literal, context: &str) -> CheckDiagnostic {
    CheckDiagnostic::TypeMismatch {
        expected: expected.to_string(),
        found: literal.text.clone(),
        span: literal.span,
        context: context.to_string(),
    }
}
