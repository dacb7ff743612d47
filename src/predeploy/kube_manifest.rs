//! Kubernetes manifests before `kubectl apply`: their objects laid over the cluster's, as the
//! apply would leave them, so that the manifests' workloads can be audited alone.
//!
//! `kubectl apply -f` creates each object, or replaces the one of the same kind, namespace and
//! name (server-side, the object's fields become the manifest's). So here:
//! - a manifest's workload replaces the cluster's workload of the same kind, namespace and
//!   name (its old pods are not what the new template will run);
//! - its service accounts, secrets and ExternalSecrets replace the cluster's of the same
//!   namespace and name, or are added (of two objects of one name, the later);
//! - but a secret's type cannot change: such an apply fails, and the cluster keeps its own;
//! - a namespace that neither exists nor is created fails the apply;
//! - a namespace it creates gets the `default` service account the service-account controller
//!   makes in every namespace (`pkg/controller/serviceaccount/serviceaccounts_controller.go`);
//! - a kind the cluster was not read for stays unread: knowing the manifest's own service
//!   accounts does not say which others exist.

use crate::model::{KubeCluster, ObjectName, PullSecret, ServiceAccount};

/// What laying a manifest over a cluster did.
#[derive(Debug, Default)]
pub struct Applied {
    /// The manifest's workloads (`namespace/Kind/name`), in the file's order.
    pub labels: Vec<String>,
    /// Objects `kubectl apply` would refuse, kept as the cluster has them, with why.
    pub refused: Vec<String>,
}

/// Lays `manifest` (objects of one file, namespaces placed) over `cluster`. A namespace the
/// manifest puts objects in that neither exists nor is created is an error: `kubectl apply`
/// refuses every object there (the NamespaceLifecycle admission plugin: `namespaces "X" not
/// found`).
pub fn apply_manifest(
    cluster: &mut KubeCluster,
    manifest: KubeCluster,
    created_namespaces: &[String],
) -> Result<Applied, String> {
    check_namespaces(cluster, &manifest, created_namespaces)?;
    let mut applied = Applied::default();
    let key = |namespace: &str, kind: &str, name: &str| format!("{namespace}/{kind}/{name}");
    // Two objects of one name in the manifests: the later one is what the apply leaves.
    let incoming = last_of_each(manifest.workloads.unwrap_or_default(), |w| {
        key(&w.namespace, &w.kind, &w.name)
    });
    applied.labels = incoming
        .iter()
        .map(|w| key(&w.namespace, &w.kind, &w.name))
        .collect();
    let workloads = cluster.workloads.get_or_insert_with(Vec::new);
    workloads.retain(|w| {
        !applied
            .labels
            .contains(&key(&w.namespace, &w.kind, &w.name))
    });
    for mut w in incoming {
        // What is created now: whatever an exported object says of its past (a uid, a
        // status, an owner) does not hold for it.
        w.admitted = false;
        w.finished = false;
        w.waiting.clear();
        w.owner = None;
        workloads.push(w);
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

    if let (Some(pull), Some(names), Some(new_names)) = (
        &mut cluster.pull_secrets,
        &mut cluster.secret_names,
        manifest.secret_names,
    ) {
        let new_pull = last_of_each(manifest.pull_secrets.unwrap_or_default(), |s| {
            (s.namespace.clone(), s.name.clone())
        });
        let new_names = last_of_each(new_names, |n| (n.namespace.clone(), n.name.clone()));
        // A secret's type cannot change (`ValidateSecretUpdate`: "field is immutable"): such
        // an apply fails, and the cluster keeps its secret.
        let (kept, changed): (Vec<ObjectName>, Vec<ObjectName>) =
            new_names.into_iter().partition(|n| {
                let was = names
                    .iter()
                    .any(|o| o.namespace == n.namespace && o.name == n.name)
                    .then(|| type_of(pull, n));
                was.is_none_or(|was| was == type_of(&new_pull, n))
            });
        for n in &changed {
            applied.refused.push(format!(
                "secret {}/{} exists with another type, which cannot change (the API server refuses the update: field is immutable); the cluster's is kept",
                n.namespace, n.name
            ));
        }
        let takes = |s: &PullSecret| {
            kept.iter()
                .any(|n| n.namespace == s.namespace && n.name == s.name)
        };
        pull.retain(|s| !takes(s));
        pull.extend(new_pull.into_iter().filter(|s| takes(s)));
        replace_named(names, kept, |n: &ObjectName| {
            (n.namespace.clone(), n.name.clone())
        });
    }

    if let (Some(external), Some(new)) = (&mut cluster.external_secrets, manifest.external_secrets)
    {
        replace_named(external, new, |e| (e.namespace.clone(), e.name.clone()));
    }
    Ok(applied)
}

/// The type a secret has among `pull` secrets: its pull type, or `None` for any other type.
fn type_of<'a>(pull: &'a [PullSecret], name: &ObjectName) -> Option<&'a str> {
    pull.iter()
        .find(|s| s.namespace == name.namespace && s.name == name.name)
        .map(|s| s.secret_type.as_str())
}

/// The namespaces the API server makes and keeps in every cluster (its system namespaces
/// controller, `pkg/controlplane/controller/systemnamespaces`).
const SYSTEM_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

/// Every namespace the manifest puts objects in exists in the cluster or is created by a
/// manifest. A namespace exists when the cluster has a service account in it: the
/// service-account controller makes `default` in every namespace
/// (`pkg/controller/serviceaccount/serviceaccounts_controller.go`). Unknown (service accounts
/// not read): not checked.
fn check_namespaces(
    cluster: &KubeCluster,
    manifest: &KubeCluster,
    created: &[String],
) -> Result<(), String> {
    let Some(accounts) = &cluster.service_accounts else {
        return Ok(());
    };
    let used = manifest
        .workloads
        .iter()
        .flatten()
        .map(|w| &w.namespace)
        .chain(
            manifest
                .service_accounts
                .iter()
                .flatten()
                .map(|a| &a.namespace),
        )
        .chain(manifest.secret_names.iter().flatten().map(|n| &n.namespace));
    for namespace in used {
        let exists = created.contains(namespace)
            || SYSTEM_NAMESPACES.contains(&namespace.as_str())
            || accounts.iter().any(|a| &a.namespace == namespace);
        if !exists {
            return Err(format!(
                "namespace `{namespace}` does not exist in the cluster (it has no service account there, and every namespace has `default`) and no manifest creates it: kubectl apply would refuse the objects (namespaces \"{namespace}\" not found)"
            ));
        }
    }
    Ok(())
}

/// `items` with only the last of each key, in the order of those last ones.
fn last_of_each<T, K: PartialEq>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let keys: Vec<K> = items.iter().map(&key).collect();
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !keys[i + 1..].contains(&keys[*i]))
        .map(|(_, item)| item)
        .collect()
}

/// `list` with each of `new` in place of the item of its key, or added; of several in `new`
/// with one key, the last.
fn replace_named<T>(list: &mut Vec<T>, new: Vec<T>, key: impl Fn(&T) -> (String, String)) {
    let new = last_of_each(new, &key);
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
        let applied = apply_manifest(&mut live, manifest, &["fresh".to_string()]).unwrap();
        assert_eq!(applied.labels, ["shop/Deployment/web"]);
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
        assert_eq!(live.pull_secrets.as_ref().unwrap().len(), 1);
        assert_eq!(live.secret_names.as_ref().unwrap().len(), 1);
    }

    #[test]
    fn kinds_the_cluster_was_not_read_for_stay_unread() {
        let mut live = cluster(Vec::new());
        live.service_accounts = None;
        live.pull_secrets = None;
        live.secret_names = None;
        apply_manifest(&mut live, cluster(vec![workload("shop", "web", "x")]), &[]).unwrap();
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
        let applied = apply_manifest(&mut live, manifest, &[]).unwrap();
        assert_eq!(applied.labels, ["shop/Deployment/web"]);
        let workloads = live.workloads.as_ref().unwrap();
        assert_eq!(workloads.len(), 1);
        assert_eq!(workloads[0].containers[0].image, "b:2");
    }

    #[test]
    fn an_opaque_secret_in_the_manifest_does_not_replace_a_pull_secret_of_its_name() {
        let mut live = cluster(Vec::new());
        let mut manifest = cluster(vec![workload("shop", "web", "x")]);
        manifest.pull_secrets = Some(Vec::new()); // regcred, of another type
        let applied = apply_manifest(&mut live, manifest, &[]).unwrap();
        assert_eq!(applied.refused.len(), 1, "{:?}", applied.refused);
        assert_eq!(live.pull_secrets.as_ref().unwrap().len(), 1);
    }

    #[test]
    fn a_namespace_neither_in_the_cluster_nor_created_is_refused() {
        let mut live = cluster(Vec::new());
        let ghost = cluster(vec![workload("ghost", "web", "x")]);
        let error = apply_manifest(&mut live, ghost, &[]).unwrap_err();
        assert!(error.contains("namespaces \"ghost\" not found"), "{error}");
        let created = cluster(vec![workload("ghost", "web", "x")]);
        assert!(apply_manifest(&mut live, created, &["ghost".to_string()]).is_ok());
    }

    #[test]
    fn what_an_exported_object_says_of_its_past_is_dropped() {
        let mut live = cluster(Vec::new());
        let mut pod = workload("shop", "web", "x");
        pod.kind = "Pod".into();
        pod.admitted = true;
        pod.owner = Some("ReplicaSet/web-1".into());
        apply_manifest(&mut live, cluster(vec![pod]), &[]).unwrap();
        let pod = &live.workloads.as_ref().unwrap()[0];
        assert!(!pod.admitted && pod.owner.is_none());
    }

    #[test]
    fn of_two_accounts_of_one_name_in_a_manifest_the_later_wins() {
        let mut live = cluster(Vec::new());
        let mut manifest = cluster(vec![workload("shop", "web", "x")]);
        let first = ServiceAccount {
            namespace: "shop".into(),
            name: "app".into(),
            image_pull_secrets: vec!["regcred".into()],
            ..ServiceAccount::default()
        };
        let second = ServiceAccount {
            image_pull_secrets: Vec::new(),
            ..first.clone()
        };
        manifest.service_accounts = Some(vec![first, second]);
        apply_manifest(&mut live, manifest, &[]).unwrap();
        let app: Vec<&ServiceAccount> = live
            .service_accounts
            .iter()
            .flatten()
            .filter(|a| a.name == "app")
            .collect();
        assert_eq!(app.len(), 1);
        assert!(app[0].image_pull_secrets.is_empty());
    }
}
