//! The account's reachability graph: one petgraph graph per VPC whose nodes are the resources
//! calls cross (subnets, security groups, network ACLs, route tables, gateways, endpoints,
//! service hosts) and whose edges are hops, each carrying, per flow, what stops the call
//! there. A flow is one call from one origin (a placement: subnet, security groups, public
//! address, caller); its candidate paths are inserted once, and the verdict is an A* query
//! over the edges that carry the flow.
//!
//! Nodes are shared: every call that leaves through `nat-1` crosses the same `nat-1` node, and
//! every call to `api.ecr.us-east-1.amazonaws.com` ends at the same host node, so the graph
//! grows with the account's resources while the flows over it grow with the workloads. That
//! is what lets a question about a resource ("which calls cross this NAT gateway?") be a
//! lookup ([`ReachabilityGraph::flows_through`]) instead of a re-audit.
//!
//! Why a node is a resource *on one leg* rather than a bare resource: a hop's blockers depend
//! on where the call is going (a security group may allow egress to the S3 prefix list but not
//! to the internet), so the candidates of one flow must not be spliced into a path no call
//! takes (the task's security group checked for the endpoint, then the NAT gateway). A leg is
//! how the path leaves the VPC (via, and its exit resource); nodes on the same leg are shared
//! by every flow taking that leg, and the A* query of a flow can only follow one of its own
//! candidates from end to end.

use std::collections::HashMap;

use petgraph::algo::astar;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeFiltered;

use super::hop::{Candidate, Hop, HopKind, Via};
use crate::blocker::{Blocker, Status};
use crate::policy::keys::Network;

/// One call from one origin, numbered in the order flows are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId(u32);

/// How a path leaves the VPC, interned per VPC: its via and the resource it exits through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct LegId(u32);

/// The origin (the subnet a call starts in) and the service hosts are shared by every leg.
const NO_LEG: LegId = LegId(0);

/// A resource on a leg (the leg is part of its key in `VpcGraph::nodes`).
#[derive(Debug, Clone)]
struct Node {
    hop: Hop,
}

/// A node's identity: the resource (kind, then id), the leg it is crossed on, and (for a
/// path that crosses the same resource twice, as a network ACL shared by the task's and the
/// NAT gateway's subnets) which crossing it is, so a path never short-cuts its own loop.
/// Split in two so a lookup borrows the id instead of copying it.
type NodeKey = (HopKind, LegId, u8);

/// What one flow meets on entering a hop.
#[derive(Debug, Clone)]
struct FlowHop {
    flow: FlowId,
    blockers: Vec<Blocker>,
    /// Set on the last hop of paths that do not use a VPC endpoint (a tie-breaker).
    detour: bool,
    /// On the last hop: the candidate's place among the flow's candidates, the last
    /// tie-breaker (DNS and routing list the paths a call prefers first), so the path found
    /// never depends on the order A* happens to explore equal paths in.
    rank: u8,
    via: Option<Via>,
    /// The candidate this entry belongs to (a query for one candidate follows only its own).
    leg: LegId,
}

/// A hop between two resources, with what each flow crossing it meets there. Flows are kept
/// in the order they were added, so a flow's entry is found by binary search.
#[derive(Debug, Clone, Default)]
struct HopEdge {
    flows: Vec<FlowHop>,
}

impl HopEdge {
    fn of(&self, flow: FlowId) -> Option<&FlowHop> {
        // A flow is queried right after it is added: its entry is then the last.
        if let Some(last) = self.flows.last().filter(|f| f.flow == flow) {
            return Some(last);
        }
        self.flows
            .binary_search_by(|f| f.flow.cmp(&flow))
            .ok()
            .map(|i| &self.flows[i])
    }

    fn add(&mut self, hop: FlowHop) {
        // A flow enters a hop once per candidate; two candidates of one flow meeting on the
        // same edge (both leave straight from the subnet to the host) keep the cheaper entry.
        match self.flows.last_mut() {
            Some(last) if last.flow == hop.flow => {
                if cost(&hop) < cost(last) {
                    *last = hop;
                }
            }
            _ => self.flows.push(hop),
        }
    }
}

/// Blockers dominate, then unknowns, then the endpoint preference, then the candidates'
/// order (a rank is below 256, a detour is worth more than any rank, an unknown more than
/// both).
fn cost(hop: &FlowHop) -> u64 {
    let blockers: u64 = hop
        .blockers
        .iter()
        .map(|b| if b.blocks() { 1_000_000 } else { 1_000 })
        .sum();
    blockers + u64::from(hop.detour) * 256 + u64::from(hop.rank)
}

/// The graph of one VPC's calls.
#[derive(Default)]
struct VpcGraph {
    graph: DiGraph<Node, HopEdge>,
    nodes: HashMap<NodeKey, HashMap<String, NodeIndex>>,
    edges: HashMap<(NodeIndex, NodeIndex), EdgeIndex>,
    legs: HashMap<(Option<Via>, Hop), LegId>,
}

impl VpcGraph {
    fn node(&mut self, hop: &Hop, leg: LegId, crossing: u8) -> NodeIndex {
        let ids = self.nodes.entry((hop.kind, leg, crossing)).or_default();
        if let Some(index) = ids.get(hop.id.as_str()) {
            return *index;
        }
        let index = self.graph.add_node(Node { hop: hop.clone() });
        ids.insert(hop.id.clone(), index);
        index
    }

    fn edge(&mut self, from: NodeIndex, to: NodeIndex, hop: FlowHop) {
        let graph = &mut self.graph;
        let index = *self
            .edges
            .entry((from, to))
            .or_insert_with(|| graph.add_edge(from, to, HopEdge::default()));
        self.graph[index].add(hop);
    }

    /// The leg of a candidate: its via and the resource it leaves through (its last hop).
    /// Within one flow no two candidates share a leg; if they did, the later one gets its own.
    fn leg(&mut self, candidate: &Candidate, taken: &mut Vec<LegId>) -> LegId {
        let exit = candidate
            .steps
            .last()
            .map_or_else(|| Hop::new(HopKind::Host, ""), |s| s.hop.clone());
        let next = LegId(self.legs.len() as u32 + 1);
        let mut leg = *self
            .legs
            .entry((candidate.via, exit.clone()))
            .or_insert(next);
        let mut extra = 0_u32;
        while taken.contains(&leg) {
            extra += 1;
            let exit = Hop::new(exit.kind, format!("{}#{extra}", exit.id));
            let next = LegId(self.legs.len() as u32 + 1);
            leg = *self.legs.entry((candidate.via, exit)).or_insert(next);
        }
        taken.push(leg);
        leg
    }

    /// Adds a flow's candidates: from the origin subnet `source` to the host. Returns each
    /// candidate's leg, in order.
    fn add_flow(
        &mut self,
        flow: FlowId,
        source: &Hop,
        host: &str,
        candidates: Vec<Candidate>,
    ) -> (NodeIndex, NodeIndex, Vec<LegId>) {
        let source = self.node(source, NO_LEG, 0);
        let sink = self.node(&Hop::new(HopKind::Host, host), NO_LEG, 0);
        let mut legs = Vec::with_capacity(candidates.len());
        for (rank, candidate) in candidates.into_iter().enumerate() {
            let leg = self.leg(&candidate, &mut legs);
            let via = candidate.via;
            let mut previous = source;
            let mut pending = Vec::new();
            let mut steps = candidate.steps;
            for i in 0..steps.len() {
                let step_blockers = std::mem::take(&mut steps[i].blockers);
                let hop = &steps[i].hop;
                // The subnet step is the origin itself: its blockers go on the first edge.
                if i == 0 && hop.kind == HopKind::Subnet {
                    pending = step_blockers;
                    continue;
                }
                let crossing = steps[..i].iter().filter(|s| s.hop == *hop).count();
                let node = self.node(hop, leg, crossing.min(255) as u8);
                let mut blockers = std::mem::take(&mut pending);
                blockers.extend(step_blockers);
                self.edge(
                    previous,
                    node,
                    FlowHop {
                        flow,
                        blockers,
                        detour: false,
                        rank: 0,
                        via,
                        leg,
                    },
                );
                previous = node;
            }
            // Between equally blocked paths prefer an endpoint: the user built it to be used,
            // and fixing it (a DNS flag, an association) is smaller than a new egress path.
            let detour = !via.is_some_and(Via::is_endpoint);
            self.edge(
                previous,
                sink,
                FlowHop {
                    flow,
                    blockers: pending,
                    detour,
                    rank: rank.min(255) as u8,
                    via,
                    leg,
                },
            );
        }
        (source, sink, legs)
    }

    /// The cheapest path of `flow` from `source` to `sink`, over the flow's own edges (and,
    /// with `leg`, over that leg only).
    fn best(
        &self,
        flow: FlowId,
        source: NodeIndex,
        sink: NodeIndex,
        leg: Option<LegId>,
    ) -> PathFound {
        let graph = &self.graph;
        // The flow's own edges; for one candidate, only the entries of its leg (which also
        // rules out another candidate's entry on an edge two candidates share, such as a
        // straight subnet → host edge).
        let carries = |e: petgraph::graph::EdgeReference<'_, HopEdge>| {
            e.weight()
                .of(flow)
                .is_some_and(|hop| leg.is_none_or(|leg| hop.leg == leg))
        };
        let view = EdgeFiltered::from_fn(graph, carries);
        let found = astar(
            &view,
            source,
            |n| n == sink,
            |e| e.weight().of(flow).map_or(u64::MAX / 4, cost),
            |_| 0,
        );
        let Some((_, nodes)) = found else {
            return PathFound::default();
        };
        let mut blockers: Vec<Blocker> = Vec::new();
        let mut via = None;
        for (i, pair) in nodes.windows(2).enumerate() {
            let Some(hop) = self
                .edges
                .get(&(pair[0], pair[1]))
                .and_then(|e| graph[*e].of(flow))
            else {
                continue;
            };
            if i == 0 {
                via = hop.via;
            }
            for b in &hop.blockers {
                if !blockers.contains(b) {
                    blockers.push(b.clone());
                }
            }
        }
        PathFound {
            found: true,
            via,
            path: nodes.iter().map(|n| graph[*n].hop.clone()).collect(),
            blockers,
        }
    }
}

#[derive(Default)]
struct PathFound {
    found: bool,
    via: Option<Via>,
    path: Vec<Hop>,
    blockers: Vec<Blocker>,
}

/// The outcome of one requirement from one placement subnet.
#[derive(Debug, Clone)]
pub struct PathVerdict {
    pub status: Status,
    pub via: Option<Via>,
    pub path: Vec<Hop>,
    pub blockers: Vec<Blocker>,
    /// For a call that works without the VPC endpoint built for it: why the endpoint is not
    /// used (reported as information: the traffic takes the NAT or internet path instead).
    pub bypassed: Vec<Blocker>,
    /// What the path puts in the call's request context (through which endpoint or public
    /// address it reaches AWS), for the policies the call meets.
    pub network: Network,
}

impl PathFound {
    fn verdict(self) -> PathVerdict {
        if !self.found {
            return PathVerdict {
                status: Status::Unknown,
                via: None,
                path: Vec::new(),
                blockers: Vec::new(),
                bypassed: Vec::new(),
                network: Network::Unknown {
                    why: "the call has no path".into(),
                },
            };
        }
        PathVerdict {
            status: Status::of(&self.blockers),
            via: self.via,
            path: self.path,
            blockers: self.blockers,
            bypassed: Vec::new(),
            // Set by `evaluate_requirement`, which knows the placement.
            network: Network::Unknown {
                why: "the call's path is not known".into(),
            },
        }
    }
}

/// A flow added to the graph: where it starts and ends, and its candidates' legs.
pub(super) struct Flow {
    vpc: String,
    id: FlowId,
    source: NodeIndex,
    sink: NodeIndex,
    legs: Vec<LegId>,
}

/// Figures about the graph, for docs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GraphSize {
    pub vpcs: usize,
    pub nodes: usize,
    pub edges: usize,
    pub flows: usize,
}

/// The reachability graph of the VPCs an audit evaluated calls in.
#[derive(Default)]
pub struct ReachabilityGraph {
    vpcs: HashMap<String, VpcGraph>,
    flows: u32,
}

impl ReachabilityGraph {
    /// Adds one call's candidate paths from `source` (the origin subnet) to `host`.
    pub(super) fn add_flow(
        &mut self,
        vpc: &str,
        source: &Hop,
        host: &str,
        candidates: Vec<Candidate>,
    ) -> Flow {
        let id = FlowId(self.flows);
        self.flows += 1;
        let graph = match self.vpcs.get_mut(vpc) {
            Some(graph) => graph,
            None => self.vpcs.entry(vpc.to_string()).or_default(),
        };
        let (source, sink, legs) = graph.add_flow(id, source, host, candidates);
        Flow {
            vpc: vpc.to_string(),
            id,
            source,
            sink,
            legs,
        }
    }

    /// The cheapest path of a flow; with `candidate`, the path of that candidate only.
    pub(super) fn best(&self, flow: &Flow, candidate: Option<usize>) -> PathVerdict {
        let Some(graph) = self.vpcs.get(&flow.vpc) else {
            return PathFound::default().verdict();
        };
        let leg = candidate.and_then(|i| flow.legs.get(i).copied());
        graph.best(flow.id, flow.source, flow.sink, leg).verdict()
    }

    /// How many flows cross `hop` (start there, enter it, in any VPC, on any leg). A flow is a
    /// distinct call from a distinct origin: workloads placed alike share one, so this counts
    /// distinct calls, not every workload's.
    pub fn flows_through(&self, hop: &Hop) -> usize {
        use petgraph::Direction::{Incoming, Outgoing};
        let mut flows = std::collections::HashSet::new();
        for vpc in self.vpcs.values() {
            for node in vpc
                .graph
                .node_indices()
                .filter(|n| vpc.graph[*n].hop == *hop)
            {
                for direction in [Incoming, Outgoing] {
                    for edge in vpc.graph.edges_directed(node, direction) {
                        flows.extend(edge.weight().flows.iter().map(|f| f.flow));
                    }
                }
            }
        }
        flows.len()
    }

    pub fn size(&self) -> GraphSize {
        GraphSize {
            vpcs: self.vpcs.len(),
            nodes: self.vpcs.values().map(|v| v.graph.node_count()).sum(),
            edges: self.vpcs.values().map(|v| v.graph.edge_count()).sum(),
            flows: self.flows as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;

    fn blocked(resource: &str) -> Vec<Blocker> {
        vec![Blocker::new(
            Code::SgEgressBlocked,
            resource,
            "blocked",
            "fix",
        )]
    }

    fn candidate(via: Option<Via>, steps: &[(HopKind, &str, Vec<Blocker>)]) -> Candidate {
        let mut c = Candidate::new();
        c.via = via;
        c.step(Hop::new(HopKind::Subnet, "subnet-1"), Vec::new());
        for (kind, id, blockers) in steps {
            c.step(Hop::new(*kind, *id), blockers.clone());
        }
        c
    }

    fn nat_path(sg_blockers: Vec<Blocker>) -> Candidate {
        candidate(
            Some(Via::Nat),
            &[
                (HopKind::SecurityGroup, "sg-1", sg_blockers),
                (HopKind::RouteTable, "rtb-1", Vec::new()),
                (HopKind::NatGateway, "nat-1", Vec::new()),
            ],
        )
    }

    fn endpoint_path(blockers: Vec<Blocker>) -> Candidate {
        candidate(
            Some(Via::InterfaceEndpoint),
            &[
                (HopKind::SecurityGroup, "sg-1", Vec::new()),
                (HopKind::InterfaceEndpoint, "vpce-1", blockers),
            ],
        )
    }

    fn source() -> Hop {
        Hop::new(HopKind::Subnet, "subnet-1")
    }

    #[test]
    fn calls_crossing_the_same_resources_share_their_nodes() {
        let mut graph = ReachabilityGraph::default();
        for host in ["api.ecr", "dkr.ecr", "logs"] {
            graph.add_flow("vpc-1", &source(), host, vec![nat_path(Vec::new())]);
        }
        let size = graph.size();
        // subnet, sg, rtb, nat shared; one host node per host.
        assert_eq!(size.nodes, 4 + 3, "{size:?}");
        assert_eq!(size.flows, 3);
        assert_eq!(
            graph.flows_through(&Hop::new(HopKind::NatGateway, "nat-1")),
            3
        );
        assert_eq!(graph.flows_through(&Hop::new(HopKind::Host, "logs")), 1);
        // Another VPC has its own graph.
        graph.add_flow("vpc-2", &source(), "logs", vec![nat_path(Vec::new())]);
        assert_eq!(graph.size().vpcs, 2);
        assert_eq!(graph.flows_through(&Hop::new(HopKind::Host, "logs")), 2);
    }

    #[test]
    fn a_path_is_never_spliced_from_two_candidates_of_one_call() {
        // The security group blocks the NAT path but not the endpoint path, and the endpoint
        // is broken: no whole path works, although sg-1 (open) → … → nat-1 would.
        let mut graph = ReachabilityGraph::default();
        let flow = graph.add_flow(
            "vpc-1",
            &source(),
            "api.ecr",
            vec![endpoint_path(blocked("vpce-1")), nat_path(blocked("sg-1"))],
        );
        let verdict = graph.best(&flow, None);
        assert_eq!(verdict.status, Status::Blocked);
        assert_eq!(verdict.blockers.len(), 1);
        // The endpoint is preferred between equally blocked paths.
        assert_eq!(verdict.via, Some(Via::InterfaceEndpoint));
        assert_eq!(verdict.blockers[0].resource_id, "vpce-1");
    }

    #[test]
    fn another_call_over_the_same_nodes_keeps_its_own_blockers() {
        let mut graph = ReachabilityGraph::default();
        let open = graph.add_flow("vpc-1", &source(), "h", vec![nat_path(Vec::new())]);
        let shut = graph.add_flow("vpc-1", &source(), "h", vec![nat_path(blocked("sg-1"))]);
        assert_eq!(graph.best(&shut, None).status, Status::Blocked);
        // Queried after another flow was added: found by search, not as the last entry.
        let verdict = graph.best(&open, None);
        assert_eq!(verdict.status, Status::Reachable);
        assert_eq!(verdict.via, Some(Via::Nat));
        let ids: Vec<&str> = verdict.path.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["subnet-1", "sg-1", "rtb-1", "nat-1", "h"]);
    }

    #[test]
    fn a_resource_crossed_twice_keeps_both_crossings() {
        // The same network ACL guards the task's subnet and the NAT gateway's: the second
        // crossing's blocker must not be short-cut by the first crossing's node.
        let mut graph = ReachabilityGraph::default();
        let path = candidate(
            Some(Via::Nat),
            &[
                (HopKind::NetworkAcl, "acl-1", Vec::new()),
                (HopKind::NatGateway, "nat-1", Vec::new()),
                (HopKind::NetworkAcl, "acl-1", blocked("acl-1")),
                (HopKind::InternetGateway, "igw-1", Vec::new()),
            ],
        );
        let flow = graph.add_flow("vpc-1", &source(), "h", vec![path]);
        let verdict = graph.best(&flow, None);
        assert_eq!(verdict.status, Status::Blocked);
        assert_eq!(verdict.path.len(), 6);
    }

    #[test]
    fn equal_paths_go_to_the_first_candidate_and_a_leg_can_be_asked_for() {
        let mut graph = ReachabilityGraph::default();
        let second = candidate(
            Some(Via::InterfaceEndpoint),
            &[(HopKind::InterfaceEndpoint, "vpce-2", Vec::new())],
        );
        let flow = graph.add_flow(
            "vpc-1",
            &source(),
            "h",
            vec![endpoint_path(Vec::new()), second, nat_path(Vec::new())],
        );
        let best = graph.best(&flow, None);
        assert!(
            best.path.iter().any(|h| h.id == "vpce-1"),
            "{:?}",
            best.path
        );
        let nat = graph.best(&flow, Some(2));
        assert_eq!(nat.via, Some(Via::Nat));
        assert!(nat.path.iter().any(|h| h.id == "nat-1"));
    }

    #[test]
    fn a_call_without_candidates_has_no_path() {
        let mut graph = ReachabilityGraph::default();
        let flow = graph.add_flow("vpc-1", &source(), "h", Vec::new());
        let verdict = graph.best(&flow, None);
        assert_eq!(verdict.status, Status::Unknown);
        assert!(verdict.path.is_empty());
    }
}
