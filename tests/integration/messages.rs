//! The classifier on the corpus of real-world messages in fixtures/messages/ (ECS, and
//! Kubernetes in the `NN-k8s-*` files): every message must get exactly the category, call and
//! facts its file expects.

use std::path::Path;

use serde_json::Value;

use crate::support::run;

const FACTS: [&str; 12] = [
    "category",
    "target",
    "host",
    "ip",
    "ip_scope",
    "dns_server",
    "action",
    "role_arn",
    "secret_arn",
    "denied_by",
    "retries",
    "truncated",
];

fn corpus() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/messages");
    let mut cases: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("fixtures/messages exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let case: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                case,
            )
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

#[test]
fn every_corpus_message_is_classified_as_expected() {
    let cases = corpus();
    assert!(cases.len() >= 40, "the corpus has {} messages", cases.len());
    let mut wrong = Vec::new();
    for (file, case) in &cases {
        let message = case["message"].as_str().expect("message");
        let got = serde_json::to_value(pullpath::explain::classify(message)).unwrap();
        for fact in FACTS {
            let expected = case["expect"]
                .get(fact)
                .unwrap_or_else(|| panic!("{file}: expect.{fact} is missing"));
            if &got[fact] != expected {
                wrong.push(format!(
                    "{file}: {fact} is {} (expected {expected})",
                    got[fact]
                ));
            }
        }
        // Unknown is never dressed up as a finding to look for.
        if got["category"] == "unknown" {
            assert_eq!(got["suspects"], serde_json::json!([]), "{file}");
        }
    }
    assert!(
        wrong.is_empty(),
        "{} mismatches:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Every category of the contract appears in the corpus.
#[test]
fn the_corpus_covers_every_category() {
    let cases = corpus();
    for category in [
        "network-timeout",
        "permission-denied",
        "image-not-found",
        "rate-limited",
        "registry-auth-failed",
        "log-group-missing",
        "role-assume-failed",
        "secret-not-found",
        "disk-full",
        "unknown",
    ] {
        let count = cases
            .iter()
            .filter(|(_, c)| c["expect"]["category"] == category)
            .count();
        assert!(count >= 3, "{category}: only {count} corpus messages");
    }
}

/// The Kubernetes part of the corpus (`NN-k8s-*.json`: kubelet events, container waiting
/// reasons and messages, CRI errors): every category a pull can fail with, and never a
/// suspect that only an ECS task has (its execution role, `repositoryCredentials`).
#[test]
fn the_corpus_has_kubernetes_messages_of_every_pull_category() {
    let cases: Vec<(String, Value)> = corpus()
        .into_iter()
        .filter(|(file, _)| file.contains("-k8s-"))
        .collect();
    assert!(
        cases.len() >= 30,
        "the corpus has {} Kubernetes messages",
        cases.len()
    );
    for category in [
        "network-timeout",
        "permission-denied",
        "image-not-found",
        "rate-limited",
        "registry-auth-failed",
        "secret-not-found",
        "unknown",
    ] {
        let count = cases
            .iter()
            .filter(|(_, c)| c["expect"]["category"] == category)
            .count();
        assert!(count >= 2, "{category}: only {count} Kubernetes messages");
    }
    for (file, case) in &cases {
        let classification = pullpath::explain::classify(case["message"].as_str().unwrap());
        assert!(classification.kubernetes, "{file}: not read as Kubernetes");
        let got = serde_json::to_value(&classification).unwrap();
        for task_only in [
            "EXECUTION_ROLE_MISSING",
            "EXECUTION_ROLE_NOT_FOUND",
            "EXECUTION_ROLE_TRUST",
            "PERMISSION_MISSING",
            "PERMISSION_DENIED",
            "REGISTRY_AUTH_MISSING",
        ] {
            assert!(
                !got["suspects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == task_only),
                "{file}: suspects {task_only}"
            );
        }
    }
    // And no ECS message is read as a Kubernetes one.
    for (file, case) in corpus().iter().filter(|(f, _)| !f.contains("-k8s-")) {
        let classification = pullpath::explain::classify(case["message"].as_str().unwrap());
        assert!(!classification.kubernetes, "{file}: read as Kubernetes");
    }
}

#[test]
fn explain_reads_the_message_from_arguments_or_stdin() {
    let seed = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2: failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1.4.2\": dial tcp 52.46.144.120:443: i/o timeout";
    let by_argument = run(&["explain", "--format", "json", seed]);
    assert_eq!(by_argument.code, 0, "{}", by_argument.stderr);
    let json: Value = serde_json::from_str(&by_argument.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["category"], "network-timeout");
    assert_eq!(json["target"], "ecr-dkr");
    assert_eq!(json["ip_scope"], "public");
    assert_eq!(json["message"], seed);

    let output = crate::support::pullpath()
        .args(["explain"])
        .write_stdin(format!("{seed}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.contains("network-timeout"), "{table}");
    assert!(table.contains("52.46.144.120 (public)"), "{table}");
}

#[test]
fn explain_exit_codes_unknown_and_empty() {
    let unknown = run(&[
        "explain",
        "Task failed ELB health checks in (target-group x)",
    ]);
    assert_eq!(unknown.code, 4, "{}", unknown.stdout);
    assert!(unknown.stdout.contains("unknown"), "{}", unknown.stdout);
    let empty = crate::support::pullpath()
        .args(["explain"])
        .write_stdin("  \n")
        .output()
        .unwrap();
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("no message"));
}
