//! Cost that grows with the cluster's kinds, not its pods: a cluster of 5,000 pods on a real
//! API server is read in a handful of paginated list requests (docs/performance.md,
//! "Kubernetes"). The request count is asserted; the time is only printed (a measurement,
//! not a timed test).

use std::time::Instant;

use k8s_openapi::api::core::v1::{Namespace, Pod, ServiceAccount};
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

use crate::kube_server::KubeServer;
use crate::support::run;

const PODS: usize = 5_000;

/// Creates the pods through the API, 32 requests at a time.
fn create_pods(server: &KubeServer) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let kubeconfig = Kubeconfig::read_from(&server.kubeconfig).unwrap();
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "scale");
        namespaces
            .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "scale"}})).unwrap())
            .await
            .unwrap();
        accounts
            .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "default"}})).unwrap())
            .await
            .unwrap();
        let pods: Api<Pod> = Api::namespaced(client, "scale");
        let all: Vec<usize> = (0..PODS).collect();
        for chunk in all.chunks(32) {
            let creates = chunk.iter().map(|i| {
                let pods = pods.clone();
                let pod: Pod = serde_json::from_value(json!({
                    "metadata": {"name": format!("web-{i}"), "labels": {"app": "web"}},
                    "spec": {
                        "automountServiceAccountToken": false,
                        "containers": [{"name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2"}]
                    }
                }))
                .unwrap();
                async move { pods.create(&PostParams::default(), &pod).await }
            });
            for created in futures::future::join_all(creates).await {
                created.expect("pod created");
            }
        }
    });
}

#[test]
#[ignore = "needs a kube-apiserver and etcd (./scripts/kube-apiserver); ./scripts/test runs it"]
fn five_thousand_pods_cost_a_handful_of_list_requests() {
    let server = KubeServer::start();
    let started = Instant::now();
    create_pods(&server);
    eprintln!(
        "created {PODS} pods in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let kubeconfig = server.kubeconfig.to_str().unwrap();
    let started = Instant::now();
    let audit = run(&[
        "audit",
        "--snapshot",
        "fixtures/kubernetes/aws-side.json",
        "--kubeconfig",
        kubeconfig,
        "--kube-context",
        "pullpath-test",
        "--format",
        "json",
    ]);
    let seconds = started.elapsed().as_secs_f64();
    assert_ne!(audit.code, 2, "{}", audit.stderr);
    assert_ne!(audit.code, 1, "{}", audit.stderr);
    eprintln!(
        "audit of {PODS} pods: {seconds:.2} s; {}",
        audit.stderr.trim()
    );
    let report: serde_json::Value = serde_json::from_str(&audit.stdout).unwrap();
    assert_eq!(report["workloads"].as_array().unwrap().len(), PODS);
    // "read Kubernetes cluster `…` in … with N list requests": 11 kinds, the secrets three
    // ways, and 10 pages of 500 pods.
    let requests: usize = audit
        .stderr
        .split(" list requests")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in {}", audit.stderr));
    assert!(requests <= 30, "{requests} list requests for {PODS} pods");
    assert!(seconds < 600.0, "a blow-up: {seconds} s");
}
