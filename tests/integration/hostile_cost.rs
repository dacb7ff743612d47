//! Small hostile inputs must not cost minutes: a megabyte name or `stoppedReason` in a table,
//! a 64 KB message built from the fragments `explain`'s patterns look for, 20,000 roles or
//! suppressions. The ceilings are generous guards against quadratic blow-ups (each case took
//! from seconds to minutes before), not benchmarks: docs/performance.md has the figures.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{run, temp_file, Run};
use crate::terminal_output::{hostile_snapshot, CLUSTER, REASON, SERVICE};

const CEILING: Duration = Duration::from_secs(10);

fn timed(what: &str, args: &[&str]) -> Run {
    let started = Instant::now();
    let result = run(args);
    let took = started.elapsed();
    assert!(took < CEILING, "{what} took {took:?}");
    result
}

#[test]
fn a_megabyte_name_is_cut_before_table_layout() {
    let route_table = format!("rtb-{}", "0".repeat(1 << 20));
    let snapshot = hostile_snapshot(&route_table, REASON);
    let path = snapshot.path().to_str().unwrap();
    let table = timed("audit table", &["audit", "--snapshot", path]);
    assert_eq!(table.code, 3, "{}", table.stderr);
    assert!(table
        .stdout
        .contains("more characters; --format json has the whole value)"));
    assert!(table.stdout.len() < 200_000, "{} bytes", table.stdout.len());

    let json = timed(
        "audit json",
        &["audit", "--snapshot", path, "--format", "json"],
    );
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    let finding = &report["workloads"][0]["findings"][0];
    assert_eq!(finding["resource_id"], route_table.as_str());
}

#[test]
fn a_megabyte_stopped_reason_is_cut_in_the_diagnosis() {
    // One unbroken megabyte: comfy-table's cost is in splitting words wider than the column.
    let reason = format!("{REASON} {}", "0".repeat(1 << 20));
    let snapshot = hostile_snapshot("rtb-0a1b2c3d4e5f60003", &reason);
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
    let table = timed("diagnose table", &args);
    assert_eq!(table.code, 3, "{}", table.stderr);
    // Cut in the table (where the note wraps with the cell) and in the notes under it.
    assert!(table.stdout.contains("(cut:"));
    assert!(table.stdout.len() < 200_000, "{} bytes", table.stdout.len());
}

/// 64 KB (the classifier's cap) of fragments its patterns look for, ASCII and not: an
/// alternative that runs to the end of the line next to others that match made `find_iter`
/// quadratic, and a non-ASCII letter makes the regex engine leave its DFA for a slower one.
#[test]
fn explain_is_linear_in_its_input() {
    for fragment in [
        " oauth token: unexpected status unauthorizedé",
        " anonymous token: unexpected status 403 unauthorized",
        "i/o tRequestErroré",
        "secret é not found ",
        "https://é.example/v2/x/blobs/ ",
        "arn:aws:iam::123456789012:role/é ",
        " a.b/c:d@sha256:0 ",
        "lookup é.example on 10.0.0.2:53: ",
        "dial tcp 10.0.0.1:443: ",
        "not authorized to perform: ecr:X because no ",
        "é",
    ] {
        let message = fragment.repeat(64 * 1024 / fragment.len() + 1);
        let table = timed(fragment, &["explain", &message]);
        assert!(matches!(table.code, 0 | 4), "{fragment}: {}", table.stderr);
    }
}

#[test]
fn twenty_thousand_roles_and_suppressions_are_checked_in_linear_time() {
    let mut roles: String = (0..20_000u64)
        .map(|i| format!("arn:aws:iam::{:012}:role/audit\n", 100_000_000_000 + i))
        .collect();
    roles.push_str("arn:aws:iam::100000000000:role/again\n");
    let accounts = temp_file(&roles);
    let failed = timed(
        "accounts file",
        &[
            "audit",
            "--all-clusters",
            "--accounts-file",
            accounts.path().to_str().unwrap(),
        ],
    );
    assert_eq!(failed.code, 2, "{}", failed.stderr);
    assert!(
        failed
            .stderr
            .contains(":20001: account 100000000000 is already listed"),
        "{}",
        failed.stderr
    );

    let rules = "[[suppress]]\ncode = \"NO_ROUTE\"\nworkload = \"other/*\"\nreason = \"lab\"\n\n"
        .repeat(20_000);
    let suppressions = temp_file(&rules);
    let audited = timed(
        "suppressions file",
        &[
            "audit",
            "--snapshot",
            "fixtures/scenarios/private-subnet-no-egress.json",
            "--format",
            "json",
            "--suppressions",
            suppressions.path().to_str().unwrap(),
        ],
    );
    assert_eq!(audited.code, 3, "{}", audited.stderr);
    let report: Value = serde_json::from_str(&audited.stdout).unwrap();
    assert_eq!(report["suppressions"].as_array().unwrap().len(), 20_000);
}
