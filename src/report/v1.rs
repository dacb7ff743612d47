//! Report schema version 1 (documented in docs/report.md). These structs are the contract:
//! they are separate from the internal types so the engine can change without changing the
//! JSON. Later versions only add fields.

use schemars::JsonSchema;
use serde::Serialize;

use super::fleet_v1::{summary, ScopeV1, SummaryV1, SuppressionV1};
use crate::blocker::Status;
use crate::checks::{
    RuleOutcome, ScopeAudit, Severity, Suppression, WorkloadFinding, WorkloadResult, WorkloadStatus,
};
use crate::codes::{Code, Effect};
use crate::diagnose::{Agreement, Diagnosis, Source};
use crate::explain::Classification;
use crate::graph::{HopKind, Via};
use crate::model::AssignPublicIp;
use crate::workload::{Launch, Target};

pub const SCHEMA_VERSION: u32 = 1;

/// pullpath's JSON report, schema version 1 (docs/report.md).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportV1 {
    pub schema_version: u32,
    /// The account audited; `*` when the report covers several (see `scopes`).
    pub account_id: String,
    /// The region audited; `*` when the report covers several (see `scopes`).
    pub region: String,
    /// When the audit ran (RFC 3339, UTC).
    pub generated_at: String,
    pub workloads: Vec<WorkloadV1>,
    pub summary: SummaryV1,
    /// Each account and region read: where from, at what cost, and what could not be read.
    pub scopes: Vec<ScopeV1>,
    /// The rules of `--suppressions`, each with what became of it in this run.
    pub suppressions: Vec<SuppressionV1>,
    /// The findings grouped by the blocker they are (one code at one resource), blocking ones
    /// first, each with its ways out verified by re-auditing the patched snapshot. Empty when
    /// nothing fails, and in `diagnose` reports.
    pub root_causes: Vec<super::plan_v1::RootCauseV1>,
    /// Per failing workload, the smallest sets of changes found that make it pass, and the
    /// root causes ranked by workloads unblocked.
    pub fix_plan: super::plan_v1::FixPlanV1,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WorkloadV1 {
    pub account_id: String,
    pub region: String,
    pub cluster: String,
    pub service: Option<String>,
    pub task_definition: String,
    /// From the findings that are not suppressed: what the exit code counts.
    pub status: WorkloadStatus,
    /// From every finding, suppressed or not.
    pub unsuppressed_status: WorkloadStatus,
    /// How the tasks run: whose network interface and role the calls use.
    pub launch: LaunchV1,
    pub requirements: Vec<RequirementV1>,
    pub findings: Vec<FindingV1>,
    /// Only from `pullpath diagnose`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<DiagnosisV1>,
    /// A Kubernetes workload (then `cluster` is the Kubernetes cluster, `service` is
    /// `namespace/Kind/name` and `task_definition` is `kubernetes:CLUSTER/namespace/Kind/name`).
    /// Absent for an ECS service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesWorkloadV1>,
}

/// Which Kubernetes object a workload is.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KubernetesWorkloadV1 {
    pub namespace: String,
    /// `Pod`, `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`, `Job`, `CronJob`.
    pub kind: String,
    pub name: String,
}

impl KubernetesWorkloadV1 {
    /// From a result the Kubernetes audit made (its task definition says so).
    fn of(result: &WorkloadResult) -> Option<Self> {
        result.task_definition.strip_prefix("kubernetes:")?;
        let mut parts = result.service.as_deref()?.splitn(3, '/');
        Some(KubernetesWorkloadV1 {
            namespace: parts.next()?.to_string(),
            kind: parts.next()?.to_string(),
            name: parts.next()?.to_string(),
        })
    }
}

/// How a workload's tasks run. On Fargate the task's interface and the execution role make
/// every call; on EC2 the container instance's primary interface does, with the instance role
/// for awslogs (and for ECR without an execution role).
#[derive(Debug, Serialize, JsonSchema)]
pub struct LaunchV1 {
    #[serde(rename = "type")]
    pub kind: LaunchKindV1,
    /// Why this launch type: the service's launch type, its or the cluster's capacity provider
    /// strategy, or ECS's default. `null` for Fargate.
    pub reason: Option<String>,
    /// Fargate: the platform version (`LATEST` when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    /// EC2: the Auto Scaling group capacity providers the tasks may land on (empty: any
    /// container instance of the cluster).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_providers: Vec<String>,
    /// EC2: the instances whose primary interfaces and roles were audited.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LaunchKindV1 {
    Fargate,
    Ec2,
    External,
}

impl LaunchV1 {
    fn of(result: &WorkloadResult) -> Self {
        let (kind, reason, platform_version, capacity_providers) = match &result.launch {
            Launch::Fargate { platform_version } => (
                LaunchKindV1::Fargate,
                None,
                Some(platform_version.clone()),
                Vec::new(),
            ),
            Launch::Ec2 {
                why,
                capacity_providers,
            } => (
                LaunchKindV1::Ec2,
                Some(why.clone()),
                None,
                capacity_providers.clone(),
            ),
            Launch::External { why } => {
                (LaunchKindV1::External, Some(why.clone()), None, Vec::new())
            }
        };
        LaunchV1 {
            kind,
            reason,
            platform_version,
            capacity_providers,
            instances: result.instances.clone(),
        }
    }
}

/// What ECS said about the workload's stopped tasks, tied to the audit (`pullpath diagnose`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiagnosisV1 {
    pub summary: String,
    /// Stopped tasks read; `null` when they were not collected.
    pub stopped_tasks: Option<usize>,
    pub audited_with: AuditedWithV1,
    pub observations: Vec<ObservationV1>,
    /// Every error and warning of the audit, the most likely cause of the observations first.
    pub causes: Vec<CauseV1>,
    /// What the configuration cannot show, listed when the messages are not fully explained.
    pub beyond_configuration: Vec<String>,
}

/// The placement and task definition the diagnosis audited: the stopped tasks' own.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditedWithV1 {
    /// The deployment that started the tasks (`startedBy`); tells groups of one service apart.
    pub started_by: Option<String>,
    pub task_definition: String,
    /// `null`: unknown.
    pub subnets: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    pub assign_public_ip: Option<AssignPublicIp>,
    /// Where each of these was read, in words.
    pub sources: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ObservationV1 {
    pub source: Source,
    pub message: String,
    pub occurrences: usize,
    pub tasks: Vec<String>,
    pub container: Option<String>,
    pub last_seen: Option<String>,
    pub classification: Classification,
    pub agreement: Agreement,
    pub note: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CauseV1 {
    pub rank: usize,
    pub code: Code,
    pub severity: Severity,
    pub effect: Effect,
    /// The calls it blocks; empty for the whole workload (e.g. the execution role).
    pub targets: Vec<Target>,
    pub resource_id: String,
    pub message: String,
    pub fix: String,
    /// Indices of the observations it explains, for certain or possibly.
    pub explains: Vec<usize>,
    /// It explains one of them for certain: a blocking finding on the call the message names.
    pub certain: bool,
}

impl From<&Diagnosis> for DiagnosisV1 {
    fn from(d: &Diagnosis) -> Self {
        let configuration = d.placement.configuration.as_ref();
        DiagnosisV1 {
            summary: d.summary.clone(),
            stopped_tasks: d.stopped_tasks,
            audited_with: AuditedWithV1 {
                started_by: d.placement.started_by.clone(),
                task_definition: d.placement.task_definition.clone(),
                subnets: (!d.placement.subnets.is_empty()).then(|| d.placement.subnets.clone()),
                security_groups: configuration.map(|c| c.security_groups.clone()),
                assign_public_ip: configuration.map(|c| c.assign_public_ip),
                sources: d.placement.sources.clone(),
            },
            observations: d
                .observations
                .iter()
                .zip(&d.verdicts)
                .map(|(o, v)| ObservationV1 {
                    source: o.source,
                    message: o.message.clone(),
                    occurrences: o.occurrences,
                    tasks: o.tasks.clone(),
                    container: o.container.clone(),
                    last_seen: o.last_seen.clone(),
                    classification: o.classification.clone(),
                    agreement: v.agreement,
                    note: v.note.clone(),
                })
                .collect(),
            causes: d
                .causes
                .iter()
                .map(|c| CauseV1 {
                    rank: c.rank,
                    code: c.blocker.code,
                    severity: c.severity,
                    effect: c.blocker.effect,
                    targets: c.targets.clone(),
                    resource_id: c.blocker.resource_id.clone(),
                    message: c.blocker.message.clone(),
                    fix: c.blocker.fix.clone(),
                    explains: c.explains.clone(),
                    certain: c.certain,
                })
                .collect(),
            beyond_configuration: d.beyond_configuration.clone(),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RequirementV1 {
    pub target: Target,
    pub host: String,
    pub status: Status,
    pub via: Option<Via>,
    pub path: Vec<HopV1>,
    pub blockers: Vec<BlockerV1>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct HopV1 {
    pub kind: HopKind,
    pub id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BlockerV1 {
    pub code: Code,
    /// `blocks`: the call fails as configured; `unknown`: the configuration cannot tell.
    pub effect: Effect,
    pub resource_id: String,
    pub message: String,
    pub fix: String,
    /// A suppression accepts the workload's finding for this blocker.
    pub suppressed: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FindingV1 {
    pub code: Code,
    pub severity: Severity,
    pub resource_id: String,
    pub message: String,
    pub fix: String,
    /// Accepted by a suppression: shown, but not counted in `status`.
    pub suppressed: bool,
    /// The rule that accepts it, when `suppressed`.
    pub suppression: Option<AppliedSuppressionV1>,
}

/// The suppression rule that accepts a finding.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AppliedSuppressionV1 {
    /// Index into the report's `suppressions`.
    pub rule: usize,
    pub reason: String,
    /// The last day the rule applies (`YYYY-MM-DD`).
    pub expires: Option<String>,
}

impl ReportV1 {
    /// The report of every scope's results, with the suppression rules and what became of
    /// them (`outcomes`, one per rule).
    pub fn new(
        scopes: &[ScopeAudit],
        rules: &[Suppression],
        outcomes: &[RuleOutcome],
        generated_at: &str,
    ) -> Self {
        let workloads: Vec<WorkloadV1> = scopes
            .iter()
            .flat_map(|scope| {
                scope
                    .results
                    .iter()
                    .map(|result| WorkloadV1::new(scope, result, rules))
            })
            .collect();
        let same = |values: Vec<Option<&str>>| match values.first() {
            Some(Some(first)) if values.iter().all(|v| v == &Some(*first)) => first.to_string(),
            _ => "*".to_string(),
        };
        ReportV1 {
            schema_version: SCHEMA_VERSION,
            account_id: same(
                scopes
                    .iter()
                    .map(|s| s.coverage.account_id.as_deref())
                    .collect(),
            ),
            region: same(
                scopes
                    .iter()
                    .map(|s| Some(s.coverage.region.as_str()))
                    .collect(),
            ),
            generated_at: generated_at.to_string(),
            summary: summary(scopes, &workloads),
            scopes: scopes.iter().map(ScopeV1::from).collect(),
            suppressions: rules
                .iter()
                .zip(outcomes)
                .map(|(rule, outcome)| SuppressionV1::new(rule, outcome))
                .collect(),
            workloads,
            root_causes: Vec::new(),
            fix_plan: Default::default(),
        }
    }

    /// The report with the scopes' root causes and plans (`plans[i]` is `scopes[i]`'s).
    pub fn with_plans(mut self, scopes: &[ScopeAudit], plans: &[crate::plan::ScopePlan]) -> Self {
        let (root_causes, fix_plan) = super::plan_v1::plans_v1(scopes, plans);
        self.summary.root_causes = root_causes.len();
        self.root_causes = root_causes;
        self.fix_plan = fix_plan;
        self
    }
}

impl WorkloadV1 {
    fn new(scope: &ScopeAudit, result: &WorkloadResult, rules: &[Suppression]) -> Self {
        let mut workload = WorkloadV1::of_result(result);
        workload.account_id = scope.coverage.account_id.clone().unwrap_or_default();
        workload.region = scope.coverage.region.clone();
        for (requirement, source) in workload.requirements.iter_mut().zip(&result.requirements) {
            for (blocker, source) in requirement.blockers.iter_mut().zip(&source.blockers) {
                blocker.suppressed = result.is_suppressed(source);
            }
        }
        for (finding, source) in workload.findings.iter_mut().zip(&result.findings) {
            finding.suppression = applied(source, rules);
            finding.suppressed = finding.suppression.is_some();
        }
        workload
    }
}

fn applied(finding: &WorkloadFinding, rules: &[Suppression]) -> Option<AppliedSuppressionV1> {
    let index = finding.suppressed_by?;
    let rule = rules.get(index)?;
    Some(AppliedSuppressionV1 {
        rule: index,
        reason: rule.reason.clone(),
        expires: rule.expires.clone(),
    })
}

impl WorkloadV1 {
    /// The name root causes and tables give the workload ("cluster/service").
    pub fn name(&self) -> String {
        crate::checks::workload_name(&self.cluster, self.service.as_deref())
    }

    /// The workload's part of the contract; its scope and suppressions are filled in by
    /// [`WorkloadV1::new`].
    fn of_result(result: &WorkloadResult) -> Self {
        WorkloadV1 {
            account_id: String::new(),
            region: String::new(),
            cluster: result.cluster.clone(),
            service: result.service.clone(),
            task_definition: result.task_definition.clone(),
            status: result.status,
            unsuppressed_status: result.unsuppressed_status,
            launch: LaunchV1::of(result),
            kubernetes: KubernetesWorkloadV1::of(result),
            requirements: result
                .requirements
                .iter()
                .map(|r| RequirementV1 {
                    target: r.requirement.target,
                    host: r.requirement.host.clone(),
                    status: r.status,
                    via: r.via,
                    path: r
                        .path
                        .iter()
                        .map(|h| HopV1 {
                            kind: h.kind,
                            id: h.id.clone(),
                        })
                        .collect(),
                    blockers: r
                        .blockers
                        .iter()
                        .map(|b| BlockerV1 {
                            code: b.code,
                            effect: b.effect,
                            resource_id: b.resource_id.clone(),
                            message: b.message.clone(),
                            fix: b.fix.clone(),
                            suppressed: false,
                        })
                        .collect(),
                })
                .collect(),
            findings: result
                .findings
                .iter()
                .map(|f| FindingV1 {
                    code: f.blocker.code,
                    severity: f.severity,
                    resource_id: f.blocker.resource_id.clone(),
                    message: f.blocker.message.clone(),
                    fix: f.blocker.fix.clone(),
                    suppressed: false,
                    suppression: None,
                })
                .collect(),
            diagnosis: None,
        }
    }
}
