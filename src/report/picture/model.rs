//! What a picture shows, whatever the notation: one group per workload, with its nodes (the
//! task, the hops its calls cross, the hosts they call) and its edges (a call going from one
//! node to the next). DOT and Mermaid only spell this out.
//!
//! Where a blocker is drawn: a blocker whose resource is a hop of the call's path stops the
//! call at that hop, so the hop is marked and the edge *leaving* it carries the code ("no
//! route out of this route table", "this endpoint lets nothing through"); the edges past it
//! are drawn as not reached. A blocker whose resource is not on the path (the execution
//! role, the repository, the VPC's DNS, another subnet the tasks may land in) gets a node of
//! its own, reached from the task by an edge with the code: the network path is drawn as it
//! is, and the host is marked by the call's worst finding wherever it sits.

use std::collections::HashMap;

use crate::blocker::Blocker;
use crate::checks::{
    RequirementResult, ScopeAudit, Severity, WorkloadFinding, WorkloadResult, WorkloadStatus,
};
use crate::graph::{Hop, HopKind};
use crate::workload::Launch;

/// How a node or an edge is drawn. Ordered: the worse tone wins where several meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tone {
    /// An edge a call crosses without a finding; a hop without one.
    Plain,
    /// A host every call to it reaches.
    Reachable,
    /// Past a hop that blocks: the call does not get this far.
    NotReached,
    /// A finding a suppression accepts (it no longer counts).
    Suppressed,
    /// A finding the configuration cannot settle.
    Unknown,
    Blocked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Task,
    Hop(HopKind),
    Host,
    /// The resource of a workload finding drawn on no call (a role, a task definition).
    Resource,
    /// Something the picture cannot draw as a path (an account and region not read).
    Note,
}

#[derive(Debug, Clone)]
pub struct Node {
    /// Unique within its group (the DOT id is built from it).
    pub key: String,
    pub kind: NodeKind,
    pub lines: Vec<String>,
    pub tone: Tone,
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub label: String,
    pub tone: Tone,
}

/// One workload (or one account and region that could not be read).
#[derive(Debug, Clone)]
pub struct Group {
    pub title: Vec<String>,
    pub tone: Tone,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// The report's root-cause ids by scope, code and resource.
#[derive(Debug, Default)]
pub struct CauseIds {
    ids: std::collections::HashMap<(usize, crate::codes::Code, String), String>,
}

impl CauseIds {
    /// Numbered as the report numbers them (`plan_v1::cause_id`, over every scope in order).
    pub fn of(plans: &[crate::plan::ScopePlan]) -> Self {
        let mut ids = std::collections::HashMap::new();
        let mut n = 0;
        for (scope, plan) in plans.iter().enumerate() {
            for checked in &plan.causes {
                let id = super::super::plan_v1::cause_id(n);
                n += 1;
                let cause = &checked.cause;
                for resource in std::iter::once(&cause.resource_id).chain(&cause.also) {
                    ids.insert((scope, cause.code, resource.clone()), id.clone());
                }
            }
        }
        CauseIds { ids }
    }

    fn of_blocker(&self, scope: usize, blocker: &Blocker) -> Option<&str> {
        self.ids
            .get(&(scope, blocker.code, blocker.resource_id.clone()))
            .map(String::as_str)
    }
}

/// Every group of a run, in report order.
pub fn groups_of(scopes: &[ScopeAudit], causes: &CauseIds) -> Vec<Group> {
    let mut groups = Vec::new();
    for (index, scope) in scopes.iter().enumerate() {
        let coverage = &scope.coverage;
        let place = format!(
            "{} {}",
            coverage.account_id.as_deref().unwrap_or("?"),
            coverage.region
        );
        if let Some(error) = &coverage.error {
            // Drawing only the scopes that were read would make an unread one look clean.
            groups.push(Group {
                title: vec![format!("{place}: NOT READ")],
                tone: Tone::Unknown,
                nodes: vec![Node {
                    key: "not-read".to_string(),
                    kind: NodeKind::Note,
                    lines: vec!["not read".to_string(), error.clone()],
                    tone: Tone::Unknown,
                }],
                edges: Vec::new(),
            });
        }
        for result in &scope.results {
            let marker = Marker {
                result,
                causes,
                scope: index,
            };
            groups.push(workload_group(&marker, &place));
        }
    }
    groups
}

/// Makes the marks of one workload's blockers.
struct Marker<'a> {
    result: &'a WorkloadResult,
    causes: &'a CauseIds,
    scope: usize,
}

impl Marker<'_> {
    fn mark(&self, blocker: &Blocker) -> Mark {
        let mut mark = Mark::of(self.result, blocker);
        if let Some(id) = self.causes.of_blocker(self.scope, blocker) {
            mark.text = format!("[{id}] {}", mark.text);
        }
        mark
    }
}

fn workload_group(marker: &Marker<'_>, place: &str) -> Group {
    let result = marker.result;
    let mut group = Builder::default();
    // On EC2 the calls start at the container instances' interfaces, not the task's.
    let mut label = vec!["task".to_string(), short_arn(&result.task_definition)];
    if matches!(result.launch, Launch::Ec2 { .. }) && !result.instances.is_empty() {
        label.push(format!("on EC2 {}", result.instances.join(", ")));
    }
    let task = group.node("task".to_string(), NodeKind::Task, label);
    let all = result.requirements.len();
    let mut calls: Vec<CallEdge<'_>> = Vec::new();
    for requirement in &result.requirements {
        calls.extend(call_edges(&mut group, marker, task, requirement));
    }
    for finding in undrawn_findings(result) {
        let resource = group.resource(&finding.blocker.resource_id);
        let mark = marker.mark(&finding.blocker);
        group.tone(resource, mark.tone());
        calls.push(CallEdge {
            from: task,
            to: resource,
            target: None,
            tone: mark.tone(),
            codes: vec![mark.text],
        });
    }
    group.merge(calls, all);
    let status = match result.status {
        WorkloadStatus::Pass => ("PASS", Tone::Reachable),
        WorkloadStatus::Unknown => ("UNKNOWN", Tone::Unknown),
        WorkloadStatus::Fail => ("FAIL", Tone::Blocked),
    };
    Group {
        title: vec![
            format!("{}: {}", result.name(), status.0),
            place.to_string(),
        ],
        tone: status.1,
        nodes: group.nodes,
        edges: group.edges,
    }
}

/// One call crossing from one node to the next, before calls crossing alike are merged.
struct CallEdge<'r> {
    from: usize,
    to: usize,
    /// The call's target (`ecr-api`…); `None` for a workload finding.
    target: Option<&'r str>,
    tone: Tone,
    /// The codes drawn on the edge, each marked `(suppressed)` where a suppression accepts it.
    codes: Vec<String>,
}

/// The edges of one call: the hops from the task to the host, each edge with the blockers of
/// the hop it leaves, then an edge from the task to each resource off the path that has a
/// blocker for the call.
fn call_edges<'r>(
    group: &mut Builder,
    marker: &Marker<'_>,
    task: usize,
    requirement: &'r RequirementResult,
) -> Vec<CallEdge<'r>> {
    let target = Some(requirement.requirement.target.as_str());
    // The chain of nodes the call crosses, with the hop each node stands for.
    let mut chain: Vec<(usize, Option<&Hop>)> = vec![(task, None)];
    let mut crossings: HashMap<(HopKind, &str), usize> = HashMap::new();
    for hop in &requirement.path {
        let crossing = crossings.entry((hop.kind, hop.id.as_str())).or_default();
        chain.push((group.hop(hop, *crossing), Some(hop)));
        *crossing += 1;
    }
    // No path was evaluated (a launch type not modelled, a subnet not collected): the call
    // is drawn straight from the task to its host, as a stretch nobody followed.
    let evaluated = matches!(chain.last(), Some((_, Some(hop))) if hop.kind == HopKind::Host);
    if !evaluated {
        let host = Hop::new(HopKind::Host, requirement.requirement.host.clone());
        chain.push((group.hop(&host, 0), None));
    }
    let mut marks: Vec<Vec<Mark>> = vec![Vec::new(); chain.len() - 1];
    let mut away: Vec<(&str, Mark)> = Vec::new();
    for blocker in &requirement.blockers {
        // The first crossing of the resource: where the call meets it first.
        let at = chain.iter().position(|(_, hop)| {
            hop.is_some_and(|h| h.kind != HopKind::Host && h.id == blocker.resource_id)
        });
        match at {
            Some(at) => marks[at].push(marker.mark(blocker)),
            None => away.push((&blocker.resource_id, marker.mark(blocker))),
        }
    }
    let mut edges = Vec::new();
    let mut stopped = !evaluated;
    let mut worst = Tone::Plain;
    for (i, marks) in marks.into_iter().enumerate() {
        let tone = match marks.iter().map(Mark::tone).max() {
            Some(tone) => tone,
            None if stopped => Tone::NotReached,
            None => Tone::Plain,
        };
        if !marks.is_empty() {
            group.tone(chain[i].0, tone);
        }
        stopped |= marks.iter().any(|m| m.blocks);
        worst = worst.max(tone);
        edges.push(CallEdge {
            from: chain[i].0,
            to: chain[i + 1].0,
            target,
            tone,
            codes: codes(marks),
        });
    }
    // Resources off the path (the execution role, the repository, the VPC's DNS, another
    // subnet the tasks may land in) get a node of their own, reached from the task.
    let mut resources: Vec<(&str, Vec<Mark>)> = Vec::new();
    for (resource, mark) in away {
        match resources.iter_mut().find(|(r, _)| *r == resource) {
            Some((_, marks)) => marks.push(mark),
            None => resources.push((resource, vec![mark])),
        }
    }
    for (resource, marks) in resources {
        let node = group.resource(resource);
        let tone = marks.iter().map(Mark::tone).max().unwrap_or(Tone::Plain);
        group.tone(node, tone);
        worst = worst.max(tone);
        edges.push(CallEdge {
            from: task,
            to: node,
            target,
            tone,
            codes: codes(marks),
        });
    }
    // The host is marked by the call's worst finding: a call stopped anywhere fails.
    let host = chain[chain.len() - 1].0;
    group.tone(
        host,
        match worst {
            Tone::Plain | Tone::NotReached => Tone::Reachable,
            tone => tone,
        },
    );
    edges
}

/// The codes of an edge, each once, in order.
fn codes(marks: Vec<Mark>) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for mark in marks {
        if !codes.contains(&mark.text) {
            codes.push(mark.text);
        }
    }
    codes
}

/// A blocker as drawn on an edge.
#[derive(Debug, Clone)]
struct Mark {
    text: String,
    blocks: bool,
    suppressed: bool,
}

impl Mark {
    fn of(result: &WorkloadResult, blocker: &Blocker) -> Mark {
        let suppressed = result.is_suppressed(blocker);
        let mut text = blocker.code.as_str().to_string();
        if suppressed {
            text.push_str(" (suppressed)");
        }
        Mark {
            text,
            blocks: blocker.blocks(),
            suppressed,
        }
    }

    fn tone(&self) -> Tone {
        match (self.suppressed, self.blocks) {
            (true, _) => Tone::Suppressed,
            (false, true) => Tone::Blocked,
            (false, false) => Tone::Unknown,
        }
    }
}

/// Workload findings no call carries (a task definition not collected, a broken role when
/// no call could be evaluated): drawn from the task to their resource. Information-only
/// findings (endpoints bypassed by working calls) are not drawn.
fn undrawn_findings(result: &WorkloadResult) -> impl Iterator<Item = &WorkloadFinding> {
    result.findings.iter().filter(|finding| {
        finding.severity != Severity::Info
            && !result
                .requirements
                .iter()
                .any(|r| r.blockers.contains(&finding.blocker))
    })
}

/// Nodes and edges of one group, each node once.
#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    index: HashMap<String, usize>,
}

impl Builder {
    fn node(&mut self, key: String, kind: NodeKind, lines: Vec<String>) -> usize {
        if let Some(&at) = self.index.get(&key) {
            return at;
        }
        self.nodes.push(Node {
            key: key.clone(),
            kind,
            lines,
            tone: Tone::Plain,
        });
        self.index.insert(key, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// The node of a hop. Calls crossing the same resource share its node; a resource one
    /// path crosses twice (the NAT gateway's subnet often has the task subnet's network ACL)
    /// gets a node per crossing, or the drawing would loop back on itself.
    fn hop(&mut self, hop: &Hop, crossing: usize) -> usize {
        let kind = kind_key(hop.kind);
        let key = match crossing {
            0 => format!("{kind}/{}", hop.id),
            n => format!("{kind}/{}/{}", hop.id, n + 1),
        };
        let mut lines = Vec::new();
        if hop.kind != HopKind::Host {
            lines.push(match crossing {
                0 => kind_name(hop.kind).to_string(),
                _ => format!("{} (crossed again)", kind_name(hop.kind)),
            });
        }
        lines.push(hop.id.clone());
        let node_kind = match hop.kind {
            HopKind::Host => NodeKind::Host,
            kind => NodeKind::Hop(kind),
        };
        self.node(key, node_kind, lines)
    }

    /// The node of a resource off the paths, by its id (an ARN shortened).
    fn resource(&mut self, id: &str) -> usize {
        self.node(
            format!("resource/{id}"),
            NodeKind::Resource,
            vec![short_arn(id)],
        )
    }

    fn tone(&mut self, node: usize, tone: Tone) {
        let node = &mut self.nodes[node];
        node.tone = node.tone.max(tone);
    }

    /// Calls crossing the same two nodes alike (same tone, same codes) become one edge
    /// labelled with their targets: "all calls" when every call of the workload does.
    fn merge(&mut self, calls: Vec<CallEdge<'_>>, all: usize) {
        let mut merged: Vec<(CallEdge<'_>, Vec<&str>)> = Vec::new();
        for call in calls {
            let same = merged.iter_mut().find(|(m, _)| {
                m.from == call.from
                    && m.to == call.to
                    && m.tone == call.tone
                    && m.codes == call.codes
            });
            match same {
                Some((_, targets)) => targets.extend(call.target),
                None => {
                    let targets = call.target.into_iter().collect();
                    merged.push((call, targets));
                }
            }
        }
        for (call, targets) in merged {
            let mut label = if all > 1 && targets.len() == all {
                "all calls".to_string()
            } else {
                targets.join(", ")
            };
            if !call.codes.is_empty() {
                if !label.is_empty() {
                    label.push_str(": ");
                }
                label.push_str(&call.codes.join(", "));
            }
            self.edges.push(Edge {
                from: call.from,
                to: call.to,
                label,
                tone: call.tone,
            });
        }
    }
}

/// A stable word for a hop kind, for node keys.
fn kind_key(kind: HopKind) -> &'static str {
    match kind {
        HopKind::Subnet => "subnet",
        HopKind::SecurityGroup => "security-group",
        HopKind::NetworkAcl => "network-acl",
        HopKind::RouteTable => "route-table",
        HopKind::InternetGateway => "internet-gateway",
        HopKind::NatGateway => "nat-gateway",
        HopKind::TransitGateway => "transit-gateway",
        HopKind::PeeringConnection => "peering-connection",
        HopKind::VpnGateway => "vpn-gateway",
        HopKind::NetworkInterface => "network-interface",
        HopKind::InterfaceEndpoint => "interface-endpoint",
        HopKind::GatewayEndpoint => "gateway-endpoint",
        HopKind::Host => "host",
    }
}

/// What a reader calls the hop kind.
fn kind_name(kind: HopKind) -> &'static str {
    match kind {
        HopKind::Subnet => "subnet",
        HopKind::SecurityGroup => "security group",
        HopKind::NetworkAcl => "network ACL",
        HopKind::RouteTable => "route table",
        HopKind::InternetGateway => "internet gateway",
        HopKind::NatGateway => "NAT gateway",
        HopKind::TransitGateway => "transit gateway",
        HopKind::PeeringConnection => "peering connection",
        HopKind::VpnGateway => "VPN gateway",
        HopKind::NetworkInterface => "network interface",
        HopKind::InterfaceEndpoint => "interface endpoint",
        HopKind::GatewayEndpoint => "gateway endpoint",
        HopKind::Host => "host",
    }
}

/// The resource part of an ARN (`role/web-execution`, `task-definition/web:7`): the
/// partition, service, region and account are the same all over one picture. Anything
/// else is returned whole.
fn short_arn(id: &str) -> String {
    match id.strip_prefix("arn:") {
        Some(rest) => match rest.splitn(5, ':').nth(4) {
            Some(resource) if !resource.is_empty() => resource.to_string(),
            _ => id.to_string(),
        },
        None => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{groups_of, short_arn, CauseIds, NodeKind, Tone};
    use crate::checks::{Coverage, ScopeAudit};

    /// An account and region that could not be read is drawn, not left out.
    #[test]
    fn an_unread_scope_is_drawn_as_such() {
        let scopes = [ScopeAudit {
            coverage: Coverage::unread(
                Some("210987654321".to_string()),
                "eu-west-1",
                "AccessDenied: not authorized to perform sts:AssumeRole".to_string(),
            ),
            results: Vec::new(),
            snapshot: None,
        }];
        let groups = groups_of(&scopes, &CauseIds::default());
        let [group] = groups.as_slice() else {
            panic!("one group: {groups:?}");
        };
        assert_eq!(group.title, ["210987654321 eu-west-1: NOT READ"]);
        assert_eq!(group.tone, Tone::Unknown);
        assert_eq!(group.nodes.len(), 1);
        assert_eq!(group.nodes[0].kind, NodeKind::Note);
        assert!(group.nodes[0].lines[1].starts_with("AccessDenied"));
    }

    #[test]
    fn arns_are_shortened_to_their_resource() {
        assert_eq!(
            short_arn("arn:aws:iam::123456789012:role/web-execution"),
            "role/web-execution"
        );
        assert_eq!(
            short_arn("arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"),
            "task-definition/web:7"
        );
        assert_eq!(short_arn("rtb-0a1b"), "rtb-0a1b");
        assert_eq!(short_arn("arn:aws"), "arn:aws");
    }
}
