//! The CI examples of docs/ci/ run as written: the GitLab gate job's `script` and the GitHub
//! Actions steps that call pullpath are read from the YAML files and run by bash in a
//! checkout-like directory (prefect.yaml, taskdef.json), with the variables the examples set.
//! The one substitution: `pullpath` on the PATH is this build with `--snapshot` appended, so
//! the account it reads is a fixture instead of the job's credentials. Each job must write the
//! report its YAML hands to the CI system (the JUnit artifact, the SARIF upload) and pass.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const SNAPSHOT: &str = "fixtures/scenarios/healthy-nat.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).expect("example");
    serde_yaml_ng::from_str(&text).expect("the example is YAML")
}

/// A directory like the job's checkout, with `pullpath` on `bin/`.
fn checkout(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, source) in files {
        std::fs::copy(root().join(source), dir.path().join(name)).unwrap();
    }
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let wrapper = bin.join("pullpath");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n# pullpath as the job runs it, reading a snapshot instead of the account.\ncase \"$1\" in audit) exec '{}' \"$@\" --snapshot '{}';; *) exec '{}' \"$@\";; esac\n",
            env!("CARGO_BIN_EXE_pullpath"),
            root().join(SNAPSHOT).display(),
            env!("CARGO_BIN_EXE_pullpath"),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, bin)
}

/// Runs one script line as a CI runner would (`bash -e`), in `dir`.
fn run_line(line: &str, dir: &Path, bin: &Path, env: &[(&str, &str)]) {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .args(["-eo", "pipefail", "-c", line])
        .current_dir(dir)
        .env("PATH", path)
        .env("PULLPATH_NOW", "1796083200");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("bash runs");
    assert!(
        output.status.success(),
        "`{line}` failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_gitlab_gate_job_runs_as_written_and_writes_its_junit_report() {
    let pipeline = yaml("docs/ci/gitlab-ci.yml");
    let job = &pipeline["pullpath-gate"];
    assert_eq!(job["stage"], "gate");
    // The gate runs between the build and the deploy.
    let stages: Vec<&str> = pipeline["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(stages, ["build", "gate", "deploy"]);
    let script: Vec<&str> = job["script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(script.iter().any(|l| l.starts_with("pullpath audit")));
    let (dir, bin) = checkout(&[("prefect.yaml", "fixtures/predeploy/prefect-ci-env.yaml")]);
    let region = pipeline["variables"]["AWS_REGION"].as_str().unwrap();
    // What GitLab sets for the job (the image the build stage pushed: web:1.4.2 exists in the
    // snapshot's registry).
    let env = [
        ("AWS_REGION", region),
        (
            "CI_REGISTRY_IMAGE",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        ),
        ("CI_COMMIT_SHA", "1.4.2"),
    ];
    for line in &script {
        run_line(line, dir.path(), &bin, &env);
    }
    // The artifact the YAML reports is the one the script wrote.
    let report = job["artifacts"]["reports"]["junit"].as_str().unwrap();
    let xml = std::fs::read_to_string(dir.path().join(report)).expect("the JUnit report");
    assert!(xml.contains("<testcase name=\"prod/web\""), "{xml}");
    assert!(
        !xml.contains("<failure") && !xml.contains("<error"),
        "{xml}"
    );
}

#[test]
fn the_github_gate_step_runs_as_written_and_writes_valid_sarif() {
    let workflow = yaml("docs/ci/github-actions.yml");
    let job = &workflow["jobs"]["deploy"];
    let steps = job["steps"].as_array().unwrap();
    let gate = steps
        .iter()
        .position(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("pullpath audit"))
        })
        .expect("a step runs pullpath");
    // The deploy step comes after the gate; the upload runs whatever the gate decided.
    let deploy = steps
        .iter()
        .position(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("update-service"))
        })
        .unwrap();
    assert!(gate < deploy);
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))
        })
        .expect("an upload step");
    assert_eq!(upload["if"], "always()");
    let (dir, bin) = checkout(&[(
        "taskdef.json",
        "fixtures/predeploy/web-task-definition.json",
    )]);
    let env: Vec<(String, String)> = job["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    run_line(steps[gate]["run"].as_str().unwrap(), dir.path(), &bin, &env);
    let file = upload["with"]["sarif_file"].as_str().unwrap();
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(file)).expect("the SARIF file"),
    )
    .expect("JSON");
    assert_eq!(sarif["version"], "2.1.0");
    // The task placed in the private subnets behind the NAT gateway passes: nothing to show.
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
}
