//! No fix that does not work: every structured fix of every blocker of every fixture, applied
//! to that fixture, turns the blocker off; every root cause's alternatives, as the report
//! prints them, were verified by re-auditing and remove their cause.

use std::path::{Path, PathBuf};

use pullpath::checks::{audit_workloads, AuditOptions, WorkloadResult};
use pullpath::model::{load_snapshot, Snapshot};
use pullpath::plan::apply_all;
use pullpath::workload::select_workloads;
use serde_json::Value;

use crate::support::run;

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
    paths.sort();
    paths
}

fn audit(snapshot: &Snapshot) -> Vec<WorkloadResult> {
    let workloads = select_workloads(snapshot, None, &[]).unwrap_or_default();
    audit_workloads(snapshot, &workloads, &AuditOptions::default())
}

/// For each blocker with a structured fix, each alternative: applied, the same call of the
/// same workload no longer has the blocker (the same code at the same resource).
#[test]
fn every_structured_fix_turns_its_blocker_off() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in fixtures("fixtures/scenarios")
        .into_iter()
        .chain(fixtures("fixtures/fleet"))
    {
        let snapshot = load_snapshot(&path).unwrap();
        if snapshot.clusters.is_none() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for result in audit(&snapshot) {
            for requirement in &result.requirements {
                for blocker in &requirement.blockers {
                    for alternative in &blocker.remedy {
                        checked += 1;
                        let mut patched = snapshot.clone();
                        if let Err(e) = apply_all(&mut patched, &alternative.changes) {
                            failures.push(format!(
                                "{name}: {} {:?}: {e}",
                                blocker.code.as_str(),
                                alternative.strategy
                            ));
                            continue;
                        }
                        let after = audit(&patched);
                        let still = after
                            .iter()
                            .filter(|r| r.name() == result.name())
                            .flat_map(|r| &r.requirements)
                            .filter(|r| r.requirement.target == requirement.requirement.target)
                            .flat_map(|r| &r.blockers)
                            .any(|b| b.identity() == blocker.identity());
                        if still {
                            failures.push(format!(
                                "{name}: {}/{} {} at {} survives its {:?} fix {:?}",
                                result.name(),
                                requirement.requirement.target.as_str(),
                                blocker.code.as_str(),
                                blocker.resource_id,
                                alternative.strategy,
                                alternative.changes
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The fixtures exercise the structured fixes: a regression that drops them fails here.
    assert!(
        checked >= 40,
        "only {checked} structured fixes were checked"
    );
}

/// Every fixture's report, as the CLI prints it: each root cause's alternatives were
/// re-audited and remove the cause; no plan is left unverified.
#[test]
fn every_reported_alternative_is_verified_and_removes_its_cause() {
    let mut alternatives = 0;
    let mut failures = Vec::new();
    let kube = fixtures("fixtures/kubernetes")
        .into_iter()
        .filter(|p| !p.ends_with("aws-side.json") && !p.ends_with("cluster-objects.json"));
    for path in fixtures("fixtures/scenarios")
        .into_iter()
        .chain(fixtures("fixtures/fleet"))
        .chain(kube)
    {
        let shown = path.display().to_string();
        let run = run(&["audit", "--snapshot", &shown, "--format", "json"]);
        if run.code == 2 {
            continue; // a fixture that needs more arguments (tested in scenarios.rs)
        }
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        for cause in report["root_causes"].as_array().unwrap() {
            for alternative in cause["alternatives"].as_array().unwrap() {
                alternatives += 1;
                let verification = &alternative["verification"];
                if verification["removes_cause"] != true {
                    failures.push(format!(
                        "{shown}: {} at {}: {} does not remove it: {verification}",
                        cause["code"], cause["resource_id"], alternative["strategy"]
                    ));
                }
                assert!(!alternative["commands"].as_array().unwrap().is_empty());
            }
        }
        for plan in report["fix_plan"]["workloads"].as_array().unwrap() {
            for option in plan["options"].as_array().unwrap() {
                if option["verification"]["status"] == "not-verified" {
                    failures.push(format!("{shown}: {}: {option}", plan["workload"]));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        alternatives >= 30,
        "only {alternatives} alternatives were reported"
    );
}

fn json_audit(args: &[&str]) -> Value {
    let mut all = vec!["audit", "--format", "json"];
    all.extend_from_slice(args);
    let run = run(&all);
    assert_ne!(run.code, 2, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

/// Turning on the endpoints' private DNS fixes prod/web and would break prod/pub, which passes
/// through the internet gateway today: the plan must say so, never "passes".
#[test]
fn a_plan_that_breaks_another_service_is_not_a_pass() {
    let report = json_audit(&[
        "--snapshot",
        "fixtures/plans/plan-breaks-another-service.json",
    ]);
    let options = report["fix_plan"]["workloads"][0]["options"]
        .as_array()
        .unwrap();
    assert!(!options.is_empty(), "{report}");
    for option in options {
        let verification = &option["verification"];
        assert_eq!(verification["status"], "breaks-others", "{option}");
        assert_eq!(verification["breaks"][0], "prod/pub", "{option}");
    }
}

/// A suppressed finding still stops the pull: a plan that leaves it in place is no pass, so
/// the plans that pass add the egress rule the suppression hides.
#[test]
fn a_plan_does_not_pass_on_a_suppressed_blocker() {
    let report = json_audit(&[
        "--snapshot",
        "fixtures/plans/suppressed-egress.json",
        "--suppressions",
        "fixtures/plans/suppressed-egress.toml",
    ]);
    for option in report["fix_plan"]["workloads"][0]["options"]
        .as_array()
        .unwrap()
    {
        let adds_egress = option["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["action"] == "authorize-egress");
        let passes = option["verification"]["status"] == "passes";
        assert!(!passes || adds_egress, "{option}");
    }
}

/// The changes of a fix plan, as the report prints them, are what what-if takes; tried
/// first, they make the workload pass.
#[test]
fn a_printed_plan_is_a_what_if_that_makes_the_workload_pass() {
    let snapshot = "fixtures/scenarios/private-subnet-no-egress.json";
    let report = json_audit(&["--snapshot", snapshot]);
    for option in report["fix_plan"]["workloads"][0]["options"]
        .as_array()
        .unwrap()
    {
        let file = crate::support::temp_file(&option["changes"].to_string());
        let run = run(&[
            "what-if",
            "--snapshot",
            snapshot,
            "--changes",
            crate::support::arg(&file),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.contains("prod/web  fail → PASS"),
            "{}",
            run.stdout
        );
    }
}
