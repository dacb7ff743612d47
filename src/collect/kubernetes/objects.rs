//! Kubernetes objects (k8s-openapi's types, as the API server or `kubectl get -o json` gives
//! them) reduced to the snapshot's model. Live reading and files share this reduction.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ContainerStatus, Event, Node as KubeNode, NodeSelectorRequirement as K8sRequirement, Pod,
    PodSpec, PodTemplateSpec, Secret, ServiceAccount as KubeServiceAccount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::pull_secret::pull_secret;
use crate::model::{
    ContainerWaiting, ExternalSecret, KubeContainer, KubeEvent, KubeWorkload, Node,
    NodeRequirement, NodeSelectorTerm, ObjectName, PullSecret, ServiceAccount, Taint, Toleration,
};

/// The longest event or status message kept (a message is quoted in reports).
const MAX_MESSAGE: usize = 4096;

/// The most labels kept of a node. Kubernetes bounds a label's key (253-character prefix,
/// 63-character name) and value (63 characters), not their number.
const MAX_NODE_LABELS: usize = 256;

/// Event reasons about image pulls (kubelet `pkg/kubelet/events/event.go`: `Failed`,
/// `BackOff`, `ErrImageNeverPull`, `InspectFailed`; `FailedToRetrieveImagePullSecret` since
/// 1.28).
const PULL_EVENT_REASONS: &[&str] = &[
    "Failed",
    "BackOff",
    "ErrImageNeverPull",
    "InspectFailed",
    "FailedToRetrieveImagePullSecret",
];

/// What has been read of one cluster so far.
#[derive(Debug, Default)]
pub struct Objects {
    pub workloads: Vec<KubeWorkload>,
    pub service_accounts: Vec<ServiceAccount>,
    pub pull_secrets: Vec<PullSecret>,
    pub secret_names: Vec<ObjectName>,
    pub nodes: Vec<Node>,
    pub events: Vec<KubeEvent>,
    pub external_secrets: Vec<ExternalSecret>,
}

fn namespace_of(meta: &ObjectMeta) -> String {
    meta.namespace.clone().unwrap_or_else(|| "default".into())
}

fn name_of(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

fn bounded(text: &str) -> String {
    text.chars().take(MAX_MESSAGE).collect()
}

/// The controller that owns an object (`ReplicaSet/web-7d9f`), if any.
fn owner_of(meta: &ObjectMeta) -> Option<String> {
    meta.owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
        .map(|o| format!("{}/{}", o.kind, o.name))
}

fn workload(
    kind: &str,
    meta: &ObjectMeta,
    spec: &PodSpec,
    labels: BTreeMap<String, String>,
) -> KubeWorkload {
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| (c, true))
        .chain(spec.containers.iter().map(|c| (c, false)))
        .map(|(c, init)| KubeContainer {
            name: c.name.clone(),
            image: c.image.clone().unwrap_or_default(),
            init,
            pull_policy: c.image_pull_policy.clone().filter(|p| !p.is_empty()),
        })
        .collect();
    KubeWorkload {
        namespace: namespace_of(meta),
        kind: kind.to_string(),
        name: name_of(meta),
        owner: owner_of(meta),
        // `serviceAccount` is the deprecated alias the API server still fills in.
        service_account_name: spec
            .service_account_name
            .clone()
            .or_else(|| spec.service_account.clone())
            .filter(|n| !n.is_empty()),
        // Kept even when empty: an entry with no name still makes the list non-empty, so
        // admission copies no service account's secrets (the kubelet then skips it).
        image_pull_secrets: spec
            .image_pull_secrets
            .iter()
            .flatten()
            .map(|r| r.name.clone())
            .collect(),
        containers,
        node_name: spec.node_name.clone().filter(|n| !n.is_empty()),
        node_selector: spec.node_selector.clone().unwrap_or_default(),
        labels,
        admitted: false,
        finished: false,
        waiting: Vec::new(),
        tolerations: spec
            .tolerations
            .iter()
            .flatten()
            .map(|t| Toleration {
                key: t.key.clone().filter(|k| !k.is_empty()),
                operator: t.operator.clone().filter(|o| !o.is_empty()),
                value: t.value.clone(),
                effect: t.effect.clone().filter(|e| !e.is_empty()),
            })
            .collect(),
        required_node_terms: required_node_terms(spec),
        host_network: spec.host_network.unwrap_or(false),
        fargate_unsupported: fargate_unsupported(spec),
        secret_refs: secret_refs(spec),
    }
}

/// What EKS Fargate refuses to run, worded as the Fargate scheduler's `FailedScheduling` event
/// words it ("Pod not supported on Fargate: fields not supported: HostNetwork, invalid
/// SecurityContext fields: Privileged, port contains HostIP or HostPort"; EKS User Guide, "AWS
/// Fargate considerations": no privileged containers, no HostPort or HostNetwork, no
/// DaemonSets, capabilities beyond SYS_PTRACE not supported).
fn fargate_unsupported(spec: &PodSpec) -> Vec<String> {
    let mut out = Vec::new();
    let host: Vec<&str> = [
        (spec.host_network, "HostNetwork"),
        (spec.host_pid, "HostPID"),
        (spec.host_ipc, "HostIPC"),
    ]
    .into_iter()
    .filter(|(on, _)| *on == Some(true))
    .map(|(_, name)| name)
    .collect();
    if !host.is_empty() {
        out.push(format!("fields not supported: {}", host.join(", ")));
    }
    let containers = || {
        spec.init_containers
            .iter()
            .flatten()
            .chain(spec.containers.iter())
    };
    let mut invalid: Vec<String> = Vec::new();
    for context in containers().filter_map(|c| c.security_context.as_ref()) {
        if context.privileged == Some(true) && !invalid.contains(&"Privileged".to_string()) {
            invalid.push("Privileged".into());
        }
        if context.allow_privilege_escalation == Some(true)
            && !invalid.contains(&"AllowPrivilegeEscalation".to_string())
        {
            invalid.push("AllowPrivilegeEscalation".into());
        }
        let added = context
            .capabilities
            .as_ref()
            .and_then(|c| c.add.as_ref())
            .into_iter()
            .flatten()
            .filter(|c| !matches!(c.trim_start_matches("CAP_"), "SYS_PTRACE"));
        for capability in added {
            let named = format!("Capabilities added: {capability}");
            if !invalid.contains(&named) {
                invalid.push(named);
            }
        }
    }
    if !invalid.is_empty() {
        out.push(format!(
            "invalid SecurityContext fields: {}",
            invalid.join(", ")
        ));
    }
    let host_port = containers()
        .flat_map(|c| c.ports.iter().flatten())
        .any(|p| {
            p.host_port.is_some_and(|h| h != 0)
                || p.host_ip.as_deref().is_some_and(|i| !i.is_empty())
        });
    if host_port {
        out.push("port contains HostIP or HostPort".into());
    }
    if let Some(volume) = spec
        .volumes
        .iter()
        .flatten()
        .find(|v| v.host_path.is_some())
    {
        out.push(format!(
            "volumes not supported: {} is of an unsupported volume Type",
            volume.name
        ));
    }
    out
}

/// The terms of `requiredDuringSchedulingIgnoredDuringExecution` node affinity.
fn required_node_terms(spec: &PodSpec) -> Vec<NodeSelectorTerm> {
    let requirements = |list: Option<&Vec<K8sRequirement>>| -> Vec<NodeRequirement> {
        list.into_iter()
            .flatten()
            .map(|r| NodeRequirement {
                key: r.key.clone(),
                operator: r.operator.clone(),
                values: r.values.clone().unwrap_or_default(),
            })
            .collect()
    };
    spec.affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .map(|selector| {
            selector
                .node_selector_terms
                .iter()
                .map(|t| NodeSelectorTerm {
                    match_expressions: requirements(t.match_expressions.as_ref()),
                    match_fields: requirements(t.match_fields.as_ref()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Secrets a pod mounts or reads into its environment (its pull secrets aside), in order:
/// what `kubernetes.io/enforce-mountable-secrets` holds against the service account
/// (`plugin/pkg/admission/serviceaccount/admission.go`, `limitSecretReferences`).
fn secret_refs(spec: &PodSpec) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |name: Option<&String>| {
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    };
    for volume in spec.volumes.iter().flatten() {
        add(volume.secret.as_ref().and_then(|s| s.secret_name.as_ref()));
    }
    let containers = spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter());
    for container in containers {
        for env in container.env.iter().flatten() {
            add(env
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
                .map(|r| &r.name));
        }
        for from in container.env_from.iter().flatten() {
            add(from.secret_ref.as_ref().map(|r| &r.name));
        }
    }
    names
}

fn template(kind: &str, meta: &ObjectMeta, template: &PodTemplateSpec) -> Option<KubeWorkload> {
    let spec = template.spec.as_ref()?;
    let labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    Some(workload(kind, meta, spec, labels))
}

fn waiting(statuses: Option<&Vec<ContainerStatus>>) -> impl Iterator<Item = ContainerWaiting> + '_ {
    statuses.into_iter().flatten().filter_map(|s| {
        let waiting = s.state.as_ref()?.waiting.as_ref()?;
        Some(ContainerWaiting {
            container: s.name.clone(),
            reason: waiting.reason.clone().unwrap_or_default(),
            message: bounded(waiting.message.as_deref().unwrap_or_default()),
        })
    })
}

impl Objects {
    pub fn add_pod(&mut self, pod: &Pod) {
        let Some(spec) = &pod.spec else { return };
        let mut unit = workload(
            "Pod",
            &pod.metadata,
            spec,
            pod.metadata.labels.clone().unwrap_or_default(),
        );
        unit.admitted = pod.metadata.uid.as_deref().is_some_and(|u| !u.is_empty());
        if let Some(status) = &pod.status {
            unit.waiting = waiting(status.init_container_statuses.as_ref())
                .chain(waiting(status.container_statuses.as_ref()))
                .collect();
            unit.finished = matches!(status.phase.as_deref(), Some("Succeeded" | "Failed"));
        }
        self.workloads.push(unit);
    }

    pub fn add_deployment(&mut self, object: &Deployment) {
        let unit = object
            .spec
            .as_ref()
            .and_then(|s| template("Deployment", &object.metadata, &s.template));
        self.workloads.extend(unit);
    }

    pub fn add_stateful_set(&mut self, object: &StatefulSet) {
        let unit = object
            .spec
            .as_ref()
            .and_then(|s| template("StatefulSet", &object.metadata, &s.template));
        self.workloads.extend(unit);
    }

    pub fn add_daemon_set(&mut self, object: &DaemonSet) {
        let unit = object
            .spec
            .as_ref()
            .and_then(|s| template("DaemonSet", &object.metadata, &s.template));
        self.workloads.extend(unit);
    }

    pub fn add_replica_set(&mut self, object: &ReplicaSet) {
        let unit = object
            .spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .and_then(|t| template("ReplicaSet", &object.metadata, t));
        self.workloads.extend(unit);
    }

    pub fn add_job(&mut self, object: &Job) {
        let unit = object
            .spec
            .as_ref()
            .and_then(|s| template("Job", &object.metadata, &s.template));
        self.workloads.extend(unit);
    }

    pub fn add_cron_job(&mut self, object: &CronJob) {
        let unit = object
            .spec
            .as_ref()
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|s| template("CronJob", &object.metadata, &s.template));
        self.workloads.extend(unit);
    }

    pub fn add_service_account(&mut self, object: &KubeServiceAccount) {
        // The annotation admission reads (`plugin/pkg/admission/serviceaccount/admission.go`,
        // `enforceMountableSecrets`), through Go's `strconv.ParseBool`.
        let enforce_mountable_secrets = object
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("kubernetes.io/enforce-mountable-secrets"))
            .is_some_and(|v| matches!(v.as_str(), "1" | "t" | "T" | "TRUE" | "true" | "True"));
        self.service_accounts.push(ServiceAccount {
            namespace: namespace_of(&object.metadata),
            name: name_of(&object.metadata),
            image_pull_secrets: object
                .image_pull_secrets
                .iter()
                .flatten()
                .map(|r| r.name.clone())
                .filter(|n| !n.is_empty())
                .collect(),
            enforce_mountable_secrets,
            mountable_secrets: if enforce_mountable_secrets {
                object
                    .secrets
                    .iter()
                    .flatten()
                    .filter_map(|r| r.name.clone())
                    .collect()
            } else {
                Vec::new()
            },
        });
    }

    /// A secret of any type: its name is kept; a pull secret is reduced to its hosts, users
    /// and expiry. `stringData` (manifests) counts as the API server would store it.
    pub fn add_secret(&mut self, object: &Secret) {
        let namespace = namespace_of(&object.metadata);
        let name = name_of(&object.metadata);
        self.add_secret_name(&namespace, &name);
        let mut data: BTreeMap<String, Vec<u8>> = object
            .data
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect();
        for (key, value) in object.string_data.iter().flatten() {
            data.insert(key.clone(), value.clone().into_bytes());
        }
        let secret_type = object.type_.as_deref().unwrap_or("Opaque");
        self.pull_secrets
            .extend(pull_secret(&namespace, &name, secret_type, &data));
    }

    pub fn add_secret_name(&mut self, namespace: &str, name: &str) {
        self.secret_names.push(ObjectName {
            namespace: namespace.to_string(),
            name: name.to_string(),
        });
    }

    pub fn add_node(&mut self, object: &KubeNode) {
        let all = object.metadata.labels.clone().unwrap_or_default();
        // Every label (a pod's nodeSelector may name any), within bounds.
        let labels = all
            .into_iter()
            .filter(|(k, v)| k.len() <= 317 && v.len() <= 63)
            .take(MAX_NODE_LABELS)
            .collect();
        let ready = object
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
            .map(|c| c.status == "True");
        self.nodes.push(Node {
            name: name_of(&object.metadata),
            provider_id: object.spec.as_ref().and_then(|s| s.provider_id.clone()),
            labels,
            ready,
            unschedulable: object
                .spec
                .as_ref()
                .and_then(|s| s.unschedulable)
                .unwrap_or(false),
            taints: object
                .spec
                .as_ref()
                .and_then(|s| s.taints.as_ref())
                .into_iter()
                .flatten()
                .take(MAX_NODE_LABELS)
                .map(|t| Taint {
                    key: t.key.clone(),
                    value: t.value.clone().filter(|v| !v.is_empty()),
                    effect: t.effect.clone(),
                })
                .collect(),
        });
    }

    /// Keeps events about a pod's image pull.
    pub fn add_event(&mut self, object: &Event) {
        let reason = object.reason.clone().unwrap_or_default();
        let message = object.message.clone().unwrap_or_default();
        let about_pull = reason == "FailedToRetrieveImagePullSecret"
            || message.to_ascii_lowercase().contains("image");
        if !PULL_EVENT_REASONS.contains(&reason.as_str()) || !about_pull {
            return;
        }
        let involved = &object.involved_object;
        self.events.push(KubeEvent {
            namespace: involved
                .namespace
                .clone()
                .unwrap_or_else(|| namespace_of(&object.metadata)),
            object: format!(
                "{}/{}",
                involved.kind.as_deref().unwrap_or("Pod"),
                involved.name.as_deref().unwrap_or_default()
            ),
            reason,
            message: bounded(&message),
            last_seen: object
                .last_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .or_else(|| object.event_time.as_ref().map(|t| t.0.to_string())),
            count: object.count,
        });
    }

    /// An `ExternalSecret` (any external-secrets.io version: the fields read are the same in
    /// v1beta1 and v1), from its JSON.
    pub fn add_external_secret(&mut self, value: &serde_json::Value) {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        let meta = &value["metadata"];
        let name = text(&meta["name"]).unwrap_or_default();
        let spec = &value["spec"];
        let generator = |item: &serde_json::Value| {
            item["sourceRef"]["generatorRef"]["kind"].as_str() == Some("ECRAuthorizationToken")
        };
        self.external_secrets.push(ExternalSecret {
            namespace: text(&meta["namespace"]).unwrap_or_else(|| "default".into()),
            target: text(&spec["target"]["name"]).unwrap_or_else(|| name.clone()),
            name,
            template_type: text(&spec["target"]["template"]["type"]),
            refresh_interval: text(&spec["refreshInterval"]),
            ecr_token_generator: spec["dataFrom"]
                .as_array()
                .is_some_and(|d| d.iter().any(generator))
                || spec["data"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(generator)),
        });
    }
}
