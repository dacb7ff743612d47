//! The what-if report (`pullpath what-if`): schema version 1 (docs/fix-plans.md,
//! docs/what-if.schema.json), and its text form.

use schemars::JsonSchema;
use serde::Serialize;

use super::terminal_text;
use crate::checks::WorkloadStatus;
use crate::codes::Code;
use crate::fix::Change;

/// The what-if report (schema version 1, docs/fix-plans.md).
#[derive(Debug, Serialize, JsonSchema)]
pub struct WhatIfV1 {
    pub schema_version: u32,
    pub generated_at: String,
    pub changes: Vec<AppliedChangeV1>,
    /// Workloads audited before the change.
    pub workloads: usize,
    /// Those whose status the change alters, and those it stops one more way.
    pub verdict_changes: Vec<VerdictChangeV1>,
    /// How many would be worse off: pass → unknown or fail, unknown → fail (what the exit
    /// code counts).
    pub would_break: usize,
    /// How many did not pass before and would after.
    pub would_fix: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AppliedChangeV1 {
    #[serde(flatten)]
    pub change: Change,
    pub description: String,
    /// The scopes (`account_id region`) it was applied to.
    pub applied_in: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VerdictChangeV1 {
    pub account_id: String,
    pub region: String,
    pub workload: String,
    pub before: WorkloadStatus,
    pub after: WorkloadStatus,
    pub new_findings: Vec<NewFindingV1>,
    pub removed_findings: Vec<RemovedFindingV1>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NewFindingV1 {
    pub code: Code,
    pub resource_id: String,
    pub message: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RemovedFindingV1 {
    pub code: Code,
    pub resource_id: String,
}

fn status_word(status: WorkloadStatus) -> &'static str {
    match status {
        WorkloadStatus::Pass => "pass",
        WorkloadStatus::Fail => "fail",
        WorkloadStatus::Unknown => "unknown",
    }
}

/// The text report: the changes, then one block per workload whose verdict changes.
pub fn render_what_if(report: &WhatIfV1) -> String {
    let mut out = format!(
        "what-if: {} change{}\n",
        report.changes.len(),
        if report.changes.len() == 1 { "" } else { "s" }
    );
    for change in &report.changes {
        out.push_str(&format!(
            "  {} (in {})\n",
            terminal_text::message(&change.description),
            terminal_text::message(&change.applied_in.join(", "))
        ));
    }
    out.push('\n');
    // Several accounts or regions: each line says which.
    let first = report.verdict_changes.first();
    let several = report
        .verdict_changes
        .iter()
        .any(|c| Some((&c.account_id, &c.region)) != first.map(|f| (&f.account_id, &f.region)))
        || report.changes.iter().any(|c| c.applied_in.len() > 1);
    for change in &report.verdict_changes {
        let place = if several {
            format!(
                " ({} {})",
                terminal_text::name(&change.account_id),
                terminal_text::name(&change.region)
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{}{place}  {} → {}\n",
            terminal_text::name(&change.workload),
            status_word(change.before),
            status_word(change.after).to_uppercase()
        ));
        for finding in &change.new_findings {
            out.push_str(&format!(
                "    + {} at {}: {}\n",
                finding.code.as_str(),
                terminal_text::name(&finding.resource_id),
                terminal_text::message(&finding.message)
            ));
        }
        for finding in &change.removed_findings {
            out.push_str(&format!(
                "    - {} at {}\n",
                finding.code.as_str(),
                terminal_text::name(&finding.resource_id)
            ));
        }
    }
    out.push_str(&format!(
        "{} of {} workload{} affected: {} worse off, {} start passing\n",
        report.verdict_changes.len(),
        report.workloads,
        if report.workloads == 1 { "" } else { "s" },
        report.would_break,
        report.would_fix
    ));
    out
}
