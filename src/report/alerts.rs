//! The report as a list of alerts, for the formats whose unit is a finding rather than a
//! workload (SARIF, OCSF): one alert per root cause (one cause, one line), then one per
//! finding no root cause stands for, suppressed findings included with their suppression, then
//! one per account and region that could not be read and per cluster whose services could not
//! be: a dashboard that sees no alert for an account must mean it was read and is fine, never
//! that it was not read (a dashboard closes alerts that stop appearing).

use std::collections::BTreeMap;

use super::fleet_v1::{CoverageV1, ScopeV1};
use super::plan_v1::RootCauseV1;
use super::v1::{FindingV1, ReportV1, WorkloadV1};
use crate::checks::Severity;
use crate::codes::{Code, Effect};

/// One thing to change, as a dashboard or a data lake lists it.
#[derive(Debug, Clone)]
pub struct Alert {
    pub code: Code,
    /// `Error` when it blocks, `Warning` when it leaves a pull unknown.
    pub severity: Severity,
    pub account_id: String,
    pub region: String,
    /// The AWS resource to change.
    pub resource_id: String,
    /// The line: `[A] …` for a root cause.
    pub message: String,
    pub fix: String,
    /// The workloads it blocks.
    pub workloads: Vec<String>,
    pub calls: usize,
    /// The root cause's id (`A`), for a root cause.
    pub root_cause: Option<String>,
    /// The suppression's reason, for an accepted finding.
    pub suppressed: Option<String>,
    /// The snapshot of the alert's scope, when it came from one.
    pub snapshot: Option<String>,
    /// A stable identity across runs (see [`fingerprint`]).
    pub fingerprint: String,
}

/// Every alert of the report, root causes first.
pub fn alerts(report: &ReportV1) -> Vec<Alert> {
    let snapshot_of = |account: &str, region: &str| {
        report
            .scopes
            .iter()
            .find(|s| s.account_id.as_deref().unwrap_or_default() == account && s.region == region)
            .and_then(|s| s.snapshot.clone())
    };
    let mut out: Vec<Alert> = report
        .root_causes
        .iter()
        .map(|cause| Alert {
            code: cause.code,
            severity: severity_of(cause.effect),
            account_id: cause.account_id.clone(),
            region: cause.region.clone(),
            resource_id: cause.resource_id.clone(),
            message: format!("[{}] {}", cause.id, cause.message),
            fix: cause.fix.clone(),
            workloads: cause.workloads.iter().map(|b| b.workload.clone()).collect(),
            calls: cause.calls,
            root_cause: Some(cause.id.clone()),
            suppressed: None,
            snapshot: snapshot_of(&cause.account_id, &cause.region),
            fingerprint: fingerprint(
                &cause.account_id,
                &cause.region,
                cause.code,
                &cause.resource_id,
            ),
        })
        .collect();
    for workload in &report.workloads {
        for finding in workload
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info && !covered(&report.root_causes, workload, f))
        {
            out.push(Alert {
                code: finding.code,
                severity: finding.severity,
                account_id: workload.account_id.clone(),
                region: workload.region.clone(),
                resource_id: finding.resource_id.clone(),
                message: finding.message.clone(),
                fix: finding.fix.clone(),
                workloads: vec![workload.name()],
                calls: 0,
                root_cause: None,
                suppressed: finding.suppression.as_ref().map(|s| s.reason.clone()),
                snapshot: snapshot_of(&workload.account_id, &workload.region),
                // Unlike a root cause's, a finding's identity includes its workload and
                // whether it is accepted: the same resource can stand behind a live cause
                // and an accepted finding of another workload.
                fingerprint: hash_of(&[
                    &fingerprint(
                        &workload.account_id,
                        &workload.region,
                        finding.code,
                        &finding.resource_id,
                    ),
                    &workload.name(),
                    if finding.suppressed { "suppressed" } else { "" },
                    &finding.message,
                ]),
            });
        }
    }
    for scope in &report.scopes {
        out.extend(unread(scope));
    }
    out
}

/// An account and region not read at all, and each cluster of it whose services were not.
fn unread(scope: &ScopeV1) -> Vec<Alert> {
    let account = scope.account_id.clone().unwrap_or_default();
    let alert = |resource: &str, message: String| {
        Alert {
        code: Code::NotCollected,
        severity: Severity::Warning,
        account_id: account.clone(),
        region: scope.region.clone(),
        resource_id: resource.to_string(),
        message,
        fix: "Give pullpath's role the read-only policy (docs/iam-policy.json) in this account, or fix what the error names, and audit again.".to_string(),
        workloads: Vec::new(),
        calls: 0,
        root_cause: None,
        suppressed: None,
        snapshot: scope.snapshot.clone(),
        fingerprint: fingerprint(&account, &scope.region, Code::NotCollected, resource),
    }
    };
    let mut out = Vec::new();
    if matches!(scope.status, CoverageV1::Failed) {
        let place = if account.is_empty() {
            "the caller's account".to_string()
        } else {
            account.clone()
        };
        out.push(alert(
            "*",
            format!(
                "{place} {} could not be read, so nothing of it is audited: {}",
                scope.region,
                scope.error.as_deref().unwrap_or("no reason given")
            ),
        ));
    }
    for cluster in &scope.unread_clusters {
        out.push(alert(
            cluster,
            format!(
                "the services of cluster {cluster} could not be read, so none of them is audited"
            ),
        ));
    }
    out
}

fn severity_of(effect: Effect) -> Severity {
    match effect {
        Effect::Blocks => Severity::Error,
        Effect::Unknown => Severity::Warning,
    }
}

/// Whether a root cause of the workload already stands for the finding (a suppressed
/// finding never counted towards one).
pub(super) fn covered(causes: &[RootCauseV1], workload: &WorkloadV1, finding: &FindingV1) -> bool {
    let name = workload.name();
    !finding.suppressed
        && causes.iter().any(|c| {
            c.account_id == workload.account_id
                && c.region == workload.region
                && c.code == finding.code
                && (c.resource_id == finding.resource_id
                    || c.also_resources.contains(&finding.resource_id))
                && c.workloads.iter().any(|b| b.workload == name)
        })
}

/// FNV-1a over account, region, code and resource, each ended by a zero byte, as 16 hex
/// digits. Written out rather than through `std::hash` (whose output may change between Rust
/// versions), or every alert would look new to a dashboard after an upgrade.
pub fn fingerprint(account: &str, region: &str, code: Code, resource: &str) -> String {
    hash_of(&[account, region, code.as_str(), resource])
}

/// FNV-1a over `parts` (see [`fingerprint`]).
pub fn hash_of(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// `{"pullpath/v1": fingerprint}`, SARIF's `partialFingerprints`.
pub fn partial_fingerprints(alert: &Alert) -> BTreeMap<String, String> {
    BTreeMap::from([("pullpath/v1".to_string(), alert.fingerprint.clone())])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fingerprint is part of the output contract: a change makes every alert look new.
    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(
            fingerprint(
                "123456789012",
                "us-east-1",
                Code::NoRoute,
                "rtb-0a1b2c3d4e5f60003"
            ),
            "fe6c46856befd6be"
        );
    }
}
