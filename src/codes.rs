//! Stable blocker codes. Each code is documented in `docs/codes.md` (cause, evidence, fix); a
//! test keeps the two in step. Codes are part of the report contract: never rename one.

use serde::{Deserialize, Serialize};

/// What a code says about the pull: it certainly fails, or the configuration cannot tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The call cannot succeed as configured.
    Blocks,
    /// The configuration cannot prove the call succeeds (path leaves the VPC, data missing…).
    Unknown,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $effect:ident, $summary:literal; )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        pub enum Code {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The effect a finding with this code has unless the finding says otherwise.
            pub fn default_effect(self) -> Effect {
                match self { $(Code::$variant => Effect::$effect,)* }
            }

            /// One line: what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    NoRoute = "NO_ROUTE", Blocks,
        "The subnet's route table has no route to the destination.";
    RouteBlackhole = "ROUTE_BLACKHOLE", Blocks,
        "The matching route points at a target that no longer exists.";
    NatGatewayUnavailable = "NAT_GATEWAY_UNAVAILABLE", Blocks,
        "The route's NAT gateway is not in the `available` state.";
    NatGatewayNoInternet = "NAT_GATEWAY_NO_INTERNET", Blocks,
        "The NAT gateway cannot reach the internet (private connectivity, or its subnet has no internet-gateway route).";
    NoPublicIp = "NO_PUBLIC_IP", Blocks,
        "The route leads to an internet gateway but the task's network interface has no public IP.";
    SgEgressBlocked = "SG_EGRESS_BLOCKED", Blocks,
        "No security group of the task allows outbound TCP 443 to the destination.";
    EndpointSgIngressBlocked = "ENDPOINT_SG_INGRESS_BLOCKED", Blocks,
        "No security group of the interface endpoint allows inbound TCP 443 from the task.";
    NaclOutboundBlocked = "NACL_OUTBOUND_BLOCKED", Blocks,
        "A network ACL denies the traffic leaving a subnet (requests, or return traffic from an endpoint or NAT subnet).";
    NaclInboundBlocked = "NACL_INBOUND_BLOCKED", Blocks,
        "A network ACL denies the traffic entering a subnet (return traffic to the task, or requests into an endpoint or NAT subnet).";
    EndpointPrivateDnsDisabled = "ENDPOINT_PRIVATE_DNS_DISABLED", Blocks,
        "An interface endpoint for the service exists but its private DNS is off, so the service name resolves to public IPs.";
    VpcDnsDisabled = "VPC_DNS_DISABLED", Blocks,
        "The VPC's `enableDnsSupport` or `enableDnsHostnames` is off, so endpoint private DNS (or all DNS) does not work.";
    CustomDnsServers = "CUSTOM_DNS_SERVERS", Unknown,
        "The VPC's DHCP options use DNS servers other than the Amazon-provided resolver; endpoint private DNS works only if they forward to it.";
    EndpointUnavailable = "ENDPOINT_UNAVAILABLE", Blocks,
        "The VPC endpoint on the path is not in the `available` state.";
    EndpointPolicyDenies = "ENDPOINT_POLICY_DENIES", Blocks,
        "The VPC endpoint's policy does not allow the call.";
    CrossRegionRegistry = "CROSS_REGION_REGISTRY", Blocks,
        "The image is in another region: this VPC's endpoints cannot serve it, it needs an internet path.";
    PathLeavesVpc = "PATH_LEAVES_VPC", Unknown,
        "The route sends the traffic out of the VPC (transit gateway, peering, VPN, appliance): the rest of the path is not visible here.";
    ExecutionRoleMissing = "EXECUTION_ROLE_MISSING", Blocks,
        "The task definition has no execution role but needs one (private ECR image, awslogs, secrets).";
    ExecutionRoleNotFound = "EXECUTION_ROLE_NOT_FOUND", Blocks,
        "The task definition's execution role does not exist.";
    ExecutionRoleTrust = "EXECUTION_ROLE_TRUST", Blocks,
        "The execution role's trust policy does not let `ecs-tasks.amazonaws.com` assume it.";
    PermissionMissing = "PERMISSION_MISSING", Blocks,
        "No policy of the execution role allows an action the task needs.";
    PermissionDenied = "PERMISSION_DENIED", Blocks,
        "A policy of the execution role explicitly denies an action the task needs.";
    RepositoryNotFound = "REPOSITORY_NOT_FOUND", Blocks,
        "The image's ECR repository does not exist.";
    ImageNotFound = "IMAGE_NOT_FOUND", Blocks,
        "The repository has no image with the tag or digest the task definition names.";
    RepositoryPolicyDenies = "REPOSITORY_POLICY_DENIES", Blocks,
        "The repository policy does not admit the execution role (another account's repository, or an explicit deny).";
    RegistryAuthMissing = "REGISTRY_AUTH_MISSING", Blocks,
        "A private non-ECR registry is used without `repositoryCredentials`.";
    ConditionUnknown = "CONDITION_UNKNOWN", Unknown,
        "A policy statement that decides the call has a `Condition` that cannot be evaluated from configuration.";
    PolicyUnreadable = "POLICY_UNREADABLE", Unknown,
        "A policy that decides the call cannot be read as IAM reads policies (IAM would refuse it as written), so whether it allows or denies the call is unknown.";
    ServiceAccountMissing = "SERVICE_ACCOUNT_MISSING", Blocks,
        "The Kubernetes service account the pods run as does not exist in their namespace, so the API server refuses to create them.";
    PullSecretMissing = "PULL_SECRET_MISSING", Blocks,
        "A pull secret the pod names (or inherits from its service account) does not exist in the pod's namespace.";
    PullSecretOtherNamespace = "PULL_SECRET_OTHER_NAMESPACE", Blocks,
        "A pull secret the pod names exists only in another namespace; the kubelet reads pull secrets from the pod's own namespace.";
    PullSecretWrongType = "PULL_SECRET_WRONG_TYPE", Blocks,
        "A pull secret the pod names is not of type kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg with its key, so the kubelet skips it.";
    PullSecretHostMismatch = "PULL_SECRET_HOST_MISMATCH", Blocks,
        "No pull secret of the pod holds credentials for the image's registry host, so a private image is pulled without credentials.";
    PullSecretEcrTokenExpired = "PULL_SECRET_ECR_TOKEN_EXPIRED", Blocks,
        "The pull secret's ECR authorization token has expired (tokens last 12 hours), and nothing else can pull the image.";
    PullSecretEcrTokenExpiring = "PULL_SECRET_ECR_TOKEN_EXPIRING", Unknown,
        "The pull secret's ECR authorization token pulls now but expires soon, and nothing else can pull the image after it does.";
    NodeRolePermissionMissing = "NODE_ROLE_PERMISSION_MISSING", Blocks,
        "The node role (or Fargate pod execution role) the kubelet pulls ECR images with lacks an ECR permission.";
    NoSchedulableNode = "NO_SCHEDULABLE_NODE", Blocks,
        "No ready, schedulable EC2 node fits the pod (its node selector, the taints it tolerates, its required node affinity), so its pods stay Pending and nothing is pulled.";
    NoFargateProfile = "NO_FARGATE_PROFILE", Blocks,
        "The EKS cluster runs pods only on Fargate, and no Fargate profile selects the pod's namespace and labels.";
    FargatePodUnsupported = "FARGATE_POD_UNSUPPORTED", Blocks,
        "A Fargate profile selects the pod, but EKS Fargate does not run pods like it (privileged containers, host network or ports, added capabilities, hostPath volumes), so its pods stay Pending.";
    PullSecretNotAllowed = "PULL_SECRET_NOT_ALLOWED", Blocks,
        "The pod's service account enforces mountable secrets (kubernetes.io/enforce-mountable-secrets) and does not list a secret the pod names, so the API server refuses to create its pods.";
    ImagePullPolicyNever = "IMAGE_PULL_POLICY_NEVER", Unknown,
        "A container's imagePullPolicy is Never: the kubelet never pulls its image and starts it only on nodes that already hold it, which configuration cannot show.";
    InvalidImageName = "INVALID_IMAGE_NAME", Blocks,
        "A container's image is not a valid image reference, so the kubelet refuses to pull it (InvalidImageName).";
    NodeNotModelled = "NODE_NOT_MODELLED", Unknown,
        "A node the pods may run on is not an EC2 instance pullpath can see (no AWS providerID), so its network path and credentials are unknown.";
    NotCollected = "NOT_COLLECTED", Unknown,
        "Data the check needs was not collected (or is missing from the snapshot).";
    RangePartiallyAllowed = "RANGE_PARTIALLY_ALLOWED", Unknown,
        "A rule allows or denies only part of the destination's address range, so whether the call gets through depends on the address it resolves to.";
    LaunchTypeNotModelled = "LAUNCH_TYPE_NOT_MODELLED", Unknown,
        "The workload runs on external (ECS Anywhere) instances, whose network is outside AWS.";
    NoContainerInstances = "NO_CONTAINER_INSTANCES", Unknown,
        "The workload runs on EC2 but no ACTIVE container instance (of its capacity providers) is registered, so its pull path is unknown.";
    AssignPublicIpUnsupported = "ASSIGN_PUBLIC_IP_UNSUPPORTED", Blocks,
        "`assignPublicIp` is `ENABLED` for a task on EC2: ECS refuses it (awsvpc interfaces on EC2 never get a public IP).";
    PlatformVersionUnsupported = "PLATFORM_VERSION_UNSUPPORTED", Blocks,
        "The Fargate platform version does not support a feature the task definition uses (secrets by JSON key or version need 1.4.0, secrets 1.3.0, private registry credentials 1.2.0), or does not exist.";
    ImagePlatformMismatch = "IMAGE_PLATFORM_MISMATCH", Blocks,
        "The image offers no manifest for the platform the task runs on (an amd64-only image on ARM64, a Linux image on Windows).";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_upper_snake_case() {
        let names: HashSet<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{name}"
            );
        }
    }

    #[test]
    fn every_code_is_documented_with_cause_evidence_and_fix() {
        let doc = include_str!("../docs/codes.md");
        for code in Code::ALL {
            let heading = format!("## `{}`", code.as_str());
            let start = doc
                .find(&heading)
                .unwrap_or_else(|| panic!("docs/codes.md lacks a section `{heading}`"));
            let section = &doc[start + heading.len()..];
            let section = &section[..section.find("\n## ").unwrap_or(section.len())];
            for part in ["**Cause.**", "**Evidence.**", "**Fix.**"] {
                assert!(section.contains(part), "{code}: section lacks {part}");
            }
            let effect = match code.default_effect() {
                Effect::Blocks => "blocks",
                Effect::Unknown => "unknown",
            };
            for line in section.lines().filter(|l| l.starts_with("Fixture:")) {
                let fixture = line.trim_start_matches("Fixture:").trim().trim_matches('`');
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
                assert!(
                    path.is_file(),
                    "{code}: docs/codes.md names a missing fixture {fixture}"
                );
            }
            let row = format!("| `{}` | {effect} | {} |", code.as_str(), code.summary());
            assert!(
                doc.contains(&row),
                "docs/codes.md summary table lacks the row {row}"
            );
        }
    }
}
