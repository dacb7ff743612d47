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
//! - The location is the file the audit judged: the task definition, `prefect.yaml` or
//!   Kubernetes manifest of the pre-deploy gate (so the dashboard shows the alert on the file
//!   under review), else the scope's snapshot; the AWS resource to change is the logical
//!   location.
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

use super::alerts::{alerts, partial_fingerprints, Alert};
use super::v1::ReportV1;
use crate::checks::Severity;
use crate::codes::{Code, Effect};

/// The SARIF schema the output declares (and the tests validate against).
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The files a pre-deploy audit judged, where its alerts belong.
#[derive(Debug, Default)]
pub struct Judged {
    /// The one file every alert is on: a task definition or a `prefect.yaml`.
    pub file: Option<String>,
    /// Kubernetes manifests: each workload they define (`namespace/Kind/name`) and its file.
    pub manifests: Vec<(String, String)>,
}

impl Judged {
    /// The file an alert is shown on: the manifest of the first workload it blocks that a
    /// manifest defines, else the judged file, else the scope's snapshot.
    fn file_of<'a>(&'a self, alert: &'a Alert) -> Option<&'a str> {
        // A report names a Kubernetes workload `CLUSTER/namespace/Kind/name`.
        let defines = |workload: &str, label: &str| {
            workload
                .strip_suffix(label)
                .is_some_and(|cluster| cluster.ends_with('/'))
        };
        alert
            .workloads
            .iter()
            .find_map(|w| {
                self.manifests
                    .iter()
                    .find(|(label, _)| defines(w, label))
                    .map(|(_, file)| file.as_str())
            })
            .or(self.file.as_deref())
            .or(alert.snapshot.as_deref())
    }
}

/// The report as a SARIF 2.1.0 log, its alerts on the files a pre-deploy audit `judged`.
pub fn render_sarif(report: &ReportV1, judged: &Judged) -> Result<String, String> {
    let rules: Vec<ReportingDescriptor> = Code::ALL.iter().map(|c| rule(*c)).collect();
    let results: Vec<SarifResult> = alerts(report)
        .iter()
        .map(|alert| result(alert, judged.file_of(alert)))
        .collect();
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

fn result(alert: &Alert, artifact: Option<&str>) -> SarifResult {
    let mut properties = BTreeMap::new();
    if let Some(id) = &alert.root_cause {
        properties.insert("root_cause".to_string(), serde_json::json!(id));
        properties.insert("calls".to_string(), serde_json::json!(alert.calls));
    }
    properties.insert("workloads".to_string(), serde_json::json!(alert.workloads));
    let level = match alert.severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning | Severity::Info => ResultLevel::Warning,
    };
    let message = match &alert.root_cause {
        Some(_) => format!(
            "{} (blocks {}). Fix: {}",
            alert.message,
            alert.workloads.join(", "),
            alert.fix
        ),
        None => format!(
            "{} ({}). Fix: {}",
            alert.message,
            alert.workloads.join(", "),
            alert.fix
        ),
    };
    let builder = SarifResult::builder()
        .rule_id(alert.code.as_str())
        .level(level)
        .message(Message::builder().text(message).build())
        .locations(vec![location(artifact, alert)])
        .partial_fingerprints(partial_fingerprints(alert))
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        );
    match &alert.suppressed {
        Some(reason) => builder
            .suppressions(vec![Suppression::builder()
                .kind(serde_json::json!("external"))
                .justification(reason.clone())
                .build()])
            .build(),
        None => builder.build(),
    }
}

/// The judged file (when there is one) and the AWS resource to change.
fn location(artifact: Option<&str>, alert: &Alert) -> Location {
    let logical = LogicalLocation::builder()
        .name(alert.resource_id.as_str())
        .fully_qualified_name(format!(
            "{}/{}/{}",
            alert.account_id, alert.region, alert.resource_id
        ))
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
