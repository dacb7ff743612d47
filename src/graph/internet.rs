//! The internet path: task → security group → ACL → route table → IGW, NAT gateway, or a
//! gateway that leaves the VPC.

use ipnet::Ipv4Net;

use super::filters::{acl_flows, dedupe_by_code, flows_from_task};
use super::filters::{not_collected, task_acl, task_egress, task_route_table};
use super::hop::{Candidate, Hop, HopKind, Via};
use super::index::{Gap, IndexedRouteTable};
use super::nat::nat_steps;
use super::placement::Placement;
use super::route_blockers::{blackhole, no_public_ip, no_route};
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

/// DNS for public names needs the VPC resolver (`enableDnsSupport`) when the VPC uses it.
pub fn public_dns_blockers(placement: &Placement<'_, '_>) -> Vec<Blocker> {
    let vpc = placement.vpc;
    let amazon_dns = vpc
        .dhcp_dns_servers
        .as_ref()
        .is_none_or(|servers| servers.iter().any(|s| s == "AmazonProvidedDNS"));
    match vpc.enable_dns_support {
        Some(false) if amazon_dns => vec![Blocker::new(
            Code::VpcDnsDisabled,
            &vpc.id,
            format!("VPC {} has enableDnsSupport off: the Amazon-provided resolver does not answer, so no service name resolves", vpc.id),
            format!("aws ec2 modify-vpc-attribute --vpc-id {} --enable-dns-support '{{\"Value\":true}}'", vpc.id),
        )
        .with_remedy(vec![crate::fix::Alternative::direct(crate::fix::Change::EnableVpcDns {
            vpc_id: vpc.id.clone(),
            attribute: crate::fix::DnsAttribute::DnsSupport,
        })])],
        None if amazon_dns => vec![Blocker::new(
            Code::NotCollected,
            &vpc.id,
            format!(
                "the DNS attributes of VPC {} were not collected, so name resolution cannot be checked{}",
                vpc.id,
                placement.index.snapshot.why_not_collected("vpcs")
            ),
            "Collect the VPC attributes (ec2:DescribeVpcAttribute).",
        )],
        _ => Vec::new(),
    }
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
                vec![Blocker::new(
                    Code::RangePartiallyAllowed,
                    table_id,
                    format!("route table {table_id} sends different parts of the destination's addresses to different targets ({spread}), so the path depends on the address {} resolves to", requirement.host),
                    format!("Route all of the destination through one working target in {table_id}, or remove the more specific routes."),
                )],
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
            candidate.add_to_last(Blocker::new(
                Code::NoRoute,
                table_id,
                format!(
                    "route table {table_id} sends {cidr} to {} {target_id}, which cannot carry IPv4 traffic to {}",
                    route_target_word(kind),
                    requirement.host
                ),
                no_route(placement, requirement, table_id, cidr).fix,
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

/// A route to an interface, instance or other gateway whose onward path is not visible.
fn appliance(
    requirement: &Requirement,
    route: &Route,
    table_id: &str,
    target_id: &str,
    cidr: Ipv4Net,
) -> Blocker {
    let what = format!("{:?}", route.target.kind).to_lowercase();
    Blocker::new(
        Code::PathLeavesVpc,
        target_id,
        format!("route table {table_id} sends {cidr} to {what} {target_id} (an appliance or gateway whose onward path is not visible here)"),
        match requirement.route {
            Some(_) => format!("Confirm that {target_id} forwards TCP {} to {} and back.", requirement.port, requirement.host),
            None => format!("Confirm that {target_id} forwards HTTPS to {} and back, or route 0.0.0.0/0 in {table_id} to a NAT gateway.", requirement.host),
        },
    )
}

/// A CIDR route to a Gateway Load Balancer endpoint: the firewall behind it decides.
fn inspection_endpoint(
    requirement: &Requirement,
    table_id: &str,
    target_id: &str,
    cidr: Ipv4Net,
) -> Blocker {
    Blocker::new(
        Code::PathLeavesVpc,
        target_id,
        format!("route table {table_id} sends {cidr} to Gateway Load Balancer endpoint {target_id}: the inspection appliances behind it decide whether HTTPS to {} passes", requirement.host),
        format!(
            "Confirm that the firewall behind {target_id} allows TCP {} to {} and routes it {}.",
            requirement.port,
            requirement.host,
            if requirement.route.is_some() { "on toward it" } else { "to the internet" }
        ),
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
    let toward = match requirement.route {
        Some(route) => format!("{} ({route}) on TCP {}", requirement.host, requirement.port),
        None => "the internet on TCP 443".to_string(),
    };
    candidate.via = Some(via);
    candidate.step(
        Hop::new(kind, id),
        vec![Blocker::new(
            Code::PathLeavesVpc,
            id,
            format!("route table {table_id} sends the traffic to {what} {id}; the path beyond it (egress VPC, on-premises firewall, proxy) is not visible in this account's configuration"),
            match requirement.route {
                Some(_) => format!("Confirm that the network behind {id} reaches {toward} and routes the responses back."),
                None => format!("Confirm that the network behind {id} reaches {toward} (or add VPC endpoints so the pull stays in this VPC)."),
            },
        )],
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
