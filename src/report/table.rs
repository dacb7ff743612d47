//! The terminal table: one block per workload, one row per requirement, then a summary line.
//! Every value from the snapshot goes through [`terminal_text`] (escaped, and cut before
//! comfy-table lays it out); the JSON report keeps it whole.

use std::collections::HashMap;

use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Attribute, Cell, Color, ContentArrangement, Table,
};

use super::terminal_text;

use crate::blocker::Status;
use crate::checks::{Origin, ScopeAudit, Severity, WorkloadResult, WorkloadStatus};
use crate::graph::Via;
use crate::workload::Launch;

/// Whether to colour the output: only for a terminal, and never with `NO_COLOR` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Always,
    Never,
}

/// How wide to draw the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// Fit the terminal the output goes to.
    Terminal,
    /// A fixed number of columns (files, pipes, tests: stable output).
    Columns(u16),
}

/// The width for output that is not a terminal: wide enough for hosts and codes.
pub const DEFAULT_WIDTH: u16 = 160;

/// Below this a table is unreadable (a terminal reporting 0 columns, `COLUMNS=0`): use
/// `DEFAULT_WIDTH` instead.
pub const MIN_WIDTH: u16 = 40;

pub fn render_table(results: &[WorkloadResult], colour: Colour, width: Width) -> String {
    render_table_with(results, colour, width, |_| None)
}

/// The table, with a text block (a diagnosis) printed above each workload's rows.
pub fn render_table_with(
    results: &[WorkloadResult],
    colour: Colour,
    width: Width,
    preface: impl Fn(usize) -> Option<String>,
) -> String {
    let mut out = workload_blocks(results, colour, width, preface);
    out.push_str(&summary(results, None));
    out.push('\n');
    out
}

/// The tables of several accounts and regions: each scope under a heading (a scope that
/// could not be read says why), then one summary line for all of them. One scope read in
/// full is drawn exactly as [`render_table`] draws it.
pub fn render_scopes_table(scopes: &[ScopeAudit], colour: Colour, width: Width) -> String {
    render_scopes_table_with(scopes, colour, width, None)
}

/// The scopes' tables under their root causes and fix plans (`plans[i]` is `scopes[i]`'s),
/// the summary counting root causes apart from findings.
pub fn render_planned_table(
    scopes: &[ScopeAudit],
    plans: &[crate::plan::ScopePlan],
    colour: Colour,
    width: Width,
) -> String {
    let causes: usize = plans.iter().map(|p| p.causes.len()).sum();
    let mut out = super::plan_table::render_plans(scopes, plans);
    out.push_str(&render_scopes_table_with(
        scopes,
        colour,
        width,
        Some(causes),
    ));
    out
}

fn render_scopes_table_with(
    scopes: &[ScopeAudit],
    colour: Colour,
    width: Width,
    root_causes: Option<usize>,
) -> String {
    // A cluster whose services were not read has no findings to show it: the heading does.
    if let [scope] = scopes {
        if scope.coverage.error.is_none() && scope.coverage.unread_clusters.is_empty() {
            let mut out = workload_blocks(&scope.results, colour, width, |_| None);
            out.push_str(&summary(&scope.results, root_causes));
            out.push('\n');
            return out;
        }
    }
    let mut out = String::new();
    for scope in scopes {
        out.push_str(&scope_heading(scope));
        match &scope.coverage.error {
            Some(error) => {
                out.push_str(&format!("not read: {}\n\n", terminal_text::message(error)))
            }
            None if scope.results.is_empty() && !scope.coverage.unread_clusters.is_empty() => {
                out.push_str("nothing audited: the clusters' services were not read\n\n")
            }
            None if scope.results.is_empty() => out.push_str("no services\n\n"),
            None => out.push_str(&workload_blocks(&scope.results, colour, width, |_| None)),
        }
    }
    let results: Vec<WorkloadResult> = scopes.iter().flat_map(|s| s.results.clone()).collect();
    let failed = scopes.iter().filter(|s| s.coverage.error.is_some()).count();
    out.push_str(&format!(
        "{} in {} account/region scope{}{}\n",
        summary(&results, root_causes),
        scopes.len(),
        if scopes.len() == 1 { "" } else { "s" },
        if failed == 0 {
            String::new()
        } else {
            format!(" ({failed} not read: unknown)")
        }
    ));
    out
}

fn scope_heading(scope: &ScopeAudit) -> String {
    let c = &scope.coverage;
    let source = match (&c.origin, &c.calls) {
        (Origin::Snapshot(path), _) => format!("snapshot {}", terminal_text::name(path)),
        (Origin::Live, Some(calls)) => format!("live, {} AWS calls", calls.values().sum::<usize>()),
        (Origin::Live, None) => "live".to_string(),
    };
    let denied = if c.denied_actions.is_empty() {
        String::new()
    } else {
        format!(
            "; denied: {}",
            terminal_text::message(&c.denied_actions.join(", "))
        )
    };
    let failed = if c.failed_calls.is_empty() {
        String::new()
    } else {
        format!(
            "; failed: {}",
            terminal_text::message(&c.failed_calls.join("; "))
        )
    };
    let unread = if c.unread_clusters.is_empty() {
        String::new()
    } else {
        format!(
            "; services not read (unknown): cluster {}",
            terminal_text::message(&c.unread_clusters.join(", "))
        )
    };
    format!(
        "== account {} · {} · {source}{denied}{failed}{unread} ==\n",
        terminal_text::name(c.account_id.as_deref().unwrap_or("?")),
        terminal_text::name(&c.region)
    )
}

/// One block per workload: its heading, its table and the numbered notes.
fn workload_blocks(
    results: &[WorkloadResult],
    colour: Colour,
    width: Width,
    preface: impl Fn(usize) -> Option<String>,
) -> String {
    let mut out = String::new();
    for (index, result) in results.iter().enumerate() {
        if let Some(text) = preface(index) {
            out.push_str(&text);
        }
        let suppressed = result
            .findings
            .iter()
            .filter(|f| f.suppressed_by.is_some())
            .count();
        let suppressed_note = if suppressed == 0 {
            String::new()
        } else {
            format!(" ({suppressed} suppressed)")
        };
        out.push_str(&format!(
            "{}  {}{suppressed_note}  ({})\n",
            terminal_text::name(&result.name()),
            paint_status(result.status, colour),
            terminal_text::name(&result.task_definition)
        ));
        // On EC2 the paths start at the instances, not at the task's subnets: say which.
        let audited = !result.requirements.is_empty();
        if let (Launch::Ec2 { why, .. }, true) = (&result.launch, audited) {
            out.push_str(&format!(
                "on EC2 ({}): pulled over the primary interface of {}\n",
                terminal_text::message(why),
                if result.instances.is_empty() {
                    "no container instance".to_string()
                } else {
                    terminal_text::message(&result.instances.join(", ")).into_owned()
                }
            ));
        }
        let mut table = new_table(colour, width);
        table.set_header([
            "target", "host", "status", "via", "blocker", "resource", "fix",
        ]);
        // Fixes are long: the table points at numbered notes printed under it, one per
        // distinct problem, so the rows stay one line each.
        let mut notes: Vec<(&str, &str)> = Vec::new();
        let mut numbers: HashMap<(&str, &str), usize> = HashMap::new();
        for requirement in &result.requirements {
            let via = requirement.via.map_or("-", Via::as_str);
            let status_cell = status_cell(requirement.status, colour);
            let host = terminal_text::name(&requirement.requirement.host);
            if requirement.blockers.is_empty() {
                table.add_row(vec![
                    Cell::new(requirement.requirement.target.as_str()),
                    Cell::new(&host),
                    status_cell,
                    Cell::new(via),
                    Cell::new("-"),
                    Cell::new("-"),
                    Cell::new("-"),
                ]);
                continue;
            }
            for (i, blocker) in requirement.blockers.iter().enumerate() {
                let first = i == 0;
                let note = (blocker.message.as_str(), blocker.fix.as_str());
                let number = *numbers.entry(note).or_insert_with(|| {
                    notes.push(note);
                    notes.len()
                });
                table.add_row(vec![
                    Cell::new(if first {
                        requirement.requirement.target.as_str()
                    } else {
                        ""
                    }),
                    Cell::new(if first { host.as_ref() } else { "" }),
                    if first {
                        status_cell.clone()
                    } else {
                        Cell::new("")
                    },
                    Cell::new(if first { via } else { "" }),
                    Cell::new(if result.is_suppressed(blocker) {
                        format!("{} (suppressed)", blocker.code.as_str())
                    } else {
                        blocker.code.as_str().to_string()
                    }),
                    Cell::new(terminal_text::name(&blocker.resource_id)),
                    Cell::new(format!("[{number}]")),
                ]);
            }
        }
        if audited {
            out.push_str(&table.to_string());
            out.push('\n');
        }
        for (number, (message, fix)) in notes.iter().enumerate() {
            out.push_str(&format!(
                "[{}] {}\n    fix: {}\n",
                number + 1,
                terminal_text::message(message),
                terminal_text::message(fix)
            ));
        }
        // Findings about the whole workload (where it runs, its service account): no call's
        // row carries them.
        for finding in result.findings.iter().filter(|f| {
            f.severity != Severity::Info
                && !result
                    .requirements
                    .iter()
                    .any(|r| r.blockers.contains(&f.blocker))
        }) {
            let severity = if finding.severity == Severity::Error {
                "error"
            } else {
                "unknown"
            };
            out.push_str(&format!(
                "{severity} {} {}: {}\n    fix: {}\n",
                finding.blocker.code,
                terminal_text::name(&finding.blocker.resource_id),
                terminal_text::message(&finding.blocker.message),
                terminal_text::message(&finding.blocker.fix)
            ));
        }
        for finding in result
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Info)
        {
            out.push_str(&format!(
                "info {} {}: {}\n    fix: {}\n",
                finding.blocker.code,
                terminal_text::name(&finding.blocker.resource_id),
                terminal_text::message(&finding.blocker.message),
                terminal_text::message(&finding.blocker.fix)
            ));
        }
        out.push('\n');
    }
    out
}

/// A table drawn the same way everywhere: condensed UTF-8 borders, fitted to `width`.
pub(super) fn new_table(colour: Colour, width: Width) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    match width {
        Width::Columns(columns) => {
            table.set_width(columns);
        }
        Width::Terminal if table.width().is_none_or(|w| w < MIN_WIDTH) => {
            table.set_width(DEFAULT_WIDTH);
        }
        Width::Terminal => {}
    }
    match colour {
        Colour::Always => table.enforce_styling(),
        Colour::Never => table.force_no_tty(),
    };
    table
}

fn summary(results: &[WorkloadResult], root_causes: Option<usize>) -> String {
    let count = |s: WorkloadStatus| results.iter().filter(|r| r.status == s).count();
    let findings: usize = results.iter().map(|r| r.findings.len()).sum();
    let suppressed: usize = results
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.suppressed_by.is_some())
        .count();
    let causes = match root_causes {
        Some(n) => format!("{n} root cause{}, ", if n == 1 { "" } else { "s" }),
        None => String::new(),
    };
    format!(
        "{} workload{}: {} pass, {} fail, {} unknown; {causes}{} finding{}{}",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        count(WorkloadStatus::Pass),
        count(WorkloadStatus::Fail),
        count(WorkloadStatus::Unknown),
        findings,
        if findings == 1 { "" } else { "s" },
        if suppressed == 0 {
            String::new()
        } else {
            format!(" ({suppressed} suppressed)")
        }
    )
}

fn status_cell(status: Status, colour: Colour) -> Cell {
    let (text, color) = match status {
        Status::Reachable => ("reachable", Color::Green),
        Status::Blocked => ("blocked", Color::Red),
        Status::Unknown => ("unknown", Color::Yellow),
    };
    let cell = Cell::new(text);
    match colour {
        Colour::Always => cell.fg(color).add_attribute(Attribute::Bold),
        Colour::Never => cell,
    }
}

fn paint_status(status: WorkloadStatus, colour: Colour) -> String {
    let (text, code) = match status {
        WorkloadStatus::Pass => ("PASS", "32"),
        WorkloadStatus::Fail => ("FAIL", "31"),
        WorkloadStatus::Unknown => ("UNKNOWN", "33"),
    };
    match colour {
        Colour::Always => format!("\x1b[1;{code}m{text}\x1b[0m"),
        Colour::Never => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::audit_workloads;
    use crate::model::load_snapshot;
    use crate::workload::select_workloads;

    fn rendered(colour: Colour) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/scenarios/multi-service.json");
        let snapshot = load_snapshot(&path).unwrap();
        let workloads = select_workloads(&snapshot, None, &[]).unwrap();
        render_table(
            &audit_workloads(&snapshot, &workloads, &Default::default()),
            colour,
            Width::Columns(DEFAULT_WIDTH),
        )
    }

    #[test]
    fn colour_is_escape_codes_only_when_asked() {
        assert!(rendered(Colour::Always).contains("\x1b["));
        assert!(!rendered(Colour::Never).contains('\x1b'));
    }
}
