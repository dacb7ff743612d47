//! The reachability graph: for each call a task must make, every candidate path from the
//! task's subnet to the service host, added to the account's graph (one petgraph graph per
//! VPC, nodes shared by every call crossing the same resource; see [`reachability`]) with
//! edges carrying the blockers met on entering each hop. The reported path is the cheapest
//! one (fewest blockers, then fewest unknowns), found with A* over the call's edges.

mod candidates;
mod dns;
mod endpoint;
mod filters;
mod hop;
mod index;
mod internet;
mod nat;
mod placement;
mod reachability;
mod remedies;
mod request_keys;
mod route_blockers;
mod routing;
mod rules;

pub use hop::{Candidate, Hop, HopKind, Step, Via};
pub use index::{Gap, NetworkIndex};
pub use placement::Placement;
pub use reachability::{GraphSize, PathVerdict, ReachabilityGraph};
pub use request_keys::{account_of, add_request_keys, layer_download_keys, organization};

use crate::blocker::{Blocker, Status};
use crate::workload::Requirement;
use candidates::{candidates, Candidates};

/// Evaluates one requirement for a task placed as `placement`: its candidate paths become a
/// flow of `graph`, and the verdict is the flow's cheapest path there.
pub fn evaluate_requirement(
    graph: &mut ReachabilityGraph,
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
    // The first endpoint path DNS may or may not take that is broken by more than its DNS
    // (when only DNS stands in its way, the call gets through either way).
    let uncertain_path = dns_uncertain
        .iter()
        .find(|(i, dns)| paths[*i].blockers().any(|b| !dns.contains(b)))
        .map(|(i, _)| *i);
    let flow = graph.add_flow(&placement.vpc.id, &source, &requirement.host, paths);
    let mut verdict = graph.best(&flow, None);
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
        if let Some(candidate) = uncertain_path {
            let mut uncertain = graph.best(&flow, Some(candidate));
            for blocker in &mut uncertain.blockers {
                *blocker = blocker.clone().uncertain();
            }
            uncertain.status = Status::of(&uncertain.blockers);
            uncertain.network =
                request_keys::network_of(placement, uncertain.via, &uncertain.path, true);
            verdict = uncertain;
        }
    }
    verdict
}
