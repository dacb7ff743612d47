//! A real Kubernetes API server (kube-apiserver 1.20 on its own etcd) for one test, on free
//! loopback ports, in a temporary directory removed when the server is dropped.
//!
//! `scripts/kube-apiserver` builds the binary once per machine (from Debian's `kubernetes`
//! source package; recipe in ../shared/docs/kubernetes-apiserver.md) and installs etcd;
//! `scripts/test` runs it and passes the binary's path in `PULLPATH_KUBE_APISERVER`. Every
//! test that starts a server is `#[ignore = "needs a kube-apiserver and etcd
//! (./scripts/kube-apiserver); ./scripts/test runs it"]`: a plain `cargo test` lists it as
//! ignored, and run without the server it fails (`KubeServer::start` panics saying how to
//! build it), never passes unrun.
//!
//! There is no controller-manager, scheduler or kubelet: nothing creates pods for a
//! Deployment, namespaces get no `default` service account, and pod status, nodes and events
//! exist only when the test writes them ([`KubeServer::apply`], [`KubeServer::set_pod_status`]).
//! Pods must say `automountServiceAccountToken: false`: the service-account admission plugin
//! otherwise wants the account's token secret, which only the (absent) token controller makes.
//! The plugin still requires the pod's service account (`default` when none is named) to
//! exist, so a test creates it before its pods.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long the API server may take to answer `/readyz` (13 s cold, 7 s warm on 2 cores).
const READY_WITHIN: Duration = Duration::from_secs(60);

/// Attempts at starting: another process can take a free port between our probing it and
/// etcd or the API server binding it; only that failure ("address already in use") is retried.
const ATTEMPTS: usize = 3;

/// etcd's well-known ports: the system etcd that Debian's etcd-server package starts listens
/// there, and a test must never write into it.
const ETCD_SYSTEM_PORTS: [u16; 2] = [2379, 2380];

pub struct KubeServer {
    apiserver: Child,
    etcd: Child,
    /// A kubeconfig (token auth, TLS unverified) whose only context and cluster are named
    /// `pullpath-test`.
    pub kubeconfig: PathBuf,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// A bearer token in `system:masters`.
    pub token: String,
    dir: tempfile::TempDir,
}

/// An HTTP answer of the API server: its status code and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the API server answered non-JSON ({e}): {}", self.body))
    }
}

/// The kinds [`KubeServer::apply`] creates: kind, the apiVersion this 1.20 server serves it
/// as, the resource's plural, and whether it lives in a namespace.
const KINDS: &[(&str, &str, &str, bool)] = &[
    ("Namespace", "v1", "namespaces", false),
    ("Node", "v1", "nodes", false),
    ("ServiceAccount", "v1", "serviceaccounts", true),
    ("Secret", "v1", "secrets", true),
    ("Pod", "v1", "pods", true),
    ("Event", "v1", "events", true),
    ("Deployment", "apps/v1", "deployments", true),
    ("StatefulSet", "apps/v1", "statefulsets", true),
    ("DaemonSet", "apps/v1", "daemonsets", true),
    ("ReplicaSet", "apps/v1", "replicasets", true),
    ("Job", "batch/v1", "jobs", true),
    // batch/v1 CronJob arrived in 1.21.
    ("CronJob", "batch/v1beta1", "cronjobs", true),
    // RBAC, to grant a second user less than the admin (`start_with_tokens`).
    (
        "ClusterRole",
        "rbac.authorization.k8s.io/v1",
        "clusterroles",
        false,
    ),
    (
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io/v1",
        "clusterrolebindings",
        false,
    ),
    ("Role", "rbac.authorization.k8s.io/v1", "roles", true),
    (
        "RoleBinding",
        "rbac.authorization.k8s.io/v1",
        "rolebindings",
        true,
    ),
];

/// The kube-apiserver binary: `PULLPATH_KUBE_APISERVER` (set by `scripts/test`), else where
/// `scripts/kube-apiserver` caches it.
fn apiserver_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PULLPATH_KUBE_APISERVER") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("PULLPATH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/pullpath")
        });
    cache.join("kube-apiserver")
}

const ETCD: &str = "/usr/bin/etcd";

/// `count` distinct free loopback ports, none of etcd's well-known ones. The listeners stay
/// open until all are picked, so the ports differ from each other.
fn free_ports(count: usize) -> Vec<u16> {
    let mut listeners = Vec::new();
    while listeners.len() < count {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("a bound address").port();
        if !ETCD_SYSTEM_PORTS.contains(&port) {
            listeners.push(listener);
        }
    }
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// The last `lines` lines of a log file (or why there are none).
fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("({} unreadable: {e})", path.display()),
    }
}

fn log_file(path: &Path) -> std::fs::File {
    std::fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A service-account signing key pair (`sa.key`, `sa.pub`) and a token file with one token
/// in `system:masters`, then `extra` (token, user name): users in no group, who may do only
/// what RBAC objects the test creates grant them; returns the admin's token.
fn write_credentials(dir: &Path, extra: &[(&str, &str)]) -> String {
    let key = dir.join("sa.key");
    for args in [
        vec!["genrsa", "-out", key.to_str().unwrap(), "2048"],
        vec![
            "rsa",
            "-in",
            key.to_str().unwrap(),
            "-pubout",
            "-out",
            dir.join("sa.pub").to_str().unwrap(),
        ],
    ] {
        let output = Command::new("openssl")
            .args(&args)
            .output()
            .expect("openssl runs (the service-account key pair)");
        assert!(
            output.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let token: String = (0..32)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap())
        .collect();
    let mut lines = format!("{token},admin,admin,system:masters\n");
    for (extra_token, user) in extra {
        assert!(
            !extra_token.contains(',') && !user.contains(','),
            "a token or user with a comma: {extra_token:?}, {user:?}"
        );
        lines.push_str(&format!("{extra_token},{user},{user}\n"));
    }
    std::fs::write(dir.join("tokens.csv"), lines).unwrap();
    token
}

fn write_kubeconfig(path: &Path, url: &str, token: &str) {
    std::fs::write(
        path,
        format!(
            "apiVersion: v1
kind: Config
clusters:
- name: pullpath-test
  cluster:
    server: {url}
    insecure-skip-tls-verify: true
users:
- name: pullpath-test
  user:
    token: {token}
contexts:
- name: pullpath-test
  context:
    cluster: pullpath-test
    user: pullpath-test
current-context: pullpath-test
"
        ),
    )
    .unwrap();
}

impl KubeServer {
    /// Starts etcd and the API server and waits until it is ready; panics, saying how to
    /// build them, when either is missing, and with the servers' log tails when they fail.
    pub fn start() -> KubeServer {
        KubeServer::start_with_tokens(&[])
    }

    /// As [`KubeServer::start`], with more users: `extra` is (bearer token, user name), each
    /// in no group (so allowed nothing but discovery until a test binds it a role);
    /// [`KubeServer::kubeconfig_for`] writes a kubeconfig that authenticates as one.
    pub fn start_with_tokens(extra: &[(&str, &str)]) -> KubeServer {
        let binary = apiserver_binary();
        assert!(
            binary.is_file() && Path::new(ETCD).is_file(),
            "a Kubernetes API server is missing: {} or {ETCD} does not exist. Build and install \
             them with `./scripts/kube-apiserver` (it prints the binary's path; set \
             PULLPATH_KUBE_APISERVER to it if it is not under ~/.cache/pullpath), or run the \
             whole suite with `./scripts/test`, which does.",
            binary.display()
        );
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            match KubeServer::try_start(&binary, extra) {
                Ok(server) => return server,
                Err(failure) if failure.contains("address already in use") => {
                    failures.push(failure)
                }
                Err(failure) => panic!("{failure}"),
            }
        }
        panic!(
            "the Kubernetes API server did not start in {ATTEMPTS} attempts, each losing a port \
             to another process:\n{}",
            failures.join("\n\n")
        )
    }

    fn try_start(binary: &Path, extra: &[(&str, &str)]) -> Result<KubeServer, String> {
        let started = Instant::now();
        let dir = tempfile::Builder::new()
            .prefix("pullpath-kube-")
            .tempdir()
            .expect("a temporary directory");
        let token = write_credentials(dir.path(), extra);
        let [etcd_client, etcd_peer, secure] = free_ports(3)[..] else {
            unreachable!()
        };
        let url = format!("https://127.0.0.1:{secure}");
        let kubeconfig = dir.path().join("kubeconfig.yaml");
        write_kubeconfig(&kubeconfig, &url, &token);

        let etcd = spawn_etcd(dir.path(), etcd_client, etcd_peer);
        let apiserver = spawn_apiserver(binary, dir.path(), etcd_client, secure);
        // Built now, so that a failure below stops both processes (Drop) however it ends.
        let mut server = KubeServer {
            apiserver,
            etcd,
            kubeconfig,
            url,
            token,
            dir,
        };
        server.wait_ready().map_err(|why| {
            format!(
                "the Kubernetes API server at {} did not become ready: {why}\n\
                 --- kube-apiserver log (tail) ---\n{}\n--- etcd log (tail) ---\n{}",
                server.url,
                tail(&server.dir.path().join("kube-apiserver.log"), 40),
                tail(&server.dir.path().join("etcd.log"), 15),
            )
        })?;
        eprintln!(
            "kube-apiserver ready at {} in {:.1} s",
            server.url,
            started.elapsed().as_secs_f64()
        );
        Ok(server)
    }

    /// A kubeconfig like [`KubeServer::kubeconfig`] (its context named `pullpath-test` too)
    /// that authenticates with `token` (one given to [`KubeServer::start_with_tokens`]);
    /// written in the server's directory as `kubeconfig-NAME.yaml`.
    pub fn kubeconfig_for(&self, name: &str, token: &str) -> PathBuf {
        let path = self.dir.path().join(format!("kubeconfig-{name}.yaml"));
        write_kubeconfig(&path, &self.url, token);
        path
    }

    /// Polls `/readyz` until it answers 200, either process exits, or time runs out.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = self.etcd.try_wait().unwrap() {
                return Err(format!("etcd exited ({status})"));
            }
            if let Some(status) = self.apiserver.try_wait().unwrap() {
                return Err(format!("kube-apiserver exited ({status})"));
            }
            let response = self.request("GET", "/readyz", None, None);
            if response.status == 200 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "not ready within {} s; /readyz answered {}: {}",
                    READY_WITHIN.as_secs(),
                    response.status,
                    response.body
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// One request to the API server with the bearer token, through `curl` (reqwest has no
    /// blocking client in this build). `body` is sent as `content_type`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut command = Command::new("curl");
        command
            .args(["-sk", "--max-time", "20", "-X", method])
            .arg("-H")
            .arg(format!("Authorization: Bearer {}", self.token))
            .args(["-H", "Accept: application/json"])
            .args(["-w", "\n%{http_code}"])
            .arg(format!("{}{path}", self.url))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(content_type) = content_type {
            command
                .arg("-H")
                .arg(format!("Content-Type: {content_type}"));
        }
        if body.is_some() {
            command.args(["--data-binary", "@-"]).stdin(Stdio::piped());
        }
        let mut child = command.spawn().expect("curl runs");
        if let Some(body) = body {
            let mut stdin = child.stdin.take().unwrap();
            stdin
                .write_all(body.to_string().as_bytes())
                .expect("the request body written to curl");
        }
        let output = child.wait_with_output().expect("curl ends");
        let text = String::from_utf8_lossy(&output.stdout);
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        let status = code.trim().parse().unwrap_or(0);
        let body = if status == 0 {
            // No HTTP answer (connection refused while starting…): curl says why.
            format!("curl: {}", String::from_utf8_lossy(&output.stderr).trim())
        } else {
            body.to_string()
        };
        Response { status, body }
    }

    /// GETs `path` (`/api/v1/namespaces/shop/pods/web`…); panics unless it answers 200.
    pub fn get(&self, path: &str) -> Value {
        let response = self.request("GET", path, None, None);
        assert_eq!(
            response.status, 200,
            "GET {path} answered {}: {}",
            response.status, response.body
        );
        response.json()
    }

    /// Creates one object (POST to its collection); returns it as stored, or the server's
    /// refusal. A missing `apiVersion` is the one the kind is served as; a missing namespace
    /// is `default`.
    pub fn create(&self, object: &Value) -> Result<Value, Response> {
        let kind = object["kind"].as_str().expect("an object with a kind");
        let &(_, api_version, plural, namespaced) =
            KINDS.iter().find(|(k, ..)| *k == kind).unwrap_or_else(|| {
                panic!(
                    "KubeServer::create knows no kind {kind}; add it to KINDS (it knows {:?})",
                    KINDS.iter().map(|(k, ..)| k).collect::<Vec<_>>()
                )
            });
        let mut object = object.clone();
        match object["apiVersion"].as_str() {
            None => object["apiVersion"] = Value::from(api_version),
            Some(given) => assert_eq!(
                given, api_version,
                "this Kubernetes 1.20 server serves {kind} as {api_version}, not {given}"
            ),
        }
        let group = if api_version == "v1" {
            "/api/v1".to_string()
        } else {
            format!("/apis/{api_version}")
        };
        let path = if namespaced {
            let namespace = object["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default");
            format!("{group}/namespaces/{namespace}/{plural}")
        } else {
            format!("{group}/{plural}")
        };
        let response = self.request("POST", &path, Some("application/json"), Some(&object));
        if (200..300).contains(&response.status) {
            Ok(response.json())
        } else {
            Err(response)
        }
    }

    /// Creates every object of a `{"kind": "List", "items": [...]}`, in order, or the one
    /// object given; panics with the server's answer when it refuses one.
    pub fn apply(&self, objects: &Value) {
        let items = if objects["kind"] == "List" {
            objects["items"]
                .as_array()
                .expect("a List with items")
                .clone()
        } else {
            vec![objects.clone()]
        };
        for object in &items {
            if let Err(response) = self.create(object) {
                panic!(
                    "the API server refused {} {}/{} ({}): {}",
                    object["kind"],
                    object["metadata"]["namespace"].as_str().unwrap_or("-"),
                    object["metadata"]["name"].as_str().unwrap_or("?"),
                    response.status,
                    response.body
                );
            }
        }
    }

    /// An EKS node named `name` in `zone`, the EC2 instance `instance` by its providerID,
    /// Ready: the status written through the status subresource, as a kubelet does (a create
    /// keeps no `status`).
    pub fn add_eks_node(&self, name: &str, zone: &str, instance: &str) {
        let provider_id = format!("aws:///{zone}/{instance}");
        self.apply(&serde_json::json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "kubernetes.io/hostname": name,
                "topology.kubernetes.io/zone": zone,
                "eks.amazonaws.com/nodegroup": "general"
            }},
            "spec": {"providerID": provider_id}
        }));
        let path = format!("/api/v1/nodes/{name}/status");
        let response = self.request(
            "PATCH",
            &path,
            Some("application/merge-patch+json"),
            Some(&serde_json::json!({"status": {"conditions": [{
                "type": "Ready", "status": "True", "reason": "KubeletReady",
                "message": "kubelet is posting ready status"
            }]}})),
        );
        assert_eq!(response.status, 200, "PATCH {path}: {}", response.body);
        // The API server's TaintNodesByCondition admission gives a new node the taint
        // node.kubernetes.io/not-ready:NoSchedule; the node lifecycle controller (absent here)
        // removes it once the node is Ready, so the harness does.
        let path = format!("/api/v1/nodes/{name}");
        let response = self.request(
            "PATCH",
            &path,
            Some("application/merge-patch+json"),
            Some(&serde_json::json!({"spec": {"taints": null}})),
        );
        assert_eq!(response.status, 200, "PATCH {path}: {}", response.body);
        let node = self.get(&format!("/api/v1/nodes/{name}"));
        assert_eq!(
            node["status"]["conditions"][0]["status"], "True",
            "node {name} is not Ready: {node}"
        );
        assert!(node["spec"]["taints"].is_null(), "{node}");
        assert_eq!(node["spec"]["providerID"], provider_id.as_str());
    }

    /// Writes a pod's status as a kubelet would (a merge patch of its `status` subresource:
    /// `phase`, `containerStatuses`…); returns the pod as stored.
    pub fn set_pod_status(&self, namespace: &str, name: &str, status: &Value) -> Value {
        let path = format!("/api/v1/namespaces/{namespace}/pods/{name}/status");
        let response = self.request(
            "PATCH",
            &path,
            Some("application/merge-patch+json"),
            Some(&serde_json::json!({ "status": status })),
        );
        assert_eq!(
            response.status, 200,
            "PATCH {path} answered {}: {}",
            response.status, response.body
        );
        response.json()
    }
}

/// etcd on loopback only (client and peer), its data in `dir`, its log in `dir/etcd.log`.
fn spawn_etcd(dir: &Path, client: u16, peer: u16) -> Child {
    let client_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let log = log_file(&dir.join("etcd.log"));
    let mut command = Command::new(ETCD);
    // The machine's etcd settings (ETCD_* variables) would override these flags.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ETCD_") {
            command.env_remove(name);
        }
    }
    if std::env::consts::ARCH == "aarch64" {
        // etcd 3.4 refuses to start on arm64 without it.
        command.env("ETCD_UNSUPPORTED_ARCH", "arm64");
    }
    command
        .arg("--name=pullpath-test")
        .arg(format!("--data-dir={}", dir.join("etcd").display()))
        .arg(format!("--listen-client-urls={client_url}"))
        .arg(format!("--advertise-client-urls={client_url}"))
        .arg(format!("--listen-peer-urls={peer_url}"))
        .arg(format!("--initial-advertise-peer-urls={peer_url}"))
        .arg(format!("--initial-cluster=pullpath-test={peer_url}"))
        .args(["--logger=zap", "--log-level=warn"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("etcd starts")
}

/// kube-apiserver on `127.0.0.1:secure` over the etcd at `etcd_client`, with the credentials
/// of [`write_credentials`]; its log in `dir/kube-apiserver.log`.
fn spawn_apiserver(binary: &Path, dir: &Path, etcd_client: u16, secure: u16) -> Child {
    let log = log_file(&dir.join("kube-apiserver.log"));
    let cert_dir = dir.join("certs");
    Command::new(binary)
        .arg(format!("--etcd-servers=http://127.0.0.1:{etcd_client}"))
        .args(["--bind-address=127.0.0.1", "--advertise-address=127.0.0.1"])
        .arg(format!("--secure-port={secure}"))
        .arg("--insecure-port=0")
        .arg(format!("--cert-dir={}", cert_dir.display()))
        .arg(format!(
            "--token-auth-file={}",
            dir.join("tokens.csv").display()
        ))
        .arg("--authorization-mode=RBAC")
        .arg("--service-cluster-ip-range=10.96.0.0/16")
        .arg("--service-account-issuer=https://kubernetes.default.svc")
        .arg(format!(
            "--service-account-key-file={}",
            dir.join("sa.pub").display()
        ))
        .arg(format!(
            "--service-account-signing-key-file={}",
            dir.join("sa.key").display()
        ))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("kube-apiserver starts")
}

impl Drop for KubeServer {
    fn drop(&mut self) {
        // SIGKILL by PID, the API server first (it would log etcd's going away at length);
        // the temporary directory (etcd's data, keys, logs) goes after.
        for child in [&mut self.apiserver, &mut self.etcd] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
