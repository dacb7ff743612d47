//! `pullpath audit --manifest FILE`: Kubernetes manifests judged before `kubectl apply`,
//! against the cluster they will be applied to (here kubectl output, fixtures/kubernetes;
//! live against a real API server in kube_live.rs). Only the manifests' workloads are judged,
//! with the manifests' own service accounts and secrets in place of the cluster's.

use serde_json::Value;

use crate::support::{arg, run, temp_file, Run};

fn path(name: &str) -> String {
    format!("fixtures/kubernetes/{name}")
}

/// `audit` of `manifest` against the fixture cluster (aws-side.json, cluster-objects.json).
fn gate(manifest: &str, extra: &[&str], format: &str) -> Run {
    let aws = path("aws-side.json");
    let cluster = path("cluster-objects.json");
    let mut args = vec![
        "audit",
        "--snapshot",
        &aws,
        "--kube-objects",
        &cluster,
        "--manifest",
        manifest,
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// (name, status, codes) of each workload of a JSON report.
fn verdicts(run: &Run) -> Vec<(String, String, Vec<String>)> {
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {}{}", run.stdout, run.stderr));
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let codes = w["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap().to_string())
                .collect();
            (
                format!(
                    "{}/{}",
                    w["cluster"].as_str().unwrap(),
                    w["service"].as_str().unwrap()
                ),
                w["status"].as_str().unwrap().to_string(),
                codes,
            )
        })
        .collect()
}

#[test]
fn only_the_manifests_workloads_are_judged() {
    // The cluster's own worker and payment-api fail (an Opaque secret, the forgotten
    // serviceAccountName): the gate for the manifest does not inherit them.
    let whole = run(&[
        "audit",
        "--snapshot",
        &path("aws-side.json"),
        "--kube-objects",
        &path("cluster-objects.json"),
    ]);
    assert_eq!(whole.code, 3, "{}", whole.stdout);
    let passed = gate(&path("manifests.yaml"), &[], "json");
    assert_eq!(passed.code, 0, "{}{}", passed.stdout, passed.stderr);
    assert_eq!(
        verdicts(&passed),
        [(
            "cluster-objects/payments/Deployment/payment-api".to_string(),
            "pass".to_string(),
            Vec::new()
        )]
    );
}

#[test]
fn the_forgotten_service_account_fails_before_the_deploy() {
    let table = gate(&path("manifest-forgot-service-account.yaml"), &[], "table");
    assert_eq!(table.code, 3, "{}", table.stderr);
    crate::output::assert_readme_block_is_real("Real output of the manifest gate", &table.stdout);
    let failed = gate(&path("manifest-forgot-service-account.yaml"), &[], "json");
    assert_eq!(failed.code, 3, "{}{}", failed.stdout, failed.stderr);
    let got = verdicts(&failed);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1, "fail");
    assert_eq!(got[0].2, ["PULL_SECRET_HOST_MISMATCH"]);
    assert!(
        failed.stdout.contains("`payment-api-sa`"),
        "{}",
        failed.stdout
    );
}

#[test]
fn a_manifest_brings_its_namespace_secret_and_account() {
    let manifest = path("manifest-new-namespace.yaml");
    // kubectl apply -n billing: the Secret and Deployment land in the new namespace, whose
    // `default` account the controller makes; the Secret's stringData is its pull secret.
    let passed = gate(&manifest, &["--namespace", "billing"], "json");
    assert_eq!(passed.code, 0, "{}{}", passed.stdout, passed.stderr);
    let got = verdicts(&passed);
    assert_eq!(
        got,
        [(
            "cluster-objects/billing/Deployment/billing-api".to_string(),
            "pass".to_string(),
            Vec::new()
        )]
    );
    // The manifest's credentials are never printed.
    for format in ["json", "table", "sarif"] {
        let out = gate(&manifest, &["--namespace", "billing"], format);
        for needle in ["not-a-real-password", "cm9ib3Q6bm90LWEtcmVhbC1wYXNzd29yZA"] {
            assert!(
                !out.stdout.contains(needle) && !out.stderr.contains(needle),
                "{format}"
            );
        }
    }
    // Without --namespace (offline there is no kubeconfig context) it lands in `default`,
    // which the kubectl output holds no service account of.
    let elsewhere = gate(&manifest, &[], "json");
    assert_eq!(elsewhere.code, 3);
    let got = verdicts(&elsewhere);
    assert_eq!(got[0].0, "cluster-objects/default/Deployment/billing-api");
    assert!(
        got[0].2.contains(&"SERVICE_ACCOUNT_MISSING".to_string()),
        "{got:?}"
    );
}

#[test]
fn an_object_in_another_namespace_than_asked_is_refused_as_kubectl_refuses_it() {
    let refused = gate(&path("manifests.yaml"), &["--namespace", "billing"], "json");
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("manifests.yaml (document 1)")
            && refused
                .stderr
                .contains("`payments` does not match --namespace `billing`"),
        "{}",
        refused.stderr
    );
    let two = gate(&path("manifests.yaml"), &["-n", "a", "-n", "b"], "json");
    assert_eq!(two.code, 2, "{}", two.stderr);
    assert!(
        two.stderr.contains("at most one --namespace"),
        "{}",
        two.stderr
    );
}

#[test]
fn a_manifest_without_a_workload_or_a_cluster_is_bad_input() {
    let service_only = temp_file(
        r#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"payments"},"spec":{"ports":[{"port":80}]}}"#,
    );
    let nothing = gate(arg(&service_only), &[], "json");
    assert_eq!(nothing.code, 2, "{}", nothing.stderr);
    assert!(nothing.stderr.contains("no workload"), "{}", nothing.stderr);
    // The AWS side alone holds no cluster to apply it to.
    let no_cluster = run(&[
        "audit",
        "--snapshot",
        &path("aws-side.json"),
        "--manifest",
        &path("manifests.yaml"),
    ]);
    assert_eq!(no_cluster.code, 2, "{}", no_cluster.stderr);
    assert!(
        no_cluster.stderr.contains("against its cluster"),
        "{}",
        no_cluster.stderr
    );
    // ECS placement flags have no meaning for a pod.
    let ecs = gate(&path("manifests.yaml"), &["--subnets", "subnet-1"], "json");
    assert_eq!(ecs.code, 2, "{}", ecs.stderr);
    let both = gate(
        &path("manifests.yaml"),
        &[
            "--task-definition",
            "fixtures/predeploy/web-task-definition.json",
        ],
        "json",
    );
    assert_eq!(both.code, 2, "{}", both.stderr);
}

#[test]
fn a_snapshot_holding_the_cluster_takes_the_manifest() {
    // default-service-account.json holds the cluster whose payment-api forgot its account;
    // the manifest that names it passes.
    let passed = run(&[
        "audit",
        "--snapshot",
        &path("default-service-account.json"),
        "--manifest",
        &path("manifests.yaml"),
        "--format",
        "json",
    ]);
    assert_eq!(passed.code, 0, "{}{}", passed.stdout, passed.stderr);
    assert_eq!(verdicts(&passed)[0].1, "pass");
}

#[test]
fn sarif_points_at_the_manifest_that_defines_the_workload() {
    let sarif = gate(
        &path("manifests.yaml"),
        &["--manifest", &path("manifest-forgot-service-account.yaml")],
        "sarif",
    );
    // The later manifest replaces payment-api: it fails, and its alert is on that file.
    assert_eq!(sarif.code, 3, "{}", sarif.stderr);
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/kubernetes/manifest-forgot-service-account.yaml"
    );
}

/// A manifest whose pod EKS Fargate does not run, in a namespace a Fargate profile selects:
/// the Fargate scheduler's reasons, read from the pod spec, in its own words.
#[test]
fn a_pod_fargate_does_not_run_is_refused_in_the_fargate_schedulers_words() {
    let manifest = temp_file(
        r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"csi","namespace":"payments"},
            "spec":{"selector":{"matchLabels":{"app":"csi"}},"template":{"metadata":{"labels":{"app":"csi"}},
            "spec":{"hostNetwork":true,"containers":[{"name":"csi",
              "image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2",
              "securityContext":{"privileged":true,"capabilities":{"add":["NET_ADMIN","SYS_PTRACE"]}},
              "ports":[{"containerPort":9808,"hostPort":9808}]}]}}}}"#,
    );
    let run = run(&[
        "audit",
        "--snapshot",
        &path("fargate-healthy.json"),
        "--manifest",
        arg(&manifest),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let got = verdicts(&run);
    assert_eq!(got[0].2, ["FARGATE_POD_UNSUPPORTED"], "{got:?}");
    assert!(
        run.stdout.contains("Pod not supported on Fargate: fields not supported: HostNetwork, invalid SecurityContext fields: Privileged, Capabilities added: NET_ADMIN, port contains HostIP or HostPort"),
        "{}",
        run.stdout
    );
}
