//! VPC networking: the resources a packet from the task crosses.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vpc {
    pub id: String,
    pub cidr_blocks: Vec<Ipv4Net>,
    /// `None`: the attribute was not read (unknown).
    #[serde(default)]
    pub enable_dns_support: Option<bool>,
    #[serde(default)]
    pub enable_dns_hostnames: Option<bool>,
    /// DNS servers of the VPC's DHCP option set. `["AmazonProvidedDNS"]` is the default;
    /// `None`: not read.
    #[serde(default)]
    pub dhcp_dns_servers: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
