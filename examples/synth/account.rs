//! A synthetic account for measuring `pullpath audit` (docs/performance.md): realistic in
//! shape, scaled by the number of services, and the same for the same seed.
//!
//! Shared by `cargo run --example synth` (which writes it to a file) and `cargo bench --bench
//! audit` (which builds it in memory), so both measure the same account. It is built from the
//! library's own snapshot types, so it is always a valid snapshot.
//!
//! Every 100 services get one VPC holding 250 subnets, 500 security groups with 2,500 rules
//! in total, 100 route tables, 25 VPC endpoints, 5 network ACLs, 100 task definitions (one per
//! service) and 25 execution roles (one per team of 4 services), in 2 clusters. A VPC is one
//! of three kinds:
//!
//! - **NAT** (half of them): private subnets reach the internet through a NAT gateway per AZ;
//!   S3 and DynamoDB have gateway endpoints, the interface endpoints are for other services;
//! - **hybrid**: NAT gateways plus interface endpoints for ECR, logs, Secrets Manager and SSM;
//!   some endpoints have policies (a data perimeter on `ecr.dkr` by repository and organization,
//!   a bucket list or an organization perimeter on S3); some execution roles carry a network
//!   perimeter (ECR only from the VPC or its NAT gateways' Elastic IPs);
//! - **private**: no NAT gateway or internet gateway; the default route goes to a transit
//!   gateway and the pull goes through the endpoints.
//!
//! Services sit in 2 or 3 subnets of an AZ triplet with 1 or 2 security groups. Most are
//! healthy; a minority is broken in the ways real accounts are: an isolated subnet without a
//! default route, a blackholed NAT route, a network ACL that drops return traffic, security
//! groups too tight for a NAT VPC, an endpoint policy that denies, a role missing a
//! permission or trusting the wrong principal, a missing image tag, a private registry
//! without credentials. Some cannot be decided (EC2 launch type, a repository in another
//! account, a policy that was not collected, a route that splits the internet).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use pullpath::model::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderItem, Cluster, ContainerDefinition,
    EndpointType, Image, InlinePolicy, InternetGateway, LaunchType, LogConfiguration,
    ManagedPolicy, NaclEntry, NatConnectivity, NatGateway, NatState, NetworkAcl, Organization,
    PeeringConnection, Platform, PortRange, PrefixList, RegistryImage, Repository,
    RepositoryCredentials, Role, Route, RouteState, RouteTable, RouteTarget, RouteTargetKind,
    RuleAction, Secret, SecretMetadata, SecurityGroup, Service, SgRule, Snapshot, Subnet,
    TaskDefinition, TransitGateway, Vpc, VpcEndpoint, SNAPSHOT_VERSION,
};
use serde_json::{json, Value};

/// The account's AWS Organization, which its data perimeters name.
const ORGANIZATION: &str = "o-synth0example";

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    pub services: usize,
    pub seed: u64,
    pub account: String,
    pub region: String,
}

impl Config {
    pub fn new(services: usize) -> Self {
        Config {
            services,
            seed: 1,
            account: "123456789012".to_string(),
            region: "us-east-1".to_string(),
        }
    }
}

/// Services per VPC: every resource count of a VPC is scaled to this many services.
pub const SERVICES_PER_VPC: usize = 100;

const MANAGED_EXECUTION_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
/// The account of a shared-images repository (outside the snapshot's account).
const SHARED_IMAGES_ACCOUNT: &str = "111122223333";
/// An account allowed to pull some repositories (repository policies).
const PARTNER_ACCOUNT: &str = "444455556666";

const TEAMS: [&str; 20] = [
    "payments",
    "checkout",
    "search",
    "catalog",
    "identity",
    "billing",
    "ledger",
    "shipping",
    "pricing",
    "reviews",
    "media",
    "notify",
    "legacy",
    "reports",
    "inventory",
    "fraud",
    "ads",
    "support",
    "growth",
    "platform",
];
const ROLES_IN_TEAM: [&str; 4] = ["api", "worker", "consumer", "scheduler"];

/// Interface endpoint services that carry none of the pull's calls (by importance).
const OTHER_INTERFACE_SERVICES: [&str; 24] = [
    "sts",
    "kms",
    "ssmmessages",
    "ec2messages",
    "ecs",
    "ecs-agent",
    "ecs-telemetry",
    "monitoring",
    "events",
    "sqs",
    "sns",
    "ec2",
    "elasticloadbalancing",
    "autoscaling",
    "execute-api",
    "lambda",
    "xray",
    "kinesis-streams",
    "states",
    "athena",
    "glue",
    "elasticfilesystem",
    "codeartifact.api",
    "rds",
];

/// The splitmix64 finaliser: a bijection on `u64`.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(mix(seed))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn hex(&mut self, digits: usize) -> String {
        let mut out = String::with_capacity(digits + 16);
        while out.len() < digits {
            out.push_str(&format!("{:016x}", self.next()));
        }
        out.truncate(digits);
        out
    }
}

/// Resource ids in AWS's style (`subnet-0` + 16 hex digits), unique in the account.
struct Ids {
    seed: u64,
    issued: u64,
}

impl Ids {
    fn make(&mut self, prefix: &str) -> String {
        self.issued += 1;
        format!("{prefix}-0{:016x}", mix(self.seed ^ self.issued))
    }

    /// An address in 203.0.113.0/24 (documentation range), as an Elastic IP stands in for.
    fn public_ip(&mut self) -> Ipv4Addr {
        self.issued += 1;
        Ipv4Addr::new(203, 0, 113, (mix(self.seed ^ self.issued) % 254 + 1) as u8)
    }
}

fn cidr(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::new(a, b, c, d), prefix).expect("prefix length at most 32")
}

fn route(destination: Ipv4Net, kind: RouteTargetKind, id: Option<&str>) -> Route {
    Route {
        destination_cidr: Some(destination),
        destination_prefix_list_id: None,
        target: RouteTarget {
            kind,
            id: id.map(str::to_string),
        },
        state: RouteState::Active,
    }
}

fn list_route(list: &str, endpoint: &str) -> Route {
    Route {
        destination_cidr: None,
        destination_prefix_list_id: Some(list.to_string()),
        target: RouteTarget {
            kind: RouteTargetKind::VpcEndpoint,
            id: Some(endpoint.to_string()),
        },
        state: RouteState::Active,
    }
}

fn tcp(port: i32) -> SgRule {
    tcp_range(port, port)
}

fn tcp_range(from: i32, to: i32) -> SgRule {
    SgRule {
        protocol: "tcp".to_string(),
        from_port: Some(from),
        to_port: Some(to),
        cidr_ipv4: None,
        referenced_group_id: None,
        prefix_list_id: None,
        description: None,
    }
}

fn all_traffic() -> SgRule {
    SgRule {
        protocol: "-1".to_string(),
        from_port: None,
        to_port: None,
        ..tcp(0)
    }
}

/// The peer of a rule.
trait Peer {
    fn peer_cidr(self, cidr: Ipv4Net) -> SgRule;
    fn peer_group(self, group: &str) -> SgRule;
    fn peer_list(self, list: &str) -> SgRule;
}

impl Peer for SgRule {
    fn peer_cidr(self, cidr: Ipv4Net) -> SgRule {
        SgRule {
            cidr_ipv4: Some(cidr),
            ..self
        }
    }

    fn peer_group(self, group: &str) -> SgRule {
        SgRule {
            referenced_group_id: Some(group.to_string()),
            ..self
        }
    }

    fn peer_list(self, list: &str) -> SgRule {
        SgRule {
            prefix_list_id: Some(list.to_string()),
            ..self
        }
    }
}

/// Adds a security group to `groups`; returns its id.
fn add_group(
    groups: &mut Vec<SecurityGroup>,
    ids: &mut Ids,
    vpc_id: &str,
    name: String,
    ingress: Vec<SgRule>,
    egress: Vec<SgRule>,
) -> String {
    let id = ids.make("sg");
    groups.push(SecurityGroup {
        id: id.clone(),
        vpc_id: vpc_id.to_string(),
        name: Some(name),
        ingress,
        egress,
    });
    id
}

fn acl_entry(
    rule_number: u16,
    egress: bool,
    action: RuleAction,
    cidr_block: Ipv4Net,
    ports: Option<(u16, u16)>,
) -> NaclEntry {
    NaclEntry {
        rule_number,
        egress,
        protocol: if ports.is_some() { "6" } else { "-1" }.to_string(),
        rule_action: action,
        cidr_block: Some(cidr_block),
        port_range: ports.map(|(from, to)| PortRange { from, to }),
    }
}

/// The final `*` deny of both directions.
fn final_denies() -> [NaclEntry; 2] {
    [true, false].map(|egress| acl_entry(32767, egress, RuleAction::Deny, internet(), None))
}

fn internet() -> Ipv4Net {
    Ipv4Net::default()
}

fn policy(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Nat,
    Hybrid,
    Private,
}

/// What a subnet triplet's route table does with traffic for the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Egress {
    /// 0.0.0.0/0 → the NAT gateway of an AZ (a transit gateway in a private VPC).
    Default,
    /// No default route: a data tier.
    Isolated,
    /// 0.0.0.0/0 → a deleted NAT gateway.
    Blackhole,
    /// The default route, plus a partner's public range over the VPN.
    Partner,
}

/// Where the services of one VPC can be placed.
struct Triplet {
    subnets: Vec<String>,
    egress: Egress,
}

/// The account-wide parts every VPC refers to.
struct Shared {
    s3_list: String,
    dynamodb_list: String,
    office_list: String,
    transit_gateway: String,
}

struct Generator<'c> {
    config: &'c Config,
    ids: Ids,
    shared: Shared,
    snapshot: Snapshot,
    /// Teams so far (one execution role each).
    teams: usize,
}

/// Generates the account.
pub fn generate(config: &Config) -> Snapshot {
    let mut ids = Ids {
        seed: mix(config.seed ^ 0x5eed),
        issued: 0,
    };
    let shared = Shared {
        s3_list: ids.make("pl"),
        dynamodb_list: ids.make("pl"),
        office_list: ids.make("pl"),
        transit_gateway: ids.make("tgw"),
    };
    let region = &config.region;
    let snapshot = Snapshot {
        snapshot_version: SNAPSHOT_VERSION,
        account_id: config.account.clone(),
        region: region.clone(),
        collected_at: Some("2025-06-02T08:00:00Z".to_string()),
        vpcs: Some(Vec::new()),
        subnets: Some(Vec::new()),
        route_tables: Some(Vec::new()),
        internet_gateways: Some(Vec::new()),
        nat_gateways: Some(Vec::new()),
        vpc_endpoints: Some(Vec::new()),
        security_groups: Some(Vec::new()),
        network_acls: Some(Vec::new()),
        prefix_lists: Some(vec![
            PrefixList {
                id: shared.s3_list.clone(),
                name: format!("com.amazonaws.{region}.s3"),
                cidrs: vec![
                    cidr(54, 231, 0, 0, 17),
                    cidr(52, 216, 0, 0, 15),
                    cidr(3, 5, 0, 0, 19),
                    cidr(18, 34, 0, 0, 19),
                    cidr(16, 182, 0, 0, 16),
                ],
            },
            PrefixList {
                id: shared.dynamodb_list.clone(),
                name: format!("com.amazonaws.{region}.dynamodb"),
                cidrs: vec![
                    cidr(3, 218, 180, 0, 22),
                    cidr(52, 94, 0, 0, 22),
                    cidr(52, 119, 224, 0, 20),
                ],
            },
            PrefixList {
                id: shared.office_list.clone(),
                name: "corp-office-egress".to_string(),
                cidrs: vec![cidr(198, 51, 100, 0, 24), cidr(192, 0, 2, 0, 25)],
            },
        ]),
        transit_gateways: Some(vec![TransitGateway {
            id: shared.transit_gateway.clone(),
            state: "available".to_string(),
        }]),
        peering_connections: Some(Vec::new()),
        clusters: Some(Vec::new()),
        task_definitions: Some(Vec::new()),
        roles: Some(Vec::new()),
        organization: Some(Organization {
            id: Some(ORGANIZATION.to_string()),
        }),
        managed_policies: Some(vec![ManagedPolicy {
            arn: MANAGED_EXECUTION_POLICY.to_string(),
            name: Some("AmazonECSTaskExecutionRolePolicy".to_string()),
            document: policy(json!([{
                "Effect": "Allow",
                "Action": [
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents"
                ],
                "Resource": "*"
            }])),
        }]),
        ecr_repositories: Some(Vec::new()),
        ecr_pull_through_cache_rules: None,
        secrets: Some(Vec::new()),
        ssm_parameters: Some(Vec::new()),
        registry_images: None,
        instances: None,
        instance_profiles: None,
        stopped_tasks: None,
        eks_clusters: None,
        kube_clusters: None,
        coverage_gaps: Vec::new(),
    };
    let mut generator = Generator {
        config,
        ids,
        shared,
        snapshot,
        teams: 0,
    };
    let vpcs = config.services.div_ceil(SERVICES_PER_VPC).max(1);
    for v in 0..vpcs {
        let services = config
            .services
            .saturating_sub(v * SERVICES_PER_VPC)
            .min(SERVICES_PER_VPC);
        generator.vpc(v, services);
    }
    let mut snapshot = generator.snapshot;
    snapshot.registry_images = Some(registry_images(&snapshot));
    snapshot
}

/// What `--inspect-registries` reads of the sidecar images outside ECR: the public ones offer
/// linux/amd64; the private registry asks for credentials (the image stays unknown).
fn registry_images(snapshot: &Snapshot) -> Vec<RegistryImage> {
    let mut out: Vec<RegistryImage> = Vec::new();
    for container in snapshot
        .task_definitions
        .iter()
        .flatten()
        .flat_map(|t| &t.container_definitions)
    {
        let image = &container.image;
        if image.contains(".dkr.ecr.") || out.iter().any(|i| &i.image == image) {
            continue;
        }
        let private = image.starts_with("registry.corp.");
        out.push(RegistryImage {
            image: image.clone(),
            platforms: (!private).then(|| {
                vec![Platform {
                    os: "linux".to_string(),
                    architecture: "amd64".to_string(),
                    variant: None,
                }]
            }),
            error: private.then(|| "the registry asks for credentials".to_string()),
        });
    }
    out
}

/// Pushes onto one of the snapshot's (always collected) lists.
fn push<T>(list: &mut Option<Vec<T>>, item: T) {
    list.get_or_insert_with(Vec::new).push(item);
}

impl Generator<'_> {
    fn vpc(&mut self, v: usize, services: usize) {
        let mut rng = Rng::new(self.config.seed ^ ((v as u64 + 1) << 32));
        // Half NAT, 3 in 10 hybrid, 2 in 10 private; the rotation starts where the seed says.
        let flavour = match (v + self.config.seed as usize) % 10 {
            0 | 2 | 4 | 6 | 8 => Flavour::Nat,
            1 | 5 | 7 => Flavour::Hybrid,
            _ => Flavour::Private,
        };
        let region = self.config.region.clone();
        let account = self.config.account.clone();
        let vpc_id = self.ids.make("vpc");
        let second = (v % 256) as u8;
        let vpc_cidr = cidr(10, second, 0, 0, 16);
        push(
            &mut self.snapshot.vpcs,
            Vpc {
                id: vpc_id.clone(),
                cidr_blocks: vec![vpc_cidr],
                enable_dns_support: Some(true),
                enable_dns_hostnames: Some(true),
                dhcp_dns_servers: Some(vec!["AmazonProvidedDNS".to_string()]),
            },
        );

        // Subnets: 3 public (NAT gateways), 3 for endpoints, then AZ triplets for workloads.
        let subnet_count = (services * 5).div_ceil(2).clamp(24, 250);
        let azs: Vec<String> = ["a", "b", "c"]
            .iter()
            .map(|z| format!("{region}{z}"))
            .collect();
        let mut subnets: Vec<Subnet> = Vec::with_capacity(subnet_count);
        for k in 0..subnet_count {
            subnets.push(Subnet {
                id: self.ids.make("subnet"),
                vpc_id: vpc_id.clone(),
                cidr_block: cidr(10, second, k as u8, 0, 24),
                availability_zone: Some(azs[k % 3].clone()),
                map_public_ip_on_launch: k < 3,
            });
        }
        let ids_of = |range: std::ops::Range<usize>| -> Vec<String> {
            subnets[range].iter().map(|s| s.id.clone()).collect()
        };
        let public_subnets = ids_of(0..3);
        let endpoint_subnets = ids_of(3..6);
        let triplet_count = (subnet_count - 6) / 3;
        let leftovers = ids_of(6 + triplet_count * 3..subnet_count);
        let blackhole = flavour != Flavour::Private && rng.chance(0.6);
        let locked = rng.chance(0.5);
        let partner = flavour != Flavour::Private && rng.chance(0.3);
        let triplets: Vec<Triplet> = (0..triplet_count)
            .map(|t| Triplet {
                subnets: ids_of(6 + t * 3..9 + t * 3),
                egress: match t {
                    0 | 1 => Egress::Isolated,
                    2 if blackhole => Egress::Blackhole,
                    4 if partner => Egress::Partner,
                    _ => Egress::Default,
                },
            })
            .collect();

        // Gateways.
        let with_nat = flavour != Flavour::Private;
        let igw = with_nat.then(|| self.ids.make("igw"));
        if let Some(igw) = &igw {
            push(
                &mut self.snapshot.internet_gateways,
                InternetGateway {
                    id: igw.clone(),
                    attached_vpc_ids: vec![vpc_id.clone()],
                },
            );
        }
        let mut nats = Vec::new();
        // The VPC's egress addresses, which its teams' data perimeters name.
        let mut egress_ips: Vec<String> = Vec::new();
        if with_nat {
            for subnet in &public_subnets {
                let id = self.ids.make("nat");
                let eip = self.ids.public_ip();
                egress_ips.push(format!("{eip}/32"));
                push(
                    &mut self.snapshot.nat_gateways,
                    NatGateway {
                        id: id.clone(),
                        vpc_id: vpc_id.clone(),
                        subnet_id: subnet.clone(),
                        state: NatState::Available,
                        connectivity_type: NatConnectivity::Public,
                        public_ips: Some(vec![eip]),
                    },
                );
                nats.push(id);
            }
        }
        // A NAT gateway deleted last week: still listed, and still the target of a route.
        let deleted_nat = blackhole.then(|| {
            let id = self.ids.make("nat");
            push(
                &mut self.snapshot.nat_gateways,
                NatGateway {
                    id: id.clone(),
                    vpc_id: vpc_id.clone(),
                    subnet_id: public_subnets[0].clone(),
                    state: NatState::Deleted,
                    connectivity_type: NatConnectivity::Public,
                    public_ips: Some(Vec::new()),
                },
            );
            id
        });
        let vgw = rng.chance(0.4).then(|| self.ids.make("vgw"));
        let peering = rng.chance(0.2).then(|| {
            let id = self.ids.make("pcx");
            push(
                &mut self.snapshot.peering_connections,
                PeeringConnection {
                    id: id.clone(),
                    status: "active".to_string(),
                    requester_vpc_id: Some(vpc_id.clone()),
                    accepter_vpc_id: Some(self.ids.make("vpc")),
                },
            );
            id
        });

        // Endpoint ids first: the route tables name the gateway endpoints.
        let s3_endpoint = self.ids.make("vpce");
        let dynamodb_endpoint = self.ids.make("vpce");

        // Route tables: main, public, endpoint subnets, one per triplet, then stale ones.
        let table_count = services.max(triplet_count + 3);
        let table_ids: Vec<String> = (0..table_count).map(|_| self.ids.make("rtb")).collect();
        let tgw = self.shared.transit_gateway.clone();
        let local = route(vpc_cidr, RouteTargetKind::Local, None);
        let private_routes = |egress: Egress, az: usize| -> Vec<Route> {
            let mut routes = vec![local.clone()];
            match (egress, with_nat) {
                (Egress::Isolated, _) => {}
                (Egress::Blackhole, _) => routes.push(Route {
                    state: RouteState::Blackhole,
                    ..route(
                        internet(),
                        RouteTargetKind::NatGateway,
                        deleted_nat.as_deref(),
                    )
                }),
                (_, true) => routes.push(route(
                    internet(),
                    RouteTargetKind::NatGateway,
                    Some(&nats[az % nats.len()]),
                )),
                (_, false) => routes.push(route(
                    internet(),
                    RouteTargetKind::TransitGateway,
                    Some(&tgw),
                )),
            }
            routes.push(route(
                cidr(10, 0, 0, 0, 8),
                RouteTargetKind::TransitGateway,
                Some(&tgw),
            ));
            if let Some(vgw) = &vgw {
                routes.push(route(
                    cidr(192, 168, 0, 0, 16),
                    RouteTargetKind::VpnGateway,
                    Some(vgw),
                ));
                if egress == Egress::Partner {
                    routes.push(route(
                        cidr(203, 0, 113, 0, 24),
                        RouteTargetKind::VpnGateway,
                        Some(vgw),
                    ));
                }
            }
            if let Some(pcx) = &peering {
                routes.push(route(
                    cidr(172, 20, 0, 0, 16),
                    RouteTargetKind::PeeringConnection,
                    Some(pcx),
                ));
            }
            routes
        };
        let mut tables = Vec::with_capacity(table_count);
        for (k, id) in table_ids.iter().enumerate() {
            let (subnet_ids, mut routes) = match k {
                0 => (Vec::new(), vec![local.clone()]),
                1 => {
                    let mut routes = vec![local.clone()];
                    match &igw {
                        Some(igw) => routes.push(route(
                            internet(),
                            RouteTargetKind::InternetGateway,
                            Some(igw),
                        )),
                        None => routes.push(route(
                            cidr(10, 0, 0, 0, 8),
                            RouteTargetKind::TransitGateway,
                            Some(&tgw),
                        )),
                    }
                    (public_subnets.clone(), routes)
                }
                2 => {
                    let mut subnet_ids = endpoint_subnets.clone();
                    subnet_ids.extend(leftovers.iter().cloned());
                    (subnet_ids, private_routes(Egress::Isolated, 0))
                }
                _ => match triplets.get(k - 3) {
                    Some(triplet) => (
                        triplet.subnets.clone(),
                        private_routes(triplet.egress, k - 3),
                    ),
                    None => (Vec::new(), private_routes(Egress::Default, k)),
                },
            };
            if k >= 2 {
                // Every private table is associated with the gateway endpoints.
                routes.push(list_route(&self.shared.s3_list, &s3_endpoint));
                routes.push(list_route(&self.shared.dynamodb_list, &dynamodb_endpoint));
            }
            tables.push(RouteTable {
                id: id.clone(),
                vpc_id: vpc_id.clone(),
                main: k == 0,
                subnet_ids,
                routes,
            });
        }
        let private_tables: Vec<String> = table_ids[2..].to_vec();

        // Security groups: the fixed ones first.
        let sg_count = (services * 5).max(12);
        let rule_budget = (services * 25).max(sg_count * 2);
        let mut groups: Vec<SecurityGroup> = Vec::with_capacity(sg_count);
        let ids = &mut self.ids;
        let default_group = ids.make("sg");
        let alb = add_group(
            &mut groups,
            ids,
            &vpc_id,
            "alb-public".to_string(),
            vec![
                tcp(443).peer_cidr(internet()),
                tcp(80).peer_cidr(internet()),
                tcp(443).peer_list(&self.shared.office_list),
            ],
            vec![all_traffic().peer_cidr(internet())],
        );
        let database = add_group(
            &mut groups,
            ids,
            &vpc_id,
            "rds-postgres".to_string(),
            vec![tcp(5432).peer_cidr(vpc_cidr)],
            vec![all_traffic().peer_cidr(internet())],
        );
        let cache = add_group(
            &mut groups,
            ids,
            &vpc_id,
            "elasticache-redis".to_string(),
            vec![tcp(6379).peer_cidr(vpc_cidr)],
            vec![all_traffic().peer_cidr(internet())],
        );
        let monitoring = add_group(
            &mut groups,
            ids,
            &vpc_id,
            "prometheus".to_string(),
            vec![tcp(9090).peer_cidr(cidr(10, 0, 0, 0, 8))],
            vec![all_traffic().peer_cidr(internet())],
        );
        let endpoint_group = add_group(
            &mut groups,
            ids,
            &vpc_id,
            "vpc-endpoints".to_string(),
            vec![tcp(443).peer_cidr(vpc_cidr)],
            vec![all_traffic().peer_cidr(internet())],
        );
        let platform = add_group(
            &mut groups,
            ids,
            &vpc_id,
            "platform-egress".to_string(),
            vec![tcp(9100).peer_group(&monitoring)],
            vec![tcp(443).peer_cidr(internet())],
        );
        groups.insert(
            0,
            SecurityGroup {
                id: default_group.clone(),
                vpc_id: vpc_id.clone(),
                name: Some("default".to_string()),
                ingress: vec![all_traffic().peer_group(&default_group)],
                egress: vec![all_traffic().peer_cidr(internet())],
            },
        );

        // Endpoints: 25 per 100 services, the ones that matter most first.
        let endpoint_count = services.div_ceil(4).clamp(8, 25);
        let mut endpoints = Vec::with_capacity(endpoint_count);
        let gateway = |id: &str, service: &str, policy: Option<Value>| VpcEndpoint {
            id: id.to_string(),
            vpc_id: vpc_id.clone(),
            service_name: format!("com.amazonaws.{region}.{service}"),
            endpoint_type: EndpointType::Gateway,
            state: "available".to_string(),
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
            route_table_ids: private_tables.clone(),
            private_dns_enabled: false,
            policy,
        };
        let s3_policy = match rng.below(10) {
            0..=4 => Some(policy(json!([{
                "Sid": "ApprovedBuckets",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                "Resource": [
                    format!("arn:aws:s3:::prod-{region}-starport-layer-bucket/*"),
                    "arn:aws:s3:::acme-artifacts-*",
                    "arn:aws:s3:::acme-artifacts-*/*"
                ]
            }]))),
            // An organization perimeter: only our principals. ECR's layer downloads are signed
            // by an ECR account, so without the exception AWS's examples add, layers fail.
            5..=7 => {
                let mut statements = vec![json!({
                    "Sid": "OnlyOurOrganization",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION}}
                })];
                if rng.below(3) > 0 {
                    statements.push(json!({
                        "Sid": "EcrLayers",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": format!("arn:aws:s3:::prod-{region}-starport-layer-bucket/*")
                    }));
                }
                Some(policy(Value::Array(statements)))
            }
            _ => None,
        };
        endpoints.push(gateway(&s3_endpoint, "s3", s3_policy));
        endpoints.push(gateway(&dynamodb_endpoint, "dynamodb", None));
        let mut interface_services: Vec<&str> = Vec::new();
        if flavour != Flavour::Nat {
            interface_services.extend(["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm"]);
        }
        interface_services.extend(OTHER_INTERFACE_SERVICES);
        // A data perimeter: only this account's repositories, and never the legacy ones.
        let perimeter = flavour != Flavour::Nat && rng.chance(0.5);
        let logs_dns_off = flavour == Flavour::Hybrid && rng.chance(0.3);
        for service in interface_services
            .into_iter()
            .take(endpoint_count.saturating_sub(2))
        {
            let endpoint_policy = (perimeter && service == "ecr.dkr").then(|| {
                policy(json!([
                    {
                        "Sid": "OwnRepositories",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "ecr:*",
                        "Resource": format!("arn:aws:ecr:{region}:{account}:repository/*")
                    },
                    {
                        "Sid": "NoLegacyImages",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "ecr:*",
                        "Resource": format!("arn:aws:ecr:{region}:{account}:repository/legacy-*")
                    },
                    {
                        "Sid": "OnlyOurOrganization",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "ecr:*",
                        "Resource": "*",
                        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORGANIZATION}}
                    }
                ]))
            });
            endpoints.push(VpcEndpoint {
                id: self.ids.make("vpce"),
                vpc_id: vpc_id.clone(),
                service_name: format!("com.amazonaws.{region}.{service}"),
                endpoint_type: EndpointType::Interface,
                state: "available".to_string(),
                subnet_ids: endpoint_subnets.clone(),
                security_group_ids: vec![endpoint_group.clone()],
                route_table_ids: Vec::new(),
                private_dns_enabled: !(logs_dns_off && service == "logs"),
                policy: endpoint_policy,
            });
        }

        // Network ACLs: default, public, data tier, one that drops return traffic, corporate.
        let private_range = cidr(10, 0, 0, 0, 8);
        let mut public_acl = vec![
            acl_entry(100, false, RuleAction::Allow, internet(), Some((443, 443))),
            acl_entry(110, false, RuleAction::Allow, internet(), Some((80, 80))),
            acl_entry(
                120,
                false,
                RuleAction::Allow,
                internet(),
                Some((1024, 65535)),
            ),
            acl_entry(130, false, RuleAction::Allow, private_range, None),
            acl_entry(100, true, RuleAction::Allow, internet(), None),
        ];
        public_acl.extend(final_denies());
        let mut data_acl = vec![
            acl_entry(100, false, RuleAction::Allow, private_range, None),
            acl_entry(100, true, RuleAction::Allow, private_range, None),
        ];
        data_acl.extend(final_denies());
        // "Ephemeral ports are 1024-32767": not for a Linux task (32768-60999).
        let mut locked_acl = vec![
            acl_entry(
                100,
                false,
                RuleAction::Allow,
                private_range,
                Some((443, 443)),
            ),
            acl_entry(
                110,
                false,
                RuleAction::Allow,
                internet(),
                Some((1024, 32767)),
            ),
            acl_entry(100, true, RuleAction::Allow, internet(), None),
        ];
        locked_acl.extend(final_denies());
        let mut corp_acl = vec![
            acl_entry(80, false, RuleAction::Deny, cidr(172, 31, 0, 0, 16), None),
            acl_entry(90, false, RuleAction::Deny, internet(), Some((22, 22))),
            acl_entry(91, false, RuleAction::Deny, internet(), Some((3389, 3389))),
            acl_entry(100, false, RuleAction::Allow, internet(), None),
            acl_entry(90, true, RuleAction::Deny, internet(), Some((25, 25))),
            acl_entry(100, true, RuleAction::Allow, internet(), None),
        ];
        corp_acl.extend(final_denies());
        let mut default_acl = vec![
            acl_entry(100, false, RuleAction::Allow, internet(), None),
            acl_entry(100, true, RuleAction::Allow, internet(), None),
        ];
        default_acl.extend(final_denies());
        let mut acl_subnets: [Vec<String>; 5] = Default::default();
        acl_subnets[0].extend(endpoint_subnets.iter().cloned());
        acl_subnets[0].extend(leftovers.iter().cloned());
        acl_subnets[1] = public_subnets.clone();
        for (t, triplet) in triplets.iter().enumerate() {
            let acl = match (triplet.egress, t) {
                (Egress::Isolated, _) => 2,
                (_, 3) if locked => 3,
                _ if rng.chance(0.3) => 4,
                _ => 0,
            };
            acl_subnets[acl].extend(triplet.subnets.iter().cloned());
        }
        for (k, (entries, subnet_ids)) in [default_acl, public_acl, data_acl, locked_acl, corp_acl]
            .into_iter()
            .zip(acl_subnets)
            .enumerate()
        {
            push(
                &mut self.snapshot.network_acls,
                NetworkAcl {
                    id: self.ids.make("acl"),
                    vpc_id: vpc_id.clone(),
                    is_default: k == 0,
                    subnet_ids,
                    entries,
                },
            );
        }

        // Services, in teams of 4 sharing an execution role; two clusters per VPC.
        let clusters = [format!("prod-{v:03}-web"), format!("prod-{v:03}-workers")];
        let mut cluster_services: [Vec<Service>; 2] = Default::default();
        let mut role_of_team = String::new();
        let mut team_path = String::new();
        for i in 0..services {
            if i % ROLES_IN_TEAM.len() == 0 {
                let team = self.teams;
                self.teams += 1;
                team_path = format!("{}-{team:03}", TEAMS[team % TEAMS.len()]);
                role_of_team = self.execution_role(&mut rng, &team_path, &vpc_id, &egress_ips);
            }
            let name = format!("{team_path}-{}", ROLES_IN_TEAM[i % ROLES_IN_TEAM.len()]);
            let cluster = &clusters[i * 2 / services.max(1)];

            // Placement.
            let roll = rng.below(1000);
            let special = |egress: Egress| triplets.iter().position(|t| t.egress == egress);
            let (subnet_ids, public_ip): (Vec<String>, bool) = match roll {
                0..=24 => (triplets[roll % 2].subnets.clone(), false),
                25..=39 if blackhole => (triplets[2].subnets.clone(), false),
                40..=54 if locked => (triplets[3].subnets.clone(), false),
                55..=64 if partner => (
                    triplets[special(Egress::Partner).unwrap_or(0)]
                        .subnets
                        .clone(),
                    false,
                ),
                65..=84 if with_nat => (public_subnets.clone(), true),
                85..=91 if with_nat => (public_subnets.clone(), false),
                _ => {
                    let first = 5.min(triplets.len() - 1);
                    let t = first + rng.below(triplets.len() - first);
                    (triplets[t].subnets.clone(), false)
                }
            };
            let spread = if rng.chance(0.5) { 2 } else { 3 };
            let subnet_ids: Vec<String> = subnet_ids.into_iter().take(spread).collect();

            // The service's own group; some also carry the platform group.
            let egress = match rng.below(100) {
                0..=69 => vec![all_traffic().peer_cidr(internet())],
                70..=93 => vec![
                    tcp(443).peer_cidr(internet()),
                    tcp(5432).peer_group(&database),
                    tcp(6379).peer_group(&cache),
                ],
                // Tight: fine behind endpoints, blocked in a NAT VPC.
                _ => vec![
                    tcp(443).peer_cidr(vpc_cidr),
                    tcp(443).peer_list(&self.shared.s3_list),
                    tcp(5432).peer_group(&database),
                ],
            };
            let mut ingress = vec![tcp(8080).peer_group(&alb)];
            if rng.chance(0.5) {
                ingress.push(tcp(9100).peer_group(&monitoring));
            }
            let own = add_group(
                &mut groups,
                &mut self.ids,
                &vpc_id,
                format!("{name}-task"),
                ingress,
                egress,
            );
            let mut security_groups = vec![own];
            if rng.chance(0.3) {
                security_groups.push(platform.clone());
            }

            // Launch: Fargate mostly, some Spot, a few on EC2 (not modelled: unknown).
            let (launch_type, capacity_provider_strategy, compatibility) = match rng.below(100) {
                0..=1 => (Some(LaunchType::Ec2), Vec::new(), "EC2"),
                2..=9 => (
                    None,
                    vec![
                        CapacityProviderItem {
                            capacity_provider: "FARGATE_SPOT".to_string(),
                            weight: 3,
                            base: 0,
                        },
                        CapacityProviderItem {
                            capacity_provider: "FARGATE".to_string(),
                            weight: 1,
                            base: 1,
                        },
                    ],
                    "FARGATE",
                ),
                _ => (Some(LaunchType::Fargate), Vec::new(), "FARGATE"),
            };
            let task_definition = self.task_definition(
                &mut rng,
                &name,
                &team_path,
                &role_of_team,
                compatibility,
                flavour,
            );
            cluster_services[i * 2 / services.max(1)].push(Service {
                name: name.clone(),
                arn: format!("arn:aws:ecs:{region}:{account}:service/{cluster}/{name}"),
                task_definition,
                platform_version: (compatibility == "FARGATE").then(|| {
                    if rng.chance(0.8) {
                        "LATEST".to_string()
                    } else {
                        "1.4.0".to_string()
                    }
                }),
                launch_type,
                capacity_provider_strategy,
                network_configuration: Some(AwsVpcConfiguration {
                    subnets: subnet_ids,
                    security_groups,
                    assign_public_ip: if public_ip {
                        AssignPublicIp::Enabled
                    } else {
                        AssignPublicIp::Disabled
                    },
                }),
                deployments: None,
                events: None,
            });
        }
        for (name, services) in clusters.into_iter().zip(cluster_services) {
            push(
                &mut self.snapshot.clusters,
                Cluster {
                    arn: format!("arn:aws:ecs:{region}:{account}:cluster/{name}"),
                    name,
                    services: Some(services),
                    default_capacity_provider_strategy: Vec::new(),
                    container_instances: None,
                },
            );
        }

        // The other groups of the VPC (load balancers, databases, functions, bastions) take
        // the rest of the rule budget, unevenly.
        let used: usize = groups
            .iter()
            .map(|g| g.ingress.len() + g.egress.len())
            .sum();
        let others = sg_count.saturating_sub(groups.len());
        if others > 0 {
            let budget = rule_budget.saturating_sub(used).max(others);
            let mut counts: Vec<usize> = (0..others)
                .map(|k| budget / others + usize::from(k < budget % others))
                .collect();
            for k in (0..others - 1).step_by(2) {
                let shift = rng.below(counts[k + 1]);
                counts[k] += shift;
                counts[k + 1] -= shift;
            }
            const KINDS: [(&str, i32); 8] = [
                ("lambda", 443),
                ("rds-mysql", 3306),
                ("kafka", 9092),
                ("bastion", 22),
                ("opensearch", 443),
                ("batch", 8080),
                ("internal-alb", 80),
                ("memcached", 11211),
            ];
            let peers: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
            for (k, count) in counts.into_iter().enumerate() {
                let (kind, port) = KINDS[k % KINDS.len()];
                let ingress = (1..count)
                    .map(|r| {
                        let rule = tcp(if r % 3 == 0 { port + r as i32 } else { port });
                        if rng.chance(0.5) {
                            rule.peer_group(rng.pick(peers.as_slice()).as_str())
                        } else {
                            rule.peer_cidr(cidr(10, second, rng.below(250) as u8, 0, 24))
                        }
                    })
                    .collect();
                add_group(
                    &mut groups,
                    &mut self.ids,
                    &vpc_id,
                    format!("{kind}-{k:03}"),
                    ingress,
                    vec![all_traffic().peer_cidr(internet())],
                );
            }
        }

        let snapshot = &mut self.snapshot;
        snapshot
            .subnets
            .get_or_insert_with(Vec::new)
            .extend(subnets);
        snapshot
            .route_tables
            .get_or_insert_with(Vec::new)
            .extend(tables);
        snapshot
            .vpc_endpoints
            .get_or_insert_with(Vec::new)
            .extend(endpoints);
        snapshot
            .security_groups
            .get_or_insert_with(Vec::new)
            .extend(groups);
    }

    /// A team's execution role: mostly right, sometimes missing a policy or trusting the wrong
    /// principal. Returns its ARN.
    fn execution_role(
        &mut self,
        rng: &mut Rng,
        team: &str,
        vpc_id: &str,
        egress_ips: &[String],
    ) -> String {
        let account = self.config.account.clone();
        let region = self.config.region.clone();
        let name = format!("ecs-exec-{team}");
        let arn = format!("arn:aws:iam::{account}:role/{name}");
        let mut statement = json!({
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole"
        });
        match rng.below(100) {
            0 => statement["Principal"] = json!({"Service": "ec2.amazonaws.com"}),
            1..=10 => {
                statement["Condition"] = json!({"StringEquals": {"aws:SourceAccount": account}})
            }
            _ => {}
        }
        let mut attached = Vec::new();
        if rng.below(100) >= 2 {
            attached.push(MANAGED_EXECUTION_POLICY.to_string());
        }
        let secrets = policy(json!([
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": format!("arn:aws:secretsmanager:{region}:{account}:secret:{team}/*")
            },
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameters", "ssm:GetParameter"],
                "Resource": format!("arn:aws:ssm:{region}:{account}:parameter/{team}/*")
            }
        ]));
        let mut inline_policies = Vec::new();
        match rng.below(100) {
            0..=49 => inline_policies.push(InlinePolicy {
                name: "read-team-secrets".to_string(),
                document: secrets,
            }),
            50..=94 => {
                let policy_arn = format!("arn:aws:iam::{account}:policy/ecs-secrets-{team}");
                attached.push(policy_arn.clone());
                push(
                    &mut self.snapshot.managed_policies,
                    ManagedPolicy {
                        arn: policy_arn,
                        name: Some(format!("ecs-secrets-{team}")),
                        document: secrets,
                    },
                );
            }
            // Attached, but its document was not read: whether it allows is unknown.
            95..=96 => attached.push(format!("arn:aws:iam::{account}:policy/ecs-secrets-{team}")),
            _ => {}
        }
        // A network perimeter (AWS's data-perimeter "expected networks"): ECR only from the
        // team's VPC (through its endpoints) or its NAT gateways' addresses. Now and then the
        // NAT addresses were forgotten.
        if rng.chance(0.4) {
            let ips: Vec<String> = if rng.chance(0.15) {
                vec!["198.51.100.0/24".to_string()]
            } else {
                egress_ips.to_vec()
            };
            inline_policies.push(InlinePolicy {
                name: "ecr-network-perimeter".to_string(),
                document: policy(json!([{
                    "Sid": "EcrFromOurNetworksOnly",
                    "Effect": "Deny",
                    "Action": "ecr:*",
                    "Resource": "*",
                    "Condition": {
                        "NotIpAddressIfExists": {"aws:SourceIp": ips},
                        "StringNotEqualsIfExists": {"aws:SourceVpc": [vpc_id]}
                    }
                }])),
            });
        }
        push(
            &mut self.snapshot.roles,
            Role {
                arn: arn.clone(),
                name,
                assume_role_policy: policy(json!([statement])),
                inline_policies,
                attached_policy_arns: attached,
                role_id: Some(self.ids.make("AROA")),
                tags: Some(BTreeMap::from([("team".to_string(), team.to_string())])),
            },
        );
        arn
    }

    /// A service's task definition (and its ECR repository). Returns its ARN.
    fn task_definition(
        &mut self,
        rng: &mut Rng,
        family: &str,
        team: &str,
        role: &str,
        compatibility: &str,
        flavour: Flavour,
    ) -> String {
        let account = self.config.account.clone();
        let region = self.config.region.clone();
        let registry = format!("{account}.dkr.ecr.{region}.amazonaws.com");
        let revision = 1 + rng.below(60);
        let arn = format!("arn:aws:ecs:{region}:{account}:task-definition/{family}:{revision}");

        // The app image: this account's repository, by tag (sometimes one never pushed) or
        // by digest; now and then a base image in the shared-images account.
        let repository = format!("{team}/{family}");
        let tags: Vec<String> = (0..1 + rng.below(5))
            .map(|k| format!("1.{}.{k}", rng.below(30)))
            .collect();
        let images: Vec<Image> = tags
            .iter()
            .map(|tag| Image {
                digest: format!("sha256:{}", rng.hex(64)),
                tags: vec![tag.clone()],
                platforms: Some(vec![Platform {
                    os: "linux".to_string(),
                    architecture: "amd64".to_string(),
                    variant: None,
                }]),
            })
            .collect();
        let image = match rng.below(100) {
            0..=1 => format!("{registry}/{repository}:2.0.0-rc1"),
            2..=3 => format!(
                "{SHARED_IMAGES_ACCOUNT}.dkr.ecr.{region}.amazonaws.com/shared/{family}:{}",
                tags[0]
            ),
            4..=13 => format!("{registry}/{repository}@{}", images[0].digest),
            _ => format!("{registry}/{repository}:{}", tags[tags.len() - 1]),
        };
        let repository_policy = rng.chance(0.1).then(|| {
            policy(json!([{
                "Sid": "PartnerPull",
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{PARTNER_ACCOUNT}:root")},
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
            }]))
        });
        push(
            &mut self.snapshot.ecr_repositories,
            Repository {
                arn: Some(format!(
                    "arn:aws:ecr:{region}:{account}:repository/{repository}"
                )),
                name: repository,
                registry_id: account.clone(),
                region: region.clone(),
                policy: repository_policy,
                images: Some(images),
            },
        );

        let mut options = std::collections::BTreeMap::from([
            ("awslogs-group".to_string(), format!("/ecs/{family}")),
            ("awslogs-region".to_string(), region.clone()),
            ("awslogs-stream-prefix".to_string(), family.to_string()),
        ]);
        if rng.chance(0.01) {
            // Needs logs:CreateLogGroup, which the managed execution policy lacks.
            options.insert("awslogs-create-group".to_string(), "true".to_string());
        }
        let logs = LogConfiguration {
            log_driver: "awslogs".to_string(),
            options,
        };
        let mut secrets = Vec::new();
        if rng.chance(0.6) {
            let name = format!("{team}/{family}/db");
            let arn = format!(
                "arn:aws:secretsmanager:{region}:{account}:secret:{name}-{}",
                rng.hex(6)
            );
            // Encrypted with the AWS managed key: no kms:Decrypt needed.
            push(
                &mut self.snapshot.secrets,
                SecretMetadata {
                    arn: arn.clone(),
                    name,
                    kms_key_id: None,
                },
            );
            secrets.push(Secret {
                name: "DB_PASSWORD".to_string(),
                value_from: arn,
            });
            if rng.chance(0.5) {
                secrets.push(Secret {
                    name: "CONFIG".to_string(),
                    value_from: format!("/{team}/{family}/config"),
                });
            }
        }
        let mut containers = vec![ContainerDefinition {
            name: "app".to_string(),
            image,
            repository_credentials: None,
            secrets,
            log_configuration: Some(logs.clone()),
        }];
        // Sidecars: rarer in private VPCs, whose internet path leaves through the transit
        // gateway.
        let sidecars = if flavour == Flavour::Private {
            0.05
        } else {
            1.0
        };
        let with_sidecar = rng.chance(sidecars);
        let roll = rng.below(1000);
        let sidecar = match roll {
            _ if !with_sidecar => None,
            0..=249 => Some((
                "datadog-agent",
                "public.ecr.aws/datadog/agent:7".to_string(),
            )),
            250..=349 => Some(("log-router", "fluent/fluent-bit:2.2".to_string())),
            350..=379 => Some((
                "envoy",
                "registry.corp.example.com/platform/envoy:1.29".to_string(),
            )),
            _ => None,
        };
        if let Some((name, image)) = sidecar {
            // The private registry's credentials, except (rarely) when someone forgot them.
            let repository_credentials =
                (image.starts_with("registry.corp") && roll >= 360).then(|| {
                    let name = format!("{team}/registry");
                    let arn = format!(
                        "arn:aws:secretsmanager:{region}:{account}:secret:{name}-{}",
                        rng.hex(6)
                    );
                    push(
                        &mut self.snapshot.secrets,
                        SecretMetadata {
                            arn: arn.clone(),
                            name,
                            kms_key_id: None,
                        },
                    );
                    RepositoryCredentials {
                        credentials_parameter: arn,
                    }
                });
            containers.push(ContainerDefinition {
                name: name.to_string(),
                image,
                repository_credentials,
                secrets: Vec::new(),
                log_configuration: Some(logs),
            });
        }
        push(
            &mut self.snapshot.task_definitions,
            TaskDefinition {
                arn: arn.clone(),
                family: Some(family.to_string()),
                network_mode: Some("awsvpc".to_string()),
                requires_compatibilities: vec![compatibility.to_string()],
                // Rarely, a revision registered without one.
                execution_role_arn: (!rng.chance(0.005)).then(|| role.to_string()),
                task_role_arn: Some(format!("arn:aws:iam::{account}:role/{family}-task")),
                container_definitions: containers,
                runtime_platform: None,
                execution_role_principal: None,
            },
        );
        arn
    }
}

/// What an account holds, in one line.
pub fn describe(snapshot: &Snapshot) -> String {
    fn len<T>(list: &Option<Vec<T>>) -> usize {
        list.as_ref().map_or(0, Vec::len)
    }
    let groups = snapshot.security_groups.as_deref().unwrap_or_default();
    let rules: usize = groups
        .iter()
        .map(|g| g.ingress.len() + g.egress.len())
        .sum();
    let clusters = snapshot.clusters.as_deref().unwrap_or_default();
    let services: usize = clusters.iter().map(|c| len(&c.services)).sum();
    format!(
        "{services} services in {} clusters; {} VPCs, {} subnets, {} security groups ({rules} rules), {} route tables, {} network ACLs, {} VPC endpoints, {} NAT gateways; {} task definitions, {} roles, {} ECR repositories",
        clusters.len(),
        len(&snapshot.vpcs),
        len(&snapshot.subnets),
        groups.len(),
        len(&snapshot.route_tables),
        len(&snapshot.network_acls),
        len(&snapshot.vpc_endpoints),
        len(&snapshot.nat_gateways),
        len(&snapshot.task_definitions),
        len(&snapshot.roles),
        len(&snapshot.ecr_repositories),
    )
}
