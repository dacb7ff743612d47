//! Raw command-line arguments, as clap parses them.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Tells why an ECS task cannot pull its container image — and proves, before a deploy, that
/// it will be able to.
#[derive(Debug, Parser)]
#[command(name = "pullpath", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit the image-pull path of ECS services, live or from a snapshot.
    ///
    /// Exit codes: 0 every workload passes; 1 runtime error; 2 usage error or bad input;
    /// 3 at least one workload fails; 4 none fails but some are unknown.
    Audit(AuditArgs),
    /// Read what an audit needs from AWS (read-only) and save it as a snapshot.
    Collect(CollectArgs),
    /// Classify an ECS stop reason, container reason or service event (offline).
    ///
    /// Exit codes: 0 the message is recognised; 4 it is not (category `unknown`); 2 no message.
    Explain(ExplainArgs),
    /// Explain why a service's tasks stopped: classify what ECS said about its recently stopped
    /// tasks and events, audit the placement they really ran with, and rank the causes.
    ///
    /// Exit codes as for `audit`: 0 the workload passes; 3 it fails; 4 unknown, or it passes
    /// but ECS reported a failure the audit does not account for; 1 runtime error; 2 bad
    /// input (unknown cluster, service or task).
    Diagnose(DiagnoseArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The message (several words are joined with spaces). Without it, or with `-`, the
    /// message is read from standard input.
    #[arg(value_name = "MESSAGE")]
    pub message: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["service", "task"])))]
pub struct DiagnoseArgs {
    /// The cluster (name or ARN).
    #[arg(long, value_name = "CLUSTER")]
    pub cluster: String,
    /// The service whose recently stopped tasks to diagnose (name or ARN).
    #[arg(long, value_name = "SERVICE")]
    pub service: Option<String>,
    /// One task to diagnose (id or ARN).
    #[arg(long, value_name = "TASK", conflicts_with = "service")]
    pub task: Option<String>,
    /// Diagnose from a saved snapshot (written by `pullpath collect --stopped-tasks`) instead
    /// of the live account.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Audit a saved snapshot (JSON; see docs/snapshot.md) instead of the live account.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// The cluster (name or ARN). Required for a live audit.
    #[arg(long, value_name = "CLUSTER")]
    pub cluster: Option<String>,
    /// Only these services (name or ARN; repeatable). Default: every service.
    #[arg(long, value_name = "SERVICE")]
    pub service: Vec<String>,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, clap::Args)]
pub struct CollectArgs {
    /// The cluster (name or ARN).
    #[arg(long, value_name = "CLUSTER")]
    pub cluster: String,
    /// Only these services (name or ARN; repeatable). Default: every service.
    #[arg(long, value_name = "SERVICE")]
    pub service: Vec<String>,
    /// Where to write the snapshot.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also read the services' recently stopped tasks, deployments and events, for
    /// `pullpath diagnose --snapshot`.
    #[arg(long)]
    pub stopped_tasks: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Where the report goes, and in which format (`audit`, `diagnose`).
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// How to reach AWS. Credentials and region come from the standard chain (environment, shared
/// config and credentials files, SSO, assume-role profiles, container and instance metadata).
#[derive(Debug, Clone, clap::Args)]
pub struct AwsArgs {
    /// Named profile from the shared config files.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region (default: the chain's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (an emulator, a VPC endpoint). `AWS_ENDPOINT_URL`
    /// is honoured too.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Retry mode: standard, or adaptive (client-side rate limiting under throttling).
    #[arg(long, value_enum, default_value_t = RetryModeArg::Standard)]
    pub retry_mode: RetryModeArg,
    /// Attempts per call, including the first.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_attempts: u32,
    /// Seconds one call (all its attempts) may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub call_timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RetryModeArg {
    Standard,
    Adaptive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}
