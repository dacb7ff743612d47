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
        let at = |item: Option<String>| match item {
            None => format!("{shown} (document {})", d + 1),
            Some(item) => format!("{shown} (document {}, {item})", d + 1),
        };
        let mut take = |value: Value, item: Option<String>| -> Result<(), String> {
            let value = match apply {
                Some(namespace) => placed(value, namespace, seen).and_then(valid_workload),
                None => Ok(value),
            };
            value
                .and_then(|value| add(objects, seen, value))
                .map_err(|e| format!("{}: {e}", at(item)))
        };
        if document.is_null() {
            continue;
        }
        for (item, value) in
            flattened(document, None, 0).map_err(|e| format!("{}: {e}", at(None)))?
        {
            take(value, item)?;
        }
    }
    Ok(())
}

/// How deep `List`s may nest in a file (kubectl prints one level).
const MAX_LIST_DEPTH: usize = 4;

/// The objects of a document: itself, or the items of a `List` (also a typed one,
/// `DeploymentList`, whose items may omit their `kind`, and a `List` within a `List`), each
/// with where it stands (`items[2].items[0]`). As apimachinery's list decoding reads them.
fn flattened(
    document: Value,
    at: Option<String>,
    depth: usize,
) -> Result<Vec<(Option<String>, Value)>, String> {
    let kind = match document.get("kind") {
        Some(Value::String(kind)) => kind.clone(),
        _ => return Err("not a Kubernetes object (no `kind`)".into()),
    };
    let Some(item_kind) = kind.strip_suffix("List") else {
        return Ok(vec![(at, document)]);
    };
    if depth >= MAX_LIST_DEPTH {
        return Err(format!("Lists nested deeper than {MAX_LIST_DEPTH}"));
    }
    let api_version = document.get("apiVersion").cloned();
    let items = match document.get("items") {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err("`items` must be a list".into()),
    };
    let mut out = Vec::new();
    for (i, mut item) in items.into_iter().enumerate() {
        let here = match &at {
            None => format!("items[{i}]"),
            Some(outer) => format!("{outer}.items[{i}]"),
        };
        // A typed list's items may leave their kind (and group version) to the list.
        if let (Some(object), false) = (item.as_object_mut(), item_kind.is_empty()) {
            object
                .entry("kind")
                .or_insert_with(|| Value::from(item_kind));
            if let Some(version) = &api_version {
                object
                    .entry("apiVersion")
                    .or_insert_with(|| version.clone());
            }
        }
        out.extend(
            flattened(item, Some(here.clone()), depth + 1).map_err(|e| format!("{here}: {e}"))?,
        );
    }
    Ok(out)
}

/// The path of the pod spec in a workload object of `kind`.
fn pod_spec_path(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            Some("/spec/template/spec")
        }
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// A workload of a manifest the API server would accept: a name, and a pod spec with at least
/// one container, each with an image (`ValidateObjectMeta`: "name or generateName is
/// required"; `validateContainers`: "Required value" for `containers` and for `image`).
/// Other objects pass as they are.
fn valid_workload(value: Value) -> Result<Value, String> {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(path) = pod_spec_path(kind) else {
        return Ok(value);
    };
    let name = value.pointer("/metadata/name").and_then(Value::as_str);
    if name.is_none_or(str::is_empty) {
        return Err(format!(
            "{kind}: `metadata.name` is required (the API server refuses an object without one)"
        ));
    }
    let field = path.trim_start_matches('/').replace('/', ".");
    let containers = value
        .pointer(&format!("{path}/containers"))
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| format!("{kind} `{}`: `{field}.containers` must list at least one container (Required value)", name.unwrap_or_default()))?;
    for (i, container) in containers.iter().enumerate() {
        let image = container.get("image").and_then(Value::as_str);
        if image.is_none_or(|i| i.trim().is_empty()) {
            return Err(format!(
                "{kind} `{}`: `{field}.containers[{i}].image` is required (Required value)",
                name.unwrap_or_default()
            ));
        }
    }
    Ok(value)
}

/// The namespaced kinds pullpath reads from a manifest; the others (Services, cluster-scoped
/// kinds) decide no pull and are left as they are.
const NAMESPACED: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ServiceAccount",
    "Secret",
    "ExternalSecret",
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
    if !NAMESPACED.contains(&kind) {
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
            // Go's base64 decoder skips line breaks, so the API server takes `data` values
            // wrapped over lines (a YAML block scalar); k8s-openapi's does not.
            if let Some(Value::Object(data)) = value.get_mut("data") {
                for text in data.values_mut() {
                    if let Value::String(text) = text {
                        text.retain(|c| c != '\n' && c != '\r');
                    }
                }
            }
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
