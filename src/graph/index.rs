//! Indexes over the snapshot's network resources, built once per audit so each hop is a map
//! lookup plus a scan of *that* resource's rules, never a scan of the account.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use ipnet::Ipv4Net;

use super::rules::{acl_decides, touches, AclOutcome};
use crate::model::{
    InternetGateway, NaclEntry, NatGateway, PeeringConnection, PortRange, PrefixList, Route,
    RouteTable, SecurityGroup, Snapshot, Subnet, TransitGateway, Vpc, VpcEndpoint,
};
use crate::policy::Policy;

/// Why a lookup found nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// The whole collection was not collected: its snapshot field (`network_acls`…).
    NotCollected(&'static str),
    /// Collected, and this id is not in it.
    Missing { what: &'static str, id: String },
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gap::NotCollected(field) => write!(f, "{} were not collected", plural_of(field)),
            Gap::Missing { what, id } => write!(f, "{what} `{id}` is not in the snapshot"),
        }
    }
}

pub type Lookup<T> = Result<T, Gap>;

/// The words for a snapshot field in messages.
pub fn plural_of(field: &str) -> &'static str {
    match field {
        "vpcs" => "VPCs",
        "subnets" => "subnets",
        "route_tables" => "route tables",
        "internet_gateways" => "internet gateways",
        "nat_gateways" => "NAT gateways",
        "vpc_endpoints" => "VPC endpoints",
        "security_groups" => "security groups",
        "network_acls" => "network ACLs",
        "prefix_lists" => "managed prefix lists",
        "transit_gateways" => "transit gateways",
        "peering_connections" => "peering connections",
        _ => "resources",
    }
}

/// A route table with its routes ordered for longest-prefix match.
/// Routes inside a destination, with the CIDR each carries (shared between lookups).
pub type RoutesWithin<'a> = Rc<Vec<(Ipv4Net, &'a Route)>>;

pub struct IndexedRouteTable<'a> {
    pub table: &'a RouteTable,
    /// CIDR routes and prefix-list routes expanded to their CIDRs, most specific first.
    routes: Vec<(Ipv4Net, &'a Route)>,
    /// The same routes by prefix length, then network address: longest-prefix match is at most
    /// 33 hash lookups whatever the table's size.
    by_length: Vec<HashMap<u32, &'a Route>>,
    /// Routes within a destination that touch its public part, per destination (memoized: the
    /// scan is over the whole table).
    within: RefCell<HashMap<Ipv4Net, RoutesWithin<'a>>>,
    /// Prefix-list routes whose list was not collected: any lookup may be shadowed by them.
    pub unresolved_prefix_lists: Vec<&'a str>,
}

impl<'a> IndexedRouteTable<'a> {
    fn new(table: &'a RouteTable, prefix_lists: Option<&HashMap<&'a str, &'a PrefixList>>) -> Self {
        let mut routes = Vec::with_capacity(table.routes.len());
        let mut unresolved = Vec::new();
        for route in &table.routes {
            if let Some(cidr) = route.destination_cidr {
                routes.push((cidr, route));
            } else if let Some(list_id) = route.destination_prefix_list_id.as_deref() {
                match prefix_lists.and_then(|lists| lists.get(list_id)) {
                    Some(list) => routes.extend(list.cidrs.iter().map(|c| (*c, route))),
                    None => unresolved.push(list_id),
                }
            }
        }
        routes.sort_by_key(|(cidr, _)| std::cmp::Reverse(cidr.prefix_len()));
        let mut by_length: Vec<HashMap<u32, &'a Route>> = vec![HashMap::new(); 33];
        for (cidr, route) in &routes {
            // The first route for a destination wins, as in the table's own order.
            by_length[usize::from(cidr.prefix_len())]
                .entry(u32::from(cidr.trunc().network()))
                .or_insert(*route);
        }
        IndexedRouteTable {
            table,
            routes,
            by_length,
            within: RefCell::new(HashMap::new()),
            unresolved_prefix_lists: unresolved,
        }
    }

    /// The most specific route whose destination contains all of `destination`.
    pub fn route_for(&self, destination: Ipv4Net) -> Option<&'a Route> {
        (0..=destination.prefix_len()).rev().find_map(|length| {
            let network = Ipv4Net::new(destination.network(), length).ok()?.trunc();
            self.by_length[usize::from(length)]
                .get(&u32::from(network.network()))
                .copied()
        })
    }

    /// Routes strictly more specific than `destination` that carry part of its public
    /// addresses (see `rules::touches`).
    pub fn public_routes_within(&self, destination: Ipv4Net) -> RoutesWithin<'a> {
        if let Some(found) = self.within.borrow().get(&destination) {
            return Rc::clone(found);
        }
        let found: Rc<Vec<_>> = Rc::new(
            self.routes
                .iter()
                .filter(|(cidr, _)| {
                    destination.contains(cidr)
                        && *cidr != destination
                        && touches(cidr, &destination)
                })
                .map(|(cidr, route)| (*cidr, *route))
                .collect(),
        );
        self.within
            .borrow_mut()
            .insert(destination, Rc::clone(&found));
        found
    }

    /// A route for a prefix list (e.g. the S3 gateway endpoint's route).
    pub fn prefix_list_route(&self, list_id: &str) -> Option<&'a Route> {
        self.table
            .routes
            .iter()
            .find(|r| r.destination_prefix_list_id.as_deref() == Some(list_id))
    }
}

/// A network ACL with its entries split by direction and sorted by rule number.
pub struct IndexedAcl<'a> {
    pub id: &'a str,
    inbound: Vec<&'a NaclEntry>,
    outbound: Vec<&'a NaclEntry>,
    /// Decisions already made: many workloads send the same flows through the same ACL, and
    /// an ACL can hold thousands of entries.
    decided: RefCell<HashMap<(bool, u16, u16, Ipv4Net), AclOutcome>>,
}

impl<'a> IndexedAcl<'a> {
    fn new(acl: &'a crate::model::NetworkAcl) -> Self {
        let mut inbound: Vec<_> = acl.entries.iter().filter(|e| !e.egress).collect();
        let mut outbound: Vec<_> = acl.entries.iter().filter(|e| e.egress).collect();
        inbound.sort_by_key(|e| e.rule_number);
        outbound.sort_by_key(|e| e.rule_number);
        IndexedAcl {
            id: &acl.id,
            inbound,
            outbound,
            decided: RefCell::new(HashMap::new()),
        }
    }

    /// A rule number free in one direction for a new allow rule: the highest below `before` (the
    /// denying rule it must precede, ACL rules being evaluated "starting with the lowest
    /// numbered rule", VPC User Guide, "Network ACL rules"), else the first free from 100.
    pub fn free_rule_number(&self, outbound: bool, before: Option<u16>) -> Option<u16> {
        let entries = if outbound {
            &self.outbound
        } else {
            &self.inbound
        };
        let used = |n: u16| entries.iter().any(|e| e.rule_number == n);
        match before {
            Some(rule) => (1..rule).rev().find(|n| !used(*n)),
            None => (100..32767).find(|n| !used(*n)),
        }
    }

    /// First-match decision for a TCP flow on `ports` to (outbound) or from (inbound) `cidr`.
    pub fn decide(&self, outbound: bool, ports: PortRange, cidr: Ipv4Net) -> AclOutcome {
        let key = (outbound, ports.from, ports.to, cidr);
        if let Some(outcome) = self.decided.borrow().get(&key) {
            return outcome.clone();
        }
        let entries = if outbound {
            &self.outbound
        } else {
            &self.inbound
        };
        let outcome = acl_decides(entries, ports, cidr);
        self.decided.borrow_mut().insert(key, outcome.clone());
        outcome
    }
}

fn by_id<'a, T>(
    items: &'a Option<Vec<T>>,
    id: impl Fn(&'a T) -> &'a str,
) -> Option<HashMap<&'a str, &'a T>> {
    items
        .as_ref()
        .map(|items| items.iter().map(|item| (id(item), item)).collect())
}

pub struct NetworkIndex<'a> {
    pub snapshot: &'a Snapshot,
    vpcs: Option<HashMap<&'a str, &'a Vpc>>,
    subnets: Option<HashMap<&'a str, &'a Subnet>>,
    route_tables: Option<HashMap<&'a str, IndexedRouteTable<'a>>>,
    table_of_subnet: HashMap<&'a str, &'a str>,
    main_table_of_vpc: HashMap<&'a str, &'a str>,
    internet_gateways: Option<HashMap<&'a str, &'a InternetGateway>>,
    nat_gateways: Option<HashMap<&'a str, &'a NatGateway>>,
    endpoints_of_vpc: Option<HashMap<&'a str, Vec<&'a VpcEndpoint>>>,
    security_groups: Option<HashMap<&'a str, &'a SecurityGroup>>,
    acls: Option<HashMap<&'a str, IndexedAcl<'a>>>,
    acl_of_subnet: HashMap<&'a str, &'a str>,
    default_acl_of_vpc: HashMap<&'a str, &'a str>,
    prefix_lists: Option<HashMap<&'a str, &'a PrefixList>>,
    prefix_list_by_name: HashMap<&'a str, &'a PrefixList>,
    transit_gateways: Option<HashMap<&'a str, &'a TransitGateway>>,
    peering_connections: Option<HashMap<&'a str, &'a PeeringConnection>>,
    default_group_of_vpc: HashMap<&'a str, &'a SecurityGroup>,
    /// NAT gateways by VPC, sorted by id (for fixes).
    nat_gateways_of_vpc: HashMap<&'a str, Vec<&'a NatGateway>>,
    /// The attached internet gateway with the smallest id, by VPC (for fixes).
    internet_gateway_of_vpc: HashMap<&'a str, &'a InternetGateway>,
    vpcs_with_endpoint_policies: std::collections::HashSet<&'a str>,
    /// Endpoint policies, parsed once per audit.
    endpoint_policies: HashMap<&'a str, Policy>,
}

impl<'a> NetworkIndex<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let prefix_lists = by_id(&snapshot.prefix_lists, |p| p.id.as_str());
        let prefix_list_by_name = snapshot
            .prefix_lists
            .iter()
            .flatten()
            .map(|p| (p.name.as_str(), p))
            .collect();
        let mut table_of_subnet = HashMap::new();
        let mut main_table_of_vpc = HashMap::new();
        for table in snapshot.route_tables.iter().flatten() {
            for subnet in &table.subnet_ids {
                table_of_subnet.insert(subnet.as_str(), table.id.as_str());
            }
            if table.main {
                main_table_of_vpc.insert(table.vpc_id.as_str(), table.id.as_str());
            }
        }
        let route_tables = snapshot.route_tables.as_ref().map(|tables| {
            tables
                .iter()
                .map(|t| {
                    (
                        t.id.as_str(),
                        IndexedRouteTable::new(t, prefix_lists.as_ref()),
                    )
                })
                .collect()
        });
        let mut acl_of_subnet = HashMap::new();
        let mut default_acl_of_vpc = HashMap::new();
        for acl in snapshot.network_acls.iter().flatten() {
            for subnet in &acl.subnet_ids {
                acl_of_subnet.insert(subnet.as_str(), acl.id.as_str());
            }
            if acl.is_default {
                default_acl_of_vpc.insert(acl.vpc_id.as_str(), acl.id.as_str());
            }
        }
        let acls = snapshot.network_acls.as_ref().map(|acls| {
            acls.iter()
                .map(|a| (a.id.as_str(), IndexedAcl::new(a)))
                .collect()
        });
        let endpoints_of_vpc = snapshot.vpc_endpoints.as_ref().map(|endpoints| {
            let mut map: HashMap<&str, Vec<&VpcEndpoint>> = HashMap::new();
            for e in endpoints {
                map.entry(e.vpc_id.as_str()).or_default().push(e);
            }
            map
        });
        let mut nat_gateways_of_vpc: HashMap<&str, Vec<&NatGateway>> = HashMap::new();
        for nat in snapshot.nat_gateways.iter().flatten() {
            nat_gateways_of_vpc
                .entry(nat.vpc_id.as_str())
                .or_default()
                .push(nat);
        }
        for nats in nat_gateways_of_vpc.values_mut() {
            nats.sort_by(|a, b| a.id.cmp(&b.id));
        }
        let mut internet_gateway_of_vpc: HashMap<&str, &InternetGateway> = HashMap::new();
        for igw in snapshot.internet_gateways.iter().flatten() {
            for vpc in &igw.attached_vpc_ids {
                internet_gateway_of_vpc
                    .entry(vpc.as_str())
                    .and_modify(|first| {
                        if igw.id < first.id {
                            *first = igw;
                        }
                    })
                    .or_insert(igw);
            }
        }
        NetworkIndex {
            snapshot,
            nat_gateways_of_vpc,
            internet_gateway_of_vpc,
            vpcs: by_id(&snapshot.vpcs, |v| v.id.as_str()),
            subnets: by_id(&snapshot.subnets, |s| s.id.as_str()),
            route_tables,
            table_of_subnet,
            main_table_of_vpc,
            internet_gateways: by_id(&snapshot.internet_gateways, |g| g.id.as_str()),
            nat_gateways: by_id(&snapshot.nat_gateways, |g| g.id.as_str()),
            endpoints_of_vpc,
            security_groups: by_id(&snapshot.security_groups, |g| g.id.as_str()),
            acls,
            acl_of_subnet,
            default_acl_of_vpc,
            prefix_lists,
            prefix_list_by_name,
            default_group_of_vpc: snapshot
                .security_groups
                .iter()
                .flatten()
                .filter(|g| g.name.as_deref() == Some("default"))
                .map(|g| (g.vpc_id.as_str(), g))
                .collect(),
            vpcs_with_endpoint_policies: snapshot
                .vpc_endpoints
                .iter()
                .flatten()
                .filter(|e| e.policy.is_some())
                .map(|e| e.vpc_id.as_str())
                .collect(),
            endpoint_policies: snapshot
                .vpc_endpoints
                .iter()
                .flatten()
                .filter_map(|e| {
                    let document = e.policy.as_ref()?;
                    Some((
                        e.id.as_str(),
                        Policy::parse(format!("endpoint policy of {}", e.id), document),
                    ))
                })
                .collect(),
            transit_gateways: by_id(&snapshot.transit_gateways, |g| g.id.as_str()),
            peering_connections: by_id(&snapshot.peering_connections, |p| p.id.as_str()),
        }
    }

    /// The endpoint's policy, parsed; `None`: it has none (full access).
    pub fn endpoint_policy(&self, endpoint_id: &str) -> Option<&Policy> {
        self.endpoint_policies.get(endpoint_id)
    }

    pub fn vpc(&self, id: &str) -> Lookup<&'a Vpc> {
        find(&self.vpcs, "vpcs", "VPC", id)
    }

    pub fn subnet(&self, id: &str) -> Lookup<&'a Subnet> {
        find(&self.subnets, "subnets", "subnet", id)
    }

    pub fn security_group(&self, id: &str) -> Lookup<&'a SecurityGroup> {
        find(
            &self.security_groups,
            "security_groups",
            "security group",
            id,
        )
    }

    pub fn internet_gateway(&self, id: &str) -> Lookup<&'a InternetGateway> {
        find(
            &self.internet_gateways,
            "internet_gateways",
            "internet gateway",
            id,
        )
    }

    pub fn nat_gateway(&self, id: &str) -> Lookup<&'a NatGateway> {
        find(&self.nat_gateways, "nat_gateways", "NAT gateway", id)
    }

    pub fn transit_gateway(&self, id: &str) -> Lookup<&'a TransitGateway> {
        find(
            &self.transit_gateways,
            "transit_gateways",
            "transit gateway",
            id,
        )
    }

    pub fn peering_connection(&self, id: &str) -> Lookup<&'a PeeringConnection> {
        find(
            &self.peering_connections,
            "peering_connections",
            "peering connection",
            id,
        )
    }

    pub fn prefix_list(&self, id: &str) -> Lookup<&'a PrefixList> {
        find(&self.prefix_lists, "prefix_lists", "prefix list", id)
    }

    pub fn prefix_list_named(&self, name: &str) -> Lookup<&'a PrefixList> {
        if self.prefix_lists.is_none() {
            return Err(Gap::NotCollected("prefix_lists"));
        }
        self.prefix_list_by_name
            .get(name)
            .copied()
            .ok_or_else(|| Gap::Missing {
                what: "prefix list",
                id: name.to_string(),
            })
    }

    /// The subnet's route table: its explicit association, else its VPC's main table.
    pub fn route_table_of(&self, subnet: &Subnet) -> Lookup<&IndexedRouteTable<'a>> {
        let tables = self
            .route_tables
            .as_ref()
            .ok_or(Gap::NotCollected("route_tables"))?;
        let id = self
            .table_of_subnet
            .get(subnet.id.as_str())
            .or_else(|| self.main_table_of_vpc.get(subnet.vpc_id.as_str()))
            .ok_or_else(|| Gap::Missing {
                what: "route table of subnet",
                id: subnet.id.clone(),
            })?;
        tables.get(id).ok_or_else(|| Gap::Missing {
            what: "route table",
            id: id.to_string(),
        })
    }

    pub fn route_table(&self, id: &str) -> Lookup<&IndexedRouteTable<'a>> {
        let tables = self
            .route_tables
            .as_ref()
            .ok_or(Gap::NotCollected("route_tables"))?;
        tables.get(id).ok_or_else(|| Gap::Missing {
            what: "route table",
            id: id.to_string(),
        })
    }

    /// The subnet's network ACL: its association, else its VPC's default ACL.
    pub fn acl_of(&self, subnet: &Subnet) -> Lookup<&IndexedAcl<'a>> {
        let acls = self
            .acls
            .as_ref()
            .ok_or(Gap::NotCollected("network_acls"))?;
        let id = self
            .acl_of_subnet
            .get(subnet.id.as_str())
            .or_else(|| self.default_acl_of_vpc.get(subnet.vpc_id.as_str()))
            .ok_or_else(|| Gap::Missing {
                what: "network ACL of subnet",
                id: subnet.id.clone(),
            })?;
        acls.get(id).ok_or_else(|| Gap::Missing {
            what: "network ACL",
            id: id.to_string(),
        })
    }

    pub fn endpoints_in(&self, vpc_id: &str) -> Lookup<&[&'a VpcEndpoint]> {
        let endpoints = self
            .endpoints_of_vpc
            .as_ref()
            .ok_or(Gap::NotCollected("vpc_endpoints"))?;
        Ok(endpoints.get(vpc_id).map_or(&[], Vec::as_slice))
    }

    /// The subnets of a VPC (for fixes that place a new resource), in no particular order.
    pub fn subnets_in(&self, vpc_id: &str) -> Vec<&'a Subnet> {
        self.subnets
            .iter()
            .flat_map(|subnets| subnets.values())
            .filter(|s| s.vpc_id == vpc_id)
            .copied()
            .collect()
    }

    /// NAT gateways of a VPC, for suggesting a route target in a fix (sorted by id).
    pub fn nat_gateways_in(&self, vpc_id: &str) -> Vec<&'a NatGateway> {
        self.nat_gateways_of_vpc
            .get(vpc_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The internet gateway attached to a VPC, for fixes (the first by id when several are).
    pub fn internet_gateway_of(&self, vpc_id: &str) -> Option<&'a InternetGateway> {
        self.internet_gateway_of_vpc.get(vpc_id).copied()
    }

    /// The VPC's default security group (used when a service names none).
    pub fn default_security_group(&self, vpc_id: &str) -> Option<&'a SecurityGroup> {
        self.default_group_of_vpc.get(vpc_id).copied()
    }

    /// Does any endpoint of the VPC have a policy (which may depend on the caller)?
    pub fn has_endpoint_policies(&self, vpc_id: &str) -> bool {
        self.vpcs_with_endpoint_policies.contains(vpc_id)
    }
}

fn find<'a, T>(
    map: &Option<HashMap<&'a str, &'a T>>,
    field: &'static str,
    singular: &'static str,
    id: &str,
) -> Lookup<&'a T> {
    let map = map.as_ref().ok_or(Gap::NotCollected(field))?;
    map.get(id).copied().ok_or_else(|| Gap::Missing {
        what: singular,
        id: id.to_string(),
    })
}
