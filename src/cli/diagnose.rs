//! `pullpath diagnose`: what ECS said about a service's (or one task's) stopped tasks, tied
//! to an audit of the placement they really ran with — one audit per group of tasks started
//! alike (same deployment, same task definition).

use super::args::{DiagnoseArgs, Format};
use super::audit::check_region;
use super::live::{aws_options, collect_one};
use super::registries::inspect_registries;
use super::{clock, exit_code_of, table_style, to_json, write_output, ExitCode, Failure};
use crate::checks::{audit_workload, AuditOptions, Catalog, PathCache, WorkloadResult};
use crate::checks::{Coverage, Origin, ScopeAudit};
use crate::collect::{HistoryScope, Scope};
use crate::diagnose::{diagnose, observations, Diagnosis, DiagnosisInput};
use crate::graph::NetworkIndex;
use crate::model::{load_snapshot, Snapshot};
use crate::report::terminal_text;
use crate::report::{render_diagnosis, render_table_with, DiagnosisV1, ReportV1};
use crate::workload::{diagnosed_workload, history, run_placement, History, Subject};

pub fn run(args: DiagnoseArgs) -> Result<ExitCode, Failure> {
    if let Some(pod) = &args.pod {
        return super::kube_diagnose::diagnose_pod(&args, pod);
    }
    let cluster = args.cluster.clone().unwrap_or_default();
    let subject = match (&args.service, &args.task) {
        (Some(service), _) => Subject::Service(service.clone()),
        (None, Some(task)) => Subject::Task(task.clone()),
        (None, None) => return Err(Failure::bad_input("diagnose needs --service or --task")),
    };
    let options = AuditOptions::with_registry_routes(&args.routes.registry_route)
        .map_err(Failure::bad_input)?
        .at(clock::now_seconds());
    let (snapshot, source, calls) = match &args.snapshot {
        Some(path) => (
            // Errors quote the snapshot's names: escaped, as everything printed from it.
            load_snapshot(path)
                .map_err(|e| Failure::bad_input(terminal_text::message(&e.to_string())))?,
            path.display().to_string(),
            None,
        ),
        None => {
            let (services, scope) = match &subject {
                Subject::Service(service) => (vec![service.clone()], HistoryScope::OfServices),
                Subject::Task(task) => (Vec::new(), HistoryScope::Task(task.clone())),
            };
            if let Some(region) = &args.region {
                check_region(region)?;
            }
            let options = aws_options(&args.aws, args.region.as_deref());
            let (snapshot, calls) =
                collect_one(&options, &Scope::cluster(&cluster, &services, scope))?;
            (snapshot, format!("cluster `{cluster}`"), Some(calls))
        }
    };
    let mut snapshot = snapshot;
    inspect_registries(&mut snapshot, args.inspect.inspect_registries)?;
    let history = history(&snapshot, &cluster, &subject)
        .map_err(|e| Failure::bad_input(terminal_text::message(&format!("{source}: {e}"))))?;
    let (results, diagnoses) = diagnose_groups(&snapshot, &history, &options);

    let rendered = match args.report.format {
        Format::Json => {
            let scope = ScopeAudit {
                coverage: Coverage {
                    calls: calls.clone(),
                    ..Coverage::of(
                        &snapshot,
                        match &args.snapshot {
                            Some(path) => Origin::Snapshot(path.display().to_string()),
                            None => Origin::Live,
                        },
                    )
                },
                results: results.clone(),
                snapshot: None,
            };
            let mut report = ReportV1::new(&[scope], &[], &[], &clock::now());
            for (workload, diagnosis) in report.workloads.iter_mut().zip(&diagnoses) {
                workload.diagnosis = Some(DiagnosisV1::from(diagnosis));
            }
            to_json(&report, "report")?
        }
        Format::Table => {
            let (colour, width) = table_style(args.report.output.is_none());
            render_table_with(&results, colour, width, |i| {
                let name = match &results[i].service {
                    Some(service) => format!("{}/{service}", results[i].cluster),
                    None => format!("task {}", history.tasks.first().map_or("", |t| t.id())),
                };
                Some(render_diagnosis(&name, &diagnoses[i], colour, width))
            })
        }
    };
    write_output(args.report.output, &rendered)?;
    // A failure ECS reported that the audit does not account for is not a pass.
    let unaccounted = diagnoses.iter().any(Diagnosis::unaccounted_failure);
    Ok(match exit_code_of(&results) {
        ExitCode::Pass if unaccounted => ExitCode::Unknown,
        code => code,
    })
}

/// One audit and diagnosis per group of tasks, the group of the most recent task first; the
/// service's events go with that group. Without stopped tasks: one, with the service's
/// current configuration.
fn diagnose_groups(
    snapshot: &Snapshot,
    history: &History<'_>,
    options: &AuditOptions,
) -> (Vec<WorkloadResult>, Vec<Diagnosis>) {
    let groups = history.groups();
    let group_count = groups.len().max(1);
    let placements: Vec<_> = (0..group_count)
        .map(|i| run_placement(history, groups.get(i)))
        .collect();
    let events = history.events();
    let index = NetworkIndex::new(snapshot);
    let catalog = Catalog::new(snapshot);
    let mut cache = PathCache::default();
    let mut results = Vec::new();
    let mut diagnoses = Vec::new();
    for (i, placement) in placements.iter().enumerate() {
        let group = groups.get(i);
        let workload = diagnosed_workload(snapshot, history, group, placement);
        let result = audit_workload(&index, &catalog, &mut cache, &workload, options);
        let tasks = group.map_or(&[][..], |g| &g.tasks[..]);
        let seen = observations(tasks, if i == 0 { &events[..] } else { &[] });
        let stopped = tasks
            .iter()
            .filter(|t| t.last_status.as_deref().is_none_or(|s| s == "STOPPED"))
            .count();
        let diagnosis = diagnose(DiagnosisInput {
            result: &result,
            observations: seen,
            placement: placement.clone(),
            stopped_tasks: history.collected.then_some(stopped),
            not_stopped: tasks
                .iter()
                .filter_map(|t| t.last_status.clone())
                .find(|s| s != "STOPPED"),
            collected_at: snapshot.collected_at.as_deref(),
            group: (group_count > 1).then_some((i + 1, group_count)),
        });
        results.push(result);
        diagnoses.push(diagnosis);
    }
    (results, diagnoses)
}
