//! Which paths a call could take: the internet path, interface endpoints and the S3 gateway
//! endpoint, with DNS and routing deciding where they leave no choice.

use super::dns::private_dns_blockers;
use super::endpoint::{gateway_candidate, interface_candidate};
use super::filters::not_collected;
use super::hop::Candidate;
use super::index::Gap;
use super::internet::{declared_candidate, internet, internet_candidate};
use super::placement::Placement;
use super::rules::Peer;
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{EndpointType, PrefixList, RouteState, VpcEndpoint};
use crate::workload::{Requirement, Target};

/// The candidate paths of a call, and the interface-endpoint paths that DNS may or may not
/// take (their places in `paths`, with the DNS blockers that make them uncertain).
pub(super) struct Candidates {
    pub(super) paths: Vec<Candidate>,
    pub(super) dns_uncertain: Vec<(usize, Vec<Blocker>)>,
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
pub(super) fn candidates(placement: &Placement<'_, '_>, requirement: &Requirement) -> Candidates {
    // A host the user declared a private route for resolves into that network: no other path.
    if let Some(cidr) = requirement.route {
        return Candidates::only(declared_candidate(placement, requirement, cidr));
    }
    let same_region = requirement.region == placement.region;
    let mut out = Candidates {
        paths: Vec::new(),
        dns_uncertain: Vec::new(),
    };
    let mut public = Peer {
        cidrs: vec![internet()],
        ..Peer::default()
    };
    let mut endpoint_gap = None;

    if let (true, Some(suffix)) = (same_region, requirement.target.endpoint_suffix()) {
        let service = format!("com.amazonaws.{}.{suffix}", placement.region);
        // Layers go to S3's published addresses, whatever carries them.
        let list = (requirement.target == Target::S3Layers)
            .then(|| placement.index.prefix_list_named(&service).ok())
            .flatten();
        if let Some(list) = list {
            public = Peer {
                cidrs: list.cidrs.clone(),
                security_groups: Vec::new(),
                prefix_list_id: Some(list.id.clone()),
            };
        }
        match endpoint_candidates(placement, requirement, &service, list, &mut out) {
            Ok(Some(only)) => return Candidates::only(only),
            Ok(None) => {}
            Err(gap) => {
                endpoint_gap = Some(not_collected(
                    placement.index.snapshot,
                    &placement.vpc.id,
                    &gap,
                    "whether a VPC endpoint carries the call",
                ))
            }
        }
    }
    out.paths.push(internet_path(
        placement,
        requirement,
        public,
        endpoint_gap,
        same_region,
    ));
    out
}

/// The VPC endpoints of `service` that could carry the call, added to `out`; `Some` when one
/// of them is the only way the call can go (a gateway endpoint's prefix-list route, or an
/// available interface endpoint whose private DNS answers for the name).
fn endpoint_candidates(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    service: &str,
    list: Option<&PrefixList>,
    out: &mut Candidates,
) -> Result<Option<Candidate>, Gap> {
    let endpoints = placement.index.endpoints_in(&placement.vpc.id)?;
    // A deleted or failed endpoint is still listed for a while but has no network interfaces
    // and no DNS: it carries nothing.
    let of_service: Vec<_> = endpoints
        .iter()
        .filter(|e| e.service_name == service && !is_gone(&e.state))
        .copied()
        .collect();
    if requirement.target == Target::S3Layers {
        if let Some(only) = gateway_candidates(placement, requirement, &of_service, list, out) {
            return Ok(Some(only));
        }
    }
    for endpoint in of_service
        .iter()
        .filter(|e| e.endpoint_type == EndpointType::Interface)
    {
        let dns = private_dns_blockers(placement, endpoint);
        let candidate = interface_candidate(placement, requirement, endpoint, dns.clone());
        // Private DNS answers only for an endpoint that is up.
        if dns.is_empty() && endpoint.state.eq_ignore_ascii_case("available") {
            // The name resolves to the endpoint: no other path is taken.
            return Ok(Some(candidate));
        }
        if !dns.iter().any(Blocker::blocks) {
            out.dns_uncertain.push((out.paths.len(), dns));
        }
        out.paths.push(candidate);
    }
    Ok(None)
}

/// The S3 gateway endpoints for layer downloads, added to `out`; `Some` when the subnet's
/// table routes S3's prefix list to one (the most specific route: S3 has no other way out).
fn gateway_candidates(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    of_service: &[&VpcEndpoint],
    list: Option<&PrefixList>,
    out: &mut Candidates,
) -> Option<Candidate> {
    let table = placement.index.route_table_of(placement.subnet).ok()?;
    for endpoint in of_service
        .iter()
        .filter(|e| e.endpoint_type == EndpointType::Gateway)
    {
        let route = list
            .and_then(|l| table.prefix_list_route(&l.id))
            .filter(|r| r.target.id.as_deref() == Some(endpoint.id.as_str()));
        let routed = route.is_some() || endpoint.route_table_ids.contains(&table.table.id);
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
            return Some(candidate);
        }
        out.paths.push(candidate);
    }
    None
}

/// The internet path to `public`, with what the endpoints and regions make of it: unknown
/// when an endpoint the collector could not see may carry the call, the cross-region note,
/// and the way to declare a private registry's network.
fn internet_path(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    public: Peer,
    endpoint_gap: Option<Blocker>,
    same_region: bool,
) -> Candidate {
    let mut internet_path = internet_candidate(placement, requirement, public);
    if let Some(gap) = endpoint_gap {
        // An endpoint the collector could not see may carry the call instead: what blocks the
        // internet path proves nothing about the call.
        for step in &mut internet_path.steps {
            for blocker in &mut step.blockers {
                *blocker = blocker.clone().uncertain();
            }
        }
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
    if requirement.target == Target::Registry
        && requirement
            .other_images
            .iter()
            .any(|(image, _)| !image.public_registry)
    {
        // A private registry may be public SaaS or sit behind a private network: the internet
        // path is what the configuration shows, unless the user declares the network.
        for step in &mut internet_path.steps {
            for blocker in &mut step.blockers {
                blocker.fix = format!(
                    "{} If {} is reached over a private network (peering, transit gateway, VPN), audit with --registry-route {}=CIDR to check that path instead.",
                    blocker.fix,
                    requirement.host,
                    requirement.host
                );
            }
        }
    }
    internet_path
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

/// Endpoint states in which it no longer exists for traffic.
fn is_gone(state: &str) -> bool {
    matches!(
        state.to_ascii_lowercase().as_str(),
        "deleted" | "deleting" | "expired" | "rejected" | "failed"
    )
}
