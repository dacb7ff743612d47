//! Structured fixes: each change a blocker's fix asks for (or a what-if asks about) as a typed
//! value with its resource and parameters, so that it can be rendered as AWS CLI commands,
//! grouped with the same change asked for by other blockers, and applied to a snapshot
//! (`crate::plan::apply`) to prove that it works.
//!
//! Resources a change creates have no id yet: they are named by a placeholder
//! ([`new_nat_id`], [`new_endpoint_group_id`]) that later changes refer to, and that the CLI
//! rendering turns into a shell variable set by the command that creates it.

mod cli;

pub use cli::render_cli;

use serde::{Deserialize, Serialize};

/// One change to an account.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Change {
    /// A public NAT gateway (with a new Elastic IP) in `subnet_id`, a subnet whose route table
    /// sends 0.0.0.0/0 to the VPC's internet gateway. Its id is [`new_nat_id`]`(subnet_id)`.
    CreateNatGateway { vpc_id: String, subnet_id: String },
    /// `aws ec2 create-route`.
    CreateRoute {
        route_table_id: String,
        destination_cidr: String,
        target: RouteTo,
    },
    /// `aws ec2 replace-route`: the route for `destination` (a CIDR or prefix-list id) points
    /// at `target` instead.
    ReplaceRoute {
        route_table_id: String,
        destination: String,
        target: RouteTo,
    },
    /// `aws ec2 delete-route`.
    DeleteRoute {
        route_table_id: String,
        destination: String,
    },
    /// A security group for interface endpoints allowing inbound TCP 443 from the VPC's CIDR
    /// blocks. Its id is [`new_endpoint_group_id`]`(vpc_id)`.
    /// Named `name`, which no group of the VPC has (group names are unique per VPC).
    CreateEndpointSecurityGroup { vpc_id: String, name: String },
    /// An interface endpoint with private DNS, in `subnet_ids`, with `security_group_ids`.
    CreateInterfaceEndpoint {
        vpc_id: String,
        service_name: String,
        subnet_ids: Vec<String>,
        security_group_ids: Vec<String>,
    },
    /// A gateway endpoint (S3) associated with `route_table_ids`.
    CreateGatewayEndpoint {
        vpc_id: String,
        service_name: String,
        route_table_ids: Vec<String>,
    },
    /// `aws ec2 modify-vpc-endpoint --add-route-table-ids`.
    AssociateGatewayEndpoint {
        endpoint_id: String,
        route_table_id: String,
    },
    /// `aws ec2 modify-vpc-endpoint --private-dns-enabled`.
    EnableEndpointPrivateDns { endpoint_id: String },
    /// `aws ec2 modify-vpc-endpoint --add-subnet-ids`.
    AddEndpointSubnets {
        endpoint_id: String,
        subnet_ids: Vec<String>,
    },
    /// `aws ec2 delete-vpc-endpoints`.
    DeleteVpcEndpoint { endpoint_id: String },
    /// `aws ec2 delete-nat-gateway`.
    DeleteNatGateway { nat_gateway_id: String },
    /// `aws ec2 modify-vpc-attribute --enable-dns-support` / `--enable-dns-hostnames`.
    EnableVpcDns {
        vpc_id: String,
        attribute: DnsAttribute,
    },
    /// `aws ec2 authorize-security-group-egress`: TCP `port` to `peer`.
    AuthorizeEgress {
        group_id: String,
        port: u16,
        peer: Peer,
    },
    /// `aws ec2 authorize-security-group-ingress`: TCP `port` from `peer`.
    AuthorizeIngress {
        group_id: String,
        port: u16,
        peer: Peer,
    },
    /// Removes every egress rule of `group_id` that names `peer` (what-if).
    RevokeEgress { group_id: String, peer: Peer },
    /// Removes every ingress rule of `group_id` that names `peer` (what-if).
    RevokeIngress { group_id: String, peer: Peer },
    /// `aws ec2 create-network-acl-entry`: allow TCP `from_port`-`to_port` to or from `cidr`.
    AllowNaclEntry {
        network_acl_id: String,
        egress: bool,
        rule_number: u16,
        cidr: String,
        from_port: u16,
        to_port: u16,
    },
    /// `aws iam attach-role-policy`.
    AttachRolePolicy {
        role_name: String,
        policy_arn: String,
    },
    /// `aws iam detach-role-policy` (what-if).
    DetachRolePolicy {
        role_name: String,
        policy_arn: String,
    },
    /// `aws ecs update-service --network-configuration …assignPublicIp=ENABLED`.
    EnableAssignPublicIp { cluster: String, service: String },
}

/// Where a route sends its traffic.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum RouteTo {
    NatGateway(String),
    InternetGateway(String),
}

/// The other side of a security-group rule.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Peer {
    Cidr(String),
    Group(String),
    PrefixList(String),
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DnsAttribute {
    DnsSupport,
    DnsHostnames,
}

/// What kind of way out an alternative is: alternatives of the same kind from several
/// blockers are merged into one plan (all the endpoints a workload needs, one NAT gateway).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Egress through a NAT gateway.
    NatGateway,
    /// Private paths: VPC interface and gateway endpoints.
    VpcEndpoints,
    /// A public IP and the internet gateway.
    PublicIp,
    /// The one fix there is (a rule, a flag, a policy).
    Direct,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::NatGateway => "NAT gateway",
            Strategy::VpcEndpoints => "VPC endpoints",
            Strategy::PublicIp => "public IP",
            Strategy::Direct => "direct fix",
        }
    }
}

/// One way to remove a blocker: every change it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alternative {
    pub strategy: Strategy,
    pub changes: Vec<Change>,
}

impl Alternative {
    pub fn new(strategy: Strategy, changes: Vec<Change>) -> Self {
        Alternative { strategy, changes }
    }

    pub fn direct(change: Change) -> Self {
        Alternative::new(Strategy::Direct, vec![change])
    }
}

/// The id a NAT gateway created by [`Change::CreateNatGateway`] is known by until it exists.
pub fn new_nat_id(subnet_id: &str) -> String {
    format!("new-nat-in-{subnet_id}")
}

/// The id of the security group [`Change::CreateEndpointSecurityGroup`] creates.
pub fn new_endpoint_group_id(vpc_id: &str) -> String {
    format!("new-endpoint-sg-in-{vpc_id}")
}

/// Entries that several findings placed at the same free number of one ACL (each saw the
/// number free) move down to the next number no other entry of the plan takes; the ACL's
/// own entries are checked when the plan is applied.
pub fn renumber_acl_entries(changes: &mut [Change]) {
    let mut taken: Vec<(String, bool, u16)> = Vec::new();
    for change in changes.iter_mut() {
        if let Change::AllowNaclEntry {
            network_acl_id,
            egress,
            rule_number,
            ..
        } = change
        {
            while *rule_number > 1
                && taken.contains(&(network_acl_id.clone(), *egress, *rule_number))
            {
                *rule_number -= 1;
            }
            taken.push((network_acl_id.clone(), *egress, *rule_number));
        }
    }
}

/// Makes one set of changes out of the changes several findings asked for, as AWS takes them:
/// one interface endpoint per service with every subnet asked for, one gateway endpoint per
/// service with every route table, one route per destination of a table (the first asked
/// for), and ACL entries at distinct numbers.
pub fn coalesce(changes: &mut Vec<Change>) {
    let mut out: Vec<Change> = Vec::with_capacity(changes.len());
    for change in changes.drain(..) {
        let merged = match &change {
            Change::CreateInterfaceEndpoint { .. } | Change::CreateGatewayEndpoint { .. } => {
                let key = endpoint_key(&change);
                let from = endpoint_list(&change).to_vec();
                out.iter_mut()
                    .find(|c| endpoint_key(c) == key)
                    .and_then(endpoint_list_mut)
                    .map(|list| {
                        for item in from {
                            if !list.contains(&item) {
                                list.push(item);
                            }
                        }
                    })
            }
            Change::CreateRoute {
                route_table_id,
                destination_cidr,
                ..
            } => out
                .iter()
                .any(|c| {
                    matches!(c, Change::CreateRoute { route_table_id: t, destination_cidr: d, .. }
                        if t == route_table_id && d == destination_cidr)
                })
                .then_some(()),
            _ => out.contains(&change).then_some(()),
        };
        if merged.is_none() {
            out.push(change);
        }
    }
    drop_covered_acl_entries(&mut out);
    renumber_acl_entries(&mut out);
    *changes = out;
}

/// ACL allow entries another entry of the plan already covers (the same ACL and direction,
/// a CIDR that contains theirs, the ports too): the findings of each S3 range ask for one,
/// the internet's finding for 0.0.0.0/0. The entry kept takes the lower rule number of the
/// two, so that it still comes before every deny rule the dropped one had to precede.
fn drop_covered_acl_entries(changes: &mut Vec<Change>) {
    fn entry(change: &Change) -> Option<(&str, bool, ipnet::Ipv4Net, u16, u16)> {
        match change {
            Change::AllowNaclEntry {
                network_acl_id,
                egress,
                cidr,
                from_port,
                to_port,
                ..
            } => Some((
                network_acl_id,
                *egress,
                cidr.parse().ok()?,
                *from_port,
                *to_port,
            )),
            _ => None,
        }
    }
    let covers = |a: &Change, b: &Change| match (entry(a), entry(b)) {
        (Some((acl, out, net, from, to)), Some((acl2, out2, net2, from2, to2))) => {
            acl == acl2 && out == out2 && net.contains(&net2) && from <= from2 && to >= to2
        }
        _ => false,
    };
    fn number(change: &mut Change) -> Option<&mut u16> {
        match change {
            Change::AllowNaclEntry { rule_number, .. } => Some(rule_number),
            _ => None,
        }
    }
    let mut kept: Vec<Change> = Vec::with_capacity(changes.len());
    for mut change in changes.drain(..) {
        let low = number(&mut change).map(|n| *n);
        if let Some(cover) = kept.iter_mut().find(|k| covers(k, &change)) {
            if let (Some(n), Some(low)) = (number(cover), low) {
                *n = (*n).min(low);
            }
            continue;
        }
        let mut lowest = low;
        kept.retain_mut(|k| {
            if covers(&change, k) {
                lowest = lowest.min(number(k).map(|n| *n));
                false
            } else {
                true
            }
        });
        if let (Some(n), Some(lowest)) = (number(&mut change), lowest) {
            *n = lowest;
        }
        kept.push(change);
    }
    *changes = kept;
}

/// What makes two endpoint creations one endpoint: its type, VPC and service.
fn endpoint_key(change: &Change) -> Option<(bool, &str, &str)> {
    match change {
        Change::CreateInterfaceEndpoint {
            vpc_id,
            service_name,
            ..
        } => Some((true, vpc_id, service_name)),
        Change::CreateGatewayEndpoint {
            vpc_id,
            service_name,
            ..
        } => Some((false, vpc_id, service_name)),
        _ => None,
    }
}

/// The list an endpoint creation grows by when merged: subnets, or route tables.
fn endpoint_list(change: &Change) -> &[String] {
    match change {
        Change::CreateInterfaceEndpoint { subnet_ids, .. } => subnet_ids,
        Change::CreateGatewayEndpoint {
            route_table_ids, ..
        } => route_table_ids,
        _ => &[],
    }
}

fn endpoint_list_mut(change: &mut Change) -> Option<&mut Vec<String>> {
    match change {
        Change::CreateInterfaceEndpoint { subnet_ids, .. } => Some(subnet_ids),
        Change::CreateGatewayEndpoint {
            route_table_ids, ..
        } => Some(route_table_ids),
        _ => None,
    }
}

/// Whether `id` names a resource a change creates.
pub fn is_new(id: &str) -> bool {
    id.starts_with("new-")
}

/// What part of an account a change touches: the unit `plan::apply` and the CLI rendering
/// each handle in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    GatewaysAndRoutes,
    Endpoints,
    Filters,
    RolesAndServices,
}

impl Change {
    pub fn family(&self) -> Family {
        match self {
            Change::CreateNatGateway { .. }
            | Change::CreateRoute { .. }
            | Change::ReplaceRoute { .. }
            | Change::DeleteRoute { .. }
            | Change::DeleteNatGateway { .. } => Family::GatewaysAndRoutes,
            Change::CreateEndpointSecurityGroup { .. }
            | Change::CreateInterfaceEndpoint { .. }
            | Change::CreateGatewayEndpoint { .. }
            | Change::AssociateGatewayEndpoint { .. }
            | Change::EnableEndpointPrivateDns { .. }
            | Change::AddEndpointSubnets { .. }
            | Change::DeleteVpcEndpoint { .. }
            | Change::EnableVpcDns { .. } => Family::Endpoints,
            Change::AuthorizeEgress { .. }
            | Change::AuthorizeIngress { .. }
            | Change::RevokeEgress { .. }
            | Change::RevokeIngress { .. }
            | Change::AllowNaclEntry { .. } => Family::Filters,
            Change::AttachRolePolicy { .. }
            | Change::DetachRolePolicy { .. }
            | Change::EnableAssignPublicIp { .. } => Family::RolesAndServices,
        }
    }

    /// The resource the change is made to (or the VPC a new resource goes into).
    pub fn resource(&self) -> &str {
        match self {
            Change::CreateNatGateway { vpc_id, .. }
            | Change::CreateEndpointSecurityGroup { vpc_id, .. }
            | Change::CreateInterfaceEndpoint { vpc_id, .. }
            | Change::CreateGatewayEndpoint { vpc_id, .. }
            | Change::EnableVpcDns { vpc_id, .. } => vpc_id,
            Change::CreateRoute { route_table_id, .. }
            | Change::ReplaceRoute { route_table_id, .. }
            | Change::DeleteRoute { route_table_id, .. } => route_table_id,
            Change::AssociateGatewayEndpoint { endpoint_id, .. }
            | Change::EnableEndpointPrivateDns { endpoint_id }
            | Change::AddEndpointSubnets { endpoint_id, .. }
            | Change::DeleteVpcEndpoint { endpoint_id } => endpoint_id,
            Change::DeleteNatGateway { nat_gateway_id } => nat_gateway_id,
            Change::AuthorizeEgress { group_id, .. }
            | Change::AuthorizeIngress { group_id, .. }
            | Change::RevokeEgress { group_id, .. }
            | Change::RevokeIngress { group_id, .. } => group_id,
            Change::AllowNaclEntry { network_acl_id, .. } => network_acl_id,
            Change::AttachRolePolicy { role_name, .. }
            | Change::DetachRolePolicy { role_name, .. } => role_name,
            Change::EnableAssignPublicIp { service, .. } => service,
        }
    }

    /// One line a person reads: what the change does.
    pub fn describe(&self) -> String {
        match self {
            Change::CreateNatGateway { subnet_id, .. } => {
                format!("create a NAT gateway in public subnet {subnet_id}")
            }
            Change::CreateRoute {
                route_table_id,
                destination_cidr,
                target,
            } => format!(
                "add route {destination_cidr} → {} to {route_table_id}",
                target.describe()
            ),
            Change::ReplaceRoute {
                route_table_id,
                destination,
                target,
            } => format!(
                "point route {destination} of {route_table_id} at {}",
                target.describe()
            ),
            Change::DeleteRoute {
                route_table_id,
                destination,
            } => format!("delete route {destination} from {route_table_id}"),
            Change::CreateEndpointSecurityGroup { vpc_id, name } => format!(
                "create security group {name} for VPC endpoints in {vpc_id} allowing TCP 443 from the VPC"
            ),
            Change::CreateInterfaceEndpoint {
                service_name,
                subnet_ids,
                ..
            } => format!(
                "create interface endpoint {service_name} (private DNS) in {}",
                subnet_ids.join(", ")
            ),
            Change::CreateGatewayEndpoint {
                service_name,
                route_table_ids,
                ..
            } => format!(
                "create gateway endpoint {service_name} for {}",
                route_table_ids.join(", ")
            ),
            Change::AssociateGatewayEndpoint {
                endpoint_id,
                route_table_id,
            } => format!("associate gateway endpoint {endpoint_id} with {route_table_id}"),
            Change::EnableEndpointPrivateDns { endpoint_id } => {
                format!("enable private DNS on {endpoint_id}")
            }
            Change::AddEndpointSubnets {
                endpoint_id,
                subnet_ids,
            } => format!("add {} to endpoint {endpoint_id}", subnet_ids.join(", ")),
            Change::DeleteVpcEndpoint { endpoint_id } => format!("delete endpoint {endpoint_id}"),
            Change::DeleteNatGateway { nat_gateway_id } => {
                format!("delete NAT gateway {nat_gateway_id}")
            }
            Change::EnableVpcDns { vpc_id, attribute } => format!(
                "enable {} on {vpc_id}",
                match attribute {
                    DnsAttribute::DnsSupport => "enableDnsSupport",
                    DnsAttribute::DnsHostnames => "enableDnsHostnames",
                }
            ),
            Change::AuthorizeEgress {
                group_id,
                port,
                peer,
            } => format!("allow TCP {port} out of {group_id} to {}", peer.describe()),
            Change::AuthorizeIngress {
                group_id,
                port,
                peer,
            } => format!("allow TCP {port} into {group_id} from {}", peer.describe()),
            Change::RevokeEgress { group_id, peer } => {
                format!("revoke {group_id}'s egress rules to {}", peer.describe())
            }
            Change::RevokeIngress { group_id, peer } => {
                format!("revoke {group_id}'s ingress rules from {}", peer.describe())
            }
            Change::AllowNaclEntry {
                network_acl_id,
                egress,
                rule_number,
                cidr,
                from_port,
                to_port,
            } => format!(
                "add {} rule {rule_number} to {network_acl_id}: allow TCP {from_port}-{to_port} {} {cidr}",
                if *egress { "outbound" } else { "inbound" },
                if *egress { "to" } else { "from" },
            ),
            Change::AttachRolePolicy {
                role_name,
                policy_arn,
            } => format!("attach {policy_arn} to role {role_name}"),
            Change::DetachRolePolicy {
                role_name,
                policy_arn,
            } => format!("detach {policy_arn} from role {role_name}"),
            Change::EnableAssignPublicIp { cluster, service } => {
                format!("set assignPublicIp=ENABLED on service {cluster}/{service}")
            }
        }
    }

    /// Whether the change takes something away (a what-if question) rather than adding.
    pub fn removes(&self) -> bool {
        matches!(
            self,
            Change::DeleteRoute { .. }
                | Change::DeleteVpcEndpoint { .. }
                | Change::DeleteNatGateway { .. }
                | Change::RevokeEgress { .. }
                | Change::RevokeIngress { .. }
                | Change::DetachRolePolicy { .. }
        )
    }
}

impl RouteTo {
    pub fn id(&self) -> &str {
        match self {
            RouteTo::NatGateway(id) | RouteTo::InternetGateway(id) => id,
        }
    }

    fn describe(&self) -> String {
        match self {
            RouteTo::NatGateway(id) if is_new(id) => "the new NAT gateway".to_string(),
            RouteTo::NatGateway(id) | RouteTo::InternetGateway(id) => id.clone(),
        }
    }
}

impl Peer {
    fn describe(&self) -> String {
        match self {
            Peer::Cidr(cidr) => cidr.clone(),
            Peer::Group(id) => format!("security group {id}"),
            Peer::PrefixList(id) => format!("prefix list {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(cidr: &str, rule_number: u16) -> Change {
        Change::AllowNaclEntry {
            network_acl_id: "acl-1".into(),
            egress: true,
            rule_number,
            cidr: cidr.into(),
            from_port: 443,
            to_port: 443,
        }
    }

    /// One rule for the internet covers the S3 ranges' rules, and takes the lowest number of
    /// those it replaces (each was placed before some deny rule).
    #[test]
    fn covered_acl_entries_collapse_into_the_widest_at_the_lowest_number() {
        let mut changes = vec![
            allow("54.231.0.0/17", 88),
            allow("0.0.0.0/0", 101),
            allow("52.216.0.0/15", 87),
        ];
        coalesce(&mut changes);
        assert_eq!(changes, vec![allow("0.0.0.0/0", 87)]);
        let mut distinct = vec![allow("10.0.0.0/16", 90), allow("10.1.0.0/16", 90)];
        coalesce(&mut distinct);
        assert_eq!(
            distinct,
            vec![allow("10.0.0.0/16", 90), allow("10.1.0.0/16", 89)]
        );
    }
}
