//! `--format html`: one self-contained page an auditor can open: the summary, the root causes
//! (one line each, with the fix and how its plan was verified), the workloads that fail or are
//! unknown with their findings, the accounts and regions read, and every workload's path as an
//! inline SVG picture. No script, no stylesheet or font from elsewhere: it opens offline and
//! from an e-mail. Every text comes from the report: maud escapes its markup, and control and
//! bidirectional characters are shown escaped as in every other output.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::fleet_v1::CoverageV1;
use super::picture::render_svgs;
use super::terminal_text;
use super::v1::ReportV1;
use crate::checks::{fleet_status, ScopeAudit, Severity, WorkloadStatus};
use crate::plan::ScopePlan;

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2328; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
td, th { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; }
.fail { color: #cf222e; font-weight: 600; } .unknown { color: #bf8700; font-weight: 600; }
.pass { color: #1a7f37; font-weight: 600; }
.counts span { display: inline-block; margin-right: 1.5rem; font-size: 1.1rem; }
code { font-size: .9em; } .fix { color: #57606a; }
figure { margin: 1rem 0; overflow-x: auto; } figcaption { font-weight: 600; margin-bottom: .3rem; }
svg.path text { font: 11px system-ui, sans-serif; } svg.path .edge-label { font-size: 10px; }
"#;

fn status_word(status: WorkloadStatus) -> &'static str {
    match status {
        WorkloadStatus::Pass => "pass",
        WorkloadStatus::Fail => "fail",
        WorkloadStatus::Unknown => "unknown",
    }
}

/// The report as one HTML page; `scopes` and `plans` draw the pictures.
pub fn render_html(report: &ReportV1, scopes: &[ScopeAudit], plans: &[ScopePlan]) -> String {
    let summary = &report.summary;
    // The run's verdict, as the exit code takes it: an account, region or cluster not read
    // makes it unknown even when every workload read passes.
    let verdict = fleet_status(scopes);
    let pictures = render_svgs(scopes, plans);
    let mut troubled: Vec<_> = report
        .workloads
        .iter()
        .filter(|w| w.status != WorkloadStatus::Pass)
        .collect();
    troubled.sort_by_key(|w| std::cmp::Reverse(w.status));
    let page: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "pullpath report " (report.generated_at) }
                style { (PreEscaped(STYLE.replace('\n', " "))) }
            }
            body {
                h1 { "pullpath: can these workloads pull their images?" }
                p { "Generated " (report.generated_at) ", report schema version " (report.schema_version) "." }
                section id="summary" {
                    h2 { "Summary" }
                    p id="verdict" {
                        "Verdict: "
                        span class=(status_word(verdict)) { (status_word(verdict).to_uppercase()) }
                        @if verdict == WorkloadStatus::Unknown && summary.by_status.unknown == 0 && summary.by_status.fail == 0 {
                            " (not everything could be read: see Accounts and regions)"
                        }
                    }
                    p class="counts" {
                        span { (summary.workloads) " workloads" }
                        span class="pass" { (summary.by_status.pass) " pass" }
                        span class="fail" { (summary.by_status.fail) " fail" }
                        span class="unknown" { (summary.by_status.unknown) " unknown" }
                        span { (summary.root_causes) " root causes" }
                        @if summary.scopes_failed > 0 {
                            span class="unknown" { (summary.scopes_failed) " account/region scopes not read" }
                        }
                    }
                }
                section id="root-causes" {
                    h2 { "Root causes" }
                    @if report.root_causes.is_empty() {
                        p { "None." }
                    } @else {
                        table {
                            tr { th { "" } th { "Code" } th { "Resource" } th { "What and fix" } th { "Blocks" } th { "Verified plan" } }
                            @for cause in &report.root_causes {
                                tr {
                                    td { (cause.id) }
                                    td { code { (cause.code.as_str()) } }
                                    td { code { (cause.resource_id) } br; (cause.account_id) " " (cause.region) }
                                    td { (cause.message) br; span class="fix" { "Fix: " (cause.fix) } }
                                    td {
                                        (cause.calls) " calls of "
                                        (cause.workloads.iter().map(|b| b.workload.as_str()).collect::<Vec<_>>().join(", "))
                                    }
                                    td {
                                        @match cause.alternatives.first() {
                                            Some(option) => {
                                                (serde_json::to_value(option.verification.status).ok()
                                                    .and_then(|v| v.as_str().map(str::to_string))
                                                    .unwrap_or_default())
                                                @for change in &option.changes { br; code { (change.description) } }
                                            }
                                            None => { "no structured fix" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                section id="workloads" {
                    h2 { "Workloads that fail or are unknown" }
                    @if troubled.is_empty() && verdict == WorkloadStatus::Pass {
                        p { "None: every workload passes." }
                    } @else if troubled.is_empty() {
                        p { "None of the workloads read, but not everything could be read: see Accounts and regions." }
                    }
                    @for workload in &troubled {
                        h3 {
                            (workload.name()) " "
                            span class=(status_word(workload.status)) { (status_word(workload.status).to_uppercase()) }
                        }
                        p { (workload.account_id) " " (workload.region) " · " code { (workload.task_definition) } }
                        ul {
                            @for finding in workload.findings.iter().filter(|f| f.severity != Severity::Info) {
                                li {
                                    code { (finding.code.as_str()) } " " code { (finding.resource_id) } ": " (finding.message)
                                    @if finding.suppressed { " (suppressed)" }
                                    br; span class="fix" { "Fix: " (finding.fix) }
                                }
                            }
                        }
                    }
                }
                section id="scopes" {
                    h2 { "Accounts and regions" }
                    table {
                        tr { th { "Account" } th { "Region" } th { "Read" } th { "Services" } th { "Notes" } }
                        @for scope in &report.scopes {
                            tr {
                                td { (scope.account_id.as_deref().unwrap_or("?")) }
                                td { (scope.region) }
                                td {
                                    @match scope.status {
                                        CoverageV1::Complete => span class="pass" { "complete" },
                                        CoverageV1::Partial => span class="unknown" { "partial" },
                                        CoverageV1::Failed => span class="fail" { "not read" },
                                    }
                                }
                                td { (scope.services) }
                                td {
                                    (scope.error.as_deref().unwrap_or_default())
                                    @for cluster in &scope.unread_clusters { br; "cluster not read: " (cluster) }
                                    @for action in &scope.denied_actions { br; "denied: " (action) }
                                    @for call in &scope.failed_calls { br; "failed: " (call) }
                                }
                            }
                        }
                    }
                }
                section id="paths" {
                    h2 { "Paths" }
                    @for (title, picture) in &pictures {
                        figure {
                            figcaption { (title.join(" · ")) }
                            (picture)
                        }
                    }
                }
            }
        }
    };
    // Names and messages come from the account: a control or bidirectional character in one
    // is shown escaped (`\u{1b}`), as in every other output, never passed on. The page's own
    // markup has none (the style sheet's line breaks are spaces), so escaping the whole page
    // escapes exactly the report's text.
    terminal_text::escaped(&page.into_string()).into_owned()
}
