//! Which nodes the scheduler lets a pod onto, beyond its `nodeSelector`: the nodes' taints
//! against the pod's tolerations, and its required node affinity. Each rule follows the
//! Kubernetes source it cites; preferences (`PreferNoSchedule`, preferred affinity) only rank
//! nodes, so they never take one away.

use crate::model::{KubeWorkload, Node, NodeRequirement, NodeSelectorTerm, Taint, Toleration};

/// Whether the scheduler may place `pod` on `node`: its `nodeSelector`, the node's taints
/// (its readiness and cordon as the taints they become) against the pod's tolerations, and
/// its required node affinity. `daemon`: a DaemonSet's pod, which the DaemonSet controller
/// gives tolerations of its own.
pub fn admits(node: &Node, pod: &KubeWorkload, daemon: bool) -> bool {
    matches_selector(node, pod)
        && tolerates_all(node, pod, daemon, &[NO_SCHEDULE, NO_EXECUTE])
        && matches_required_affinity(node, &pod.required_node_terms)
}

/// Whether the kubelet of `node` admits `pod` bound to it (`spec.nodeName`, no scheduler):
/// its `nodeSelector` and required node affinity, and the node's `NoExecute` taints
/// (`pkg/kubelet/lifecycle/predicate.go`, `generalFilter`: the pod fails with reason
/// `NodeAffinity` or `Taint`).
pub fn kubelet_admits(node: &Node, pod: &KubeWorkload) -> bool {
    matches_selector(node, pod)
        && tolerates_all(node, pod, false, &[NO_EXECUTE])
        && matches_required_affinity(node, &pod.required_node_terms)
}

const NO_SCHEDULE: &str = "NoSchedule";
const NO_EXECUTE: &str = "NoExecute";

/// Every label of the pod's `nodeSelector` is the node's.
fn matches_selector(node: &Node, pod: &KubeWorkload) -> bool {
    pod.node_selector
        .iter()
        .all(|(k, v)| node.labels.get(k) == Some(v))
}

/// The node's taints, with those its conditions put on it: a cordoned node has
/// `node.kubernetes.io/unschedulable:NoSchedule` (what the NodeUnschedulable filter checks,
/// `pkg/scheduler/framework/plugins/nodeunschedulable`); a node not `Ready`, or that has never
/// said it is, `node.kubernetes.io/not-ready:NoSchedule` (TaintNodesByCondition, the node
/// lifecycle controller's `nodeConditionToTaintKeyStatusMap`).
fn taints_of(node: &Node) -> Vec<Taint> {
    let mut taints = node.taints.clone();
    let mut add = |key: &str| {
        if !taints
            .iter()
            .any(|t| t.key == key && t.effect == NO_SCHEDULE)
        {
            taints.push(Taint {
                key: key.into(),
                value: None,
                effect: NO_SCHEDULE.into(),
            });
        }
    };
    if node.unschedulable {
        add("node.kubernetes.io/unschedulable");
    }
    if node.ready != Some(true) {
        add("node.kubernetes.io/not-ready");
    }
    taints
}

/// The tolerations the DaemonSet controller adds to every daemon pod
/// (`pkg/controller/daemon/util/daemonset_util.go`, `AddOrUpdateDaemonPodTolerations`):
/// not-ready and unreachable (NoExecute), disk, memory and PID pressure and unschedulable
/// (NoSchedule); network-unavailable only for host-network pods.
fn daemon_tolerations(host_network: bool) -> Vec<Toleration> {
    let exists = |key: &str, effect: &str| Toleration {
        key: Some(key.into()),
        operator: Some("Exists".into()),
        value: None,
        effect: Some(effect.into()),
    };
    let mut list = vec![
        exists("node.kubernetes.io/not-ready", "NoExecute"),
        exists("node.kubernetes.io/unreachable", "NoExecute"),
        exists("node.kubernetes.io/disk-pressure", "NoSchedule"),
        exists("node.kubernetes.io/memory-pressure", "NoSchedule"),
        exists("node.kubernetes.io/pid-pressure", "NoSchedule"),
        exists("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        list.push(exists(
            "node.kubernetes.io/network-unavailable",
            "NoSchedule",
        ));
    }
    list
}

/// The scheduler's TaintToleration filter: every `NoSchedule` or `NoExecute` taint of the node
/// is tolerated (`pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go`,
/// `Filter` → `FindMatchingUntoleratedTaint` with those two effects); the kubelet checks the
/// `NoExecute` ones alone.
fn tolerates_all(node: &Node, pod: &KubeWorkload, daemon: bool, effects: &[&str]) -> bool {
    let added = if daemon {
        daemon_tolerations(pod.host_network)
    } else {
        Vec::new()
    };
    taints_of(node)
        .iter()
        .filter(|t| effects.contains(&t.effect.as_str()))
        .all(|taint| {
            pod.tolerations
                .iter()
                .chain(&added)
                .any(|t| tolerates(t, taint))
        })
}

/// `Toleration.ToleratesTaint` (`staging/src/k8s.io/api/core/v1/toleration.go`): the effect
/// matches when the toleration names none or the same; the key when it names none (only with
/// `Exists`) or the same; then `Exists` tolerates any value and `Equal` (the default) the same
/// value.
fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    if toleration
        .effect
        .as_deref()
        .is_some_and(|e| e != taint.effect)
    {
        return false;
    }
    if toleration.key.as_deref().is_some_and(|k| k != taint.key) {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" => {
            toleration.value.as_deref().unwrap_or_default()
                == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}

/// Required node affinity: the node matches one of the terms (ORed); a term matches when all
/// its expressions and fields do, and an empty term matches nothing
/// (`staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go`;
/// in 1.20 `pkg/apis/core/v1/helper`, `MatchNodeSelectorTerms`). No terms: no requirement.
fn matches_required_affinity(node: &Node, terms: &[NodeSelectorTerm]) -> bool {
    terms.is_empty()
        || terms.iter().any(|term| {
            (!term.match_expressions.is_empty() || !term.match_fields.is_empty())
                && term
                    .match_expressions
                    .iter()
                    .all(|r| requirement_holds(r, node.labels.get(&r.key).map(String::as_str)))
                && term.match_fields.iter().all(|r| {
                    // `metadata.name` is the only field the scheduler supports.
                    r.key == "metadata.name" && requirement_holds(r, Some(node.name.as_str()))
                })
        })
}

/// One requirement against a label's value (`None`: the node has no such label), as
/// `labels.Requirement.Matches` (`staging/src/k8s.io/apimachinery/pkg/labels/selector.go`).
fn requirement_holds(requirement: &NodeRequirement, value: Option<&str>) -> bool {
    let values = &requirement.values;
    let number = |text: &str| text.parse::<i64>().ok();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(have), [bound]) = (value.and_then(number), values.as_slice()) else {
                return false;
            };
            let Some(bound) = number(bound) else {
                return false;
            };
            if requirement.operator == "Gt" {
                have > bound
            } else {
                have < bound
            }
        }
        // An operator the API server would refuse: nothing matches it.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(labels: &[(&str, &str)], taints: &[(&str, &str, &str)]) -> Node {
        Node {
            name: "ip-10-0-1-1".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            taints: taints
                .iter()
                .map(|(k, v, e)| Taint {
                    key: k.to_string(),
                    value: (!v.is_empty()).then(|| v.to_string()),
                    effect: e.to_string(),
                })
                .collect(),
            ready: Some(true),
            ..Node::default()
        }
    }

    fn toleration(
        key: Option<&str>,
        operator: &str,
        value: &str,
        effect: Option<&str>,
    ) -> Toleration {
        Toleration {
            key: key.map(String::from),
            operator: Some(operator.into()),
            value: (!value.is_empty()).then(|| value.to_string()),
            effect: effect.map(String::from),
        }
    }

    #[test]
    fn only_untolerated_no_schedule_and_no_execute_taints_keep_a_pod_off() {
        let gpu = node(&[], &[("dedicated", "gpu", "NoSchedule")]);
        let mut pod = KubeWorkload::default();
        assert!(!admits(&gpu, &pod, false));
        // PreferNoSchedule only ranks nodes.
        assert!(admits(
            &node(&[], &[("dedicated", "gpu", "PreferNoSchedule")]),
            &pod,
            false
        ));
        pod.tolerations = vec![toleration(
            Some("dedicated"),
            "Equal",
            "gpu",
            Some("NoSchedule"),
        )];
        assert!(admits(&gpu, &pod, false));
        pod.tolerations = vec![toleration(Some("dedicated"), "Equal", "cpu", None)];
        assert!(!admits(&gpu, &pod, false));
        pod.tolerations = vec![toleration(Some("dedicated"), "Exists", "", None)];
        assert!(admits(&gpu, &pod, false));
        pod.tolerations = vec![toleration(
            Some("dedicated"),
            "Exists",
            "",
            Some("NoExecute"),
        )];
        assert!(!admits(&gpu, &pod, false));
        // An empty key with Exists tolerates everything.
        pod.tolerations = vec![toleration(None, "Exists", "", None)];
        assert!(admits(
            &node(&[], &[("a", "", "NoExecute"), ("b", "x", "NoSchedule")]),
            &pod,
            false
        ));
    }

    #[test]
    fn cordoned_and_unready_nodes_take_only_pods_that_tolerate_their_taints() {
        let mut cordoned = node(&[], &[]);
        cordoned.unschedulable = true;
        let pod = KubeWorkload::default();
        assert!(!admits(&cordoned, &pod, false));
        let tolerant = KubeWorkload {
            tolerations: vec![toleration(None, "Exists", "", None)],
            ..KubeWorkload::default()
        };
        assert!(admits(&cordoned, &tolerant, false));
        assert!(admits(&cordoned, &pod, true));
        let mut unready = node(&[], &[]);
        unready.ready = None;
        assert!(!admits(&unready, &pod, false));
        // Not-ready is NoSchedule: not among a daemon pod's tolerations either.
        assert!(!admits(&unready, &pod, true));
        assert!(admits(&unready, &tolerant, false));
        // The kubelet of a node a pod is bound to checks NoExecute taints only.
        assert!(kubelet_admits(&cordoned, &pod));
        let evicting = node(&[], &[("dedicated", "x", "NoExecute")]);
        assert!(!kubelet_admits(&evicting, &pod));
        let selecting = KubeWorkload {
            node_selector: [("pool".to_string(), "gpu".to_string())].into(),
            ..KubeWorkload::default()
        };
        assert!(!kubelet_admits(&node(&[], &[]), &selecting));
        assert!(kubelet_admits(&node(&[("pool", "gpu")], &[]), &selecting));
    }

    #[test]
    fn daemon_pods_tolerate_the_node_condition_taints_and_no_other() {
        let cordoned = node(
            &[],
            &[("node.kubernetes.io/unschedulable", "", "NoSchedule")],
        );
        let pod = KubeWorkload::default();
        assert!(!admits(&cordoned, &pod, false));
        assert!(admits(&cordoned, &pod, true));
        assert!(!admits(
            &node(&[], &[("dedicated", "gpu", "NoSchedule")]),
            &pod,
            true
        ));
        let network = node(
            &[],
            &[("node.kubernetes.io/network-unavailable", "", "NoSchedule")],
        );
        assert!(!admits(&network, &pod, true));
        let host = KubeWorkload {
            host_network: true,
            ..KubeWorkload::default()
        };
        assert!(admits(&network, &host, true));
    }

    #[test]
    fn required_affinity_terms_are_ored_and_their_requirements_anded() {
        let n = node(&[("pool", "general"), ("cores", "8")], &[]);
        let req = |key: &str, op: &str, values: &[&str]| NodeRequirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        let term = |exprs: Vec<NodeRequirement>| NodeSelectorTerm {
            match_expressions: exprs,
            match_fields: Vec::new(),
        };
        let pod = |terms: Vec<NodeSelectorTerm>| KubeWorkload {
            required_node_terms: terms,
            ..KubeWorkload::default()
        };
        assert!(admits(&n, &pod(vec![]), false));
        assert!(!admits(
            &n,
            &pod(vec![term(vec![req("pool", "In", &["gpu"])])]),
            false
        ));
        assert!(admits(
            &n,
            &pod(vec![
                term(vec![req("pool", "In", &["gpu"])]),
                term(vec![req("pool", "NotIn", &["gpu"])])
            ]),
            false
        ));
        assert!(!admits(
            &n,
            &pod(vec![term(vec![
                req("pool", "Exists", &[]),
                req("cores", "Gt", &["8"])
            ])]),
            false
        ));
        assert!(admits(
            &n,
            &pod(vec![term(vec![req("cores", "Lt", &["9"])])]),
            false
        ));
        assert!(admits(
            &n,
            &pod(vec![term(vec![req("zone", "DoesNotExist", &[])])]),
            false
        ));
        // An empty term matches nothing.
        assert!(!admits(&n, &pod(vec![term(vec![])]), false));
        let by_name = NodeSelectorTerm {
            match_expressions: Vec::new(),
            match_fields: vec![req("metadata.name", "In", &["ip-10-0-1-1"])],
        };
        assert!(admits(&n, &pod(vec![by_name]), false));
    }
}
