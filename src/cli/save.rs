//! `pullpath collect`: read the account read-only and save what an audit needs, one snapshot
//! per account and region.

use super::args::CollectArgs;
use super::audit::fleet_plan;
use super::coverage::{check_named_found, check_some_read, coverage_of_run, warn_unread};
use super::live::{collect_many, collect_one, failure_of};
use super::registries::inspect_registries;
use super::{to_json, write_output, ExitCode, Failure};
use crate::checks::Coverage;
use crate::collect::{HistoryScope, Scope};

pub fn run(args: CollectArgs) -> Result<ExitCode, Failure> {
    if args.kube.requested() {
        // A Kubernetes cluster and its AWS side: one account and region, one file.
        let Some(out) = &args.out else {
            return Err(Failure::bad_input(
                "a Kubernetes cluster and its AWS side make one snapshot: use --out FILE",
            ));
        };
        if args.fleet.region.len() > 1 || args.fleet.all_regions || !args.fleet.role_arn.is_empty()
        {
            return Err(Failure::bad_input(
                "a Kubernetes cluster is one account and region: give at most one --region, and no --role-arn or --all-regions",
            ));
        }
        let cluster = super::kube::read_kube(&args.kube, &args.kube.namespace)?;
        let options =
            super::live::aws_options(&args.aws, args.fleet.region.first().map(String::as_str));
        let mut snapshot =
            super::kube::collect_side(&options, cluster, args.kube.eks_cluster.as_deref())?
                .snapshot;
        inspect_registries(&mut snapshot, args.inspect.inspect_registries)?;
        write_output(Some(out.clone()), &to_json(&snapshot, "snapshot")?)?;
        return Ok(ExitCode::Pass);
    }
    let (plan, options) = fleet_plan(&args.select, &args.fleet, &args.aws)?;
    let single = plan.is_single_scope();
    if args.stopped_tasks {
        // Stopped tasks are read for one cluster, as `diagnose` reads them.
        let ([cluster], true, Some(out)) = (
            args.select.cluster.as_slice(),
            single && plan.accounts.is_empty(),
            &args.out,
        ) else {
            return Err(Failure::bad_input(
                "--stopped-tasks reads one --cluster in one region of your own account, into --out FILE",
            ));
        };
        let scope = Scope::cluster(cluster, &args.select.service, HistoryScope::OfServices);
        let (mut snapshot, _) = collect_one(&options, &scope)?;
        inspect_registries(&mut snapshot, args.inspect.inspect_registries)?;
        write_output(Some(out.clone()), &to_json(&snapshot, "snapshot")?)?;
        return Ok(ExitCode::Pass);
    }
    // Where each snapshot goes is settled before any call.
    if !single && args.out_dir.is_none() {
        return Err(Failure::bad_input(
            "several accounts or regions make several snapshots: use --out-dir DIR",
        ));
    }
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", dir.display())))?;
    }
    let (runs, _) = collect_many(&options, &plan)?;
    let mut coverages = Vec::new();
    for run in runs {
        let coverage = coverage_of_run(&run);
        let collected = match run.outcome {
            Ok(collected) => collected,
            Err(error) if single => return Err(failure_of(error)),
            Err(_) => {
                warn_unread(&coverage);
                coverages.push(coverage);
                continue;
            }
        };
        coverages.push(coverage);
        let mut snapshot = collected.snapshot;
        inspect_registries(&mut snapshot, args.inspect.inspect_registries)?;
        let path = match (&args.out, &args.out_dir) {
            (_, Some(dir)) => dir.join(format!("{}-{}.json", snapshot.account_id, snapshot.region)),
            (Some(out), None) => out.clone(),
            (None, None) => {
                return Err(Failure::bad_input(
                    "collect needs --out FILE or --out-dir DIR",
                ))
            }
        };
        write_output(Some(path.clone()), &to_json(&snapshot, "snapshot")?)?;
        eprintln!(
            "pullpath: wrote {} ({} in {}, {} AWS calls)",
            crate::report::terminal_text::name(&path.display().to_string()),
            crate::report::terminal_text::name(&snapshot.account_id),
            crate::report::terminal_text::name(&snapshot.region),
            run.calls.values().sum::<usize>()
        );
    }
    // As for `audit`: some scope must have been read, and a named cluster or service must be
    // in one of them.
    let coverages: Vec<&Coverage> = coverages.iter().collect();
    check_some_read(&coverages)?;
    check_named_found(&coverages, &plan.clusters_named(), &plan.services)?;
    let failed = coverages.iter().any(|c| c.error.is_some());
    // A scope that could not be read leaves the collection incomplete.
    Ok(if failed {
        ExitCode::Unknown
    } else {
        ExitCode::Pass
    })
}
