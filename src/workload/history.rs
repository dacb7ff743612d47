//! What `diagnose` audits: the tasks that stopped (of a service, or one task), and the
//! placement and task definition they actually ran with — which may differ from the service's
//! current configuration.

use crate::model::{AwsVpcConfiguration, Service, Snapshot, StoppedTask};

use super::select::{launch_of, SelectError, Workload};

/// What the user asked to diagnose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Service(String),
    /// A task id or ARN.
    Task(String),
}

/// The stopped tasks of the subject, most recent first.
#[derive(Debug)]
pub struct History<'a> {
    pub cluster: String,
    pub service: Option<&'a Service>,
    pub tasks: Vec<&'a StoppedTask>,
    /// `false`: the snapshot has no stopped tasks at all (not collected).
    pub collected: bool,
}

pub fn history<'a>(
    snapshot: &'a Snapshot,
    cluster: &str,
    subject: &Subject,
) -> Result<History<'a>, SelectError> {
    let clusters = snapshot.clusters.as_ref().ok_or(SelectError::NoClusters)?;
    let found = clusters
        .iter()
        .find(|c| c.name == cluster || c.arn == cluster)
        .ok_or_else(|| SelectError::UnknownCluster {
            wanted: cluster.to_string(),
            known: clusters
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let services = found.services.as_deref().unwrap_or_default();
    let in_cluster = |t: &&StoppedTask| t.cluster == found.name;
    let stopped: Vec<&StoppedTask> = snapshot
        .stopped_tasks
        .iter()
        .flatten()
        .filter(in_cluster)
        .collect();
    let (service, mut tasks) = match subject {
        Subject::Service(wanted) => {
            let service = services
                .iter()
                .find(|s| &s.name == wanted || &s.arn == wanted)
                .ok_or_else(|| SelectError::UnknownService {
                    wanted: wanted.clone(),
                    cluster: found.name.clone(),
                    known: services
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            let tasks = stopped
                .into_iter()
                .filter(|t| t.service() == Some(service.name.as_str()))
                .collect();
            (Some(service), tasks)
        }
        Subject::Task(wanted) => {
            let task = stopped
                .into_iter()
                .find(|t| &t.arn == wanted || t.id() == wanted)
                .ok_or_else(|| SelectError::UnknownTask {
                    wanted: wanted.clone(),
                    cluster: found.name.clone(),
                })?;
            let service = task
                .service()
                .and_then(|name| services.iter().find(|s| s.name == name));
            (service, vec![task])
        }
    };
    tasks.sort_by(|a, b| b.stopped_at.cmp(&a.stopped_at));
    Ok(History {
        cluster: found.name.clone(),
        service,
        tasks,
        collected: snapshot.stopped_tasks.is_some(),
    })
}

/// Where the stopped tasks ran, and where that was read from.
#[derive(Debug, Clone)]
pub struct RunPlacement {
    /// `None`: unknown (a task run on its own records no security groups once stopped).
    pub configuration: Option<AwsVpcConfiguration>,
    pub task_definition: String,
    /// Where the subnets, security groups and task definition come from, in words.
    pub sources: Vec<String>,
}

/// The subnets come from the tasks' network interfaces (attachment details). The security
/// groups and public-IP setting are not recorded on a task: they come from the deployment
/// that started it (`startedBy`), else from the service's current configuration.
pub fn run_placement(history: &History<'_>) -> RunPlacement {
    let mut sources = Vec::new();
    let service_configuration = history
        .service
        .and_then(|s| s.network_configuration.as_ref());
    let latest = history.tasks.first();
    let task_definition = match (latest, history.service) {
        (Some(task), Some(service)) if task.task_definition != service.task_definition => {
            sources.push(format!(
                "the stopped task ran task definition {}; the service now runs {}",
                task.task_definition, service.task_definition
            ));
            task.task_definition.clone()
        }
        (Some(task), _) => task.task_definition.clone(),
        (None, Some(service)) => service.task_definition.clone(),
        (None, None) => String::new(),
    };
    let mut subnets: Vec<String> = Vec::new();
    for interface in history
        .tasks
        .iter()
        .filter_map(|t| t.network_interface.as_ref())
    {
        if !subnets.contains(&interface.subnet_id) {
            subnets.push(interface.subnet_id.clone());
        }
    }
    if subnets.is_empty() {
        sources.push(match service_configuration {
            Some(_) if history.tasks.is_empty() => {
                "no stopped task: the service's current network configuration".to_string()
            }
            Some(_) => "no stopped task recorded a network interface: the service's current network configuration".to_string(),
            None => "no network configuration is known for the task".to_string(),
        });
        return RunPlacement {
            configuration: service_configuration.cloned(),
            task_definition,
            sources,
        };
    }
    sources.push(if history.tasks.len() > 1 {
        format!(
            "subnets {} from the stopped tasks' network interfaces",
            subnets.join(", ")
        )
    } else {
        format!(
            "subnet {} from the stopped task's network interface",
            subnets.join(", ")
        )
    });
    let deployment = latest.and_then(|t| t.started_by.as_deref()).and_then(|id| {
        history
            .service?
            .deployments
            .iter()
            .flatten()
            .find(|d| d.id == id)
    });
    let groups_from = match (
        deployment.and_then(|d| d.network_configuration.as_ref()),
        service_configuration,
    ) {
        (Some(configuration), _) => {
            sources.push(format!(
                "security groups and public IP from deployment {}, which started the task",
                deployment.map_or("", |d| d.id.as_str())
            ));
            Some(configuration)
        }
        (None, Some(configuration)) => {
            sources.push("security groups and public IP from the service's current configuration (the deployment that started the task is no longer listed)".to_string());
            Some(configuration)
        }
        (None, None) => {
            sources.push(
                "the security groups of a task run on its own are not recorded once it stops"
                    .to_string(),
            );
            None
        }
    };
    RunPlacement {
        configuration: groups_from.map(|c| AwsVpcConfiguration {
            subnets,
            security_groups: c.security_groups.clone(),
            assign_public_ip: c.assign_public_ip,
        }),
        task_definition,
        sources,
    }
}

/// The workload to audit for a diagnosis: the task definition and placement the tasks ran
/// with.
pub fn diagnosed_workload<'a>(
    snapshot: &'a Snapshot,
    history: &History<'a>,
    placement: &'a RunPlacement,
) -> Workload<'a> {
    let task_definition = snapshot
        .task_definitions
        .iter()
        .flatten()
        .find(|t| t.arn == placement.task_definition);
    let launch = match (history.service, history.tasks.first()) {
        (Some(service), _) => launch_of(
            service.launch_type,
            &service.capacity_provider_strategy,
            service.platform_version.as_deref(),
            task_definition,
        ),
        (None, task) => launch_of(
            task.and_then(|t| t.launch_type),
            &[],
            task.and_then(|t| t.platform_version.as_deref()),
            task_definition,
        ),
    };
    Workload {
        cluster: history.cluster.clone(),
        service: history.service.map(|s| s.name.clone()),
        task_definition_arn: placement.task_definition.clone(),
        task_definition,
        launch,
        placement: placement.configuration.as_ref(),
    }
}
