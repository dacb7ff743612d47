//! The snapshot: pullpath's own serde types for everything the analysis reads.
//!
//! A snapshot is what collection from AWS (`collect`) produces and what every later stage
//! consumes. It is versioned
//! (`snapshot_version`) and independent of the AWS SDK's types, so fixtures are plain JSON.
//!
//! **Absent is not empty.** Every collection is an `Option<Vec<_>>`: a missing key (or `null`)
//! means *not collected*, and the analysis reports what depends on it as unknown; `[]` means
//! *collected, and there are none*.

mod ecr;
mod ecs;
mod iam;
mod image;
mod instances;
mod kubernetes;
mod launch;
mod load;
mod network;
mod parameters;
mod platform;
mod secrets;
mod tasks;
mod validate;
mod value_from;

pub use ecr::{Image, PullThroughCacheRule, Repository};
pub use ecs::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderItem, Cluster, ContainerDefinition,
    ContainerInstance, Deployment, LaunchType, LogConfiguration, RepositoryCredentials,
    RuntimePlatform, Secret, Service, ServiceEvent, ServicePrincipal, TaskDefinition,
};
pub use iam::{InlinePolicy, ManagedPolicy, Organization, Role};
pub(crate) use image::port_of;
pub use image::{image_reference_error, EcrImage, ImageRef, ImageReference, OtherImage};
pub use instances::{Instance, InstanceProfile};
pub use kubernetes::{
    ContainerWaiting, EksCluster, ExternalSecret, FargateProfile, FargateSelector, KubeCluster,
    KubeContainer, KubeEvent, KubeWorkload, Node, NodeGroup, NodeRequirement, NodeSelectorTerm,
    ObjectName, PullSecret, RegistryCredential, ServiceAccount, Taint, Toleration,
};
pub use launch::{launch_of, Launch};
pub use load::{load_snapshot, SnapshotError};
pub use network::{
    EndpointType, InternetGateway, NaclEntry, NatConnectivity, NatGateway, NatState, NetworkAcl,
    PeeringConnection, PortRange, PrefixList, Route, RouteState, RouteTable, RouteTarget,
    RouteTargetKind, RuleAction, SecurityGroup, SgRule, Subnet, TransitGateway, Vpc, VpcEndpoint,
};
pub use parameters::{parameter_arn, SsmParameter};
pub use platform::{Platform, RegistryImage};
pub use secrets::{kms_key, SecretKey, SecretMetadata};
pub use tasks::{StoppedContainer, StoppedTask, TaskNetworkInterface};
pub use validate::check_consistency;
pub use value_from::{parameters_read, secrets_read, value_source, ValueSource, ValueStore};

use serde::{Deserialize, Serialize};

/// The only snapshot format this build reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Everything collected from one account and region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub snapshot_version: u32,
    pub account_id: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,

    #[serde(default)]
    pub vpcs: Option<Vec<Vpc>>,
    #[serde(default)]
    pub subnets: Option<Vec<Subnet>>,
    #[serde(default)]
    pub route_tables: Option<Vec<RouteTable>>,
    #[serde(default)]
    pub internet_gateways: Option<Vec<InternetGateway>>,
    #[serde(default)]
    pub nat_gateways: Option<Vec<NatGateway>>,
    #[serde(default)]
    pub vpc_endpoints: Option<Vec<VpcEndpoint>>,
    #[serde(default)]
    pub security_groups: Option<Vec<SecurityGroup>>,
    #[serde(default)]
    pub network_acls: Option<Vec<NetworkAcl>>,
    #[serde(default)]
    pub prefix_lists: Option<Vec<PrefixList>>,
    #[serde(default)]
    pub transit_gateways: Option<Vec<TransitGateway>>,
    #[serde(default)]
    pub peering_connections: Option<Vec<PeeringConnection>>,

    #[serde(default)]
    pub clusters: Option<Vec<Cluster>>,
    #[serde(default)]
    pub task_definitions: Option<Vec<TaskDefinition>>,

    #[serde(default)]
    pub roles: Option<Vec<Role>>,
    #[serde(default)]
    pub managed_policies: Option<Vec<ManagedPolicy>>,
    /// The account's organization; `None`: not read (organization keys are unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,

    #[serde(default)]
    pub ecr_repositories: Option<Vec<Repository>>,
    /// Pull-through cache rules of the registries where an image's repository (`PREFIX/…`) or
    /// image was not found; `None`: not read (none was missing, or the call was denied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_pull_through_cache_rules: Option<Vec<PullThroughCacheRule>>,

    /// The Secrets Manager secrets the task definitions reference (`secrets[].valueFrom`,
    /// `repositoryCredentials`), with the KMS key of each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<SecretMetadata>>,
    /// The Systems Manager parameters the task definitions reference, with the type and KMS
    /// key of each (`ssm:DescribeParameters`; never their values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssm_parameters: Option<Vec<SsmParameter>>,
    /// Images of registries other than ECR whose manifests `--inspect-registries` read;
    /// `None`: not read (their platforms are unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_images: Option<Vec<RegistryImage>>,

    /// The EC2 instances behind the clusters' container instances (read when a service runs
    /// on EC2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<Vec<Instance>>,
    /// The instance profiles of those instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profiles: Option<Vec<InstanceProfile>>,

    /// Recently stopped tasks (collected by `diagnose`; absent from an audit's snapshot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_tasks: Option<Vec<StoppedTask>>,

    /// EKS clusters (`eks:DescribeCluster`, node groups, Fargate profiles) of the Kubernetes
    /// clusters audited; `None`: not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eks_clusters: Option<Vec<EksCluster>>,
    /// Kubernetes clusters read (`--kube-context`, `--kube-objects`); `None`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_clusters: Option<Vec<KubeCluster>>,

    /// Calls the collector was denied: what they would have filled is absent (not collected),
    /// and these records name the missing permission in the analysis' messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage_gaps: Vec<CoverageGap>,
}

/// The `service` of a coverage gap that a pre-deploy audit records: the snapshot was collected
/// for other services, so what the new task needs was never looked for.
pub const PRE_DEPLOY_GAP: &str = "pre-deploy";

/// A call whose answer the snapshot lacks: denied, failed after the SDK's retries, or answered
/// with a reply pullpath does not trust. What it would have filled is absent (not collected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageGap {
    /// e.g. `ec2`.
    pub service: String,
    /// e.g. `DescribeNetworkAcls`.
    pub operation: String,
    /// The IAM action of the call, e.g. `ec2:DescribeNetworkAcls`.
    pub action: String,
    /// The snapshot field left uncollected, e.g. `network_acls`.
    pub collection: String,
    /// The service's error message, or what was wrong with the reply.
    #[serde(default)]
    pub message: String,
    /// Why the call left a gap; absent: denied (all a gap meant before failures degraded).
    #[serde(default, skip_serializing_if = "GapKind::is_denied")]
    pub kind: GapKind,
    /// The service's error code (`ThrottlingException`), when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The request id AWS support asks for, when the reply carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Why a call left a coverage gap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// The caller lacks the permission (`AccessDenied`, `UnauthorizedOperation`…).
    #[default]
    Denied,
    /// Any other failure once the SDK's retries were spent: throttling, a 5xx, a reset
    /// connection, a timeout, a reply that could not be parsed.
    Failed,
    /// A reply that parsed but cannot be true (a required id empty, a reference to nothing, a
    /// page that contradicts its own count): taken as a failure, never as data.
    Suspicious,
}

impl GapKind {
    fn is_denied(&self) -> bool {
        *self == GapKind::Denied
    }
}

impl CoverageGap {
    /// How the gap reads after "the collector": `was denied ec2:DescribeNetworkAcls`,
    /// `got no answer to ec2:DescribeNetworkAcls (RequestLimitExceeded, request id …)`.
    pub fn describe(&self) -> String {
        // Without a code (a timeout, a reset connection), the message says what happened.
        let what = match &self.error_code {
            Some(code) => Some(code.clone()),
            None if !self.message.is_empty() => {
                Some(self.message.chars().take(160).collect::<String>())
            }
            None => None,
        };
        let detail: Vec<String> = what
            .into_iter()
            .chain(self.request_id.iter().map(|id| format!("request id {id}")))
            .collect();
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", detail.join(", "))
        };
        match self.kind {
            GapKind::Denied => format!("was denied {}", self.action),
            GapKind::Failed => format!("got no answer to {}{detail}", self.action),
            GapKind::Suspicious => format!(
                "distrusted the reply to {}: {}{detail}",
                self.action, self.message
            ),
        }
    }
}

impl Snapshot {
    /// Marks `collection` (a field name, `route_tables`) as not collected; `false` for a
    /// field that cannot be absent or is not a collection.
    pub fn forget(&mut self, collection: &str) -> bool {
        macro_rules! forget {
            ($($field:ident),+) => {
                match collection {
                    $(stringify!($field) => self.$field = None,)+
                    _ => return false,
                }
            };
        }
        forget!(
            vpcs,
            subnets,
            route_tables,
            internet_gateways,
            nat_gateways,
            vpc_endpoints,
            security_groups,
            network_acls,
            prefix_lists,
            transit_gateways,
            peering_connections,
            task_definitions,
            roles,
            managed_policies,
            ecr_repositories,
            ecr_pull_through_cache_rules,
            secrets,
            ssm_parameters,
            instances,
            instance_profiles,
            stopped_tasks,
            eks_clusters
        );
        true
    }
}

impl Snapshot {
    /// " (the collector was denied ec2:DescribeNetworkAcls)" when a gap explains why
    /// `collection` is missing; empty otherwise.
    pub fn why_not_collected(&self, collection: &str) -> String {
        let gaps = || {
            self.coverage_gaps
                .iter()
                .filter(|g| g.collection == collection)
        };
        // A pre-deploy's snapshot was collected for other services: say so, not "denied".
        if let Some(gap) = gaps().find(|g| g.service == PRE_DEPLOY_GAP) {
            return format!(" ({})", gap.message);
        }
        let why: Vec<String> = gaps().map(CoverageGap::describe).collect();
        if why.is_empty() {
            String::new()
        } else {
            format!(" (the collector {})", why.join("; "))
        }
    }
}
