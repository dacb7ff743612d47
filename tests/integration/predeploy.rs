//! Pre-deploy audits: a task definition file or a Prefect deployment, placed by flags, audited
//! against a snapshot (and, in live_predeploy, against the emulated account).

use serde_json::Value;

use crate::support::{arg, fixture, run, shipped_task, temp_file};

const TASK: &str = "fixtures/predeploy/web-task-definition.json";
const PREFECT: &str = "fixtures/predeploy/prefect.yaml";
const APP_SUBNETS: &str = "subnet-0a1b2c3d4e5f6002a,subnet-0a1b2c3d4e5f6002b";
const PUBLIC_SUBNET: &str = "subnet-0a1b2c3d4e5f6001a";
const TASK_SG: &str = "sg-0a1b2c3d4e5f60002";
const IMAGE: &str = "build-image.image=123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2";

/// Runs `audit --format json` with `args`; the exit code and the report.
fn audit(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["audit", "--format", "json"];
    all.extend_from_slice(args);
    let run = run(&all);
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}): exit {}, stderr {}",
            run.code, run.stderr
        )
    });
    (run.code, report)
}

fn codes(report: &Value) -> Vec<String> {
    report["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .flat_map(|w| w["findings"].as_array().expect("findings"))
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn only_workload(report: &Value) -> &Value {
    let workloads = report["workloads"].as_array().expect("workloads");
    assert_eq!(
        workloads.len(),
        1,
        "a pre-deploy audits exactly one workload"
    );
    &workloads[0]
}

#[test]
fn a_task_definition_in_private_subnets_with_nat_passes() {
    let snapshot = fixture("healthy-nat.json");
    let (code, report) = audit(&[
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--task-definition",
        TASK,
        "--subnets",
        APP_SUBNETS,
        "--security-groups",
        TASK_SG,
    ]);
    assert_eq!(code, 0, "{report}");
    let workload = only_workload(&report);
    assert_eq!(workload["cluster"], "pre-deploy");
    assert_eq!(workload["service"], "web");
    assert_eq!(
        workload["task_definition"],
        "arn:aws:ecs:us-east-1:123456789012:task-definition/web:pre-deploy"
    );
    assert_eq!(workload["requirements"].as_array().unwrap().len(), 5);
}

#[test]
fn the_same_task_in_a_public_subnet_without_public_ip_fails_the_gate() {
    let snapshot = fixture("healthy-nat.json");
    let base = [
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--task-definition",
        TASK,
        "--subnets",
        PUBLIC_SUBNET,
    ];
    let (code, report) = audit(&base);
    assert_eq!(code, 3);
    assert!(
        codes(&report).iter().all(|c| c == "NO_PUBLIC_IP"),
        "{report}"
    );
    // With a public IP the same placement works.
    let mut enabled = base.to_vec();
    enabled.extend(["--assign-public-ip", "ENABLED"]);
    assert_eq!(audit(&enabled).0, 0);
}

#[test]
fn a_snapshot_with_no_egress_fails_the_task_before_it_is_deployed() {
    let snapshot = fixture("private-subnet-no-egress.json");
    let (code, report) = audit(&[
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--task-definition",
        TASK,
        "--subnets",
        APP_SUBNETS,
    ]);
    assert_eq!(code, 3);
    assert!(codes(&report).contains(&"NO_ROUTE".to_string()), "{report}");
}

#[test]
fn describe_task_definition_output_is_read_too() {
    let mut definition = shipped_task();
    definition["taskDefinitionArn"] =
        "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8".into();
    let described = serde_json::json!({"taskDefinition": definition, "tags": []});
    let file = temp_file(&described.to_string());
    let snapshot = fixture("healthy-nat.json");
    let (code, report) = audit(&[
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--task-definition",
        arg(&file),
        "--subnets",
        APP_SUBNETS,
    ]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        only_workload(&report)["task_definition"],
        "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8"
    );
}

#[test]
fn an_ec2_task_is_audited_on_the_clusters_container_instances() {
    let bridge = serde_json::json!({
        "family": "web",
        "networkMode": "bridge",
        "requiresCompatibilities": ["EC2"],
        "executionRoleArn": "arn:aws:iam::123456789012:role/web-execution",
        "containerDefinitions": [{"name": "app", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2", "memory": 256}]
    });
    let file = temp_file(&bridge.to_string());
    let task = arg(&file);
    // The instance of ec2-healthy-nat is in a subnet with NAT; that of ec2-launch-type is not.
    let healthy = fixture("ec2-healthy-nat.json");
    let (code, report) = audit(&[
        "--snapshot",
        healthy.to_str().unwrap(),
        "--task-definition",
        task,
        "--cluster",
        "prod",
    ]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(only_workload(&report)["cluster"], "prod");
    let broken = fixture("ec2-launch-type.json");
    let (code, report) = audit(&[
        "--snapshot",
        broken.to_str().unwrap(),
        "--task-definition",
        task,
        "--cluster",
        "prod",
    ]);
    assert_eq!(code, 3);
    assert!(codes(&report).contains(&"NO_ROUTE".to_string()), "{report}");
}

#[test]
fn prefect_deployments_are_audited_before_prefect_deploy() {
    let snapshot = fixture("healthy-nat.json");
    let snapshot = snapshot.to_str().unwrap();
    let deploy = |name: &str| {
        audit(&[
            "--snapshot",
            snapshot,
            "--prefect-yaml",
            PREFECT,
            "--deployment",
            name,
            "--var",
            IMAGE,
        ])
    };
    let (code, report) = deploy("nightly-etl");
    assert_eq!(code, 0, "{report}");
    let workload = only_workload(&report);
    assert_eq!(
        (workload["cluster"].as_str(), workload["service"].as_str()),
        (Some("prod"), Some("nightly-etl"))
    );
    let (code, report) = deploy("backfill");
    assert_eq!(
        (code, codes(&report)),
        (3, vec!["NO_PUBLIC_IP".to_string()])
    );
    // The worker's default awslogs-create-group needs logs:CreateLogGroup.
    let (code, report) = deploy("reports");
    assert_eq!(code, 3);
    let finding = &only_workload(&report)["findings"][0];
    assert_eq!(finding["code"], "PERMISSION_MISSING");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("logs:CreateLogGroup"),
        "{finding}"
    );
    // Flags override the file: the private subnets make backfill pass.
    let (code, _) = audit(&[
        "--snapshot",
        snapshot,
        "--prefect-yaml",
        PREFECT,
        "--deployment",
        "backfill",
        "--var",
        IMAGE,
        "--subnets",
        APP_SUBNETS,
    ]);
    assert_eq!(code, 0);
}

#[test]
fn pre_deploy_input_errors_are_bad_input() {
    let snapshot = fixture("healthy-nat.json");
    let snapshot = snapshot.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--snapshot", snapshot, "--subnets", APP_SUBNETS],
            "--subnets places a task not deployed yet",
        ),
        (
            &["--snapshot", snapshot, "--task-definition", TASK],
            "give the subnets",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--task-definition",
                TASK,
                "--subnets",
                "subnet-xyz",
            ],
            "not an id like subnet-",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--task-definition",
                TASK,
                "--subnets",
                APP_SUBNETS,
                "--security-groups",
                "web",
            ],
            "not an id like sg-",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--task-definition",
                TASK,
                "--subnets",
                APP_SUBNETS,
                "--launch-type",
                "EC2",
            ],
            "requires FARGATE",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--task-definition",
                "fixtures/predeploy/missing.json",
                "--subnets",
                APP_SUBNETS,
            ],
            "cannot read task definition",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--task-definition",
                PREFECT,
                "--subnets",
                APP_SUBNETS,
            ],
            "not JSON",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--task-definition",
                TASK,
                "--subnets",
                APP_SUBNETS,
                "--cluster",
                "staging",
            ],
            "cluster `staging` is not in the snapshot",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--snapshot",
                snapshot,
                "--task-definition",
                TASK,
                "--subnets",
                APP_SUBNETS,
            ],
            "one --snapshot",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--prefect-yaml",
                PREFECT,
                "--deployment",
                "nightly-etl",
            ],
            "--var 'build-image.image=VALUE'",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--prefect-yaml",
                PREFECT,
                "--deployment",
                "hourly",
                "--var",
                IMAGE,
            ],
            "has no deployment `hourly` (deployments: nightly-etl, backfill, reports)",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--prefect-yaml",
                PREFECT,
                "--deployment",
                "nightly-etl",
                "--var",
                "novalue",
            ],
            "expected KEY=VALUE",
        ),
        (
            &[
                "--snapshot",
                snapshot,
                "--prefect-yaml",
                TASK,
                "--deployment",
                "x",
            ],
            "has no `deployments` list",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["audit"];
        all.extend_from_slice(args);
        let run = run(&all);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "{args:?}: stderr {}",
            run.stderr
        );
        assert_eq!(
            run.stderr.lines().count(),
            1,
            "{args:?}: one line: {}",
            run.stderr
        );
    }
}

#[test]
fn an_ec2_task_without_a_cluster_or_a_bad_role_arn_is_bad_input() {
    let bad_role = serde_json::json!({
        "family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": "web-execution",
        "containerDefinitions": [{"name": "app", "image": "nginx:1.27"}]
    });
    let file = temp_file(&bad_role.to_string());
    let snapshot = fixture("healthy-nat.json");
    let run_with = |extra: &[&str]| {
        let mut all = vec![
            "audit",
            "--snapshot",
            snapshot.to_str().unwrap(),
            "--task-definition",
        ];
        all.extend_from_slice(extra);
        run(&all)
    };
    let bad = run_with(&[arg(&file), "--subnets", APP_SUBNETS]);
    let ec2 = run_with(&[TASK, "--subnets", APP_SUBNETS, "--launch-type", "EC2"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("is not an IAM role ARN"),
        "{}",
        bad.stderr
    );
    assert_eq!(ec2.code, 2, "{}", ec2.stderr);
}

/// A snapshot holds only what its services use: a new role, repository or secret was never
/// looked for, so it is unknown, not "does not exist".
#[test]
fn what_the_snapshot_never_looked_for_is_unknown_not_missing() {
    let mut task = shipped_task();
    task["executionRoleArn"] = "arn:aws:iam::123456789012:role/brand-new-role".into();
    task["containerDefinitions"][0]["image"] =
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:9.9.9".into();
    task["containerDefinitions"][0]["secrets"][0]["valueFrom"] =
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:new/secret-XyZabc".into();
    let file = temp_file(&task.to_string());
    let snapshot = fixture("healthy-nat.json");
    let (code, report) = audit(&[
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--task-definition",
        arg(&file),
        "--subnets",
        APP_SUBNETS,
    ]);
    assert_eq!(code, 4, "{report}");
    let findings = only_workload(&report)["findings"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        findings.iter().all(|f| f["code"] == "NOT_COLLECTED"),
        "{findings:?}"
    );
    let messages: Vec<&str> = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    for needle in [
        "does not hold role arn:aws:iam::123456789012:role/brand-new-role",
        "does not hold secret",
        "the images of arn:aws:ecr:us-east-1:123456789012:repository/web were not listed",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(needle)),
            "{needle}: {messages:?}"
        );
    }
}

const PREFECT_CI_ENV: &str = "fixtures/predeploy/prefect-ci-env.yaml";

/// Runs `audit` on the deployment `web` of the CI-environment fixture with `env` set (and
/// the CI variables it does not set removed, as a CI runner may export them); the exit code,
/// stdout and stderr.
fn audit_ci_env(env: &[(&str, &str)], extra: &[&str]) -> (i32, String, String) {
    let snapshot = fixture("healthy-nat.json");
    let mut cmd = crate::support::pullpath();
    cmd.args([
        "audit",
        "--format",
        "json",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--prefect-yaml",
        PREFECT_CI_ENV,
        "--deployment",
        "web",
    ])
    .args(extra);
    for name in ["CI_REGISTRY_IMAGE", "CI_COMMIT_SHA"] {
        cmd.env_remove(name);
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    let output = cmd.output().expect("runs");
    (
        output.status.code().expect("exited"),
        String::from_utf8(output.stdout).expect("utf-8 stdout"),
        String::from_utf8(output.stderr).expect("utf-8 stderr"),
    )
}

#[test]
fn prefect_env_placeholders_are_filled_from_the_ci_environment() {
    let registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    let not_listed =
        "the images of arn:aws:ecr:us-east-1:123456789012:repository/web were not listed";
    // The same task with the image written out: the shipped `nightly-etl` deployment.
    let snapshot = fixture("healthy-nat.json");
    let (literal_code, literal) = audit(&[
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--prefect-yaml",
        PREFECT,
        "--deployment",
        "nightly-etl",
        "--var",
        IMAGE,
    ]);
    let literal = only_workload(&literal).clone();
    // `{{ $CI_REGISTRY_IMAGE }}/web:{{ $CI_COMMIT_SHA }}` is that image, web:1.4.2, which the
    // snapshot lists: the gate decides exactly as for the written-out image.
    let (code, stdout, stderr) = audit_ci_env(
        &[("CI_REGISTRY_IMAGE", registry), ("CI_COMMIT_SHA", "1.4.2")],
        &[],
    );
    assert!(stderr.is_empty(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    let workload = only_workload(&report);
    assert_eq!(code, literal_code, "{report}");
    for key in ["status", "requirements", "findings"] {
        assert_eq!(workload[key], literal[key], "{key}");
    }
    let pull = workload["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target"] == "ecr-dkr")
        .expect("the image's registry");
    assert_eq!(pull["host"], registry);
    assert!(!stdout.contains(not_listed), "{stdout}");
    // Another tag from the environment is another image: one the snapshot never listed.
    let (code, stdout, _) = audit_ci_env(
        &[("CI_REGISTRY_IMAGE", registry), ("CI_COMMIT_SHA", "9.9.9")],
        &[],
    );
    assert_eq!(code, 4, "{stdout}");
    assert!(stdout.contains(not_listed), "{stdout}");
    // --var '$NAME=VALUE' overrides the environment, with a warning.
    let (code, stdout, stderr) = audit_ci_env(
        &[("CI_REGISTRY_IMAGE", registry), ("CI_COMMIT_SHA", "9.9.9")],
        &["--var", "$CI_COMMIT_SHA=1.4.2"],
    );
    assert_eq!(code, literal_code, "{stderr}{stdout}");
    assert!(!stdout.contains(not_listed), "{stdout}");
    assert!(
        stderr.contains("overrides the environment variable CI_COMMIT_SHA"),
        "{stderr}"
    );
}

#[test]
fn an_unset_environment_variable_is_bad_input_not_an_empty_string() {
    let (code, stdout, stderr) = audit_ci_env(
        &[(
            "CI_REGISTRY_IMAGE",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        )],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    for needle in [
        "the environment variable CI_COMMIT_SHA is unset",
        "`{{ $CI_COMMIT_SHA }}` in `job_variables.image`",
        "an empty string",
        "--var '$CI_COMMIT_SHA=VALUE'",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    // A value that would rewrite the terminal is refused, and never shown.
    let (code, _, stderr) = audit_ci_env(
        &[
            (
                "CI_REGISTRY_IMAGE",
                "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            ),
            ("CI_COMMIT_SHA", "1.4.2\u{1b}]0;owned\u{7}"),
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("U+001B"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains("owned"),
        "{stderr:?}"
    );
}

/// Runs `audit` with `args` against the healthy snapshot and expects bad input: exit 2, one
/// line on stderr holding every needle, nothing on stdout.
fn assert_refused(args: &[&str], needles: &[&str]) -> std::time::Duration {
    let snapshot = fixture("healthy-nat.json");
    let mut all = vec!["audit", "--snapshot", snapshot.to_str().unwrap()];
    all.extend_from_slice(args);
    let started = std::time::Instant::now();
    let run = run(&all);
    let took = started.elapsed();
    assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    for needle in needles {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    took
}

/// The shipped prefect.yaml with `from` replaced by `to` in the deployment nightly-etl.
fn edited_prefect(from: &str, to: &str) -> tempfile::NamedTempFile {
    let text = std::fs::read_to_string(PREFECT).unwrap();
    assert!(text.contains(from), "{from}");
    temp_file(&text.replacen(from, to, 1))
}

/// A scalar where the worker takes a list, an item that is not an id, a `.nan`: each is bad
/// input naming the field, never skipped (a skipped `securityGroups` audited the VPC's
/// default group instead, and passed).
#[test]
fn malformed_prefect_fields_are_bad_input_naming_the_field() {
    const AT: &str = "deployments[0].work_pool.job_variables";
    let groups = "          securityGroups:\n            - sg-0a1b2c3d4e5f60002\n";
    for (from, to, needle) in [
        (
            groups,
            "          securityGroups: sg-0a1b2c3d4e5f60002\n",
            format!("`{AT}.network_configuration.securityGroups` must be a list of security group ids, not \"sg-0a1b2c3d4e5f60002\""),
        ),
        (
            groups,
            "          securityGroups:\n            - 12\n",
            format!("`{AT}.network_configuration.securityGroups[0]` must be a security group id, not 12"),
        ),
        (
            "          assignPublicIp: DISABLED\n",
            "          assignPublicIp: .nan\n",
            format!("`{AT}.network_configuration.assignPublicIp` is .nan"),
        ),
    ] {
        let file = edited_prefect(from, to);
        assert_refused(
            &["--prefect-yaml", arg(&file), "--deployment", "nightly-etl", "--var", IMAGE],
            &[&needle, "deployment `nightly-etl`"],
        );
    }
}

/// A 56 KB prefect.yaml whose aliases copy one anchored list 12,000 times stands for 120
/// million nodes: refused before it is built (it took 75 s and 5 GB). The ceiling only guards
/// against the blow-up coming back.
#[test]
fn a_yaml_alias_bomb_is_refused_before_it_is_built() {
    let text = std::fs::read_to_string(PREFECT).unwrap();
    let bomb = format!(
        "{text}\nbomb:\n  a: &a [{}]\n  b: [{}]\n",
        vec!["x"; 10_000].join(","),
        vec!["*a"; 12_000].join(",")
    );
    assert!(bomb.len() < 60_000);
    let file = temp_file(&bomb);
    let took = assert_refused(
        &[
            "--prefect-yaml",
            arg(&file),
            "--deployment",
            "nightly-etl",
            "--var",
            IMAGE,
        ],
        &["expand the document to more than 100000 nodes"],
    );
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
    // Larger than the size limit: refused unread.
    let big = temp_file(&format!("{text}\n#{}\n", "x".repeat(1024 * 1024)));
    assert_refused(
        &["--prefect-yaml", arg(&big), "--deployment", "nightly-etl"],
        &["larger than the 1024 KiB pullpath reads from a YAML file"],
    );
}

/// An array where ECS takes an object is refused naming the field (serde alone reads
/// `["awslogs"]` as the driver `awslogs`).
#[test]
fn an_array_where_a_task_definition_has_an_object_is_bad_input() {
    let mut task: Value = serde_json::from_str(&std::fs::read_to_string(TASK).unwrap()).unwrap();
    task["containerDefinitions"][0]["logConfiguration"] = serde_json::json!(["awslogs"]);
    let file = temp_file(&task.to_string());
    assert_refused(
        &["--task-definition", arg(&file), "--subnets", APP_SUBNETS],
        &["containerDefinitions[0].logConfiguration: invalid type: sequence, expected an object"],
    );
}

/// A value of the file quoted in an error is escaped: it cannot rewrite the terminal.
#[test]
fn values_quoted_in_errors_carry_no_control_characters() {
    let mut task: Value = serde_json::from_str(&std::fs::read_to_string(TASK).unwrap()).unwrap();
    task["networkMode"] = "aw\u{1b}]8;;https://evil.example\u{1b}\\x\u{202e}".into();
    let file = temp_file(&task.to_string());
    let snapshot = fixture("healthy-nat.json");
    let run = run(&[
        "audit",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--task-definition",
        arg(&file),
        "--subnets",
        APP_SUBNETS,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("aw\\u{1b}]8;;https://evil.example\\u{1b}\\x\\u{202e}"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}') && !run.stderr.contains('\u{202e}'),
        "{:?}",
        run.stderr
    );
}
