//! A Kubernetes pre-deploy: `--manifest` files laid over the cluster as `kubectl apply` would
//! leave it, or a Prefect Kubernetes work pool's Job, judged alone; and the flags that mean
//! nothing for a Kubernetes audit.

use std::collections::BTreeSet;

use super::args::AuditArgs;
use super::kube::kube_source;
use super::predeploy::prefect_kube_job;
use super::Failure;
use crate::collect::kubernetes::{context_namespace, read_manifest, ApplyNamespace, Manifest};
use crate::model::{load_snapshot, KubeCluster};
use crate::predeploy::apply_manifest;
use crate::workload::kube_units;

/// Flags that mean nothing for a Kubernetes audit are bad input, not silently dropped.
pub fn refuse_unused_flags(args: &AuditArgs) -> Result<(), Failure> {
    let ecs = [
        (!args.select.cluster.is_empty(), "--cluster"),
        (args.select.all_clusters, "--all-clusters"),
        (!args.select.service.is_empty(), "--service"),
    ];
    if let Some((_, flag)) = ecs.iter().find(|(given, _)| *given) {
        return Err(Failure::bad_input(format!(
            "{flag} selects ECS services: a Kubernetes audit takes --namespace (or --manifest, --prefect-yaml)"
        )));
    }
    let prefect = args.pre_deploy.prefect_yaml.is_some();
    if !prefect && (args.pre_deploy.deployment.is_some() || !args.pre_deploy.vars.is_empty()) {
        return Err(Failure::bad_input(
            "--deployment and --var are for --prefect-yaml",
        ));
    }
    if !args.pre_deploy.manifest.is_empty() && args.kube.all_namespaces {
        return Err(Failure::bad_input(
            "--all-namespaces with --manifest: the manifests' workloads are judged in their own namespaces (give at most one --namespace, as kubectl apply -n)",
        ));
    }
    Ok(())
}

/// Whether the audit is of Kubernetes workloads given without a cluster flag: a Prefect
/// Kubernetes work pool or a manifest, against the cluster the only `--snapshot` holds.
pub fn is_kube_pre_deploy(args: &AuditArgs) -> bool {
    !args.pre_deploy.manifest.is_empty() || is_kube_prefect(args)
}

/// Whether `--prefect-yaml` is a Kubernetes work pool's: its cluster is in the only
/// `--snapshot` (a Kubernetes snapshot, without ECS clusters).
fn is_kube_prefect(args: &AuditArgs) -> bool {
    args.pre_deploy.prefect_yaml.is_some()
        && matches!(args.snapshot.as_slice(), [path] if load_snapshot(path)
            .is_ok_and(|s| s.clusters.is_none() && s.kube_clusters.is_some()))
}

/// The workloads a pre-deploy audits: one cluster's, by `namespace/Kind/name`.
pub struct Only {
    /// Its index in the snapshot's `kube_clusters`.
    pub cluster: usize,
    pub labels: BTreeSet<String>,
}

/// `--manifest` files, each read with its namespaces placed as `kubectl apply` places them
/// (`--namespace`, else the kubeconfig context's, else `default`), in order.
pub fn read_manifests(args: &AuditArgs) -> Result<Vec<Manifest>, Failure> {
    let paths = &args.pre_deploy.manifest;
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let namespace = match args.kube.namespace.as_slice() {
        [one] => ApplyNamespace {
            name: one.clone(),
            explicit: true,
        },
        [] => {
            // Live, `kubectl apply` uses the context's namespace; offline there is no context.
            let live = args.kube.kube_objects.is_empty() && args.kube.requested();
            let context = if live {
                context_namespace(&kube_source(&args.kube, &[])).map_err(Failure::bad_input)?
            } else {
                None
            };
            ApplyNamespace {
                name: context.unwrap_or_else(|| "default".into()),
                explicit: false,
            }
        }
        _ => {
            return Err(Failure::bad_input(
                "--manifest is applied to one namespace, as kubectl apply -n: give at most one --namespace",
            ))
        }
    };
    paths
        .iter()
        .map(|path| read_manifest(path, &namespace).map_err(Failure::bad_input))
        .collect()
}

/// Removes the pods (and ReplicaSets, Jobs) of the workloads a manifest replaced: the rollout
/// replaces them with pods of the new template, so the cluster after the apply has none of
/// them — not for the audit, not for a fix plan's re-audits.
fn drop_replaced_pods(cluster: &mut KubeCluster, replaced: &BTreeSet<String>) {
    let owned: BTreeSet<(String, String, String)> = kube_units(cluster, &[])
        .iter()
        .filter(|u| replaced.contains(&u.label()))
        .flat_map(|u| {
            u.pods
                .iter()
                .filter(|p| !std::ptr::eq(**p, u.workload))
                .map(|p| (p.namespace.clone(), p.kind.clone(), p.name.clone()))
        })
        .collect();
    if let Some(workloads) = cluster.workloads.as_mut().filter(|_| !owned.is_empty()) {
        workloads
            .retain(|w| !owned.contains(&(w.namespace.clone(), w.kind.clone(), w.name.clone())));
    }
}

/// Each workload the `--manifest` files define (`namespace/Kind/name`) and the file that
/// defines it (the last, when several do), for reports that point at files.
pub fn manifest_workloads(args: &AuditArgs) -> Result<Vec<(String, String)>, Failure> {
    let manifests = read_manifests(args)?;
    let mut defined: Vec<(String, String)> = Vec::new();
    for (manifest, path) in manifests.iter().zip(&args.pre_deploy.manifest) {
        for w in manifest.objects.workloads.iter().flatten() {
            let label = format!("{}/{}/{}", w.namespace, w.kind, w.name);
            defined.retain(|(l, _)| *l != label);
            defined.push((label, path.display().to_string()));
        }
    }
    Ok(defined)
}

/// The namespaces to read live: `--namespace`, else those the manifests' workloads go to (a
/// pre-deploy needs nothing else of the cluster but its nodes), else all.
pub fn namespaces_to_read(args: &AuditArgs, manifests: &[Manifest]) -> Vec<String> {
    if !args.kube.namespace.is_empty() || manifests.is_empty() {
        return args.kube.namespace.clone();
    }
    let namespaces: BTreeSet<String> = manifests
        .iter()
        .flat_map(|m| m.objects.workloads.iter().flatten())
        .map(|w| w.namespace.clone())
        .collect();
    namespaces.into_iter().collect()
}

/// What a pre-deploy adds to `cluster`: a Prefect Kubernetes work pool's Job (`--prefect-yaml`)
/// or the manifests' objects, in order. Returns the labels of the workloads to audit alone;
/// `None` for an ordinary audit.
pub fn add_pre_deploy(
    args: &AuditArgs,
    cluster: &mut KubeCluster,
    manifests: Vec<Manifest>,
) -> Result<Option<BTreeSet<String>>, Failure> {
    // The Job a Prefect worker creates is applied as a one-object manifest: it replaces a
    // Job of its name, in a namespace that must exist.
    let manifests = match prefect_kube_job(&args.pre_deploy)? {
        Some(job) => vec![Manifest {
            objects: KubeCluster {
                name: args
                    .pre_deploy
                    .prefect_yaml
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                workloads: Some(vec![job]),
                ..KubeCluster::default()
            },
            namespaces: Vec::new(),
        }],
        None if manifests.is_empty() => return Ok(None),
        None => manifests,
    };
    let mut labels = BTreeSet::new();
    for manifest in manifests {
        let file = manifest.objects.name.clone();
        let applied = apply_manifest(cluster, manifest.objects, &manifest.namespaces)
            .map_err(|e| Failure::bad_input(format!("{file}: {e}")))?;
        for refused in &applied.refused {
            eprintln!(
                "pullpath: warning: {file}: {}",
                crate::report::terminal_text::message(refused)
            );
        }
        labels.extend(applied.labels);
    }
    drop_replaced_pods(cluster, &labels);
    if labels.is_empty() {
        return Err(Failure::bad_input(
            "--manifest: no workload in the manifests (a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob) to audit",
        ));
    }
    Ok(Some(labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KubeContainer, KubeWorkload};

    fn workload(kind: &str, name: &str, owner: Option<&str>) -> KubeWorkload {
        KubeWorkload {
            namespace: "shop".into(),
            kind: kind.into(),
            name: name.into(),
            owner: owner.map(String::from),
            containers: vec![KubeContainer {
                name: "web".into(),
                image: "nginx".into(),
                ..KubeContainer::default()
            }],
            labels: [("pod-template-hash".to_string(), "5c8d".to_string())].into(),
            ..KubeWorkload::default()
        }
    }

    #[test]
    fn the_pods_of_a_replaced_workload_are_gone_after_the_apply() {
        let mut cluster = KubeCluster {
            name: "c".into(),
            workloads: Some(vec![
                workload("Deployment", "web", None),
                workload("Pod", "web-5c8d-a", Some("ReplicaSet/web-5c8d")),
                workload("Deployment", "db", None),
                workload("Pod", "db-5c8d-a", Some("ReplicaSet/db-5c8d")),
            ]),
            ..KubeCluster::default()
        };
        drop_replaced_pods(
            &mut cluster,
            &BTreeSet::from(["shop/Deployment/web".to_string()]),
        );
        let left: Vec<&str> = cluster
            .workloads
            .iter()
            .flatten()
            .map(|w| w.name.as_str())
            .collect();
        assert_eq!(left, ["web", "db", "db-5c8d-a"]);
    }
}
