//! Names and messages from the account cannot write to the auditor's terminal: a snapshot
//! whose cluster, service and route table names and `stoppedReason` carry ESC sequences, an
//! OSC 8 hyperlink, CR, LF and a right-to-left override is printed as a table, a diagnosis, an
//! explanation and the pictures with each of those characters escaped (`\u{1b}`), while the
//! JSON keeps the raw values.

use std::path::Path;

use serde_json::Value;

use crate::support::{run, temp_file, Run};

pub const CLUSTER: &str = "prod\x1b]0;owned title\x07\x1b[2J";
pub const SERVICE: &str = "web\r\nweb  PASS  (forged line)\u{202e}lmth.exe";
pub const ROUTE_TABLE: &str =
    "rtb-0a1b2c3d4e5f60003\x1b]8;;https://evil.example/\x1b\\click here\x1b]8;;\x1b\\";
const ROUTE_TABLE_ID: &str = "rtb-0a1b2c3d4e5f60003";
pub const REASON: &str = "CannotPullContainerError: dial tcp 52.46.144.120:443: i/o timeout\r\n\x1b[32mall good\x1b[0m \u{9b}31m\u{2066}\u{200b}\tend";

/// The seed incident of fixtures/diagnose with hostile names: `route_table` replaces the
/// private route table's id (the resource of every finding), `reason` every `stoppedReason`.
pub fn hostile_snapshot(route_table: &str, reason: &str) -> tempfile::NamedTempFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/diagnose/seed-incident.json");
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    snapshot["clusters"][0]["name"] = CLUSTER.into();
    snapshot["clusters"][0]["services"][0]["name"] = SERVICE.into();
    for task in snapshot["stopped_tasks"].as_array_mut().unwrap() {
        task["cluster"] = CLUSTER.into();
        task["group"] = format!("service:{SERVICE}").into();
        task["stopped_reason"] = reason.into();
    }
    let text = snapshot.to_string();
    let escaped = serde_json::to_string(route_table).unwrap();
    temp_file(&text.replace(ROUTE_TABLE_ID, &escaped[1..escaped.len() - 1]))
}

/// No control character but the tool's own line breaks, no bidirectional control, no
/// invisible format character.
fn assert_terminal_safe(what: &str, text: &str) {
    for (at, c) in text.char_indices() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{2028}' | '\u{2029}');
        assert!(!bad, "{what}: {c:?} at byte {at} in:\n{text:?}");
    }
    assert!(
        !text.lines().any(|l| l.starts_with("web  PASS")),
        "{what}: a forged line:\n{text}"
    );
}

/// JSON is read by programs, and printed: every unsafe character is a `\uXXXX` escape in the
/// text (C0, DEL, C1, bidirectional and other invisible controls), and the parsed value is
/// the raw one (the callers compare it).
fn assert_no_raw_controls(what: &str, text: &str) {
    assert_terminal_safe(what, text);
}

fn assert_safe_run(what: &str, run: &Run) {
    assert_terminal_safe(&format!("{what} (stdout)"), &run.stdout);
    assert_terminal_safe(&format!("{what} (stderr)"), &run.stderr);
}

#[test]
fn audit_tables_and_pictures_escape_hostile_names() {
    let snapshot = hostile_snapshot(ROUTE_TABLE, REASON);
    let path = snapshot.path().to_str().unwrap();
    let table = run(&["audit", "--snapshot", path]);
    assert_eq!(table.code, 3, "{}", table.stderr);
    assert_safe_run("audit table", &table);
    // Escaped, not dropped: the reader sees that the names hold something odd.
    assert!(table
        .stdout
        .contains("prod\\u{1b}]0;owned title\\u{7}\\u{1b}[2J/web\\u{d}\\u{a}web"));
    assert!(table
        .stdout
        .contains("rtb-0a1b2c3d4e5f60003\\u{1b}]8;;https://evil.example/"));
    assert!(table.stdout.contains("\\u{202e}lmth.exe"));
    for format in ["dot", "mermaid"] {
        let picture = run(&["audit", "--snapshot", path, "--format", format]);
        assert_eq!(picture.code, 3, "{format}: {}", picture.stderr);
        assert_safe_run(format, &picture);
        assert!(picture.stdout.contains("u{202e}"), "{format}");
    }
}

#[test]
fn diagnose_escapes_hostile_names_and_reasons() {
    let snapshot = hostile_snapshot(ROUTE_TABLE, REASON);
    let path = snapshot.path().to_str().unwrap();
    let args = [
        "diagnose",
        "--snapshot",
        path,
        "--cluster",
        CLUSTER,
        "--service",
        SERVICE,
    ];
    let table = run(&args);
    assert_eq!(table.code, 3, "{}", table.stderr);
    assert_safe_run("diagnose table", &table);
    assert!(table
        .stdout
        .contains("i/o timeout\\u{d}\\u{a}\\u{1b}[32mall"));
    assert!(table
        .stdout
        .contains("\\u{9b}31m\\u{2066}\\u{200b}\\u{9}end"));

    // A name that matches nothing is echoed escaped on stderr.
    let missing = run(&[&args[..5], &["--service", "api\x1b]0;owned\x07"]].concat());
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert_safe_run("diagnose error", &missing);
    assert!(
        missing.stderr.contains("\\u{1b}]0;owned\\u{7}"),
        "{}",
        missing.stderr
    );

    // JSON keeps every value as it is (serde_json escapes control characters itself).
    let json = run(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(json.code, 3, "{}", json.stderr);
    assert_no_raw_controls("diagnose json", &json.stdout);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    let workload = &report["workloads"][0];
    assert_eq!(workload["cluster"], CLUSTER);
    assert_eq!(workload["service"], SERVICE);
    assert_eq!(workload["diagnosis"]["observations"][0]["message"], REASON);
    assert_eq!(
        workload["diagnosis"]["causes"][0]["resource_id"],
        ROUTE_TABLE
    );
}

#[test]
fn explain_escapes_what_it_quotes() {
    let message = "CannotPullContainerError (\x1b]8;;https://evil.example/\x07details\x1b]8;;\x07): secret db\x1b[2J\u{202e}\x07x not found";
    let table = run(&["explain", message]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert_safe_run("explain table", &table);
    assert!(table
        .stdout
        .contains("secret db\\u{1b}[2J\\u{202e}\\u{7}x not found"));

    let json = run(&["explain", "--format", "json", message]);
    assert_no_raw_controls("explain json", &json.stdout);
    let explanation: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(explanation["message"], message);
    assert_eq!(explanation["category"], "secret-not-found");
    assert!(explanation["evidence"].as_str().unwrap().contains('\x1b'));
}

#[test]
fn input_files_are_echoed_escaped_in_errors() {
    let accounts = temp_file("arn:aws:iam::111111111111:role/a\x1b]0;owned\x07\r\n");
    let failed = run(&[
        "audit",
        "--all-clusters",
        "--accounts-file",
        accounts.path().to_str().unwrap(),
    ]);
    assert_eq!(failed.code, 2, "{}", failed.stderr);
    assert_safe_run("accounts file error", &failed);
    assert!(
        failed.stderr.contains("role/a\\u{1b}]0;owned\\u{7}"),
        "{}",
        failed.stderr
    );

    let suppressions = temp_file("[[suppress]]\ncode = \"\\u001b[2J\\u202e\"\nreason = \"x\"\n");
    let snapshot = Path::new("fixtures/scenarios/multi-service.json");
    let failed = run(&[
        "audit",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--suppressions",
        suppressions.path().to_str().unwrap(),
    ]);
    assert_eq!(failed.code, 2, "{}", failed.stderr);
    assert_safe_run("suppressions error", &failed);
    assert!(
        failed.stderr.contains("unknown code `\\u{1b}[2J\\u{202e}`"),
        "{}",
        failed.stderr
    );
}
