//! VPC networking: the resources a packet from the task crosses.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vpc {
    pub id: String,
    /// The primary CIDR first, then the associated ones.
    #[serde(deserialize_with = "cidr::list")]
    pub cidr_blocks: Vec<Ipv4Net>,
    /// `None`: the attribute was not read (unknown).
    #[serde(default)]
    pub enable_dns_support: Option<bool>,
    #[serde(default)]
    pub enable_dns_hostnames: Option<bool>,
    /// DNS servers of the VPC's DHCP option set. `["AmazonProvidedDNS"]` is the default (the
    /// Amazon DNS server is also named by address: see [`Vpc::is_amazon_dns`]); `None`: not
    /// read.
    #[serde(default)]
    pub dhcp_dns_servers: Option<Vec<String>>,
}

impl Vpc {
    /// Whether a DHCP `domain-name-servers` entry is the Amazon DNS server (Route 53
    /// Resolver): `AmazonProvidedDNS`, or its address, "169.254.169.253 (IPv4), fd00:ec2::253
    /// (IPv6), and … the primary private IPV4 CIDR range provisioned to your VPC plus two"
    /// (VPC User Guide, "Amazon DNS server"; "For VPCs with multiple CIDR blocks, the IP
    /// address of the DNS server is located in the primary CIDR", "Subnet CIDR blocks").
    pub fn is_amazon_dns(&self, server: &str) -> bool {
        let server = server.trim();
        if server.eq_ignore_ascii_case("AmazonProvidedDNS") {
            return true;
        }
        match server.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(address)) => {
                address == Ipv4Addr::new(169, 254, 169, 253)
                    || self.cidr_blocks.first().is_some_and(|primary| {
                        u32::from(primary.network()) + 2 == u32::from(address)
                    })
            }
            Ok(std::net::IpAddr::V6(address)) => {
                address
                    == "fd00:ec2::253"
                        .parse::<std::net::Ipv6Addr>()
                        .expect("an address")
            }
            Err(_) => false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    #[serde(deserialize_with = "cidr::one")]
    pub cidr_block: Ipv4Net,
    #[serde(default)]
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub map_public_ip_on_launch: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    /// True for the VPC's main route table (used by subnets without an explicit association).
    pub main: bool,
    /// Subnets explicitly associated with this table.
    pub subnet_ids: Vec<String>,
    pub routes: Vec<Route>,
}

/// One route: exactly one of `destination_cidr` / `destination_prefix_list_id` is set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Route {
    #[serde(
        default,
        deserialize_with = "cidr::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub destination_cidr: Option<Ipv4Net>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_prefix_list_id: Option<String>,
    pub target: RouteTarget,
    pub state: RouteState,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RouteTarget {
    pub kind: RouteTargetKind,
    /// Absent only for `local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum RouteTargetKind {
    Local,
    InternetGateway,
    EgressOnlyInternetGateway,
    NatGateway,
    /// A gateway VPC endpoint (S3, DynamoDB); its routes have a prefix-list destination.
    VpcEndpoint,
    TransitGateway,
    PeeringConnection,
    VpnGateway,
    NetworkInterface,
    Instance,
    LocalGateway,
    CarrierGateway,
    CoreNetwork,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RouteState {
    Active,
    Blackhole,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InternetGateway {
    pub id: String,
    /// VPCs the gateway is attached to (state `available`/`attached`).
    pub attached_vpc_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NatGateway {
    pub id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub state: NatState,
    pub connectivity_type: NatConnectivity,
    /// The public (Elastic IP) addresses of a public NAT gateway: what AWS sees as the source
    /// of calls that leave through it (`aws:SourceIp`). `None`: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ips: Option<Vec<Ipv4Addr>>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum NatState {
    Pending,
    Failed,
    Available,
    Deleting,
    Deleted,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum NatConnectivity {
    Public,
    Private,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VpcEndpoint {
    pub id: String,
    pub vpc_id: String,
    /// e.g. `com.amazonaws.us-east-1.ecr.dkr`.
    pub service_name: String,
    pub endpoint_type: EndpointType,
    /// e.g. `available`, `pending`, `rejected`, `failed`, `deleted`.
    pub state: String,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub route_table_ids: Vec<String>,
    pub private_dns_enabled: bool,
    /// The endpoint policy (IAM policy JSON). `None`: the endpoint has no custom policy, which
    /// AWS treats as full access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum EndpointType {
    Interface,
    Gateway,
    GatewayLoadBalancer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub vpc_id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}

/// One security-group rule with one peer, as `DescribeSecurityGroupRules` returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SgRule {
    /// `-1` (all), `tcp`, `udp`, `icmp`, or an IP protocol number.
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    #[serde(
        default,
        deserialize_with = "cidr::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub cidr_ipv4: Option<Ipv4Net>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referenced_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_list_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkAcl {
    pub id: String,
    pub vpc_id: String,
    /// The VPC's default ACL (used by subnets not associated with another ACL).
    pub is_default: bool,
    pub subnet_ids: Vec<String>,
    pub entries: Vec<NaclEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NaclEntry {
    /// Evaluated in ascending order; 32767 is the final `*` rule.
    pub rule_number: u16,
    pub egress: bool,
    /// `-1` (all), or an IP protocol number (`6` = TCP).
    pub protocol: String,
    pub rule_action: RuleAction,
    #[serde(
        default,
        deserialize_with = "cidr::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub cidr_block: Option<Ipv4Net>,
    /// Only for TCP/UDP; absent means all ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range: Option<PortRange>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrefixList {
    pub id: String,
    /// e.g. `com.amazonaws.us-east-1.s3`.
    pub name: String,
    #[serde(deserialize_with = "cidr::list")]
    pub cidrs: Vec<Ipv4Net>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransitGateway {
    pub id: String,
    pub state: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeeringConnection {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub requester_vpc_id: Option<String>,
    #[serde(default)]
    pub accepter_vpc_id: Option<String>,
}

/// Reading CIDRs strictly: exactly as EC2 writes them. EC2 stores every CIDR in canonical form
/// ("We modify the specified CIDR block to its canonical form", EC2 API Reference, CreateVpc,
/// CreateSubnet, CreateRoute, CreateNetworkAclEntry; "DescribeSecurityGroupRules calls will
/// return the canonicalized form", AuthorizeSecurityGroupIngress) and describes it in decimal
/// without leading zeros. `010.0.0.0/16` therefore never comes from AWS, and it is ambiguous:
/// the `ipnet` crate reads it as 10.0.0.0/16, C's `inet_aton` as 8.0.0.0/16. Such a CIDR (or a
/// prefix length written `/08`) is refused, naming the field, rather than guessed.
mod cidr {
    use ipnet::Ipv4Net;
    use serde::{de::Error, Deserialize, Deserializer};

    /// `text` as a CIDR, if it is written as EC2 writes one.
    pub(super) fn parse(text: &str) -> Result<Ipv4Net, String> {
        let net: Ipv4Net = text
            .parse()
            .map_err(|_| format!("`{text}` is not an IPv4 CIDR (such as 10.0.0.0/16)"))?;
        // ipnet takes leading zeros (`010`, `/08`); printed back, they are gone.
        if net.to_string() != text {
            return Err(format!(
                "`{text}` is not a CIDR as EC2 writes it: a number with a leading zero is ambiguous (octal to some parsers); write {net}"
            ));
        }
        Ok(net)
    }

    pub(super) fn one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Ipv4Net, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(D::Error::custom)
    }

    pub(super) fn optional<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Ipv4Net>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| parse(&text).map_err(D::Error::custom))
            .transpose()
    }

    pub(super) fn list<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Ipv4Net>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| parse(text).map_err(D::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_amazon_dns_server_by_name_and_address() {
        let vpc = Vpc {
            id: "vpc-1".into(),
            cidr_blocks: vec![
                "10.0.0.0/16".parse().unwrap(),
                "10.1.0.0/16".parse().unwrap(),
            ],
            enable_dns_support: Some(true),
            enable_dns_hostnames: Some(true),
            dhcp_dns_servers: None,
        };
        for amazon in [
            "AmazonProvidedDNS",
            "169.254.169.253",
            "10.0.0.2",
            "fd00:ec2::253",
        ] {
            assert!(vpc.is_amazon_dns(amazon), "{amazon}");
        }
        // Only the primary CIDR's base + 2; other addresses are custom servers.
        for custom in ["10.1.0.2", "10.0.0.3", "8.8.8.8", "corp-dns"] {
            assert!(!vpc.is_amazon_dns(custom), "{custom}");
        }
    }

    #[test]
    fn cidrs_with_leading_zeros_are_refused_by_field() {
        assert_eq!(
            cidr::parse("10.0.0.0/16").unwrap(),
            "10.0.0.0/16".parse::<Ipv4Net>().unwrap()
        );
        assert!(cidr::parse("0.0.0.0/0").is_ok());
        for bad in [
            "010.0.0.0/16",
            "10.0.00.0/16",
            "10.0.0.0/08",
            "10.0.0.0/016",
        ] {
            assert!(cidr::parse(bad).is_err(), "{bad}");
        }
        let error = cidr::parse("010.0.0.0/16").unwrap_err();
        assert!(
            error.contains("leading zero") && error.contains("write 10.0.0.0/16"),
            "{error}"
        );
        let subnet = r#"{"id":"subnet-1","vpc_id":"vpc-1","cidr_block":"010.0.1.0/24"}"#;
        let error = serde_json::from_str::<Subnet>(subnet)
            .unwrap_err()
            .to_string();
        assert!(error.contains("`010.0.1.0/24`"), "{error}");
        let rule = r#"{"protocol":"tcp","cidr_ipv4":"10.0.0.0/08"}"#;
        assert!(serde_json::from_str::<SgRule>(rule).is_err());
        let rule = r#"{"protocol":"tcp","cidr_ipv4":null}"#;
        assert!(serde_json::from_str::<SgRule>(rule)
            .unwrap()
            .cidr_ipv4
            .is_none());
        let list = r#"{"id":"pl-1","name":"s3","cidrs":["52.216.0.0/15","054.231.0.0/17"]}"#;
        assert!(serde_json::from_str::<PrefixList>(list).is_err());
        // Addresses go through the standard library, which refuses leading zeros itself.
        assert!("010.0.0.1".parse::<Ipv4Addr>().is_err());
    }
}
