//! Running the binary and reading its JSON report.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A file in the temporary directory holding `content`, removed when dropped (so tests that
/// run in parallel never share one).
pub fn temp_file(content: &str) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    file.write_all(content.as_bytes()).unwrap();
    file
}

/// The shipped pre-deploy task definition, as JSON to edit.
pub fn shipped_task() -> Value {
    let text = std::fs::read_to_string("fixtures/predeploy/web-task-definition.json").unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A path as the argument it is.
pub fn arg(file: &tempfile::NamedTempFile) -> &str {
    file.path().to_str().unwrap()
}

/// A scenario fixture, relative to the package root (where cargo runs the tests), so that
/// reports naming their snapshot file are the same on every machine.
pub fn fixture(name: &str) -> PathBuf {
    Path::new("fixtures/scenarios").join(name)
}

/// A `pullpath` command with a clean, deterministic environment.
pub fn pullpath() -> Command {
    let mut cmd = Command::cargo_bin("pullpath").expect("binary built");
    // A fixed audit time (2026-12-01T00:00:00Z) keeps reports and expiry checks repeatable.
    cmd.env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env("PULLPATH_NOW", "1796083200");
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str]) -> Run {
    let output = pullpath().args(args).output().expect("runs");
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// Audits a fixture as JSON; returns the exit code and the parsed report.
pub fn audit_json(name: &str) -> (i32, Value) {
    audit_json_with(name, &[])
}

/// Audits a fixture as JSON with `extra` arguments (`--registry-route …`).
pub fn audit_json_with(name: &str, extra: &[&str]) -> (i32, Value) {
    let path = fixture(name);
    let mut args = vec![
        "audit",
        "--snapshot",
        path.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let run = run(&args);
    assert!(
        run.stderr.is_empty(),
        "{name}: unexpected stderr: {}",
        run.stderr
    );
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{name}: report is not JSON ({e}): {}", run.stdout));
    (run.code, report)
}
