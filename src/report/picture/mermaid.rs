//! The picture as a Mermaid flowchart (`--format mermaid`), which GitHub and GitLab draw in
//! Markdown. Mermaid ids may only be letters, digits and underscores, so every node gets a
//! made-up id (`w0n3`: workload 0, node 3) and its real name goes into a quoted label.
//! Links are styled by their position in the whole chart (`linkStyle N`), so they are
//! counted as they are written.

use std::fmt::Write as _;

use super::label_lines;
use super::model::{Group, NodeKind, Tone};
use super::terminal_text::{self, is_unsafe, push_escape};

pub fn mermaid(groups: &[Group]) -> String {
    let mut out = String::from("flowchart LR\n");
    // Link numbers by tone, for the `linkStyle` lines at the end.
    let mut styled: Vec<(Tone, Vec<usize>)> = Vec::new();
    let mut link = 0;
    // Nodes by class (name and style), for the `classDef` and `class` lines at the end.
    let mut classes: Vec<((&str, &str), Vec<String>)> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph w{g} [{}]",
            label(&label_lines(&group.title))
        );
        out.push_str("    direction LR\n");
        for (n, node) in group.nodes.iter().enumerate() {
            let text = label(&label_lines(&node.lines));
            let shape = match node.kind {
                NodeKind::Task => format!("[[{text}]]"),
                NodeKind::Host => format!("([{text}])"),
                NodeKind::Hop(_) => format!("[{text}]"),
                NodeKind::Resource | NodeKind::Note => format!(">{text}]"),
            };
            let _ = writeln!(out, "    w{g}n{n}{shape}");
            if let Some(class) = node_class(node.kind, node.tone) {
                match classes.iter_mut().find(|(c, _)| *c == class) {
                    Some((_, ids)) => ids.push(format!("w{g}n{n}")),
                    None => classes.push((class, vec![format!("w{g}n{n}")])),
                }
            }
        }
        for edge in &group.edges {
            let arrow = match edge.tone {
                Tone::Blocked => "==>",
                Tone::Unknown | Tone::Suppressed | Tone::NotReached => "-.->",
                Tone::Plain | Tone::Reachable => "-->",
            };
            let _ = writeln!(
                out,
                "    w{g}n{} {arrow}|{}| w{g}n{}",
                edge.from,
                label(&terminal_text::escaped(&edge.label)),
                edge.to
            );
            if edge.tone > Tone::Reachable {
                match styled.iter_mut().find(|(t, _)| *t == edge.tone) {
                    Some((_, links)) => links.push(link),
                    None => styled.push((edge.tone, vec![link])),
                }
            }
            link += 1;
        }
        out.push_str("  end\n");
    }
    for ((class, style), ids) in classes {
        let _ = writeln!(out, "  classDef {class} {style}");
        let _ = writeln!(out, "  class {} {class}", ids.join(","));
    }
    for (tone, links) in styled {
        let numbers: Vec<String> = links.iter().map(usize::to_string).collect();
        let _ = writeln!(
            out,
            "  linkStyle {} {}",
            numbers.join(","),
            link_style(tone)
        );
    }
    out
}

/// A quoted Mermaid label. Inside quotes Mermaid reads `#name;` and `#123;` as entities and
/// the text as HTML, so `"`, `#`, `<`, `>`, `&` and `|` (which ends an edge label) are
/// written as entities, and line breaks as `<br/>`. Any other character
/// [`terminal_text`](super::terminal_text) finds unsafe is written as its escape (`\u{1b}`).
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '\n' => out.push_str("<br/>"),
            c if is_unsafe(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The class of a node and the class's style.
fn node_class(kind: NodeKind, tone: Tone) -> Option<(&'static str, &'static str)> {
    match (kind, tone) {
        (NodeKind::Task, _) => Some(("task", "fill:lightsteelblue,stroke:black")),
        (_, Tone::Blocked) => Some((
            "blocked",
            "fill:mistyrose,stroke:red,stroke-width:3px,color:red",
        )),
        (_, Tone::Unknown) => Some((
            "unknown",
            "fill:papayawhip,stroke:darkorange,stroke-dasharray:4 3",
        )),
        (_, Tone::Suppressed) => Some((
            "suppressed",
            "fill:whitesmoke,stroke:gray,stroke-dasharray:4 3",
        )),
        (_, Tone::Reachable) => Some(("reachable", "fill:honeydew,stroke:darkgreen")),
        (_, Tone::Plain | Tone::NotReached) => None,
    }
}

fn link_style(tone: Tone) -> &'static str {
    match tone {
        Tone::Blocked => "stroke:red,stroke-width:3px,color:red",
        Tone::Unknown => "stroke:darkorange,color:darkorange",
        Tone::Suppressed => "stroke:gray,color:gray",
        Tone::NotReached => "stroke:lightgray,color:gray",
        Tone::Plain | Tone::Reachable => "stroke:black",
    }
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn labels_escape_what_mermaid_would_read() {
        assert_eq!(label("plain"), "\"plain\"");
        assert_eq!(
            label("a\"b#c<d>e&f|g"),
            "\"a#quot;b#35;c#lt;d#gt;e#amp;f#124;g\""
        );
        assert_eq!(label("two\nlines"), "\"two<br/>lines\"");
        assert_eq!(
            label("\u{1b}]0;x\u{7}\u{202e}\r"),
            r#""\u{1b}]0;x\u{7}\u{202e}\u{d}""#
        );
    }
}
