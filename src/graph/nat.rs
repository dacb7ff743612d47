//! The NAT gateway hop: its state and connectivity, its subnet's ACL, and its own route to
//! the internet.

use ipnet::Ipv4Net;

use super::filters::{acl_flows, dedupe_by_code, flows_from_task, not_collected, Direction, Flow};
use super::hop::{Candidate, Hop, HopKind};
use super::index::{Gap, IndexedRouteTable};
use super::internet::internet;
use super::placement::Placement;
use super::remedies::nat_alternative;
use super::route_blockers::{
    blackhole, nat_egress_through, nat_subnet_leaves_vpc, nat_subnet_no_route,
};
use super::rules::{is_private, NAT_EPHEMERAL};
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::fix::{Alternative, Change, RouteTo};
use crate::model::{
    NatConnectivity, NatGateway, NatState, PortRange, Route, RouteState, RouteTargetKind, Subnet,
};
use crate::workload::Requirement;

/// The NAT gateway hop toward `destination`: the internet, or the CIDR of a route declared for
/// a private registry (`requirement.route`), which the NAT gateway's own subnet must route.
pub(super) fn nat_steps(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
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
                vec![not_collected(
                    placement.index.snapshot,
                    nat_id,
                    &gap,
                    "the NAT gateway",
                )],
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
        blockers.push(
            Blocker::new(
                code,
                resource,
                format!("NAT gateway {nat_id}, the target of 0.0.0.0/0 in {table_id}, is {state}"),
                fix,
            )
            .with_remedy(another_nat(placement, requirement, table_id, route)),
        );
    }
    // A private NAT gateway reaches other networks (a transit gateway, a VPN), not the
    // internet: fine for a declared private route, which the NAT subnet's table decides.
    if nat.connectivity_type == NatConnectivity::Private && requirement.route.is_none() {
        blockers.push(
            Blocker::new(
                Code::NatGatewayNoInternet,
                nat_id,
                format!(
                    "NAT gateway {nat_id} has private connectivity: it cannot reach the internet"
                ),
                format!(
                    "Point 0.0.0.0/0 in {table_id} at a public NAT gateway in a public subnet."
                ),
            )
            .with_remedy(another_nat(placement, requirement, table_id, route)),
        );
    }
    candidate.step(nat_hop, blockers);
    if nat.state != NatState::Available {
        return;
    }
    let nat_subnet = match placement.index.subnet(&nat.subnet_id) {
        Ok(subnet) => subnet,
        Err(gap) => {
            candidate.add_to_last(not_collected(
                placement.index.snapshot,
                nat_id,
                &gap,
                "the NAT gateway's subnet",
            ));
            return;
        }
    };
    nat_subnet_acl(placement, requirement, nat_subnet, destination, candidate);
    match requirement.route {
        Some(_) => nat_declared_route(
            placement,
            requirement,
            nat_id,
            nat_subnet,
            destination,
            candidate,
        ),
        None => nat_internet_route(placement, nat_id, nat_subnet, destination, candidate),
    }
}

/// The NAT subnet's ACL sees four flows: the task's request in and on out, the reply in and
/// back out to the task.
fn nat_subnet_acl(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    nat_subnet: &Subnet,
    destination: Ipv4Net,
    candidate: &mut Candidate,
) {
    if nat_subnet.id == placement.subnet.id {
        return;
    }
    let [request_in, response_out] = flows_from_task(
        placement.subnet.cidr_block,
        requirement.port,
        "requests from the task into the NAT subnet",
        "responses from the NAT gateway to the task",
    );
    let (out, back) = match requirement.route {
        None => (
            "requests from the NAT gateway to the internet".to_string(),
            "responses from the internet to the NAT gateway".to_string(),
        ),
        Some(_) => (
            format!("requests from the NAT gateway to {}", requirement.host),
            format!("responses from {} to the NAT gateway", requirement.host),
        ),
    };
    let flows = [
        request_in,
        Flow {
            direction: Direction::Outbound,
            ports: PortRange {
                from: requirement.port,
                to: requirement.port,
            },
            cidr: destination,
            what: &out,
        },
        Flow {
            direction: Direction::Inbound,
            ports: NAT_EPHEMERAL,
            cidr: destination,
            what: &back,
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

/// The route table of the NAT gateway's subnet; when it is not known, the candidate ends
/// there with a not-collected blocker.
fn nat_route_table<'i, 'a>(
    placement: &Placement<'i, 'a>,
    nat_id: &str,
    nat_subnet: &Subnet,
    candidate: &mut Candidate,
) -> Option<&'i IndexedRouteTable<'a>> {
    match placement.index.route_table_of(nat_subnet) {
        Ok(table) => Some(table),
        Err(gap) => {
            candidate.add_to_last(not_collected(
                placement.index.snapshot,
                nat_id,
                &gap,
                "the NAT gateway's route table",
            ));
            None
        }
    }
}

/// A public NAT gateway reaches the internet only through its own subnet's route to an IGW.
fn nat_internet_route(
    placement: &Placement<'_, '_>,
    nat_id: &str,
    nat_subnet: &Subnet,
    destination: Ipv4Net,
    candidate: &mut Candidate,
) {
    let Some(table) = nat_route_table(placement, nat_id, nat_subnet, candidate) else {
        return;
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
            vec![nat_egress_through(
                nat_id,
                &nat_subnet.id,
                table_id,
                &target,
            )],
        );
        return;
    }
    let igw_target = route
        .filter(|r| {
            r.state == RouteState::Active && r.target.kind == RouteTargetKind::InternetGateway
        })
        .and_then(|r| r.target.id.clone());
    // Internet gateways not collected (denied, failed): whether the NAT gateway's route
    // reaches one is unknown, never "no internet gateway".
    if let Some(id) = &igw_target {
        if let Err(gap @ Gap::NotCollected(_)) = placement.index.internet_gateway(id) {
            candidate.step(
                Hop::new(HopKind::RouteTable, table_id),
                vec![not_collected(
                    placement.index.snapshot,
                    id,
                    &gap,
                    &format!("whether NAT gateway {nat_id} reaches the internet through it"),
                )],
            );
            return;
        }
    }
    let igw = igw_target.filter(|id| {
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
            )
            .with_remedy(internet_route(placement, table, table_id))],
        ),
    }
}

/// Toward a declared private route, the NAT gateway's own subnet must route the CIDR: on to a
/// transit gateway, peering connection, VPN or appliance (the rest is not visible here), or to
/// an internet gateway when the CIDR is public.
fn nat_declared_route(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    nat_id: &str,
    nat_subnet: &Subnet,
    destination: Ipv4Net,
    candidate: &mut Candidate,
) {
    let Some(table) = nat_route_table(placement, nat_id, nat_subnet, candidate) else {
        return;
    };
    let table_id = table.table.id.as_str();
    let host = &requirement.host;
    let route = table
        .route_for(destination)
        .filter(|r| r.state == RouteState::Active);
    let Some(route) = route
        .filter(|r| r.target.kind != RouteTargetKind::InternetGateway || !is_private(&destination))
    else {
        candidate.step(
            Hop::new(HopKind::RouteTable, table_id),
            vec![nat_subnet_no_route(
                nat_id,
                &nat_subnet.id,
                table_id,
                destination,
                host,
            )],
        );
        return;
    };
    candidate.step(Hop::new(HopKind::RouteTable, table_id), Vec::new());
    let target = route.target.id.clone().unwrap_or_default();
    match route.target.kind {
        RouteTargetKind::InternetGateway => {
            candidate.step(Hop::new(HopKind::InternetGateway, &target), Vec::new())
        }
        RouteTargetKind::Local => {}
        kind => candidate.step(
            Hop::new(HopKind::NetworkInterface, &target),
            vec![nat_subnet_leaves_vpc(
                requirement,
                nat_id,
                &nat_subnet.id,
                table_id,
                destination,
                &format!("{kind:?}").to_lowercase(),
                &target,
            )],
        ),
    }
}

/// An available public NAT gateway of the VPC whose own subnet reaches the internet, to name
/// in fixes.
pub(super) fn usable_nat<'a>(placement: &Placement<'_, 'a>) -> Option<&'a NatGateway> {
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

/// Another NAT gateway for the task's route: the route that points at an unusable one is
/// replaced (create-route would be refused: the destination is taken).
fn another_nat(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    table_id: &str,
    route: &Route,
) -> Vec<Alternative> {
    // A declared private network is reached through a route toward it, not a public NAT
    // gateway: pullpath cannot name that route.
    if requirement.route.is_some() {
        return Vec::new();
    }
    let destination = route
        .destination_cidr
        .map(|c| c.to_string())
        .or_else(|| route.destination_prefix_list_id.clone());
    destination
        .and_then(|d| nat_alternative(placement, table_id, Some(&d)))
        .into_iter()
        .collect()
}

/// The NAT gateway's subnet made public: 0.0.0.0/0 to the VPC's internet gateway in its
/// table, replacing a route for 0.0.0.0/0 that goes elsewhere ("a public NAT gateway …
/// routes through the internet gateway of its subnet", VPC User Guide, "NAT gateway basics").
fn internet_route(
    placement: &Placement<'_, '_>,
    table: &IndexedRouteTable<'_>,
    table_id: &str,
) -> Vec<Alternative> {
    // The NAT gateway sits behind a table one of the workload's subnets uses (0.0.0.0/0 →
    // the NAT gateway): making that table public would send the tasks to the internet
    // gateway without public IPs. A NAT gateway in a public subnet is the fix, for the
    // task's own table.
    let index = placement.index;
    let serves_tasks = std::iter::once(placement.subnet.id.as_str())
        .chain(placement.workload_subnets.iter().map(String::as_str))
        .filter_map(|id| index.subnet(id).ok())
        .filter_map(|subnet| index.route_table_of(subnet).ok())
        .any(|t| t.table.id == table_id);
    if serves_tasks {
        let tasks_table = index
            .route_table_of(placement.subnet)
            .map_or_else(|_| table_id.to_string(), |t| t.table.id.clone());
        return nat_alternative(placement, &tasks_table, Some(&internet().to_string()))
            .into_iter()
            .collect();
    }
    // An active default route to something else (a virtual private gateway, a peering
    // connection) is a deliberate egress design: replacing it could cut off what uses it, so
    // pullpath proposes nothing (the prose fix names the choice).
    let default_route = table
        .table
        .routes
        .iter()
        .find(|r| r.destination_cidr == Some(internet()));
    if default_route.is_some_and(|r| r.state == RouteState::Active) {
        return Vec::new();
    }
    let Some(igw) = placement
        .index
        .internet_gateway_of(&placement.vpc.id)
        .filter(|g| g.attached_vpc_ids.contains(&placement.vpc.id))
    else {
        return Vec::new();
    };
    let target = RouteTo::InternetGateway(igw.id.clone());
    // A blackhole default route is replaced; none is created.
    let change = match default_route {
        Some(_) => Change::ReplaceRoute {
            route_table_id: table_id.to_string(),
            destination: internet().to_string(),
            target,
        },
        None => Change::CreateRoute {
            route_table_id: table_id.to_string(),
            destination_cidr: internet().to_string(),
            target,
        },
    };
    vec![Alternative::direct(change)]
}
