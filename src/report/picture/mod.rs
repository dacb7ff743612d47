//! Pictures of pull paths (`pullpath audit --format dot|mermaid`): each workload's calls drawn
//! hop by hop from the task to the host they call, the hop that stops a call marked and the
//! blocker's code on the edge leaving it. [`model`] decides what is drawn; [`dot`] and
//! [`mermaid`] only write it in their notation, so the two pictures always agree.

mod dot;
mod mermaid;
mod model;
mod svg;

use super::terminal_text;
use crate::checks::ScopeAudit;
use crate::plan::ScopePlan;

/// Every workload of every scope as one Graphviz digraph (a cluster per workload); a
/// blocker that is one of the report's root causes (`plans[i]` is `scopes[i]`'s) carries its
/// id, `[A] NO_ROUTE`, as in the table.
pub fn render_dot(scopes: &[ScopeAudit], plans: &[ScopePlan]) -> String {
    dot::dot(&model::groups_of(scopes, &model::CauseIds::of(plans)))
}

/// Every workload of every scope as one Mermaid flowchart (a subgraph per workload), root
/// causes marked as in [`render_dot`].
pub fn render_mermaid(scopes: &[ScopeAudit], plans: &[ScopePlan]) -> String {
    mermaid::mermaid(&model::groups_of(scopes, &model::CauseIds::of(plans)))
}

/// Every workload of every scope as an SVG drawing (for the HTML report), with its title
/// lines, root causes marked as in [`render_dot`].
pub fn render_svgs(scopes: &[ScopeAudit], plans: &[ScopePlan]) -> Vec<(Vec<String>, maud::Markup)> {
    model::groups_of(scopes, &model::CauseIds::of(plans))
        .iter()
        .map(|group| (group.title.clone(), svg::svg(group)))
        .collect()
}

/// The lines of a label, each escaped by [`terminal_text`] (a line break inside a name is
/// part of the name, not a new line of the label), joined by line breaks.
fn label_lines(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| terminal_text::escaped(line))
        .collect::<Vec<_>>()
        .join("\n")
}
