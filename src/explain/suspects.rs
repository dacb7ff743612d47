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

pub fn suspects(
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
        // exist (pullpath does not list log groups or secrets).
        Category::RateLimited
        | Category::DiskFull
        | Category::LogGroupMissing
        | Category::SecretNotFound
        | Category::Unknown => {}
    }
    let mut unique = Vec::new();
    for code in codes {
        if !unique.contains(&code) {
            unique.push(code);
        }
    }
    unique
}

pub fn is_ecr(target: Option<Target>) -> bool {
    matches!(target, Some(Target::EcrApi | Target::EcrDkr))
}
