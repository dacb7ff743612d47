//! The route family: every NO_ROUTE, ROUTE_BLACKHOLE, PATH_LEAVES_VPC and NO_PUBLIC_IP is
//! worded here, with the fixes that name the resources to use (a test holds each code to one
//! file). Routes are chosen by longest prefix match
//! (https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html).

use ipnet::Ipv4Net;

use super::nat::usable_nat;
use super::placement::Placement;
use super::remedies::{endpoint_alternative, nat_alternative};
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::fix::{Alternative, Change};
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

/// A route whose target cannot carry the call (an egress-only gateway carries IPv6 only; the
/// local route keeps IPv4 inside the VPC): NO_ROUTE, with the fixes of a missing route.
pub(super) fn unusable_target(
    placement: &Placement<'_, '_>,
    requirement: &Requirement,
    table_id: &str,
    cidr: Ipv4Net,
    target: &str,
) -> Blocker {
    Blocker::new(
        Code::NoRoute,
        table_id,
        format!(
            "route table {table_id} sends {cidr} to {target}, which cannot carry IPv4 traffic to {}",
            requirement.host
        ),
        no_route(placement, requirement, table_id, cidr).fix,
    )
}

/// A route to an interface, instance or other gateway whose onward path is not visible.
pub(super) fn appliance(
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
pub(super) fn inspection_endpoint(
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

/// A route to a transit gateway, peering connection or virtual private gateway (`what`, `id`):
/// the path beyond it belongs to another network.
pub(super) fn leaves_vpc_blocker(
    requirement: &Requirement,
    table_id: &str,
    what: &str,
    id: &str,
) -> Blocker {
    let toward = match requirement.route {
        Some(route) => format!("{} ({route}) on TCP {}", requirement.host, requirement.port),
        None => "the internet on TCP 443".to_string(),
    };
    Blocker::new(
        Code::PathLeavesVpc,
        id,
        format!("route table {table_id} sends the traffic to {what} {id}; the path beyond it (egress VPC, on-premises firewall, proxy) is not visible in this account's configuration"),
        match requirement.route {
            Some(_) => format!("Confirm that the network behind {id} reaches {toward} and routes the responses back."),
            None => format!("Confirm that the network behind {id} reaches {toward} (or add VPC endpoints so the pull stays in this VPC)."),
        },
    )
}

/// The NAT gateway's own subnet sends internet traffic to a firewall or other gateway.
pub(super) fn nat_egress_through(
    nat_id: &str,
    nat_subnet: &str,
    table_id: &str,
    target: &str,
) -> Blocker {
    Blocker::new(
        Code::PathLeavesVpc,
        target,
        format!("NAT gateway {nat_id}'s subnet {nat_subnet} sends internet traffic through {target} (route table {table_id}): a firewall or gateway whose onward path is not visible here"),
        format!("Confirm that {target} allows TCP 443 to the registry and forwards it to an internet gateway."),
    )
}

/// The NAT gateway's own subnet has no route toward a declared private network.
pub(super) fn nat_subnet_no_route(
    nat_id: &str,
    nat_subnet: &str,
    table_id: &str,
    destination: Ipv4Net,
    host: &str,
) -> Blocker {
    Blocker::new(
        Code::NoRoute,
        table_id,
        format!(
            "NAT gateway {nat_id} sits in subnet {nat_subnet} whose route table {table_id} has no active route that can carry {destination} (the declared network of {host})"
        ),
        format!("Add a route for {destination} to {table_id} toward the transit gateway, peering connection or VPN gateway that leads to {host} (aws ec2 create-route --route-table-id {table_id} --destination-cidr-block {destination} --transit-gateway-id tgw-…)."),
    )
}

/// The NAT gateway's own subnet sends a declared private network to a gateway (`what`).
pub(super) fn nat_subnet_leaves_vpc(
    requirement: &Requirement,
    nat_id: &str,
    nat_subnet: &str,
    table_id: &str,
    destination: Ipv4Net,
    what: &str,
    target: &str,
) -> Blocker {
    let host = &requirement.host;
    Blocker::new(
        Code::PathLeavesVpc,
        target,
        format!("NAT gateway {nat_id}'s subnet {nat_subnet} sends {destination} (the declared network of {host}) to {what} {target} (route table {table_id}): the path beyond it is not visible here"),
        format!("Confirm that {target} forwards TCP {} to {host} ({destination}) and routes the responses back.", requirement.port),
    )
}

/// A more specific route diverts an interface endpoint's addresses from the local route.
pub(super) fn endpoint_subnet_diverted(table_id: &str, cidr: Ipv4Net, target: &str) -> Blocker {
    Blocker::new(
        Code::PathLeavesVpc,
        table_id,
        format!("route table {table_id} sends endpoint subnet {cidr} to {target} instead of the local route"),
        format!("Confirm that {target} forwards the traffic, or remove the more specific route from {table_id}."),
    )
}

/// The prefix-list route of a gateway endpoint is a blackhole.
pub(super) fn gateway_endpoint_blackhole(endpoint_id: &str, table_id: &str) -> Blocker {
    Blocker::new(
        Code::RouteBlackhole,
        table_id,
        format!("the prefix-list route of gateway endpoint {endpoint_id} in {table_id} is a blackhole"),
        format!("Re-associate the endpoint: aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint_id} --remove-route-table-ids {table_id}, then --add-route-table-ids {table_id}"),
    )
}

/// A gateway endpoint not associated with the task's route table: no route leads to it.
/// Associating it adds the prefix-list route
/// (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html#gateway-endpoint-routing).
pub(super) fn gateway_endpoint_not_associated(
    endpoint_id: &str,
    service_name: &str,
    table_id: &str,
) -> Blocker {
    Blocker::new(
        Code::NoRoute,
        table_id,
        format!("gateway endpoint {endpoint_id} ({service_name}) is not associated with route table {table_id}, so the subnet has no route to it"),
        format!("aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint_id} --add-route-table-ids {table_id}"),
    )
    .with_remedy(vec![Alternative::direct(Change::AssociateGatewayEndpoint {
        endpoint_id: endpoint_id.to_string(),
        route_table_id: table_id.to_string(),
    })])
}
