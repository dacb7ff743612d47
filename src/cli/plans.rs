//! Plans for an audit's scopes: each scope's snapshot patched and audited again the way the
//! scope was audited (its clusters and services, or its Kubernetes workloads).

use std::collections::HashSet;

use super::args::AuditArgs;
use crate::checks::{AuditOptions, Origin, ScopeAudit, WorkloadResult, WorkloadStatus};
use crate::model::Snapshot;
use crate::plan::{plan_scope, ScopePlan};

/// Audits a patched copy of `scope`'s snapshot as the run audited the scope.
pub fn reaudit(
    scope: &ScopeAudit,
    patched: &Snapshot,
    only: Option<&HashSet<String>>,
    args: &AuditArgs,
    options: &AuditOptions,
) -> Result<Vec<WorkloadResult>, String> {
    // A Kubernetes scope's workloads are named `kubernetes:…` (a snapshot may hold ECS
    // clusters as well as the Kubernetes cluster).
    let kube = scope
        .results
        .iter()
        .any(|r| r.task_definition.starts_with("kubernetes:"))
        || (patched.clusters.is_none() && patched.kube_clusters.is_some());
    if kube {
        return super::kube::kube_scope(
            patched,
            scope.coverage.origin.clone(),
            &args.kube,
            None,
            options,
        )
        .map(|s| s.results)
        .map_err(|f| f.message);
    }
    // The run's selection, but never strict: the patched copy has what the scope had.
    let clusters = if matches!(scope.coverage.origin, Origin::Snapshot(_)) {
        args.select.cluster.as_slice()
    } else {
        &[]
    };
    super::audit::audit_snapshot_of(
        patched,
        clusters,
        &args.select.service,
        false,
        options,
        only,
    )
    .map(|a| a.results)
    .map_err(|e| e.to_string())
}

/// Each scope's plan (empty for a scope that passes or was not read).
pub fn plan_scopes(
    scopes: &[ScopeAudit],
    args: &AuditArgs,
    options: &AuditOptions,
) -> Vec<ScopePlan> {
    scopes
        .iter()
        .map(|scope| match &scope.snapshot {
            Some(snapshot)
                if scope
                    .results
                    .iter()
                    .any(|r| r.status != WorkloadStatus::Pass) =>
            {
                plan_scope(&scope.results, snapshot, &|patched: &Snapshot,
                                                       only: Option<
                    &HashSet<String>,
                >| {
                    reaudit(scope, patched, only, args, options)
                })
            }
            _ => ScopePlan::default(),
        })
        .collect()
}
