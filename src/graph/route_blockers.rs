//! Blockers raised at a route table, with fixes that name the resources to use.

use ipnet::Ipv4Net;

use super::nat::usable_nat;
use super::placement::Placement;
use super::remedies::{endpoint_alternative, nat_alternative};
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::Route;
use crate::workload::{Requirement, Target};

/// The workload's subnets that `table_id` serves (explicitly or as the main table): a fix to
/// the table fixes them all, and the message should say so.
fn subnets_served(placement: &Placement<'_, '_>, table_id: &str) -> Vec<String> {
    let index = placement.index;
    let served: Vec<String> = placement
        .workload_subnets
        .iter()
        .filter(|id| {
            index
                .subnet(id)
                .ok()
                .and_then(|subnet| index.route_table_of(subnet).ok())
                .is_some_and(|table| table.table.id == table_id)
        })
        .cloned()
        .collect();
    if served.is_empty() {
        vec![placement.subnet.id.clone()]
    } else {
        served
    }
}

/// "subnet a" or "subnets a, b".
fn subnet_list(subnets: &[String]) -> String {
    match subnets {
        [one] => format!("subnet {one}"),
        many => format!("subnets {}", many.join(", ")),
    }
}

pub(super) fn blackhole(
    placement: &Placement<'_, '_>,
    table_id: &str,
    route: &Route,
    why: &str,
) -> Blocker {
    let target = route.target.id.as_deref().unwrap_or("?");
    let destination = route
        .destination_cidr
        .map(|c| c.to_string())
        .or_else(|| route.destination_prefix_list_id.clone())
        .unwrap_or_default();
    let nat = usable_nat(placement)
        .map(|n| n.id.clone())
        .unwrap_or_else(|| "<a new NAT gateway in a public subnet>".to_string());
    let destination_flag = if route.destination_cidr.is_some() {
        "--destination-cidr-block"
    } else {
        "--destination-prefix-list-id"
    };
    let served = subnet_list(&subnets_served(placement, table_id));
    Blocker::new(
        Code::RouteBlackhole,
        table_id,
        format!("route {destination} → {target} in {table_id} (the route table of {served}) is a blackhole: {why}"),
        format!(
            "Point the route at a working target, which fixes {served}: aws ec2 replace-route --route-table-id {table_id} {destination_flag} {destination} --nat-gateway-id {nat}"
        ),
    )
    .with_remedy(nat_alternative(placement, table_id, Some(&destination)).into_iter().collect())
}

pub(super) fn no_public_ip(placement: &Placement<'_, '_>, table_id: &str, igw: &str) -> Blocker {
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

/// NO_ROUTE, with every way to fix it that fits the requirement: a NAT route, and the VPC
/// endpoint that would carry the call privately.
pub(super) fn no_route(
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
    let served = subnet_list(&subnets_served(placement, table_id));
    let fix = match (requirement.route, endpoint) {
        // A declared private network: only a route toward it helps.
        (Some(route), _) => format!(
            "Add a route for {route} (the declared network of {host}) to {table_id}, toward the transit gateway, peering connection or VPN gateway that leads there (aws ec2 create-route --route-table-id {table_id} --destination-cidr-block {route} --transit-gateway-id tgw-…), or correct --registry-route if {host} lives elsewhere.",
            host = requirement.host
        ),
        (None, Some(endpoint)) => format!("Either {nat}, or {endpoint}. Either fixes {served}."),
        (None, None) => format!("{}{}. This fixes {served}.", nat[..1].to_uppercase(), &nat[1..]),
    };
    // A declared private network is reached by a route toward it, which pullpath cannot name.
    let remedy = if requirement.route.is_some() {
        Vec::new()
    } else {
        nat_alternative(placement, table_id, None)
            .into_iter()
            .chain(endpoint_alternative(placement, requirement, table_id))
            .collect()
    };
    Blocker::new(
        Code::NoRoute,
        table_id,
        format!(
            "route table {table_id} of {served} has no route for {cidr}: {} ({}) is unreachable",
            requirement.host,
            requirement.target.as_str()
        ),
        fix,
    )
    .with_remedy(remedy)
}
