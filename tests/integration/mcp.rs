//! `pullpath mcp` answered by a real MCP client (the `mcp` package from PyPI, in
//! `.venv-moto`, driven by tests/live/mcp_client.py): it lists the tools and calls every one,
//! on fixture snapshots, and `audit` live against the emulated AWS endpoint.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::emulator::Moto;

/// Runs the client against this build's `pullpath mcp`; `env`: extra environment.
fn client(calls: &Value, env: &[(&str, &str)]) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(root.join(".venv-moto/bin/python"));
    command
        .arg(root.join("tests/live/mcp_client.py"))
        .arg(env!("CARGO_BIN_EXE_pullpath"))
        .arg(calls.to_string())
        .current_dir(root)
        .env("PULLPATH_NOW", "1796083200");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap_or_else(|e| {
        panic!("the .venv-moto python is needed (scripts/test installs it): {e}")
    });
    assert!(
        output.status.success(),
        "the MCP client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the client prints JSON")
}

/// The JSON report a tool returned (its second text content).
fn report(call: &Value) -> Value {
    serde_json::from_str(call["texts"][1].as_str().expect("a report")).expect("JSON report")
}

#[test]
#[ignore = "needs the mcp package in .venv-moto (scripts/test installs it)"]
fn a_real_client_lists_and_calls_every_tool() {
    let calls = json!([
        {"name": "explain", "arguments": {"message": "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2: dial tcp 52.46.144.120:443: i/o timeout"}},
        {"name": "audit", "arguments": {"snapshots": ["fixtures/scenarios/private-subnet-no-egress.json"]}},
        {"name": "pre_deploy", "arguments": {
            "snapshots": ["fixtures/scenarios/healthy-nat.json"],
            "task_definition": "fixtures/predeploy/web-task-definition.json",
            "subnets": ["subnet-0a1b2c3d4e5f6001a"],
            "security_groups": ["sg-0a1b2c3d4e5f60002"]}},
        {"name": "what_if", "arguments": {
            "snapshots": ["fixtures/scenarios/healthy-nat.json"],
            "changes": ["delete nat-0a1b2c3d4e5f60001"]}},
        {"name": "diagnose", "arguments": {
            "snapshot": "fixtures/diagnose/seed-incident.json", "cluster": "prod", "service": "web"}},
        {"name": "audit", "arguments": {"snapshots": ["fixtures/scenarios/no-such-file.json"]}},
        // A value that looks like a flag stays a value.
        {"name": "explain", "arguments": {"message": "--help"}},
        // A Kubernetes manifest, gated against the cluster's kubectl output.
        {"name": "pre_deploy", "arguments": {
            "snapshots": ["fixtures/kubernetes/aws-side.json"],
            "kube_objects": ["fixtures/kubernetes/cluster-objects.json"],
            "manifests": ["fixtures/kubernetes/manifest-forgot-service-account.yaml"]}},
    ]);
    let answer = client(&calls, &[]);
    assert_eq!(answer["server"]["name"], "pullpath");
    assert!(answer["server"]["version"]
        .as_str()
        .unwrap()
        .contains("report schema version 1"));
    let mut tools: Vec<&str> = answer["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    tools.sort();
    assert_eq!(
        tools,
        ["audit", "diagnose", "explain", "pre_deploy", "what_if"]
    );
    for tool in answer["tools"].as_array().unwrap() {
        assert_eq!(tool["input_schema"]["type"], "object", "{tool}");
        assert!(!tool["description"].as_str().unwrap().is_empty());
    }
    let audit_schema = answer["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "audit")
        .unwrap()["input_schema"]
        .clone();
    assert!(
        audit_schema["properties"]["snapshots"].is_object(),
        "{audit_schema}"
    );

    let calls = answer["calls"].as_array().unwrap();
    let [explain, audit, pre_deploy, what_if, diagnose, missing, flag_like, manifest] = &calls[..]
    else {
        panic!("eight calls: {calls:?}")
    };
    // The manifest gate fails the Deployment that forgot its service account.
    assert_eq!(manifest["is_error"], false, "{manifest}");
    let gate = report(manifest);
    assert_eq!(gate["workloads"].as_array().unwrap().len(), 1, "{gate}");
    assert_eq!(gate["workloads"][0]["status"], "fail");
    assert!(manifest["texts"][0]
        .as_str()
        .unwrap()
        .contains("PULL_SECRET_HOST_MISMATCH"));
    assert_eq!(flag_like["is_error"], false, "{flag_like}");
    assert_eq!(report(flag_like)["message"], "--help");
    for call in [explain, audit, pre_deploy, what_if, diagnose] {
        assert_eq!(call["is_error"], false, "{call}");
    }
    // explain classifies offline.
    assert!(explain["texts"][0]
        .as_str()
        .unwrap()
        .starts_with("Category: network-timeout."));
    assert_eq!(report(explain)["category"], "network-timeout");
    // audit: the summary and the JSON v1 report, one root cause with its fix.
    let text = audit["texts"][0].as_str().unwrap();
    assert!(
        text.starts_with("FAIL. 1 workload(s): 0 pass, 1 fail, 0 unknown."),
        "{text}"
    );
    assert!(
        text.contains("[A] NO_ROUTE rtb-0a1b2c3d4e5f60003"),
        "{text}"
    );
    let audited = report(audit);
    assert_eq!(audited["schema_version"], 1);
    assert_eq!(audited["root_causes"].as_array().unwrap().len(), 1);
    // The pre-deploy gate fails the task placed without a public IP.
    let gate = report(pre_deploy);
    assert_eq!(gate["workloads"][0]["status"], "fail");
    assert!(pre_deploy["texts"][0]
        .as_str()
        .unwrap()
        .contains("NO_PUBLIC_IP"));
    // what-if: deleting the NAT gateway breaks prod/web.
    assert_eq!(report(what_if)["would_break"], 1);
    assert!(what_if["texts"][0]
        .as_str()
        .unwrap()
        .contains("1 would stop passing"));
    // diagnose ranks the route table first.
    let diagnosed = report(diagnose);
    assert!(
        diagnosed["workloads"][0]["diagnosis"].is_object(),
        "{diagnosed}"
    );
    // A bad argument is a tool error with pullpath's message, not a crash of the server.
    assert_eq!(missing["is_error"], true, "{missing}");
    assert!(missing["texts"][0]
        .as_str()
        .unwrap()
        .contains("pullpath exited 2"));
}

#[test]
#[ignore = "needs the AWS emulator and the mcp package (.venv-moto); ./scripts/test runs it"]
fn the_audit_tool_reads_the_live_account_with_the_same_credentials() {
    let moto = Moto::start();
    moto.seed("private-subnet-no-egress");
    let calls = json!([
        {"name": "audit", "arguments": {"clusters": ["prod"], "regions": ["us-east-1"]}},
    ]);
    let answer = client(
        &calls,
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", moto.url.as_str()),
            ("AWS_CONFIG_FILE", "/nonexistent"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    let call = &answer["calls"][0];
    assert_eq!(call["is_error"], false, "{call}");
    let audited = report(call);
    assert_eq!(audited["workloads"][0]["status"], "fail", "{audited}");
    assert_eq!(audited["root_causes"][0]["code"], "NO_ROUTE");
    assert_eq!(audited["scopes"][0]["source"], "live");
}
