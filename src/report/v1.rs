//! Report schema version 1 (documented in docs/report.md). These structs are the contract:
//! they are separate from the internal types so the engine can change without changing the
//! JSON. Later versions only add fields.

use serde::Serialize;

use crate::blocker::Status;
use crate::checks::{Severity, WorkloadResult, WorkloadStatus};
use crate::codes::{Code, Effect};
use crate::graph::{HopKind, Via};
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
        }
    }
}
