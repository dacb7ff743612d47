//! Reading the live account: the AWS options from the command line, the async runtime, and
//! what a collection reports on stderr.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::args::{AwsArgs, RetryModeArg};
use super::Failure;
use crate::collect::{
    collect, collect_fleet, Aws, AwsOptions, CollectError, FleetPlan, Progress, RetryMode, Scope,
    ScopeRun,
};
use crate::model::{check_consistency, Snapshot};

pub fn aws_options(aws: &AwsArgs, region: Option<&str>) -> AwsOptions {
    AwsOptions {
        profile: aws.profile.clone(),
        region: region.map(str::to_string),
        endpoint_url: aws.endpoint_url.clone(),
        retry_mode: match aws.retry_mode {
            RetryModeArg::Standard => RetryMode::Standard,
            RetryModeArg::Adaptive => RetryMode::Adaptive,
        },
        max_attempts: aws.max_attempts,
        call_timeout: Duration::from_secs(aws.call_timeout.max(1)),
        concurrency: usize::from(aws.concurrency),
    }
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the async runtime: {e}")))
}

/// An unknown cluster or service is bad input; any other failure is a runtime error.
pub fn failure_of(error: CollectError) -> Failure {
    match error {
        CollectError::NotFound(_) | CollectError::Config(_) => {
            Failure::bad_input(error.to_string())
        }
        CollectError::Api { .. } => Failure::runtime(error.to_string()),
    }
}

/// Collects one account and region (`diagnose`), reporting on stderr what it cost; returns
/// the snapshot and the calls made, by operation.
pub fn collect_one(
    options: &AwsOptions,
    scope: &Scope,
) -> Result<(Snapshot, BTreeMap<String, usize>), Failure> {
    let started = Instant::now();
    let (collected, calls) = runtime()?
        .block_on(async {
            let aws = Aws::load(options).await;
            let progress = Progress::new(2);
            let collected = collect(&aws, scope, &progress).await;
            progress.finish();
            collected.map(|c| (c, aws.guard.log.calls()))
        })
        .map_err(failure_of)?;
    let total: usize = calls.values().sum();
    let snapshot = collected.snapshot;
    check_consistency(&snapshot)
        .map_err(|e| Failure::runtime(format!("the collected snapshot is inconsistent: {e}")))?;
    let stopped = snapshot
        .stopped_tasks
        .as_ref()
        .map_or(String::new(), |t| format!(" and {} task(s)", t.len()));
    let clusters: Vec<String> = snapshot
        .clusters
        .iter()
        .flatten()
        .map(|c| format!("`{}`", crate::report::terminal_text::name(&c.name)))
        .collect();
    eprintln!(
        "pullpath: collected {} service(s){stopped} of cluster {} in {} with {total} AWS calls{}",
        services_of(&snapshot),
        clusters.join(", "),
        seconds(started.elapsed()),
        crate::report::terminal_text::message(&denied(&snapshot))
    );
    Ok((snapshot, calls))
}

/// Collects every scope of `plan`; each scope's snapshot is checked for consistency.
pub fn collect_many(
    options: &AwsOptions,
    plan: &FleetPlan,
) -> Result<(Vec<ScopeRun>, Duration), Failure> {
    let started = Instant::now();
    let mut scopes = runtime()?.block_on(async {
        let aws = Aws::load(options).await;
        let progress = Progress::new(1);
        collect_fleet(&aws, plan, &progress).await
    });
    for scope in &mut scopes {
        if let Ok(collected) = &scope.outcome {
            if let Err(e) = check_consistency(&collected.snapshot) {
                scope.outcome = Err(CollectError::Api {
                    service: "pullpath".into(),
                    operation: "collect".into(),
                    code: "Inconsistent".into(),
                    message: format!("the collected snapshot is inconsistent: {e}"),
                    request_id: None,
                });
            }
        }
    }
    Ok((scopes, started.elapsed()))
}

pub fn services_of(snapshot: &Snapshot) -> usize {
    snapshot
        .clusters
        .iter()
        .flatten()
        .flat_map(|c| c.services.iter().flatten())
        .count()
}

/// "; denied: ec2:DescribeVpcEndpoints, …" when calls were denied, and "; failed: …" when
/// others failed or were distrusted.
pub fn denied(snapshot: &Snapshot) -> String {
    let coverage = crate::checks::Coverage::of(snapshot, crate::checks::Origin::Live);
    let mut out = String::new();
    if !coverage.denied_actions.is_empty() {
        out.push_str(&format!("; denied: {}", coverage.denied_actions.join(", ")));
    }
    if !coverage.failed_calls.is_empty() {
        out.push_str(&format!("; failed: {}", coverage.failed_calls.join("; ")));
    }
    out
}

pub fn seconds(elapsed: Duration) -> String {
    format!(
        "{}.{:02} s",
        elapsed.as_secs(),
        elapsed.subsec_millis() / 10
    )
}
