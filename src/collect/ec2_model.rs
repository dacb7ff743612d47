//! Converting EC2's SDK types into the snapshot model.

use crate::model::{
    EndpointType, InternetGateway, NaclEntry, NatConnectivity, NatGateway, NatState, NetworkAcl,
    PortRange, Route, RouteState, RouteTable, RouteTarget, RouteTargetKind, RuleAction,
    SecurityGroup, SgRule, Subnet, VpcEndpoint,
};

pub(super) fn cidrs_of(vpc: &aws_sdk_ec2::types::Vpc) -> Vec<ipnet::Ipv4Net> {
    // The primary CIDR first: the Amazon DNS server sits at its base plus two.
    let mut cidrs: Vec<ipnet::Ipv4Net> = vpc
        .cidr_block()
        .and_then(|c| c.parse::<ipnet::Ipv4Net>().ok())
        .into_iter()
        .collect();
    for cidr in vpc
        .cidr_block_association_set()
        .iter()
        .filter(|a| {
            a.cidr_block_state()
                .and_then(|s| s.state())
                .is_none_or(|s| s.as_str() == "associated")
        })
        .filter_map(|a| a.cidr_block()?.parse::<ipnet::Ipv4Net>().ok())
    {
        if !cidrs.contains(&cidr) {
            cidrs.push(cidr);
        }
    }
    cidrs
}

pub(super) fn convert_subnet(s: &aws_sdk_ec2::types::Subnet) -> Option<Subnet> {
    Some(Subnet {
        id: s.subnet_id()?.to_string(),
        vpc_id: s.vpc_id()?.to_string(),
        // IPv6-only subnets have no IPv4 block: tasks there cannot pull over IPv4 anyway.
        cidr_block: s.cidr_block()?.parse().ok()?,
        availability_zone: s.availability_zone().map(str::to_string),
        map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
    })
}

pub(super) fn convert_route_table(t: &aws_sdk_ec2::types::RouteTable) -> RouteTable {
    RouteTable {
        id: t.route_table_id().unwrap_or_default().to_string(),
        vpc_id: t.vpc_id().unwrap_or_default().to_string(),
        main: t.associations().iter().any(|a| a.main() == Some(true)),
        subnet_ids: t
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(str::to_string))
            .collect(),
        routes: t.routes().iter().filter_map(convert_route).collect(),
    }
}

pub(super) fn convert_route(r: &aws_sdk_ec2::types::Route) -> Option<Route> {
    let destination_cidr = r.destination_cidr_block().and_then(|c| c.parse().ok());
    let destination_prefix_list_id = r.destination_prefix_list_id().map(str::to_string);
    if destination_cidr.is_none() && destination_prefix_list_id.is_none() {
        return None; // an IPv6 route
    }
    let target = if let Some(gateway) = r.gateway_id() {
        let kind = match gateway {
            "local" => RouteTargetKind::Local,
            g if g.starts_with("igw-") => RouteTargetKind::InternetGateway,
            g if g.starts_with("vpce-") => RouteTargetKind::VpcEndpoint,
            g if g.starts_with("vgw-") => RouteTargetKind::VpnGateway,
            _ => RouteTargetKind::InternetGateway,
        };
        RouteTarget {
            kind,
            id: (kind != RouteTargetKind::Local).then(|| gateway.to_string()),
        }
    } else {
        let targets: [(Option<&str>, RouteTargetKind); 9] = [
            (r.nat_gateway_id(), RouteTargetKind::NatGateway),
            (r.transit_gateway_id(), RouteTargetKind::TransitGateway),
            (
                r.vpc_peering_connection_id(),
                RouteTargetKind::PeeringConnection,
            ),
            (
                r.egress_only_internet_gateway_id(),
                RouteTargetKind::EgressOnlyInternetGateway,
            ),
            (r.instance_id(), RouteTargetKind::Instance),
            (r.network_interface_id(), RouteTargetKind::NetworkInterface),
            (r.local_gateway_id(), RouteTargetKind::LocalGateway),
            (r.carrier_gateway_id(), RouteTargetKind::CarrierGateway),
            (r.core_network_arn(), RouteTargetKind::CoreNetwork),
        ];
        let (id, kind) = targets.into_iter().find(|(id, _)| id.is_some())?;
        RouteTarget {
            kind,
            id: id.map(str::to_string),
        }
    };
    Some(Route {
        destination_cidr,
        destination_prefix_list_id,
        target,
        state: match r.state().map(|s| s.as_str()) {
            Some("blackhole") => RouteState::Blackhole,
            _ => RouteState::Active,
        },
    })
}

pub(super) fn convert_internet_gateway(g: &aws_sdk_ec2::types::InternetGateway) -> InternetGateway {
    InternetGateway {
        id: g.internet_gateway_id().unwrap_or_default().to_string(),
        attached_vpc_ids: g
            .attachments()
            .iter()
            .filter(|a| {
                a.state()
                    .is_none_or(|s| matches!(s.as_str(), "available" | "attached"))
            })
            .filter_map(|a| a.vpc_id().map(str::to_string))
            .collect(),
    }
}

pub(super) fn convert_nat_gateway(n: &aws_sdk_ec2::types::NatGateway) -> NatGateway {
    NatGateway {
        id: n.nat_gateway_id().unwrap_or_default().to_string(),
        vpc_id: n.vpc_id().unwrap_or_default().to_string(),
        subnet_id: n.subnet_id().unwrap_or_default().to_string(),
        state: match n.state().map(|s| s.as_str()) {
            Some("available") => NatState::Available,
            Some("pending") => NatState::Pending,
            Some("deleting") => NatState::Deleting,
            Some("deleted") => NatState::Deleted,
            _ => NatState::Failed,
        },
        connectivity_type: match n.connectivity_type().map(|c| c.as_str()) {
            Some("private") => NatConnectivity::Private,
            _ => NatConnectivity::Public,
        },
        // The Elastic IPs the NAT gateway sends from (`aws:SourceIp` of calls through it).
        public_ips: Some(
            n.nat_gateway_addresses()
                .iter()
                .filter_map(|a| a.public_ip()?.parse().ok())
                .collect(),
        ),
    }
}

pub(super) fn convert_endpoint(e: &aws_sdk_ec2::types::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
        id: e.vpc_endpoint_id().unwrap_or_default().to_string(),
        vpc_id: e.vpc_id().unwrap_or_default().to_string(),
        service_name: e.service_name().unwrap_or_default().to_string(),
        endpoint_type: match e.vpc_endpoint_type().map(|t| t.as_str()) {
            Some("Gateway") => EndpointType::Gateway,
            Some("GatewayLoadBalancer") => EndpointType::GatewayLoadBalancer,
            _ => EndpointType::Interface,
        },
        state: e
            .state()
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default(),
        subnet_ids: e.subnet_ids().to_vec(),
        security_group_ids: e
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
        route_table_ids: e.route_table_ids().to_vec(),
        private_dns_enabled: e.private_dns_enabled().unwrap_or(false),
        // Kept as the JSON text EC2 returns; the policy evaluator parses it.
        policy: e
            .policy_document()
            .map(|p| serde_json::Value::String(p.to_string())),
    }
}

pub(super) fn convert_security_group(g: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroup {
    let rules = |permissions: &[aws_sdk_ec2::types::IpPermission]| -> Vec<SgRule> {
        let mut out = Vec::new();
        for p in permissions {
            let base = |cidr: Option<ipnet::Ipv4Net>,
                        group: Option<String>,
                        list: Option<String>| SgRule {
                protocol: p.ip_protocol().unwrap_or("-1").to_string(),
                from_port: p.from_port(),
                to_port: p.to_port(),
                cidr_ipv4: cidr,
                referenced_group_id: group,
                prefix_list_id: list,
                description: None,
            };
            out.extend(
                p.ip_ranges()
                    .iter()
                    .filter_map(|r| r.cidr_ip()?.parse().ok())
                    .map(|c| base(Some(c), None, None)),
            );
            out.extend(
                p.user_id_group_pairs()
                    .iter()
                    .filter_map(|pair| pair.group_id())
                    .map(|id| base(None, Some(id.to_string()), None)),
            );
            out.extend(
                p.prefix_list_ids()
                    .iter()
                    .filter_map(|l| l.prefix_list_id())
                    .map(|id| base(None, None, Some(id.to_string()))),
            );
        }
        out
    };
    SecurityGroup {
        id: g.group_id().unwrap_or_default().to_string(),
        vpc_id: g.vpc_id().unwrap_or_default().to_string(),
        name: g.group_name().map(str::to_string),
        ingress: rules(g.ip_permissions()),
        egress: rules(g.ip_permissions_egress()),
    }
}

pub(super) fn convert_acl(a: &aws_sdk_ec2::types::NetworkAcl) -> NetworkAcl {
    NetworkAcl {
        id: a.network_acl_id().unwrap_or_default().to_string(),
        vpc_id: a.vpc_id().unwrap_or_default().to_string(),
        is_default: a.is_default().unwrap_or(false),
        subnet_ids: a
            .associations()
            .iter()
            .filter_map(|s| s.subnet_id().map(str::to_string))
            .collect(),
        entries: a
            .entries()
            .iter()
            .filter_map(|e| {
                Some(NaclEntry {
                    rule_number: u16::try_from(e.rule_number()?).ok()?,
                    egress: e.egress()?,
                    protocol: e.protocol()?.to_string(),
                    rule_action: match e.rule_action()?.as_str() {
                        "allow" => RuleAction::Allow,
                        _ => RuleAction::Deny,
                    },
                    cidr_block: e.cidr_block().and_then(|c| c.parse().ok()),
                    port_range: e.port_range().and_then(|p| {
                        Some(PortRange {
                            from: u16::try_from(p.from()?).ok()?,
                            to: u16::try_from(p.to()?).ok()?,
                        })
                    }),
                })
            })
            .collect(),
    }
}
