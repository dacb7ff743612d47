//! ECS: the cluster, its services (in batches of 10) and their distinct task definitions.

use std::collections::BTreeSet;

use futures::future::try_join_all;

use super::calls::{attempt, distrust, required, Call, CollectError, Session, SUSPICIOUS_REPLY};
use super::distrust::{trusted, Required};
use crate::model::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderItem, ContainerDefinition, Deployment,
    LaunchType, LogConfiguration, RepositoryCredentials, RuntimePlatform, Secret, Service,
    ServiceEvent, TaskDefinition,
};

/// DescribeServices takes at most 10 services a call.
const SERVICES_PER_CALL: usize = 10;

pub(super) fn call(
    operation: &'static str,
    action: &'static str,
    collection: &'static str,
) -> Call {
    Call {
        service: "ecs",
        operation,
        action,
        collection,
    }
}

/// DescribeClusters takes at most 100 clusters a call.
const CLUSTERS_PER_CALL: usize = 100;

/// ListClusters and ListServices return at most 100 a page (10 unless asked).
const LIST_PAGE: i32 = 100;

/// A cluster found: its name and ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCluster {
    pub name: String,
    pub arn: String,
    /// The strategy services without a launch type or strategy of their own get.
    pub default_capacity_provider_strategy: Vec<CapacityProviderItem>,
}

/// The active clusters named `wanted` (names or ARNs), or with `None` every active cluster of
/// the account and region (ListClusters). Also returns the wanted names that were not found.
/// Without clusters there is nothing to audit, so a denied call is fatal.
pub async fn clusters(
    client: &aws_sdk_ecs::Client,
    session: &Session,
    wanted: Option<&[String]>,
) -> Result<(Vec<FoundCluster>, Vec<String>), CollectError> {
    let names: Vec<String> = match wanted {
        Some(names) => names.to_vec(),
        None => {
            let listing = client
                .list_clusters()
                .max_results(LIST_PAGE)
                .into_paginator()
                .items()
                .send()
                .try_collect();
            let call = call("ListClusters", "ecs:ListClusters", "clusters");
            required(session, call, "the account's clusters", listing).await?
        }
    };
    let batches = names.chunks(CLUSTERS_PER_CALL).map(|chunk| {
        let request = client
            .describe_clusters()
            .set_clusters(Some(chunk.to_vec()))
            .send();
        let call = call("DescribeClusters", "ecs:DescribeClusters", "clusters");
        required(session, call, "the clusters", request)
    });
    let mut found: Vec<FoundCluster> = Vec::new();
    for (asked, output) in names
        .chunks(CLUSTERS_PER_CALL)
        .zip(try_join_all(batches).await?)
    {
        // ECS answers each cluster asked for, found or under `failures`, and always with its
        // name and ARN: a cluster dropped from the reply would be skipped silently.
        let distinct: BTreeSet<&str> = asked
            .iter()
            .map(|a| a.rsplit('/').next().unwrap_or(a))
            .collect();
        let answered = output.clusters().len() + output.failures().len();
        let nameless = output.clusters().iter().any(|c| {
            c.cluster_name().is_none_or(str::is_empty) || c.cluster_arn().is_none_or(str::is_empty)
        });
        if answered < distinct.len() || nameless {
            return Err(CollectError::Api {
                service: "ecs".into(),
                operation: "DescribeClusters".into(),
                code: SUSPICIOUS_REPLY.into(),
                message: if nameless {
                    "a cluster of the reply has no clusterName or clusterArn".to_string()
                } else {
                    format!(
                        "the reply answers for {answered} of the {} clusters asked for",
                        distinct.len()
                    )
                },
                request_id: None,
            });
        }
        // A deleted cluster stays listed as INACTIVE for a while: it has nothing to audit.
        let active = output
            .clusters()
            .iter()
            .filter(|c| c.status() != Some("INACTIVE"))
            .filter_map(|c| {
                Some(FoundCluster {
                    name: c.cluster_name()?.to_string(),
                    arn: c.cluster_arn()?.to_string(),
                    default_capacity_provider_strategy: c
                        .default_capacity_provider_strategy()
                        .iter()
                        .map(convert_strategy_item)
                        .collect(),
                })
            });
        for cluster in active {
            // A cluster named twice (or by name and by ARN) is read once.
            if !found.iter().any(|c| c.arn == cluster.arn) {
                found.push(cluster);
            }
        }
    }
    // Only a cluster asked for by name can be missing.
    let missing = match wanted {
        None => Vec::new(),
        Some(_) => names
            .into_iter()
            .filter(|n| !found.iter().any(|c| &c.name == n || &c.arn == n))
            .collect(),
    };
    Ok((found, missing))
}

pub(super) fn not_found_cluster(wanted: &str) -> CollectError {
    CollectError::NotFound(format!(
        "cluster `{wanted}` does not exist in this account and region"
    ))
}

/// The services to audit: `wanted` (names or ARNs), or every active service of the cluster;
/// also the wanted services the cluster does not have (or has deleted), each with why.
/// With `history`, each keeps its deployments and events (for `diagnose`).
pub async fn services(
    client: &aws_sdk_ecs::Client,
    session: &Session,
    cluster_arn: &str,
    history: bool,
    wanted: &[String],
) -> Result<(Vec<Service>, Vec<MissingService>), CollectError> {
    let names: Vec<String> = if wanted.is_empty() {
        let listing = client
            .list_services()
            .cluster(cluster_arn)
            .max_results(LIST_PAGE)
            .into_paginator()
            .items()
            .send()
            .try_collect();
        let call = call("ListServices", "ecs:ListServices", "clusters");
        required(session, call, "the cluster's services", listing).await?
    } else {
        wanted.to_vec()
    };
    let batches = names.chunks(SERVICES_PER_CALL).map(|chunk| {
        let request = client
            .describe_services()
            .cluster(cluster_arn)
            .set_services(Some(chunk.to_vec()))
            .send();
        let call = call("DescribeServices", "ecs:DescribeServices", "clusters");
        required(session, call, "the services", request)
    });
    let mut services: Vec<Service> = Vec::new();
    let mut missing = Vec::new();
    for (asked, output) in names
        .chunks(SERVICES_PER_CALL)
        .zip(try_join_all(batches).await?)
    {
        // ECS answers each service asked for, found or under `failures`; and AWS always fills a
        // service's name, ARN and task definition. Otherwise the reply is damaged, and the
        // services are what the scope audits: the scope fails.
        // A service may be asked for by name and by ARN: count names.
        let distinct: BTreeSet<&str> = asked
            .iter()
            .map(|a| a.rsplit('/').next().unwrap_or(a))
            .collect();
        let answered = output.services().len() + output.failures().len();
        let call = call("DescribeServices", "ecs:DescribeServices", "clusters");
        let damaged = if answered < distinct.len() {
            Some(format!(
                "the reply answers for {answered} of the {} services asked for",
                distinct.len()
            ))
        } else {
            // A deleted service is skipped whatever it carries.
            let active = output
                .services()
                .iter()
                .filter(|s| s.status() != Some("INACTIVE"));
            active.into_iter().find_map(|s| {
                s.required()
                    .into_iter()
                    .find(|(_, value)| value.is_none_or(str::is_empty))
                    .map(|(field, _)| format!("a service of the reply has no {field}"))
            })
        };
        if let Some(why) = damaged {
            return Err(CollectError::Api {
                service: call.service.into(),
                operation: call.operation.into(),
                code: SUSPICIOUS_REPLY.into(),
                message: why,
                request_id: None,
            });
        }
        for failure in output.failures() {
            let which = failure.arn().unwrap_or("?");
            missing.push(MissingService {
                name: which.rsplit('/').next().unwrap_or(which).to_string(),
                why: failure.reason().unwrap_or("missing").to_string(),
            });
        }
        for service in output.services() {
            if service.status() == Some("INACTIVE") {
                // Deleted: listed for a while, nothing to audit.
                if !wanted.is_empty() {
                    missing.push(MissingService {
                        name: service.service_name().unwrap_or("?").to_string(),
                        why: "INACTIVE (deleted)".to_string(),
                    });
                }
                continue;
            }
            let converted = convert_service(service, history);
            // A service named twice (or by name and by ARN) is audited once.
            if !services.iter().any(|s| s.arn == converted.arn) {
                services.push(converted);
            }
        }
    }
    Ok((services, missing))
}

/// A service asked for by name that the cluster does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingService {
    pub name: String,
    /// ECS's reason (`MISSING`), or `INACTIVE (deleted)`.
    pub why: String,
}

fn convert_placement(
    network: Option<&aws_sdk_ecs::types::NetworkConfiguration>,
) -> Option<AwsVpcConfiguration> {
    network
        .and_then(|n| n.awsvpc_configuration())
        .map(|a| AwsVpcConfiguration {
            subnets: a.subnets().to_vec(),
            security_groups: a.security_groups().to_vec(),
            assign_public_ip: match a.assign_public_ip().map(|p| p.as_str()) {
                Some("ENABLED") => AssignPublicIp::Enabled,
                _ => AssignPublicIp::Disabled,
            },
        })
}

fn convert_strategy_item(
    p: &aws_sdk_ecs::types::CapacityProviderStrategyItem,
) -> CapacityProviderItem {
    CapacityProviderItem {
        capacity_provider: p.capacity_provider().to_string(),
        weight: p.weight(),
        base: p.base(),
    }
}

pub(super) fn launch_type(launch: Option<&aws_sdk_ecs::types::LaunchType>) -> Option<LaunchType> {
    launch.and_then(|l| match l.as_str() {
        "FARGATE" => Some(LaunchType::Fargate),
        "EC2" => Some(LaunchType::Ec2),
        "EXTERNAL" => Some(LaunchType::External),
        _ => None,
    })
}

pub(super) fn timestamp(at: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    at.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
}

fn convert_service(service: &aws_sdk_ecs::types::Service, history: bool) -> Service {
    let deployments = history.then(|| {
        service
            .deployments()
            .iter()
            .map(|d| Deployment {
                id: d.id().unwrap_or_default().to_string(),
                status: d.status().unwrap_or_default().to_string(),
                task_definition: d.task_definition().unwrap_or_default().to_string(),
                network_configuration: convert_placement(d.network_configuration()),
                created_at: timestamp(d.created_at()),
            })
            .collect()
    });
    let events = history.then(|| {
        service
            .events()
            .iter()
            .map(|e| ServiceEvent {
                created_at: timestamp(e.created_at()),
                message: e.message().unwrap_or_default().to_string(),
            })
            .collect()
    });
    Service {
        name: service.service_name().unwrap_or_default().to_string(),
        arn: service.service_arn().unwrap_or_default().to_string(),
        task_definition: service.task_definition().unwrap_or_default().to_string(),
        launch_type: launch_type(service.launch_type()),
        capacity_provider_strategy: service
            .capacity_provider_strategy()
            .iter()
            .map(convert_strategy_item)
            .collect(),
        platform_version: service.platform_version().map(str::to_string),
        network_configuration: convert_placement(service.network_configuration()),
        deployments,
        events,
    }
}

/// Each distinct task definition once, concurrently. `None` when denied.
pub async fn task_definitions(
    client: &aws_sdk_ecs::Client,
    session: &Session,
    arns: &BTreeSet<String>,
) -> Result<Option<Vec<TaskDefinition>>, CollectError> {
    let requests = arns.iter().map(|arn| {
        let request = client
            .describe_task_definition()
            .task_definition(arn)
            .send();
        attempt(
            session,
            call(
                "DescribeTaskDefinition",
                "ecs:DescribeTaskDefinition",
                "task_definitions",
            ),
            request,
        )
    });
    let outputs = try_join_all(requests).await?;
    if outputs.iter().any(Option::is_none) {
        return Ok(None);
    }
    // A reply without its task definition, or without the definition's ARN, is damaged.
    let call = call(
        "DescribeTaskDefinition",
        "ecs:DescribeTaskDefinition",
        "task_definitions",
    );
    let described: Option<Vec<aws_sdk_ecs::types::TaskDefinition>> = outputs
        .into_iter()
        .flatten()
        .map(|o| o.task_definition().cloned())
        .collect();
    if described.is_none() {
        distrust(session, call, "a reply has no taskDefinition");
    }
    Ok(trusted(session, call, described)
        .map(|found| found.iter().map(convert_task_definition).collect()))
}

fn convert_task_definition(task: &aws_sdk_ecs::types::TaskDefinition) -> TaskDefinition {
    TaskDefinition {
        arn: task.task_definition_arn().unwrap_or_default().to_string(),
        family: task.family().map(str::to_string),
        network_mode: task.network_mode().map(|m| m.as_str().to_string()),
        requires_compatibilities: task
            .requires_compatibilities()
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        execution_role_arn: task.execution_role_arn().map(str::to_string),
        task_role_arn: task.task_role_arn().map(str::to_string),
        execution_role_principal: None,
        runtime_platform: task.runtime_platform().map(|p| RuntimePlatform {
            cpu_architecture: p.cpu_architecture().map(|a| a.as_str().to_string()),
            operating_system_family: p.operating_system_family().map(|f| f.as_str().to_string()),
        }),
        container_definitions: task
            .container_definitions()
            .iter()
            .map(|c| ContainerDefinition {
                name: c.name().unwrap_or_default().to_string(),
                image: c.image().unwrap_or_default().to_string(),
                repository_credentials: c.repository_credentials().map(|r| RepositoryCredentials {
                    credentials_parameter: r.credentials_parameter().to_string(),
                }),
                secrets: c
                    .secrets()
                    .iter()
                    .map(|s| Secret {
                        name: s.name().to_string(),
                        value_from: s.value_from().to_string(),
                    })
                    .collect(),
                log_configuration: c.log_configuration().map(|l| LogConfiguration {
                    log_driver: l.log_driver().as_str().to_string(),
                    options: l
                        .options()
                        .map(|o| o.clone().into_iter().collect())
                        .unwrap_or_default(),
                }),
            })
            .collect(),
    }
}
