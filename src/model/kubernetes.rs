//! Kubernetes: what a cluster says about how its pods pull their images — the pods (and the
//! pod templates of their controllers), service accounts, pull secrets (hosts and expiry only,
//! never a password or token), nodes and image-pull events.
//!
//! As everywhere in the snapshot, absent is not empty: `None` is *not read*, `[]` is *read,
//! and there are none*.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One Kubernetes cluster, read live (`--kube-context`) or from `kubectl get -o json` output
/// and manifests (`--kube-objects`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KubeCluster {
    /// The kubeconfig context (live) or the file's name (offline).
    pub name: String,
    /// The EKS cluster it is, when known (`--eks-cluster`, or the kubeconfig's ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eks_cluster: Option<String>,
    /// The namespaces read; `None`: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// Pods and the pod templates of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs.
    #[serde(default)]
    pub workloads: Option<Vec<KubeWorkload>>,
    #[serde(default)]
    pub service_accounts: Option<Vec<ServiceAccount>>,
    /// Secrets of the pull types, parsed (hosts, usernames, ECR token expiry).
    #[serde(default)]
    pub pull_secrets: Option<Vec<PullSecret>>,
    /// Every secret's namespace and name, whatever its type (read as metadata only: a secret
    /// that exists but is not of a pull type is told apart from one that does not exist).
    #[serde(default)]
    pub secret_names: Option<Vec<ObjectName>>,
    #[serde(default)]
    pub nodes: Option<Vec<Node>>,
    /// External Secrets Operator `ExternalSecret`s (where the CRD exists; `[]` where it does
    /// not): what will write a pull secret, and how often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_secrets: Option<Vec<ExternalSecret>>,
    /// Events about image pulls (`Failed`, `BackOff`, `FailedToRetrieveImagePullSecret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<KubeEvent>>,
    /// Calls that could not be read (as the AWS side's coverage gaps).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage_gaps: Vec<super::CoverageGap>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectName {
    pub namespace: String,
    pub name: String,
}

/// A pod, or the pod template of a controller: what decides how its images are pulled.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KubeWorkload {
    pub namespace: String,
    /// `Pod`, `Deployment`, `StatefulSet`, `DaemonSet`, `Job`, `CronJob`, `ReplicaSet`.
    pub kind: String,
    pub name: String,
    /// A pod's controller (`ReplicaSet/web-7d9f`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `spec.serviceAccountName`; `None`: unset (the pod runs as `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    /// `spec.imagePullSecrets[].name`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
    pub containers: Vec<KubeContainer>,
    /// `spec.nodeName` (a scheduled pod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// `spec.nodeSelector`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// `metadata.labels` (Fargate profile selectors match them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// A pod the API server has admitted (it has a `uid`): admission already copied its
    /// service account's pull secrets into it when it named none, so its own list is final.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admitted: bool,
    /// A pod whose phase is `Succeeded` or `Failed`: its containers will not start again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finished: bool,
    /// A pod's containers that wait, with why (`ImagePullBackOff`, `ErrImagePull`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waiting: Vec<ContainerWaiting>,
    /// `spec.tolerations`: which node taints the scheduler lets the pod onto.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
    /// .nodeSelectorTerms`: a node must match one term (empty: no requirement).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_node_terms: Vec<NodeSelectorTerm>,
    /// `spec.hostNetwork`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub host_network: bool,
    /// What of the pod spec EKS Fargate does not run, in the Fargate scheduler's words
    /// (`fields not supported: HostNetwork`, `invalid SecurityContext fields: Privileged`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fargate_unsupported: Vec<String>,
    /// Secrets the pod mounts or reads into its environment (volumes, `secretKeyRef`,
    /// `envFrom`): a service account that enforces mountable secrets must list them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_refs: Vec<String>,
}

/// A pod's toleration (`spec.tolerations[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Toleration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `Equal` (the default) or `Exists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule`, `NoExecute`; `None`: every effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
}

/// A node's taint (`spec.taints[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taint {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub effect: String,
}

/// One term of a required node affinity: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSelectorTerm {
    /// On the node's labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<NodeRequirement>,
    /// On the node's fields (`metadata.name`, the only one the scheduler supports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_fields: Vec<NodeRequirement>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRequirement {
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`.
    pub operator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KubeContainer {
    pub name: String,
    pub image: String,
    /// An init container (pulled, and run, before the others).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
    /// `imagePullPolicy` as written (`Always`, `IfNotPresent`, `Never`); `None`: unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerWaiting {
    pub container: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ServiceAccount {
    pub namespace: String,
    pub name: String,
    /// `imagePullSecrets[].name`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
    /// Annotated `kubernetes.io/enforce-mountable-secrets: "true"`: admission refuses a pod
    /// whose pull secrets are not in `image_pull_secrets`, or whose other secrets are not in
    /// `mountable_secrets`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enforce_mountable_secrets: bool,
    /// `secrets[].name` (kept when `enforce_mountable_secrets`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mountable_secrets: Vec<String>,
}

/// A secret of type `kubernetes.io/dockerconfigjson` or `kubernetes.io/dockercfg`, reduced to
/// what decides a pull. Its password, token and `auth` value are never kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullSecret {
    pub namespace: String,
    pub name: String,
    /// `kubernetes.io/dockerconfigjson` or `kubernetes.io/dockercfg`.
    #[serde(rename = "type")]
    pub secret_type: String,
    /// The registries it holds credentials for, in the file's order.
    #[serde(default)]
    pub registries: Vec<RegistryCredential>,
    /// Why the kubelet cannot use it (its key missing or empty, its JSON unreadable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unusable: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegistryCredential {
    /// The `auths` key as written (`https://index.docker.io/v1/`, `123….dkr.ecr…`).
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// For an ECR authorization token (user `AWS`): when it expires (RFC 3339), from the
    /// token's own `expiration`; `None`: not an ECR token, or its expiry unreadable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_token_expires_at: Option<String>,
    /// The entry holds no username: the runtime pulls anonymously with it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty: bool,
}

/// An `ExternalSecret` (external-secrets.io): the secret it writes and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExternalSecret {
    pub namespace: String,
    pub name: String,
    /// The secret it writes (`spec.target.name`, else its own name).
    pub target: String,
    /// `spec.target.template.type`; `None`: unset, and the operator writes an `Opaque` secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_type: Option<String>,
    /// `spec.refreshInterval` as written (`1h`, `0` for never); `None`: unset (`1h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<String>,
    /// Its data comes from an `ECRAuthorizationToken` generator (a 12-hour ECR token).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ecr_token_generator: bool,
}

/// A node, as its pods' pulls see it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    /// `spec.providerID` (`aws:///us-east-1a/i-0abc…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Its labels (`kubernetes.io/arch`, `eks.amazonaws.com/compute-type`, what pods'
    /// node selectors name…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `Ready` condition: `Some(true)` ready, `Some(false)` not, `None` not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    /// `spec.unschedulable` (cordoned).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unschedulable: bool,
    /// `spec.taints`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
}

impl Node {
    /// The EC2 instance id in an AWS `providerID` (`aws:///ZONE/i-…`), if it is one.
    pub fn instance_id(&self) -> Option<&str> {
        let id = self.provider_id.as_deref()?.strip_prefix("aws://")?;
        let last = id.rsplit('/').next()?;
        (last.starts_with("i-") && last.len() > 2).then_some(last)
    }

    /// An EKS Fargate node (`eks.amazonaws.com/compute-type: fargate`).
    pub fn is_fargate(&self) -> bool {
        self.labels
            .get("eks.amazonaws.com/compute-type")
            .is_some_and(|t| t == "fargate")
    }
}

/// An event about an object's image pull.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KubeEvent {
    pub namespace: String,
    /// `Pod/web-7d9f-abcde`.
    pub object: String,
    pub reason: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i32>,
}

/// An EKS cluster, from `eks:DescribeCluster` and its node groups and Fargate profiles.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EksCluster {
    pub name: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_security_group: Option<String>,
    #[serde(default)]
    pub endpoint_public_access: bool,
    #[serde(default)]
    pub endpoint_private_access: bool,
    /// `None`: not read.
    #[serde(default)]
    pub node_groups: Option<Vec<NodeGroup>>,
    /// `None`: not read.
    #[serde(default)]
    pub fargate_profiles: Option<Vec<FargateProfile>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeGroup {
    pub name: String,
    pub node_role: String,
    #[serde(default)]
    pub subnets: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FargateProfile {
    pub name: String,
    pub pod_execution_role: String,
    #[serde(default)]
    pub subnets: Vec<String>,
    #[serde(default)]
    pub selectors: Vec<FargateSelector>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FargateSelector {
    pub namespace: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl FargateProfile {
    /// Whether the profile selects the pod: a selector whose namespace matches the pod's and
    /// each of whose labels the pod has. Namespaces, label keys and label values may hold the
    /// wildcards `*` and `?` (EKS user guide, "Define which Pods use AWS Fargate when
    /// launched": "Fargate profile wildcards").
    pub fn selects(&self, namespace: &str, labels: &BTreeMap<String, String>) -> bool {
        use wildmatch::WildMatch;
        self.selectors.iter().any(|s| {
            WildMatch::new(&s.namespace).matches(namespace)
                && s.labels.iter().all(|(k, v)| {
                    let (key, value) = (WildMatch::new(k), WildMatch::new(v));
                    labels
                        .iter()
                        .any(|(lk, lv)| key.matches(lk) && value.matches(lv))
                })
        })
    }
}
