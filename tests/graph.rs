#![allow(clippy::disallowed_methods)] // Tests read fixtures and run the binary.

//! `wf graph`: snapshots of both formats for every example (tests/render/graphs.sh renders
//! them with the real renderers), the shape of the graph for each construct, escaping, and
//! the command's exit codes.

mod common;

use std::path::Path;
use std::process::Command;

use wf::graph::{self, EdgeStyle, Format, Graph, Item, NodeKind};

fn render(path: &Path, format: Format) -> String {
    let outcome = common::check_file(path);
    assert!(!outcome.checked.has_errors(), "{}", common::render(&outcome, wf::diag::Format::Short));
    let program = &outcome.checked.program;
    let workflow = program.entry_workflow(None).expect("one workflow");
    graph::render(program, workflow, &indexmap::IndexMap::new(), format)
}

#[test]
fn mermaid_of_every_example() {
    insta::glob!("../examples", "*.wf", |path| insta::assert_snapshot!(render(path, Format::Mermaid)));
}

#[test]
fn dot_of_every_example() {
    insta::glob!("../examples", "*.wf", |path| insta::assert_snapshot!(render(path, Format::Dot)));
}

#[test]
fn labels_that_need_escaping() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/render/labels.wf");
    let mermaid = render(&path, Format::Mermaid);
    let dot = render(&path, Format::Dot);
    // Inside a Mermaid label only entity codes stand for quotes, braces, brackets and the rest.
    for line in mermaid.lines().filter(|line| line.contains("[\"") || line.contains("|\"")) {
        let inner = line.split_once('"').and_then(|(_, rest)| rest.rsplit_once('"')).map(|(inner, _)| inner);
        let inner = inner.unwrap_or_else(|| panic!("no quoted label in {line}"));
        // `<br>` separates a label's lines; nothing else may look like markup.
        for part in inner.split("<br>") {
            for raw in ['"', '{', '}', '[', ']', '|', '<', '>', '`'] {
                assert!(!part.contains(raw), "raw {raw:?} in a Mermaid label: {line}");
            }
        }
    }
    assert!(mermaid.contains("echo #quot;literal#quot; #123;#123;name#125;#125;"), "{mermaid}");
    assert!(mermaid.contains("(at most 2) #35;end"), "{mermaid}");
    // DOT needs only quotes and backslashes escaped.
    assert!(dot.contains(r#"echo \"literal\" {{name}} 'single' \\ back\\slash;"#), "{dot}");
    assert!(dot.contains(r#"label="name == \"say \\\"hi\\\" & <bye>\" or contains(items,…""#), "{dot}");
    insta::assert_snapshot!("labels_mermaid", mermaid);
    insta::assert_snapshot!("labels_dot", dot);
}

fn graph_of(text: &str) -> Graph {
    let outcome = common::check_text(text);
    assert!(!outcome.checked.has_errors(), "{}", common::render(&outcome, wf::diag::Format::Short));
    let program = &outcome.checked.program;
    graph::graph(program, program.entry_workflow(None).expect("one workflow"), &indexmap::IndexMap::new())
}

/// Every node, clusters opened, with the titles of the clusters around it.
fn nodes(items: &[Item], out: &mut Vec<(NodeKind, String, String)>, around: &str) {
    for item in items {
        match item {
            Item::Node(node) => out.push((node.kind, node.lines[0].clone(), around.to_string())),
            Item::Cluster(cluster) => nodes(&cluster.items, out, &cluster.lines.join(" · ")),
        }
    }
}

/// `(from, to, label, style)` with nodes named by their first line.
fn edges(graph: &Graph) -> Vec<(String, String, Option<String>, EdgeStyle)> {
    let mut all = Vec::new();
    fn names(items: &[Item], out: &mut Vec<(String, String)>) {
        for item in items {
            match item {
                Item::Node(node) => out.push((node.id.clone(), node.lines[0].clone())),
                Item::Cluster(cluster) => names(&cluster.items, out),
            }
        }
    }
    let mut named = Vec::new();
    names(&graph.items, &mut named);
    let name = |id: &str| named.iter().find(|(known, _)| known == id).map(|(_, name)| name.clone()).unwrap();
    for edge in &graph.edges {
        all.push((name(&edge.from), name(&edge.to), edge.label.clone(), edge.style));
    }
    all.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    all
}

fn edge(from: &str, to: &str, label: Option<&str>, style: EdgeStyle) -> (String, String, Option<String>, EdgeStyle) {
    (from.to_string(), to.to_string(), label.map(String::from), style)
}

#[test]
fn parallel_forks_to_each_child_and_joins_them() {
    let graph = graph_of("workflow w() { parallel checks max 2 { run a \"a\" run b \"b\" } run c \"c\" }");
    let flow = EdgeStyle::Flow;
    assert_eq!(
        edges(&graph),
        [
            edge("join", "run c", None, flow),
            edge("parallel checks max 2", "run a", None, flow),
            edge("parallel checks max 2", "run b", None, flow),
            edge("run a", "join", None, flow),
            edge("run b", "join", None, flow),
            edge("run c", "end", None, flow),
            edge("start", "parallel checks max 2", None, flow),
        ]
    );
}

#[test]
fn if_branches_carry_their_conditions_and_a_missing_else_passes_by() {
    let graph = graph_of(
        "workflow w(n: int = 1) { run probe \"x\" if probe.exit_code == 2 { run a \"a\" } \
         else if n > 3 { fail \"too many: {{n}}\" } run after \"b\" }",
    );
    let flow = EdgeStyle::Flow;
    assert_eq!(
        edges(&graph),
        [
            edge("if", "fail", Some("n > 3"), flow),
            edge("if", "run a", Some("probe.exit_code == 2"), flow),
            edge("if", "run after", Some("else"), flow),
            edge("run a", "run after", None, flow),
            edge("run after", "end", None, flow),
            edge("run probe", "if", None, flow),
            edge("start", "run probe", None, flow),
        ],
        "`fail` ends the run: nothing leaves it"
    );
}

#[test]
fn loops_show_their_bound_and_go_back() {
    let graph = graph_of(
        "workflow w(xs: list<string> = [\"a\", \"b\"]) {\n  repeat fixing max 3 until t.ok { run t \"t\" }\n  \
         for x in xs { run each \"{{x}}\" }\n  for y in xs parallel max 2 { run side \"{{y}}\" }\n}",
    );
    let mut all = Vec::new();
    nodes(&graph.items, &mut all, "");
    let around = |name: &str| all.iter().find(|(_, first, _)| first == name).map(|(_, _, around)| around.clone());
    assert_eq!(around("run t").as_deref(), Some("repeat fixing ×3"));
    assert_eq!(around("until t.ok").as_deref(), Some("repeat fixing ×3"));
    assert_eq!(around("run each").as_deref(), Some("for x in xs ×2"));
    assert_eq!(around("run side").as_deref(), Some("for y in xs ×2 · parallel max 2"));
    let loops: Vec<_> = edges(&graph).into_iter().filter(|edge| edge.3 == EdgeStyle::Loop).collect();
    assert_eq!(
        loops,
        [
            edge("run each", "run each", Some("next x"), EdgeStyle::Loop),
            edge("until t.ok", "run t", Some("not yet"), EdgeStyle::Loop),
        ],
        "a parallel `for` does not loop back"
    );
}

#[test]
fn a_watch_is_its_own_shape_labelled_with_its_interval_duration_and_conditions() {
    let graph = graph_of(
        "workflow w() {\n  watch health \"cat m.json\" every 30s for 10m {\n    \
         output err: percent = json(stdout, \"/e\")\n    fail when err > 1% for 5m\n    \
         pass when err < 0.1% for 3m\n    on failure rollback\n  }\n}",
    );
    let Some(Item::Node(node)) =
        graph.items.iter().find(|item| matches!(item, Item::Node(node) if node.kind == NodeKind::Watch))
    else {
        panic!("no watch node: {:?}", graph.items);
    };
    assert_eq!(
        node.lines,
        [
            "watch health every 30s for 10m",
            "cat m.json",
            "fail when err > 1% for 5m",
            "pass when err < 0.1% for 3m",
            "on failure rollback"
        ]
    );
    let outcome = common::check_text(
        "workflow w() {\n  watch health \"cat m.json\" every 30s for 10m {\n    \
         output err: percent = json(stdout, \"/e\")\n    fail when err > 1%\n  }\n}",
    );
    let program = &outcome.checked.program;
    let workflow = program.entry_workflow(None).expect("one workflow");
    let mermaid = graph::render(program, workflow, &indexmap::IndexMap::new(), Format::Mermaid);
    assert!(mermaid.contains("[\\\"watch health every 30s for 10m"), "{mermaid}");
    let dot = graph::render(program, workflow, &indexmap::IndexMap::new(), Format::Dot);
    assert!(dot.contains("shape=parallelogram, peripheries=2"), "{dot}");
}

#[test]
fn handlers_hang_off_the_run() {
    let graph =
        graph_of("workflow w() {\n  run a \"a\"\n  on failure { run alert \"x\" }\n  finally { run log \"y\" }\n}");
    let failure: Vec<_> = edges(&graph).into_iter().filter(|edge| edge.3 == EdgeStyle::Failure).collect();
    assert_eq!(
        failure,
        [edge("failed", "run alert", None, EdgeStyle::Failure), edge("run alert", "run log", None, EdgeStyle::Failure)]
    );
    assert!(edges(&graph).contains(&edge("run a", "run log", None, EdgeStyle::Flow)));
}

#[test]
fn steps_are_annotated_with_retry_timeout_estimates_and_budgets() {
    let graph = graph_of(
        "use std/models\nworkflow w() {\n  model models.haiku\n  phase build {\n    budget $2.00\n    timeout 1h\n    \
         agent a \"writer\" { prompt \"p\" retry 2 backoff 5s..1m on error timeout 10m expect 12k tokens risk high }\n  }\n}",
    );
    let Item::Cluster(phase) = &graph.items[1] else { panic!("the phase is a cluster: {graph:#?}") };
    assert_eq!(phase.lines, ["build", "timeout 1h", "budget $2.00"]);
    let Item::Node(agent) = &phase.items[0] else { panic!("the agent is a node") };
    assert_eq!(agent.kind, NodeKind::Agent);
    assert_eq!(
        agent.lines,
        [
            "agent a",
            "writer · models.haiku",
            "retry 2 backoff 5s..1m on error · timeout 10m",
            "expect 12k tokens · risk high"
        ]
    );
}

fn wf(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wf")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().unwrap()
}

#[test]
fn the_command_prints_either_format_and_fails_like_the_others() {
    let output = wf(&["graph", "examples/canary.wf", "--format", "dot"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("digraph \"canary\" {"));

    let output = wf(&["graph", "examples/canary.wf"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("\nflowchart TD\n"));

    let output = wf(&["graph", "examples/canary.wf", "--workflow", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no workflow `nope`; it has `canary`"));

    let output = wf(&["graph", "examples/canary.wf", "--format", "svg"]);
    assert_eq!(output.status.code(), Some(2), "clap rejects an unknown format");

    let output = wf(&["graph", "tests/fixtures/check/err/unknown_name.wf"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
}
