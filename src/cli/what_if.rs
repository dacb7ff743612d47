//! `pullpath what-if`: which workloads would change verdict after a change (delete a NAT
//! gateway, an endpoint, a route, a rule; detach a policy), live or from snapshots. Each
//! change is applied to a copy of every scope it names a resource of; the copies are audited
//! the way the scopes were, and the verdicts compared.

use super::args::{AuditFormat, WhatIfArgs};
use super::changes::{parse_change, parse_changes_file, MAX_CHANGES};
use super::{clock, to_json, write_output, ExitCode, Failure};
use crate::checks::{apply_suppressions, AuditOptions, ScopeAudit, WorkloadStatus};
use crate::fix::Change;
use crate::plan::apply;
use crate::plan::what_if::{compare, VerdictChange};
use crate::report::terminal_text;
use crate::report::{
    render_what_if, AppliedChangeV1, NewFindingV1, RemovedFindingV1, VerdictChangeV1, WhatIfV1,
};

/// A `--changes` file larger than this is refused before it is read.
const MAX_CHANGES_FILE: u64 = 1 << 20;

fn read_changes(args: &WhatIfArgs) -> Result<Vec<Change>, Failure> {
    let mut changes = Vec::new();
    for text in &args.change {
        changes.push(parse_change(text).map_err(|e| Failure::bad_input(format!("--change: {e}")))?);
    }
    if let Some(path) = &args.changes {
        let shown = path.display().to_string();
        // Read through a bound, not by the file's stated size: a device or a pipe states 0.
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_CHANGES_FILE + 1).read_to_end(&mut bytes))
            .map_err(|e| Failure::bad_input(format!("--changes {shown}: {e}")))?;
        if bytes.len() as u64 > MAX_CHANGES_FILE {
            return Err(Failure::bad_input(format!(
                "--changes {shown}: more than {MAX_CHANGES_FILE} bytes; at most that is read"
            )));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| Failure::bad_input(format!("--changes {shown}: not UTF-8 text")))?;
        changes.extend(
            parse_changes_file(&text)
                .map_err(|e| Failure::bad_input(format!("--changes {shown}: {e}")))?,
        );
    }
    if changes.is_empty() {
        return Err(Failure::bad_input(
            "what-if needs a change: --change 'delete nat-…' or --changes FILE",
        ));
    }
    if changes.len() > MAX_CHANGES {
        return Err(Failure::bad_input(format!(
            "{} changes; at most {MAX_CHANGES} are taken",
            changes.len()
        )));
    }
    Ok(changes)
}

/// Each change goes to every scope where it applies; one that applies nowhere is bad input
/// (a typo must not answer "nothing changes"). Returns each scope's changed copy (`None`: the
/// scope was not read) and where each change went.
fn apply_changes(
    before: &[ScopeAudit],
    changes: &[Change],
) -> Result<(Vec<Option<crate::model::Snapshot>>, Vec<AppliedChangeV1>), Failure> {
    let mut patched: Vec<Option<crate::model::Snapshot>> = before
        .iter()
        .map(|s| s.snapshot.as_deref().cloned())
        .collect();
    let mut applied = Vec::new();
    for change in changes {
        let mut applied_in = Vec::new();
        let mut errors = Vec::new();
        for (scope, snapshot) in before.iter().zip(patched.iter_mut()) {
            let Some(snapshot) = snapshot else { continue };
            match apply(snapshot, change) {
                Ok(()) => applied_in.push(scope_name(scope)),
                Err(e) => errors.push(e.why),
            }
        }
        if applied_in.is_empty() {
            errors.dedup();
            return Err(Failure::bad_input(
                terminal_text::message(&format!(
                    "cannot {}: {}",
                    change.describe(),
                    if errors.is_empty() {
                        "no scope was read".to_string()
                    } else {
                        errors.join("; ")
                    }
                ))
                .into_owned(),
            ));
        }
        applied.push(AppliedChangeV1 {
            change: change.clone(),
            description: change.describe(),
            applied_in,
        });
    }

    Ok((patched, applied))
}

/// The verdicts that differ between the scopes before and after the changes.
fn report_of(
    before: &[ScopeAudit],
    after: &[ScopeAudit],
    applied: Vec<AppliedChangeV1>,
    generated_at: String,
) -> (WhatIfV1, Vec<(usize, VerdictChange)>) {
    let mut verdict_changes: Vec<(usize, VerdictChange)> = Vec::new();
    for (i, (old, new)) in before.iter().zip(after).enumerate() {
        if old.snapshot.is_none() {
            continue;
        }
        verdict_changes.extend(
            compare(&old.results, &new.results)
                .into_iter()
                .map(|c| (i, c)),
        );
    }
    let report = WhatIfV1 {
        schema_version: crate::report::SCHEMA_VERSION,
        generated_at,
        workloads: before.iter().map(|s| s.results.len()).sum(),
        would_break: verdict_changes.iter().filter(|(_, c)| c.breaks()).count(),
        would_fix: verdict_changes
            .iter()
            .filter(|(_, c)| c.after == WorkloadStatus::Pass && c.before != WorkloadStatus::Pass)
            .count(),
        changes: applied,
        verdict_changes: verdict_changes
            .iter()
            .map(|(i, c)| VerdictChangeV1 {
                account_id: before[*i].coverage.account_id.clone().unwrap_or_default(),
                region: before[*i].coverage.region.clone(),
                workload: c.workload.clone(),
                before: c.before,
                after: c.after,
                new_findings: c
                    .new_findings
                    .iter()
                    .map(|(code, resource_id, message)| NewFindingV1 {
                        code: *code,
                        resource_id: resource_id.clone(),
                        message: message.clone(),
                    })
                    .collect(),
                removed_findings: c
                    .removed_findings
                    .iter()
                    .map(|(code, resource_id)| RemovedFindingV1 {
                        code: *code,
                        resource_id: resource_id.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    (report, verdict_changes)
}

fn scope_name(scope: &ScopeAudit) -> String {
    format!(
        "{} {}",
        scope.coverage.account_id.as_deref().unwrap_or("?"),
        scope.coverage.region
    )
}

pub fn run(args: WhatIfArgs) -> Result<ExitCode, Failure> {
    let changes = read_changes(&args)?;
    if !matches!(
        args.audit.output.format,
        AuditFormat::Table | AuditFormat::Json
    ) {
        return Err(Failure::bad_input("what-if writes --format table or json"));
    }
    let audit = &args.audit;
    let options = AuditOptions::with_registry_routes(&audit.routes.registry_route)
        .map_err(Failure::bad_input)?
        .at(clock::now_seconds());
    let rules = match &audit.compliance.suppressions {
        Some(path) => super::suppressions::load_suppressions(path).map_err(Failure::bad_input)?,
        None => Vec::new(),
    };
    let mut before = super::audit::audit_scopes(audit, &options)?;
    let generated_at = clock::now();
    let today = clock::date_of(&generated_at);
    apply_suppressions(&mut before, &rules, today);

    let (patched, applied) = apply_changes(&before, &changes)?;

    let mut after: Vec<ScopeAudit> = Vec::new();
    for (scope, snapshot) in before.iter().zip(&patched) {
        let results = match snapshot {
            Some(snapshot) => super::plans::reaudit(scope, snapshot, None, audit, &options)
                .map_err(|e| {
                    Failure::runtime(format!(
                        "cannot audit the changed {}: {e}",
                        scope_name(scope)
                    ))
                })?,
            None => Vec::new(),
        };
        after.push(ScopeAudit {
            coverage: scope.coverage.clone(),
            results,
            snapshot: None,
        });
    }
    apply_suppressions(&mut after, &rules, today);

    let (report, verdict_changes) = report_of(&before, &after, applied, generated_at);
    let rendered = match audit.output.format {
        AuditFormat::Json => to_json(&report, "what-if report")?,
        _ => render_what_if(&report),
    };
    write_output(audit.output.output.clone(), &rendered)?;
    // Non-zero only for what passed and would not: a change review gate.
    let worst = verdict_changes
        .iter()
        .filter(|(_, c)| c.breaks())
        .map(|(_, c)| c.after)
        .max()
        .unwrap_or(WorkloadStatus::Pass);
    Ok(super::audit::exit_code(worst, audit.compliance.fail_on))
}
