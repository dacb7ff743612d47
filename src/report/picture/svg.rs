//! A group as an SVG drawing, for the HTML report: no Graphviz, no script. Nodes are laid out
//! in columns by their distance from the task (longest path, so a hop always sits right of
//! what leads to it) and in rows by order of appearance; edges are straight arrows, labelled
//! with the code they carry. Text is escaped by maud.

use maud::{html, Markup};

use super::model::{Group, NodeKind, Tone};

const COLUMN: f64 = 210.0;
const ROW: f64 = 64.0;
const NODE_WIDTH: f64 = 160.0;
const NODE_HEIGHT: f64 = 44.0;
const MARGIN: f64 = 12.0;

fn stroke(tone: Tone) -> &'static str {
    match tone {
        Tone::Plain => "#555",
        Tone::Reachable => "#1a7f37",
        Tone::NotReached => "#aaa",
        Tone::Suppressed => "#8250df",
        Tone::Unknown => "#bf8700",
        Tone::Blocked => "#cf222e",
    }
}

/// A node's text, cut to fit its box (the full text is its tooltip).
fn fit(line: &str) -> String {
    const MAX: usize = 24;
    if line.chars().count() <= MAX {
        line.to_string()
    } else {
        let cut: String = line.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

/// Each node's column: the longest path from a node without incoming edges.
fn columns(group: &Group) -> Vec<usize> {
    let mut column = vec![0usize; group.nodes.len()];
    // Edges go forward (task → hops → hosts); relaxing as many times as there are nodes
    // settles every longest path of a DAG and stops on anything else.
    for _ in 0..group.nodes.len() {
        let mut changed = false;
        for edge in &group.edges {
            if edge.from < column.len()
                && edge.to < column.len()
                && column[edge.to] < column[edge.from] + 1
            {
                column[edge.to] = column[edge.from] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    column
}

/// The group as an `<svg>` element.
pub fn svg(group: &Group) -> Markup {
    let columns = columns(group);
    let mut rows_used: Vec<usize> = Vec::new();
    let mut place = Vec::with_capacity(group.nodes.len());
    for &column in &columns {
        if rows_used.len() <= column {
            rows_used.resize(column + 1, 0);
        }
        let row = rows_used[column];
        rows_used[column] += 1;
        place.push((MARGIN + column as f64 * COLUMN, MARGIN + row as f64 * ROW));
    }
    let width = MARGIN * 2.0 + (rows_used.len().max(1) as f64 - 1.0) * COLUMN + NODE_WIDTH;
    let height = MARGIN * 2.0
        + (rows_used.iter().copied().max().unwrap_or(1) as f64 - 1.0) * ROW
        + NODE_HEIGHT;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="path" width=(width) height=(height)
            viewBox=(format!("0 0 {width} {height}")) role="img" {
            defs {
                @for tone in [Tone::Plain, Tone::Reachable, Tone::NotReached, Tone::Suppressed, Tone::Unknown, Tone::Blocked] {
                    marker id=(format!("arrow-{}", tone as u8)) viewBox="0 0 10 10" refX="10" refY="5"
                        markerWidth="8" markerHeight="8" orient="auto-start-reverse" {
                        path d="M 0 0 L 10 5 L 0 10 z" fill=(stroke(tone)) {}
                    }
                }
            }
            @for edge in &group.edges {
                @if let (Some(from), Some(to)) = (place.get(edge.from), place.get(edge.to)) {
                    @let (x1, y1) = (from.0 + NODE_WIDTH, from.1 + NODE_HEIGHT / 2.0);
                    @let (x2, y2) = (to.0, to.1 + NODE_HEIGHT / 2.0);
                    line x1=(x1) y1=(y1) x2=(x2) y2=(y2) stroke=(stroke(edge.tone))
                        stroke-width=(if edge.tone == Tone::Blocked { "2.5" } else { "1.5" })
                        stroke-dasharray=(if edge.tone == Tone::NotReached { "4 3" } else { "none" })
                        marker-end=(format!("url(#arrow-{})", edge.tone as u8)) {}
                    @if !edge.label.is_empty() {
                        text x=((x1 + x2) / 2.0) y=((y1 + y2) / 2.0 - 4.0) text-anchor="middle"
                            class="edge-label" fill=(stroke(edge.tone)) { (fit(&edge.label)) }
                    }
                }
            }
            @for (node, (x, y)) in group.nodes.iter().zip(&place) {
                g class="node" {
                    title { (node.lines.join(" · ")) }
                    rect x=(x) y=(y) width=(NODE_WIDTH) height=(NODE_HEIGHT)
                        rx=(if matches!(node.kind, NodeKind::Host) { "22" } else { "4" })
                        fill="#fff" stroke=(stroke(node.tone))
                        stroke-width=(if node.tone == Tone::Blocked { "2.5" } else { "1.2" }) {}
                    @for (i, line) in node.lines.iter().take(2).enumerate() {
                        text x=(x + NODE_WIDTH / 2.0) y=(y + 18.0 + i as f64 * 16.0)
                            text-anchor="middle" { (fit(line)) }
                    }
                }
            }
        }
    }
}
