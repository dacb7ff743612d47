//! Choosing the workloads to audit from a snapshot (`--cluster`, `--service`).

use std::collections::HashMap;

use crate::model::{
    AwsVpcConfiguration, CapacityProviderItem, Cluster, ContainerInstance, LaunchType, Service,
    Snapshot, TaskDefinition,
};

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

/// One thing to audit: a task definition and where its tasks are placed.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub cluster: String,
    pub service: Option<String>,
    pub task_definition_arn: String,
    /// `None`: the task definition was not collected.
    pub task_definition: Option<&'a TaskDefinition>,
    pub launch: Launch,
    pub placement: Option<&'a AwsVpcConfiguration>,
    /// The cluster's container instances (`None`: not collected), for EC2 launches.
    pub container_instances: Option<&'a [ContainerInstance]>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectError {
    #[error("the snapshot has no ECS clusters (`clusters` was not collected)")]
    NoClusters,
    #[error("cluster `{wanted}` is not in the snapshot (clusters: {known})")]
    UnknownCluster { wanted: String, known: String },
    #[error("service `{wanted}` is not in cluster `{cluster}` (services: {known})")]
    UnknownService {
        wanted: String,
        cluster: String,
        known: String,
    },
    #[error("task `{wanted}` is not among the snapshot's tasks of cluster `{cluster}` (collect it with `pullpath diagnose --task`; ECS keeps stopped tasks for about an hour)")]
    UnknownTask { wanted: String, cluster: String },
    #[error("--service needs --cluster when the snapshot has more than one cluster")]
    ServiceWithoutCluster,
    /// Auditing nothing must not look like a pass (a deploy gate would let anything through).
    #[error("nothing to audit: {0} has no services")]
    NothingToAudit(String),
}

pub fn select_workloads<'a>(
    snapshot: &'a Snapshot,
    cluster: Option<&str>,
    services: &[String],
) -> Result<Vec<Workload<'a>>, SelectError> {
    let clusters = snapshot.clusters.as_ref().ok_or(SelectError::NoClusters)?;
    let chosen: Vec<_> = match cluster {
        Some(wanted) => vec![find_cluster(clusters, wanted)?],
        None if !services.is_empty() && clusters.len() > 1 => {
            return Err(SelectError::ServiceWithoutCluster)
        }
        None => clusters.iter().collect(),
    };

    let task_definitions: HashMap<&str, &TaskDefinition> = snapshot
        .task_definitions
        .iter()
        .flatten()
        .map(|t| (t.arn.as_str(), t))
        .collect();
    let mut workloads = Vec::new();
    let mut skipped_unread = false;
    for cluster in &chosen {
        let Some(cluster_services) = &cluster.services else {
            // A cluster whose services could not be read is left out here and makes the scope
            // unknown (`Coverage::unread_clusters`): neither bad input nor a pass.
            skipped_unread = true;
            continue;
        };
        let picked: Vec<&Service> = if services.is_empty() {
            cluster_services.iter().collect()
        } else {
            services
                .iter()
                .map(|wanted| {
                    cluster_services
                        .iter()
                        .find(|s| &s.name == wanted || &s.arn == wanted)
                        .ok_or_else(|| SelectError::UnknownService {
                            wanted: wanted.clone(),
                            cluster: cluster.name.clone(),
                            known: list(cluster_services.iter().map(|s| s.name.as_str())),
                        })
                })
                .collect::<Result<_, _>>()?
        };
        for service in picked {
            workloads.push(workload_of(&task_definitions, cluster, service));
        }
    }
    if workloads.is_empty() && !skipped_unread {
        let names: Vec<_> = chosen
            .iter()
            .map(|c| format!("cluster `{}`", c.name))
            .collect();
        let names = if names.is_empty() {
            "the snapshot".to_string()
        } else {
            names.join(", ")
        };
        return Err(SelectError::NothingToAudit(names));
    }
    Ok(workloads)
}

fn workload_of<'a>(
    task_definitions: &HashMap<&str, &'a TaskDefinition>,
    cluster: &'a Cluster,
    service: &'a Service,
) -> Workload<'a> {
    let task_definition = task_definitions
        .get(service.task_definition.as_str())
        .copied();
    Workload {
        cluster: cluster.name.clone(),
        service: Some(service.name.clone()),
        task_definition_arn: service.task_definition.clone(),
        task_definition,
        launch: launch_of(
            service.launch_type,
            &service.capacity_provider_strategy,
            &cluster.default_capacity_provider_strategy,
            service.platform_version.as_deref(),
            task_definition,
        ),
        placement: service.network_configuration.as_ref(),
        container_instances: cluster.container_instances.as_deref(),
    }
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

/// The cluster named `wanted` (name or ARN).
pub(super) fn find_cluster<'a>(
    clusters: &'a [Cluster],
    wanted: &str,
) -> Result<&'a Cluster, SelectError> {
    clusters
        .iter()
        .find(|c| c.name == wanted || c.arn == wanted)
        .ok_or_else(|| SelectError::UnknownCluster {
            wanted: wanted.to_string(),
            known: list(clusters.iter().map(|c| c.name.as_str())),
        })
}

pub(super) fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<_> = names.collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
