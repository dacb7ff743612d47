//! Live collection: reads exactly what the selected workloads need from AWS, read-only, into
//! a [`Snapshot`] that the offline analysis consumes unchanged.
//!
//! Calls are scoped to the workloads (their cluster, services, task definitions, the VPCs they
//! run in, their execution roles and repositories), each distinct resource is read once, and
//! independent calls run concurrently, one wave per dependency level. A denied call becomes a
//! coverage gap, never a guess.

mod calls;
mod config;
mod distrust;
mod ec2;
mod ec2_model;
mod ecr;
mod ecs;
mod eks;
mod fleet;
#[cfg(test)]
mod fleet_tests;
mod guard;
#[cfg(test)]
mod history_tests;
mod iam;
mod instances;
mod kube_side;
pub mod kubernetes;
mod manifests;
mod memo;
mod organization;
mod parameters;
mod progress;
mod registries;
mod secrets;
mod tasks;
#[cfg(test)]
mod tests;
mod undeployed;
mod whole_reply;

pub use calls::CollectError;
pub use calls::DEFAULT_CONCURRENCY;
pub use config::{http_client, Aws, AwsOptions, RetryMode};
pub use fleet::{collect_fleet, Account, FleetPlan, Regions, ScopeRun};
pub use guard::{is_allowed, CallLog, ReadOnlyGuard, READ_ACTIONS};
pub use kube_side::collect_kube_side;
pub use organization::{OrganizationAccount, OrganizationPlan};
pub use progress::Progress;
pub use registries::inspect_snapshot;
pub use undeployed::Undeployed;

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::future::try_join_all;

use crate::model::{
    launch_of, Cluster, ContainerInstance, EcrImage, ImageRef, Instance, Launch, ManagedPolicy,
    Organization, PullThroughCacheRule, Repository, Role, SecretMetadata, Service, Snapshot,
    SsmParameter, StoppedTask, TaskDefinition, SNAPSHOT_VERSION,
};
use calls::{attempt, Call, Session};

/// Which clusters of an account and region to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clusters {
    /// Every active cluster (ListClusters).
    All,
    /// These clusters, by name or ARN.
    Named(Vec<String>),
}

/// What to collect in one account and region.
#[derive(Debug, Clone)]
pub struct Scope {
    pub clusters: Clusters,
    /// Only these services (names or ARNs) of the one named cluster; empty: every service.
    pub services: Vec<String>,
    pub history: HistoryScope,
    /// A named cluster or service missing from the account and region is bad input (a
    /// single-scope run); in a fleet run a region may simply not have it.
    pub missing_is_error: bool,
    /// The account, when it is known without a call (from an assumed role's ARN).
    pub account: Option<String>,
    /// A task not deployed yet (`audit --task-definition`): instead of the clusters'
    /// services, read what it needs (its subnets, execution role, images and, on EC2, the
    /// named cluster's container instances); the snapshot then holds it as the only service.
    pub pre_deploy: Option<Arc<dyn Undeployed>>,
}

impl Scope {
    /// One cluster (name or ARN), as `audit --cluster C` and `diagnose` read it.
    pub fn cluster(cluster: &str, services: &[String], history: HistoryScope) -> Self {
        Scope {
            clusters: Clusters::Named(vec![cluster.to_string()]),
            services: services.to_vec(),
            history,
            missing_is_error: true,
            account: None,
            pre_deploy: None,
        }
    }
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

/// A collection's result: the snapshot, and the named clusters and services (as
/// `cluster/service`) the account and region lacks.
#[derive(Debug)]
pub struct Collected {
    pub snapshot: Snapshot,
    pub missing_clusters: Vec<String>,
    pub missing_services: Vec<String>,
}

pub async fn collect(
    aws: &Aws,
    scope: &Scope,
    progress: &Progress,
) -> Result<Collected, CollectError> {
    let region = aws.region().ok_or_else(|| {
        CollectError::Config(
            "no AWS region: pass --region, set AWS_REGION, or give the profile a region".into(),
        )
    })?;
    let session = Session::new(aws.concurrency);
    let (ecs_client, ec2_client, iam_client) = (aws.ecs(), aws.ec2(), aws.iam());

    progress.stage("clusters and services");
    let (clusters, missing_clusters) = scoped_clusters(&ecs_client, &session, scope).await?;
    let account = account_of(aws, &session, scope, &clusters).await?;
    let reading = Reading {
        aws,
        session: &session,
        scope,
        account: &account,
        region: &region,
        ecs: &ecs_client,
        iam: &iam_client,
    };
    // diagnose reads one cluster.
    let named_task = reading.named_task(&clusters).await?;
    let per_cluster = reading
        .services_per_cluster(&clusters, named_task.as_ref())
        .await?;
    let missing_services = missing_services(scope, &clusters, &per_cluster)?;
    let per_cluster: Vec<Option<Vec<Service>>> =
        per_cluster.into_iter().map(|(found, _)| found).collect();
    let stopped_tasks = reading
        .stopped_tasks(progress, named_task, &clusters, &per_cluster)
        .await?;
    let services: Vec<&Service> = per_cluster.iter().flatten().flatten().collect();

    progress.stage(format!(
        "{} service(s): task definitions, roles, repositories and network",
        services.len()
    ));
    // A stopped task may have run an older task definition, or in a subnet the service no
    // longer uses: its own are read too.
    let task_arns = task_definition_arns(&services, stopped_tasks.as_deref());
    let mut subnets = reading.task_subnets(&services, stopped_tasks.as_deref());
    // Services on EC2 pull over their container instances' interfaces, with their roles.
    let hosts = ec2_hosts(aws, &session, &clusters, &per_cluster).await?;
    subnets.extend(hosts.subnet_ids());
    // The network depends only on where the tasks run; roles and repositories on the task
    // definitions (and the instance profiles).
    let network = ec2::network(&ec2_client, &session, &region, &subnets);
    let task_reads = reading.task_definition_reads(task_arns, &hosts);
    let (network, task_reads) = tokio::try_join!(network, task_reads)?;
    progress.finish();

    let clusters = assemble_clusters(clusters, per_cluster, hosts.per_cluster);
    let snapshot = Snapshot {
        clusters: Some(clusters),
        instances: hosts.instances,
        instance_profiles: hosts.profiles,
        stopped_tasks,
        ..task_reads.fill(network_snapshot(account, region, network))
    };
    let snapshot = checked_snapshot(snapshot, &session, scope)?;
    Ok(Collected {
        snapshot,
        missing_clusters,
        missing_services,
    })
}

/// The scope's clusters, and the named ones the account and region lacks (bad input in a
/// single-scope run).
async fn scoped_clusters(
    client: &aws_sdk_ecs::Client,
    session: &Session,
    scope: &Scope,
) -> Result<(Vec<ecs::FoundCluster>, Vec<String>), CollectError> {
    let wanted_clusters = match &scope.clusters {
        Clusters::All => None,
        Clusters::Named(names) => Some(names.as_slice()),
    };
    let (clusters, missing_clusters) = ecs::clusters(client, session, wanted_clusters).await?;
    if scope.missing_is_error {
        if let Some(name) = missing_clusters.first() {
            return Err(ecs::not_found_cluster(name));
        }
    }
    Ok((clusters, missing_clusters))
}

/// The account the clusters are in, checked to be an account id.
async fn account_of(
    aws: &Aws,
    session: &Session,
    scope: &Scope,
    clusters: &[ecs::FoundCluster],
) -> Result<String, CollectError> {
    // A cluster ARN names the account, and so does an assumed role's: no call needed then.
    let account = match clusters
        .first()
        .and_then(|c| c.arn.split(':').nth(4))
        .map(str::to_string)
        .or_else(|| scope.account.clone())
    {
        Some(account) => account,
        None => caller_account(aws, session).await?,
    };
    check_account_id(&account)?;
    Ok(account)
}

/// An account id is 12 digits (it also names `collect --out-dir` files): anything else came
/// from a damaged or hostile reply.
fn check_account_id(account: &str) -> Result<(), CollectError> {
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CollectError::Api {
            service: "ecs".into(),
            operation: "DescribeClusters".into(),
            code: calls::SUSPICIOUS_REPLY.into(),
            message: format!(
                "the account id {:?} (from a cluster ARN or sts:GetCallerIdentity) is not 12 digits",
                account.chars().take(64).collect::<String>()
            ),
            request_id: None,
        });
    }
    Ok(())
}

/// One collection once its account is known: what every read after the clusters shares.
struct Reading<'a> {
    aws: &'a Aws,
    session: &'a Session,
    scope: &'a Scope,
    account: &'a str,
    region: &'a str,
    ecs: &'a aws_sdk_ecs::Client,
    iam: &'a aws_sdk_iam::Client,
}

/// One cluster's services (`None`: not collected), and the wanted services it lacks.
type ClusterServices = (Option<Vec<Service>>, Vec<ecs::MissingService>);

impl Reading<'_> {
    /// The task `diagnose --task` names, from the (only) cluster.
    async fn named_task(
        &self,
        clusters: &[ecs::FoundCluster],
    ) -> Result<Option<StoppedTask>, CollectError> {
        match (&self.scope.history, clusters.first()) {
            (HistoryScope::Task(wanted), Some(cluster)) => Ok(Some(
                tasks::task(self.ecs, self.session, &cluster.arn, &cluster.name, wanted).await?,
            )),
            _ => Ok(None),
        }
    }

    /// Each cluster's services, in order: those of the scope, or the service that started
    /// `named_task`.
    async fn services_per_cluster(
        &self,
        clusters: &[ecs::FoundCluster],
        named_task: Option<&StoppedTask>,
    ) -> Result<Vec<ClusterServices>, CollectError> {
        let wanted_services: Vec<String> = match named_task {
            Some(task) => task.service().map(str::to_string).into_iter().collect(),
            None => self.scope.services.clone(),
        };
        // A task run on its own (not by a service) needs no service at all.
        let standalone_task = named_task.is_some() && wanted_services.is_empty();
        let several_clusters = clusters.len() > 1;
        try_join_all(clusters.iter().map(|cluster| {
            let wanted = &wanted_services;
            async move {
                if let Some(pre) = &self.scope.pre_deploy {
                    // The task to deploy is the cluster's only service: none is read.
                    return Ok((
                        Some(vec![pre.service(
                            self.account,
                            self.region,
                            &cluster.name,
                            &cluster.default_capacity_provider_strategy,
                        )]),
                        Vec::new(),
                    ));
                }
                if standalone_task {
                    return Ok((Some(Vec::new()), Vec::new()));
                }
                self.cluster_services(cluster, wanted, several_clusters)
                    .await
            }
        }))
        .await
    }

    /// The `wanted` services of one cluster (every service when none is wanted).
    async fn cluster_services(
        &self,
        cluster: &ecs::FoundCluster,
        wanted: &[String],
        several_clusters: bool,
    ) -> Result<ClusterServices, CollectError> {
        let history = self.scope.history != HistoryScope::None;
        match ecs::services(self.ecs, self.session, &cluster.arn, history, wanted).await {
            // Among several clusters, one whose services cannot be read costs only that
            // cluster: it stays in the snapshot with its services not collected (the
            // scope is then unknown), and the gap names the call.
            Err(CollectError::Api {
                service,
                operation,
                code,
                message,
                request_id,
            }) if several_clusters => {
                self.session.record(crate::model::CoverageGap {
                    action: format!("{service}:{operation}"),
                    collection: format!("clusters ({})", cluster.name),
                    kind: calls::kind_of(&code),
                    service,
                    operation,
                    message,
                    error_code: Some(code),
                    request_id,
                });
                Ok((None, Vec::new()))
            }
            read => read.map(|(found, missing)| (Some(found), missing)),
        }
    }

    /// What `diagnose` reads of the tasks: the one it names, else the services' recently
    /// stopped tasks. `None` for an audit.
    async fn stopped_tasks(
        &self,
        progress: &Progress,
        named_task: Option<StoppedTask>,
        clusters: &[ecs::FoundCluster],
        per_cluster: &[Option<Vec<Service>>],
    ) -> Result<Option<Vec<StoppedTask>>, CollectError> {
        Ok(match (&self.scope.history, named_task, clusters.first()) {
            (HistoryScope::None, ..) | (_, _, None) => None,
            (_, Some(task), _) => Some(vec![task]),
            (_, None, Some(cluster)) => {
                progress.stage("stopped tasks");
                let names: Vec<String> = per_cluster
                    .iter()
                    .flatten()
                    .flatten()
                    .map(|s| s.name.clone())
                    .collect();
                tasks::stopped_tasks(self.ecs, self.session, &cluster.arn, &cluster.name, &names)
                    .await?
            }
        })
    }

    /// The subnets the tasks run in: the services', the task to deploy's and the stopped
    /// tasks'.
    fn task_subnets(
        &self,
        services: &[&Service],
        stopped_tasks: Option<&[StoppedTask]>,
    ) -> BTreeSet<String> {
        let pre_deploy_service = self
            .scope
            .pre_deploy
            .as_ref()
            .map(|pre| pre.service(self.account, self.region, "-", &[]));
        services
            .iter()
            .copied()
            .chain(pre_deploy_service.as_ref())
            .filter_map(|s| s.network_configuration.as_ref())
            .flat_map(|n| n.subnets.iter().cloned())
            .chain(
                stopped_tasks
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.network_interface.as_ref())
                    .map(|n| n.subnet_id.clone()),
            )
            .collect()
    }

    /// The task definitions `task_arns`, then what they lead to (with the instance profiles'
    /// roles): their roles, repositories, secrets and parameters, and the organization.
    async fn task_definition_reads(
        &self,
        task_arns: BTreeSet<String>,
        hosts: &Hosts,
    ) -> Result<TaskReads, CollectError> {
        let task_definitions = self.task_definitions(task_arns).await?;
        let roles: BTreeSet<String> = task_definitions
            .iter()
            .flatten()
            .filter_map(|t| t.execution_role_arn.clone())
            .chain(hosts.profile_role_arns())
            .collect();
        let images = ecr_images(task_definitions.as_deref().unwrap_or_default());
        let secret_arns = crate::model::secrets_read(
            task_definitions.as_deref().unwrap_or_default(),
            self.account,
            self.region,
        );
        let parameter_arns = crate::model::parameters_read(
            task_definitions.as_deref().unwrap_or_default(),
            self.account,
            self.region,
        );
        let (session, account) = (self.session, self.account);
        let (
            (roles, managed_policies),
            (ecr_repositories, ecr_pull_through_cache_rules),
            secrets,
            ssm_parameters,
            organization,
        ) = tokio::try_join!(
            iam::roles(self.iam, session, &self.aws.iam, account, &roles),
            self.repositories(&images),
            secrets::secrets(self.aws, session, account, &secret_arns),
            parameters::parameters(self.aws, session, account, &parameter_arns),
            organization::organization(self.aws, session, account),
        )?;
        Ok(TaskReads {
            task_definitions,
            roles,
            managed_policies,
            organization,
            ecr_repositories,
            ecr_pull_through_cache_rules,
            secrets,
            ssm_parameters,
        })
    }

    /// The registered task definitions `task_arns`, and the one to deploy.
    async fn task_definitions(
        &self,
        task_arns: BTreeSet<String>,
    ) -> Result<Option<Vec<TaskDefinition>>, CollectError> {
        // The task to deploy is not registered: its definition comes with the scope.
        let pre_deploy = self
            .scope
            .pre_deploy
            .as_ref()
            .map(|pre| pre.task_definition(self.account, self.region));
        let task_arns: BTreeSet<String> = task_arns
            .into_iter()
            .filter(|arn| pre_deploy.as_ref().is_none_or(|t| &t.arn != arn))
            .collect();
        let mut task_definitions =
            ecs::task_definitions(self.ecs, self.session, &task_arns).await?;
        if let (Some(definitions), Some(definition)) = (&mut task_definitions, pre_deploy) {
            definitions.push(definition);
        }
        Ok(task_definitions)
    }

    /// The repositories of `images`, then the pull-through cache rules that may create the
    /// missing ones.
    async fn repositories(
        &self,
        images: &[EcrImage],
    ) -> Result<(Option<Vec<Repository>>, Option<Vec<PullThroughCacheRule>>), CollectError> {
        let (aws, session, account) = (self.aws, self.session, self.account);
        let repositories = ecr::repositories(aws, session, account, images).await?;
        let rules =
            ecr::pull_through_rules(aws, session, account, images, repositories.as_deref()).await?;
        Ok((repositories, rules))
    }
}

/// The wanted services the clusters lack (as `cluster/service`); in a single-scope run a
/// missing service is bad input.
fn missing_services(
    scope: &Scope,
    clusters: &[ecs::FoundCluster],
    per_cluster: &[ClusterServices],
) -> Result<Vec<String>, CollectError> {
    let mut missing_services = Vec::new();
    for (cluster, (_, missing)) in clusters.iter().zip(per_cluster) {
        for service in missing {
            if scope.missing_is_error {
                return Err(CollectError::NotFound(format!(
                    "service `{}` is not in cluster `{}` ({})",
                    service.name, cluster.name, service.why
                )));
            }
            missing_services.push(format!("{}/{}", cluster.name, service.name));
        }
    }
    Ok(missing_services)
}

/// The task definitions of the services and of their stopped tasks.
fn task_definition_arns(
    services: &[&Service],
    stopped_tasks: Option<&[StoppedTask]>,
) -> BTreeSet<String> {
    services
        .iter()
        .map(|s| s.task_definition.clone())
        .chain(
            stopped_tasks
                .into_iter()
                .flatten()
                .map(|t| t.task_definition.clone()),
        )
        .collect()
}

/// The ECR images the containers of `task_definitions` run.
fn ecr_images(task_definitions: &[TaskDefinition]) -> Vec<EcrImage> {
    task_definitions
        .iter()
        .flat_map(|t| t.container_definitions.iter())
        .filter_map(|c| match ImageRef::parse(&c.image) {
            ImageRef::Ecr(image) => Some(image),
            ImageRef::Other(_) => None,
        })
        .collect()
}

/// What the task definitions lead to, each list `None` when not collected.
struct TaskReads {
    task_definitions: Option<Vec<TaskDefinition>>,
    roles: Option<Vec<Role>>,
    managed_policies: Option<Vec<ManagedPolicy>>,
    organization: Option<Organization>,
    ecr_repositories: Option<Vec<Repository>>,
    ecr_pull_through_cache_rules: Option<Vec<PullThroughCacheRule>>,
    secrets: Option<Vec<SecretMetadata>>,
    ssm_parameters: Option<Vec<SsmParameter>>,
}

impl TaskReads {
    /// `snapshot` with these lists.
    fn fill(self, snapshot: Snapshot) -> Snapshot {
        Snapshot {
            task_definitions: self.task_definitions,
            roles: self.roles,
            managed_policies: self.managed_policies,
            organization: self.organization,
            ecr_repositories: self.ecr_repositories,
            ecr_pull_through_cache_rules: self.ecr_pull_through_cache_rules,
            secrets: self.secrets,
            ssm_parameters: self.ssm_parameters,
            ..snapshot
        }
    }
}

/// The clusters as the snapshot holds them: each with its services and container instances.
fn assemble_clusters(
    clusters: Vec<ecs::FoundCluster>,
    per_cluster: Vec<Option<Vec<Service>>>,
    container_instances: Vec<Option<Vec<ContainerInstance>>>,
) -> Vec<Cluster> {
    clusters
        .into_iter()
        .zip(per_cluster)
        .zip(container_instances)
        .map(|((cluster, services), container_instances)| Cluster {
            name: cluster.name,
            arn: cluster.arn,
            services,
            default_capacity_provider_strategy: cluster.default_capacity_provider_strategy,
            container_instances,
        })
        .collect()
}

/// The collected `snapshot` made consistent, with the session's coverage gaps and, without a
/// cluster, the task to deploy.
fn checked_snapshot(
    mut snapshot: Snapshot,
    session: &Session,
    scope: &Scope,
) -> Result<Snapshot, CollectError> {
    // A damaged reply can leave a reference to nothing: the list it points into is dropped
    // with a gap, not believed.
    distrust::reconcile(&mut snapshot, session).map_err(|problem| CollectError::Api {
        service: "pullpath".into(),
        operation: "collect".into(),
        code: "Inconsistent".into(),
        message: format!("the collected snapshot is inconsistent: {problem}"),
        request_id: None,
    })?;
    snapshot.coverage_gaps = session.take();
    if let Some(pre) = &scope.pre_deploy {
        // Without a cluster (Fargate) the snapshot has none to hold the task: add one.
        if pre.cluster().is_none() {
            pre.inject(&mut snapshot).map_err(CollectError::NotFound)?;
        }
    }
    Ok(snapshot)
}

/// A snapshot of `network` in `account` and `region`, collected now: every other list not
/// collected (each collection fills in its own).
fn network_snapshot(account: String, region: String, network: ec2::Network) -> Snapshot {
    Snapshot {
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
        clusters: None,
        task_definitions: None,
        roles: None,
        managed_policies: None,
        organization: None,
        ecr_repositories: None,
        ecr_pull_through_cache_rules: None,
        secrets: None,
        ssm_parameters: None,
        registry_images: None,
        instances: None,
        instance_profiles: None,
        stopped_tasks: None,
        eks_clusters: None,
        kube_clusters: None,
        coverage_gaps: Vec::new(),
    }
}

/// The EC2 side of the clusters whose services (may) run on EC2.
struct Hosts {
    /// Per cluster, in order: its container instances (`None`: not read, or denied).
    per_cluster: Vec<Option<Vec<ContainerInstance>>>,
    /// `None`: no cluster needed them, or the call was denied.
    instances: Option<Vec<Instance>>,
    profiles: Option<Vec<crate::model::InstanceProfile>>,
}

impl Hosts {
    /// The subnets of the instances.
    fn subnet_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.instances
            .iter()
            .flatten()
            .filter_map(|i| i.subnet_id.clone())
    }

    /// The roles of the instance profiles.
    fn profile_role_arns(&self) -> impl Iterator<Item = String> + '_ {
        self.profiles
            .iter()
            .flatten()
            .flat_map(|p| p.role_arns.iter().cloned())
    }
}

/// Reads the container instances of each cluster with a service that is not certainly on
/// Fargate, then their EC2 instances and instance profiles. Fargate-only clusters cost nothing.
async fn ec2_hosts(
    aws: &Aws,
    session: &Session,
    clusters: &[ecs::FoundCluster],
    per_cluster: &[Option<Vec<Service>>],
) -> Result<Hosts, CollectError> {
    let ecs_client = aws.ecs();
    let per_cluster = try_join_all(clusters.iter().zip(per_cluster).map(|(cluster, services)| {
        let client = &ecs_client;
        async move {
            let on_ec2 = services.iter().flatten().any(|s| {
                !matches!(
                    launch_of(
                        s.launch_type,
                        &s.capacity_provider_strategy,
                        &cluster.default_capacity_provider_strategy,
                        s.platform_version.as_deref(),
                        None,
                    ),
                    Launch::Fargate { .. }
                )
            });
            if on_ec2 {
                instances::container_instances(client, session, &cluster.arn).await
            } else {
                Ok(None)
            }
        }
    }))
    .await?;
    let ids: BTreeSet<String> = per_cluster
        .iter()
        .flatten()
        .flatten()
        .filter_map(|c| c.ec2_instance_id.clone())
        .collect();
    if ids.is_empty() {
        // Read and empty: collected, there are none.
        let read = per_cluster.iter().any(Option::is_some);
        return Ok(Hosts {
            per_cluster,
            instances: read.then(Vec::new),
            profiles: read.then(Vec::new),
        });
    }
    let found = instances::instances(&aws.ec2(), session, &ids).await?;
    let profile_arns: BTreeSet<String> = found
        .iter()
        .flatten()
        .filter_map(|i| i.instance_profile_arn.clone())
        .collect();
    let profiles = instances::instance_profiles(&aws.iam(), session, &profile_arns).await?;
    Ok(Hosts {
        per_cluster,
        instances: found,
        profiles,
    })
}

/// The caller's account (sts:GetCallerIdentity), when no cluster or role ARN names it.
pub(crate) async fn caller_account(aws: &Aws, session: &Session) -> Result<String, CollectError> {
    let call = Call {
        service: "sts",
        operation: "GetCallerIdentity",
        action: "sts:GetCallerIdentity",
        collection: "account_id",
    };
    let identity = attempt(session, call, aws.sts().get_caller_identity().send()).await?;
    identity
        .and_then(|i| i.account().map(str::to_string))
        .ok_or_else(|| CollectError::Api {
            service: "sts".into(),
            operation: "GetCallerIdentity".into(),
            code: "NoAccount".into(),
            message: "the caller's account could not be read".into(),
            request_id: None,
        })
}

fn now() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}
