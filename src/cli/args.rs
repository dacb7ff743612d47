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
    /// Audit the image-pull path of ECS services.
    ///
    /// Exit codes: 0 every workload passes; 1 runtime error; 2 usage error or bad input;
    /// 3 at least one workload fails; 4 none fails but some are unknown.
    Audit(AuditArgs),
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The snapshot (JSON) to audit; see docs/snapshot.md.
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    /// Only this cluster (name or ARN).
    #[arg(long, value_name = "CLUSTER")]
    pub cluster: Option<String>,
    /// Only these services (name or ARN; repeatable). Default: every service.
    #[arg(long, value_name = "SERVICE")]
    pub service: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}
