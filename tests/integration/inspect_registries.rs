//! `--inspect-registries` against a real registry: Debian's `docker-registry` (the CNCF
//! distribution registry) on a free loopback port, filled through its HTTP API by
//! `tests/registry/push.py`. `scripts/test` installs the package; without it these tests are
//! ignored locally (`cargo test`) and fail when run (`--include-ignored`), never pass unrun.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{fixture, run, temp_file};

struct Registry {
    child: Child,
    host: String,
    _data: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    fn start() -> Registry {
        let binary = "/usr/bin/docker-registry";
        assert!(
            std::path::Path::new(binary).exists(),
            "{binary} is missing: install it with `apt-get install docker-registry` (./scripts/test does)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let data = tempfile::tempdir().unwrap();
        let config = data.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nlog:\n  level: error\n",
                data.path().join("blobs").display()
            ),
        )
        .unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the registry did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let host = format!("127.0.0.1:{port}");
        let pushed = Command::new("python3")
            .arg("tests/registry/push.py")
            .arg(format!("http://{host}"))
            .status()
            .expect("python3 runs");
        assert!(pushed.success(), "push.py failed");
        Registry {
            child,
            host,
            _data: data,
        }
    }
}

/// The Docker Hub fixture, pulling `image` from the test registry (with registry
/// credentials, so only the platform is in question) on `architecture`, with its registry
/// images not read.
fn snapshot_pulling(image: &str, architecture: &str) -> tempfile::NamedTempFile {
    let text = std::fs::read_to_string(fixture("docker-hub-public.json")).unwrap();
    let mut snapshot: Value = serde_json::from_str(&text).unwrap();
    let secret = snapshot["secrets"][0]["arn"].clone();
    let container = &mut snapshot["task_definitions"][0]["container_definitions"][0];
    container["image"] = image.into();
    container["repository_credentials"] = serde_json::json!({ "credentials_parameter": secret });
    snapshot["task_definitions"][0]["runtime_platform"] =
        serde_json::json!({"cpu_architecture": architecture});
    snapshot.as_object_mut().unwrap().remove("registry_images");
    temp_file(&snapshot.to_string())
}

fn platform_findings(file: &tempfile::NamedTempFile, inspect: bool) -> Vec<(String, String)> {
    let mut args = vec![
        "audit",
        "--snapshot",
        file.path().to_str().unwrap(),
        "--format",
        "json",
    ];
    if inspect {
        args.push("--inspect-registries");
    }
    let out = run(&args);
    let report: Value = serde_json::from_str(&out.stdout).expect("a JSON report");
    report["workloads"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["code"] == "IMAGE_PLATFORM_MISMATCH"
                || f["message"].as_str().unwrap().contains("manifest")
        })
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs Debian's docker-registry; ./scripts/test installs it and runs this"]
fn a_single_platform_image_is_read_from_its_config() {
    let registry = Registry::start();
    let file = snapshot_pulling(&format!("{}/team/web:amd64", registry.host), "ARM64");
    // Not inspected: unknown, and the message says how to know.
    let unread = platform_findings(&file, false);
    assert_eq!(unread.len(), 1, "{unread:?}");
    assert_eq!(unread[0].0, "NOT_COLLECTED");
    // Inspected: the config says linux/amd64, the task runs on linux/arm64.
    let read = platform_findings(&file, true);
    assert_eq!(read.len(), 1, "{read:?}");
    assert_eq!(read[0].0, "IMAGE_PLATFORM_MISMATCH");
    assert!(read[0].1.contains("offers linux/amd64"), "{}", read[0].1);
    // On X86_64 the same image is fine.
    let fine = snapshot_pulling(&format!("{}/team/web:amd64", registry.host), "X86_64");
    assert!(platform_findings(&fine, true).is_empty());
}

#[test]
#[ignore = "needs Debian's docker-registry; ./scripts/test installs it and runs this"]
fn an_index_is_read_and_a_missing_image_stays_unknown() {
    let registry = Registry::start();
    let multi = snapshot_pulling(&format!("{}/team/web:multi", registry.host), "ARM64");
    assert!(platform_findings(&multi, true).is_empty());
    let arm_only = snapshot_pulling(&format!("{}/team/web:arm64-only", registry.host), "X86_64");
    let found = platform_findings(&arm_only, true);
    assert_eq!(found[0].0, "IMAGE_PLATFORM_MISMATCH", "{found:?}");
    let missing = snapshot_pulling(&format!("{}/team/web:9.9.9", registry.host), "X86_64");
    let found = platform_findings(&missing, true);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "NOT_COLLECTED");
    assert!(found[0].1.contains("404"), "{}", found[0].1);
}
