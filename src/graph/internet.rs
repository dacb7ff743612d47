//! The internet path: task → security group → ACL → route table → IGW, NAT gateway, or a
//! gateway that leaves the VPC.

use ipnet::Ipv4Net;

use super::dns::public_dns_blockers;
use super::filters::{acl_flows, dedupe_by_code, flows_from_task};
use super::filters::{not_collected, routes_split, task_acl, task_egress, task_route_table};
use super::hop::{Candidate, Hop, HopKind, Via};
use super::index::{Gap, IndexedRouteTable};
use super::nat::nat_steps;
use super::placement::Placement;
use super::route_blockers::{
    appliance, blackhole, inspection_endpoint, leaves_vpc_blocker, no_public_ip, no_route,
    unusable_target,
};
use super::routing::{carrying_route, describe_route, Carrier};
use super::rules::{is_private, Peer};
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{Route, RouteState, RouteTargetKind};
use crate::workload::Requirement;

/// The whole IPv4 internet: registry and AWS public IPs are not fixed.
pub fn internet() -> Ipv4Net {
    Ipv4Net::default()
}

/// The path to a host the user declared a private route for (`--registry-route HOST=CIDR`):
/// the host resolves into `cidr`, which is filtered and routed like any destination (a local
/// route when it is inside the VPC; peering, transit gateway or VPN when it is not).
pub fn declared_candidate(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    cidr: Ipv4Net,
) -> Candidate {
    let destination = Peer {
        cidrs: vec![cidr],
        ..Peer::default()
    };
    internet_candidate(placement, requirement, destination)
}

/// The internet candidate for `requirement`, with `destination` the CIDRs its host resolves
/// to publicly (the S3 prefix list for layers, else the whole internet), or the declared
/// route of a private registry.
pub fn internet_candidate(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    destination: Peer,
) -> Candidate {
    let mut candidate = Candidate::new();
    candidate.step(
        Hop::new(HopKind::Subnet, &placement.subnet.id),
        public_dns_blockers(placement),
    );
    let (label, what) = match requirement.route {
        Some(_) => (
            format!("the declared network of {}", requirement.host),
            format!("requests to {}", requirement.host),
        ),
        None if destination.prefix_list_id.is_some() => (
            "the S3 public addresses".to_string(),
            "requests to the internet".to_string(),
        ),
        None => (
            "the internet".to_string(),
            "requests to the internet".to_string(),
        ),
    };
    candidate.step(
        Hop::new(HopKind::SecurityGroup, placement.first_group()),
        task_egress(placement, &destination, &label, requirement.port),
    );
    let (acl, blockers) = task_acl(placement, &destination.cidrs, &what, requirement.port);
    candidate.step(
        Hop::new(HopKind::NetworkAcl, acl.unwrap_or_else(|| "unknown".into())),
        blockers,
    );
    let Some(table) = task_route_table(placement, &mut candidate) else {
        return candidate;
    };
    let cidr = destination.cidrs.first().copied().unwrap_or_else(internet);
    match carrying_route(placement, table, &destination) {
        Carrier::One(route) => {
            follow_route(placement, requirement, table, cidr, route, &mut candidate)
        }
        Carrier::Mixed(routes) => {
            let spread = routes
                .iter()
                .map(|r| describe_route(r))
                .collect::<Vec<_>>()
                .join("; ");
            let table_id = table.table.id.as_str();
            candidate.step(
                Hop::new(HopKind::RouteTable, table_id),
                vec![routes_split(table_id, &spread, &requirement.host)],
            );
        }
    }
    candidate
}
/// Longest-prefix match in the task's table, then the gateway the route names.
fn follow_route(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    table: &IndexedRouteTable<'_>,
    cidr: Ipv4Net,
    route: Option<&Route>,
    candidate: &mut Candidate,
) {
    let table_id = table.table.id.as_str();
    let table_hop = Hop::new(HopKind::RouteTable, table_id);
    // An internet gateway never carries traffic to private addresses.
    let route = route.filter(|r| {
        !(requirement.route.is_some()
            && is_private(&cidr)
            && r.target.kind == RouteTargetKind::InternetGateway
            && r.state == RouteState::Active)
    });
    let Some(route) = route else {
        candidate.step(
            table_hop,
            vec![missing_route(placement, requirement, table, cidr)],
        );
        return;
    };
    let target_id = route.target.id.clone().unwrap_or_default();
    if route.state == RouteState::Blackhole {
        candidate.step(
            table_hop,
            vec![blackhole(
                placement,
                table_id,
                route,
                "the target no longer exists",
            )],
        );
        return;
    }
    candidate.step(table_hop, Vec::new());
    let kind = route.target.kind;
    match kind {
        RouteTargetKind::InternetGateway => {
            candidate.via = Some(Via::Igw);
            internet_gateway_step(placement, table_id, route, &target_id, candidate);
            if !placement.public_ip {
                candidate.add_to_last(no_public_ip(placement, table_id, &target_id));
            }
        }
        RouteTargetKind::NatGateway => {
            candidate.via = Some(Via::Nat);
            nat_steps(
                placement,
                requirement,
                table_id,
                route,
                &target_id,
                cidr,
                candidate,
            );
        }
        RouteTargetKind::TransitGateway | RouteTargetKind::PeeringConnection
            if gone_gateway(placement, kind, &target_id).is_some() =>
        {
            let why = gone_gateway(placement, kind, &target_id).unwrap_or_default();
            candidate.add_to_last(blackhole(placement, table_id, route, &why));
        }
        // A declared network inside the VPC: the local route carries it.
        RouteTargetKind::Local if requirement.route.is_some() => {
            local_destination(placement, requirement, cidr, candidate)
        }
        RouteTargetKind::TransitGateway
        | RouteTargetKind::PeeringConnection
        | RouteTargetKind::VpnGateway => {
            leaves_vpc(candidate, requirement, kind, &target_id, table_id)
        }
        RouteTargetKind::NetworkInterface
        | RouteTargetKind::Instance
        | RouteTargetKind::LocalGateway
        | RouteTargetKind::CarrierGateway
        | RouteTargetKind::CoreNetwork => candidate.step(
            Hop::new(HopKind::NetworkInterface, &target_id),
            vec![appliance(requirement, route, table_id, &target_id, cidr)],
        ),
        // A CIDR route to a VPC endpoint is a Gateway Load Balancer endpoint: an inspection
        // appliance sits in the path.
        RouteTargetKind::VpcEndpoint if route.destination_cidr.is_some() => candidate.step(
            Hop::new(HopKind::NetworkInterface, &target_id),
            vec![inspection_endpoint(requirement, table_id, &target_id, cidr)],
        ),
        // A prefix-list route to a gateway endpoint that is not (or no longer) in the VPC.
        RouteTargetKind::VpcEndpoint => candidate.add_to_last(absent_gateway_endpoint(
            placement, route, table_id, &target_id,
        )),
        RouteTargetKind::EgressOnlyInternetGateway | RouteTargetKind::Local => {
            candidate.add_to_last(unusable_target(
                placement,
                requirement,
                table_id,
                cidr,
                &format!("{} {target_id}", route_target_word(kind)),
            ));
        }
    }
}

/// No route carries `cidr`: NO_ROUTE, unless prefix lists the collector could not read might.
fn missing_route(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    table: &IndexedRouteTable<'_>,
    cidr: Ipv4Net,
) -> Blocker {
    let table_id = table.table.id.as_str();
    if table.unresolved_prefix_lists.is_empty() {
        return no_route(placement, requirement, table_id, cidr);
    }
    Blocker::new(
        Code::NotCollected,
        table_id,
        format!(
            "route table {table_id} has no route to {cidr} except possibly via prefix lists {} that were not collected",
            table.unresolved_prefix_lists.join(", ")
        ),
        "Collect the managed prefix lists (ec2:DescribeManagedPrefixLists, ec2:GetManagedPrefixListEntries).",
    )
}

/// A prefix-list route to a gateway endpoint that is not among the VPC's endpoints: a
/// blackhole, or unknown when the endpoints were not collected.
fn absent_gateway_endpoint(
    placement: &Placement<'_, '_>,
    route: &Route,
    table_id: &str,
    target_id: &str,
) -> Blocker {
    match placement.index.endpoints_in(&placement.vpc.id) {
        Err(gap) => not_collected(
            placement.index.snapshot,
            table_id,
            &gap,
            &format!("gateway endpoint {target_id}"),
        ),
        Ok(_) => blackhole(
            placement,
            table_id,
            route,
            &format!("gateway endpoint {target_id} is not in the snapshot's VPC endpoints"),
        ),
    }
}

/// Why a transit gateway or peering connection cannot carry traffic: absent from a collected
/// list, or not in its working state. `None` when it can (or it was not collected).
fn gone_gateway(placement: &Placement<'_, '_>, kind: RouteTargetKind, id: &str) -> Option<String> {
    let index = placement.index;
    let state = match kind {
        RouteTargetKind::TransitGateway => index.transit_gateway(id).map(|g| g.state.as_str()),
        _ => index.peering_connection(id).map(|p| p.status.as_str()),
    };
    match state {
        Ok(state)
            if state.eq_ignore_ascii_case("available") || state.eq_ignore_ascii_case("active") =>
        {
            None
        }
        Ok(state) => Some(format!("{id} is `{state}`")),
        Err(gap @ Gap::Missing { .. }) => Some(gap.to_string()),
        Err(Gap::NotCollected(_)) => None,
    }
}

fn route_target_word(kind: RouteTargetKind) -> &'static str {
    match kind {
        RouteTargetKind::EgressOnlyInternetGateway => "egress-only internet gateway (IPv6 only)",
        _ => "the local route",
    }
}

/// A declared network inside the VPC: the subnets that hold it must let the requests in and
/// the responses out (network ACLs are stateless). What listens there is not modelled.
fn local_destination(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    cidr: Ipv4Net,
    candidate: &mut Candidate,
) {
    let request = format!("requests from the task to {}", requirement.host);
    let response = format!("responses from {} to the task", requirement.host);
    let mut seen_acls = std::collections::HashSet::new();
    let subnets = placement
        .index
        .snapshot
        .subnets
        .iter()
        .flatten()
        .filter(|s| {
            s.vpc_id == placement.vpc.id
                && s.id != placement.subnet.id
                && (s.cidr_block.contains(&cidr) || cidr.contains(&s.cidr_block))
        });
    for subnet in subnets {
        let flows = flows_from_task(
            placement.subnet.cidr_block,
            requirement.port,
            &request,
            &response,
        );
        let (acl, mut blockers) = acl_flows(placement, subnet, &flows);
        dedupe_by_code(&mut blockers);
        let acl = acl.unwrap_or_else(|| "unknown".into());
        if seen_acls.insert(acl.clone()) {
            candidate.step(Hop::new(HopKind::NetworkAcl, acl), blockers);
        }
    }
}

fn leaves_vpc(
    candidate: &mut Candidate,
    requirement: &Requirement,
    target: RouteTargetKind,
    id: &str,
    table_id: &str,
) {
    let (via, kind, what) = match target {
        RouteTargetKind::TransitGateway => (
            Via::TransitGateway,
            HopKind::TransitGateway,
            "transit gateway",
        ),
        RouteTargetKind::PeeringConnection => (
            Via::Peering,
            HopKind::PeeringConnection,
            "VPC peering connection",
        ),
        _ => (
            Via::VpnGateway,
            HopKind::VpnGateway,
            "virtual private gateway",
        ),
    };
    candidate.via = Some(via);
    candidate.step(
        Hop::new(kind, id),
        vec![leaves_vpc_blocker(requirement, table_id, what, id)],
    );
}

fn internet_gateway_step(
    placement: &Placement<'_, '_>,
    table_id: &str,
    route: &Route,
    igw_id: &str,
    candidate: &mut Candidate,
) {
    let blockers = match placement.index.internet_gateway(igw_id) {
        Ok(igw) if igw.attached_vpc_ids.iter().any(|v| v == &placement.vpc.id) => Vec::new(),
        Ok(_) => vec![blackhole(
            placement,
            table_id,
            route,
            &format!(
                "internet gateway {igw_id} is not attached to {}",
                placement.vpc.id
            ),
        )],
        Err(gap @ Gap::Missing { .. }) => {
            vec![blackhole(placement, table_id, route, &gap.to_string())]
        }
        Err(gap) => vec![not_collected(
            placement.index.snapshot,
            igw_id,
            &gap,
            "the internet gateway",
        )],
    };
    candidate.step(Hop::new(HopKind::InternetGateway, igw_id), blockers);
}
