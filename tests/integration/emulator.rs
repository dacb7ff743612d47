//! A moto server (emulated AWS) for one test, seeded through the AWS APIs by
//! `tests/live/seed.py` (boto3). The server runs from the project's `.venv-moto`, which
//! `scripts/test` creates.
//!
//! Every test that starts a server is `#[ignore = "needs the AWS emulator (.venv-moto);
//! ./scripts/test runs it"]`, so a plain `cargo test` lists it as ignored rather than passing
//! it unrun; `scripts/test` runs them with `--include-ignored`. A live test that runs without
//! the emulator fails (`Moto::start` panics saying how to install it): it never passes unrun.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::{pullpath, Run};

pub struct Moto {
    child: Child,
    pub url: String,
}

fn venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-moto/bin")
}

/// The AMIs every server loads instead of moto's defaults (`MOTO_AMIS_PATH`), as
/// `seed.py --amis` lists them: moto gives an instance its AMI's architecture, and an arm64
/// AMI cannot be registered through the API (ec2-arm64-instance-amd64-image). Written once
/// per test run (write, then rename: concurrent test binaries write the same text).
fn amis_file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let output = Command::new(venv().join("python"))
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/seed.py"))
            .arg("--amis")
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "seed.py --amis failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join("moto-amis.json");
        let partial = dir.join(format!("moto-amis.json.{}", std::process::id()));
        std::fs::write(&partial, &output.stdout).expect("AMI file written");
        std::fs::rename(&partial, &path).expect("AMI file in place");
        path
    })
}

/// `command` with these static credentials in us-east-1 and nothing else of the machine's
/// AWS setup (profiles, config files, instance metadata, an endpoint override).
pub fn isolated_credentials<'a>(
    command: &'a mut assert_cmd::Command,
    key: &str,
    secret: &str,
) -> &'a mut assert_cmd::Command {
    command
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

impl Moto {
    /// Starts a server; panics, saying how to install it, when the emulator is missing.
    pub fn start() -> Moto {
        let server = venv().join("moto_server");
        assert!(
            server.exists(),
            "the AWS emulator is missing: {} does not exist. Install it with `./scripts/test` \
             (which then runs the whole suite), or with `python3 -m venv .venv-moto && \
             .venv-moto/bin/pip install -r tests/live/requirements.txt` in the project root.",
            server.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let amis = amis_file();
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            // Only these AMIs: moto's defaults (~1,300 a region) cost ~0.7 s a reset.
            .env("MOTO_AMIS_PATH", amis)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    fn python(&self, script: &str, args: &[&str]) -> String {
        let output = Command::new(venv().join("python"))
            .arg(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/live")
                    .join(script),
            )
            .args(["--endpoint", &self.url])
            .args(args)
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "{script} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }

    /// Resets the emulator and seeds a scenario named like a fixture.
    pub fn seed(&self, scenario: &str) {
        self.python("seed.py", &[scenario]);
    }

    /// Seeds a scenario with extra `seed.py` options (stopped tasks…); returns what it
    /// printed (cluster, service, stopped task ARNs).
    pub fn seed_with(&self, scenario: &str, options: &[&str]) -> serde_json::Value {
        let mut args = vec![scenario];
        args.extend_from_slice(options);
        serde_json::from_str(&self.python("seed.py", &args)).expect("seed.py prints JSON")
    }

    /// Resets the emulator and seeds the fleet of `tests/live/fleet.py`; returns what it
    /// declares (role ARNs, and the distinct resources of each account and region).
    pub fn seed_fleet(&self) -> serde_json::Value {
        serde_json::from_str(&self.python("fleet.py", &[])).expect("fleet.py prints JSON")
    }

    /// Resets the emulator and seeds the organization of `tests/live/organization.py`;
    /// returns its accounts, units and the suspended account.
    pub fn seed_organization(&self) -> serde_json::Value {
        serde_json::from_str(&self.python("organization.py", &[]))
            .expect("organization.py prints JSON")
    }

    /// Resets the emulator and deploys the scheduled-audit kit (`tests/live/deploy_kit.py`);
    /// returns what the services say exists.
    pub fn deploy_kit(&self) -> serde_json::Value {
        serde_json::from_str(&self.python("deploy_kit.py", &[])).expect("deploy_kit.py prints JSON")
    }

    /// Makes the emulator authorize requests; returns credentials lacking `denied` actions.
    pub fn restrict(&self, denied: &[&str]) -> (String, String) {
        let mut args = Vec::new();
        for action in denied {
            args.extend(["--deny", action]);
        }
        let keys: serde_json::Value =
            serde_json::from_str(&self.python("restrict.py", &args)).expect("keys");
        (
            keys["access_key_id"].as_str().unwrap().to_string(),
            keys["secret_access_key"].as_str().unwrap().to_string(),
        )
    }

    /// Runs pullpath against the emulator with `args` (the endpoint is added).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_as(("testing", "testing"), args)
    }

    pub fn run_as(&self, (key, secret): (&str, &str), args: &[&str]) -> Run {
        let mut command = pullpath();
        command
            .args(args)
            .args(["--endpoint-url", &self.url, "--max-attempts", "1"]);
        let output = isolated_credentials(&mut command, key, secret)
            .output()
            .expect("pullpath runs");
        Run {
            code: output.status.code().expect("exited"),
            stdout: String::from_utf8(output.stdout).expect("utf-8"),
            stderr: String::from_utf8(output.stderr).expect("utf-8"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // SIGKILL: moto's server can ignore SIGTERM for seconds.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
