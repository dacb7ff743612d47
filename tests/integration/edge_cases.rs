//! Cases an adversarial review found, each a fixture changed in one place, audited by the real
//! binary: every one is a task that fails, or may fail, that must never be reported as pass.

use serde_json::{json, Value};

use crate::support::{fixture, run, temp_file};

fn fixture_value(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// (status, codes of every finding) of the snapshot's first workload.
fn audit(snapshot: &Value) -> (String, Vec<String>) {
    let file = temp_file(&snapshot.to_string());
    let out = run(&[
        "audit",
        "--snapshot",
        file.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&out.stdout).expect("a report");
    let workload = &report["workloads"][0];
    (
        workload["status"].as_str().unwrap().to_string(),
        workload["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect(),
    )
}

/// An `ArnLike aws:SourceArn` that names no resource part matches no ECS resource.
#[test]
fn a_trust_condition_with_an_empty_resource_part_never_holds() {
    let mut snapshot = fixture_value("healthy-endpoints.json");
    snapshot["roles"][0]["assume_role_policy"] = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:"}}}]});
    let (status, codes) = audit(&snapshot);
    assert_eq!(status, "fail", "{codes:?}");
    assert!(
        codes.contains(&"EXECUTION_ROLE_TRUST".to_string()),
        "{codes:?}"
    );
}

/// A same-account repository policy whose only statement is a Deny pullpath cannot decide.
#[test]
fn an_undecided_deny_in_a_same_account_repository_policy_is_unknown() {
    let mut snapshot = fixture_value("healthy-endpoints.json");
    snapshot["ecr_repositories"][0]["policy"] = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "OnlyOurOu", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
        "Condition": {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": ["o-abc123/r-ab12/ou-ab12-11111111/*"]}}}]});
    let (status, codes) = audit(&snapshot);
    assert_eq!(status, "unknown", "{codes:?}");
    assert!(
        codes.contains(&"CONDITION_UNKNOWN".to_string()),
        "{codes:?}"
    );
}

/// A pull-through cache imports the upstream image on first pull: its platform is the
/// upstream's, read with --inspect-registries (here recorded as amd64 only).
#[test]
fn a_pull_through_image_is_checked_against_its_upstream_platforms() {
    let mut snapshot = fixture_value("pull-through-cache-healthy.json");
    snapshot["task_definitions"][0]["runtime_platform"] =
        json!({"cpu_architecture": "ARM64", "operating_system_family": "LINUX"});
    let (status, codes) = audit(&snapshot);
    assert_eq!(status, "fail", "{codes:?}");
    assert!(
        codes.contains(&"IMAGE_PLATFORM_MISMATCH".to_string()),
        "{codes:?}"
    );
    // Not read: unknown, never a pass.
    snapshot.as_object_mut().unwrap().remove("registry_images");
    let (status, codes) = audit(&snapshot);
    assert_eq!(status, "unknown", "{codes:?}");
}

/// A resolver asks the first server that answers: a custom server listed with the Amazon one
/// may answer with public addresses.
#[test]
fn a_custom_dns_server_beside_the_amazon_one_is_uncertain() {
    let mut snapshot = fixture_value("dns-resolver-by-address.json");
    snapshot["vpcs"][0]["dhcp_dns_servers"] = json!(["10.99.0.10", "10.0.0.2"]);
    let (status, codes) = audit(&snapshot);
    assert_ne!(status, "pass", "{codes:?}");
    assert!(
        codes.contains(&"CUSTOM_DNS_SERVERS".to_string()),
        "{codes:?}"
    );
}

/// On EC2 the instance's own OS decides (runtimePlatform is optional there): a Windows image
/// on a Windows instance is no mismatch, and a Linux image on it is.
#[test]
fn on_ec2_the_instance_os_decides() {
    let mut snapshot = fixture_value("ec2-healthy-nat.json");
    for instance in snapshot["instances"].as_array_mut().unwrap() {
        instance["os"] = "windows".into();
    }
    let (_, codes) = audit(&snapshot);
    assert!(
        codes.contains(&"IMAGE_PLATFORM_MISMATCH".to_string()),
        "{codes:?}"
    );
    for image in snapshot["ecr_repositories"][0]["images"]
        .as_array_mut()
        .unwrap()
    {
        image["platforms"] = json!([{"os": "windows", "architecture": "amd64"}]);
    }
    let (status, codes) = audit(&snapshot);
    assert_eq!(status, "pass", "{codes:?}");
    // Neither the instance's OS nor a runtimePlatform: unknown.
    for instance in snapshot["instances"].as_array_mut().unwrap() {
        instance.as_object_mut().unwrap().remove("os");
    }
    let (status, codes) = audit(&snapshot);
    assert_eq!(status, "unknown", "{codes:?}");
}

/// `aws:CurrentTime` is the audit's clock (`PULLPATH_NOW`, 2026-12-01, in these tests): a
/// Deny from a date before it applies, one from a later date does not.
#[test]
fn time_conditions_are_decided_on_the_audit_clock() {
    let with_freeze = |from: &str| {
        let mut snapshot = fixture_value("healthy-nat.json");
        snapshot["roles"][0]["inline_policies"]
            .as_array_mut()
            .unwrap()
            .push(
                json!({"name": "freeze", "document": {"Version": "2012-10-17", "Statement": [{
                "Sid": "ChangeFreeze", "Effect": "Deny", "Action": "ecr:BatchGetImage",
                "Resource": "*",
                "Condition": {"DateGreaterThan": {"aws:CurrentTime": from}}}]}}),
            );
        audit(&snapshot)
    };
    let (status, codes) = with_freeze("2026-11-01T00:00:00Z");
    assert_eq!(status, "fail", "{codes:?}");
    assert!(
        codes.contains(&"PERMISSION_DENIED".to_string()),
        "{codes:?}"
    );
    let (status, codes) = with_freeze("2027-01-01T00:00:00Z");
    assert_eq!(status, "pass", "{codes:?}");
}

/// A cluster whose services were not collected (a failed read) is unknown, never a pass and
/// never bad input: with every cluster, the run is unknown and the other cluster is audited;
/// named alone, it is unknown with nothing audited; another cluster named alone is not
/// touched by it.
#[test]
fn a_cluster_whose_services_were_not_read_is_unknown() {
    let mut snapshot: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::fixture("healthy-nat.json")).unwrap(),
    )
    .unwrap();
    let mut batch = snapshot["clusters"][0].clone();
    batch["name"] = "batch".into();
    batch["arn"] = "arn:aws:ecs:us-east-1:123456789012:cluster/batch".into();
    batch["services"] = serde_json::Value::Null;
    snapshot["clusters"].as_array_mut().unwrap().push(batch);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), snapshot.to_string()).unwrap();
    let path = file.path().to_str().unwrap();

    let all = crate::support::run(&["audit", "--snapshot", path]);
    assert_eq!(all.code, 4, "{}{}", all.stdout, all.stderr);
    assert!(
        all.stdout
            .contains("services not read (unknown): cluster batch"),
        "{}",
        all.stdout
    );
    assert!(all.stdout.contains("prod/web  PASS"), "{}", all.stdout);
    let json = crate::support::run(&["audit", "--snapshot", path, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["scopes"][0]["unread_clusters"],
        serde_json::json!(["batch"])
    );
    assert_eq!(report["scopes"][0]["status"], "partial");

    let named = crate::support::run(&["audit", "--snapshot", path, "--cluster", "batch"]);
    assert_eq!(named.code, 4, "{}{}", named.stdout, named.stderr);
    assert!(named.stdout.contains("nothing audited"), "{}", named.stdout);

    let other = crate::support::run(&["audit", "--snapshot", path, "--cluster", "prod"]);
    assert_eq!(other.code, 0, "{}{}", other.stdout, other.stderr);
}
