//! Non-ECR registries (one requirement per host a pull talks to), private routes declared
//! with `--registry-route`, and the KMS keys of the secrets a task reads.

use std::io::Write;

use serde_json::Value;

use crate::support::{audit_json, audit_json_with, fixture, run};

fn requirements<'r>(report: &'r Value, target: &str) -> Vec<&'r Value> {
    report["workloads"][0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == target)
        .collect()
}

fn kinds(requirement: &Value) -> Vec<&str> {
    requirement["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect()
}

/// A fixture with `edit` applied, as a temporary snapshot.
fn edited(name: &str, edit: impl FnOnce(&mut Value)) -> tempfile::NamedTempFile {
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap();
    edit(&mut snapshot);
    let mut file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    file.write_all(snapshot.to_string().as_bytes()).unwrap();
    file
}

fn audit_file(path: &std::path::Path, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![
        "audit",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let run = run(&args);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", run.stdout, run.stderr));
    (run.code, report, run.stderr)
}

/// A Docker Hub pull talks to the registry, the token service and the layer CDN: without an
/// internet path each is its own blocked requirement, so the report names every host.
#[test]
fn every_docker_hub_host_is_reported_blocked() {
    let (code, report) = audit_json("docker-hub-private-no-egress.json");
    assert_eq!(code, 3);
    let registry = requirements(&report, "registry");
    let hosts: Vec<&str> = registry
        .iter()
        .map(|r| r["host"].as_str().unwrap())
        .collect();
    assert_eq!(
        hosts,
        [
            "auth.docker.io",
            "production.cloudflare.docker.com",
            "registry-1.docker.io"
        ]
    );
    for requirement in registry {
        assert_eq!(requirement["status"], "blocked", "{requirement}");
        let blocker = &requirement["blockers"][0];
        assert_eq!(blocker["code"], "NO_ROUTE");
        assert_eq!(blocker["resource_id"], "rtb-0a1b2c3d4e5f60003");
        let message = blocker["message"].as_str().unwrap();
        assert!(
            message.contains(requirement["host"].as_str().unwrap()),
            "{message}"
        );
        // Docker Hub has no VPC endpoint: the fix is an internet path.
        let fix = blocker["fix"].as_str().unwrap();
        assert!(
            fix.contains("NAT gateway") && !fix.contains("create-vpc-endpoint"),
            "{fix}"
        );
    }
}

/// Public registries need no credentials and work through the NAT gateway, every host.
#[test]
fn public_registries_pass_through_nat_with_their_cdn_hosts() {
    let (code, report) = audit_json("public-registries-via-nat.json");
    assert_eq!(code, 0);
    let registry = requirements(&report, "registry");
    let hosts: Vec<&str> = registry
        .iter()
        .map(|r| r["host"].as_str().unwrap())
        .collect();
    for host in [
        "ghcr.io",
        "pkg-containers.githubusercontent.com",
        "quay.io",
        "cdn.quay.io",
        "cdn01.quay.io",
        "public.ecr.aws",
        "d2glxqk2uabbnd.cloudfront.net",
    ] {
        assert!(hosts.contains(&host), "{host} not in {hosts:?}");
    }
    for requirement in registry {
        assert_eq!(requirement["via"], "nat", "{requirement}");
    }
}

/// A private registry with no declared route is judged on the internet path (it may be a
/// SaaS registry); when that is blocked, the fix says how to declare a private network.
#[test]
fn a_private_registry_without_a_declared_route_is_judged_on_the_internet_path() {
    let (code, report) = audit_json("private-registry-in-vpc.json");
    assert_eq!(code, 3, "no NAT in this VPC: the internet path is blocked");
    let registry = requirements(&report, "registry");
    assert_eq!(registry.len(), 1);
    assert_eq!(registry[0]["host"], "harbor.acme.internal:8443");
    let blocker = &registry[0]["blockers"][0];
    assert_eq!(blocker["code"], "NO_ROUTE");
    let fix = blocker["fix"].as_str().unwrap();
    assert!(
        fix.contains("--registry-route harbor.acme.internal:8443=CIDR"),
        "{fix}"
    );
}

/// Declared inside the VPC: the local route carries it, and the registry subnet's ACL is on
/// the path (requests in on the registry's port, responses out).
#[test]
fn a_route_declared_inside_the_vpc_takes_the_local_route() {
    let (code, report) = audit_json_with(
        "private-registry-in-vpc.json",
        &["--registry-route", "harbor.acme.internal=10.0.30.0/24"],
    );
    assert_eq!(code, 0, "{report}");
    let registry = requirements(&report, "registry");
    assert_eq!(registry[0]["status"], "reachable");
    assert_eq!(registry[0]["via"], Value::Null);
    assert_eq!(
        kinds(registry[0]),
        [
            "subnet",
            "security-group",
            "network-acl",
            "route-table",
            "network-acl",
            "host"
        ]
    );
}

/// The port of `host:port` is what security groups and ACLs are checked for.
#[test]
fn the_registry_port_is_what_the_security_group_must_allow() {
    let (code, report) = audit_json_with(
        "private-registry-port-blocked.json",
        &["--registry-route", "harbor.acme.internal=10.0.30.0/24"],
    );
    assert_eq!(code, 3);
    let registry = requirements(&report, "registry");
    let blocker = &registry[0]["blockers"][0];
    assert_eq!(blocker["code"], "SG_EGRESS_BLOCKED");
    let message = blocker["message"].as_str().unwrap();
    assert!(
        message.contains("TCP 8443") && message.contains("10.0.30.0/24"),
        "{message}"
    );
    assert!(blocker["fix"].as_str().unwrap().contains("TCP 8443"));
    // Everything on 443 still passes.
    for requirement in report["workloads"][0]["requirements"].as_array().unwrap() {
        if requirement["target"] != "registry" {
            assert_eq!(requirement["status"], "reachable", "{requirement}");
        }
    }
}

/// Declared behind a peering connection: the path leaves the VPC (unknown), and the fix names
/// the host, the declared network and the port. Declared where no route leads: NO_ROUTE.
#[test]
fn a_route_declared_beyond_the_vpc_leaves_it_or_has_no_route() {
    let (code, report) = audit_json_with(
        "private-registry-route-peering.json",
        &["--registry-route", "harbor.acme.internal=10.50.0.0/16"],
    );
    assert_eq!(code, 4);
    let registry = requirements(&report, "registry");
    assert_eq!(registry[0]["via"], "peering");
    let blocker = &registry[0]["blockers"][0];
    assert_eq!(blocker["code"], "PATH_LEAVES_VPC");
    assert_eq!(blocker["resource_id"], "pcx-0a1b2c3d4e5f60001");
    let fix = blocker["fix"].as_str().unwrap();
    assert!(
        fix.contains("harbor.acme.internal:8443 (10.50.0.0/16) on TCP 8443"),
        "{fix}"
    );

    let (code, report) = audit_json_with(
        "private-registry-route-peering.json",
        &["--registry-route", "harbor.acme.internal=10.60.0.0/16"],
    );
    assert_eq!(code, 3);
    let blocker = &requirements(&report, "registry")[0]["blockers"][0];
    assert_eq!(blocker["code"], "NO_ROUTE");
    let fix = blocker["fix"].as_str().unwrap();
    assert!(
        fix.contains("--destination-cidr-block 10.60.0.0/16") && !fix.contains("NAT"),
        "{fix}"
    );
}

/// An internet gateway never carries traffic to private addresses: a declared private network
/// that only the default route (to an IGW) covers has no route.
#[test]
fn an_internet_gateway_does_not_carry_a_private_network() {
    let (code, report) = audit_json_with(
        "private-registry-route-peering.json",
        &["--registry-route", "harbor.acme.internal=172.16.0.0/12"],
    );
    assert_eq!(code, 3);
    let blocker = &requirements(&report, "registry")[0]["blockers"][0];
    assert_eq!(blocker["code"], "NO_ROUTE", "{blocker}");

    let file = edited("private-registry-route-peering.json", |s| {
        // Run the service in the public subnets (default route to the IGW, public IP).
        let service = &mut s["clusters"][0]["services"][0]["network_configuration"];
        service["subnets"] = serde_json::json!(["subnet-0a1b2c3d4e5f6001a"]);
        service["assign_public_ip"] = "ENABLED".into();
    });
    let (code, report, _) = audit_file(
        file.path(),
        &["--registry-route", "harbor.acme.internal=172.16.0.0/12"],
    );
    assert_eq!(code, 3);
    let blocker = &requirements(&report, "registry")[0]["blockers"][0];
    assert_eq!(blocker["code"], "NO_ROUTE", "{blocker}");
    assert_eq!(blocker["resource_id"], "rtb-0a1b2c3d4e5f60002");
}

/// A declared route for a host no workload pulls from is said on stderr (a typo would
/// otherwise silently leave the registry on the internet path).
#[test]
fn an_unused_declared_route_is_warned_about() {
    let path = fixture("docker-hub-public.json");
    let run = run(&[
        "audit",
        "--snapshot",
        path.to_str().unwrap(),
        "--registry-route",
        "harbor.acme.internal=10.20.0.0/16",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "--registry-route harbor.acme.internal=10.20.0.0/16 matches no registry host"
        ) && run.stderr.contains("registry-1.docker.io"),
        "{}",
        run.stderr
    );
}

/// A customer managed key adds kms:Decrypt on the key (its ARN built from a bare key id) to
/// what the execution role must be allowed; granting it makes the workload pass.
#[test]
fn a_customer_managed_key_needs_kms_decrypt() {
    let (code, report) = audit_json("secret-kms-decrypt-missing.json");
    assert_eq!(code, 3);
    let secrets = requirements(&report, "secretsmanager");
    let blockers = secrets[0]["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1, "{blockers:?}");
    assert_eq!(blockers[0]["code"], "PERMISSION_MISSING");
    let message = blockers[0]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "kms:Decrypt on arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ),
        "{message}"
    );
    assert!(
        !blockers[0]["fix"]
            .as_str()
            .unwrap()
            .contains("AmazonECSTaskExecutionRolePolicy"),
        "the managed policy does not grant kms:Decrypt"
    );

    let file = edited("secret-kms-decrypt-missing.json", |s| {
        let statements = s["roles"][0]["inline_policies"][0]["document"]["Statement"]
            .as_array_mut()
            .unwrap();
        statements.push(serde_json::json!({
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "arn:aws:kms:us-east-1:123456789012:key/*"
        }));
    });
    let (code, report, _) = audit_file(file.path(), &[]);
    assert_eq!(code, 0, "{report}");
}

/// Snapshots without the secrets' metadata (older ones, or a denied DescribeSecret) leave the
/// KMS question unknown, never a pass; the AWS managed key needs no grant.
#[test]
fn secrets_not_collected_are_unknown() {
    let file = edited("healthy-nat.json", |s| {
        s.as_object_mut().unwrap().remove("secrets");
        s["coverage_gaps"] = serde_json::json!([{
            "service": "secretsmanager",
            "operation": "DescribeSecret",
            "action": "secretsmanager:DescribeSecret",
            "collection": "secrets",
            "message": "not authorized"
        }]);
    });
    let (code, report, _) = audit_file(file.path(), &[]);
    assert_eq!(code, 4);
    let secrets = requirements(&report, "secretsmanager");
    assert_eq!(secrets[0]["status"], "unknown");
    let blocker = &secrets[0]["blockers"][0];
    assert_eq!(blocker["code"], "NOT_COLLECTED");
    assert!(
        blocker["message"]
            .as_str()
            .unwrap()
            .contains("the collector was denied secretsmanager:DescribeSecret"),
        "{blocker}"
    );

    // Listed, but not the one the task reads.
    let file = edited("healthy-nat.json", |s| {
        s["secrets"] = serde_json::json!([]);
    });
    let (code, report, _) = audit_file(file.path(), &[]);
    assert_eq!(code, 4);
    let blocker = &requirements(&report, "secretsmanager")[0]["blockers"][0];
    assert!(
        blocker["message"]
            .as_str()
            .unwrap()
            .contains("DescribeSecret did not find it"),
        "{blocker}"
    );
}
