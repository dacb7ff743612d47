//! `--format ocsf`: OCSF 1.5 Detection Findings (class 2004), the schema security data lakes
//! read (Amazon Security Lake, and the SIEMs that take Prowler's `json-ocsf`). A JSON array,
//! one finding per alert (see `alerts`): each root cause, then each finding no root cause
//! stands for, suppressed ones with status Suppressed. Tested with Prowler's own OCSF models
//! (`py-ocsf-models`). Details: docs/formats.md.

use serde::Serialize;

use super::alerts::{alerts, hash_of, Alert};
use super::v1::ReportV1;
use crate::checks::Severity;

/// The OCSF schema version the findings follow.
pub const OCSF_VERSION: &str = "1.5.0";

/// Findings category, Detection Finding class, Create activity (type = class × 100 + activity).
const CATEGORY_FINDINGS: u32 = 2;
const CLASS_DETECTION_FINDING: u32 = 2004;
const ACTIVITY_CREATE: u32 = 1;

#[derive(Serialize)]
struct DetectionFinding {
    activity_id: u32,
    activity_name: &'static str,
    category_uid: u32,
    category_name: &'static str,
    class_uid: u32,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    severity_id: u32,
    severity: &'static str,
    status_id: u32,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_detail: Option<String>,
    /// Milliseconds since the epoch: when the report was generated.
    time: i64,
    message: String,
    metadata: Metadata,
    finding_info: FindingInfo,
    cloud: Cloud,
    resources: Vec<Resource>,
    remediation: Remediation,
    unmapped: Unmapped,
}

#[derive(Serialize)]
struct Metadata {
    version: &'static str,
    product: Product,
    event_code: String,
    uid: String,
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct FindingInfo {
    uid: String,
    title: String,
    desc: String,
    types: Vec<String>,
    created_time: i64,
}

#[derive(Serialize)]
struct Cloud {
    provider: &'static str,
    region: String,
    account: Account,
}

#[derive(Serialize)]
struct Account {
    uid: String,
    name: String,
    /// 10: AWS Account.
    type_id: u32,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Resource {
    uid: String,
    region: String,
    cloud_partition: &'static str,
}

#[derive(Serialize)]
struct Remediation {
    desc: String,
}

/// What OCSF has no attribute for.
#[derive(Serialize)]
struct Unmapped {
    workloads: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    root_cause: Option<String>,
    calls: usize,
}

/// The report as a JSON array of OCSF Detection Findings. `generated_at`: the report's
/// RFC 3339 time (`time` of every finding).
pub fn render_ocsf(report: &ReportV1) -> Result<String, String> {
    let time = epoch_millis(&report.generated_at);
    let findings: Vec<DetectionFinding> = alerts(report).iter().map(|a| finding(a, time)).collect();
    let mut text = serde_json::to_string_pretty(&findings)
        .map_err(|e| format!("cannot write the OCSF findings: {e}"))?;
    text.push('\n');
    Ok(text)
}

fn finding(alert: &Alert, time: i64) -> DetectionFinding {
    // Blocks: High (the pull fails); unknown: Medium (it may).
    let (severity_id, severity) = match alert.severity {
        Severity::Error => (4, "High"),
        Severity::Warning => (3, "Medium"),
        Severity::Info => (1, "Informational"),
    };
    let (status_id, status) = match alert.suppressed {
        Some(_) => (3, "Suppressed"),
        None => (1, "New"),
    };
    DetectionFinding {
        activity_id: ACTIVITY_CREATE,
        activity_name: "Create",
        category_uid: CATEGORY_FINDINGS,
        category_name: "Findings",
        class_uid: CLASS_DETECTION_FINDING,
        class_name: "Detection Finding",
        type_uid: CLASS_DETECTION_FINDING * 100 + ACTIVITY_CREATE,
        type_name: "Detection Finding: Create",
        severity_id,
        severity,
        status_id,
        status,
        status_detail: alert.suppressed.clone(),
        time,
        message: alert.message.clone(),
        metadata: Metadata {
            version: OCSF_VERSION,
            product: Product {
                name: "pullpath",
                vendor_name: "pullpath",
                version: env!("CARGO_PKG_VERSION"),
            },
            event_code: alert.code.as_str().to_string(),
            uid: finding_uid(alert),
        },
        finding_info: FindingInfo {
            uid: finding_uid(alert),
            title: format!("{} {}", alert.code.as_str(), alert.resource_id),
            desc: alert.message.clone(),
            types: vec![alert.code.as_str().to_string()],
            created_time: time,
        },
        cloud: Cloud {
            provider: "AWS",
            region: alert.region.clone(),
            account: Account {
                uid: alert.account_id.clone(),
                name: alert.account_id.clone(),
                type_id: 10,
                kind: "AWS Account",
            },
        },
        resources: vec![Resource {
            uid: alert.resource_id.clone(),
            region: alert.region.clone(),
            cloud_partition: partition_of(&alert.region),
        }],
        remediation: Remediation {
            desc: alert.fix.clone(),
        },
        unmapped: Unmapped {
            workloads: alert.workloads.clone(),
            root_cause: alert.root_cause.clone(),
            calls: alert.calls,
        },
    }
}

/// A finding's own id: a root cause's is its fingerprint (which follows one cause across
/// runs); another finding's also covers its workload and message, since one resource can
/// stand behind several findings of several workloads.
fn finding_uid(alert: &Alert) -> String {
    match &alert.root_cause {
        Some(_) => alert.fingerprint.clone(),
        None => hash_of(&[
            &alert.fingerprint,
            &alert.workloads.join(","),
            &alert.message,
        ]),
    }
}

/// The partition of a region (`cn-north-1`: `aws-cn`; `us-gov-west-1`: `aws-us-gov`;
/// "Regions and Zones", AWS General Reference).
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// An RFC 3339 time (`2026-12-01T00:00:00Z`) as milliseconds since the epoch (0 if it cannot
/// be read: the report writes this form itself).
fn epoch_millis(rfc3339: &str) -> i64 {
    use aws_smithy_types::date_time::{DateTime, Format};
    DateTime::from_str(rfc3339, Format::DateTime)
        .ok()
        .and_then(|t| t.to_millis().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::epoch_millis;

    #[test]
    fn report_times_become_epoch_milliseconds() {
        assert_eq!(epoch_millis("1970-01-01T00:00:00Z"), 0);
        // PULLPATH_NOW of the tests.
        assert_eq!(epoch_millis("2026-12-01T00:00:00Z"), 1_796_083_200_000);
        assert_eq!(epoch_millis("2000-03-01T12:34:56Z"), 951_914_096_000);
        assert_eq!(epoch_millis("not a time"), 0);
    }
}
