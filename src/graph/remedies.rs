//! The structured fixes of network blockers: the ways out AWS offers from where the task sits,
//! as changes naming real resources (or the new ones to create). `crate::plan` proves each by
//! applying it to the snapshot and auditing again, so a remedy here only has to be a good
//! first guess; a wrong one shows up as "not verified", never as a false fix.

use super::internet::internet;
use super::nat::usable_nat;
use super::placement::Placement;
use crate::fix::{new_endpoint_group_id, new_nat_id, Alternative, Change, Peer, RouteTo, Strategy};
use crate::model::{RouteState, RouteTargetKind, Subnet};
use crate::workload::{Requirement, Target};

/// A subnet of the VPC whose route table sends 0.0.0.0/0 to an internet gateway: where a new
/// NAT gateway must go ("a public NAT gateway … must be created in a public subnet", VPC User
/// Guide, "NAT gateway basics"). The zone of the workload's first subnet first (the same for
/// every subnet of the workload, so that they all name one NAT gateway), then by id, so that
/// the choice is stable.
fn public_subnet<'a>(placement: &Placement<'_, 'a>) -> Option<&'a Subnet> {
    let index = placement.index;
    let mut public: Vec<&Subnet> = index
        .subnets_in(&placement.vpc.id)
        .into_iter()
        .filter(|s| {
            index.route_table_of(s).is_ok_and(|t| {
                t.route_for(internet()).is_some_and(|r| {
                    r.target.kind == RouteTargetKind::InternetGateway
                        && r.state == RouteState::Active
                })
            })
        })
        .collect();
    let zone = placement
        .workload_subnets
        .first()
        .and_then(|id| index.subnet(id).ok())
        .unwrap_or(placement.subnet)
        .availability_zone
        .clone();
    public.sort_by_key(|s| (s.availability_zone != zone, s.id.clone()));
    public.into_iter().next()
}

/// Egress through a NAT gateway for `route_table_id`: the VPC's usable one, else a new one in
/// a public subnet. `replace`: the table has a route for 0.0.0.0/0 already (a blackhole) that
/// must point at the NAT instead.
pub fn nat_alternative(
    placement: &Placement<'_, '_>,
    route_table_id: &str,
    replace: Option<&str>,
) -> Option<Alternative> {
    let mut changes = Vec::new();
    let nat_id = match usable_nat(placement) {
        Some(nat) => nat.id.clone(),
        None => {
            let subnet = public_subnet(placement)?;
            changes.push(Change::CreateNatGateway {
                vpc_id: placement.vpc.id.clone(),
                subnet_id: subnet.id.clone(),
            });
            new_nat_id(&subnet.id)
        }
    };
    changes.push(match replace {
        Some(destination) => Change::ReplaceRoute {
            route_table_id: route_table_id.to_string(),
            destination: destination.to_string(),
            target: RouteTo::NatGateway(nat_id),
        },
        None => Change::CreateRoute {
            route_table_id: route_table_id.to_string(),
            destination_cidr: internet().to_string(),
            target: RouteTo::NatGateway(nat_id),
        },
    });
    Some(Alternative::new(Strategy::NatGateway, changes))
}

/// One subnet per availability zone of the workload's subnets: an interface endpoint takes at
/// most one subnet per zone (EC2 API reference, CreateVpcEndpoint `SubnetIds`: "you can
/// specify only one subnet per Availability Zone").
fn endpoint_subnets(placement: &Placement<'_, '_>) -> Vec<String> {
    let mut zones = Vec::new();
    let mut subnets = Vec::new();
    for id in &placement.workload_subnets {
        let zone = placement
            .index
            .subnet(id)
            .ok()
            .and_then(|s| s.availability_zone.clone());
        if zone.is_none() || !zones.contains(&zone) {
            zones.push(zone);
            subnets.push(id.clone());
        }
    }
    subnets
}

/// The private path for `requirement`: an S3 gateway endpoint on the task's route table, or an
/// interface endpoint (with a security group allowing HTTPS from the VPC) in the workload's
/// subnets, with the VPC's DNS attributes on (interface endpoints' private DNS needs both,
/// VPC User Guide, "DNS attributes for your VPC"). `None` for what no endpoint serves (another
/// region, a registry that is not ECR).
pub fn endpoint_alternative(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    route_table_id: &str,
) -> Option<Alternative> {
    if requirement.region != placement.region || requirement.route.is_some() {
        return None;
    }
    let vpc = &placement.vpc.id;
    let region = placement.region;
    let changes = match (requirement.target, requirement.target.endpoint_suffix()) {
        (Target::S3Layers, _) => vec![Change::CreateGatewayEndpoint {
            vpc_id: vpc.clone(),
            service_name: format!("com.amazonaws.{region}.s3"),
            route_table_ids: vec![route_table_id.to_string()],
        }],
        (_, Some(suffix)) => {
            let mut changes = vpc_dns_changes(placement);
            changes.push(Change::CreateEndpointSecurityGroup {
                vpc_id: vpc.clone(),
                name: free_group_name(placement),
            });
            changes.push(Change::CreateInterfaceEndpoint {
                vpc_id: vpc.clone(),
                service_name: format!("com.amazonaws.{region}.{suffix}"),
                subnet_ids: endpoint_subnets(placement),
                security_group_ids: vec![new_endpoint_group_id(vpc)],
            });
            changes
        }
        (_, None) => return None,
    };
    Some(Alternative::new(Strategy::VpcEndpoints, changes))
}

/// A name for the endpoints' new group that no group of the VPC has: `vpc-endpoints`, else
/// `vpc-endpoints-2`… (CreateSecurityGroup refuses a name taken in the VPC).
fn free_group_name(placement: &Placement<'_, '_>) -> String {
    let taken: Vec<&str> = placement
        .index
        .snapshot
        .security_groups
        .iter()
        .flatten()
        .filter(|g| g.vpc_id == placement.vpc.id)
        .filter_map(|g| g.name.as_deref())
        .collect();
    std::iter::once("vpc-endpoints".to_string())
        .chain((2..).map(|n| format!("vpc-endpoints-{n}")))
        .find(|name| !taken.contains(&name.as_str()))
        .unwrap_or_default()
}

/// The VPC attributes private DNS needs that are off.
pub fn vpc_dns_changes(placement: &Placement<'_, '_>) -> Vec<Change> {
    use crate::fix::DnsAttribute;
    let vpc = placement.vpc;
    [
        (vpc.enable_dns_support, DnsAttribute::DnsSupport),
        (vpc.enable_dns_hostnames, DnsAttribute::DnsHostnames),
    ]
    .into_iter()
    .filter(|(value, _)| *value == Some(false))
    .map(|(_, attribute)| Change::EnableVpcDns {
        vpc_id: vpc.id.clone(),
        attribute,
    })
    .collect()
}

/// An egress rule on the task's first group to what the peer is: the endpoint's group, the
/// prefix list, or the CIDR.
pub fn egress_alternative(
    placement: &Placement<'_, '_>,
    peer: &super::rules::Peer,
    cidr: ipnet::Ipv4Net,
    port: u16,
) -> Option<Alternative> {
    let group = placement.security_groups.first()?;
    let peer = if let Some(id) = peer.security_groups.first() {
        Peer::Group(id.clone())
    } else if let Some(list) = &peer.prefix_list_id {
        Peer::PrefixList(list.clone())
    } else {
        Peer::Cidr(cidr.to_string())
    };
    Some(Alternative::direct(Change::AuthorizeEgress {
        group_id: group.id.clone(),
        port,
        peer,
    }))
}
