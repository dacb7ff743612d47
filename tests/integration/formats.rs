//! Formats other tools read, checked with parsers made for them: JUnit XML is read by
//! `junitparser` (PyPI, installed into `.venv-moto` by scripts/test) the way CI test report
//! widgets read it; SARIF is validated against the published SARIF 2.1.0 schema
//! (tests/schemas/sarif-schema-2.1.0.json, OASIS, as shipped in the serde-sarif crate). Both
//! are compared with the JSON report of the same audit.

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
    python_json(&["-c", READ], path, "junitparser could not read the report")
}

/// Runs the `.venv-moto` python with `args` and `path`; what it prints, as JSON. `failure`
/// says what a non-zero exit means.
fn python_json(args: &[&str], path: &Path, failure: &str) -> Value {
    let output = Command::new(python())
        .args(args)
        .arg(path)
        .output()
        .unwrap_or_else(|e| {
            panic!("the .venv-moto python is needed (scripts/test installs it): {e}")
        });
    assert!(
        output.status.success(),
        "{failure}: {}",
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

fn sarif_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("JSON");
    // The published pattern of `language` (run, tool component, …) ends in a lone `]`, a
    // literal in ECMAScript regular expressions (JSON Schema's dialect) that Rust's regex
    // engines refuse; escaped, it means the same. (pullpath writes no `language`.)
    fn escape_bracket(value: &mut Value) -> usize {
        match value {
            Value::Object(map) => {
                let mut fixed = 0;
                if map.get("pattern").and_then(Value::as_str)
                    == Some("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$")
                {
                    map.insert(
                        "pattern".into(),
                        Value::from("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$"),
                    );
                    fixed += 1;
                }
                fixed + map.values_mut().map(escape_bracket).sum::<usize>()
            }
            Value::Array(items) => items.iter_mut().map(escape_bracket).sum(),
            _ => 0,
        }
    }
    assert!(
        escape_bracket(&mut schema) > 0,
        "the schema changed: see the comment"
    );
    jsonschema::validator_for(&schema).expect("a valid schema")
}

/// Runs `pullpath audit ARGS --format sarif`, checks the log against the SARIF schema and
/// returns it with the JSON report of the same audit.
fn sarif_and_json(args: &[&str]) -> (Value, Value) {
    let with = |format: &str| {
        let mut all = vec!["audit"];
        all.extend_from_slice(args);
        all.extend(["--format", format]);
        let run = run(&all);
        assert!(matches!(run.code, 0 | 3 | 4), "{}", run.stderr);
        serde_json::from_str::<Value>(&run.stdout).expect("JSON output")
    };
    let sarif = with("sarif");
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{args:?}: not SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
    (sarif, with("json"))
}

#[test]
fn sarif_is_one_result_per_root_cause_and_valid_sarif() {
    let mut args = Vec::new();
    for snapshot in FLEET {
        args.extend(["--snapshot", snapshot]);
    }
    args.extend(["--suppressions", "fixtures/fleet/suppressions.toml"]);
    let (sarif, report) = sarif_and_json(&args);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    // Every result names a rule the driver declares.
    for result in results {
        assert!(
            rules.iter().any(|r| r["id"] == result["ruleId"]),
            "{}",
            result["ruleId"]
        );
    }
    // Each root cause is one result, at its level, with its fingerprint.
    let causes = report["root_causes"].as_array().expect("root causes");
    assert!(!causes.is_empty());
    for cause in causes {
        let id = cause["id"].as_str().unwrap();
        let found: Vec<&Value> = results
            .iter()
            .filter(|r| r["properties"]["root_cause"] == id)
            .collect();
        assert_eq!(found.len(), 1, "root cause {id}");
        assert_eq!(found[0]["ruleId"], cause["code"]);
        let level = if cause["effect"] == "blocks" {
            "error"
        } else {
            "warning"
        };
        assert_eq!(found[0]["level"], level, "{id}");
        assert!(found[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("[{id}] ")));
        assert_eq!(
            found[0]["locations"][0]["logicalLocations"][0]["name"],
            cause["resource_id"]
        );
        assert!(found[0]["partialFingerprints"]["pullpath/v1"].is_string());
    }
    // Suppressed findings are results with their suppression, never dropped.
    let suppressed: usize = report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["findings"].as_array().unwrap())
        .filter(|f| f["suppressed"] == true && f["severity"] != "info")
        .count();
    assert!(suppressed > 0, "the fleet's suppressions apply");
    let with_suppression = results
        .iter()
        .filter(|r| r["suppressions"].as_array().is_some_and(|s| !s.is_empty()))
        .count();
    assert_eq!(with_suppression, suppressed);
    // The validator is live: a result without its message is not SARIF.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!sarif_validator().is_valid(&broken));
    // The same alert keeps its fingerprint from run to run.
    let (again, _) = sarif_and_json(&args);
    assert_eq!(again["runs"][0]["results"], run["results"]);
}

#[test]
fn sarif_of_the_pre_deploy_gate_points_at_the_task_definition() {
    let (sarif, report) = sarif_and_json(&[
        "--snapshot",
        "fixtures/scenarios/healthy-nat.json",
        "--task-definition",
        "fixtures/predeploy/web-task-definition.json",
        "--subnets",
        "subnet-0a1b2c3d4e5f6001a",
        "--security-groups",
        "sg-0a1b2c3d4e5f60002",
    ]);
    assert_eq!(report["workloads"][0]["status"], "fail");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for result in results {
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "fixtures/predeploy/web-task-definition.json"
        );
    }
    assert!(results.iter().any(|r| r["ruleId"] == "NO_PUBLIC_IP"));
}

#[test]
fn sarif_of_hostile_names_is_valid_json_and_sarif() {
    let snapshot = hostile_snapshot(ROUTE_TABLE, REASON);
    let path = snapshot.path().to_str().unwrap().to_string();
    let (sarif, _) = sarif_and_json(&["--snapshot", &path]);
    // JSON escapes control characters: no raw ESC reaches a dashboard or a terminal.
    let text = serde_json::to_string(&sarif).unwrap();
    assert!(!text.contains('\u{1b}'));
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
}

/// What tests/live/ocsf_check.py (Prowler's OCSF models) reads from pullpath's findings.
fn read_ocsf(path: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/ocsf_check.py");
    python_json(
        &[script.to_str().unwrap()],
        path,
        "not OCSF Detection Findings",
    )
}

#[test]
#[ignore = "needs py-ocsf-models in .venv-moto (scripts/test installs it)"]
fn ocsf_findings_validate_and_match_the_sarif_results() {
    let mut args = Vec::new();
    for snapshot in FLEET {
        args.extend(["--snapshot", snapshot]);
    }
    args.extend(["--suppressions", "fixtures/fleet/suppressions.toml"]);
    let (sarif, report) = sarif_and_json(&args);
    let mut all = vec!["audit"];
    all.extend_from_slice(&args);
    all.extend(["--format", "ocsf"]);
    let ocsf = run(&all);
    let file = temp_file(&ocsf.stdout);
    let read = read_ocsf(file.path());
    let findings = read["findings"].as_array().expect("findings");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    // The same alerts as SARIF: one per root cause, then the findings no cause stands for.
    assert_eq!(findings.len(), results.len());
    assert!(findings
        .iter()
        .all(|f| f["class_uid"] == 2004 && f["type_uid"] == 200401 && f["version"] == "1.5.0"));
    for (finding, result) in findings.iter().zip(results) {
        assert_eq!(finding["code"], result["ruleId"]);
        let level = if finding["severity_id"] == 4 {
            "error"
        } else {
            "warning"
        };
        assert_eq!(result["level"], level);
        let suppressed = result["suppressions"].is_array();
        assert_eq!(finding["status_id"], if suppressed { 3 } else { 1 });
    }
    let causes = report["root_causes"].as_array().unwrap().len();
    assert!(causes > 0 && findings.len() > causes);
    // Every finding has its own id.
    let mut uids: Vec<&str> = findings
        .iter()
        .map(|f| f["uid"].as_str().unwrap())
        .collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), findings.len());
}
