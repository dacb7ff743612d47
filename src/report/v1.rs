//! Report schema version 1 (documented in docs/report.md). These structs are the contract:
//! they are separate from the internal types so the engine can change without changing the
//! JSON. Later versions only add fields.

use serde::Serialize;

use crate::blocker::Status;
use crate::checks::{Agreement, Diagnosis, Severity, Source, WorkloadResult, WorkloadStatus};
use crate::codes::{Code, Effect};
use crate::explain::Classification;
use crate::graph::{HopKind, Via};
use crate::model::AssignPublicIp;
use crate::workload::Target;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct ReportV1 {
    pub schema_version: u32,
    pub account_id: String,
    pub region: String,
    pub workloads: Vec<WorkloadV1>,
}

#[derive(Debug, Serialize)]
pub struct WorkloadV1 {
    pub cluster: String,
    pub service: Option<String>,
    pub task_definition: String,
    pub status: WorkloadStatus,
    pub requirements: Vec<RequirementV1>,
    pub findings: Vec<FindingV1>,
    /// Only from `pullpath diagnose`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<DiagnosisV1>,
}

/// What ECS said about the workload's stopped tasks, tied to the audit (`pullpath diagnose`).
#[derive(Debug, Serialize)]
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
#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
pub struct RequirementV1 {
    pub target: Target,
    pub host: String,
    pub status: Status,
    pub via: Option<Via>,
    pub path: Vec<HopV1>,
    pub blockers: Vec<BlockerV1>,
}

#[derive(Debug, Serialize)]
pub struct HopV1 {
    pub kind: HopKind,
    pub id: String,
}

#[derive(Debug, Serialize)]
pub struct BlockerV1 {
    pub code: Code,
    /// `blocks`: the call fails as configured; `unknown`: the configuration cannot tell.
    pub effect: Effect,
    pub resource_id: String,
    pub message: String,
    pub fix: String,
}

#[derive(Debug, Serialize)]
pub struct FindingV1 {
    pub code: Code,
    pub severity: Severity,
    pub resource_id: String,
    pub message: String,
    pub fix: String,
}

impl ReportV1 {
    pub fn new(account_id: &str, region: &str, results: &[WorkloadResult]) -> Self {
        ReportV1 {
            schema_version: SCHEMA_VERSION,
            account_id: account_id.to_string(),
            region: region.to_string(),
            workloads: results.iter().map(WorkloadV1::from).collect(),
        }
    }
}

impl From<&WorkloadResult> for WorkloadV1 {
    fn from(result: &WorkloadResult) -> Self {
        WorkloadV1 {
            cluster: result.cluster.clone(),
            service: result.service.clone(),
            task_definition: result.task_definition.clone(),
            status: result.status,
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
                })
                .collect(),
            diagnosis: None,
        }
    }
}
