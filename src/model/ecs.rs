//! ECS: clusters, services and task definitions — what runs and how it is placed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub arn: String,
    /// `None`: the cluster's services were not collected.
    #[serde(default)]
    pub services: Option<Vec<Service>>,
    /// The strategy a service without a launch type or strategy of its own gets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_capacity_provider_strategy: Vec<CapacityProviderItem>,
    /// The EC2 instances registered with the cluster (read when a service runs on EC2).
    /// `None`: not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_instances: Option<Vec<ContainerInstance>>,
}

/// An EC2 instance registered with a cluster: its agent pulls the images of the tasks placed
/// on it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerInstance {
    pub arn: String,
    /// `None` for an external (ECS Anywhere) instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2_instance_id: Option<String>,
    /// `ACTIVE`, `DRAINING`, `REGISTERING`, `INACTIVE`…: tasks are placed only on `ACTIVE`.
    pub status: String,
    /// The Auto Scaling group capacity provider that launched it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_name: Option<String>,
    /// Whether its agent is connected to ECS (tasks are placed only where it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_connected: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub arn: String,
    /// ARN of the task definition the service runs.
    pub task_definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<LaunchType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderItem>,
    /// e.g. `LATEST`, `1.4.0`, `1.3.0`. Fargate only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<AwsVpcConfiguration>,
    /// The service's current deployments (collected for `diagnose`: they record the network
    /// configuration each task was started with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployments: Option<Vec<Deployment>>,
    /// The service's recent events, newest first (collected for `diagnose`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<ServiceEvent>>,
}

/// One deployment of a service. A task's `startedBy` names the deployment that started it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    pub task_definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<AwsVpcConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// A service event ("(service web) failed to launch a task with (error …)").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum LaunchType {
    Fargate,
    Ec2,
    External,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityProviderItem {
    pub capacity_provider: String,
    #[serde(default)]
    pub weight: i32,
    #[serde(default)]
    pub base: i32,
}

/// The `awsvpcConfiguration` of a service or task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwsVpcConfiguration {
    pub subnets: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub assign_public_ip: AssignPublicIp,
}

#[derive(
    Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum AssignPublicIp {
    Enabled,
    #[default]
    Disabled,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskDefinition {
    pub arn: String,
    #[serde(default)]
    pub family: Option<String>,
    /// `awsvpc`, `bridge`, `host`, `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    #[serde(default)]
    pub requires_compatibilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<String>,
    pub container_definitions: Vec<ContainerDefinition>,
    /// `runtimePlatform`: absent means ECS's defaults, `LINUX` on `X86_64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_platform: Option<RuntimePlatform>,
    /// Who assumes the execution role, when not ECS (`ecs-tasks.amazonaws.com`): an EKS
    /// Fargate pod's stand-in task says `eks-fargate-pods.amazonaws.com`. Never in a snapshot.
    #[serde(skip)]
    pub execution_role_principal: Option<ServicePrincipal>,
}

/// A service principal that assumes a role, and the `aws:SourceArn` prefix it does so with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePrincipal {
    /// `eks-fargate-pods.amazonaws.com`.
    pub service: String,
    /// `arn:aws:eks:REGION:ACCOUNT:fargateprofile/CLUSTER/PROFILE/`.
    pub source_arn_prefix: String,
}

impl TaskDefinition {
    /// Whether its containers run on Windows (`operatingSystemFamily` `WINDOWS_SERVER_…`;
    /// the default, and every other value, is Linux).
    pub fn runs_windows(&self) -> bool {
        self.runtime_platform
            .as_ref()
            .and_then(|p| p.operating_system_family.as_deref())
            .is_some_and(|f| f.to_ascii_uppercase().starts_with("WINDOWS"))
    }
}

/// Where a task definition's containers run ("Runtime platform": `cpuArchitecture` X86_64 |
/// ARM64, default X86_64; `operatingSystemFamily` LINUX | WINDOWS_SERVER_…, default LINUX).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimePlatform {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system_family: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<RepositoryCredentials>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepositoryCredentials {
    /// ARN (or name) of the Secrets Manager secret holding the registry credentials.
    pub credentials_parameter: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub name: String,
    /// A Secrets Manager secret ARN, an SSM parameter ARN, or an SSM parameter name.
    pub value_from: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogConfiguration {
    pub log_driver: String,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}
