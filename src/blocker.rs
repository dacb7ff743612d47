//! A blocker: one reason a call of the pull sequence cannot (or may not) get through, at one
//! resource, with the fix. Every blocker is built through [`Blocker::new`], whose parameters
//! make the resource, message and fix part of it: a finding nobody can act on is not a finding.

use serde::Serialize;

use crate::codes::{Code, Effect};
use crate::fix::Alternative;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    pub code: Code,
    pub effect: Effect,
    /// The AWS resource to change (route table, security group, role…).
    pub resource_id: String,
    pub message: String,
    pub fix: String,
    /// The fix as changes, one [`Alternative`] per way AWS offers (empty: no structured fix,
    /// the prose `fix` is all there is). Each is proven by `crate::plan` applying it to the
    /// snapshot and auditing again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remedy: Vec<Alternative>,
}

impl Blocker {
    pub fn new(
        code: Code,
        resource_id: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        let blocker = Blocker {
            code,
            effect: code.default_effect(),
            resource_id: resource_id.into(),
            message: message.into(),
            fix: fix.into(),
            remedy: Vec::new(),
        };
        debug_assert!(!blocker.resource_id.is_empty() && !blocker.fix.is_empty());
        blocker
    }

    /// A policy of `resource_id` that decides a call cannot be read (`reason`, from
    /// [`crate::policy::Decision::Unreadable`], names each policy and what is wrong): unknown,
    /// never a pass. `what` says which call (`the execution role … and ecr:BatchGetImage on …`).
    pub fn policy_unreadable(resource_id: &str, what: &str, reason: &str) -> Self {
        Blocker::new(
            Code::PolicyUnreadable,
            resource_id,
            format!("{what}: {reason}, so whether it allows or denies the call is unknown"),
            "Correct the policy the message names so that IAM's policy grammar accepts it (write it through IAM, which validates it), then audit again.",
        )
    }

    /// The same finding with its fix as changes.
    pub fn with_remedy(mut self, remedy: Vec<Alternative>) -> Self {
        self.remedy = remedy;
        self
    }

    /// Takes in the fix of the same blocker met elsewhere (another subnet of the workload),
    /// whose changes differ (that subnet's CIDR): per strategy, the changes this one lacks.
    /// Findings are kept once per identity, so a fix must cover every place it was met.
    pub fn absorb_remedy(&mut self, other: &Blocker) {
        for alternative in &other.remedy {
            match self
                .remedy
                .iter_mut()
                .find(|a| a.strategy == alternative.strategy)
            {
                Some(mine) => {
                    mine.changes.extend(alternative.changes.iter().cloned());
                    crate::fix::coalesce(&mut mine.changes);
                }
                None => self.remedy.push(alternative.clone()),
            }
        }
    }

    /// What makes two findings the same blocker: the same code at the same resource. Root
    /// causes group by it, suppressions and the what-if comparison match by it.
    pub fn identity(&self) -> (Code, &str) {
        (self.code, &self.resource_id)
    }

    /// The same finding, but the configuration cannot tell whether it really blocks.
    pub fn uncertain(mut self) -> Self {
        self.effect = Effect::Unknown;
        self
    }

    pub fn blocks(&self) -> bool {
        self.effect == Effect::Blocks
    }
}

/// The combined status of a set of blockers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Reachable,
    Unknown,
    Blocked,
}

impl Status {
    pub fn of(blockers: &[Blocker]) -> Status {
        if blockers.iter().any(Blocker::blocks) {
            Status::Blocked
        } else if blockers.is_empty() {
            Status::Reachable
        } else {
            Status::Unknown
        }
    }
}
