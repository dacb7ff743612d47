//! EC2-hosted tasks: the container instances a workload's tasks may land on, and for each the
//! primary network interface and the role its agent pulls with. On EC2 the agent pulls the
//! image, reads secrets and Docker ships awslogs over the instance's own interface, whatever
//! the task's network mode; a task's `awsvpc` interface carries only the application.

use super::catalog::Catalog;
use crate::blocker::Blocker;
use crate::codes::Code;
use crate::model::{ContainerInstance, Instance};
use crate::workload::Workload;

/// One distinct way an instance of the workload is connected: several instances alike are
/// one host (their ids kept for messages).
pub struct Ec2Host<'a> {
    pub instance_ids: Vec<String>,
    pub subnet_id: &'a str,
    pub security_groups: &'a [String],
    pub public_ip: bool,
    /// The public address, when the host is one instance with one (the source of its calls
    /// through an internet gateway).
    pub public_address: Option<String>,
    /// The instance profile's role, or why it is not known.
    pub role: Result<String, Blocker>,
}

const COLLECT_FIX: &str = "Collect the cluster's container instances and their EC2 instances and instance profiles (ecs:ListContainerInstances, ecs:DescribeContainerInstances, ec2:DescribeInstances, iam:GetInstanceProfile).";

/// The hosts a workload on EC2 may run on: the cluster's `ACTIVE` container instances, only
/// those of `capacity_providers` when the strategy names some.
pub fn ec2_hosts<'a>(
    catalog: &Catalog<'a>,
    workload: &Workload<'a>,
    label: &str,
    why: &str,
    capacity_providers: &[String],
) -> Result<Vec<Ec2Host<'a>>, Blocker> {
    let Some(registered) = workload.container_instances else {
        return Err(Blocker::new(
            Code::NotCollected,
            &workload.cluster,
            format!("{label} runs on EC2 ({why}), but the container instances of cluster `{}` were not collected, so the instances' network path and role are unknown{}", workload.cluster, catalog.snapshot.why_not_collected("container_instances")),
            COLLECT_FIX,
        ));
    };
    // ECS places tasks only on ACTIVE instances whose agent is connected.
    let candidates: Vec<&ContainerInstance> = registered
        .iter()
        .filter(|c| c.status.eq_ignore_ascii_case("ACTIVE") && c.agent_connected != Some(false))
        .filter(|c| {
            capacity_providers.is_empty()
                || c.capacity_provider_name
                    .as_ref()
                    .is_some_and(|p| capacity_providers.contains(p))
        })
        .collect();
    if candidates.is_empty() {
        let whose = if capacity_providers.is_empty() {
            format!("cluster `{}`", workload.cluster)
        } else {
            format!(
                "capacity provider(s) {} of cluster `{}`",
                capacity_providers.join(", "),
                workload.cluster
            )
        };
        return Err(Blocker::new(
            Code::NoContainerInstances,
            &workload.cluster,
            format!("{label} runs on EC2 ({why}), but {whose} has no ACTIVE container instance: tasks cannot be placed, and the network path their images would be pulled over is unknown until instances register"),
            "Register container instances (scale the Auto Scaling group of the capacity provider, or launch ECS-optimized instances with ECS_CLUSTER set), then audit again.",
        ));
    }
    let mut hosts: Vec<Ec2Host<'a>> = Vec::new();
    let mut stopped: Vec<String> = Vec::new();
    for container_instance in candidates {
        let Some(id) = &container_instance.ec2_instance_id else {
            continue; // an external instance: not an EC2 host
        };
        let instance = find_instance(catalog, id, label)?;
        // A stopped or terminating instance keeps its registration for a while: it runs nothing.
        if !instance.state.eq_ignore_ascii_case("running") {
            stopped.push(format!("{id} ({})", instance.state));
            continue;
        }
        let Some(subnet_id) = instance.subnet_id.as_deref() else {
            return Err(Blocker::new(
                Code::NotCollected,
                id,
                format!("instance {id} of {label} has no subnet recorded, so its network path is unknown"),
                COLLECT_FIX,
            ));
        };
        let role = instance_role_arn(catalog, instance);
        let public_ip = instance.public_ip.is_some();
        let same = hosts.iter_mut().find(|h| {
            h.subnet_id == subnet_id
                && h.security_groups == instance.security_groups.as_slice()
                && h.public_ip == public_ip
                && h.role == role
        });
        match same {
            Some(host) => {
                host.instance_ids.push(id.clone());
                host.public_address = None; // several instances, several addresses
            }
            None => hosts.push(Ec2Host {
                instance_ids: vec![id.clone()],
                subnet_id,
                security_groups: &instance.security_groups,
                public_ip,
                public_address: instance.public_ip.clone(),
                role,
            }),
        }
    }
    if hosts.is_empty() {
        // No host: the ACTIVE instances were stopped, or external (ECS Anywhere).
        let what = if stopped.is_empty() {
            "every ACTIVE container instance is an external (ECS Anywhere) instance, not an EC2 host".to_string()
        } else {
            format!(
                "its only ACTIVE container instances are not running: {}",
                stopped.join(", ")
            )
        };
        return Err(Blocker::new(
            Code::NoContainerInstances,
            &workload.cluster,
            format!("{label} runs on EC2 ({why}), but in cluster `{}` {what}: tasks cannot be placed on EC2, and the path their pulls would take is unknown", workload.cluster),
            "Start or replace the instances (or scale the capacity provider's Auto Scaling group) so that running EC2 instances register with the cluster, then audit again.",
        ));
    }
    Ok(hosts)
}

fn find_instance<'a>(
    catalog: &Catalog<'a>,
    id: &str,
    label: &str,
) -> Result<&'a Instance, Blocker> {
    match catalog.instance(id) {
        Some(Some(instance)) => Ok(instance),
        None => Err(Blocker::new(
            Code::NotCollected,
            id,
            format!("EC2 instances were not collected, so the network path of {label} through instance {id} is unknown{}", catalog.snapshot.why_not_collected("instances")),
            COLLECT_FIX,
        )),
        Some(None) => Err(Blocker::new(
            Code::NotCollected,
            id,
            format!("container instance {id} of {label} is not among the collected EC2 instances (terminated?), so its network path is unknown"),
            COLLECT_FIX,
        )),
    }
}

/// The role the instance's agent calls AWS with, from its instance profile.
fn instance_role_arn(catalog: &Catalog<'_>, instance: &Instance) -> Result<String, Blocker> {
    let Some(profile_arn) = &instance.instance_profile_arn else {
        return Err(Blocker::new(
            Code::NotCollected,
            &instance.id,
            format!("instance {} has no instance profile recorded, so the role its ECS agent uses for ECR and awslogs is unknown", instance.id),
            format!("Attach an instance profile whose role has AmazonEC2ContainerServiceforEC2Role (aws ec2 associate-iam-instance-profile --instance-id {} --iam-instance-profile Name=ecsInstanceRole).", instance.id),
        ));
    };
    match catalog.instance_profile(profile_arn) {
        Some(Some(profile)) => profile.role_arns.first().cloned().ok_or_else(|| {
            Blocker::new(
                Code::NotCollected,
                profile_arn,
                format!("instance profile {profile_arn} of instance {} holds no role, so the role its ECS agent uses is unknown", instance.id),
                format!("Add the ECS instance role to the profile (aws iam add-role-to-instance-profile --instance-profile-name {} --role-name ecsInstanceRole).", profile.name),
            )
        }),
        _ => Err(Blocker::new(
            Code::NotCollected,
            profile_arn,
            format!("instance profile {profile_arn} of instance {} was not collected, so the role its ECS agent uses is unknown{}", instance.id, catalog.snapshot.why_not_collected("instance_profiles")),
            COLLECT_FIX,
        )),
    }
}
