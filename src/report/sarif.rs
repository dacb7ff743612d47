//! `--format sarif`: SARIF 2.1.0 (OASIS), what code-scanning dashboards read (GitHub code
//! scanning, GitLab, Azure DevOps, SonarQube). Written with `serde-sarif`, whose types are
//! generated from the published schema; the tests validate the output against that schema.
//!
//! - The tool's rules are every pullpath code (`NO_ROUTE`, …) with its one-line summary.
//! - One result per root cause (one cause, one line): the rule is its code, the level `error`
//!   when it blocks and `warning` when it makes the pull unknown, the message its line and fix,
//!   and the workloads it blocks in the result's properties. A finding no root cause stands
//!   for is a result of its own; a suppressed finding is a result with its suppression (the
//!   rule's reason), as SARIF records accepted findings.
//! - The location is the file the audit judged: the task definition or `prefect.yaml` of the
//!   pre-deploy gate (so the dashboard shows the alert on the file under review), else the
//!   scope's snapshot; the AWS resource to change is the logical location.
//! - `partialFingerprints` (`pullpath/v1`: account, region, code, resource) let a dashboard
//!   follow one alert across runs.
//!
//! Details: docs/formats.md.

use std::collections::BTreeMap;

use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Suppression, Tool, ToolComponent,
};

use super::fleet_v1::ScopeV1;
use super::plan_v1::RootCauseV1;
use super::v1::{FindingV1, ReportV1, WorkloadV1};
use crate::checks::Severity;
use crate::codes::{Code, Effect};

/// The SARIF schema the output declares (and the tests validate against).
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The report as a SARIF 2.1.0 log. `artifact`: the file a pre-deploy audit judged.
pub fn render_sarif(report: &ReportV1, artifact: Option<&str>) -> Result<String, String> {
    let rules: Vec<ReportingDescriptor> = Code::ALL.iter().map(|c| rule(*c)).collect();
    let mut results = Vec::new();
    for cause in &report.root_causes {
        let location = artifact.or_else(|| snapshot_of(&report.scopes, cause));
        results.push(cause_result(cause, location));
    }
    for workload in &report.workloads {
        let location = artifact.or_else(|| {
            report
                .scopes
                .iter()
                .find(|s| {
                    s.account_id.as_deref().unwrap_or_default() == workload.account_id
                        && s.region == workload.region
                })
                .and_then(|s| s.snapshot.as_deref())
        });
        for finding in workload
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info && !covered(&report.root_causes, workload, f))
        {
            results.push(finding_result(workload, finding, location));
        }
    }
    let driver = ToolComponent::builder()
        .name("pullpath")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .build();
    let log = Sarif::builder()
        .schema(SARIF_SCHEMA)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut text = serde_json::to_string_pretty(&log)
        .map_err(|e| format!("cannot write the SARIF report: {e}"))?;
    text.push('\n');
    Ok(text)
}

fn rule(code: Code) -> ReportingDescriptor {
    let level = match code.default_effect() {
        Effect::Blocks => "error",
        Effect::Unknown => "warning",
    };
    ReportingDescriptor::builder()
        .id(code.as_str())
        .short_description(
            MultiformatMessageString::builder()
                .text(code.summary())
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(format!(
                    "{} Cause, evidence and fix: docs/codes.md, {}.",
                    code.summary(),
                    code.as_str()
                ))
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::json!(level))
                .build(),
        )
        .build()
}

/// The snapshot of the cause's scope, when it came from one.
fn snapshot_of<'r>(scopes: &'r [ScopeV1], cause: &RootCauseV1) -> Option<&'r str> {
    scopes
        .iter()
        .find(|s| {
            s.account_id.as_deref().unwrap_or_default() == cause.account_id
                && s.region == cause.region
        })
        .and_then(|s| s.snapshot.as_deref())
}

/// Whether a root cause of the workload already stands for the finding.
fn covered(causes: &[RootCauseV1], workload: &WorkloadV1, finding: &FindingV1) -> bool {
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

fn cause_result(cause: &RootCauseV1, artifact: Option<&str>) -> SarifResult {
    let workloads: Vec<&str> = cause
        .workloads
        .iter()
        .map(|b| b.workload.as_str())
        .collect();
    let mut properties = BTreeMap::new();
    properties.insert("root_cause".to_string(), serde_json::json!(cause.id));
    properties.insert("workloads".to_string(), serde_json::json!(workloads));
    properties.insert("calls".to_string(), serde_json::json!(cause.calls));
    SarifResult::builder()
        .rule_id(cause.code.as_str())
        .level(level_of(cause.effect))
        .message(text(format!(
            "[{}] {} (blocks {}). Fix: {}",
            cause.id,
            cause.message,
            workloads.join(", "),
            cause.fix
        )))
        .locations(vec![location(
            artifact,
            &cause.account_id,
            &cause.region,
            &cause.resource_id,
        )])
        .partial_fingerprints(fingerprint(
            &cause.account_id,
            &cause.region,
            cause.code,
            &cause.resource_id,
        ))
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        )
        .build()
}

fn finding_result(
    workload: &WorkloadV1,
    finding: &FindingV1,
    artifact: Option<&str>,
) -> SarifResult {
    let mut properties = BTreeMap::new();
    properties.insert(
        "workloads".to_string(),
        serde_json::json!([workload.name()]),
    );
    let level = match finding.severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning | Severity::Info => ResultLevel::Warning,
    };
    let builder = SarifResult::builder()
        .rule_id(finding.code.as_str())
        .level(level)
        .message(text(format!(
            "{} ({}). Fix: {}",
            finding.message,
            workload.name(),
            finding.fix
        )))
        .locations(vec![location(
            artifact,
            &workload.account_id,
            &workload.region,
            &finding.resource_id,
        )])
        .partial_fingerprints(fingerprint(
            &workload.account_id,
            &workload.region,
            finding.code,
            &finding.resource_id,
        ))
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        );
    match &finding.suppression {
        Some(applied) => builder
            .suppressions(vec![Suppression::builder()
                .kind(serde_json::json!("external"))
                .justification(applied.reason.clone())
                .build()])
            .build(),
        None => builder.build(),
    }
}

fn level_of(effect: Effect) -> ResultLevel {
    match effect {
        Effect::Blocks => ResultLevel::Error,
        Effect::Unknown => ResultLevel::Warning,
    }
}

fn text(text: String) -> Message {
    Message::builder().text(text).build()
}

/// The judged file (when there is one) and the AWS resource to change.
fn location(artifact: Option<&str>, account: &str, region: &str, resource: &str) -> Location {
    let logical = LogicalLocation::builder()
        .name(resource)
        .fully_qualified_name(format!("{account}/{region}/{resource}"))
        .kind("resource")
        .build();
    let builder = Location::builder().logical_locations(vec![logical]);
    match artifact {
        Some(uri) => builder
            .physical_location(
                PhysicalLocation::builder()
                    .artifact_location(ArtifactLocation::builder().uri(uri_of(uri)).build())
                    .build(),
            )
            .build(),
        None => builder.build(),
    }
}

/// A relative path as a URI reference (`/`-separated, spaces and other reserved characters
/// percent-encoded), as SARIF's `artifactLocation.uri` requires.
fn uri_of(path: &str) -> String {
    let path = path.replace('\\', "/");
    percent_encoding::utf8_percent_encode(&path, URI_UNSAFE).to_string()
}

/// Everything but unreserved characters and `/` (RFC 3986).
const URI_UNSAFE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A stable identity for one alert across runs: FNV-1a over the parts, each ended by a zero
/// byte. Written out rather than through `std::hash` (whose output may change between Rust
/// versions), or every alert would look new after an upgrade.
fn fingerprint(
    account: &str,
    region: &str,
    code: Code,
    resource: &str,
) -> BTreeMap<String, String> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [account, region, code.as_str(), resource] {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    BTreeMap::from([("pullpath/v1".to_string(), format!("{hash:016x}"))])
}
