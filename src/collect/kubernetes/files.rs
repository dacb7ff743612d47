//! Reading a cluster offline: `kubectl get … -A -o json` output (a `List`, or one object) and
//! YAML manifests (several documents), into the snapshot's Kubernetes section.
//!
//! A kind no file holds is *not read* (`None`), never "there are none": auditing a Deployment
//! manifest alone leaves its service account and pull secrets unknown.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::objects::Objects;
use crate::model::KubeCluster;

/// The largest file read: `kubectl get pods -A -o json` of a 5,000-pod cluster is some tens
/// of megabytes.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Which kinds the files held, so that absent kinds stay "not read".
#[derive(Default)]
struct Seen {
    service_accounts: bool,
    secrets: bool,
    nodes: bool,
    events: bool,
    external_secrets: bool,
    /// `kind: Namespace` objects of a manifest.
    namespaces: Vec<String>,
}

/// Reads the files into one cluster named `name`. An object of a kind pullpath reads that does
/// not have that kind's shape is bad input, named by file and item.
pub fn read_files(name: &str, paths: &[&Path]) -> Result<KubeCluster, String> {
    let mut objects = Objects::default();
    let mut seen = Seen::default();
    for path in paths {
        read_into(path, &mut objects, &mut seen, None)?;
    }
    Ok(cluster_of(name, objects, &seen))
}

/// A manifest as `kubectl apply -f FILE` would create its objects.
pub struct Manifest {
    /// Its objects (kinds it does not hold: `None`).
    pub objects: KubeCluster,
    /// The namespaces it creates (`kind: Namespace`): each gets a `default` service account.
    pub namespaces: Vec<String>,
}

/// Where `kubectl apply` puts a manifest's namespaced objects.
#[derive(Debug, Clone)]
pub struct ApplyNamespace {
    /// The namespace of an object that names none: `--namespace`, else the kubeconfig
    /// context's, else `default`.
    pub name: String,
    /// Given with `--namespace`: an object naming another one is refused, as kubectl refuses
    /// it ("the namespace from the provided object … does not match the namespace …").
    pub explicit: bool,
}

/// Reads one manifest file (YAML documents or JSON, a `List` or objects), its namespaced
/// objects placed as `kubectl apply` places them (`namespace`).
pub fn read_manifest(path: &Path, namespace: &ApplyNamespace) -> Result<Manifest, String> {
    let mut objects = Objects::default();
    let mut seen = Seen::default();
    read_into(path, &mut objects, &mut seen, Some(namespace))?;
    let name = path.display().to_string();
    let namespaces = std::mem::take(&mut seen.namespaces);
    Ok(Manifest {
        objects: cluster_of(&name, objects, &seen),
        namespaces,
    })
}

fn cluster_of(name: &str, objects: Objects, seen: &Seen) -> KubeCluster {
    KubeCluster {
        name: name.to_string(),
        eks_cluster: None,
        namespaces: None,
        // Workloads are what the files are given for: none is nothing to audit, not unread.
        workloads: Some(objects.workloads),
        service_accounts: seen.service_accounts.then_some(objects.service_accounts),
        pull_secrets: seen.secrets.then_some(objects.pull_secrets),
        secret_names: seen.secrets.then_some(objects.secret_names),
        nodes: seen.nodes.then_some(objects.nodes),
        events: seen.events.then_some(objects.events),
        external_secrets: seen.external_secrets.then_some(objects.external_secrets),
        coverage_gaps: Vec::new(),
    }
}

fn read_into(
    path: &Path,
    objects: &mut Objects,
    seen: &mut Seen,
    apply: Option<&ApplyNamespace>,
) -> Result<(), String> {
    let shown = path.display().to_string();
    let text = read_text(path, &shown)?;
    let documents = documents(&text, &shown)?;
    for (d, document) in documents.into_iter().enumerate() {
        let at = |item: Option<usize>| match item {
            None => format!("{shown} (document {})", d + 1),
            Some(i) => format!("{shown} (document {}, items[{i}])", d + 1),
        };
        let mut take = |value: Value, item: Option<usize>| -> Result<(), String> {
            let value = match apply {
                Some(namespace) => placed(value, namespace, seen),
                None => Ok(value),
            };
            value
                .and_then(|value| add(objects, seen, value))
                .map_err(|e| format!("{}: {e}", at(item)))
        };
        match document.get("kind").and_then(Value::as_str) {
            Some(kind) if kind.ends_with("List") => {
                let items = match document.get("items") {
                    Some(Value::Array(items)) => items.clone(),
                    Some(Value::Null) | None => Vec::new(),
                    Some(_) => return Err(format!("{}: `items` must be a list", at(None))),
                };
                for (i, item) in items.into_iter().enumerate() {
                    take(item, Some(i))?;
                }
            }
            Some(_) => take(document, None)?,
            None if document.is_null() => {}
            None => return Err(format!("{}: not a Kubernetes object (no `kind`)", at(None))),
        }
    }
    Ok(())
}

/// Kinds that live outside namespaces, of those a manifest may hold.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ClusterIssuer",
    "ClusterSecretStore",
];

/// `value` placed in the namespace `kubectl apply` gives it; a `Namespace` is remembered.
fn placed(mut value: Value, namespace: &ApplyNamespace, seen: &mut Seen) -> Result<Value, String> {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind == "Namespace" {
        if let Some(name) = value.pointer("/metadata/name").and_then(Value::as_str) {
            seen.namespaces.push(name.to_string());
        }
        return Ok(value);
    }
    if CLUSTER_SCOPED.contains(&kind) {
        return Ok(value);
    }
    let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) else {
        return Ok(value); // the kind's own reading names what is missing
    };
    match meta.get("namespace") {
        Some(Value::String(ns)) if !ns.is_empty() => {
            if namespace.explicit && *ns != namespace.name {
                return Err(format!(
                    "the object's namespace `{ns}` does not match --namespace `{}` (kubectl apply refuses it: give --namespace {ns})",
                    namespace.name
                ));
            }
        }
        None | Some(Value::Null) | Some(Value::String(_)) => {
            meta.insert("namespace".into(), Value::from(namespace.name.clone()));
        }
        Some(_) => return Err("`metadata.namespace` must be text".into()),
    }
    Ok(value)
}

fn read_text(path: &Path, shown: &str) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{shown}: larger than the {} MiB pullpath reads from a Kubernetes objects file",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("{shown}: not UTF-8 text: {e}"))
}

/// JSON (one value) when the text starts like JSON, else YAML documents (bounded as every
/// YAML input is: `crate::yaml`).
fn documents(text: &str, shown: &str) -> Result<Vec<Value>, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: Value =
            serde_json::from_str(trimmed).map_err(|e| format!("{shown}: not JSON: {e}"))?;
        return Ok(match value {
            Value::Array(items) => items,
            other => vec![other],
        });
    }
    crate::yaml::yaml_documents(trimmed).map_err(|e| format!("{shown}: {e}"))
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e.path().to_string();
        format!("in `{at}`: {}", e.into_inner())
    })
}

fn add(objects: &mut Objects, seen: &mut Seen, mut value: Value) -> Result<(), String> {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // CronJob was batch/v1beta1 before Kubernetes 1.21, with the same fields pullpath reads.
    if kind == "CronJob" && api_version == "batch/v1beta1" {
        value["apiVersion"] = Value::from("batch/v1");
    }
    match kind.as_str() {
        "Pod" => objects.add_pod(&parse(value)?),
        "Deployment" => objects.add_deployment(&parse(value)?),
        "StatefulSet" => objects.add_stateful_set(&parse(value)?),
        "DaemonSet" => objects.add_daemon_set(&parse(value)?),
        "ReplicaSet" => objects.add_replica_set(&parse(value)?),
        "Job" => objects.add_job(&parse(value)?),
        "CronJob" => objects.add_cron_job(&parse(value)?),
        "ServiceAccount" => {
            objects.add_service_account(&parse(value)?);
            seen.service_accounts = true;
            return Ok(());
        }
        "Secret" => {
            // serde's message may quote the value it refused: a secret's never is.
            let secret = serde_path_to_error::deserialize(value).map_err(|e| {
                format!(
                    "in `{}`: not the shape of a Secret's field (its value is not shown)",
                    e.path()
                )
            })?;
            objects.add_secret(&secret);
            seen.secrets = true;
            return Ok(());
        }
        "Node" => {
            objects.add_node(&parse(value)?);
            seen.nodes = true;
            return Ok(());
        }
        "Event" => {
            objects.add_event(&parse(value)?);
            seen.events = true;
            return Ok(());
        }
        "ExternalSecret" if api_version.starts_with("external-secrets.io/") => {
            objects.add_external_secret(&value);
            seen.external_secrets = true;
            return Ok(());
        }
        // Services, ConfigMaps and the rest of a manifest do not decide a pull.
        _ => return Ok(()),
    }
    Ok(())
}
