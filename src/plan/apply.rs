//! Applies a [`Change`] to a snapshot, as AWS would make it, so that the patched snapshot can
//! be audited again: the proof that a fix works, and the answer to a what-if.
//!
//! A change that AWS would refuse (a route that exists already, a rule number in use, a
//! resource that is not there) is refused here too, naming why; a section the snapshot did not
//! collect cannot be changed (its contents are unknown).

use std::fmt;

use crate::fix::{new_endpoint_group_id, new_nat_id, Change, DnsAttribute, Family, Peer, RouteTo};
use crate::model::{
    AssignPublicIp, EndpointType, NaclEntry, NatConnectivity, NatGateway, PortRange, Route,
    RouteState, RouteTarget, RouteTargetKind, RuleAction, SecurityGroup, SgRule, Snapshot,
    VpcEndpoint,
};

/// Why a change cannot be made to the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    pub change: String,
    pub why: String,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot {}: {}", self.change, self.why)
    }
}

impl std::error::Error for ApplyError {}

/// Applies `changes` in order.
pub fn apply_all(snapshot: &mut Snapshot, changes: &[Change]) -> Result<(), ApplyError> {
    changes.iter().try_for_each(|c| apply(snapshot, c))
}

/// The managed policies a fix may attach, as AWS publishes them (AWS Managed Policy Reference:
/// AmazonECSTaskExecutionRolePolicy v1, AmazonEC2ContainerServiceforEC2Role's pull and log
/// actions), for snapshots that did not collect them because no role had them attached.
fn known_managed_policy(arn: &str) -> Option<serde_json::Value> {
    let actions = crate::checks::MANAGED_GRANTS;
    match arn {
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        | "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role" => {
            Some(serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
            }))
        }
        _ => None,
    }
}

fn section<'s, T>(section: &'s mut Option<Vec<T>>, name: &str) -> Result<&'s mut Vec<T>, String> {
    section
        .as_mut()
        .ok_or_else(|| format!("the snapshot did not collect {name}"))
}

fn find<'s, T>(
    items: &'s mut [T],
    what: &str,
    id: &str,
    key: impl Fn(&T) -> &str,
) -> Result<&'s mut T, String> {
    items
        .iter_mut()
        .find(|item| key(item) == id)
        .ok_or_else(|| format!("there is no {what} {id}"))
}

/// Applies one change.
pub fn apply(snapshot: &mut Snapshot, change: &Change) -> Result<(), ApplyError> {
    apply_one(snapshot, change).map_err(|why| ApplyError {
        change: change.describe(),
        why,
    })
}

fn route_target(snapshot: &Snapshot, target: &RouteTo) -> Result<RouteTarget, String> {
    let (kind, exists) = match target {
        RouteTo::NatGateway(id) => (
            RouteTargetKind::NatGateway,
            snapshot.nat_gateways.iter().flatten().any(|n| &n.id == id),
        ),
        RouteTo::InternetGateway(id) => (
            RouteTargetKind::InternetGateway,
            snapshot
                .internet_gateways
                .iter()
                .flatten()
                .any(|g| &g.id == id),
        ),
    };
    if !exists {
        return Err(format!("there is no gateway {}", target.id()));
    }
    Ok(RouteTarget {
        kind,
        id: Some(target.id().to_string()),
    })
}

fn is_destination(route: &Route, destination: &str) -> bool {
    route.destination_cidr.map(|c| c.to_string()).as_deref() == Some(destination)
        || route.destination_prefix_list_id.as_deref() == Some(destination)
}

fn vpc_exists(snapshot: &Snapshot, vpc_id: &str) -> Result<(), String> {
    let vpcs = snapshot
        .vpcs
        .as_ref()
        .ok_or("the snapshot did not collect VPCs")?;
    if vpcs.iter().any(|v| v.id == vpc_id) {
        Ok(())
    } else {
        Err(format!("there is no VPC {vpc_id}"))
    }
}

fn sg_rule(port: u16, peer: &Peer) -> Result<SgRule, String> {
    let mut rule = SgRule {
        protocol: "tcp".into(),
        from_port: Some(i32::from(port)),
        to_port: Some(i32::from(port)),
        cidr_ipv4: None,
        referenced_group_id: None,
        prefix_list_id: None,
        description: Some("added by a pullpath fix".into()),
    };
    match peer {
        Peer::Cidr(cidr) => {
            rule.cidr_ipv4 = Some(
                cidr.parse()
                    .map_err(|_| format!("`{cidr}` is not a CIDR"))?,
            )
        }
        Peer::Group(id) => rule.referenced_group_id = Some(id.clone()),
        Peer::PrefixList(id) => rule.prefix_list_id = Some(id.clone()),
    }
    Ok(rule)
}

fn names_peer(rule: &SgRule, peer: &Peer) -> bool {
    match peer {
        Peer::Cidr(cidr) => rule.cidr_ipv4.map(|c| c.to_string()).as_deref() == Some(cidr),
        Peer::Group(id) => rule.referenced_group_id.as_deref() == Some(id),
        Peer::PrefixList(id) => rule.prefix_list_id.as_deref() == Some(id),
    }
}

fn endpoint_id(service_name: &str, vpc_id: &str) -> String {
    format!("new-vpce-{service_name}-in-{vpc_id}")
}

fn apply_one(snapshot: &mut Snapshot, change: &Change) -> Result<(), String> {
    match change.family() {
        Family::GatewaysAndRoutes => gateways_and_routes(snapshot, change),
        Family::Endpoints => endpoints(snapshot, change),
        Family::Filters => filters(snapshot, change),
        Family::RolesAndServices => roles_and_services(snapshot, change),
    }
}

/// NAT gateways and routes.
fn gateways_and_routes(snapshot: &mut Snapshot, change: &Change) -> Result<(), String> {
    match change {
        Change::CreateNatGateway { vpc_id, subnet_id } => {
            vpc_exists(snapshot, vpc_id)?;
            let subnets = snapshot.subnets.as_deref().unwrap_or_default();
            if !subnets
                .iter()
                .any(|s| &s.id == subnet_id && &s.vpc_id == vpc_id)
            {
                return Err(format!("there is no subnet {subnet_id} in {vpc_id}"));
            }
            let id = new_nat_id(subnet_id);
            let nats = section(&mut snapshot.nat_gateways, "NAT gateways")?;
            if !nats.iter().any(|n| n.id == id) {
                nats.push(NatGateway {
                    id,
                    vpc_id: vpc_id.clone(),
                    subnet_id: subnet_id.clone(),
                    state: crate::model::NatState::Available,
                    connectivity_type: NatConnectivity::Public,
                    // A new Elastic IP: its address is not known before it is allocated.
                    public_ips: None,
                });
            }
        }
        Change::CreateRoute {
            route_table_id,
            destination_cidr,
            target,
        } => {
            let target = route_target(snapshot, target)?;
            let cidr = destination_cidr
                .parse()
                .map_err(|_| format!("`{destination_cidr}` is not a CIDR"))?;
            let tables = section(&mut snapshot.route_tables, "route tables")?;
            let table = find(tables, "route table", route_table_id, |t| &t.id)?;
            if table
                .routes
                .iter()
                .any(|r| r.destination_cidr == Some(cidr))
            {
                // EC2 API: RouteAlreadyExists.
                return Err(format!(
                    "{route_table_id} has a route for {destination_cidr} already"
                ));
            }
            table.routes.push(Route {
                destination_cidr: Some(cidr),
                destination_prefix_list_id: None,
                target,
                state: RouteState::Active,
            });
        }
        Change::ReplaceRoute {
            route_table_id,
            destination,
            target,
        } => {
            let target = route_target(snapshot, target)?;
            let tables = section(&mut snapshot.route_tables, "route tables")?;
            let table = find(tables, "route table", route_table_id, |t| &t.id)?;
            let route = table
                .routes
                .iter_mut()
                .find(|r| is_destination(r, destination))
                .ok_or_else(|| format!("{route_table_id} has no route for {destination}"))?;
            route.target = target;
            route.state = RouteState::Active;
        }
        Change::DeleteRoute {
            route_table_id,
            destination,
        } => {
            let tables = section(&mut snapshot.route_tables, "route tables")?;
            let table = find(tables, "route table", route_table_id, |t| &t.id)?;
            let before = table.routes.len();
            table.routes.retain(|r| {
                !is_destination(r, destination) || r.target.kind == RouteTargetKind::Local
            });
            if table.routes.len() == before {
                return Err(format!("{route_table_id} has no route for {destination} (the local route cannot be deleted)"));
            }
        }
        Change::DeleteNatGateway { nat_gateway_id } => {
            let nats = section(&mut snapshot.nat_gateways, "NAT gateways")?;
            find(nats, "NAT gateway", nat_gateway_id, |n| &n.id)?;
            nats.retain(|n| &n.id != nat_gateway_id);
            // Routes to a deleted NAT gateway stay, as blackholes (VPC User Guide, "Delete a
            // NAT gateway": update the route tables that point to it).
            for table in snapshot.route_tables.iter_mut().flatten() {
                for route in &mut table.routes {
                    if route.target.id.as_deref() == Some(nat_gateway_id) {
                        route.state = RouteState::Blackhole;
                    }
                }
            }
        }
        // `apply_one` sends only this family here.
        other => return Err(format!("cannot apply {} here", other.describe())),
    }
    Ok(())
}

/// VPC endpoints, their security group, and the VPC DNS attributes they need.
fn endpoints(snapshot: &mut Snapshot, change: &Change) -> Result<(), String> {
    match change {
        Change::CreateEndpointSecurityGroup { vpc_id, name } => {
            vpc_exists(snapshot, vpc_id)?;
            let cidrs = snapshot
                .vpcs
                .iter()
                .flatten()
                .find(|v| &v.id == vpc_id)
                .map(|v| v.cidr_blocks.clone())
                .unwrap_or_default();
            let id = new_endpoint_group_id(vpc_id);
            let groups = section(&mut snapshot.security_groups, "security groups")?;
            if groups
                .iter()
                .any(|g| g.id != id && &g.vpc_id == vpc_id && g.name.as_deref() == Some(name))
            {
                // EC2 API: InvalidGroup.Duplicate (names are unique per VPC).
                return Err(format!(
                    "{vpc_id} has a security group named {name} already"
                ));
            }
            if !groups.iter().any(|g| g.id == id) {
                let ingress = cidrs
                    .iter()
                    .map(|c| sg_rule(443, &Peer::Cidr(c.to_string())))
                    .collect::<Result<_, _>>()?;
                groups.push(SecurityGroup {
                    id,
                    vpc_id: vpc_id.clone(),
                    name: Some(name.clone()),
                    ingress,
                    // A new group allows all outbound traffic (VPC User Guide, "Default
                    // security groups" / "Create a security group").
                    egress: vec![SgRule {
                        protocol: "-1".into(),
                        from_port: None,
                        to_port: None,
                        cidr_ipv4: Some(ipnet::Ipv4Net::default()),
                        referenced_group_id: None,
                        prefix_list_id: None,
                        description: None,
                    }],
                });
            }
        }
        Change::CreateInterfaceEndpoint {
            vpc_id,
            service_name,
            subnet_ids,
            security_group_ids,
        } => {
            vpc_exists(snapshot, vpc_id)?;
            for group in security_group_ids {
                if !snapshot
                    .security_groups
                    .iter()
                    .flatten()
                    .any(|g| &g.id == group)
                {
                    return Err(format!("there is no security group {group}"));
                }
            }
            // "You can specify only one subnet per Availability Zone" (CreateVpcEndpoint).
            let mut zones = Vec::new();
            for id in subnet_ids {
                let zone = snapshot
                    .subnets
                    .iter()
                    .flatten()
                    .find(|s| &s.id == id)
                    .ok_or_else(|| format!("there is no subnet {id}"))?
                    .availability_zone
                    .clone();
                if zone.is_some() && zones.contains(&zone) {
                    return Err(format!(
                        "{id} is a second subnet in {}: an endpoint takes one per zone",
                        zone.unwrap_or_default()
                    ));
                }
                zones.push(zone);
            }
            let endpoints = section(&mut snapshot.vpc_endpoints, "VPC endpoints")?;
            if endpoints.iter().any(|e| {
                &e.vpc_id == vpc_id
                    && &e.service_name == service_name
                    && e.endpoint_type == EndpointType::Interface
                    && e.private_dns_enabled
            }) {
                // AWS refuses a second endpoint whose private DNS name is taken.
                return Err(format!(
                    "{vpc_id} has an interface endpoint for {service_name} with private DNS already"
                ));
            }
            endpoints.push(VpcEndpoint {
                id: endpoint_id(service_name, vpc_id),
                vpc_id: vpc_id.clone(),
                service_name: service_name.clone(),
                endpoint_type: EndpointType::Interface,
                state: "available".into(),
                subnet_ids: subnet_ids.clone(),
                security_group_ids: security_group_ids.clone(),
                route_table_ids: Vec::new(),
                private_dns_enabled: true,
                policy: None,
            });
        }
        Change::CreateGatewayEndpoint {
            vpc_id,
            service_name,
            route_table_ids,
        } => {
            vpc_exists(snapshot, vpc_id)?;
            let id = endpoint_id(service_name, vpc_id);
            let endpoints = section(&mut snapshot.vpc_endpoints, "VPC endpoints")?;
            if endpoints.iter().any(|e| e.id == id) {
                return Err(format!("{id} exists already"));
            }
            endpoints.push(VpcEndpoint {
                id: id.clone(),
                vpc_id: vpc_id.clone(),
                service_name: service_name.clone(),
                endpoint_type: EndpointType::Gateway,
                state: "available".into(),
                subnet_ids: Vec::new(),
                security_group_ids: Vec::new(),
                route_table_ids: Vec::new(),
                private_dns_enabled: false,
                policy: None,
            });
            for table in route_table_ids {
                associate_gateway(snapshot, &id, table)?;
            }
        }
        Change::AssociateGatewayEndpoint {
            endpoint_id,
            route_table_id,
        } => associate_gateway(snapshot, endpoint_id, route_table_id)?,
        Change::EnableEndpointPrivateDns { endpoint_id } => {
            let endpoints = section(&mut snapshot.vpc_endpoints, "VPC endpoints")?;
            find(endpoints, "VPC endpoint", endpoint_id, |e| &e.id)?.private_dns_enabled = true;
        }
        Change::AddEndpointSubnets {
            endpoint_id,
            subnet_ids,
        } => {
            let endpoints = section(&mut snapshot.vpc_endpoints, "VPC endpoints")?;
            let endpoint = find(endpoints, "VPC endpoint", endpoint_id, |e| &e.id)?;
            for subnet in subnet_ids {
                if !endpoint.subnet_ids.contains(subnet) {
                    endpoint.subnet_ids.push(subnet.clone());
                }
            }
        }
        Change::DeleteVpcEndpoint { endpoint_id } => {
            let endpoints = section(&mut snapshot.vpc_endpoints, "VPC endpoints")?;
            find(endpoints, "VPC endpoint", endpoint_id, |e| &e.id)?;
            endpoints.retain(|e| &e.id != endpoint_id);
            // A gateway endpoint's routes go with it (VPC User Guide, "Delete a gateway
            // endpoint": "we delete the endpoint routes from the route tables").
            for table in snapshot.route_tables.iter_mut().flatten() {
                table.routes.retain(|r| {
                    !(r.target.kind == RouteTargetKind::VpcEndpoint
                        && r.target.id.as_deref() == Some(endpoint_id))
                });
            }
        }
        Change::EnableVpcDns { vpc_id, attribute } => {
            let vpcs = section(&mut snapshot.vpcs, "VPCs")?;
            let vpc = find(vpcs, "VPC", vpc_id, |v| &v.id)?;
            match attribute {
                DnsAttribute::DnsSupport => vpc.enable_dns_support = Some(true),
                DnsAttribute::DnsHostnames => vpc.enable_dns_hostnames = Some(true),
            }
        }
        // `apply_one` sends only this family here.
        other => return Err(format!("cannot apply {} here", other.describe())),
    }
    Ok(())
}

/// Security-group rules and network ACL entries.
fn filters(snapshot: &mut Snapshot, change: &Change) -> Result<(), String> {
    match change {
        Change::AuthorizeEgress {
            group_id,
            port,
            peer,
        } => {
            let rule = sg_rule(*port, peer)?;
            let groups = section(&mut snapshot.security_groups, "security groups")?;
            find(groups, "security group", group_id, |g| &g.id)?
                .egress
                .push(rule);
        }
        Change::AuthorizeIngress {
            group_id,
            port,
            peer,
        } => {
            let rule = sg_rule(*port, peer)?;
            let groups = section(&mut snapshot.security_groups, "security groups")?;
            find(groups, "security group", group_id, |g| &g.id)?
                .ingress
                .push(rule);
        }
        Change::RevokeEgress { group_id, peer } | Change::RevokeIngress { group_id, peer } => {
            let egress = matches!(change, Change::RevokeEgress { .. });
            let groups = section(&mut snapshot.security_groups, "security groups")?;
            let group = find(groups, "security group", group_id, |g| &g.id)?;
            let rules = if egress {
                &mut group.egress
            } else {
                &mut group.ingress
            };
            let before = rules.len();
            rules.retain(|r| !names_peer(r, peer));
            if rules.len() == before {
                return Err(format!(
                    "{group_id} has no {} rule naming that peer",
                    if egress { "egress" } else { "ingress" }
                ));
            }
        }
        Change::AllowNaclEntry {
            network_acl_id,
            egress,
            rule_number,
            cidr,
            from_port,
            to_port,
        } => {
            let cidr = cidr
                .parse()
                .map_err(|_| format!("`{cidr}` is not a CIDR"))?;
            let acls = section(&mut snapshot.network_acls, "network ACLs")?;
            let acl = find(acls, "network ACL", network_acl_id, |a| &a.id)?;
            if acl
                .entries
                .iter()
                .any(|e| e.egress == *egress && e.rule_number == *rule_number)
            {
                // EC2 API: NetworkAclEntryAlreadyExists.
                return Err(format!(
                    "rule {rule_number} of {network_acl_id} exists already"
                ));
            }
            acl.entries.push(NaclEntry {
                rule_number: *rule_number,
                egress: *egress,
                protocol: "6".into(),
                rule_action: RuleAction::Allow,
                cidr_block: Some(cidr),
                port_range: Some(PortRange {
                    from: *from_port,
                    to: *to_port,
                }),
            });
        }
        // `apply_one` sends only this family here.
        other => return Err(format!("cannot apply {} here", other.describe())),
    }
    Ok(())
}

/// Role policies and a service's network configuration.
fn roles_and_services(snapshot: &mut Snapshot, change: &Change) -> Result<(), String> {
    match change {
        Change::AttachRolePolicy {
            role_name,
            policy_arn,
        } => {
            let known = snapshot
                .managed_policies
                .iter()
                .flatten()
                .any(|p| &p.arn == policy_arn);
            if !known {
                let document = known_managed_policy(policy_arn)
                    .ok_or_else(|| format!("the document of {policy_arn} is not known"))?;
                section(&mut snapshot.managed_policies, "managed policies")?.push(
                    crate::model::ManagedPolicy {
                        arn: policy_arn.clone(),
                        name: policy_arn.rsplit('/').next().map(str::to_string),
                        document,
                    },
                );
            }
            let roles = section(&mut snapshot.roles, "roles")?;
            let role = find(roles, "role", role_name, |r| &r.name)?;
            if !role.attached_policy_arns.contains(policy_arn) {
                // IAM quotas: "Managed policies attached to an IAM role: 10" by default
                // (IAM User Guide, "IAM and AWS STS quotas"); AWS answers LimitExceeded.
                if role.attached_policy_arns.len() >= 10 {
                    return Err(format!(
                        "{role_name} has {} managed policies attached, the default quota (10)",
                        role.attached_policy_arns.len()
                    ));
                }
                role.attached_policy_arns.push(policy_arn.clone());
            }
        }
        Change::DetachRolePolicy {
            role_name,
            policy_arn,
        } => {
            let roles = section(&mut snapshot.roles, "roles")?;
            let role = find(roles, "role", role_name, |r| &r.name)?;
            if !role.attached_policy_arns.contains(policy_arn) {
                return Err(format!("{policy_arn} is not attached to {role_name}"));
            }
            role.attached_policy_arns.retain(|a| a != policy_arn);
        }
        Change::EnableAssignPublicIp { cluster, service } => {
            let clusters = section(&mut snapshot.clusters, "clusters")?;
            let found = find(clusters, "cluster", cluster, |c| &c.name)?;
            let services = found
                .services
                .as_mut()
                .ok_or_else(|| format!("the services of {cluster} were not collected"))?;
            let service = find(services, "service", service, |s| &s.name)?;
            let network = service
                .network_configuration
                .as_mut()
                .ok_or("the service has no awsvpc network configuration")?;
            network.assign_public_ip = AssignPublicIp::Enabled;
        }
        // `apply_one` sends only this family here.
        other => return Err(format!("cannot apply {} here", other.describe())),
    }
    Ok(())
}

/// Adds the gateway endpoint's prefix-list route to a route table, as associating does.
fn associate_gateway(
    snapshot: &mut Snapshot,
    endpoint_id: &str,
    table_id: &str,
) -> Result<(), String> {
    let service = snapshot
        .vpc_endpoints
        .iter()
        .flatten()
        .find(|e| e.id == endpoint_id)
        .map(|e| e.service_name.clone())
        .ok_or_else(|| format!("there is no VPC endpoint {endpoint_id}"))?;
    // The route's destination is the service's AWS-managed prefix list (VPC User Guide,
    // "Gateway endpoints": "a route … whose destination is the prefix list for the service").
    let list = snapshot
        .prefix_lists
        .iter()
        .flatten()
        .find(|l| l.name == service)
        .map(|l| l.id.clone())
        .ok_or_else(|| format!("the prefix list of {service} was not collected"))?;
    let tables = section(&mut snapshot.route_tables, "route tables")?;
    let table = find(tables, "route table", table_id, |t| &t.id)?;
    if table
        .routes
        .iter()
        .any(|r| r.destination_prefix_list_id.as_deref() == Some(list.as_str()))
    {
        return Err(format!("{table_id} has a route for {list} already"));
    }
    table.routes.push(Route {
        destination_cidr: None,
        destination_prefix_list_id: Some(list),
        target: RouteTarget {
            kind: RouteTargetKind::VpcEndpoint,
            id: Some(endpoint_id.to_string()),
        },
        state: RouteState::Active,
    });
    let endpoints = section(&mut snapshot.vpc_endpoints, "VPC endpoints")?;
    let endpoint = find(endpoints, "VPC endpoint", endpoint_id, |e| &e.id)?;
    endpoint.route_table_ids.push(table_id.to_string());
    Ok(())
}
