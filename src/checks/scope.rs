//! A run over several accounts and regions: each scope's coverage (where its snapshot came
//! from, what it cost, what it could not read) next to its workloads' results.

use std::collections::BTreeMap;

use super::audit::{WorkloadResult, WorkloadStatus};
use crate::model::{GapKind, Snapshot};

/// Where a scope's configuration was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Collected from the account by this run.
    Live,
    /// Read from a snapshot file.
    Snapshot(String),
}

/// How completely one account and region was read.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// `None` when the caller's own account could not be read.
    pub account_id: Option<String>,
    /// `*` for an account whose regions could not be listed.
    pub region: String,
    pub role_arn: Option<String>,
    pub origin: Origin,
    pub collected_at: Option<String>,
    pub clusters: usize,
    pub services: usize,
    /// AWS calls by `service:Operation` (live scopes only).
    pub calls: Option<BTreeMap<String, usize>>,
    pub seconds: Option<f64>,
    /// IAM actions the collector was denied (what they read is reported unknown).
    pub denied_actions: Vec<String>,
    /// Calls that failed once retries were spent, or whose replies were distrusted, each as
    /// the collector describes it (`got no answer to ec2:DescribeVpcs (Unavailable, request
    /// id …)`); what they read is reported unknown.
    pub failed_calls: Vec<String>,
    /// Clusters whose services could not be read (a failed read leaves them out of the
    /// snapshot): nothing of them is audited, so the scope is unknown, never a pass.
    pub unread_clusters: Vec<String>,
    /// Clusters asked for by name that this account and region does not have.
    pub missing_clusters: Vec<String>,
    /// Services asked for by name that a cluster here does not have (`cluster/service`).
    pub missing_services: Vec<String>,
    /// Why the scope could not be read at all.
    pub error: Option<String>,
}

impl Coverage {
    /// What a snapshot tells of its scope, read from `origin`: nothing missing, no error, no
    /// call counts (a live collection adds them).
    pub fn of(snapshot: &Snapshot, origin: Origin) -> Self {
        let clusters = snapshot.clusters.as_deref().unwrap_or_default();
        Coverage {
            account_id: Some(snapshot.account_id.clone()),
            region: snapshot.region.clone(),
            role_arn: None,
            origin,
            collected_at: snapshot.collected_at.clone(),
            clusters: clusters.len(),
            services: clusters
                .iter()
                .map(|c| c.services.as_ref().map_or(0, Vec::len))
                .sum(),
            calls: None,
            seconds: None,
            denied_actions: snapshot
                .coverage_gaps
                .iter()
                .filter(|g| g.kind == GapKind::Denied)
                .map(|g| g.action.clone())
                .collect(),
            failed_calls: snapshot
                .coverage_gaps
                .iter()
                .filter(|g| g.kind != GapKind::Denied)
                .map(|g| format!("the collector {}", g.describe()))
                .collect(),
            unread_clusters: clusters
                .iter()
                .filter(|c| c.services.is_none())
                .map(|c| c.name.clone())
                .collect(),
            missing_clusters: Vec::new(),
            missing_services: Vec::new(),
            error: None,
        }
    }
}

impl Coverage {
    /// A scope that could not be read at all, and why.
    pub fn unread(account_id: Option<String>, region: &str, error: String) -> Self {
        Coverage {
            account_id,
            region: region.to_string(),
            role_arn: None,
            origin: Origin::Live,
            collected_at: None,
            clusters: 0,
            services: 0,
            calls: None,
            seconds: None,
            denied_actions: Vec::new(),
            failed_calls: Vec::new(),
            unread_clusters: Vec::new(),
            missing_clusters: Vec::new(),
            missing_services: Vec::new(),
            error: Some(error),
        }
    }
}

/// One account and region: its coverage and its workloads' results.
#[derive(Debug, Clone)]
pub struct ScopeAudit {
    pub coverage: Coverage,
    pub results: Vec<WorkloadResult>,
    /// The configuration the results were audited from, kept for planning: fixes are proven,
    /// and what-ifs answered, by auditing a patched copy (`None`: the scope was not read).
    pub snapshot: Option<std::sync::Arc<Snapshot>>,
}

impl ScopeAudit {
    /// The scope's worst status; a scope (or a cluster of it) that could not be read is
    /// unknown, never a pass.
    pub fn status(&self) -> WorkloadStatus {
        let worst = self
            .results
            .iter()
            .map(|r| r.status)
            .max()
            .unwrap_or(WorkloadStatus::Pass);
        if self.coverage.error.is_some() || !self.coverage.unread_clusters.is_empty() {
            worst.max(WorkloadStatus::Unknown)
        } else {
            worst
        }
    }
}

/// The worst status over every scope.
pub fn fleet_status(scopes: &[ScopeAudit]) -> WorkloadStatus {
    scopes
        .iter()
        .map(ScopeAudit::status)
        .max()
        .unwrap_or(WorkloadStatus::Pass)
}
