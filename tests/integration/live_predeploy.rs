//! Pre-deploy audits against the emulated account: the task is not registered, the
//! collector reads only what it needs (its subnets' VPC, its role, its image's repository and,
//! on EC2, the cluster's container instances) and lists no service.

use serde_json::Value;

use crate::emulator::Moto;

/// The shipped task definition with the seeded secret's ARN (moto adds a random suffix).
fn task_file(seeded: &Value, test: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string("fixtures/predeploy/web-task-definition.json").unwrap();
    let mut task: Value = serde_json::from_str(&text).unwrap();
    task["containerDefinitions"][0]["secrets"][0]["valueFrom"] = seeded["secret_arn"].clone();
    // One file per test: the tests run in parallel in one process.
    let path = std::env::temp_dir().join(format!(
        "pullpath-live-task-{}-{test}.json",
        std::process::id()
    ));
    std::fs::write(&path, task.to_string()).unwrap();
    path
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
fn a_task_definition_is_gated_against_the_live_account() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed_with("healthy-nat", &[]);
    let task = task_file(&seeded, "fargate");
    let task = task.to_str().unwrap();
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
    let _ = std::fs::remove_file(task);
}

#[test]
fn an_ec2_task_is_gated_on_the_live_clusters_instances() {
    let Some(moto) = Moto::start() else { return };
    // The cluster's only container instance is in a subnet without a default route.
    let seeded = moto.seed_with("ec2-launch-type", &[]);
    let task = task_file(&seeded, "ec2");
    let app = subnet(&seeded, "app-a");
    let run = moto.run(&[
        "audit",
        "--task-definition",
        task.to_str().unwrap(),
        "--cluster",
        "prod",
        "--launch-type",
        "EC2",
        "--subnets",
        &app,
        "--format",
        "json",
    ]);
    let _ = std::fs::remove_file(&task);
    // The file requires FARGATE: ECS would refuse it on EC2.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("requires FARGATE"), "{}", run.stderr);

    let text = std::fs::read_to_string("fixtures/predeploy/web-task-definition.json").unwrap();
    let mut ec2: Value = serde_json::from_str(&text).unwrap();
    ec2["requiresCompatibilities"] = serde_json::json!(["EC2"]);
    ec2["containerDefinitions"][0]["secrets"][0]["valueFrom"] = seeded["secret_arn"].clone();
    let path = std::env::temp_dir().join(format!("pullpath-live-ec2-{}.json", std::process::id()));
    std::fs::write(&path, ec2.to_string()).unwrap();
    let run = moto.run(&[
        "audit",
        "--task-definition",
        path.to_str().unwrap(),
        "--cluster",
        "prod",
        "--subnets",
        &app,
        "--format",
        "json",
    ]);
    let _ = std::fs::remove_file(&path);
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
