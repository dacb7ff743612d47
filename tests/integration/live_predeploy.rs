//! Pre-deploy audits against the emulated account: the task is not registered, the
//! collector reads only what it needs (its subnets' VPC, its role, its image's repository and,
//! on EC2, the cluster's container instances) and lists no service.

use serde_json::Value;

use crate::emulator::Moto;
use crate::support::{arg, shipped_task, temp_file};

/// The shipped task definition with the seeded secret's ARN (moto adds a random suffix),
/// edited by `edit`.
fn task_file(seeded: &Value, edit: impl FnOnce(&mut Value)) -> tempfile::NamedTempFile {
    let mut task = shipped_task();
    task["containerDefinitions"][0]["secrets"][0]["valueFrom"] = seeded["secret_arn"].clone();
    edit(&mut task);
    temp_file(&task.to_string())
}

fn subnet(seeded: &Value, name: &str) -> String {
    seeded["subnets"][name]
        .as_str()
        .expect("seeded subnet")
        .to_string()
}

fn report(run: &crate::support::Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): exit {}, stderr {}", run.code, run.stderr))
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_task_definition_is_gated_against_the_live_account() {
    let moto = Moto::start();
    let seeded = moto.seed_with("healthy-nat", &[]);
    let file = task_file(&seeded, |_| {});
    let task = arg(&file);
    let app = format!("{},{}", subnet(&seeded, "app-a"), subnet(&seeded, "app-b"));
    let group = seeded["security_groups"]["task"].as_str().unwrap();
    let run = moto.run(&[
        "audit",
        "--task-definition",
        task,
        "--subnets",
        &app,
        "--security-groups",
        group,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let passed = report(&run);
    assert_eq!(passed["workloads"][0]["cluster"], "pre-deploy");
    // Nothing of ECS's services is read: the task comes from the file.
    let calls = &passed["scopes"][0]["calls_by_operation"];
    assert!(calls.get("ecs:ListServices").is_none(), "{calls}");
    assert!(calls.get("ecs:DescribeServices").is_none(), "{calls}");
    assert!(calls.get("ecs:DescribeTaskDefinition").is_none(), "{calls}");
    let public = subnet(&seeded, "public-a");
    let run = moto.run(&[
        "audit",
        "--task-definition",
        task,
        "--subnets",
        &public,
        "--security-groups",
        group,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let failed = report(&run);
    let codes: Vec<&str> = failed["workloads"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["NO_PUBLIC_IP"], "{failed}");
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn an_ec2_task_is_gated_on_the_live_clusters_instances() {
    let moto = Moto::start();
    // The cluster's only container instance is in a subnet without a default route.
    let seeded = moto.seed_with("ec2-launch-type", &[]);
    let file = task_file(&seeded, |_| {});
    let app = subnet(&seeded, "app-a");
    let run = moto.run(&[
        "audit",
        "--task-definition",
        arg(&file),
        "--cluster",
        "prod",
        "--launch-type",
        "EC2",
        "--subnets",
        &app,
        "--format",
        "json",
    ]);
    // The file requires FARGATE: ECS would refuse it on EC2.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("requires FARGATE"), "{}", run.stderr);

    let ec2 = task_file(&seeded, |task| {
        task["requiresCompatibilities"] = serde_json::json!(["EC2"]);
    });
    let run = moto.run(&[
        "audit",
        "--task-definition",
        arg(&ec2),
        "--cluster",
        "prod",
        "--subnets",
        &app,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let failed = report(&run);
    let workload = &failed["workloads"][0];
    assert_eq!(
        (workload["cluster"].as_str(), workload["service"].as_str()),
        (Some("prod"), Some("web"))
    );
    assert!(
        workload["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] == "NO_ROUTE"),
        "{workload}"
    );
}
