//! The reachability graph: for each call a task must make, every candidate path from the
//! task's subnet to the service host, as a petgraph graph whose edges carry the blockers met
//! on entering each hop. The reported path is the cheapest one (fewest blockers, then fewest
//! unknowns), found with A* over that graph.

mod candidates;
mod endpoint;
mod filters;
mod hop;
mod index;
mod internet;
mod nat;
mod placement;
mod remedies;
mod request_keys;
mod route_blockers;
mod routing;
mod rules;

pub use hop::{Candidate, Hop, HopKind, Step, Via};
pub use index::{Gap, NetworkIndex};
pub use placement::Placement;
pub use request_keys::{account_of, add_request_keys, layer_download_keys, organization};

use petgraph::algo::astar;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::blocker::{Blocker, Status};
use crate::policy::keys::Network;
use crate::workload::Requirement;
use candidates::{candidates, Candidates};

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

/// An edge: entering a hop, with what stops the call there.
#[derive(Debug, Clone)]
struct Edge {
    blockers: Vec<Blocker>,
    /// Set on the last edge of paths that do not use a VPC endpoint (a tie-breaker).
    detour: bool,
}

/// All candidate paths of one requirement, as a graph from the task's subnet to the host.
struct PathGraph {
    graph: DiGraph<Hop, Edge>,
    source: NodeIndex,
    sink: NodeIndex,
    /// The via of each candidate, keyed by the candidate's first node after the source.
    vias: Vec<(NodeIndex, Option<Via>)>,
}

impl PathGraph {
    fn new(candidates: Vec<Candidate>, source_hop: Hop, host: &str) -> Self {
        let mut graph = DiGraph::new();
        let source = graph.add_node(source_hop);
        let sink = graph.add_node(Hop::new(HopKind::Host, host));
        let mut vias = Vec::new();
        for candidate in candidates {
            let mut previous = source;
            let mut first = None;
            let mut pending = Vec::new();
            for (i, step) in candidate.steps.into_iter().enumerate() {
                // The subnet step is the source itself: its blockers go on the first edge.
                if i == 0 && step.hop.kind == HopKind::Subnet {
                    pending = step.blockers;
                    continue;
                }
                let node = graph.add_node(step.hop);
                let mut blockers = std::mem::take(&mut pending);
                blockers.extend(step.blockers);
                graph.add_edge(
                    previous,
                    node,
                    Edge {
                        blockers,
                        detour: false,
                    },
                );
                first.get_or_insert(node);
                previous = node;
            }
            // Between equally blocked paths prefer an endpoint: the user built it to be used,
            // and fixing it (a DNS flag, an association) is smaller than a new egress path.
            let detour = !matches!(
                candidate.via,
                Some(Via::InterfaceEndpoint | Via::GatewayEndpoint)
            );
            graph.add_edge(
                previous,
                sink,
                Edge {
                    blockers: pending,
                    detour,
                },
            );
            vias.push((first.unwrap_or(sink), candidate.via));
        }
        PathGraph {
            graph,
            source,
            sink,
            vias,
        }
    }

    /// Blockers dominate, then unknowns, then the endpoint preference.
    fn cost(edge: &Edge) -> u64 {
        let blockers: u64 = edge
            .blockers
            .iter()
            .map(|b| if b.blocks() { 1_000_000 } else { 1_000 })
            .sum();
        blockers + u64::from(edge.detour)
    }

    fn best(&self) -> PathVerdict {
        let found = astar(
            &self.graph,
            self.source,
            |n| n == self.sink,
            |e| Self::cost(e.weight()),
            |_| 0,
        );
        let Some((_, nodes)) = found else {
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
        };
        let mut blockers = Vec::new();
        for pair in nodes.windows(2) {
            if let Some(edge) = self.graph.find_edge(pair[0], pair[1]) {
                for b in &self.graph[edge].blockers {
                    if !blockers.contains(b) {
                        blockers.push(b.clone());
                    }
                }
            }
        }
        let via = nodes
            .get(1)
            .and_then(|first| self.vias.iter().find(|(n, _)| n == first))
            .and_then(|(_, via)| *via);
        PathVerdict {
            status: Status::of(&blockers),
            via,
            path: nodes.iter().map(|n| self.graph[*n].clone()).collect(),
            blockers,
            bypassed: Vec::new(),
            // Set by `evaluate_requirement`, which knows the placement.
            network: Network::Unknown {
                why: "the call's path is not known".into(),
            },
        }
    }
}

/// Evaluates one requirement for a task placed as `placement`.
pub fn evaluate_requirement(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
) -> PathVerdict {
    let Candidates {
        paths,
        dns_uncertain,
    } = candidates(placement, requirement);
    let source = Hop::new(HopKind::Subnet, &placement.subnet.id);
    let endpoint_problems: Vec<Blocker> = paths
        .iter()
        .filter(|c| c.via.is_some_and(Via::is_endpoint))
        .flat_map(|c| c.blockers().filter(|b| b.blocks()).cloned())
        .collect();
    let graph = PathGraph::new(paths, source.clone(), &requirement.host);
    let mut verdict = graph.best();
    verdict.network = request_keys::network_of(placement, verdict.via, &verdict.path, false);
    if verdict.status == Status::Reachable && !verdict.via.is_some_and(Via::is_endpoint) {
        let via = verdict.via.map_or("another path", Via::as_str);
        verdict.bypassed = endpoint_problems
            .into_iter()
            .map(|mut b| {
                b.message = format!(
                    "{}; the call to {} works, but goes via {via} instead",
                    b.message, requirement.host
                );
                b
            })
            .collect();
    }
    // DNS may or may not send the call to an endpoint whose private DNS cannot be confirmed.
    // A working alternative then proves nothing if the endpoint path is broken: whether the
    // call succeeds depends on where the name resolves.
    if verdict.status == Status::Reachable {
        for (endpoint_path, dns) in dns_uncertain {
            let broken = endpoint_path.blockers().any(|b| !dns.contains(b));
            if !broken {
                continue; // either way the call gets through
            }
            let mut uncertain =
                PathGraph::new(vec![endpoint_path], source.clone(), &requirement.host).best();
            for blocker in &mut uncertain.blockers {
                *blocker = blocker.clone().uncertain();
            }
            uncertain.status = Status::of(&uncertain.blockers);
            uncertain.network =
                request_keys::network_of(placement, uncertain.via, &uncertain.path, true);
            verdict = uncertain;
            break;
        }
    }
    verdict
}
