//! `audit` of a Kubernetes cluster's workloads: the cluster read live or from files, the AWS
//! side from a snapshot, one scope in the report.

use std::path::Path;

use super::args::{AuditArgs, KubeArgs};
use super::live::runtime;
use super::Failure;
use crate::checks::{audit_kube_cluster, AuditOptions, Coverage, Origin, ScopeAudit};
use crate::collect::kubernetes::{read_cluster, read_files, KubeSource};
use crate::model::{load_snapshot, GapKind, KubeCluster, Snapshot};

/// The scope of an audit of Kubernetes workloads: `--snapshot` (one) for the AWS side, and
/// the cluster from `--kube-objects` or `--kube-context`, or the snapshot's own
/// `kube_clusters`.
pub fn kube_scopes(args: &AuditArgs, options: &AuditOptions) -> Result<Vec<ScopeAudit>, Failure> {
    let [path] = args.snapshot.as_slice() else {
        return Err(Failure::bad_input(
            "a Kubernetes audit reads the AWS side (the nodes' instances, network and roles) from one --snapshot",
        ));
    };
    let mut snapshot = load_snapshot(path).map_err(|e| Failure::bad_input(e.to_string()))?;
    if args.kube.requested() {
        let cluster = read_kube(&args.kube)?;
        snapshot
            .kube_clusters
            .get_or_insert_with(Vec::new)
            .push(cluster);
    }
    Ok(vec![kube_scope(
        &snapshot,
        &path.display().to_string(),
        &args.kube,
        options,
    )?])
}

/// Reads the cluster the flags name.
pub fn read_kube(kube: &KubeArgs) -> Result<KubeCluster, Failure> {
    let mut cluster = if kube.kube_objects.is_empty() {
        let source = KubeSource {
            kubeconfig: kube.kubeconfig.clone(),
            context: kube.kube_context.clone(),
            namespaces: kube.namespace.clone(),
        };
        runtime()?
            .block_on(read_cluster(&source))
            .map_err(Failure::runtime)?
    } else {
        let paths: Vec<&Path> = kube.kube_objects.iter().map(|p| p.as_path()).collect();
        let name = kube.kube_objects[0]
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "kubernetes".into());
        read_files(&name, &paths).map_err(Failure::bad_input)?
    };
    if kube.eks_cluster.is_some() {
        cluster.eks_cluster.clone_from(&kube.eks_cluster);
    }
    Ok(cluster)
}

/// Audits every Kubernetes cluster of the snapshot (in the namespaces asked for).
pub fn kube_scope(
    snapshot: &Snapshot,
    source: &str,
    kube: &KubeArgs,
    options: &AuditOptions,
) -> Result<ScopeAudit, Failure> {
    let clusters = snapshot.kube_clusters.as_deref().unwrap_or_default();
    if clusters.is_empty() {
        return Err(Failure::bad_input(format!(
            "{source}: the snapshot has no Kubernetes cluster: give one with --kube-objects or --kube-context"
        )));
    }
    let mut coverage = Coverage::of(snapshot, Origin::Snapshot(source.to_string()));
    let mut results = Vec::new();
    for cluster in clusters {
        if cluster.workloads.is_none() {
            coverage.unread_clusters.push(cluster.name.clone());
        }
        for gap in &cluster.coverage_gaps {
            if gap.kind == GapKind::Denied {
                coverage
                    .denied_actions
                    .push(format!("kubernetes: {}", gap.action));
            } else {
                coverage
                    .failed_calls
                    .push(format!("the collector {}", gap.describe()));
            }
        }
        results.extend(audit_kube_cluster(
            snapshot,
            cluster,
            &kube.namespace,
            options,
        ));
    }
    coverage.clusters = clusters.len();
    coverage.services = results.len();
    if results.is_empty() && coverage.unread_clusters.is_empty() {
        let which = if kube.namespace.is_empty() {
            "any namespace".to_string()
        } else {
            format!("namespace(s) {}", kube.namespace.join(", "))
        };
        return Err(Failure::bad_input(format!(
            "nothing to audit: no pod or workload in {which} of the Kubernetes cluster(s) read"
        )));
    }
    Ok(ScopeAudit { coverage, results })
}
