//! Planning, a stage above the checks: root causes (findings grouped by the blocker they are),
//! fix plans whose every alternative is proven by applying it to a copy of the snapshot and
//! auditing again, and what-if comparisons of a snapshot before and after a change.
//!
//! Nothing here decides reachability: the patched snapshot goes through the same audit as the
//! original (a closure the caller gives, which knows how the scope was audited), so a plan is
//! "verified" only when that audit says so.

pub mod apply;
pub mod cost;
pub mod root_causes;
pub mod what_if;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

pub use apply::{apply, apply_all, ApplyError};
pub use cost::Cost;
pub use root_causes::{root_causes, Blocked, RootCause};

use crate::checks::{Severity, WorkloadResult, WorkloadStatus};
use crate::codes::Code;
use crate::fix::{Change, Strategy};
use crate::model::Snapshot;
use root_causes::{pick, union};

/// Audits a patched copy of the scope's snapshot the way the scope itself was audited.
pub type Reaudit<'a> = dyn Fn(&Snapshot) -> Result<Vec<WorkloadResult>, String> + 'a;

/// Re-audits a scope costs a whole audit; a scope with many distinct causes verifies this
/// many change sets, and says of the rest that they were not verified.
pub const MAX_REAUDITS: usize = 64;

/// Plans with more changes than this are not minimised (each try is a re-audit).
const MINIMISE_UP_TO: usize = 12;

/// Extra rounds a plan may take: what still blocks after its changes, fixed the same way.
const COMPLETION_ROUNDS: usize = 2;

/// A workload that an applied plan leaves failing or unknown, with what stops it then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remaining {
    pub workload: String,
    pub status: WorkloadStatus,
    pub blockers: Vec<(Code, String)>,
}

/// What re-auditing the patched snapshot showed.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Verified {
        /// Whether the root cause's blocker is gone from every workload it stopped.
        removes: bool,
        /// The workloads in question that pass after the changes.
        passing: Vec<String>,
        /// Those that do not, and why.
        remaining: Vec<Remaining>,
        /// Other workloads of the scope that pass today and would not after the changes (a
        /// plan must not fix one service by breaking another).
        breaks: Vec<String>,
    },
    /// The changes could not be applied or audited (named), or the re-audit budget was
    /// spent: nothing is claimed.
    NotVerified { why: String },
}

impl Outcome {
    /// Every workload in question passes.
    pub fn passes(&self) -> bool {
        matches!(self, Outcome::Verified { remaining, removes: true, breaks, .. }
            if remaining.is_empty() && breaks.is_empty())
    }
}

/// One way out, proven or not.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedAlternative {
    pub strategy: Strategy,
    pub changes: Vec<Change>,
    pub cost: Cost,
    pub outcome: Outcome,
}

/// A root cause with its alternatives checked.
#[derive(Debug, Clone)]
pub struct CheckedCause {
    pub cause: RootCause,
    pub alternatives: Vec<CheckedAlternative>,
}

impl CheckedCause {
    /// Workloads that pass after its best alternative alone.
    pub fn unblocks(&self) -> usize {
        self.alternatives
            .iter()
            .map(|a| match &a.outcome {
                Outcome::Verified { passing, .. } => passing.len(),
                Outcome::NotVerified { .. } => 0,
            })
            .max()
            .unwrap_or(0)
    }
}

/// The smallest sets of changes found that make one failing workload pass.
#[derive(Debug, Clone)]
pub struct WorkloadPlan {
    pub workload: String,
    /// Indices into [`ScopePlan::causes`].
    pub causes: Vec<usize>,
    pub options: Vec<CheckedAlternative>,
}

/// Root causes and plans of one scope.
#[derive(Debug, Clone, Default)]
pub struct ScopePlan {
    pub causes: Vec<CheckedCause>,
    pub workloads: Vec<WorkloadPlan>,
}

/// Applies change sets to copies of the snapshot and audits them, once per distinct set.
struct Verifier<'a> {
    base: &'a Snapshot,
    reaudit: &'a Reaudit<'a>,
    /// The workloads that pass today, suppressions aside: a plan must not break them.
    passing_before: HashSet<String>,
    done: HashMap<Vec<Change>, Result<Rc<Vec<WorkloadResult>>, String>>,
}

impl Verifier<'_> {
    fn after(&mut self, changes: &[Change]) -> Result<Rc<Vec<WorkloadResult>>, String> {
        if let Some(found) = self.done.get(changes) {
            return found.clone();
        }
        let outcome = if self.done.len() >= MAX_REAUDITS {
            return Err(format!(
                "not verified: the scope's {MAX_REAUDITS} re-audits are spent"
            ));
        } else {
            let mut patched = self.base.clone();
            apply_all(&mut patched, changes)
                .map_err(|e| e.to_string())
                .and_then(|()| (self.reaudit)(&patched))
                .map(Rc::new)
        };
        self.done.insert(changes.to_vec(), outcome.clone());
        outcome
    }

    /// The status of a re-audited workload from every finding. Suppressions do not count: a
    /// suppressed finding still stops the pull, and a plan that leaves one in place does not
    /// make the workload pull.
    fn status_of(&self, result: &WorkloadResult) -> (WorkloadStatus, Vec<(Code, String)>) {
        let counted: Vec<_> = result
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .collect();
        let status = counted
            .iter()
            .map(|f| match f.severity {
                Severity::Error => WorkloadStatus::Fail,
                _ => WorkloadStatus::Unknown,
            })
            .max()
            .unwrap_or(WorkloadStatus::Pass);
        let mut blockers: Vec<(Code, String)> = Vec::new();
        for f in counted {
            let id = (f.blocker.code, f.blocker.resource_id.clone());
            if !blockers.contains(&id) {
                blockers.push(id);
            }
        }
        (status, blockers)
    }

    /// Applies `changes` and reports on `workloads`; `cause`: the blocker whose removal is
    /// in question.
    fn check(
        &mut self,
        changes: &[Change],
        workloads: &[String],
        cause: Option<(Code, &[String])>,
    ) -> Outcome {
        let results = match self.after(changes) {
            Ok(results) => results,
            Err(why) => return Outcome::NotVerified { why },
        };
        let mut removes = true;
        let mut passing = Vec::new();
        let mut remaining = Vec::new();
        for name in workloads {
            let Some(result) = results.iter().find(|r| &r.name() == name) else {
                remaining.push(Remaining {
                    workload: name.clone(),
                    status: WorkloadStatus::Unknown,
                    blockers: Vec::new(),
                });
                removes = false;
                continue;
            };
            let (status, blockers) = self.status_of(result);
            if let Some((code, resources)) = cause {
                if blockers
                    .iter()
                    .any(|(c, r)| *c == code && resources.contains(r))
                {
                    removes = false;
                }
            }
            if status == WorkloadStatus::Pass {
                passing.push(name.clone());
            } else {
                remaining.push(Remaining {
                    workload: name.clone(),
                    status,
                    blockers,
                });
            }
        }
        let breaks = results
            .iter()
            .filter(|r| self.passing_before.contains(&r.name()) && !workloads.contains(&r.name()))
            .filter(|r| self.status_of(r).0 != WorkloadStatus::Pass)
            .map(WorkloadResult::name)
            .collect();
        Outcome::Verified {
            removes,
            passing,
            remaining,
            breaks,
        }
    }
}

/// Root causes of a scope's results, each alternative proven, and for each workload that
/// does not pass the plans that make it pass.
pub fn plan_scope(
    results: &[WorkloadResult],
    snapshot: &Snapshot,
    reaudit: &Reaudit<'_>,
) -> ScopePlan {
    let mut verifier = Verifier {
        base: snapshot,
        reaudit,
        passing_before: results
            .iter()
            .filter(|r| r.unsuppressed_status == WorkloadStatus::Pass)
            .map(WorkloadResult::name)
            .collect(),
        done: HashMap::new(),
    };
    let causes: Vec<CheckedCause> = root_causes(results)
        .into_iter()
        .map(|cause| {
            let workloads: Vec<String> = cause.blocked.iter().map(|b| b.workload.clone()).collect();
            let resources: Vec<String> = std::iter::once(cause.resource_id.clone())
                .chain(cause.also.iter().cloned())
                .collect();
            let alternatives = cause
                .alternatives
                .iter()
                .map(|alternative| {
                    let outcome = verifier.check(
                        &alternative.changes,
                        &workloads,
                        Some((cause.code, &resources)),
                    );
                    let (changes, outcome) = minimise(
                        &mut verifier,
                        alternative.changes.clone(),
                        outcome,
                        &workloads,
                    );
                    CheckedAlternative {
                        strategy: alternative.strategy,
                        cost: Cost::of(&changes),
                        outcome,
                        changes,
                    }
                })
                .collect();
            CheckedCause {
                cause,
                alternatives,
            }
        })
        .collect();
    let workloads = results
        .iter()
        .filter(|r| r.status != WorkloadStatus::Pass)
        .map(|result| workload_plan(&mut verifier, &causes, result))
        .collect();
    ScopePlan { causes, workloads }
}

fn workload_plan(
    verifier: &mut Verifier<'_>,
    causes: &[CheckedCause],
    result: &WorkloadResult,
) -> WorkloadPlan {
    let name = result.name();
    let mine: Vec<usize> = causes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.cause.blocked.iter().any(|b| b.workload == name))
        .map(|(i, _)| i)
        .collect();
    let mut strategies: Vec<Strategy> = Vec::new();
    for &i in &mine {
        for alternative in &causes[i].cause.alternatives {
            if !strategies.contains(&alternative.strategy) {
                strategies.push(alternative.strategy);
            }
        }
    }
    // A cause with only a direct fix takes it in every plan: a "direct" plan beside the NAT
    // and endpoint plans would repeat one of them under a misleading name.
    if strategies.iter().any(|s| *s != Strategy::Direct) {
        strategies.retain(|s| *s != Strategy::Direct);
    }
    let mut options: Vec<CheckedAlternative> = Vec::new();
    for strategy in strategies {
        let mut changes = union(
            mine.iter()
                .filter_map(|&i| pick(&causes[i].cause.alternatives, strategy))
                .map(|a| a.changes.as_slice()),
        );
        let wanted = std::slice::from_ref(&name);
        let mut outcome = verifier.check(&changes, wanted, None);
        // What still blocks after the changes, fixed the same way (a NAT route exposing an
        // ACL rule, say), until it passes or nothing more is offered.
        for _ in 0..COMPLETION_ROUNDS {
            if outcome.passes() {
                break;
            }
            let Some(more) = completion(verifier, &changes, &name, strategy) else {
                break;
            };
            changes = union([changes.as_slice(), more.as_slice()]);
            outcome = verifier.check(&changes, wanted, None);
        }
        let (changes, outcome) = minimise(verifier, changes, outcome, wanted);
        if options.iter().any(|o| o.changes == changes) {
            continue;
        }
        options.push(CheckedAlternative {
            strategy,
            cost: Cost::of(&changes),
            changes,
            outcome,
        });
    }
    // Passing plans first, then the fewest changes, then the cheapest.
    options.sort_by(|a, b| {
        (!a.outcome.passes(), a.changes.len())
            .cmp(&(!b.outcome.passes(), b.changes.len()))
            .then(a.cost.monthly_usd.total_cmp(&b.cost.monthly_usd))
    });
    WorkloadPlan {
        workload: name,
        causes: mine,
        options,
    }
}

/// Drops each change the plan passes without (findings often ask for overlapping changes: an
/// ACL rule for 0.0.0.0/0 and another for one S3 range), last first, keeping the outcome of
/// the smallest set that passes. A change others depend on fails to apply without them and
/// stays.
fn minimise(
    verifier: &mut Verifier<'_>,
    mut changes: Vec<Change>,
    mut outcome: Outcome,
    wanted: &[String],
) -> (Vec<Change>, Outcome) {
    if changes.len() < 2 || changes.len() > MINIMISE_UP_TO {
        return (changes, outcome);
    }
    let mut i = changes.len();
    while i > 0 {
        i -= 1;
        let mut fewer = changes.clone();
        fewer.remove(i);
        let trial = verifier.check(&fewer, wanted, None);
        if trial.passes() {
            changes = fewer;
            outcome = trial;
        }
    }
    (changes, outcome)
}

/// The structured fixes of what still stops `workload` after `changes` (none new: `None`).
fn completion(
    verifier: &mut Verifier<'_>,
    changes: &[Change],
    workload: &str,
    strategy: Strategy,
) -> Option<Vec<Change>> {
    let results = verifier.after(changes).ok()?;
    let result = results.iter().find(|r| r.name() == workload)?;
    let more = union(
        result
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .filter_map(|f| pick(&f.blocker.remedy, strategy))
            .map(|a| a.changes.as_slice()),
    );
    let new: Vec<Change> = more.into_iter().filter(|c| !changes.contains(c)).collect();
    (!new.is_empty()).then_some(new)
}
