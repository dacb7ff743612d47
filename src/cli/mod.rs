//! The command line: arguments are parsed by clap (raw), checked into an [`AuditRequest`]
//! (validated), run, and mapped to a documented exit code.

mod args;
mod diagnose;
mod exit;
mod explain;

pub use exit::ExitCode;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;

use crate::checks::{audit_workloads, WorkloadResult, WorkloadStatus};
use crate::collect::{
    collect, Aws, AwsOptions, CollectError, HistoryScope, Progress, RetryMode, Scope,
};
use crate::model::{check_consistency, load_snapshot, Snapshot};
use crate::report::{render_table, Colour, ReportV1, Width, DEFAULT_WIDTH, MIN_WIDTH};
use crate::workload::select_workloads;
use args::{AwsArgs, Cli, Command, Format, RetryModeArg};

/// An error that ends the run, with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: ExitCode,
    pub message: String,
}

impl Failure {
    fn bad_input(message: impl Into<String>) -> Self {
        Failure {
            code: ExitCode::BadInput,
            message: message.into(),
        }
    }
    fn runtime(message: impl Into<String>) -> Self {
        Failure {
            code: ExitCode::RuntimeError,
            message: message.into(),
        }
    }
}

/// Runs pullpath with `args` (including the program name); returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::Pass as i32
                }
                _ => ExitCode::BadInput as i32,
            };
        }
    };
    match execute(cli) {
        Ok(code) => code as i32,
        Err(failure) => {
            eprintln!("pullpath: error: {}", failure.message);
            failure.code as i32
        }
    }
}

fn execute(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Audit(audit) => {
            let snapshot = match (&audit.snapshot, &audit.cluster) {
                (Some(path), _) => {
                    let snapshot =
                        load_snapshot(path).map_err(|e| Failure::bad_input(e.to_string()))?;
                    (snapshot, path.display().to_string())
                }
                (None, Some(cluster)) => {
                    let snapshot =
                        collect_live(&audit.aws, cluster, &audit.service, HistoryScope::None)?;
                    (snapshot, format!("cluster `{cluster}`"))
                }
                (None, None) => {
                    return Err(Failure::bad_input(
                        "audit needs --cluster CLUSTER (live) or --snapshot FILE",
                    ))
                }
            };
            let (snapshot, source) = snapshot;
            let workloads = select_workloads(&snapshot, audit.cluster.as_deref(), &audit.service)
                .map_err(|e| Failure::bad_input(format!("{source}: {e}")))?;
            let results = audit_workloads(&snapshot, &workloads);
            let rendered = render(
                &results,
                &snapshot.account_id,
                &snapshot.region,
                audit.report.format,
                audit.report.output.is_none(),
            )?;
            write_output(audit.report.output, &rendered)?;
            Ok(exit_code_of(&results))
        }
        Command::Explain(args) => explain::run(args),
        Command::Diagnose(args) => diagnose::run(args),
        Command::Collect(collect) => {
            let history = if collect.stopped_tasks {
                HistoryScope::OfServices
            } else {
                HistoryScope::None
            };
            let snapshot = collect_live(&collect.aws, &collect.cluster, &collect.service, history)?;
            write_output(Some(collect.out), &to_json(&snapshot, "snapshot")?)?;
            Ok(ExitCode::Pass)
        }
    }
}

/// Collects a snapshot from AWS, reporting on stderr what it cost.
fn collect_live(
    aws: &AwsArgs,
    cluster: &str,
    services: &[String],
    history: HistoryScope,
) -> Result<Snapshot, Failure> {
    let options = AwsOptions {
        profile: aws.profile.clone(),
        region: aws.region.clone(),
        endpoint_url: aws.endpoint_url.clone(),
        retry_mode: match aws.retry_mode {
            RetryModeArg::Standard => RetryMode::Standard,
            RetryModeArg::Adaptive => RetryMode::Adaptive,
        },
        max_attempts: aws.max_attempts,
        call_timeout: Duration::from_secs(aws.call_timeout.max(1)),
    };
    let scope = Scope {
        cluster: cluster.to_string(),
        services: services.to_vec(),
        history,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the async runtime: {e}")))?;
    let started = Instant::now();
    let (snapshot, calls) = runtime
        .block_on(async {
            let aws = Aws::load(&options).await;
            let progress = Progress::new(2);
            let collected = collect(&aws, &scope, &progress).await;
            progress.finish();
            collected.map(|snapshot| (snapshot, aws.guard.log.total()))
        })
        .map_err(|e| match e {
            CollectError::NotFound(_) | CollectError::Config(_) => {
                Failure::bad_input(e.to_string())
            }
            CollectError::Api { .. } => Failure::runtime(e.to_string()),
        })?;
    check_consistency(&snapshot)
        .map_err(|e| Failure::runtime(format!("the collected snapshot is inconsistent: {e}")))?;
    let services = snapshot
        .clusters
        .iter()
        .flatten()
        .flat_map(|c| c.services.iter().flatten())
        .count();
    let gaps: Vec<&str> = snapshot
        .coverage_gaps
        .iter()
        .map(|g| g.action.as_str())
        .collect();
    let stopped = snapshot
        .stopped_tasks
        .as_ref()
        .map_or(String::new(), |t| format!(" and {} task(s)", t.len()));
    eprintln!(
        "pullpath: collected {services} service(s){stopped} of cluster `{cluster}` in {}.{:02} s with {calls} AWS calls{}",
        started.elapsed().as_secs(),
        started.elapsed().subsec_millis() / 10,
        if gaps.is_empty() { String::new() } else { format!("; denied: {}", gaps.join(", ")) }
    );
    Ok(snapshot)
}

fn render(
    results: &[WorkloadResult],
    account: &str,
    region: &str,
    format: Format,
    to_stdout: bool,
) -> Result<String, Failure> {
    Ok(match format {
        Format::Json => to_json(&ReportV1::new(account, region, results), "report")?,
        Format::Table => {
            let (colour, width) = table_style(to_stdout);
            render_table(results, colour, width)
        }
    })
}

/// Colour and width for a table going to stdout (`to_stdout`) or a file.
fn table_style(to_stdout: bool) -> (Colour, Width) {
    let terminal = to_stdout && std::io::stdout().is_terminal();
    let colour = choose_colour(terminal, std::env::var_os("NO_COLOR"));
    // On a terminal comfy-table measures the window itself; `COLUMNS` overrides it.
    let width = match (terminal, columns_from_env()) {
        (_, Some(columns)) => Width::Columns(columns),
        (true, None) => Width::Terminal,
        (false, None) => Width::Columns(DEFAULT_WIDTH),
    };
    (colour, width)
}

/// Pretty JSON with a final newline.
fn to_json(value: &impl serde::Serialize, what: &str) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::runtime(format!("cannot encode the {what}: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to a non-empty value
/// (<https://no-color.org>).
fn choose_colour(terminal: bool, no_color: Option<OsString>) -> Colour {
    if terminal && no_color.is_none_or(|v| v.is_empty()) {
        Colour::Always
    } else {
        Colour::Never
    }
}

/// A width the user asked for with `COLUMNS` (ignored when too narrow for a table).
fn columns_from_env() -> Option<u16> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|columns| *columns >= MIN_WIDTH)
}

fn write_output(path: Option<PathBuf>, text: &str) -> Result<(), Failure> {
    match path {
        Some(path) => std::fs::write(&path, text)
            .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Failure::runtime(format!("cannot write the report: {e}")))
                }
                _ => Ok(()),
            }
        }
    }
}

fn exit_code_of(results: &[WorkloadResult]) -> ExitCode {
    let worst = results
        .iter()
        .map(|r| r.status)
        .max()
        .unwrap_or(WorkloadStatus::Pass);
    match worst {
        WorkloadStatus::Pass => ExitCode::Pass,
        WorkloadStatus::Fail => ExitCode::Fail,
        WorkloadStatus::Unknown => ExitCode::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert_eq!(choose_colour(true, None), Colour::Always);
        assert_eq!(choose_colour(true, Some("".into())), Colour::Always);
        assert_eq!(choose_colour(true, Some("1".into())), Colour::Never);
        assert_eq!(choose_colour(false, None), Colour::Never);
    }
}
