//! Output: the table, service selection, `--output`, and exit codes by result.

use crate::support::{fixture, pullpath, run};

#[test]
fn table_for_the_classic_incident() {
    let path = fixture("private-subnet-no-egress.json");
    let run = run(&["audit", "--snapshot", path.to_str().unwrap()]);
    assert_eq!(run.code, 3);
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no colour when not a terminal"
    );
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn table_for_two_services() {
    let path = fixture("multi-service.json");
    let run = run(&["audit", "--snapshot", path.to_str().unwrap()]);
    assert_eq!(run.code, 3);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn service_selection_narrows_the_audit_and_the_exit_code() {
    let path = fixture("multi-service.json");
    let path = path.to_str().unwrap();
    let web = run(&[
        "audit",
        "--snapshot",
        path,
        "--cluster",
        "prod",
        "--service",
        "web",
        "--format",
        "json",
    ]);
    assert_eq!(web.code, 0, "{}", web.stderr);
    let report: serde_json::Value = serde_json::from_str(&web.stdout).unwrap();
    assert_eq!(report["workloads"].as_array().unwrap().len(), 1);
    assert_eq!(report["schema_version"], 1);
    let worker = run(&["audit", "--snapshot", path, "--service", "worker"]);
    assert_eq!(worker.code, 3);
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let path = fixture("healthy-nat.json");
    pullpath()
        .args([
            "audit",
            "--snapshot",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--output",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .stdout("");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(report["workloads"][0]["status"], "pass");
}

#[test]
fn unwritable_output_is_a_runtime_error() {
    let path = fixture("healthy-nat.json");
    let run = run(&[
        "audit",
        "--snapshot",
        path.to_str().unwrap(),
        "--output",
        "/nonexistent-dir/report.txt",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("cannot write /nonexistent-dir/report.txt"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_exits_zero() {
    pullpath().args(["audit", "--help"]).assert().code(0);
}

/// Every line of the README's code block after `marker` (but "…") is a line of `stdout`.
pub(crate) fn assert_readme_block_is_real(marker: &str, stdout: &str) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find(marker).expect("README example section");
    let block = &readme[start..];
    let block = &block[block.find("```\n").unwrap() + 4..];
    let block = &block[..block.find("```").unwrap()];
    for line in block
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim() != "…")
    {
        assert!(
            stdout.lines().any(|out| out == line),
            "README line not in the real output:\n{line}\n---\n{stdout}"
        );
    }
}

/// The README shows real output of its first command: keep it true.
#[test]
fn readme_example_is_the_real_output() {
    let path = fixture("private-subnet-no-egress.json");
    let run = run(&["audit", "--snapshot", path.to_str().unwrap()]);
    assert_eq!(run.code, 3);
    assert_readme_block_is_real("Real output of the first command", &run.stdout);
}

#[test]
fn readme_diagnosis_is_the_real_output() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/diagnose/seed-incident.json"
    );
    let run = run(&[
        "diagnose",
        "--snapshot",
        path,
        "--cluster",
        "prod",
        "--service",
        "web",
    ]);
    assert_eq!(run.code, 3);
    assert_readme_block_is_real(
        "Real output (abridged) for the shipped seed-incident",
        &run.stdout,
    );
}

#[test]
fn readme_fleet_example_is_the_real_output() {
    let mut args = vec!["audit"];
    for snapshot in [
        "fixtures/fleet/123456789012-us-east-1.json",
        "fixtures/fleet/123456789012-eu-west-1.json",
        "fixtures/fleet/210987654321-us-east-1.json",
        "fixtures/fleet/210987654321-eu-west-1.json",
    ] {
        args.extend(["--snapshot", snapshot]);
    }
    args.extend(["--suppressions", "fixtures/fleet/suppressions.toml"]);
    let run = run(&args);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_readme_block_is_real(
        "Offline, several snapshots make the same report",
        &run.stdout,
    );
    assert_readme_block_is_real("and on stderr:", &run.stderr);
}

/// The README's pre-deploy gate example is real output.
#[test]
fn readme_pre_deploy_example_is_the_real_output() {
    let snapshot = fixture("healthy-nat.json");
    let run = run(&[
        "audit",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--task-definition",
        "fixtures/predeploy/web-task-definition.json",
        "--subnets",
        "subnet-0a1b2c3d4e5f6001a",
        "--security-groups",
        "sg-0a1b2c3d4e5f60002",
    ]);
    assert_eq!(run.code, 3);
    assert_readme_block_is_real("the pre-deploy gate example:", &run.stdout);
}

/// The README's what-if example is real output, and a change that breaks a passing workload
/// exits 3.
#[test]
fn readme_what_if_example_is_the_real_output() {
    let snapshot = fixture("healthy-nat.json");
    let run = run(&[
        "what-if",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--change",
        "delete nat-0a1b2c3d4e5f60001",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_readme_block_is_real("'delete nat-0a1b2c3d4e5f60001'`:", &run.stdout);
}

/// The README's fleet-plan example is real output, and its fixture is its generator's.
#[test]
fn readme_fleet_plan_example_is_the_real_output() {
    let run = run(&[
        "audit",
        "--snapshot",
        "fixtures/plans/shared-route-table.json",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_readme_block_is_real("nine services of which six", &run.stdout);
    let check = std::process::Command::new("python3")
        .args(["fixtures/plans/generate.py", "--check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
