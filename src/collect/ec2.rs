//! EC2: the network of the VPCs the services run in, filtered by VPC, fetched concurrently in
//! dependency waves (subnets → everything of their VPCs → what those name).

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, VpcAttributeName};
use futures::future::try_join_all;

use super::calls::{attempt, Call, CollectError, Gaps};
use crate::model::{
    EndpointType, InternetGateway, NaclEntry, NatConnectivity, NatGateway, NatState, NetworkAcl,
    PeeringConnection, PortRange, PrefixList, Route, RouteState, RouteTable, RouteTarget,
    RouteTargetKind, RuleAction, SecurityGroup, SgRule, Subnet, TransitGateway, Vpc, VpcEndpoint,
};

/// The network part of a snapshot: each list `None` when its call was denied.
#[derive(Debug, Default)]
pub struct Network {
    pub vpcs: Option<Vec<Vpc>>,
    pub subnets: Option<Vec<Subnet>>,
    pub route_tables: Option<Vec<RouteTable>>,
    pub internet_gateways: Option<Vec<InternetGateway>>,
    pub nat_gateways: Option<Vec<NatGateway>>,
    pub vpc_endpoints: Option<Vec<VpcEndpoint>>,
    pub security_groups: Option<Vec<SecurityGroup>>,
    pub network_acls: Option<Vec<NetworkAcl>>,
    pub prefix_lists: Option<Vec<PrefixList>>,
    pub transit_gateways: Option<Vec<TransitGateway>>,
    pub peering_connections: Option<Vec<PeeringConnection>>,
}

fn call(operation: &'static str, collection: &'static str) -> Call {
    // Every EC2 action is named after its operation.
    let action = match operation {
        "DescribeSubnets" => "ec2:DescribeSubnets",
        "DescribeVpcs" => "ec2:DescribeVpcs",
        "DescribeVpcAttribute" => "ec2:DescribeVpcAttribute",
        "DescribeDhcpOptions" => "ec2:DescribeDhcpOptions",
        "DescribeRouteTables" => "ec2:DescribeRouteTables",
        "DescribeInternetGateways" => "ec2:DescribeInternetGateways",
        "DescribeNatGateways" => "ec2:DescribeNatGateways",
        "DescribeVpcEndpoints" => "ec2:DescribeVpcEndpoints",
        "DescribeSecurityGroups" => "ec2:DescribeSecurityGroups",
        "DescribeNetworkAcls" => "ec2:DescribeNetworkAcls",
        "DescribeManagedPrefixLists" => "ec2:DescribeManagedPrefixLists",
        "GetManagedPrefixListEntries" => "ec2:GetManagedPrefixListEntries",
        "DescribeTransitGateways" => "ec2:DescribeTransitGateways",
        _ => "ec2:DescribeVpcPeeringConnections",
    };
    Call {
        service: "ec2",
        operation,
        action,
        collection,
    }
}

fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
}

pub async fn network(
    client: &aws_sdk_ec2::Client,
    gaps: &Gaps,
    region: &str,
    service_subnets: &BTreeSet<String>,
) -> Result<Network, CollectError> {
    // Wave 1: the services' subnets name the VPCs in play.
    let ids: Vec<String> = service_subnets.iter().cloned().collect();
    let request = client
        .describe_subnets()
        .set_subnet_ids(Some(ids))
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(placed) = attempt(gaps, call("DescribeSubnets", "subnets"), request).await? else {
        return Ok(Network::default());
    };
    let vpc_ids: Vec<String> = placed
        .iter()
        .filter_map(|s| s.vpc_id().map(str::to_string))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if vpc_ids.is_empty() {
        return Ok(Network::default());
    }
    let by_vpc = [filter("vpc-id", &vpc_ids)];

    // Wave 2: everything of those VPCs, concurrently.
    let subnets = async {
        let r = client
            .describe_subnets()
            .set_filters(Some(by_vpc.to_vec()))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        attempt(gaps, call("DescribeSubnets", "subnets"), r).await
    };
    let vpcs = async {
        let r = client
            .describe_vpcs()
            .set_vpc_ids(Some(vpc_ids.clone()))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        attempt(gaps, call("DescribeVpcs", "vpcs"), r).await
    };
    let tables = async {
        let r = client
            .describe_route_tables()
            .set_filters(Some(by_vpc.to_vec()))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        attempt(gaps, call("DescribeRouteTables", "route_tables"), r).await
    };
    let gateways = async {
        let r = client
            .describe_internet_gateways()
            .filters(filter("attachment.vpc-id", &vpc_ids))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        attempt(
            gaps,
            call("DescribeInternetGateways", "internet_gateways"),
            r,
        )
        .await
    };
    let nats = async {
        let r = client
            .describe_nat_gateways()
            .filter(filter("vpc-id", &vpc_ids))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        attempt(gaps, call("DescribeNatGateways", "nat_gateways"), r).await
    };
    let endpoints = async {
        let r = client
            .describe_vpc_endpoints()
            .set_filters(Some(by_vpc.to_vec()))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        attempt(gaps, call("DescribeVpcEndpoints", "vpc_endpoints"), r).await
    };
    let groups = async {
        let r = client
            .describe_security_groups()
            .set_filters(Some(by_vpc.to_vec()))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        attempt(gaps, call("DescribeSecurityGroups", "security_groups"), r).await
    };
    let acls = async {
        let r = client
            .describe_network_acls()
            .set_filters(Some(by_vpc.to_vec()))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        attempt(gaps, call("DescribeNetworkAcls", "network_acls"), r).await
    };
    let attributes = try_join_all(vpc_ids.iter().map(|id| dns_attributes(client, gaps, id)));
    let (subnets, vpcs, tables, gateways, nats, endpoints, groups, acls, attributes) = tokio::try_join!(
        subnets, vpcs, tables, gateways, nats, endpoints, groups, acls, attributes
    )?;

    // Wave 3: what those name — DHCP options, prefix lists, transit gateways, peerings.
    let tables: Option<Vec<RouteTable>> =
        tables.map(|t| t.iter().map(convert_route_table).collect());
    let groups: Option<Vec<SecurityGroup>> =
        groups.map(|g| g.iter().map(convert_security_group).collect());
    let dhcp_ids: Vec<String> = vpcs
        .iter()
        .flatten()
        .filter_map(|v| v.dhcp_options_id().map(str::to_string))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let referenced_lists = referenced_prefix_lists(tables.as_deref(), groups.as_deref());
    let (tgw_ids, peering_ids) = referenced_gateways(tables.as_deref());
    let (dns_servers, prefix_lists, transit_gateways, peering_connections) = tokio::try_join!(
        dhcp_servers(client, gaps, &dhcp_ids),
        prefix_lists(client, gaps, region, &referenced_lists),
        transit_gateways(client, gaps, &tgw_ids),
        peering_connections(client, gaps, &peering_ids),
    )?;

    let vpcs = vpcs.map(|vpcs| {
        vpcs.iter()
            .map(|v| {
                let id = v.vpc_id().unwrap_or_default().to_string();
                let (support, hostnames) = attributes
                    .iter()
                    .find(|(vpc, ..)| *vpc == id)
                    .map_or((None, None), |(_, s, h)| (*s, *h));
                let servers = match (&dns_servers, v.dhcp_options_id()) {
                    // No DHCP option set: the Amazon resolver.
                    (_, None) | (_, Some("default")) => Some(vec!["AmazonProvidedDNS".to_string()]),
                    (Some(found), Some(dhcp)) => found
                        .iter()
                        .find(|(d, _)| d == dhcp)
                        .map(|(_, s)| s.clone()),
                    (None, Some(_)) => None,
                };
                Vpc {
                    cidr_blocks: cidrs_of(v),
                    id,
                    enable_dns_support: support,
                    enable_dns_hostnames: hostnames,
                    dhcp_dns_servers: servers,
                }
            })
            .collect()
    });
    Ok(Network {
        vpcs,
        subnets: subnets.map(|s| s.iter().filter_map(convert_subnet).collect()),
        route_tables: tables,
        internet_gateways: gateways.map(|g| g.iter().map(convert_internet_gateway).collect()),
        nat_gateways: nats.map(|n| n.iter().map(convert_nat_gateway).collect()),
        vpc_endpoints: endpoints.map(|e| e.iter().map(convert_endpoint).collect()),
        security_groups: groups,
        network_acls: acls.map(|a| a.iter().map(convert_acl).collect()),
        prefix_lists,
        transit_gateways,
        peering_connections,
    })
}

async fn dns_attributes(
    client: &aws_sdk_ec2::Client,
    gaps: &Gaps,
    vpc: &str,
) -> Result<(String, Option<bool>, Option<bool>), CollectError> {
    let support = client
        .describe_vpc_attribute()
        .vpc_id(vpc)
        .attribute(VpcAttributeName::EnableDnsSupport)
        .send();
    let hostnames = client
        .describe_vpc_attribute()
        .vpc_id(vpc)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send();
    let (support, hostnames) = tokio::try_join!(
        attempt(gaps, call("DescribeVpcAttribute", "vpcs"), support),
        attempt(gaps, call("DescribeVpcAttribute", "vpcs"), hostnames),
    )?;
    Ok((
        vpc.to_string(),
        support.and_then(|o| o.enable_dns_support().and_then(|v| v.value())),
        hostnames.and_then(|o| o.enable_dns_hostnames().and_then(|v| v.value())),
    ))
}

/// DNS servers per DHCP option set; `None` when denied.
async fn dhcp_servers(
    client: &aws_sdk_ec2::Client,
    gaps: &Gaps,
    ids: &[String],
) -> Result<Option<Vec<(String, Vec<String>)>>, CollectError> {
    let ids: Vec<String> = ids.iter().filter(|id| *id != "default").cloned().collect();
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let request = client
        .describe_dhcp_options()
        .set_dhcp_options_ids(Some(ids))
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(options) = attempt(gaps, call("DescribeDhcpOptions", "vpcs"), request).await? else {
        return Ok(None);
    };
    Ok(Some(
        options
            .iter()
            .map(|o| {
                let servers = o
                    .dhcp_configurations()
                    .iter()
                    .filter(|c| c.key() == Some("domain-name-servers"))
                    .flat_map(|c| {
                        c.values()
                            .iter()
                            .filter_map(|v| v.value().map(str::to_string))
                    })
                    .collect::<Vec<_>>();
                let servers = if servers.is_empty() {
                    vec!["AmazonProvidedDNS".to_string()]
                } else {
                    servers
                };
                (o.dhcp_options_id().unwrap_or_default().to_string(), servers)
            })
            .collect(),
    ))
}

/// Prefix lists named by routes and security-group rules.
fn referenced_prefix_lists(
    tables: Option<&[RouteTable]>,
    groups: Option<&[SecurityGroup]>,
) -> BTreeSet<String> {
    let from_routes = tables.into_iter().flatten().flat_map(|t| {
        t.routes
            .iter()
            .filter_map(|r| r.destination_prefix_list_id.clone())
    });
    let from_rules = groups.into_iter().flatten().flat_map(|g| {
        g.ingress
            .iter()
            .chain(g.egress.iter())
            .filter_map(|r| r.prefix_list_id.clone())
    });
    from_routes.chain(from_rules).collect()
}

/// The region's S3 list (layers) and every list the VPC's routes and rules name, with entries.
async fn prefix_lists(
    client: &aws_sdk_ec2::Client,
    gaps: &Gaps,
    region: &str,
    referenced: &BTreeSet<String>,
) -> Result<Option<Vec<PrefixList>>, CollectError> {
    let s3 = vec![format!("com.amazonaws.{region}.s3")];
    let by_name = client
        .describe_managed_prefix_lists()
        .filters(filter("prefix-list-name", &s3))
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let Some(mut lists) = attempt(
        gaps,
        call("DescribeManagedPrefixLists", "prefix_lists"),
        by_name,
    )
    .await?
    else {
        return Ok(None);
    };
    let missing: Vec<String> = referenced
        .iter()
        .filter(|id| {
            !lists
                .iter()
                .any(|l| l.prefix_list_id() == Some(id.as_str()))
        })
        .cloned()
        .collect();
    if !missing.is_empty() {
        let by_id = client
            .describe_managed_prefix_lists()
            .set_prefix_list_ids(Some(missing))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        match attempt(
            gaps,
            call("DescribeManagedPrefixLists", "prefix_lists"),
            by_id,
        )
        .await?
        {
            Some(more) => lists.extend(more),
            None => return Ok(None),
        }
    }
    let entries = try_join_all(lists.iter().map(|list| {
        let id = list.prefix_list_id().unwrap_or_default().to_string();
        let request = client
            .get_managed_prefix_list_entries()
            .prefix_list_id(&id)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        async move {
            attempt(
                gaps,
                call("GetManagedPrefixListEntries", "prefix_lists"),
                request,
            )
            .await
        }
    }))
    .await?;
    let mut out = Vec::new();
    for (list, entries) in lists.iter().zip(entries) {
        let Some(entries) = entries else {
            return Ok(None);
        };
        out.push(PrefixList {
            id: list.prefix_list_id().unwrap_or_default().to_string(),
            name: list.prefix_list_name().unwrap_or_default().to_string(),
            cidrs: entries
                .iter()
                .filter_map(|e| e.cidr()?.parse().ok())
                .collect(),
        });
    }
    Ok(Some(out))
}

fn referenced_gateways(tables: Option<&[RouteTable]>) -> (Vec<String>, Vec<String>) {
    let mut tgws = BTreeSet::new();
    let mut peerings = BTreeSet::new();
    for route in tables.into_iter().flatten().flat_map(|t| t.routes.iter()) {
        match (route.target.kind, &route.target.id) {
            (RouteTargetKind::TransitGateway, Some(id)) => {
                tgws.insert(id.clone());
            }
            (RouteTargetKind::PeeringConnection, Some(id)) => {
                peerings.insert(id.clone());
            }
            _ => {}
        }
    }
    (tgws.into_iter().collect(), peerings.into_iter().collect())
}

async fn transit_gateways(
    client: &aws_sdk_ec2::Client,
    gaps: &Gaps,
    ids: &[String],
) -> Result<Option<Vec<TransitGateway>>, CollectError> {
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let request = client
        .describe_transit_gateways()
        .set_transit_gateway_ids(Some(ids.to_vec()))
        .into_paginator()
        .items()
        .send()
        .try_collect();
    Ok(attempt(
        gaps,
        call("DescribeTransitGateways", "transit_gateways"),
        request,
    )
    .await?
    .map(|found| {
        found
            .iter()
            .map(|g| TransitGateway {
                id: g.transit_gateway_id().unwrap_or_default().to_string(),
                state: g
                    .state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            })
            .collect()
    }))
}

async fn peering_connections(
    client: &aws_sdk_ec2::Client,
    gaps: &Gaps,
    ids: &[String],
) -> Result<Option<Vec<PeeringConnection>>, CollectError> {
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let request = client
        .describe_vpc_peering_connections()
        .set_vpc_peering_connection_ids(Some(ids.to_vec()))
        .into_paginator()
        .items()
        .send()
        .try_collect();
    Ok(attempt(
        gaps,
        call("DescribeVpcPeeringConnections", "peering_connections"),
        request,
    )
    .await?
    .map(|found| {
        found
            .iter()
            .map(|p| PeeringConnection {
                id: p
                    .vpc_peering_connection_id()
                    .unwrap_or_default()
                    .to_string(),
                status: p
                    .status()
                    .and_then(|s| s.code())
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
                requester_vpc_id: p
                    .requester_vpc_info()
                    .and_then(|i| i.vpc_id())
                    .map(str::to_string),
                accepter_vpc_id: p
                    .accepter_vpc_info()
                    .and_then(|i| i.vpc_id())
                    .map(str::to_string),
            })
            .collect()
    }))
}

fn cidrs_of(vpc: &aws_sdk_ec2::types::Vpc) -> Vec<ipnet::Ipv4Net> {
    let mut cidrs: Vec<ipnet::Ipv4Net> = vpc
        .cidr_block_association_set()
        .iter()
        .filter(|a| {
            a.cidr_block_state()
                .and_then(|s| s.state())
                .is_none_or(|s| s.as_str() == "associated")
        })
        .filter_map(|a| a.cidr_block()?.parse().ok())
        .collect();
    if cidrs.is_empty() {
        cidrs.extend(
            vpc.cidr_block()
                .and_then(|c| c.parse::<ipnet::Ipv4Net>().ok()),
        );
    }
    cidrs
}

fn convert_subnet(s: &aws_sdk_ec2::types::Subnet) -> Option<Subnet> {
    Some(Subnet {
        id: s.subnet_id()?.to_string(),
        vpc_id: s.vpc_id()?.to_string(),
        // IPv6-only subnets have no IPv4 block: tasks there cannot pull over IPv4 anyway.
        cidr_block: s.cidr_block()?.parse().ok()?,
        availability_zone: s.availability_zone().map(str::to_string),
        map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
    })
}

fn convert_route_table(t: &aws_sdk_ec2::types::RouteTable) -> RouteTable {
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

fn convert_route(r: &aws_sdk_ec2::types::Route) -> Option<Route> {
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

fn convert_internet_gateway(g: &aws_sdk_ec2::types::InternetGateway) -> InternetGateway {
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

fn convert_nat_gateway(n: &aws_sdk_ec2::types::NatGateway) -> NatGateway {
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
    }
}

fn convert_endpoint(e: &aws_sdk_ec2::types::VpcEndpoint) -> VpcEndpoint {
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

fn convert_security_group(g: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroup {
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

fn convert_acl(a: &aws_sdk_ec2::types::NetworkAcl) -> NetworkAcl {
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
