//! The reachability graph: for each call a task must make, every candidate path from the
//! task's subnet to the service host, as a petgraph graph whose edges carry the blockers met
//! on entering each hop. The reported path is the cheapest one (fewest blockers, then fewest
//! unknowns), found with A* over that graph.

mod endpoint;
mod filters;
mod hop;
mod index;
mod internet;
mod placement;
mod rules;

pub use hop::{Candidate, Hop, HopKind, Step, Via};
pub use index::{Gap, NetworkIndex};
pub use placement::Placement;

use petgraph::algo::astar;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::blocker::{Blocker, Status};
use crate::codes::Code;
use crate::model::{EndpointType, RouteState};
use crate::workload::{Requirement, Target};
use endpoint::{gateway_candidate, interface_candidate, private_dns_blockers};
use filters::not_collected;
use internet::{internet, internet_candidate};
use rules::Peer;

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
}

/// An edge: entering a hop, with what stops the call there.
#[derive(Debug, Clone)]
pub struct Edge {
    pub blockers: Vec<Blocker>,
    /// Set on the last edge of paths that do not use a VPC endpoint (a tie-breaker).
    pub detour: bool,
}

/// All candidate paths of one requirement, as a graph from the task's subnet to the host.
pub struct PathGraph {
    pub graph: DiGraph<Hop, Edge>,
    pub source: NodeIndex,
    pub sink: NodeIndex,
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
        }
    }
}

/// Evaluates one requirement for a task placed as `placement`.
pub fn evaluate_requirement(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
) -> (PathGraph, PathVerdict) {
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
            verdict = uncertain;
            break;
        }
    }
    (graph, verdict)
}

/// The candidate paths of a call, and the interface-endpoint paths that DNS may or may not
/// take (with the DNS blockers that make it uncertain).
struct Candidates {
    paths: Vec<Candidate>,
    dns_uncertain: Vec<(Candidate, Vec<Blocker>)>,
}

impl Candidates {
    fn only(candidate: Candidate) -> Self {
        Candidates {
            paths: vec![candidate],
            dns_uncertain: Vec::new(),
        }
    }
}

/// The ways the call could go. DNS and routing decide some of it: when the service name
/// resolves to an interface endpoint, or the S3 prefix-list route sends layers to a gateway
/// endpoint, that is the only path; otherwise the internet path competes with endpoint paths
/// that carry the blockers (DNS, association) that keep traffic off them.
fn candidates(placement: &Placement<'_, '_>, requirement: &Requirement) -> Candidates {
    let index = placement.index;
    let same_region = requirement.region == placement.region;
    let mut out = Vec::new();
    let mut dns_uncertain = Vec::new();
    let mut public = Peer {
        cidrs: vec![internet()],
        ..Peer::default()
    };
    let mut endpoint_gap = None;

    if let (true, Some(suffix)) = (same_region, requirement.target.endpoint_suffix()) {
        let service = format!("com.amazonaws.{}.{suffix}", placement.region);
        match index.endpoints_in(&placement.vpc.id) {
            Ok(endpoints) => {
                let of_service: Vec<_> = endpoints
                    .iter()
                    .filter(|e| e.service_name == service)
                    .collect();
                if requirement.target == Target::S3Layers {
                    let list = index.prefix_list_named(&service).ok();
                    if let Some(list) = list {
                        public = Peer {
                            cidrs: list.cidrs.clone(),
                            security_groups: Vec::new(),
                            prefix_list_id: Some(list.id.clone()),
                        };
                    }
                    if let Ok(table) = index.route_table_of(placement.subnet) {
                        for endpoint in of_service
                            .iter()
                            .filter(|e| e.endpoint_type == EndpointType::Gateway)
                        {
                            let route = list
                                .and_then(|l| table.prefix_list_route(&l.id))
                                .filter(|r| r.target.id.as_deref() == Some(endpoint.id.as_str()));
                            let routed = route.is_some()
                                || endpoint.route_table_ids.contains(&table.table.id);
                            let route_state = match route {
                                Some(route) => Some(route.state),
                                None if routed => Some(RouteState::Active),
                                None => None,
                            };
                            let candidate = gateway_candidate(
                                placement,
                                requirement,
                                endpoint,
                                list,
                                route_state,
                                &table.table.id,
                            );
                            if routed {
                                // The prefix-list route is more specific than any default route:
                                // S3 traffic has no other way out.
                                return Candidates::only(candidate);
                            }
                            out.push(candidate);
                        }
                    }
                }
                for endpoint in of_service
                    .iter()
                    .filter(|e| e.endpoint_type == EndpointType::Interface)
                {
                    let candidate = interface_candidate(placement, requirement, endpoint);
                    let dns = private_dns_blockers(placement, endpoint);
                    if dns.is_empty() {
                        // The name resolves to the endpoint: no other path is taken.
                        return Candidates::only(candidate);
                    }
                    if !dns.iter().any(Blocker::blocks) {
                        dns_uncertain.push((candidate.clone(), dns));
                    }
                    out.push(candidate);
                }
            }
            Err(gap) => {
                endpoint_gap = Some(not_collected(
                    &placement.vpc.id,
                    &gap,
                    "whether a VPC endpoint carries the call",
                ))
            }
        }
    }

    let mut internet_path = internet_candidate(placement, requirement, public);
    if let Some(gap) = endpoint_gap {
        internet_path.add_to_last(gap);
    }
    let blocked = internet_path.blockers().any(Blocker::blocks);
    if !same_region
        && blocked
        && matches!(
            requirement.target,
            Target::EcrApi | Target::EcrDkr | Target::S3Layers
        )
    {
        internet_path.add_to_last(cross_region(placement, requirement));
    }
    out.push(internet_path);
    Candidates {
        paths: out,
        dns_uncertain,
    }
}

fn cross_region(placement: &Placement<'_, '_>, requirement: &Requirement) -> Blocker {
    let resource = requirement
        .ecr_images
        .first()
        .map(|i| i.repository_arn())
        .unwrap_or_else(|| requirement.host.clone());
    Blocker::new(
        Code::CrossRegionRegistry,
        resource,
        format!(
            "{} is in region {} but the task runs in {}: VPC endpoints serve only their own region, so this call needs an internet path",
            requirement.host, requirement.region, placement.region
        ),
        format!(
            "Replicate the repository to {} (ECR replication) and use the {} image URI, or give subnet {} an internet path (0.0.0.0/0 → NAT gateway).",
            placement.region, placement.region, placement.subnet.id
        ),
    )
}
