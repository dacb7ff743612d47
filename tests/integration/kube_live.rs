//! Kubernetes against a real API server (tests/integration/kube_server.rs). First the harness
//! itself: a server starts, stores what a test writes, validates it as a cluster would, and
//! its kubeconfig is one the `kube` client that pullpath uses reads. Then pullpath reading a
//! live cluster (`audit --kubeconfig … --kube-context pullpath-test`): the seed incidents
//! found as the fixtures find them, no secret value in any output format, and `--namespace`
//! and forbidden lists. Each server costs about 400 MB, so each test starts one and seeds
//! several scenarios in separate namespaces.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::kube_server::KubeServer;
use crate::support::run;

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4";
const DOCKER_CONFIG: &str =
    r#"{"auths":{"123456789012.dkr.ecr.us-east-1.amazonaws.com":{"auth":"QVdTOnNlY3JldA=="}}}"#;
/// `DOCKER_CONFIG` in base64, as the server stores a secret's `stringData`.
const DOCKER_CONFIG_BASE64: &str = "eyJhdXRocyI6eyIxMjM0NTY3ODkwMTIuZGtyLmVjci51cy1lYXN0LTEuYW1hem9uYXdzLmNvbSI6eyJhdXRoIjoiUVZkVE9uTmxZM0psZEE9PSJ9fX0=";

fn pull_secret(name: &str, docker_config: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "shop"},
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": docker_config}
    })
}

#[test]
#[ignore = "needs a kube-apiserver and etcd (./scripts/kube-apiserver); ./scripts/test runs it"]
fn api_server_starts_and_stores_objects() {
    let server = KubeServer::start();
    server.apply(&json!({
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
            {"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "default", "namespace": "shop"}},
            pull_secret("ecr-pull", DOCKER_CONFIG),
            {"apiVersion": "v1", "kind": "Node",
             "metadata": {"name": "ip-10-0-1-23.ec2.internal",
                          "labels": {"kubernetes.io/arch": "amd64"}},
             "spec": {"providerID": "aws:///us-east-1a/i-0123456789abcdef0"}},
            {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "web", "namespace": "shop"},
             "spec": {
                 // No token controller runs to make the account's token (kube_server.rs).
                 "automountServiceAccountToken": false,
                 "nodeName": "ip-10-0-1-23.ec2.internal",
                 "imagePullSecrets": [{"name": "ecr-pull"}],
                 "containers": [{"name": "web", "image": IMAGE}]
             }}
        ]
    }));

    let namespace = server.get("/api/v1/namespaces/shop");
    assert_eq!(namespace["metadata"]["name"], "shop");
    let account = server.get("/api/v1/namespaces/shop/serviceaccounts/default");
    assert_eq!(account["metadata"]["namespace"], "shop");
    let secret = server.get("/api/v1/namespaces/shop/secrets/ecr-pull");
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(secret["data"][".dockerconfigjson"], DOCKER_CONFIG_BASE64);
    let node = server.get("/api/v1/nodes/ip-10-0-1-23.ec2.internal");
    assert_eq!(
        node["spec"]["providerID"],
        "aws:///us-east-1a/i-0123456789abcdef0"
    );
    assert_eq!(node["metadata"]["labels"]["kubernetes.io/arch"], "amd64");
    let pod = server.get("/api/v1/namespaces/shop/pods/web");
    assert_eq!(pod["spec"]["containers"][0]["image"], IMAGE);
    assert_eq!(pod["spec"]["imagePullSecrets"][0]["name"], "ecr-pull");
    // Admission ran: the service-account plugin named the account the pod runs as.
    assert_eq!(pod["spec"]["serviceAccountName"], "default");

    // A real server validates: a dockerconfigjson secret must hold JSON.
    let refused = server
        .create(&pull_secret("broken", "{not json"))
        .expect_err("the server accepted a dockerconfigjson secret that is not JSON");
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains(".dockerconfigjson"),
        "{}",
        refused.body
    );
    let absent = server.request("GET", "/api/v1/namespaces/shop/secrets/broken", None, None);
    assert_eq!(absent.status, 404, "{}", absent.body);

    // Admission looks the service account up even when the pod names its own pull secrets
    // (the rule SERVICE_ACCOUNT_MISSING applies to every pod not yet admitted).
    let mut orphan = bare_pod(
        "shop",
        "orphan",
        IMAGE,
        "ip-10-0-1-23.ec2.internal",
        &["ecr-pull"],
    );
    orphan["spec"]["serviceAccountName"] = json!("no-such-account");
    let refused = server
        .create(&orphan)
        .expect_err("the server created a pod whose service account does not exist");
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("error looking up service account"),
        "{}",
        refused.body
    );

    // An account that enforces mountable secrets admits only the pull secrets it lists
    // (PULL_SECRET_NOT_ALLOWED).
    let mut locked = service_account("shop", "locked", &["listed"]);
    locked["metadata"]["annotations"] = json!({"kubernetes.io/enforce-mountable-secrets": "true"});
    server.apply(&json!({"kind": "List", "items": [locked]}));
    let mut unlisted = bare_pod(
        "shop",
        "unlisted",
        IMAGE,
        "ip-10-0-1-23.ec2.internal",
        &["ecr-pull"],
    );
    unlisted["spec"]["serviceAccountName"] = json!("locked");
    let refused = server
        .create(&unlisted)
        .expect_err("the server created a pod naming a secret its account does not list");
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains(
            "is not allowed because service account locked does not reference that imagePullSecret"
        ),
        "{}",
        refused.body
    );
    let mut listed = unlisted.clone();
    listed["metadata"]["name"] = json!("listed");
    listed["spec"]["imagePullSecrets"] = json!([{"name": "listed"}]);
    server
        .create(&listed)
        .unwrap_or_else(|r| panic!("a pod naming a listed secret was refused: {}", r.body));

    // A new node carries node.kubernetes.io/not-ready:NoSchedule (TaintNodesByCondition)
    // until the node lifecycle controller sees it Ready: the scheduler's filter then keeps
    // pods off it, and `add_eks_node` removes it as that controller would.
    let node = server.get("/api/v1/nodes/ip-10-0-1-23.ec2.internal");
    assert_eq!(
        node["spec"]["taints"][0]["key"], "node.kubernetes.io/not-ready",
        "{node}"
    );

    // What a kubelet would write, through the status subresource.
    let waiting = json!({"reason": "ImagePullBackOff", "message": "Back-off pulling image"});
    server.set_pod_status(
        "shop",
        "web",
        &json!({
            "phase": "Pending",
            "containerStatuses": [{
                "name": "web", "image": IMAGE, "imageID": "", "ready": false,
                "restartCount": 0, "state": {"waiting": waiting}
            }]
        }),
    );
    let pod = server.get("/api/v1/namespaces/shop/pods/web");
    assert_eq!(pod["status"]["phase"], "Pending");
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["waiting"],
        waiting
    );

    // The kubeconfig is one the `kube` client reads: this server, its token, TLS unverified
    // (kube_server.rs writes it by hand). Not a connection: `kube::Client` needs a process
    // rustls CryptoProvider installed first (this build enables both ring and aws-lc-rs), and
    // pullpath's own tests of its cluster reads cover that path.
    let config = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(kube_config(&server.kubeconfig));
    assert_eq!(
        config.cluster_url.to_string().trim_end_matches('/'),
        server.url
    );
    assert!(config.accept_invalid_certs);
    // The token is a secrecy::SecretString; serializing is how kube's API exposes it.
    let user = serde_json::to_value(&config.auth_info).unwrap();
    assert_eq!(user["token"], server.token.as_str());
}

/// The client configuration `kube` makes of `kubeconfig`'s `pullpath-test` context.
async fn kube_config(kubeconfig: &std::path::Path) -> kube::Config {
    use kube::config::{KubeConfigOptions, Kubeconfig};

    let options = KubeConfigOptions {
        context: Some("pullpath-test".to_string()),
        ..KubeConfigOptions::default()
    };
    let file = Kubeconfig::read_from(kubeconfig).expect("a kubeconfig kube reads");
    kube::Config::from_custom_kubeconfig(file, &options)
        .await
        .expect("a kube client configuration")
}

// --- pullpath reading a live cluster ------------------------------------------------------------
//
// The objects below are what kubectl (or a controller) would have created, written through the
// API so that the server validates and stores them as a cluster does; pullpath then reads them
// with `--kubeconfig … --kube-context pullpath-test` against fixtures/kubernetes/aws-side.json
// (the EC2 instances, node role and network of the fixtures' EKS cluster).

/// The AWS side every live audit reads.
const AWS_SIDE: &str = "fixtures/kubernetes/aws-side.json";
/// The kubeconfig context (and so the report's `cluster`) of the harness.
const CONTEXT: &str = "pullpath-test";
/// The tests' clock (tests/integration/support.rs): 2026-12-01T00:00:00Z.
const NOW: i64 = 1_796_083_200;
const ECR_HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const ECR_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2";
const PRIVATE_HOST: &str = "registry.acme.io";
const PRIVATE_IMAGE: &str = "registry.acme.io/payments/payment-api:2.3.0";
/// The fixture's two EKS nodes: (node name, zone, EC2 instance).
const NODES: [(&str, &str, &str); 2] = [
    (
        "ip-10-0-2-10.ec2.internal",
        "us-east-1a",
        "i-0a1b2c3d4e5f60001",
    ),
    (
        "ip-10-0-12-10.ec2.internal",
        "us-east-1b",
        "i-0a1b2c3d4e5f60002",
    ),
];

fn b64(bytes: &str) -> String {
    aws_smithy_types::base64::encode(bytes)
}

/// An ECR authorization token's `auth` value, as generate.py's `ecr_token` builds it: base64
/// of `AWS:` + the password, itself base64 of a JSON document whose `expiration` is a Unix
/// time. `payload` stands for the encrypted part.
fn ecr_auth(expiration: i64, payload: &str) -> String {
    b64(&format!("AWS:{}", ecr_password(expiration, payload)))
}

fn ecr_password(expiration: i64, payload: &str) -> String {
    b64(&json!({
        "payload": payload,
        "datakey": "ZGF0YWtleQ==",
        "version": "2",
        "type": "DATA_KEY",
        "expiration": expiration
    })
    .to_string())
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// A service account; no controller creates `default`, so every namespace gets one this way.
fn service_account(namespace: &str, name: &str, pull_secrets: &[&str]) -> Value {
    let refs: Vec<Value> = pull_secrets.iter().map(|n| json!({"name": n})).collect();
    json!({
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace},
        "imagePullSecrets": refs
    })
}

/// A namespace and its `default` service account.
fn namespace_with_default(name: &str) -> [Value; 2] {
    [namespace(name), service_account(name, "default", &[])]
}

/// A secret of `type` whose `key` holds `value`, as `kubectl create secret` stores it (`data`,
/// base64).
fn secret(namespace: &str, name: &str, secret_type: &str, key: &str, value: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": secret_type,
        "data": {key: b64(value)}
    })
}

/// A `kubernetes.io/dockerconfigjson` secret with these `auths`.
fn docker_config_secret(namespace: &str, name: &str, auths: Value) -> Value {
    secret(
        namespace,
        name,
        "kubernetes.io/dockerconfigjson",
        ".dockerconfigjson",
        &json!({ "auths": auths }).to_string(),
    )
}

/// `auths` with one registry and `auth` = base64 `user:password`.
fn auth_entry(host: &str, user: &str, password: &str) -> Value {
    json!({ host: {"auth": b64(&format!("{user}:{password}"))} })
}

/// A Deployment whose pod template runs `image`; `spec` adds pod spec fields
/// (`serviceAccountName`, `imagePullSecrets`…).
fn deployment(namespace: &str, name: &str, image: &str, spec: Value) -> Value {
    let mut pod_spec = json!({"containers": [{"name": name, "image": image}]});
    for (key, value) in spec.as_object().expect("pod spec fields").iter() {
        pod_spec[key] = value.clone();
    }
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}
        }
    })
}

/// A pod no controller owns, bound to `node` (no scheduler runs), with its own pull secrets.
fn bare_pod(namespace: &str, name: &str, image: &str, node: &str, pull_secrets: &[&str]) -> Value {
    let refs: Vec<Value> = pull_secrets.iter().map(|n| json!({"name": n})).collect();
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            // No token controller runs to make the account's token (kube_server.rs).
            "automountServiceAccountToken": false,
            "nodeName": node,
            "imagePullSecrets": refs,
            "containers": [{"name": name, "image": image}]
        }
    })
}

/// What a kubelet writes of a pod whose image it cannot pull.
fn image_pull_back_off(server: &KubeServer, namespace: &str, pod: &str, image: &str) {
    let stored = server.set_pod_status(
        namespace,
        pod,
        &json!({
            "phase": "Pending",
            "containerStatuses": [{
                "name": pod, "image": image, "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {
                    "reason": "ImagePullBackOff",
                    "message": format!("Back-off pulling image \"{image}\"")
                }}
            }]
        }),
    );
    assert_eq!(
        stored["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "ImagePullBackOff"
    );
}

/// The fixture's two EKS nodes, EC2 instances by their providerID, Ready (written through the
/// status subresource, as a kubelet does, whatever the create kept of `status`).
fn create_nodes(server: &KubeServer) {
    for (name, zone, instance) in NODES {
        server.add_eks_node(name, zone, instance);
    }
}

/// One run of `pullpath audit` against the live cluster: exit code, the report (when stdout is
/// JSON) and the run.
struct Audit {
    code: i32,
    report: Value,
    run: crate::support::Run,
}

fn audit(kubeconfig: &std::path::Path, format: &str, extra: &[&str]) -> Audit {
    let mut args = vec![
        "audit",
        "--snapshot",
        AWS_SIDE,
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--kube-context",
        CONTEXT,
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    let run = run(&args);
    let report = if format == "json" {
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "pullpath {args:?} printed no JSON report ({e}); exit {}\nstdout: {}\nstderr: {}",
                run.code, run.stdout, run.stderr
            )
        })
    } else {
        Value::Null
    };
    Audit {
        code: run.code,
        report,
        run,
    }
}

/// Each workload of a report: `service` → (status, its findings as `CODE:severity`, sorted).
fn outcomes(report: &Value) -> BTreeMap<String, (String, Vec<String>)> {
    let mut out = BTreeMap::new();
    for workload in report["workloads"].as_array().expect("workloads[]") {
        assert_eq!(workload["cluster"], CONTEXT, "{workload}");
        let mut codes: Vec<String> = workload["findings"]
            .as_array()
            .expect("findings[]")
            .iter()
            .map(|f| {
                format!(
                    "{}:{}",
                    f["code"].as_str().unwrap(),
                    f["severity"].as_str().unwrap()
                )
            })
            .collect();
        codes.sort();
        let service = workload["service"].as_str().expect("a service").to_string();
        let status = workload["status"].as_str().expect("a status").to_string();
        assert!(
            out.insert(service.clone(), (status, codes)).is_none(),
            "{service} is in the report twice"
        );
    }
    out
}

fn expected(rows: &[(&str, &str, &[&str])]) -> BTreeMap<String, (String, Vec<String>)> {
    rows.iter()
        .map(|(service, status, codes)| {
            let mut codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
            codes.sort();
            (service.to_string(), (status.to_string(), codes))
        })
        .collect()
}

/// The workload `service` of a report.
fn workload<'a>(report: &'a Value, service: &str) -> &'a Value {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["service"] == service)
        .unwrap_or_else(|| panic!("no workload {service} in the report"))
}

/// The message of the finding `code` of workload `service`.
fn message<'a>(report: &'a Value, service: &str, code: &str) -> &'a str {
    workload(report, service)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("{service} has no {code} finding with a message"))
}

/// The EC2 instances the report audited a workload's pulls from, sorted.
fn instances(report: &Value, service: &str) -> Vec<String> {
    let mut ids: Vec<String> = workload(report, service)["launch"]["instances"]
        .as_array()
        .unwrap_or_else(|| panic!("{service} has no launch.instances"))
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// Every string of a JSON array field of the report's first scope.
fn scope_list(report: &Value, field: &str) -> Vec<String> {
    report["scopes"][0][field]
        .as_array()
        .unwrap_or_else(|| panic!("scopes[0].{field} is not a list: {}", report["scopes"]))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Each denied action is listed once: one action denied (`list secrets`, however many calls
/// it took) is one gap, in the scope and in the messages that cite it.
fn denied_once(report: &Value) -> Vec<String> {
    let denials = scope_list(report, "denied_actions");
    let mut unique = denials.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        denials.len(),
        unique.len(),
        "scopes[0].denied_actions lists an action more than once: {denials:?}"
    );
    denials
}

/// Every list call was answered: CronJobs, served as batch/v1 from 1.21 only, are read as
/// batch/v1beta1 on this 1.20 server.
fn only_cron_jobs_failed(report: &Value) {
    let failed = scope_list(report, "failed_calls");
    assert!(
        failed.is_empty(),
        "failed calls: {failed:?}\n{}",
        report["scopes"]
    );
}

/// The seed incidents (fixtures/kubernetes: default-service-account, ecr-token-expired with a
/// node role that pulls, opaque-secret, secret-other-namespace) and a healthy namespace, each
/// created through the API in its own namespace, then read live: every workload's status and
/// findings are the fixtures'.
#[test]
#[ignore = "needs a kube-apiserver and etcd (./scripts/kube-apiserver); ./scripts/test runs it"]
fn seed_incidents_are_found_live() {
    let server = KubeServer::start();
    create_nodes(&server);
    let registry_auths = auth_entry(PRIVATE_HOST, "robot", "Pa55-word-never-stored");
    let (node_a, _, instance_a) = NODES[0];

    // (a) The Deployment forgot serviceAccountName: its pods run as `default`, and
    // `payment-api-sa`, which holds the registry secret, is never used. A pod of it that a
    // kubelet could not pull (ImagePullBackOff), owned by nothing, as a debugging copy.
    let a = "seed-default-sa";
    let mut objects: Vec<Value> = namespace_with_default(a).into();
    objects.extend([
        service_account(a, "payment-api-sa", &["acme-registry"]),
        docker_config_secret(a, "acme-registry", registry_auths.clone()),
        deployment(a, "payment-api", PRIVATE_IMAGE, json!({})),
        bare_pod(a, "payment-api-debug", PRIVATE_IMAGE, node_a, &[]),
    ]);
    // (b) An ECR pull secret created 13 hours ago (its token expired an hour ago); the node
    // role can pull, so the kubelet falls back to it.
    let b = "seed-ecr-token";
    objects.extend(namespace_with_default(b));
    objects.extend([
        docker_config_secret(
            b,
            "ecr-token",
            json!({ ECR_HOST: {"auth": ecr_auth(NOW - 3600, "cGF5bG9hZA==")} }),
        ),
        deployment(
            b,
            "web",
            ECR_IMAGE,
            json!({"imagePullSecrets": [{"name": "ecr-token"}]}),
        ),
    ]);
    // (c) The pull secret was created as an Opaque secret: the kubelet skips it.
    let c = "seed-opaque";
    objects.extend(namespace_with_default(c));
    objects.extend([
        secret(
            c,
            "acme-opaque",
            "Opaque",
            ".dockerconfigjson",
            &json!({ "auths": registry_auths.clone() }).to_string(),
        ),
        deployment(
            c,
            "worker",
            PRIVATE_IMAGE,
            json!({"imagePullSecrets": [{"name": "acme-opaque"}]}),
        ),
    ]);
    // (d) The pull secret lives in namespace `platform`, not the pod's.
    let d = "seed-other-ns";
    objects.extend(namespace_with_default(d));
    objects.extend(namespace_with_default("platform"));
    objects.extend([
        service_account(d, "payment-api-sa", &["shared-registry"]),
        docker_config_secret("platform", "shared-registry", registry_auths.clone()),
        deployment(
            d,
            "payment-api",
            PRIVATE_IMAGE,
            json!({"serviceAccountName": "payment-api-sa"}),
        ),
    ]);
    // (e) Healthy: the ECR image pulled by the node role; the private image with its secret.
    let e = "healthy";
    objects.extend(namespace_with_default(e));
    objects.extend([
        service_account(e, "payment-api-sa", &["acme-registry"]),
        docker_config_secret(e, "acme-registry", registry_auths),
        deployment(e, "web", ECR_IMAGE, json!({})),
        deployment(
            e,
            "payment-api",
            PRIVATE_IMAGE,
            json!({"serviceAccountName": "payment-api-sa"}),
        ),
    ]);
    server.apply(&json!({"kind": "List", "items": objects}));
    image_pull_back_off(&server, a, "payment-api-debug", PRIVATE_IMAGE);
    // Admission named the account the bare pod runs as, and copied none of its (no) secrets.
    let pod = server.get(&format!("/api/v1/namespaces/{a}/pods/payment-api-debug"));
    assert_eq!(pod["spec"]["serviceAccountName"], "default");

    let audit = audit(&server.kubeconfig, "json", &[]);
    let report = &audit.report;
    assert_eq!(
        outcomes(report),
        expected(&[
            (
                "seed-default-sa/Deployment/payment-api",
                "fail",
                &["PULL_SECRET_HOST_MISMATCH:error"]
            ),
            (
                "seed-default-sa/Pod/payment-api-debug",
                "fail",
                &["PULL_SECRET_HOST_MISMATCH:error"]
            ),
            (
                "seed-ecr-token/Deployment/web",
                "pass",
                &["PULL_SECRET_ECR_TOKEN_EXPIRED:info"]
            ),
            (
                "seed-opaque/Deployment/worker",
                "fail",
                &["PULL_SECRET_WRONG_TYPE:error"]
            ),
            (
                "seed-other-ns/Deployment/payment-api",
                "fail",
                &["PULL_SECRET_OTHER_NAMESPACE:error"]
            ),
            ("healthy/Deployment/web", "pass", &[]),
            ("healthy/Deployment/payment-api", "pass", &[]),
        ]),
        "{}",
        audit.run.stdout
    );
    assert_eq!(audit.code, 3, "stderr: {}", audit.run.stderr);
    // Nothing on stderr but what the read cost.
    assert!(
        audit
            .run
            .stderr
            .lines()
            .all(|l| l.starts_with("pullpath: read Kubernetes cluster `pullpath-test`")),
        "stderr: {}",
        audit.run.stderr
    );

    // The messages name what the fixtures' do.
    let forgot = message(
        report,
        "seed-default-sa/Deployment/payment-api",
        "PULL_SECRET_HOST_MISMATCH",
    );
    assert!(forgot.contains("`payment-api-sa`"), "{forgot}");
    assert!(forgot.contains("runs as `default`"), "{forgot}");
    let pod = message(
        report,
        "seed-default-sa/Pod/payment-api-debug",
        "PULL_SECRET_HOST_MISMATCH",
    );
    assert!(pod.contains("`payment-api-sa`"), "{pod}");
    let expired = message(
        report,
        "seed-ecr-token/Deployment/web",
        "PULL_SECRET_ECR_TOKEN_EXPIRED",
    );
    assert!(expired.contains("`ecr-token`"), "{expired}");
    assert!(expired.contains("2026-11-30T23:00:00Z"), "{expired}");
    let opaque = message(
        report,
        "seed-opaque/Deployment/worker",
        "PULL_SECRET_WRONG_TYPE",
    );
    assert!(opaque.contains("`acme-opaque`"), "{opaque}");
    let elsewhere = message(
        report,
        "seed-other-ns/Deployment/payment-api",
        "PULL_SECRET_OTHER_NAMESPACE",
    );
    assert!(elsewhere.contains("`shared-registry`"), "{elsewhere}");
    assert!(elsewhere.contains("namespace(s) platform"), "{elsewhere}");

    // The nodes were read as the EC2 instances they are: a Deployment's pods may run on
    // either, the bound pod on its node only.
    let both: Vec<String> = NODES.iter().map(|(_, _, i)| i.to_string()).collect();
    assert_eq!(instances(report, "healthy/Deployment/web"), both);
    assert_eq!(
        instances(report, "seed-default-sa/Pod/payment-api-debug"),
        [instance_a]
    );

    // Everything pullpath lists was read, but for what this 1.20 server does not serve.
    assert_eq!(scope_list(report, "denied_actions"), Vec::<String>::new());
    assert_eq!(scope_list(report, "unread_clusters"), Vec::<String>::new());
    only_cron_jobs_failed(report);
}

/// Distinctive passwords, none a substring of anything else the cluster holds.
const CANARIES: [(&str, &str); 5] = [
    ("robot", "Canary-pw-auth-7Kq2xV"),
    ("ghbot", "Canary-pw-userpass-Lm93Tz"),
    ("quser", "Canary-pw-both-Rr51Ny"),
    ("legacy", "Canary-pw-dockercfg-Hs04Pd"),
    ("opaque", "Canary-pw-opaque-Wc68Qe"),
];
/// The encrypted part of the ECR tokens, and the string a malformed secret holds.
const ECR_CANARY: &str = "Canary-ecr-payload-Fj27Ub";
const MALFORMED_CANARY: &str = "Canary-malformed-auths-Gy83Oa";

/// Pull secrets whose passwords are distinctive strings, of every shape the kubelet reads
/// (`auth`; `username` and `password`; both; the legacy `dockercfg`; ECR tokens, valid and
/// expired), one whose JSON the kubelet cannot read and an Opaque one, each named by a
/// workload; then every output format: no password, no base64 of it, no `auth` value and no
/// secret's stored data appears on stdout or stderr.
#[test]
#[ignore = "needs a kube-apiserver and etcd (./scripts/kube-apiserver); ./scripts/test runs it"]
fn secret_values_never_leave_the_process() {
    let server = KubeServer::start();
    create_nodes(&server);
    let ns = "vault";
    let [(auth_user, auth_pw), (up_user, up_pw), (both_user, both_pw), (cfg_user, cfg_pw), (opaque_user, opaque_pw)] =
        CANARIES;
    // `kubernetes.io/dockerconfigjson` secrets: (name, auths).
    let auths = [
        ("acme-auth", auth_entry(PRIVATE_HOST, auth_user, auth_pw)),
        (
            "ghcr-userpass",
            json!({"ghcr.io": {"username": up_user, "password": up_pw}}),
        ),
        (
            "quay-both",
            json!({"quay.io": {
                "username": both_user, "password": both_pw,
                "auth": b64(&format!("{both_user}:{both_pw}"))
            }}),
        ),
        (
            "ecr-tokens",
            json!({
                ECR_HOST: {"auth": ecr_auth(NOW + 6 * 3600, ECR_CANARY)},
                "https://210987654321.dkr.ecr.us-east-1.amazonaws.com": {
                    "username": "AWS", "password": ecr_password(NOW - 3600, ECR_CANARY)
                }
            }),
        ),
        (
            "ecr-expired",
            json!({ ECR_HOST: {"auth": ecr_auth(NOW - 3600, ECR_CANARY)} }),
        ),
    ];
    let mut stored: Vec<String> = Vec::new();
    let mut objects: Vec<Value> = namespace_with_default(ns).into();
    for (name, auths) in &auths {
        let secret = docker_config_secret(ns, name, auths.clone());
        stored.push(secret["data"][".dockerconfigjson"].as_str().unwrap().into());
        objects.push(secret);
    }
    // The legacy type: the `auths` map itself, under `.dockercfg`.
    let legacy = secret(
        ns,
        "legacy-cfg",
        "kubernetes.io/dockercfg",
        ".dockercfg",
        &auth_entry(PRIVATE_HOST, cfg_user, cfg_pw).to_string(),
    );
    // JSON the API server accepts and the kubelet cannot read: `auths` is not a map (a parser's
    // "invalid type: string …" error would quote it).
    let malformed = secret(
        ns,
        "malformed",
        "kubernetes.io/dockerconfigjson",
        ".dockerconfigjson",
        &json!({ "auths": MALFORMED_CANARY }).to_string(),
    );
    let opaque = secret(
        ns,
        "opaque-creds",
        "Opaque",
        ".dockerconfigjson",
        &json!({"auths": auth_entry(PRIVATE_HOST, opaque_user, opaque_pw)}).to_string(),
    );
    for secret in [legacy, malformed, opaque] {
        let (key, value) = secret["data"].as_object().unwrap().iter().next().unwrap();
        assert!(key.starts_with('.'));
        stored.push(value.as_str().unwrap().into());
        objects.push(secret);
    }
    let named = |secrets: &[&str]| json!({"imagePullSecrets": secrets.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()});
    objects.extend([
        deployment(ns, "acme", PRIVATE_IMAGE, named(&["acme-auth"])),
        deployment(
            ns,
            "mixed",
            PRIVATE_IMAGE,
            named(&["ghcr-userpass", "quay-both"]),
        ),
        deployment(ns, "legacy", PRIVATE_IMAGE, named(&["legacy-cfg"])),
        deployment(ns, "ecr", ECR_IMAGE, named(&["ecr-expired", "ecr-tokens"])),
        deployment(ns, "malformed", PRIVATE_IMAGE, named(&["malformed"])),
        deployment(ns, "opaque", PRIVATE_IMAGE, named(&["opaque-creds"])),
        bare_pod(
            ns,
            "debug",
            PRIVATE_IMAGE,
            NODES[0].0,
            &["acme-auth", "quay-both"],
        ),
    ]);
    server.apply(&json!({"kind": "List", "items": objects}));
    image_pull_back_off(&server, ns, "debug", PRIVATE_IMAGE);

    // What must never be printed: each password, its base64, `user:password` in base64 (an
    // `auth` value), the ECR tokens (password and `auth`) and their payload, and every
    // secret's stored value.
    let mut forbidden: Vec<(String, String)> = Vec::new();
    for (user, password) in CANARIES {
        forbidden.push((format!("password of {user}"), password.to_string()));
        forbidden.push((format!("base64 password of {user}"), b64(password)));
        forbidden.push((
            format!("auth of {user}"),
            b64(&format!("{user}:{password}")),
        ));
    }
    for expiration in [NOW + 6 * 3600, NOW - 3600] {
        forbidden.push((
            format!("ECR token password expiring {expiration}"),
            ecr_password(expiration, ECR_CANARY),
        ));
        forbidden.push((
            format!("ECR token auth expiring {expiration}"),
            ecr_auth(expiration, ECR_CANARY),
        ));
    }
    forbidden.push(("ECR token payload".into(), ECR_CANARY.into()));
    forbidden.push(("malformed secret's auths".into(), MALFORMED_CANARY.into()));
    forbidden.push(("base64 of it".into(), b64(MALFORMED_CANARY)));
    for (i, value) in stored.iter().enumerate() {
        forbidden.push((format!("stored data of secret #{i}"), value.clone()));
    }
    let leaks = |output: &str| -> Vec<String> {
        let mut found: Vec<String> = forbidden
            .iter()
            .filter(|(_, value)| output.contains(value.as_str()))
            .map(|(what, _)| what.clone())
            .collect();
        // Every canary has this stem: any part of one is a leak too.
        if output.contains("Canary-") {
            found.push("a `Canary-` string".into());
        }
        found
    };

    // The secrets were read and parsed (else the formats below prove nothing): hosts, users
    // and token expiry reached the audit.
    let json_run = audit(&server.kubeconfig, "json", &[]);
    let report = &json_run.report;
    assert_eq!(
        outcomes(report),
        expected(&[
            ("vault/Deployment/acme", "pass", &[]),
            (
                "vault/Deployment/mixed",
                "fail",
                &["PULL_SECRET_HOST_MISMATCH:error"]
            ),
            ("vault/Deployment/legacy", "pass", &[]),
            (
                "vault/Deployment/ecr",
                "pass",
                &["PULL_SECRET_ECR_TOKEN_EXPIRED:info"]
            ),
            (
                "vault/Deployment/malformed",
                "fail",
                &["PULL_SECRET_WRONG_TYPE:error"]
            ),
            (
                "vault/Deployment/opaque",
                "fail",
                &["PULL_SECRET_WRONG_TYPE:error"]
            ),
            ("vault/Pod/debug", "pass", &[]),
        ]),
        "{}",
        json_run.run.stdout
    );
    let mismatch = message(
        report,
        "vault/Deployment/mixed",
        "PULL_SECRET_HOST_MISMATCH",
    );
    assert!(
        mismatch.contains("ghcr-userpass:ghcr.io") && mismatch.contains("quay-both:quay.io"),
        "{mismatch}"
    );
    let broken = message(
        report,
        "vault/Deployment/malformed",
        "PULL_SECRET_WRONG_TYPE",
    );
    assert!(broken.contains("fails every pull"), "{broken}");
    let expired = message(
        report,
        "vault/Deployment/ecr",
        "PULL_SECRET_ECR_TOKEN_EXPIRED",
    );
    assert!(expired.contains("2026-11-30T23:00:00Z"), "{expired}");

    for format in ["json", "ndjson", "table", "dot", "mermaid"] {
        let audit = audit(&server.kubeconfig, format, &[]);
        assert_eq!(
            audit.code, 3,
            "--format {format}: stderr {}",
            audit.run.stderr
        );
        assert!(
            audit.run.stdout.contains("mixed"),
            "--format {format} printed no report:\n{}",
            audit.run.stdout
        );
        for (stream, text) in [("stdout", &audit.run.stdout), ("stderr", &audit.run.stderr)] {
            let found = leaks(text);
            assert!(
                found.is_empty(),
                "--format {format} printed secret values on {stream}: {found:?}\n{text}"
            );
        }
    }
}

/// Users of the harness besides its admin: (token, user name).
const READER: (&str, &str) = ("reader-token-5d1e8a", "pullpath-reader");
const NO_SECRETS: (&str, &str) = ("no-secrets-token-9b3c47", "pullpath-no-secrets");
const PODS_ONLY: (&str, &str) = ("pods-only-token-2f6a90", "pullpath-pods-only");

/// A ClusterRole listing `rules` (apiGroups, resources), and its binding to `user`.
fn cluster_role_for(user: &str, rules: &[(&str, &[&str])]) -> [Value; 2] {
    let rules: Vec<Value> = rules
        .iter()
        .map(|(group, resources)| {
            json!({"apiGroups": [group], "resources": resources, "verbs": ["list"]})
        })
        .collect();
    [
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": user}, "rules": rules
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": user},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": user},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]
        }),
    ]
}

/// `--namespace` audits that namespace's workloads only (and a namespace with none is bad
/// input, not a pass). A user who may list everything pullpath lists gets the admin's
/// report; one who may not list secrets gets no crash and no pass for a workload whose pull
/// secrets decide its pull: those are unknown, the denial is in the report's coverage, exit
/// 4; one who may list pods only gets a cluster unread, never a pass.
#[test]
#[ignore = "needs a kube-apiserver and etcd (./scripts/kube-apiserver); ./scripts/test runs it"]
fn namespace_scoping_and_forbidden_lists() {
    let server = KubeServer::start_with_tokens(&[READER, NO_SECRETS, PODS_ONLY]);
    create_nodes(&server);
    let registry_auths = auth_entry(PRIVATE_HOST, "robot", "Pa55-word-never-stored");
    let mut objects: Vec<Value> = Vec::new();
    // team-a and team-c pass; team-b's private image has no pull secret.
    for team in ["team-a", "team-c"] {
        objects.extend(namespace_with_default(team));
        objects.extend([
            service_account(team, "api-sa", &["acme-registry"]),
            docker_config_secret(team, "acme-registry", registry_auths.clone()),
            deployment(team, "web", ECR_IMAGE, json!({})),
            deployment(
                team,
                "api",
                PRIVATE_IMAGE,
                json!({"serviceAccountName": "api-sa"}),
            ),
        ]);
    }
    objects.extend(namespace_with_default("team-b"));
    objects.push(deployment("team-b", "api", PRIVATE_IMAGE, json!({})));
    objects.push(bare_pod("team-b", "job-runner", ECR_IMAGE, NODES[1].0, &[]));
    // Exactly what pullpath lists (src/collect/kubernetes/live.rs KUBE_READS), with and
    // without secrets; and pods alone.
    let core = ["pods", "serviceaccounts", "secrets", "nodes", "events"];
    let core_no_secrets = ["pods", "serviceaccounts", "nodes", "events"];
    let apps: &[&str] = &["deployments", "statefulsets", "daemonsets", "replicasets"];
    let batch: &[&str] = &["jobs", "cronjobs"];
    let external: &[&str] = &["externalsecrets"];
    objects.extend(cluster_role_for(
        READER.1,
        &[
            ("", &core),
            ("apps", apps),
            ("batch", batch),
            ("external-secrets.io", external),
        ],
    ));
    objects.extend(cluster_role_for(
        NO_SECRETS.1,
        &[
            ("", &core_no_secrets),
            ("apps", apps),
            ("batch", batch),
            ("external-secrets.io", external),
        ],
    ));
    objects.extend(cluster_role_for(PODS_ONLY.1, &[("", &["pods"])]));
    server.apply(&json!({"kind": "List", "items": objects}));

    let team_a = expected(&[
        ("team-a/Deployment/web", "pass", &[]),
        ("team-a/Deployment/api", "pass", &[]),
    ]);
    let team_c = expected(&[
        ("team-c/Deployment/web", "pass", &[]),
        ("team-c/Deployment/api", "pass", &[]),
    ]);
    let team_b = expected(&[
        (
            "team-b/Deployment/api",
            "fail",
            &["PULL_SECRET_HOST_MISMATCH:error"],
        ),
        ("team-b/Pod/job-runner", "pass", &[]),
    ]);

    // One namespace, two, and all of them.
    let one = audit(&server.kubeconfig, "json", &["--namespace", "team-a"]);
    assert_eq!(outcomes(&one.report), team_a, "{}", one.run.stdout);
    assert_eq!(one.code, 0, "stderr: {}", one.run.stderr);
    let two = audit(
        &server.kubeconfig,
        "json",
        &["--namespace", "team-a", "-n", "team-c"],
    );
    let mut both = team_a.clone();
    both.extend(team_c.clone());
    assert_eq!(outcomes(&two.report), both, "{}", two.run.stdout);
    assert_eq!(two.code, 0, "stderr: {}", two.run.stderr);
    let all = audit(&server.kubeconfig, "json", &["--all-namespaces"]);
    let mut everything = both.clone();
    everything.extend(team_b.clone());
    assert_eq!(outcomes(&all.report), everything, "{}", all.run.stdout);
    assert_eq!(all.code, 3, "stderr: {}", all.run.stderr);
    let only_b = audit(&server.kubeconfig, "json", &["-n", "team-b"]);
    assert_eq!(outcomes(&only_b.report), team_b, "{}", only_b.run.stdout);
    assert_eq!(only_b.code, 3, "stderr: {}", only_b.run.stderr);
    // A namespace without workloads: nothing to audit is bad input, never a pass.
    let none = run(&[
        "audit",
        "--snapshot",
        AWS_SIDE,
        "--kubeconfig",
        server.kubeconfig.to_str().unwrap(),
        "--kube-context",
        CONTEXT,
        "--namespace",
        "no-such-namespace",
        "--format",
        "json",
    ]);
    assert_eq!(
        none.code, 2,
        "stdout: {}\nstderr: {}",
        none.stdout, none.stderr
    );
    assert!(
        none.stderr.contains("no-such-namespace"),
        "stderr: {}",
        none.stderr
    );

    // Exactly the reads pullpath makes: the admin's report.
    let reader = server.kubeconfig_for("reader", READER.0);
    let as_reader = audit(&reader, "json", &["--all-namespaces"]);
    assert_eq!(
        outcomes(&as_reader.report),
        everything,
        "{}",
        as_reader.run.stdout
    );
    assert_eq!(as_reader.code, 3, "stderr: {}", as_reader.run.stderr);
    assert_eq!(
        scope_list(&as_reader.report, "denied_actions"),
        Vec::<String>::new()
    );
    only_cron_jobs_failed(&as_reader.report);

    // Secrets forbidden: a workload whose pull secrets decide its pull is unknown, never a
    // pass; one that names none (through its service account either) is still judged.
    let no_secrets = server.kubeconfig_for("no-secrets", NO_SECRETS.0);
    let denied = audit(&no_secrets, "json", &["--namespace", "team-a"]);
    assert_eq!(
        outcomes(&denied.report),
        expected(&[
            ("team-a/Deployment/web", "pass", &[]),
            (
                "team-a/Deployment/api",
                "unknown",
                &["NOT_COLLECTED:warning"]
            ),
        ]),
        "{}",
        denied.run.stdout
    );
    assert_eq!(denied.code, 4, "stderr: {}", denied.run.stderr);
    let why = message(&denied.report, "team-a/Deployment/api", "NOT_COLLECTED");
    assert!(why.contains("acme-registry"), "{why}");
    assert!(
        !why.contains("was denied list secrets; was denied list secrets"),
        "the message repeats the one denial: {why}"
    );
    let denials = denied_once(&denied.report);
    assert!(
        denials.iter().any(|d| d.contains("secrets")),
        "denied_actions names no secrets list: {denials:?}"
    );
    assert!(
        denials.iter().all(|d| d.contains("secrets")),
        "more than secrets denied: {denials:?}"
    );
    assert_ne!(denied.report["scopes"][0]["status"], "complete");

    // Pods alone: nothing else is readable, so the cluster is unread; no crash, no pass.
    let pods_only = server.kubeconfig_for("pods-only", PODS_ONLY.0);
    let blind = audit(&pods_only, "json", &["--all-namespaces"]);
    assert_eq!(blind.code, 4, "stderr: {}", blind.run.stderr);
    for (service, (status, _)) in outcomes(&blind.report) {
        assert_ne!(status, "pass", "{service} passes with pods alone read");
    }
    let denials = denied_once(&blind.report);
    for resource in ["secrets", "nodes", "serviceaccounts", "deployments"] {
        assert!(
            denials.iter().any(|d| d.contains(resource)),
            "denied_actions names no {resource} list: {denials:?}"
        );
    }
    assert!(
        !denials.iter().any(|d| d.contains("list pods")),
        "listing pods was allowed: {denials:?}"
    );
    assert_eq!(
        scope_list(&blind.report, "unread_clusters"),
        [CONTEXT],
        "{}",
        blind.report["scopes"]
    );
}

/// `audit --manifest` against a live cluster: the manifest's objects without a namespace go
/// to the kubeconfig context's namespace, as `kubectl apply` puts them; only its workload is
/// judged; and once the manifest is really applied through the API, the live audit of the
/// cluster gives the verdict the gate gave.
#[test]
#[ignore = "needs a kube-apiserver and etcd (./scripts/kube-apiserver); ./scripts/test runs it"]
fn a_manifest_is_judged_against_the_live_cluster_before_it_is_applied() {
    let server = KubeServer::start();
    create_nodes(&server);
    let ns = "shop";
    let mut objects: Vec<Value> = namespace_with_default(ns).into();
    objects.extend([
        service_account(ns, "payment-api-sa", &["acme-registry"]),
        docker_config_secret(
            ns,
            "acme-registry",
            auth_entry(PRIVATE_HOST, "robot", "Pa55-word-never-stored"),
        ),
        // A workload already broken in the cluster (it forgot serviceAccountName).
        deployment(ns, "legacy", PRIVATE_IMAGE, json!({})),
    ]);
    // Another namespace the gate has no need to read.
    objects.extend(namespace_with_default("elsewhere"));
    objects.push(deployment("elsewhere", "other", PRIVATE_IMAGE, json!({})));
    server.apply(&json!({"kind": "List", "items": objects}));

    // The context names the namespace `kubectl apply` uses for objects that name none.
    let text = std::fs::read_to_string(&server.kubeconfig).unwrap();
    let with_namespace = text.replace(
        "    user: pullpath-test\ncurrent-context",
        "    user: pullpath-test\n    namespace: shop\ncurrent-context",
    );
    assert_ne!(
        text, with_namespace,
        "the kubeconfig's context is where expected"
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, with_namespace).unwrap();

    let manifest = |service_account: Option<&str>| {
        let mut spec = json!({"containers": [{"name": "payment-api", "image": PRIVATE_IMAGE}]});
        if let Some(account) = service_account {
            spec["serviceAccountName"] = json!(account);
        }
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "payment-api"},
            "spec": {
                "selector": {"matchLabels": {"app": "payment-api"}},
                "template": {"metadata": {"labels": {"app": "payment-api"}}, "spec": spec}
            }
        });
        let file = dir.path().join(format!(
            "payment-api-{}.json",
            service_account.unwrap_or("unset")
        ));
        std::fs::write(&file, deployment.to_string()).unwrap();
        (file, deployment)
    };

    let (good, good_object) = manifest(Some("payment-api-sa"));
    let gate = audit(&kubeconfig, "json", &["--manifest", good.to_str().unwrap()]);
    assert_eq!(gate.code, 0, "{}{}", gate.run.stdout, gate.run.stderr);
    let judged = outcomes(&gate.report);
    assert_eq!(
        judged,
        expected(&[("shop/Deployment/payment-api", "pass", &[])]),
        "only the manifest's workload, in the context's namespace"
    );
    // Only the manifest's namespace was listed (`legacy`, not `elsewhere/other`), and the
    // cluster-wide nodes.
    assert!(
        gate.run.stderr.contains(": 1 workload objects, 2 nodes"),
        "{}",
        gate.run.stderr
    );

    let (bad, _) = manifest(None);
    let gate = audit(&kubeconfig, "json", &["--manifest", bad.to_str().unwrap()]);
    assert_eq!(gate.code, 3, "{}{}", gate.run.stdout, gate.run.stderr);
    assert_eq!(
        outcomes(&gate.report),
        expected(&[(
            "shop/Deployment/payment-api",
            "fail",
            &["PULL_SECRET_HOST_MISMATCH:error"]
        )])
    );

    // Applied for real (as kubectl apply -n shop would), the live audit agrees with the gate.
    let mut applied = good_object;
    applied["metadata"]["namespace"] = json!(ns);
    server.apply(&json!({"kind": "List", "items": [applied]}));
    let live = audit(&kubeconfig, "json", &["--namespace", ns]);
    let verdicts = outcomes(&live.report);
    assert_eq!(
        verdicts.get("shop/Deployment/payment-api"),
        judged.get("shop/Deployment/payment-api"),
        "{verdicts:?}"
    );
    assert_eq!(
        verdicts.get("shop/Deployment/legacy").map(|v| v.0.as_str()),
        Some("fail")
    );
}
