//! A [`Graph`] as a Mermaid flowchart: phases and loops as subgraphs, steps as shapes, edge
//! labels for conditions. Every label is a quoted string with Mermaid's entity codes for the
//! characters its parser or its HTML labels would take as syntax.

use std::fmt::Write;

use super::{ClusterKind, EdgeStyle, Graph, Item, NodeKind};

/// Fill and stroke per kind of node, shared with the DOT output.
pub(super) const PALETTE: [(NodeKind, &str, &str); 14] = [
    (NodeKind::Run, "#f1f3f4", "#5f6368"),
    (NodeKind::Agent, "#e8f0fe", "#1a73e8"),
    (NodeKind::Call, "#f3e8fd", "#9334e6"),
    (NodeKind::Gate, "#fef7e0", "#e37400"),
    (NodeKind::Wait, "#e6f4ea", "#188038"),
    (NodeKind::Watch, "#e4f7fb", "#007b83"),
    (NodeKind::Fail, "#fce8e6", "#c5221f"),
    (NodeKind::Fork, "#ffffff", "#5f6368"),
    (NodeKind::Join, "#ffffff", "#5f6368"),
    (NodeKind::Decision, "#ffffff", "#5f6368"),
    (NodeKind::Empty, "#ffffff", "#9aa0a6"),
    (NodeKind::Start, "#ffffff", "#202124"),
    (NodeKind::End, "#ffffff", "#202124"),
    (NodeKind::Failed, "#fce8e6", "#c5221f"),
];

/// Fill and stroke per kind of cluster.
pub(super) fn cluster_colors(kind: ClusterKind) -> (&'static str, &'static str) {
    match kind {
        ClusterKind::Phase => ("#f8f9fa", "#9aa0a6"),
        ClusterKind::Repeat | ClusterKind::For => ("#fffdf3", "#c09000"),
        ClusterKind::Handler => ("#fdf3f2", "#c5221f"),
    }
}

pub fn render(graph: &Graph) -> String {
    let mut out = String::new();
    let mut title = graph.title.clone();
    for note in &graph.notes {
        title.push_str(" · ");
        title.push_str(note);
    }
    // Mermaid wraps labels at 200px by default; ours are cut at 48 characters already.
    let _ = writeln!(out, "---\ntitle: {}\nconfig:\n  flowchart:\n    wrappingWidth: 400\n---", yaml_string(&title));
    out.push_str("flowchart TD\n");
    let mut classes: Vec<(NodeKind, Vec<String>)> = Vec::new();
    let mut clusters = Vec::new();
    items(&graph.items, 1, &mut out, &mut classes, &mut clusters);
    for edge in &graph.edges {
        let arrow = match edge.style {
            EdgeStyle::Flow => "-->",
            EdgeStyle::Loop | EdgeStyle::Failure => "-.->",
        };
        match &edge.label {
            Some(label) => {
                let _ = writeln!(out, "  {} {arrow}|\"{}\"| {}", edge.from, escape(label), edge.to);
            }
            None => {
                let _ = writeln!(out, "  {} {arrow} {}", edge.from, edge.to);
            }
        }
    }
    for (kind, fill, stroke) in PALETTE {
        let Some((_, ids)) = classes.iter().find(|(used, _)| *used == kind) else { continue };
        // Prefixed: `end` is a Mermaid keyword.
        let _ = writeln!(out, "  classDef wf_{} fill:{fill},stroke:{stroke},color:#202124", kind.name());
        let _ = writeln!(out, "  class {} wf_{}", ids.join(","), kind.name());
    }
    for (id, kind) in clusters {
        let (fill, stroke) = cluster_colors(kind);
        let dash = if matches!(kind, ClusterKind::Repeat | ClusterKind::For) { ",stroke-dasharray:5 3" } else { "" };
        let _ = writeln!(out, "  style {id} fill:{fill},stroke:{stroke}{dash}");
    }
    out
}

fn items(
    items: &[Item],
    depth: usize,
    out: &mut String,
    classes: &mut Vec<(NodeKind, Vec<String>)>,
    clusters: &mut Vec<(String, ClusterKind)>,
) {
    let indent = "  ".repeat(depth);
    for item in items {
        match item {
            Item::Node(node) => {
                let text = node.lines.iter().map(|line| escape(line)).collect::<Vec<_>>().join("<br>");
                let (open, close) = shape(node.kind);
                let _ = writeln!(out, "{indent}{}{open}\"{text}\"{close}", node.id);
                match classes.iter_mut().find(|(kind, _)| *kind == node.kind) {
                    Some((_, ids)) => ids.push(node.id.clone()),
                    None => classes.push((node.kind, vec![node.id.clone()])),
                }
            }
            Item::Cluster(cluster) => {
                let title = cluster.lines.iter().map(|line| escape(line)).collect::<Vec<_>>().join(" · ");
                let _ = writeln!(out, "{indent}subgraph {}[\"{title}\"]", cluster.id);
                self::items(&cluster.items, depth + 1, out, classes, clusters);
                let _ = writeln!(out, "{indent}end");
                clusters.push((cluster.id.clone(), cluster.kind));
            }
        }
    }
}

/// Mermaid's brackets for each kind of node.
fn shape(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Run => ("[", "]"),
        NodeKind::Agent => ("([", "])"),
        NodeKind::Call => ("[[", "]]"),
        NodeKind::Gate => ("{{", "}}"),
        NodeKind::Wait => ("[/", "/]"),
        NodeKind::Watch => ("[\\", "\\]"),
        NodeKind::Fail => (">", "]"),
        NodeKind::Fork => ("[/", "\\]"),
        NodeKind::Join => ("[\\", "/]"),
        NodeKind::Decision => ("{", "}"),
        NodeKind::Empty => ("(", ")"),
        NodeKind::Start | NodeKind::Failed => ("((", "))"),
        NodeKind::End => ("(((", ")))"),
    }
}

/// Text for inside a quoted Mermaid label. Mermaid decodes `#name;` and `#number;` entity
/// codes, so `#` itself is written as one; quotes would end the string, `<`, `>` and `&` would
/// be read as HTML, a backtick as Markdown, and braces, brackets and `|` as shape or edge
/// syntax by older parsers.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '[' => out.push_str("#91;"),
            ']' => out.push_str("#93;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A YAML double-quoted string.
fn yaml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_escape_what_mermaid_would_parse() {
        assert_eq!(
            escape(r#"echo "{{ticket}}" #1 [a|b] <x> & `y`"#),
            "echo #quot;#123;#123;ticket#125;#125;#quot; #35;1 #91;a#124;b#93; #lt;x#gt; #amp; #96;y#96;"
        );
        assert_eq!(escape("plain text: ok (yes)"), "plain text: ok (yes)");
    }

    #[test]
    fn titles_are_yaml_strings() {
        assert_eq!(yaml_string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
