//! The published JSON Schemas (docs/report.schema.json, docs/report-line.schema.json) are
//! generated from the report's types: they must be current, and every report pullpath writes
//! for the fixtures must validate against them.

use std::path::Path;

use serde_json::Value;

use crate::support::run;

fn committed(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn validator(path: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&committed(path)).expect("the schema is JSON");
    jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{path} is not a valid schema: {e}"))
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the schema:\n{}",
        errors.join("\n")
    );
}

fn json_files(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".json"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_committed_schemas_are_current() {
    for (kind, path) in [
        ("report", "docs/report.schema.json"),
        ("ndjson", "docs/report-line.schema.json"),
        ("what-if", "docs/what-if.schema.json"),
    ] {
        let generated = run(&["schema", kind]);
        assert_eq!(generated.code, 0, "{}", generated.stderr);
        assert!(
            generated.stdout == committed(path),
            "{path} is stale: run `cargo run -- schema {kind} > {path}` and commit it"
        );
    }
}

#[test]
fn every_scenario_report_matches_the_schema() {
    let report = validator("docs/report.schema.json");
    let files = json_files("fixtures/scenarios");
    assert!(files.len() > 50, "{files:?}");
    for file in &files {
        let run = run(&["audit", "--snapshot", file, "--format", "json"]);
        assert_ne!(run.code, 2, "{file}: {}", run.stderr);
        assert_valid(&report, &serde_json::from_str(&run.stdout).unwrap(), file);
    }
}

#[test]
fn every_diagnose_report_matches_the_schema() {
    let report = validator("docs/report.schema.json");
    for file in json_files("fixtures/diagnose") {
        let snapshot: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let first = &snapshot["stopped_tasks"][0];
        let subject = match first["group"].as_str() {
            Some(group) if group.starts_with("family:") => {
                ["--task", first["arn"].as_str().unwrap()]
            }
            _ => ["--service", "web"],
        };
        let mut args = vec![
            "diagnose",
            "--snapshot",
            &file,
            "--cluster",
            "prod",
            "--format",
            "json",
        ];
        args.extend(subject);
        let run = run(&args);
        assert_ne!(run.code, 2, "{file}: {}", run.stderr);
        let json: Value = serde_json::from_str(&run.stdout).unwrap();
        assert!(json["workloads"][0]["diagnosis"].is_object(), "{file}");
        assert_valid(&report, &json, &file);
    }
}

#[test]
fn fleet_reports_and_their_ndjson_lines_match_the_schemas() {
    let report = validator("docs/report.schema.json");
    let line = validator("docs/report-line.schema.json");
    let mut args = vec![
        "audit",
        "--suppressions",
        "fixtures/fleet/suppressions.toml",
    ];
    let files = json_files("fixtures/fleet");
    for file in &files {
        args.extend(["--snapshot", file]);
    }
    let json = run(&[args.as_slice(), &["--format", "json"]].concat());
    assert_valid(
        &report,
        &serde_json::from_str(&json.stdout).unwrap(),
        "the fleet report",
    );
    let ndjson = run(&[args.as_slice(), &["--format", "ndjson"]].concat());
    // 5 workloads, 1 root cause, 1 fix plan, 4 scopes, the summary.
    assert_eq!(ndjson.stdout.lines().count(), 12);
    for (i, text) in ndjson.stdout.lines().enumerate() {
        assert_valid(
            &line,
            &serde_json::from_str(text).unwrap(),
            &format!("NDJSON line {}", i + 1),
        );
    }
}

/// The validation can fail: a report with a wrong status, a missing field or a line of an
/// unknown record kind is refused.
#[test]
fn the_schemas_refuse_what_pullpath_never_writes() {
    let report = validator("docs/report.schema.json");
    let run = run(&[
        "audit",
        "--snapshot",
        "fixtures/scenarios/healthy-nat.json",
        "--format",
        "json",
    ]);
    let good: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(report.is_valid(&good));
    let mut bad = good.clone();
    bad["workloads"][0]["status"] = "maybe".into();
    assert!(!report.is_valid(&bad), "an unknown status");
    let mut bad = good.clone();
    bad.as_object_mut().unwrap().remove("summary");
    assert!(!report.is_valid(&bad), "no summary");
    let mut bad = good;
    bad["workloads"][0]["findings"] = serde_json::json!([{"code": "NO_ROUTES"}]);
    assert!(!report.is_valid(&bad), "an unknown code");
    let line = validator("docs/report-line.schema.json");
    assert!(!line.is_valid(&serde_json::json!({"record": "total", "schema_version": 1})));
}
