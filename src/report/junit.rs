//! `--format junit`: JUnit XML, the test report CI merge-request widgets read (GitLab's unit
//! test reports, GitHub Actions test reporters, Jenkins). Written by `quick-junit`, which
//! escapes XML and drops terminal escapes and characters XML cannot carry.
//!
//! One test suite per account and region; each workload is a test case:
//! - `pass` → a passing case;
//! - `fail` → a `<failure>` whose type is the code of its first root cause and whose message
//!   is that cause's line (`[A] rtb-… has no route out…`); the text lists every finding with
//!   its fix;
//! - `unknown` → an `<error>` (the audit could not decide: never a pass), the same way.
//!
//! A scope that could not be read (`failed` coverage), and each cluster whose services could
//! not be read, is a test case with an `<error>` too, so an unreadable account is never a
//! silently shorter, greener report. Details: docs/formats.md.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::alerts::covered;
use super::fleet_v1::{CoverageV1, ScopeV1};
use super::plan_v1::RootCauseV1;
use super::v1::{ReportV1, WorkloadV1};
use crate::checks::{Severity, WorkloadStatus};

/// The report as JUnit XML.
pub fn render_junit(report: &ReportV1) -> Result<String, String> {
    let mut junit = Report::new("pullpath");
    for (account, region) in scopes_of(report) {
        let mut suite = TestSuite::new(format!("{account}/{region}"));
        for scope in report
            .scopes
            .iter()
            .filter(|s| same_scope(s, &account, &region))
        {
            suite.add_test_cases(unreadable(scope, &account, &region));
        }
        for workload in report
            .workloads
            .iter()
            .filter(|w| w.account_id == account && w.region == region)
        {
            suite.add_test_case(test_case(workload, &report.root_causes));
        }
        junit.add_test_suite(suite);
    }
    junit
        .to_string()
        .map_err(|e| format!("cannot write the JUnit report: {e}"))
}

/// Every account and region of the report, in the order its scopes and workloads name them.
fn scopes_of(report: &ReportV1) -> Vec<(String, String)> {
    let mut scopes: Vec<(String, String)> = Vec::new();
    let named = report
        .scopes
        .iter()
        .map(|s| (s.account_id.clone().unwrap_or_default(), s.region.clone()))
        .chain(
            report
                .workloads
                .iter()
                .map(|w| (w.account_id.clone(), w.region.clone())),
        );
    for scope in named {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes
}

fn same_scope(scope: &ScopeV1, account: &str, region: &str) -> bool {
    scope.account_id.as_deref().unwrap_or_default() == account && scope.region == region
}

/// What of a scope could not be read, as erroring test cases: the whole scope (`failed`
/// coverage), or each cluster whose services could not be read (a scope that is otherwise
/// complete would show no case at all for them).
fn unreadable(scope: &ScopeV1, account: &str, region: &str) -> Vec<TestCase> {
    let case = |name: String, message: String, description: String| {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_type("SCOPE_UNREADABLE");
        status.set_message(message);
        status.set_description(description);
        let mut case = TestCase::new(name, status);
        case.set_classname(format!("pullpath.{account}.{region}"));
        case
    };
    let mut cases = Vec::new();
    if matches!(scope.status, CoverageV1::Failed) {
        let mut why: Vec<String> = scope.error.iter().cloned().collect();
        why.extend(scope.failed_calls.iter().map(|c| format!("failed: {c}")));
        why.extend(scope.denied_actions.iter().map(|a| format!("denied: {a}")));
        cases.push(case(
            format!("scope {account}/{region}"),
            format!("{account}/{region} could not be read"),
            why.join("\n"),
        ));
    }
    for cluster in &scope.unread_clusters {
        cases.push(case(
            format!("cluster {cluster}"),
            format!("the services of cluster {cluster} could not be read"),
            scope
                .failed_calls
                .iter()
                .map(|c| format!("failed: {c}"))
                .chain(scope.denied_actions.iter().map(|a| format!("denied: {a}")))
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    cases
}

fn test_case(workload: &WorkloadV1, all_causes: &[RootCauseV1]) -> TestCase {
    let name = workload.name();
    let causes: Vec<&RootCauseV1> = all_causes
        .iter()
        .filter(|c| {
            c.account_id == workload.account_id
                && c.region == workload.region
                && c.workloads.iter().any(|b| b.workload == name)
        })
        .collect();
    let status = match workload.status {
        WorkloadStatus::Pass => TestCaseStatus::success(),
        WorkloadStatus::Fail => non_success(NonSuccessKind::Failure, workload, &causes, all_causes),
        WorkloadStatus::Unknown => {
            non_success(NonSuccessKind::Error, workload, &causes, all_causes)
        }
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(format!(
        "pullpath.{}.{}.{}",
        workload.account_id, workload.region, workload.cluster
    ));
    case.add_property(("task_definition", workload.task_definition.as_str()));
    case.add_property(("status", status_word(workload.status)));
    case
}

/// `causes`: the workload's root causes; `all_causes`: the report's (for which findings a
/// root cause already stands for, decided as the other formats decide it).
fn non_success(
    kind: NonSuccessKind,
    workload: &WorkloadV1,
    causes: &[&RootCauseV1],
    all_causes: &[RootCauseV1],
) -> TestCaseStatus {
    let counted: Vec<_> = workload
        .findings
        .iter()
        .filter(|f| !f.suppressed && f.severity != Severity::Info)
        .collect();
    let wanted = match kind {
        NonSuccessKind::Failure => Severity::Error,
        NonSuccessKind::Error => Severity::Warning,
    };
    let mut status = TestCaseStatus::non_success(kind);
    match (
        causes.first(),
        counted.iter().find(|f| f.severity == wanted),
    ) {
        (Some(cause), _) => {
            status.set_type(cause.code.as_str());
            status.set_message(format!("[{}] {}", cause.id, cause.message));
        }
        (None, Some(finding)) => {
            status.set_type(finding.code.as_str());
            status.set_message(finding.message.clone());
        }
        (None, None) => {
            status.set_type(status_word(workload.status));
            status.set_message(format!("the workload is {}", status_word(workload.status)));
        }
    }
    // One cause, one line: each root cause with its fix, then the findings no root cause
    // already stands for.
    let mut text: Vec<String> = causes
        .iter()
        .map(|c| {
            format!(
                "[{}] {} {}: {}\n  fix: {}",
                c.id,
                c.code.as_str(),
                c.resource_id,
                c.message,
                c.fix
            )
        })
        .collect();
    for finding in counted.iter().filter(|f| !covered(all_causes, workload, f)) {
        text.push(format!(
            "{} {} {}: {}\n  fix: {}",
            severity_word(finding.severity),
            finding.code.as_str(),
            finding.resource_id,
            finding.message,
            finding.fix
        ));
    }
    status.set_description(text.join("\n"));
    status
}

fn status_word(status: WorkloadStatus) -> &'static str {
    match status {
        WorkloadStatus::Pass => "pass",
        WorkloadStatus::Fail => "fail",
        WorkloadStatus::Unknown => "unknown",
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}
