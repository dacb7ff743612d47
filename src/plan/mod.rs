//! Planning, a stage above the checks: root causes (findings grouped by the blocker they are),
//! fix plans whose every alternative is proven by applying it to a copy of the snapshot and
//! auditing again, and what-if comparisons of a snapshot before and after a change.
//!
//! Nothing here decides reachability: the patched snapshot goes through the same audit as the
//! original (a closure the caller gives, which knows how the scope was audited), so a plan is
//! "verified" only when that audit says so.

pub mod apply;
pub mod cost;
pub mod reach;
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

/// Audits a patched copy of the scope's snapshot the way the scope itself was audited: of the
/// workloads in the set when one is given (it may audit more), else all of them.
pub type Reaudit<'a> =
    dyn Fn(&Snapshot, Option<&HashSet<String>>) -> Result<Vec<WorkloadResult>, String> + 'a;

/// Re-audits a scope costs a whole audit; a scope with many distinct causes verifies this
/// many change sets, and says of the rest that they were not verified.
pub const MAX_REAUDITS: usize = 64;

/// The work one scope's plans may spend re-auditing, in workloads: each re-audit costs the
/// workloads its changes can touch plus a quarter of the scope (copying the snapshot and
/// indexing it again cost about that). A fleet of thousands of services gets fewer re-audits
/// than [`MAX_REAUDITS`], so that planning costs a bounded multiple of the audit
/// (docs/performance.md measures it).
pub const MAX_REAUDITED_WORKLOADS: usize = 16_000;

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

/// What a re-audit keeps of one workload: its status and blockers from every finding, and the
/// structured fixes of the findings that count (for completing a plan).
struct After {
    status: WorkloadStatus,
    blockers: Vec<(Code, String)>,
    remedies: Vec<Vec<crate::fix::Alternative>>,
}

/// A re-audited scope, by workload name, in the audit's order.
struct Afters {
    order: Vec<String>,
    by_name: HashMap<String, After>,
}

impl Afters {
    fn of(results: Vec<WorkloadResult>) -> Self {
        let mut order = Vec::with_capacity(results.len());
        let mut by_name = HashMap::with_capacity(results.len());
        for result in results {
            let name = result.name();
            let (status, blockers) = status_of(&result);
            let remedies = result
                .findings
                .into_iter()
                .filter(|f| f.severity != Severity::Info)
                .map(|f| f.blocker.remedy)
                .collect();
            order.push(name.clone());
            by_name.insert(
                name,
                After {
                    status,
                    blockers,
                    remedies,
                },
            );
        }
        Afters { order, by_name }
    }
}

/// The status of a re-audited workload from every finding. Suppressions do not count: a
/// suppressed finding still stops the pull, and a plan that leaves one in place does not make
/// the workload pull.
fn status_of(result: &WorkloadResult) -> (WorkloadStatus, Vec<(Code, String)>) {
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

/// Applies change sets to copies of the snapshot and audits them, once per distinct set.
struct Verifier<'a> {
    base: &'a Snapshot,
    reaudit: &'a Reaudit<'a>,
    /// The workloads that pass today, suppressions aside: a plan must not break them.
    passing_before: HashSet<String>,
    done: HashMap<Vec<Change>, Result<Rc<Afters>, String>>,
    /// Workloads audited again so far (see [`MAX_REAUDITED_WORKLOADS`]).
    reaudited: usize,
    /// Workloads in the scope.
    scope_size: usize,
    /// Where each workload runs, for auditing again only those a change set can touch.
    placements: reach::Placements,
    /// Every workload as the audit left it: what a workload no change touches stays.
    before: Afters,
}

impl Verifier<'_> {
    fn after(&mut self, changes: &[Change]) -> Result<Rc<Afters>, String> {
        if let Some(found) = self.done.get(changes) {
            return found.clone();
        }
        if self.done.len() >= MAX_REAUDITS {
            return Err(format!(
                "not verified: the scope's {MAX_REAUDITS} re-audits are spent"
            ));
        }
        let spent = || {
            format!("not verified: the scope's re-audits are spent (at most {MAX_REAUDITED_WORKLOADS} workloads' worth of auditing again)")
        };
        if self.reaudited >= MAX_REAUDITED_WORKLOADS.max(self.scope_size) {
            return Err(spent());
        }
        let mut patched = self.base.clone();
        if let Err(e) = apply_all(&mut patched, changes) {
            let outcome = Err(e.to_string());
            self.done.insert(changes.to_vec(), outcome.clone());
            return outcome;
        }
        let touched = self.placements.touched_by(changes, &[&patched, self.base]);
        let size =
            touched.as_ref().map_or(self.scope_size, HashSet::len) + self.scope_size.div_ceil(4);
        if self.reaudited + size > MAX_REAUDITED_WORKLOADS.max(self.scope_size) {
            let outcome = Err(spent());
            self.done.insert(changes.to_vec(), outcome.clone());
            return outcome;
        }
        self.reaudited += size;
        let outcome =
            (self.reaudit)(&patched, touched.as_ref()).map(|results| Rc::new(Afters::of(results)));
        self.done.insert(changes.to_vec(), outcome.clone());
        outcome
    }

    /// Applies `changes` and reports on `workloads`; `cause`: the blocker whose removal is
    /// in question.
    fn check(
        &mut self,
        changes: &[Change],
        workloads: &[String],
        cause: Option<(Code, &[String])>,
    ) -> Outcome {
        let afters = match self.after(changes) {
            Ok(afters) => afters,
            Err(why) => return Outcome::NotVerified { why },
        };
        let mut removes = true;
        let mut passing = Vec::new();
        let mut remaining = Vec::new();
        for name in workloads {
            let Some(after) = afters
                .by_name
                .get(name)
                .or_else(|| self.before.by_name.get(name))
            else {
                remaining.push(Remaining {
                    workload: name.clone(),
                    status: WorkloadStatus::Unknown,
                    blockers: Vec::new(),
                });
                removes = false;
                continue;
            };
            if let Some((code, resources)) = cause {
                if after
                    .blockers
                    .iter()
                    .any(|(c, r)| *c == code && resources.contains(r))
                {
                    removes = false;
                }
            }
            if after.status == WorkloadStatus::Pass {
                passing.push(name.clone());
            } else {
                remaining.push(Remaining {
                    workload: name.clone(),
                    status: after.status,
                    blockers: after.blockers.clone(),
                });
            }
        }
        let asked: HashSet<&String> = workloads.iter().collect();
        let breaks = afters
            .order
            .iter()
            .filter(|name| self.passing_before.contains(*name) && !asked.contains(name))
            .filter(|name| afters.by_name[*name].status != WorkloadStatus::Pass)
            .cloned()
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
        reaudited: 0,
        scope_size: results.len(),
        placements: reach::Placements::of(results, snapshot),
        before: Afters::of(results.to_vec()),
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
    let afters = verifier.after(changes).ok()?;
    let after = afters
        .by_name
        .get(workload)
        .or_else(|| verifier.before.by_name.get(workload))?;
    let more = union(
        after
            .remedies
            .iter()
            .filter_map(|remedy| pick(remedy, strategy))
            .map(|a| a.changes.as_slice()),
    );
    let new: Vec<Change> = more.into_iter().filter(|c| !changes.contains(c)).collect();
    (!new.is_empty()).then_some(new)
}
