//! `pullpath diagnose`: what ECS said about a service's (or one task's) stopped tasks, tied
//! to an audit of the placement they really ran with.

use super::args::{DiagnoseArgs, Format};
use super::{collect_live, exit_code_of, table_style, to_json, write_output, ExitCode, Failure};
use crate::checks::{audit_workload, diagnose, observations, Catalog, DiagnosisInput, PathCache};
use crate::collect::History as Collect;
use crate::graph::NetworkIndex;
use crate::model::load_snapshot;
use crate::report::{render_diagnosis, render_table_with, DiagnosisV1, ReportV1};
use crate::workload::{diagnosed_workload, history, run_placement, Subject};

pub fn run(args: DiagnoseArgs) -> Result<ExitCode, Failure> {
    let subject = match (&args.service, &args.task) {
        (Some(service), _) => Subject::Service(service.clone()),
        (None, Some(task)) => Subject::Task(task.clone()),
        (None, None) => return Err(Failure::bad_input("diagnose needs --service or --task")),
    };
    let (snapshot, source) = match &args.snapshot {
        Some(path) => (
            load_snapshot(path).map_err(|e| Failure::bad_input(e.to_string()))?,
            path.display().to_string(),
        ),
        None => {
            let (services, scope) = match &subject {
                Subject::Service(service) => (vec![service.clone()], Collect::OfServices),
                Subject::Task(task) => (Vec::new(), Collect::Task(task.clone())),
            };
            (
                collect_live(&args.aws, &args.cluster, &services, scope)?,
                format!("cluster `{}`", args.cluster),
            )
        }
    };
    let history = history(&snapshot, &args.cluster, &subject)
        .map_err(|e| Failure::bad_input(format!("{source}: {e}")))?;
    let placement = run_placement(&history);
    let workload = diagnosed_workload(&snapshot, &history, &placement);
    let index = NetworkIndex::new(&snapshot);
    let catalog = Catalog::new(&snapshot);
    let result = audit_workload(&index, &catalog, &mut PathCache::default(), &workload);
    let diagnosis = diagnose(DiagnosisInput {
        result: &result,
        observations: observations(&history),
        placement: placement.clone(),
        stopped_tasks: history.collected.then(|| {
            history
                .tasks
                .iter()
                .filter(|t| t.last_status.as_deref().is_none_or(|s| s == "STOPPED"))
                .count()
        }),
        not_stopped: history
            .tasks
            .iter()
            .filter_map(|t| t.last_status.clone())
            .find(|s| s != "STOPPED"),
        collected_at: snapshot.collected_at.as_deref(),
    });
    let results = [result];
    let rendered = match args.format {
        Format::Json => {
            let mut report = ReportV1::new(&snapshot.account_id, &snapshot.region, &results);
            report.workloads[0].diagnosis = Some(DiagnosisV1::from(&diagnosis));
            to_json(&report, "report")?
        }
        Format::Table => {
            let (colour, width) = table_style(args.output.is_none());
            let name = match &results[0].service {
                Some(service) => format!("{}/{service}", results[0].cluster),
                None => format!(
                    "{} task {}",
                    results[0].cluster,
                    history.tasks.first().map_or("", |t| t.id())
                ),
            };
            render_table_with(&results, colour, width, |_| {
                Some(render_diagnosis(&name, &diagnosis, colour, width))
            })
        }
    };
    write_output(args.output, &rendered)?;
    Ok(exit_code_of(&results))
}
