//! The fleet parts of report v1: the summary for dashboards, each scope's coverage, the
//! suppression rules, and the NDJSON lines (`--format ndjson`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::v1::{WorkloadV1, SCHEMA_VERSION};
use crate::checks::{Origin, RuleOutcome, RuleState, ScopeAudit, Suppression, WorkloadStatus};
use crate::codes::Code;

/// Counts for dashboards. Finding counts leave suppressed findings out.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SummaryV1 {
    pub workloads: usize,
    pub by_status: StatusCountsV1,
    /// Findings by code: how many, and in how many workloads.
    pub by_code: BTreeMap<String, CodeCountsV1>,
    /// Workloads by status in each account and region, in scope order.
    pub by_account_region: Vec<ScopeCountsV1>,
    pub suppressed_findings: usize,
    /// Scopes that could not be read at all (their workloads are missing: never a pass).
    pub scopes_failed: usize,
    /// The report's root causes (the length of `root_causes`): the things to change, counted
    /// apart from the findings they produce.
    pub root_causes: usize,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct StatusCountsV1 {
    pub pass: usize,
    pub fail: usize,
    pub unknown: usize,
}

impl StatusCountsV1 {
    fn add(&mut self, status: WorkloadStatus) {
        match status {
            WorkloadStatus::Pass => self.pass += 1,
            WorkloadStatus::Fail => self.fail += 1,
            WorkloadStatus::Unknown => self.unknown += 1,
        }
    }
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct CodeCountsV1 {
    pub findings: usize,
    pub workloads: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ScopeCountsV1 {
    pub account_id: Option<String>,
    pub region: String,
    pub workloads: usize,
    pub by_status: StatusCountsV1,
}

pub(super) fn summary(scopes: &[ScopeAudit], workloads: &[WorkloadV1]) -> SummaryV1 {
    let mut by_status = StatusCountsV1::default();
    let mut by_code: BTreeMap<String, CodeCountsV1> = BTreeMap::new();
    let mut suppressed_findings = 0;
    for workload in workloads {
        by_status.add(workload.status);
        let mut codes: Vec<Code> = Vec::new();
        for finding in &workload.findings {
            if finding.suppressed {
                suppressed_findings += 1;
                continue;
            }
            by_code
                .entry(finding.code.as_str().to_string())
                .or_default()
                .findings += 1;
            if !codes.contains(&finding.code) {
                codes.push(finding.code);
            }
        }
        for code in codes {
            by_code
                .entry(code.as_str().to_string())
                .or_default()
                .workloads += 1;
        }
    }
    let by_account_region = scopes
        .iter()
        .map(|scope| {
            let mut counts = StatusCountsV1::default();
            for result in &scope.results {
                counts.add(result.status);
            }
            ScopeCountsV1 {
                account_id: scope.coverage.account_id.clone(),
                region: scope.coverage.region.clone(),
                workloads: scope.results.len(),
                by_status: counts,
            }
        })
        .collect();
    SummaryV1 {
        workloads: workloads.len(),
        by_status,
        by_code,
        by_account_region,
        suppressed_findings,
        scopes_failed: scopes.iter().filter(|s| s.coverage.error.is_some()).count(),
        root_causes: 0,
    }
}

/// How completely one account and region was read.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ScopeV1 {
    /// `null` when the caller's own account could not be read.
    pub account_id: Option<String>,
    /// `*` for an account whose regions could not be listed.
    pub region: String,
    /// The role assumed to read the account; `null` for the caller's own credentials.
    pub role_arn: Option<String>,
    pub source: ScopeSourceV1,
    /// The snapshot file, for `source: snapshot`.
    pub snapshot: Option<String>,
    pub collected_at: Option<String>,
    pub status: CoverageV1,
    pub clusters: usize,
    pub services: usize,
    pub workloads: usize,
    /// AWS calls made (live scopes only).
    pub calls: Option<usize>,
    /// The same, by `service:Operation`.
    pub calls_by_operation: Option<BTreeMap<String, usize>>,
    pub seconds: Option<f64>,
    /// IAM actions the collector was denied: what they read is reported `unknown`.
    pub denied_actions: Vec<String>,
    /// Calls that failed after retries, or whose replies were distrusted (cut short, an id
    /// missing, fewer answers than asked): what they read is reported `unknown`.
    pub failed_calls: Vec<String>,
    /// Clusters whose services could not be read: not audited, so the scope is unknown.
    pub unread_clusters: Vec<String>,
    /// Clusters asked for by name that this account and region does not have.
    pub missing_clusters: Vec<String>,
    /// Services asked for by name that a cluster here does not have (`cluster/service`).
    pub missing_services: Vec<String>,
    /// Why the scope could not be read (`status: failed`).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeSourceV1 {
    Live,
    Snapshot,
}

/// `complete`: everything was read; `partial`: some calls were denied or failed; `failed`:
/// nothing could be read.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CoverageV1 {
    Complete,
    Partial,
    Failed,
}

impl From<&ScopeAudit> for ScopeV1 {
    fn from(scope: &ScopeAudit) -> Self {
        let c = &scope.coverage;
        let (source, snapshot) = match &c.origin {
            Origin::Live => (ScopeSourceV1::Live, None),
            Origin::Snapshot(path) => (ScopeSourceV1::Snapshot, Some(path.clone())),
        };
        ScopeV1 {
            account_id: c.account_id.clone(),
            region: c.region.clone(),
            role_arn: c.role_arn.clone(),
            source,
            snapshot,
            collected_at: c.collected_at.clone(),
            status: if c.error.is_some() {
                CoverageV1::Failed
            } else if c.denied_actions.is_empty()
                && c.failed_calls.is_empty()
                && c.unread_clusters.is_empty()
            {
                CoverageV1::Complete
            } else {
                CoverageV1::Partial
            },
            clusters: c.clusters,
            services: c.services,
            workloads: scope.results.len(),
            calls: c.calls.as_ref().map(|calls| calls.values().sum()),
            calls_by_operation: c.calls.clone(),
            seconds: c.seconds,
            denied_actions: c.denied_actions.clone(),
            failed_calls: c.failed_calls.clone(),
            unread_clusters: c.unread_clusters.clone(),
            missing_clusters: c.missing_clusters.clone(),
            missing_services: c.missing_services.clone(),
            error: c.error.clone(),
        }
    }
}

/// A rule of the suppressions file and what became of it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SuppressionV1 {
    /// Where the rule is written (`FILE:LINE`).
    pub origin: String,
    pub code: Code,
    pub workload: String,
    pub resource: String,
    pub account: String,
    pub region: String,
    pub reason: String,
    pub expires: Option<String>,
    pub state: SuppressionStateV1,
    /// Findings the rule matches.
    pub matched: usize,
    /// Findings it suppressed (each finding goes to the first rule in force that matches it).
    pub applied: usize,
}

/// `active`: in force and suppressing findings; `unmatched`: in force, matching nothing
/// (stale?); `shadowed`: in force and matching, but earlier rules take every finding it
/// matches; `expired`: past its date, no longer applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionStateV1 {
    Active,
    Unmatched,
    Shadowed,
    Expired,
}

impl SuppressionV1 {
    pub(super) fn new(rule: &Suppression, outcome: &RuleOutcome) -> Self {
        SuppressionV1 {
            origin: rule.origin.clone(),
            code: rule.code,
            workload: rule.workload.clone(),
            resource: rule.resource.clone(),
            account: rule.account.clone(),
            region: rule.region.clone(),
            reason: rule.reason.clone(),
            expires: rule.expires.clone(),
            state: match (outcome.state, outcome.matched, outcome.applied) {
                (RuleState::Expired, ..) => SuppressionStateV1::Expired,
                (RuleState::Active, 0, _) => SuppressionStateV1::Unmatched,
                (RuleState::Active, _, 0) => SuppressionStateV1::Shadowed,
                (RuleState::Active, ..) => SuppressionStateV1::Active,
            },
            matched: outcome.matched,
            applied: outcome.applied,
        }
    }
}

/// One line of `--format ndjson`: a workload, then each scope, then the summary. Every line
/// carries the schema version and the audit time; `record` tells them apart.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "record", rename_all = "lowercase")]
pub enum LineV1 {
    Workload {
        schema_version: u32,
        audited_at: String,
        #[serde(flatten)]
        workload: Box<WorkloadV1>,
    },
    Scope {
        schema_version: u32,
        audited_at: String,
        #[serde(flatten)]
        scope: Box<ScopeV1>,
    },
    Summary {
        schema_version: u32,
        audited_at: String,
        #[serde(flatten)]
        summary: Box<SummaryV1>,
    },
    /// One root cause (after the workloads and before the scopes).
    #[serde(rename = "root_cause")]
    RootCause {
        schema_version: u32,
        audited_at: String,
        #[serde(flatten)]
        root_cause: Box<super::plan_v1::RootCauseV1>,
    },
    /// One failing workload's plan.
    #[serde(rename = "fix_plan")]
    FixPlan {
        schema_version: u32,
        audited_at: String,
        #[serde(flatten)]
        plan: Box<super::plan_v1::WorkloadPlanV1>,
    },
}

impl LineV1 {
    /// The lines of a report, in order: workloads, scopes, summary.
    pub fn lines_of(report: super::ReportV1) -> Vec<LineV1> {
        let at = report.generated_at;
        let mut lines: Vec<LineV1> = report
            .workloads
            .into_iter()
            .map(|workload| LineV1::Workload {
                schema_version: SCHEMA_VERSION,
                audited_at: at.clone(),
                workload: Box::new(workload),
            })
            .collect();
        lines.extend(
            report
                .root_causes
                .into_iter()
                .map(|cause| LineV1::RootCause {
                    schema_version: SCHEMA_VERSION,
                    audited_at: at.clone(),
                    root_cause: Box::new(cause),
                }),
        );
        lines.extend(
            report
                .fix_plan
                .workloads
                .into_iter()
                .map(|plan| LineV1::FixPlan {
                    schema_version: SCHEMA_VERSION,
                    audited_at: at.clone(),
                    plan: Box::new(plan),
                }),
        );
        lines.extend(report.scopes.into_iter().map(|scope| LineV1::Scope {
            schema_version: SCHEMA_VERSION,
            audited_at: at.clone(),
            scope: Box::new(scope),
        }));
        lines.push(LineV1::Summary {
            schema_version: SCHEMA_VERSION,
            audited_at: at,
            summary: Box::new(report.summary),
        });
        lines
    }
}
