//! Pictures of pull paths: `--format dot` must be DOT that a real parser accepts, with the
//! blocking hop and edge marked; `--format mermaid` must be a well-formed flowchart; and the
//! pictures shown in the docs and the README must be what the binary draws today.

use std::collections::{BTreeSet, HashMap};

use graphviz_rust::dot_structures::{
    Attribute, Edge, EdgeTy, Graph, GraphAttributes, Id, Stmt, Vertex,
};

use crate::support::{fixture, run};

/// `pullpath audit --snapshot FIXTURE --format FORMAT`: the exit code and stdout.
fn picture(name: &str, format: &str) -> (i32, String) {
    let path = fixture(name);
    let run = run(&[
        "audit",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        format,
    ]);
    assert!(run.stderr.is_empty(), "{name}: stderr: {}", run.stderr);
    (run.code, run.stdout)
}

type Attrs = HashMap<String, String>;

/// One `cluster_N` subgraph, as read back by the parser.
#[derive(Debug, Default)]
struct Cluster {
    attrs: Attrs,
    nodes: HashMap<String, Attrs>,
    /// (from, to, attributes)
    edges: Vec<(String, String, Attrs)>,
}

impl Cluster {
    fn label(&self) -> &str {
        &self.attrs["label"]
    }

    fn red_edges(&self) -> Vec<&(String, String, Attrs)> {
        self.edges
            .iter()
            .filter(|e| e.2["color"] == "red")
            .collect()
    }
}

/// Parses DOT with graphviz-rust's grammar of the language and reads back the clusters
/// pullpath writes (statements outside clusters are only the defaults).
fn parse_dot(text: &str) -> Vec<Cluster> {
    let graph = graphviz_rust::parse(text)
        .unwrap_or_else(|e| panic!("the DOT does not parse: {e}\n{text}"));
    let Graph::DiGraph { stmts, .. } = graph else {
        panic!("not a digraph:\n{text}");
    };
    let mut clusters = Vec::new();
    for stmt in stmts {
        match stmt {
            Stmt::Subgraph(subgraph) => {
                let id = unquote(&subgraph.id);
                assert!(id.starts_with("cluster_"), "subgraph {id} is not a cluster");
                let mut cluster = Cluster::default();
                for stmt in subgraph.stmts {
                    match stmt {
                        Stmt::GAttribute(GraphAttributes::Graph(attrs)) => {
                            cluster.attrs = attrs_of(&attrs)
                        }
                        Stmt::Node(node) => {
                            let id = unquote(&node.id.0);
                            let previous =
                                cluster.nodes.insert(id.clone(), attrs_of(&node.attributes));
                            assert!(previous.is_none(), "node {id} declared twice");
                        }
                        Stmt::Edge(edge) => cluster.edges.push(edge_of(edge)),
                        other => panic!("unexpected statement in a cluster: {other:?}"),
                    }
                }
                clusters.push(cluster);
            }
            Stmt::GAttribute(_) => {}
            other => panic!("unexpected statement outside the clusters: {other:?}"),
        }
    }
    clusters
}

fn edge_of(edge: Edge) -> (String, String, Attrs) {
    let EdgeTy::Pair(Vertex::N(from), Vertex::N(to)) = edge.ty else {
        panic!("expected one node -> node edge: {edge:?}");
    };
    assert!(from.1.is_none() && to.1.is_none(), "no ports expected");
    (unquote(&from.0), unquote(&to.0), attrs_of(&edge.attributes))
}

fn attrs_of(attrs: &[Attribute]) -> Attrs {
    attrs
        .iter()
        .map(|Attribute(key, value)| (unquote(key), unquote(value)))
        .collect()
}

/// The text of an id, as Graphviz reads it in a label: `\"` a quote, `\\` a backslash, `\n`
/// a line break.
fn unquote(id: &Id) -> String {
    match id {
        Id::Plain(text) => text.clone(),
        Id::Escaped(text) => {
            let inner = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or_else(|| panic!("a quoted id without its quotes: {text}"));
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => panic!("a dangling backslash in {text}"),
                }
            }
            out
        }
        other => panic!("unexpected id {other:?}"),
    }
}

/// Every edge joins two nodes declared in its own cluster (DOT would silently create the
/// missing ones, outside the cluster).
fn assert_edges_join_declared_nodes(clusters: &[Cluster]) {
    for cluster in clusters {
        for (from, to, _) in &cluster.edges {
            for end in [from, to] {
                assert!(
                    cluster.nodes.contains_key(end),
                    "{}: edge end {end} is not declared in the cluster",
                    cluster.label()
                );
            }
        }
    }
}

#[test]
fn dot_of_the_seed_incident_marks_the_route_table_red() {
    let (code, text) = picture("private-subnet-no-egress.json", "dot");
    assert_eq!(code, 3, "exit codes are those of the other formats");
    let clusters = parse_dot(&text);
    assert_edges_join_declared_nodes(&clusters);
    let [web] = clusters.as_slice() else {
        panic!("one workload, one cluster: {clusters:?}");
    };
    assert!(web.label().starts_with("prod/web: FAIL"), "{}", web.label());
    let route_table = "w0/route-table/rtb-0a1b2c3d4e5f60003";
    assert_eq!(web.nodes[route_table]["color"], "red");
    // The five calls stop there: five red, bold edges out of it, each with its target
    // and NO_ROUTE, one to each host, each marked as the report's root cause [A].
    let red = web.red_edges();
    let labels: BTreeSet<&str> = red.iter().map(|e| e.2["label"].as_str()).collect();
    assert_eq!(
        labels,
        BTreeSet::from([
            "ecr-api: [A] NO_ROUTE",
            "ecr-dkr: [A] NO_ROUTE",
            "s3-layers: [A] NO_ROUTE",
            "secretsmanager: [A] NO_ROUTE",
            "logs: [A] NO_ROUTE",
        ])
    );
    for (from, to, attrs) in &red {
        assert_eq!(from, route_table);
        assert!(to.starts_with("w0/host/"), "{to}");
        assert_eq!(attrs["style"], "bold");
        assert_eq!(web.nodes[to]["color"], "red", "{to} is not reached");
    }
    // The hops before it pass: task → subnet → security group → network ACL → route table.
    let passing: Vec<(&str, &str)> = web
        .edges
        .iter()
        .filter(|e| e.2["color"] == "black")
        .map(|e| (e.0.as_str(), e.1.as_str()))
        .collect();
    assert_eq!(
        passing,
        [
            ("w0/task", "w0/subnet/subnet-0a1b2c3d4e5f6002a"),
            (
                "w0/subnet/subnet-0a1b2c3d4e5f6002a",
                "w0/security-group/sg-0a1b2c3d4e5f60002"
            ),
            (
                "w0/security-group/sg-0a1b2c3d4e5f60002",
                "w0/network-acl/acl-0a1b2c3d4e5f60001"
            ),
            ("w0/network-acl/acl-0a1b2c3d4e5f60001", route_table),
        ]
    );
    assert_eq!(web.edges.len(), passing.len() + red.len());
}

#[test]
fn dot_of_an_endpoint_policy_marks_only_the_layer_download() {
    let (code, text) = picture("endpoint-policy-denies.json", "dot");
    assert_eq!(code, 3);
    let clusters = parse_dot(&text);
    assert_edges_join_declared_nodes(&clusters);
    let [web] = clusters.as_slice() else {
        panic!("one cluster: {clusters:?}");
    };
    let red = web.red_edges();
    let [(from, to, attrs)] = red.as_slice() else {
        panic!("one red edge: {red:?}");
    };
    assert_eq!(from, "w0/gateway-endpoint/vpce-0a1b2c3d4e5f6e005");
    assert_eq!(
        to,
        "w0/host/prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com"
    );
    assert_eq!(attrs["label"], "s3-layers: [A] ENDPOINT_POLICY_DENIES");
    assert_eq!(web.nodes[from.as_str()]["color"], "red");
    // The other four calls reach their hosts through their interface endpoints.
    let reachable: Vec<&String> = web
        .nodes
        .iter()
        .filter(|(_, attrs)| attrs["color"] == "darkgreen")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(reachable.len(), 4, "{reachable:?}");
    assert!(reachable.iter().all(|id| id.starts_with("w0/host/")));
}

#[test]
fn dot_of_two_services_draws_one_cluster_each() {
    let (code, text) = picture("multi-service.json", "dot");
    assert_eq!(code, 3);
    let clusters = parse_dot(&text);
    assert_edges_join_declared_nodes(&clusters);
    assert_eq!(clusters.len(), 2);
    let web = clusters
        .iter()
        .find(|c| c.label().starts_with("prod/web: "))
        .expect("web's cluster");
    let worker = clusters
        .iter()
        .find(|c| c.label().starts_with("prod/worker: FAIL"))
        .expect("worker's cluster");
    assert!(web.red_edges().is_empty(), "{:?}", web.red_edges());
    // Node ids are global in DOT: the clusters share none, though the services share hops.
    let web_ids: BTreeSet<&String> = web.nodes.keys().collect();
    assert!(worker.nodes.keys().all(|id| !web_ids.contains(id)));
    // worker: no public IP in the subnet drawn (all calls stop there), and in its other
    // subnet, drawn as a resource off the path.
    let red = worker.red_edges();
    assert!(!red.is_empty());
    for (from, to, attrs) in &red {
        assert!(attrs["label"].ends_with("NO_PUBLIC_IP"), "{attrs:?}");
        assert!(from.ends_with("/subnet/subnet-0a1b2c3d4e5f6001a") || from.ends_with("/task"));
        assert!(!to.contains("/host/") || from.ends_with("/subnet-0a1b2c3d4e5f6001a"));
    }
    // Past the subnet that blocks, the calls are not reached: dotted grey, no code.
    let not_reached: Vec<_> = worker
        .edges
        .iter()
        .filter(|e| e.2["style"] == "dotted")
        .collect();
    assert!(!not_reached.is_empty());
    assert!(not_reached.iter().all(|e| !e.2["label"].contains('_')));
}

#[test]
fn dot_of_a_healthy_service_has_nothing_red() {
    let (code, text) = picture("healthy-nat.json", "dot");
    assert_eq!(code, 0);
    let clusters = parse_dot(&text);
    assert_edges_join_declared_nodes(&clusters);
    let [web] = clusters.as_slice() else {
        panic!("one cluster: {clusters:?}");
    };
    assert!(web.label().starts_with("prod/web: PASS"));
    assert!(web.red_edges().is_empty());
    assert!(web.nodes.values().all(|a| a["color"] != "red"));
    assert!(web.edges.iter().all(|e| e.2["style"] == "solid"));
    // The NAT path crosses the same network ACL twice: one node per crossing, or the
    // drawing would loop.
    assert!(web
        .nodes
        .contains_key("w0/network-acl/acl-0a1b2c3d4e5f60001"));
    assert!(web
        .nodes
        .contains_key("w0/network-acl/acl-0a1b2c3d4e5f60001/2"));
}

/// Names from the snapshot are input: quotes, backslashes and line breaks in them must
/// neither break the DOT nor the Mermaid, and must come back as written (a line break in a
/// name escaped as `\u{a}`, docs/output.md: it is not a new line of the label).
#[test]
fn odd_names_are_quoted() {
    let name = "we\"b\\ \\n\nx|y#z<w>";
    let mut snapshot: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("private-subnet-no-egress.json")).unwrap(),
    )
    .unwrap();
    let service = &mut snapshot["clusters"][0]["services"][0];
    assert_eq!(service["name"], "web", "the fixture changed: {service}");
    service["name"] = name.into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    let path = path.to_str().unwrap();

    let dot = run(&["audit", "--snapshot", path, "--format", "dot"]);
    assert_eq!(dot.code, 3, "{}", dot.stderr);
    let clusters = parse_dot(&dot.stdout);
    assert_eq!(
        clusters[0].label(),
        format!(
            "prod/{}: FAIL\n123456789012 us-east-1",
            name.replace('\n', "\\u{a}")
        )
    );
    assert_eq!(clusters[0].red_edges().len(), 5);

    let mermaid = run(&["audit", "--snapshot", path, "--format", "mermaid"]);
    assert_eq!(mermaid.code, 3, "{}", mermaid.stderr);
    check_mermaid(&mermaid.stdout);
    assert!(
        mermaid
            .stdout
            .contains("[\"prod/we#quot;b\\ \\n\\u{a}x#124;y#35;z#lt;w#gt;: FAIL<br/>"),
        "{}",
        mermaid.stdout
    );
}

/// A Mermaid link: (from, to, label).
type MermaidEdge = (String, String, String);

/// What a Mermaid flowchart must be for Mermaid to draw it as meant, checked line by line
/// (pullpath writes one statement a line): the header; subgraphs opened and closed; node
/// ids of letters, digits and underscores, each declared once before any edge uses it;
/// quoted labels free of raw quotes; `linkStyle` numbers that name real links. Returns the
/// edges (from, to, label) and the styled link numbers with their style.
fn check_mermaid(text: &str) -> (Vec<MermaidEdge>, Vec<(usize, String)>) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"), "{text}");
    let id_ok =
        |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let label_ok = |label: &str| {
        label.len() >= 2
            && label.starts_with('"')
            && label.ends_with('"')
            && !label[1..label.len() - 1].contains('"')
    };
    let mut declared: BTreeSet<String> = BTreeSet::new();
    let mut edges: Vec<MermaidEdge> = Vec::new();
    let mut styles: Vec<(usize, String)> = Vec::new();
    let mut depth = 0;
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["subgraph", id, ..] => {
                assert!(id_ok(id), "{line}");
                let title = line.split_once(" [").expect("a titled subgraph").1;
                assert!(label_ok(title.strip_suffix(']').unwrap()), "{line}");
                depth += 1;
            }
            ["end"] => {
                depth -= 1;
                assert!(depth >= 0, "`end` without a subgraph");
            }
            ["direction", "LR"] => {}
            ["classDef", name, _style @ ..] => assert!(id_ok(name), "{line}"),
            ["class", ids, class] => {
                assert!(id_ok(class), "{line}");
                for id in ids.split(',') {
                    assert!(declared.contains(id), "class of an undeclared node: {line}");
                }
            }
            ["linkStyle", numbers, style] => {
                for number in numbers.split(',') {
                    let number: usize = number.parse().expect("a link number");
                    styles.push((number, style.to_string()));
                }
            }
            [from, second, ..] if arrow_of(second).is_some() => {
                let arrow = arrow_of(second).unwrap();
                let rest = &line[line.find(arrow).unwrap() + arrow.len()..];
                let rest = rest.strip_prefix('|').expect("a labelled edge");
                let (label, to) = rest.rsplit_once("| ").expect("the label's end");
                assert!(label_ok(label), "{line}");
                for end in [from, &to] {
                    assert!(id_ok(end), "{line}");
                    assert!(
                        declared.contains(*end),
                        "edge to an undeclared node: {line}"
                    );
                }
                edges.push((from.to_string(), to.to_string(), label.to_string()));
            }
            [node, ..] => {
                let id: String = node
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(id_ok(&id), "{line}");
                let shape = &line.trim_start()[id.len()..];
                let (open, close) = [("[[", "]]"), ("([", "])"), (">", "]"), ("[", "]")]
                    .into_iter()
                    .find(|(open, close)| shape.starts_with(open) && shape.ends_with(close))
                    .unwrap_or_else(|| panic!("not a node declaration: {line}"));
                assert!(
                    label_ok(&shape[open.len()..shape.len() - close.len()]),
                    "{line}"
                );
                assert!(declared.insert(id), "node declared twice: {line}");
            }
            [] => panic!("an empty line"),
        }
    }
    assert_eq!(depth, 0, "a subgraph is not closed");
    for (number, _) in &styles {
        assert!(*number < edges.len(), "linkStyle {number}: no such link");
    }
    (edges, styles)
}

/// The arrow a word of an edge line starts with (`-->|"label`).
fn arrow_of(word: &str) -> Option<&'static str> {
    ["-->", "==>", "-.->"]
        .into_iter()
        .find(|arrow| word.starts_with(arrow))
}

#[test]
fn mermaid_of_the_seed_incident_is_well_formed_and_marks_the_blocked_links() {
    let (code, text) = picture("private-subnet-no-egress.json", "mermaid");
    assert_eq!(code, 3);
    let (edges, styles) = check_mermaid(&text);
    let blocked: BTreeSet<usize> = styles
        .iter()
        .filter(|(_, style)| style.contains("stroke:red"))
        .map(|(n, _)| *n)
        .collect();
    let labelled: BTreeSet<usize> = edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.2.contains("NO_ROUTE"))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(blocked.len(), 5);
    assert_eq!(blocked, labelled, "the red links are those with the code");
    assert!(text.contains("==>|\"ecr-api: [A] NO_ROUTE\"|"), "{text}");
    assert!(text.contains("[\"route table<br/>rtb-0a1b2c3d4e5f60003\"]"));
}

#[test]
fn mermaid_of_two_services_is_well_formed() {
    let (code, text) = picture("multi-service.json", "mermaid");
    assert_eq!(code, 3);
    let (edges, styles) = check_mermaid(&text);
    assert_eq!(text.matches("\n  subgraph ").count(), 2);
    assert!(edges.iter().any(|e| e.2.contains("NO_PUBLIC_IP")));
    // Only the worker's links are red.
    let worker = text
        .lines()
        .find(|l| l.contains("[\"prod/worker: FAIL"))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("the worker's subgraph");
    for (number, style) in &styles {
        if style.contains("stroke:red") {
            let from = &edges[*number].0;
            assert!(
                from.starts_with(&format!("{worker}n")),
                "{:?}",
                edges[*number]
            );
            assert!(edges[*number].2.contains("NO_PUBLIC_IP"));
        }
    }
    let (_, healthy) = picture("healthy-nat.json", "mermaid");
    let (_, styles) = check_mermaid(&healthy);
    assert!(styles.is_empty(), "a healthy service has no styled link");
}

/// docs/images/ holds the seed incident's picture, rendered by Graphviz from this DOT: when
/// the drawing changes, this fails until the DOT, SVG and PNG are made again (see
/// docs/pictures.md).
#[test]
fn the_pictures_in_the_docs_are_the_real_output() {
    let (_, dot) = picture("private-subnet-no-egress.json", "dot");
    let saved = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/images/private-subnet-no-egress.dot"
    ))
    .unwrap();
    assert_eq!(
        saved, dot,
        "re-render docs/images/ as docs/pictures.md says"
    );

    let (_, mermaid) = picture("private-subnet-no-egress.json", "mermaid");
    for file in ["README.md", "docs/pictures.md"] {
        let text =
            std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let start = text.find("```mermaid\n").expect("a mermaid block") + "```mermaid\n".len();
        let block = &text[start..];
        let block = &block[..block.find("```").unwrap()];
        assert_eq!(
            block, mermaid,
            "{file}: its mermaid block is not the real output"
        );
    }
}
