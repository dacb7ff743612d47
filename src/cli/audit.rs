//! `pullpath audit`: one report over every account, region and cluster asked for, read live
//! or from snapshots, with suppressions applied and the exit code chosen by `--fail-on`.

use super::accounts::load_accounts;
use super::args::{AuditArgs, AuditFormat, FailOn, FleetArgs, SelectArgs};
use super::live::{aws_options, collect_many, denied, failure_of, seconds, services_of};
use super::suppressions::load_suppressions;
use super::{clock, table_style, to_json, write_output, ExitCode, Failure};
use crate::checks::{
    apply_suppressions, audit_workloads, fleet_status, Coverage, Origin, RuleOutcome, RuleState,
    ScopeAudit, Suppression, WorkloadStatus,
};
use crate::collect::{Clusters, FleetPlan, Regions};
use crate::model::{load_snapshot, Snapshot};
use crate::report::{render_scopes_table, LineV1, ReportV1};
use crate::workload::{select_workloads, SelectError};

pub fn run(args: AuditArgs) -> Result<ExitCode, Failure> {
    if !args.select.service.is_empty()
        && (args.select.cluster.len() > 1 || args.select.all_clusters)
    {
        return Err(Failure::bad_input(
            "--service needs exactly one --cluster (the cluster the services belong to)",
        ));
    }
    let rules = match &args.compliance.suppressions {
        Some(path) => load_suppressions(path).map_err(Failure::bad_input)?,
        None => Vec::new(),
    };
    let mut scopes = if args.snapshot.is_empty() {
        live_scopes(&args)?
    } else {
        snapshot_scopes(&args.snapshot, &args.select)?
    };
    let generated_at = clock::now();
    let outcomes = apply_suppressions(&mut scopes, &rules, clock::date_of(&generated_at));
    warn_about_rules(&rules, &outcomes);

    let to_stdout = args.output.output.is_none();
    let rendered = match args.output.format {
        AuditFormat::Json => to_json(
            &ReportV1::new(&scopes, &rules, &outcomes, &generated_at),
            "report",
        )?,
        AuditFormat::Ndjson => {
            let report = ReportV1::new(&scopes, &rules, &outcomes, &generated_at);
            let mut text = String::new();
            for line in LineV1::lines_of(report) {
                let line = serde_json::to_string(&line)
                    .map_err(|e| Failure::runtime(format!("cannot encode the report: {e}")))?;
                text.push_str(&line);
                text.push('\n');
            }
            text
        }
        AuditFormat::Table => {
            let (colour, width) = table_style(to_stdout);
            render_scopes_table(&scopes, colour, width)
        }
    };
    write_output(args.output.output, &rendered)?;
    Ok(exit_code(fleet_status(&scopes), args.compliance.fail_on))
}

/// The exit code `--fail-on` asks for, from the worst status of the run.
pub fn exit_code(worst: WorkloadStatus, fail_on: FailOn) -> ExitCode {
    match (worst, fail_on) {
        (_, FailOn::Never) | (WorkloadStatus::Pass, _) => ExitCode::Pass,
        (WorkloadStatus::Fail, _) => ExitCode::Fail,
        (WorkloadStatus::Unknown, FailOn::Unknown) => ExitCode::Unknown,
        (WorkloadStatus::Unknown, FailOn::Fail) => ExitCode::Pass,
    }
}

/// Expired rules stop applying, and rules that match nothing may be stale: both are said on
/// stderr (and recorded in the JSON report).
fn warn_about_rules(rules: &[Suppression], outcomes: &[RuleOutcome]) {
    for (rule, outcome) in rules.iter().zip(outcomes) {
        let what = format!("{} ({} on {})", rule.origin, rule.code, rule.workload);
        match (outcome.state, outcome.matched) {
            (RuleState::Expired, matched) => eprintln!(
                "pullpath: warning: suppression {what} expired on {} and no longer applies{}",
                rule.expires.as_deref().unwrap_or("?"),
                if matched > 0 {
                    format!(" ({matched} finding(s) count again)")
                } else {
                    String::new()
                }
            ),
            (RuleState::Active, 0) => {
                eprintln!("pullpath: warning: suppression {what} matches no finding")
            }
            _ => {}
        }
    }
}

/// Each snapshot is one account and region. With one snapshot, a named cluster or service
/// that is missing, or nothing to audit, is bad input; with several, a snapshot may lack a
/// named cluster, but some snapshot must have it.
fn snapshot_scopes(
    paths: &[std::path::PathBuf],
    select: &SelectArgs,
) -> Result<Vec<ScopeAudit>, Failure> {
    let strict = paths.len() == 1;
    let mut scopes = Vec::new();
    for path in paths {
        let snapshot = load_snapshot(path).map_err(|e| Failure::bad_input(e.to_string()))?;
        let source = path.display().to_string();
        if scopes.iter().any(|s: &ScopeAudit| {
            s.coverage.account_id.as_deref() == Some(snapshot.account_id.as_str())
                && s.coverage.region == snapshot.region
        }) {
            return Err(Failure::bad_input(format!(
                "{source}: account {} in {} is already given by another snapshot",
                snapshot.account_id, snapshot.region
            )));
        }
        let (results, missing) =
            audit_snapshot(&snapshot, &select.cluster, &select.service, strict)
                .map_err(|e| Failure::bad_input(format!("{source}: {e}")))?;
        scopes.push(ScopeAudit {
            coverage: Coverage {
                origin: Origin::Snapshot(source),
                collected_at: snapshot.collected_at.clone(),
                calls: None,
                seconds: None,
                missing_clusters: missing,
                ..coverage_of(&snapshot)
            },
            results,
        });
    }
    check_clusters_found(&scopes, &select.cluster)?;
    check_something_audited(&scopes)?;
    Ok(scopes)
}

/// The scope's facts a snapshot tells.
pub(super) fn coverage_of(snapshot: &Snapshot) -> Coverage {
    Coverage {
        account_id: Some(snapshot.account_id.clone()),
        region: snapshot.region.clone(),
        role_arn: None,
        origin: Origin::Live,
        collected_at: snapshot.collected_at.clone(),
        clusters: snapshot.clusters.as_ref().map_or(0, Vec::len),
        services: services_of(snapshot),
        calls: None,
        seconds: None,
        denied_actions: snapshot
            .coverage_gaps
            .iter()
            .map(|g| g.action.clone())
            .collect(),
        missing_clusters: Vec::new(),
        error: None,
    }
}

/// Audits the clusters named (all, when none is) of one snapshot; returns the results and the
/// named clusters it does not have.
fn audit_snapshot(
    snapshot: &Snapshot,
    clusters: &[String],
    services: &[String],
    strict: bool,
) -> Result<(Vec<crate::checks::WorkloadResult>, Vec<String>), SelectError> {
    let known = |wanted: &String| {
        snapshot
            .clusters
            .iter()
            .flatten()
            .any(|c| &c.name == wanted || &c.arn == wanted)
    };
    let (present, missing): (Vec<&String>, Vec<&String>) = clusters.iter().partition(|c| known(c));
    let mut workloads = Vec::new();
    let mut selections: Vec<Option<&str>> = present.iter().map(|c| Some(c.as_str())).collect();
    if clusters.is_empty() {
        selections.push(None);
    }
    if strict {
        // Named but absent: select it anyway, for the error that lists the known clusters.
        selections.extend(missing.iter().map(|c| Some(c.as_str())));
    }
    for cluster in selections {
        match select_workloads(snapshot, cluster, services) {
            Ok(found) => workloads.extend(found),
            Err(SelectError::NothingToAudit(_)) if !strict => {}
            Err(e) => return Err(e),
        }
    }
    let results = audit_workloads(snapshot, &workloads);
    Ok((results, missing.into_iter().cloned().collect()))
}

/// A cluster named on the command line must be in at least one scope that was read.
fn check_clusters_found(scopes: &[ScopeAudit], clusters: &[String]) -> Result<(), Failure> {
    let read: Vec<&ScopeAudit> = scopes
        .iter()
        .filter(|s| s.coverage.error.is_none())
        .collect();
    if read.is_empty() {
        return Ok(());
    }
    for cluster in clusters {
        if read
            .iter()
            .all(|s| s.coverage.missing_clusters.contains(cluster))
        {
            return Err(Failure::bad_input(format!(
                "cluster `{cluster}` is in none of the {} account/region scopes read",
                read.len()
            )));
        }
    }
    Ok(())
}

/// Auditing nothing must not look like a pass (a deploy gate would let anything through).
fn check_something_audited(scopes: &[ScopeAudit]) -> Result<(), Failure> {
    let failed = scopes.iter().filter(|s| s.coverage.error.is_some()).count();
    if failed == scopes.len() && failed > 0 {
        let errors: Vec<String> = scopes
            .iter()
            .map(|s| {
                format!(
                    "{}: {}",
                    scope_name(&s.coverage),
                    s.coverage.error.as_deref().unwrap_or("?")
                )
            })
            .collect();
        return Err(Failure::runtime(format!(
            "no account/region could be read:\n  {}",
            errors.join("\n  ")
        )));
    }
    if failed == 0 && scopes.iter().all(|s| s.results.is_empty()) {
        return Err(Failure::bad_input(format!(
            "nothing to audit: no services in the {} account/region scope(s) read",
            scopes.len()
        )));
    }
    Ok(())
}

fn scope_name(c: &Coverage) -> String {
    format!(
        "{} {}",
        c.account_id.as_deref().unwrap_or("(own account)"),
        c.region
    )
}

/// Validates the live selection into a plan: which accounts, regions and clusters.
pub fn fleet_plan(select: &SelectArgs, fleet: &FleetArgs) -> Result<FleetPlan, Failure> {
    let clusters = match (select.all_clusters, select.cluster.is_empty()) {
        (true, _) => Clusters::All,
        (false, false) => Clusters::Named(select.cluster.clone()),
        (false, true) => {
            return Err(Failure::bad_input(
                "a live run needs --cluster CLUSTER or --all-clusters (or --snapshot FILE)",
            ))
        }
    };
    let accounts = load_accounts(
        &fleet.role_arn,
        fleet.external_id.as_deref(),
        fleet.accounts_file.as_deref(),
    )
    .map_err(Failure::bad_input)?;
    let regions = if fleet.all_regions {
        Regions::AllEnabled
    } else if fleet.region.iter().any(|r| r.trim().is_empty()) {
        return Err(Failure::bad_input("--region: an empty region name"));
    } else if fleet.region.is_empty() {
        Regions::Default
    } else {
        let mut regions: Vec<String> = Vec::new();
        for region in &fleet.region {
            if !regions.contains(region) {
                regions.push(region.clone());
            }
        }
        Regions::Listed(regions)
    };
    Ok(FleetPlan {
        accounts,
        regions,
        clusters,
        services: select.service.clone(),
        parallel_scopes: usize::from(fleet.parallel_scopes),
    })
}

/// Reads every scope of the plan; in a one-scope run a failure ends the run as before, in a
/// fleet run it is that scope's coverage error (unknown, never a pass).
fn live_scopes(args: &AuditArgs) -> Result<Vec<ScopeAudit>, Failure> {
    let plan = fleet_plan(&args.select, &args.fleet)?;
    let single_region = match &plan.regions {
        Regions::Listed(regions) if regions.len() == 1 => regions.first().map(String::as_str),
        _ => None,
    };
    let options = aws_options(&args.aws, single_region);
    let (runs, elapsed) = collect_many(&options, &plan)?;
    let single = plan.is_single_scope();
    let mut scopes = Vec::new();
    let mut calls: usize = 0;
    for run in runs {
        calls += run.calls.values().sum::<usize>();
        let coverage = Coverage {
            account_id: run.account_id.clone(),
            region: run.region.clone(),
            role_arn: run.role_arn.clone(),
            origin: Origin::Live,
            collected_at: None,
            clusters: 0,
            services: 0,
            calls: Some(run.calls.clone()),
            seconds: Some(run.elapsed.as_secs_f64()),
            denied_actions: Vec::new(),
            missing_clusters: Vec::new(),
            error: None,
        };
        match run.outcome {
            Err(error) if single => return Err(failure_of(error)),
            Err(error) => {
                eprintln!(
                    "pullpath: warning: {} could not be read: {error}",
                    scope_name(&coverage)
                );
                scopes.push(ScopeAudit {
                    coverage: Coverage {
                        error: Some(error.to_string()),
                        ..coverage
                    },
                    results: Vec::new(),
                });
            }
            Ok(collected) => {
                let snapshot = collected.snapshot;
                let (results, _) = audit_snapshot(&snapshot, &[], &plan.services, single)
                    .map_err(|e| Failure::bad_input(e.to_string()))?;
                if single {
                    eprintln!(
                        "pullpath: collected {} service(s) of {} in {} with {calls} AWS calls{}",
                        services_of(&snapshot),
                        clusters_phrase(&snapshot),
                        seconds(elapsed),
                        denied(&snapshot)
                    );
                }
                let base = coverage_of(&snapshot);
                scopes.push(ScopeAudit {
                    coverage: Coverage {
                        role_arn: coverage.role_arn,
                        calls: coverage.calls,
                        seconds: coverage.seconds,
                        missing_clusters: collected.missing_clusters,
                        ..base
                    },
                    results,
                });
            }
        }
    }
    if !single {
        let failed = scopes.iter().filter(|s| s.coverage.error.is_some()).count();
        let services: usize = scopes.iter().map(|s| s.coverage.services).sum();
        let clusters: usize = scopes.iter().map(|s| s.coverage.clusters).sum();
        eprintln!(
            "pullpath: collected {services} service(s) in {clusters} cluster(s) of {} account/region scope(s){} in {} with {calls} AWS calls",
            scopes.len(),
            if failed == 0 { String::new() } else { format!(" ({failed} not read)") },
            seconds(elapsed),
        );
    }
    check_clusters_found(&scopes, &args.select.cluster)?;
    check_something_audited(&scopes)?;
    Ok(scopes)
}

/// "cluster `prod`", or "3 clusters".
fn clusters_phrase(snapshot: &Snapshot) -> String {
    match snapshot.clusters.as_deref().unwrap_or_default() {
        [one] => format!("cluster `{}`", one.name),
        many => format!("{} clusters", many.len()),
    }
}
