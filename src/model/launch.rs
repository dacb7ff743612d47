//! How a service's tasks launch (Fargate, EC2, external), from its configuration alone:
//! collection reads the container instances of the EC2 ones, the analysis follows whose
//! network path and permissions the pull uses.

use super::{CapacityProviderItem, LaunchType, TaskDefinition};

/// How the task's image gets pulled, which decides whose network path and permissions count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// Fargate: the task ENI pulls. `platform_version` as configured (`LATEST` when unset).
    Fargate { platform_version: String },
    /// EC2: the container agent on the instance pulls, over the instance's primary network
    /// interface, whatever the task's network mode.
    Ec2 {
        /// Why EC2 (the launch type, a capacity provider, the cluster default), for messages.
        why: String,
        /// The Auto Scaling group capacity providers the tasks may land on; empty: any
        /// container instance of the cluster.
        capacity_providers: Vec<String>,
    },
    /// External (ECS Anywhere) instances: outside AWS, not modelled.
    External { why: String },
}

/// The launch type, else the service's capacity-provider strategy, else the cluster's default
/// strategy, else EC2 (what ECS does when none is set), unless the task definition can only
/// run on Fargate (a snapshot that lost the launch type).
pub fn launch_of(
    launch_type: Option<LaunchType>,
    capacity_provider_strategy: &[CapacityProviderItem],
    cluster_default: &[CapacityProviderItem],
    platform_version: Option<&str>,
    task_definition: Option<&TaskDefinition>,
) -> Launch {
    let fargate = || Launch::Fargate {
        platform_version: platform_version.unwrap_or("LATEST").to_string(),
    };
    match launch_type {
        Some(LaunchType::Fargate) => return fargate(),
        Some(LaunchType::Ec2) => {
            return Launch::Ec2 {
                why: "launch type EC2".into(),
                capacity_providers: Vec::new(),
            }
        }
        Some(LaunchType::External) => {
            return Launch::External {
                why: "launch type EXTERNAL".into(),
            }
        }
        None => {}
    }
    let (strategy, whose) = if !capacity_provider_strategy.is_empty() {
        (capacity_provider_strategy, "the service's")
    } else {
        (cluster_default, "the cluster's default")
    };
    // A provider with neither weight nor base never gets a task.
    let used: Vec<&CapacityProviderItem> = strategy
        .iter()
        .filter(|p| p.weight > 0 || p.base > 0)
        .collect();
    if !used.is_empty() {
        // ECS refuses a strategy that mixes Fargate and Auto Scaling group providers.
        let groups: Vec<String> = used
            .iter()
            .filter(|p| !p.capacity_provider.starts_with("FARGATE"))
            .map(|p| p.capacity_provider.clone())
            .collect();
        return if groups.is_empty() {
            fargate()
        } else {
            Launch::Ec2 {
                why: format!("{whose} capacity provider strategy ({})", groups.join(", ")),
                capacity_providers: groups,
            }
        };
    }
    let fargate_only = task_definition.is_some_and(|t| {
        !t.requires_compatibilities.is_empty()
            && t.requires_compatibilities.iter().all(|c| c == "FARGATE")
    });
    if fargate_only {
        fargate()
    } else {
        Launch::Ec2 {
            why: "no launch type or capacity provider strategy (ECS uses EC2)".into(),
            capacity_providers: Vec::new(),
        }
    }
}
