//! Kubernetes workloads: what to audit (each controller's pod template, and each pod no
//! collected controller owns) and where its pods may run (nodes, or an EKS Fargate profile).

use std::collections::HashMap;

use super::kube_scheduling::{admits, kubelet_admits};
use crate::model::{EksCluster, FargateProfile, KubeCluster, KubeWorkload, Node, Snapshot};

/// One thing to audit in a cluster.
#[derive(Debug, Clone)]
pub struct KubeUnit<'a> {
    pub cluster: &'a KubeCluster,
    /// The pod or the controller's pod template.
    pub workload: &'a KubeWorkload,
    /// The pods it owns (directly or through a ReplicaSet or Job), as read.
    pub pods: Vec<&'a KubeWorkload>,
}

impl KubeUnit<'_> {
    /// `namespace/Kind/name`.
    pub fn label(&self) -> String {
        let w = self.workload;
        format!("{}/{}/{}", w.namespace, w.kind, w.name)
    }
}

/// The units of `cluster` in `namespaces` (all, when empty): controllers that no collected
/// controller owns, and pods that no collected controller owns. A pod or ReplicaSet owned by
/// a controller that was read is audited as that controller.
pub fn kube_units<'a>(cluster: &'a KubeCluster, namespaces: &[String]) -> Vec<KubeUnit<'a>> {
    let workloads = cluster.workloads.as_deref().unwrap_or_default();
    let by_name: HashMap<(&str, String), &KubeWorkload> = workloads
        .iter()
        .map(|w| ((w.namespace.as_str(), format!("{}/{}", w.kind, w.name)), w))
        .collect();
    // The top of a workload's chain of collected owners (a pod → its ReplicaSet → its
    // Deployment); at most a few steps, bounded against a cycle in hostile input.
    let top = |w: &'a KubeWorkload| -> &'a KubeWorkload {
        let mut at = w;
        for _ in 0..4 {
            let Some(owner) = &at.owner else { break };
            let found = by_name
                .get(&(at.namespace.as_str(), owner.clone()))
                .or_else(|| {
                    implied_owner(at, owner).and_then(|o| by_name.get(&(at.namespace.as_str(), o)))
                });
            match found {
                Some(owner) => at = owner,
                None => break,
            }
        }
        at
    };
    let wanted = |w: &KubeWorkload| namespaces.is_empty() || namespaces.contains(&w.namespace);
    let mut units: Vec<KubeUnit<'a>> = Vec::new();
    let mut index: HashMap<*const KubeWorkload, usize> = HashMap::new();
    for w in workloads.iter().filter(|w| wanted(w)) {
        let root = top(w);
        if std::ptr::eq(root, w) {
            index.insert(w as *const _, units.len());
            units.push(KubeUnit {
                cluster,
                workload: w,
                pods: if w.kind == "Pod" { vec![w] } else { Vec::new() },
            });
        }
    }
    for w in workloads.iter().filter(|w| wanted(w) && w.kind == "Pod") {
        let root = top(w);
        if !std::ptr::eq(root, w) {
            if let Some(&i) = index.get(&(root as *const _)) {
                units[i].pods.push(w);
            }
        }
    }
    units
}

/// The controller above an owner that was not read: a Deployment's ReplicaSet is named
/// `DEPLOYMENT-HASH`, with HASH the pod's `pod-template-hash` label (Kubernetes
/// `pkg/controller/deployment/sync.go`); a CronJob's Job is named `CRONJOB-SCHEDULEDTIME`
/// (`pkg/controller/cronjob`, `getJobName`).
fn implied_owner(w: &KubeWorkload, owner: &str) -> Option<String> {
    let (kind, name) = owner.split_once('/')?;
    match kind {
        "ReplicaSet" => {
            let hash = w.labels.get("pod-template-hash")?;
            let deployment = name.strip_suffix(hash.as_str())?.strip_suffix('-')?;
            Some(format!("Deployment/{deployment}"))
        }
        "Job" => {
            let (cron_job, time) = name.rsplit_once('-')?;
            time.chars()
                .all(|c| c.is_ascii_digit())
                .then(|| format!("CronJob/{cron_job}"))
        }
        _ => None,
    }
}

/// Where a unit's pods run, and so whose network and credentials pull their images.
#[derive(Debug)]
pub enum KubePlacement<'a> {
    /// EC2 nodes (each an instance whose kubelet pulls with the node role).
    Nodes(Vec<&'a Node>),
    /// EKS Fargate: the profile that selects the pod.
    Fargate {
        cluster: &'a EksCluster,
        profile: &'a FargateProfile,
    },
    /// No node can take the pod, and no Fargate profile selects it.
    Nowhere { why: String, fargate_only: bool },
    /// Where the pods would run is not known (nodes not read, nodes outside EC2).
    Unknown { why: String },
    /// A Fargate profile selects the pod, but Fargate does not run pods like it.
    FargateRefuses {
        profile: &'a FargateProfile,
        why: String,
    },
}

/// The EKS cluster a Kubernetes cluster is, when the snapshot has it: the one it names
/// (`--eks-cluster`, the kubeconfig's ARN), else the only one of the snapshot's EKS clusters
/// with a managed node group that the nodes' `eks.amazonaws.com/nodegroup` label names (EKS
/// sets that label on a managed node group's nodes) and whose subnets hold those nodes'
/// instances — a node group's name alone (`general`) is too common to go by.
pub fn eks_cluster_of<'a>(snapshot: &'a Snapshot, cluster: &KubeCluster) -> Option<&'a EksCluster> {
    let eks = snapshot.eks_clusters.as_deref()?;
    if let Some(name) = cluster.eks_cluster.as_deref() {
        return eks.iter().find(|c| c.name == name || c.arn == name);
    }
    let subnet_of = |node: &Node| {
        let id = node.instance_id()?;
        snapshot
            .instances
            .iter()
            .flatten()
            .find(|i| i.id == id)?
            .subnet_id
            .as_deref()
    };
    let members: Vec<(&str, &str)> = cluster
        .nodes
        .iter()
        .flatten()
        .filter_map(|n| Some((n.labels.get(NODE_GROUP_LABEL)?.as_str(), subnet_of(n)?)))
        .collect();
    let mut owners = eks.iter().filter(|c| {
        c.node_groups.iter().flatten().any(|g| {
            members
                .iter()
                .any(|(group, subnet)| g.name == *group && g.subnets.iter().any(|s| s == subnet))
        })
    });
    match (owners.next(), owners.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// The label EKS puts on a managed node group's nodes.
const NODE_GROUP_LABEL: &str = "eks.amazonaws.com/nodegroup";

/// Whether the cluster's nodes say it is an EKS cluster (EKS node labels).
fn runs_on_eks(nodes: &[Node]) -> bool {
    nodes
        .iter()
        .any(|n| n.labels.keys().any(|k| k.starts_with("eks.amazonaws.com/")))
}

/// Why EKS Fargate would not run the pod a profile selects, in the Fargate scheduler's words;
/// `None` when it would.
fn fargate_refuses(w: &KubeWorkload) -> Option<String> {
    (!w.fargate_unsupported.is_empty()).then(|| {
        format!(
            "Pod not supported on Fargate: {}",
            w.fargate_unsupported.join(", ")
        )
    })
}

/// Where the unit's pods run. EKS runs a pod on Fargate when a Fargate profile of the cluster
/// selects it (namespace and all the selector's labels: EKS user guide, "Fargate profile");
/// otherwise the scheduler places it on a ready, schedulable node whose labels include the
/// pod's `nodeSelector` (taints and affinity are not modelled: a note says so). A pod already
/// bound to a node (`spec.nodeName`) runs there.
pub fn kube_placement<'a>(unit: &KubeUnit<'a>, eks: Option<&'a EksCluster>) -> KubePlacement<'a> {
    let w = unit.workload;
    // A pod bound to an EC2 node runs there, whatever Fargate profiles exist now: a profile
    // takes pods only when they are scheduled (EKS user guide, "AWS Fargate considerations").
    if let (Some(bound), Some(nodes)) = (&w.node_name, &unit.cluster.nodes) {
        match nodes.iter().find(|n| &n.name == bound) {
            // A pod not yet running is checked by the node's kubelet as it is admitted.
            Some(node) if !node.is_fargate() && !w.admitted && !kubelet_admits(node, w) => {
                return KubePlacement::Nowhere {
                    why: format!("node `{bound}` the pod is bound to does not match its nodeSelector or required node affinity, or has a NoExecute taint it does not tolerate: the kubelet rejects it (NodeAffinity, Taint)"),
                    fargate_only: false,
                }
            }
            Some(node) if !node.is_fargate() => return KubePlacement::Nodes(vec![node]),
            Some(_) => {} // a Fargate node: the profile that selected the pod says how it pulls
            None => {
                return KubePlacement::Unknown {
                    why: format!("node `{bound}` the pod is bound to is not among the nodes read"),
                }
            }
        }
    }
    // DaemonSets never run on Fargate ("AWS Fargate considerations": DaemonSets aren't
    // supported); their pods go to the EC2 nodes.
    let daemon = w.kind == "DaemonSet";
    if daemon {
        return on_nodes(unit, eks);
    }
    if let (Some(name), None) = (&unit.cluster.eks_cluster, eks) {
        return KubePlacement::Unknown {
            why: format!("EKS cluster `{name}` was not read, and its Fargate profiles decide which pods run on Fargate"),
        };
    }
    if let Some(eks) = eks {
        let Some(profiles) = &eks.fargate_profiles else {
            return KubePlacement::Unknown {
                why: format!("the Fargate profiles of EKS cluster `{}` were not read, and they decide which pods run on Fargate", eks.name),
            };
        };
        let selecting: Vec<&FargateProfile> = profiles
            .iter()
            .filter(|p| p.selects(&w.namespace, &w.labels))
            .collect();
        // Several profiles select the pod: EKS picks one at random, unless the pod's label
        // `eks.amazonaws.com/fargate-profile` names it (EKS user guide, "Fargate profile").
        let named = w.labels.get("eks.amazonaws.com/fargate-profile");
        let chosen: Vec<&FargateProfile> = match named {
            Some(name) => selecting
                .iter()
                .copied()
                .filter(|p| &p.name == name)
                .collect(),
            None => selecting.clone(),
        };
        if !chosen.is_empty() {
            if let Some(why) = fargate_refuses(w) {
                return KubePlacement::FargateRefuses {
                    profile: chosen[0],
                    why,
                };
            }
        }
        match chosen.as_slice() {
            [] if !selecting.is_empty() => {
                return KubePlacement::Unknown {
                    why: "the pod's label eks.amazonaws.com/fargate-profile names no profile that selects it".into(),
                }
            }
            [] => {}
            [profile] => return KubePlacement::Fargate { cluster: eks, profile },
            [first, rest @ ..] => {
                let alike = rest.iter().all(|p| {
                    p.subnets == first.subnets && p.pod_execution_role == first.pod_execution_role
                });
                if alike {
                    return KubePlacement::Fargate { cluster: eks, profile: first };
                }
                let names: Vec<&str> = chosen.iter().map(|p| p.name.as_str()).collect();
                return KubePlacement::Unknown {
                    why: format!("Fargate profiles {} all select the pod, with different subnets or roles, and EKS picks one at random", names.join(", ")),
                };
            }
        }
    }
    if let Some(nodes) = &unit.cluster.nodes {
        // Fargate nodes, or EKS nodes, but no Fargate profiles to say which pods Fargate takes.
        if eks.is_none() && nodes.iter().any(Node::is_fargate) {
            return KubePlacement::Unknown {
                why: "the cluster runs pods on Fargate nodes, and which pods Fargate takes is decided by the EKS cluster's Fargate profiles: audit with --eks-cluster NAME".into(),
            };
        }
        if eks.is_none() && runs_on_eks(nodes) {
            return KubePlacement::Unknown {
                why: "the cluster is an EKS cluster (its nodes carry eks.amazonaws.com/ labels), whose Fargate profiles, not read, decide which pods run on Fargate: audit with --eks-cluster NAME".into(),
            };
        }
    }
    on_nodes(unit, eks)
}

/// The EC2 nodes the scheduler may place the unit's pods on: ready, schedulable (a
/// DaemonSet's pods go to cordoned and not-ready nodes too), with the labels of its
/// `nodeSelector`, taints it tolerates and its required node affinity.
fn on_nodes<'a>(unit: &KubeUnit<'a>, eks: Option<&'a EksCluster>) -> KubePlacement<'a> {
    let w = unit.workload;
    let Some(nodes) = &unit.cluster.nodes else {
        return KubePlacement::Unknown {
            why: "the cluster's nodes were not read".into(),
        };
    };
    // A DaemonSet's pods tolerate cordoned nodes (Kubernetes
    // `pkg/controller/daemon/util/daemonset_util.go` `AddOrUpdateDaemonPodTolerations`).
    let daemon = w.kind == "DaemonSet";
    let candidates: Vec<&Node> = nodes
        .iter()
        .filter(|n| !n.is_fargate() && admits(n, w, daemon))
        .collect();
    if candidates.is_empty() {
        let fargate_only = eks
            .is_some_and(|e| e.fargate_profiles.as_ref().is_some_and(|p| !p.is_empty()))
            && nodes.iter().all(Node::is_fargate);
        let selector = if w.node_selector.is_empty() {
            String::new()
        } else {
            let pairs: Vec<String> = w
                .node_selector
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!(" with labels {}", pairs.join(", "))
        };
        let constraints = if w.tolerations.is_empty()
            && w.required_node_terms.is_empty()
            && nodes.iter().all(|n| n.taints.is_empty())
        {
            ""
        } else {
            " whose taints it tolerates and that matches its required node affinity"
        };
        return KubePlacement::Nowhere {
            why: format!(
                "no ready, schedulable EC2 node{selector}{constraints} is among the {} nodes read",
                nodes.len()
            ),
            fargate_only,
        };
    }
    KubePlacement::Nodes(candidates)
}
