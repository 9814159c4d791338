//! Records and values checked against a declared type: record literals, and the literals of
//! constants, parameter defaults and call arguments read with the type they must have, so a
//! missing, unknown or mistyped field is reported at the field.

use indexmap::IndexMap;

use super::cx::Cx;
use super::expr::fold;
use super::CheckDiagnostic;
use crate::ir::{Expr, ExprKind, Type};
use crate::span::Span;
use crate::suggest;
use crate::syntax::ast;

impl Cx<'_, '_> {
    /// `{ name: value, ... }` with no type expected: each field as written.
    pub fn record(&mut self, fields: &[ast::FieldInit], span: Span) -> Expr {
        let mut checked: IndexMap<String, Expr> = IndexMap::new();
        let mut spans: IndexMap<&str, Span> = IndexMap::new();
        for field in fields {
            let value = self.expr(&field.value);
            if let Some(&first) = spans.get(field.name.name.as_str()) {
                self.report(CheckDiagnostic::DuplicateName {
                    name: field.name.name.clone(),
                    span: field.name.span,
                    first,
                });
                continue;
            }
            spans.insert(&field.name.name, field.name.span);
            checked.insert(field.name.name.clone(), value);
        }
        let ty = Type::Record(checked.iter().map(|(name, value)| (name.clone(), value.ty.clone())).collect());
        fold(Expr { kind: ExprKind::Record(checked), ty, span })
    }

    /// `expr` read as a value of type `expected`, reporting where it differs: a record literal
    /// field by field (missing, unknown, of another type), a list literal item by item, and
    /// anything else whole, with `context` saying why the type is wanted. The result has the
    /// expected type where it fits.
    pub fn expr_as(&mut self, expr: &ast::Expr, expected: &Type, context: &str) -> Expr {
        match (&expr.kind, expected) {
            (ast::ExprKind::Record(fields), Type::Record(wanted)) => self.record_as(fields, wanted, expr.span, context),
            (ast::ExprKind::List(items), Type::List(elem)) => {
                let checked: Vec<Expr> = items.iter().map(|item| self.expr_as(item, elem, context)).collect();
                fold(Expr { kind: ExprKind::List(checked), ty: expected.clone(), span: expr.span })
            }
            _ => {
                let checked = self.expr(expr);
                if self.expect_type(&checked, expected, context) {
                    checked
                } else {
                    Expr { ty: Type::Unknown, ..checked }
                }
            }
        }
    }

    fn record_as(
        &mut self,
        fields: &[ast::FieldInit],
        wanted: &IndexMap<String, Type>,
        span: Span,
        context: &str,
    ) -> Expr {
        let mut checked: IndexMap<String, Expr> = IndexMap::new();
        let mut spans: IndexMap<&str, Span> = IndexMap::new();
        let mut fits = true;
        let shape = Type::Record(wanted.clone());
        for field in fields {
            let name = field.name.name.as_str();
            if let Some(&first) = spans.get(name) {
                self.report(CheckDiagnostic::DuplicateName { name: name.to_owned(), span: field.name.span, first });
                fits = false;
                continue;
            }
            spans.insert(name, field.name.span);
            let Some(ty) = wanted.get(name) else {
                self.expr(&field.value);
                let missing = wanted.keys().filter(|known| !fields.iter().any(|f| f.name.name == **known));
                let help = suggest::help(name, missing.map(String::as_str))
                    .or_else(|| Some(format!("`{shape}` has the fields {}", field_list(wanted))));
                self.report(CheckDiagnostic::UnknownField {
                    field: name.to_owned(),
                    what: format!("`{shape}`"),
                    span: field.name.span,
                    help,
                });
                fits = false;
                continue;
            };
            let value = self.expr_as(&field.value, ty, &format!("field `{name}` of {context}"));
            fits &= !value.ty.is_unknown();
            checked.insert(name.to_owned(), value);
        }
        let missing: Vec<&String> = wanted.keys().filter(|name| !spans.contains_key(name.as_str())).collect();
        if !missing.is_empty() {
            let list = missing.iter().map(|name| format!("`{name}: {}`", wanted[*name])).collect::<Vec<_>>().join(", ");
            self.report(CheckDiagnostic::MissingField {
                fields: list,
                plural: if missing.len() == 1 { "" } else { "s" },
                span,
                help: Some(format!("every field of `{shape}` needs a value")),
            });
            fits = false;
        }
        let ty = if fits { shape } else { Type::Unknown };
        fold(Expr { kind: ExprKind::Record(checked), ty, span })
    }
}

fn field_list(fields: &IndexMap<String, Type>) -> String {
    fields.keys().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}
