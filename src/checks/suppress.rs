//! Suppressions: findings a team has accepted, each with a reason and usually an expiry date.
//! A suppressed finding stays in the report, marked, but no longer counts towards its
//! workload's status. A rule past its expiry date stops applying; a rule that matches nothing
//! is reported, so stale rules do not pile up unseen.

use wildmatch::WildMatch;

use super::audit::WorkloadStatus;
use super::scope::ScopeAudit;
use crate::codes::Code;

/// One accepted finding pattern, validated (see `docs/suppressions.md`).
#[derive(Debug, Clone)]
pub struct Suppression {
    pub code: Code,
    /// Matched against `cluster/service` (`*` and `?` wildcards).
    pub workload: String,
    /// Matched against the finding's resource id.
    pub resource: String,
    pub account: String,
    pub region: String,
    pub reason: String,
    /// The last day the rule applies (`YYYY-MM-DD`), if it expires.
    pub expires: Option<String>,
    /// Where the rule was written (`FILE:LINE`).
    pub origin: String,
}

/// What became of a rule in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleState {
    /// In force; it suppressed `matched` findings (0: unmatched).
    Active,
    /// Past its expiry date: it suppressed nothing, though it would have matched `matched`.
    Expired,
}

#[derive(Debug, Clone)]
pub struct RuleOutcome {
    pub state: RuleState,
    pub matched: usize,
}

impl Suppression {
    fn is_expired(&self, today: &str) -> bool {
        // ISO dates compare as text.
        self.expires.as_deref().is_some_and(|last| last < today)
    }

    fn matches(
        &self,
        account: &str,
        region: &str,
        workload: &str,
        code: Code,
        resource: &str,
    ) -> bool {
        self.code == code
            && WildMatch::new(&self.workload).matches(workload)
            && WildMatch::new(&self.resource).matches(resource)
            && WildMatch::new(&self.account).matches(account)
            && WildMatch::new(&self.region).matches(region)
    }
}

/// Marks the findings the rules accept (the first rule in file order that matches) and
/// recomputes each workload's status from the rest. `today` is `YYYY-MM-DD`.
pub fn apply_suppressions(
    scopes: &mut [ScopeAudit],
    rules: &[Suppression],
    today: &str,
) -> Vec<RuleOutcome> {
    let mut outcomes: Vec<RuleOutcome> = rules
        .iter()
        .map(|r| RuleOutcome {
            state: if r.is_expired(today) {
                RuleState::Expired
            } else {
                RuleState::Active
            },
            matched: 0,
        })
        .collect();
    for scope in scopes.iter_mut() {
        let account = scope.coverage.account_id.clone().unwrap_or_default();
        let region = scope.coverage.region.clone();
        for result in &mut scope.results {
            let name = result.name();
            for finding in &mut result.findings {
                finding.suppressed_by = None;
                let matching = rules.iter().enumerate().filter(|(_, rule)| {
                    rule.matches(
                        &account,
                        &region,
                        &name,
                        finding.blocker.code,
                        &finding.blocker.resource_id,
                    )
                });
                for (index, _) in matching {
                    outcomes[index].matched += 1;
                    if finding.suppressed_by.is_none() && outcomes[index].state == RuleState::Active
                    {
                        finding.suppressed_by = Some(index);
                    }
                }
            }
            result.status =
                WorkloadStatus::of(result.findings.iter().filter(|f| f.suppressed_by.is_none()));
        }
    }
    outcomes
}
