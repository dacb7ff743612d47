//! Combining path, permission and registry verdicts into one result per requirement and per
//! workload.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use super::catalog::Catalog;
use super::ec2_hosts::{ec2_hosts, Ec2Host};
use super::execution_role::{
    execution_role, instance_role, permission_blockers, RoleKind, RoleState,
};
use super::options::AuditOptions;
use super::prepare::{prepare_requirement, with_blockers};
use super::registry::{ecr_image_blockers, ecr_layer_blockers, registry_auth_blocker};
use crate::blocker::{Blocker, Status};
use crate::codes::Code;
use crate::graph::{evaluate_requirement, Hop, NetworkIndex, PathVerdict, Placement, Via};
use crate::model::{AssignPublicIp, SecurityGroup, Snapshot, TaskDefinition};
use crate::policy::Caller;
use crate::workload::{derive_requirements, Launch, Requirement, Target, Workload};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadStatus {
    Pass,
    Unknown,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone)]
pub struct RequirementResult {
    pub requirement: Requirement,
    pub status: Status,
    pub via: Option<Via>,
    pub path: Vec<Hop>,
    pub blockers: Vec<Blocker>,
    /// VPC endpoints the call could use but bypasses (information only).
    pub bypassed: Vec<Blocker>,
}

#[derive(Debug, Clone)]
pub struct WorkloadFinding {
    pub severity: Severity,
    pub blocker: Blocker,
    /// The suppression rule (an index into the run's rules) that accepts this finding; a
    /// suppressed finding no longer counts towards the workload's status.
    pub suppressed_by: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct WorkloadResult {
    pub cluster: String,
    pub service: Option<String>,
    pub task_definition: String,
    /// The status that counts: from the findings not suppressed.
    pub status: WorkloadStatus,
    /// The status from every finding, suppressed or not.
    pub unsuppressed_status: WorkloadStatus,
    pub requirements: Vec<RequirementResult>,
    pub findings: Vec<WorkloadFinding>,
    /// How the tasks run, which decided whose interface and role were audited.
    pub launch: Launch,
    /// EC2: the instances whose primary interfaces and roles were audited.
    pub instances: Vec<String>,
}

impl WorkloadStatus {
    /// `fail` with an error, else `unknown` with a warning, else `pass` (info only).
    pub fn of<'f>(findings: impl IntoIterator<Item = &'f WorkloadFinding>) -> WorkloadStatus {
        findings
            .into_iter()
            .map(|f| match f.severity {
                Severity::Error => WorkloadStatus::Fail,
                Severity::Warning => WorkloadStatus::Unknown,
                Severity::Info => WorkloadStatus::Pass,
            })
            .max()
            .unwrap_or(WorkloadStatus::Pass)
    }
}

impl WorkloadResult {
    /// Whether a suppression accepts the workload's finding for `blocker` (a requirement's
    /// blocker is one of the workload's findings).
    pub fn is_suppressed(&self, blocker: &Blocker) -> bool {
        self.findings.iter().any(|f| {
            f.suppressed_by.is_some()
                && f.blocker.code == blocker.code
                && f.blocker.resource_id == blocker.resource_id
                && f.blocker.message == blocker.message
        })
    }

    /// "cluster/service" (the name suppressions and tables use).
    pub fn name(&self) -> String {
        match &self.service {
            Some(service) => format!("{}/{service}", self.cluster),
            None => self.cluster.clone(),
        }
    }
}

/// Path verdicts already computed, keyed by everything a path depends on: the placement and
/// the call, and the calling role only where an endpoint policy could tell roles apart.
/// Services placed alike (the common case in a fleet) evaluate each path once.
///
/// [`audit_workloads`] first counts the placements of all its workloads and keeps verdicts
/// only for placements that occur more than once: a placement no other workload shares
/// never hits, and keying, copying and keeping its verdicts cost more than the evaluation
/// saves. A cache made with `default()` keeps every verdict.
#[derive(Default)]
pub struct PathCache {
    verdicts: HashMap<String, PathVerdict>,
    /// Signatures (see [`placement_signature`]) of the placements worth caching; `None`:
    /// every placement is.
    shared: Option<HashSet<u64>>,
}

impl PathCache {
    fn verdict(&mut self, placement: &Placement<'_, '_>, requirement: &Requirement) -> PathVerdict {
        if let Some(shared) = &self.shared {
            if !shared.contains(&placement_signature(placement)) {
                return evaluate_requirement(placement, requirement);
            }
        }
        let mut key = String::with_capacity(256);
        let mut field = |value: &str| {
            // Length-prefixed, so no two keys run together.
            let _ = write!(key, "{}:", value.len());
            key.push_str(value);
        };
        field(&placement.subnet.id);
        field(&placement.group_list());
        field(if placement.public_ip {
            "public"
        } else {
            "private"
        });
        match placement
            .index
            .has_endpoint_policies(&placement.vpc.id)
            .then_some(&placement.caller.arn)
        {
            None => field("-"),
            Some(None) => field("none"),
            Some(Some(arn)) => field(&format!("role {arn}")),
        }
        field(requirement.target.as_str());
        field(&requirement.host);
        field(
            &requirement
                .route
                .map_or_else(String::new, |r| r.to_string()),
        );
        field(&requirement.region);
        field(&requirement.endpoint_permissions.len().to_string());
        for permission in &requirement.endpoint_permissions {
            field(&permission.action);
            field(&permission.resource);
        }
        field(&placement.workload_subnets.len().to_string());
        for subnet in &placement.workload_subnets {
            field(subnet);
        }
        self.verdicts
            .entry(key)
            .or_insert_with(|| evaluate_requirement(placement, requirement))
            .clone()
    }
}

/// What identifies a placement for the cache, hashed: the subnet, the security groups, the
/// public IP setting, the workload's subnets, and the calling role where an endpoint policy
/// could tell roles apart (as in the cache's key). Two placements with the same signature may
/// share verdicts; a signature seen once means no verdict of it is ever reused. (A hash
/// collision only makes a placement cached that need not be.)
fn placement_signature(placement: &Placement<'_, '_>) -> u64 {
    signature(
        &placement.subnet.id,
        placement.security_groups.iter().map(|g| g.id.as_str()),
        placement.public_ip,
        &placement.workload_subnets,
        placement
            .index
            .has_endpoint_policies(&placement.vpc.id)
            .then_some(placement.caller.arn.as_deref()),
    )
}

fn signature<'g>(
    subnet_id: &str,
    group_ids: impl Iterator<Item = &'g str>,
    public_ip: bool,
    workload_subnets: &[String],
    role: Option<Option<&str>>,
) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    subnet_id.hash(&mut hasher);
    let mut groups = 0_usize;
    for id in group_ids {
        id.hash(&mut hasher);
        groups += 1;
    }
    groups.hash(&mut hasher);
    public_ip.hash(&mut hasher);
    workload_subnets.hash(&mut hasher);
    role.hash(&mut hasher);
    hasher.finish()
}

pub fn audit_workloads(
    snapshot: &Snapshot,
    workloads: &[Workload<'_>],
    options: &AuditOptions,
) -> Vec<WorkloadResult> {
    let index = NetworkIndex::new(snapshot);
    let catalog = Catalog::new(snapshot);
    let mut cache = PathCache {
        verdicts: HashMap::new(),
        shared: Some(shared_placements(&index, workloads)),
    };
    workloads
        .iter()
        .map(|w| audit_workload(&index, &catalog, &mut cache, w, options))
        .collect()
}

/// The signatures of the placements that more than one workload (or one workload twice)
/// has: the only ones whose verdicts can be reused. Computed from each workload's network
/// configuration as [`placements`] resolves it, without building the placements.
fn shared_placements(index: &NetworkIndex<'_>, workloads: &[Workload<'_>]) -> HashSet<u64> {
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for workload in workloads {
        // Without a task definition a workload makes no calls; on instances and without a
        // network configuration its paths are not evaluated.
        let (Some(task_definition), Some(configuration), Launch::Fargate { .. }) = (
            workload.task_definition,
            workload.placement,
            &workload.launch,
        ) else {
            continue;
        };
        let role = task_definition.execution_role_arn.as_deref();
        for subnet_id in &configuration.subnets {
            // A subnet that cannot be looked up stops the whole workload's path evaluation.
            let Ok(subnet) = index.subnet(subnet_id) else {
                break;
            };
            let vpc = subnet.vpc_id.as_str();
            let default_group = configuration
                .security_groups
                .is_empty()
                .then(|| index.default_security_group(vpc))
                .flatten();
            let signature = signature(
                &subnet.id,
                configuration
                    .security_groups
                    .iter()
                    .map(String::as_str)
                    .chain(default_group.map(|g| g.id.as_str())),
                configuration.assign_public_ip == AssignPublicIp::Enabled,
                &configuration.subnets,
                index.has_endpoint_policies(vpc).then_some(role),
            );
            *seen.entry(signature).or_default() += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(signature, _)| signature)
        .collect()
}

pub fn audit_workload<'a>(
    index: &NetworkIndex<'a>,
    catalog: &Catalog<'a>,
    cache: &mut PathCache,
    workload: &Workload<'a>,
    options: &AuditOptions,
) -> WorkloadResult {
    let snapshot = index.snapshot;
    let mut workload_blockers = Vec::new();
    let mut instances = Vec::new();
    let requirements = match workload.task_definition {
        None => {
            workload_blockers.push(Blocker::new(
                Code::NotCollected,
                &workload.task_definition_arn,
                format!(
                    "task definition {} was not collected, so the calls the task makes are unknown",
                    workload.task_definition_arn
                ),
                "Collect the task definition (ecs:DescribeTaskDefinition).",
            ));
            Vec::new()
        }
        Some(task_definition) => {
            let requirements =
                derive_requirements(task_definition, &snapshot.account_id, &snapshot.region);
            let has_execution_role = task_definition.execution_role_arn.is_some();
            let execution = execution_role(catalog, task_definition);
            // The role matters only if some call is made with it (a public image without
            // secrets or awslogs needs none; on EC2 the instance role pulls without one).
            if let RoleState::Broken(blocker) = &execution {
                let needed = requirements.iter().any(|r| {
                    r.uses_execution_role()
                        && who_calls(&workload.launch, r.target, has_execution_role)
                            == RoleKind::Execution
                });
                if needed {
                    workload_blockers.push(blocker.clone());
                }
            }
            workload_blockers.extend(launch_blockers(workload, task_definition));
            let caller = caller_of(snapshot, task_definition.execution_role_arn.as_deref());
            let origins = origins(index, catalog, workload, &caller);
            instances.clone_from(&origins.instance_ids);
            requirements
                .into_iter()
                .map(|mut requirement| {
                    // Declared routes and the secrets' KMS keys, from outside the task definition.
                    let unknown = prepare_requirement(catalog, options, &mut requirement);
                    let who = who_calls(&workload.launch, requirement.target, has_execution_role);
                    let result = audit_requirement(
                        catalog,
                        cache,
                        &origins,
                        &execution,
                        &caller,
                        who,
                        requirement,
                    );
                    with_blockers(result, unknown)
                })
                .collect()
        }
    };
    let findings = collect_findings(&workload_blockers, &requirements);
    let status = WorkloadStatus::of(&findings);
    WorkloadResult {
        cluster: workload.cluster.clone(),
        service: workload.service.clone(),
        task_definition: workload.task_definition_arn.clone(),
        status,
        unsuppressed_status: status,
        requirements,
        findings,
        launch: workload.launch.clone(),
        instances,
    }
}

fn caller_of(snapshot: &Snapshot, role_arn: Option<&str>) -> Caller {
    Caller {
        arn: role_arn.map(str::to_string),
        account: Some(snapshot.account_id.clone()),
        service: None,
    }
}

/// Which role makes a call. On Fargate the execution role makes them all. On EC2 the agent
/// pulls from ECR with the execution role when the task definition has one (else with the
/// instance's role), Docker's awslogs driver always uses the instance's role, and secrets and
/// registry credentials are read with the execution role.
fn who_calls(launch: &Launch, target: Target, has_execution_role: bool) -> RoleKind {
    match (launch, target) {
        (Launch::Ec2 { .. }, Target::Logs) => RoleKind::Instance,
        (Launch::Ec2 { .. }, Target::EcrApi | Target::EcrDkr | Target::S3Layers)
            if !has_execution_role =>
        {
            RoleKind::Instance
        }
        _ => RoleKind::Execution,
    }
}

/// Fargate platform versions before 1.4.0 make the ECR auth call from Fargate's own network,
/// not through the task's interface (only `ecr.dkr` and S3 need a path from the VPC).
fn auth_outside_vpc(launch: &Launch, target: Target) -> bool {
    matches!(launch, Launch::Fargate { platform_version } if target == Target::EcrApi && platform_before(platform_version, (1, 4)))
}

/// Whether `version` (`1.3.0`) is an explicit platform version older than `major.minor`
/// (`LATEST` and unparsable versions are not).
fn platform_before(version: &str, (major, minor): (u32, u32)) -> bool {
    let mut parts = version.split('.').map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(a)), Some(Ok(b))) => (a, b) < (major, minor),
        _ => false,
    }
}

/// Blockers of the launch itself: a public IP ECS refuses on EC2, a Fargate platform version
/// too old for the task definition's features.
fn launch_blockers(workload: &Workload<'_>, task_definition: &TaskDefinition) -> Vec<Blocker> {
    let mut blockers = Vec::new();
    let label = label_of(workload);
    match &workload.launch {
        Launch::Ec2 { .. } => {
            let awsvpc = task_definition.network_mode.as_deref() == Some("awsvpc");
            if awsvpc
                && workload
                    .placement
                    .is_some_and(|p| p.assign_public_ip == AssignPublicIp::Enabled)
            {
                blockers.push(Blocker::new(
                    Code::AssignPublicIpUnsupported,
                    &workload.task_definition_arn,
                    format!("{label} runs on EC2 with assignPublicIp ENABLED: ECS refuses it (\"Assign public IP is not supported for this launch type\"); awsvpc interfaces on EC2 never get a public IP, and the image is pulled over the instance's own interface"),
                    "Set assignPublicIp to DISABLED in the service's awsvpcConfiguration (aws ecs update-service --network-configuration 'awsvpcConfiguration={subnets=[...],securityGroups=[...],assignPublicIp=DISABLED}').",
                ));
            }
        }
        Launch::Fargate { platform_version } => {
            let known = platform_version.eq_ignore_ascii_case("LATEST")
                || ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]
                    .contains(&platform_version.as_str());
            let containers = &task_definition.container_definitions;
            let uses_secrets = containers.iter().any(|c| !c.secrets.is_empty());
            let uses_credentials = containers
                .iter()
                .any(|c| c.repository_credentials.is_some());
            let fix = "Run on platform version 1.4.0 or LATEST (aws ecs update-service --platform-version LATEST --force-new-deployment).";
            if !known {
                blockers.push(Blocker::new(
                    Code::PlatformVersionUnsupported,
                    &workload.task_definition_arn,
                    format!("{label} asks for Fargate platform version `{platform_version}`, which does not exist for Linux (1.0.0 to 1.4.0, or LATEST)"),
                    fix,
                ));
            } else if uses_secrets && platform_before(platform_version, (1, 3)) {
                blockers.push(Blocker::new(
                    Code::PlatformVersionUnsupported,
                    &workload.task_definition_arn,
                    format!("{label} runs on Fargate platform version {platform_version}, but the task definition's secrets need 1.3.0 or later"),
                    fix,
                ));
            } else if uses_credentials && platform_before(platform_version, (1, 2)) {
                blockers.push(Blocker::new(
                    Code::PlatformVersionUnsupported,
                    &workload.task_definition_arn,
                    format!("{label} runs on Fargate platform version {platform_version}, but repositoryCredentials (private registry authentication) need 1.2.0 or later"),
                    fix,
                ));
            }
        }
        Launch::External { .. } => {}
    }
    blockers
}

/// "service `web`", or the task definition for a task run on its own.
fn label_of(workload: &Workload<'_>) -> String {
    match &workload.service {
        Some(service) => format!("service `{service}`"),
        None => format!("task definition {}", workload.task_definition_arn),
    }
}

/// Where a workload's calls start, by the role that makes them.
struct Origins<'i, 'a> {
    /// Calls made with the execution role (every call on Fargate).
    execution: Result<Vec<Placement<'i, 'a>>, Blocker>,
    /// EC2 only: calls made with the instances' role, each placement calling as its own
    /// instance's role.
    instance: Option<InstanceOrigins<'i, 'a>>,
    /// Calls that do not start in the VPC at all (see [`auth_outside_vpc`]).
    outside_vpc: Vec<Target>,
    /// EC2: the instances the placements come from.
    instance_ids: Vec<String>,
}

struct InstanceOrigins<'i, 'a> {
    placements: Result<Vec<Placement<'i, 'a>>, Blocker>,
    /// Each distinct instance role, with its state.
    roles: Vec<(Caller, RoleState<'a>)>,
    /// Why some instance's role is not known.
    role_gaps: Vec<Blocker>,
}

fn origins<'i, 'a>(
    index: &'i NetworkIndex<'a>,
    catalog: &Catalog<'a>,
    workload: &Workload<'a>,
    caller: &Caller,
) -> Origins<'i, 'a> {
    let label = label_of(workload);
    match &workload.launch {
        Launch::Fargate { .. } => Origins {
            execution: fargate_placements(index, workload, caller, &label),
            instance: None,
            outside_vpc: [Target::EcrApi]
                .into_iter()
                .filter(|t| auth_outside_vpc(&workload.launch, *t))
                .collect(),
            instance_ids: Vec::new(),
        },
        Launch::External { why } => {
            let blocker = Blocker::new(
                Code::LaunchTypeNotModelled,
                &workload.task_definition_arn,
                format!("{label} runs on external instances ({why}): the instance's agent pulls the image over a network outside AWS, which pullpath cannot see"),
                "Audit the external instances' network and instance role by hand, or run the service on Fargate or EC2.",
            );
            Origins {
                execution: Err(blocker.clone()),
                instance: Some(InstanceOrigins {
                    placements: Err(blocker),
                    roles: Vec::new(),
                    role_gaps: Vec::new(),
                }),
                outside_vpc: Vec::new(),
                instance_ids: Vec::new(),
            }
        }
        Launch::Ec2 {
            why,
            capacity_providers,
        } => match ec2_hosts(catalog, workload, &label, why, capacity_providers) {
            Err(blocker) => Origins {
                execution: Err(blocker.clone()),
                instance: Some(InstanceOrigins {
                    placements: Err(blocker),
                    roles: Vec::new(),
                    role_gaps: Vec::new(),
                }),
                outside_vpc: Vec::new(),
                instance_ids: Vec::new(),
            },
            Ok(hosts) => {
                let mut roles: Vec<(Caller, RoleState<'a>)> = Vec::new();
                let mut role_gaps = Vec::new();
                for host in &hosts {
                    match &host.role {
                        Ok(arn) if !roles.iter().any(|(c, _)| c.arn.as_deref() == Some(arn)) => {
                            roles.push((
                                caller_of(index.snapshot, Some(arn)),
                                instance_role(catalog, arn),
                            ))
                        }
                        Ok(_) => {}
                        Err(blocker) => role_gaps.push(blocker.clone()),
                    }
                }
                let as_instance = |host: &Ec2Host<'a>| match &host.role {
                    Ok(arn) => caller_of(index.snapshot, Some(arn)),
                    Err(_) => caller_of(index.snapshot, None),
                };
                Origins {
                    execution: host_placements(index, &hosts, &label, |_| caller.clone()),
                    instance: Some(InstanceOrigins {
                        placements: host_placements(index, &hosts, &label, as_instance),
                        roles,
                        role_gaps,
                    }),
                    outside_vpc: Vec::new(),
                    instance_ids: hosts.iter().flat_map(|h| h.instance_ids.clone()).collect(),
                }
            }
        },
    }
}

fn not_collected_network(subnet_id: &str, what: String) -> Blocker {
    Blocker::new(Code::NotCollected, subnet_id, what, "Collect the workload's subnets, VPC and security groups (ec2:DescribeSubnets, ec2:DescribeVpcs, ec2:DescribeSecurityGroups).")
}

/// One placement per EC2 host: its subnet, its primary interface's security groups and public
/// IP, calling as `caller_of(host)`.
fn host_placements<'i, 'a>(
    index: &'i NetworkIndex<'a>,
    hosts: &[Ec2Host<'a>],
    label: &str,
    caller_of_host: impl Fn(&Ec2Host<'a>) -> Caller,
) -> Result<Vec<Placement<'i, 'a>>, Blocker> {
    let mut out = Vec::new();
    for host in hosts {
        let instances = host.instance_ids.join(", ");
        let subnet = index.subnet(host.subnet_id).map_err(|gap| {
            not_collected_network(
                host.subnet_id,
                format!(
                    "{gap}: the path from {label} on instance(s) {instances} cannot be evaluated"
                ),
            )
        })?;
        let vpc = index.vpc(&subnet.vpc_id).map_err(|gap| {
            not_collected_network(
                host.subnet_id,
                format!(
                    "{gap}: the path from {label} on instance(s) {instances} cannot be evaluated"
                ),
            )
        })?;
        let security_groups = host
            .security_groups
            .iter()
            .map(|id| index.security_group(id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|gap| {
                not_collected_network(
                    host.subnet_id,
                    format!(
                        "{gap}: the egress rules of instance(s) {instances} cannot be evaluated"
                    ),
                )
            })?;
        out.push(Placement {
            index,
            region: &index.snapshot.region,
            vpc,
            subnet,
            workload_subnets: vec![subnet.id.clone()],
            security_groups,
            public_ip: host.public_ip,
            caller: caller_of_host(host),
        });
    }
    Ok(out)
}

/// The subnets a Fargate workload's tasks may land in, or why the path cannot be evaluated.
fn fargate_placements<'i, 'a>(
    index: &'i NetworkIndex<'a>,
    workload: &Workload<'a>,
    caller: &Caller,
    label: &str,
) -> Result<Vec<Placement<'i, 'a>>, Blocker> {
    let Some(configuration) = workload.placement else {
        return Err(Blocker::new(
            Code::NotCollected,
            &workload.task_definition_arn,
            format!("{label} has no known awsvpc network configuration (subnets and security groups), so its path cannot be evaluated"),
            "Collect the service's networkConfiguration (ecs:DescribeServices); for a stopped task run on its own, audit it with the security groups it was run with.",
        ));
    };
    let snapshot = index.snapshot;
    let mut out = Vec::new();
    for subnet_id in &configuration.subnets {
        let subnet = index.subnet(subnet_id).map_err(|gap| {
            not_collected_network(
                subnet_id,
                format!("{gap}: the path from {label} cannot be evaluated"),
            )
        })?;
        let vpc = index.vpc(&subnet.vpc_id).map_err(|gap| {
            not_collected_network(
                subnet_id,
                format!("{gap}: the path from {label} cannot be evaluated"),
            )
        })?;
        let security_groups: Vec<&SecurityGroup> = if configuration.security_groups.is_empty() {
            // ECS attaches the VPC's default security group when none is given.
            index.default_security_group(&vpc.id).into_iter().collect()
        } else {
            configuration
                .security_groups
                .iter()
                .map(|id| index.security_group(id))
                .collect::<Result<_, _>>()
                .map_err(|gap| {
                    not_collected_network(
                        subnet_id,
                        format!("{gap}: the egress rules of {label} cannot be evaluated"),
                    )
                })?
        };
        out.push(Placement {
            index,
            region: &snapshot.region,
            vpc,
            subnet,
            workload_subnets: configuration.subnets.clone(),
            security_groups,
            public_ip: configuration.assign_public_ip == AssignPublicIp::Enabled,
            caller: caller.clone(),
        });
    }
    Ok(out)
}

fn audit_requirement(
    catalog: &Catalog<'_>,
    cache: &mut PathCache,
    origins: &Origins<'_, '_>,
    execution: &RoleState<'_>,
    execution_caller: &Caller,
    who: RoleKind,
    requirement: Requirement,
) -> RequirementResult {
    let mut status = Status::Reachable;
    let mut via = None;
    let mut path = Vec::new();
    let mut blockers: Vec<Blocker> = Vec::new();
    let mut bypassed: Vec<Blocker> = Vec::new();
    let instance = origins
        .instance
        .as_ref()
        .filter(|_| who == RoleKind::Instance);
    let placements = match instance {
        Some(instance) => &instance.placements,
        None => &origins.execution,
    };
    match placements {
        Err(blocker) => blockers.push(blocker.clone()),
        Ok(_) if origins.outside_vpc.contains(&requirement.target) => {}
        Ok(placements) => {
            // Tasks may land in any subnet: the requirement is as good as its worst subnet.
            for (i, placement) in placements.iter().enumerate() {
                let verdict = cache.verdict(placement, &requirement);
                if i == 0 || verdict.status > status {
                    status = verdict.status;
                    via = verdict.via;
                    path = verdict.path;
                }
                push_new(&mut blockers, verdict.blockers);
                push_new(&mut bypassed, verdict.bypassed);
            }
        }
    }
    // The roles that make the call, with the identity repository policies see.
    let callers: Vec<(&Caller, &RoleState<'_>)> = match instance {
        Some(instance) => {
            blockers.extend(instance.role_gaps.iter().cloned());
            instance.roles.iter().map(|(c, r)| (c, r)).collect()
        }
        None => vec![(execution_caller, execution)],
    };
    for (caller, role) in &callers {
        if requirement.uses_execution_role() {
            blockers.extend(permission_blockers(role, &requirement.permissions));
        }
        for image in &requirement.ecr_images {
            match requirement.target {
                Target::EcrDkr => blockers.extend(ecr_image_blockers(catalog, image, caller, role)),
                Target::S3Layers => blockers.extend(ecr_layer_blockers(catalog, image, caller)),
                _ => {}
            }
        }
    }
    if requirement.target == Target::Registry {
        let containers = requirement.needed_by.join(", ");
        for (image, has_credentials) in &requirement.other_images {
            blockers.extend(registry_auth_blocker(image, *has_credentials, &containers));
        }
    }
    let mut unique: Vec<Blocker> = Vec::new();
    for blocker in blockers {
        if !unique.contains(&blocker) {
            unique.push(blocker);
        }
    }
    let status = status.max(Status::of(&unique));
    if status != Status::Reachable {
        bypassed.clear(); // only a working call can be said to bypass an endpoint
    }
    RequirementResult {
        status,
        via,
        path,
        blockers: unique,
        bypassed,
        requirement,
    }
}

/// Adds the blockers not already present (one per code and resource: the same problem seen
/// from another subnet).
fn push_new(into: &mut Vec<Blocker>, blockers: Vec<Blocker>) {
    for blocker in blockers {
        if !into
            .iter()
            .any(|b| b.code == blocker.code && b.resource_id == blocker.resource_id)
        {
            into.push(blocker);
        }
    }
}

/// Every problem of the workload once: workload-level blockers first, then each requirement's,
/// then the endpoints that working calls bypass (information).
fn collect_findings(
    workload_blockers: &[Blocker],
    requirements: &[RequirementResult],
) -> Vec<WorkloadFinding> {
    let mut findings: Vec<WorkloadFinding> = Vec::new();
    let all = workload_blockers
        .iter()
        .chain(requirements.iter().flat_map(|r| r.blockers.iter()));
    let notes = requirements.iter().flat_map(|r| r.bypassed.iter());
    let graded = all
        .map(|b| {
            (
                if b.blocks() {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                b,
            )
        })
        .chain(notes.map(|b| (Severity::Info, b)));
    for (severity, blocker) in graded {
        if findings.iter().any(|f| {
            f.blocker.code == blocker.code
                && f.blocker.resource_id == blocker.resource_id
                && f.blocker.message == blocker.message
        }) {
            continue;
        }
        findings.push(WorkloadFinding {
            severity,
            blocker: blocker.clone(),
            suppressed_by: None,
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_snapshot;
    use crate::workload::select_workloads;

    fn fixture(name: &str) -> Snapshot {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/scenarios")
            .join(name);
        load_snapshot(&path).expect("fixture loads")
    }

    /// The counting pass must compute the signatures the placements themselves have, or
    /// services placed alike would stop sharing verdicts.
    #[test]
    fn counted_signatures_are_the_placements_signatures() {
        // Plain, with an endpoint policy (the role counts), and with the VPC's default group.
        for (name, default_group) in [
            ("multi-service.json", false),
            ("endpoint-policy-denies.json", false),
            ("healthy-endpoints.json", true),
        ] {
            let mut snapshot = fixture(name);
            if default_group {
                for cluster in snapshot.clusters.iter_mut().flatten() {
                    for service in cluster.services.iter_mut().flatten() {
                        if let Some(configuration) = &mut service.network_configuration {
                            configuration.security_groups.clear();
                        }
                    }
                }
            }
            let workloads = select_workloads(&snapshot, None, &[]).expect("services");
            let index = NetworkIndex::new(&snapshot);
            // Each placement once: nothing to share.
            assert!(shared_placements(&index, &workloads).is_empty(), "{name}");
            // Each placement twice: every one is shared.
            let twice: Vec<Workload<'_>> = workloads.iter().chain(&workloads).cloned().collect();
            let shared = shared_placements(&index, &twice);
            for workload in &workloads {
                let role = workload
                    .task_definition
                    .and_then(|t| t.execution_role_arn.as_deref());
                let caller = caller_of(&snapshot, role);
                let placements =
                    fargate_placements(&index, workload, &caller, "test").expect("placements");
                assert_eq!(
                    placements[0].security_groups.len(),
                    1,
                    "{name}: the test means the default group to be found"
                );
                for placement in &placements {
                    assert!(
                        shared.contains(&placement_signature(placement)),
                        "{name}: {}",
                        placement.subnet.id
                    );
                }
            }
        }
    }
}
