//! Live collection: reads exactly what the selected workloads need from AWS, read-only, into
//! a [`Snapshot`] that the offline analysis consumes unchanged.
//!
//! Calls are scoped to the workloads (their cluster, services, task definitions, the VPCs they
//! run in, their execution roles and repositories), each distinct resource is read once, and
//! independent calls run concurrently, one wave per dependency level. A denied call becomes a
//! coverage gap, never a guess.

mod calls;
mod config;
mod ec2;
mod ec2_model;
mod ecr;
mod ecs;
mod guard;
#[cfg(test)]
mod history_tests;
mod iam;
mod progress;
mod tasks;
#[cfg(test)]
mod tests;

pub use calls::CollectError;
pub use config::{Aws, AwsOptions, RetryMode};
pub use guard::{is_read_only, CallLog, ReadOnlyGuard, READ_ONLY_PREFIXES};
pub use progress::Progress;

use std::collections::BTreeSet;

use crate::model::{Cluster, Snapshot, SNAPSHOT_VERSION};
use crate::workload::{EcrImage, ImageRef};
use calls::Gaps;

/// What to collect: one cluster, and its named services (none: every service).
#[derive(Debug, Clone)]
pub struct Scope {
    pub cluster: String,
    pub services: Vec<String>,
    pub history: HistoryScope,
}

/// What `diagnose` reads on top of an audit's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryScope {
    /// An audit: configuration only.
    None,
    /// The services' recently stopped tasks, deployments and events.
    OfServices,
    /// One task (id or ARN) and, if a service started it, that service's deployments and
    /// events.
    Task(String),
}

pub async fn collect(
    aws: &Aws,
    scope: &Scope,
    progress: &Progress,
) -> Result<Snapshot, CollectError> {
    let region = aws.region().ok_or_else(|| {
        CollectError::Config(
            "no AWS region: pass --region, set AWS_REGION, or give the profile a region".into(),
        )
    })?;
    let gaps = Gaps::default();
    let (ecs_client, ec2_client, iam_client) = (aws.ecs(), aws.ec2(), aws.iam());

    progress.stage("cluster and services");
    let (cluster_name, cluster_arn) = ecs::cluster(&ecs_client, &gaps, &scope.cluster).await?;
    // The cluster ARN names the account: no extra call needed.
    let account = cluster_arn
        .split(':')
        .nth(4)
        .unwrap_or_default()
        .to_string();
    let named_task = match &scope.history {
        HistoryScope::Task(wanted) => {
            Some(tasks::task(&ecs_client, &gaps, &cluster_arn, &cluster_name, wanted).await?)
        }
        _ => None,
    };
    let wanted: Vec<String> = match &named_task {
        Some(task) => task.service().map(str::to_string).into_iter().collect(),
        None => scope.services.clone(),
    };
    // A task run on its own (not by a service) needs no service at all.
    let services = if named_task.is_some() && wanted.is_empty() {
        Vec::new()
    } else {
        let history = scope.history != HistoryScope::None;
        ecs::services(
            &ecs_client,
            &gaps,
            &cluster_arn,
            &cluster_name,
            &wanted,
            history,
        )
        .await?
    };
    let stopped_tasks = match (&scope.history, named_task) {
        (HistoryScope::None, _) => None,
        (_, Some(task)) => Some(vec![task]),
        (_, None) => {
            progress.stage("stopped tasks");
            let names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
            tasks::stopped_tasks(&ecs_client, &gaps, &cluster_arn, &cluster_name, &names).await?
        }
    };

    progress.stage(format!(
        "{} service(s): task definitions, roles, repositories and network",
        services.len()
    ));
    // A stopped task may have run an older task definition, or in a subnet the service no
    // longer uses: its own are read too.
    let history = stopped_tasks.iter().flatten();
    let task_arns: BTreeSet<String> = services
        .iter()
        .map(|s| s.task_definition.clone())
        .chain(history.clone().map(|t| t.task_definition.clone()))
        .collect();
    let subnets: BTreeSet<String> = services
        .iter()
        .filter_map(|s| s.network_configuration.as_ref())
        .flat_map(|n| n.subnets.iter().cloned())
        .chain(
            history
                .filter_map(|t| t.network_interface.as_ref())
                .map(|n| n.subnet_id.clone()),
        )
        .collect();
    // The network depends only on the services; roles and repositories on the task definitions.
    let network = ec2::network(&ec2_client, &gaps, &region, &subnets);
    let identity_and_images = async {
        let task_definitions = ecs::task_definitions(&ecs_client, &gaps, &task_arns).await?;
        let roles: BTreeSet<String> = task_definitions
            .iter()
            .flatten()
            .filter_map(|t| t.execution_role_arn.clone())
            .collect();
        let images: Vec<EcrImage> = task_definitions
            .iter()
            .flatten()
            .flat_map(|t| t.container_definitions.iter())
            .filter_map(|c| match ImageRef::parse(&c.image) {
                ImageRef::Ecr(image) => Some(image),
                ImageRef::Other(_) => None,
            })
            .collect();
        let (iam, repositories) = tokio::try_join!(
            iam::roles(&iam_client, &gaps, &roles),
            ecr::repositories(aws, &gaps, &account, &images),
        )?;
        Ok::<_, CollectError>((task_definitions, iam, repositories))
    };
    let (network, (task_definitions, (roles, managed_policies), ecr_repositories)) =
        tokio::try_join!(network, identity_and_images)?;
    progress.finish();

    Ok(Snapshot {
        snapshot_version: SNAPSHOT_VERSION,
        account_id: account,
        region,
        collected_at: Some(now()),
        vpcs: network.vpcs,
        subnets: network.subnets,
        route_tables: network.route_tables,
        internet_gateways: network.internet_gateways,
        nat_gateways: network.nat_gateways,
        vpc_endpoints: network.vpc_endpoints,
        security_groups: network.security_groups,
        network_acls: network.network_acls,
        prefix_lists: network.prefix_lists,
        transit_gateways: network.transit_gateways,
        peering_connections: network.peering_connections,
        clusters: Some(vec![Cluster {
            name: cluster_name,
            arn: cluster_arn,
            services: Some(services),
        }]),
        task_definitions,
        roles,
        managed_policies,
        ecr_repositories,
        stopped_tasks,
        coverage_gaps: gaps.take(),
    })
}

fn now() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}
