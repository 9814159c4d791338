//! A [`Graph`] as a Graphviz digraph: phases and loops as clusters, steps as shapes, edge
//! labels for conditions, loop edges that do not pull the layout upwards.

use std::fmt::Write;

use super::mermaid::{cluster_colors, PALETTE};
use super::{ClusterKind, EdgeStyle, Graph, Item, NodeKind};

const FONT: &str = "Helvetica";

pub fn render(graph: &Graph) -> String {
    let mut out = String::new();
    let mut title = vec![graph.title.clone()];
    if !graph.notes.is_empty() {
        title.push(graph.notes.join(" · "));
    }
    let _ = writeln!(out, "digraph {} {{", quote(&graph.title));
    let _ = writeln!(
        out,
        "  graph [label={}, labelloc=t, fontname=\"{FONT}\", fontsize=14, rankdir=TB, nodesep=0.3, ranksep=0.35];",
        quote_lines(&title)
    );
    let _ = writeln!(
        out,
        "  node [fontname=\"{FONT}\", fontsize=10, style=filled, fillcolor=\"#ffffff\", color=\"#5f6368\", margin=\"0.12,0.06\"];"
    );
    let _ = writeln!(out, "  edge [fontname=\"{FONT}\", fontsize=9, color=\"#5f6368\"];");
    items(&graph.items, 1, &mut out);
    for edge in &graph.edges {
        let mut attrs = Vec::new();
        if let Some(label) = &edge.label {
            attrs.push(format!("label={}", quote(label)));
        }
        match edge.style {
            EdgeStyle::Flow => {}
            // Back edges do not rank the loop's start below its end.
            EdgeStyle::Loop => attrs.push("style=dashed, constraint=false".to_string()),
            EdgeStyle::Failure => attrs.push("style=dashed, color=\"#c5221f\"".to_string()),
        }
        if attrs.is_empty() {
            let _ = writeln!(out, "  {} -> {};", edge.from, edge.to);
        } else {
            let _ = writeln!(out, "  {} -> {} [{}];", edge.from, edge.to, attrs.join(", "));
        }
    }
    out.push_str("}\n");
    out
}

fn items(items: &[Item], depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    for item in items {
        match item {
            Item::Node(node) => {
                let (fill, stroke) = PALETTE
                    .iter()
                    .find(|(kind, _, _)| *kind == node.kind)
                    .map_or(("#ffffff", "#5f6368"), |(_, f, s)| (*f, *s));
                let _ = writeln!(
                    out,
                    "{indent}{} [label={}, {}, fillcolor=\"{fill}\", color=\"{stroke}\"];",
                    node.id,
                    quote_lines(&node.lines),
                    shape(node.kind)
                );
            }
            Item::Cluster(cluster) => {
                let (fill, stroke) = cluster_colors(cluster.kind);
                let style = match cluster.kind {
                    ClusterKind::Repeat | ClusterKind::For => "rounded,filled,dashed",
                    ClusterKind::Phase | ClusterKind::Handler => "rounded,filled",
                };
                let _ = writeln!(out, "{indent}subgraph cluster_{} {{", cluster.id);
                let _ = writeln!(
                    out,
                    "{indent}  label={}; labeljust=l; fontname=\"{FONT}\"; fontsize=11; style=\"{style}\"; fillcolor=\"{fill}\"; color=\"{stroke}\";",
                    quote(&cluster.lines.join(" · "))
                );
                self::items(&cluster.items, depth + 1, out);
                let _ = writeln!(out, "{indent}}}");
            }
        }
    }
}

fn shape(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Run => "shape=box",
        NodeKind::Agent => "shape=box, style=\"rounded,filled\"",
        NodeKind::Call => "shape=box, peripheries=2",
        NodeKind::Gate => "shape=hexagon",
        NodeKind::Wait => "shape=parallelogram",
        NodeKind::Watch => "shape=parallelogram, peripheries=2",
        NodeKind::Fail => "shape=octagon",
        NodeKind::Fork => "shape=trapezium, fontsize=9",
        NodeKind::Join => "shape=invtrapezium, fontsize=9",
        NodeKind::Decision => "shape=diamond, fontsize=9",
        NodeKind::Empty => "shape=box, style=\"rounded,dotted\"",
        NodeKind::Start | NodeKind::Failed => "shape=circle, fontsize=9",
        NodeKind::End => "shape=doublecircle, fontsize=9",
    }
}

/// A DOT string: backslashes doubled (DOT reads `\n`, `\l`, `\N`… in labels), quotes escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Several lines in one DOT label, each centred.
fn quote_lines(lines: &[String]) -> String {
    let quoted: Vec<String> = lines.iter().map(|line| quote(line)).collect();
    let inner: Vec<&str> = quoted.iter().map(|line| &line[1..line.len() - 1]).collect();
    format!("\"{}\"", inner.join("\\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_and_backslashes() {
        assert_eq!(quote(r#"echo "{{t}}" \n [x]"#), r#""echo \"{{t}}\" \\n [x]""#);
        assert_eq!(quote_lines(&["a \"b\"".into(), "c\\d".into()]), r#""a \"b\"\nc\\d""#);
    }
}
