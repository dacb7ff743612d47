//! Auditing a Kubernetes cluster's workloads: where each pod's pull starts (a node's EC2
//! instance, or an EKS Fargate profile's subnets), through the same path, permission and
//! registry audit as an ECS task, then the pull secrets the kubelet would use.
//!
//! A pod on an EC2 node is pulled by the kubelet over the instance's primary interface with
//! the node role, exactly what the ECS audit does for a task on a container instance: each
//! unit becomes an EC2 workload whose "container instances" are its candidate nodes. A pod on
//! EKS Fargate is pulled over its own interface in the profile's subnets with the profile's
//! pod execution role (EKS user guide, "AWS Fargate" and "Amazon EKS pod execution IAM
//! role"), as a Fargate task with that execution role.

use crate::blocker::{Blocker, Status};
use crate::codes::Code;
use crate::model::{
    AssignPublicIp, AwsVpcConfiguration, ContainerDefinition, ContainerInstance, KubeCluster,
    KubeWorkload, Node, ServicePrincipal, Snapshot, TaskDefinition,
};
use crate::workload::{
    eks_cluster_of, kube_placement, kube_units, ImageRef, KubePlacement, KubeUnit, Launch,
    NodePlatform, Target, Workload,
};

use super::audit::{
    audit_workloads, collect_findings, Severity, WorkloadFinding, WorkloadResult, WorkloadStatus,
};
use super::kube_pod_spec::pod_spec_findings;
use super::options::AuditOptions;
use super::pull_credentials::{credential_findings, NodeCredentials};

/// The managed policy EKS documents for node roles that pull from ECR.
const NODE_ECR_POLICY: &str = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly";

/// The managed policy EKS documents for Fargate pod execution roles.
const FARGATE_POD_POLICY: &str = "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy";

/// The service principal EKS runs Fargate pods as.
const EKS_FARGATE_PODS: &str = "eks-fargate-pods.amazonaws.com";

/// How one unit is handed to the path audit.
struct Bridge {
    task_definition: TaskDefinition,
    launch: Launch,
    container_instances: Vec<ContainerInstance>,
    /// The candidate nodes' platforms, from their labels.
    node_platforms: Vec<NodePlatform>,
    configuration: Option<AwsVpcConfiguration>,
    /// Findings of the placement itself (nodes outside EC2, nowhere to run).
    findings: Vec<(Option<bool>, Blocker)>,
    /// Whether there is anything to audit the path from.
    has_origin: bool,
}

fn bridge(snapshot: &Snapshot, unit: &KubeUnit<'_>) -> Bridge {
    let label = unit.label();
    let eks = eks_cluster_of(snapshot, unit.cluster);
    let containers = unit
        .workload
        .containers
        .iter()
        .map(|c| ContainerDefinition {
            name: c.name.clone(),
            image: c.image.clone(),
            repository_credentials: None,
            secrets: Vec::new(),
            log_configuration: None,
        })
        .collect();
    let mut out = Bridge {
        task_definition: TaskDefinition {
            arn: format!("kubernetes:{}/{label}", unit.cluster.name),
            family: Some(unit.workload.name.clone()),
            network_mode: None,
            requires_compatibilities: vec!["EC2".into()],
            execution_role_arn: None,
            task_role_arn: None,
            container_definitions: containers,
            runtime_platform: None,
            execution_role_principal: None,
        },
        launch: Launch::Ec2 {
            why: "Kubernetes nodes".into(),
            capacity_providers: Vec::new(),
        },
        container_instances: Vec::new(),
        node_platforms: Vec::new(),
        configuration: None,
        findings: Vec::new(),
        has_origin: false,
    };
    out.findings = pod_spec_findings(&label, unit.workload);
    match kube_placement(unit, eks) {
        KubePlacement::FargateRefuses { profile, why } => {
            out.findings.push((Some(true), Blocker::new(
                Code::FargatePodUnsupported,
                format!("{}/{}", unit.workload.namespace, unit.workload.name),
                format!("{label}: Fargate profile `{}` selects its pods, but EKS Fargate does not run them ({why}), so they stay Pending", profile.name),
                "Run it on EC2 nodes: change its namespace or labels so that no Fargate profile selects it (or narrow the profile's selectors); or drop the settings Fargate does not support.",
            )));
        }
        KubePlacement::Nodes(nodes) => {
            let candidates = nodes.clone();
            let mut outside = Vec::new();
            for node in nodes {
                match node.instance_id() {
                    Some(id) => {
                        out.container_instances.push(ContainerInstance {
                            arn: format!("node/{}", node.name),
                            ec2_instance_id: Some(id.to_string()),
                            status: "ACTIVE".into(),
                            capacity_provider_name: None,
                            agent_connected: Some(true),
                        });
                        out.node_platforms.extend(node_platform(node, id));
                    }
                    None => outside.push(format!(
                        "{} ({})",
                        node.name,
                        node.provider_id.as_deref().unwrap_or("no providerID")
                    )),
                }
            }
            if !outside.is_empty() {
                out.findings.push((Some(false), Blocker::new(
                    Code::NodeNotModelled,
                    format!("node {}", outside[0]),
                    format!("{label} may run on node(s) {} that are not EC2 instances pullpath can see, so the network path and credentials of pulls there are unknown", outside.join(", ")),
                    "Audit those nodes' network and registry credentials by hand, or pin the pods to EC2 nodes with a nodeSelector.",
                )));
            }
            out.has_origin = !out.container_instances.is_empty();
            // EKS node images configure the kubelet's ECR credential provider (the node role);
            // a self-managed cluster's nodes may not (kubelet 1.27 dropped the built-in one).
            let eks = unit.cluster.eks_cluster.is_some()
                || candidates
                    .iter()
                    .filter(|n| n.instance_id().is_some())
                    .all(|n| n.labels.keys().any(|k| k.starts_with("eks.amazonaws.com/")));
            let ecr = unit
                .workload
                .containers
                .iter()
                .any(|c| matches!(ImageRef::parse(&c.image), ImageRef::Ecr(_)));
            if out.has_origin && ecr && !eks {
                out.findings.push((Some(false), Blocker::new(
                    Code::NotCollected,
                    format!("{}/{}", unit.workload.namespace, unit.workload.name),
                    format!("{label} pulls from ECR, but its nodes are not known to be EKS nodes (no eks.amazonaws.com/ label, no --eks-cluster): whether their kubelet has the ECR credential provider, which pulls with the node role, is unknown"),
                    "Audit with --eks-cluster NAME for an EKS cluster; on a self-managed cluster, check the kubelet's --image-credential-provider-config names ecr-credential-provider.",
                )));
            }
        }
        KubePlacement::Fargate { cluster, profile } => {
            out.launch = Launch::Fargate {
                platform_version: "1.4.0".into(),
            };
            out.task_definition.requires_compatibilities = vec!["FARGATE".into()];
            out.task_definition.network_mode = Some("awsvpc".into());
            out.task_definition.execution_role_arn = Some(profile.pod_execution_role.clone());
            out.task_definition.execution_role_principal = Some(ServicePrincipal {
                service: EKS_FARGATE_PODS.into(),
                source_arn_prefix: format!(
                    "arn:aws:eks:{}:{}:fargateprofile/{}/{}/",
                    snapshot.region, snapshot.account_id, cluster.name, profile.name
                ),
            });
            // EKS gives Fargate pods the cluster security group ("Amazon EKS security group
            // requirements"), never the VPC's default one: without it, the pods' egress is
            // unknown.
            let Some(group) = &cluster.cluster_security_group else {
                out.findings.push((Some(false), Blocker::new(
                    Code::NotCollected,
                    &cluster.arn,
                    format!("{label} runs on Fargate (profile `{}`), but the cluster security group of EKS cluster `{}` is not known (DescribeCluster gave none), so its pods' egress rules and path are unknown", profile.name, cluster.name),
                    "Read the EKS cluster (eks:DescribeCluster) where it reports resourcesVpcConfig.clusterSecurityGroupId.",
                )));
                return out;
            };
            out.configuration = Some(AwsVpcConfiguration {
                subnets: profile.subnets.clone(),
                security_groups: vec![group.clone()],
                assign_public_ip: AssignPublicIp::Disabled,
            });
            out.has_origin = true;
        }
        KubePlacement::Nowhere { why, fargate_only } => {
            let blocker = if fargate_only {
                Blocker::new(
                    Code::NoFargateProfile,
                    format!("namespace {}", unit.workload.namespace),
                    format!("{label}: the cluster runs pods only on Fargate, and no Fargate profile selects namespace `{}` with the pod's labels, so its pods stay Pending", unit.workload.namespace),
                    format!("Create a Fargate profile for it: aws eks create-fargate-profile --cluster-name {} --fargate-profile-name {} --pod-execution-role-arn ROLE --subnets PRIVATE_SUBNETS --selectors namespace={}", unit.cluster.eks_cluster.as_deref().unwrap_or("CLUSTER"), unit.workload.namespace, unit.workload.namespace),
                )
            } else {
                Blocker::new(
                    Code::NoSchedulableNode,
                    format!("{}/{}", unit.workload.namespace, unit.workload.name),
                    format!("{label}: {why}, so its pods stay Pending and no image is pulled"),
                    "Add or uncordon nodes that match the pod's nodeSelector (scale the node group), or correct the nodeSelector.",
                )
            };
            out.findings.push((Some(true), blocker));
        }
        KubePlacement::Unknown { why } => {
            out.findings.push((Some(false), Blocker::new(
                Code::NotCollected,
                format!("{}/{}", unit.workload.namespace, unit.workload.name),
                format!("{label}: where its pods run is unknown ({why}), so the path and credentials of its pulls are unknown"),
                "Read the cluster's nodes (list nodes), or give the files `kubectl get nodes -o json`.",
            )));
        }
    }
    out
}

/// A node's platform from its `kubernetes.io/os` and `kubernetes.io/arch` labels (the beta
/// `beta.kubernetes.io/…` ones on old nodes); `None` when it has neither pair.
fn node_platform(node: &Node, instance_id: &str) -> Option<NodePlatform> {
    let label = |name: &str| {
        node.labels
            .get(&format!("kubernetes.io/{name}"))
            .or_else(|| node.labels.get(&format!("beta.kubernetes.io/{name}")))
            .filter(|v| !v.is_empty())
    };
    Some(NodePlatform {
        instance_id: instance_id.to_string(),
        node: node.name.clone(),
        os: label("os")?.clone(),
        architecture: label("arch")?.clone(),
    })
}

/// Audits the workloads of `cluster` in `namespaces` (all when empty) against the AWS side of
/// `snapshot`.
pub fn audit_kube_cluster(
    snapshot: &Snapshot,
    cluster: &KubeCluster,
    namespaces: &[String],
    options: &AuditOptions,
) -> Vec<WorkloadResult> {
    audit_kube_units(snapshot, &kube_units(cluster, namespaces), options)
}

/// Audits `units` (of one cluster) against the AWS side of `snapshot`: one result each, in
/// order. A controller's pods that already exist are audited too, as they run — on their own
/// node, with the pull secrets admission gave them — which is not always how a new pod of the
/// template would (a pod left on a cordoned node, one admitted before its service account
/// got its secret): what stops one of them is the controller's finding too.
pub fn audit_kube_units(
    snapshot: &Snapshot,
    units: &[KubeUnit<'_>],
    options: &AuditOptions,
) -> Vec<WorkloadResult> {
    let mut results = audit_templates(snapshot, units, options);
    // Pods alike in what decides their pull are audited once: (unit, pod, how many alike).
    let mut variants: Vec<(usize, &KubeWorkload, usize)> = Vec::new();
    let mut by_key: std::collections::HashMap<(usize, String), usize> = Default::default();
    for (at, unit) in units.iter().enumerate() {
        // A finished pod (a Job's completed run) pulls nothing again.
        let existing = unit
            .pods
            .iter()
            .filter(|p| !std::ptr::eq(**p, unit.workload) && !p.finished);
        for pod in existing {
            match by_key.entry((at, pull_key(pod))) {
                std::collections::hash_map::Entry::Occupied(e) => variants[*e.get()].2 += 1,
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(variants.len());
                    variants.push((at, pod, 1));
                }
            }
        }
    }
    if variants.is_empty() {
        return results;
    }
    let pod_units: Vec<KubeUnit<'_>> = variants
        .iter()
        .map(|(at, pod, _)| KubeUnit {
            cluster: units[*at].cluster,
            workload: pod,
            pods: vec![pod],
        })
        .collect();
    let audited = audit_templates(snapshot, &pod_units, options);
    for ((at, pod, alike), pod_result) in variants.iter().zip(audited) {
        add_existing_pod(&mut results[*at], pod, *alike, &pod_result);
    }
    results
}

/// What decides how an existing pod pulls: its node, its pull secrets, its account, its
/// images.
fn pull_key(pod: &KubeWorkload) -> String {
    let images: Vec<&str> = pod.containers.iter().map(|c| c.image.as_str()).collect();
    format!(
        "{:?}|{:?}|{:?}|{:?}|{}",
        pod.node_name, pod.image_pull_secrets, pod.service_account_name, images, pod.admitted
    )
}

/// The findings of an existing pod that the controller's own audit does not have, added to
/// the controller's result (and its status).
fn add_existing_pod(
    result: &mut WorkloadResult,
    pod: &KubeWorkload,
    alike: usize,
    pod_result: &WorkloadResult,
) {
    let node = pod
        .node_name
        .as_deref()
        .map(|n| format!(" on node {n}"))
        .unwrap_or_default();
    let others = match alike {
        1 => String::new(),
        n => format!(" and {} more like it", n - 1),
    };
    // Known when the template's audit has it at least as severe.
    let known: Vec<(Code, String, Severity)> = result
        .findings
        .iter()
        .map(|f| (f.blocker.code, f.blocker.resource_id.clone(), f.severity))
        .collect();
    for finding in pod_result
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
    {
        let as_severe = |(code, resource, severity): &(Code, String, Severity)| {
            *code == finding.blocker.code
                && *resource == finding.blocker.resource_id
                && (*severity == finding.severity || *severity == Severity::Error)
        };
        if known.iter().any(as_severe) {
            continue;
        }
        let mut finding = finding.clone();
        finding.blocker.message = format!(
            "existing pod {}{node}{others}: {}",
            pod.name, finding.blocker.message
        );
        result.findings.push(finding);
    }
    result.status = WorkloadStatus::of(&result.findings);
    result.unsuppressed_status = result.status;
}

/// One result per unit, its pods aside.
fn audit_templates(
    snapshot: &Snapshot,
    units: &[KubeUnit<'_>],
    options: &AuditOptions,
) -> Vec<WorkloadResult> {
    let bridges: Vec<Bridge> = units.iter().map(|u| bridge(snapshot, u)).collect();
    let workloads: Vec<Workload<'_>> = units
        .iter()
        .zip(&bridges)
        .filter(|(_, b)| b.has_origin)
        .map(|(unit, b)| Workload {
            cluster: unit.cluster.name.clone(),
            service: Some(unit.label()),
            task_definition_arn: b.task_definition.arn.clone(),
            task_definition: Some(&b.task_definition),
            launch: b.launch.clone(),
            placement: b.configuration.as_ref(),
            container_instances: Some(&b.container_instances),
            node_platforms: b.node_platforms.clone(),
        })
        .collect();
    let mut audited = audit_workloads(snapshot, &workloads, options).into_iter();
    units
        .iter()
        .zip(bridges)
        .map(|(unit, bridge)| {
            let mut result = if bridge.has_origin {
                audited.next().expect("one result per workload")
            } else {
                WorkloadResult {
                    cluster: unit.cluster.name.clone(),
                    service: Some(unit.label()),
                    task_definition: bridge.task_definition.arn.clone(),
                    status: WorkloadStatus::Pass,
                    unsuppressed_status: WorkloadStatus::Pass,
                    requirements: Vec::new(),
                    findings: Vec::new(),
                    launch: bridge.launch.clone(),
                    instances: Vec::new(),
                }
            };
            finish(
                &mut result,
                unit,
                bridge.findings,
                bridge.has_origin,
                options,
            );
            result
        })
        .collect()
}

/// The node-role findings renamed, the ECS registry-credential finding replaced by the pull
/// secrets', an EKS Fargate pod execution role's trust checked for EKS, and the statuses
/// recomputed.
fn finish(
    result: &mut WorkloadResult,
    unit: &KubeUnit<'_>,
    placement: Vec<(Option<bool>, Blocker)>,
    has_origin: bool,
    options: &AuditOptions,
) {
    let on_nodes = matches!(result.launch, Launch::Ec2 { .. });
    // The ECS audit's words for the role that pulls, in EKS's.
    let rename = |b: &mut Blocker| {
        let (role_words, policy) = if on_nodes {
            ("node role", NODE_ECR_POLICY)
        } else {
            ("pod execution role", FARGATE_POD_POLICY)
        };
        b.message = b
            .message
            .replace("container instance role", role_words)
            .replace("execution role", role_words);
        if b.code == Code::PermissionMissing {
            b.code = Code::NodeRolePermissionMissing;
            let role = b
                .resource_id
                .rsplit('/')
                .next()
                .unwrap_or(&b.resource_id)
                .to_string();
            b.fix = format!("Attach the ECR pull policy to the {role_words}: aws iam attach-role-policy --role-name {role} --policy-arn {policy}");
            // The ECS audit's structured fix attaches an ECS policy; the EKS one's document
            // is not modelled for re-auditing, so only the prose fix names it.
            b.remedy.clear();
        }
    };
    // Workload-level blockers of the ECS audit (none of a requirement's): kept as they are.
    let carried: Vec<Blocker> = result
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .filter(|f| {
            !result
                .requirements
                .iter()
                .any(|r| r.blockers.contains(&f.blocker))
        })
        .map(|f| f.blocker.clone())
        .filter(|b| b.code != Code::RegistryAuthMissing)
        .collect();
    for requirement in &mut result.requirements {
        let before = requirement.blockers.len();
        requirement
            .blockers
            .retain(|b| b.code != Code::RegistryAuthMissing);
        requirement.blockers.iter_mut().for_each(rename);
        if requirement.blockers.len() != before {
            requirement.status = Status::of(&requirement.blockers);
        }
    }
    let node = node_credentials(result, has_origin);
    let credentials = credential_findings(unit, node, options.now);
    if credentials.ecr_token_may_pull && node == NodeCredentials::CannotPull {
        // A valid token in a pull secret is tried before the node role: whose token it is,
        // and what it may pull, pullpath cannot see.
        for requirement in &mut result.requirements {
            for blocker in requirement
                .blockers
                .iter_mut()
                .filter(|b| is_credential(b.code) && b.blocks())
            {
                *blocker = blocker.clone().uncertain();
                blocker.message.push_str(" — but a pull secret holds an unexpired ECR token, which the kubelet tries first and which may pull the image");
            }
            requirement.status = Status::of(&requirement.blockers);
        }
    }
    let mut workload_level = carried;
    let mut notes = Vec::new();
    for (severity, blocker) in placement.into_iter().chain(credentials.findings) {
        let blocker = if severity == Some(true) {
            blocker
        } else {
            blocker.uncertain()
        };
        match (severity, attach_to(blocker.code)) {
            (None, _) => notes.push(blocker),
            (Some(_), None) => workload_level.push(blocker),
            (Some(_), Some(targets)) => {
                let mut attached = false;
                for requirement in result
                    .requirements
                    .iter_mut()
                    .filter(|r| targets.contains(&r.requirement.target))
                {
                    if !requirement.blockers.contains(&blocker) {
                        requirement.blockers.push(blocker.clone());
                    }
                    requirement.status = requirement
                        .status
                        .max(Status::of(std::slice::from_ref(&blocker)));
                    attached = true;
                }
                if !attached {
                    workload_level.push(blocker);
                }
            }
        }
    }
    result.findings = collect_findings(&workload_level, &result.requirements);
    for note in notes {
        if !result.findings.iter().any(|f| f.blocker == note) {
            result.findings.push(WorkloadFinding {
                severity: Severity::Info,
                blocker: note,
                suppressed_by: None,
            });
        }
    }
    result.status = WorkloadStatus::of(&result.findings);
    result.unsuppressed_status = result.status;
}

/// The calls a credential finding is about: an ECR token's, the ECR image pull; a registry
/// secret's, the registry pull (or ECR, for a secret the ECR pull needs); none for a finding
/// about the whole workload (its service account, where it runs).
fn attach_to(code: Code) -> Option<&'static [Target]> {
    match code {
        Code::PullSecretEcrTokenExpired | Code::PullSecretEcrTokenExpiring => {
            Some(&[Target::EcrDkr])
        }
        Code::PullSecretMissing
        | Code::PullSecretWrongType
        | Code::PullSecretOtherNamespace
        | Code::PullSecretHostMismatch
        | Code::RegistryAuthMissing => Some(&[Target::Registry, Target::EcrDkr]),
        _ => None,
    }
}

/// Permission findings the node's (or pod execution role's) credentials stop at.
fn is_credential(code: Code) -> bool {
    matches!(
        code,
        Code::NodeRolePermissionMissing
            | Code::PermissionMissing
            | Code::PermissionDenied
            | Code::RepositoryPolicyDenies
            | Code::ExecutionRoleMissing
            | Code::ExecutionRoleNotFound
            | Code::ExecutionRoleTrust
    )
}

/// Whether the node's own credentials can pull the unit's ECR images, from the audit of the
/// ECR calls' permissions.
fn node_credentials(result: &WorkloadResult, has_origin: bool) -> NodeCredentials {
    if !has_origin {
        return NodeCredentials::Unknown;
    }
    let ecr = result.requirements.iter().filter(|r| {
        matches!(
            r.requirement.target,
            Target::EcrApi | Target::EcrDkr | Target::S3Layers
        )
    });
    let mut state = NodeCredentials::Pull;
    for requirement in ecr {
        for blocker in requirement
            .blockers
            .iter()
            .filter(|b| is_credential(b.code) || b.code == Code::ConditionUnknown)
        {
            if blocker.blocks() && is_credential(blocker.code) {
                return NodeCredentials::CannotPull;
            }
            state = NodeCredentials::Unknown;
        }
    }
    state
}
