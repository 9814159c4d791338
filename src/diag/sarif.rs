//! SARIF 2.1.0 (`wf check --format sarif`), the format GitHub code scanning reads: one run of the
//! `wf` tool whose rules are every documented code, with its help from `docs/diagnostics.md`,
//! and one result per diagnostic, placed by file, line and column.

use codespan_reporting::files::SimpleFiles;
use serde_json::{json, Value};

use super::position::position;
use super::{Diagnostic, Severity};
use crate::explain;

/// The published schema the output follows.
pub const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

pub(super) fn sarif(diagnostics: &[Diagnostic], files: &SimpleFiles<&str, &str>) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for entry in explain::entries() {
        rules.push(rule(&entry));
        ids.push(entry.code);
    }
    let mut results = Vec::new();
    for diagnostic in diagnostics {
        let code = diagnostic.code();
        let index = match ids.iter().position(|id| *id == code) {
            Some(index) => index,
            None => {
                // Every code is documented (a test holds it); should one slip through, it
                // still gets a rule, as SARIF wants one per `ruleIndex`.
                rules.push(json!({ "id": code, "shortDescription": { "text": code } }));
                ids.push(code.clone());
                ids.len() - 1
            }
        };
        let span = diagnostic.span();
        let start = position(files, diagnostic.file, span.start);
        let end = position(files, diagnostic.file, span.end);
        let name = files.get(diagnostic.file).map_or("", |file| *file.name());
        let mut message = diagnostic.message();
        if let Some(help) = diagnostic.help() {
            message.push_str("\nhelp: ");
            message.push_str(&help);
        }
        results.push(json!({
            "ruleId": code,
            "ruleIndex": index,
            "level": match diagnostic.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            "message": { "text": message },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(name) },
                    "region": {
                        "startLine": start.line,
                        "startColumn": start.column,
                        "endLine": end.line,
                        "endColumn": end.column,
                    },
                },
            }],
        }));
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "wf",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                },
            },
            // Columns count characters, as everywhere else wf prints a position.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// A rule for one documented code: its first sentence as the short description, its whole
/// section as help, and where to read more.
fn rule(entry: &explain::Entry) -> Value {
    let body = entry.text.split_once('\n').map_or("", |(_, body)| body).trim();
    let summary = body.lines().next().unwrap_or_default().trim();
    let short = entry.code.rsplit("::").next().unwrap_or(&entry.code);
    let more = format!("`wf explain {}` prints this with an example that triggers it and its fix.", entry.code);
    json!({
        "id": entry.code,
        "name": short,
        "shortDescription": { "text": summary },
        "fullDescription": { "text": summary },
        "help": {
            "text": format!("{body}\n\n{more}"),
            "markdown": format!("{body}\n\n{more}"),
        },
    })
}

/// A file name as a URI reference: relative paths stay relative (code scanning resolves them
/// against the repository), absolute ones become `file://` URIs; anything outside the
/// unreserved characters and `/` is percent-encoded.
fn uri(name: &str) -> String {
    let name = name.strip_prefix("./").unwrap_or(name);
    let mut out = String::new();
    if name.starts_with('/') {
        out.push_str("file://");
    }
    for byte in name.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(char::from(byte)),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
