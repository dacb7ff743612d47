//! Formats other tools read, checked with parsers made for them: JUnit XML is read by
//! `junitparser` (PyPI, installed into `.venv-moto` by scripts/test) the way CI test report
//! widgets read it, and compared with the JSON report of the same audit.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::support::{run, temp_file};
use super::terminal_output::{hostile_snapshot, REASON, ROUTE_TABLE};

const FLEET: [&str; 4] = [
    "fixtures/fleet/123456789012-us-east-1.json",
    "fixtures/fleet/123456789012-eu-west-1.json",
    "fixtures/fleet/210987654321-us-east-1.json",
    "fixtures/fleet/210987654321-eu-west-1.json",
];

fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-moto/bin/python")
}

/// What junitparser reads from `path`: suites with their counts, and each case's result.
fn read_junit(path: &Path) -> Value {
    const READ: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
suites = []
for suite in xml:
    cases = []
    for case in suite:
        results = [{"kind": type(r).__name__, "type": r.type, "message": r.message, "text": r.text}
                   for r in case.result]
        cases.append({"name": case.name, "classname": case.classname, "results": results})
    suites.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                   "errors": suite.errors, "cases": cases})
print(json.dumps({"tests": xml.tests, "failures": xml.failures, "errors": xml.errors,
                  "suites": suites}))
"#;
    let output = Command::new(python())
        .args(["-c", READ])
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!("the .venv-moto python is needed (scripts/test installs it): {e}")
        });
    assert!(
        output.status.success(),
        "junitparser could not read the report: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the reader prints JSON")
}

fn audit(args: &[&str], format: &str) -> (i32, String) {
    let mut all = vec!["audit"];
    for snapshot in args {
        all.extend(["--snapshot", snapshot]);
    }
    all.extend(["--format", format]);
    let run = run(&all);
    (run.code, run.stdout)
}

#[test]
#[ignore = "needs junitparser in .venv-moto (scripts/test installs it)"]
fn junit_has_a_case_per_workload_and_a_root_cause_per_failure() {
    let (code, xml) = audit(&FLEET, "junit");
    let (json_code, json) = audit(&FLEET, "json");
    assert_eq!(
        code, json_code,
        "the exit code does not depend on the format"
    );
    let report: Value = serde_json::from_str(&json).expect("JSON report");
    let file = temp_file(&xml);
    let junit = read_junit(file.path());

    let workloads = report["workloads"].as_array().expect("workloads");
    let count = |status: &str| workloads.iter().filter(|w| w["status"] == status).count();
    assert_eq!(junit["tests"], workloads.len());
    assert_eq!(junit["failures"], count("fail"));
    assert_eq!(junit["errors"], count("unknown"));
    assert!(count("fail") > 0 && count("pass") > 0, "the fleet has both");
    assert_eq!(
        junit["suites"].as_array().unwrap().len(),
        4,
        "a suite per account/region"
    );

    for workload in workloads {
        let suite_name = format!(
            "{}/{}",
            workload["account_id"].as_str().unwrap(),
            workload["region"].as_str().unwrap()
        );
        let name = match workload["service"].as_str() {
            Some(service) => format!("{}/{service}", workload["cluster"].as_str().unwrap()),
            None => workload["cluster"].as_str().unwrap().to_string(),
        };
        let suite = junit["suites"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == suite_name.as_str())
            .unwrap_or_else(|| panic!("suite {suite_name}"));
        let case = suite["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name.as_str())
            .unwrap_or_else(|| panic!("case {name} in {suite_name}"));
        let results = case["results"].as_array().unwrap();
        match workload["status"].as_str().unwrap() {
            "pass" => assert!(results.is_empty(), "{name}: {results:?}"),
            status => {
                let kind = if status == "fail" { "Failure" } else { "Error" };
                assert_eq!(results.len(), 1, "{name}");
                assert_eq!(results[0]["kind"], kind, "{name}");
                // The failure is the workload's first root cause, by code and line.
                let cause = report["root_causes"].as_array().unwrap().iter().find(|c| {
                    c["account_id"] == workload["account_id"]
                        && c["region"] == workload["region"]
                        && c["workloads"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|b| b["workload"] == name.as_str())
                });
                if let Some(cause) = cause {
                    assert_eq!(results[0]["type"], cause["code"], "{name}");
                    assert_eq!(
                        results[0]["message"].as_str().unwrap(),
                        format!(
                            "[{}] {}",
                            cause["id"].as_str().unwrap(),
                            cause["message"].as_str().unwrap()
                        ),
                        "{name}"
                    );
                    assert!(results[0]["text"].as_str().unwrap().contains("fix: "));
                }
            }
        }
    }
}

#[test]
#[ignore = "needs junitparser in .venv-moto (scripts/test installs it)"]
fn junit_of_hostile_names_is_well_formed_and_carries_no_escapes() {
    let snapshot = hostile_snapshot(ROUTE_TABLE, REASON);
    let path = snapshot.path().to_str().unwrap();
    let (code, xml) = audit(&[path], "junit");
    assert_eq!(code, 3, "the incident fails");
    assert!(!xml.contains('\u{1b}') && !xml.contains('\u{7}'), "{xml}");
    let file = temp_file(&xml);
    let junit = read_junit(file.path());
    assert_eq!(junit["failures"], 1, "{junit}");
}
