//! The picture in Graphviz DOT (`--format dot`): one digraph, one `cluster_N` subgraph per
//! workload. Written as text rather than through petgraph's `Dot`, which draws no clusters.
//! Every id, label and attribute value goes through [`quote`]: resource ids and names come
//! from the snapshot, which is input. Labels are escaped line by line by
//! [`terminal_text`](super::terminal_text) first, since the DOT file is often read on a terminal.

use std::fmt::Write as _;

use super::label_lines;
use super::model::{Group, NodeKind, Tone};
use super::terminal_text::{self, is_unsafe, push_escape};

pub fn dot(groups: &[Group]) -> String {
    let mut out = String::from("digraph pullpath {\n");
    out.push_str(
        "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, nodesep=0.2, ranksep=0.45];\n",
    );
    out.push_str(
        "  node [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=10, margin=\"0.1,0.04\"];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (g, group) in groups.iter().enumerate() {
        // Node ids are global in DOT, clusters or not: each carries its group's number.
        let id = |node: usize| {
            quote(&format!(
                "w{g}/{}",
                terminal_text::escaped(&group.nodes[node].key)
            ))
        };
        let _ = writeln!(out, "  subgraph {} {{", quote(&format!("cluster_{g}")));
        let _ = writeln!(
            out,
            "    graph [label={}, labeljust=l, color={}, penwidth=1.5];",
            quote(&label_lines(&group.title)),
            quote(tone_colour(group.tone))
        );
        for (n, node) in group.nodes.iter().enumerate() {
            let _ = writeln!(
                out,
                "    {} [label={}{}];",
                id(n),
                quote(&label_lines(&node.lines)),
                node_style(node.kind, node.tone)
            );
        }
        for edge in &group.edges {
            let _ = writeln!(
                out,
                "    {} -> {} [label={}{}];",
                id(edge.from),
                id(edge.to),
                quote(&terminal_text::escaped(&edge.label)),
                edge_style(edge.tone)
            );
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// A DOT double-quoted string. Inside one, `\"` is a quote; Graphviz then reads `\\` as a
/// backslash and `\n` as a line break in labels. Escaping every backslash also keeps a
/// trailing one from swallowing the closing quote. Any other character
/// [`terminal_text`](super::terminal_text) finds unsafe is written as its escape (`\\u{1b}` in
/// DOT, shown as `\u{1b}`).
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if is_unsafe(c) => {
                let mut escape = String::new();
                push_escape(&mut escape, c);
                out.push_str(&escape.replace('\\', "\\\\"));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn tone_colour(tone: Tone) -> &'static str {
    match tone {
        Tone::Plain => "black",
        Tone::Reachable => "darkgreen",
        Tone::NotReached => "gray60",
        Tone::Suppressed => "gray45",
        Tone::Unknown => "darkorange",
        Tone::Blocked => "red",
    }
}

fn node_style(kind: NodeKind, tone: Tone) -> String {
    let shape = match kind {
        NodeKind::Task => "box",
        NodeKind::Hop(_) => "box",
        NodeKind::Host => "ellipse",
        NodeKind::Resource | NodeKind::Note => "note",
    };
    let (style, fill) = match (kind, tone) {
        (NodeKind::Task, _) => ("rounded,filled", "lightsteelblue1"),
        (_, Tone::Blocked) => ("rounded,filled,bold", "mistyrose"),
        (_, Tone::Unknown) => ("rounded,filled,dashed", "papayawhip"),
        (_, Tone::Suppressed) => ("rounded,filled,dashed", "gray95"),
        (_, Tone::Reachable) => ("rounded,filled", "honeydew"),
        (_, Tone::Plain | Tone::NotReached) => ("rounded", "white"),
    };
    let colour = match kind {
        NodeKind::Task => "black",
        _ => tone_colour(tone),
    };
    let mut out = format!(
        ", shape={}, style={}, color={}, fillcolor={}",
        quote(shape),
        quote(style),
        quote(colour),
        quote(fill)
    );
    if tone == Tone::Blocked {
        out.push_str(", penwidth=2.5, fontcolor=\"red\"");
    }
    out
}

fn edge_style(tone: Tone) -> String {
    let style = match tone {
        Tone::Blocked => "bold",
        Tone::Unknown | Tone::Suppressed => "dashed",
        Tone::NotReached => "dotted",
        Tone::Plain | Tone::Reachable => "solid",
    };
    let colour = quote(tone_colour(tone));
    let mut out = format!(
        ", color={colour}, fontcolor={colour}, style={}",
        quote(style)
    );
    if tone == Tone::Blocked {
        out.push_str(", penwidth=2.5");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoting_escapes_quotes_backslashes_and_newlines() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        assert_eq!(quote("ends with \\"), "\"ends with \\\\\"");
        assert_eq!(quote("two\nlines"), "\"two\\nlines\"");
        assert_eq!(quote("tab\there\r"), "\"tab\\\\u{9}here\\\\u{d}\"");
        assert_eq!(
            quote("\u{1b}]0;x\u{7}\u{202e}"),
            r#""\\u{1b}]0;x\\u{7}\\u{202e}""#
        );
    }
}
