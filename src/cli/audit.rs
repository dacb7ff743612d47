//! `pullpath audit`: one report over every account, region and cluster asked for, read live
//! or from snapshots, with suppressions applied and the exit code chosen by `--fail-on`.

use std::collections::HashSet;

use super::accounts::{load_accounts, organization_plan};
use super::args::{AuditArgs, AuditFormat, AwsArgs, FailOn, FleetArgs, SelectArgs};
use super::coverage::{check_named_found, check_some_read, coverage_of_run, warn_unread};
use super::live::{aws_options, collect_many, denied, failure_of, seconds, services_of};
use super::predeploy::pre_deploy_of;
use super::registries::inspect_registries;
use super::suppressions::load_suppressions;
use super::{clock, table_style, to_json, write_output, ExitCode, Failure};
use crate::checks::{
    apply_suppressions, audit_workloads, fleet_status, AuditOptions, Coverage, Origin, RuleOutcome,
    RuleState, ScopeAudit, Suppression, WorkloadStatus,
};
use crate::collect::{AwsOptions, Clusters, FleetPlan, Regions};
use crate::model::{load_snapshot, Snapshot};
use crate::predeploy::PreDeploy;
use crate::report::{
    render_dot, render_html, render_junit, render_mermaid, render_ocsf, render_planned_table,
    render_sarif, Judged, LineV1, ReportV1,
};
use crate::workload::{select_workloads, SelectError};

pub fn run(args: AuditArgs) -> Result<ExitCode, Failure> {
    if !args.select.service.is_empty()
        && (args.select.cluster.len() > 1 || args.select.all_clusters)
    {
        return Err(Failure::bad_input(
            "--service needs exactly one --cluster (the cluster the services belong to)",
        ));
    }
    let options = AuditOptions::with_registry_routes(&args.routes.registry_route)
        .map_err(Failure::bad_input)?
        .at(clock::now_seconds());
    let rules = match &args.compliance.suppressions {
        Some(path) => load_suppressions(path).map_err(Failure::bad_input)?,
        None => Vec::new(),
    };
    let mut scopes = audit_scopes(&args, &options)?;
    warn_unused_routes(&options, &scopes);
    let generated_at = clock::now();
    let outcomes = apply_suppressions(&mut scopes, &rules, clock::date_of(&generated_at));
    warn_about_rules(&rules, &outcomes);

    let plans = super::plans::plan_scopes(&scopes, &args, &options);

    let to_stdout = args.output.output.is_none();
    let rendered = match args.output.format {
        AuditFormat::Json => to_json(
            &ReportV1::new(&scopes, &rules, &outcomes, &generated_at).with_plans(&scopes, &plans),
            "report",
        )?,
        AuditFormat::Ndjson => {
            let report = ReportV1::new(&scopes, &rules, &outcomes, &generated_at)
                .with_plans(&scopes, &plans);
            let mut text = String::new();
            for line in LineV1::lines_of(report) {
                let line = crate::report::json_text::compact(&line)
                    .map_err(|e| Failure::runtime(format!("cannot encode the report: {e}")))?;
                text.push_str(&line);
                text.push('\n');
            }
            text
        }
        AuditFormat::Table => {
            let (colour, width) = table_style(to_stdout);
            render_planned_table(&scopes, &plans, colour, width)
        }
        AuditFormat::Junit => render_junit(
            &ReportV1::new(&scopes, &rules, &outcomes, &generated_at).with_plans(&scopes, &plans),
        )
        .map_err(Failure::runtime)?,
        AuditFormat::Sarif => {
            let judged = Judged {
                file: args
                    .pre_deploy
                    .task_definition
                    .as_ref()
                    .or(args.pre_deploy.prefect_yaml.as_ref())
                    .map(|p| p.display().to_string()),
                manifests: super::kube_predeploy::manifest_workloads(&args)?,
            };
            render_sarif(
                &ReportV1::new(&scopes, &rules, &outcomes, &generated_at)
                    .with_plans(&scopes, &plans),
                &judged,
            )
            .map_err(Failure::runtime)?
        }
        AuditFormat::Ocsf => render_ocsf(
            &ReportV1::new(&scopes, &rules, &outcomes, &generated_at).with_plans(&scopes, &plans),
        )
        .map_err(Failure::runtime)?,
        AuditFormat::Html => render_html(
            &ReportV1::new(&scopes, &rules, &outcomes, &generated_at).with_plans(&scopes, &plans),
            &scopes,
            &plans,
        ),
        AuditFormat::Dot => render_dot(&scopes, &plans),
        AuditFormat::Mermaid => render_mermaid(&scopes, &plans),
    };
    write_output(args.output.output, &rendered)?;
    let code = exit_code(fleet_status(&scopes), args.compliance.fail_on);
    // The process ends once this returns: freeing the snapshots, results and plans one by one
    // would take a tenth of an offline audit's time (docs/performance.md) for nothing.
    std::mem::forget((scopes, plans, rendered));
    Ok(code)
}

/// Every scope the arguments name, read (live or from snapshots) and audited.
pub(super) fn audit_scopes(
    args: &AuditArgs,
    options: &AuditOptions,
) -> Result<Vec<ScopeAudit>, Failure> {
    let inspect = args.inspect.inspect_registries;
    let kube = args.kube.requested() || super::kube_predeploy::is_kube_pre_deploy(args);
    let pre_deploy = if kube { None } else { pre_deploy_of(args)? };
    match (args.snapshot.first(), pre_deploy) {
        _ if kube => super::kube::kube_scopes(args, options),
        (None, pre_deploy) => live_scopes(args, options, pre_deploy),
        (Some(path), Some(pre)) => Ok(vec![pre_deploy_snapshot_scope(
            path, &pre, options, inspect,
        )?]),
        (Some(_), None) => snapshot_scopes(args, options, inspect),
    }
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

/// A declared route whose host no audited workload pulls from is probably a typo: said on
/// stderr, with the registry hosts that were seen.
pub fn warn_unused_routes(options: &AuditOptions, scopes: &[ScopeAudit]) {
    let hosts: std::collections::BTreeSet<&str> = scopes
        .iter()
        .flat_map(|s| &s.results)
        .flat_map(|w| &w.requirements)
        .filter(|r| r.requirement.target == crate::workload::Target::Registry)
        .map(|r| r.requirement.host.as_str())
        .collect();
    for route in &options.registry_routes {
        if !hosts
            .iter()
            .any(|host| route.applies_to(&host.to_ascii_lowercase()))
        {
            let seen: Vec<_> = hosts
                .iter()
                .map(|host| crate::report::terminal_text::name(host))
                .collect();
            eprintln!(
                "pullpath: warning: --registry-route {}={} matches no registry host of the audited workloads ({})",
                route.host,
                route.cidr,
                if seen.is_empty() {
                    "they pull from ECR only".to_string()
                } else {
                    format!("registry hosts: {}", seen.join(", "))
                }
            );
        }
    }
}

/// Expired rules stop applying, and rules that match nothing may be stale: both are said on
/// stderr (and recorded in the JSON report).
fn warn_about_rules(rules: &[Suppression], outcomes: &[RuleOutcome]) {
    for (rule, outcome) in rules.iter().zip(outcomes) {
        let what = crate::report::terminal_text::message(&format!(
            "{} ({} on {})",
            rule.origin, rule.code, rule.workload
        ))
        .into_owned();
        match (outcome.state, outcome.matched, outcome.applied) {
            (RuleState::Expired, ..) => eprintln!(
                "pullpath: warning: suppression {what} expired on {} and no longer applies{}",
                rule.expires.as_deref().unwrap_or("?"),
                if outcome.reinstated > 0 {
                    format!(" ({} finding(s) count again)", outcome.reinstated)
                } else {
                    String::new()
                }
            ),
            (RuleState::Active, 0, _) => {
                eprintln!("pullpath: warning: suppression {what} matches no finding")
            }
            (RuleState::Active, matched, 0) => eprintln!(
                "pullpath: warning: suppression {what} matches {matched} finding(s), all taken by earlier rules: it suppresses nothing"
            ),
            _ => {}
        }
    }
}

/// Each snapshot is one account and region. With one snapshot, a named cluster or service
/// that is missing, or nothing to audit, is bad input; with several, a snapshot may lack a
/// named cluster, but some snapshot must have it.
fn snapshot_scopes(
    args: &AuditArgs,
    options: &AuditOptions,
    inspect: bool,
) -> Result<Vec<ScopeAudit>, Failure> {
    let (paths, select) = (&args.snapshot, &args.select);
    let strict = paths.len() == 1;
    let mut scopes = Vec::new();
    for path in paths {
        let mut snapshot = load_snapshot(path).map_err(|e| Failure::bad_input(e.to_string()))?;
        inspect_registries(&mut snapshot, inspect)?;
        let source = path.display().to_string();
        // A snapshot of a Kubernetes cluster and its AWS side, without ECS clusters.
        if snapshot.clusters.is_none() && snapshot.kube_clusters.is_some() {
            scopes.push(super::kube::kube_scope(
                &snapshot,
                Origin::Snapshot(source),
                &args.kube,
                None,
                options,
            )?);
            continue;
        }
        if scopes.iter().any(|s: &ScopeAudit| {
            s.coverage.account_id.as_deref() == Some(snapshot.account_id.as_str())
                && s.coverage.region == snapshot.region
        }) {
            return Err(Failure::bad_input(format!(
                "{source}: account {} in {} is already given by another snapshot",
                snapshot.account_id, snapshot.region
            )));
        }
        let audit = audit_snapshot(&snapshot, &select.cluster, &select.service, strict, options)
            .map_err(|e| Failure::bad_input(format!("{source}: {e}")))?;
        let mut coverage = Coverage {
            missing_clusters: audit.missing_clusters,
            missing_services: audit.missing_services,
            ..Coverage::of(&snapshot, Origin::Snapshot(source))
        };
        // Only the clusters audited count: another cluster's unread services are not this
        // run's unknown.
        if !select.cluster.is_empty() {
            let named = |name: &String| {
                snapshot.clusters.iter().flatten().any(|c| {
                    &c.name == name && select.cluster.iter().any(|w| w == &c.name || w == &c.arn)
                })
            };
            coverage.unread_clusters.retain(named);
        }
        scopes.push(ScopeAudit {
            coverage,
            results: audit.results,
            snapshot: Some(std::sync::Arc::new(snapshot)),
        });
    }
    check_named_found(&coverages(&scopes), &select.cluster, &select.service)?;
    check_something_audited(&scopes)?;
    Ok(scopes)
}

/// What one snapshot's audit found: the results, and the named clusters and services
/// (`cluster/service`) it does not have.
pub(super) struct SnapshotAudit {
    pub(super) results: Vec<crate::checks::WorkloadResult>,
    missing_clusters: Vec<String>,
    missing_services: Vec<String>,
}

/// Audits the clusters named (all, when none is) of one snapshot. `strict` (the run's only
/// scope): a missing cluster or service, or nothing to audit, is an error; otherwise it is
/// recorded and the scope audits what it has.
pub(super) fn audit_snapshot(
    snapshot: &Snapshot,
    clusters: &[String],
    services: &[String],
    strict: bool,
    options: &AuditOptions,
) -> Result<SnapshotAudit, SelectError> {
    audit_snapshot_of(snapshot, clusters, services, strict, options, None)
}

/// [`audit_snapshot`] of the selected workloads named in `only` (`cluster/service`), when
/// given: a plan re-audits only the workloads its changes can touch.
pub(super) fn audit_snapshot_of(
    snapshot: &Snapshot,
    clusters: &[String],
    services: &[String],
    strict: bool,
    options: &AuditOptions,
    only: Option<&HashSet<String>>,
) -> Result<SnapshotAudit, SelectError> {
    let known = |wanted: &String| {
        snapshot
            .clusters
            .iter()
            .flatten()
            .any(|c| &c.name == wanted || &c.arn == wanted)
    };
    let (present, missing): (Vec<&String>, Vec<&String>) = clusters.iter().partition(|c| known(c));
    let mut selections: Vec<Option<&str>> = present.iter().map(|c| Some(c.as_str())).collect();
    if clusters.is_empty() {
        selections.push(None);
    }
    if strict {
        // Named but absent: select it anyway, for the error that lists the known clusters.
        selections.extend(missing.iter().map(|c| Some(c.as_str())));
    }
    let mut workloads: Vec<crate::workload::Workload<'_>> = Vec::new();
    let mut seen: HashSet<(String, Option<String>)> = HashSet::new();
    let mut missing_services = Vec::new();
    for cluster in selections {
        // Services one at a time, so that one a scope lacks does not hide the others.
        let wanted: Vec<Vec<String>> = if services.is_empty() || strict {
            vec![services.to_vec()]
        } else {
            services.iter().map(|s| vec![s.clone()]).collect()
        };
        for services in wanted {
            match select_workloads(snapshot, cluster, &services) {
                Ok(found) => {
                    for workload in found {
                        // A cluster or service named twice (or by name and ARN) counts once.
                        if seen.insert((workload.cluster.clone(), workload.service.clone())) {
                            workloads.push(workload);
                        }
                    }
                }
                Err(SelectError::NothingToAudit(_)) if !strict => {}
                Err(SelectError::UnknownService {
                    wanted, cluster, ..
                }) if !strict => missing_services.push(format!("{cluster}/{wanted}")),
                Err(e) => return Err(e),
            }
        }
    }
    if let Some(only) = only {
        workloads.retain(|w| only.contains(&w.name()));
    }
    Ok(SnapshotAudit {
        results: audit_workloads(snapshot, &workloads, options),
        missing_clusters: missing.into_iter().cloned().collect(),
        missing_services,
    })
}

/// Auditing nothing must not look like a pass (a deploy gate would let anything through),
/// and a run that could read no scope at all has nothing to report.
fn check_something_audited(scopes: &[ScopeAudit]) -> Result<(), Failure> {
    let read = coverages(scopes);
    check_some_read(&read)?;
    let failed = read
        .iter()
        .any(|c| c.error.is_some() || !c.unread_clusters.is_empty());
    if !failed && scopes.iter().all(|s| s.results.is_empty()) {
        return Err(Failure::bad_input(format!(
            "nothing to audit: no services in the {} account/region scope(s) read",
            scopes.len()
        )));
    }
    Ok(())
}

/// The scopes' coverages, for the checks shared with `collect`.
fn coverages(scopes: &[ScopeAudit]) -> Vec<&Coverage> {
    scopes.iter().map(|s| &s.coverage).collect()
}

/// Validates the live selection into a plan (which accounts, regions and clusters) and the
/// AWS options to read it with.
pub fn fleet_plan(
    select: &SelectArgs,
    fleet: &FleetArgs,
    aws: &AwsArgs,
) -> Result<(FleetPlan, AwsOptions), Failure> {
    let clusters = match (select.all_clusters, select.cluster.is_empty()) {
        (true, _) => Clusters::All,
        (false, false) => Clusters::Named(unique(&select.cluster)),
        (false, true) => {
            return Err(Failure::bad_input(
                "a live run needs --cluster CLUSTER or --all-clusters (or --snapshot FILE)",
            ))
        }
    };
    if fleet.external_id.is_some()
        && fleet.role_arn.is_empty()
        && fleet.accounts_file.is_none()
        && !fleet.organization
    {
        return Err(Failure::bad_input(
            "--external-id is for assumed roles: give --role-arn, --accounts-file or --organization",
        ));
    }
    let organization = organization_plan(fleet).map_err(Failure::bad_input)?;
    let accounts = load_accounts(
        &fleet.role_arn,
        fleet.external_id.as_deref(),
        fleet.accounts_file.as_deref(),
    )
    .map_err(Failure::bad_input)?;
    let regions = if fleet.all_regions {
        Regions::AllEnabled
    } else if fleet.region.is_empty() {
        Regions::Default
    } else {
        let trimmed: Vec<String> = fleet.region.iter().map(|r| r.trim().to_string()).collect();
        for region in &trimmed {
            check_region(region)?;
        }
        Regions::Listed(unique(&trimmed))
    };
    // The first region asked for also serves what needs a region before any scope (assuming
    // roles, listing regions) when the credential chain has none.
    let first_region = match &regions {
        Regions::Listed(regions) => regions.first().map(String::as_str),
        _ => None,
    };
    let options = aws_options(aws, first_region);
    let plan = FleetPlan {
        organization,
        accounts,
        regions,
        clusters,
        services: unique(&select.service),
        parallel_scopes: usize::from(fleet.parallel_scopes),
        pre_deploy: None,
    };
    Ok((plan, options))
}

/// A region name as AWS writes them (`us-east-1`, `eu-central-2`…), checked before it
/// becomes part of a host name.
pub fn check_region(region: &str) -> Result<(), Failure> {
    let valid = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(Failure::bad_input(format!(
            "--region: `{region}` is not a region name (such as us-east-1)"
        )))
    }
}

/// `values` without repeats, in order.
fn unique(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        if !out.contains(value) {
            out.push(value.clone());
        }
    }
    out
}

/// Reads every scope of the plan; in a one-scope run a failure ends the run as before, in a
/// fleet run it is that scope's coverage error (unknown, never a pass).
fn live_scopes(
    args: &AuditArgs,
    audit_options: &AuditOptions,
    pre_deploy: Option<PreDeploy>,
) -> Result<Vec<ScopeAudit>, Failure> {
    let (plan, options) = match pre_deploy {
        None => fleet_plan(&args.select, &args.fleet, &args.aws)?,
        Some(pre) => pre_deploy_plan(args, pre)?,
    };
    let (runs, elapsed) = collect_many(&options, &plan)?;
    let single = plan.is_single_scope();
    let mut scopes = Vec::new();
    let mut calls: usize = 0;
    for run in runs {
        calls += run.calls.values().sum::<usize>();
        let coverage = coverage_of_run(&run);
        let collected = match run.outcome {
            Ok(collected) => collected,
            Err(error) if single => return Err(failure_of(error)),
            Err(_) => {
                warn_unread(&coverage);
                scopes.push(ScopeAudit {
                    coverage,
                    results: Vec::new(),
                    snapshot: None,
                });
                continue;
            }
        };
        let mut snapshot = collected.snapshot;
        inspect_registries(&mut snapshot, args.inspect.inspect_registries)?;
        // The snapshot holds just what was asked for: audit all of it.
        let results = audit_snapshot(&snapshot, &[], &[], single, audit_options)
            .map_err(|e| Failure::bad_input(e.to_string()))?
            .results;
        if single {
            eprintln!(
                "pullpath: collected {} service(s) of {} in {} with {calls} AWS calls{}",
                services_of(&snapshot),
                clusters_phrase(&snapshot),
                seconds(elapsed),
                crate::report::terminal_text::message(&denied(&snapshot))
            );
        }
        scopes.push(ScopeAudit {
            coverage,
            results,
            snapshot: Some(std::sync::Arc::new(snapshot)),
        });
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
    check_named_found(
        &coverages(&scopes),
        &args.select.cluster,
        &args.select.service,
    )?;
    check_something_audited(&scopes)?;
    Ok(scopes)
}

/// The live plan of a pre-deploy audit: one account and region, the named cluster (if any)
/// read for its container instances, no service listed.
fn pre_deploy_plan(args: &AuditArgs, pre: PreDeploy) -> Result<(FleetPlan, AwsOptions), Failure> {
    let select = SelectArgs {
        cluster: vec![pre.cluster.clone().unwrap_or_default()],
        all_clusters: false,
        service: Vec::new(),
    };
    let (mut plan, options) = fleet_plan(&select, &args.fleet, &args.aws)?;
    if !plan.is_single_scope() {
        return Err(Failure::bad_input(
            "a pre-deploy audit reads one account and region (the one the task will run in)",
        ));
    }
    plan.clusters = Clusters::Named(pre.cluster.iter().cloned().collect());
    plan.pre_deploy = Some(std::sync::Arc::new(pre));
    Ok((plan, options))
}

/// A pre-deploy audit from a snapshot: the task put into it as its only service.
fn pre_deploy_snapshot_scope(
    path: &std::path::Path,
    pre: &PreDeploy,
    options: &AuditOptions,
    inspect: bool,
) -> Result<ScopeAudit, Failure> {
    let source = path.display().to_string();
    let mut snapshot = load_snapshot(path).map_err(|e| Failure::bad_input(e.to_string()))?;
    pre.inject(&mut snapshot)
        .map_err(|e| Failure::bad_input(format!("{source}: {e}")))?;
    pre.mark_unread(&mut snapshot);
    inspect_registries(&mut snapshot, inspect)?;
    let audit = audit_snapshot(&snapshot, &[], &[], true, options)
        .map_err(|e| Failure::bad_input(format!("{source}: {e}")))?;
    Ok(ScopeAudit {
        coverage: Coverage::of(&snapshot, Origin::Snapshot(source)),
        results: audit.results,
        snapshot: Some(std::sync::Arc::new(snapshot)),
    })
}

/// "cluster `prod`", or "3 clusters".
fn clusters_phrase(snapshot: &Snapshot) -> String {
    match snapshot.clusters.as_deref().unwrap_or_default() {
        [one] => format!(
            "cluster `{}`",
            crate::report::terminal_text::name(&one.name)
        ),
        many => format!("{} clusters", many.len()),
    }
}
