//! `wf explain CODE`: the long explanation of a diagnostic code.
//!
//! The text is `docs/diagnostics.md`, compiled into the binary: one `## CODE` section per
//! code, whose first ```` ```wf ```` block fails with that code and whose second is the fix.
//! One source for the docs and the command, so they cannot drift apart.

pub const DOCS: &str = include_str!("../docs/diagnostics.md");

/// One code's section.
#[derive(Debug, Clone)]
pub struct Entry {
    pub code: String,
    /// The whole section, heading included.
    pub text: String,
    /// The example that triggers the code.
    pub failing: Option<String>,
    /// The same example, fixed.
    pub fixed: Option<String>,
}

pub fn entries() -> Vec<Entry> {
    let mut out = Vec::new();
    let mut sections = DOCS.split("\n## ").skip(1);
    for section in sections.by_ref() {
        let heading = section.lines().next().unwrap_or_default();
        let code = heading.trim().trim_matches('`').to_string();
        if !code.starts_with("wf::") {
            continue;
        }
        let text = format!("## {}", section.trim_end());
        let mut blocks = code_blocks(section);
        let failing = blocks.next();
        let fixed = blocks.next();
        out.push(Entry { code, text, failing, fixed });
    }
    out
}

/// The text of every ```` ```wf ```` block, in order.
fn code_blocks(section: &str) -> impl Iterator<Item = String> + '_ {
    section.split("```wf\n").skip(1).filter_map(|rest| rest.split_once("```").map(|(block, _)| block.to_string()))
}

pub fn lookup(code: &str) -> Option<Entry> {
    let wanted = if code.starts_with("wf::") { code.to_string() } else { format!("wf::{code}") };
    entries().into_iter().find(|entry| entry.code == wanted || entry.code.ends_with(&format!("::{code}")))
}
