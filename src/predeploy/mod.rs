//! Pre-deploy audits: a task definition that is not deployed yet (a JSON file, or a Prefect
//! deployment's job variables), placed as it will be deployed (subnets, security groups,
//! public IP, launch type), audited like a running service. A CI gate runs it before
//! `aws ecs update-service` or `prefect deploy`.
//!
//! The spec is checked here, before any AWS call or snapshot is read: what ECS itself would
//! refuse (Fargate without awsvpc, a launch type the task definition is not compatible with)
//! is bad input, not a finding.

mod kube_manifest;
mod prefect;
mod prefect_job;
mod prefect_kube;
mod task_file;

pub use kube_manifest::apply_manifest;
pub use prefect::{prefect_deployment, prefect_kubernetes_job, PrefectError};

use std::path::Path;

use crate::model::{
    secrets_read, AssignPublicIp, AwsVpcConfiguration, CapacityProviderItem, Cluster, CoverageGap,
    GapKind, ImageRef, LaunchType, Service, Snapshot, TaskDefinition, PRE_DEPLOY_GAP,
};
use crate::yaml::{printable, unprintable};

/// The cluster name used when the pre-deploy names none (Fargate needs no cluster to audit).
pub const PRE_DEPLOY_CLUSTER: &str = "pre-deploy";

/// Where and how the task will run, as flags (or a Prefect deployment) give it.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub cluster: Option<String>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<AssignPublicIp>,
    pub launch_type: Option<LaunchType>,
    /// A capacity provider strategy instead of a launch type.
    pub capacity_provider_strategy: Vec<CapacityProviderItem>,
    pub platform_version: Option<String>,
}

/// A task definition and its placement, ready to audit.
#[derive(Debug, Clone)]
pub struct PreDeploy {
    /// What it came from, for messages: "task definition web.json".
    pub source: String,
    /// The workload's name in the report: the family, or the Prefect deployment.
    pub name: String,
    pub cluster: Option<String>,
    pub launch_type: LaunchType,
    /// Whether the launch type or a strategy was given (else the cluster's default strategy
    /// applies when it has one, as ECS does).
    explicit_launch: bool,
    pub capacity_provider_strategy: Vec<CapacityProviderItem>,
    pub platform_version: Option<String>,
    pub network: Option<AwsVpcConfiguration>,
    /// What the input said that the audit does not follow (printed on stderr).
    pub warnings: Vec<String>,
    /// The definition; its ARN is set when the account and region are known (unless the file
    /// gave one).
    definition: TaskDefinition,
}

impl PreDeploy {
    /// From a task definition file (register-task-definition input or describe output).
    pub fn from_task_file(path: &Path, placement: Placement) -> Result<PreDeploy, String> {
        PreDeploy::read_task_file(path, placement).map_err(|e| escaped(&e))
    }

    fn read_task_file(path: &Path, placement: Placement) -> Result<PreDeploy, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read task definition {shown}: {e}"))?;
        let file = task_file::parse_task_file(&text).map_err(|e| format!("{shown}: {e}"))?;
        let arn = file.task_definition_arn.clone().unwrap_or_default();
        let definition = file.into_model(arn).map_err(|e| format!("{shown}: {e}"))?;
        PreDeploy::new(format!("task definition {shown}"), definition, placement)
    }

    /// Checks the combination as ECS would before running the task.
    pub(crate) fn new(
        source: String,
        definition: TaskDefinition,
        placement: Placement,
    ) -> Result<PreDeploy, String> {
        let compatible = &definition.requires_compatibilities;
        let explicit_launch =
            placement.launch_type.is_some() || !placement.capacity_provider_strategy.is_empty();
        if placement.launch_type.is_some() && !placement.capacity_provider_strategy.is_empty() {
            return Err(format!(
                "{source}: a launch type and a capacity provider strategy together: ECS refuses it (give one)"
            ));
        }
        // A strategy names Fargate or Auto Scaling group providers, never both.
        let by_strategy = (!placement.capacity_provider_strategy.is_empty()).then(|| {
            if placement
                .capacity_provider_strategy
                .iter()
                .all(|p| p.capacity_provider.starts_with("FARGATE"))
            {
                LaunchType::Fargate
            } else {
                LaunchType::Ec2
            }
        });
        let launch_type = match placement.launch_type.or(by_strategy) {
            Some(launch) => launch,
            None if compatible.iter().any(|c| c == "FARGATE") || compatible.is_empty() => {
                LaunchType::Fargate
            }
            None if compatible.iter().any(|c| c == "EC2") => LaunchType::Ec2,
            None => LaunchType::External,
        };
        let launch_name = match launch_type {
            LaunchType::Fargate => "FARGATE",
            LaunchType::Ec2 => "EC2",
            LaunchType::External => "EXTERNAL",
        };
        if !compatible.is_empty() && !compatible.iter().any(|c| c == launch_name) {
            return Err(format!(
                "{source} requires {} but would run with launch type {launch_name}: ECS refuses it (pass --launch-type {} or change requiresCompatibilities)",
                compatible.join(", "),
                compatible[0]
            ));
        }
        if let Some(arn) = &definition.execution_role_arn {
            check_role_arn(arn).map_err(|e| format!("{source}: executionRoleArn: {e}"))?;
        }
        let awsvpc = definition.network_mode.as_deref() == Some("awsvpc");
        if launch_type == LaunchType::Fargate && !awsvpc {
            return Err(format!(
                "{source}: Fargate needs networkMode awsvpc (the task definition has {})",
                definition.network_mode.as_deref().unwrap_or("none")
            ));
        }
        if launch_type != LaunchType::Fargate && placement.platform_version.is_some() {
            return Err("--platform-version is for Fargate only".into());
        }
        if launch_type != LaunchType::Fargate && placement.cluster.is_none() {
            return Err(format!(
                "launch type {launch_name} needs --cluster: the tasks run on that cluster's container instances"
            ));
        }
        for subnet in &placement.subnets {
            check_id(subnet, "subnet-", "--subnets")?;
        }
        for group in &placement.security_groups {
            check_id(group, "sg-", "--security-groups")?;
        }
        let network = if awsvpc {
            if placement.subnets.is_empty() {
                return Err(format!(
                    "{source} uses networkMode awsvpc: give the subnets the tasks will run in (--subnets subnet-a,subnet-b)"
                ));
            }
            Some(AwsVpcConfiguration {
                subnets: placement.subnets,
                security_groups: placement.security_groups,
                assign_public_ip: placement.assign_public_ip.unwrap_or_default(),
            })
        } else {
            if !placement.subnets.is_empty() || !placement.security_groups.is_empty() {
                return Err(format!(
                    "{source} uses networkMode {}: subnets and security groups apply only to awsvpc (the container instances' own are used)",
                    definition.network_mode.as_deref().unwrap_or("bridge")
                ));
            }
            None
        };
        let name = definition
            .family
            .clone()
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| "task".to_string());
        Ok(PreDeploy {
            source,
            name,
            cluster: placement.cluster,
            launch_type,
            explicit_launch,
            capacity_provider_strategy: placement.capacity_provider_strategy,
            platform_version: placement.platform_version,
            network,
            definition,
            warnings: Vec::new(),
        })
    }

    /// The task definition, under its ARN in `account`/`region` (`FAMILY:pre-deploy` when
    /// the file gave none).
    pub fn task_definition(&self, account: &str, region: &str) -> TaskDefinition {
        let mut definition = self.definition.clone();
        if definition.arn.is_empty() {
            let family = definition
                .family
                .as_deref()
                .filter(|f| !f.is_empty())
                .unwrap_or("task");
            definition.arn =
                format!("arn:aws:ecs:{region}:{account}:task-definition/{family}:pre-deploy");
        }
        definition
    }

    /// The execution role, for the collector.
    pub fn execution_role_arn(&self) -> Option<&str> {
        self.definition.execution_role_arn.as_deref()
    }

    /// The service this deploy would run, for the audit. Without a launch type or strategy of
    /// its own it gets none when the cluster has a default strategy (`cluster_default`), which
    /// then decides, as ECS does.
    pub fn service(
        &self,
        account: &str,
        region: &str,
        cluster: &str,
        cluster_default: &[CapacityProviderItem],
    ) -> Service {
        let cluster_decides = !self.explicit_launch && !cluster_default.is_empty();
        Service {
            name: self.name.clone(),
            arn: format!(
                "arn:aws:ecs:{region}:{account}:service/{cluster}/{}",
                self.name
            ),
            task_definition: self.task_definition(account, region).arn,
            launch_type: (self.capacity_provider_strategy.is_empty() && !cluster_decides)
                .then_some(self.launch_type),
            capacity_provider_strategy: self.capacity_provider_strategy.clone(),
            platform_version: match self.launch_type {
                LaunchType::Fargate => Some(
                    self.platform_version
                        .clone()
                        .unwrap_or_else(|| "LATEST".into()),
                ),
                _ => None,
            },
            network_configuration: self.network.clone(),
            deployments: None,
            events: None,
        }
    }

    /// Puts the workload into `snapshot` as the only one: the named cluster keeps its
    /// container instances but runs only this service; without a cluster a `pre-deploy`
    /// cluster holds it.
    pub fn inject(&self, snapshot: &mut Snapshot) -> Result<(), String> {
        self.inject_into(snapshot).map_err(|e| escaped(&e))
    }

    fn inject_into(&self, snapshot: &mut Snapshot) -> Result<(), String> {
        let (account, region) = (snapshot.account_id.clone(), snapshot.region.clone());
        let definition = self.task_definition(&account, &region);
        let cluster = match &self.cluster {
            Some(wanted) => {
                let clusters = snapshot.clusters.as_deref().unwrap_or_default();
                let found = clusters
                    .iter()
                    .find(|c| &c.name == wanted || &c.arn == wanted)
                    .ok_or_else(|| {
                        format!(
                            "cluster `{wanted}` is not in the snapshot (clusters: {})",
                            if clusters.is_empty() {
                                "none".to_string()
                            } else {
                                clusters
                                    .iter()
                                    .map(|c| c.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        )
                    })?;
                Cluster {
                    services: Some(vec![self.service(
                        &account,
                        &region,
                        &found.name,
                        &found.default_capacity_provider_strategy,
                    )]),
                    ..found.clone()
                }
            }
            None => Cluster {
                name: PRE_DEPLOY_CLUSTER.to_string(),
                arn: format!("arn:aws:ecs:{region}:{account}:cluster/{PRE_DEPLOY_CLUSTER}"),
                services: Some(vec![self.service(
                    &account,
                    &region,
                    PRE_DEPLOY_CLUSTER,
                    &[],
                )]),
                default_capacity_provider_strategy: Vec::new(),
                container_instances: None,
            },
        };
        snapshot.clusters = Some(vec![cluster]);
        let definitions = snapshot.task_definitions.get_or_insert_with(Vec::new);
        definitions.retain(|t| t.arn != definition.arn);
        definitions.push(definition);
        Ok(())
    }
}

impl PreDeploy {
    /// A snapshot collected for other services holds only their roles, repositories, images and
    /// secrets: whatever of this task's it lacks was never looked for, so it is marked not
    /// collected (unknown), never "does not exist". Call after [`PreDeploy::inject`] on a
    /// snapshot file, not on a snapshot collected for this task.
    pub fn mark_unread(&self, snapshot: &mut Snapshot) {
        let (account, region) = (snapshot.account_id.clone(), snapshot.region.clone());
        let definition = self.task_definition(&account, &region);
        let mut unread: Vec<(&str, String)> = Vec::new();
        if let (Some(arn), Some(roles)) = (&definition.execution_role_arn, &snapshot.roles) {
            if !roles.iter().any(|r| &r.arn == arn) {
                unread.push(("roles", format!("role {arn}")));
            }
        }
        let secrets = secrets_read(std::slice::from_ref(&definition), &account, &region);
        if let Some(listed) = &snapshot.secrets {
            // A `valueFrom` may name a secret without its random suffix.
            let known = |arn: &String| {
                listed.iter().any(|s| {
                    &s.arn == arn
                        || s.arn
                            .strip_prefix(arn.as_str())
                            .is_some_and(|r| r.starts_with('-'))
                })
            };
            if let Some(missing) = secrets.iter().find(|a| !known(a)) {
                unread.push(("secrets", format!("secret {missing}")));
            }
        }
        let images = definition
            .container_definitions
            .iter()
            .filter_map(|c| match ImageRef::parse(&c.image) {
                ImageRef::Ecr(image) => Some(image),
                ImageRef::Other(_) => None,
            });
        for image in images {
            let Some(repositories) = &mut snapshot.ecr_repositories else {
                break;
            };
            let found = repositories.iter_mut().find(|r| image.is_in(r));
            match found {
                None => {
                    unread.push((
                        "ecr_repositories",
                        format!("repository {}", image.repository_arn()),
                    ));
                }
                // Only the images other services use were listed: this one was not asked for.
                Some(repository) => {
                    let listed = repository
                        .images
                        .iter()
                        .flatten()
                        .any(|i| image.reference.names(i));
                    if !listed {
                        repository.images = None;
                    }
                }
            }
        }
        for (collection, what) in unread {
            match collection {
                "roles" => snapshot.roles = None,
                "secrets" => snapshot.secrets = None,
                _ => snapshot.ecr_repositories = None,
            }
            snapshot.coverage_gaps.push(CoverageGap {
                service: PRE_DEPLOY_GAP.to_string(),
                operation: "snapshot".to_string(),
                action: "a snapshot that holds this task's resources".to_string(),
                collection: collection.to_string(),
                message: format!(
                    "the snapshot was collected for other services and does not hold {what}: audit live, or from a snapshot collected with this task definition's service"
                ),
                kind: GapKind::Denied,
                error_code: None,
                request_id: None,
            });
        }
    }
}

/// `arn:PARTITION:iam::ACCOUNT:role/NAME`.
fn check_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > "role/".len();
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{arn}` is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
        ))
    }
}

fn check_id(id: &str, prefix: &str, flag: &str) -> Result<(), String> {
    let rest = id.strip_prefix(prefix).unwrap_or_default();
    if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!("{flag}: `{id}` is not an id like {prefix}0a1b2c3d"))
    }
}

/// `text` with each [`unprintable`] character written as its escape (`\u{1b}`): an error
/// quotes values of the input file (a network mode, an ARN, a container name), which must not
/// rewrite the terminal it is printed on.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if unprintable(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}
