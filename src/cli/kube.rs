//! `audit` of a Kubernetes cluster's workloads: the cluster read live or from files, the AWS
//! side from a snapshot, one scope in the report.

use std::path::Path;

use super::args::{AuditArgs, KubeArgs};
use super::kube_predeploy::{
    add_pre_deploy, namespaces_to_read, read_manifests, refuse_unused_flags, Only,
};
use super::live::{aws_options, denied, failure_of, runtime, seconds};
use super::predeploy::refuse_ecs_placement;
use super::Failure;
use crate::checks::{audit_kube_units, AuditOptions, Coverage, Origin, ScopeAudit};
use crate::collect::kubernetes::{read_cluster, read_files, KubeSource};
use crate::collect::{collect_kube_side, Aws};
use crate::model::{check_consistency, load_snapshot, GapKind, KubeCluster, Snapshot};
use crate::workload::kube_units;

/// The scope of an audit of Kubernetes workloads: `--snapshot` (one) for the AWS side, and
/// the cluster from `--kube-objects` or `--kube-context`, or the snapshot's own
/// `kube_clusters`. A pre-deploy (`--manifest`, a Prefect Kubernetes work pool) is laid over
/// the cluster and audited alone.
pub fn kube_scopes(args: &AuditArgs, options: &AuditOptions) -> Result<Vec<ScopeAudit>, Failure> {
    if args.pre_deploy.task_definition.is_some() {
        return Err(Failure::bad_input(
            "--task-definition is an ECS task: audit a Kubernetes workload before a deploy with its manifest (--manifest FILE)",
        ));
    }
    let manifests = !args.pre_deploy.manifest.is_empty();
    if manifests {
        refuse_ecs_placement(&args.pre_deploy)?;
    }
    refuse_unused_flags(args)?;
    let (snapshot, origin, only) = match args.snapshot.as_slice() {
        [] => {
            if !args.kube.requested() {
                return Err(Failure::bad_input(
                    "a Kubernetes audit needs the cluster: --kube-context, --kubeconfig or --kube-objects",
                ));
            }
            let incoming = read_manifests(args)?;
            let mut cluster = read_kube(&args.kube, &namespaces_to_read(args, &incoming))?;
            // Before the AWS side is read: the pre-deploy's images are the cluster's.
            let only = add_pre_deploy(args, &mut cluster, incoming)?;
            let collected = live_aws_side(args, cluster)?;
            let only = only.map(|labels| Only { cluster: 0, labels });
            let mut scope = kube_scope(
                &collected.snapshot,
                Origin::Live,
                &args.kube,
                only.as_ref(),
                options,
            )?;
            scope.coverage.calls = Some(collected.calls);
            scope.coverage.seconds = Some(collected.seconds);
            return Ok(vec![scope]);
        }
        [path] => {
            let mut snapshot =
                load_snapshot(path).map_err(|e| Failure::bad_input(e.to_string()))?;
            let incoming = read_manifests(args)?;
            if args.kube.requested() {
                let cluster = read_kube(&args.kube, &namespaces_to_read(args, &incoming))?;
                snapshot.kube_clusters.get_or_insert_with(Vec::new).push(cluster);
            }
            let pre_deploy = manifests || args.pre_deploy.prefect_yaml.is_some();
            let clusters = snapshot.kube_clusters.as_mut().filter(|c| !c.is_empty());
            let only = match clusters {
                // The cluster the flags read, else the snapshot's only one.
                Some(clusters) if pre_deploy && (args.kube.requested() || clusters.len() == 1) => {
                    let at = clusters.len() - 1;
                    add_pre_deploy(args, &mut clusters[at], incoming)?
                        .map(|labels| Only { cluster: at, labels })
                }
                Some(clusters) if pre_deploy => {
                    return Err(Failure::bad_input(format!(
                        "{}: the snapshot holds {} Kubernetes clusters: name the one the workload will run in with --kube-context or --kube-objects",
                        path.display(),
                        clusters.len()
                    )))
                }
                None if pre_deploy => {
                    return Err(Failure::bad_input(
                        "a Kubernetes workload is audited before a deploy against its cluster: give --kube-context or --kube-objects, or a --snapshot holding the cluster",
                    ))
                }
                _ => None,
            };
            (snapshot, Origin::Snapshot(path.display().to_string()), only)
        }
        _ => {
            return Err(Failure::bad_input(
                "a Kubernetes audit reads the AWS side (the nodes' instances, network and roles) from one --snapshot, or live",
            ))
        }
    };
    Ok(vec![kube_scope(
        &snapshot,
        origin,
        &args.kube,
        only.as_ref(),
        options,
    )?])
}

/// The AWS side of `cluster`, collected live with the run's AWS flags (one account and
/// region: the credential chain's, or the one --region names).
pub fn live_aws_side(args: &AuditArgs, cluster: KubeCluster) -> Result<Collected, Failure> {
    if args.fleet.region.len() > 1 || args.fleet.all_regions || !args.fleet.role_arn.is_empty() {
        return Err(Failure::bad_input(
            "a Kubernetes cluster is one account and region: give at most one --region, and no --role-arn or --all-regions",
        ));
    }
    collect_side(
        &aws_options(&args.aws, args.fleet.region.first().map(String::as_str)),
        cluster,
        args.kube.eks_cluster.as_deref(),
    )
}

/// A live collection and what it cost.
pub struct Collected {
    pub snapshot: Snapshot,
    /// AWS calls by `service:Operation`.
    pub calls: std::collections::BTreeMap<String, usize>,
    pub seconds: f64,
}

/// Collects the AWS side of `cluster`, saying on stderr what it cost.
pub fn collect_side(
    options: &crate::collect::AwsOptions,
    cluster: KubeCluster,
    eks_cluster: Option<&str>,
) -> Result<Collected, Failure> {
    let started = std::time::Instant::now();
    let (snapshot, calls) = runtime()?
        .block_on(async {
            let aws = Aws::load(options).await;
            let snapshot = collect_kube_side(&aws, cluster, eks_cluster).await;
            snapshot.map(|s| (s, aws.guard.log.calls()))
        })
        .map_err(failure_of)?;
    check_consistency(&snapshot)
        .map_err(|e| Failure::runtime(format!("the collected snapshot is inconsistent: {e}")))?;
    let total: usize = calls.values().sum();
    eprintln!(
        "pullpath: collected the AWS side of the Kubernetes cluster in {} with {total} AWS calls{}",
        seconds(started.elapsed()),
        crate::report::terminal_text::message(&denied(&snapshot))
    );
    Ok(Collected {
        snapshot,
        calls,
        seconds: started.elapsed().as_secs_f64(),
    })
}

pub fn kube_source(kube: &KubeArgs, namespaces: &[String]) -> KubeSource {
    KubeSource {
        kubeconfig: kube.kubeconfig.clone(),
        context: kube.kube_context.clone(),
        namespaces: namespaces.to_vec(),
    }
}

/// Reads the cluster the flags name; live, only `namespaces` (empty: all).
pub fn read_kube(kube: &KubeArgs, namespaces: &[String]) -> Result<KubeCluster, Failure> {
    let mut cluster = if kube.kube_objects.is_empty() {
        let source = kube_source(kube, namespaces);
        let started = std::time::Instant::now();
        let (cluster, requests) = runtime()?
            .block_on(read_cluster(&source))
            .map_err(Failure::runtime)?;
        eprintln!(
            "pullpath: read Kubernetes cluster `{}` in {} with {requests} list requests: {} workload objects, {} nodes",
            crate::report::terminal_text::name(&cluster.name),
            seconds(started.elapsed()),
            cluster.workloads.as_ref().map_or(0, Vec::len),
            cluster.nodes.as_ref().map_or(0, Vec::len),
        );
        cluster
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
    origin: Origin,
    kube: &KubeArgs,
    only: Option<&Only>,
    options: &AuditOptions,
) -> Result<ScopeAudit, Failure> {
    let source = match &origin {
        Origin::Live => "the live cluster".to_string(),
        Origin::Snapshot(path) => path.clone(),
    };
    let clusters = snapshot.kube_clusters.as_deref().unwrap_or_default();
    if clusters.is_empty() {
        return Err(Failure::bad_input(format!(
            "{source}: the snapshot has no Kubernetes cluster: give one with --kube-objects or --kube-context"
        )));
    }
    let mut coverage = Coverage::of(snapshot, origin);
    let mut results = Vec::new();
    for (at, cluster) in clusters.iter().enumerate() {
        // A pre-deploy is judged on the cluster it will run in, alone.
        if only.is_some_and(|o| o.cluster != at) {
            continue;
        }
        if cluster.workloads.is_none() {
            coverage.unread_clusters.push(cluster.name.clone());
        }
        for gap in &cluster.coverage_gaps {
            let (list, entry) = if gap.kind == GapKind::Denied {
                (
                    &mut coverage.denied_actions,
                    format!("kubernetes: {}", gap.action),
                )
            } else {
                (
                    &mut coverage.failed_calls,
                    format!("the collector {}", gap.describe()),
                )
            };
            if !list.contains(&entry) {
                list.push(entry);
            }
        }
        // A pre-deploy (`only`): its workloads alone, in their own namespaces.
        let units: Vec<_> = kube_units(cluster, if only.is_some() { &[] } else { &kube.namespace })
            .into_iter()
            .filter(|u| only.is_none_or(|o| o.labels.contains(&u.label())))
            .collect();
        results.extend(audit_kube_units(snapshot, &units, options));
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
    Ok(ScopeAudit {
        coverage,
        results,
        snapshot: Some(std::sync::Arc::new(snapshot.clone())),
    })
}
