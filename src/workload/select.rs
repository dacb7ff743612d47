//! Choosing the workloads to audit from a snapshot (`--cluster`, `--service`).

use std::collections::HashMap;

use crate::model::{
    launch_of, AwsVpcConfiguration, Cluster, ContainerInstance, Launch, Service, Snapshot,
    TaskDefinition,
};

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
    /// Kubernetes nodes' own platforms, by EC2 instance id: what the kubelet reports in the
    /// `kubernetes.io/os` and `kubernetes.io/arch` labels (empty for ECS).
    pub node_platforms: Vec<NodePlatform>,
}

/// A Kubernetes node's platform, from the labels the kubelet sets to its own `GOOS` and
/// `GOARCH` (Kubernetes `pkg/kubelet/kubelet_node_status.go`, `initialNode`;
/// well-known labels `kubernetes.io/os`, `kubernetes.io/arch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePlatform {
    pub instance_id: String,
    pub node: String,
    pub os: String,
    pub architecture: String,
}

impl Workload<'_> {
    /// `cluster/service`, or the cluster alone (a task without a service), as reports name it.
    pub fn name(&self) -> String {
        match &self.service {
            Some(service) => format!("{}/{service}", self.cluster),
            None => self.cluster.clone(),
        }
    }
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
        node_platforms: Vec::new(),
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
