//! The read-only guard: an SDK interceptor on every client that refuses any operation not on
//! [`READ_ACTIONS`] — the exact list of calls the collector makes — before it is serialized,
//! signed or sent. A prefix rule (`Describe*`, `List*`, `Get*`) would admit
//! `secretsmanager:GetSecretValue` and `ssm:GetParameters`, which return secret values; the
//! list admits nothing it does not name. It also counts the calls, which the tests and
//! `--verbose` statistics use.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Every AWS operation pullpath may call, as IAM actions, in the order of
/// docs/iam-policy.json (a test keeps the two, the collector's sources and the README's count
/// equal). Each is a read: the Service Authorization Reference lists every one under access
/// level Read or List (`ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` read an image's
/// manifest and config, never a secret value).
pub const READ_ACTIONS: [&str; 50] = [
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeInstances",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeRegions",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeVpcs",
    "ec2:GetManagedPrefixListEntries",
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
    "ecr:DescribePullThroughCacheRules",
    "ecr:DescribeRepositories",
    "ecr:GetDownloadUrlForLayer",
    "ecr:GetRepositoryPolicy",
    "ecs:DescribeClusters",
    "ecs:DescribeContainerInstances",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecs:DescribeTasks",
    "ecs:ListClusters",
    "ecs:ListContainerInstances",
    "ecs:ListServices",
    "ecs:ListTasks",
    "eks:DescribeCluster",
    "eks:DescribeFargateProfile",
    "eks:DescribeNodegroup",
    "eks:ListFargateProfiles",
    "eks:ListNodegroups",
    "iam:GetInstanceProfile",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListChildren",
    "secretsmanager:DescribeSecret",
    "ssm:DescribeParameters",
    "sts:GetCallerIdentity",
];

/// The IAM action prefix of an SDK service name (`EC2` → `ec2`, `Secrets Manager` →
/// `secretsmanager`).
fn action_prefix(service: &str) -> String {
    service
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `operation` of the SDK service `service` is on the allowlist.
pub fn is_allowed(service: &str, operation: &str) -> bool {
    let action = format!("{}:{operation}", action_prefix(service));
    READ_ACTIONS.contains(&action.as_str())
}

/// Calls made, by "service:Operation" (e.g. `ec2:DescribeVpcs`).
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<BTreeMap<String, usize>>>);

impl CallLog {
    fn record(&self, service: &str, operation: &str) {
        let mut calls = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *calls
            .entry(format!("{}:{operation}", action_prefix(service)))
            .or_default() += 1;
    }

    /// Every call made so far, by "service:Operation".
    pub fn calls(&self) -> BTreeMap<String, usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub fn total(&self) -> usize {
        self.calls().values().sum()
    }
}

#[derive(Debug, Clone)]
pub struct ReadOnlyGuard {
    pub log: CallLog,
}

impl Intercept for ReadOnlyGuard {
    fn name(&self) -> &'static str {
        "pullpath::ReadOnlyGuard"
    }

    // The operation's metadata is in the config bag from serialization on; this hook still runs
    // before the request is built, signed or sent.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Err("pullpath refuses a call whose operation it cannot identify".into());
        };
        if !is_allowed(metadata.service(), metadata.name()) {
            return Err(format!(
                "pullpath is read-only and refuses {}:{} (it calls only the {} read actions of docs/iam-policy.json)",
                action_prefix(metadata.service()),
                metadata.name(),
                READ_ACTIONS.len()
            )
            .into());
        }
        self.log.record(metadata.service(), metadata.name());
        Ok(())
    }
}
