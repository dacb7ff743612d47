//! Live collection against a real emulated AWS endpoint: the collector reads scenarios seeded
//! through the AWS APIs and must reach the same verdicts as the offline fixtures of the same
//! name.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::emulator::Moto;
use crate::support::{arg, fixture, run, temp_file};

/// Each workload's status and every finding code, for comparing two reports.
fn verdicts(report: &Value) -> (Vec<String>, BTreeSet<String>) {
    let workloads = report["workloads"].as_array().expect("workloads");
    let statuses = workloads
        .iter()
        .map(|w| format!("{}:{}", w["service"], w["status"]))
        .collect();
    let codes = workloads
        .iter()
        .flat_map(|w| w["findings"].as_array().expect("findings"))
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    (statuses, codes)
}

fn live_report(moto: &Moto, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["audit", "--cluster", "prod", "--format", "json"];
    all.extend_from_slice(args);
    let run = moto.run(&all);
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "live report is not JSON ({e}); exit {}, stderr: {}",
            run.code, run.stderr
        )
    });
    (run.code, report)
}

/// The offline audit of a fixture as a live run would have collected it. The fixtures hold
/// what `--inspect-registries` read of images outside ECR (`registry_images`); the live runs
/// read nothing outside the emulated AWS APIs, so that is left out (their platforms are then
/// unknown, as docker-hub-not-inspected shows).
fn offline_report(scenario: &str) -> (i32, Value) {
    let text = std::fs::read_to_string(fixture(&format!("{scenario}.json"))).expect("fixture");
    let mut snapshot: Value = serde_json::from_str(&text).expect("fixture JSON");
    snapshot
        .as_object_mut()
        .expect("a snapshot object")
        .remove("registry_images");
    let file = temp_file(&snapshot.to_string());
    let run = run(&["audit", "--snapshot", arg(&file), "--format", "json"]);
    assert!(run.stderr.is_empty(), "{scenario}: {}", run.stderr);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{scenario}: report is not JSON ({e}): {}", run.stdout));
    (run.code, report)
}

/// Seeds each scenario and compares the live audit with the offline fixture's.
fn same_causes_as_fixtures(scenarios: &[&str]) {
    let moto = Moto::start();
    let mut differences = Vec::new();
    for scenario in scenarios {
        moto.seed(scenario);
        let (live_code, live) = live_report(&moto, &[]);
        let (offline_code, offline) = offline_report(scenario);
        if live_code != offline_code || verdicts(&live) != verdicts(&offline) {
            differences.push(format!(
                "{scenario}: live exit {live_code} {:?}, offline exit {offline_code} {:?}",
                verdicts(&live),
                verdicts(&offline)
            ));
        }
    }
    assert!(differences.is_empty(), "\n{}", differences.join("\n"));
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn live_network_causes_match_the_fixtures() {
    same_causes_as_fixtures(&[
        "healthy-nat",
        "healthy-endpoints",
        "private-subnet-no-egress",
        "route-blackhole",
        "nat-gateway-in-private-subnet",
        "public-subnet-no-public-ip",
        "sg-egress-blocked",
        "endpoint-sg-ingress-blocked",
        "nacl-outbound-blocked",
        "nacl-inbound-blocked",
        "endpoint-private-dns-disabled",
    ]);
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn live_dns_gateway_iam_and_registry_causes_match_the_fixtures() {
    same_causes_as_fixtures(&[
        "vpc-dns-disabled",
        "endpoint-policy-denies",
        "transit-gateway-egress",
        "execution-role-not-found",
        "execution-role-trust",
        "permission-missing",
        "permission-denied",
        "repository-not-found",
        "image-not-found",
        "repository-policy-denies",
        "registry-auth-missing",
    ]);
}

/// EC2: the collector reads the container instances, their EC2 instances and instance
/// profiles, and the audit follows the instance's interface, not the task's subnets.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn live_ec2_causes_match_the_fixtures() {
    same_causes_as_fixtures(&[
        "ec2-healthy-nat",
        "ec2-launch-type",
        "ec2-no-container-instances",
        "ec2-instance-no-public-ip",
        "ec2-instance-role-no-ecr",
        "ec2-awsvpc-public-ip",
    ]);
}

/// Fargate platform versions: the ECR auth call leaves through the task's interface only from
/// 1.4.0; secrets need 1.3.0.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn live_platform_version_causes_match_the_fixtures() {
    same_causes_as_fixtures(&[
        "fargate-1-3-0-without-ecr-api-endpoint",
        "fargate-1-4-0-without-ecr-api-endpoint",
        "fargate-platform-too-old-for-secrets",
    ]);
}

/// Docker Hub (every host its pull talks to; its image's platforms unknown, since a live
/// run here never reads Docker Hub), a registry-credentials secret under a customer
/// managed KMS key (DescribeSecret → kms:Decrypt for the execution role), and another
/// account's repository the collector cannot read, live.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn live_registry_hosts_and_secret_keys_match_the_fixtures() {
    same_causes_as_fixtures(&[
        "docker-hub-not-inspected",
        "docker-hub-private-no-egress",
        "secret-kms-decrypt-missing",
        "foreign-repository-unreadable",
    ]);
    let moto = Moto::start();
    moto.seed("docker-hub-private-no-egress");
    let (code, report) = live_report(&moto, &[]);
    assert_eq!(code, 3);
    let blocked: Vec<(&str, &str)> = report["workloads"][0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == "registry")
        .map(|r| {
            (
                r["host"].as_str().unwrap(),
                r["blockers"][0]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        blocked,
        [
            ("auth.docker.io", "NO_ROUTE"),
            ("production.cloudflare.docker.com", "NO_ROUTE"),
            ("registry-1.docker.io", "NO_ROUTE")
        ]
    );

    moto.seed("secret-kms-decrypt-missing");
    let (code, report) = live_report(&moto, &[]);
    assert_eq!(code, 3);
    let secrets = report["workloads"][0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target"] == "secretsmanager")
        .unwrap();
    let message = secrets["blockers"][0]["message"].as_str().unwrap();
    // moto returns the KmsKeyId the secret was created with (a bare key id): its ARN is built.
    assert!(
        message.contains("allows kms:Decrypt on arn:aws:kms:us-east-1:123456789012:key/"),
        "{message}"
    );
}

/// Data perimeters decided from each call's path: aws:SourceVpce (through the endpoints, or
/// absent through the NAT gateway), aws:PrincipalOrgID against the organization the
/// collector read (moto's own id: the pass shows it was read and matched, the S3 endpoint
/// failure that ECR's layer downloads are not the role's), aws:SourceIp against the NAT
/// gateway's Elastic IP (moto's, allowed or not), and a policy variable in a Deny.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn live_data_perimeter_causes_match_the_fixtures() {
    same_causes_as_fixtures(&[
        "perimeter-source-vpce-through-endpoint",
        "perimeter-source-vpce-through-nat",
        "perimeter-principal-org",
        "perimeter-s3-endpoint-principal-org",
        "perimeter-source-ip-nat",
        "perimeter-source-ip-nat-allowed",
        "policy-variable-deny-resource",
    ]);
}

/// Image platforms from the manifests ECR serves (image indexes: amd64 only, or amd64 and
/// arm64) against the task's runtimePlatform or its container instance's architecture;
/// secrets by JSON key on platform 1.3.0; SSM SecureString parameters under the default or a
/// customer managed key (ssm:DescribeParameters); the Amazon DNS server named by address.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn live_platform_parameter_and_resolver_causes_match_the_fixtures() {
    same_causes_as_fixtures(&[
        "image-platform-arm64-amd64-only",
        "image-platform-arm64-multi",
        "ec2-arm64-instance-amd64-image",
        "secret-json-key-old-platform",
        "ssm-parameter-secret",
        "ssm-secure-string-customer-key",
        "dns-resolver-by-address",
    ]);
}

/// A collector denied ecr:BatchGetImage cannot read the image's manifest: its platforms are
/// unknown (image-platform-not-read), never guessed.
///
/// moto answers an IAM denial of a JSON-protocol service (ECR) with an XML `ErrorResponse`
/// (HTTP 403, code `AccessDenied` inside the XML), in which the SDK finds no error code, so
/// the collector sees a failed read rather than a denial: the verdict is the fixture's, but
/// no coverage gap names ecr:BatchGetImage here (on AWS, `AccessDeniedException` does).
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_denied_manifest_read_makes_the_platform_unknown() {
    let moto = Moto::start();
    moto.seed("healthy-nat");
    let (key, secret) = moto.restrict(&["ecr:BatchGetImage"]);
    let run = moto.run_as(
        (&key, &secret),
        &["audit", "--cluster", "prod", "--format", "json"],
    );
    let live: Value = serde_json::from_str(&run.stdout).unwrap();
    let (offline_code, offline) = offline_report("image-platform-not-read");
    assert_eq!(
        (run.code, verdicts(&live)),
        (offline_code, verdicts(&offline))
    );
}

/// The live audit and the audit of the snapshot `collect` writes are the same.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_collected_snapshot_audits_like_the_live_account() {
    let moto = Moto::start();
    for scenario in [
        "healthy-endpoints",
        "nacl-inbound-blocked",
        "ec2-launch-type",
    ] {
        moto.seed(scenario);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("snapshot.json");
        let collected = moto.run(&[
            "collect",
            "--cluster",
            "prod",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(collected.code, 0, "{}", collected.stderr);
        let (_, live) = live_report(&moto, &[]);
        let offline = crate::support::run(&[
            "audit",
            "--snapshot",
            out.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let offline: Value = serde_json::from_str(&offline.stdout).unwrap();
        assert_eq!(live["workloads"], offline["workloads"], "{scenario}");
    }
}

/// What one service costs in AWS calls: the figure docs/collection.md states (the
/// `healthy-nat` scenario: 27 calls, plus its image's manifest, ecr:BatchGetImage, and the
/// account's organization, organizations:DescribeOrganization).
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn one_service_costs_the_documented_number_of_calls() {
    let moto = Moto::start();
    moto.seed("healthy-nat");
    let run = moto.run(&["audit", "--cluster", "prod", "--service", "web"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // stderr is a pipe here: no progress bar is drawn, only the one-line summary.
    assert_eq!(run.stderr.lines().count(), 1, "{:?}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    let calls: usize = run
        .stderr
        .split(" with ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no call count in: {}", run.stderr));
    assert_eq!(
        calls, 29,
        "docs/collection.md states 29 calls for one service; update both together"
    );
}

/// A credential without one permission: the run finishes, the requirements that depend on
/// it are unknown (never pass or fail), and the message names the missing permission.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_denied_call_makes_what_depends_on_it_unknown() {
    let moto = Moto::start();
    moto.seed("healthy-endpoints");
    let (key, secret) = moto.restrict(&["ec2:DescribeVpcEndpoints"]);
    let run = moto.run_as(
        (&key, &secret),
        &["audit", "--cluster", "prod", "--format", "json"],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("denied: ec2:DescribeVpcEndpoints"),
        "{}",
        run.stderr
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    for requirement in report["workloads"][0]["requirements"].as_array().unwrap() {
        assert_eq!(requirement["status"], "unknown", "{requirement}");
    }
    let named = report["workloads"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| {
            f["code"] == "NOT_COLLECTED"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("ec2:DescribeVpcEndpoints")
        });
    assert!(
        named,
        "no finding names the missing permission: {}",
        run.stdout
    );
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn unknown_cluster_or_service_is_bad_input() {
    let moto = Moto::start();
    moto.seed("healthy-nat");
    let run = moto.run(&["audit", "--cluster", "staging"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cluster `staging` does not exist"),
        "{}",
        run.stderr
    );
    let run = moto.run(&["audit", "--cluster", "prod", "--service", "api"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("service `api` is not in cluster `prod`"),
        "{}",
        run.stderr
    );
}

/// An EC2 service costs the Fargate service's 29 calls plus, per docs/collection.md, one
/// ListContainerInstances and one DescribeContainerInstances (one cluster), one
/// DescribeInstances, one GetInstanceProfile and the instance role's reads (GetRole,
/// ListRolePolicies, ListAttachedRolePolicies, and GetPolicy + GetPolicyVersion for its
/// managed policy): 38.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn an_ec2_service_costs_the_documented_number_of_calls() {
    let moto = Moto::start();
    moto.seed("ec2-healthy-nat");
    let (code, report) = live_report(&moto, &["--service", "web"]);
    assert_eq!(code, 0, "{report}");
    let calls = &report["scopes"][0]["calls_by_operation"];
    for (operation, count) in [
        ("ecs:ListContainerInstances", 1),
        ("ecs:DescribeContainerInstances", 1),
        ("ec2:DescribeInstances", 1),
        ("iam:GetInstanceProfile", 1),
        ("iam:GetRole", 2),
        ("iam:GetPolicyVersion", 2),
        ("secretsmanager:DescribeSecret", 1),
        ("ecr:BatchGetImage", 1),
        ("organizations:DescribeOrganization", 1),
    ] {
        assert_eq!(calls[operation], count, "{operation}: {calls}");
    }
    let total: u64 = calls
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 38, "{calls}");
    assert_eq!(report["workloads"][0]["launch"]["type"], "ec2");
    assert_eq!(
        report["workloads"][0]["launch"]["instances"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
