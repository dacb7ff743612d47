//! Bad input: one clear message naming the file and the problem, exit 2, never a panic.

use crate::support::{fixture, run, temp_file};

fn assert_bad_input(args: &[&str], needles: &[&str]) {
    let run = run(args);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one line: {}",
        run.stderr
    );
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks {needle:?}: {}",
            run.stderr
        );
    }
}

fn audit(path: &str) -> Vec<&str> {
    vec!["audit", "--snapshot", path]
}

#[test]
fn missing_file() {
    assert_bad_input(
        &audit("/nonexistent/snap.json"),
        &["/nonexistent/snap.json", "cannot read snapshot"],
    );
}

#[test]
fn empty_file() {
    let file = temp_file("  \n");
    let path = file.path().to_str().unwrap();
    assert_bad_input(&audit(path), &[path, "empty"]);
}

#[test]
fn truncated_json() {
    let text = std::fs::read_to_string(fixture("healthy-nat.json")).unwrap();
    let file = temp_file(&text[..text.len() / 2]);
    let path = file.path().to_str().unwrap();
    assert_bad_input(&audit(path), &[path, "truncated"]);
}

#[test]
fn not_json() {
    let file = temp_file("vpc-123 subnet-456\n");
    let path = file.path().to_str().unwrap();
    assert_bad_input(&audit(path), &[path, "invalid JSON"]);
}

#[test]
fn unknown_snapshot_version() {
    let file = temp_file(r#"{"snapshot_version": 7, "account_id": "1", "region": "us-east-1"}"#);
    let path = file.path().to_str().unwrap();
    assert_bad_input(&audit(path), &[path, "unsupported snapshot_version 7"]);
}

#[test]
fn wrong_shape_names_the_section() {
    let file = temp_file(
        r#"{"snapshot_version": 1, "account_id": "1", "region": "us-east-1", "route_tables": [{"id": "rtb-1"}]}"#,
    );
    let path = file.path().to_str().unwrap();
    assert_bad_input(&audit(path), &[path, "in `route_tables[0]`", "vpc_id"]);
}

/// Edits the healthy fixture's JSON and expects `needles` in the error.
fn assert_edit_rejected(edit: impl Fn(&mut serde_json::Value), needles: &[&str]) {
    assert_edit_of_rejected("healthy-nat.json", edit, needles);
}

/// Edits a fixture's JSON and expects the result rejected with `needles` in the message.
fn assert_edit_of_rejected(name: &str, edit: impl Fn(&mut serde_json::Value), needles: &[&str]) {
    let mut snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap();
    edit(&mut snapshot);
    let file = temp_file(&snapshot.to_string());
    let path = file.path().to_str().unwrap();
    let mut all = vec![path];
    all.extend_from_slice(needles);
    assert_bad_input(&audit(path), &all);
}

#[test]
fn service_refers_to_an_absent_subnet() {
    assert_edit_rejected(
        |s| {
            s["clusters"][0]["services"][0]["network_configuration"]["subnets"][0] =
                "subnet-0deadbeef0000000".into()
        },
        &[
            "service `web`",
            "`subnet-0deadbeef0000000`",
            "not in `subnets`",
        ],
    );
}

#[test]
fn service_with_an_awsvpc_configuration_without_subnets() {
    assert_edit_rejected(
        |s| {
            s["clusters"][0]["services"][0]["network_configuration"]["subnets"] =
                serde_json::json!([])
        },
        &["service `web`", "without subnets"],
    );
}

#[test]
fn service_refers_to_an_absent_security_group() {
    assert_edit_rejected(
        |s| {
            s["clusters"][0]["services"][0]["network_configuration"]["security_groups"][0] =
                "sg-0deadbeef".into()
        },
        &["`sg-0deadbeef`", "not in `security_groups`"],
    );
}

#[test]
fn service_subnet_without_any_route_table() {
    assert_edit_rejected(
        |s| {
            let tables = s["route_tables"].as_array_mut().unwrap();
            tables.retain(|t| t["main"] != true && !t["subnet_ids"].to_string().contains("6002a"));
        },
        &["no associated route table", "no main route table"],
    );
}

#[test]
fn endpoint_refers_to_an_absent_route_table() {
    assert_edit_of_rejected(
        "healthy-endpoints.json",
        |s| {
            for endpoint in s["vpc_endpoints"].as_array_mut().unwrap() {
                if endpoint["endpoint_type"] == "Gateway" {
                    endpoint["route_table_ids"] = serde_json::json!(["rtb-0gone"]);
                }
            }
        },
        &["VPC endpoint", "`rtb-0gone`", "not in `route_tables`"],
    );
}

#[test]
fn unknown_cluster_and_service() {
    let path = fixture("healthy-nat.json");
    let path = path.to_str().unwrap();
    assert_bad_input(
        &["audit", "--snapshot", path, "--cluster", "staging"],
        &["cluster `staging`", "clusters: prod"],
    );
    assert_bad_input(
        &[
            "audit",
            "--snapshot",
            path,
            "--cluster",
            "prod",
            "--service",
            "api",
        ],
        &["service `api`", "services: web"],
    );
}

#[test]
fn usage_errors_exit_2() {
    let run = run(&["audit", "--format", "yaml"]);
    assert_eq!(run.code, 2);
    let run = run_no_snapshot();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--snapshot"), "{}", run.stderr);
}

fn run_no_snapshot() -> crate::support::Run {
    run(&["audit"])
}

#[test]
fn duplicate_ids_are_rejected() {
    assert_edit_rejected(
        |s| {
            let groups = s["security_groups"].as_array_mut().unwrap();
            let copy = groups[0].clone();
            groups.push(copy);
        },
        &["`security_groups` lists", "twice"],
    );
}

#[test]
fn a_missing_nested_list_is_not_taken_as_empty() {
    assert_edit_rejected(
        |s| {
            s["security_groups"][0]
                .as_object_mut()
                .unwrap()
                .remove("egress");
        },
        &["in `security_groups[0]`", "missing field `egress`"],
    );
}

#[test]
fn an_endpoint_in_an_absent_subnet_is_rejected() {
    assert_edit_of_rejected(
        "healthy-endpoints.json",
        |s| s["vpc_endpoints"][0]["subnet_ids"][0] = "subnet-0gone".into(),
        &["VPC endpoint", "`subnet-0gone`", "not in `subnets`"],
    );
}

/// A policy document AWS wrote but pullpath cannot read does not refuse the snapshot: only the
/// workloads whose decisions it takes part in are unknown, and the reason names it.
#[test]
fn an_unreadable_policy_document_makes_only_its_users_unknown() {
    let mut snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("multi-service.json")).unwrap())
            .unwrap();
    // The worker runs as its own role, whose inline policy has a lower-case `Effect`.
    let mut role = snapshot["roles"][0].clone();
    role["arn"] = "arn:aws:iam::123456789012:role/worker-execution".into();
    role["name"] = "worker-execution".into();
    role["inline_policies"] = serde_json::json!([{"name": "odd", "document": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "allow", "Action": "ssm:GetParameters", "Resource": "*"}]
    }}]);
    snapshot["roles"].as_array_mut().unwrap().push(role);
    for definition in snapshot["task_definitions"].as_array_mut().unwrap() {
        if definition["arn"].as_str().unwrap().contains("worker") {
            definition["execution_role_arn"] =
                "arn:aws:iam::123456789012:role/worker-execution".into();
        }
    }
    let file = temp_file(&snapshot.to_string());
    let audited = run(&[
        "audit",
        "--snapshot",
        file.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_ne!(audited.code, 2, "{}", audited.stderr);
    let report: serde_json::Value = serde_json::from_str(&audited.stdout).unwrap();
    let workload = |service: &str| {
        report["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["service"] == service)
            .unwrap()
            .clone()
    };
    assert_eq!(workload("web")["status"], "pass");
    let worker = workload("worker").to_string();
    assert!(
        worker.contains("policy `odd` cannot be read: Statement[0]: statement has invalid `Effect` \\\"allow\\\""),
        "{worker}"
    );
    assert!(worker.contains("POLICY_UNREADABLE"), "{worker}");
    // Still one: the trust policy as text that is not JSON.
    let mut snapshot: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("healthy-nat.json")).unwrap())
            .unwrap();
    snapshot["roles"][0]["assume_role_policy"] = "{not json".into();
    let file = temp_file(&snapshot.to_string());
    let run = run(&["audit", "--snapshot", file.path().to_str().unwrap()]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "policy `trust policy of web-execution` cannot be read: policy text is not JSON"
        ),
        "{}",
        run.stdout
    );
}

/// A policy document of the wrong JSON type is still structurally malformed: exit 2.
#[test]
fn a_policy_list_where_the_snapshot_has_objects_is_rejected() {
    assert_edit_rejected(
        |s| s["roles"][0]["inline_policies"] = "read-db-secret".into(),
        &["roles[0].inline_policies", "invalid type"],
    );
}

#[test]
fn the_header_is_named_before_any_section() {
    let file = temp_file(r#"{"snapshot_version": 1, "account_id": "1", "vpcs": []}"#);
    let path = file.path().to_str().unwrap();
    assert_bad_input(&audit(path), &[path, "missing field `region`"]);
}

#[test]
fn a_snapshot_must_be_an_object_with_a_positive_version() {
    let file = temp_file("[1]");
    let path = file.path().to_str().unwrap();
    assert_bad_input(&audit(path), &[path, "must be a JSON object"]);
    let file = temp_file(r#"{"snapshot_version": -1}"#);
    let path = file.path().to_str().unwrap();
    assert_bad_input(&audit(path), &[path, "positive integer"]);
}

#[test]
fn nothing_to_audit_is_an_error_not_a_pass() {
    assert_edit_rejected(
        |s| s["clusters"][0]["services"] = serde_json::json!([]),
        &["nothing to audit", "cluster `prod`"],
    );
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let text = std::fs::read_to_string(fixture("healthy-nat.json")).unwrap();
    let file = temp_file(&format!("\u{feff}{text}"));
    let run = run(&["audit", "--snapshot", file.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// `--registry-route HOST=CIDR`: each malformed value, and a host given twice, is one line
/// naming the flag and the problem, before anything is read.
#[test]
fn bad_registry_routes() {
    let snapshot = fixture("healthy-nat.json");
    let snapshot = snapshot.to_str().unwrap();
    for (route, says) in [
        ("harbor.acme.internal", "expected HOST=CIDR"),
        ("=10.20.0.0/16", "the host is empty"),
        (
            "https://harbor.acme.internal=10.20.0.0/16",
            "is not a registry host",
        ),
        ("harbor.acme.internal=10.20.0.0/33", "is not an IPv4 CIDR"),
        ("harbor.acme.internal=fd00::/8", "IPv6"),
    ] {
        let mut args = audit(snapshot);
        args.extend(["--registry-route", route]);
        assert_bad_input(&args, &["--registry-route", says]);
    }
    let mut args = audit(snapshot);
    args.extend([
        "--registry-route",
        "harbor.acme.internal=10.20.0.0/16",
        "--registry-route",
        "HARBOR.acme.internal=10.30.0.0/16",
    ]);
    assert_bad_input(&args, &["`harbor.acme.internal` is given twice"]);
    // diagnose takes the same flag, checked the same way.
    assert_bad_input(
        &[
            "diagnose",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--snapshot",
            snapshot,
            "--registry-route",
            "harbor=not-a-cidr",
        ],
        &["--registry-route", "is not an IPv4 CIDR"],
    );
}

#[test]
fn an_ec2_instance_in_an_absent_subnet_or_listed_twice_is_rejected() {
    assert_edit_of_rejected(
        "ec2-healthy-nat.json",
        |s| s["instances"][0]["subnet_id"] = "subnet-0deadbeef0000000".into(),
        &[
            "instance `i-0a1b2c3d4e5f60001`",
            "`subnet-0deadbeef0000000`",
            "not in `subnets`",
        ],
    );
    assert_edit_of_rejected(
        "ec2-healthy-nat.json",
        |s| {
            let instance = s["instances"][0].clone();
            s["instances"].as_array_mut().unwrap().push(instance);
        },
        &["`instances` lists `i-0a1b2c3d4e5f60001` twice"],
    );
}
