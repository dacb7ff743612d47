//! `pullpath audit --organization` against the emulated endpoint: an organization of seven
//! accounts (the management account and six members, in nested units; one suspended) seeded
//! by tests/live/organization.py, audited through one role name.

use serde_json::Value;

use crate::emulator::Moto;

/// The exit code when a scope could not be read (and nothing fails).
const UNKNOWN: i32 = 4;

fn scopes(run: &str) -> Vec<Value> {
    let report: Value = serde_json::from_str(run).expect("a JSON report");
    report["scopes"].as_array().expect("scopes").clone()
}

/// `audit --organization --role-name ROLE EXTRA… --all-clusters` in us-east-1, as JSON.
fn audit_organization(moto: &Moto, role: &str, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["audit", "--organization", "--role-name", role];
    args.extend_from_slice(extra);
    args.extend([
        "--all-clusters",
        "--region",
        "us-east-1",
        "--format",
        "json",
    ]);
    moto.run(&args)
}

fn id(declared: &Value, name: &str) -> String {
    declared["accounts"][name].as_str().unwrap().to_string()
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn every_account_of_the_organization_is_audited_and_a_suspended_one_reported() {
    let moto = Moto::start();
    let declared = moto.seed_organization();
    let role = declared["role"].as_str().unwrap();
    let run = audit_organization(&moto, role, &[]);
    assert_eq!(run.code, UNKNOWN, "{}", run.stderr);
    let scopes = scopes(&run.stdout);
    assert_eq!(scopes.len(), 7, "{scopes:#?}");
    let suspended = declared["suspended"].as_str().unwrap();
    for scope in &scopes {
        let account = scope["account_id"].as_str().unwrap();
        assert_eq!(
            scope["role_arn"],
            format!("arn:aws:iam::{account}:role/{role}").as_str()
        );
        if account == suspended {
            assert_eq!(scope["status"], "failed", "{scope}");
            let error = scope["error"].as_str().unwrap_or_default();
            assert!(error.contains("SUSPENDED"), "{scope}");
        } else {
            assert_eq!(scope["status"], "complete", "{scope}");
            assert_eq!(scope["clusters"], 1, "{scope}");
        }
    }
    // The listing is read once for the run: one ListAccounts, in the first scope.
    let listings: u64 = scopes
        .iter()
        .filter_map(|s| s["calls_by_operation"]["organizations:ListAccounts"].as_u64())
        .sum();
    assert_eq!(listings, 1, "{scopes:#?}");
    assert!(
        run.stderr.contains(suspended),
        "the unreadable account is named on stderr too: {}",
        run.stderr
    );
}

#[test]
#[ignore = "needs the AWS emulator (.venv-moto); ./scripts/test runs it"]
fn units_and_account_filters_narrow_the_organization() {
    let moto = Moto::start();
    let declared = moto.seed_organization();
    let role = declared["role"].as_str().unwrap();
    let apps = declared["units"]["apps"].as_str().unwrap();
    // The unit `apps` holds api and jobs, and through `payments` ledger, old (suspended) and
    // the management account; jobs is excluded by id.
    let run = audit_organization(
        &moto,
        role,
        &[
            "--organizational-units",
            apps,
            "--exclude-accounts",
            &id(&declared, "jobs"),
        ],
    );
    assert_eq!(run.code, UNKNOWN, "{}", run.stderr);
    let mut seen: Vec<String> = scopes(&run.stdout)
        .iter()
        .map(|s| s["account_id"].as_str().unwrap().to_string())
        .collect();
    seen.sort();
    let mut expected = vec![
        id(&declared, "management"),
        id(&declared, "api"),
        id(&declared, "ledger"),
        id(&declared, "old"),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    // Only the named accounts, all active (the management account runs the healthy service):
    // every scope is read and the run passes.
    let named = format!(
        "{},{}",
        id(&declared, "management"),
        id(&declared, "ledger")
    );
    let run = audit_organization(&moto, role, &["--accounts", &named]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(scopes(&run.stdout).len(), 2);
    // An id that is not in the organization is a scope not read, never dropped.
    let run = audit_organization(
        &moto,
        role,
        &["--accounts", &format!("{named},111111111111")],
    );
    assert_eq!(run.code, UNKNOWN, "{}", run.stderr);
    let scopes = scopes(&run.stdout);
    assert_eq!(scopes.len(), 3);
    let stranger = scopes
        .iter()
        .find(|s| s["account_id"] == "111111111111")
        .expect("the unknown id has a scope");
    assert_eq!(stranger["status"], "failed");
    assert!(stranger["error"]
        .as_str()
        .unwrap()
        .contains("is not an account of the organization"));
}

#[test]
fn organization_arguments_are_checked_before_any_call() {
    let run = |args: &[&str]| crate::support::run(args);
    for (args, says) in [
        (
            vec!["audit", "--organization", "--all-clusters"],
            "--role-name",
        ),
        (
            vec![
                "audit",
                "--organization",
                "--role-name",
                "bad name!",
                "--all-clusters",
            ],
            "--role-name",
        ),
        (
            vec![
                "audit",
                "--organization",
                "--role-name",
                "r",
                "--accounts",
                "12345",
                "--all-clusters",
            ],
            "--accounts",
        ),
        (
            vec![
                "audit",
                "--organization",
                "--role-name",
                "r",
                "--organizational-units",
                "r-abcd",
                "--all-clusters",
            ],
            "--organizational-units",
        ),
        (
            vec![
                "audit",
                "--organization",
                "--role-name",
                "r",
                "--role-arn",
                "arn:aws:iam::123456789012:role/x",
                "--all-clusters",
            ],
            "--role-arn",
        ),
    ] {
        let out = run(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
}
