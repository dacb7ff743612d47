//! Combining path, permission and registry verdicts into one result per requirement and per
//! workload.

use std::collections::HashMap;

use serde::Serialize;

use super::catalog::Catalog;
use super::execution_role::{execution_role, permission_blockers, RoleState};
use super::registry::{ecr_image_blockers, ecr_layer_blockers, registry_auth_blocker};
use crate::blocker::{Blocker, Status};
use crate::codes::Code;
use crate::graph::{evaluate_requirement, Hop, NetworkIndex, PathVerdict, Placement, Via};
use crate::model::{AssignPublicIp, SecurityGroup, Snapshot};
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
#[derive(Default)]
pub struct PathCache {
    verdicts: HashMap<String, PathVerdict>,
}

impl PathCache {
    fn verdict(&mut self, placement: &Placement<'_, '_>, requirement: &Requirement) -> PathVerdict {
        let key = format!(
            "{}|{}|{}|{:?}|{}|{}|{}|{:?}|{:?}",
            placement.subnet.id,
            placement.group_list(),
            placement.public_ip,
            placement
                .index
                .has_endpoint_policies(&placement.vpc.id)
                .then_some(&placement.caller.arn),
            requirement.target.as_str(),
            requirement.host,
            requirement.region,
            requirement.endpoint_permissions,
            placement.workload_subnets,
        );
        self.verdicts
            .entry(key)
            .or_insert_with(|| evaluate_requirement(placement, requirement))
            .clone()
    }
}

pub fn audit_workloads(snapshot: &Snapshot, workloads: &[Workload<'_>]) -> Vec<WorkloadResult> {
    let index = NetworkIndex::new(snapshot);
    let catalog = Catalog::new(snapshot);
    let mut cache = PathCache::default();
    workloads
        .iter()
        .map(|w| audit_workload(&index, &catalog, &mut cache, w))
        .collect()
}

pub fn audit_workload<'a>(
    index: &NetworkIndex<'a>,
    catalog: &Catalog<'a>,
    cache: &mut PathCache,
    workload: &Workload<'a>,
) -> WorkloadResult {
    let snapshot = index.snapshot;
    let mut workload_blockers = Vec::new();
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
            let role = execution_role(catalog, task_definition);
            // The role matters only if some call is made with it (a public image without
            // secrets or awslogs needs none).
            if let RoleState::Broken(blocker) = &role {
                if requirements.iter().any(Requirement::uses_execution_role) {
                    workload_blockers.push(blocker.clone());
                }
            }
            let caller = caller_of(snapshot, task_definition.execution_role_arn.as_deref());
            let placements = placements(index, workload, &caller);
            requirements
                .into_iter()
                .map(|requirement| {
                    audit_requirement(catalog, cache, &placements, &role, &caller, requirement)
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
    }
}

fn caller_of(snapshot: &Snapshot, role_arn: Option<&str>) -> Caller {
    Caller {
        arn: role_arn.map(str::to_string),
        account: Some(snapshot.account_id.clone()),
        service: None,
    }
}

/// The subnets a workload's tasks may land in, or why the path cannot be evaluated.
fn placements<'i, 'a>(
    index: &'i NetworkIndex<'a>,
    workload: &Workload<'a>,
    caller: &Caller,
) -> Result<Vec<Placement<'i, 'a>>, Blocker> {
    let label = match &workload.service {
        Some(service) => format!("service `{service}`"),
        None => format!("task definition {}", workload.task_definition_arn),
    };
    if let Launch::Instance { why } = &workload.launch {
        return Err(Blocker::new(
            Code::LaunchTypeNotModelled,
            &workload.task_definition_arn,
            format!("{label} runs on container instances ({why}): the instance's agent pulls the image over the instance's network interface, which this version does not model"),
            "Audit the container instances' subnet and instance role by hand, or run the service on Fargate.",
        ));
    }
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
        let not_collected = |what: String| {
            Blocker::new(Code::NotCollected, subnet_id, what, "Collect the workload's subnets, VPC and security groups (ec2:DescribeSubnets, ec2:DescribeVpcs, ec2:DescribeSecurityGroups).")
        };
        let subnet = index.subnet(subnet_id).map_err(|gap| {
            not_collected(format!("{gap}: the path from {label} cannot be evaluated"))
        })?;
        let vpc = index.vpc(&subnet.vpc_id).map_err(|gap| {
            not_collected(format!("{gap}: the path from {label} cannot be evaluated"))
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
                    not_collected(format!(
                        "{gap}: the egress rules of {label} cannot be evaluated"
                    ))
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
    placements: &Result<Vec<Placement<'_, '_>>, Blocker>,
    role: &RoleState<'_>,
    caller: &Caller,
    requirement: Requirement,
) -> RequirementResult {
    let mut status = Status::Reachable;
    let mut via = None;
    let mut path = Vec::new();
    let mut blockers: Vec<Blocker> = Vec::new();
    let mut bypassed: Vec<Blocker> = Vec::new();
    match placements {
        Err(blocker) => blockers.push(blocker.clone()),
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
    if requirement.uses_execution_role() {
        blockers.extend(permission_blockers(role, &requirement.permissions));
    }
    for image in &requirement.ecr_images {
        match requirement.target {
            Target::EcrDkr => blockers.extend(ecr_image_blockers(catalog, image, caller)),
            Target::S3Layers => blockers.extend(ecr_layer_blockers(catalog, image, caller)),
            _ => {}
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
