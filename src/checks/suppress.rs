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

/// Whether a rule is in force in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleState {
    Active,
    /// Past its expiry date: it suppresses nothing.
    Expired,
}

/// What became of a rule in this run.
#[derive(Debug, Clone)]
pub struct RuleOutcome {
    pub state: RuleState,
    /// Findings the rule matches.
    pub matched: usize,
    /// Findings it suppressed (a finding goes to the first rule in force that matches it).
    pub applied: usize,
    /// For an expired rule: findings it matches that no other rule suppresses, which count
    /// again.
    pub reinstated: usize,
}

impl Suppression {
    /// `expires` is the last day the rule applies; ISO dates compare as text.
    fn is_expired(&self, today: &str) -> bool {
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
            applied: 0,
            reinstated: 0,
        })
        .collect();
    for scope in scopes.iter_mut() {
        let account = scope.coverage.account_id.clone().unwrap_or_default();
        let region = scope.coverage.region.clone();
        for result in &mut scope.results {
            let name = result.name();
            for finding in &mut result.findings {
                let matching: Vec<usize> = rules
                    .iter()
                    .enumerate()
                    .filter(|(_, rule)| {
                        rule.matches(
                            &account,
                            &region,
                            &name,
                            finding.blocker.code,
                            &finding.blocker.resource_id,
                        )
                    })
                    .map(|(index, _)| index)
                    .collect();
                finding.suppressed_by = matching
                    .iter()
                    .copied()
                    .find(|i| outcomes[*i].state == RuleState::Active);
                for index in matching {
                    let outcome = &mut outcomes[index];
                    outcome.matched += 1;
                    if finding.suppressed_by == Some(index) {
                        outcome.applied += 1;
                    }
                    if outcome.state == RuleState::Expired && finding.suppressed_by.is_none() {
                        outcome.reinstated += 1;
                    }
                }
            }
            result.status =
                WorkloadStatus::of(result.findings.iter().filter(|f| f.suppressed_by.is_none()));
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Coverage, Origin, ScopeAudit};
    use crate::model::load_snapshot;
    use crate::workload::select_workloads;

    fn scopes() -> Vec<ScopeAudit> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/scenarios/multi-service.json");
        let snapshot = load_snapshot(&path).unwrap();
        let workloads = select_workloads(&snapshot, None, &[]).unwrap();
        vec![ScopeAudit {
            coverage: Coverage::of(&snapshot, Origin::Live),
            results: crate::checks::audit_workloads(&snapshot, &workloads, &Default::default()),
            snapshot: None,
        }]
    }

    fn rule(workload: &str, expires: Option<&str>) -> Suppression {
        Suppression {
            code: Code::NoPublicIp,
            workload: workload.into(),
            resource: "*".into(),
            account: "*".into(),
            region: "us-*".into(),
            reason: "accepted".into(),
            expires: expires.map(str::to_string),
            origin: "s.toml:1".into(),
        }
    }

    #[test]
    fn a_rule_applies_through_its_last_day() {
        for (today, status) in [
            ("2027-03-31", WorkloadStatus::Pass),
            ("2027-04-01", WorkloadStatus::Fail),
        ] {
            let mut scopes = scopes();
            let outcomes = apply_suppressions(
                &mut scopes,
                &[rule("prod/worker", Some("2027-03-31"))],
                today,
            );
            assert_eq!(scopes[0].results[1].status, status, "{today}");
            assert_eq!(
                scopes[0].results[1].unsuppressed_status,
                WorkloadStatus::Fail
            );
            assert_eq!(outcomes[0].matched, 2);
        }
    }

    #[test]
    fn the_first_rule_in_force_takes_the_finding_and_the_others_are_counted_apart() {
        let mut scopes = scopes();
        let rules = [
            rule("prod/*", None),
            rule("prod/worker", Some("2020-01-01")),
            rule("prod/work*", None),
        ];
        let outcomes = apply_suppressions(&mut scopes, &rules, "2026-12-01");
        let worker = &scopes[0].results[1];
        assert_eq!(worker.status, WorkloadStatus::Pass);
        assert!(worker.findings.iter().all(|f| f.suppressed_by == Some(0)));
        let counts: Vec<(RuleState, usize, usize, usize)> = outcomes
            .iter()
            .map(|o| (o.state, o.matched, o.applied, o.reinstated))
            .collect();
        assert_eq!(
            counts,
            [
                (RuleState::Active, 2, 2, 0),
                // Expired, but its findings stay suppressed by rule 0: none counts again.
                (RuleState::Expired, 2, 0, 0),
                // In force, matching, but shadowed: it suppresses nothing.
                (RuleState::Active, 2, 0, 0),
            ]
        );
    }

    #[test]
    fn patterns_must_all_match() {
        let mut scopes = scopes();
        let mut other_region = rule("prod/worker", None);
        other_region.region = "eu-*".into();
        let mut other_resource = rule("prod/worker", None);
        other_resource.resource = "subnet-0a1b2c3d4e5f6001a".into();
        let outcomes =
            apply_suppressions(&mut scopes, &[other_region, other_resource], "2026-12-01");
        assert_eq!((outcomes[0].matched, outcomes[1].matched), (0, 1));
        assert_eq!(
            scopes[0].results[1].status,
            WorkloadStatus::Fail,
            "one of two findings left"
        );
    }
}
