//! `pullpath diagnose` against the emulated endpoint: tasks run and stopped through the ECS
//! API with the seed incident's message (tests/live/seed.py --stopped-task).

use serde_json::Value;

use crate::emulator::Moto;

const SEED_TIMEOUT: &str = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2: failed to do request: Head \"https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/web/manifests/1.4.2\": dial tcp 52.46.144.120:443: i/o timeout";

fn diagnosis(moto: &Moto, subject: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["diagnose", "--cluster", "prod", "--format", "json"];
    args.extend_from_slice(subject);
    let run = moto.run(&args);
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); exit {}: {}", run.code, run.stderr));
    (run.code, report["workloads"][0].clone(), run.stderr)
}

/// The acceptance case: the service's task stopped with the seed incident's message;
/// the diagnosis names the route table and its fix first.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn the_seed_incident_live_names_the_route_table_and_fix_first() {
    let moto = Moto::start();
    moto.seed_with(
        "private-subnet-no-egress",
        &["--stopped-task", SEED_TIMEOUT],
    );
    let (code, workload, stderr) = diagnosis(&moto, &["--service", "web"]);
    assert_eq!(code, 3, "{stderr}");
    let d = &workload["diagnosis"];
    assert_eq!(d["stopped_tasks"], 1, "{d}");
    assert_eq!(d["observations"][0]["classification"]["target"], "ecr-dkr");
    assert_eq!(d["observations"][0]["agreement"], "explained");
    let cause = &d["causes"][0];
    assert_eq!(cause["code"], "NO_ROUTE", "{d}");
    assert_eq!(cause["targets"][0], "ecr-dkr");
    // The route table the audit blames for the registry call, with its fix.
    let dkr = workload["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target"] == "ecr-dkr")
        .unwrap();
    assert_eq!(cause["resource_id"], dkr["blockers"][0]["resource_id"]);
    assert!(cause["resource_id"].as_str().unwrap().starts_with("rtb-"));
    assert!(cause["fix"].as_str().unwrap().contains("NAT gateway"));
    // ListTasks and DescribeTasks on top of a one-service audit's 29 calls.
    assert!(
        stderr.contains("collected 1 service(s) and 1 task(s)")
            && stderr.contains(" with 31 AWS calls"),
        "{stderr}"
    );

    let table = moto.run(&["diagnose", "--cluster", "prod", "--service", "web"]);
    assert_eq!(table.code, 3);
    assert!(
        table
            .stdout
            .contains("most likely causes:\n  1. NO_ROUTE at rtb-"),
        "{}",
        table.stdout
    );
}

/// One task, named by ARN: audited in the subnet it ran in. In the unrouted subnet the
/// timeout is explained; in the routed one the configuration contradicts it, and says so.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_task_is_diagnosed_in_its_own_subnet() {
    let moto = Moto::start();
    for (subnet, explained) in [("app-b", true), ("app-a", false)] {
        let seeded = moto.seed_with(
            "one-subnet-without-route",
            &[
                "--stopped-task",
                SEED_TIMEOUT,
                "--stopped-task-subnet",
                subnet,
            ],
        );
        let task = seeded["stopped_tasks"][0].as_str().expect("a task ARN");
        let (code, workload, stderr) = diagnosis(&moto, &["--task", task]);
        let d = &workload["diagnosis"];
        assert_eq!(
            d["audited_with"]["subnets"].as_array().unwrap().len(),
            1,
            "{d}"
        );
        if explained {
            assert_eq!(code, 3, "{stderr}");
            assert_eq!(d["causes"][0]["code"], "NO_ROUTE", "{d}");
            assert_eq!(d["observations"][0]["agreement"], "explained");
        } else {
            // The audit passes, but the failure is not accounted for: unknown, not pass.
            assert_eq!(workload["status"], "pass", "{d}");
            assert_eq!(code, 4, "{stderr}: {d}");
            assert_eq!(d["observations"][0]["agreement"], "contradicted", "{d}");
            assert!(!d["beyond_configuration"].as_array().unwrap().is_empty());
        }
    }
}

/// `collect --stopped-tasks` saves what `diagnose` reads; diagnosing the file gives the same
/// diagnosis as the live account.
#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn a_collected_history_diagnoses_like_the_live_account() {
    let moto = Moto::start();
    moto.seed_with(
        "endpoint-private-dns-disabled",
        &["--stopped-task", SEED_TIMEOUT],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.json");
    let collected = moto.run(&[
        "collect",
        "--cluster",
        "prod",
        "--stopped-tasks",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(collected.code, 0, "{}", collected.stderr);
    let (_, live, _) = diagnosis(&moto, &["--service", "web"]);
    let offline = crate::support::run(&[
        "diagnose",
        "--snapshot",
        out.to_str().unwrap(),
        "--cluster",
        "prod",
        "--service",
        "web",
        "--format",
        "json",
    ]);
    let offline: Value = serde_json::from_str(&offline.stdout).unwrap();
    assert_eq!(live["diagnosis"], offline["workloads"][0]["diagnosis"]);
    assert_eq!(
        live["diagnosis"]["causes"][0]["code"], "ENDPOINT_PRIVATE_DNS_DISABLED",
        "{live}"
    );
}
