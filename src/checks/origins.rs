//! Where a workload's calls start, and as whom: the task's subnets on Fargate, each container
//! instance's primary interface on EC2, with the execution role or the instance's role.

use super::catalog::Catalog;
use super::ec2_hosts::{ec2_hosts, Ec2Host};
use super::execution_role::{instance_role, RoleState};
use super::launch::{auth_outside_vpc, path_uncertain};
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::graph::{account_of, NetworkIndex, Placement};
use crate::model::{AssignPublicIp, SecurityGroup};
use crate::policy::keys::{self, Organization, RoleSession};
use crate::policy::{Caller, Context};
use crate::workload::{Launch, Target, Workload};

/// The identity calls are made with: a role session of `role_arn` (the execution role, or
/// with `ec2_instance` an instance's role), with its principal keys and the audit's clock.
pub(super) fn caller_of(
    catalog: &Catalog<'_>,
    role_arn: Option<&str>,
    clock: &Context,
    ec2_instance: bool,
) -> Caller {
    let snapshot = catalog.snapshot;
    let mut keys = Context::new();
    if let Some(arn) = role_arn {
        let role = catalog.role(arn).flatten();
        let account = account_of(arn).unwrap_or(&snapshot.account_id);
        let organization = if account == snapshot.account_id {
            catalog.organization.clone()
        } else {
            Organization::Unknown(format!(
                "the organization of account {account} is not known"
            ))
        };
        keys = keys::role_session(&RoleSession {
            role_arn: arn,
            account,
            role_id: role.and_then(|r| r.role_id.as_deref()),
            tags: role.and_then(|r| r.tags.as_ref()),
            organization: &organization,
            ec2_instance,
        });
    }
    keys.extend(clock);
    Caller {
        arn: role_arn.map(str::to_string),
        account: Some(snapshot.account_id.clone()),
        service: None,
        keys: std::rc::Rc::new(keys),
    }
}

/// "service `web`", or the task definition for a task run on its own.
pub(super) fn label_of(workload: &Workload<'_>) -> String {
    match &workload.service {
        Some(service) => format!("service `{service}`"),
        None => format!("task definition {}", workload.task_definition_arn),
    }
}

/// Where a workload's calls start, by the role that makes them.
pub(super) struct Origins<'i, 'a> {
    /// Calls made with the execution role (every call on Fargate).
    pub(super) execution: Result<Vec<Placement<'i, 'a>>, Blocker>,
    /// EC2 only: calls made with the instances' role, each placement calling as its own
    /// instance's role.
    pub(super) instance: Option<InstanceOrigins<'i, 'a>>,
    /// Calls that do not start in the VPC at all (see [`auth_outside_vpc`]).
    pub(super) outside_vpc: Vec<Target>,
    /// Calls whose path from the VPC is not certain (see [`path_uncertain`]): what blocks it
    /// is reported as unknown.
    pub(super) uncertain_path: Vec<Target>,
    /// EC2: the instances the placements come from.
    pub(super) instance_ids: Vec<String>,
}

impl Origins<'_, '_> {
    /// No call's start is known: every requirement, whoever makes it, carries `blocker`.
    fn unreachable(blocker: Blocker) -> Self {
        Origins {
            execution: Err(blocker.clone()),
            instance: Some(InstanceOrigins {
                placements: Err(blocker),
                roles: Vec::new(),
                role_gaps: Vec::new(),
            }),
            outside_vpc: Vec::new(),
            uncertain_path: Vec::new(),
            instance_ids: Vec::new(),
        }
    }
}

pub(super) struct InstanceOrigins<'i, 'a> {
    pub(super) placements: Result<Vec<Placement<'i, 'a>>, Blocker>,
    /// Each distinct instance role, with its state.
    pub(super) roles: Vec<(Caller, RoleState<'a>)>,
    /// Why some instance's role is not known.
    pub(super) role_gaps: Vec<Blocker>,
}

pub(super) fn origins<'i, 'a>(
    index: &'i NetworkIndex<'a>,
    catalog: &Catalog<'a>,
    workload: &Workload<'a>,
    caller: &Caller,
    clock: &Context,
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
            uncertain_path: [Target::Secretsmanager, Target::Ssm, Target::Logs]
                .into_iter()
                .filter(|t| path_uncertain(&workload.launch, *t))
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
            Origins::unreachable(blocker)
        }
        Launch::Ec2 {
            why,
            capacity_providers,
        } => match ec2_hosts(catalog, workload, &label, why, capacity_providers) {
            Err(blocker) => Origins::unreachable(blocker),
            Ok(hosts) => {
                let mut roles: Vec<(Caller, RoleState<'a>)> = Vec::new();
                let mut role_gaps = Vec::new();
                for host in &hosts {
                    match &host.role {
                        Ok(arn) if !roles.iter().any(|(c, _)| c.arn.as_deref() == Some(arn)) => {
                            roles.push((
                                caller_of(catalog, Some(arn), clock, true),
                                instance_role(catalog, arn),
                            ))
                        }
                        Ok(_) => {}
                        Err(blocker) => role_gaps.push(blocker.clone()),
                    }
                }
                let as_instance = |host: &Ec2Host<'a>| match &host.role {
                    Ok(arn) => caller_of(catalog, Some(arn), clock, true),
                    Err(_) => caller_of(catalog, None, clock, true),
                };
                Origins {
                    execution: host_placements(index, &hosts, &label, |_| caller.clone()),
                    instance: Some(InstanceOrigins {
                        placements: host_placements(index, &hosts, &label, as_instance),
                        roles,
                        role_gaps,
                    }),
                    outside_vpc: Vec::new(),
                    uncertain_path: Vec::new(),
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
            public_address: host.public_address.clone(),
            caller: caller_of_host(host),
        });
    }
    Ok(out)
}

/// The subnets a Fargate workload's tasks may land in, or why the path cannot be evaluated.
pub(super) fn fargate_placements<'i, 'a>(
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
            public_address: None,
            caller: caller.clone(),
        });
    }
    Ok(out)
}
