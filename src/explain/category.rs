//! What kind of failure a message reports, and what that means for the engineer.

use serde::Serialize;

use super::suspects::is_ecr;
use crate::workload::Target;

/// The kind of failure. Stable names: they are part of the `explain` and `diagnosis` JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    NetworkTimeout,
    PermissionDenied,
    ImageNotFound,
    RateLimited,
    RegistryAuthFailed,
    LogGroupMissing,
    RoleAssumeFailed,
    SecretNotFound,
    DiskFull,
    /// The kubelet never pulled: `imagePullPolicy: Never` and the image not on the node.
    ImageNeverPulled,
    /// The kubelet could not parse the image reference.
    InvalidImageName,
    Unknown,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::NetworkTimeout => "network-timeout",
            Category::PermissionDenied => "permission-denied",
            Category::ImageNotFound => "image-not-found",
            Category::RateLimited => "rate-limited",
            Category::RegistryAuthFailed => "registry-auth-failed",
            Category::LogGroupMissing => "log-group-missing",
            Category::RoleAssumeFailed => "role-assume-failed",
            Category::SecretNotFound => "secret-not-found",
            Category::DiskFull => "disk-full",
            Category::ImageNeverPulled => "image-never-pulled",
            Category::InvalidImageName => "invalid-image-name",
            Category::Unknown => "unknown",
        }
    }
}

/// Which policy refused a call, from the suffix AWS appends to authorization errors
/// ("because no identity-based policy allows …", "… with an explicit deny in a VPC endpoint
/// policy").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeniedBy {
    IdentityBasedPolicy,
    ResourceBasedPolicy,
    VpcEndpointPolicy,
    ServiceControlPolicy,
    PermissionsBoundary,
    SessionPolicy,
}

/// What a call's name means to a reader ("the ECR registry (manifest)").
pub fn call_name(target: Option<Target>) -> &'static str {
    match target {
        Some(Target::EcrApi) => "the ECR API (registry auth token)",
        Some(Target::EcrDkr) => "the ECR registry (image manifest)",
        Some(Target::S3Layers) => "S3 (the image layers)",
        Some(Target::Secretsmanager) => "Secrets Manager",
        Some(Target::Ssm) => "SSM Parameter Store",
        Some(Target::Logs) => "CloudWatch Logs",
        Some(Target::Registry) => "the image registry",
        None => "a service the task needed",
    }
}

/// One line: what the message means.
pub fn meaning(
    category: Category,
    target: Option<Target>,
    private_ip: Option<bool>,
    denied_by: Option<DeniedBy>,
) -> String {
    let call = call_name(target);
    match category {
        Category::NetworkTimeout => match private_ip {
            Some(false) => format!(
                "The task could not connect to {call}: the name resolved to a public IP, so the \
                 call took the internet path (no VPC endpoint was used) and that path is blocked."
            ),
            Some(true) => format!(
                "The task could not connect to {call} at a private IP: the name resolved inside \
                 the VPC (a VPC endpoint or private route), and something on that path drops the \
                 traffic."
            ),
            None => format!("The task could not reach {call} over the network."),
        },
        Category::PermissionDenied => {
            let by = match denied_by {
                Some(DeniedBy::IdentityBasedPolicy) => " by the role's own policies",
                Some(DeniedBy::ResourceBasedPolicy) => " by a resource policy",
                Some(DeniedBy::VpcEndpointPolicy) => " by a VPC endpoint policy",
                Some(DeniedBy::ServiceControlPolicy) => " by a service control policy",
                Some(DeniedBy::PermissionsBoundary) => " by a permissions boundary",
                Some(DeniedBy::SessionPolicy) => " by a session policy",
                None => "",
            };
            format!("The network path worked, but {call} refused the call{by}.")
        }
        Category::ImageNotFound => {
            "The registry answered, but the repository or the tag/digest does not exist.".into()
        }
        Category::RateLimited => format!("{} throttled the calls (rate limit).", capitalised(call)),
        Category::RegistryAuthFailed => {
            "The registry rejected the credentials (missing, wrong or expired).".into()
        }
        Category::LogGroupMissing => {
            "The awslogs log group does not exist and the task may not create it.".into()
        }
        Category::RoleAssumeFailed => {
            "ECS could not assume a role of the task (the execution role, or the task role): it \
             does not exist or does not trust ecs-tasks.amazonaws.com."
                .into()
        }
        Category::SecretNotFound => {
            "A secret or parameter the task definition references does not exist (or is in \
             another region or account)."
                .into()
        }
        Category::DiskFull => {
            "The image did not fit: the instance volume or the task's ephemeral storage is full."
                .into()
        }
        Category::ImageNeverPulled => {
            "The image is not on the node and the container's imagePullPolicy is Never, so the \
             kubelet did not pull it (ErrImageNeverPull)."
                .into()
        }
        Category::InvalidImageName => {
            "The container's image is not a valid image reference, so the kubelet did not try \
             to pull it (InvalidImageName)."
                .into()
        }
        Category::Unknown => {
            "pullpath does not recognise this message as an image-pull failure with a known cause."
                .into()
        }
    }
}

/// One line: the next thing to check.
pub fn next_check(category: Category, target: Option<Target>, private_ip: Option<bool>) -> String {
    let call = call_name(target);
    match category {
        Category::NetworkTimeout => match private_ip {
            Some(false) => format!(
                "If a VPC endpoint for {call} exists, check its private DNS and the VPC's \
                 enableDnsSupport/enableDnsHostnames; otherwise check the task subnet's route to a \
                 NAT gateway (or a public IP with an internet gateway). `pullpath diagnose` checks \
                 both."
            ),
            Some(true) => format!(
                "Check that the endpoint's security group allows TCP 443 from the task, the task's \
                 security group allows egress to it, and both subnets' network ACLs allow the \
                 request and the return traffic for {call}."
            ),
            None => format!(
                "Run `pullpath diagnose` (or `pullpath audit`) on the service: it checks the \
                 route, gateways, endpoints, security groups and ACLs on the path to {call}."
            ),
        },
        Category::PermissionDenied => format!(
            "Check the execution role's policies, any VPC endpoint policy on the path and, for \
             another account's repository, the repository policy, for the call to {call}."
        ),
        Category::ImageNotFound => {
            "Check the image reference in the task definition against the repository's tags \
             (aws ecr describe-images)."
                .into()
        }
        Category::RateLimited => {
            "Authenticate the pulls (repositoryCredentials) or mirror the image to ECR (a \
             pull-through cache rule)."
                .into()
        }
        Category::RegistryAuthFailed if is_ecr(target) => {
            "ECR takes the auth token the execution role fetches: check its \
             ecr:GetAuthorizationToken permission (and, on EC2, the instance clock and agent)."
                .into()
        }
        Category::RegistryAuthFailed => {
            "Check the container's repositoryCredentials secret: it must hold valid \
             {\"username\",\"password\"} for this registry."
                .into()
        }
        Category::LogGroupMissing => {
            "Create the log group, or set awslogs-create-group=true and allow \
             logs:CreateLogGroup."
                .into()
        }
        Category::RoleAssumeFailed => {
            "Check that the task definition's executionRoleArn exists and its trust policy \
             allows ecs-tasks.amazonaws.com to call sts:AssumeRole."
                .into()
        }
        Category::SecretNotFound => {
            "Check each secret's valueFrom ARN or parameter name (region, account, spelling)."
                .into()
        }
        Category::DiskFull => {
            "Increase ephemeralStorage (Fargate) or the instance's volume, or shrink the image."
                .into()
        }
        Category::ImageNeverPulled => {
            "Set imagePullPolicy to IfNotPresent (or Always), or preload the image on every node \
             the pod can run on."
                .into()
        }
        Category::InvalidImageName => {
            "Correct the image of the pod spec: REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], a \
             lowercase repository, a tag of letters, digits, `_`, `.` and `-`, no scheme."
                .into()
        }
        Category::Unknown => {
            "Run `pullpath audit` on the service: the configuration check does not depend on \
             the message."
                .into()
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
