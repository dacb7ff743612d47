//! Kubernetes manifests before `kubectl apply`: their objects laid over the cluster's, as the
//! apply would leave them, so that the manifests' workloads can be audited alone.
//!
//! `kubectl apply -f` creates each object, or replaces the one of the same kind, namespace and
//! name (server-side, the object's fields become the manifest's). So here:
//! - a manifest's workload replaces the cluster's workload of the same kind, namespace and
//!   name (its old pods are not what the new template will run);
//! - its service accounts, secrets and ExternalSecrets replace the cluster's of the same
//!   namespace and name, or are added;
//! - a namespace it creates gets the `default` service account the service-account controller
//!   makes in every namespace (`pkg/controller/serviceaccount/serviceaccounts_controller.go`);
//! - a kind the cluster was not read for stays unread: knowing the manifest's own service
//!   accounts does not say which others exist.

use crate::model::{KubeCluster, ObjectName, ServiceAccount};

/// Lays `manifest` (objects of one file, namespaces placed) over `cluster`. Returns the labels
/// (`namespace/Kind/name`) of the manifest's workloads, in the file's order.
pub fn apply_manifest(
    cluster: &mut KubeCluster,
    manifest: KubeCluster,
    created_namespaces: &[String],
) -> Vec<String> {
    let incoming = manifest.workloads.unwrap_or_default();
    let key = |namespace: &str, kind: &str, name: &str| format!("{namespace}/{kind}/{name}");
    let mut labels: Vec<String> = Vec::new();
    for w in &incoming {
        let label = key(&w.namespace, &w.kind, &w.name);
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    let workloads = cluster.workloads.get_or_insert_with(Vec::new);
    workloads.retain(|w| !labels.contains(&key(&w.namespace, &w.kind, &w.name)));
    // Two objects of one name in the manifests: the later one is what the apply leaves.
    for (i, w) in incoming.iter().enumerate() {
        let label = key(&w.namespace, &w.kind, &w.name);
        let later = incoming[i + 1..]
            .iter()
            .any(|l| key(&l.namespace, &l.kind, &l.name) == label);
        if !later {
            workloads.push(w.clone());
        }
    }

    if let Some(accounts) = &mut cluster.service_accounts {
        let mut added: Vec<ServiceAccount> = manifest.service_accounts.unwrap_or_default();
        for namespace in created_namespaces {
            let has_default = |list: &[ServiceAccount]| {
                list.iter()
                    .any(|a| &a.namespace == namespace && a.name == "default")
            };
            if !has_default(accounts) && !has_default(&added) {
                added.push(ServiceAccount {
                    namespace: namespace.clone(),
                    name: "default".into(),
                    ..ServiceAccount::default()
                });
            }
        }
        replace_named(accounts, added, |a| (a.namespace.clone(), a.name.clone()));
    }

    // Secrets are replaced by name whatever their type: a manifest's Opaque secret replaces
    // the cluster's pull secret of that name (and is no pull secret any more).
    if let (Some(pull), Some(names), Some(new_names)) = (
        &mut cluster.pull_secrets,
        &mut cluster.secret_names,
        manifest.secret_names,
    ) {
        pull.retain(|s| {
            !new_names
                .iter()
                .any(|n| n.namespace == s.namespace && n.name == s.name)
        });
        pull.extend(manifest.pull_secrets.unwrap_or_default());
        replace_named(names, new_names, |n: &ObjectName| {
            (n.namespace.clone(), n.name.clone())
        });
    }

    if let (Some(external), Some(new)) = (&mut cluster.external_secrets, manifest.external_secrets)
    {
        replace_named(external, new, |e| (e.namespace.clone(), e.name.clone()));
    }
    labels
}

/// `list` with each of `new` in place of the item of its key, or added.
fn replace_named<T>(list: &mut Vec<T>, new: Vec<T>, key: impl Fn(&T) -> (String, String)) {
    list.retain(|item| !new.iter().any(|n| key(n) == key(item)));
    list.extend(new);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KubeContainer, KubeWorkload, PullSecret};

    fn workload(namespace: &str, name: &str, image: &str) -> KubeWorkload {
        KubeWorkload {
            namespace: namespace.into(),
            kind: "Deployment".into(),
            name: name.into(),
            containers: vec![KubeContainer {
                name: name.into(),
                image: image.into(),
                ..KubeContainer::default()
            }],
            ..KubeWorkload::default()
        }
    }

    fn cluster(workloads: Vec<KubeWorkload>) -> KubeCluster {
        KubeCluster {
            name: "c".into(),
            eks_cluster: None,
            namespaces: None,
            workloads: Some(workloads),
            service_accounts: Some(vec![ServiceAccount {
                namespace: "shop".into(),
                name: "default".into(),
                image_pull_secrets: vec!["old".into()],
                ..ServiceAccount::default()
            }]),
            pull_secrets: Some(vec![PullSecret {
                namespace: "shop".into(),
                name: "regcred".into(),
                secret_type: "kubernetes.io/dockerconfigjson".into(),
                registries: Vec::new(),
                unusable: None,
            }]),
            secret_names: Some(vec![ObjectName {
                namespace: "shop".into(),
                name: "regcred".into(),
            }]),
            nodes: None,
            external_secrets: None,
            events: None,
            coverage_gaps: Vec::new(),
        }
    }

    #[test]
    fn the_manifest_replaces_objects_of_its_names_and_returns_its_workloads() {
        let mut live = cluster(vec![
            workload("shop", "web", "old:1"),
            workload("shop", "db", "db:1"),
        ]);
        let mut manifest = cluster(vec![workload("shop", "web", "new:2")]);
        manifest.service_accounts.as_mut().unwrap()[0].image_pull_secrets = vec!["new".into()];
        // An Opaque secret of the pull secret's name: no pull secret any more.
        manifest.pull_secrets = Some(Vec::new());
        let labels = apply_manifest(&mut live, manifest, &["fresh".to_string()]);
        assert_eq!(labels, ["shop/Deployment/web"]);
        let workloads = live.workloads.as_ref().unwrap();
        let images: Vec<&str> = workloads
            .iter()
            .map(|w| w.containers[0].image.as_str())
            .collect();
        assert_eq!(images, ["db:1", "new:2"]);
        let accounts = live.service_accounts.as_ref().unwrap();
        assert_eq!(accounts.len(), 2);
        assert!(accounts
            .iter()
            .any(|a| a.name == "default" && a.image_pull_secrets == ["new"]));
        assert!(accounts
            .iter()
            .any(|a| a.namespace == "fresh" && a.name == "default"));
        assert!(live.pull_secrets.as_ref().unwrap().is_empty());
        assert_eq!(live.secret_names.as_ref().unwrap().len(), 1);
    }

    #[test]
    fn kinds_the_cluster_was_not_read_for_stay_unread() {
        let mut live = cluster(Vec::new());
        live.service_accounts = None;
        live.pull_secrets = None;
        live.secret_names = None;
        apply_manifest(&mut live, cluster(vec![workload("shop", "web", "x")]), &[]);
        assert!(live.service_accounts.is_none());
        assert!(live.pull_secrets.is_none());
        assert!(live.secret_names.is_none());
    }

    #[test]
    fn the_later_of_two_objects_of_one_name_wins() {
        let mut live = cluster(Vec::new());
        let manifest = cluster(vec![
            workload("shop", "web", "a:1"),
            workload("shop", "web", "b:2"),
        ]);
        let labels = apply_manifest(&mut live, manifest, &[]);
        assert_eq!(labels, ["shop/Deployment/web"]);
        let workloads = live.workloads.as_ref().unwrap();
        assert_eq!(workloads.len(), 1);
        assert_eq!(workloads[0].containers[0].image, "b:2");
    }
}
