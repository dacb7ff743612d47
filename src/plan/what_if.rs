//! What a change would do: the verdicts of a scope's workloads before and after it, and why
//! those that change do.

use crate::checks::{Severity, WorkloadResult, WorkloadStatus};
use crate::codes::Code;

/// One workload whose verdict a change alters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictChange {
    pub workload: String,
    pub before: WorkloadStatus,
    pub after: WorkloadStatus,
    /// Findings the change brings: code, resource, message.
    pub new_findings: Vec<(Code, String, String)>,
    /// Findings it removes: code and resource.
    pub removed_findings: Vec<(Code, String)>,
}

impl VerdictChange {
    /// The workload would be worse off: pass → unknown or fail, unknown → fail.
    pub fn breaks(&self) -> bool {
        self.after > self.before
    }
}

fn counted(result: &WorkloadResult) -> Vec<(Code, String, String)> {
    let mut out: Vec<(Code, String, String)> = Vec::new();
    for f in &result.findings {
        if f.severity == Severity::Info || f.suppressed_by.is_some() {
            continue;
        }
        let b = &f.blocker;
        if !out
            .iter()
            .any(|(c, r, _)| *c == b.code && *r == b.resource_id)
        {
            out.push((b.code, b.resource_id.clone(), b.message.clone()));
        }
    }
    out
}

/// The workloads whose status differs between `before` and `after` (matched by name), and
/// those whose status stays but that gain a finding (a failing service the change would stop
/// a second way); a workload the change makes disappear is unknown after it.
pub fn compare(before: &[WorkloadResult], after: &[WorkloadResult]) -> Vec<VerdictChange> {
    before
        .iter()
        .filter_map(|old| {
            let name = old.name();
            let new = after.iter().find(|r| r.name() == name);
            let after_status = new.map_or(WorkloadStatus::Unknown, |r| r.status);
            let was = counted(old);
            let now = new.map(counted).unwrap_or_default();
            let gains = now
                .iter()
                .any(|(c, r, _)| !was.iter().any(|(c2, r2, _)| c == c2 && r == r2));
            if after_status == old.status && !gains {
                return None;
            }
            Some(VerdictChange {
                workload: name,
                before: old.status,
                after: after_status,
                new_findings: now
                    .iter()
                    .filter(|(c, r, _)| !was.iter().any(|(c2, r2, _)| c == c2 && r == r2))
                    .cloned()
                    .collect(),
                removed_findings: was
                    .iter()
                    .filter(|(c, r, _)| !now.iter().any(|(c2, r2, _)| c == c2 && r == r2))
                    .map(|(c, r, _)| (*c, r.clone()))
                    .collect(),
            })
        })
        .collect()
}
