//! The internet path: task → security group → ACL → route table → IGW, NAT gateway, or a
//! gateway that leaves the VPC.

use ipnet::Ipv4Net;

use super::filters::{
    acl_flows, dedupe_by_code, flows_from_task, not_collected, task_acl, task_egress, Direction,
    Flow,
};
use super::hop::{Candidate, Hop, HopKind, Via};
use super::index::{Gap, IndexedRouteTable};
use super::placement::Placement;
use super::rules::{touches, Peer, HTTPS, NAT_EPHEMERAL};
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{
    NatConnectivity, NatGateway, NatState, Route, RouteState, RouteTargetKind, Subnet,
};
use crate::workload::{Requirement, Target};

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
        )],
        None if amazon_dns => vec![Blocker::new(
            Code::NotCollected,
            &vpc.id,
            format!("the DNS attributes of VPC {} were not collected, so name resolution cannot be checked", vpc.id),
            "Collect the VPC attributes (ec2:DescribeVpcAttribute).",
        )],
        _ => Vec::new(),
    }
}

/// The internet candidate for `requirement`, with `destination` the CIDRs its host resolves
/// to publicly (the S3 prefix list for layers, else the whole internet).
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
    let label = if destination.prefix_list_id.is_some() {
        "the S3 public addresses"
    } else {
        "the internet"
    };
    candidate.step(
        Hop::new(HopKind::SecurityGroup, placement.first_group()),
        task_egress(placement, &destination, label),
    );
    let (acl, blockers) = task_acl(placement, &destination.cidrs, "requests to the internet");
    candidate.step(
        Hop::new(HopKind::NetworkAcl, acl.unwrap_or_else(|| "unknown".into())),
        blockers,
    );
    let table = match placement.index.route_table_of(placement.subnet) {
        Ok(table) => table,
        Err(gap) => {
            candidate.step(
                Hop::new(HopKind::RouteTable, "unknown"),
                vec![not_collected(&placement.subnet.id, &gap, "its route table")],
            );
            return candidate;
        }
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

/// What carries a destination in a route table: one route (or several to the same target in
/// the same state), or routes to different targets.
enum Carrier<'a> {
    One(Option<&'a Route>),
    Mixed(Vec<&'a Route>),
}

/// The routes that carry `cidrs`: for each, the most specific route containing it, and routes
/// more specific than it that could hold the service's address (public space, and not another
/// AWS service's prefix list). A containing route whose range the more specific ones cover
/// entirely carries nothing.
fn carrying_route<'a>(
    placement: &Placement<'_, '_>,
    table: &IndexedRouteTable<'a>,
    destination: &Peer,
) -> Carrier<'a> {
    let own_list = destination.prefix_list_id.as_deref();
    let mut carried: Vec<&'a Route> = Vec::new();
    for cidr in &destination.cidrs {
        let within: Vec<(Ipv4Net, &'a Route)> = table
            .routes_within(*cidr)
            .filter(|(net, route)| {
                touches(net, cidr)
                    && !aws_service_prefix_list(placement, route)
                    && !in_another_service_range(placement, net, own_list)
            })
            .collect();
        let covered = Ipv4Net::aggregate(&within.iter().map(|(net, _)| *net).collect::<Vec<_>>())
            == vec![*cidr];
        if !covered {
            match table.route_for(*cidr) {
                Some(route) => carried.push(route),
                // Part of the destination has no route at all.
                None if !within.is_empty() => {
                    return Carrier::Mixed(within.iter().map(|(_, r)| *r).collect())
                }
                None => return Carrier::One(None),
            }
        }
        carried.extend(within.iter().map(|(_, route)| *route));
    }
    let first = carried.first().copied();
    let same = |a: &Route, b: &Route| a.target == b.target && a.state == b.state;
    match first {
        Some(first) if carried.iter().all(|r| same(r, first)) => Carrier::One(Some(first)),
        Some(_) => {
            let mut distinct: Vec<&Route> = Vec::new();
            for route in carried {
                if !distinct.iter().any(|d| same(d, route)) {
                    distinct.push(route);
                }
            }
            Carrier::Mixed(distinct)
        }
        None => Carrier::One(None),
    }
}

/// Prefix lists of AWS services (`com.amazonaws.REGION.s3`…) hold only that service's
/// addresses: their routes never carry another service's traffic.
fn aws_service_prefix_list(placement: &Placement<'_, '_>, route: &Route) -> bool {
    route
        .destination_prefix_list_id
        .as_deref()
        .and_then(|id| placement.index.prefix_list(id).ok())
        .is_some_and(|list| list.name.starts_with("com.amazonaws."))
}

/// Is `net` inside a published range of another AWS service (its managed prefix list)?
/// Those addresses belong to that service: a route for them never carries this call.
fn in_another_service_range(
    placement: &Placement<'_, '_>,
    net: &Ipv4Net,
    own_list: Option<&str>,
) -> bool {
    placement
        .index
        .snapshot
        .prefix_lists
        .iter()
        .flatten()
        .filter(|list| {
            list.name.starts_with("com.amazonaws.") && Some(list.id.as_str()) != own_list
        })
        .any(|list| list.cidrs.iter().any(|c| c.contains(net)))
}

fn describe_route(route: &Route) -> String {
    let destination = route
        .destination_cidr
        .map(|c| c.to_string())
        .or_else(|| route.destination_prefix_list_id.clone())
        .unwrap_or_default();
    let state = if route.state == RouteState::Blackhole {
        " (blackhole)"
    } else {
        ""
    };
    format!(
        "{destination} → {}{state}",
        route.target.id.as_deref().unwrap_or("local")
    )
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
    let Some(route) = route else {
        let blocker = if table.unresolved_prefix_lists.is_empty() {
            no_route(placement, requirement, table_id, cidr)
        } else {
            Blocker::new(
                Code::NotCollected,
                table_id,
                format!(
                    "route table {table_id} has no route to {cidr} except possibly via prefix lists {} that were not collected",
                    table.unresolved_prefix_lists.join(", ")
                ),
                "Collect the managed prefix lists (ec2:DescribeManagedPrefixLists, ec2:GetManagedPrefixListEntries).",
            )
        };
        candidate.step(table_hop, vec![blocker]);
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
    match route.target.kind {
        RouteTargetKind::InternetGateway => {
            candidate.via = Some(Via::Igw);
            internet_gateway_step(placement, table_id, route, &target_id, candidate);
            if !placement.public_ip {
                candidate.add_to_last(no_public_ip(placement, table_id, &target_id));
            }
        }
        RouteTargetKind::NatGateway => {
            candidate.via = Some(Via::Nat);
            nat_steps(placement, table_id, route, &target_id, cidr, candidate);
        }
        RouteTargetKind::TransitGateway => leaves_vpc(
            candidate,
            Via::TransitGateway,
            HopKind::TransitGateway,
            &target_id,
            table_id,
            "transit gateway",
        ),
        RouteTargetKind::PeeringConnection => leaves_vpc(
            candidate,
            Via::Peering,
            HopKind::PeeringConnection,
            &target_id,
            table_id,
            "VPC peering connection",
        ),
        RouteTargetKind::VpnGateway => leaves_vpc(
            candidate,
            Via::VpnGateway,
            HopKind::VpnGateway,
            &target_id,
            table_id,
            "virtual private gateway",
        ),
        RouteTargetKind::NetworkInterface
        | RouteTargetKind::Instance
        | RouteTargetKind::LocalGateway
        | RouteTargetKind::CarrierGateway
        | RouteTargetKind::CoreNetwork => {
            let what = format!("{:?}", route.target.kind).to_lowercase();
            candidate.step(
                Hop::new(HopKind::NetworkInterface, &target_id),
                vec![Blocker::new(
                    Code::PathLeavesVpc,
                    &target_id,
                    format!("route table {table_id} sends {cidr} to {what} {target_id} (an appliance or gateway whose onward path is not visible here)"),
                    format!("Confirm that {target_id} forwards HTTPS to {} and back, or route 0.0.0.0/0 in {table_id} to a NAT gateway.", requirement.host),
                )],
            );
        }
        // A CIDR route to a VPC endpoint is a Gateway Load Balancer endpoint: an inspection
        // appliance sits in the path.
        RouteTargetKind::VpcEndpoint if route.destination_cidr.is_some() => {
            candidate.step(
                Hop::new(HopKind::NetworkInterface, &target_id),
                vec![Blocker::new(
                    Code::PathLeavesVpc,
                    &target_id,
                    format!("route table {table_id} sends {cidr} to Gateway Load Balancer endpoint {target_id}: the inspection appliances behind it decide whether HTTPS to {} passes", requirement.host),
                    format!("Confirm that the firewall behind {target_id} allows TCP 443 to {} and routes it to the internet.", requirement.host),
                )],
            );
        }
        // A prefix-list route to a gateway endpoint that is not (or no longer) in the VPC.
        RouteTargetKind::VpcEndpoint => {
            candidate.add_to_last(blackhole(
                placement,
                table_id,
                route,
                &format!("gateway endpoint {target_id} is not in the snapshot's VPC endpoints"),
            ));
        }
        RouteTargetKind::EgressOnlyInternetGateway | RouteTargetKind::Local => {
            candidate.add_to_last(Blocker::new(
                Code::NoRoute,
                table_id,
                format!(
                    "route table {table_id} sends {cidr} to {} {target_id}, which cannot carry IPv4 traffic to {}",
                    route_target_word(route.target.kind),
                    requirement.host
                ),
                no_route(placement, requirement, table_id, cidr).fix,
            ));
        }
    }
}

fn route_target_word(kind: RouteTargetKind) -> &'static str {
    match kind {
        RouteTargetKind::EgressOnlyInternetGateway => "egress-only internet gateway (IPv6 only)",
        _ => "the local route",
    }
}

fn leaves_vpc(
    candidate: &mut Candidate,
    via: Via,
    kind: HopKind,
    id: &str,
    table_id: &str,
    what: &str,
) {
    candidate.via = Some(via);
    candidate.step(
        Hop::new(kind, id),
        vec![Blocker::new(
            Code::PathLeavesVpc,
            id,
            format!("route table {table_id} sends the traffic to {what} {id}; the path beyond it (egress VPC, on-premises firewall, proxy) is not visible in this account's configuration"),
            format!("Confirm that the network behind {id} reaches the internet on TCP 443 (or add VPC endpoints so the pull stays in this VPC)."),
        )],
    );
}

fn blackhole(placement: &Placement<'_, '_>, table_id: &str, route: &Route, why: &str) -> Blocker {
    let target = route.target.id.as_deref().unwrap_or("?");
    let destination = route
        .destination_cidr
        .map(|c| c.to_string())
        .or_else(|| route.destination_prefix_list_id.clone())
        .unwrap_or_default();
    let nat = usable_nat(placement)
        .map(|n| n.id.clone())
        .unwrap_or_else(|| "<a new NAT gateway in a public subnet>".to_string());
    Blocker::new(
        Code::RouteBlackhole,
        table_id,
        format!("route {destination} → {target} in {table_id} is a blackhole: {why}"),
        format!(
            "Point the route at a working target: aws ec2 replace-route --route-table-id {table_id} --destination-cidr-block {destination} --nat-gateway-id {nat}"
        ),
    )
}

fn no_public_ip(placement: &Placement<'_, '_>, table_id: &str, igw: &str) -> Blocker {
    Blocker::new(
        Code::NoPublicIp,
        &placement.subnet.id,
        format!(
            "subnet {} routes to internet gateway {igw} (via {table_id}) but the task's network interface gets no public IP (assignPublicIp DISABLED), so its traffic cannot use the gateway",
            placement.subnet.id
        ),
        "Set assignPublicIp=ENABLED in the service's awsvpcConfiguration (aws ecs update-service --network-configuration ...), or place the tasks in private subnets whose route table sends 0.0.0.0/0 to a NAT gateway.",
    )
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
        Err(gap) => vec![not_collected(igw_id, &gap, "the internet gateway")],
    };
    candidate.step(Hop::new(HopKind::InternetGateway, igw_id), blockers);
}

fn nat_steps(
    placement: &Placement<'_, '_>,
    table_id: &str,
    route: &Route,
    nat_id: &str,
    destination: Ipv4Net,
    candidate: &mut Candidate,
) {
    let nat_hop = Hop::new(HopKind::NatGateway, nat_id);
    let nat = match placement.index.nat_gateway(nat_id) {
        Ok(nat) => nat,
        Err(gap @ Gap::Missing { .. }) => {
            candidate.step(
                nat_hop,
                vec![blackhole(placement, table_id, route, &gap.to_string())],
            );
            return;
        }
        Err(gap) => {
            candidate.step(
                nat_hop,
                vec![not_collected(nat_id, &gap, "the NAT gateway")],
            );
            return;
        }
    };
    let mut blockers = Vec::new();
    if nat.state != NatState::Available {
        let state = format!("{:?}", nat.state).to_lowercase();
        let code = if matches!(nat.state, NatState::Deleted | NatState::Deleting) {
            Code::RouteBlackhole
        } else {
            Code::NatGatewayUnavailable
        };
        let fix = format!(
            "Create a NAT gateway in a public subnet (aws ec2 create-nat-gateway --subnet-id <public subnet> --allocation-id <EIP>) and point 0.0.0.0/0 in {table_id} at it{}.",
            if nat.state == NatState::Pending { ", or wait until it is available" } else { "" }
        );
        let resource = if code == Code::RouteBlackhole {
            table_id
        } else {
            nat_id
        };
        blockers.push(Blocker::new(
            code,
            resource,
            format!("NAT gateway {nat_id}, the target of 0.0.0.0/0 in {table_id}, is {state}"),
            fix,
        ));
    }
    if nat.connectivity_type == NatConnectivity::Private {
        blockers.push(Blocker::new(
            Code::NatGatewayNoInternet,
            nat_id,
            format!("NAT gateway {nat_id} has private connectivity: it cannot reach the internet"),
            format!("Point 0.0.0.0/0 in {table_id} at a public NAT gateway in a public subnet."),
        ));
    }
    candidate.step(nat_hop, blockers);
    if nat.state != NatState::Available {
        return;
    }
    let nat_subnet = match placement.index.subnet(&nat.subnet_id) {
        Ok(subnet) => subnet,
        Err(gap) => {
            candidate.add_to_last(not_collected(nat_id, &gap, "the NAT gateway's subnet"));
            return;
        }
    };
    nat_subnet_acl(placement, nat_subnet, destination, candidate);
    nat_internet_route(placement, nat_id, nat_subnet, destination, candidate);
}

/// The NAT subnet's ACL sees four flows: the task's request in and on out, the reply in and
/// back out to the task.
fn nat_subnet_acl(
    placement: &Placement<'_, '_>,
    nat_subnet: &Subnet,
    destination: Ipv4Net,
    candidate: &mut Candidate,
) {
    if nat_subnet.id == placement.subnet.id {
        return;
    }
    let [request_in, response_out] = flows_from_task(
        placement.subnet.cidr_block,
        "requests from the task into the NAT subnet",
        "responses from the NAT gateway to the task",
    );
    let flows = [
        request_in,
        Flow {
            direction: Direction::Outbound,
            ports: HTTPS,
            cidr: destination,
            what: "requests from the NAT gateway to the internet",
        },
        Flow {
            direction: Direction::Inbound,
            ports: NAT_EPHEMERAL,
            cidr: destination,
            what: "responses from the internet to the NAT gateway",
        },
        response_out,
    ];
    let (acl, mut blockers) = acl_flows(placement, nat_subnet, &flows);
    dedupe_by_code(&mut blockers);
    candidate.step(
        Hop::new(HopKind::NetworkAcl, acl.unwrap_or_else(|| "unknown".into())),
        blockers,
    );
}

/// A public NAT gateway reaches the internet only through its own subnet's route to an IGW.
fn nat_internet_route(
    placement: &Placement<'_, '_>,
    nat_id: &str,
    nat_subnet: &Subnet,
    destination: Ipv4Net,
    candidate: &mut Candidate,
) {
    let table = match placement.index.route_table_of(nat_subnet) {
        Ok(table) => table,
        Err(gap) => {
            candidate.add_to_last(not_collected(nat_id, &gap, "the NAT gateway's route table"));
            return;
        }
    };
    let table_id = table.table.id.as_str();
    let igw_hint = placement
        .index
        .internet_gateway_of(&placement.vpc.id)
        .map_or_else(
            || "<an internet gateway attached to the VPC>".to_string(),
            |g| g.id.clone(),
        );
    let route = table.route_for(destination);
    // A firewall in the egress path (Network Firewall / GWLB endpoint, transit gateway,
    // appliance): the NAT gateway reaches the internet only if that does.
    if let Some(route) = route.filter(|r| {
        r.state == RouteState::Active
            && (matches!(
                r.target.kind,
                RouteTargetKind::TransitGateway
                    | RouteTargetKind::NetworkInterface
                    | RouteTargetKind::Instance
                    | RouteTargetKind::CoreNetwork
            ) || (r.target.kind == RouteTargetKind::VpcEndpoint
                && r.destination_cidr.is_some()))
    }) {
        let target = route.target.id.clone().unwrap_or_default();
        candidate.step(Hop::new(HopKind::RouteTable, table_id), Vec::new());
        candidate.step(
            Hop::new(HopKind::NetworkInterface, &target),
            vec![Blocker::new(
                Code::PathLeavesVpc,
                &target,
                format!("NAT gateway {nat_id}'s subnet {} sends internet traffic through {target} (route table {table_id}): a firewall or gateway whose onward path is not visible here", nat_subnet.id),
                format!("Confirm that {target} allows TCP 443 to the registry and forwards it to an internet gateway."),
            )],
        );
        return;
    }
    let igw = route
        .filter(|r| {
            r.state == RouteState::Active && r.target.kind == RouteTargetKind::InternetGateway
        })
        .and_then(|r| r.target.id.clone())
        .filter(|id| {
            placement
                .index
                .internet_gateway(id)
                .is_ok_and(|g| g.attached_vpc_ids.contains(&placement.vpc.id))
        });
    match igw {
        Some(igw) => {
            candidate.step(Hop::new(HopKind::RouteTable, table_id), Vec::new());
            candidate.step(Hop::new(HopKind::InternetGateway, igw), Vec::new());
        }
        None => candidate.step(
            Hop::new(HopKind::RouteTable, table_id),
            vec![Blocker::new(
                Code::NatGatewayNoInternet,
                table_id,
                format!(
                    "NAT gateway {nat_id} sits in subnet {} whose route table {table_id} has no active route from 0.0.0.0/0 to an attached internet gateway, so the NAT gateway cannot reach the internet",
                    nat_subnet.id
                ),
                format!(
                    "Add 0.0.0.0/0 → {igw_hint} to {table_id} (aws ec2 create-route --route-table-id {table_id} --destination-cidr-block 0.0.0.0/0 --gateway-id {igw_hint}) if subnet {} is meant to be public; otherwise recreate the NAT gateway in a public subnet and point the tasks' route table at it.",
                    nat_subnet.id
                ),
            )],
        ),
    }
}

/// NO_ROUTE, with every way to fix it that fits the requirement: a NAT route, and the VPC
/// endpoint that would carry the call privately.
pub fn no_route(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    table_id: &str,
    cidr: Ipv4Net,
) -> Blocker {
    let nat = match usable_nat(placement) {
        Some(nat) => format!(
            "add a route 0.0.0.0/0 → {} to {table_id} (aws ec2 create-route --route-table-id {table_id} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id {})",
            nat.id, nat.id
        ),
        None => format!(
            "add a route 0.0.0.0/0 → a NAT gateway in a public subnet to {table_id} (this VPC has no available NAT gateway: create one first)"
        ),
    };
    let subnets = placement.workload_subnets.join(", ");
    let subnet_args = placement.workload_subnets.join(" ");
    let endpoint = match (requirement.target, requirement.target.endpoint_suffix()) {
        (_, _) if requirement.region != placement.region => None,
        (Target::S3Layers, _) => Some(format!(
            "create a gateway VPC endpoint com.amazonaws.{r}.s3 associated with {table_id} (aws ec2 create-vpc-endpoint --vpc-id {v} --vpc-endpoint-type Gateway --service-name com.amazonaws.{r}.s3 --route-table-ids {table_id})",
            r = placement.region, v = placement.vpc.id
        )),
        (_, Some(suffix)) => Some(format!(
            "create an interface VPC endpoint com.amazonaws.{r}.{suffix} in subnets {subnets} with private DNS enabled and a security group allowing TCP 443 from {g} (aws ec2 create-vpc-endpoint --vpc-id {v} --vpc-endpoint-type Interface --service-name com.amazonaws.{r}.{suffix} --subnet-ids {sp} --security-group-ids <endpoint SG> --private-dns-enabled)",
            r = placement.region, v = placement.vpc.id, g = placement.group_list(), sp = subnet_args
        )),
        (_, None) => None,
    };
    let fix = match endpoint {
        Some(endpoint) => format!("Either {nat}, or {endpoint}."),
        None => format!("{}{}.", nat[..1].to_uppercase(), &nat[1..]),
    };
    Blocker::new(
        Code::NoRoute,
        table_id,
        format!(
            "route table {table_id} of subnet {} has no route for {cidr}: {} ({}) is unreachable",
            placement.subnet.id,
            requirement.host,
            requirement.target.as_str()
        ),
        fix,
    )
}

/// An available public NAT gateway of the VPC whose own subnet reaches the internet, to name
/// in fixes.
fn usable_nat<'a>(placement: &Placement<'_, 'a>) -> Option<&'a NatGateway> {
    let index = placement.index;
    index
        .nat_gateways_in(&placement.vpc.id)
        .into_iter()
        .find(|n| {
            n.state == NatState::Available
                && n.connectivity_type == NatConnectivity::Public
                && index
                    .subnet(&n.subnet_id)
                    .and_then(|s| index.route_table_of(s))
                    .is_ok_and(|t| {
                        t.route_for(internet()).is_some_and(|r| {
                            r.target.kind == RouteTargetKind::InternetGateway
                                && r.state == RouteState::Active
                        })
                    })
        })
}
