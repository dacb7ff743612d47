//! The report's `root_causes` and `fix_plan` (schema version 1, added without changing any
//! earlier field; docs/report.md). Root causes are numbered over the whole report (`A`, `B`…
//! `Z`, `AA`…) so that plans and NDJSON lines refer to them.

use schemars::JsonSchema;
use serde::Serialize;

use crate::checks::{ScopeAudit, WorkloadStatus};
use crate::codes::{Code, Effect};
use crate::fix::{render_cli, Change, Strategy};
use crate::plan::{CheckedAlternative, Cost, Outcome, ScopePlan};

/// One blocker, wherever it occurs: what one change (or one set of changes) removes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RootCauseV1 {
    /// `A`, `B`…: the root cause's name in this report.
    pub id: String,
    pub account_id: String,
    pub region: String,
    pub code: Code,
    /// `blocks` when any of its findings certainly blocks, else `unknown`.
    pub effect: Effect,
    /// The resource the findings name.
    pub resource_id: String,
    /// Other resources with the same code that the same changes fix (one root cause).
    pub also_resources: Vec<String>,
    /// The first finding's message and prose fix.
    pub message: String,
    pub fix: String,
    /// Calls it stops, over every workload.
    pub calls: usize,
    pub workloads: Vec<BlockedV1>,
    /// Its ways out, each verified by re-auditing the patched snapshot. Empty: no
    /// structured fix (the prose `fix` is all there is).
    pub alternatives: Vec<PlanOptionV1>,
    /// Workloads that pass after its best alternative alone.
    pub unblocks: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BlockedV1 {
    pub workload: String,
    /// Call targets (`ecr-api`…); empty for a workload-level finding.
    pub calls: Vec<String>,
}

/// One set of changes, with its AWS CLI commands, standing cost and verification.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlanOptionV1 {
    pub strategy: Strategy,
    pub changes: Vec<ChangeV1>,
    /// The changes as AWS CLI commands, in order (ids of resources created on the way travel
    /// in shell variables).
    pub commands: Vec<String>,
    pub cost: Cost,
    pub verification: VerificationV1,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ChangeV1 {
    #[serde(flatten)]
    pub change: Change,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum VerifiedV1 {
    /// Re-audited: every workload in question passes.
    Passes,
    /// Re-audited: some still fail or are unknown (`remaining` says why).
    StillFailing,
    /// Re-audited: it would make other workloads of the scope that pass today fail or be
    /// unknown (`breaks`).
    BreaksOthers,
    /// Not re-audited (`why`): nothing is claimed.
    NotVerified,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VerificationV1 {
    pub status: VerifiedV1,
    /// For a root cause's alternative: whether its blocker is gone everywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removes_cause: Option<bool>,
    pub passing: Vec<String>,
    pub remaining: Vec<RemainingV1>,
    /// Workloads that pass today and would not after the changes.
    pub breaks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RemainingV1 {
    pub workload: String,
    pub status: WorkloadStatus,
    pub blockers: Vec<BlockerRefV1>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BlockerRefV1 {
    pub code: Code,
    pub resource_id: String,
}

/// The plans: per failing workload, and the root causes ranked by what fixing them gains.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct FixPlanV1 {
    pub workloads: Vec<WorkloadPlanV1>,
    /// Every root cause, most workloads unblocked first (then most blocked).
    pub ranked: Vec<RankedV1>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct WorkloadPlanV1 {
    pub account_id: String,
    pub region: String,
    pub workload: String,
    /// Ids of the root causes that stop it.
    pub root_causes: Vec<String>,
    /// Passing plans first, then fewest changes, then cheapest.
    pub options: Vec<PlanOptionV1>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RankedV1 {
    pub root_cause: String,
    pub blocks: usize,
    pub unblocks: usize,
}

/// `A`…`Z`, `AA`…
pub fn cause_id(mut index: usize) -> String {
    let mut id = Vec::new();
    loop {
        id.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    id.reverse();
    String::from_utf8(id).unwrap_or_default()
}

fn option_v1(alternative: &CheckedAlternative, cause: bool) -> PlanOptionV1 {
    let (status, removes, passing, remaining, breaks, why) = match &alternative.outcome {
        Outcome::Verified {
            removes,
            passing,
            remaining,
            breaks,
        } => (
            if !breaks.is_empty() {
                VerifiedV1::BreaksOthers
            } else if alternative.outcome.passes() {
                VerifiedV1::Passes
            } else {
                VerifiedV1::StillFailing
            },
            cause.then_some(*removes),
            passing.clone(),
            remaining
                .iter()
                .map(|r| RemainingV1 {
                    workload: r.workload.clone(),
                    status: r.status,
                    blockers: r
                        .blockers
                        .iter()
                        .map(|(code, resource_id)| BlockerRefV1 {
                            code: *code,
                            resource_id: resource_id.clone(),
                        })
                        .collect(),
                })
                .collect(),
            breaks.clone(),
            None,
        ),
        Outcome::NotVerified { why } => (
            VerifiedV1::NotVerified,
            None,
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Some(why.clone()),
        ),
    };
    PlanOptionV1 {
        strategy: alternative.strategy,
        changes: alternative
            .changes
            .iter()
            .map(|c| ChangeV1 {
                change: c.clone(),
                description: c.describe(),
            })
            .collect(),
        commands: render_cli(&alternative.changes),
        cost: alternative.cost,
        verification: VerificationV1 {
            status,
            removes_cause: removes,
            passing,
            remaining,
            breaks,
            why,
        },
    }
}

/// The root causes and plans of every scope (`plans[i]` is `scopes[i]`'s).
pub fn plans_v1(scopes: &[ScopeAudit], plans: &[ScopePlan]) -> (Vec<RootCauseV1>, FixPlanV1) {
    let mut causes = Vec::new();
    let mut fix_plan = FixPlanV1::default();
    for (scope, plan) in scopes.iter().zip(plans) {
        let account_id = scope.coverage.account_id.clone().unwrap_or_default();
        let region = scope.coverage.region.clone();
        let first = causes.len();
        for checked in &plan.causes {
            let cause = &checked.cause;
            causes.push(RootCauseV1 {
                id: cause_id(causes.len()),
                account_id: account_id.clone(),
                region: region.clone(),
                code: cause.code,
                effect: cause.effect,
                resource_id: cause.resource_id.clone(),
                also_resources: cause.also.clone(),
                message: cause.message.clone(),
                fix: cause.fix.clone(),
                calls: cause.call_count(),
                workloads: cause
                    .blocked
                    .iter()
                    .map(|b| BlockedV1 {
                        workload: b.workload.clone(),
                        calls: b.calls.clone(),
                    })
                    .collect(),
                alternatives: checked
                    .alternatives
                    .iter()
                    .map(|a| option_v1(a, true))
                    .collect(),
                unblocks: checked.unblocks(),
            });
        }
        for workload in &plan.workloads {
            fix_plan.workloads.push(WorkloadPlanV1 {
                account_id: account_id.clone(),
                region: region.clone(),
                workload: workload.workload.clone(),
                root_causes: workload
                    .causes
                    .iter()
                    .map(|i| cause_id(first + i))
                    .collect(),
                options: workload
                    .options
                    .iter()
                    .map(|a| option_v1(a, false))
                    .collect(),
            });
        }
    }
    let mut ranked: Vec<RankedV1> = causes
        .iter()
        .map(|c| RankedV1 {
            root_cause: c.id.clone(),
            blocks: c.workloads.len(),
            unblocks: c.unblocks,
        })
        .collect();
    ranked.sort_by_key(|r| (std::cmp::Reverse(r.unblocks), std::cmp::Reverse(r.blocks)));
    fix_plan.ranked = ranked;
    (causes, fix_plan)
}

#[cfg(test)]
mod tests {
    use super::cause_id;

    #[test]
    fn causes_are_lettered_like_spreadsheet_columns() {
        assert_eq!(cause_id(0), "A");
        assert_eq!(cause_id(25), "Z");
        assert_eq!(cause_id(26), "AA");
        assert_eq!(cause_id(27), "AB");
        assert_eq!(cause_id(26 + 26 * 26), "AAA");
    }
}
