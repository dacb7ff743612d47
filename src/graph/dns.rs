//! The DNS family: VPC_DNS_DISABLED, CUSTOM_DNS_SERVERS and ENDPOINT_PRIVATE_DNS_DISABLED are
//! worded here (a test holds each code to one file). Public names need the Amazon-provided
//! resolver when the VPC uses it; an interface endpoint's private DNS needs both VPC DNS
//! attributes and the Amazon resolver
//! (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html#interface-endpoint-private-dns,
//! https://docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html).

use super::placement::Placement;
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::fix::{Alternative, Change, DnsAttribute};
use crate::model::VpcEndpoint;

/// DNS for public names needs the VPC resolver (`enableDnsSupport`) when the VPC uses it.
pub fn public_dns_blockers(placement: &Placement<'_, '_>) -> Vec<Blocker> {
    let vpc = placement.vpc;
    let amazon_dns = vpc
        .dhcp_dns_servers
        .as_ref()
        .is_none_or(|servers| servers.iter().any(|s| s == "AmazonProvidedDNS"));
    match vpc.enable_dns_support {
        Some(false) if amazon_dns => vec![Blocker::new(
            Code::VpcDnsDisabled,
            &vpc.id,
            format!("VPC {} has enableDnsSupport off: the Amazon-provided resolver does not answer, so no service name resolves", vpc.id),
            format!("aws ec2 modify-vpc-attribute --vpc-id {} --enable-dns-support '{{\"Value\":true}}'", vpc.id),
        )
        .with_remedy(vec![Alternative::direct(Change::EnableVpcDns {
            vpc_id: vpc.id.clone(),
            attribute: DnsAttribute::DnsSupport,
        })])],
        None if amazon_dns => vec![Blocker::new(
            Code::NotCollected,
            &vpc.id,
            format!(
                "the DNS attributes of VPC {} were not collected, so name resolution cannot be checked{}",
                vpc.id,
                placement.index.snapshot.why_not_collected("vpcs")
            ),
            "Collect the VPC attributes (ec2:DescribeVpcAttribute).",
        )],
        _ => Vec::new(),
    }
}

/// Does the service name resolve to this interface endpoint inside the VPC? Returns the
/// blockers that stop it (empty: DNS leads to the endpoint).
pub fn private_dns_blockers(placement: &Placement<'_, '_>, endpoint: &VpcEndpoint) -> Vec<Blocker> {
    let vpc = placement.vpc;
    let mut blockers = Vec::new();
    if !endpoint.private_dns_enabled {
        blockers.push(Blocker::new(
            Code::EndpointPrivateDnsDisabled,
            &endpoint.id,
            format!(
                "interface endpoint {} ({}) has private DNS disabled, so the service name resolves to public IPs and the call bypasses the endpoint",
                endpoint.id, endpoint.service_name
            ),
            format!("aws ec2 modify-vpc-endpoint --vpc-endpoint-id {} --private-dns-enabled", endpoint.id),
        ).with_remedy(vec![Alternative::direct(Change::EnableEndpointPrivateDns { endpoint_id: endpoint.id.clone() })]));
    }
    for (name, value, flag, attribute) in [
        (
            "enableDnsSupport",
            vpc.enable_dns_support,
            "--enable-dns-support",
            DnsAttribute::DnsSupport,
        ),
        (
            "enableDnsHostnames",
            vpc.enable_dns_hostnames,
            "--enable-dns-hostnames",
            DnsAttribute::DnsHostnames,
        ),
    ] {
        match value {
            Some(true) => {}
            Some(false) => blockers.push(Blocker::new(
                Code::VpcDnsDisabled,
                &vpc.id,
                format!(
                    "VPC {} has {name} off, so the private DNS of endpoint {} does not apply",
                    vpc.id, endpoint.id
                ),
                format!(
                    "aws ec2 modify-vpc-attribute --vpc-id {} {flag} '{{\"Value\":true}}'",
                    vpc.id
                ),
            )
            .with_remedy(vec![Alternative::direct(Change::EnableVpcDns {
                vpc_id: vpc.id.clone(),
                attribute,
            })])),
            None => blockers.push(Blocker::new(
                Code::NotCollected,
                &vpc.id,
                format!(
                    "{name} of VPC {} was not collected, so endpoint private DNS cannot be checked{}",
                    vpc.id,
                    placement.index.snapshot.why_not_collected("vpcs")
                ),
                "Collect the VPC attributes (ec2:DescribeVpcAttribute).",
            )),
        }
    }
    match &vpc.dhcp_dns_servers {
        // Every server must be the Amazon one: a resolver asks the first that answers, and a
        // custom server need not know the endpoint's private names.
        Some(servers) if !servers.is_empty() && servers.iter().all(|s| vpc.is_amazon_dns(s)) => {}
        Some(servers) => blockers.push(Blocker::new(
            Code::CustomDnsServers,
            &vpc.id,
            format!(
                "VPC {} uses DNS servers {} (DHCP options); endpoint private DNS works only if they forward amazonaws.com queries to the VPC resolver",
                vpc.id,
                servers.join(", ")
            ),
            format!("Make {} forward to the VPC resolver (the VPC CIDR base +2), or add AmazonProvidedDNS to the DHCP options of {}.", servers.join(", "), vpc.id),
        )),
        None => blockers.push(Blocker::new(
            Code::NotCollected,
            &vpc.id,
            format!(
                "the DHCP DNS servers of VPC {} were not collected, so endpoint private DNS cannot be checked{}",
                vpc.id,
                placement.index.snapshot.why_not_collected("vpcs")
            ),
            "Collect the VPC's DHCP options (ec2:DescribeDhcpOptions).",
        )),
    }
    blockers
}
