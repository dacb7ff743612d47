//! Combining path, permission and registry verdicts into one result per requirement and per
//! workload.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use super::catalog::Catalog;
use super::execution_role::{execution_role, permission_blockers, RoleKind, RoleState};
use super::launch::{launch_blockers, who_calls};
use super::options::AuditOptions;
use super::origins::{caller_of, origins, Origins};
use super::platform::{requirement_platform_blockers, run_platforms, RunPlatform};
use super::prepare::{prepare_requirement, with_blockers};
use super::registry::{ecr_image_blockers, ecr_layer_blockers, registry_auth_blocker};
use super::request_context::CallNetworks;
use crate::blocker::{Blocker, Status};
use crate::codes::Code;
use crate::graph::{
    evaluate_requirement, Hop, NetworkIndex, PathVerdict, Placement, ReachabilityGraph, Via,
};
use crate::model::{AssignPublicIp, Snapshot};
use crate::policy::keys::Network;
use crate::policy::Caller;
use crate::workload::{derive_requirements, Launch, Permission, Requirement, Target, Workload};

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

/// A workload's name in reports, suppressions and root causes: "cluster/service", or the
/// cluster alone for a workload without a service.
pub fn workload_name(cluster: &str, service: Option<&str>) -> String {
    match service {
        Some(service) => format!("{cluster}/{service}"),
        None => cluster.to_string(),
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
        workload_name(&self.cluster, self.service.as_deref())
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
    /// Every call evaluated, as flows over the account's graph.
    pub graph: ReachabilityGraph,
    verdicts: HashMap<String, PathVerdict>,
    /// Signatures (see [`placement_signature`]) of the placements worth caching; `None`:
    /// every placement is.
    shared: Option<HashSet<u64>>,
}

impl PathCache {
    fn verdict(&mut self, placement: &Placement<'_, '_>, requirement: &Requirement) -> PathVerdict {
        if let Some(shared) = &self.shared {
            if !shared.contains(&placement_signature(placement)) {
                return evaluate_requirement(&mut self.graph, placement, requirement);
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
        // The verdict carries the call's network keys: the source address, and (through the
        // endpoint policies) whose credentials the caller holds.
        field(placement.public_address.as_deref().unwrap_or("-"));
        field(caller_kind(placement));
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
        if let Some(verdict) = self.verdicts.get(&key) {
            return verdict.clone();
        }
        let verdict = evaluate_requirement(&mut self.graph, placement, requirement);
        self.verdicts.insert(key, verdict.clone());
        verdict
    }
}

/// What identifies a placement for the cache, hashed: the subnet, the security groups, the
/// public IP setting, the workload's subnets, and the calling role where an endpoint policy
/// could tell roles apart (as in the cache's key). Two placements with the same signature may
/// share verdicts; a signature seen once means no verdict of it is ever reused. (A hash
/// collision only makes a placement cached that need not be.)
fn placement_signature(placement: &Placement<'_, '_>) -> u64 {
    let base = signature(
        &placement.subnet.id,
        placement.security_groups.iter().map(|g| g.id.as_str()),
        placement.public_ip,
        &placement.workload_subnets,
        placement
            .index
            .has_endpoint_policies(&placement.vpc.id)
            .then_some(placement.caller.arn.as_deref()),
    );
    // Fargate placements (the only ones the counting pass counts) have neither a known
    // public address nor instance credentials: their signature is the counting pass's.
    if placement.public_address.is_none() && caller_kind(placement) == "session" {
        return base;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    base.hash(&mut hasher);
    placement.public_address.hash(&mut hasher);
    caller_kind(placement).hash(&mut hasher);
    hasher.finish()
}

/// Whether the placement calls with a role session ECS hands out, or an EC2 instance's own
/// role credentials (which carry other keys: `aws:Ec2InstanceSourceVpc`).
fn caller_kind(placement: &Placement<'_, '_>) -> &'static str {
    let absent = placement
        .caller
        .keys
        .get("aws:Ec2InstanceSourceVpc")
        .is_some_and(|f| f.value == crate::policy::KeyValue::Absent);
    if absent || placement.caller.arn.is_none() {
        "session"
    } else {
        "instance"
    }
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
    audit_workloads_with_graph(snapshot, workloads, options).0
}

/// [`audit_workloads`], with the reachability graph the calls were evaluated over.
pub fn audit_workloads_with_graph(
    snapshot: &Snapshot,
    workloads: &[Workload<'_>],
    options: &AuditOptions,
) -> (Vec<WorkloadResult>, ReachabilityGraph) {
    let index = NetworkIndex::new(snapshot);
    let catalog = Catalog::new(snapshot);
    let mut cache = PathCache {
        graph: ReachabilityGraph::default(),
        verdicts: HashMap::new(),
        shared: Some(shared_placements(&index, workloads)),
    };
    let results = workloads
        .iter()
        .map(|w| audit_workload(&index, &catalog, &mut cache, w, options))
        .collect();
    (results, cache.graph)
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
            let clock = options.clock_keys();
            let execution = execution_role(catalog, task_definition, &clock);
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
            let caller = caller_of(
                catalog,
                task_definition.execution_role_arn.as_deref(),
                &clock,
                false,
            );
            let origins = origins(index, catalog, workload, &caller, &clock);
            instances.clone_from(&origins.instance_ids);
            let platforms =
                run_platforms(catalog, workload, task_definition, &origins.instance_ids);
            // Declared routes and the secrets' KMS keys, from outside the task definition.
            let prepared: Vec<(Requirement, Vec<Blocker>, RoleKind)> = requirements
                .into_iter()
                .map(|mut requirement| {
                    let unknown = prepare_requirement(catalog, options, &mut requirement);
                    let who = who_calls(&workload.launch, requirement.target, has_execution_role);
                    (requirement, unknown, who)
                })
                .collect();
            // Every call's paths first: a permission's conditions follow from the path of the
            // call that carries it, which may be another requirement's.
            let mut networks = CallNetworks::default();
            let paths: Vec<RequirementPaths> = prepared
                .iter()
                .map(|(requirement, _, who)| {
                    requirement_paths(cache, &origins, *who, requirement, &mut networks)
                })
                .collect();
            prepared
                .into_iter()
                .zip(paths)
                .map(|((requirement, unknown, who), paths)| {
                    let callers = Callers {
                        origins: &origins,
                        execution: &execution,
                        execution_caller: &caller,
                        who,
                        networks: &networks,
                        platforms: &platforms,
                    };
                    with_blockers(
                        audit_requirement(catalog, &callers, requirement, paths),
                        unknown,
                    )
                })
                .collect()
        }
    };
    let mut requirements = requirements;
    super::workload_remedies::add_workload_remedies(workload, &mut requirements);
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

/// What a requirement's paths decide, before permissions.
struct RequirementPaths {
    status: Status,
    via: Option<Via>,
    path: Vec<Hop>,
    blockers: Vec<Blocker>,
    bypassed: Vec<Blocker>,
}

/// Evaluates the requirement's path from every placement of the role that makes it (tasks
/// may land in any subnet: the requirement is as good as its worst subnet), recording in
/// `networks` how the call leaves from each.
fn requirement_paths(
    cache: &mut PathCache,
    origins: &Origins<'_, '_>,
    who: RoleKind,
    requirement: &Requirement,
    networks: &mut CallNetworks,
) -> RequirementPaths {
    let mut out = RequirementPaths {
        status: Status::Reachable,
        via: None,
        path: Vec::new(),
        blockers: Vec::new(),
        bypassed: Vec::new(),
    };
    let placements = match origins
        .instance
        .as_ref()
        .filter(|_| who == RoleKind::Instance)
    {
        Some(instance) => &instance.placements,
        None => &origins.execution,
    };
    let placements = match placements {
        Err(blocker) => {
            out.blockers.push(blocker.clone());
            return out;
        }
        Ok(placements) => placements,
    };
    if origins.outside_vpc.contains(&requirement.target) {
        for placement in placements {
            networks.add(
                requirement,
                placement.caller.arn.as_deref(),
                Network::Unknown {
                    why:
                        "Fargate makes this call from its own network before platform version 1.4.0"
                            .into(),
                },
            );
        }
        return out;
    }
    let uncertain = origins.uncertain_path.contains(&requirement.target);
    for (i, placement) in placements.iter().enumerate() {
        let mut verdict = cache.verdict(placement, requirement);
        if uncertain {
            verdict.blockers = verdict
                .blockers
                .into_iter()
                .map(Blocker::uncertain)
                .collect();
            verdict.status = verdict.status.min(Status::Unknown);
            verdict.network = Network::Unknown {
                why: "before platform version 1.4.0 Fargate may make this call from its own interface".into(),
            };
        }
        networks.add(
            requirement,
            placement.caller.arn.as_deref(),
            verdict.network.clone(),
        );
        if i == 0 || verdict.status > out.status {
            out.status = verdict.status;
            out.via = verdict.via;
            out.path = verdict.path;
        }
        push_new(&mut out.blockers, verdict.blockers);
        push_new(&mut out.bypassed, verdict.bypassed);
    }
    out
}

/// Who makes a requirement's call, and how each call of the workload leaves.
struct Callers<'r, 'i, 'a> {
    origins: &'r Origins<'i, 'a>,
    execution: &'r RoleState<'a>,
    execution_caller: &'r Caller,
    who: RoleKind,
    networks: &'r CallNetworks,
    /// Where the containers run, for the image's platforms.
    platforms: &'r Result<Vec<RunPlatform>, Blocker>,
}

fn audit_requirement(
    catalog: &Catalog<'_>,
    callers: &Callers<'_, '_, '_>,
    requirement: Requirement,
    paths: RequirementPaths,
) -> RequirementResult {
    let RequirementPaths {
        status,
        via,
        path,
        mut blockers,
        mut bypassed,
    } = paths;
    let instance = callers
        .origins
        .instance
        .as_ref()
        .filter(|_| callers.who == RoleKind::Instance);
    // The roles that make the call, with the identity repository policies see.
    let roles: Vec<(&Caller, &RoleState<'_>)> = match instance {
        Some(instance) => {
            blockers.extend(instance.role_gaps.iter().cloned());
            instance.roles.iter().map(|(c, r)| (c, r)).collect()
        }
        None => vec![(callers.execution_caller, callers.execution)],
    };
    for (caller, role) in &roles {
        let contexts_of = |p: &Permission| {
            callers
                .networks
                .contexts(catalog.snapshot, caller, &requirement, p)
        };
        if requirement.uses_execution_role() {
            blockers.extend(permission_blockers(
                role,
                &requirement.permissions,
                &contexts_of,
            ));
        }
        for image in &requirement.ecr_images {
            match requirement.target {
                Target::EcrDkr => blockers.extend(ecr_image_blockers(
                    catalog,
                    image,
                    caller,
                    role,
                    &contexts_of,
                )),
                Target::S3Layers => {
                    blockers.extend(ecr_layer_blockers(catalog, image, caller, &contexts_of))
                }
                _ => {}
            }
        }
    }
    blockers.extend(requirement_platform_blockers(
        catalog,
        &requirement,
        callers.platforms,
    ));
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
        match into.iter_mut().find(|b| b.identity() == blocker.identity()) {
            Some(kept) => kept.absorb_remedy(&blocker),
            None => into.push(blocker),
        }
    }
}

/// Every problem of the workload once: workload-level blockers first, then each requirement's,
/// then the endpoints that working calls bypass (information).
pub(super) fn collect_findings(
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
    use crate::checks::origins::fargate_placements;
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
                let catalog = Catalog::new(&snapshot);
                let caller = caller_of(&catalog, role, &crate::policy::Context::new(), false);
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

    /// The graph grows with the account's resources and the distinct calls, not with the
    /// services: twenty copies of each service, placed alike, add no node, edge or flow.
    #[test]
    fn services_placed_alike_share_the_graph() {
        let snapshot = fixture("multi-service.json");
        let workloads = select_workloads(&snapshot, None, &[]).expect("services");
        let (_, once) = audit_workloads_with_graph(&snapshot, &workloads, &Default::default());
        let many: Vec<Workload<'_>> = (0..20).flat_map(|_| workloads.clone()).collect();
        let (results, graph) = audit_workloads_with_graph(&snapshot, &many, &Default::default());
        assert_eq!(results.len(), 20 * workloads.len());
        let size = graph.size();
        assert_eq!(size, once.size());
        assert!(size.flows > 0 && size.vpcs == 1, "{size:?}");
        // Calls to different hosts share the hops before the host.
        let hops: usize = results[..workloads.len()]
            .iter()
            .flat_map(|r| &r.requirements)
            .map(|r| r.path.len())
            .sum();
        assert!(size.nodes < hops, "{size:?} against {hops} hops");
        let subnet = &results[0].requirements[0].path[0];
        assert!(graph.flows_through(subnet) > 1);
    }
}
