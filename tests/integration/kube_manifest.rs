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

/// A YAML manifest in a temporary file (the suffix only names it in messages).
fn manifest(text: &str) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

const PRIVATE_IMAGE: &str = "registry.acme.io/payments/payment-api:2.3.0";

fn deployment_yaml(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: payments}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n{spec}      containers: [{{name: app, image: \"{PRIVATE_IMAGE}\"}}]\n"
    )
}

#[test]
fn what_kubectl_apply_would_refuse_is_not_taken_as_applied() {
    // A namespace that neither exists nor is created: the apply fails.
    let ghost = manifest(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: ghost}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ghost}\nspec: {containers: [{name: a, image: nginx}]}\n",
    );
    let refused = gate(arg(&ghost), &[], "json");
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("namespaces \"ghost\" not found"),
        "{}",
        refused.stderr
    );
    // A secret's type cannot change: the cluster's Opaque `acme-opaque` stays Opaque.
    let retyped = manifest(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: acme-opaque, namespace: payments}}\ntype: kubernetes.io/dockerconfigjson\nstringData: {{.dockerconfigjson: '{{\"auths\":{{\"registry.acme.io\":{{\"username\":\"robot\",\"password\":\"x\"}}}}}}'}}\n---\n{}",
        deployment_yaml("retyped", "      imagePullSecrets: [{name: acme-opaque}]\n")
    ));
    let run = gate(arg(&retyped), &[], "json");
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert_eq!(verdicts(&run)[0].2, ["PULL_SECRET_WRONG_TYPE"]);
    assert!(run.stderr.contains("cannot change"), "{}", run.stderr);
}

#[test]
fn an_exported_object_is_judged_as_created_anew() {
    // A Pod exported with its uid and owner: created again, admission looks its account up.
    let exported = manifest(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: exported\n  namespace: payments\n  uid: 0d5c2f5e-1\n  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: payment-api-7d9f8b6c5, uid: x, controller: true}}]\nspec: {{serviceAccountName: no-such-sa, containers: [{{name: a, image: \"{PRIVATE_IMAGE}\"}}]}}\nstatus: {{phase: Running}}\n"
    ));
    let run = gate(arg(&exported), &[], "json");
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let got = verdicts(&run);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "cluster-objects/payments/Pod/exported");
    assert_eq!(got[0].2, ["SERVICE_ACCOUNT_MISSING"]);
}

#[test]
fn of_two_objects_of_one_name_in_a_manifest_the_later_is_applied() {
    let twice = manifest(&format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: app-sa, namespace: payments}}\nimagePullSecrets: [{{name: acme-registry}}]\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: app-sa, namespace: payments}}\n---\n{}",
        deployment_yaml("app", "      serviceAccountName: app-sa\n")
    ));
    let run = gate(arg(&twice), &[], "json");
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert_eq!(verdicts(&run)[0].2, ["PULL_SECRET_HOST_MISMATCH"]);
}

#[test]
fn a_pod_bound_to_a_node_it_does_not_fit_is_rejected_by_that_kubelet() {
    let bound = manifest(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: bound, namespace: payments}}\nspec:\n  nodeName: ip-10-0-2-10.ec2.internal\n  nodeSelector: {{pool: gpu}}\n  serviceAccountName: payment-api-sa\n  containers: [{{name: a, image: \"{PRIVATE_IMAGE}\"}}]\n"
    ));
    let run = gate(arg(&bound), &[], "json");
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert_eq!(verdicts(&run)[0].2, ["NO_SCHEDULABLE_NODE"]);
    assert!(
        run.stdout.contains("the kubelet rejects it"),
        "{}",
        run.stdout
    );
}

#[test]
fn objects_the_api_server_refuses_are_bad_input_and_lists_are_read_as_kubectl_reads_them() {
    for (text, field) in [
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: payments}\nspec: {containers: []}\n", "spec.containers"),
        ("apiVersion: v1\nkind: Pod\nmetadata: {namespace: payments}\nspec: {containers: [{name: a, image: nginx}]}\n", "metadata.name"),
        ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: payments}\nspec: {containers: [{name: a}]}\n", "spec.containers[0].image"),
    ] {
        let file = manifest(text);
        let run = gate(arg(&file), &[], "json");
        assert_eq!(run.code, 2, "{text}: {}", run.stderr);
        assert!(run.stderr.contains(field), "{field}: {}", run.stderr);
    }
    // A typed list whose items leave their kind to it, within a List.
    let nested = manifest(&format!(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: DeploymentList\n  items:\n  - metadata: {{name: typed, namespace: payments}}\n    spec:\n      selector: {{matchLabels: {{app: t}}}}\n      template:\n        metadata: {{labels: {{app: t}}}}\n        spec: {{serviceAccountName: payment-api-sa, containers: [{{name: a, image: \"{PRIVATE_IMAGE}\"}}]}}\n"
    ));
    let run = gate(arg(&nested), &[], "json");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        verdicts(&run)[0].0,
        "cluster-objects/payments/Deployment/typed"
    );
    // Flags that mean nothing here are refused.
    for extra in [&["--cluster", "prod"][..], &["--deployment", "x"], &["-A"]] {
        let run = gate(&path("manifests.yaml"), extra, "json");
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
    }
}

#[test]
fn a_secret_whose_data_is_wrapped_over_lines_is_read_as_the_api_server_reads_it() {
    // base64 of {"auths":{"registry.acme.io":{"auth":"robot:not-a-real-password" in base64}}}
    let wrapped = manifest(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: wrapped, namespace: payments}}\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: |\n    eyJhdXRocyI6eyJyZWdpc3RyeS5hY21lLmlvIjp7\n    ImF1dGgiOiJjbTlpYjNRNmJtOTBMV0V0Y21WaGJD\n    MXdZWE56ZDI5eVpBPT0ifX19\n---\n{}",
        deployment_yaml("wrapped", "      imagePullSecrets: [{name: wrapped}]\n")
    ));
    let run = gate(arg(&wrapped), &[], "json");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}
