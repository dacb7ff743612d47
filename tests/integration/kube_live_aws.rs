//! The fully live Kubernetes path: pullpath reads the cluster from a real API server
//! (tests/integration/kube_server.rs) AND its AWS side from the emulator
//! (tests/integration/emulator.rs) — no `--snapshot`. `tests/live/kube_seed.py` seeds the
//! account of an EKS cluster (VPC, private subnets behind a NAT gateway, two node instances
//! with the node role's instance profile, ECR repository `web` with `1.4.2`, EKS cluster
//! `shop` with Fargate profile `payments` selecting namespace `fargate-ns`); each test then
//! writes into the API server the Nodes those instances are (`spec.providerID`
//! `aws:///ZONE/INSTANCE`, Ready) and a Deployment pulling the seeded image, and runs
//! `pullpath audit --kubeconfig … --kube-context pullpath-test` against the emulator.
//!
//! Each test starts its own emulator and API server (about 400 MB), the API server in a
//! thread while the emulator starts and is seeded.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

use crate::emulator::Moto;
use crate::kube_server::KubeServer;
use crate::support::{run, Run};

/// The kubeconfig context (and so the report's `cluster`) of the harness.
const CONTEXT: &str = "pullpath-test";
const NAMESPACE: &str = "payments";
/// The Deployment `web` of namespace `payments`, as the report names it.
const WEB: &str = "payments/Deployment/web";
/// The namespace the seeded Fargate profile `payments` selects.
const FARGATE_NAMESPACE: &str = "fargate-ns";
const FARGATE_WEB: &str = "fargate-ns/Deployment/web";
const EKS_CLUSTER: &str = "shop";
const TAG: &str = "1.4.2";
/// What pullpath says on stderr once it has read the AWS side live.
const COLLECTED: &str = "collected the AWS side of the Kubernetes cluster";
/// What an ECR pull needs: the registry API, the registry endpoint, the layers in S3.
const ECR_TARGETS: [&str; 3] = ["ecr-api", "ecr-dkr", "s3-layers"];

/// The emulator seeded by kube_seed.py and the API server holding the cluster's objects.
struct Live {
    moto: Moto,
    kube: KubeServer,
    /// What kube_seed.py printed (ids of the seeded account).
    seeded: Value,
}

/// Runs tests/live/kube_seed.py against `moto` (it resets the emulator first) with
/// `options`; returns what it printed.
fn kube_seed(moto: &Moto, options: &[&str]) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(root.join(".venv-moto/bin/python"))
        .arg(root.join("tests/live/kube_seed.py"))
        .args(["--endpoint", &moto.url])
        .args(options)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "kube_seed.py {options:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "kube_seed.py printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Starts both servers, seeds the account with kube_seed.py `options`, and writes the nodes
/// and namespace `payments` (its `default` service account, Deployment `web` pulling the
/// seeded image).
fn start(options: &[&str]) -> Live {
    // The API server takes seconds to become ready: it starts while the emulator is seeded.
    let kube = std::thread::spawn(KubeServer::start);
    let aws = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let moto = Moto::start();
        let seeded = kube_seed(&moto, options);
        (moto, seeded)
    }));
    // Joined before any panic goes on, so that a started API server is always stopped.
    let kube = kube.join();
    let (moto, seeded) = aws.unwrap_or_else(|e| std::panic::resume_unwind(e));
    let kube = kube.unwrap_or_else(|e| std::panic::resume_unwind(e));
    create_nodes(&kube, &seeded);
    let live = Live { moto, kube, seeded };
    live.add_namespace(NAMESPACE);
    live
}

impl Live {
    /// `REPOSITORY_URI:1.4.2`.
    fn image(&self) -> String {
        format!("{}:{TAG}", str_of(&self.seeded["repository_uri"]))
    }

    /// The seeded node instances, sorted.
    fn instance_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = instances(&self.seeded)
            .iter()
            .map(|i| str_of(&i["id"]).to_string())
            .collect();
        ids.sort();
        ids
    }

    fn private_subnets(&self) -> BTreeSet<String> {
        self.seeded["private_subnets"]
            .as_array()
            .expect("private_subnets[]")
            .iter()
            .map(|s| str_of(s).to_string())
            .collect()
    }

    /// Namespace `name`, its `default` service account (no controller creates it) and a
    /// Deployment `web` pulling the seeded image.
    fn add_namespace(&self, name: &str) {
        self.kube.apply(&json!({"kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
            {"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "default", "namespace": name}},
            deployment(name, "web", &self.image()),
        ]}));
    }

    /// `pullpath audit` of namespaces `namespaces`, the cluster read through the API server
    /// and the AWS side from the emulator (no snapshot), as JSON.
    fn audit(&self, namespaces: &[&str], extra: &[&str]) -> Audit {
        let mut args = vec![
            "audit",
            "--kubeconfig",
            self.kube.kubeconfig.to_str().unwrap(),
            "--kube-context",
            CONTEXT,
        ];
        for namespace in namespaces {
            args.extend(["--namespace", namespace]);
        }
        args.extend(["--format", "json"]);
        // The harness's kubeconfig does not name the EKS cluster (an `aws eks
        // update-kubeconfig` one does): the EKS nodes' Fargate profiles need it.
        if !extra.contains(&"--eks-cluster") && !extra.contains(&"--no-eks-cluster") {
            args.extend(["--eks-cluster", EKS_CLUSTER]);
        }
        args.extend(extra.iter().filter(|a| **a != "--no-eks-cluster"));
        Audit::of(&args, self.moto.run(&args))
    }
}

fn str_of(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

fn instances(seeded: &Value) -> &Vec<Value> {
    seeded["instances"].as_array().expect("instances[]")
}

/// A Deployment whose pods run `image` (no controller makes its pods; pullpath audits the
/// template).
fn deployment(namespace: &str, name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    // No token controller runs to make the account's token (kube_server.rs).
                    "automountServiceAccountToken": false,
                    "containers": [{"name": name, "image": image}]
                }
            }
        }
    })
}

/// One Node per seeded instance, named by the instance's private DNS name (`ip-…`), its
/// providerID `aws:///ZONE/INSTANCE` as the AWS cloud provider sets it, Ready (written
/// through the status subresource, as a kubelet does).
fn create_nodes(server: &KubeServer, seeded: &Value) {
    for instance in instances(seeded) {
        let (id, zone) = (str_of(&instance["id"]), str_of(&instance["az"]));
        let name = str_of(&instance["private_dns"]);
        assert!(
            name.starts_with("ip-"),
            "kube_seed.py gave instance {id} the private DNS name {name:?}"
        );
        server.add_eks_node(name, zone, id);
    }
}

/// One run of pullpath with a JSON report on stdout.
struct Audit {
    code: i32,
    report: Value,
    run: Run,
    args: String,
}

impl Audit {
    fn of(args: &[&str], run: Run) -> Audit {
        let report = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "pullpath {args:?} printed no JSON report ({e}); exit {}\nstdout: {}\nstderr: {}",
                run.code, run.stdout, run.stderr
            )
        });
        Audit {
            code: run.code,
            report,
            run,
            args: args.join(" "),
        }
    }

    /// Everything to show when an assertion fails: the command, exit code, stderr, report.
    fn context(&self) -> String {
        format!(
            "pullpath {}\nexit {}\nstderr: {}\nreport: {}",
            self.args,
            self.code,
            self.run.stderr,
            serde_json::to_string_pretty(&self.report).unwrap()
        )
    }

    fn workload(&self, service: &str) -> &Value {
        self.report["workloads"]
            .as_array()
            .unwrap_or_else(|| panic!("no workloads[]\n{}", self.context()))
            .iter()
            .find(|w| w["service"] == service)
            .unwrap_or_else(|| panic!("no workload {service} in the report\n{}", self.context()))
    }

    /// The workloads' names, sorted.
    fn services(&self) -> Vec<String> {
        let mut names: Vec<String> = self.report["workloads"]
            .as_array()
            .unwrap_or_else(|| panic!("no workloads[]\n{}", self.context()))
            .iter()
            .map(|w| str_of(&w["service"]).to_string())
            .collect();
        names.sort();
        names
    }

    fn status(&self, service: &str) -> &str {
        str_of(&self.workload(service)["status"])
    }

    /// The workload's findings as `CODE:severity`, sorted.
    fn findings(&self, service: &str) -> Vec<String> {
        let mut codes: Vec<String> = self.workload(service)["findings"]
            .as_array()
            .expect("findings[]")
            .iter()
            .map(|f| format!("{}:{}", str_of(&f["code"]), str_of(&f["severity"])))
            .collect();
        codes.sort();
        codes
    }

    fn finding(&self, service: &str, code: &str) -> &Value {
        self.workload(service)["findings"]
            .as_array()
            .expect("findings[]")
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{service} has no {code} finding\n{}", self.context()))
    }

    /// The workload's requirements of `target` (one per origin the pull may start from).
    fn requirements(&self, service: &str, target: &str) -> Vec<&Value> {
        let found: Vec<&Value> = self.workload(service)["requirements"]
            .as_array()
            .expect("requirements[]")
            .iter()
            .filter(|r| r["target"] == target)
            .collect();
        assert!(
            !found.is_empty(),
            "{service} has no {target} requirement\n{}",
            self.context()
        );
        found
    }

    /// Every ECR requirement (registry API, registry endpoint, layers) of `service` is
    /// reachable through the NAT gateway.
    fn assert_ecr_via_nat(&self, service: &str) {
        for target in ECR_TARGETS {
            for requirement in self.requirements(service, target) {
                assert_eq!(
                    (&requirement["status"], &requirement["via"]),
                    (&json!("reachable"), &json!("nat")),
                    "{service}: {target}\n{}",
                    self.context()
                );
            }
        }
    }

    /// Every ECR requirement of `service` leaves through the NAT gateway and the internet
    /// gateway (the network is sound) and is blocked by `code` findings only.
    fn assert_ecr_via_nat_blocked_by(&self, service: &str, code: &str) {
        for target in ECR_TARGETS {
            for requirement in self.requirements(service, target) {
                assert_eq!(requirement["via"], "nat", "{target}\n{}", self.context());
                let hops: Vec<&Value> = requirement["path"]
                    .as_array()
                    .expect("path[]")
                    .iter()
                    .map(|hop| &hop["kind"])
                    .collect();
                for kind in ["nat-gateway", "internet-gateway"] {
                    assert!(
                        hops.contains(&&json!(kind)),
                        "{target} does not pass a {kind}\n{}",
                        self.context()
                    );
                }
                let blockers = requirement["blockers"].as_array().expect("blockers[]");
                assert!(
                    !blockers.is_empty() && blockers.iter().all(|b| b["code"] == code),
                    "{target}: blockers other than {code}, or none\n{}",
                    self.context()
                );
            }
        }
    }

    /// stderr says the AWS side was read live, and with how many calls.
    fn assert_collected_live(&self) {
        let line = self
            .run
            .stderr
            .lines()
            .find(|l| l.contains(COLLECTED))
            .unwrap_or_else(|| panic!("stderr has no {COLLECTED:?} line\n{}", self.context()));
        assert!(
            line.contains("AWS calls"),
            "the collection line gives no call count: {line}"
        );
    }

    /// The report's scope says what docs/report.md says of a scope this run read: `source`
    /// `live`, no snapshot file, the AWS calls it made and how long it took.
    fn assert_live_scope(&self) {
        let scope = &self.report["scopes"][0];
        let calls = scope["calls"].as_u64().unwrap_or(0);
        assert!(
            scope["source"] == "live"
                && scope["snapshot"].is_null()
                && calls > 0
                && scope["seconds"].is_number(),
            "a live Kubernetes audit reports its scope as {{source: {}, snapshot: {}, calls: {}, \
             seconds: {}}}; docs/report.md: source `live` (read by this run), snapshot null, \
             calls and seconds given\n{}",
            scope["source"],
            scope["snapshot"],
            scope["calls"],
            scope["seconds"],
            self.context()
        );
    }

    /// The scope read everything but CronJobs (served as batch/v1 from Kubernetes 1.21
    /// only; the harness's server is 1.20): no denied action, no other failed call.
    fn assert_nothing_unread(&self) {
        let scope = &self.report["scopes"][0];
        assert_eq!(scope["denied_actions"], json!([]), "{}", self.context());
        for call in scope["failed_calls"].as_array().expect("failed_calls[]") {
            assert!(
                str_of(call).contains("cronjobs"),
                "a call other than list cronjobs failed: {call}\n{}",
                self.context()
            );
        }
    }
}

/// (a) The healthy cluster: the Deployment's pods run on the two EC2 nodes, whose private
/// subnets reach ECR and S3 through the NAT gateway, and whose node role may pull: a pass.
#[test]
#[ignore = "needs the AWS emulator and a kube-apiserver; ./scripts/test runs it"]
fn a_healthy_cluster_passes_read_live() {
    let live = start(&[]);
    // EKS nodes, and no EKS cluster named: a Fargate profile could take the pods, so unknown.
    let unnamed = live.audit(&[NAMESPACE], &["--no-eks-cluster"]);
    assert_eq!(unnamed.code, 4, "{}", unnamed.context());
    assert!(
        unnamed.run.stdout.contains("audit with --eks-cluster NAME"),
        "{}",
        unnamed.context()
    );
    let audit = live.audit(&[NAMESPACE], &[]);
    assert_eq!(audit.code, 0, "{}", audit.context());
    audit.assert_collected_live();
    audit.assert_nothing_unread();
    assert_eq!(audit.services(), [WEB], "{}", audit.context());
    let web = audit.workload(WEB);
    assert_eq!(web["cluster"], CONTEXT);
    assert_eq!(web["account_id"], str_of(&live.seeded["account"]));
    assert_eq!(web["region"], "us-east-1");
    assert_eq!(audit.status(WEB), "pass", "{}", audit.context());
    assert!(
        audit.findings(WEB).iter().all(|f| f.ends_with(":info")),
        "{}",
        audit.context()
    );
    assert_eq!(web["launch"]["type"], "ec2", "{}", audit.context());
    let mut audited: Vec<String> = web["launch"]["instances"]
        .as_array()
        .unwrap_or_else(|| panic!("no launch.instances\n{}", audit.context()))
        .iter()
        .map(|i| str_of(i).to_string())
        .collect();
    audited.sort();
    assert_eq!(audited, live.instance_ids(), "{}", audit.context());
    audit.assert_ecr_via_nat(WEB);
    audit.assert_live_scope();
}

/// (b) The node role has no ECR policy: the kubelet cannot get an ECR token or the image.
#[test]
#[ignore = "needs the AWS emulator and a kube-apiserver; ./scripts/test runs it"]
fn b_node_role_without_ecr_is_found_live() {
    let live = start(&["--node-role-without-ecr"]);
    let audit = live.audit(&[NAMESPACE], &[]);
    assert_eq!(audit.code, 3, "{}", audit.context());
    audit.assert_collected_live();
    audit.assert_nothing_unread();
    assert_eq!(audit.status(WEB), "fail", "{}", audit.context());
    assert!(
        audit
            .findings(WEB)
            .contains(&"NODE_ROLE_PERMISSION_MISSING:error".to_string()),
        "{}",
        audit.context()
    );
    let role = str_of(&live.seeded["node_role_arn"]);
    let mut actions = Vec::new();
    for finding in audit.workload(WEB)["findings"].as_array().unwrap() {
        assert_eq!(
            (&finding["code"], &finding["resource_id"]),
            (&json!("NODE_ROLE_PERMISSION_MISSING"), &json!(role)),
            "{}",
            audit.context()
        );
        let message = str_of(&finding["message"]);
        assert!(message.contains("node role"), "{message}");
        actions.extend(
            [
                "ecr:GetAuthorizationToken",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ]
            .into_iter()
            .filter(|a| message.contains(&format!("{a} "))),
        );
    }
    actions.sort();
    assert_eq!(
        actions,
        [
            "ecr:BatchGetImage",
            "ecr:GetAuthorizationToken",
            "ecr:GetDownloadUrlForLayer"
        ],
        "one finding per missing pull action\n{}",
        audit.context()
    );
    // The network is fine: only the role is at fault.
    audit.assert_ecr_via_nat_blocked_by(WEB, "NODE_ROLE_PERMISSION_MISSING");
    audit.assert_live_scope();
}

/// (c) The private route table has no default route: the nodes reach neither ECR nor S3.
#[test]
#[ignore = "needs the AWS emulator and a kube-apiserver; ./scripts/test runs it"]
fn c_private_subnets_without_a_route_are_found_live() {
    let live = start(&["--no-nat-route"]);
    let audit = live.audit(&[NAMESPACE], &[]);
    assert_eq!(audit.code, 3, "{}", audit.context());
    audit.assert_collected_live();
    audit.assert_nothing_unread();
    assert_eq!(audit.status(WEB), "fail", "{}", audit.context());
    assert!(
        audit
            .findings(WEB)
            .iter()
            .any(|f| f.starts_with("NO_ROUTE:")),
        "{}",
        audit.context()
    );
    assert!(
        !audit
            .findings(WEB)
            .iter()
            .any(|f| f.starts_with("NODE_ROLE_PERMISSION_MISSING:")),
        "{}",
        audit.context()
    );
    for target in ECR_TARGETS {
        for requirement in audit.requirements(WEB, target) {
            assert_ne!(
                requirement["status"],
                "reachable",
                "{target}\n{}",
                audit.context()
            );
        }
    }
    audit.assert_live_scope();
}

/// (d) With `--eks-cluster shop`, a Deployment in namespace `fargate-ns`, which the Fargate
/// profile `payments` selects, runs on Fargate. The emulator's DescribeCluster has no cluster
/// security group (EKS gives Fargate pods that group, never the VPC's default one), so live
/// the pods' egress is unknown: not a pass. The Deployment of `payments` (no profile selects
/// it) still runs on the nodes and passes.
#[test]
#[ignore = "needs the AWS emulator and a kube-apiserver; ./scripts/test runs it"]
fn d_a_pod_selected_by_a_fargate_profile_is_audited_on_fargate() {
    let live = start(&[]);
    live.add_namespace(FARGATE_NAMESPACE);
    let audit = live.audit(
        &[NAMESPACE, FARGATE_NAMESPACE],
        &["--eks-cluster", EKS_CLUSTER],
    );
    audit.assert_collected_live();
    audit.assert_nothing_unread();
    assert_eq!(audit.services(), [FARGATE_WEB, WEB], "{}", audit.context());
    assert_eq!(audit.status(WEB), "pass", "{}", audit.context());
    assert_eq!(audit.workload(WEB)["launch"]["type"], "ec2");
    audit.assert_ecr_via_nat(WEB);
    let fargate = audit.workload(FARGATE_WEB);
    assert_eq!(fargate["launch"]["type"], "fargate", "{}", audit.context());
    assert_eq!(audit.status(FARGATE_WEB), "unknown", "{}", audit.context());
    let gap = audit.finding(FARGATE_WEB, "NOT_COLLECTED");
    assert!(
        str_of(&gap["message"]).contains("cluster security group"),
        "{gap}"
    );
    assert_eq!(audit.code, 4, "{}", audit.context());
    audit.assert_live_scope();

    // With the gap filled (the cluster security group EKS would report: the nodes' group),
    // the Fargate pod is audited from the profile's subnets through that group and passes.
    let dir = tempfile::tempdir().unwrap();
    let snapshot = live.collect_with_cluster_group(&dir, &[NAMESPACE, FARGATE_NAMESPACE]);
    let audit = live.audit_snapshot(&snapshot, &[NAMESPACE, FARGATE_NAMESPACE]);
    assert_eq!(audit.code, 0, "{}", audit.context());
    assert_eq!(audit.status(FARGATE_WEB), "pass", "{}", audit.context());
    let subnets = live.private_subnets();
    let node_group = str_of(&live.seeded["node_security_group"]);
    for target in ECR_TARGETS {
        for requirement in audit.requirements(FARGATE_WEB, target) {
            let path = requirement["path"].as_array().expect("a path");
            assert_eq!(path[0]["kind"], "subnet", "{}", audit.context());
            assert!(
                subnets.contains(str_of(&path[0]["id"])),
                "{}",
                audit.context()
            );
            assert_eq!(path[1]["id"], node_group, "{}", audit.context());
        }
    }
}

/// (d) continued: the pod execution role, not the node role, pulls a Fargate pod's image.
/// With a pod execution role that has no policy, the Fargate pod fails on that role while the
/// pod on the nodes (whose role may pull) passes.
#[test]
#[ignore = "needs the AWS emulator and a kube-apiserver; ./scripts/test runs it"]
fn d_a_fargate_pod_pulls_with_the_pod_execution_role() {
    let live = start(&["--fargate-role-without-ecr"]);
    live.add_namespace(FARGATE_NAMESPACE);
    let dir = tempfile::tempdir().unwrap();
    let snapshot = live.collect_with_cluster_group(&dir, &[NAMESPACE, FARGATE_NAMESPACE]);
    let audit = live.audit_snapshot(&snapshot, &[NAMESPACE, FARGATE_NAMESPACE]);
    assert_eq!(audit.code, 3, "{}", audit.context());
    assert_eq!(audit.status(WEB), "pass", "{}", audit.context());
    assert_eq!(audit.status(FARGATE_WEB), "fail", "{}", audit.context());
    assert_eq!(audit.workload(FARGATE_WEB)["launch"]["type"], "fargate");
    let fargate_role = str_of(&live.seeded["fargate_role_arn"]);
    let finding = audit.finding(FARGATE_WEB, "NODE_ROLE_PERMISSION_MISSING");
    assert_eq!(finding["severity"], "error", "{}", audit.context());
    assert_eq!(finding["resource_id"], fargate_role, "{}", audit.context());
    assert!(
        str_of(&finding["message"]).contains("pod execution role"),
        "{finding}"
    );
    let node_role = str_of(&live.seeded["node_role_arn"]);
    assert!(
        !audit.workload(FARGATE_WEB).to_string().contains(node_role),
        "the Fargate pod's audit names the node role\n{}",
        audit.context()
    );
}

impl Live {
    /// `collect` of the cluster and its AWS side with `--eks-cluster`, the emulator's missing
    /// cluster security group filled with the nodes' group (moto's DescribeCluster has none;
    /// EKS always reports one).
    fn collect_with_cluster_group(
        &self,
        dir: &tempfile::TempDir,
        namespaces: &[&str],
    ) -> std::path::PathBuf {
        let out = dir.path().join("kube-snapshot.json");
        let mut args = vec![
            "collect",
            "--kubeconfig",
            self.kube.kubeconfig.to_str().unwrap(),
            "--kube-context",
            CONTEXT,
            "--eks-cluster",
            EKS_CLUSTER,
            "--out",
            out.to_str().unwrap(),
        ];
        for namespace in namespaces {
            args.extend(["--namespace", namespace]);
        }
        let collected = self.moto.run(&args);
        assert_eq!(collected.code, 0, "{args:?}: {}", collected.stderr);
        let mut snapshot: Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert!(
            snapshot["eks_clusters"][0]["cluster_security_group"].is_null(),
            "the emulator now reports a cluster security group: drop the patch"
        );
        snapshot["eks_clusters"][0]["cluster_security_group"] =
            self.seeded["node_security_group"].clone();
        std::fs::write(&out, serde_json::to_string(&snapshot).unwrap()).unwrap();
        out
    }

    /// `audit --snapshot FILE` of namespaces `namespaces`, as JSON.
    fn audit_snapshot(&self, snapshot: &std::path::Path, namespaces: &[&str]) -> Audit {
        let mut args = vec!["audit", "--snapshot", snapshot.to_str().unwrap()];
        for namespace in namespaces {
            args.extend(["--namespace", namespace]);
        }
        args.extend(["--format", "json"]);
        Audit::of(&args, crate::support::run(&args))
    }
}

/// (e) `collect --kubeconfig … --out FILE` writes the cluster and its AWS side into one
/// snapshot; auditing it offline gives the live audit's verdicts.
#[test]
#[ignore = "needs the AWS emulator and a kube-apiserver; ./scripts/test runs it"]
fn e_a_collected_kube_snapshot_audits_like_the_live_cluster() {
    let live = start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kube-snapshot.json");
    let kubeconfig = live.kube.kubeconfig.to_str().unwrap();
    let collect_args = [
        "collect",
        "--kubeconfig",
        kubeconfig,
        "--kube-context",
        CONTEXT,
        "--eks-cluster",
        EKS_CLUSTER,
        "--out",
        out.to_str().unwrap(),
    ];
    let collected = live.moto.run(&collect_args);
    assert_eq!(
        collected.code, 0,
        "pullpath {collect_args:?}\nstdout: {}\nstderr: {}",
        collected.stdout, collected.stderr
    );
    assert!(
        collected.stderr.contains(COLLECTED),
        "stderr: {}",
        collected.stderr
    );
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("the snapshot written"))
            .expect("the snapshot is JSON");
    assert_eq!(
        snapshot["kube_clusters"][0]["name"], CONTEXT,
        "{}",
        snapshot["kube_clusters"]
    );
    let mut ids: Vec<String> = snapshot["instances"]
        .as_array()
        .expect("instances[] in the snapshot")
        .iter()
        .map(|i| str_of(&i["id"]).to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, live.instance_ids());

    let live_audit = live.audit(&[NAMESPACE], &[]);
    let offline_args = [
        "audit",
        "--snapshot",
        out.to_str().unwrap(),
        "--namespace",
        NAMESPACE,
        "--format",
        "json",
    ];
    let offline = Audit::of(&offline_args, run(&offline_args));
    assert_eq!(offline.code, live_audit.code, "{}", offline.context());
    assert_eq!(offline.code, 0, "{}", offline.context());
    assert_eq!(
        offline.report["workloads"],
        live_audit.report["workloads"],
        "offline:\n{}\nlive:\n{}",
        offline.context(),
        live_audit.context()
    );
    assert_eq!(offline.status(WEB), "pass");
    offline.assert_ecr_via_nat(WEB);
    assert!(
        !offline.run.stderr.contains(COLLECTED),
        "the offline audit collected: {}",
        offline.run.stderr
    );
}
