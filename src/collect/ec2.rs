//! EC2: the network of the VPCs the services run in, filtered by VPC, fetched concurrently in
//! dependency waves (subnets → everything of their VPCs → what those name).

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{self as sdk, Filter, VpcAttributeName};
use futures::future::try_join_all;

use super::calls::{attempt, Call, CollectError, Session};
use super::distrust::{answers_exactly, trusted};
use super::ec2_model::{
    cidrs_of, convert_acl, convert_endpoint, convert_internet_gateway, convert_nat_gateway,
    convert_route_table, convert_security_group, convert_subnet,
};
use crate::model::{
    InternetGateway, NatGateway, NetworkAcl, PeeringConnection, PrefixList, RouteTable,
    RouteTargetKind, SecurityGroup, Subnet, TransitGateway, Vpc, VpcEndpoint,
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

impl Network {
    /// Collected, and nothing in it.
    fn empty() -> Self {
        Network {
            vpcs: Some(Vec::new()),
            subnets: Some(Vec::new()),
            route_tables: Some(Vec::new()),
            internet_gateways: Some(Vec::new()),
            nat_gateways: Some(Vec::new()),
            vpc_endpoints: Some(Vec::new()),
            security_groups: Some(Vec::new()),
            network_acls: Some(Vec::new()),
            prefix_lists: Some(Vec::new()),
            transit_gateways: Some(Vec::new()),
            peering_connections: Some(Vec::new()),
        }
    }
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

/// Every item of a paginated EC2 request (all pages), or `None` when the call is denied.
macro_rules! paged {
    ($session:expr, $operation:literal, $collection:literal, $request:expr) => {
        attempt(
            $session,
            call($operation, $collection),
            $request.into_paginator().items().send().try_collect(),
        )
    };
}

fn filter(name: &str, values: &[String]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.to_vec()))
        .build()
}

pub async fn network(
    client: &aws_sdk_ec2::Client,
    session: &Session,
    region: &str,
    service_subnets: &BTreeSet<String>,
) -> Result<Network, CollectError> {
    // No subnets, no network to read (an empty id list would list every subnet).
    if service_subnets.is_empty() {
        return Ok(Network::empty());
    }
    let vpc_ids = vpcs_in_play(client, session, service_subnets).await?;
    if vpc_ids.is_empty() {
        return Ok(Network::default());
    }
    let contents = read_vpc_contents(client, session, &vpc_ids)
        .await?
        .checked(session, &vpc_ids);
    let tables: Option<Vec<RouteTable>> = contents
        .tables
        .map(|t| t.iter().map(convert_route_table).collect());
    let groups: Option<Vec<SecurityGroup>> = contents
        .groups
        .map(|g| g.iter().map(convert_security_group).collect());
    let named = read_named(
        client,
        session,
        region,
        contents.vpcs.as_deref(),
        tables.as_deref(),
        groups.as_deref(),
    )
    .await?;
    Ok(Network {
        vpcs: convert_vpcs(contents.vpcs, &contents.attributes, &named.dns_servers),
        subnets: contents
            .subnets
            .map(|s| s.iter().filter_map(convert_subnet).collect()),
        route_tables: tables,
        internet_gateways: contents
            .gateways
            .map(|g| g.iter().map(convert_internet_gateway).collect()),
        nat_gateways: contents
            .nats
            .map(|n| n.iter().map(convert_nat_gateway).collect()),
        vpc_endpoints: contents
            .endpoints
            .map(|e| e.iter().map(convert_endpoint).collect()),
        security_groups: groups,
        network_acls: contents.acls.map(|a| a.iter().map(convert_acl).collect()),
        prefix_lists: named.prefix_lists,
        transit_gateways: named.transit_gateways,
        peering_connections: named.peering_connections,
    })
}

/// Wave 1: the VPCs in play, as the services' subnets name them; empty when the subnets
/// cannot be read (or their reply is damaged).
async fn vpcs_in_play(
    client: &aws_sdk_ec2::Client,
    session: &Session,
    service_subnets: &BTreeSet<String>,
) -> Result<Vec<String>, CollectError> {
    let ids: Vec<String> = service_subnets.iter().cloned().collect();
    let request = client
        .describe_subnets()
        .set_subnet_ids(Some(ids.clone()))
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let placed = attempt(session, call("DescribeSubnets", "subnets"), request).await?;
    let placed = answers_exactly(session, call("DescribeSubnets", "subnets"), &ids, placed);
    let Some(placed) = placed else {
        return Ok(Vec::new());
    };
    Ok(placed
        .iter()
        .filter_map(|s| s.vpc_id().map(str::to_string))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect())
}

/// Everything of the VPCs in play, as EC2 returns it; each list `None` when its call was
/// denied (or, once checked, its reply is damaged).
struct VpcContents {
    subnets: Option<Vec<sdk::Subnet>>,
    vpcs: Option<Vec<sdk::Vpc>>,
    tables: Option<Vec<sdk::RouteTable>>,
    gateways: Option<Vec<sdk::InternetGateway>>,
    nats: Option<Vec<sdk::NatGateway>>,
    endpoints: Option<Vec<sdk::VpcEndpoint>>,
    groups: Option<Vec<sdk::SecurityGroup>>,
    acls: Option<Vec<sdk::NetworkAcl>>,
    /// Per VPC: its id, `enableDnsSupport` and `enableDnsHostnames`.
    attributes: Vec<(String, Option<bool>, Option<bool>)>,
}

/// Wave 2: everything of the VPCs `vpc_ids`, concurrently.
async fn read_vpc_contents(
    client: &aws_sdk_ec2::Client,
    session: &Session,
    vpc_ids: &[String],
) -> Result<VpcContents, CollectError> {
    let by_vpc = [filter("vpc-id", vpc_ids)];
    let vpc_filter = || Some(by_vpc.to_vec());
    let subnets = paged!(
        session,
        "DescribeSubnets",
        "subnets",
        client.describe_subnets().set_filters(vpc_filter())
    );
    let vpcs = paged!(
        session,
        "DescribeVpcs",
        "vpcs",
        client.describe_vpcs().set_vpc_ids(Some(vpc_ids.to_vec()))
    );
    let tables = paged!(
        session,
        "DescribeRouteTables",
        "route_tables",
        client.describe_route_tables().set_filters(vpc_filter())
    );
    let gateways = paged!(
        session,
        "DescribeInternetGateways",
        "internet_gateways",
        client
            .describe_internet_gateways()
            .filters(filter("attachment.vpc-id", vpc_ids))
    );
    let nats = paged!(
        session,
        "DescribeNatGateways",
        "nat_gateways",
        client
            .describe_nat_gateways()
            .filter(filter("vpc-id", vpc_ids))
    );
    let endpoints = paged!(
        session,
        "DescribeVpcEndpoints",
        "vpc_endpoints",
        client.describe_vpc_endpoints().set_filters(vpc_filter())
    );
    let groups = paged!(
        session,
        "DescribeSecurityGroups",
        "security_groups",
        client.describe_security_groups().set_filters(vpc_filter())
    );
    let acls = paged!(
        session,
        "DescribeNetworkAcls",
        "network_acls",
        client.describe_network_acls().set_filters(vpc_filter())
    );
    let attributes = try_join_all(vpc_ids.iter().map(|id| dns_attributes(client, session, id)));
    let (subnets, vpcs, tables, gateways, nats, endpoints, groups, acls, attributes) = tokio::try_join!(
        subnets, vpcs, tables, gateways, nats, endpoints, groups, acls, attributes
    )?;
    Ok(VpcContents {
        subnets,
        vpcs,
        tables,
        gateways,
        nats,
        endpoints,
        groups,
        acls,
        attributes,
    })
}

impl VpcContents {
    /// Each list must be whole: an item without its id, or a VPC not asked for (`vpc_ids`),
    /// is a damaged reply (a gap), not data.
    fn checked(self, session: &Session, vpc_ids: &[String]) -> VpcContents {
        let subnets = trusted(session, call("DescribeSubnets", "subnets"), self.subnets);
        let vpcs = answers_exactly(session, call("DescribeVpcs", "vpcs"), vpc_ids, self.vpcs);
        let tables = trusted(
            session,
            call("DescribeRouteTables", "route_tables"),
            self.tables,
        );
        let gateways = trusted(
            session,
            call("DescribeInternetGateways", "internet_gateways"),
            self.gateways,
        );
        let nats = trusted(
            session,
            call("DescribeNatGateways", "nat_gateways"),
            self.nats,
        );
        let endpoints = trusted(
            session,
            call("DescribeVpcEndpoints", "vpc_endpoints"),
            self.endpoints,
        );
        let groups = trusted(
            session,
            call("DescribeSecurityGroups", "security_groups"),
            self.groups,
        );
        let acls = trusted(
            session,
            call("DescribeNetworkAcls", "network_acls"),
            self.acls,
        );
        VpcContents {
            subnets,
            vpcs,
            tables,
            gateways,
            nats,
            endpoints,
            groups,
            acls,
            attributes: self.attributes,
        }
    }
}

/// What the VPCs, routes and rules name; each `None` when not collected.
struct Named {
    /// DNS servers per DHCP option set.
    dns_servers: Option<Vec<(String, Vec<String>)>>,
    prefix_lists: Option<Vec<PrefixList>>,
    transit_gateways: Option<Vec<TransitGateway>>,
    peering_connections: Option<Vec<PeeringConnection>>,
}

/// Wave 3: what those name — DHCP options, prefix lists, transit gateways, peerings.
async fn read_named(
    client: &aws_sdk_ec2::Client,
    session: &Session,
    region: &str,
    vpcs: Option<&[sdk::Vpc]>,
    tables: Option<&[RouteTable]>,
    groups: Option<&[SecurityGroup]>,
) -> Result<Named, CollectError> {
    let dhcp_ids: Vec<String> = vpcs
        .into_iter()
        .flatten()
        .filter_map(|v| v.dhcp_options_id().map(str::to_string))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let referenced_lists = referenced_prefix_lists(tables, groups);
    let (tgw_ids, peering_ids) = referenced_gateways(tables);
    let (dns_servers, prefix_lists, transit_gateways, peering_connections) = tokio::try_join!(
        dhcp_servers(client, session, &dhcp_ids),
        prefix_lists(client, session, region, &referenced_lists),
        transit_gateways(client, session, &tgw_ids),
        peering_connections(client, session, &peering_ids),
    )?;
    Ok(Named {
        dns_servers,
        prefix_lists,
        transit_gateways,
        peering_connections,
    })
}

/// The VPCs as the snapshot holds them, with their DNS attributes and resolvers.
fn convert_vpcs(
    vpcs: Option<Vec<sdk::Vpc>>,
    attributes: &[(String, Option<bool>, Option<bool>)],
    dns_servers: &Option<Vec<(String, Vec<String>)>>,
) -> Option<Vec<Vpc>> {
    vpcs.map(|vpcs| {
        vpcs.iter()
            .map(|v| {
                let id = v.vpc_id().unwrap_or_default().to_string();
                let (support, hostnames) = attributes
                    .iter()
                    .find(|(vpc, ..)| *vpc == id)
                    .map_or((None, None), |(_, s, h)| (*s, *h));
                Vpc {
                    cidr_blocks: cidrs_of(v),
                    id,
                    enable_dns_support: support,
                    enable_dns_hostnames: hostnames,
                    dhcp_dns_servers: resolvers(v.dhcp_options_id(), dns_servers),
                }
            })
            .collect()
    })
}

/// The DNS servers of a VPC whose DHCP option set is `dhcp`; `None` when unknown.
fn resolvers(
    dhcp: Option<&str>,
    dns_servers: &Option<Vec<(String, Vec<String>)>>,
) -> Option<Vec<String>> {
    match (dns_servers, dhcp) {
        // No DHCP option set: the Amazon resolver.
        (_, None) | (_, Some("default")) => Some(vec!["AmazonProvidedDNS".to_string()]),
        (Some(found), Some(dhcp)) => found
            .iter()
            .find(|(d, _)| d == dhcp)
            .map(|(_, s)| s.clone()),
        (None, Some(_)) => None,
    }
}

async fn dns_attributes(
    client: &aws_sdk_ec2::Client,
    session: &Session,
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
        attempt(session, call("DescribeVpcAttribute", "vpcs"), support),
        attempt(session, call("DescribeVpcAttribute", "vpcs"), hostnames),
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
    session: &Session,
    ids: &[String],
) -> Result<Option<Vec<(String, Vec<String>)>>, CollectError> {
    let ids: Vec<String> = ids.iter().filter(|id| *id != "default").cloned().collect();
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let request = client
        .describe_dhcp_options()
        .set_dhcp_options_ids(Some(ids.clone()))
        .into_paginator()
        .items()
        .send()
        .try_collect();
    let options = attempt(session, call("DescribeDhcpOptions", "vpcs"), request).await?;
    let Some(options) =
        answers_exactly(session, call("DescribeDhcpOptions", "vpcs"), &ids, options)
    else {
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
    session: &Session,
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
        session,
        call("DescribeManagedPrefixLists", "prefix_lists"),
        by_name,
    )
    .await?
    .and_then(|lists| {
        trusted(
            session,
            call("DescribeManagedPrefixLists", "prefix_lists"),
            Some(lists),
        )
    }) else {
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
            .set_prefix_list_ids(Some(missing.clone()))
            .into_paginator()
            .items()
            .send()
            .try_collect();
        match attempt(
            session,
            call("DescribeManagedPrefixLists", "prefix_lists"),
            by_id,
        )
        .await?
        .and_then(|more| answers_exactly_lists(session, &missing, more))
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
                session,
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
    session: &Session,
    ids: &[String],
) -> Result<Option<Vec<TransitGateway>>, CollectError> {
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let found = paged!(
        session,
        "DescribeTransitGateways",
        "transit_gateways",
        client
            .describe_transit_gateways()
            .set_transit_gateway_ids(Some(ids.to_vec()))
    );
    let found = answers_exactly(
        session,
        call("DescribeTransitGateways", "transit_gateways"),
        ids,
        found.await?,
    );
    Ok(found.map(|found| {
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
    session: &Session,
    ids: &[String],
) -> Result<Option<Vec<PeeringConnection>>, CollectError> {
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let found = paged!(
        session,
        "DescribeVpcPeeringConnections",
        "peering_connections",
        client
            .describe_vpc_peering_connections()
            .set_vpc_peering_connection_ids(Some(ids.to_vec()))
    );
    let found = answers_exactly(
        session,
        call("DescribeVpcPeeringConnections", "peering_connections"),
        ids,
        found.await?,
    );
    Ok(found.map(|found| {
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

/// Prefix lists asked for by id must each be answered (their ids are in `PrefixListId`).
fn answers_exactly_lists(
    session: &Session,
    asked: &[String],
    lists: Vec<aws_sdk_ec2::types::ManagedPrefixList>,
) -> Option<Vec<aws_sdk_ec2::types::ManagedPrefixList>> {
    let call = call("DescribeManagedPrefixLists", "prefix_lists");
    answers_exactly(session, call, asked, Some(lists))
}
