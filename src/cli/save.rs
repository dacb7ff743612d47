//! `pullpath collect`: read the account read-only and save what an audit needs, one snapshot
//! per account and region.

use super::args::CollectArgs;
use super::audit::fleet_plan;
use super::live::{aws_options, collect_many, collect_one, failure_of};
use super::{to_json, write_output, ExitCode, Failure};
use crate::collect::{HistoryScope, Regions, Scope};

pub fn run(args: CollectArgs) -> Result<ExitCode, Failure> {
    let plan = fleet_plan(&args.select, &args.fleet)?;
    let single_region = match &plan.regions {
        Regions::Listed(regions) if regions.len() == 1 => regions.first().map(String::as_str),
        _ => None,
    };
    let options = aws_options(&args.aws, single_region);
    if args.stopped_tasks {
        // Stopped tasks are read for one cluster, as `diagnose` reads them.
        let ([cluster], true) = (
            args.select.cluster.as_slice(),
            plan.is_single_scope() && plan.accounts.is_empty(),
        ) else {
            return Err(Failure::bad_input(
                "--stopped-tasks reads one --cluster in one region of your own account",
            ));
        };
        let out = args.out.ok_or_else(|| {
            Failure::bad_input("--stopped-tasks writes one snapshot: use --out FILE")
        })?;
        let scope = Scope::cluster(cluster, &args.select.service, HistoryScope::OfServices);
        let snapshot = collect_one(&options, &scope)?;
        write_output(Some(out), &to_json(&snapshot, "snapshot")?)?;
        return Ok(ExitCode::Pass);
    }
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", dir.display())))?;
    }
    let (runs, _) = collect_many(&options, &plan)?;
    let single = plan.is_single_scope();
    let mut failed = 0;
    for run in runs {
        let collected = match run.outcome {
            Ok(collected) => collected,
            Err(error) if single => return Err(failure_of(error)),
            Err(error) => {
                failed += 1;
                eprintln!(
                    "pullpath: warning: {} {} could not be read: {error}",
                    run.account_id.as_deref().unwrap_or("(own account)"),
                    run.region
                );
                continue;
            }
        };
        let snapshot = collected.snapshot;
        let path = match (&args.out, &args.out_dir) {
            (Some(out), _) if single => out.clone(),
            (_, Some(dir)) => dir.join(format!("{}-{}.json", snapshot.account_id, snapshot.region)),
            _ => {
                return Err(Failure::bad_input(
                    "several accounts or regions make several snapshots: use --out-dir DIR",
                ))
            }
        };
        write_output(Some(path.clone()), &to_json(&snapshot, "snapshot")?)?;
        eprintln!(
            "pullpath: wrote {} ({} in {}, {} AWS calls)",
            path.display(),
            snapshot.account_id,
            snapshot.region,
            run.calls.values().sum::<usize>()
        );
    }
    Ok(if failed > 0 {
        ExitCode::Unknown
    } else {
        ExitCode::Pass
    })
}
