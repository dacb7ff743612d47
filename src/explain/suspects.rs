//! Which blocker codes can produce a classified message, most likely first. `diagnose` ranks
//! the audit's findings by this order; `explain` shows it as what to look for.

use super::category::{Category, DeniedBy};
use super::facts::IpScope;
use crate::codes::Code;
use crate::workload::Target;

use Code::*;

/// The DNS settings that decide whether a service name resolves to an endpoint.
const DNS: [Code; 3] = [EndpointPrivateDnsDisabled, VpcDnsDisabled, CustomDnsServers];
/// What stops traffic on the internet path (NAT gateway or public IP).
const INTERNET_PATH: [Code; 9] = [
    NoRoute,
    NoPublicIp,
    RouteBlackhole,
    NatGatewayUnavailable,
    NatGatewayNoInternet,
    SgEgressBlocked,
    NaclOutboundBlocked,
    NaclInboundBlocked,
    CrossRegionRegistry,
];
/// What stops traffic to a VPC endpoint inside the VPC.
const ENDPOINT_PATH: [Code; 6] = [
    EndpointSgIngressBlocked,
    SgEgressBlocked,
    NaclOutboundBlocked,
    NaclInboundBlocked,
    EndpointUnavailable,
    RouteBlackhole,
];
/// Paths the configuration cannot follow to the end: possible causes, never certain ones.
/// (pullpath's own blind spots, NOT_COLLECTED and LAUNCH_TYPE_NOT_MODELLED, explain nothing.)
const UNCERTAIN_PATH: [Code; 2] = [PathLeavesVpc, RangePartiallyAllowed];

// Kubernetes: who pulls is the node (its IAM role, through the kubelet's ECR credential
// provider) or the pod's pull secrets (its imagePullSecrets and its service account's), never
// an ECS execution role or `repositoryCredentials`. The network path is the node's subnet
// (the pod's, on Fargate), so the network codes are the same as for a task. Codes that keep
// pods from existing or being scheduled (SERVICE_ACCOUNT_MISSING, NO_SCHEDULABLE_NODE,
// NO_FARGATE_PROFILE) explain no pull message; NODE_NOT_MODELLED is a blind spot, not a cause.

/// Credentials for a non-ECR registry, from the pod's pull secrets: none for the host, or a
/// secret the kubelet cannot use.
const KUBE_REGISTRY_CREDENTIALS: &[Code] = &[
    PullSecretHostMismatch,
    PullSecretMissing,
    PullSecretOtherNamespace,
    PullSecretWrongType,
];
/// Credentials for ECR: the node role's auth token, or an ECR token held in a pull secret.
/// Also what an ECR 403 naming no policy suspects: ECR answers an expired token with 403 too.
const KUBE_ECR_CREDENTIALS: &[Code] = &[
    NodeRolePermissionMissing,
    PullSecretEcrTokenExpired,
    PullSecretEcrTokenExpiring,
];
/// An ECR pull refused by the node role's own policies.
const KUBE_NODE_ROLE: &[Code] = &[NodeRolePermissionMissing];
/// A pull secret the pod names that the kubelet could not read (FailedToRetrieveImagePullSecret).
const KUBE_PULL_SECRET_UNREADABLE: &[Code] = &[PullSecretMissing, PullSecretOtherNamespace];

pub fn suspects(
    category: Category,
    target: Option<Target>,
    ip_scope: Option<IpScope>,
    dns_lookup_failed: bool,
    denied_by: Option<DeniedBy>,
    kubernetes: bool,
) -> Vec<Code> {
    let codes = if kubernetes && category != Category::NetworkTimeout {
        kubernetes_suspects(category, target, denied_by)
    } else {
        ecs_suspects(category, target, ip_scope, dns_lookup_failed, denied_by)
    };
    let mut unique = Vec::new();
    for code in codes {
        if !unique.contains(&code) {
            unique.push(code);
        }
    }
    unique
}

fn kubernetes_suspects(
    category: Category,
    target: Option<Target>,
    denied_by: Option<DeniedBy>,
) -> Vec<Code> {
    let mut codes: Vec<Code> = Vec::new();
    match category {
        Category::PermissionDenied => match denied_by {
            Some(DeniedBy::VpcEndpointPolicy) => codes.push(EndpointPolicyDenies),
            Some(DeniedBy::ResourceBasedPolicy) => codes.push(RepositoryPolicyDenies),
            Some(DeniedBy::IdentityBasedPolicy) => {
                codes.extend(KUBE_NODE_ROLE);
                codes.extend([ConditionUnknown, PolicyUnreadable]);
            }
            Some(
                DeniedBy::ServiceControlPolicy
                | DeniedBy::PermissionsBoundary
                | DeniedBy::SessionPolicy,
            ) => {}
            // Another registry refusing the account a pull secret holds.
            None if target == Some(Target::Registry) => codes.extend(KUBE_REGISTRY_CREDENTIALS),
            None => {
                if target == Some(Target::S3Layers) {
                    codes.push(EndpointPolicyDenies);
                }
                codes.extend(KUBE_ECR_CREDENTIALS);
                codes.extend([
                    RepositoryPolicyDenies,
                    EndpointPolicyDenies,
                    ConditionUnknown,
                    PolicyUnreadable,
                ]);
            }
        },
        Category::ImageNotFound => codes.extend([ImageNotFound, RepositoryNotFound]),
        // The kubelet's ECR credential provider calls ecr:GetAuthorizationToken with the node
        // role, through the ecr.api endpoint when there is one.
        Category::RegistryAuthFailed if is_ecr(target) => {
            codes.extend(KUBE_ECR_CREDENTIALS);
            codes.push(EndpointPolicyDenies);
        }
        Category::RegistryAuthFailed => codes.extend(KUBE_REGISTRY_CREDENTIALS),
        Category::SecretNotFound => codes.extend(KUBE_PULL_SECRET_UNREADABLE),
        Category::ImageNeverPulled => codes.push(ImagePullPolicyNever),
        Category::InvalidImageName => codes.push(InvalidImageName),
        // No ECS role is assumed for a pod; rate limits, disk and unknown causes are not
        // visible in configuration.
        Category::NetworkTimeout
        | Category::RoleAssumeFailed
        | Category::RateLimited
        | Category::DiskFull
        | Category::LogGroupMissing
        | Category::Unknown => {}
    }
    codes
}

fn ecs_suspects(
    category: Category,
    target: Option<Target>,
    ip_scope: Option<IpScope>,
    dns_lookup_failed: bool,
    denied_by: Option<DeniedBy>,
) -> Vec<Code> {
    let mut codes: Vec<Code> = Vec::new();
    match category {
        Category::NetworkTimeout => {
            let has_endpoint_service = target.is_some_and(|t| t != Target::Registry);
            if dns_lookup_failed {
                codes.extend([VpcDnsDisabled, CustomDnsServers]);
                if has_endpoint_service {
                    codes.push(EndpointPrivateDnsDisabled);
                }
            }
            match ip_scope {
                // A public address: the name did not resolve to an endpoint, so either DNS
                // kept an endpoint from being used or the internet path is broken.
                Some(IpScope::Public) => {
                    if has_endpoint_service {
                        codes.extend(DNS);
                    }
                    codes.extend(INTERNET_PATH);
                }
                // A private address: an endpoint (or a private route to a registry) was
                // resolved, and something inside the VPC drops the traffic.
                Some(IpScope::Private) => {
                    if has_endpoint_service {
                        codes.extend(ENDPOINT_PATH);
                    }
                    codes.extend(INTERNET_PATH);
                }
                None => {
                    codes.extend(INTERNET_PATH);
                    if has_endpoint_service {
                        codes.extend(ENDPOINT_PATH);
                        codes.extend(DNS);
                    } else {
                        codes.extend([SgEgressBlocked, VpcDnsDisabled, CustomDnsServers]);
                    }
                }
            }
            codes.extend(UNCERTAIN_PATH);
        }
        Category::PermissionDenied => match denied_by {
            Some(DeniedBy::VpcEndpointPolicy) => codes.push(EndpointPolicyDenies),
            Some(DeniedBy::ResourceBasedPolicy) => codes.push(RepositoryPolicyDenies),
            Some(DeniedBy::IdentityBasedPolicy) => codes.extend([
                PermissionMissing,
                PermissionDenied,
                ConditionUnknown,
                PolicyUnreadable,
            ]),
            // Outside what pullpath evaluates (docs/codes.md, known limits).
            Some(
                DeniedBy::ServiceControlPolicy
                | DeniedBy::PermissionsBoundary
                | DeniedBy::SessionPolicy,
            ) => {}
            None => {
                if target == Some(Target::S3Layers) {
                    codes.push(EndpointPolicyDenies);
                }
                codes.extend([
                    PermissionMissing,
                    PermissionDenied,
                    EndpointPolicyDenies,
                    RepositoryPolicyDenies,
                    ConditionUnknown,
                    PolicyUnreadable,
                    ExecutionRoleMissing,
                ]);
            }
        },
        Category::ImageNotFound => codes.extend([ImageNotFound, RepositoryNotFound]),
        Category::RoleAssumeFailed => codes.extend([
            ExecutionRoleNotFound,
            ExecutionRoleTrust,
            ExecutionRoleMissing,
        ]),
        // ECR's credentials are the auth token the execution role fetches, not a secret.
        Category::RegistryAuthFailed if is_ecr(target) => {
            codes.extend([PermissionMissing, PermissionDenied, EndpointPolicyDenies])
        }
        Category::RegistryAuthFailed => codes.push(RegistryAuthMissing),
        // Not visible in configuration: rate limits, disk, log groups and secrets that do not
        // exist (pullpath does not list log groups or secrets). The kubelet's own refusals
        // (pull policy Never, an unparsable reference) are audited for pods only.
        Category::RateLimited
        | Category::ImageNeverPulled
        | Category::InvalidImageName
        | Category::DiskFull
        | Category::LogGroupMissing
        | Category::SecretNotFound
        | Category::Unknown => {}
    }
    codes
}

pub fn is_ecr(target: Option<Target>) -> bool {
    matches!(target, Some(Target::EcrApi | Target::EcrDkr))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes no message category points to, each with why: a message `diagnose` reads can
    /// never be explained by them.
    const EXPLAIN_NOTHING: &[(Code, &str)] = &[
        (
            ServiceAccountMissing,
            "the API server refuses the pods: nothing is pulled",
        ),
        (
            NoSchedulableNode,
            "the pods stay Pending: nothing is pulled",
        ),
        (
            NoFargateProfile,
            "no Fargate profile schedules the pods: nothing is pulled",
        ),
        (
            FargatePodUnsupported,
            "Fargate does not schedule the pods: nothing is pulled",
        ),
        (
            PullSecretNotAllowed,
            "the API server refuses the pods: nothing is pulled",
        ),
        (
            NoContainerInstances,
            "no container instance to place the task on: nothing is pulled",
        ),
        (
            AssignPublicIpUnsupported,
            "ECS refuses the service or RunTask call: no task, no pull",
        ),
        (
            PlatformVersionUnsupported,
            "ECS refuses the task on that platform version, not a pull",
        ),
        (
            ImagePlatformMismatch,
            "its messages (no matching manifest) are unknown: rules.rs",
        ),
        (
            NotCollected,
            "pullpath's blind spot (data not collected), not a cause",
        ),
        (
            LaunchTypeNotModelled,
            "pullpath's blind spot (ECS Anywhere), not a cause",
        ),
        (
            NodeNotModelled,
            "pullpath's blind spot (a node outside EC2), not a cause",
        ),
    ];

    // Each list below is checked exhaustive by a `match`: a new variant fails to compile
    // until it is listed, so the walk below covers every input `suspects` can get.

    fn categories() -> Vec<Category> {
        use Category as C;
        let all = vec![
            C::NetworkTimeout,
            C::PermissionDenied,
            C::ImageNotFound,
            C::RateLimited,
            C::RegistryAuthFailed,
            C::LogGroupMissing,
            C::RoleAssumeFailed,
            C::SecretNotFound,
            C::DiskFull,
            C::ImageNeverPulled,
            C::InvalidImageName,
            C::Unknown,
        ];
        for c in &all {
            match c {
                C::NetworkTimeout
                | C::PermissionDenied
                | C::ImageNotFound
                | C::RateLimited
                | C::RegistryAuthFailed
                | C::LogGroupMissing
                | C::RoleAssumeFailed
                | C::SecretNotFound
                | C::DiskFull
                | C::ImageNeverPulled
                | C::InvalidImageName
                | C::Unknown => {}
            }
        }
        all
    }

    fn targets() -> Vec<Option<Target>> {
        use Target as T;
        let all = [
            T::EcrApi,
            T::EcrDkr,
            T::S3Layers,
            T::Secretsmanager,
            T::Ssm,
            T::Logs,
            T::Registry,
        ];
        for t in &all {
            match t {
                T::EcrApi
                | T::EcrDkr
                | T::S3Layers
                | T::Secretsmanager
                | T::Ssm
                | T::Logs
                | T::Registry => {}
            }
        }
        std::iter::once(None).chain(all.map(Some)).collect()
    }

    fn ip_scopes() -> Vec<Option<IpScope>> {
        for s in [IpScope::Private, IpScope::Public] {
            match s {
                IpScope::Private | IpScope::Public => {}
            }
        }
        vec![None, Some(IpScope::Private), Some(IpScope::Public)]
    }

    fn denials() -> Vec<Option<DeniedBy>> {
        use DeniedBy as D;
        let all = [
            D::IdentityBasedPolicy,
            D::ResourceBasedPolicy,
            D::VpcEndpointPolicy,
            D::ServiceControlPolicy,
            D::PermissionsBoundary,
            D::SessionPolicy,
        ];
        for d in &all {
            match d {
                D::IdentityBasedPolicy
                | D::ResourceBasedPolicy
                | D::VpcEndpointPolicy
                | D::ServiceControlPolicy
                | D::PermissionsBoundary
                | D::SessionPolicy => {}
            }
        }
        std::iter::once(None).chain(all.map(Some)).collect()
    }

    /// Every code some message can make a suspect: `suspects` over all its inputs.
    fn reachable() -> std::collections::BTreeSet<Code> {
        let mut codes = std::collections::BTreeSet::new();
        for category in categories() {
            for target in targets() {
                for ip_scope in ip_scopes() {
                    for denied_by in denials() {
                        for dns_lookup_failed in [false, true] {
                            for kubernetes in [false, true] {
                                codes.extend(suspects(
                                    category,
                                    target,
                                    ip_scope,
                                    dns_lookup_failed,
                                    denied_by,
                                    kubernetes,
                                ));
                            }
                        }
                    }
                }
            }
        }
        codes
    }

    #[test]
    fn every_code_is_a_suspect_of_some_message_or_listed_as_explaining_nothing() {
        let reachable = reachable();
        let unexplaining: Vec<Code> = EXPLAIN_NOTHING.iter().map(|(code, _)| *code).collect();
        let mut problems = Vec::new();
        for code in Code::ALL {
            match (reachable.contains(code), unexplaining.contains(code)) {
                (true, false) | (false, true) => {}
                (false, false) => problems.push(format!(
                    "{code}: no message category suspects it; add it to a category's suspects, or to EXPLAIN_NOTHING with why"
                )),
                (true, true) => problems.push(format!(
                    "{code}: listed in EXPLAIN_NOTHING, but a message category suspects it"
                )),
            }
        }
        for (i, code) in unexplaining.iter().enumerate() {
            if unexplaining[..i].contains(code) {
                problems.push(format!("{code}: listed twice in EXPLAIN_NOTHING"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
