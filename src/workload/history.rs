//! What `diagnose` audits: the tasks that stopped (of a service, or one task), grouped by the
//! deployment and task definition that started them, and the placement each group actually
//! ran with — which may differ from the service's current configuration.

use crate::model::{launch_of, AwsVpcConfiguration, Service, ServiceEvent, Snapshot, StoppedTask};

use super::select::{find_cluster, list, SelectError, Workload};

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
    pub subject: Subject,
    pub service: Option<&'a Service>,
    pub tasks: Vec<&'a StoppedTask>,
    /// `false`: the snapshot has no stopped tasks at all (not collected).
    pub collected: bool,
}

/// Tasks started alike: by the same deployment, with the same task definition. Each group is
/// audited on its own, because each ran with its own security groups and task definition.
#[derive(Debug, Clone)]
pub struct TaskGroup<'a> {
    pub started_by: Option<&'a str>,
    pub task_definition: &'a str,
    /// Most recent first.
    pub tasks: Vec<&'a StoppedTask>,
}

pub fn history<'a>(
    snapshot: &'a Snapshot,
    cluster: &str,
    subject: &Subject,
) -> Result<History<'a>, SelectError> {
    let clusters = snapshot.clusters.as_ref().ok_or(SelectError::NoClusters)?;
    let found = find_cluster(clusters, cluster)?;
    let services = found.services.as_deref().unwrap_or_default();
    let stopped = snapshot
        .stopped_tasks
        .iter()
        .flatten()
        .filter(|t| t.cluster == found.name);
    let (service, mut tasks): (Option<&Service>, Vec<&StoppedTask>) = match subject {
        Subject::Service(wanted) => {
            let service = services
                .iter()
                .find(|s| &s.name == wanted || &s.arn == wanted)
                .ok_or_else(|| SelectError::UnknownService {
                    wanted: wanted.clone(),
                    cluster: found.name.clone(),
                    known: list(services.iter().map(|s| s.name.as_str())),
                })?;
            let tasks = stopped
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
        subject: subject.clone(),
        service,
        tasks,
        collected: snapshot.stopped_tasks.is_some(),
    })
}

impl<'a> History<'a> {
    /// The groups of tasks, the group of the most recent task first.
    pub fn groups(&self) -> Vec<TaskGroup<'a>> {
        let mut groups: Vec<TaskGroup<'a>> = Vec::new();
        for task in &self.tasks {
            let started_by = task.started_by.as_deref().filter(|s| !s.is_empty());
            match groups
                .iter_mut()
                .find(|g| g.started_by == started_by && g.task_definition == task.task_definition)
            {
                Some(group) => group.tasks.push(task),
                None => groups.push(TaskGroup {
                    started_by,
                    task_definition: &task.task_definition,
                    tasks: vec![task],
                }),
            }
        }
        groups
    }

    /// The service's events that bear on the subject: all of them for a service; for one
    /// task, only those that name it.
    pub fn events(&self) -> Vec<&'a ServiceEvent> {
        let events = self
            .service
            .and_then(|s| s.events.as_deref())
            .unwrap_or_default();
        match &self.subject {
            Subject::Service(_) => events.iter().collect(),
            Subject::Task(_) => {
                let id = self.tasks.first().map(|t| t.id()).unwrap_or_default();
                events.iter().filter(|e| e.message.contains(id)).collect()
            }
        }
    }
}

/// Where the subnets came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubnetsFrom {
    /// The network interfaces of the stopped tasks (attachment details): what they ran in.
    TaskInterfaces,
    /// No task recorded one: the service's current configuration.
    Service,
    /// A pod: its node's instance, whose primary interface is known.
    Node,
    Unknown,
}

/// Where the security groups and public-IP setting came from: ECS does not record them on a
/// task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupsFrom {
    /// The deployment that started the tasks (`startedBy`).
    Deployment(String),
    /// The service's current configuration (the deployment is no longer listed).
    Service,
    /// A pod: its node's instance's primary interface.
    Node,
    /// A task run on its own, or whose service was not read: not recorded once it stops.
    Unknown,
}

/// Where a group of tasks ran, and where that was read from.
#[derive(Debug, Clone)]
pub struct RunPlacement {
    /// `None` when the security groups are unknown: the path cannot be evaluated.
    pub configuration: Option<AwsVpcConfiguration>,
    /// The subnets, known even when the security groups are not.
    pub subnets: Vec<String>,
    pub subnets_from: SubnetsFrom,
    pub groups_from: GroupsFrom,
    /// The deployment that started the tasks (`startedBy`), when they name one.
    pub started_by: Option<String>,
    pub task_definition: String,
    /// The same facts in words, for people.
    pub sources: Vec<String>,
}

/// The subnets come from the tasks' network interfaces (attachment details). The security
/// groups and public-IP setting come from the deployment that started the tasks, else from
/// the service's current configuration.
pub fn run_placement(history: &History<'_>, group: Option<&TaskGroup<'_>>) -> RunPlacement {
    let service = history.service;
    let service_configuration = service.and_then(|s| s.network_configuration.as_ref());
    let tasks: &[&StoppedTask] = group.map_or(&[], |g| &g.tasks);
    let mut sources = Vec::new();

    let task_definition = match (group, service) {
        (Some(group), Some(service)) if group.task_definition != service.task_definition => {
            sources.push(format!(
                "the tasks ran task definition {}; the service now runs {}",
                group.task_definition, service.task_definition
            ));
            group.task_definition.to_string()
        }
        (Some(group), _) => group.task_definition.to_string(),
        (None, Some(service)) => service.task_definition.clone(),
        (None, None) => String::new(),
    };

    let mut subnets: Vec<String> = Vec::new();
    for interface in tasks.iter().filter_map(|t| t.network_interface.as_ref()) {
        if !subnets.contains(&interface.subnet_id) {
            subnets.push(interface.subnet_id.clone());
        }
    }
    let subnets_from = if !subnets.is_empty() {
        sources.push(format!(
            "subnet{} {} from the network interface{} of the stopped task{}",
            plural(subnets.len()),
            subnets.join(", "),
            plural(tasks.len()),
            plural(tasks.len())
        ));
        SubnetsFrom::TaskInterfaces
    } else if let Some(configuration) = service_configuration {
        subnets = configuration.subnets.clone();
        sources.push(if tasks.is_empty() {
            "no stopped task: the service's current subnets".to_string()
        } else {
            "no stopped task recorded a network interface: the service's current subnets"
                .to_string()
        });
        SubnetsFrom::Service
    } else {
        SubnetsFrom::Unknown
    };

    let deployment = group.and_then(|g| g.started_by).and_then(|id| {
        service?
            .deployments
            .iter()
            .flatten()
            .find(|d| d.id == id && d.network_configuration.is_some())
    });
    let (groups, groups_from) = match (deployment, service_configuration) {
        (Some(deployment), _) => {
            sources.push(format!(
                "security groups and public IP from deployment {}, which started the task{}",
                deployment.id,
                plural(tasks.len())
            ));
            (
                deployment.network_configuration.as_ref(),
                GroupsFrom::Deployment(deployment.id.clone()),
            )
        }
        (None, Some(configuration)) => {
            sources.push(if tasks.is_empty() {
                "security groups and public IP from the service's current configuration".to_string()
            } else {
                "security groups and public IP from the service's current configuration (the deployment that started the tasks is no longer listed)".to_string()
            });
            (Some(configuration), GroupsFrom::Service)
        }
        (None, None) => {
            let why = match tasks.first().and_then(|t| t.service()) {
                Some(name) => format!("the task's service `{name}` was not read, and a stopped task does not record its security groups"),
                None => "a task run on its own does not record its security groups once it stops".to_string(),
            };
            sources.push(why);
            (None, GroupsFrom::Unknown)
        }
    };
    RunPlacement {
        configuration: groups
            .filter(|_| !subnets.is_empty())
            .map(|c| AwsVpcConfiguration {
                subnets: subnets.clone(),
                security_groups: c.security_groups.clone(),
                assign_public_ip: c.assign_public_ip,
            }),
        subnets,
        subnets_from,
        groups_from,
        started_by: group.and_then(|g| g.started_by).map(str::to_string),
        task_definition,
        sources,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The workload to audit for a group: the task definition and placement its tasks ran with.
pub fn diagnosed_workload<'a>(
    snapshot: &'a Snapshot,
    history: &History<'a>,
    group: Option<&TaskGroup<'a>>,
    placement: &'a RunPlacement,
) -> Workload<'a> {
    let task_definition = snapshot
        .task_definitions
        .iter()
        .flatten()
        .find(|t| t.arn == placement.task_definition);
    let task = group.and_then(|g| g.tasks.first());
    let cluster = snapshot
        .clusters
        .iter()
        .flatten()
        .find(|c| c.name == history.cluster);
    let cluster_default = cluster.map_or(&[][..], |c| &c.default_capacity_provider_strategy[..]);
    // The task's own launch type and platform version when it recorded them.
    let launch = match (task, history.service) {
        (_, Some(service)) if task.is_none_or(|t| t.launch_type.is_none()) => launch_of(
            service.launch_type,
            &service.capacity_provider_strategy,
            cluster_default,
            service.platform_version.as_deref(),
            task_definition,
        ),
        _ => launch_of(
            task.and_then(|t| t.launch_type),
            &[],
            cluster_default,
            task.and_then(|t| t.platform_version.as_deref()),
            task_definition,
        ),
    };
    Workload {
        cluster: history.cluster.clone(),
        service: history
            .service
            .map(|s| s.name.clone())
            .or_else(|| task.and_then(|t| t.service()).map(str::to_string)),
        task_definition_arn: placement.task_definition.clone(),
        task_definition,
        launch,
        placement: placement.configuration.as_ref(),
        container_instances: cluster.and_then(|c| c.container_instances.as_deref()),
        node_platforms: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AssignPublicIp, Deployment, StoppedTask, TaskNetworkInterface};

    fn task(id: &str, started_by: &str, definition: &str, subnet: &str, at: &str) -> StoppedTask {
        StoppedTask {
            arn: format!("arn:aws:ecs:us-east-1:123456789012:task/prod/{id}"),
            cluster: "prod".into(),
            group: Some("service:web".into()),
            started_by: Some(started_by.into()),
            task_definition: definition.into(),
            launch_type: None,
            platform_version: None,
            last_status: Some("STOPPED".into()),
            stopped_at: Some(at.into()),
            stop_code: None,
            stopped_reason: Some("x".into()),
            containers: Vec::new(),
            network_interface: Some(TaskNetworkInterface {
                subnet_id: subnet.into(),
                id: None,
                private_ip: None,
            }),
        }
    }

    fn service() -> Service {
        let configuration = |group: &str| AwsVpcConfiguration {
            subnets: vec!["subnet-a".into(), "subnet-b".into()],
            security_groups: vec![group.into()],
            assign_public_ip: AssignPublicIp::Disabled,
        };
        Service {
            name: "web".into(),
            arn: "arn:aws:ecs:us-east-1:123456789012:service/prod/web".into(),
            task_definition: "web:7".into(),
            launch_type: None,
            capacity_provider_strategy: Vec::new(),
            platform_version: None,
            network_configuration: Some(configuration("sg-new")),
            deployments: Some(vec![
                Deployment {
                    id: "new".into(),
                    status: "PRIMARY".into(),
                    task_definition: "web:7".into(),
                    network_configuration: Some(configuration("sg-new")),
                    created_at: None,
                },
                Deployment {
                    id: "old".into(),
                    status: "ACTIVE".into(),
                    task_definition: "web:6".into(),
                    network_configuration: Some(configuration("sg-old")),
                    created_at: None,
                },
            ]),
            events: None,
        }
    }

    #[test]
    fn tasks_of_different_deployments_are_placed_apart() {
        let service = service();
        let tasks = [
            task("t1", "old", "web:6", "subnet-b", "2025-01-15T09:10:00Z"),
            task("t2", "new", "web:7", "subnet-a", "2025-01-15T09:20:00Z"),
            task("t3", "old", "web:6", "subnet-a", "2025-01-15T09:15:00Z"),
        ];
        let history = History {
            cluster: "prod".into(),
            subject: Subject::Service("web".into()),
            service: Some(&service),
            tasks: vec![&tasks[1], &tasks[2], &tasks[0]],
            collected: true,
        };
        let groups = history.groups();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].started_by, Some("new"));
        let old = run_placement(&history, Some(&groups[1]));
        assert_eq!(old.task_definition, "web:6");
        assert_eq!(old.subnets, ["subnet-a", "subnet-b"]);
        assert_eq!(old.groups_from, GroupsFrom::Deployment("old".into()));
        assert_eq!(old.configuration.unwrap().security_groups, ["sg-old"]);
        let new = run_placement(&history, Some(&groups[0]));
        assert_eq!(new.subnets, ["subnet-a"]);
        assert_eq!(new.configuration.unwrap().security_groups, ["sg-new"]);
    }

    #[test]
    fn a_task_without_its_service_keeps_its_subnet_but_not_its_groups() {
        let mut orphan = task(
            "t1",
            "ecs-svc/9",
            "web:7",
            "subnet-b",
            "2025-01-15T09:10:00Z",
        );
        orphan.group = Some("family:web".into());
        let history = History {
            cluster: "prod".into(),
            subject: Subject::Task("t1".into()),
            service: None,
            tasks: vec![&orphan],
            collected: true,
        };
        let groups = history.groups();
        let placement = run_placement(&history, groups.first());
        assert_eq!(placement.subnets, ["subnet-b"]);
        assert_eq!(placement.groups_from, GroupsFrom::Unknown);
        assert!(placement.configuration.is_none());
        assert!(placement
            .sources
            .iter()
            .any(|s| s.contains("run on its own")));
    }
}
