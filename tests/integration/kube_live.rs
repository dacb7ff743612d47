//! The Kubernetes test harness itself (tests/integration/kube_server.rs): a real API server
//! starts, stores what a test writes, validates it as a cluster would, and its kubeconfig
//! is one the `kube` client that pullpath uses reads.

use serde_json::{json, Value};

use crate::kube_server::KubeServer;

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
