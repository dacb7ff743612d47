//! Root causes: the findings of a scope grouped by the blocker they are ([`Blocker::identity`]:
//! one code at one resource), across calls and workloads. One route table with no way out is
//! one root cause however many calls and services it stops; its ways out are the union, per
//! strategy, of what each of its findings asks for.

use std::collections::HashMap;

use crate::blocker::Blocker;
use crate::checks::{Severity, WorkloadResult};
use crate::codes::{Code, Effect};
use crate::fix::{Alternative, Change, Strategy};

/// A workload a root cause stops, with the calls it stops there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub workload: String,
    /// The call targets (`ecr-api`, `s3-layers`…); empty for a workload-level finding.
    pub calls: Vec<String>,
}

/// One blocker, wherever it occurs.
#[derive(Debug, Clone)]
pub struct RootCause {
    pub code: Code,
    pub resource_id: String,
    /// Other resources where the same code is fixed by the very same changes (one service's
    /// `assignPublicIp` for each of its subnets): one root cause, not several.
    pub also: Vec<String>,
    /// `blocks` when any of its findings certainly blocks.
    pub effect: Effect,
    /// The first finding's message and fix, as the details print them.
    pub message: String,
    pub fix: String,
    pub blocked: Vec<Blocked>,
    /// The ways out, one per strategy, each the union of what its findings need.
    pub alternatives: Vec<Alternative>,
}

impl RootCause {
    /// Calls stopped, over every workload.
    pub fn call_count(&self) -> usize {
        self.blocked.iter().map(|b| b.calls.len().max(1)).sum()
    }
}

/// The root causes of `results`, from the findings that count (not suppressed, not
/// information), blocking ones first, then by the number of workloads and calls they stop.
pub fn root_causes(results: &[WorkloadResult]) -> Vec<RootCause> {
    let mut causes: Vec<RootCause> = Vec::new();
    let mut members: Vec<Vec<Blocker>> = Vec::new();
    let mut position: HashMap<(Code, String), usize> = HashMap::new();
    for result in results {
        let name = result.name();
        for finding in &result.findings {
            if finding.suppressed_by.is_some() || finding.severity == Severity::Info {
                continue;
            }
            let blocker = &finding.blocker;
            let key = (blocker.code, blocker.resource_id.clone());
            let at = *position.entry(key).or_insert_with(|| {
                causes.push(RootCause {
                    code: blocker.code,
                    resource_id: blocker.resource_id.clone(),
                    also: Vec::new(),
                    effect: Effect::Unknown,
                    message: blocker.message.clone(),
                    fix: blocker.fix.clone(),
                    blocked: Vec::new(),
                    alternatives: Vec::new(),
                });
                members.push(Vec::new());
                causes.len() - 1
            });
            let cause = &mut causes[at];
            if blocker.blocks() {
                cause.effect = Effect::Blocks;
            }
            let calls: Vec<String> = result
                .requirements
                .iter()
                .filter(|r| r.blockers.iter().any(|b| b == blocker))
                .map(|r| r.requirement.target.as_str().to_string())
                .collect();
            match cause.blocked.iter_mut().find(|b| b.workload == name) {
                Some(entry) => {
                    for call in calls {
                        if !entry.calls.contains(&call) {
                            entry.calls.push(call);
                        }
                    }
                }
                None => cause.blocked.push(Blocked {
                    workload: name.clone(),
                    calls,
                }),
            }
            if !members[at].contains(blocker) {
                members[at].push(blocker.clone());
            }
        }
    }
    for (cause, blockers) in causes.iter_mut().zip(&members) {
        cause.alternatives = merge_alternatives(blockers);
    }
    let mut causes = merge_same_fix(causes);
    causes.sort_by_key(|c| {
        (
            c.effect != Effect::Blocks,
            std::cmp::Reverse(c.blocked.len()),
            std::cmp::Reverse(c.call_count()),
        )
    });
    causes
}

/// Causes of one code whose alternatives are the very same changes are one cause: the change
/// that removes one removes the others.
fn merge_same_fix(causes: Vec<RootCause>) -> Vec<RootCause> {
    let mut merged: Vec<RootCause> = Vec::new();
    for cause in causes {
        let same = merged.iter_mut().find(|m| {
            m.code == cause.code
                && !cause.alternatives.is_empty()
                && m.alternatives == cause.alternatives
        });
        match same {
            Some(into) => {
                into.also.push(cause.resource_id);
                if cause.effect == Effect::Blocks {
                    into.effect = Effect::Blocks;
                }
                for blocked in cause.blocked {
                    match into
                        .blocked
                        .iter_mut()
                        .find(|b| b.workload == blocked.workload)
                    {
                        Some(entry) => {
                            for call in blocked.calls {
                                if !entry.calls.contains(&call) {
                                    entry.calls.push(call);
                                }
                            }
                        }
                        None => into.blocked.push(blocked),
                    }
                }
            }
            None => merged.push(cause),
        }
    }
    merged
}

/// One alternative per strategy any finding offers: for each finding, its alternative of
/// that strategy, or its first where it has none (a call no endpoint serves still needs the
/// NAT gateway in the endpoints plan). Findings without a structured fix add nothing.
pub fn merge_alternatives(blockers: &[Blocker]) -> Vec<Alternative> {
    let mut strategies: Vec<Strategy> = Vec::new();
    for blocker in blockers {
        for alternative in &blocker.remedy {
            if !strategies.contains(&alternative.strategy) {
                strategies.push(alternative.strategy);
            }
        }
    }
    strategies
        .into_iter()
        .map(|strategy| {
            let chosen = blockers.iter().filter_map(|b| pick(&b.remedy, strategy));
            Alternative::new(strategy, union(chosen.map(|a| a.changes.as_slice())))
        })
        .collect()
}

/// The alternative of `strategy`, else the first.
pub fn pick(remedy: &[Alternative], strategy: Strategy) -> Option<&Alternative> {
    remedy
        .iter()
        .find(|a| a.strategy == strategy)
        .or_else(|| remedy.first())
}

/// Changes without repeats, those that create what others use first (a NAT gateway before
/// its route, the endpoints' security group before the endpoints).
pub fn union<'c>(lists: impl IntoIterator<Item = &'c [Change]>) -> Vec<Change> {
    let mut out: Vec<Change> = lists.into_iter().flatten().cloned().collect();
    crate::fix::coalesce(&mut out);
    out.sort_by_key(|c| {
        !matches!(
            c,
            Change::CreateNatGateway { .. }
                | Change::CreateEndpointSecurityGroup { .. }
                | Change::EnableVpcDns { .. }
        )
    });
    out
}
