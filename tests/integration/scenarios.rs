//! Every scenario fixture: its exit code, each workload's status, the codes it reports, and
//! which requirements are blocked; plus a full snapshot of each JSON report.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{audit_json, audit_json_with, fixture};

struct Expect {
    fixture: &'static str,
    exit: i32,
    /// (service, status)
    statuses: &'static [(&'static str, &'static str)],
    /// Every finding code across the report.
    codes: &'static [&'static str],
    /// Requirements whose status is not `reachable`, as "service:target".
    not_reachable: &'static [&'static str],
}

const ALL_FIVE: [&str; 5] = ["ecr-api", "ecr-dkr", "s3-layers", "secretsmanager", "logs"];

/// Fixtures audited with more than `--snapshot FILE` (their generator's `audit_args`).
const AUDIT_ARGS: &[(&str, &[&str])] = &[
    (
        "private-registry-in-vpc.json",
        &["--registry-route", "harbor.acme.internal=10.0.30.0/24"],
    ),
    (
        "private-registry-port-blocked.json",
        &["--registry-route", "harbor.acme.internal=10.0.30.0/24"],
    ),
    (
        "private-registry-route-peering.json",
        &["--registry-route", "harbor.acme.internal=10.50.0.0/16"],
    ),
];

fn args_of(fixture: &str) -> &'static [&'static str] {
    AUDIT_ARGS
        .iter()
        .find(|(name, _)| *name == fixture)
        .map_or(&[], |(_, args)| args)
}

/// The generator states, in the scenario README, the arguments a fixture is audited with:
/// the tests use exactly those.
#[test]
fn audit_arguments_are_the_generators() {
    let readme = std::fs::read_to_string(fixture("README.md")).unwrap();
    let mut documented = Vec::new();
    for row in readme.lines().filter(|l| l.starts_with("| `")) {
        let name = row.trim_start_matches("| `").split('`').next().unwrap();
        if let Some((_, rest)) = row.split_once("Audited with `") {
            let args = rest.split('`').next().unwrap().to_string();
            documented.push((name.to_string(), args));
        }
    }
    let used: Vec<(String, String)> = AUDIT_ARGS
        .iter()
        .map(|(name, args)| (name.to_string(), args.join(" ")))
        .collect();
    assert_eq!(documented, used);
}

const EXPECTATIONS: &[Expect] = &[
    Expect {
        fixture: "healthy-nat.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "healthy-public-ip.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "healthy-endpoints.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "healthy-tight-sgs.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "private-subnet-no-egress.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NO_ROUTE"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "route-blackhole.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ROUTE_BLACKHOLE"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "nat-gateway-failed.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NAT_GATEWAY_UNAVAILABLE"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "nat-gateway-in-private-subnet.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NAT_GATEWAY_NO_INTERNET"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "nat-subnet-without-internet-route.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NAT_GATEWAY_NO_INTERNET"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "public-subnet-no-public-ip.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NO_PUBLIC_IP"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "sg-egress-blocked.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["SG_EGRESS_BLOCKED"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "endpoint-sg-ingress-blocked.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ENDPOINT_SG_INGRESS_BLOCKED"],
        not_reachable: &[
            "web:ecr-api",
            "web:ecr-dkr",
            "web:secretsmanager",
            "web:logs",
        ],
    },
    Expect {
        fixture: "nacl-outbound-blocked.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NACL_OUTBOUND_BLOCKED"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "nacl-inbound-blocked.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NACL_INBOUND_BLOCKED"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "endpoint-private-dns-disabled.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ENDPOINT_PRIVATE_DNS_DISABLED"],
        not_reachable: &["web:ecr-api", "web:ecr-dkr"],
    },
    Expect {
        fixture: "vpc-dns-disabled.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["VPC_DNS_DISABLED"],
        not_reachable: &[
            "web:ecr-api",
            "web:ecr-dkr",
            "web:secretsmanager",
            "web:logs",
        ],
    },
    Expect {
        fixture: "endpoint-unavailable.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ENDPOINT_UNAVAILABLE"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "endpoint-policy-denies.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ENDPOINT_POLICY_DENIES"],
        not_reachable: &["web:s3-layers"],
    },
    Expect {
        fixture: "cross-region-registry.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["CROSS_REGION_REGISTRY", "NO_ROUTE"],
        not_reachable: &["web:ecr-api", "web:ecr-dkr", "web:s3-layers"],
    },
    Expect {
        fixture: "execution-role-missing.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["EXECUTION_ROLE_MISSING"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "execution-role-not-found.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["EXECUTION_ROLE_NOT_FOUND"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "execution-role-trust.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["EXECUTION_ROLE_TRUST"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "permission-missing.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_MISSING"],
        not_reachable: &["web:ecr-api", "web:ecr-dkr", "web:s3-layers", "web:logs"],
    },
    Expect {
        fixture: "permission-denied.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_DENIED"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "repository-not-found.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["REPOSITORY_NOT_FOUND"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "image-not-found.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["IMAGE_NOT_FOUND"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "repository-policy-denies.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["REPOSITORY_POLICY_DENIES"],
        not_reachable: &["web:ecr-dkr", "web:s3-layers"],
    },
    Expect {
        fixture: "registry-auth-missing.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["REGISTRY_AUTH_MISSING"],
        not_reachable: &["web:registry"],
    },
    Expect {
        fixture: "docker-hub-private-no-egress.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NO_ROUTE"],
        not_reachable: &["web:registry"],
    },
    Expect {
        fixture: "public-registries-via-nat.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "private-registry-in-vpc.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "private-registry-port-blocked.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["SG_EGRESS_BLOCKED"],
        not_reachable: &["web:registry"],
    },
    Expect {
        fixture: "private-registry-route-peering.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["PATH_LEAVES_VPC"],
        not_reachable: &["web:registry"],
    },
    Expect {
        fixture: "secret-kms-decrypt-missing.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_MISSING"],
        not_reachable: &["web:secretsmanager"],
    },
    Expect {
        fixture: "secret-kms-alias-unresolved.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NOT_COLLECTED"],
        not_reachable: &["web:secretsmanager"],
    },
    Expect {
        fixture: "multi-service.json",
        exit: 3,
        statuses: &[("web", "pass"), ("worker", "fail")],
        codes: &["NO_PUBLIC_IP"],
        not_reachable: &["worker:*"],
    },
    Expect {
        fixture: "transit-gateway-egress.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["PATH_LEAVES_VPC"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "condition-unknown.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["CONDITION_UNKNOWN"],
        not_reachable: &["web:ecr-api", "web:ecr-dkr", "web:s3-layers"],
    },
    Expect {
        fixture: "policy-unreadable.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["POLICY_UNREADABLE"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "internet-gateways-failed.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NOT_COLLECTED"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "nacls-not-collected.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NOT_COLLECTED"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "custom-dns-servers.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["CUSTOM_DNS_SERVERS"],
        not_reachable: &[
            "web:ecr-api",
            "web:ecr-dkr",
            "web:secretsmanager",
            "web:logs",
        ],
    },
    Expect {
        fixture: "sg-egress-partial.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["RANGE_PARTIALLY_ALLOWED"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "ec2-launch-type.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NO_ROUTE"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "ec2-healthy-nat.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "ec2-instance-no-public-ip.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NO_PUBLIC_IP"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "ec2-instance-role-no-ecr.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_MISSING"],
        not_reachable: &["web:ecr-api", "web:ecr-dkr", "web:s3-layers"],
    },
    Expect {
        fixture: "ec2-execution-role-without-logs.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_MISSING"],
        not_reachable: &["web:logs"],
    },
    Expect {
        fixture: "ec2-no-container-instances.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NO_CONTAINER_INSTANCES"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "ec2-instance-stopped.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NO_CONTAINER_INSTANCES"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "ec2-awsvpc-public-ip.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ASSIGN_PUBLIC_IP_UNSUPPORTED"],
        not_reachable: &[],
    },
    Expect {
        fixture: "capacity-provider-asg.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NO_ROUTE"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "external-launch-type.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["LAUNCH_TYPE_NOT_MODELLED"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "pull-through-cache-first-pull.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_MISSING"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "pull-through-cache-healthy.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "pull-through-cache-rules-not-read.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NOT_COLLECTED"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "cluster-default-fargate-spot.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "fargate-1-3-0-without-ecr-api-endpoint.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "fargate-1-4-0-without-ecr-api-endpoint.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NO_ROUTE"],
        not_reachable: &["web:ecr-api"],
    },
    Expect {
        fixture: "fargate-platform-too-old-for-secrets.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PLATFORM_VERSION_UNSUPPORTED"],
        not_reachable: &[],
    },
    Expect {
        fixture: "endpoint-subnet-nacl-blocked.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NACL_INBOUND_BLOCKED"],
        not_reachable: &[
            "web:ecr-api",
            "web:ecr-dkr",
            "web:secretsmanager",
            "web:logs",
        ],
    },
    Expect {
        fixture: "nat-subnet-nacl-blocked.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NACL_INBOUND_BLOCKED"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "s3-gateway-not-associated.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NO_ROUTE"],
        not_reachable: &["web:s3-layers"],
    },
    Expect {
        fixture: "docker-hub-public.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "ssm-parameter-secret.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "trust-source-account-condition.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "endpoint-policy-explicit-deny.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ENDPOINT_POLICY_DENIES"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "missing-managed-policy.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NOT_COLLECTED"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "trust-account-principal.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["EXECUTION_ROLE_TRUST"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "trust-source-arn-other-region.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["EXECUTION_ROLE_TRUST"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "endpoint-dkr-denies-layer-url.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ENDPOINT_POLICY_DENIES"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "endpoints-bypassed-via-nat.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &["ENDPOINT_PRIVATE_DNS_DISABLED"],
        not_reachable: &[],
    },
    Expect {
        fixture: "s3-gateway-bypassed-via-nat.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &["NO_ROUTE"],
        not_reachable: &[],
    },
    Expect {
        fixture: "transit-gateway-deleted.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ROUTE_BLACKHOLE"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "one-subnet-without-route.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["NO_ROUTE"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "s3-route-partly-blackholed.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["RANGE_PARTIALLY_ALLOWED"],
        not_reachable: &["web:s3-layers"],
    },
    Expect {
        fixture: "endpoint-policy-not-principal.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ENDPOINT_POLICY_DENIES"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "split-default-route-blackhole.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ROUTE_BLACKHOLE"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "split-default-route-nat.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "s3-gateway-route-blackhole.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ROUTE_BLACKHOLE"],
        not_reachable: &["web:s3-layers"],
    },
    Expect {
        fixture: "endpoint-without-subnets.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ENDPOINT_UNAVAILABLE"],
        not_reachable: &["web:ecr-api"],
    },
    Expect {
        fixture: "nat-behind-network-firewall.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["PATH_LEAVES_VPC"],
        not_reachable: &["web:*"],
    },
    Expect {
        fixture: "nacl-ephemeral-in-two-rules.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "image-tag-and-digest.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "endpoint-broken-dns-uncertain.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["CUSTOM_DNS_SERVERS", "ENDPOINT_SG_INGRESS_BLOCKED"],
        not_reachable: &[
            "web:ecr-api",
            "web:ecr-dkr",
            "web:secretsmanager",
            "web:logs",
        ],
    },
    Expect {
        fixture: "perimeter-source-vpce-through-endpoint.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "perimeter-source-vpce-through-nat.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_DENIED"],
        not_reachable: &["web:ecr-api", "web:ecr-dkr", "web:s3-layers"],
    },
    Expect {
        fixture: "perimeter-principal-org.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "perimeter-s3-endpoint-principal-org.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["ENDPOINT_POLICY_DENIES"],
        not_reachable: &["web:s3-layers"],
    },
    Expect {
        fixture: "perimeter-source-ip-nat.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_DENIED"],
        not_reachable: &["web:ecr-api", "web:ecr-dkr", "web:s3-layers"],
    },
    Expect {
        fixture: "perimeter-source-ip-nat-allowed.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "policy-variable-deny-resource.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_DENIED"],
        not_reachable: &["web:ecr-dkr", "web:s3-layers"],
    },
    Expect {
        fixture: "secret-json-key-old-platform.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PLATFORM_VERSION_UNSUPPORTED"],
        not_reachable: &[],
    },
    Expect {
        fixture: "ssm-secure-string-customer-key.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["PERMISSION_MISSING"],
        not_reachable: &["web:ssm"],
    },
    Expect {
        fixture: "image-platform-arm64-amd64-only.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["IMAGE_PLATFORM_MISMATCH"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "image-platform-arm64-multi.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "ec2-arm64-instance-amd64-image.json",
        exit: 3,
        statuses: &[("web", "fail")],
        codes: &["IMAGE_PLATFORM_MISMATCH"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "image-platform-not-read.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NOT_COLLECTED"],
        not_reachable: &["web:ecr-dkr"],
    },
    Expect {
        fixture: "docker-hub-not-inspected.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NOT_COLLECTED"],
        not_reachable: &["web:registry"],
    },
    Expect {
        fixture: "dns-resolver-by-address.json",
        exit: 0,
        statuses: &[("web", "pass")],
        codes: &[],
        not_reachable: &[],
    },
    Expect {
        fixture: "foreign-repository-unreadable.json",
        exit: 4,
        statuses: &[("web", "unknown")],
        codes: &["NOT_COLLECTED"],
        not_reachable: &["web:ecr-dkr"],
    },
];

fn codes_of(report: &Value) -> BTreeSet<String> {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["findings"].as_array().unwrap())
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn not_reachable_of(report: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for workload in report["workloads"].as_array().unwrap() {
        let service = workload["service"].as_str().unwrap();
        for requirement in workload["requirements"].as_array().unwrap() {
            if requirement["status"] != "reachable" {
                out.insert(format!(
                    "{service}:{}",
                    requirement["target"].as_str().unwrap()
                ));
            }
        }
    }
    out
}

fn expand(patterns: &[&str]) -> BTreeSet<String> {
    patterns
        .iter()
        .flat_map(|p| match p.strip_suffix(":*") {
            Some(service) => ALL_FIVE
                .iter()
                .map(|t| format!("{service}:{t}"))
                .collect::<Vec<_>>(),
            None => vec![p.to_string()],
        })
        .collect()
}

#[test]
fn every_fixture_reports_its_expected_causes() {
    let mut failures = Vec::new();
    for expect in EXPECTATIONS {
        let (code, report) = audit_json_with(expect.fixture, args_of(expect.fixture));
        let statuses: Vec<(String, String)> = report["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["service"].as_str().unwrap().to_string(),
                    w["status"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want_statuses: Vec<(String, String)> = expect
            .statuses
            .iter()
            .map(|(s, t)| (s.to_string(), t.to_string()))
            .collect();
        let codes = codes_of(&report);
        let want_codes: BTreeSet<String> = expect.codes.iter().map(|c| c.to_string()).collect();
        let blocked = not_reachable_of(&report);
        let want_blocked = expand(expect.not_reachable);
        if code != expect.exit
            || statuses != want_statuses
            || codes != want_codes
            || blocked != want_blocked
        {
            failures.push(format!(
                "{}: exit {code} (want {}), statuses {statuses:?} (want {want_statuses:?}), codes {codes:?} (want {want_codes:?}), not reachable {blocked:?} (want {want_blocked:?})",
                expect.fixture, expect.exit
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_fixture_has_an_expectation() {
    let dir = fixture("");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") && !EXPECTATIONS.iter().any(|e| e.fixture == name) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures without an expectation: {missing:?}"
    );
}

#[test]
fn every_blocker_code_is_produced_by_some_fixture() {
    let mut produced = BTreeSet::new();
    for expect in EXPECTATIONS {
        produced.extend(expect.codes.iter().map(|c| c.to_string()));
    }
    // The Kubernetes codes come from the Kubernetes fixtures (kube_scenarios.rs).
    produced.extend(crate::kube_scenarios::produced_codes());
    let missing: Vec<_> = pullpath::codes::Code::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .filter(|c| !produced.contains(c))
        .collect();
    assert!(missing.is_empty(), "codes no fixture produces: {missing:?}");
}

/// The classic incident: the acceptance criterion of the engine.
#[test]
fn private_subnet_without_egress_names_the_route_table_and_both_fixes() {
    let (code, report) = audit_json("private-subnet-no-egress.json");
    assert_eq!(code, 3);
    let workload = &report["workloads"][0];
    for target in ["ecr-api", "ecr-dkr", "s3-layers"] {
        let requirement = workload["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["target"] == target)
            .unwrap_or_else(|| panic!("no {target} requirement"));
        assert_eq!(requirement["status"], "blocked");
        let blocker = &requirement["blockers"][0];
        assert_eq!(blocker["code"], "NO_ROUTE");
        assert_eq!(blocker["resource_id"], "rtb-0a1b2c3d4e5f60003");
        let fix = blocker["fix"].as_str().unwrap();
        assert!(
            fix.contains("NAT gateway") && fix.contains("rtb-0a1b2c3d4e5f60003"),
            "{fix}"
        );
        assert!(
            fix.contains("VPC endpoint com.amazonaws.us-east-1."),
            "{fix}"
        );
        let path: Vec<&str> = requirement["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["kind"].as_str().unwrap())
            .collect();
        assert_eq!(path.first(), Some(&"subnet"));
        assert!(path.contains(&"route-table"), "{path:?}");
    }
}

/// Tasks may land in either subnet: the requirement takes the worst subnet's verdict and path,
/// and the healthy subnet contributes nothing.
#[test]
fn a_service_is_as_good_as_its_worst_subnet() {
    let (_, report) = audit_json("one-subnet-without-route.json");
    for requirement in report["workloads"][0]["requirements"].as_array().unwrap() {
        assert_eq!(requirement["status"], "blocked", "{requirement}");
        assert_eq!(
            requirement["path"][0]["id"], "subnet-0a1b2c3d4e5f6002b",
            "{requirement}"
        );
        let blockers = requirement["blockers"].as_array().unwrap();
        assert_eq!(blockers.len(), 1, "{requirement}");
        assert_eq!(blockers[0]["resource_id"], "rtb-0a1b2c3d4e5f60001");
    }
}

/// An endpoint built for a call that works without it (the traffic takes the NAT gateway) is
/// reported as information: the workload still passes.
#[test]
fn bypassed_endpoints_are_information_not_failure() {
    for fixture in [
        "endpoints-bypassed-via-nat.json",
        "s3-gateway-bypassed-via-nat.json",
    ] {
        let (code, report) = audit_json(fixture);
        assert_eq!(code, 0, "{fixture}");
        let findings = report["workloads"][0]["findings"].as_array().unwrap();
        assert!(!findings.is_empty(), "{fixture}: no finding");
        for finding in findings {
            assert_eq!(finding["severity"], "info", "{fixture}: {finding}");
            assert!(
                finding["message"]
                    .as_str()
                    .unwrap()
                    .contains("goes via nat instead"),
                "{finding}"
            );
        }
        for requirement in report["workloads"][0]["requirements"].as_array().unwrap() {
            assert!(
                requirement["blockers"].as_array().unwrap().is_empty(),
                "{fixture}: {requirement}"
            );
        }
    }
}

/// The fixtures are generated: a hand edit, or a generator change without regenerating, fails.
#[test]
fn fixtures_are_up_to_date_with_their_generator() {
    let status = std::process::Command::new("python3")
        .args(["fixtures/scenarios/generate.py", "--check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap_or_else(|e| {
            panic!("the fixture freshness check needs python3 on the PATH (install it): {e}")
        });
    assert!(
        status.success(),
        "run `python3 fixtures/scenarios/generate.py` and commit the result"
    );
}

/// A path the engine evaluates hop by hop: the endpoint path crosses the endpoint subnet's
/// ACL and the endpoint's security group, and the layers go through the gateway endpoint.
#[test]
fn endpoint_paths_name_every_hop() {
    let (_, report) = audit_json("healthy-tight-sgs.json");
    let requirements = report["workloads"][0]["requirements"].as_array().unwrap();
    let kinds = |target: &str| -> Vec<String> {
        let r = requirements.iter().find(|r| r["target"] == target).unwrap();
        r["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        kinds("ecr-dkr"),
        [
            "subnet",
            "security-group",
            "network-acl",
            "route-table",
            "network-acl",
            "security-group",
            "interface-endpoint",
            "host"
        ]
    );
    assert_eq!(
        kinds("s3-layers"),
        [
            "subnet",
            "security-group",
            "network-acl",
            "route-table",
            "gateway-endpoint",
            "host"
        ]
    );
}

#[test]
fn json_reports_match_their_snapshots() {
    insta::glob!("../../fixtures/scenarios", "*.json", |path| {
        let name = path.file_name().unwrap().to_str().unwrap();
        let (_, report) = audit_json_with(name, args_of(name));
        insta::assert_json_snapshot!(report);
    });
}
